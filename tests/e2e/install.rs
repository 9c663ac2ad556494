//! The packages as a hall's IT meets them: `scripts/package.sh` builds both
//! `.deb`s, `dpkg -i` installs them on this machine, the installed server runs
//! as its own user with the installed configuration, the installed kiosk
//! session starts the installed app (under Xvfb), which enrols with it; a
//! rating arrives, and the administrator's exit ends the session; `dpkg
//! --purge` removes both and leaves nothing behind. Screenshot: target/screenshots/install-*.png.
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

/// Purges the packages if the test ends early.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if installed("tiyan") || installed("tiyan-server") {
            let _ = purge();
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
    run(
        Command::new("bash").arg(workspace().join("scripts/package.sh")).arg("--debug").stdout(Stdio::null()),
        "scripts/package.sh --debug",
    )?;
    let server_deb = deb_in(&workspace().join("target"), "tiyan-server_")?;
    let app_deb = deb_in(&workspace().join("target/debug/bundle/deb"), "Tiyan_")?;

    let _cleanup = Installed;
    run(as_root("dpkg").arg("-i").arg(&server_deb).arg(&app_deb), "dpkg -i")?;

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
