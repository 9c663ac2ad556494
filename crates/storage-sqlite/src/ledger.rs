//! The ledger, the calendar and the halls' limits in the SQLite file.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::ledger::{Event, LedgerState, Outcome, Satisfaction, Source, Status};
use tiyan_core::protocol::Feedback;
use tiyan_core::workdays::{Calendar, DayKind};
use uuid::Uuid;

use super::{SqliteStore, conversion, date, q, time, uuid};
use tiyan_storage::sql::LEDGER_COLUMNS;
use tiyan_storage::{
    AppendEvent, CalendarDay, CalendarStore, CalendarYear, Dashboard, Error, HallSettings, LedgerFilter, LedgerIntake,
    LedgerPage, LedgerRow, LedgerStore, NewItem, Result, StoredEvent, StoredRating, StoredRevision, predicate, sql,
};

fn parsed<T>(value: Option<T>, what: &str, raw: &str) -> rusqlite::Result<T> {
    value.ok_or_else(|| conversion(format!("{what} {raw:?}").into()))
}

fn satisfaction(s: &str) -> rusqlite::Result<Satisfaction> {
    parsed(Satisfaction::parse(s), "satisfaction", s)
}

pub(super) fn row(r: &Row) -> rusqlite::Result<LedgerRow> {
    let opt_uuid = |i: usize| r.get::<_, Option<String>>(i)?.map(|s| uuid(&s)).transpose();
    let source: String = r.get(1)?;
    let state: String = r.get(12)?;
    Ok(LedgerRow {
        id: uuid(&r.get::<_, String>(0)?)?,
        source: parsed(Source::parse(&source), "source", &source)?,
        hall_id: r.get(2)?,
        window_id: r.get(3)?,
        staff_id: r.get(4)?,
        device_id: uuid(&r.get::<_, String>(5)?)?,
        entry_id: opt_uuid(6)?,
        officer_id: r.get(7)?,
        category: r.get(8)?,
        summary: r.get(9)?,
        registered_at: time(&r.get::<_, String>(10)?)?,
        registered_date: date(&r.get::<_, String>(11)?)?,
        state: parsed(LedgerState::parse(&state), "ledger state", &state)?,
        due_date: r.get::<_, Option<String>>(13)?.map(|d| date(&d)).transpose()?,
        due_estimate: r.get(14)?,
        escalated: r.get(15)?,
        reply: r.get(16)?,
        satisfaction: r.get::<_, Option<String>>(17)?.map(|s| satisfaction(&s)).transpose()?,
        events: r.get(18)?,
        updated_at: time(&r.get::<_, String>(19)?)?,
        revision_id: opt_uuid(20)?,
    })
}

fn event_row(r: &Row) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        seq: r.get(0)?,
        actor: r.get(1)?,
        event: Event {
            at: time(&r.get::<_, String>(2)?)?,
            date: date(&r.get::<_, String>(3)?)?,
            action: serde_json::from_str(&r.get::<_, String>(4)?).map_err(|e| conversion(Box::new(e)))?,
            note: r.get(5)?,
        },
    })
}

fn events(c: &Connection, item: &str) -> Result<Vec<StoredEvent>> {
    let mut stmt = c.prepare_cached(
        "SELECT seq, actor, at, date, action, note FROM ledger_events WHERE item_id = ?1 ORDER BY seq",
    )?;
    Ok(stmt.query_map([item], event_row)?.collect::<rusqlite::Result<_>>()?)
}

fn json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Backend(e.to_string()))
}

fn insert_event(c: &Connection, item: &str, seq: u32, actor: &str, e: &Event) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO ledger_events (item_id, seq, at, date, actor, action, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![item, seq, e.at.to_rfc3339(), e.date.to_string(), actor, json(&e.action)?, e.note])?;
    Ok(())
}

impl SqliteStore {
    /// The items `condition` (a fixed WHERE clause) selects, with their events, read in one transaction.
    async fn replayable(&self, condition: &str) -> Result<Vec<(Uuid, Source, Vec<Event>)>> {
        let condition = condition.to_string();
        self.read_tx(move |c| {
            let ids: Vec<(String, String)> = c
                .prepare(&format!("SELECT id, source FROM ledger WHERE {condition}"))?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            ids.into_iter()
                .map(|(id, source)| {
                    let events = events(c, &id)?.into_iter().map(|e| e.event).collect();
                    let source = Source::parse(&source).ok_or_else(|| Error::Backend(format!("source {source:?}")))?;
                    Ok((uuid(&id)?, source, events))
                })
                .collect()
        })
        .await
    }
}

