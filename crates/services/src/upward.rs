//! Reporting up to a province's 好差评 platform: the targets `server.toml`
//! names, the sender that drains each target's outbox (one at a time across
//! every server process, by a lease), and the reconciliation the hall office
//! and the console read. The records' shapes are `tiyan_core::upward`'s
//! profiles; the outbox is written by storage in the transaction that stores
//! the rating or closes the item.
//!
//! The platform's answer (the reference receiver in the tests speaks it):
//! HTTP 200 with `{"results": [{"key": …, "status": "accepted" | "duplicate" |
//! "refused", "reason": …}]}`, one result per record by the profile's key
//! field. A record without a result is tried again a second later; a timeout,
//! a dropped connection, a 5xx, 401/403 (a credential to fix), 408 or 429 make
//! the whole target wait, backing off with jitter to a cap, then try again;
//! "refused" (or any other 4xx for the whole request) is kept with the
//! platform's words and never retried until someone sends it again.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};
use tiyan_core::Level;
use tiyan_core::reference::ReferenceData;
use tiyan_core::upward::{Facts, Kind, Overall, Profile, Source, backoff_secs};
use tiyan_storage::{Delivery, OutboxKind, Outgoing, RefusedRecord, UpwardDay, UpwardTarget};
use uuid::Uuid;

use crate::audit::{self, AuditAction};
use crate::{Error, Result, Services, Who, within_scope};

/// A target as `server.toml` gives it (`[[upward]]`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    /// The name the outbox and the pages use.
    pub name: String,
    /// The platform's address; the profile's paths are added to it.
    pub url: String,
    /// A built-in profile (`gbt39046`, `zhejiang`) or a profile file.
    pub profile: String,
    /// The credential, sent as a bearer token; better `token_file`, readable by the server only.
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// The sender's code the province gave (`dataSource`).
    #[serde(default)]
    pub sender: String,
    /// The halls reported to this target (default: all).
    #[serde(default)]
    pub halls: Option<Vec<String>>,
    /// How the two dimensions make the platform's one satisfaction.
    #[serde(default)]
    pub overall: Overall,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// The longest wait between two tries.
    #[serde(default = "default_retry_cap_secs")]
    pub retry_cap_secs: u64,
}

fn default_timeout_ms() -> u64 {
    5_000
}

/// A minute: the platform back after an outage hears from the sender within it.
fn default_retry_cap_secs() -> u64 {
    60
}

/// Never the credential: a target shows up in logs and error messages.
impl std::fmt::Debug for TargetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("profile", &self.profile)
            .field("halls", &self.halls)
            .finish_non_exhaustive()
    }
}

/// A target ready to send: its profile read, its credential loaded.
pub struct Target {
    pub config: TargetConfig,
    pub profile: Profile,
    token: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.config.fmt(f)
    }
}

impl TargetConfig {
    /// Reads the profile and the credential; an error names what is wrong.
    pub fn resolve(&self) -> anyhow::Result<Target> {
        anyhow::ensure!(!self.name.trim().is_empty(), "an [[upward]] target has no name");
        anyhow::ensure!(
            self.url.starts_with("http://") || self.url.starts_with("https://"),
            "upward target {}: url must be http:// or https://",
            self.name
        );
        let text = match Profile::built_in(&self.profile) {
            Some(t) => t.to_string(),
            None => std::fs::read_to_string(&self.profile).map_err(|e| {
                anyhow::anyhow!(
                    "upward target {}: profile {:?} is neither built in nor a file: {e}",
                    self.name,
                    self.profile
                )
            })?,
        };
        let profile: Profile = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("upward target {}: profile {}: {e}", self.name, self.profile))?;
        let token = match (&self.token, &self.token_file) {
            (Some(t), None) => t.clone(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("upward target {}: token file {}: {e}", self.name, path.display()))?
                .trim()
                .to_string(),
            (None, None) => String::new(),
            (Some(_), Some(_)) => anyhow::bail!("upward target {}: give token or token_file, not both", self.name),
        };
        Ok(Target { config: self.clone(), profile, token })
    }
}

/// What the sender waits between two looks at an empty outbox: a rating
/// reaches the platform within about this.
const POLL: Duration = Duration::from_millis(300);
/// A sender's lease on its target; another process takes over this long after
/// the holder stopped.
const LEASE_SECS: i64 = 10;

