//! The kiosk's footprint: start to the interactive first screen, and the memory
//! of the whole process tree (the app and its WebKit or Chromium helpers), for
//! the release app against two references measured in the same run on the same
//! X display: the smallest Tauri 2 window (`bench/minimal-tauri`, built by
//! scripts/bench.sh) and Debian's Chromium in `--kiosk` showing the same UI bundle.
//!
//! "Interactive" is when the page has run and reached the device: Tiyan's first
//! screen asks for the kiosk's status (logged), the minimal window calls its one
//! command, and in Chromium an observer reports the first screen in the DOM to
//! this process over HTTP. Rounds are interleaved; with root, the page cache is
//! dropped before each start, so every start is cold.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const ROUNDS: usize = 5;
/// Memory is read once the screen has settled.
const SETTLE: Duration = Duration::from_secs(3);

struct Sample {
    start: Duration,
    rss_kib: u64,
    pss_kib: u64,
    processes: usize,
}

pub fn run(tiyan: &Path, minimal: &Path, chromium: &Path, ui_dist: &Path, reference: &Path) -> Result<()> {
    for bin in [tiyan, minimal, chromium] {
        if !bin.exists() {
            bail!("{} is missing (scripts/bench.sh builds and installs what this needs)", bin.display());
        }
    }
    let display = Xvfb::start()?;
    let work = tempfile::tempdir()?;
    let kiosk_dir = work.path().join("kiosk");
    prepare_kiosk(&kiosk_dir, reference)?;
    let page = UiServer::start(ui_dist)?;
    let cold = drop_caches();
    println!(
        "footprint: {ROUNDS} interleaved rounds on Xvfb 1280x800, {} starts; memory after {} s",
        if cold { "cold (page cache dropped before each)" } else { "warm (not root: page cache kept)" },
        SETTLE.as_secs()
    );

    let mut samples: HashMap<&str, Vec<Sample>> = HashMap::new();
    for round in 0..ROUNDS {
        let tiyan_args = vec!["--data-dir".to_string(), kiosk_dir.display().to_string()];
        let profile = work.path().join(format!("chromium-{round}"));
        let runs: [(&str, &Path, Vec<String>, Ready); 3] = [
            ("Tiyan (release)", tiyan, tiyan_args, Ready::Stderr("kiosk status asked")),
            ("minimal Tauri 2 window", minimal, vec![], Ready::Stderr("minimal-tauri: ready")),
            ("Chromium --kiosk, same UI", chromium, chromium_args(&profile, &page.url), Ready::Page(&page)),
        ];
        for (name, bin, args, ready) in runs {
            drop_caches();
            let sample = measure(&display.name, bin, &args, ready).with_context(|| format!("{name}, round {round}"))?;
            samples.entry(name).or_default().push(sample);
        }
    }

    let median = |name: &str| -> (Duration, u64, u64, usize) {
        let s = &samples[name];
        let mut starts: Vec<Duration> = s.iter().map(|x| x.start).collect();
        let mut rss: Vec<u64> = s.iter().map(|x| x.rss_kib).collect();
        let mut pss: Vec<u64> = s.iter().map(|x| x.pss_kib).collect();
        starts.sort();
        rss.sort();
        pss.sort();
        (starts[starts.len() / 2], rss[rss.len() / 2], pss[pss.len() / 2], s[0].processes)
    };
    let (t_start, t_rss, t_pss, t_n) = median("Tiyan (release)");
    let (m_start, m_rss, m_pss, m_n) = median("minimal Tauri 2 window");
    let (c_start, c_rss, c_pss, c_n) = median("Chromium --kiosk, same UI");
    println!("{:<30} {:>12} {:>16} {:>16} {:>10}", "", "start p50", "RSS (tree) p50", "PSS (tree) p50", "processes");
    for (name, start, rss, pss, n) in [
        ("Tiyan (release)", t_start, t_rss, t_pss, t_n),
        ("minimal Tauri 2 window", m_start, m_rss, m_pss, m_n),
        ("Chromium --kiosk, same UI", c_start, c_rss, c_pss, c_n),
    ] {
        println!(
            "{name:<30} {:>9.0} ms {:>13.1} MB {:>13.1} MB {n:>10}",
            start.as_secs_f64() * 1000.0,
            rss as f64 / 1024.0,
            pss as f64 / 1024.0
        );
    }
    let ratio = |a: f64, b: f64| a / b;
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    let start_vs_min = ratio(t_start.as_secs_f64(), m_start.as_secs_f64());
    let rss_vs_min = ratio(t_rss as f64, m_rss as f64);
    println!(
        "start: {start_vs_min:.2}x the minimal Tauri window (target <= 1.3x: {}); {} Chromium ({:.2}x)",
        verdict(start_vs_min <= 1.3),
        if t_start < c_start { "faster than" } else { "NOT faster than" },
        ratio(t_start.as_secs_f64(), c_start.as_secs_f64())
    );
    println!(
        "memory (RSS of the tree): {rss_vs_min:.2}x the minimal Tauri window (target <= 1.2x: {}); {} Chromium ({:.2}x); by PSS {:.2}x and {:.2}x",
        verdict(rss_vs_min <= 1.2),
        if t_rss < c_rss { "below" } else { "NOT below" },
        ratio(t_rss as f64, c_rss as f64),
        ratio(t_pss as f64, m_pss as f64),
        ratio(t_pss as f64, c_pss as f64)
    );
    Ok(())
}

