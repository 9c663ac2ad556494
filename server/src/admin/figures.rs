//! The monthly assessment in the page: a hall's month per window and staff
//! member with fair ranks, what was left out and why, the method and its
//! version, closing the month, corrections beside a closed month, the
//! workbook, a printable A4 report, twelve-month trends, and the hall's
//! settings for its figures.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveTime;
use serde::Deserialize;
use tiyan_core::Language;
use tiyan_core::assessment::{AlertRule, Method, Month};
use tiyan_core::mask::mask_name;
use tiyan_core::settings::{KioskPolicy, PolicyError, Span};

use super::chart::trend_svg;
use super::ledger::{Context, context};
use super::page::{Choice, Chrome, Section, query_value, render, when};
use super::session::{Failure, Office, OnPage, Posted};
use super::texts::Texts;
use crate::AppState;
use crate::error::{Error, Invalid};
use tiyan_services::assessment::{self, Correction, Figures, MonthFigures, Subject, TrendPoint};
use tiyan_services::report::{Report, workbook};
use tiyan_storage::FigureSettings;

/// A line of a figures table, written for the page.
pub struct Row {
    pub name: String,
    pub number: String,
    pub trend_href: String,
    pub ratings: u64,
    /// Attitude and competence, best level first.
    pub attitude: String,
    pub competence: String,
    pub attitude_satisfaction: String,
    pub competence_satisfaction: String,
    pub satisfaction: String,
    pub bad_reviews: u64,
    pub bad_rate: String,
    pub score: String,
    pub rank: String,
    /// `called-in`, `bottom` or empty.
    pub tone: &'static str,
    pub flag: &'static str,
    pub items: u64,
    pub call_back: String,
    pub rectified: String,
    pub on_time: String,
    /// Cases the window's system asked to be rated, of those rated (%), and ratings without a case.
    pub served: u64,
    pub rating_rate: String,
    pub rate_low: bool,
    pub without_case: u64,
}

pub fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_string(), |p| format!("{p:.1}%"))
}

fn levels(l: &[u64; 5]) -> String {
    l.iter().rev().map(u64::to_string).collect::<Vec<_>>().join(" / ")
}

pub fn row(f: &Figures, name: String, number: String, trend_href: String, t: &Texts) -> Row {
    let (tone, flag) = if f.called_in {
        ("called-in", t.called_in)
    } else if f.near_bottom {
        ("bottom", t.near_bottom)
    } else {
        ("", "")
    };
    Row {
        name,
        number,
        trend_href,
        ratings: f.ratings,
        attitude: levels(&f.attitude),
        competence: levels(&f.competence),
        attitude_satisfaction: percent(f.attitude_satisfaction),
        competence_satisfaction: percent(f.competence_satisfaction),
        satisfaction: percent(f.satisfaction),
        bad_reviews: f.bad_reviews,
        bad_rate: percent(f.bad_rate),
        score: percent(f.score),
        rank: match f.rank {
            Some(r) => r.to_string(),
            None if f.too_few => t.too_few.to_string(),
            None => "—".to_string(),
        },
        tone,
        flag,
        items: f.ledger.items,
        call_back: percent(f.call_back_rate),
        rectified: percent(f.rectified_rate),
        on_time: percent(f.on_time_rate),
        served: f.cases.served,
        rating_rate: percent(f.rating_rate),
        rate_low: f.rate_low,
        without_case: f.without_case,
    }
}

pub struct CorrectionRow {
    pub level: &'static str,
    pub name: String,
    pub frozen: String,
    pub now: String,
}

/// The hall and month a page is about.
#[derive(Deserialize, Default)]
pub struct Which {
    hall: Option<String>,
    month: Option<String>,
    window: Option<String>,
    staff: Option<String>,
}

pub struct Place {
    pub hall: String,
    pub month: Month,
}

