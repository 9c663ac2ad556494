//! `tiyan-bench <what>`: each benchmark prints its own figures and, in the same
//! run, those of the reference it is measured against.

mod rating;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "tiyan-bench", about = "Tiyan's benchmarks")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// The rating command from call to committed row, against a bare rusqlite insert.
    Rating {
        /// How many ratings each side commits.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Where the database files go (a real disk, like a kiosk's: not tmpfs).
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().what {
        What::Rating { count, dir } => rating::run(count, &dir),
    }
}
