//! `tiyan-server`: the central server and its administration commands.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{Duration, NaiveDate};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use tiyan_core::assessment::Month;
use tiyan_core::protocol::DeviceRole;
use tiyan_server::config::FileConfig;
use tiyan_server::{AppState, Settings};
use tiyan_services::export::Format;
use tiyan_services::housekeeping::Retention;
use tiyan_services::reference_files::{CsvFiles, load_csv, load_json};
use tiyan_services::report::Format as ReportFormat;
use tiyan_services::{Clock, Services, Who, codes};
use tiyan_services::{accounts, assessment, devices, export, reference, upward};
use tiyan_storage::{Location, RatingFilter};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "tiyan-server", version, about = "Tiyan's central server: enrolment, sync, reference data, export")]
struct Cli {
    /// Where the data lives: a SQLite file (the embedded default) or a
    /// postgres:// URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE).
    #[arg(long, env = "TIYAN_SERVER_DB", default_value = "tiyan-server.db", global = true)]
    db: Location,
    /// A configuration file (the package's is /etc/tiyan/server.toml); its
    /// settings give way to flags and environment variables.
    #[arg(long, env = "TIYAN_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Log lines as text or as JSON objects.
    #[arg(long, env = "TIYAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Role {
    Kiosk,
    Officer,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until Ctrl-C or SIGTERM.
    Serve {
        #[arg(long, env = "TIYAN_LISTEN", default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// A proxy in front of the server (nginx) whose X-Forwarded-For is
        /// believed; repeat or separate with commas. Nobody else's is.
        #[arg(long, env = "TIYAN_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxy: Vec<IpAddr>,
        /// Days a served upload's request id is remembered (replays refused).
        #[arg(long, env = "TIYAN_REQUEST_RETENTION_DAYS", default_value_t = 30)]
        request_retention_days: i64,
        /// Days an unfinished photo upload is kept before it is dropped.
        #[arg(long, env = "TIYAN_UPLOAD_RETENTION_DAYS", default_value_t = 7)]
        upload_retention_days: i64,
        /// Days a citizen's call-back number is kept in full after its item
        /// closed (or after the rating, when it made no item); then only its
        /// masked form (PIPL: no longer than needed).
        #[arg(long, env = "TIYAN_PHONE_RETENTION_DAYS", default_value_t = 180)]
        phone_retention_days: i64,
        /// A file holding the token Prometheus sends (Authorization: Bearer …)
        /// to read /metrics; without one there is no /metrics.
        #[arg(long, env = "TIYAN_METRICS_TOKEN_FILE")]
        metrics_token_file: Option<PathBuf>,
        /// The address people and devices reach the server at; an https://
        /// address makes the hall office's cookies Secure.
        #[arg(long, env = "TIYAN_PUBLIC_URL")]
        public_url: Option<String>,
        /// Minutes a hall-office session lasts without use.
        #[arg(long, env = "TIYAN_SESSION_IDLE_MINUTES", default_value_t = 30)]
        session_idle_minutes: i64,
        /// Rehearsal and tests only: the server's clock starts at this moment
        /// (RFC 3339, e.g. 2026-12-31T23:58:00+08:00) and runs on from there:
        /// what the hall office looks like on another day. Never in service.
        #[arg(long, env = "TIYAN_CLOCK_START", hide = true)]
        clock_start: Option<chrono::DateTime<chrono::FixedOffset>>,
    },
    /// Hall-office accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Issue a one-time enrolment code for a device (printed, and as a QR code with --qr).
    Enroll {
        #[arg(long)]
        hall: String,
        /// The window a kiosk stands at.
        #[arg(long)]
        window: Option<String>,
        #[arg(long, value_enum, default_value_t = Role::Kiosk)]
        role: Role,
        /// How long the code stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
        /// The address devices reach the server at (goes into the QR code).
        #[arg(long, env = "TIYAN_PUBLIC_URL", default_value = "http://127.0.0.1:8787")]
        server_url: String,
        /// Also write the code as a QR code PNG here.
        #[arg(long)]
        qr: Option<PathBuf>,
    },
    /// Revoke a device: its next request fails with 401.
    Revoke {
        #[arg(long)]
        device: Uuid,
    },
    /// List enrolled devices.
    Devices,
    /// Import reference data: a tiyan-reference/1 JSON file, or CSV files per section.
    Import {
        /// A JSON reference-data file (photos beside it).
        file: Option<PathBuf>,
        #[arg(long)]
        halls: Option<PathBuf>,
        #[arg(long)]
        windows: Option<PathBuf>,
        /// Columns: id,hall_id,employee_no,name,department_zh,department_en,pin|pin_hash,photo
        #[arg(long)]
        staff: Option<PathBuf>,
        #[arg(long)]
        reasons: Option<PathBuf>,
        #[arg(long)]
        matters: Option<PathBuf>,
        /// Columns: id,name,gender,age,occupation,appointed_from,appointed_to,password|password_hash
        #[arg(long)]
        officers: Option<PathBuf>,
        /// The tree of regions, as the official list of divisions: code,name[,name_en]
        /// (GB/T 2260's six digits, a township's nine, or the statistics bureau's twelve).
        /// Halls hang under them by a `division` column in --halls.
        #[arg(long)]
        regions: Option<PathBuf>,
    },
    /// Export ratings, each once, in device sequence order; or with --diaries
    /// the officers' diary revisions (JSON, photos named by SHA-256).
    Export {
        /// Diary revisions instead of ratings (always JSON).
        #[arg(long)]
        diaries: bool,
        /// With --diaries: also write each photo here as <sha256>.jpg.
        #[arg(long, requires = "diaries")]
        photos: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        #[arg(long)]
        hall: Option<String>,
        #[arg(long)]
        window: Option<String>,
        #[arg(long)]
        staff: Option<String>,
        /// First device date (YYYY-MM-DD), inclusive.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last device date (YYYY-MM-DD), inclusive.
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Include call-back phone numbers in full (masked by default).
        #[arg(long)]
        with_phone: bool,
    },
    /// A checked backup of the database while the server serves: SQLite's
    /// consistent copy (VACUUM INTO), or pg_dump's custom format on PostgreSQL.
    Backup {
        /// The file to write (must not exist).
        #[arg(long, conflicts_with = "dir")]
        out: Option<PathBuf>,
        /// Or a folder: `tiyan-server-<time>.backup` is written there, and the
        /// oldest beyond `--keep` are deleted (the daily timer's way).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// With --dir: how many backups to keep.
        #[arg(long, default_value_t = 14)]
        keep: usize,
    },
    /// Restores a backup into the database of a stopped server: refused if the
    /// backup is damaged or newer than this binary; on SQLite the replaced file
    /// is kept beside it; on PostgreSQL into an empty database (or --replace).
    Restore {
        file: PathBuf,
        /// PostgreSQL: drop what the database holds first.
        #[arg(long)]
        replace: bool,
    },
    /// Reporting up to the province: per day, hall and target, what is queued,
    /// acknowledged, refused and waiting, and the refused records with the
    /// platform's reasons; `--resend` sends refused records again after a fix.
    Upward {
        /// Days to show, ending today.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// Send these refused records again (their numbers, as listed).
        #[arg(long, value_delimiter = ',', conflicts_with = "resend_all")]
        resend: Vec<i64>,
        /// Send every refused record again.
        #[arg(long)]
        resend_all: bool,
    },
    /// A month's figures and rankings (frozen if the month was closed): of one
    /// hall, or of a region's halls ranked side by side (every hall without either).
    Report {
        /// The month, YYYY-MM, of the devices' own dates.
        #[arg(long, value_parser = parse_month)]
        month: Month,
        #[arg(long, conflicts_with = "region")]
        hall: Option<String>,
        /// A region's division code (GB/T 2260): its halls ranked against it.
        #[arg(long, value_parser = parse_division)]
        region: Option<tiyan_core::region::Division>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
        format: ReportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn parse_month(s: &str) -> Result<Month, String> {
    Month::parse(s).ok_or_else(|| format!("{s} is not a month: YYYY-MM"))
}

fn parse_division(s: &str) -> Result<tiyan_core::region::Division, String> {
    tiyan_core::region::Division::parse(s).map_err(|e| e.to_string())
}

#[derive(Subcommand)]
enum UserCommand {
    /// Make an account; the password is read twice from the terminal (or
    /// two lines of standard input). The command line makes supervisors, the
    /// first accounts of a server; the rest are made in the page.
    Add {
        #[arg(long, value_parser = ["supervisor"])]
        role: String,
        /// The person's name as the pages show it.
        #[arg(long)]
        name: String,
        /// What they type to sign in (default: the name if it is a valid
        /// login, else "supervisor").
        #[arg(long)]
        login: Option<String>,
    },
}

/// A new password, typed twice: hidden at a terminal, else two lines of standard input.
fn read_new_password() -> Result<String> {
    use std::io::{BufRead, IsTerminal};
    let (first, second) = if std::io::stdin().is_terminal() {
        (rpassword::prompt_password("Password: ")?, rpassword::prompt_password("Password again: ")?)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || -> Result<String> { Ok(lines.next().transpose()?.unwrap_or_default()) };
        (next()?, next()?)
    };
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

fn main() -> Result<()> {
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches)?;
    if let Some(path) = cli.config.clone() {
        apply_config(&mut cli, &matches, &FileConfig::load(&path)?);
    }
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(cli, file.upward, file.backup.dir))
}

/// The file's settings where neither a flag nor the environment gave one.
fn apply_config(cli: &mut Cli, matches: &ArgMatches, file: &FileConfig) {
    // A global flag may sit before or after the subcommand: unset means unset in both.
    let sub = matches.subcommand().map(|(_, m)| m);
    let unset = |m: Option<&ArgMatches>, id: &str| {
        m.is_none_or(|m| matches!(m.value_source(id), None | Some(ValueSource::DefaultValue)))
    };
    if let Some(db) = &file.database
        && unset(Some(matches), "db")
        && unset(sub, "db")
    {
        cli.db = Location::parse(db);
    }
    match &mut cli.command {
        Command::Serve {
            listen,
            trusted_proxy,
            request_retention_days,
            upload_retention_days,
            phone_retention_days,
            metrics_token_file,
            public_url,
            ..
        } => {
            if let Some(v) = &file.metrics.token_file
                && unset(sub, "metrics_token_file")
            {
                *metrics_token_file = Some(v.clone());
            }
            if let Some(v) = file.listen
                && unset(sub, "listen")
            {
                *listen = v;
            }
            if let Some(v) = &file.trusted_proxies
                && unset(sub, "trusted_proxy")
            {
                *trusted_proxy = v.clone();
            }
            if let Some(v) = file.retention.request_days
                && unset(sub, "request_retention_days")
            {
                *request_retention_days = v;
            }
            if let Some(v) = file.retention.upload_days
                && unset(sub, "upload_retention_days")
            {
                *upload_retention_days = v;
            }
            if let Some(v) = file.retention.phone_days
                && unset(sub, "phone_retention_days")
            {
                *phone_retention_days = v;
            }
            if let Some(v) = &file.public_url
                && unset(sub, "public_url")
            {
                *public_url = Some(v.clone());
            }
        }
        Command::Backup { out: None, dir, keep } => {
            if let Some(v) = &file.backup.dir
                && unset(sub, "dir")
            {
                *dir = Some(v.clone());
            }
            if let Some(v) = file.backup.keep
                && unset(sub, "keep")
            {
                *keep = v;
            }
        }
        Command::Enroll { server_url, .. } => {
            if let Some(v) = &file.public_url
                && unset(sub, "server_url")
            {
                *server_url = v.clone();
            }
        }
        _ => {}
    }
}

async fn run(cli: Cli, upward: Vec<tiyan_services::upward::TargetConfig>, backup_dir: Option<PathBuf>) -> Result<()> {
    // Neither opens the store: a backup reads it as it stands, a restore replaces it.
    match &cli.command {
        Command::Backup { out, dir, keep } => {
            let now = chrono::Utc::now();
            let out = match (out, dir) {
                (Some(out), _) => out.clone(),
                (None, Some(dir)) => {
                    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
                    dir.join(tiyan_server::backups::name(now))
                }
                (None, None) => anyhow::bail!("give --out FILE or --dir DIR (or [backup] dir in the configuration)"),
            };
            let info = tiyan_server::database::backup(&cli.db, &out)
                .await
                .with_context(|| format!("backing up the {}", cli.db))?;
            let ratings = info.ratings.map(|n| format!(", {n} ratings")).unwrap_or_default();
            eprintln!(
                "backup written to {} and checked: schema {}{ratings}, {} bytes",
                out.display(),
                info.schema,
                info.bytes
            );
            if let Some(dir) = dir {
                for old in tiyan_server::backups::beyond(dir, *keep)? {
                    std::fs::remove_file(&old).with_context(|| format!("removing {}", old.display()))?;
                    eprintln!("removed {} (keeping the newest {keep})", old.display());
                }
            }
            return Ok(());
        }
        Command::Restore { file, replace } => {
            let now = chrono::Utc::now();
            let (info, kept) = tiyan_server::database::restore(&cli.db, file, *replace, now)
                .await
                .with_context(|| format!("restoring {} into the {}", file.display(), cli.db))?;
            if let Some(k) = kept {
                eprintln!("the database that was there is kept as {}", k.display());
            }
            let store =
                tiyan_server::database::open(&cli.db).await.with_context(|| format!("opening the {}", cli.db))?;
            let cx = Services::new(store, Clock::system());
            let detail = format!("{} (schema {}, {} bytes)", file.display(), info.schema, info.bytes);
            tiyan_services::audit::record(
                &cx,
                &Who::console(cx.now()),
                tiyan_services::audit::AuditAction::DatabaseRestored,
                "database",
                &detail,
            )
            .await?;
            eprintln!(
                "restored from {}: schema {}; start the server, the devices send what it lacks",
                file.display(),
                info.schema
            );
            return Ok(());
        }
        _ => {}
    }
    let store = tiyan_server::database::open(&cli.db).await.with_context(|| format!("opening the {}", cli.db))?;
    match cli.command {
        Command::Serve {
            listen,
            trusted_proxy,
            request_retention_days,
            upload_retention_days,
            phone_retention_days,
            metrics_token_file,
            public_url,
            session_idle_minutes,
            clock_start,
        } => {
            let clock = clock_start.map_or_else(Clock::system, |start| {
                tracing::warn!(%start, "the server's clock was started at another moment: a rehearsal, not service");
                Clock::starting_at(start.to_utc())
            });
            let upward = upward.iter().map(|t| t.resolve().map(std::sync::Arc::new)).collect::<Result<Vec<_>>>()?;
            let metrics_token = match &metrics_token_file {
                Some(path) => {
                    let token = std::fs::read_to_string(path)
                        .with_context(|| format!("reading the metrics token {}", path.display()))?;
                    anyhow::ensure!(token.trim().len() >= 16, "the metrics token in {} is too short", path.display());
                    Some(tiyan_infra::secret::token_digest(token.trim()))
                }
                None => None,
            };
            let settings = Settings {
                upward,
                metrics_token,
                backup_dir,
                trusted_proxies: trusted_proxy,
                public_url,
                session_idle: Duration::minutes(session_idle_minutes.max(1)),
                clock,
                retention: Retention {
                    seen_requests: Duration::days(request_retention_days.max(1)),
                    photo_uploads: Duration::days(upload_retention_days.max(1)),
                    phones: Duration::days(phone_retention_days.max(1)),
                },
                ..Settings::default()
            };
            tracing::info!(db = %cli.db, "data store open");
            let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
            tiyan_server::serve(listener, AppState::with_settings(store, settings), shutdown_signal()).await?;
            tracing::info!("stopped");
            Ok(())
        }
        // Every other command goes through the same services as the pages, as
        // the console: the same checks, and the audit log names it.
        command => console(Services::new(store, Clock::system()), command).await,
    }
}

async fn console(cx: Services, command: Command) -> Result<()> {
    let who = Who::console(cx.now());
    match command {
        Command::Serve { .. } | Command::Backup { .. } | Command::Restore { .. } => unreachable!("done above"),
        Command::Enroll { hall, window, role, valid_hours, server_url, qr } => {
            let role = match role {
                Role::Kiosk => DeviceRole::Kiosk,
                Role::Officer => DeviceRole::Officer,
            };
            let valid = Duration::hours(valid_hours);
            let code = devices::issue_code(&cx, &who, role, &hall, window.as_deref(), valid).await?;
            println!("{code}");
            eprintln!(
                "enrolment code for {role:?} at {hall} {}, valid for {valid_hours} h",
                window.unwrap_or_default()
            );
            if let Some(path) = qr {
                codes::write_qr_png(&codes::enrolment_uri(&server_url, &code), &path)?;
                eprintln!("QR code written to {}", path.display());
            }
            Ok(())
        }
        Command::User { action: UserCommand::Add { role: _, name, login } } => {
            // A name in Chinese is no login: then the login is "supervisor", said below.
            let login = login.unwrap_or_else(|| {
                if accounts::normalize_login(&name).is_ok() { name.clone() } else { "supervisor".to_string() }
            });
            let password = read_new_password()?;
            let form = accounts::AccountForm {
                login: &login,
                name: &name,
                role: tiyan_core::accounts::Role::Supervisor,
                place: tiyan_core::accounts::Place::Everywhere,
                password: &password,
            };
            let account = accounts::create(&cx, &who, &form).await?;
            eprintln!("supervisor {} ({}) made: sign in at /admin", account.name, account.login);
            Ok(())
        }
        Command::Revoke { device } => {
            devices::revoke(&cx, &who, device).await?;
            eprintln!("device {device} revoked: its next request will be refused");
            Ok(())
        }
        Command::Devices => {
            for d in devices::list(&cx, &who).await? {
                let dev = &d.device;
                println!(
                    "{}\t{:?}\t{}\t{}\t{}\t{} ratings\t{}",
                    dev.id,
                    dev.role,
                    dev.hall_id,
                    dev.window_id.as_deref().unwrap_or("-"),
                    dev.name,
                    d.ratings,
                    if dev.revoked_at.is_some() { "revoked" } else { "active" }
                );
            }
            Ok(())
        }
        Command::Import { file, halls, windows, staff, reasons, matters, officers, regions } => {
            let loaded = match file {
                Some(f) => load_json(&f)?,
                None => load_csv(&CsvFiles { halls, windows, staff, reasons, matters, officers, regions })?,
            };
            let version = reference::import(&cx, &who, loaded).await?;
            eprintln!("reference data is at version {version}");
            Ok(())
        }
        Command::Report { month, hall, region, format, out } => {
            let of = assessment::ReportOf { hall: hall.as_deref(), region: region.as_ref() };
            let report = assessment::report(&cx, &who, month, of).await?;
            match out {
                Some(path) => {
                    let mut file =
                        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                    tiyan_services::report::write(&mut file, &report, format)?;
                    eprintln!("the figures of {month} written to {}", path.display());
                }
                None if format == ReportFormat::Xlsx && std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
                    anyhow::bail!("a workbook is not for the terminal: give --out FILE")
                }
                None => tiyan_services::report::write(&mut std::io::stdout().lock(), &report, format)?,
            }
            Ok(())
        }
        Command::Upward { days, resend, resend_all } => {
            if resend_all || !resend.is_empty() {
                let n = upward::resend(&cx, &who, &resend).await?;
                eprintln!("{n} refused records will be sent again");
            }
            let (from, to) = upward::span(tiyan_core::workdays::china_date(who.now), days);
            let r = upward::reconciliation(&cx, &who, from, to).await?;
            println!("day\thall\ttarget\tqueued\tacknowledged\trefused\twaiting\tsent, no answer yet");
            for d in &r.days {
                let day = d.day.map(|d| d.to_string()).unwrap_or_default();
                println!(
                    "{day}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    d.hall_id, d.target, d.queued, d.acknowledged, d.refused, d.waiting, d.sent
                );
            }
            for x in &r.refused {
                println!("refused\t{}\t{}\t{}\t{}\t{}\t{}", x.seq, x.day, x.hall_id, x.target, x.record_id, x.reason);
            }
            Ok(())
        }
        Command::Export { diaries: true, photos, out, .. } => export_diaries(&cx, &who, photos, out).await,
        Command::Export { format, hall, window, staff, from, to, out, with_phone, .. } => {
            let filter = RatingFilter { halls: hall.map(|h| vec![h]), window_id: window, staff_id: staff, from, to };
            let ratings = export::ratings(&cx, &who, filter, with_phone).await?;
            match out {
                Some(path) => {
                    let mut file =
                        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
                    export::write(&mut file, &ratings, format, with_phone)?;
                    eprintln!("{} ratings written to {}", ratings.len(), path.display());
                }
                None => export::write(&mut std::io::stdout().lock(), &ratings, format, with_phone)?,
            }
            Ok(())
        }
    }
}

async fn export_diaries(cx: &Services, who: &Who<'_>, photos: Option<PathBuf>, out: Option<PathBuf>) -> Result<()> {
    let revisions = export::diaries(cx, who).await?;
    let json = serde_json::to_vec_pretty(&revisions)?;
    match &out {
        Some(path) => std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?,
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), &json)?,
    }
    if let Some(dir) = photos {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let hashes: std::collections::BTreeSet<&str> =
            revisions.iter().flat_map(|r| r.revision.body.photos.iter().map(|p| p.sha256.as_str())).collect();
        for sha in &hashes {
            match export::diary_photo(cx, sha).await? {
                Some(bytes) => std::fs::write(dir.join(format!("{sha}.jpg")), bytes)
                    .with_context(|| format!("writing photo {sha}"))?,
                None => eprintln!("photo {sha} has not arrived yet"),
            }
        }
        eprintln!("{} photos written to {}", hashes.len(), dir.display());
    }
    eprintln!("{} diary revisions exported", revisions.len());
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    // SIGTERM is how a service manager stops the server; Windows has no such signal.
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