/// Writes an item's status if it still has `held` events (then it has
/// `events`); `at`, when given, is when it changed. Returns whether it did.
fn write_status(
    c: &Connection,
    item: &str,
    held: u32,
    events: u32,
    s: &Status,
    at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let changed = c.prepare_cached(&q(sql::ledger::WRITE_STATUS))?.execute(params![
        item,
        s.state.as_str(),
        s.due.map(|d| d.date.to_string()),
        s.due.is_some_and(|d| d.estimate),
        s.escalated,
        s.reply,
        s.satisfaction.map(Satisfaction::as_str),
        events,
        at.map(|t| t.to_rfc3339()),
        s.outcome.map(Outcome::as_str),
        s.rectified_on_time,
        held
    ])?;
    Ok(changed == 1)
}

/// New items of an upload, in the upload's transaction. A bad review sent
/// again is already an item; a problem reworded in a later revision keeps its
/// state and takes the new words. An item's row is written once, with the
/// status its first event gives it, so the ledger's indexes are touched once.
pub(super) fn insert_items(c: &Connection, items: &[NewItem]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let mut insert = c.prepare_cached(
        "INSERT INTO ledger (id, source, hall_id, window_id, staff_id, device_id, entry_id, revision_id,
                             officer_id, category, summary, registered_at, registered_date, state, due_date,
                             due_estimate, escalated, reply, satisfaction, events, updated_at, outcome,
                             rectified_on_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, 1, ?12, ?20,
                 ?21)
         ON CONFLICT (id) DO NOTHING",
    )?;
    for i in items {
        let id = i.id.to_string();
        let s = &i.status;
        let inserted = insert.execute(params![
            id,
            i.source.as_str(),
            i.hall_id,
            i.window_id,
            i.staff_id,
            i.device_id.to_string(),
            i.entry_id.map(|e| e.to_string()),
            i.revision_id.map(|r| r.to_string()),
            i.officer_id,
            i.category,
            i.summary,
            i.registered_at.to_rfc3339(),
            i.registered_date.to_string(),
            s.state.as_str(),
            s.due.map(|d| d.date.to_string()),
            s.due.is_some_and(|d| d.estimate),
            s.escalated,
            s.reply,
            s.satisfaction.map(Satisfaction::as_str),
            s.outcome.map(Outcome::as_str),
            s.rectified_on_time,
        ])?;
        if inserted == 1 {
            insert_event(c, &id, 1, "server", &i.event)?;
        } else if i.source == Source::Problem {
            c.prepare_cached(&q(sql::ledger::REWORD))?.execute(params![
                id,
                i.category,
                i.summary,
                i.revision_id.map(|r| r.to_string()),
                i.entry_id.map(|e| e.to_string())
            ])?;
        }
    }
    Ok(())
}

/// A decided step, in the caller's transaction: the status written if the
/// item is still as it was read, then the event appended.
pub(super) fn append_event(c: &Connection, e: &AppendEvent) -> Result<()> {
    let item = e.item.to_string();
    if !write_status(c, &item, e.seq - 1, e.seq, &e.status, Some(e.event.at))? {
        let exists = c.query_row(&q(sql::ledger::EXISTS), [&item], |_| Ok(())).optional()?.is_some();
        return Err(if exists { Error::Stale } else { Error::NotFound("ledger item".into()) });
    }
    insert_event(c, &item, e.seq, &e.actor, &e.event)
}

