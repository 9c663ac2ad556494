//! The window link's HTTP side: a small server on the kiosk for the window's
//! queue and case system ([`tiyan_core::window`] is its protocol). Off until
//! the administrator turns it on; it listens where they said (loopback by
//! default), answers only the addresses they allowed (this PC's own until they
//! list another), and only a
//! caller with the bearer token shown once on the admin screen (kept as its
//! SHA-256, compared in constant time). Nothing else of the kiosk is
//! reachable through it. A malformed or oversized body is refused before
//! anything changes; every change is kept with its answer under the caller's
//! request id, so a retry gets the same answer.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tiyan_core::error_code::ErrorCode;
use tiyan_core::protocol::{ApiError, Envelope, PROTOCOL_VERSION, Reply};
use tiyan_core::window::{MAX_BODY_BYTES, Plain, RateRequest, SignIn, WindowStatus, paths};
use tiyan_infra::secret::{digests_match, new_token, token_digest};
use uuid::Uuid;

use crate::cases::{KeptAnswer, LinkKept, LinkSettings};
use crate::kiosk::Kiosk;
use crate::window::LinkEvent;
use crate::{Error, Result};

/// A token given on the command line is at least this long (ours are 64 hex digits).
pub const MIN_TOKEN_LEN: usize = 24;

/// Who hears what the window asked (the screen).
pub type Notify = Arc<dyn Fn(LinkEvent) + Send + Sync>;

struct Link {
    kiosk: Arc<Kiosk>,
    notify: Notify,
    allowed: Vec<IpAddr>,
    token_sha256: Option<[u8; 32]>,
}

/// The link's router over `kiosk` with `kept`'s settings, for tests and for [`serve`].
fn router(kiosk: Arc<Kiosk>, kept: &LinkKept, notify: Notify) -> Router {
    let token_sha256 = kept.token_sha256.as_deref().and_then(|h| {
        let mut d = [0u8; 32];
        hex::decode_to_slice(h, &mut d).ok().map(|()| d)
    });
    let link = Arc::new(Link { kiosk, notify, allowed: kept.settings.allowed.clone(), token_sha256 });
    Router::new()
        .route(paths::SIGN_IN, post(sign_in))
        .route(paths::SIGN_OUT, post(sign_out))
        .route(paths::RATE, post(rate))
        .route(paths::PAUSE, post(pause))
        .route(paths::RESUME, post(resume))
        .route(paths::STATUS, get(status))
        .fallback(|| async { answer::<()>(Err(Error::LinkNotFound)) })
        .layer(middleware::from_fn_with_state(link.clone(), guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(link)
}

/// A running link; dropped or stopped, it stops listening.
pub struct Running {
    pub address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// How long a request in flight may take to finish when the link stops.
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

impl Running {
    /// Stops listening and returns once the address is free again (requests in
    /// flight get a moment to finish; a connection kept open is then cut).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(STOP_GRACE, &mut self.task).await.is_err() {
            self.task.abort();
            let _ = (&mut self.task).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the link as the administrator left it; None when it is off. Binding
/// fails loudly (the address taken, not this machine's): the admin screen says so.
pub async fn serve(kiosk: Arc<Kiosk>, notify: Notify) -> Result<Option<Running>> {
    let kept = kiosk.store().link_kept()?;
    if !kept.settings.enabled {
        return Ok(None);
    }
    let listener = tokio::net::TcpListener::bind(kept.settings.listen)
        .await
        .map_err(Error::io(format!("listening on {}", kept.settings.listen)))?;
    let address = listener.local_addr().map_err(Error::io("the link's address"))?;
    let app = router(kiosk, &kept, notify).into_make_service_with_connect_info::<SocketAddr>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    tracing::info!(%address, "window link listening");
    Ok(Some(Running { address, stop: Some(stop), task }))
}

/// Only the allowed addresses (an IPv4 caller reaching an IPv6 socket counts by its IPv4), and only with the token.
async fn guard(State(link): State<Arc<Link>>, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical());
    let from_allowed = peer.is_some_and(|ip| link.allowed.contains(&ip));
    if !from_allowed {
        tracing::warn!(?peer, "window link: a request from an address not allowed");
        return answer::<()>(Err(Error::LinkSourceRefused));
    }
    if !authorized(request.headers(), link.token_sha256.as_ref()) {
        tracing::warn!(?peer, "window link: a request without the kiosk's token");
        return answer::<()>(Err(Error::LinkUnauthorized));
    }
    next.run(request).await
}

fn authorized(headers: &HeaderMap, token_sha256: Option<&[u8; 32]>) -> bool {
    let Some(expected) = token_sha256 else { return false };
    let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    sent.is_some_and(|t| digests_match(expected, &token_digest(t.trim())))
}

/// The HTTP status of each refusal the link answers with.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::LinkUnauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::LinkSourceRefused => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        // An oversized body is refused like a malformed one: nothing of it is read.
        ErrorCode::Malformed | ErrorCode::InvalidCaseNo | ErrorCode::TooLarge => StatusCode::BAD_REQUEST,
        ErrorCode::UnknownStaff | ErrorCode::StaffOtherHall => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::CaseAlreadyRated | ErrorCode::WindowClosed | ErrorCode::WindowPaused | ErrorCode::RequestReused => {
            StatusCode::CONFLICT
        }
        ErrorCode::LinkBusy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The answer in the protocol's envelope.
fn answer<T: Serialize>(result: Result<T>) -> Response {
    let (status, body) = envelope(result);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn envelope<T: Serialize>(result: Result<T>) -> (StatusCode, String) {
    let now = chrono::Utc::now();
    let (status, reply) = match result {
        Ok(t) => (StatusCode::OK, Reply::Ok(t)),
        Err(e) => {
            let code = e.code();
            if status_of(code).is_server_error() && code != ErrorCode::LinkBusy {
                tracing::error!(error = %e, "window link: a request failed");
            }
            (status_of(code), Reply::Error(ApiError { code, message: e.to_string(), retry_at: None }))
        }
    };
    let body = serde_json::to_string(&Envelope { protocol: PROTOCOL_VERSION, server_time: now, body: reply })
        .unwrap_or_default();
    (status, body)
}

type Body = std::result::Result<Bytes, BytesRejection>;

/// A body the link takes: JSON of the request's shape within the size limit, nothing else.
fn parse<T: DeserializeOwned>(body: Body) -> Result<(T, Bytes)> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::LinkTooLarge
        } else {
            Error::LinkMalformed(e.body_text())
        }
    })?;
    let parsed = serde_json::from_slice(&body).map_err(|e| Error::LinkMalformed(e.to_string()))?;
    Ok((parsed, body))
}

