//! A real server on a loopback port and a real device store, for sync stories.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, ensure};
use chrono::{Duration, Utc};
use tiyan_client::Kiosk;
use tiyan_client::sync::Engine;
use tiyan_client::sync::transport::Http;
use tiyan_core::protocol::DeviceRole;
use tiyan_core::rating::{Rating, RatingInput};
use tiyan_server::reference_files::load_json;
use tiyan_server::store::{NewCode, RatingFilter, SqliteStore, Storage};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::{ADMIN_PIN, STAFF_PIN, demo_reference};

/// `tiyan_server::serve` on 127.0.0.1:0 in this process, over its own SQLite file.
pub struct TestServer {
    pub store: Arc<SqliteStore>,
    pub addr: SocketAddr,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(db: &Path) -> Result<TestServer> {
        let store = Arc::new(SqliteStore::open(db)?);
        if store.reference_version()?.is_none() {
            let loaded = load_json(&demo_reference())?;
            store.import_reference(&loaded.data, &loaded.photos)?;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let state = tiyan_server::AppState::new(store.clone());
        let task = tokio::spawn(async move {
            let _ = tiyan_server::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(TestServer { store, addr, db: db.to_path_buf(), stop: Some(stop), task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn code(&self, window: &str) -> Result<String> {
        self.code_for(DeviceRole::Kiosk, Some(window))
    }

    /// An enrolment code for an officer laptop of the demo hall.
    pub fn officer_code(&self) -> Result<String> {
        self.code_for(DeviceRole::Officer, None)
    }

    fn code_for(&self, role: DeviceRole, window: Option<&str>) -> Result<String> {
        let code = tiyan_server::codes::new_code();
        let new = NewCode {
            code: &code,
            role,
            hall_id: "jianghai",
            window_id: window,
            expires_at: Utc::now() + Duration::hours(1),
        };
        self.store.create_code(&new, Utc::now())?;
        Ok(code)
    }

    /// The device's ratings as the server holds them, in sequence order.
    pub fn ratings_of(&self, device: Uuid) -> Result<Vec<Rating>> {
        Ok(self
            .store
            .ratings(&RatingFilter::default())?
            .into_iter()
            .map(|r| r.rating)
            .filter(|r| r.device_id == device)
            .collect())
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// A kiosk enrolled with the server at `url` (directly or through a proxy),
/// with the admin PIN set and staff 100102 on duty at window 02.
pub async fn enrolled_kiosk(dir: &Path, server: &TestServer, url: &str) -> Result<Kiosk> {
    let kiosk = Kiosk::open(dir)?;
    let code = server.code("jianghai-w02")?;
    Engine::new(kiosk.shared_store(), Http::new(url)?).enroll(url, &code, "test kiosk").await?;
    kiosk.set_admin_pin(ADMIN_PIN)?;
    kiosk.staff_sign_in("100102", STAFF_PIN)?;
    Ok(kiosk)
}

/// Commits `n` ratings through the kiosk, as citizens would.
pub fn rate(kiosk: &Kiosk, n: usize) -> Result<()> {
    for i in 0..n {
        let a = (i % 5 + 1) as u8;
        kiosk.submit_rating(&RatingInput {
            session_id: Uuid::now_v7(),
            attitude: a,
            competence: 5 - (i % 3) as u8,
            reasons: if a <= 2 { vec!["long_wait".into()] } else { vec![] },
            comment: (i % 7 == 0).then(|| format!("第 {i} 位群众的意见")),
            phone: None,
            phone_consent: false,
        })?;
    }
    Ok(())
}

/// The server holds exactly the device's records: each once, none lost, same content.
pub fn assert_same(server: &TestServer, kiosk: &Kiosk) -> Result<usize> {
    let device = kiosk.store().device_id();
    let local = kiosk.store().ratings_after(0, usize::MAX >> 1)?;
    let held = server.ratings_of(device)?;
    ensure!(held.len() == local.len(), "the server holds {} ratings, the device has {}", held.len(), local.len());
    for (a, b) in local.iter().zip(&held) {
        ensure!(a == b, "rating {} differs:\n device {a:?}\n server {b:?}", a.seq);
    }
    ensure!(kiosk.store().waiting()? == 0, "the device still counts {} waiting", kiosk.store().waiting()?);
    Ok(held.len())
}

/// Path of a workspace binary built by `cargo build` (the server, for kill tests).
pub fn server_binary() -> Result<PathBuf> {
    let bin = std::env::var_os("TIYAN_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace().join("target/debug/tiyan-server"));
    ensure!(bin.exists(), "{} is missing: cargo build -p tiyan-server first (scripts/test.sh does)", bin.display());
    Ok(bin)
}
