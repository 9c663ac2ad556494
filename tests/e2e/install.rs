//! The packages as a hall's IT meets them: `scripts/package.sh --repo` builds
//! both `.deb`s (lintian finds no error in either) and a signed apt repository,
//! served here over HTTP; `tiyan-kiosk-setup --updates` points this machine at
//! it and apt installs both from it; the installed server runs as its own user
//! with the installed configuration, the installed kiosk session starts the
//! installed app (under Xvfb), which enrols with it; a rating arrives; IT edits
//! `/etc/tiyan/server.toml`; with the server down a second rating waits in the
//! kiosk's outbox and the administrator's exit ends the session. A newer
//! version is published to the repository and `unattended-upgrade` takes it:
//! the edited conffile is kept, the server holds its data, the kiosk session
//! comes back on the new package and the waiting rating arrives. `dpkg --purge`
//! removes both and leaves nothing behind. Screenshot: target/screenshots/install-*.png.
//!
//! It changes the machine (packages, a system user), so it needs root (or
//! password-less sudo), and refuses to run where Tiyan is already installed.
//! The packages are built from the debug builds the suite has made already.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tiyan_system_tests::{
    ADMIN_PIN, App, Guard, app_pid, demo_reference, free_port, wait_for_port, wait_gone, workspace,
};

const LONG: Duration = Duration::from_secs(30);
const CONFIG: &str = "/etc/tiyan/server.toml";
const STATE: &str = "/var/lib/tiyan-server";

/// A command run as root: directly when we are root, else through `sudo -n`.
fn as_root(program: &str) -> Command {
    if is_root() {
        Command::new(program)
    } else {
        let mut c = Command::new("sudo");
        c.args(["-n", program]);
        c
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}

/// The installed server, as the user the package made for it, on the installed configuration.
fn installed_server(args: &[&str]) -> Command {
    let mut c = as_root("setpriv");
    c.args(["--reuid=tiyan-server", "--regid=tiyan-server", "--init-groups", "/usr/bin/tiyan-server"]);
    c.args(["--config", CONFIG]).args(args).env("RUST_LOG", "warn");
    c
}

fn run(c: &mut Command, what: &str) -> Result<Output> {
    let out = c.output().with_context(|| what.to_string())?;
    ensure!(
        out.status.success(),
        "{what}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn deb_in(dir: &Path, prefix: &str) -> Result<PathBuf> {
    std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && n.ends_with(".deb")))
        .with_context(|| format!("no {prefix}*.deb in {}", dir.display()))
}

fn purge() -> Result<()> {
    run(as_root("dpkg").args(["--purge", "tiyan", "tiyan-server"]), "dpkg --purge")?;
    Ok(())
}

/// What `tiyan-kiosk-setup --updates` writes outside the packages.
const UPDATE_FILES: [&str; 5] = [
    "/etc/apt/sources.list.d/tiyan.list",
    "/etc/apt/apt.conf.d/51tiyan-unattended-upgrades",
    "/usr/share/keyrings/tiyan-archive-keyring.gpg",
    "/etc/systemd/system/apt-daily.timer.d/tiyan.conf",
    "/etc/systemd/system/apt-daily-upgrade.timer.d/tiyan.conf",
];

/// `apt-get` on the Tiyan source only (this machine's other sources are left alone).
fn apt(args: &[&str]) -> Command {
    let mut c = as_root("apt-get");
    c.args([
        "-o",
        "Dir::Etc::sourcelist=sources.list.d/tiyan.list",
        "-o",
        "Dir::Etc::sourceparts=-",
        "-o",
        "APT::Get::List-Cleanup=0",
    ]);
    c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    c
}

/// Replaces `path`'s contents as root keeps its owner and mode (`tee`).
fn write_as_root(path: &str, contents: &str) -> Result<()> {
    use std::io::Write;
    let mut tee = as_root("tee").arg(path).stdin(Stdio::piped()).stdout(Stdio::null()).spawn()?;
    tee.stdin.take().context("tee's stdin")?.write_all(contents.as_bytes())?;
    ensure!(tee.wait()?.success(), "writing {path}");
    Ok(())
}

