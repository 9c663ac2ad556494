//! How bytes reach the server. The engine speaks to a [`Transport`]; the real
//! one is HTTP (reqwest), and tests put faults or an in-process server behind
//! the same trait.

use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    /// Path and query, e.g. `/api/v1/sync/state`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The request never got an answer: refused, cut, timed out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

pub trait Transport: Send + Sync + 'static {
    fn send(&self, request: Request) -> impl Future<Output = Result<Response, TransportError>> + Send;
}

/// HTTP to a server at `base` (e.g. `http://127.0.0.1:8787`).
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    pub fn new(base: &str) -> Result<Http, TransportError> {
        let base = base.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(TransportError(format!("{base:?} is not an http:// or https:// address")));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            // A slow hall link still moves a page of records within this.
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| TransportError(e.to_string()))?;
        Ok(Http { client, base })
    }

    pub fn base(&self) -> &str {
        &self.base
    }
}

impl Transport for Http {
    fn send(&self, request: Request) -> impl Future<Output = Result<Response, TransportError>> + Send {
        let url = format!("{}{}", self.base, request.path);
        let mut builder = match request.method {
            Method::Get => self.client.get(url),
            Method::Post => self.client.post(url).header("content-type", "application/json").body(request.body),
        };
        for (k, v) in request.headers {
            builder = builder.header(k, v);
        }
        async move {
            let response = builder.send().await.map_err(|e| TransportError(describe(&e)))?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(|e| TransportError(describe(&e)))?.to_vec();
            Ok(Response { status, body })
        }
    }
}

/// reqwest's errors nest their cause; a person wants the innermost words.
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}