impl Which {
    /// The hall (the account's own, or the first a supervisor sees) and the
    /// month (this one by default); a hall the account does not see is "not found".
    fn resolve(&self, office: &Office, cx: &Context) -> Result<Place, Failure> {
        let scope = office.scope();
        let not_found = |what: &str| Failure::Page { error: Error::NotFound(what.into()), lang: office.lang };
        let hall = match (&self.hall, scope.hall()) {
            (Some(h), _) if !h.is_empty() => h.clone(),
            (_, Some(own)) => own.to_string(),
            _ => cx
                .data
                .halls
                .iter()
                .find(|h| scope.sees(&h.id))
                .map(|h| h.id.clone())
                .ok_or_else(|| not_found("hall"))?,
        };
        if !scope.sees(&hall) || !cx.data.halls.iter().any(|h| h.id == hall) {
            return Err(not_found("hall"));
        }
        Ok(Place { hall, month: month_asked(office, self.month.as_deref())? })
    }
}

/// The month a page's query names (this one, on the office's clock, when none); a malformed one is "not found".
pub fn month_asked(office: &Office, month: Option<&str>) -> Result<Month, Failure> {
    match month.filter(|m| !m.is_empty()) {
        Some(m) => Month::parse(m).ok_or(Failure::Page { error: Error::NotFound("month".into()), lang: office.lang }),
        None => Ok(Month::of(office.today())),
    }
}

fn href(path: &str, hall: &str, month: Month, extra: &[(&str, &str)]) -> String {
    let mut q = format!("{path}?hall={}&month={month}", query_value(hall));
    for (k, v) in extra {
        q.push_str(&format!("&{k}={}", query_value(v)));
    }
    q
}

#[derive(Template)]
#[template(path = "admin/figures.html")]
struct FiguresPage {
    c: Chrome,
    halls: Vec<Choice>,
    months: Vec<Choice>,
    hall_name: String,
    month: String,
    status: String,
    closed: bool,
    may_close: bool,
    administers: bool,
    supervisor: bool,
    method: String,
    left_out: String,
    hall_rows: Vec<Row>,
    windows: Vec<Row>,
    staff: Vec<Row>,
    corrections: Vec<CorrectionRow>,
    chart: String,
    workbook_href: String,
    print_href: String,
    hall_id: String,
    /// The account's region compared hall by hall (None: a hall's account).
    region_href: Option<String>,
    settings: FigureSettings,
    kiosk: PolicyFields,
    current: Method,
    scores: String,
}

/// The hall's kiosk policy as the form shows it: an empty field is a value
/// left to each kiosk.
struct PolicyFields {
    lunch_from: String,
    lunch_to: String,
    idle_seconds: String,
    interval_seconds: String,
    /// (value, label, selected)
    language_choices: Vec<(&'static str, &'static str, bool)>,
}

impl PolicyFields {
    fn new(p: &KioskPolicy, t: &Texts) -> PolicyFields {
        let clock = |f: fn(&Span) -> NaiveTime| p.lunch.as_ref().map(|l| f(l).format("%H:%M").to_string());
        let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        let languages = p.languages.as_ref().map(|ls| ls.iter().map(|l| l.as_str()).collect::<Vec<_>>().join(","));
        PolicyFields {
            lunch_from: clock(|l| l.from).unwrap_or_default(),
            lunch_to: clock(|l| l.to).unwrap_or_default(),
            idle_seconds: number(p.idle_seconds),
            interval_seconds: number(p.interval_seconds),
            language_choices: [("", t.languages_kiosk), ("zh-CN", t.languages_zh), ("zh-CN,en", t.languages_zh_en)]
                .into_iter()
                .map(|(value, label)| (value, label, languages.as_deref().unwrap_or_default() == value))
                .collect(),
        }
    }
}

/// What the page and the print share: the month (live, or frozen with its
/// corrections) made into rows, its status and its trend.
struct Tables {
    hall_rows: Vec<Row>,
    windows: Vec<Row>,
    staff: Vec<Row>,
    method: String,
    left_out: String,
    status: String,
    closed: bool,
    corrections: Vec<CorrectionRow>,
    chart: String,
}

