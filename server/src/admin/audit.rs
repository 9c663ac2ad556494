//! The audit log, newest first, for supervisors: who did what to what, when
//! and from where. Append-only: the page only reads it.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{Chrome, Section, query_value, render, when};
use super::session::{Office, OnPage};
use crate::AppState;
use tiyan_services::audit::{self, AuditAction};
use tiyan_storage::AuditFilter;

const PER_PAGE: u32 = 100;

pub struct AuditLine {
    pub when: String,
    pub actor: String,
    pub client: String,
    /// The action's words, and its name (what the filter takes).
    pub label: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    c: Chrome,
    entries: Vec<AuditLine>,
    action: String,
    actor: String,
    older_href: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    actor: Option<String>,
    before: Option<i64>,
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<AuditQuery>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Audit)?;
        let trimmed = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let filter =
            AuditFilter { action: trimmed(&q.action), actor: trimmed(&q.actor), before: q.before, limit: PER_PAGE };
        let rows = audit::log(&state.services, &office.who(), &filter).await.on(&office)?;
        let older_href = (rows.len() as u32 == PER_PAGE).then(|| {
            let last = rows.last().map_or(0, |r| r.id);
            format!(
                "/admin/audit?action={}&actor={}&before={last}",
                query_value(filter.action.as_deref().unwrap_or("")),
                query_value(filter.actor.as_deref().unwrap_or(""))
            )
        });
        let entries = rows
            .into_iter()
            .map(|r| AuditLine {
                when: when(r.entry.at),
                actor: r.entry.actor,
                client: r.entry.client,
                // An entry of an action this build does not know shows its name only.
                label: AuditAction::parse(&r.entry.action)
                    .map_or_else(String::new, |a| office.t().audit_action(a).to_string()),
                action: r.entry.action,
                target: r.entry.target,
                detail: r.entry.detail,
            })
            .collect();
        let page = AuditPage {
            c,
            entries,
            action: filter.action.unwrap_or_default(),
            actor: filter.actor.unwrap_or_default(),
            older_href,
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
