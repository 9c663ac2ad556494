//! The working-day calendar and each hall's limits in the page: the years
//! imported and from where, a year's moved days, importing the published
//! data or a holiday-cn file, setting a single day, and the limits. Everyone
//! reads it; a supervisor changes the calendar, a hall's administrator its
//! limits.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use tiyan_core::accounts::Role;
use tiyan_core::workdays::DayKind;

use super::ledger::context;
use super::page::{Choice, Chrome, Section, missing_years, render, when};
use super::session::{Office, OnPage, Posted, Uploaded};
use crate::AppState;
use crate::error::{Error, Invalid};
use tiyan_services::calendar::{self, CalendarEdit, REGISTRY_YEARS};
use tiyan_storage::HallSettings;

pub struct YearLine {
    pub year: i32,
    pub source: String,
    pub imported: String,
    pub href: String,
    pub shown: bool,
}

pub struct DayLine {
    pub date: String,
    pub weekday: &'static str,
    pub kind: &'static str,
    pub off: bool,
    pub note: String,
}

pub struct LimitsLine {
    pub hall_id: String,
    pub hall: String,
    pub limits: HallSettings,
    pub may_change: bool,
}

#[derive(Template)]
#[template(path = "admin/calendar.html")]
struct CalendarPage {
    c: Chrome,
    years: Vec<YearLine>,
    year: i32,
    days: Vec<DayLine>,
    warning: Option<String>,
    may_edit: bool,
    registry_years: Vec<Choice>,
    limits: Vec<LimitsLine>,
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    year: Option<i32>,
}

fn weekday(zh: bool, d: NaiveDate) -> &'static str {
    const ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = d.weekday().num_days_from_monday() as usize;
    if zh { ZH[i] } else { EN[i] }
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<CalendarQuery>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Calendar)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let today = office.today();
        let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or(today.year());
        let (imported, days) = calendar::year(&state.services, year).await.on(&office)?;
        let years = imported
            .iter()
            .map(|y| YearLine {
                year: y.year,
                source: y.source.clone(),
                imported: when(y.imported_at),
                href: format!("/admin/calendar?year={}", y.year),
                shown: y.year == year,
            })
            .collect();
        let zh = office.lang == super::texts::Lang::Zh;
        let days = days
            .into_iter()
            .map(|d| DayLine {
                date: d.date.to_string(),
                weekday: weekday(zh, d.date),
                kind: t.day_kind(&d.kind),
                off: d.kind == DayKind::Holiday,
                note: d.note,
            })
            .collect();
        let missing = missing_years(&cx.calendar, today);
        let warning = (!missing.is_empty()).then(|| t.fill(t.missing_years, "years", missing.join("、")));
        let limits = calendar::limits(&state.services, &office.who())
            .await
            .on(&office)?
            .into_iter()
            .map(|(hall, limits, may_change)| LimitsLine {
                hall: cx.names.hall(Some(&hall)),
                hall_id: hall,
                limits,
                may_change,
            })
            .collect();
        let scope = office.scope();
        let page = CalendarPage {
            c,
            years,
            year,
            days,
            warning,
            may_edit: scope.role == Role::Supervisor,
            registry_years: REGISTRY_YEARS.iter().map(|y| Choice::new(y.to_string(), y.to_string(), "")).collect(),
            limits,
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

async fn apply(
    state: &AppState,
    office: &Office,
    edit: Result<CalendarEdit, Error>,
    done: &str,
    back: &str,
) -> Response {
    let changed = match edit {
        Ok(edit) => calendar::edit(&state.services, &office.who(), edit).await,
        Err(e) => Err(e),
    };
    office.after(changed.map(|_| done), back).unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct RegistryPost {
    year: i32,
}

pub async fn import_registry(State(state): State<Arc<AppState>>, posted: Posted<RegistryPost>) -> Response {
    let Posted { office, form } = posted;
    let back = format!("/admin/calendar?year={}", form.year);
    apply(&state, &office, Ok(CalendarEdit::Registry(form.year)), office.t().calendar_saved, &back).await
}

pub async fn import_file(State(state): State<Arc<AppState>>, uploaded: Uploaded) -> Response {
    let Uploaded { office, mut files, .. } = uploaded;
    let edit = files.remove("file").map(CalendarEdit::File).ok_or_else(|| Invalid::Required("file").into());
    apply(&state, &office, edit, office.t().calendar_saved, "/admin/calendar").await
}

#[derive(Deserialize)]
pub struct DayPost {
    date: String,
    /// `holiday`, `workday` or `weekday` (back to what its weekday says).
    kind: String,
    #[serde(default)]
    note: String,
}

pub async fn set_day(State(state): State<Arc<AppState>>, posted: Posted<DayPost>) -> Response {
    let Posted { office, form } = posted;
    let edit = (|| {
        let date: NaiveDate = form.date.trim().parse().map_err(|_| Invalid::Value("date"))?;
        let note: String = form.note.trim().chars().take(40).collect();
        let day = match (form.kind.as_str(), DayKind::parse(&form.kind)) {
            (_, Some(kind)) => Some((kind, note)),
            ("weekday", None) => None,
            _ => return Err(Invalid::Value("kind").into()),
        };
        Ok::<_, Error>((date, day))
    })();
    let back = match &edit {
        Ok((d, _)) => format!("/admin/calendar?year={}", d.year()),
        Err(_) => "/admin/calendar".to_string(),
    };
    let edit = edit.map(|(date, day)| CalendarEdit::Day(date, day));
    apply(&state, &office, edit, office.t().calendar_saved, &back).await
}

#[derive(Deserialize)]
pub struct LimitsPost {
    hall: String,
    verify_days: u32,
    rectify_days: u32,
    complex_days: u32,
}

pub async fn set_limits(State(state): State<Arc<AppState>>, posted: Posted<LimitsPost>) -> Response {
    let Posted { office, form } = posted;
    let limits = HallSettings {
        verify_days: form.verify_days,
        rectify_days: form.rectify_days,
        complex_days: form.complex_days,
    };
    apply(&state, &office, Ok(CalendarEdit::Limits(form.hall, limits)), office.t().limits_saved, "/admin/calendar")
        .await
}