enum Ready<'a> {
    /// A line on the process's standard error.
    Stderr(&'static str),
    /// The page's report to the UI server.
    Page(&'a UiServer),
}

fn measure(display: &str, bin: &Path, args: &[String], ready: Ready) -> Result<Sample> {
    if let Ready::Page(page) = &ready {
        while page.ready.try_recv().is_ok() {}
    }
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env("DISPLAY", display)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("RUST_LOG", "info,tiyan_app::commands=debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let stderr = child.stderr.take().context("stderr")?;
    let (line_tx, line_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut guard = Kill(child);
    let deadline = Duration::from_secs(60);
    let start = match ready {
        Ready::Stderr(needle) => loop {
            match line_rx.recv_timeout(deadline.saturating_sub(started.elapsed())) {
                Ok(line) if line.contains(needle) => break started.elapsed(),
                Ok(_) => {}
                Err(_) => bail!("no {needle:?} within {deadline:?}"),
            }
        },
        Ready::Page(page) => {
            page.ready.recv_timeout(deadline).map(|at| at - started).context("the page never reported")?
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    std::thread::spawn(move || while line_rx.recv().is_ok() {});
    std::thread::sleep(SETTLE);
    let tree = process_tree(guard.0.id());
    let rss_kib = tree.iter().map(|&p| status_kib(p, "VmRSS:")).sum();
    let pss_kib = tree.iter().map(|&p| rollup_kib(p, "Pss:")).sum();
    let processes = tree.len();
    guard.kill_tree(&tree);
    Ok(Sample { start, rss_kib, pss_kib, processes })
}

struct Kill(Child);

impl Kill {
    fn kill_tree(&mut self, tree: &[u32]) {
        for pid in tree {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).stderr(Stdio::null()).status();
        }
        let _ = self.0.wait();
        std::thread::sleep(Duration::from_millis(300));
    }
}

impl Drop for Kill {
    fn drop(&mut self) {
        let tree = process_tree(self.0.id());
        self.kill_tree(&tree);
    }
}

/// `pid` and all its descendants.
fn process_tree(pid: u32) -> Vec<u32> {
    let mut parent: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // The fields after the command's closing parenthesis: state, ppid, ...
        let ppid = stat.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)?.parse().ok());
        if let Some(ppid) = ppid {
            parent.push((p, ppid));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let me = tree[i];
        tree.extend(parent.iter().filter(|(_, pp)| *pp == me).map(|(p, _)| *p));
        i += 1;
    }
    tree
}

fn field_kib(text: &str, key: &str) -> u64 {
    text.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
}

fn status_kib(pid: u32, key: &str) -> u64 {
    field_kib(&std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default(), key)
}

fn rollup_kib(pid: u32, key: &str) -> u64 {
    field_kib(&std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default(), key)
}

/// True when the page cache could be dropped (root).
fn drop_caches() -> bool {
    let synced = Command::new("sync").status().is_ok_and(|s| s.success());
    synced && std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok()
}

fn chromium_args(profile: &Path, url: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "--kiosk",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-gpu",
        "--password-store=basic",
        "--window-size=1280,800",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if is_root() {
        args.push("--no-sandbox".into());
    }
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(url.to_string());
    args
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}

/// The kiosk as it stands in a hall: demo data, PIN, window, staff signed in,
/// so the app opens on the citizen's welcome screen.
fn prepare_kiosk(dir: &Path, reference: &Path) -> Result<()> {
    let k = tiyan_client::Kiosk::open(dir)?;
    k.import_reference(reference)?;
    k.set_admin_pin("260418")?;
    k.bind_window("jianghai-w02")?;
    k.staff_sign_in("100102", "2580")?;
    Ok(())
}

/// ui/dist over HTTP for Chromium, with a few lines added to index.html that
/// report the first screen (the same moment as Tiyan's) to /ready.
struct UiServer {
    url: String,
    ready: mpsc::Receiver<Instant>,
}

const REPORT: &str = "<script>(() => { const done = () => document.querySelector(\"main[data-screen]:not([data-screen='loading'])\"); \
    const report = () => fetch('/ready', { method: 'POST' }); \
    if (done()) { report(); return; } \
    new MutationObserver((_, o) => { if (done()) { o.disconnect(); report(); } }).observe(document, { childList: true, subtree: true, attributes: true }); })();</script>";

impl UiServer {
    fn start(dist: &Path) -> Result<UiServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}/", listener.local_addr()?);
        let (tx, ready) = mpsc::channel();
        let dist: PathBuf = dist.to_path_buf();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                let dist = dist.clone();
                std::thread::spawn(move || serve(stream, &dist, &tx));
            }
        });
        Ok(UiServer { url, ready })
    }
}