/// Sends `target`'s outbox for ever (the caller aborts the task to stop).
pub async fn run(cx: &Services, target: &Target) {
    let holder = Uuid::now_v7();
    let name = target.config.name.clone();
    let client =
        match reqwest::Client::builder().timeout(Duration::from_millis(target.config.timeout_ms.max(1))).build() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(target = %name, error = %e, "the upward sender cannot start");
                return;
            }
        };
    let registered = UpwardTarget { name: name.clone(), halls: target.config.halls.clone() };
    while let Err(e) = cx.store.upward_register(&registered).await {
        tracing::warn!(target = %name, error = %e, "the upward target cannot be recorded yet");
        tokio::time::sleep(POLL * 10).await;
    }
    tracing::info!(target = %name, profile = %target.profile.name, "reporting up");
    // Whether this process held the lease at its last look, and how many
    // tries in a row found the platform unreachable.
    let (mut leading, mut failures) = (false, 0u32);
    loop {
        match step(cx, target, &client, Turn { holder, leading, failures }).await {
            Ok(Step::Sent) => (leading, failures) = (true, 0),
            Ok(Step::Idle) => {
                (leading, failures) = (true, 0);
                tokio::time::sleep(POLL).await;
            }
            Ok(Step::Unreachable(wait)) => {
                (leading, failures) = (true, failures + 1);
                tokio::time::sleep(wait).await;
            }
            Ok(Step::Elsewhere) => {
                leading = false;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(e) => {
                tracing::warn!(target = %name, error = %e, "reporting up failed; trying again");
                tokio::time::sleep(POLL * 5).await;
            }
        }
    }
}

/// What a sender knows going into a turn.
#[derive(Clone, Copy)]
struct Turn {
    holder: Uuid,
    leading: bool,
    failures: u32,
}

enum Step {
    Sent,
    Idle,
    /// The platform did not answer (down, a timeout): the whole target waits
    /// this long (backing off to the cap, with jitter), its records with it,
    /// rather than trying the next batch and the next.
    Unreachable(Duration),
    /// Another process holds the lease.
    Elsewhere,
}

async fn step(cx: &Services, t: &Target, client: &reqwest::Client, turn: Turn) -> Result<Step> {
    let name = &t.config.name;
    let now = cx.now();
    if !cx.store.upward_lease(name, turn.holder, now, now + chrono::Duration::seconds(LEASE_SECS)).await? {
        return Ok(Step::Elsewhere);
    }
    if !turn.leading {
        let n = cx.store.upward_reclaim(name, now).await?;
        if n > 0 {
            tracing::info!(target = %name, records = n, "taken over: the records sent before and never answered go again");
        }
    }
    // A batch sent and never settled (this process stopped) is due again after this.
    let hold = now + chrono::Duration::milliseconds(t.config.timeout_ms as i64) + chrono::Duration::seconds(LEASE_SECS);
    let due = cx.store.upward_due(name, now, t.profile.batch.max(1) as u32, hold).await?;
    if due.is_empty() {
        return Ok(Step::Idle);
    }
    let reference = cx.reference().await?;
    let mut outcomes = Vec::with_capacity(due.len());
    let mut batches: BTreeMap<OutboxKind, Vec<Made<'_>>> = BTreeMap::new();
    for o in &due {
        let kind = match o.kind {
            OutboxKind::Rating => Kind::Rating,
            OutboxKind::Rectification => Kind::Rectification,
        };
        match facts(o, &reference, t).and_then(|f| t.profile.record(kind, &f).map_err(|e| e.to_string())) {
            Ok(record) => batches.entry(o.kind).or_default().push((o, record)),
            Err(why) => outcomes.push((o.seq, Delivery::Refused(format!("not sent: {why}")))),
        }
    }
    // If the platform cannot be reached, everything of this turn waits as long as the sender does.
    let wait = Duration::from_secs(backoff_secs(turn.failures + 1, t.config.retry_cap_secs, rand::random::<f64>()));
    let mut unreachable = false;
    for (kind, records) in batches {
        match post(t, client, kind, &records).await {
            Posted::Answered(answers) => outcomes.extend(answers.into_iter().map(|(seq, a)| {
                let at = cx.now() + chrono::Duration::seconds(1);
                (seq, a.unwrap_or_else(|error| Delivery::Retry { at, error }))
            })),
            Posted::Unreachable(error) => {
                unreachable = true;
                let at = cx.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                outcomes.extend(records.iter().map(|(o, _)| (o.seq, Delivery::Retry { at, error: error.clone() })));
            }
        }
    }
    cx.store.upward_settle(name, &outcomes, cx.now()).await?;
    Ok(if unreachable { Step::Unreachable(wait) } else { Step::Sent })
}

