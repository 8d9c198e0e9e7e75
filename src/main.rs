use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = nbsso::cli::Cli::parse();
    ExitCode::from(nbsso::cli::run(cli))
}
