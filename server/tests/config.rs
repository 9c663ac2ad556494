//! The configuration file as the installed server uses it: its database and
//! listen address are used, a flag or an environment variable overrides them,
//! and a misspelt key stops the server with a message instead of being ignored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tiyan-server"));
    c.env_remove("TIYAN_SERVER_DB").env_remove("TIYAN_LISTEN").env_remove("TIYAN_CONFIG").env("RUST_LOG", "warn");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn demo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo/reference.json")
}

/// Whether a server answers on `port` within a few seconds.
fn answers(port: u16) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn the_file_is_used_and_flags_and_the_environment_win() {
    let dir = tempfile::tempdir().unwrap();
    let (file_db, flag_db) = (dir.path().join("from-file.db"), dir.path().join("from-flag.db"));
    let (file_port, env_port) = (free_port(), free_port());
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:{file_port}\"\ndatabase = \"{}\"\n[retention]\nrequest_days = 10\n",
            file_db.display()
        ),
    )
    .unwrap();

    // The database: the file's, unless --db says otherwise.
    assert!(server().arg("--config").arg(&config).arg("import").arg(demo()).status().unwrap().success());
    assert!(file_db.exists());
    assert!(
        server()
            .arg("--config")
            .arg(&config)
            .args(["--db"])
            .arg(&flag_db)
            .arg("import")
            .arg(demo())
            .status()
            .unwrap()
            .success()
    );
    assert!(flag_db.exists());

    // The listen address: the file's, unless the environment says otherwise.
    let mut child = server().arg("--config").arg(&config).arg("serve").stdout(Stdio::null()).spawn().unwrap();
    let listening = answers(file_port);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(listening, "the file's listen address is used");
    let mut child = server()
        .env("TIYAN_LISTEN", format!("127.0.0.1:{env_port}"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let listening = answers(env_port);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(listening, "the environment overrides the file");

    // A misspelt key, or a file that is not there: a message, no server.
    std::fs::write(&config, "listn = \"127.0.0.1:1\"\n").unwrap();
    let out = server().arg("--config").arg(&config).arg("devices").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("listn"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = server().arg("--config").arg(dir.path().join("missing.toml")).arg("devices").output().unwrap();
    assert!(!out.status.success());
}
