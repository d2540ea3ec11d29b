//! `mlinalg`: the command-line face of the mlinalg library.
//!
//! Subcommands live in `commands/<name>.rs` (or a folder of that name) of the `mlinalg_cli`
//! library; each has an `Args` struct (clap derive) and a `run` function returning
//! `Result<(), CliError>`. Adding one is a module, a variant of [`Command`] and a match arm.
//!
//! Exit codes: 0 success, 1 bad input or usage (one-line error on stderr), 2 internal failure.

use clap::{Parser, Subcommand};
use mlinalg_cli::commands;
use mlinalg_cli::error::CliError;
use std::process::ExitCode;

/// The linear algebra of machine learning, computed and explained.
#[derive(Parser, Debug)]
#[command(name = "mlinalg", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  mlinalg tour                    walk through vectors, matrices and tensors\n  mlinalg tour --out report       write the HTML page to report/index.html\n  mlinalg tour --json | jq .      the same results as JSON\n  mlinalg svd-image photo.png     compress a photo at ranks 5, 20, 50, 100\n  mlinalg spectrum model.safetensors\n  mlinalg pca emb.npy -n 64 -o reduced.npy\n  mlinalg search eval base.npy queries.npy -k 10"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// A guided tour of ML linear algebra on built-in examples: tables here, figures in HTML.
    Tour(commands::tour::Args),
    /// Compress a photo by truncated SVD at several ranks: PNGs, a contact sheet, the spectrum.
    SvdImage(commands::svd_image::Args),
    /// The singular value spectrum and ranks of every weight matrix of a .safetensors model.
    Spectrum(commands::spectrum::Args),
    /// Reduce the rows of a .npy matrix to their principal components (scikit-learn's PCA).
    Pca(commands::pca::Args),
    /// Vector search over .npy embeddings: build an index, query it, evaluate recall and speed.
    Search(commands::search::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_exit(e),
    };
    let result = match &cli.command {
        Command::Tour(args) => commands::tour::run(args),
        Command::SvdImage(args) => commands::svd_image::run(args),
        Command::Spectrum(args) => commands::spectrum::run(args),
        Command::Pca(args) => commands::pca::run(args),
        Command::Search(args) => commands::search::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mlinalg: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Help and version go to stdout with status 0; every other parse failure is a usage error:
/// one line on stderr and status 1 (clap's own default is 2, which we reserve for internal
/// failures).
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let _ = e.print();
            ExitCode::from(CliError::USAGE)
        }
        _ => {
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid arguments");
            let msg = first.trim_start_matches("error:").trim();
            eprintln!("mlinalg: error: {msg} (try 'mlinalg --help')");
            ExitCode::from(CliError::USAGE)
        }
    }
}
