//! `tiyan-bench <what>`: each benchmark prints its own figures and, in the same
//! run, those of the reference it is measured against.

mod figures;
mod footprint;
mod office;
mod photo;
mod province;
mod rating;
mod stats;
mod sync;
mod upward;
mod window;

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
    /// Sync over loopback on each backend: a device draining its queue against
    /// the store's own insert ceiling; a province at its peak; the burst after
    /// an outage.
    Sync {
        /// Ratings queued on the one device.
        #[arg(long, default_value_t = 100_000)]
        ratings: usize,
        /// Kiosks at the peak.
        #[arg(long, default_value_t = 5_000)]
        peak_kiosks: usize,
        /// Single-rating uploads a second, from all of them together.
        #[arg(long, default_value_t = 200)]
        peak_rate: u32,
        #[arg(long, default_value_t = 60)]
        peak_seconds: u64,
        /// Devices with a queue after an outage.
        #[arg(long, default_value_t = 200)]
        burst_devices: usize,
        /// Ratings each of them has queued.
        #[arg(long, default_value_t = 500)]
        burst_per_device: usize,
        /// A PostgreSQL server for the PostgreSQL figures (scripts/bench.sh starts one).
        #[arg(long, env = "TIYAN_BENCH_PG_URL")]
        postgres: Option<String>,
        /// Only these parts (drain, peak, burst) or backends (sqlite, postgres).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// A server holding a province's reference data against one holding one
    /// hall: a kiosk's pull, a single-rating upload, a staff member renamed.
    Province {
        /// A PostgreSQL server for the PostgreSQL figures (scripts/bench.sh starts one).
        #[arg(long, env = "TIYAN_BENCH_PG_URL")]
        postgres: Option<String>,
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// The hall office's ledger list and dashboard over a ledger of many items, on each backend.
    Office {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        /// A PostgreSQL server for the PostgreSQL figures (scripts/bench.sh starts one).
        #[arg(long, env = "TIYAN_BENCH_PG_URL")]
        postgres: Option<String>,
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// A province's month of figures and rankings (50 halls, 10,000,000 ratings), on each backend.
    Figures {
        #[arg(long, default_value_t = 10_000_000)]
        ratings: u64,
        /// `postgres` or `sqlite` only.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// A PostgreSQL server for the PostgreSQL figures (scripts/bench.sh starts one).
        #[arg(long, env = "TIYAN_BENCH_PG_URL")]
        postgres: Option<String>,
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
        /// Leave the generated database behind and print where it is, for `--database`.
        #[arg(long)]
        keep: bool,
        /// Measure a province generated before with `--keep` (a PostgreSQL URL
        /// or an SQLite file) instead of generating one: for working on the
        /// reads without waiting minutes for the data each time.
        #[arg(long)]
        database: Option<String>,
    },
    /// Reporting up to the province's platform (the reference receiver,
    /// answering in 20 ms): an hour's backlog drained after an outage, and the
    /// peak with the sender running, against the peak ingest rate.
    Upward {
        /// Ratings held back while the platform is down.
        #[arg(long, default_value_t = 72_000)]
        backlog: usize,
        #[arg(long, default_value_t = 200)]
        peak_rate: u32,
        #[arg(long, default_value_t = 30)]
        peak_seconds: u64,
        /// How long the platform takes to answer a request.
        #[arg(long, default_value_t = 20)]
        latency_ms: u64,
        #[arg(long, env = "TIYAN_BENCH_PG_URL")]
        postgres: Option<String>,
        /// `postgres` or `sqlite` only.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// The diary photo pipeline on a 12-megapixel JPEG, against ImageMagick and libvips.
    Photo {
        #[arg(long, default_value = "target/bench-data")]
        dir: std::path::PathBuf,
    },
    /// Start to the interactive first screen and the memory of the process tree:
    /// the release app against the minimal Tauri window and Chromium --kiosk.
    Footprint {
        #[arg(long, default_value = "target/release/tiyan-app")]
        app: std::path::PathBuf,
        #[arg(long, default_value = "target/release/tiyan-minimal-tauri")]
        minimal: std::path::PathBuf,
        #[arg(long, default_value = "/usr/bin/chromium")]
        chromium: std::path::PathBuf,
        #[arg(long, default_value = "ui/dist")]
        ui: std::path::PathBuf,
        #[arg(long, default_value = "demo/reference.json")]
        reference: std::path::PathBuf,
    },
    /// A rating request from the window's system until the rating screen shows,
    /// against a tap on the kiosk, in the real app under Xvfb.
    Window {
        /// Requests (and as many taps), interleaved.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        #[arg(long, default_value = "target/release/tiyan-app")]
        app: std::path::PathBuf,
    },
    /// (Used by `photo`: the pipeline once, in its own process.)
    #[command(hide = true)]
    PhotoOnce { input: std::path::PathBuf, output: std::path::PathBuf },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().what {
        What::Rating { count, dir } => rating::run(count, &dir),
        What::Sync {
            ratings,
            peak_kiosks,
            peak_rate,
            peak_seconds,
            burst_devices,
            burst_per_device,
            postgres,
            only,
            dir,
        } => sync::run(sync::Args {
            ratings,
            peak_kiosks,
            peak_rate,
            peak_seconds,
            burst_devices,
            burst_per_device,
            postgres,
            only,
            dir,
        }),
        What::Province { postgres, dir } => province::run(postgres.as_deref(), &dir),
        What::Office { items, postgres, dir } => office::run(items, postgres.as_deref(), &dir),
        What::Figures { ratings, only, postgres, dir, keep, database } => {
            figures::run(&figures::Options { ratings, only, postgres, dir, keep, database })
        }
        What::Upward { backlog, peak_rate, peak_seconds, latency_ms, postgres, only, dir } => {
            upward::run(upward::Args { backlog, peak_rate, peak_seconds, latency_ms, postgres, only, dir })
        }
        What::Photo { dir } => photo::run(&dir),
        What::Footprint { app, minimal, chromium, ui, reference } => {
            footprint::run(&app, &minimal, &chromium, &ui, &reference)
        }
        What::Window { requests, app } => window::run(requests, &app),
        What::PhotoOnce { input, output } => photo::once(&input, &output),
    }
}
