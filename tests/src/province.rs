//! A reference receiver of a province's 好差评 platform, written from the
//! published field lists (GB/T 39046-2020 table 9; the Zhejiang-style
//! provincial interface): a real HTTP server on a loopback port that checks
//! every field and code of every record, keeps what it accepted, deduplicates
//! on the record's key, and can be told to misbehave (down, refuse a field,
//! stall past the sender's timeout, drop the connection after storing, answer
//! twice). No platform can run here; this is its interface, strictly.
//!
//! The answer it gives (what `tiyan_services::upward` reads): HTTP 200 with
//! `{"results": [{"key", "status": "accepted" | "duplicate" | "refused", "reason"}]}`;
//! 401 without the right bearer token; 400 for a body that is not the envelope.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;

/// Which published shape the receiver speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Gbt39046,
    Zhejiang,
}

/// What the receiver does with the next requests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// 503 to everything: the platform is down.
    Down,
    /// Refuses every record whose field `0` is present, with a reason.
    RefuseField(String),
    /// Stores, then waits this long before answering (past the sender's timeout).
    Stall(Duration),
    /// Stores, then breaks the connection instead of answering.
    DropAfterStore,
    /// Stores and answers each record twice.
    AnswerTwice,
}

/// A record the receiver holds, as it came.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub kind: &'static str,
    pub key: String,
    pub record: Map<String, Value>,
}