/// Runs a change once per request id: a request seen before gets its kept
/// answer; another request under a used id is refused. The kiosk's work runs
/// off the runtime's threads (SQLite and its fsync block).
async fn once<T: Serialize + Send + 'static>(
    link: &Arc<Link>,
    path: &str,
    body: &Bytes,
    request_id: Uuid,
    work: impl FnOnce(&Kiosk) -> Result<(T, Option<LinkEvent>)> + Send + 'static,
) -> Response {
    let fingerprint = hex::encode(token_digest(&format!("{path}\n{}", String::from_utf8_lossy(body))));
    let kiosk = link.kiosk.clone();
    let done = tokio::task::spawn_blocking(move || -> Result<(KeptAnswer, Option<LinkEvent>)> {
        if let Some(kept) = kiosk.store().kept_answer(request_id, &fingerprint)? {
            return Ok((kept, None));
        }
        let result = work(&kiosk);
        let event = result.as_ref().ok().and_then(|(_, e)| e.clone());
        // A busy kiosk changed nothing: the same request later may succeed.
        let keep = !matches!(result, Err(Error::LinkBusy));
        let (status, body) = envelope(result.map(|(t, _)| t));
        let kept = KeptAnswer { status: status.as_u16(), body };
        if keep {
            kiosk.store().keep_answer(request_id, &fingerprint, &kept)?;
        }
        Ok((kept, event))
    })
    .await;
    match done {
        Ok(Ok((kept, event))) => {
            if let Some(event) = event {
                (link.notify)(event);
            }
            let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [(header::CONTENT_TYPE, "application/json")], kept.body).into_response()
        }
        Ok(Err(e)) => answer::<()>(Err(e)),
        Err(e) => answer::<()>(Err(Error::Corrupt(format!("a link task failed: {e}")))),
    }
}

async fn sign_in(State(link): State<Arc<Link>>, body: Body) -> Response {
    match parse::<SignIn>(body) {
        Ok((r, body)) => {
            once(&link, paths::SIGN_IN, &body, r.request_id, move |k| {
                Ok((k.link_sign_in(&r.employee_no)?, Some(LinkEvent::Staff)))
            })
            .await
        }
        Err(e) => answer::<()>(Err(e)),
    }
}

