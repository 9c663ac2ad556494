//! The ledger's flows: what an upload brings it, the steps the hall office
//! takes (checked against who may take them, `tiyan_core::ledger`), and what
//! each account may see of it. An item of a hall the account does not see is
//! "not found", whatever its id.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use tiyan_core::accounts::Scope;
use tiyan_core::ledger::{Action, Actor, Event, LedgerState, Satisfaction, Source, Status, replay, step, take_step};
use tiyan_core::mask::mask_phone;
use tiyan_core::protocol::Upload;
use tiyan_core::workdays::{Calendar, Urgency, china_date};
use uuid::Uuid;

use super::audit::{self, AuditAction};
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{
    Account, AppendEvent, Dashboard, HallSettings, LedgerFilter, LedgerIntake, LedgerPage, LedgerRow, NewItem,
    StoredEvent, StoredRating, StoredRevision,
};

/// What an upload brings the ledger: every bad review and every problem
/// becomes an item, registered to be verified within its hall's limit; every
/// answer of an officer becomes the step it stands for.
pub async fn intake(cx: &Services, upload: &Upload, device: Uuid, received_at: DateTime<Utc>) -> Result<LedgerIntake> {
    let store = cx.store.as_ref();
    let mut settings: HashMap<Option<String>, HallSettings> = HashMap::new();
    let mut limits = async |hall: &Option<String>| -> Result<HallSettings> {
        if let Some(s) = settings.get(hall) {
            return Ok(*s);
        }
        let s = match hall {
            Some(h) => store.hall_settings(h).await?,
            None => HallSettings::default(),
        };
        settings.insert(hall.clone(), s);
        Ok(s)
    };
    let date = china_date(received_at);
    let mut intake = LedgerIntake::default();
    let needs_calendar = match upload {
        Upload::Rating(r) => r.iter().any(|r| r.is_bad()),
        Upload::Diary(d) => d.iter().any(|d| !d.body.problems.is_empty()),
        Upload::Feedback(f) => !f.is_empty(),
        Upload::Case(_) => false,
    };
    if !needs_calendar {
        return Ok(intake);
    }
    let calendar = cx.calendar().await?;
    let register = |verify_days: u32, source: Source| -> Result<(Event, Status)> {
        let event = Event { at: received_at, date, action: Action::Register { verify_days }, note: String::new() };
        let status = replay(std::slice::from_ref(&event), source, &calendar)?;
        Ok((event, status))
    };
    match upload {
        Upload::Rating(records) => {
            for r in records.iter().filter(|r| r.is_bad()) {
                let hall = Some(r.hall_id.clone());
                let (event, status) = register(limits(&hall).await?.verify_days, Source::Rating)?;
                intake.items.push(NewItem {
                    id: r.id,
                    source: Source::Rating,
                    hall_id: hall,
                    window_id: Some(r.window_id.clone()),
                    staff_id: Some(r.staff_id.clone()),
                    device_id: device,
                    entry_id: None,
                    revision_id: None,
                    officer_id: None,
                    category: r.reasons.join(","),
                    summary: r.comment.clone().unwrap_or_default(),
                    registered_at: received_at,
                    registered_date: date,
                    event,
                    status,
                });
            }
        }
        Upload::Diary(revisions) => {
            for r in revisions {
                for p in &r.body.problems {
                    let hall = r.body.hall_id.clone();
                    let (event, status) = register(limits(&hall).await?.verify_days, Source::Problem)?;
                    intake.items.push(NewItem {
                        id: p.id,
                        source: Source::Problem,
                        hall_id: hall,
                        window_id: None,
                        staff_id: None,
                        device_id: device,
                        entry_id: Some(r.entry_id),
                        revision_id: Some(r.id),
                        officer_id: Some(r.officer_id.clone()),
                        category: p.category.as_str().to_string(),
                        summary: p.text.clone(),
                        registered_at: received_at,
                        registered_date: date,
                        event,
                        status,
                    });
                }
            }
        }
        Upload::Feedback(answers) => {
            for a in answers {
                let Some((item, events)) = store.ledger_item(a.problem_id).await? else { continue };
                // An officer answers only for their own problem, and only when it waits for an answer.
                if item.officer_id.as_deref() != Some(a.officer_id.as_str()) {
                    continue;
                }
                let reopen_days = limits(&item.hall_id).await?.rectify_days;
                let action = Action::Satisfaction { satisfaction: a.satisfaction, reopen_days };
                let event = Event { at: received_at, date, action, note: String::new() };
                let label = format!("officer:{}", a.officer_id);
                match decide(&item, &events, None, Actor::Officer, label, event, &calendar) {
                    Ok(step) => intake.answers.push((a.id, step)),
                    Err(Error::Step(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // A case served brings the ledger nothing.
        Upload::Case(_) => {}
    }
    Ok(intake)
}

/// A step on an item as read (`events`, its history): decided by
/// `tiyan_core::ledger::take_step`, to be written only if the item is still
/// as read.
fn decide(
    item: &LedgerRow,
    events: &[StoredEvent],
    expected_events: Option<u32>,
    actor: Actor,
    label: String,
    event: Event,
    calendar: &Calendar,
) -> Result<AppendEvent> {
    let history: Vec<Event> = events.iter().map(|e| e.event.clone()).collect();
    let held = events.len() as u32;
    let status = take_step(&history, held, expected_events, item.source, actor, &event, calendar)?;
    Ok(AppendEvent { item: item.id, seq: held + 1, actor: label, event, status })
}

/// A step as the page asks for it; the days come from the hall's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepForm {
    Verify,
    FixAtOnce,
    Rectify { complex: bool },
    Explain,
    RecordRectification,
    Appeal,
    UpholdAppeal,
    RejectAppeal,
    Reply,
    Satisfaction(Satisfaction),
    Close,
    Escalate,
}

impl StepForm {
    pub const ALL: [StepForm; 14] = [
        StepForm::Verify,
        StepForm::FixAtOnce,
        StepForm::Rectify { complex: false },
        StepForm::Rectify { complex: true },
        StepForm::Explain,
        StepForm::RecordRectification,
        StepForm::Appeal,
        StepForm::UpholdAppeal,
        StepForm::RejectAppeal,
        StepForm::Reply,
        StepForm::Satisfaction(Satisfaction::Satisfied),
        StepForm::Satisfaction(Satisfaction::BasicallySatisfied),
        StepForm::Satisfaction(Satisfaction::Dissatisfied),
        StepForm::Close,
    ];

    /// The name a form posts.
    pub fn key(self) -> &'static str {
        match self {
            StepForm::Verify => "verify",
            StepForm::FixAtOnce => "fix_at_once",
            StepForm::Rectify { complex: false } => "rectify",
            StepForm::Rectify { complex: true } => "rectify_complex",
            StepForm::Explain => "explain",
            StepForm::RecordRectification => "record_rectification",
            StepForm::Appeal => "appeal",
            StepForm::UpholdAppeal => "uphold_appeal",
            StepForm::RejectAppeal => "reject_appeal",
            StepForm::Reply => "reply",
            StepForm::Satisfaction(Satisfaction::Satisfied) => "satisfied",
            StepForm::Satisfaction(Satisfaction::BasicallySatisfied) => "basically_satisfied",
            StepForm::Satisfaction(Satisfaction::Dissatisfied) => "dissatisfied",
            StepForm::Close => "close",
            StepForm::Escalate => "escalate",
        }
    }

    pub fn parse(key: &str) -> Option<StepForm> {
        StepForm::ALL.into_iter().chain([StepForm::Escalate]).find(|f| f.key() == key)
    }

    fn action(self, limits: HallSettings) -> Action {
        match self {
            StepForm::Verify => Action::Verify,
            StepForm::FixAtOnce => Action::FixAtOnce,
            StepForm::Rectify { complex } => {
                Action::Rectify { days: if complex { limits.complex_days } else { limits.rectify_days }, complex }
            }
            StepForm::Explain => Action::Explain,
            StepForm::RecordRectification => Action::RecordRectification,
            StepForm::Appeal => Action::Appeal,
            StepForm::UpholdAppeal => Action::UpholdAppeal,
            StepForm::RejectAppeal => Action::RejectAppeal { days: limits.rectify_days },
            StepForm::Reply => Action::Reply,
            StepForm::Satisfaction(satisfaction) => {
                Action::Satisfaction { satisfaction, reopen_days: limits.rectify_days }
            }
            StepForm::Close => Action::Close,
            StepForm::Escalate => Action::Escalate,
        }
    }

    /// Whether a person in `scope` may take this step on `item` now.
    fn allowed(self, scope: &Scope, item: &LedgerRow) -> bool {
        let actor = Actor::Account(scope.role);
        let hall_ok = match (scope.role, item.hall_id.as_deref()) {
            (tiyan_core::accounts::Role::Supervisor, Some(h)) => scope.supervises(h),
            (tiyan_core::accounts::Role::Supervisor, None) => scope.everywhere(),
            (_, h) => h.is_some_and(|h| scope.handles_ledger(h)),
        };
        hall_ok && step(Some(item.state), item.source, actor, &self.action(HallSettings::default())).is_ok()
    }
}

fn sees(scope: &Scope, item: &LedgerRow) -> bool {
    match &item.hall_id {
        Some(h) => scope.sees(h),
        // A problem at a place that is no hall of the reference data: the whole server's supervisors only.
        None => scope.everywhere(),
    }
}

/// The item if `scope` sees it, else "not found".
async fn visible(cx: &Services, scope: &Scope, id: Uuid) -> Result<(LedgerRow, Vec<StoredEvent>)> {
    match cx.store.ledger_item(id).await? {
        Some((row, events)) if sees(scope, &row) => Ok((row, events)),
        _ => Err(Error::NotFound("ledger item".into())),
    }
}

/// A step as a person asks for it on an item's page.
#[derive(Debug, Clone)]
pub struct StepRequest<'a> {
    pub item: Uuid,
    /// The number of events the person saw (someone else acting meanwhile refuses the step).
    pub expected_events: u32,
    pub form: StepForm,
    pub note: &'a str,
    /// Also on each linked item where the same step may be taken (one rectification answering several).
    pub linked: bool,
}

/// Takes a step for a person of the hall office, on the item and, when asked,
/// on each linked item where the same step may be taken; logged.
pub async fn take(cx: &Services, who: &Who<'_>, request: &StepRequest<'_>) -> Result<Status> {
    let StepRequest { item: id, expected_events, form, note, linked } = *request;
    let by = who.person()?;
    let note = note.trim();
    if note.chars().count() > 2000 {
        return Err(Invalid::NoteTooLong.into());
    }
    if form == StepForm::Reply && note.is_empty() {
        return Err(tiyan_core::ledger::StepError::EmptyReply.into());
    }
    let scope = who.scope();
    let (item, _) = visible(cx, &scope, id).await?;
    // Someone acted since the person looked: they look again (checked once
    // more where the step is written).
    if item.events != expected_events {
        return Err(Error::Stale);
    }
    if !form.allowed(&scope, &item) {
        return Err(Error::Forbidden("this step is not yours to take, or not now".into()));
    }
    let calendar = cx.calendar().await?;
    let step = Step { by, form, note, calendar: &calendar, now: who.now };
    let status = step_one(cx, &step, &item, Some(expected_events)).await?;
    audit::record(cx, who, AuditAction::LedgerStep, &id.to_string(), form.key()).await?;
    if linked {
        for other in cx.store.ledger_links(id).await? {
            if sees(&scope, &other) && form.allowed(&scope, &other) {
                step_one(cx, &step, &other, None).await?;
                let detail = format!("{} (linked with {id})", form.key());
                audit::record(cx, who, AuditAction::LedgerStep, &other.id.to_string(), &detail).await?;
            }
        }
    }
    Ok(status)
}

/// A step as it is taken on each item it is taken on.
struct Step<'a> {
    by: &'a Account,
    form: StepForm,
    note: &'a str,
    calendar: &'a Arc<Calendar>,
    now: DateTime<Utc>,
}

/// One step on one item: read, decided by core, written if nobody took
/// another step meanwhile (`expected_events`: the count the person saw).
async fn step_one(cx: &Services, step: &Step<'_>, item: &LedgerRow, expected_events: Option<u32>) -> Result<Status> {
    let limits = match &item.hall_id {
        Some(h) => cx.store.hall_settings(h).await?,
        None => HallSettings::default(),
    };
    let event = Event {
        at: step.now,
        date: china_date(step.now),
        action: step.form.action(limits),
        note: step.note.to_string(),
    };
    // The item as it stands now (the list the person chose from may be older).
    let (item, events) = cx.store.ledger_item(item.id).await?.ok_or_else(|| Error::NotFound("ledger item".into()))?;
    let actor = Actor::Account(step.by.role);
    let decided = decide(&item, &events, expected_events, actor, step.by.id.to_string(), event, step.calendar)?;
    cx.store.append_ledger_event(&decided).await?;
    Ok(decided.status)
}

/// The list for an account: the halls it sees (what the filter asks, within them).
pub async fn list(cx: &Services, who: &Who<'_>, mut filter: LedgerFilter) -> Result<LedgerPage> {
    filter.halls = crate::within_scope(&who.scope(), filter.halls.take());
    Ok(cx.store.ledger_page(&filter).await?)
}

/// The dashboard's counts of the halls `who` sees, on the hall's date `today`.
pub async fn dashboard(cx: &Services, who: &Who<'_>, today: NaiveDate) -> Result<Dashboard> {
    let calendar = cx.calendar().await?;
    // "Due soon": by the next working day.
    let soon = calendar.add_working_days(today, 1).date;
    Ok(cx.store.dashboard(who.scope().halls().as_deref(), today, soon).await?)
}

/// Everything an item's page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub item: LedgerRow,
    pub events: Vec<StoredEvent>,
    pub urgency: Option<Urgency>,
    pub rating: Option<StoredRating>,
    /// The call-back number, masked (138****5678); revealed one at a time, logged.
    pub phone_masked: Option<String>,
    pub revision: Option<StoredRevision>,
    /// Other items and ratings at the same window or of the same staff member in the last two weeks.
    pub related_items: Vec<LedgerRow>,
    pub related_ratings: Vec<StoredRating>,
    pub linked: Vec<LedgerRow>,
    /// The accounts that took steps, by the id the events name them with: (name, login).
    pub accounts: HashMap<String, (String, String)>,
    /// The steps this account may take now.
    pub steps: Vec<StepForm>,
    pub may_reveal: bool,
    pub may_link: bool,
}

