//! The ledger (台账) in the page: the list with its filters and colours, an
//! item with its source, history and the steps the account may take, the
//! reveal of a call-back number, links between items, and a problem's photos.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use tiyan_core::ledger::{Action, LedgerState, Satisfaction, Source};
use tiyan_core::rating::Rating;
use tiyan_core::workdays::{Calendar, Urgency};
use uuid::Uuid;

use super::names::{Names, choices};
use super::page::{Choice, Chrome, Section, date, query_value, render, when};
use super::session::{Failure, Nothing, Office, OnPage, Posted};
use super::texts::Texts;
use crate::AppState;
use crate::error::Error;
use tiyan_services::ledger::{self, ItemView, StepForm, StepRequest};
use tiyan_storage::{LedgerFilter, LedgerRow, StoredRating};

pub const PER_PAGE: u32 = 50;

/// An item as a line of the list (and of the dashboard, and of an item's relations).
pub struct ItemLine {
    pub href: String,
    pub short_id: String,
    pub source: &'static str,
    pub hall: String,
    pub window: String,
    pub staff: String,
    pub category: String,
    pub summary: String,
    pub state: &'static str,
    pub registered: String,
    pub due: String,
    /// `overdue`, `soon` or empty: the row's colour.
    pub urgency: &'static str,
    pub urgency_label: &'static str,
    pub estimate: bool,
    pub escalated: bool,
}

/// The last eight characters of an id: random in a UUIDv7 (the first ones are its time).
pub fn short_id(id: Uuid) -> String {
    let s = id.simple().to_string();
    s[s.len() - 8..].to_string()
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}

