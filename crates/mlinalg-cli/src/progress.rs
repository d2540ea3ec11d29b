//! Progress bars on stderr for work that takes more than a moment, hidden with `--quiet` and
//! when stderr is not a terminal (pipes, CI logs), so machine-readable output stays clean.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar that may be hidden; every method is a no-op when it is.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar counting to `len` steps of `what` ("tensors", "rows", ...).
    pub fn new(len: u64, what: &str, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(len);
        let template =
            format!("{{spinner}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {what} {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Progress(Some(bar))
    }

    /// Shows what is being worked on.
    pub fn message(&self, msg: impl Into<String>) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg.into());
        }
    }

    /// Advances by `n` steps.
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
