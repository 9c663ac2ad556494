//! The window's side of the window link ([`tiyan_core::window`]): what a hall's
//! queue and case system sends a Tiyan kiosk, as a small client. `tiyan-window`
//! (main.rs) puts it on the command line for demos and rehearsals; the system
//! tests and the benchmark drive the kiosk with it.

use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use tiyan_core::window::{DEFAULT_PORT, paths};
use uuid::Uuid;

/// Where a kiosk's link listens unless its administrator chose otherwise.
pub fn default_kiosk() -> String {
    format!("http://127.0.0.1:{DEFAULT_PORT}")
}

/// One kiosk's link, as the window's system holds it: its address and token.
#[derive(Clone)]
pub struct Link {
    base: String,
    token: String,
    http: reqwest::Client,
}

/// The kiosk's answer: its HTTP status and the protocol's envelope.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// What the kiosk answered with on success (the window's status).
    pub fn value(&self) -> &Value {
        &self.body["ok"]
    }

    /// The refusal's code (`case_already_rated`, `link_unauthorized`, ...), if refused.
    pub fn code(&self) -> Option<&str> {
        self.body["error"]["code"].as_str()
    }

    pub fn message(&self) -> Option<&str> {
        self.body["error"]["message"].as_str()
    }
}

/// What a rating request says of the case.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub case_no: String,
    pub ticket_no: Option<String>,
    pub matter: Option<String>,
}

impl Link {
    pub fn new(kiosk: &str, token: &str) -> Result<Link> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // The kiosk is on this PC or the hall's LAN: never through a proxy.
            .no_proxy()
            .build()
            .context("an HTTP client")?;
        Ok(Link { base: kiosk.trim_end_matches('/').to_string(), token: token.to_string(), http })
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Answer> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let response = request.send().await.with_context(|| format!("cannot reach the kiosk at {url}"))?;
        let status = response.status().as_u16();
        let text = response.text().await.context("reading the kiosk's answer")?;
        let body = serde_json::from_str(&text).with_context(|| {
            format!("the kiosk answered {status} with something that is not its envelope: {text:.200}")
        })?;
        Ok(Answer { status, body })
    }

    async fn post(&self, path: &str, request_id: Uuid, fields: Value) -> Result<Answer> {
        let mut body = json!({ "request_id": request_id });
        if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
            body.extend(fields);
        }
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// Signs in the staff member the window's system identified.
    pub async fn sign_in(&self, request_id: Uuid, employee_no: &str) -> Result<Answer> {
        self.post(paths::SIGN_IN, request_id, json!({ "employee_no": employee_no })).await
    }

    pub async fn sign_out(&self, request_id: Uuid) -> Result<Answer> {
        self.post(paths::SIGN_OUT, request_id, json!({})).await
    }

    /// Asks the citizen to rate a case done at the window.
    pub async fn rate(&self, request_id: Uuid, case: &Case) -> Result<Answer> {
        let mut fields = json!({ "case_no": case.case_no });
        if let Some(t) = &case.ticket_no {
            fields["ticket_no"] = json!(t);
        }
        if let Some(m) = &case.matter {
            fields["matter"] = json!(m);
        }
        self.post(paths::RATE, request_id, fields).await
    }

    pub async fn pause(&self, request_id: Uuid) -> Result<Answer> {
        self.post(paths::PAUSE, request_id, json!({})).await
    }

    pub async fn resume(&self, request_id: Uuid) -> Result<Answer> {
        self.post(paths::RESUME, request_id, json!({})).await
    }

    pub async fn status(&self) -> Result<Answer> {
        self.send(reqwest::Method::GET, paths::STATUS, None).await
    }
}