pub async fn view(cx: &Services, who: &Who<'_>, id: Uuid, today: NaiveDate) -> Result<ItemView> {
    let (store, scope) = (cx.store.as_ref(), &who.scope());
    let (item, events) = visible(cx, scope, id).await?;
    let calendar = cx.calendar().await?;
    let mut rating = match item.source {
        Source::Rating => store.rating(item.id).await?,
        Source::Problem => None,
    };
    let phone_masked = rating.as_mut().and_then(|r| r.rating.phone.take()).map(|p| mask_phone(&p));
    let revision = match item.revision_id {
        Some(r) => store.revision(r).await?,
        None => None,
    };
    let since = today - Duration::days(14);
    let (related_items, mut related_ratings) = if item.window_id.is_some() || item.staff_id.is_some() {
        store.related(item.window_id.as_deref(), item.staff_id.as_deref(), since).await?
    } else {
        (Vec::new(), Vec::new())
    };
    related_ratings.iter_mut().for_each(|r| r.rating.phone = None);
    let related_items = related_items.into_iter().filter(|r| r.id != item.id && sees(scope, r)).collect();
    let linked = store.ledger_links(item.id).await?.into_iter().filter(|r| sees(scope, r)).collect();
    let steps = StepForm::ALL.into_iter().chain([StepForm::Escalate]).filter(|f| f.allowed(scope, &item)).collect();
    let mut accounts = HashMap::new();
    for e in &events {
        if let Ok(id) = Uuid::parse_str(&e.actor)
            && !accounts.contains_key(&e.actor)
            && let Some(a) = store.account(id).await?
        {
            accounts.insert(e.actor.clone(), (a.name, a.login));
        }
    }
    let handles = item.hall_id.as_deref().is_some_and(|h| scope.handles_ledger(h));
    Ok(ItemView {
        urgency: item.due_date.map(|due| calendar.urgency(due, today)).filter(|_| item.state.is_open()),
        may_reveal: handles && phone_masked.is_some(),
        may_link: handles,
        item,
        events,
        rating,
        phone_masked,
        revision,
        related_items,
        related_ratings,
        linked,
        accounts,
        steps,
    })
}