async fn tables(state: &AppState, office: &Office, cx: &Context, place: &Place) -> Result<Tables, Failure> {
    let t = office.t();
    let (services, who) = (&state.services, office.who());
    let view = assessment::month(services, &who, &cx.data, &place.hall, place.month).await.on(office)?;
    let points = assessment::trend(services, &who, &place.hall, &Subject::Hall, place.month).await.on(office)?;
    let f = &view.figures;
    let (hall, month) = (f.hall.hall_id.as_str(), f.month);
    let trend = |kind: &str, id: &str| href("/admin/figures/trend", hall, month, &[(kind, id)]);
    Ok(Tables {
        hall_rows: vec![row(&f.hall.figures, cx.names.hall(Some(hall)), String::new(), trend("all", ""), t)],
        windows: f
            .windows
            .iter()
            // The window's name as the page writes it already carries its number.
            .map(|w| {
                row(&w.figures, cx.names.window(Some(&w.window_id)), String::new(), trend("window", &w.window_id), t)
            })
            .collect(),
        staff: f
            .staff
            .iter()
            .map(|s| row(&s.figures, s.name.clone(), s.employee_no.clone(), trend("staff", &s.staff_id), t))
            .collect(),
        method: method_line(f, t),
        left_out: t
            .fill(t.left_out_line, "misuse", f.left_out.misuse)
            .replace("{appeals}", &f.left_out.appeals.to_string())
            .replace("{repeats}", &f.left_out.case_repeats.to_string()),
        status: match &view.closed {
            Some(closing) => t
                .fill(t.month_closed, "at", when(closing.closed_at))
                .replace("{version}", &closing.method_version.to_string()),
            None => t.month_open.to_string(),
        },
        closed: view.closed.is_some(),
        corrections: correction_rows(&view.corrections, t, false),
        chart: trend_chart(&points, t),
    })
}

/// Twelve months as the chart in the page's language.
pub fn trend_chart(points: &[TrendPoint], t: &Texts) -> String {
    trend_svg(points, [t.trend_title, t.satisfaction_combined, t.bad_rate_label, t.ratings_count])
}

/// The method as the page states it: version, formula, minimum, bottom share.
pub fn method_line(f: &MonthFigures, t: &Texts) -> String {
    t.fill(t.method_line, "version", f.method.version)
        .replace("{formula}", &f.formula)
        .replace("{minimum}", &f.minimum_ratings.to_string())
        .replace("{bottom}", &f.method.bottom_percent.to_string())
}

/// Corrections as rows; `mask` masks staff names (for the public page).
pub fn correction_rows(corrections: &[Correction], t: &Texts, mask: bool) -> Vec<CorrectionRow> {
    let figure = |f: &Figures| {
        t.fill(t.correction_figure, "n", f.ratings)
            .replace("{s}", &percent(f.satisfaction))
            .replace("{rank}", &f.rank.map_or_else(|| "—".to_string(), |r| r.to_string()))
    };
    corrections
        .iter()
        .map(|x| CorrectionRow {
            level: match x.level {
                "hall" => t.hall,
                "window" => t.window,
                _ => t.staff_member,
            },
            name: if mask && x.level == "staff" { mask_name(&x.name) } else { x.name.clone() },
            frozen: figure(&x.frozen),
            now: figure(&x.now),
        })
        .collect()
}

pub fn month_choices(office: &Office, current: Month) -> Vec<Choice> {
    let mut months = Month::of(office.today()).last(24);
    months.reverse();
    if !months.contains(&current) {
        months.insert(0, current);
    }
    months.iter().map(|m| Choice::new(m.to_string(), m.to_string(), &current.to_string())).collect()
}

fn hall_choices(office: &Office, cx: &Context, current: &str) -> Vec<Choice> {
    let scope = office.scope();
    cx.data
        .halls
        .iter()
        .filter(|h| scope.sees(&h.id))
        .map(|h| Choice::new(h.id.clone(), cx.names.hall(Some(&h.id)), current))
        .collect()
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<Which>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Figures)?;
        let cx = context(&state, &office).await?;
        let place = q.resolve(&office, &cx)?;
        let tb = tables(&state, &office, &cx, &place).await?;
        let settings = assessment::settings(&state.services, &office.who(), &place.hall).await.on(&office)?;
        let current = assessment::current_method(&state.services).await.on(&office)?;
        let scope = office.scope();
        let over = place.month.next().first_day() <= office.today();
        let page = FiguresPage {
            halls: hall_choices(&office, &cx, &place.hall),
            months: month_choices(&office, place.month),
            hall_name: cx.names.hall(Some(&place.hall)),
            month: place.month.to_string(),
            status: tb.status,
            closed: tb.closed,
            may_close: !tb.closed && over && scope.administers(&place.hall),
            administers: scope.administers(&place.hall),
            supervisor: scope.everywhere(),
            region_href: (!matches!(scope.place, tiyan_core::accounts::Place::Hall(_)))
                .then(|| format!("/admin/figures/region?month={}", place.month)),
            method: tb.method,
            left_out: tb.left_out,
            hall_rows: tb.hall_rows,
            windows: tb.windows,
            staff: tb.staff,
            corrections: tb.corrections,
            chart: tb.chart,
            workbook_href: href("/admin/figures/workbook", &place.hall, place.month, &[]),
            print_href: href("/admin/figures/print", &place.hall, place.month, &[]),
            hall_id: place.hall.clone(),
            kiosk: PolicyFields::new(&settings.kiosk, office.t()),
            settings,
            scores: current.scores.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            current,
            c,
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "admin/figures_print.html")]
struct PrintPage {
    t: &'static Texts,
    hall_name: String,
    month: String,
    status: String,
    method: String,
    left_out: String,
    hall_rows: Vec<Row>,
    windows: Vec<Row>,
    staff: Vec<Row>,
    chart: String,
    printed: String,
}

