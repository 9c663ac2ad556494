//! A province's setup: two `tiyan-server` processes on one PostgreSQL behind
//! nginx (Debian's package, round robin), started here on loopback ports.
//! Kiosks drain thousands of ratings through nginx while one server process,
//! then the other, is killed with SIGKILL and started again. At the end every
//! rating a device holds is on the server exactly once, and both processes,
//! asked directly, say the same of every device's stream as the device does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tiyan_client::Kiosk;
use tiyan_client::sync::api::Api;
use tiyan_client::sync::transport::Http;
use tiyan_core::protocol::RecordKind;
use tiyan_server::testing::{Backend, TestDb};
use tiyan_system_tests::proxy::{Fault, FaultProxy};
use tiyan_system_tests::sync_rig::{assert_same, drain_retrying, kiosk_code, kiosk_enrolled_with, rate, server_cli};
use tiyan_system_tests::{Guard, demo_reference, free_port};

const KIOSKS: usize = 4;
const RATINGS: usize = 2500;

fn nginx_binary() -> Result<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .context("nginx is not installed: scripts/setup.sh installs Debian's nginx package (apt-get install nginx)")
}

fn wait_for_port(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        ensure!(Instant::now() < deadline, "{what} did not start on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

fn start_server(db: &str, port: u16) -> Result<Guard> {
    let child = server_cli(db)?
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--trusted-proxy", "127.0.0.1"])
        .stdout(Stdio::null())
        .spawn()
        .context("starting tiyan-server")?;
    let guard = Guard(child);
    wait_for_port(port, "tiyan-server")?;
    Ok(guard)
}

/// nginx in the foreground, its files in `dir`, round robin over `upstreams`.
fn start_nginx(dir: &Path, port: u16, upstreams: &[u16]) -> Result<Child> {
    for sub in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    // Run as root, nginx's workers become `nobody`: they must reach their files.
    let _ = Command::new("chmod").args(["-R", "a+rwX"]).arg(dir).status();
    let servers: String =
        upstreams.iter().map(|p| format!("        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n")).collect();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n    access_log off;\n    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n\
         client_max_body_size 8m;\n    client_body_buffer_size 8m;\n\
         upstream tiyan {{\n{servers}        keepalive 16;\n    }}\n\
         server {{\n        listen 127.0.0.1:{port};\n        location / {{\n            proxy_pass http://tiyan;\n\
         proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n\
         proxy_set_header Host $host;\n            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         }}\n    }}\n}}\n"
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf)?;
    let child = Command::new(nginx_binary()?)
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting nginx")?;
    wait_for_port(port, "nginx").map_err(|e| {
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        e.context(log)
    })?;
    Ok(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_behind_nginx_survive_kills_and_store_each_rating_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = TestDb::new(Backend::Postgres).await;
    let url = db.arg();
    let status =
        server_cli(&url)?.arg("import").arg(demo_reference()).stdout(Stdio::null()).stderr(Stdio::null()).status()?;
    ensure!(status.success(), "import failed");
    let ports = [free_port(), free_port()];
    let mut processes = [start_server(&url, ports[0])?, start_server(&url, ports[1])?];
    let nginx_port = free_port();
    let nginx = Guard(start_nginx(&dir.path().join("nginx"), nginx_port, &ports)?);
    // A link with some latency, so that the kills land while pages are in flight.
    let proxy = FaultProxy::start(([127, 0, 0, 1], nginx_port).into()).await;
    let front = proxy.url();

    let mut kiosks = Vec::new();
    for i in 0..KIOSKS {
        let kiosk = kiosk_enrolled_with(&dir.path().join(format!("kiosk-{i}")), &front, &kiosk_code(&url)?).await?;
        rate(&kiosk, RATINGS)?;
        kiosks.push(kiosk);
    }
    proxy.set(Fault::Slow { chunk: 4096, pause_ms: 4 });
    let total = (KIOSKS * RATINGS) as u64;
    let waiting = |kiosks: &[Kiosk]| -> Result<u64> { kiosks.iter().map(|k| Ok(k.store().waiting()?)).sum() };

    let drains: Vec<_> = kiosks
        .iter()
        .map(|k| {
            tokio::spawn(drain_retrying(
                k.shared_store(),
                front.clone(),
                Duration::from_secs(120),
                Duration::from_millis(50),
            ))
        })
        .collect();
    let killer = async {
        // Kill each process once, mid-drain, and start it again on its port.
        for (n, share) in [(0usize, 0.15f64), (1, 0.55)] {
            let deadline = Instant::now() + Duration::from_secs(60);
            while (waiting(&kiosks)? as f64) > total as f64 * (1.0 - share) {
                ensure!(Instant::now() < deadline, "no progress before killing process {n}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            if waiting(&kiosks)? == 0 {
                bail!("the drain finished before process {n} was killed: slow the link down");
            }
            processes[n].0.kill()?; // SIGKILL
            processes[n].0.wait()?;
            tokio::time::sleep(Duration::from_millis(400)).await;
            processes[n] = start_server(&url, ports[n])?;
        }
        Ok::<_, anyhow::Error>(())
    };
    killer.await?;
    let mut failures = 0;
    for d in drains {
        failures += d.await??;
    }
    println!("{total} ratings drained through nginx; {failures} rounds failed while a process was down");

    let store = db.open().await;
    for kiosk in &kiosks {
        ensure!(assert_same(store.as_ref(), kiosk).await? == RATINGS);
        let last = kiosk.store().last_seq(RecordKind::Rating)?;
        for port in ports {
            // Each process, asked directly, holds the same stream as the device.
            let (_, credentials) = kiosk.store().credentials()?.context("enrolled")?;
            let api = Api::new(Http::new(&format!("http://127.0.0.1:{port}"))?);
            let state = api.state(&credentials, &Default::default()).await?;
            ensure!(state.through(RecordKind::Rating) == last, "process on {port} holds a different stream");
        }
    }
    drop(nginx);
    drop(processes);
    Ok(())
}
