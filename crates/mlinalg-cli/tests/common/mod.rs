//! Running the real `mlinalg` binary from the CLI's integration tests: its output as JSON, its
//! one-line errors, and the shared data folder (absent: tests skip with a message).
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn mlinalg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mlinalg"))
        .args(args)
        .output()
        .expect("the binary runs")
}

pub fn json_of(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("valid JSON on stdout")
}

pub fn one_line_error(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("mlinalg: error: "), "{err}");
    err
}

pub fn shared(file: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(file);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} is absent", p.display());
        None
    }
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
