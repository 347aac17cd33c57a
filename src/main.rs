//! The `duijie` command line: ingest, search, get, stats, gen, serve.

mod cli;

fn main() {
    std::process::exit(cli::run());
}
