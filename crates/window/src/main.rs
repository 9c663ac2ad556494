//! `tiyan-window`: plays the window's queue and case system (叫号 / 综窗)
//! against a kiosk's window link, for demos, rehearsals and tests.
//!
//!     tiyan-window --token <TOKEN> sign-in 100102
//!     tiyan-window --token <TOKEN> rate B20261204-0007 --ticket A012 --matter 营业执照变更
//!     tiyan-window --token <TOKEN> pause | resume | status | sign-out
//!
//! It prints the kiosk's answer; it exits 0 when the kiosk did it, 1 when the
//! kiosk refused (the code says why), 2 when the kiosk could not be reached.

use clap::{Parser, Subcommand};
use tiyan_window::{Case, Link, default_kiosk};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "tiyan-window", version, about = "Plays a hall window's queue and case system against a Tiyan kiosk")]
struct Cli {
    /// The kiosk's window link.
    #[arg(long, env = "TIYAN_WINDOW_KIOSK", default_value_t = default_kiosk())]
    kiosk: String,
    /// The token the kiosk's admin screen showed when it was made.
    #[arg(long, env = "TIYAN_WINDOW_TOKEN", hide_env_values = true)]
    token: String,
    /// The request's id; give the same one to send a request again after a lost answer (default: a new one).
    #[arg(long)]
    request_id: Option<Uuid>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Signs in the staff member with this employee number (the window's system has identified them).
    SignIn { employee_no: String },
    /// Signs the staff member out.
    SignOut,
    /// Asks the citizen to rate this case, done at the window just now.
    Rate {
        case_no: String,
        /// The queue ticket the citizen was called by.
        #[arg(long)]
        ticket: Option<String>,
        /// The matter handled.
        #[arg(long)]
        matter: Option<String>,
    },
    /// Pauses the window (挂起): the kiosk shows "window paused" and takes no ratings.
    Pause,
    /// Resumes the window.
    Resume,
    /// Who is signed in, paused or not, the last case asked for and whether it was rated.
    Status,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = Cli::parse();
    let id = cli.request_id.unwrap_or_else(Uuid::now_v7);
    let answer = async {
        let link = Link::new(&cli.kiosk, &cli.token)?;
        match cli.command {
            Command::SignIn { employee_no } => link.sign_in(id, &employee_no).await,
            Command::SignOut => link.sign_out(id).await,
            Command::Rate { case_no, ticket, matter } => {
                link.rate(id, &Case { case_no, ticket_no: ticket, matter }).await
            }
            Command::Pause => link.pause(id).await,
            Command::Resume => link.resume(id).await,
            Command::Status => link.status().await,
        }
    }
    .await;
    match answer {
        Ok(a) if a.ok() => {
            println!("{}", serde_json::to_string_pretty(a.value()).unwrap_or_default());
        }
        Ok(a) => {
            eprintln!(
                "tiyan-window: the kiosk refused ({} {}): {}",
                a.status,
                a.code().unwrap_or("?"),
                a.message().unwrap_or("")
            );
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("tiyan-window: {e:#}");
            std::process::exit(2);
        }
    }
}
