//! Who is signed in to the hall office, and what a change must carry.
//!
//! The session cookie holds a random token (the database keeps its SHA-256,
//! so any server process serves the session); it is `HttpOnly`,
//! `SameSite=Strict`, limited to `/admin`, and `Secure` when the server's
//! public address is `https://`. A change (every POST) must come from this
//! site (`Sec-Fetch-Site`, `Origin` or `Referer` say so) and carry the form
//! token bound to the session; anything else is refused before it is read.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::{HOST, LOCATION, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tiyan_core::accounts::Scope;
use tiyan_core::workdays::china_date;
use tiyan_infra::secret::{digests_match, token_digest};

use super::page::{error_page, query_value};
use super::texts::{Lang, Texts};
use crate::AppState;
use crate::client_addr::ClientAddr;
use crate::error::{Error, HttpError};
use tiyan_services::{Who, accounts};
use tiyan_storage::Account;

pub const SESSION_COOKIE: &str = "tiyan_admin";
pub const LANG_COOKIE: &str = "tiyan_lang";
const FLASH_COOKIE: &str = "tiyan_flash";

/// A signed-in person at the hall office, on this request.
pub struct Office {
    pub account: Account,
    pub csrf: String,
    pub token: String,
    pub lang: Lang,
    pub client: IpAddr,
    pub now: DateTime<Utc>,
    /// The page asked for (path and query), to come back to.
    pub uri: String,
    /// What the last change did, shown once.
    pub flash: Option<Flash>,
    pub secure: bool,
    /// The address the browser used (its `Host`), for links a device must follow.
    pub host: Option<String>,
}

impl Office {
    /// The server's address as devices reach it: the configured public
    /// address, else the one this browser used.
    pub fn server_url(&self, public_url: Option<&str>) -> String {
        match public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.host.as_deref().unwrap_or("127.0.0.1")),
        }
    }

    pub fn t(&self) -> &'static Texts {
        self.lang.texts()
    }

    pub fn who(&self) -> Who<'_> {
        Who::account(&self.account, self.client, self.now)
    }

    pub fn scope(&self) -> Scope {
        self.account.scope()
    }

    /// The hall's calendar date.
    pub fn today(&self) -> NaiveDate {
        china_date(self.now)
    }

    /// After a change: to `to`, saying `done`, or on an error the person can
    /// act on, saying what was wrong (the form is shown again). Any other
    /// error is an error page.
    pub fn after(&self, result: Result<&str, Error>, to: &str) -> Result<Response, Failure> {
        let flash = match result {
            Ok(done) => Flash { ok: true, text: done.to_string() },
            Err(e) if for_the_person(&e) => Flash { ok: false, text: self.t().error(&e) },
            Err(e) => return Err(Failure::Page { error: e, lang: self.lang }),
        };
        let cookie = short_cookie(FLASH_COOKIE, flash.encode(), self.secure);
        Ok((CookieJar::new().add(cookie), see_other(to)).into_response())
    }

    /// A rendered page; the flash it showed is cleared.
    pub fn show(&self, html: String) -> Response {
        let mut response = axum::response::Html(html).into_response();
        if self.flash.is_some() {
            let jar = CookieJar::new().add(removal(FLASH_COOKIE, self.secure));
            response = (jar, response).into_response();
        }
        response
    }
}

/// A service's answer on a page: its error becomes an error page in the
/// reader's language (the one way every handler turns an error into a page).
pub trait OnPage<T> {
    fn on(self, office: &Office) -> Result<T, Failure>;
}

impl<T, E: Into<Error>> OnPage<T> for Result<T, E> {
    fn on(self, office: &Office) -> Result<T, Failure> {
        self.map_err(|e| Failure::Page { error: e.into(), lang: office.lang })
    }
}

/// The errors a person fixes by changing what they entered or looking again.
fn for_the_person(e: &Error) -> bool {
    matches!(
        e,
        Error::Invalid(_)
            | Error::Forbidden(_)
            | Error::Step(_)
            | Error::Stale
            | Error::Locked { .. }
            | Error::WrongPassword
    )
}

fn short_cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value)).path("/admin").http_only(true).same_site(SameSite::Strict).secure(secure).build()
}

/// The session cookie for `token`.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    short_cookie(SESSION_COOKIE, token, secure)
}

pub fn clear_session(secure: bool) -> CookieJar {
    CookieJar::new().add(removal(SESSION_COOKIE, secure))
}

