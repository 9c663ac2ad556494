//! The ledger (台账): how a bad review or an officer's problem is handled, as
//! a state machine. Every step is an event (who, when, what, a note) and an
//! item's state is what its events make of it; nothing is ever overwritten.
//!
//! Registered → verified (核实) → fixed at once (立行立改), rectification to a
//! deadline (限期整改) or an explanation (解释说明); a bad review may be
//! appealed (申诉) and a supervisor decides (upheld: the rating leaves every
//! figure; rejected: back to rectification); then a reply (反馈), the
//! satisfaction of the citizen or officer (不满意 reopens), and closed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::Role;
use crate::workdays::{Calendar, Due};

/// Where an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A bad review given on a kiosk.
    Rating,
    /// A problem (挑刺) in an officer's diary.
    Problem,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rating => "rating",
            Source::Problem => "problem",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        [Source::Rating, Source::Problem].into_iter().find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LedgerState {
    /// 已登记: waiting to be verified.
    Registered,
    /// 已核实: verified, waiting for an outcome.
    Verified,
    /// 整改中: to be rectified by a deadline.
    Rectifying,
    /// 申诉中: the window's unit contests the bad review; a supervisor decides.
    Appealed,
    /// 已整改: rectified (or fixed at once), waiting for the reply.
    Rectified,
    /// 已解释: the demand has no basis; explained, waiting for the reply.
    Explained,
    /// 已反馈: the reply went back; waiting for the satisfaction.
    Replied,
    /// 已办结.
    Closed,
    /// 申诉成立: the rating is excluded from every figure; the item is over.
    Excluded,
}

impl LedgerState {
    pub const ALL: [LedgerState; 9] = [
        LedgerState::Registered,
        LedgerState::Verified,
        LedgerState::Rectifying,
        LedgerState::Appealed,
        LedgerState::Rectified,
        LedgerState::Explained,
        LedgerState::Replied,
        LedgerState::Closed,
        LedgerState::Excluded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerState::Registered => "registered",
            LedgerState::Verified => "verified",
            LedgerState::Rectifying => "rectifying",
            LedgerState::Appealed => "appealed",
            LedgerState::Rectified => "rectified",
            LedgerState::Explained => "explained",
            LedgerState::Replied => "replied",
            LedgerState::Closed => "closed",
            LedgerState::Excluded => "excluded",
        }
    }

    pub fn parse(s: &str) -> Option<LedgerState> {
        LedgerState::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Still needs someone's work.
    pub fn is_open(self) -> bool {
        !matches!(self, LedgerState::Closed | LedgerState::Excluded)
    }

    /// Dealt with (fixed, rectified or explained), whatever came after: such
    /// an item has an outcome.
    pub fn is_dealt_with(self) -> bool {
        matches!(self, LedgerState::Rectified | LedgerState::Explained | LedgerState::Replied | LedgerState::Closed)
    }
}

/// What the citizen or officer thinks of the rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] =
        [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied];

    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Satisfaction> {
        Satisfaction::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// One step, as recorded in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Action {
    /// The item arrives; it is to be verified within `verify_days` working days.
    Register { verify_days: u32 },
    /// 核实: the citizen was called back (if they consented) or the officer's account read.
    Verify,
    /// 立行立改.
    FixAtOnce,
    /// 限期整改 within `days` working days (a hall's limit, longer for a complex case).
    Rectify { days: u32, complex: bool },
    /// 解释说明.
    Explain,
    /// The rectification is done.
    RecordRectification,
    /// 申诉: only a bad review can be appealed.
    Appeal,
    /// A supervisor upholds the appeal: the rating leaves every figure.
    UpholdAppeal,
    /// A supervisor rejects it: back to rectification within `days`.
    RejectAppeal { days: u32 },
    /// 反馈: the result goes back (the note is the reply's text).
    Reply,
    /// The citizen's (recorded by the clerk) or the officer's own answer; 不满意
    /// reopens the item for rectification within `reopen_days`.
    Satisfaction { satisfaction: Satisfaction, reopen_days: u32 },
    /// Closed after the reply without an answer (nobody reachable).
    Close,
    /// 督办: a supervisor presses an open item; its state does not change.
    Escalate,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Register { .. } => "register",
            Action::Verify => "verify",
            Action::FixAtOnce => "fix_at_once",
            Action::Rectify { .. } => "rectify",
            Action::Explain => "explain",
            Action::RecordRectification => "record_rectification",
            Action::Appeal => "appeal",
            Action::UpholdAppeal => "uphold_appeal",
            Action::RejectAppeal { .. } => "reject_appeal",
            Action::Reply => "reply",
            Action::Satisfaction { .. } => "satisfaction",
            Action::Close => "close",
            Action::Escalate => "escalate",
        }
    }
}