/// A record due and what the profile made of it.
type Made<'a> = (&'a Outgoing, Map<String, Value>);

/// What a record is made from: the rating (and item) and the reference data
/// (the hall's division and credit code, the reasons' indicator codes, the
/// staff member's department); what is missing is said, for the page.
fn facts(o: &Outgoing, reference: &ReferenceData, t: &Target) -> std::result::Result<Facts, String> {
    let hall = reference.halls.iter().find(|h| h.id == o.hall_id);
    let division = hall.and_then(|h| h.division.as_ref()).map(|d| d.to_string()).unwrap_or_default();
    let area_name = reference
        .regions
        .iter()
        .find(|r| r.code.to_string() == division)
        .map(|r| r.name.zh.clone())
        .unwrap_or_default();
    let staff = reference.staff.iter().find(|s| s.id == o.staff_id);
    let window = reference.windows.iter().find(|w| w.id == o.window_id);
    // The window system names a matter as its people call it: by name, or by id.
    let matter = o.matter.as_deref().and_then(|m| reference.matters.iter().find(|x| x.name.zh == m || x.id == m));
    let uses_indicators = t.profile.fields.iter().any(|f| f.from == Source::Indicators);
    let mut indicators = Vec::new();
    for r in &o.reasons {
        match reference.reasons.iter().find(|x| &x.code == r).and_then(|x| x.indicator.clone()) {
            Some(code) => indicators.push(code),
            None if uses_indicators => return Err(format!("reason {r:?} has no indicator code in the reference data")),
            None => {}
        }
    }
    let level = |v: u8| Level::try_from(i64::from(v)).map_err(|e| e.to_string());
    let overall = t.config.overall.of(level(o.attitude)?, level(o.competence)?);
    let time = match o.kind {
        OutboxKind::Rating => Some(o.rated_at),
        OutboxKind::Rectification => o.closed_at.map(|t| t.fixed_offset()),
    };
    Ok(Facts {
        key: o.record_id.to_string(),
        case_no: o.case_no.clone(),
        time,
        attempt: if o.case_repeat { 2 } else { 1 },
        overall: Some(overall),
        indicators,
        comment: o.comment.clone(),
        division,
        area_name,
        // The window's department first (a hall hosts many), else the hall's own.
        dept_code: window
            .and_then(|w| w.credit_code.clone())
            .or_else(|| hall.and_then(|h| h.credit_code.clone()))
            .unwrap_or_default(),
        task_code: matter.and_then(|m| m.task_code.clone()).unwrap_or_default(),
        task_name: matter.map(|m| m.name.zh.clone()).or_else(|| o.matter.clone()).unwrap_or_default(),
        dept_name: staff
            .and_then(|s| s.department.as_ref())
            .map(|d| d.zh.clone())
            .or_else(|| hall.map(|h| h.name.zh.clone()))
            .unwrap_or_default(),
        staff: staff.map(|s| s.name.clone()).unwrap_or_default(),
        sender: t.config.sender.clone(),
        item: o.record_id.to_string(),
        outcome: o.outcome.clone().unwrap_or_default(),
        reply: o.reply.clone().unwrap_or_default(),
        citizen_satisfaction: o.satisfaction.clone().unwrap_or_default(),
    })
}

#[derive(Deserialize)]
struct Answer {
    results: Vec<AnswerLine>,
}