/// A cookie that makes the browser forget `name` (a jar's `remove` only
/// removes cookies the request brought into that jar).
fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = short_cookie(name, String::new(), secure);
    c.make_removal();
    c
}

/// What the last change did, carried across its redirect in a cookie.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

impl Flash {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(s: &str) -> Option<Flash> {
        let text: Flash = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        // Only words this server wrote fit; anything longer is not a flash.
        (text.text.chars().count() <= 400).then_some(text)
    }
}

pub fn see_other(to: &str) -> Response {
    let to = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/admin"));
    (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response()
}

/// A place inside the hall office to go back to; anything else is the dashboard.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/admin") && !n.contains("//") && !n.contains('\\') && !n.contains(['\r', '\n']) => {
            n.to_string()
        }
        _ => "/admin".to_string(),
    }
}

/// The language the person chose (a cookie), Chinese unless English.
pub fn lang(headers: &HeaderMap) -> Lang {
    CookieJar::from_headers(headers).get(LANG_COOKIE).map_or(Lang::Zh, |c| Lang::parse(c.value()))
}

/// The language cookie, kept for a year (the `Set-Cookie` value).
pub fn lang_cookie(lang: Lang, secure: bool) -> String {
    format!("{}; Max-Age=31536000", short_cookie(LANG_COOKIE, lang.code().to_string(), secure))
}

/// Whether the server's address is `https://`: cookies are then `Secure`.
pub fn secure(state: &AppState) -> bool {
    state.settings.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
}

/// Why a request to the hall office is not served.
pub enum Failure {
    /// Not signed in (or the session ended): to the sign-in page, then back.
    SignIn {
        next: String,
        ended: bool,
    },
    /// A change that did not come from this site or did not carry the session's token.
    Refused {
        lang: Lang,
    },
    Page {
        error: Error,
        lang: Lang,
    },
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Failure::SignIn { next, ended } => {
                let mut to = format!("/admin/sign-in?next={}", query_value(&next));
                if ended {
                    to.push_str("&ended=1");
                }
                see_other(&to)
            }
            Failure::Refused { lang } => {
                let t = lang.texts();
                error_page(t, StatusCode::FORBIDDEN, t.refused)
            }
            Failure::Page { error, lang } => {
                let t = lang.texts();
                let (status, _) = crate::error::status(&error);
                if status.is_server_error() {
                    tracing::error!(cause = %error, "hall office: error page");
                }
                error_page(t, status, &t.error(&error))
            }
        }
    }
}

impl FromRequestParts<Arc<AppState>> for Office {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let lang = lang(&parts.headers);
        // The address as the browser asked for it (the router under /admin sees it without the prefix).
        let original = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |o| &o.0);
        let uri = original.path_and_query().map_or("/admin", |p| p.as_str()).to_string();
        let next = if parts.method == axum::http::Method::GET { uri.clone() } else { "/admin".to_string() };
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_string()).filter(|t| !t.is_empty()) else {
            return Err(Failure::SignIn { next, ended: false });
        };
        let now = state.now();
        let session = accounts::session(&state.services, &token, state.settings.session_idle)
            .await
            .map_err(|error| Failure::Page { error, lang })?;
        let Some(session) = session else { return Err(Failure::SignIn { next, ended: true }) };
        let ClientAddr(client) = ClientAddr::from_request_parts(parts, state)
            .await
            .map_err(|HttpError(error)| Failure::Page { error, lang })?;
        Ok(Office {
            account: session.account,
            csrf: session.csrf,
            token,
            lang,
            client,
            now,
            uri,
            flash: jar.get(FLASH_COOKIE).and_then(|c| Flash::decode(c.value())),
            secure: secure(state),
            host: parts.headers.get(HOST).and_then(|h| h.to_str().ok()).map(str::to_string),
        })
    }
}

/// Whether a form post came from a page of this site. `Sec-Fetch-Site` (sent
/// by every Chromium since version 76) must say so; then the `Origin` (or,
/// from a browser that sends none, the `Referer`) must name the host the
/// request was sent to, or the server's public address.
pub fn same_origin(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return false;
    }
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let origin = match header(ORIGIN).filter(|o| *o != "null") {
        Some(o) => o,
        None => match header(REFERER) {
            Some(r) => r,
            None => return false,
        },
    };
    let Some(from) = authority(origin) else { return false };
    let host = header(HOST);
    host.is_some_and(|h| h.eq_ignore_ascii_case(from))
        || public_url.and_then(authority).is_some_and(|p| p.eq_ignore_ascii_case(from))
}

