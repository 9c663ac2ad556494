//! A small fault-injecting TCP proxy between a device and the server: it cuts
//! connections mid-request, loses answers after the server committed, answers
//! for the server (a 500, a captive portal's HTML page), or slows the link.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bytes flow both ways untouched.
    Pass,
    /// Forward this many bytes of the request, then cut both sides.
    CutRequest { after: usize },
    /// Forward the whole request; when the server starts answering (so it has
    /// committed), cut the device's side: the answer is lost.
    LoseResponse,
    /// The same, for uploads (POST) only: the state question still gets through.
    LoseUploadAnswer,
    /// Answer 500 with a plain-text body, as a reverse proxy in front would.
    Status500,
    /// Answer 200 with an HTML page, as a captive portal on hall Wi-Fi does.
    CaptivePortal,
    /// Forward in small chunks with a pause between them.
    Slow { chunk: usize, pause_ms: u64 },
    /// Accept and close at once: the network is gone.
    Refuse,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    fault: watch::Sender<Fault>,
    connections: Arc<AtomicUsize>,
    forwarded: Arc<AtomicU64>,
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let addr = listener.local_addr().expect("proxy addr");
        let (fault, rx) = watch::channel(Fault::Pass);
        let connections = Arc::new(AtomicUsize::new(0));
        let forwarded = Arc::new(AtomicU64::new(0));
        let (c, f) = (connections.clone(), forwarded.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let rx = rx.clone();
                let f = f.clone();
                tokio::spawn(async move { connection(client, upstream, rx, f).await });
            }
        });
        FaultProxy { addr, fault, connections, forwarded }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the fault; connections open under the old one are closed, so the
    /// next request meets the new one.
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }

    /// Connections the device opened so far (a measure of how hard it tries).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Bytes sent on to the server.
    pub fn forwarded(&self) -> u64 {
        self.forwarded.load(Ordering::SeqCst)
    }
}

const HTML: &str =
    "<!doctype html><html><head><title>Hall Wi-Fi</title></head><body>请登录 Please log in to continue</body></html>";

async fn answer(mut client: TcpStream, status: &str, content_type: &str, body: &str) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(200), client.read(&mut buf)).await;
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = client.write_all(head.as_bytes()).await;
    let _ = client.write_all(body.as_bytes()).await;
    let _ = client.shutdown().await;
}

async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut rx: watch::Receiver<Fault>,
    forwarded: Arc<AtomicU64>,
) {
    let fault = *rx.borrow_and_update();
    match fault {
        Fault::Refuse => return,
        Fault::Status500 => {
            return answer(client, "500 Internal Server Error", "text/plain", "Internal Server Error").await;
        }
        Fault::CaptivePortal => return answer(client, "200 OK", "text/html; charset=utf-8", HTML).await,
        _ => {}
    }
    let Ok(server) = TcpStream::connect(upstream).await else { return };
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    // Requests on one connection come one after another; remember whether the
    // one in flight is a POST.
    let posting = std::sync::atomic::AtomicBool::new(false);
    let (chunk, pause) = match fault {
        Fault::Slow { chunk, pause_ms } => (chunk, Duration::from_millis(pause_ms)),
        _ => (16 * 1024, Duration::ZERO),
    };
    let up = async {
        let mut buf = vec![0u8; chunk];
        let mut sent = 0usize;
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let n = match fault {
                Fault::CutRequest { after } if sent + n >= after => {
                    let _ = sw.write_all(&buf[..after.saturating_sub(sent)]).await;
                    return;
                }
                _ => n,
            };
            if buf[..n].starts_with(b"POST ") {
                posting.store(true, Ordering::SeqCst);
            } else if buf[..n].starts_with(b"GET ") {
                posting.store(false, Ordering::SeqCst);
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                return;
            }
            sent += n;
            forwarded.fetch_add(n as u64, Ordering::SeqCst);
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    };
    let down = async {
        let mut buf = vec![0u8; chunk];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let lose =
                fault == Fault::LoseResponse || (fault == Fault::LoseUploadAnswer && posting.load(Ordering::SeqCst));
            if lose {
                return; // the server answered: it committed; the device never hears it
            }
            if cw.write_all(&buf[..n]).await.is_err() {
                return;
            }
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    };
    // Whichever direction ends, or the fault changes, the connection ends.
    tokio::select! {
        _ = up => {},
        _ = down => {},
        _ = rx.changed() => {},
    }
}