/// The call-back number in full, for the clerk handling the item; logged.
pub async fn reveal_phone(cx: &Services, who: &Who<'_>, id: Uuid) -> Result<String> {
    let scope = who.scope();
    let (item, _) = visible(cx, &scope, id).await?;
    if !item.hall_id.as_deref().is_some_and(|h| scope.handles_ledger(h)) {
        return Err(Error::Forbidden("only the clerk handling the item sees the number".into()));
    }
    let phone = cx
        .store
        .rating(item.id)
        .await?
        .and_then(|r| r.rating.phone)
        .ok_or_else(|| Error::NotFound("call-back number".into()))?;
    audit::record(cx, who, AuditAction::RevealPhone, &id.to_string(), "").await?;
    Ok(phone)
}

/// Links two items of a hall the clerk handles, so one step can answer both.
pub async fn link(cx: &Services, who: &Who<'_>, a: Uuid, b: Uuid) -> Result<()> {
    let by = who.person()?;
    let scope = who.scope();
    if a == b {
        return Err(Invalid::LinkSelf.into());
    }
    let (x, _) = visible(cx, &scope, a).await?;
    let (y, _) = visible(cx, &scope, b).await?;
    let handles = |r: &LedgerRow| r.hall_id.as_deref().is_some_and(|h| scope.handles_ledger(h));
    if !handles(&x) || !handles(&y) {
        return Err(Error::Forbidden("only the hall's clerk links its items".into()));
    }
    cx.store.link_items(a, b, by.id, who.now).await?;
    audit::record(cx, who, AuditAction::LedgerLink, &a.to_string(), &b.to_string()).await
}

