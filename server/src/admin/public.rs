//! The published figures (评价结果公开): no sign-in. Each hall's closed
//! months, per hall and window: ratings, satisfaction, bad-review rate and the
//! ledger's rates, as they were frozen, with later corrections beside them.
//! Staff appear (names masked) only where the hall turned that on. Nothing
//! about a citizen is in the figures to begin with.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use tiyan_core::assessment::Month;
use tiyan_core::mask::mask_name;
use tiyan_core::region::{Division, Region, in_tree_order};

use super::figures::{CorrectionRow, Row, correction_rows, method_line, row};
use super::names::{self, Names};
use super::page::{error_page, query_value};
use super::texts::{Lang, Texts};
use crate::AppState;
use crate::error::Error;
use tiyan_services::assessment;

#[derive(Deserialize, Default)]
pub struct LangQuery {
    lang: Option<String>,
}

/// The index's place in the tree of regions, and the language.
#[derive(Deserialize, Default)]
pub struct IndexQuery {
    lang: Option<String>,
    region: Option<String>,
}

impl LangQuery {
    fn lang(&self) -> Lang {
        Lang::parse(self.lang.as_deref().unwrap_or("zh"))
    }
}

/// The same page in the other language.
fn toggle(path: &str, lang: Lang) -> String {
    format!("{path}?lang={}", query_value(if lang.other() == Lang::En { "en" } else { "zh" }))
}

fn html(t: &'static Texts, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(html) => Html(html).into_response(),
        Err(e) => error_page(t, StatusCode::INTERNAL_SERVER_ERROR, &t.error(&Error::internal(e))),
    }
}

pub struct HallMonths {
    pub name: String,
    pub months: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/public_index.html")]
struct IndexPage {
    t: &'static Texts,
    toggle_href: String,
    /// The regions above this one and this one: (name, href).
    path: Vec<(String, String)>,
    /// The regions directly below with something published: (name, href).
    below: Vec<(String, String)>,
    halls: Vec<HallMonths>,
}

/// The published figures from the province down: at each region, the regions
/// below it that published something, and the halls hung right there.
pub async fn index(State(state): State<Arc<AppState>>, Query(q): Query<IndexQuery>) -> Response {
    let lang = Lang::parse(q.lang.as_deref().unwrap_or("zh"));
    let t = lang.texts();
    let here = match q.region.as_deref().map(str::trim).filter(|r| !r.is_empty()).map(Division::parse) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => return error_page(t, StatusCode::NOT_FOUND, t.not_found),
    };
    let loaded = async {
        let data = state.services.reference().await?;
        if here.as_ref().is_some_and(|r| !data.regions.iter().any(|x| &x.code == r)) {
            return Ok(None);
        }
        let closed = assessment::published_months(&state.services).await?;
        let names = Names::new(&data, lang);
        let suffix = if lang == Lang::En { "?lang=en" } else { "" };
        let tree = in_tree_order(&data.regions);
        let depth = |code: &Division| tree.iter().find(|(_, r)| &r.code == code).map(|(d, _)| *d);
        let link = |r: &Region| {
            let lang_part = if lang == Lang::En { "&lang=en" } else { "" };
            (r.name.get(names::language(lang)).to_string(), format!("/public?region={}{lang_part}", r.code))
        };
        let published = |hall: &str| closed.iter().any(|(h, _)| h == hall);
        let listed = |d: &Division| depth(d).is_some();
        let path = tree
            .iter()
            .filter(|(_, r)| here.as_ref().is_some_and(|h| r.code.contains(h)))
            .map(|(_, r)| link(r))
            .collect();
        let below = tree
            .iter()
            .filter(|(d, r)| match &here {
                Some(h) => h.contains(&r.code) && Some(*d) == depth(h).map(|x| x + 1),
                None => *d == 0,
            })
            .filter(|(_, r)| {
                data.halls.iter().any(|x| published(&x.id) && x.division.as_ref().is_some_and(|d| r.code.contains(d)))
            })
            .map(|(_, r)| link(r))
            .collect();
        let halls = data
            .halls
            .iter()
            // The halls hung right here (at the top: those under no listed region).
            .filter(|h| match (&here, &h.division) {
                (Some(r), Some(d)) => r == d,
                (Some(_), None) => false,
                (None, d) => d.as_ref().is_none_or(|d| !listed(d)),
            })
            .map(|h| HallMonths {
                name: names.hall(Some(&h.id)),
                months: closed
                    .iter()
                    .filter(|(hall, _)| *hall == h.id)
                    .map(|(_, m)| (m.to_string(), format!("/public/{}/{m}{suffix}", query_value(&h.id))))
                    .collect(),
            })
            .filter(|h| !h.months.is_empty())
            .collect();
        Ok::<_, Error>(Some((path, below, halls)))
    };
    let toggle_path = match &here {
        Some(r) => format!("/public?region={r}&lang={}", if lang.other() == Lang::En { "en" } else { "zh" }),
        None => toggle("/public", lang),
    };
    match loaded.await {
        Ok(Some((path, below, halls))) => {
            html(t, IndexPage { t, toggle_href: toggle_path, path, below, halls }.render())
        }
        Ok(None) => error_page(t, StatusCode::NOT_FOUND, t.not_found),
        Err(e) => error_page(t, StatusCode::SERVICE_UNAVAILABLE, &t.error(&e)),
    }
}

#[derive(Template)]
#[template(path = "admin/public_month.html")]
struct MonthPage {
    t: &'static Texts,
    toggle_href: String,
    hall_name: String,
    month: String,
    method: String,
    hall_rows: Vec<Row>,
    windows: Vec<Row>,
    staff: Vec<Row>,
    corrections: Vec<CorrectionRow>,
}

/// A closed month of a hall; an open month or an unknown hall is not found.
pub async fn month(
    State(state): State<Arc<AppState>>,
    Path((hall, month)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Response {
    let lang = q.lang();
    let t = lang.texts();
    let Some(m) = Month::parse(&month) else { return error_page(t, StatusCode::NOT_FOUND, t.not_found) };
    let loaded = async {
        let data = state.services.reference().await?;
        let published = assessment::published(&state.services, &data, &hall, m).await?;
        Ok::<_, Error>(published.map(|(view, names_on)| (data, view, names_on)))
    };
    let (data, view, names_on) = match loaded.await {
        Ok(Some(x)) => x,
        Ok(None) => return error_page(t, StatusCode::NOT_FOUND, t.not_found),
        Err(e) => return error_page(t, StatusCode::SERVICE_UNAVAILABLE, &t.error(&e)),
    };
    let names = Names::new(&data, lang);
    let f = &view.figures;
    let plain = |figures, name, number| row(figures, name, number, String::new(), t);
    let page = MonthPage {
        t,
        toggle_href: toggle(&format!("/public/{}/{m}", query_value(&hall)), lang),
        hall_name: names.hall(Some(&hall)),
        month: m.to_string(),
        method: method_line(f, t),
        hall_rows: vec![plain(&f.hall.figures, names.hall(Some(&hall)), String::new())],
        windows: f.windows.iter().map(|w| plain(&w.figures, names.window(Some(&w.window_id)), String::new())).collect(),
        staff: if names_on {
            f.staff.iter().map(|s| plain(&s.figures, mask_name(&s.name), String::new())).collect()
        } else {
            Vec::new()
        },
        corrections: {
            let shown: Vec<_> = view.corrections.iter().filter(|x| x.level != "staff" || names_on).cloned().collect();
            correction_rows(&shown, t, true)
        },
    };
    html(t, page.render())
}
