//! One module per subcommand. Each exposes `Args` (clap derive) and
//! `run(&Args) -> Result<(), CliError>`.

pub mod pca;
pub mod search;
pub mod spectrum;
pub mod svd_image;
pub mod tour;

use crate::error::CliError;
use std::io::{self, Write};

/// Writes `text` to stdout; a closed pipe (`mlinalg tour | head`) is not an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(CliError::internal(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
