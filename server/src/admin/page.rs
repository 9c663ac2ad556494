//! What every page of the hall office shares: the frame (who is signed in,
//! the sections they may open, the language toggle, what the last change
//! did), rendering, the error page, and times written the hall's way.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use tiyan_core::accounts::{Role, Scope};
use tiyan_core::workdays::Calendar;

use super::session::{Failure, Flash, Office};
use super::texts::Texts;
use crate::error::Error;

/// The sections of the hall office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    Ledger,
    Figures,
    Officers,
    Accounts,
    Reference,
    Devices,
    Calendar,
    Upward,
    Audit,
}

impl Section {
    const ALL: [Section; 10] = [
        Section::Dashboard,
        Section::Ledger,
        Section::Figures,
        Section::Officers,
        Section::Accounts,
        Section::Reference,
        Section::Devices,
        Section::Calendar,
        Section::Upward,
        Section::Audit,
    ];

    fn href(self) -> &'static str {
        match self {
            Section::Dashboard => "/admin",
            Section::Ledger => "/admin/ledger",
            Section::Figures => "/admin/figures",
            Section::Officers => "/admin/officers",
            Section::Accounts => "/admin/accounts",
            Section::Reference => "/admin/reference",
            Section::Devices => "/admin/devices",
            Section::Calendar => "/admin/calendar",
            Section::Upward => "/admin/upward",
            Section::Audit => "/admin/audit",
        }
    }

    fn label(self, t: &Texts) -> &'static str {
        match self {
            Section::Dashboard => t.nav_dashboard,
            Section::Ledger => t.nav_ledger,
            Section::Figures => t.nav_figures,
            Section::Officers => t.nav_officers,
            Section::Accounts => t.nav_accounts,
            Section::Reference => t.nav_reference,
            Section::Devices => t.nav_devices,
            Section::Calendar => t.nav_calendar,
            Section::Upward => t.nav_upward,
            Section::Audit => t.nav_audit,
        }
    }

    /// Whether an account opens this section at all (what it may do there is the services' to say).
    pub fn open_to(self, scope: &Scope) -> bool {
        match self {
            Section::Dashboard | Section::Ledger | Section::Figures | Section::Calendar => true,
            Section::Officers | Section::Accounts | Section::Reference | Section::Devices | Section::Upward => {
                matches!(scope.role, Role::Supervisor | Role::HallAdmin)
            }
            Section::Audit => scope.reads_audit_log(),
        }
    }
}

pub struct Nav {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

/// The frame of every signed-in page.
pub struct Chrome {
    pub t: &'static Texts,
    pub name: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<Nav>,
    pub flash: Option<Flash>,
    /// The same page in the other language.
    pub lang_href: String,
    pub today: String,
}

impl Chrome {
    /// The frame for `office` in `section`; a role the section is not open to gets "not found".
    pub fn new(office: &Office, section: Section) -> Result<Chrome, Failure> {
        let (role, scope) = (office.account.role, office.scope());
        if !section.open_to(&scope) {
            return Err(Failure::Page { error: Error::NotFound("page".into()), lang: office.lang });
        }
        let t = office.t();
        Ok(Chrome {
            t,
            name: office.account.name.clone(),
            role: t.role(&role),
            csrf: office.csrf.clone(),
            nav: Section::ALL
                .into_iter()
                .filter(|s| s.open_to(&scope))
                .map(|s| Nav { href: s.href(), label: s.label(t), active: s == section })
                .collect(),
            flash: office.flash.clone(),
            lang_href: office.lang.toggle_href(&office.uri),
            today: office.today().to_string(),
        })
    }
}

/// `s` as a query-string value.
pub fn query_value(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|x| x.trim_start_matches('=').to_string()).unwrap_or_default()
}

/// Renders a page for `office`.
pub fn render(office: &Office, page: &impl Template) -> Result<Response, Failure> {
    match page.render() {
        Ok(html) => Ok(office.show(html)),
        Err(e) => Err(Failure::Page { error: Error::internal(e), lang: office.lang }),
    }
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage<'a> {
    t: &'static Texts,
    status: u16,
    message: &'a str,
}

/// A page that says what went wrong, with the way back.
pub fn error_page(t: &'static Texts, status: StatusCode, message: &str) -> Response {
    let page = ErrorPage { t, status: status.as_u16(), message };
    let html = page.render().unwrap_or_else(|_| format!("{} {}", status.as_u16(), t.error_title));
    (status, Html(html)).into_response()
}

/// A moment as the hall reads it, in China Standard Time: `2026-11-23 14:05`.
pub fn when(at: DateTime<Utc>) -> String {
    (at + Duration::hours(8)).format("%Y-%m-%d %H:%M").to_string()
}

/// This year and next, those the calendar does not know (deadlines in them
/// are estimates): next year's arrangement is published in November.
pub fn missing_years(calendar: &Calendar, today: NaiveDate) -> Vec<String> {
    [today.year(), today.year() + 1].into_iter().filter(|y| !calendar.knows_year(*y)).map(|y| y.to_string()).collect()
}

pub fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Choice {
        let value = value.into();
        Choice { selected: value == current, value, label: label.into() }
    }
}