#[derive(Default)]
pub struct Inner {
    pub held: Vec<Held>,
    keys: HashSet<(&'static str, String)>,
    /// Records posted again that it already held (a retry after a lost answer).
    pub duplicates: u64,
    /// Requests it answered (or cut off), of any kind.
    pub requests: u64,
    pub refused: Vec<(String, String)>,
    pub mode: Mode,
    /// Every answer waits this long (a platform's own latency).
    pub latency: Duration,
}

pub struct Province {
    pub addr: SocketAddr,
    pub shape: Shape,
    pub token: String,
    inner: Arc<Mutex<Inner>>,
    stop: Option<oneshot::Sender<()>>,
}

struct Shared {
    shape: Shape,
    token: String,
    inner: Arc<Mutex<Inner>>,
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Province {
    /// On a free loopback port.
    pub async fn start(shape: Shape, token: &str) -> anyhow::Result<Province> {
        Province::start_at(shape, token, "127.0.0.1:0").await
    }

    pub async fn start_at(shape: Shape, token: &str, address: &str) -> anyhow::Result<Province> {
        let listener = tokio::net::TcpListener::bind(address).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = Arc::new(Shared { shape, token: token.into(), inner: inner.clone() });
        let app = axum::Router::new()
            .route("/evaluations", post(|s, h, b| receive(s, h, b, "rating")))
            .route("/rectifications", post(|s, h, b| receive(s, h, b, "rectification")))
            .with_state(shared);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Province { addr, shape, token: token.into(), inner, stop: Some(stop) })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    pub fn set_mode(&self, mode: Mode) {
        lock(&self.inner).mode = mode;
    }

    pub fn set_latency(&self, latency: Duration) {
        lock(&self.inner).latency = latency;
    }

    /// The keys of the records of `kind` it holds, in the order they arrived.
    pub fn keys(&self, kind: &str) -> Vec<String> {
        lock(&self.inner).held.iter().filter(|h| h.kind == kind).map(|h| h.key.clone()).collect()
    }

    pub fn count(&self, kind: &str) -> usize {
        lock(&self.inner).held.iter().filter(|h| h.kind == kind).count()
    }

    /// Waits until it holds `n` records of `kind`.
    pub async fn wait_for(&self, kind: &str, n: usize, within: Duration) -> anyhow::Result<()> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let have = self.count(kind);
            if have >= n {
                return Ok(());
            }
            anyhow::ensure!(std::time::Instant::now() < deadline, "the province holds {have} of {n} {kind} records");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Province {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn receive(State(s): State<Arc<Shared>>, headers: HeaderMap, body: String, kind: &'static str) -> Response {
    let (mode, latency) = {
        let mut i = lock(&s.inner);
        i.requests += 1;
        (i.mode.clone(), i.latency)
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if mode == Mode::Down {
        return (StatusCode::SERVICE_UNAVAILABLE, "平台维护中").into_response();
    }
    let bearer = headers.get("authorization").and_then(|v| v.to_str().ok());
    if bearer != Some(&format!("Bearer {}", s.token)) {
        return (StatusCode::UNAUTHORIZED, "凭证无效").into_response();
    }
    let records_key = match s.shape {
        Shape::Gbt39046 => "records",
        Shape::Zhejiang => "data",
    };
    let envelope: Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("报文不是 JSON: {e}")).into_response(),
    };
    let Some(records) =
        envelope.as_object().filter(|o| o.len() == 1).and_then(|o| o.get(records_key)).and_then(Value::as_array)
    else {
        return (StatusCode::BAD_REQUEST, format!("报文须为 {{\"{records_key}\": [...]}}")).into_response();
    };
    let mut results = Vec::new();
    {
        let mut i = lock(&s.inner);
        for r in records {
            let Some(record) = r.as_object() else {
                return (StatusCode::BAD_REQUEST, "记录须为对象").into_response();
            };
            let key = key_of(s.shape, kind, record);
            let checked = check(s.shape, kind, record).and_then(|()| match &i.mode {
                Mode::RefuseField(f) if record.contains_key(f) => Err(format!("{f}: 不合法")),
                _ => Ok(()),
            });
            let (status, reason) = match checked {
                Err(why) => {
                    i.refused.push((key.clone(), why.clone()));
                    ("refused", Some(why))
                }
                Ok(()) if !i.keys.insert((kind, key.clone())) => {
                    i.duplicates += 1;
                    ("duplicate", None)
                }
                Ok(()) => {
                    i.held.push(Held { kind, key: key.clone(), record: record.clone() });
                    ("accepted", None)
                }
            };
            results.push(json!({"key": key, "status": status, "reason": reason}));
        }
    }
    match mode {
        Mode::Stall(d) => tokio::time::sleep(d).await,
        Mode::DropAfterStore => {
            // Headers out, then the body breaks: the sender never reads an answer.
            let broken = futures_once_error();
            return Response::builder().status(StatusCode::OK).body(broken).unwrap_or_default();
        }
        Mode::AnswerTwice => {
            let twice: Vec<Value> = results.iter().flat_map(|r| [r.clone(), r.clone()]).collect();
            return axum::Json(json!({ "results": twice })).into_response();
        }
        _ => {}
    }
    axum::Json(json!({ "results": results })).into_response()
}

/// A body whose first read fails: the connection breaks after the headers.
fn futures_once_error() -> Body {
    Body::from_stream(futures_util::stream::once(async { Err::<Vec<u8>, _>(std::io::Error::other("dropped")) }))
}

fn key_of(shape: Shape, kind: &str, r: &Map<String, Value>) -> String {
    let field = match (shape, kind) {
        (Shape::Gbt39046, _) => "评价编号",
        (Shape::Zhejiang, _) => "evalId",
    };
    r.get(field).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// A field's test of its value.
type Check = fn(&str) -> bool;
/// A field: its name, whether it is required, its test.
type Rule = (&'static str, bool, Check);

/// Every field the shape lists for `kind`, each checked; nothing else allowed.
fn check(shape: Shape, kind: &str, r: &Map<String, Value>) -> Result<(), String> {
    let rules: &[Rule] = match (shape, kind) {
        (Shape::Gbt39046, "rating") => &[
            ("评价编号", true, is_uuid),
            ("办件编号", true, |v| an(v, 50)),
            ("评价渠道", true, |v| ["1", "2", "3", "4", "5", "6"].contains(&v)),
            ("评价人", true, |v| an(v, 50)),
            ("评价时间", true, |v| chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").is_ok()),
            ("评价次数", true, |v| digits(v, 1, 2) && v != "0"),
            ("满意度", true, |v| GB_NAMES.contains(&v)),
            ("满意度代码", true, |v| digits(v, 1, 1) && ("1"..="5").contains(&v)),
            ("文字评价", false, |v| v.chars().count() <= 500),
            ("行政区划", true, |v| digits(v, 6, 9)),
        ],
        (Shape::Gbt39046, _) => &[
            ("评价编号", true, is_uuid),
            ("整改编号", true, is_uuid),
            ("核实结果", true, |v| ["fixed", "rectified", "explained"].contains(&v)),
            ("整改反馈", true, |v| an(v, 500)),
            ("反馈时间", true, |v| chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").is_ok()),
            ("群众满意度", false, |v| an(v, 20)),
            ("行政区划", true, |v| digits(v, 6, 9)),
        ],
        (Shape::Zhejiang, "rating") => &[
            ("evalId", true, is_uuid),
            ("areaCode", true, |v| digits(v, 6, 9)),
            ("areaName", true, |v| an(v, 50)),
            ("deptCode", true, tiyan_core::upward::is_credit_code),
            ("taskCode", false, |v| an(v, 50)),
            ("taskName", false, |v| an(v, 200)),
            ("projectNo", true, |v| an(v, 50)),
            ("proDepart", true, |v| an(v, 100)),
            ("proManager", false, |v| an(v, 50)),
            ("pf", true, |v| ["1", "2", "3", "4", "5", "6", "7"].contains(&v)),
            ("userProp", true, |v| ["1", "2"].contains(&v)),
            ("satisfaction", true, |v| digits(v, 1, 1) && ("1"..="5").contains(&v)),
            ("evalDetail", false, |v| v.split(',').all(|c| digits(c, 3, 6))),
            ("writingEvaluation", false, |v| v.chars().count() <= 500),
            ("assessTime", true, |v| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").is_ok()),
            ("assessNumber", true, |v| ["1", "2"].contains(&v)),
            ("dataSource", true, |v| digits(v, 3, 3)),
        ],
        (Shape::Zhejiang, _) => &[
            ("evalId", true, is_uuid),
            ("rectifyId", true, is_uuid),
            ("areaCode", true, |v| digits(v, 6, 9)),
            ("rectifyResult", true, |v| ["fixed", "rectified", "explained"].contains(&v)),
            ("rectifyContent", true, |v| an(v, 500)),
            ("rectifyTime", true, |v| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").is_ok()),
            ("userSatisfaction", false, |v| an(v, 20)),
            ("dataSource", true, |v| digits(v, 3, 3)),
        ],
    };
    let known: BTreeMap<&str, (bool, Check)> = rules.iter().map(|(n, req, f)| (*n, (*req, *f))).collect();
    for (name, value) in r {
        let Some((_, ok)) = known.get(name.as_str()) else { return Err(format!("{name}: 未定义的字段")) };
        let Some(v) = value.as_str() else { return Err(format!("{name}: 须为字符串")) };
        if !ok(v) {
            return Err(format!("{name}: 格式或代码不合法 ({v:?})"));
        }
    }
    for (name, (required, _)) in &known {
        if *required && !r.contains_key(*name) {
            return Err(format!("{name}: 缺少必填字段"));
        }
    }
    if shape == Shape::Gbt39046 && kind == "rating" {
        // 满意度 must name 满意度代码's level (code table A.8).
        let code = r.get("满意度代码").and_then(Value::as_str).and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
        let name = r.get("满意度").and_then(Value::as_str).unwrap_or_default();
        if GB_NAMES.get(code.wrapping_sub(1)) != Some(&name) {
            return Err(format!("满意度 {name:?} 与满意度代码 {code} 不符"));
        }
    }
    Ok(())
}

/// Code table A.8: 1 = 非常满意 … 5 = 非常不满意.
const GB_NAMES: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

fn is_uuid(v: &str) -> bool {
    uuid::Uuid::parse_str(v).is_ok()
}

fn an(v: &str, max: usize) -> bool {
    !v.is_empty() && v.chars().count() <= max
}

fn digits(v: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit())
}
