use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    nbsso::allocator::return_freed_memory_at_once();
    let cli = nbsso::cli::Cli::parse();
    ExitCode::from(nbsso::cli::run(cli))
}