fn version_of(package: &str) -> Result<String> {
    let out = run(Command::new("dpkg-query").args(["-W", "-f=${Version}", package]), "dpkg-query")?;
    Ok(String::from_utf8(out.stdout)?)
}

/// Builds the packages and the repository (`version`: the packages' version).
fn package(version: &str) -> Result<()> {
    run(
        Command::new("bash")
            .arg(workspace().join("scripts/package.sh"))
            .args(["--debug", "--repo"])
            .env("TIYAN_PACKAGE_VERSION", version)
            .stdout(Stdio::null()),
        "scripts/package.sh --debug --repo",
    )?;
    Ok(())
}

/// Purges the packages if the test ends early.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if installed("tiyan") || installed("tiyan-server") {
            let _ = purge();
        }
        for file in UPDATE_FILES {
            let _ = as_root("rm").args(["-f", file]).status();
        }
        for dir in ["/etc/systemd/system/apt-daily.timer.d", "/etc/systemd/system/apt-daily-upgrade.timer.d"] {
            let _ = as_root("rmdir").args(["--ignore-fail-on-non-empty", dir]).status();
        }
    }
}

fn uid_of(user: &str) -> Option<u32> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find(|l| l.starts_with(&format!("{user}:")))?.split(':').nth(2)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn both_packages_install_work_together_and_purge_cleanly() -> Result<()> {
    ensure!(is_root() || Command::new("sudo").args(["-n", "true"]).status()?.success(), "needs root or sudo -n");
    ensure!(
        !installed("tiyan") && !installed("tiyan-server"),
        "Tiyan is installed on this machine already: this test installs and purges its own packages"
    );
    let first = env!("CARGO_PKG_VERSION").to_string();
    // The repository holds what this run publishes only: an earlier run's newer
    // version left there would be what apt installs first.
    match std::fs::remove_dir_all(workspace().join("target/apt")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }
    package(&first)?;
    let server_deb = deb_in(&workspace().join("target"), "tiyan-server_")?;
    let app_deb = deb_in(&workspace().join("target/debug/bundle/deb"), "Tiyan_")?;
    // lintian: no error in either package; the warnings left are the ones the README explains.
    let lint = Command::new("lintian").args(["--tag-display-limit", "0"]).arg(&server_deb).arg(&app_deb).output()?;
    let tags: Vec<String> = String::from_utf8_lossy(&lint.stdout)
        .lines()
        .filter(|l| l.starts_with("E:") || l.starts_with("W:"))
        .map(str::to_string)
        .collect();
    ensure!(lint.status.success(), "lintian: {tags:?}");
    ensure!(tags.iter().all(|t| t.starts_with("W:") && t.contains("no-manual-page")), "lintian: {tags:?}");

    // The hall's repository, served as its web server would, and this machine pointed at it.
    let repo = workspace().join("target/apt");
    let repo_port = free_port();
    let _web = Guard(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &repo_port.to_string(), "--directory"])
            .arg(&repo)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(repo_port).await?;
    let _cleanup = Installed;
    let repo_url = format!("http://127.0.0.1:{repo_port}/");
    let key = repo.join("tiyan-archive-keyring.gpg");
    let setup = workspace().join("packaging/kiosk/tiyan-kiosk-setup");
    run(as_root("sh").arg(&setup).args(["--updates", &repo_url]).arg(&key), "tiyan-kiosk-setup --updates")?;
    let source = std::fs::read_to_string(UPDATE_FILES[0])?;
    ensure!(source.contains("signed-by=/usr/share/keyrings/tiyan-archive-keyring.gpg"), "{source}");
    let unattended = std::fs::read_to_string(UPDATE_FILES[1])?;
    ensure!(unattended.contains("origin=Tiyan") && unattended.contains("#clear"), "Tiyan's packages only");
    ensure!(std::fs::read_to_string(UPDATE_FILES[4])?.contains("OnCalendar=*-*-* 02:30"), "at night");
    run(&mut apt(&["update", "-q"]), "apt-get update")?;
    run(&mut apt(&["install", "-y", "-q", "--no-install-recommends", "tiyan-server", "tiyan"]), "apt-get install")?;
    ensure!(version_of("tiyan")? == first && version_of("tiyan-server")? == first);

    // What the packages put on the machine.
    let uid = uid_of("tiyan-server").context("the package made no tiyan-server user")?;
    {
        use std::os::unix::fs::MetadataExt;
        ensure!(std::fs::metadata(STATE)?.uid() == uid, "{STATE} belongs to the service user");
    }
    let conffiles = run(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", "tiyan-server"]), "dpkg-query")?;
    ensure!(String::from_utf8_lossy(&conffiles.stdout).contains(CONFIG), "{CONFIG} is a conffile");
    let unit = std::fs::read_to_string("/lib/systemd/system/tiyan-server.service")?;
    for line in ["User=tiyan-server", "NoNewPrivileges=yes", "ProtectSystem=strict", "--config /etc/tiyan/server.toml"]
    {
        ensure!(unit.contains(line), "the unit lacks {line}");
    }
    for file in [
        "/usr/bin/tiyan-app",
        "/usr/bin/tiyan-kiosk-session",
        "/usr/sbin/tiyan-kiosk-setup",
        "/lib/systemd/system/tiyan-kiosk.service",
        "/usr/share/applications/Tiyan.desktop",
    ] {
        ensure!(Path::new(file).exists(), "the app package lacks {file}");
    }

    // The server as its service runs it: its own user, the installed
    // configuration (database under /var/lib/tiyan-server); only the port is
    // given here, through the environment, which overrides the file.
    let reference = tempfile::tempdir()?;
    copy_demo(reference.path())?;
    run(&mut installed_server(&["import", &reference.path().join("reference.json").display().to_string()]), "import")?;
    let enrol = run(&mut installed_server(&["enroll", "--hall", "jianghai", "--window", "jianghai-w02"]), "enroll")?;
    let code = String::from_utf8(enrol.stdout)?.trim().to_string();
    let port = free_port();
    let server = installed_server(&["serve"])
        .env("TIYAN_LISTEN", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .context("starting the installed server")?;
    let server = Guard(server);
    wait_for_port(port).await?;
    let url = format!("http://127.0.0.1:{port}");
    let health = String::from_utf8(run(&mut curl(&format!("{url}/api/v1/health")), "health")?.stdout)?;
    ensure!(health.contains(r#""backend":"sqlite""#), "{health}");
    let db = Path::new(STATE).join("tiyan-server.db");
    {
        use std::os::unix::fs::MetadataExt;
        ensure!(std::fs::metadata(&db)?.uid() == uid, "the database is the service user's");
    }

    // The installed kiosk session starts the installed app, which enrols with
    // the server, and a citizen rates.
    let data = tempfile::tempdir()?;
    let app = App::launch_via(
        Path::new("/usr/bin/tiyan-kiosk-session"),
        &[],
        &data.path().join("kiosk"),
        &["--server", &url, "--enrolment-code", &code],
    )
    .await?;
    let rated = app.rate_once_after_enrolment(5, 4, LONG).await;
    if rated.is_err() {
        let _ = app.screenshot("install-failed").await;
    }
    rated?;
    app.screenshot("install-01-installed-kiosk-rated").await?;
    let deadline = Instant::now() + LONG;
    loop {
        let held: i64 = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?
            .query_row("SELECT count(*) FROM ratings WHERE window_id = 'jianghai-w02'", [], |r| r.get(0))?;
        if held == 1 {
            break;
        }
        if Instant::now() > deadline {
            bail!("the rating did not reach the installed server ({held} held)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The nightly backup as its timer's service runs it: where and how many from the installed configuration.
    let timer = std::fs::read_to_string("/lib/systemd/system/tiyan-server-backup.timer")?;
    ensure!(timer.contains("OnCalendar=") && timer.contains("Persistent=true"), "{timer}");
    run(&mut installed_server(&["backup"]), "backup")?;
    let backups: Vec<_> = std::fs::read_dir(Path::new(STATE).join("backups"))?.flatten().collect();
    ensure!(backups.len() == 1, "one backup in {STATE}/backups, not {}", backups.len());
    let copy = rusqlite::Connection::open_with_flags(backups[0].path(), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let held: i64 = copy.query_row("SELECT count(*) FROM ratings", [], |r| r.get(0))?;
    ensure!(held == 1, "the backup holds the rating");

    // IT edits the installed configuration.
    let edited = format!("{}\n# Edited by the hall's IT on the first day.\n", std::fs::read_to_string(CONFIG)?);
    write_as_root(CONFIG, &edited)?;
    // The server goes down; a citizen rates; the rating waits in the kiosk's outbox.
    drop(server);
    app.wait_screen("welcome", LONG).await?;
    app.click("welcome-start").await?;
    app.wait_screen("rate", LONG).await?;
    app.click("level-attitude-4").await?;
    app.click("level-competence-5").await?;
    app.click("rate-submit").await?;
    app.wait_screen("thanks", LONG).await?;

    // The administrator leaves with the PIN: the session ends and starts nothing again.
    let pid = app_pid(&data.path().join("kiosk"))?;
    app.wait_screen("welcome", LONG).await?;
    app.click("admin-open").await?;
    app.keypad("admin-pin", ADMIN_PIN).await?;
    app.wait_screen("admin", LONG).await?;
    app.click("admin-exit").await?;
    // The app ends while the click is answered: the driver may report that as
    // an error. What counts is checked next: the process is gone for good.
    let _ = app.click("admin-exit-confirm").await;
    wait_gone(pid)?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    ensure!(app_pid(&data.path().join("kiosk"))? == pid, "the session started the app again after the exit");
    let _ = tokio::time::timeout(Duration::from_secs(5), app.client.close()).await;

    // A newer version published to the repository; the night's unattended upgrade takes it.
    let newer = format!("{first}+1");
    package(&newer)?;
    run(&mut apt(&["update", "-q"]), "apt-get update")?;
    run(as_root("unattended-upgrade").arg("-v"), "unattended-upgrade")?;
    ensure!(
        version_of("tiyan")? == newer && version_of("tiyan-server")? == newer,
        "not upgraded by unattended-upgrade"
    );
    ensure!(std::fs::read_to_string(CONFIG)? == edited, "the edited {CONFIG} was not kept");
    run(as_root("dpkg").args(["--verify", "tiyan", "tiyan-server"]), "dpkg --verify")?;
    // The server on the new package holds its data; the kiosk session on the new
    // package sends the rating that waited.
    let server = Guard(
        installed_server(&["serve"])
            .env("TIYAN_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .context("starting the upgraded server")?,
    );
    wait_for_port(port).await?;
    let app = App::launch_via(Path::new("/usr/bin/tiyan-kiosk-session"), &[], &data.path().join("kiosk"), &[]).await?;
    app.wait_screen("welcome", LONG).await?;
    app.screenshot("install-02-upgraded-kiosk").await?;
    let deadline = Instant::now() + LONG;
    loop {
        let held: i64 = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?
            .query_row("SELECT count(*) FROM ratings WHERE window_id = 'jianghai-w02'", [], |r| r.get(0))?;
        if held == 2 {
            break;
        }
        ensure!(Instant::now() < deadline, "the waiting rating did not reach the upgraded server ({held} held)");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), app.client.close()).await;
    drop(server);

    // Removed again: binaries, the user and its data (purge) are gone.
    purge()?;
    for gone in ["/usr/bin/tiyan-app", "/usr/bin/tiyan-server", CONFIG, STATE, "/usr/bin/tiyan-kiosk-session"] {
        ensure!(!Path::new(gone).exists(), "{gone} is still there after the purge");
    }
    ensure!(uid_of("tiyan-server").is_none(), "the purge leaves the service user behind");
    Ok(())
}

fn curl(url: &str) -> Command {
    let mut c = Command::new("curl");
    c.args(["-fsS", "--max-time", "10", url]);
    c
}

/// The demo reference data and its photos, readable by the service user.
fn copy_demo(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let source = demo_reference();
    let from = source.parent().context("demo folder")?;
    std::fs::copy(&source, dir.join("reference.json"))?;
    std::fs::create_dir_all(dir.join("photos"))?;
    for photo in std::fs::read_dir(from.join("photos"))?.flatten() {
        std::fs::copy(photo.path(), dir.join("photos").join(photo.file_name()))?;
    }
    for path in [dir.to_path_buf(), dir.join("photos")] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}
