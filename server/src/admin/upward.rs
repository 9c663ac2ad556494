//! Reporting up in the page: per day, hall and target, what was queued for
//! the province's platform, acknowledged, refused and still waiting; the
//! refused records with the platform's words, and "send again" after a fix
//! (audited by the service).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ledger::context;
use super::page::{Chrome, Section, render, when};
use super::session::{Office, OnPage, Posted};
use crate::AppState;
use tiyan_services::upward;

/// Days the page shows, ending today.
const DAYS: u32 = 14;

pub struct DayLine {
    pub day: String,
    pub hall: String,
    pub target: String,
    pub queued: u64,
    pub acknowledged: u64,
    pub refused: u64,
    /// Waiting, and sent without an answer yet.
    pub waiting: u64,
}

pub struct RefusedLine {
    pub seq: i64,
    pub day: String,
    pub hall: String,
    pub target: String,
    pub kind: &'static str,
    pub record: String,
    pub reason: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "admin/upward.html")]
struct UpwardPage {
    c: Chrome,
    totals: Vec<DayLine>,
    days: Vec<DayLine>,
    refused: Vec<RefusedLine>,
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Upward)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let (from, to) = upward::span(office.today(), DAYS);
        let r = upward::reconciliation(&state.services, &office.who(), from, to).await.on(&office)?;
        let line = |d: &tiyan_storage::UpwardDay| DayLine {
            day: d.day.map(|d| d.to_string()).unwrap_or_default(),
            hall: if d.hall_id.is_empty() { String::new() } else { cx.names.hall(Some(&d.hall_id)) },
            target: d.target.clone(),
            queued: d.queued,
            acknowledged: d.acknowledged,
            refused: d.refused,
            waiting: d.waiting + d.sent,
        };
        let page = UpwardPage {
            totals: r.totals().iter().map(line).collect(),
            days: r.days.iter().rev().map(line).collect(),
            refused: r
                .refused
                .iter()
                .map(|x| RefusedLine {
                    seq: x.seq,
                    day: x.day.to_string(),
                    hall: cx.names.hall(Some(&x.hall_id)),
                    target: x.target.clone(),
                    kind: match x.kind {
                        tiyan_storage::OutboxKind::Rating => t.upward_rating,
                        tiyan_storage::OutboxKind::Rectification => t.upward_rectification,
                    },
                    record: x.record_id.to_string(),
                    reason: x.reason.clone(),
                    at: x.at.map(when).unwrap_or_default(),
                })
                .collect(),
            c,
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct ResendPost {
    /// One refused record; none: every refused record the account may send.
    #[serde(default)]
    seq: Option<i64>,
}

pub async fn resend(State(state): State<Arc<AppState>>, posted: Posted<ResendPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let seqs: Vec<i64> = form.seq.into_iter().collect();
        let sent = upward::resend(&state.services, &office.who(), &seqs).await;
        office.after(sent.map(|_| office.t().upward_resent), "/admin/upward")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