/// `host[:port]` of an absolute http(s) URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty() && !a.contains('@'))
}

fn csrf_matches(office: &Office, sent: &str) -> bool {
    digests_match(&token_digest(&office.csrf), &token_digest(sent))
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Who is signed in, for a change that came from this site (its token is checked once the body is read).
async fn changing(parts: &mut Parts, state: &Arc<AppState>) -> Result<Office, Failure> {
    let office = Office::from_request_parts(parts, state).await?;
    if !same_origin(&parts.headers, state.settings.public_url.as_deref()) {
        return Err(Failure::Refused { lang: office.lang });
    }
    Ok(office)
}

/// A form post from a signed-in person, checked: from this site, with the
/// session's token. `T` is the form's other fields.
pub struct Posted<T> {
    pub office: Office,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<AppState>> for Posted<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let office = changing(&mut parts, state).await?;
        let lang = office.lang;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| Failure::Page { error: Error::BodyTooLarge, lang })?;
        let sent: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|_| Failure::Refused { lang })?;
        if !csrf_matches(&office, &sent.csrf) {
            return Err(Failure::Refused { lang });
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| Failure::Page { error: Error::Malformed(format!("the form: {e}")), lang })?;
        Ok(Posted { office, form })
    }
}

/// A form with no fields but its token (a button).
#[derive(Deserialize)]
pub struct Nothing {}

/// A form post with files (`multipart/form-data`), checked like [`Posted`].
pub struct Uploaded {
    pub office: Office,
    pub fields: HashMap<String, String>,
    /// Files by field name; an empty file input is left out.
    pub files: HashMap<String, Vec<u8>>,
}

impl FromRequest<Arc<AppState>> for Uploaded {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let office = changing(&mut parts, state).await?;
        let lang = office.lang;
        let malformed = |what: &str| Failure::Page { error: Error::Malformed(format!("the form: {what}")), lang };
        let mut multipart = Multipart::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| malformed("not multipart"))?;
        let (mut fields, mut files) = (HashMap::new(), HashMap::new());
        while let Some(field) = multipart.next_field().await.map_err(|e| malformed(&e.body_text()))? {
            let name = field.name().unwrap_or_default().to_string();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|e| malformed(&e.body_text()))?;
                if !bytes.is_empty() {
                    files.insert(name, bytes.to_vec());
                }
            } else {
                fields.insert(name, field.text().await.map_err(|e| malformed(&e.body_text()))?);
            }
        }
        if !csrf_matches(&office, fields.get("csrf").map_or("", String::as_str)) {
            return Err(Failure::Refused { lang });
        }
        Ok(Uploaded { office, fields, files })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        }
        h
    }

    #[test]
    fn a_post_counts_as_this_sites_only_when_the_browser_says_so() {
        let ok = headers(&[("host", "hall.example:8787"), ("origin", "http://hall.example:8787")]);
        assert!(same_origin(&ok, None));
        let evil = headers(&[("host", "hall.example:8787"), ("origin", "http://evil.example")]);
        assert!(!same_origin(&evil, None));
        let cross = headers(&[
            ("host", "hall.example:8787"),
            ("origin", "http://hall.example:8787"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(!same_origin(&cross, None));
        let referer = headers(&[("host", "hall.example"), ("referer", "https://hall.example/admin/ledger")]);
        assert!(same_origin(&referer, None));
        assert!(!same_origin(&headers(&[("host", "hall.example")]), None), "neither Origin nor Referer");
        let behind_proxy = headers(&[("host", "127.0.0.1:9000"), ("origin", "https://tiyan.gov.example")]);
        assert!(same_origin(&behind_proxy, Some("https://tiyan.gov.example/")));
        let userinfo = headers(&[("host", "evil.example"), ("origin", "http://hall.example@evil.example")]);
        assert!(!same_origin(&userinfo, None));
    }

    #[test]
    fn only_a_place_in_the_hall_office_is_gone_back_to() {
        assert_eq!(local_path(Some("/admin/ledger?state=registered")), "/admin/ledger?state=registered");
        for bad in ["https://evil.example", "//evil.example", "/admin//evil", "/admin/\\evil", "/other"] {
            assert_eq!(local_path(Some(bad)), "/admin", "{bad}");
        }
        assert_eq!(local_path(None), "/admin");
    }
}
