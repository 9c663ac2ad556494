//! The year's officers: entries written, problems reported, problems that led
//! to a rectification, the average score; a supervisor nominates the year's
//! excellent officers and prints the list.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;
use tiyan_core::accounts::Role;

use super::ledger::context;
use super::page::{Choice, Chrome, Section, render, when};
use super::session::{Office, OnPage, Posted};
use super::texts::Texts;
use crate::AppState;
use tiyan_services::officer_year::{self, OfficerLine};

#[derive(Deserialize, Default)]
pub struct YearQuery {
    year: Option<i32>,
}

#[derive(Template)]
#[template(path = "admin/officers.html")]
struct OfficersPage {
    c: Chrome,
    year: i32,
    years: Vec<Choice>,
    lines: Vec<OfficerLine>,
    supervisor: bool,
}

fn year_of(office: &Office, q: &YearQuery) -> i32 {
    q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(|| office.today().year())
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<YearQuery>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Officers)?;
        let cx = context(&state, &office).await?;
        let year = year_of(&office, &q);
        let lines = officer_year::year(&state.services, &cx.data, year).await.on(&office)?;
        let this = office.today().year();
        let years =
            (this - 4..=this).rev().map(|y| Choice::new(y.to_string(), y.to_string(), &year.to_string())).collect();
        render(&office, &OfficersPage { c, year, years, lines, supervisor: office.account.role == Role::Supervisor })
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "admin/officers_print.html")]
struct PrintPage {
    t: &'static Texts,
    year: i32,
    lines: Vec<OfficerLine>,
    printed: String,
}

/// The nominated officers, for the certificate ceremony and the file.
pub async fn print(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<YearQuery>) -> Response {
    let result = async {
        Chrome::new(&office, Section::Officers)?;
        let cx = context(&state, &office).await?;
        let year = year_of(&office, &q);
        let lines = officer_year::year(&state.services, &cx.data, year)
            .await
            .on(&office)?
            .into_iter()
            .filter(|l| l.nominated)
            .collect();
        render(&office, &PrintPage { t: office.t(), year, lines, printed: when(office.now) })
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct NominatePost {
    year: i32,
    officer: String,
    /// `1` nominates, anything else withdraws.
    on: String,
}

pub async fn nominate(State(state): State<Arc<AppState>>, posted: Posted<NominatePost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let cx = context(&state, &office).await?;
        let done =
            officer_year::nominate(&state.services, &office.who(), &cx.data, form.year, &form.officer, form.on == "1")
                .await;
        office.after(done.map(|_| office.t().nominated_done), &format!("/admin/officers?year={}", form.year))
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
