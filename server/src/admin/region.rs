//! A region's month in the page: its halls side by side, ranked against the
//! region by the same method a hall ranks its windows with, the windows
//! across them, the regions below to go down the tree, and the workbook.
//! Only a region the account holds (else "not found").

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiyan_core::accounts::Place;
use tiyan_core::assessment::Month;
use tiyan_core::region::{Division, in_tree_order};

use super::figures::{Row, month_asked, month_choices, row, trend_chart, workbook_response};
use super::ledger::context;
use super::page::{Choice, Chrome, Section, query_value, render};
use super::session::{Failure, Office, OnPage};
use crate::AppState;
use crate::error::Error;
use tiyan_services::assessment::{self, RegionMonth};
use tiyan_services::report::Report;

/// The page lists this many windows across the region; the workbook all of them.
const WINDOWS_SHOWN: usize = 200;

#[derive(Deserialize, Default)]
pub struct Which {
    region: Option<String>,
    month: Option<String>,
}

impl Which {
    /// The region asked for (else the account's own; the whole server for
    /// its supervisor) and the month (this one by default).
    fn resolve(&self, office: &Office) -> Result<(Option<Division>, Month), Failure> {
        let not_found = |what: &str| Failure::Page { error: Error::NotFound(what.into()), lang: office.lang };
        let region = match self.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(code) => Some(Division::parse(code).map_err(|_| not_found("region"))?),
            None => match &office.scope().place {
                Place::Region(r) => Some(r.clone()),
                Place::Everywhere => None,
                Place::Hall(_) => return Err(not_found("region")),
            },
        };
        Ok((region, month_asked(office, self.month.as_deref())?))
    }
}

#[derive(Template)]
#[template(path = "admin/region.html")]
struct RegionPage {
    c: Chrome,
    title: String,
    regions: Vec<Choice>,
    months: Vec<Choice>,
    /// The regions directly below, to go down the tree: (name, href).
    below: Vec<(String, String)>,
    method: String,
    total: Vec<Row>,
    halls: Vec<Row>,
    windows: Vec<Row>,
    windows_more: usize,
    workbook_href: String,
    /// The region's twelve months to this one.
    chart: String,
}

fn region_href(path: &str, region: Option<&Division>, month: Month) -> String {
    format!("{path}?region={}&month={month}", region.map_or(String::new(), |r| query_value(r.as_str())))
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<Which>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Figures)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let lang = super::names::language(office.lang);
        let (region, month) = q.resolve(&office)?;
        let m = assessment::region_month(&state.services, &office.who(), region.as_ref(), month).await.on(&office)?;
        let points =
            assessment::region_trend(&state.services, &office.who(), region.as_ref(), month).await.on(&office)?;
        let scope = office.scope();
        let tree = in_tree_order(&cx.data.regions);
        let name =
            m.region.as_ref().map_or_else(|| t.no_hall.to_string(), |r| format!("{} {}", r.code, r.name.get(lang)));
        let mut regions: Vec<Choice> = Vec::new();
        let current = region.as_ref().map_or(String::new(), |r| r.to_string());
        if scope.everywhere() {
            regions.push(Choice::new("", t.no_hall, &current));
        }
        regions.extend(tree.iter().filter(|(_, r)| scope.holds(&Place::Region(r.code.clone()))).map(|(d, r)| {
            Choice::new(r.code.to_string(), format!("{}{} {}", "　".repeat(*d), r.code, r.name.get(lang)), &current)
        }));
        // Directly below: the regions whose nearest listed ancestor is this one.
        let depth_here = tree.iter().find(|(_, r)| Some(&r.code) == region.as_ref()).map(|(d, _)| *d);
        let below = tree
            .iter()
            .filter(|(d, r)| match (&region, depth_here) {
                (Some(here), Some(dh)) => *d == dh + 1 && here.contains(&r.code),
                _ => *d == 0,
            })
            .map(|(_, r)| {
                (format!("{} {}", r.code, r.name.get(lang)), region_href("/admin/figures/region", Some(&r.code), month))
            })
            .collect();
        let hall_href = |h: &str| format!("/admin/figures?hall={}&month={month}", query_value(h));
        let halls = m
            .halls
            .iter()
            .map(|h| {
                row(&h.hall.figures, cx.names.hall(Some(&h.hall.hall_id)), String::new(), hall_href(&h.hall.hall_id), t)
            })
            .collect();
        let windows = m
            .windows
            .iter()
            .take(WINDOWS_SHOWN)
            .map(|w| {
                let name =
                    format!("{} · {}", cx.names.hall(Some(&w.hall_id)), cx.names.window(Some(&w.window.window_id)));
                row(&w.window.figures, name, String::new(), hall_href(&w.hall_id), t)
            })
            .collect();
        let method = m.halls.first().map_or_else(String::new, |h| {
            t.fill(t.region_method_line, "minimum", m.minimum_ratings)
                .replace("{method}", &super::figures::method_line(h, t))
        });
        let page = RegionPage {
            title: format!("{} · {name} · {month}", t.region_figures),
            regions,
            months: month_choices(&office, month),
            below,
            method,
            total: vec![row(&m.total, name.clone(), String::new(), String::new(), t)],
            halls,
            windows_more: m.windows.len().saturating_sub(WINDOWS_SHOWN),
            windows,
            workbook_href: region_href("/admin/figures/region/workbook", region.as_ref(), month),
            chart: trend_chart(&points, t),
            c,
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// The region's month as a workbook: halls ranked, their windows and staff,
/// the windows across the region, the method.
pub async fn download(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<Which>) -> Response {
    let result = async {
        Chrome::new(&office, Section::Figures)?;
        let (region, month) = q.resolve(&office)?;
        let m: RegionMonth =
            assessment::region_month(&state.services, &office.who(), region.as_ref(), month).await.on(&office)?;
        let name = format!("tiyan-{}-{month}.xlsx", region.as_ref().map_or("all", |r| r.as_str()));
        workbook_response(&office, &Report::Region(Box::new(m)), &name)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