async fn sign_out(State(link): State<Arc<Link>>, body: Body) -> Response {
    match parse::<Plain>(body) {
        Ok((r, body)) => {
            once(&link, paths::SIGN_OUT, &body, r.request_id, |k| Ok((k.link_sign_out()?, Some(LinkEvent::Staff))))
                .await
        }
        Err(e) => answer::<()>(Err(e)),
    }
}

async fn rate(State(link): State<Arc<Link>>, body: Body) -> Response {
    match parse::<RateRequest>(body) {
        Ok((r, body)) => {
            let id = r.request_id;
            once(&link, paths::RATE, &body, id, move |k| {
                let (status, case_no) = k.link_rate(&r)?;
                Ok((status, Some(LinkEvent::Rate { case_no })))
            })
            .await
        }
        Err(e) => answer::<()>(Err(e)),
    }
}

async fn pause(State(link): State<Arc<Link>>, body: Body) -> Response {
    match parse::<Plain>(body) {
        Ok((r, body)) => {
            once(&link, paths::PAUSE, &body, r.request_id, |k| Ok((k.link_pause()?, Some(LinkEvent::Paused)))).await
        }
        Err(e) => answer::<()>(Err(e)),
    }
}

async fn resume(State(link): State<Arc<Link>>, body: Body) -> Response {
    match parse::<Plain>(body) {
        Ok((r, body)) => {
            once(&link, paths::RESUME, &body, r.request_id, |k| Ok((k.link_resume()?, Some(LinkEvent::Resumed)))).await
        }
        Err(e) => answer::<()>(Err(e)),
    }
}

async fn status(State(link): State<Arc<Link>>) -> Response {
    let kiosk = link.kiosk.clone();
    let status = tokio::task::spawn_blocking(move || kiosk.link_status()).await;
    answer::<WindowStatus>(status.unwrap_or_else(|e| Err(Error::Corrupt(e.to_string()))))
}

impl Kiosk {
    /// The link's settings, for the admin screen.
    pub fn admin_link_settings(&self) -> Result<LinkSettings> {
        self.require_admin()?;
        let kept = self.store().link_kept()?;
        Ok(LinkSettings { has_token: kept.token_sha256.is_some(), ..kept.settings })
    }

    /// Turns the link on or off, where it listens and whom it answers.
    pub fn admin_set_link(&self, settings: &LinkSettings) -> Result<LinkSettings> {
        self.require_admin()?;
        let mut kept = self.store().link_kept()?;
        kept.settings = LinkSettings { has_token: kept.token_sha256.is_some(), ..settings.clone() };
        self.store().set_link_kept(&kept)?;
        Ok(kept.settings)
    }

    /// The link as the command line sets it (`--window-link`): on, at `listen`,
    /// with `token`. The command line is trusted like the administrator, as
    /// for `--reference`: whoever starts the app owns its data folder anyway.
    /// The addresses allowed stay as the administrator left them.
    pub fn set_link_from_command_line(&self, listen: SocketAddr, token: &str) -> Result<()> {
        let token = token.trim();
        if token.len() < MIN_TOKEN_LEN || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::LinkField("token"));
        }
        let mut kept = self.store().link_kept()?;
        kept.settings.enabled = true;
        kept.settings.listen = listen;
        kept.settings.has_token = true;
        kept.token_sha256 = Some(hex::encode(token_digest(token)));
        self.store().set_link_kept(&kept)
    }

    /// A new token for the window's system, shown this once; the one before stops working.
    pub fn admin_new_link_token(&self) -> Result<String> {
        self.require_admin()?;
        let token = new_token();
        let mut kept = self.store().link_kept()?;
        kept.token_sha256 = Some(hex::encode(token_digest(&token)));
        kept.settings.has_token = true;
        self.store().set_link_kept(&kept)?;
        Ok(token)
    }
}