/// An officer's answers in the upload's transaction: each stored once (a resend
/// must be the same), and its step taken when the rules let it apply.
pub(super) fn insert_feedback(
    c: &Connection,
    device_id: &str,
    answers: &[Feedback],
    through: u64,
    received: &str,
    intake: &LedgerIntake,
) -> Result<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    for f in answers {
        let new = f.seq > through
            && c.prepare_cached(
                "INSERT INTO feedback (id, device_id, seq, officer_id, problem_id, satisfaction, answered_at,
                                       received_at, applied)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                f.id.to_string(),
                device_id,
                f.seq,
                f.officer_id,
                f.problem_id.to_string(),
                f.satisfaction.as_str(),
                f.answered_at.to_rfc3339(),
                received
            ])? == 1;
        if new {
            if let Some((_, step)) = intake.answers.iter().find(|(id, _)| *id == f.id) {
                append_event(c, step)?;
                c.execute("UPDATE feedback SET applied = 1 WHERE id = ?1", [f.id.to_string()])?;
            }
            stored += 1;
            continue;
        }
        let held: Option<Feedback> = c
            .query_row(
                "SELECT id, seq, officer_id, problem_id, satisfaction, answered_at FROM feedback
                 WHERE id = ?1 AND device_id = ?2 AND seq = ?3",
                params![f.id.to_string(), device_id, f.seq],
                |r| {
                    Ok(Feedback {
                        id: uuid(&r.get::<_, String>(0)?)?,
                        seq: r.get(1)?,
                        device_id: f.device_id,
                        officer_id: r.get(2)?,
                        problem_id: uuid(&r.get::<_, String>(3)?)?,
                        satisfaction: satisfaction(&r.get::<_, String>(4)?)?,
                        answered_at: super::device_time(&r.get::<_, String>(5)?)?,
                    })
                },
            )
            .optional()?;
        tiyan_storage::resent(held.as_ref(), f, f.device_id, f.id, f.seq)?;
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn phones_past(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<(Uuid, String)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&q(sql::ledger::PHONES_PAST))?;
            let rows = stmt.query_map(params![before.to_rfc3339(), limit], |r| {
                Ok((uuid(&r.get::<_, String>(0)?)?, r.get::<_, String>(1)?))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn erase_phone(&self, rating: Uuid, masked: &str) -> Result<bool> {
        let masked = masked.to_string();
        self.write(move |tx| Ok(tx.execute(&q(sql::ledger::ERASE_PHONE), params![rating.to_string(), masked])? == 1))
            .await
    }

    async fn ledger_page(&self, f: &LedgerFilter) -> Result<LedgerPage> {
        let f = f.clone();
        self.read_tx(move |c| {
            let conditions = format!(
                "{in_halls} AND (?2 IS NULL OR l.state = ?2)
                AND (?3 = 0 OR {open}) AND (?4 IS NULL OR l.window_id = ?4)
                AND (?5 IS NULL OR l.staff_id = ?5) AND (?6 IS NULL OR l.source = ?6)
                AND (?7 IS NULL OR l.due_date <= ?7)
                AND (?8 IS NULL OR (l.due_date < ?8 AND {open}))
                AND (?9 = 0 OR l.escalated = 1)",
                open = predicate::open("l.state"),
                in_halls = super::in_halls("l.hall_id", 1)
            );
            let (state, source) = (f.state.map(LedgerState::as_str), f.source.map(Source::as_str));
            let halls = super::halls_param(f.halls.as_deref());
            let (due_by, overdue_on) = (f.due_by.map(|d| d.to_string()), f.overdue_on.map(|d| d.to_string()));
            let filter =
                params![halls, state, f.open_only, f.window_id, f.staff_id, source, due_by, overdue_on, f.escalated];
            let total: u64 =
                c.query_row(&format!("SELECT count(*) FROM ledger l WHERE {conditions}"), filter, |r| r.get(0))?;
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {LEDGER_COLUMNS} FROM ledger l WHERE {conditions}
                 ORDER BY l.due_date IS NULL, l.due_date, l.registered_at DESC LIMIT ?10 OFFSET ?11"
            ))?;
            let per_page = f.per_page.clamp(1, 500);
            let offset = u64::from(f.page) * u64::from(per_page);
            let page = params![per_page, offset];
            let rows = stmt.query_map(&[filter, page].concat()[..], row)?;
            Ok(LedgerPage { items: rows.collect::<rusqlite::Result<_>>()?, total })
        })
        .await
    }

    async fn ledger_item(&self, id: Uuid) -> Result<Option<(LedgerRow, Vec<StoredEvent>)>> {
        self.read_tx(move |c| {
            let item = id.to_string();
            let found = c.query_row(&q(&sql::ledger::ITEM), [&item], row).optional()?;
            found.map(|r| Ok((r, events(c, &item)?))).transpose()
        })
        .await
    }

    async fn append_ledger_event(&self, e: &AppendEvent) -> Result<()> {
        let e = e.clone();
        self.write(move |c| append_event(c, &e)).await
    }

    async fn ledger_by_suffix(&self, suffix: &str) -> Result<Vec<LedgerRow>> {
        let pattern = format!("%{suffix}");
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {LEDGER_COLUMNS} FROM ledger l WHERE l.id LIKE ?1 LIMIT 5"))?;
            Ok(stmt.query_map([pattern], row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn ledger_links(&self, id: Uuid) -> Result<Vec<LedgerRow>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&q(&sql::ledger::LINKED))?;
            Ok(stmt.query_map([id.to_string()], row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn link_items(&self, a: Uuid, b: Uuid, account: Uuid, at: DateTime<Utc>) -> Result<()> {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        self.write(move |c| {
            c.execute(
                &q(sql::ledger::LINK),
                params![a.to_string(), b.to_string(), at.to_rfc3339(), account.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    async fn related(
        &self,
        window_id: Option<&str>,
        staff_id: Option<&str>,
        since: NaiveDate,
    ) -> Result<(Vec<LedgerRow>, Vec<StoredRating>)> {
        let (window_id, staff_id) = (window_id.map(str::to_string), staff_id.map(str::to_string));
        self.read_tx(move |c| {
            let since = since.to_string();
            let items = c
                .prepare_cached(&q(&sql::ledger::RELATED))?
                .query_map(params![window_id, staff_id, since], row)?
                .collect::<rusqlite::Result<_>>()?;
            let ratings = super::sync::ratings_where(
                c,
                "((?1 IS NOT NULL AND r.window_id = ?1) OR (?2 IS NOT NULL AND r.staff_id = ?2)) AND r.device_date >= ?3
                 ORDER BY r.device_time DESC LIMIT 100",
                params![window_id, staff_id, since],
            )?;
            Ok((items, ratings))
        })
        .await
    }

    async fn dashboard(&self, halls: Option<&[String]>, today: NaiveDate, due_soon_by: NaiveDate) -> Result<Dashboard> {
        let halls = super::halls_param(halls);
        self.read_tx(move |c| {
            let (today, soon) = (today.to_string(), due_soon_by.to_string());
            let month = format!("{}-01", &today[..7]);
            let counts = c.query_row(
                &format!(
                    "SELECT count(*) FILTER (WHERE {open}),
                        count(*) FILTER (WHERE {open} AND due_date = ?2),
                        count(*) FILTER (WHERE {open} AND due_date > ?2 AND due_date <= ?3),
                        count(*) FILTER (WHERE {open} AND due_date < ?2),
                        count(*) FILTER (WHERE {open} AND escalated = 1),
                        count(*) FILTER (WHERE state = 'appealed'),
                        count(*) FILTER (WHERE registered_date = ?2),
                        count(*) FILTER (WHERE {open} AND due_estimate = 1)
                 FROM ledger WHERE {in_halls}",
                    open = predicate::open("state"),
                    in_halls = super::in_halls("hall_id", 1)
                ),
                params![halls, today, soon],
                |r| {
                    Ok(Dashboard {
                        open: r.get(0)?,
                        due_today: r.get(1)?,
                        due_soon: r.get(2)?,
                        overdue: r.get(3)?,
                        escalated: r.get(4)?,
                        appealed: r.get(5)?,
                        registered_today: r.get(6)?,
                        estimates: r.get(7)?,
                        ..Dashboard::default()
                    })
                },
            )?;
            let (ratings, bad, excluded, excluded_bad): (u64, u64, u64, u64) = c.query_row(
                &q(&sql::ledger::ratings_between(&super::in_halls("hall_id", 1))),
                params![halls, month, today],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            Ok(Dashboard {
                ratings: ratings.saturating_sub(excluded),
                bad_reviews: bad.saturating_sub(excluded_bad),
                excluded,
                ..counts
            })
        })
        .await
    }

    async fn rating(&self, id: Uuid) -> Result<Option<StoredRating>> {
        self.read(move |c| Ok(super::sync::ratings_where(c, "r.id = ?1", [id.to_string()])?.into_iter().next())).await
    }

    async fn revision(&self, id: Uuid) -> Result<Option<StoredRevision>> {
        self.read(move |c| super::diary::revision_by_id(c, id)).await
    }

    async fn open_items(&self) -> Result<Vec<(Uuid, Source, Vec<Event>)>> {
        self.replayable(&predicate::open("state")).await
    }

    async fn items_missing_outcome(&self) -> Result<Vec<(Uuid, Source, Vec<Event>)>> {
        self.replayable(&format!("outcome IS NULL AND {}", predicate::dealt_with("state"))).await
    }

    async fn set_status(&self, id: Uuid, events: u32, status: &Status) -> Result<()> {
        let status = status.clone();
        self.write(move |c| write_status(c, &id.to_string(), events, events, &status, None).map(|_| ())).await
    }
}

fn kind(s: &str) -> rusqlite::Result<DayKind> {
    parsed(DayKind::parse(s), "calendar day kind", s)
}

fn bump_calendar(c: &Connection) -> Result<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES ('calendar_version', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        [],
    )?;
    Ok(())
}

fn calendar_version(c: &Connection) -> Result<i64> {
    let v: Option<String> = c.query_row(&q(sql::calendar::VERSION), [], |r| r.get(0)).optional()?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

#[async_trait]
impl CalendarStore for SqliteStore {
    async fn calendar(&self) -> Result<(i64, Calendar)> {
        self.read_tx(|c| {
            let days: Vec<(NaiveDate, DayKind)> = c
                .prepare(&q(sql::calendar::DAYS))?
                .query_map([], |r| Ok((date(&r.get::<_, String>(0)?)?, kind(&r.get::<_, String>(1)?)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let years: Vec<i32> = c
                .prepare(&q(sql::calendar::YEARS_KNOWN))?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok((calendar_version(c)?, Calendar::new(days, years)))
        })
        .await
    }

    async fn calendar_version(&self) -> Result<i64> {
        self.read(calendar_version).await
    }

    async fn calendar_days(&self, year: i32) -> Result<Vec<CalendarDay>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&q(sql::calendar::DAYS_BETWEEN))?;
            let rows = stmt.query_map(params![format!("{year:04}-01-01"), format!("{:04}-01-01", year + 1)], |r| {
                Ok(CalendarDay {
                    date: date(&r.get::<_, String>(0)?)?,
                    kind: kind(&r.get::<_, String>(1)?)?,
                    note: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn calendar_years(&self) -> Result<Vec<CalendarYear>> {
        self.read(|c| {
            let mut stmt = c.prepare(&q(sql::calendar::YEARS))?;
            let rows = stmt.query_map([], |r| {
                Ok(CalendarYear { year: r.get(0)?, source: r.get(1)?, imported_at: time(&r.get::<_, String>(2)?)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn import_calendar_year(
        &self,
        year: i32,
        days: &[CalendarDay],
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let (days, source) = (days.to_vec(), source.to_string());
        self.write(move |c| {
            c.execute(
                &q(sql::calendar::CLEAR_DAYS),
                params![format!("{year:04}-01-01"), format!("{:04}-01-01", year + 1)],
            )?;
            for d in &days {
                c.execute(&q(sql::calendar::ADD_DAY), params![d.date.to_string(), DayKind::as_str(d.kind), d.note])?;
            }
            c.execute(&q(sql::calendar::SET_YEAR), params![year, source, at.to_rfc3339()])?;
            bump_calendar(c)
        })
        .await
    }

    async fn set_calendar_day(&self, day: NaiveDate, set: Option<(DayKind, String)>) -> Result<()> {
        self.write(move |c| {
            match &set {
                Some((k, note)) => {
                    c.execute(&q(sql::calendar::SET_DAY), params![day.to_string(), DayKind::as_str(*k), note])?
                }
                None => c.execute(&q(sql::calendar::CLEAR_DAY), [day.to_string()])?,
            };
            bump_calendar(c)
        })
        .await
    }

    async fn hall_settings(&self, hall_id: &str) -> Result<HallSettings> {
        let hall_id = hall_id.to_string();
        self.read(move |c| {
            Ok(c.query_row(&q(sql::calendar::LIMITS), [hall_id], |r| {
                Ok(HallSettings { verify_days: r.get(0)?, rectify_days: r.get(1)?, complex_days: r.get(2)? })
            })
            .optional()?
            .unwrap_or_default())
        })
        .await
    }

    async fn set_hall_settings(&self, hall_id: &str, s: &HallSettings) -> Result<()> {
        let (hall_id, s) = (hall_id.to_string(), *s);
        self.write(move |c| {
            c.execute(&q(sql::calendar::SET_LIMITS), params![hall_id, s.verify_days, s.rectify_days, s.complex_days])?;
            Ok(())
        })
        .await
    }
}
