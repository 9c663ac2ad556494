//! The dashboard: what is due today, overdue, escalated and waiting for a
//! decision in the account's halls, this month's ratings, and a warning when
//! the calendar does not know a year deadlines fall in.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::ledger::{ItemLine, PER_PAGE, context, line, list_href};
use super::page::{Chrome, Section, missing_years, render, when};
use super::session::{Office, OnPage, Posted};
use crate::AppState;
use crate::error::Error;
use tiyan_services::{alerts, fleet, ledger};
use tiyan_storage::LedgerFilter;

/// A count on the dashboard, and the list it opens.
pub struct Tile {
    pub label: &'static str,
    pub count: u64,
    pub href: String,
    /// `overdue`, `soon` or empty: its colour when not zero.
    pub tone: &'static str,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    c: Chrome,
    welcome: String,
    tiles: Vec<Tile>,
    month: Vec<(&'static str, u64)>,
    warning: Option<String>,
    estimates: Option<String>,
    attention: Vec<ItemLine>,
    all_href: String,
    alerts: Vec<AlertLine>,
    silent: Vec<String>,
}

pub struct AlertLine {
    pub id: String,
    pub text: String,
    pub administers: bool,
}

/// How many of the most urgent items the dashboard lists.
const ATTENTION: u32 = 15;

pub async fn page(State(state): State<Arc<AppState>>, office: Office) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Dashboard)?;
        let t = office.t();
        let today = office.today();
        let cx = context(&state, &office).await?;
        let scope = office.scope();
        // The live alerts and the fleet as of the last request this process took.
        state.services.settle().await;
        let next_working_day = cx.calendar.add_working_days(today, 1).date;
        // The most urgent first: what is overdue, then what falls due soonest.
        let due = LedgerFilter {
            // ledger::list keeps the halls the account sees.
            open_only: true,
            due_by: Some(next_working_day),
            page: 0,
            per_page: ATTENTION.min(PER_PAGE),
            ..LedgerFilter::default()
        };
        let (services, who) = (&state.services, office.who());
        // Four reads that need nothing of each other: taken together, the page
        // waits for the slowest of them rather than for their sum.
        let (d, page, open_alerts, fleet_lines) = tokio::try_join!(
            ledger::dashboard(services, &who, today),
            ledger::list(services, &who, due),
            alerts::open(services, &who),
            fleet::fleet(services, &who),
        )
        .on(&office)?;
        let soon = next_working_day.to_string();
        let today_s = today.to_string();
        let tiles = vec![
            Tile { label: t.dash_overdue, count: d.overdue, href: list_href(&[("overdue", "1")]), tone: "overdue" },
            Tile {
                label: t.dash_due_today,
                count: d.due_today,
                href: list_href(&[("due_by", &today_s)]),
                tone: "soon",
            },
            Tile { label: t.dash_due_soon, count: d.due_soon, href: list_href(&[("due_by", &soon)]), tone: "soon" },
            Tile {
                label: t.dash_escalated,
                count: d.escalated,
                href: list_href(&[("escalated", "1")]),
                tone: "overdue",
            },
            Tile { label: t.dash_appealed, count: d.appealed, href: list_href(&[("state", "appealed")]), tone: "" },
            Tile {
                label: t.dash_registered_today,
                count: d.registered_today,
                href: list_href(&[("state", "registered")]),
                tone: "",
            },
            Tile { label: t.dash_open, count: d.open, href: list_href(&[]), tone: "" },
        ];
        let month = vec![(t.dash_ratings, d.ratings), (t.dash_bad, d.bad_reviews), (t.dash_excluded, d.excluded)];
        let missing = missing_years(&cx.calendar, today);
        let warning = (!missing.is_empty()).then(|| t.fill(t.calendar_missing, "year", missing.join("、")));
        let estimates = (d.estimates > 0).then(|| t.fill(t.estimates_note, "n", d.estimates));
        let attention = page.items.iter().map(|r| line(r, &cx.names, &cx.calendar, today, t)).collect();
        let welcome = t.fill(t.welcome, "name", &office.account.name);
        let all_href = list_href(&[("due_by", &soon)]);
        let alerts: Vec<AlertLine> = open_alerts
            .into_iter()
            .map(|a| AlertLine {
                id: a.id.to_string(),
                text: t
                    .fill(t.alert_line, "window", cx.names.window(Some(&a.window_id)))
                    .replace("{bad}", &a.bad.to_string())
                    .replace("{n}", &a.ratings.to_string())
                    .replace("{minutes}", &a.minutes.to_string())
                    .replace("{at}", &when(a.raised_at)),
                administers: scope.administers(&a.hall_id),
            })
            .collect();
        let silent = fleet_lines
            .into_iter()
            .filter(|l| l.silent)
            .map(|l| {
                let seen = l.last_contact.map_or_else(|| t.never.to_string(), when);
                format!("{} · {} · {}", l.row.device.name, cx.names.window(l.row.device.window_id.as_deref()), seen)
            })
            .collect();
        let page = DashboardPage { c, welcome, tiles, month, warning, estimates, attention, all_href, alerts, silent };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(serde::Deserialize)]
pub struct AcknowledgePost {
    note: String,
}

/// A hall administrator acknowledges a live alert with what was done.
pub async fn acknowledge(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    posted: Posted<AcknowledgePost>,
) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let id = uuid::Uuid::parse_str(&id).map_err(|_| Error::NotFound("alert".into())).on(&office)?;
        let done = alerts::acknowledge(&state.services, &office.who(), id, &form.note).await;
        office.after(done.map(|_| office.t().acknowledged), "/admin")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