#[cfg(test)]
pub(crate) fn test_router(kiosk: Arc<Kiosk>, notify: Notify) -> Result<Router> {
    let kept = kiosk.store().link_kept()?;
    Ok(router(kiosk, &kept, notify))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::Path;
    use std::sync::Mutex;

    use axum::body::Body as HttpBody;
    use axum::http::Request as HttpRequest;
    use http_body_util::BodyExt;
    use serde_json::{Value, json};
    use tower::ServiceExt;

    use super::*;

    const ADMIN_PIN: &str = "260418";

    struct Rig {
        _dir: tempfile::TempDir,
        kiosk: Arc<Kiosk>,
        token: String,
        events: Arc<Mutex<Vec<LinkEvent>>>,
    }

    /// A kiosk set up at window 02 of the demo hall, the link on with a token,
    /// the administrator's screen left (locked again).
    fn rig() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let kiosk = Arc::new(Kiosk::open(dir.path()).unwrap());
        kiosk.import_reference(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/reference.json")).unwrap();
        kiosk.set_admin_pin(ADMIN_PIN).unwrap();
        kiosk.bind_window("jianghai-w02").unwrap();
        let on = LinkSettings { enabled: true, ..LinkSettings::default() };
        kiosk.admin_set_link(&on).unwrap();
        let token = kiosk.admin_new_link_token().unwrap();
        kiosk.admin_lock();
        Rig { _dir: dir, kiosk, token, events: Arc::default() }
    }

    impl Rig {
        async fn send(&self, from: &str, token: Option<&str>, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
            let events = self.events.clone();
            let notify: Notify = Arc::new(move |e| events.lock().unwrap().push(e));
            let app = test_router(self.kiosk.clone(), notify).unwrap();
            let mut req = HttpRequest::builder().method(method).uri(path).header("content-type", "application/json");
            if let Some(t) = token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let mut req = req.body(HttpBody::from(body)).unwrap();
            let peer: SocketAddr = format!("{from}:50000").parse().unwrap();
            req.extensions_mut().insert(ConnectInfo(peer));
            let response = app.oneshot(req).await.unwrap();
            let status = response.status().as_u16();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        }

        async fn post(&self, path: &str, body: Value) -> (u16, Value) {
            self.send("127.0.0.1", Some(&self.token.clone()), "POST", path, serde_json::to_vec(&body).unwrap()).await
        }
    }

    fn code(v: &Value) -> &str {
        v["error"]["code"].as_str().unwrap_or("")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_window_signs_in_asks_for_a_case_once_pauses_and_never_learns_how_it_was_rated() {
        let r = rig();
        let (s, v) = r.post(paths::SIGN_IN, json!({"request_id": Uuid::now_v7(), "employee_no": "100102"})).await;
        assert_eq!((s, v["ok"]["staff"]["employee_no"].as_str()), (200, Some("100102")), "{v}");
        let ask = json!({"request_id": Uuid::now_v7(), "case_no": "a2026-0001", "ticket_no": "A012"});
        let (s, v) = r.post(paths::RATE, ask.clone()).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["ok"]["last_case"], json!({"case_no": "A2026-0001", "rated": false}));
        assert_eq!(r.events.lock().unwrap().last(), Some(&LinkEvent::Rate { case_no: "A2026-0001".into() }));
        // The same request again: the same answer, nothing new.
        let (s2, v2) = r.post(paths::RATE, ask.clone()).await;
        assert_eq!((s2, &v2["ok"]), (200, &v["ok"]));
        assert_eq!(r.kiosk.store().cases_after(0, 10).unwrap().len(), 1);
        // Another request under that id: refused.
        let reused = json!({"request_id": ask["request_id"], "case_no": "A2026-0002"});
        assert_eq!(code(&r.post(paths::RATE, reused).await.1), "request_reused");
        // The citizen rates; the case is rated, and asked again it is refused.
        let input = tiyan_core::rating::RatingInput {
            session_id: Uuid::now_v7(),
            attitude: 5,
            competence: 4,
            reasons: vec![],
            comment: None,
            phone: None,
            phone_consent: false,
        };
        r.kiosk.submit_rating(&input).unwrap();
        let (s, v) = r.send("127.0.0.1", Some(&r.token), "GET", paths::STATUS, vec![]).await;
        assert_eq!((s, &v["ok"]["last_case"]), (200, &json!({"case_no": "A2026-0001", "rated": true})));
        assert!(!v.to_string().contains("attitude") && !v.to_string().contains("competence"), "never how: {v}");
        let again = json!({"request_id": Uuid::now_v7(), "case_no": "A2026-0001"});
        let (s, v) = r.post(paths::RATE, again).await;
        assert_eq!((s, code(&v)), (409, "case_already_rated"));
        // Paused: no rating, no case; resumed: on again.
        assert_eq!(r.post(paths::PAUSE, json!({"request_id": Uuid::now_v7()})).await.1["ok"]["paused"], true);
        let (s, v) = r.post(paths::RATE, json!({"request_id": Uuid::now_v7(), "case_no": "B1"})).await;
        assert_eq!((s, code(&v)), (409, "window_paused"));
        assert!(matches!(r.kiosk.submit_rating(&input), Err(Error::WindowPaused)));
        assert_eq!(r.post(paths::RESUME, json!({"request_id": Uuid::now_v7()})).await.1["ok"]["paused"], false);
        assert_eq!(r.post(paths::SIGN_OUT, json!({"request_id": Uuid::now_v7()})).await.1["ok"]["staff"], Value::Null);
        let (s, v) = r.post(paths::RATE, json!({"request_id": Uuid::now_v7(), "case_no": "B2"})).await;
        assert_eq!((s, code(&v)), (409, "window_closed"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn strangers_bad_bodies_and_a_busy_kiosk_are_refused_and_change_nothing() {
        let r = rig();
        let sign_in = || serde_json::to_vec(&json!({"request_id": Uuid::now_v7(), "employee_no": "100102"})).unwrap();
        let (s, v) = r.send("127.0.0.1", None, "POST", paths::SIGN_IN, sign_in()).await;
        assert_eq!((s, code(&v)), (401, "link_unauthorized"));
        let (s, v) = r.send("127.0.0.1", Some("not-the-token"), "POST", paths::SIGN_IN, sign_in()).await;
        assert_eq!((s, code(&v)), (401, "link_unauthorized"));
        let (s, v) = r.send("192.168.1.50", Some(&r.token), "POST", paths::SIGN_IN, sign_in()).await;
        assert_eq!((s, code(&v)), (403, "link_source_refused"));
        let (s, v) = r.send("127.0.0.1", Some(&r.token), "POST", paths::SIGN_IN, b"{not json".to_vec()).await;
        assert_eq!((s, code(&v)), (400, "malformed"));
        let extra = serde_json::to_vec(&json!({"request_id": Uuid::now_v7(), "employee_no": "1", "pin": "1"})).unwrap();
        assert_eq!(r.send("127.0.0.1", Some(&r.token), "POST", paths::SIGN_IN, extra).await.0, 400);
        let big = vec![b' '; 1024 * 1024];
        let (s, v) = r.send("127.0.0.1", Some(&r.token), "POST", paths::SIGN_IN, big).await;
        assert_eq!((s, code(&v)), (400, "too_large"));
        let (s, v) = r.send("127.0.0.1", Some(&r.token), "POST", "/window/v1/admin", vec![]).await;
        assert_eq!((s, code(&v)), (404, "not_found"));
        assert!(r.kiosk.status().unwrap().on_duty.is_none(), "nobody was signed in");
        // The administrator's screen is open: the window waits.
        r.kiosk.admin_unlock(ADMIN_PIN).unwrap();
        let (s, v) = r.send("127.0.0.1", Some(&r.token), "POST", paths::SIGN_IN, sign_in()).await;
        assert_eq!((s, code(&v)), (503, "link_busy"));
        r.kiosk.admin_lock();
        // An allowed address may; a new token retires the old one.
        let allowed =
            LinkSettings { enabled: true, allowed: vec!["192.168.1.50".parse().unwrap()], ..LinkSettings::default() };
        r.kiosk.admin_unlock(ADMIN_PIN).unwrap();
        r.kiosk.admin_set_link(&allowed).unwrap();
        let new_token = r.kiosk.admin_new_link_token().unwrap();
        r.kiosk.admin_lock();
        let (s, _) = r.send("192.168.1.50", Some(&new_token), "POST", paths::SIGN_IN, sign_in()).await;
        assert_eq!(s, 200);
        let (s, v) = r.send("192.168.1.50", Some(&r.token), "GET", paths::STATUS, vec![]).await;
        assert_eq!((s, code(&v)), (401, "link_unauthorized"));
        // With the window system's address listed alone, this PC itself is a stranger too.
        let (s, v) = r.send("127.0.0.1", Some(&new_token), "GET", paths::STATUS, vec![]).await;
        assert_eq!((s, code(&v)), (403, "link_source_refused"));
        // An IPv4 caller on a dual-stack socket arrives as ::ffff:a.b.c.d and counts as itself.
        let (s, _) = r.send("[::ffff:192.168.1.50]", Some(&new_token), "GET", paths::STATUS, vec![]).await;
        assert_eq!(s, 200);
        assert!(r.events.lock().unwrap().len() == 1, "one change was made: the last sign-in");
    }
}
