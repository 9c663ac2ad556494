//! `/metrics`, in Prometheus' text format, for whoever watches the server:
//! uploads by kind and outcome (the protocol's refusal codes), records taken
//! in, upload latency, devices by last contact, the upward outbox, the
//! database, the last backup. Counters live in the process (each process of a
//! province is scraped on its own); the rest is read from the database at each
//! scrape. Behind a bearer token (`--metrics-token-file`), kept as its SHA-256
//! and compared in constant time; without one configured there is no such page.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use tiyan_core::protocol::{ErrorCode, RecordKind, UploadAck};

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UploadLabels {
    kind: String,
    /// `stored`, or the refusal's code (`gap`, `rejected`, `unauthenticated`, …).
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ContactLabels {
    /// `hour`, `day`, `week`, `older`, `never`.
    last_contact: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabels {
    /// `open`, `idle`, `max`.
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

pub struct Metrics {
    registry: Registry,
    uploads: Family<UploadLabels, Counter>,
    records: Family<KindLabels, Counter>,
    duplicates: Family<KindLabels, Counter>,
    latency: Histogram,
    devices: Family<ContactLabels, Gauge>,
    upward_backlog: Family<TargetLabels, Gauge>,
    upward_refused: Family<TargetLabels, Gauge>,
    db_up: Gauge,
    schema: Gauge,
    connections: Family<ConnectionLabels, Gauge>,
    waiting: Gauge,
    last_backup: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tiyan");
        let m = Metrics {
            uploads: Family::default(),
            records: Family::default(),
            duplicates: Family::default(),
            latency: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
            devices: Family::default(),
            upward_backlog: Family::default(),
            upward_refused: Family::default(),
            db_up: Gauge::default(),
            schema: Gauge::default(),
            connections: Family::default(),
            waiting: Gauge::default(),
            last_backup: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register("uploads", "Uploads answered, by record kind and outcome", m.uploads.clone());
        registry.register("records", "Records taken in (stored for the first time), by kind", m.records.clone());
        registry.register("duplicate_records", "Records sent again and already held, by kind", m.duplicates.clone());
        registry.register("upload_seconds", "Time to answer an upload", m.latency.clone());
        registry.register("devices", "Enrolled devices not revoked, by their last contact", m.devices.clone());
        registry.register(
            "upward_backlog",
            "Records not yet acknowledged by the province's platform",
            m.upward_backlog.clone(),
        );
        registry.register(
            "upward_refused",
            "Records the province's platform refused, waiting for a fix",
            m.upward_refused.clone(),
        );
        registry.register("database_up", "1 when the database answered this scrape", m.db_up.clone());
        registry.register("database_schema", "The database's schema version", m.schema.clone());
        registry.register(
            "database_connections",
            "This process's connections to the database: open, idle, and the most it opens",
            m.connections.clone(),
        );
        registry.register(
            "database_waiting",
            "Requests of this process waiting for a database connection",
            m.waiting.clone(),
        );
        registry.register(
            "backup_last_timestamp_seconds",
            "When the newest backup in [backup] dir was written (0: none there)",
            m.last_backup.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// One upload answered: stored (with the ack) or refused with a code.
    pub fn upload(&self, kind: RecordKind, outcome: Result<&UploadAck, ErrorCode>, took: Duration) {
        let kind = kind.as_str().to_string();
        let outcome = match outcome {
            Ok(ack) => {
                self.records.get_or_create(&KindLabels { kind: kind.clone() }).inc_by(u64::from(ack.stored));
                self.duplicates.get_or_create(&KindLabels { kind: kind.clone() }).inc_by(u64::from(ack.duplicates));
                "stored".to_string()
            }
            Err(code) => code.as_str().to_string(),
        };
        self.uploads.get_or_create(&UploadLabels { kind, outcome }).inc();
        self.latency.observe(took.as_secs_f64());
    }

    /// The text a scrape gets: the counters, and what the database says now.
    async fn render(&self, state: &AppState, backup_dir: Option<&PathBuf>) -> String {
        let store = state.services.store.as_ref();
        let now = state.now();
        match store.health().await {
            Ok(h) => {
                self.db_up.set(1);
                self.schema.set(i64::from(h.schema));
                for (state, n) in [("open", h.pool.open), ("idle", h.pool.idle), ("max", h.pool.max)] {
                    self.connections.get_or_create(&ConnectionLabels { state: state.into() }).set(i64::from(n));
                }
                self.waiting.set(i64::from(h.pool.waiting));
            }
            Err(_) => {
                self.db_up.set(0);
            }
        }
        if let Ok(rows) = store.fleet(None).await {
            let mut counts = [0i64; 5];
            for r in rows.iter().filter(|r| r.device.revoked_at.is_none()) {
                let i = match r.device.last_seen_at.max(r.reported_at).map(|t| now - t) {
                    None => 4,
                    Some(d) if d <= chrono::Duration::hours(1) => 0,
                    Some(d) if d <= chrono::Duration::days(1) => 1,
                    Some(d) if d <= chrono::Duration::days(7) => 2,
                    Some(_) => 3,
                };
                counts[i] += 1;
            }
            for (name, n) in ["hour", "day", "week", "older", "never"].into_iter().zip(counts) {
                self.devices.get_or_create(&ContactLabels { last_contact: name.into() }).set(n);
            }
        }
        for t in &state.settings.upward {
            let target = TargetLabels { target: t.config.name.clone() };
            if let Ok(n) = store.upward_backlog(&t.config.name).await {
                self.upward_backlog.get_or_create(&target).set(n as i64);
            }
            if let Ok(n) = store.upward_refused_count(&t.config.name).await {
                self.upward_refused.get_or_create(&target).set(n as i64);
            }
        }
        self.last_backup.set(backup_dir.map_or(0, newest_backup));
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Seconds since the epoch of the newest backup in `dir` (0: none).
fn newest_backup(dir: &PathBuf) -> i64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_str().is_some_and(|n| n.ends_with(".backup")))
                .filter_map(|e| e.metadata().ok()?.modified().ok())
                .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_secs() as i64)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// `GET /metrics`: the text format to the holder of the token, nothing to anyone else.
pub async fn scrape(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(expected) = state.settings.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(tiyan_infra::secret::token_digest);
    if !presented.is_some_and(|p| tiyan_infra::secret::digests_match(&p, &expected)) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response();
    }
    let text = state.metrics.render(&state, state.settings.backup_dir.as_ref()).await;
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text).into_response()
}