fn serve(mut stream: std::net::TcpStream, dist: &Path, ready: &mpsc::Sender<Instant>) {
    let mut buf = [0u8; 8192];
    let n = stream.read(&mut buf).unwrap_or(0);
    let request = String::from_utf8_lossy(&buf[..n]);
    let path = request.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/").to_string();
    let (status, kind, body) = if path == "/ready" {
        let _ = ready.send(Instant::now());
        ("204 No Content", "text/plain", Vec::new())
    } else {
        let file = if path == "/" { "index.html".to_string() } else { path.trim_start_matches('/').to_string() };
        let full = dist.join(&file);
        match std::fs::read(&full) {
            Ok(mut bytes) if !file.contains("..") => {
                if file == "index.html" {
                    bytes =
                        String::from_utf8_lossy(&bytes).replace("</head>", &format!("{REPORT}</head>")).into_bytes();
                }
                let kind = match full.extension().and_then(|e| e.to_str()) {
                    Some("html") => "text/html; charset=utf-8",
                    Some("js") => "text/javascript",
                    Some("css") => "text/css",
                    Some("svg") => "image/svg+xml",
                    Some("png") => "image/png",
                    Some("woff2") => "font/woff2",
                    _ => "application/octet-stream",
                };
                ("200 OK", kind, bytes)
            }
            _ => ("404 Not Found", "text/plain", Vec::new()),
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&body));
}

struct Xvfb {
    name: String,
    child: Child,
}

impl Xvfb {
    fn start() -> Result<Xvfb> {
        let n = (150..400).find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists()).context("a free display")?;
        let child = Command::new("Xvfb")
            .args([&format!(":{n}"), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("Xvfb")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            if Instant::now() > deadline {
                bail!("Xvfb :{n} did not start");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Xvfb { name: format!(":{n}"), child })
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
