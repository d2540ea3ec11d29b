//! The library half of the `mlinalg` binary: subcommands ([`commands`]) and the presentation
//! layer they share ([`report`]: text tables, JSON, HTML pages with SVG figures).
//!
//! Kept as a library so the report builders are unit-tested and reused by every subcommand;
//! `src/main.rs` only parses the command line and maps errors to exit codes.
//!
//! Exit codes: 0 success, 1 bad input or usage (one-line error on stderr), 2 internal failure
//! (see [`error::CliError`]).

pub mod commands;
pub mod error;
pub mod progress;
pub mod report;