/// The month on A4, for the notice board and the file: no navigation.
pub async fn print(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<Which>) -> Response {
    let result = async {
        Chrome::new(&office, Section::Figures)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let place = q.resolve(&office, &cx)?;
        let tb = tables(&state, &office, &cx, &place).await?;
        let page = PrintPage {
            t,
            hall_name: cx.names.hall(Some(&place.hall)),
            month: place.month.to_string(),
            status: tb.status,
            method: tb.method,
            left_out: tb.left_out,
            hall_rows: tb.hall_rows,
            windows: tb.windows,
            staff: tb.staff,
            chart: tb.chart,
            printed: when(office.now),
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// The month as an Excel workbook.
pub async fn download(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<Which>) -> Response {
    let result = async {
        Chrome::new(&office, Section::Figures)?;
        let cx = context(&state, &office).await?;
        let place = q.resolve(&office, &cx)?;
        let view =
            assessment::month(&state.services, &office.who(), &cx.data, &place.hall, place.month).await.on(&office)?;
        workbook_response(
            &office,
            &Report::Hall(Box::new(view.figures)),
            &format!("tiyan-{}-{}.xlsx", place.hall, place.month),
        )
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// A report as a downloaded workbook named `name`.
pub fn workbook_response(office: &Office, report: &Report, name: &str) -> Result<Response, Failure> {
    let bytes = workbook(report).map_err(Error::internal).on(office)?;
    let disposition = format!(
        "attachment; filename=\"{}\"",
        name.replace(|c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-', "_")
    );
    let kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string();
    Ok(([(header::CONTENT_TYPE, kind), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

#[derive(Template)]
#[template(path = "admin/trend.html")]
struct TrendPage {
    c: Chrome,
    title: String,
    back_href: String,
    chart: String,
    points: Vec<(String, u64, String, String)>,
}

/// Twelve months of a hall, a window or a staff member.
pub async fn trend(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<Which>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Figures)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let place = q.resolve(&office, &cx)?;
        let (subject, name) = match (&q.window, &q.staff) {
            (Some(w), _) if !w.is_empty() => (Subject::Window(w.clone()), cx.names.window(Some(w))),
            (_, Some(s)) if !s.is_empty() => (Subject::Staff(s.clone()), cx.names.staff(Some(s))),
            _ => (Subject::Hall, cx.names.hall(Some(&place.hall))),
        };
        let points =
            assessment::trend(&state.services, &office.who(), &place.hall, &subject, place.month).await.on(&office)?;
        let chart = trend_chart(&points, t);
        let page = TrendPage {
            c,
            title: format!("{name} · {}", t.trend_title),
            back_href: href("/admin/figures", &place.hall, place.month, &[]),
            chart,
            points: points
                .iter()
                .map(|p| (p.month.to_string(), p.ratings, percent(p.satisfaction), percent(p.bad_rate)))
                .collect(),
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct ClosePost {
    hall: String,
    month: String,
}

pub async fn close(State(state): State<Arc<AppState>>, posted: Posted<ClosePost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let cx = context(&state, &office).await?;
        let back =
            href("/admin/figures", &form.hall, Month::parse(&form.month).unwrap_or(Month::of(office.today())), &[]);
        let closed = match Month::parse(&form.month) {
            Some(m) => assessment::close(&state.services, &office.who(), &cx.data, &form.hall, m).await,
            None => Err(Invalid::Value("month").into()),
        };
        office.after(closed.map(|_| office.t().month_closed_done), &back)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct SettingsPost {
    hall: String,
    minimum_ratings: u32,
    #[serde(default)]
    publish_names: Option<String>,
    opens: String,
    closes: String,
    silence_minutes: u32,
    alert_minutes: u32,
    alert_min_ratings: u32,
    alert_bad_percent: u32,
    /// Absent from a page of before the window link: the default.
    rating_rate_percent: Option<u32>,
    /// The kiosk policy (absent from a page of before it: nothing set).
    #[serde(default)]
    lunch_from: String,
    #[serde(default)]
    lunch_to: String,
    #[serde(default)]
    sleep_when_closed: Option<String>,
    #[serde(default)]
    kiosk_idle_seconds: String,
    #[serde(default)]
    kiosk_interval_seconds: String,
    #[serde(default)]
    kiosk_languages: String,
}

impl SettingsPost {
    /// The kiosk policy the form posted; a field left empty is left to the kiosks.
    fn policy(&self) -> Result<KioskPolicy, Error> {
        let bad = |what| Error::from(Invalid::Value(what));
        let clock = |s: &str, what| {
            (!s.trim().is_empty())
                .then(|| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad(what)))
                .transpose()
        };
        let lunch = match (clock(&self.lunch_from, "lunch_from")?, clock(&self.lunch_to, "lunch_to")?) {
            (Some(from), Some(to)) => Some(Span { from, to }),
            (None, None) => None,
            _ => return Err(Invalid::KioskPolicy(PolicyError::Lunch).into()),
        };
        let number =
            |s: &str, what| (!s.trim().is_empty()).then(|| s.trim().parse().map_err(|_| bad(what))).transpose();
        let languages = (!self.kiosk_languages.trim().is_empty())
            .then(|| {
                self.kiosk_languages
                    .split(',')
                    .map(|l| Language::parse(l.trim()).ok_or(bad("kiosk_languages")))
                    .collect()
            })
            .transpose()?;
        Ok(KioskPolicy {
            lunch,
            sleep_when_closed: self.sleep_when_closed.is_some(),
            idle_seconds: number(&self.kiosk_idle_seconds, "kiosk_idle_seconds")?,
            interval_seconds: number(&self.kiosk_interval_seconds, "kiosk_interval_seconds")?,
            languages,
        })
    }
}

pub async fn settings(State(state): State<Arc<AppState>>, posted: Posted<SettingsPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let clock = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| Error::from(Invalid::FigureSettings));
        let saved = async {
            let s = FigureSettings {
                minimum_ratings: form.minimum_ratings,
                publish_names: form.publish_names.is_some(),
                opens: clock(&form.opens)?,
                closes: clock(&form.closes)?,
                silence_minutes: form.silence_minutes,
                alert: AlertRule {
                    minutes: form.alert_minutes,
                    min_ratings: form.alert_min_ratings,
                    bad_percent: form.alert_bad_percent,
                },
                rating_rate_percent: form.rating_rate_percent.unwrap_or(FigureSettings::default().rating_rate_percent),
                kiosk: form.policy()?,
            };
            assessment::set_settings(&state.services, &office.who(), &form.hall, &s).await
        };
        let back = format!("/admin/figures?hall={}", query_value(&form.hall));
        office.after(saved.await.map(|_| office.t().saved), &back)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct MethodPost {
    /// Five scores, levels 1 to 5, separated by commas.
    scores: String,
    prior_weight: u32,
    bottom_percent: u32,
}

pub async fn method(State(state): State<Arc<AppState>>, posted: Posted<MethodPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let scores: Vec<u32> = form
            .scores
            .split([',', '/', ' '])
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        let saved = match <[u32; 5]>::try_from(scores) {
            Ok(scores) => {
                let m =
                    Method { version: 0, scores, prior_weight: form.prior_weight, bottom_percent: form.bottom_percent };
                assessment::set_method(&state.services, &office.who(), &m).await.map(|_| ())
            }
            Err(_) => Err(Invalid::Method(tiyan_core::assessment::MethodError::Scores).into()),
        };
        office.after(saved.map(|_| office.t().saved), "/admin/figures")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