#[derive(Deserialize)]
struct AnswerLine {
    key: String,
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

/// What became of one request.
enum Posted {
    /// The platform answered: each record's delivery, or why it goes again soon.
    Answered(Vec<(i64, std::result::Result<Delivery, String>)>),
    /// No usable answer (down, a timeout, a dropped connection, 5xx, 401/403,
    /// 408, 429, a body that is not its answer): all of it goes again.
    Unreachable(String),
}

/// Posts one batch and reads the platform's answer, record by record.
async fn post(t: &Target, client: &reqwest::Client, kind: OutboxKind, records: &[Made<'_>]) -> Posted {
    let path = match kind {
        OutboxKind::Rating => &t.profile.rating_path,
        OutboxKind::Rectification => &t.profile.rectification_path,
    };
    let url = format!("{}{path}", t.config.url.trim_end_matches('/'));
    let mut body = Map::new();
    body.insert(
        t.profile.records.clone(),
        Value::Array(records.iter().map(|(_, r)| Value::Object(r.clone())).collect()),
    );
    let mut request = client.post(&url).header("content-type", "application/json; charset=utf-8");
    if !t.token.is_empty() {
        request = request.bearer_auth(&t.token);
    }
    let response = match request.body(Value::Object(body).to_string()).send().await {
        Ok(r) => r,
        // Without the address or any header: nothing secret is in the message.
        Err(e) => return Posted::Unreachable(format!("no answer: {}", e.without_url())),
    };
    let status = response.status();
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => return Posted::Unreachable(format!("the answer broke off: {}", e.without_url())),
    };
    let words: String = text.chars().take(300).collect();
    if status.is_server_error() || [401, 403, 408, 429].contains(&status.as_u16()) {
        return Posted::Unreachable(format!("HTTP {status}: {words}"));
    }
    if !status.is_success() {
        let refused = Delivery::Refused(format!("HTTP {status}: {words}"));
        return Posted::Answered(records.iter().map(|(o, _)| (o.seq, Ok(refused.clone()))).collect());
    }
    let answer: Answer = match serde_json::from_str(&text) {
        Ok(a) => a,
        Err(e) => return Posted::Unreachable(format!("an answer that is not the platform's: {e}")),
    };
    let mut lines: BTreeMap<String, AnswerLine> = answer.results.into_iter().map(|l| (l.key.clone(), l)).collect();
    let answered = records
        .iter()
        .map(|(o, record)| {
            let key = record.get(&t.profile.key).and_then(Value::as_str).unwrap_or_default();
            let delivery = match lines.remove(key) {
                Some(l) if l.status == "accepted" || l.status == "duplicate" => Ok(Delivery::Acknowledged),
                Some(l) if l.status == "refused" => Ok(Delivery::Refused(l.reason.unwrap_or_else(|| "refused".into()))),
                Some(l) => Err(format!("an answer the platform does not give: {:?}", l.status)),
                None => Err("the platform's answer left this record out".into()),
            };
            (o.seq, delivery)
        })
        .collect();
    Posted::Answered(answered)
}

/// The reconciliation of the halls `who` sees: per day, hall and target, and
/// the refused records with the platform's words.
#[derive(Debug, Clone, Default)]
pub struct Reconciliation {
    pub days: Vec<UpwardDay>,
    pub refused: Vec<RefusedRecord>,
}

impl Reconciliation {
    /// The days' sum, per target.
    pub fn totals(&self) -> Vec<UpwardDay> {
        let mut by: BTreeMap<&str, UpwardDay> = BTreeMap::new();
        for d in &self.days {
            let t =
                by.entry(&d.target).or_insert_with(|| UpwardDay { target: d.target.clone(), ..UpwardDay::default() });
            t.queued += d.queued;
            t.sent += d.sent;
            t.acknowledged += d.acknowledged;
            t.refused += d.refused;
            t.waiting += d.waiting;
        }
        by.into_values().collect()
    }
}

/// Refused records a page or the console lists at most.
pub const REFUSED_SHOWN: u32 = 200;

pub async fn reconciliation(cx: &Services, who: &Who<'_>, from: NaiveDate, to: NaiveDate) -> Result<Reconciliation> {
    let halls = within_scope(&who.scope(), None);
    let days = cx.store.upward_days(halls.as_deref(), from, to).await?;
    let refused = cx.store.upward_refused(halls.as_deref(), REFUSED_SHOWN).await?;
    Ok(Reconciliation { days, refused })
}

/// Makes refused records due again after a fix (`seqs` empty: every refused
/// record `who` may send); administrators of the halls only; audited.
pub async fn resend(cx: &Services, who: &Who<'_>, seqs: &[i64]) -> Result<u64> {
    let scope = who.scope();
    if !matches!(scope.role, tiyan_core::accounts::Role::Supervisor | tiyan_core::accounts::Role::HallAdmin) {
        return Err(Error::Forbidden("you may not send records to the province again".into()));
    }
    let halls = within_scope(&scope, None);
    let n = cx.store.upward_resend(halls.as_deref(), seqs, who.now).await?;
    let what = if seqs.is_empty() { "all refused".to_string() } else { format!("{} chosen", seqs.len()) };
    audit::record(cx, who, AuditAction::UpwardResent, "upward", &format!("{n} records ({what})")).await?;
    Ok(n)
}

/// Records of `target` not yet acknowledged or refused (the backlog a bench drains).
pub async fn backlog(cx: &Services, target: &str) -> Result<u64> {
    Ok(cx.store.upward_backlog(target).await?)
}

/// The day span of a reconciliation: `days` days to `end` (inclusive).
pub fn span(end: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    let to = end.succ_opt().unwrap_or(end);
    (to - chrono::Duration::days(i64::from(days.max(1))), to)
}