/// What an item's state means for its colour in a list.
pub fn urgency(calendar: &Calendar, item: &LedgerRow, today: NaiveDate) -> Option<Urgency> {
    item.due_date.filter(|_| item.state.is_open()).map(|due| calendar.urgency(due, today))
}

pub fn open_states() -> impl Iterator<Item = LedgerState> {
    LedgerState::ALL.into_iter().filter(|s| s.is_open())
}

/// The one item `scope` sees whose id ends with `suffix` (the short id the list shows).
pub async fn find_by_suffix(cx: &Services, who: &Who<'_>, suffix: &str) -> Result<Uuid> {
    let scope = &who.scope();
    let suffix = suffix.trim().to_ascii_lowercase();
    if !(8..=36).contains(&suffix.len()) || !suffix.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
        return Err(Invalid::Value("id").into());
    }
    let found: Vec<Uuid> =
        cx.store.ledger_by_suffix(&suffix).await?.into_iter().filter(|r| sees(scope, r)).map(|r| r.id).collect();
    match found.as_slice() {
        [one] => Ok(*one),
        _ => Err(Error::NotFound("ledger item".into())),
    }
}

/// A photo of the diary entry a problem came with, to someone who sees the item.
pub async fn photo(cx: &Services, who: &Who<'_>, id: Uuid, sha256: &str) -> Result<Vec<u8>> {
    let store = cx.store.as_ref();
    let (item, _) = visible(cx, &who.scope(), id).await?;
    let revision = match item.revision_id {
        Some(r) => store.revision(r).await?,
        None => None,
    };
    let named = revision.is_some_and(|r| r.revision.body.photos.iter().any(|p| p.sha256 == sha256));
    if !named {
        return Err(Error::NotFound("photo".into()));
    }
    store.diary_photo(sha256).await?.ok_or_else(|| Error::NotFound("photo".into()))
}
