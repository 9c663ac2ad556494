//! `tiyan-bench <what>`: each benchmark prints its own figures and, in the same
//! run, those of the reference it is measured against.

mod drain;
mod photo;
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
    /// Drain queued ratings from a device to the server over loopback, against the
    /// server store's own insert ceiling; then many devices uploading at once.
    Sync {
        /// Ratings queued on the one device.
        #[arg(long, default_value_t = 100_000)]
        ratings: usize,
        /// Devices uploading at once.
        #[arg(long, default_value_t = 200)]
        devices: usize,
        /// Ratings each of those devices uploads.
        #[arg(long, default_value_t = 500)]
        per_device: usize,
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// The diary photo pipeline on a 12-megapixel JPEG, against ImageMagick and libvips.
    Photo {
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// (Used by `photo`: the pipeline once, in its own process.)
    #[command(hide = true)]
    PhotoOnce { input: std::path::PathBuf, output: std::path::PathBuf },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().what {
        What::Rating { count, dir } => rating::run(count, &dir),
        What::Sync { ratings, devices, per_device, dir } => drain::run(ratings, devices, per_device, &dir),
        What::Photo { dir } => photo::run(&dir),
        What::PhotoOnce { input, output } => photo::once(&input, &output),
    }
}