pub fn line(row: &LedgerRow, names: &Names, calendar: &Calendar, today: NaiveDate, t: &'static Texts) -> ItemLine {
    let urgency = ledger::urgency(calendar, row, today);
    let category = match row.source {
        Source::Rating => names.reasons(&row.category.split(',').map(str::to_string).collect::<Vec<_>>()),
        Source::Problem => t.problem_category(&row.category).to_string(),
    };
    ItemLine {
        href: format!("/admin/ledger/{}", row.id),
        short_id: short_id(row.id),
        source: t.source(&row.source),
        hall: names.hall(row.hall_id.as_deref()),
        window: names.window(row.window_id.as_deref()),
        staff: names.staff(row.staff_id.as_deref()),
        category,
        summary: shorten(&row.summary, 60),
        state: t.state(&row.state),
        registered: when(row.registered_at),
        due: date(row.due_date),
        urgency: match urgency {
            Some(Urgency::Overdue) => "overdue",
            Some(Urgency::DueSoon) => "soon",
            _ => "",
        },
        urgency_label: urgency.map_or("", |u| t.urgency(&u)),
        estimate: row.due_estimate && row.state.is_open(),
        escalated: row.escalated && row.state.is_open(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    hall: Option<String>,
    window: Option<String>,
    staff: Option<String>,
    source: Option<String>,
    due_by: Option<String>,
    /// `open` (the default) or `all`.
    show: Option<String>,
    overdue: Option<String>,
    escalated: Option<String>,
    page: Option<u32>,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ListQuery {
    fn filter(&self, today: NaiveDate) -> LedgerFilter {
        let state = some(&self.state).and_then(|s| LedgerState::parse(&s));
        LedgerFilter {
            halls: some(&self.hall).map(|h| vec![h]),
            state,
            open_only: state.is_none() && self.show.as_deref() != Some("all"),
            window_id: some(&self.window),
            staff_id: some(&self.staff),
            source: some(&self.source).and_then(|s| Source::parse(&s)),
            due_by: some(&self.due_by).and_then(|d| d.parse().ok()),
            overdue_on: self.overdue.is_some().then_some(today),
            escalated: self.escalated.is_some(),
            page: self.page.unwrap_or(0),
            per_page: PER_PAGE,
        }
    }

    /// This query on another page.
    fn href(&self, page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let fields = [
            ("state", &self.state),
            ("hall", &self.hall),
            ("window", &self.window),
            ("staff", &self.staff),
            ("source", &self.source),
            ("due_by", &self.due_by),
            ("show", &self.show),
            ("overdue", &self.overdue),
            ("escalated", &self.escalated),
        ];
        for (k, v) in fields {
            if let Some(v) = some(v) {
                pairs.push((k, v));
            }
        }
        pairs.push(("page", page.to_string()));
        format!("/admin/ledger?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    }
}

#[derive(Template)]
#[template(path = "admin/ledger.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<ItemLine>,
    page_label: String,
    prev_href: Option<String>,
    next_href: Option<String>,
    states: Vec<Choice>,
    halls: Vec<Choice>,
    windows: Vec<Choice>,
    staff: Vec<Choice>,
    sources: Vec<Choice>,
    shows: Vec<Choice>,
    due_by: String,
    overdue: bool,
    escalated: bool,
}

/// What a page needs to name things and count days.
pub struct Context {
    pub names: Names,
    pub calendar: Arc<Calendar>,
    pub data: Arc<tiyan_core::reference::ReferenceData>,
}

pub async fn context(state: &AppState, office: &Office) -> Result<Context, Failure> {
    let data = state.services.reference().await.on(office)?;
    let calendar = state.services.calendar().await.on(office)?;
    Ok(Context { names: Names::new(&data, office.lang), calendar, data })
}

pub async fn list(State(state): State<Arc<AppState>>, office: Office, Query(q): Query<ListQuery>) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Ledger)?;
        let t = office.t();
        let today = office.today();
        let cx = context(&state, &office).await?;
        let filter = q.filter(today);
        let page = ledger::list(&state.services, &office.who(), filter.clone()).await.on(&office)?;
        let pages = page.total.div_ceil(u64::from(PER_PAGE)).max(1) as u32;
        let scope = office.scope();
        let hall_of_account = scope.hall().map(str::to_string);
        let hall_shown = hall_of_account.clone().or_else(|| some(&q.hall));
        let in_hall = |h: &str| scope.sees(h) && hall_shown.as_deref().is_none_or(|x| x == h);
        let lang = super::names::language(office.lang);
        let rows = page.items.iter().map(|r| line(r, &cx.names, &cx.calendar, today, t)).collect();
        let list = ListPage {
            rows,
            page_label: t.fill(&t.fill(t.page_of, "page", filter.page + 1), "total", page.total),
            prev_href: (filter.page > 0).then(|| q.href(filter.page - 1)),
            next_href: (filter.page + 1 < pages).then(|| q.href(filter.page + 1)),
            states: choices(
                t.all,
                LedgerState::ALL.into_iter().map(|s| (s.as_str().to_string(), t.state(&s).to_string())),
                q.state.as_deref(),
            ),
            halls: if hall_of_account.is_some() {
                Vec::new()
            } else {
                choices(
                    t.all,
                    cx.data
                        .halls
                        .iter()
                        .filter(|h| scope.sees(&h.id))
                        .map(|h| (h.id.clone(), h.name.get(lang).to_string())),
                    q.hall.as_deref(),
                )
            },
            windows: choices(
                t.all,
                cx.data
                    .windows
                    .iter()
                    .filter(|w| in_hall(&w.hall_id))
                    .map(|w| (w.id.clone(), cx.names.window(Some(&w.id)))),
                q.window.as_deref(),
            ),
            staff: choices(
                t.all,
                cx.data
                    .staff
                    .iter()
                    .filter(|s| in_hall(&s.hall_id))
                    .map(|s| (s.id.clone(), cx.names.staff(Some(&s.id)))),
                q.staff.as_deref(),
            ),
            sources: choices(
                t.all,
                [Source::Rating, Source::Problem]
                    .into_iter()
                    .map(|s| (s.as_str().to_string(), t.source(&s).to_string())),
                q.source.as_deref(),
            ),
            shows: vec![
                Choice::new("open", t.open_only, q.show.as_deref().unwrap_or("open")),
                Choice::new("all", t.all, q.show.as_deref().unwrap_or("open")),
            ],
            due_by: q.due_by.clone().unwrap_or_default(),
            overdue: q.overdue.is_some(),
            escalated: q.escalated.is_some(),
            c,
        };
        render(&office, &list)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub struct EventLine {
    pub when: String,
    pub actor: String,
    pub step: String,
    pub note: String,
}

pub struct StepButton {
    pub key: &'static str,
    pub label: &'static str,
    /// `danger` for a step that takes the rating out of the figures or reopens.
    pub kind: &'static str,
}

pub struct RatingView {
    pub when: String,
    pub attitude: String,
    pub competence: String,
    pub reasons: String,
    pub comment: String,
    pub case_no: String,
    pub misuse: bool,
}

pub struct ProblemView {
    pub officer: String,
    pub visited: String,
    pub place: String,
    pub matter: String,
    pub category: &'static str,
    pub text: String,
    pub account: String,
    pub revision: u32,
    pub photos: Vec<String>,
}

pub struct RatingLine {
    pub when: String,
    pub window: String,
    pub staff: String,
    pub attitude: String,
    pub competence: String,
    pub bad: bool,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "admin/item.html")]
struct ItemPage {
    c: Chrome,
    id: String,
    line: ItemLine,
    events: Vec<EventLine>,
    expected_events: u32,
    steps: Vec<StepButton>,
    rating: Option<RatingView>,
    problem: Option<ProblemView>,
    phone: Option<String>,
    revealed: bool,
    may_reveal: bool,
    may_link: bool,
    linked: Vec<ItemLine>,
    related_items: Vec<ItemLine>,
    related_ratings: Vec<RatingLine>,
    reply: String,
    satisfaction: &'static str,
    due_note: String,
}

fn level(t: &Texts, l: tiyan_core::Level) -> String {
    format!("{} {}", l.value(), t.level(l))
}

fn rating_line(r: &StoredRating, names: &Names, t: &Texts) -> RatingLine {
    let x: &Rating = &r.rating;
    RatingLine {
        when: x.device_time.format("%Y-%m-%d %H:%M").to_string(),
        window: names.window(Some(&x.window_id)),
        staff: names.staff(Some(&x.staff_id)),
        attitude: level(t, x.attitude),
        competence: level(t, x.competence),
        bad: x.is_bad(),
        reasons: names.reasons(&x.reasons),
    }
}

/// Who took a step, in words: an account's name, the officer, or the server.
fn actor(v: &ItemView, label: &str, names: &Names, t: &Texts) -> String {
    if let Some(officer) = label.strip_prefix("officer:") {
        format!("{}（{}）", names.officer(Some(officer)), t.officer)
    } else if let Some((name, login)) = v.accounts.get(label) {
        format!("{name}（{login}）")
    } else if Uuid::parse_str(label).is_ok() {
        label.to_string()
    } else {
        t.system.to_string()
    }
}

/// What a step did, beyond its name: the days it set.
fn event_step(t: &Texts, action: &Action) -> String {
    let name = t.action(action);
    match action {
        Action::Register { verify_days: d } | Action::Rectify { days: d, .. } | Action::RejectAppeal { days: d } => {
            format!("{name}（{}）", t.fill(t.working_days, "n", d))
        }
        Action::Satisfaction { satisfaction, .. } => format!("{name}：{}", t.satisfaction(satisfaction)),
        _ => name.to_string(),
    }
}

async fn item_page(state: &AppState, office: &Office, id: Uuid, phone: Option<String>) -> Result<Response, Failure> {
    let c = Chrome::new(office, Section::Ledger)?;
    let t = office.t();
    let today = office.today();
    let cx = context(state, office).await?;
    let v: ItemView = ledger::view(&state.services, &office.who(), id, today).await.on(office)?;
    let events = v
        .events
        .iter()
        .map(|e| EventLine {
            when: when(e.event.at),
            actor: actor(&v, &e.actor, &cx.names, t),
            step: event_step(t, &e.event.action),
            note: e.event.note.clone(),
        })
        .collect();
    let steps = v
        .steps
        .iter()
        .map(|&f| StepButton {
            key: f.key(),
            label: t.step(f),
            kind: if matches!(f, StepForm::UpholdAppeal | StepForm::Satisfaction(Satisfaction::Dissatisfied)) {
                "danger"
            } else {
                ""
            },
        })
        .collect();
    let rating = v.rating.as_ref().map(|r| RatingView {
        when: r.rating.device_time.format("%Y-%m-%d %H:%M").to_string(),
        attitude: level(t, r.rating.attitude),
        competence: level(t, r.rating.competence),
        reasons: cx.names.reasons(&r.rating.reasons),
        comment: r.rating.comment.clone().unwrap_or_default(),
        case_no: r.rating.case_no.clone().unwrap_or_default(),
        misuse: r.rating.misuse,
    });
    let problem = v.revision.as_ref().map(|r| {
        let b = &r.revision.body;
        let text = b.problems.iter().find(|p| p.id == v.item.id).map(|p| p.text.clone()).unwrap_or_default();
        ProblemView {
            officer: cx.names.officer(Some(&r.revision.officer_id)),
            visited: b.visited_at.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            place: if b.hall_id.is_some() { cx.names.hall(b.hall_id.as_deref()) } else { b.place.clone() },
            matter: if b.matter_id.is_some() { cx.names.matter(b.matter_id.as_deref()) } else { b.matter_text.clone() },
            category: t.problem_category(&v.item.category),
            text: if text.is_empty() { v.item.summary.clone() } else { text },
            account: b.account.clone(),
            revision: r.revision.revision,
            photos: b.photos.iter().map(|p| format!("/admin/ledger/{}/photos/{}", v.item.id, p.sha256)).collect(),
        }
    });
    let lines = |rows: &[LedgerRow]| -> Vec<ItemLine> {
        rows.iter().map(|r| line(r, &cx.names, &cx.calendar, today, t)).collect()
    };
    let due_note = match (v.item.due_date, v.item.due_estimate && v.item.state.is_open()) {
        (Some(_), true) => t.estimate.to_string(),
        _ => String::new(),
    };
    let page = ItemPage {
        id: v.item.id.to_string(),
        line: line(&v.item, &cx.names, &cx.calendar, today, t),
        events,
        expected_events: v.item.events,
        steps,
        rating,
        problem,
        revealed: phone.is_some(),
        phone: phone.or(v.phone_masked.clone()),
        may_reveal: v.may_reveal,
        may_link: v.may_link,
        linked: lines(&v.linked),
        related_items: lines(&v.related_items),
        related_ratings: v.related_ratings.iter().map(|r| rating_line(r, &cx.names, t)).collect(),
        reply: v.item.reply.clone().unwrap_or_default(),
        satisfaction: v.item.satisfaction.as_ref().map_or("", |s| t.satisfaction(s)),
        due_note,
        c,
    };
    render(office, &page)
}

fn item_id(office: &Office, id: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(id).map_err(|_| Error::NotFound("ledger item".into())).on(office)
}

pub async fn item(State(state): State<Arc<AppState>>, office: Office, Path(id): Path<String>) -> Response {
    let result = async { item_page(&state, &office, item_id(&office, &id)?, None).await };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct StepPost {
    step: String,
    #[serde(default)]
    note: String,
    expected_events: u32,
    linked: Option<String>,
}

pub async fn step(State(state): State<Arc<AppState>>, Path(id): Path<String>, posted: Posted<StepPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let id = item_id(&office, &id)?;
        let back = format!("/admin/ledger/{id}");
        let step = StepForm::parse(&form.step).ok_or_else(|| Error::Malformed("no such step".into())).on(&office)?;
        let request = StepRequest {
            item: id,
            expected_events: form.expected_events,
            form: step,
            note: &form.note,
            linked: form.linked.is_some(),
        };
        let taken = ledger::take(&state.services, &office.who(), &request).await;
        office.after(taken.map(|_| office.t().step_taken), &back)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// Shows the item with the call-back number in full (the reveal is logged);
/// answered as a page, never a redirect, so the number is in no address.
pub async fn reveal(State(state): State<Arc<AppState>>, Path(id): Path<String>, posted: Posted<Nothing>) -> Response {
    let office = posted.office;
    let result = async {
        let id = item_id(&office, &id)?;
        let phone = ledger::reveal_phone(&state.services, &office.who(), id).await.on(&office)?;
        item_page(&state, &office, id, Some(phone)).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct LinkPost {
    other: String,
}

pub async fn link(State(state): State<Arc<AppState>>, Path(id): Path<String>, posted: Posted<LinkPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let id = item_id(&office, &id)?;
        let back = format!("/admin/ledger/{id}");
        let linked = match resolve(&state, &office, form.other.trim()).await {
            Ok(other) => ledger::link(&state.services, &office.who(), id, other).await,
            Err(e) => Err(e),
        };
        office.after(linked.map(|_| office.t().linked_done), &back)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// An item named by its full id, or by the short id the list shows (its last eight characters).
async fn resolve(state: &AppState, office: &Office, typed: &str) -> Result<Uuid, Error> {
    match Uuid::parse_str(typed) {
        Ok(id) => Ok(id),
        Err(_) => ledger::find_by_suffix(&state.services, &office.who(), typed).await,
    }
}

/// A photo of a problem's diary entry, to someone who sees the item.
pub async fn photo(
    State(state): State<Arc<AppState>>,
    office: Office,
    Path((id, sha256)): Path<(String, String)>,
) -> Response {
    let result = async {
        let id = item_id(&office, &id)?;
        let bytes = ledger::photo(&state.services, &office.who(), id, &sha256).await.on(&office)?;
        Ok::<_, Failure>(
            ([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, no-store")], bytes)
                .into_response(),
        )
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// A link to the list narrowed as the dashboard's counts are.
pub fn list_href(pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", query_value(v))).collect();
    format!("/admin/ledger?{}", q.join("&"))
}