/// Who takes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An account of the hall office, by its role.
    Account(Role),
    /// The officer who reported the problem, from their laptop.
    Officer,
    /// The server itself (registering what arrives).
    System,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("a {actor} may not {action}")]
    NotAllowed { actor: &'static str, action: &'static str },
    #[error("an item that is {state} cannot be taken to {action}")]
    WrongState { state: &'static str, action: &'static str },
    #[error("only a bad review can be appealed")]
    NotAppealable,
    #[error("a reply needs its text")]
    EmptyReply,
    #[error("the item's history does not begin with its registration")]
    NoRegistration,
}

fn actor_name(actor: Actor) -> &'static str {
    match actor {
        Actor::Account(role) => role.as_str(),
        Actor::Officer => "officer",
        Actor::System => "server",
    }
}

/// Who may take which step: clerks do the handling, supervisors decide appeals
/// and escalate, the officer answers for their own problem, and the server only
/// registers. Hall administrators and viewers read.
fn may(actor: Actor, action: &Action) -> bool {
    match (actor, action) {
        (Actor::System, Action::Register { .. }) => true,
        (Actor::Account(Role::Clerk), a) => matches!(
            a,
            Action::Verify
                | Action::FixAtOnce
                | Action::Rectify { .. }
                | Action::Explain
                | Action::RecordRectification
                | Action::Appeal
                | Action::Reply
                | Action::Satisfaction { .. }
                | Action::Close
        ),
        (Actor::Account(Role::Supervisor), a) => {
            matches!(a, Action::UpholdAppeal | Action::RejectAppeal { .. } | Action::Escalate)
        }
        (Actor::Officer, Action::Satisfaction { .. }) => true,
        _ => false,
    }
}

/// The state a step takes an item to, or why it may not be taken.
pub fn step(
    state: Option<LedgerState>,
    source: Source,
    actor: Actor,
    action: &Action,
) -> Result<LedgerState, StepError> {
    use LedgerState as S;
    if !may(actor, action) {
        return Err(StepError::NotAllowed { actor: actor_name(actor), action: action.name() });
    }
    let wrong = |s: LedgerState| StepError::WrongState { state: s.as_str(), action: action.name() };
    let Some(state) = state else {
        return match action {
            Action::Register { .. } => Ok(S::Registered),
            _ => Err(StepError::NoRegistration),
        };
    };
    let next = match (state, action) {
        (S::Registered, Action::Verify) => S::Verified,
        (S::Verified, Action::FixAtOnce) => S::Rectified,
        (S::Verified, Action::Rectify { .. }) => S::Rectifying,
        (S::Verified, Action::Explain) => S::Explained,
        (S::Rectifying, Action::RecordRectification) => S::Rectified,
        (S::Verified | S::Rectifying, Action::Appeal) if source == Source::Rating => S::Appealed,
        (S::Verified | S::Rectifying, Action::Appeal) => return Err(StepError::NotAppealable),
        (S::Appealed, Action::UpholdAppeal) => S::Excluded,
        (S::Appealed, Action::RejectAppeal { .. }) => S::Rectifying,
        (S::Rectified | S::Explained, Action::Reply) => S::Replied,
        (S::Replied, Action::Satisfaction { satisfaction: Satisfaction::Dissatisfied, .. }) => S::Rectifying,
        (S::Replied, Action::Satisfaction { .. }) => S::Closed,
        (S::Replied, Action::Close) => S::Closed,
        (s, Action::Escalate) if s.is_open() => s,
        (s, _) => return Err(wrong(s)),
    };
    // An officer answers only the reply to their own problem (checked by the caller: whose item it is).
    if actor == Actor::Officer && source != Source::Problem {
        return Err(StepError::NotAllowed { actor: "officer", action: action.name() });
    }
    Ok(next)
}

/// A step as it was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: DateTime<Utc>,
    /// The hall's calendar date the step was taken on (deadlines count from it).
    pub date: NaiveDate,
    pub action: Action,
    pub note: String,
}

