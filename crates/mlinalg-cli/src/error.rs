//! The CLI's error: a message and whether the user or the program is at fault (exit 1 or 2).

use std::fmt;

/// A failed command. `Input` errors are the user's to fix (bad flag, unreadable file, bad
/// data); `Internal` ones are bugs or environment failures the user cannot fix by changing
/// the command line.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or usage: exit status 1.
    Input(String),
    /// Internal failure: exit status 2.
    Internal(String),
}

impl CliError {
    /// Exit status for bad input or usage.
    pub const USAGE: u8 = 1;
    /// Exit status for internal failures.
    pub const INTERNAL: u8 = 2;

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => Self::USAGE,
            CliError::Internal(_) => Self::INTERNAL,
        }
    }

    /// An error the user can fix.
    pub fn input(msg: impl fmt::Display) -> Self {
        CliError::Input(msg.to_string())
    }

    /// An internal failure.
    pub fn internal(msg: impl fmt::Display) -> Self {
        CliError::Internal(msg.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(m) => f.write_str(m),
            CliError::Internal(m) => write!(f, "internal: {m}"),
        }
    }
}