/// What an item's events make of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub state: LedgerState,
    /// The deadline running now: to verify, or to rectify; None when none runs.
    pub due: Option<Due>,
    /// What the deadline is for.
    pub due_for: Option<Deadline>,
    pub escalated: bool,
    /// The last reply's text.
    pub reply: Option<String>,
    pub satisfaction: Option<Satisfaction>,
    /// A rectification recorded on or before its deadline (None: not rectified yet).
    pub rectified_on_time: Option<bool>,
    /// How the item was dealt with, once it was (None: not yet, or reopened).
    pub outcome: Option<Outcome>,
}

/// How an item was dealt with: what the month's ledger rates count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 立行立改.
    Fixed,
    /// Rectified to a deadline.
    Rectified,
    /// 解释说明: nothing to rectify.
    Explained,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fixed => "fixed",
            Outcome::Rectified => "rectified",
            Outcome::Explained => "explained",
        }
    }

    pub const ALL: [Outcome; 3] = [Outcome::Fixed, Outcome::Rectified, Outcome::Explained];

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Something was put right (at once or to a deadline): what the
    /// rectification rate and an officer's "led to a rectification" count.
    pub fn is_rectification(self) -> bool {
        matches!(self, Outcome::Fixed | Outcome::Rectified)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Deadline {
    Verify,
    Rectify,
}

/// Why a step was not taken: someone else took one since the person looked
/// (`Stale`), or the rules refuse it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    #[error("the item changed meanwhile: look at it again")]
    Stale,
    #[error(transparent)]
    Step(#[from] StepError),
}

/// A step on an item, decided from what the store read of it (its source, its
/// history of `held` events): the step must be taken on the history the
/// person saw (`expected`, when they saw one), must be allowed from the state
/// the history replays to, and gives the status the history with it replays
/// to. The store then appends `event` as event `held + 1` and writes the
/// status, in the transaction it read in.
pub fn take_step(
    history: &[Event],
    held: u32,
    expected: Option<u32>,
    source: Source,
    actor: Actor,
    event: &Event,
    calendar: &Calendar,
) -> Result<Status, StepRefusal> {
    if expected.is_some_and(|e| e != held) {
        return Err(StepRefusal::Stale);
    }
    let current = replay(history, source, calendar)?;
    step(Some(current.state), source, actor, &event.action)?;
    let mut after = history.to_vec();
    after.push(event.clone());
    Ok(replay(&after, source, calendar)?)
}

/// Replays an item's events (in order) against the calendar. The events were
/// checked one by one when they were taken; a history that does not add up
/// (edited behind the server's back) is an error.
pub fn replay(events: &[Event], source: Source, calendar: &Calendar) -> Result<Status, StepError> {
    let mut status = Status {
        state: LedgerState::Registered,
        due: None,
        due_for: None,
        escalated: false,
        reply: None,
        satisfaction: None,
        rectified_on_time: None,
        outcome: None,
    };
    let mut state = None;
    for e in events {
        // The actor is not replayed: it was checked when the step was taken.
        let next = replay_step(state, source, &e.action)?;
        match e.action {
            Action::Register { verify_days } => {
                status.due = Some(calendar.add_working_days(e.date, verify_days));
                status.due_for = Some(Deadline::Verify);
            }
            Action::Rectify { days, .. }
            | Action::RejectAppeal { days }
            | Action::Satisfaction { reopen_days: days, satisfaction: Satisfaction::Dissatisfied } => {
                status.due = Some(calendar.add_working_days(e.date, days));
                status.due_for = Some(Deadline::Rectify);
                status.rectified_on_time = None;
                status.outcome = None;
            }
            Action::FixAtOnce => {
                status.outcome = Some(Outcome::Fixed);
                status.rectified_on_time = Some(true);
                status.due = None;
                status.due_for = None;
            }
            Action::RecordRectification => {
                status.outcome = Some(Outcome::Rectified);
                status.rectified_on_time = Some(status.due.is_none_or(|d| e.date <= d.date));
                status.due = None;
                status.due_for = None;
            }
            Action::Explain => {
                status.outcome = Some(Outcome::Explained);
                status.due = None;
                status.due_for = None;
            }
            Action::Escalate => status.escalated = true,
            Action::Reply => status.reply = Some(e.note.clone()),
            Action::Satisfaction { satisfaction, .. } => status.satisfaction = Some(satisfaction),
            _ => {
                if !matches!(next, LedgerState::Registered | LedgerState::Rectifying) {
                    status.due = None;
                    status.due_for = None;
                }
            }
        }
        if !next.is_open() {
            status.due = None;
            status.due_for = None;
        }
        state = Some(next);
    }
    status.state = state.ok_or(StepError::NoRegistration)?;
    Ok(status)
}

/// A recorded step, with the actor that the log says took it: whatever role
/// may take it.
fn replay_step(state: Option<LedgerState>, source: Source, action: &Action) -> Result<LedgerState, StepError> {
    let actor = match action {
        Action::Register { .. } => Actor::System,
        Action::UpholdAppeal | Action::RejectAppeal { .. } | Action::Escalate => Actor::Account(Role::Supervisor),
        Action::Satisfaction { .. } if source == Source::Problem => Actor::Officer,
        _ => Actor::Account(Role::Clerk),
    };
    step(state, source, actor, action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workdays::DayKind;

    const CLERK: Actor = Actor::Account(Role::Clerk);
    const SUPERVISOR: Actor = Actor::Account(Role::Supervisor);

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn event(date: &str, action: Action) -> Event {
        Event {
            at: DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default(),
            date: day(date),
            action,
            note: String::new(),
        }
    }

    #[test]
    fn states_round_trip_by_name() {
        for s in LedgerState::ALL {
            assert_eq!(LedgerState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap_or_default(), s.as_str());
        }
        assert_eq!(LedgerState::parse("assigned"), None);
    }

    #[test]
    fn every_allowed_step_by_role() {
        use LedgerState as S;
        let rating = Source::Rating;
        let cases: Vec<(Option<S>, Actor, Action, S)> = vec![
            (None, Actor::System, Action::Register { verify_days: 1 }, S::Registered),
            (Some(S::Registered), CLERK, Action::Verify, S::Verified),
            (Some(S::Verified), CLERK, Action::FixAtOnce, S::Rectified),
            (Some(S::Verified), CLERK, Action::Rectify { days: 5, complex: false }, S::Rectifying),
            (Some(S::Verified), CLERK, Action::Explain, S::Explained),
            (Some(S::Rectifying), CLERK, Action::RecordRectification, S::Rectified),
            (Some(S::Verified), CLERK, Action::Appeal, S::Appealed),
            (Some(S::Rectifying), CLERK, Action::Appeal, S::Appealed),
            (Some(S::Appealed), SUPERVISOR, Action::UpholdAppeal, S::Excluded),
            (Some(S::Appealed), SUPERVISOR, Action::RejectAppeal { days: 5 }, S::Rectifying),
            (Some(S::Rectified), CLERK, Action::Reply, S::Replied),
            (Some(S::Explained), CLERK, Action::Reply, S::Replied),
            (
                Some(S::Replied),
                CLERK,
                Action::Satisfaction { satisfaction: Satisfaction::Satisfied, reopen_days: 5 },
                S::Closed,
            ),
            (
                Some(S::Replied),
                CLERK,
                Action::Satisfaction { satisfaction: Satisfaction::BasicallySatisfied, reopen_days: 5 },
                S::Closed,
            ),
            (
                Some(S::Replied),
                CLERK,
                Action::Satisfaction { satisfaction: Satisfaction::Dissatisfied, reopen_days: 5 },
                S::Rectifying,
            ),
            (Some(S::Replied), CLERK, Action::Close, S::Closed),
            (Some(S::Rectifying), SUPERVISOR, Action::Escalate, S::Rectifying),
            (Some(S::Registered), SUPERVISOR, Action::Escalate, S::Registered),
        ];
        for (from, actor, action, to) in cases {
            assert_eq!(step(from, rating, actor, &action), Ok(to), "{from:?} --{action:?} by {actor:?}");
        }
    }

    #[test]
    fn every_refused_step_by_role() {
        use LedgerState as S;
        // Roles that may not: viewers and hall administrators take no step; clerks
        // do not decide appeals; supervisors do not handle; officers only answer.
        for actor in [Actor::Account(Role::Viewer), Actor::Account(Role::HallAdmin)] {
            for action in [Action::Verify, Action::Reply, Action::UpholdAppeal, Action::Escalate] {
                assert!(matches!(
                    step(Some(S::Registered), Source::Rating, actor, &action),
                    Err(StepError::NotAllowed { .. })
                ));
            }
        }
        assert!(matches!(
            step(Some(S::Appealed), Source::Rating, CLERK, &Action::UpholdAppeal),
            Err(StepError::NotAllowed { .. })
        ));
        assert!(matches!(
            step(Some(S::Registered), Source::Rating, SUPERVISOR, &Action::Verify),
            Err(StepError::NotAllowed { .. })
        ));
        assert!(matches!(
            step(Some(S::Replied), Source::Rating, Actor::Officer, &Action::Close),
            Err(StepError::NotAllowed { .. })
        ));
        let answer = Action::Satisfaction { satisfaction: Satisfaction::Satisfied, reopen_days: 5 };
        assert_eq!(step(Some(S::Replied), Source::Problem, Actor::Officer, &answer), Ok(S::Closed));
        assert!(matches!(
            step(Some(S::Replied), Source::Rating, Actor::Officer, &answer),
            Err(StepError::NotAllowed { .. })
        ));
        assert!(matches!(
            step(None, Source::Rating, CLERK, &Action::Register { verify_days: 1 }),
            Err(StepError::NotAllowed { .. })
        ));
        // Steps out of order.
        for (from, action) in [
            (S::Registered, Action::FixAtOnce),
            (S::Registered, Action::Reply),
            (S::Verified, Action::RecordRectification),
            (S::Rectifying, Action::Reply),
            (S::Closed, Action::Verify),
            (S::Replied, Action::Verify),
        ] {
            assert!(
                matches!(step(Some(from), Source::Rating, CLERK, &action), Err(StepError::WrongState { .. })),
                "{from:?} {action:?}"
            );
        }
        assert!(matches!(
            step(Some(S::Closed), Source::Rating, SUPERVISOR, &Action::Escalate),
            Err(StepError::WrongState { .. })
        ));
        assert_eq!(step(Some(S::Verified), Source::Problem, CLERK, &Action::Appeal), Err(StepError::NotAppealable));
        assert_eq!(step(None, Source::Rating, CLERK, &Action::Verify).map_err(|_| ()), Err(()));
    }

    #[test]
    fn the_status_follows_the_events_with_deadlines_in_working_days() {
        let calendar = Calendar::new([(day("2026-10-08"), DayKind::Holiday)], [2026]);
        let mut events = vec![event("2026-10-06", Action::Register { verify_days: 1 })];
        let s = replay(&events, Source::Rating, &calendar).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.state, s.due.map(|d| d.date), s.due_for),
            (LedgerState::Registered, Some(day("2026-10-07")), Some(Deadline::Verify))
        );
        events.push(event("2026-10-07", Action::Verify));
        events.push(event("2026-10-07", Action::Rectify { days: 5, complex: false }));
        let s = replay(&events, Source::Rating, &calendar).unwrap_or_else(|e| panic!("{e}"));
        // 9 (Fri), 12, 13, 14, 15: the 8th is a holiday, the 10th and 11th a weekend.
        assert_eq!((s.state, s.due.map(|d| d.date)), (LedgerState::Rectifying, Some(day("2026-10-15"))));
        events.push(event("2026-10-16", Action::RecordRectification));
        events.push(Event { note: "已增设引导员".into(), ..event("2026-10-16", Action::Reply) });
        let s = replay(&events, Source::Rating, &calendar).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.state, s.rectified_on_time, s.due, s.reply.as_deref()),
            (LedgerState::Replied, Some(false), None, Some("已增设引导员"))
        );
        // 不满意 reopens, with a new deadline.
        events.push(event(
            "2026-10-19",
            Action::Satisfaction { satisfaction: Satisfaction::Dissatisfied, reopen_days: 5 },
        ));
        let s = replay(&events, Source::Rating, &calendar).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (s.state, s.due.map(|d| d.date), s.rectified_on_time),
            (LedgerState::Rectifying, Some(day("2026-10-26")), None)
        );
        // An upheld appeal ends it.
        events.push(event("2026-10-20", Action::Appeal));
        events.push(event("2026-10-21", Action::UpholdAppeal));
        let s = replay(&events, Source::Rating, &calendar).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.state, s.due), (LedgerState::Excluded, None));
        // A history that does not add up is refused.
        assert!(replay(&events[1..], Source::Rating, &calendar).is_err());
    }
}
