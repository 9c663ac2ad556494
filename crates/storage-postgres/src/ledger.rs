//! The ledger, the calendar and the halls' limits in PostgreSQL. A step is
//! written only if the item still has the events it was decided on: two
//! clerks acting on one item at once, at one process or two, meet at the
//! item's row lock, and the second finds the count moved (`Stale`).

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use tiyan_core::ledger::{Event, LedgerState, Outcome, Satisfaction, Source, Status};
use tiyan_core::protocol::Feedback;
use tiyan_core::workdays::{Calendar, DayKind};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgStore, device_time, json, offset_minutes};
use tiyan_storage::sql::LEDGER_COLUMNS;
use tiyan_storage::{
    AppendEvent, CalendarDay, CalendarStore, CalendarYear, Dashboard, Error, HallSettings, LedgerFilter, LedgerIntake,
    LedgerPage, LedgerRow, LedgerStore, NewItem, Result, StoredEvent, StoredRating, StoredRevision, predicate, sql,
};

fn satisfaction(s: &str) -> Result<Satisfaction> {
    Satisfaction::parse(s).ok_or_else(|| Error::Backend(format!("satisfaction {s:?}")))
}

pub(super) fn row(r: &Row) -> Result<LedgerRow> {
    let source: &str = r.get(1);
    let state: &str = r.get(12);
    Ok(LedgerRow {
        id: r.get(0),
        source: Source::parse(source).ok_or_else(|| Error::Backend(format!("source {source:?}")))?,
        hall_id: r.get(2),
        window_id: r.get(3),
        staff_id: r.get(4),
        device_id: r.get(5),
        entry_id: r.get(6),
        officer_id: r.get(7),
        category: r.get(8),
        summary: r.get(9),
        registered_at: r.get(10),
        registered_date: r.get(11),
        state: LedgerState::parse(state).ok_or_else(|| Error::Backend(format!("ledger state {state:?}")))?,
        due_date: r.get(13),
        due_estimate: r.get(14),
        escalated: r.get(15),
        reply: r.get(16),
        satisfaction: r.get::<_, Option<&str>>(17).map(satisfaction).transpose()?,
        events: r.get::<_, i32>(18) as u32,
        updated_at: r.get(19),
        revision_id: r.get(20),
    })
}

async fn events(c: &impl GenericClient, item: Uuid) -> Result<Vec<StoredEvent>> {
    let rows = c
        .query(
            "SELECT seq, actor, at, date, action::text, note FROM ledger_events WHERE item_id = $1 ORDER BY seq",
            &[&item],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                seq: r.get::<_, i32>(0) as u32,
                actor: r.get(1),
                event: Event { at: r.get(2), date: r.get(3), action: json(r.get(4))?, note: r.get(5) },
            })
        })
        .collect()
}

fn to_json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Backend(e.to_string()))
}

async fn insert_event(c: &impl GenericClient, item: Uuid, seq: u32, actor: &str, e: &Event) -> Result<()> {
    c.execute(
        "INSERT INTO ledger_events (item_id, seq, at, date, actor, action, note)
         VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7)",
        &[&item, &(seq as i32), &e.at, &e.date, &actor, &to_json(&e.action)?, &e.note],
    )
    .await?;
    Ok(())
}

impl PgStore {
    /// The items `condition` (a fixed WHERE clause) selects, with their events, read in one snapshot.
    async fn replayable(&self, condition: &str) -> Result<Vec<(Uuid, Source, Vec<Event>)>> {
        let mut client = self.client().await?;
        let tx =
            client.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).start().await?;
        let rows = tx.query(&format!("SELECT id, source FROM ledger WHERE {condition}"), &[]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (id, source): (Uuid, &str) = (r.get(0), r.get(1));
            let source = Source::parse(source).ok_or_else(|| Error::Backend(format!("source {source:?}")))?;
            out.push((id, source, events(&tx, id).await?.into_iter().map(|e| e.event).collect()));
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// Writes an item's status if it still has `held` events (then it has
/// `events`); `at`, when given, is when it changed. Returns whether it did.
/// Two writers at once: the second waits for the first's row lock, then finds
/// the count moved and writes nothing.
async fn write_status(
    c: &impl GenericClient,
    item: Uuid,
    held: u32,
    events: u32,
    s: &Status,
    at: Option<DateTime<Utc>>,
) -> Result<bool> {
    let changed = c
        .execute(
            sql::ledger::WRITE_STATUS,
            &[
                &item,
                &s.state.as_str(),
                &s.due.map(|d| d.date),
                &s.due.is_some_and(|d| d.estimate),
                &s.escalated,
                &s.reply,
                &s.satisfaction.map(Satisfaction::as_str),
                &(events as i32),
                &at,
                &s.outcome.map(Outcome::as_str),
                &s.rectified_on_time,
                &(held as i32),
            ],
        )
        .await?;
    Ok(changed == 1)
}

const INSERT_ITEMS: &str = "INSERT INTO ledger (id, source, hall_id, window_id, staff_id, device_id, entry_id,
        revision_id, officer_id, category, summary, registered_at, registered_date, state, due_date, due_estimate,
        escalated, reply, satisfaction, events, updated_at, outcome, rectified_on_time)
    SELECT u.id, u.src, u.h, u.w, u.s, u.dev, u.e, u.rev, u.o, u.cat, u.sum, u.at, u.d, u.st, u.due, u.est, u.esc,
           u.rep, u.sat, 1, u.at, u.out, u.ontime
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[], $8::uuid[],
                $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::date[], $14::text[], $15::date[],
                $16::bool[], $17::bool[], $18::text[], $19::text[], $20::text[], $21::bool[])
        AS u(id, src, h, w, s, dev, e, rev, o, cat, sum, at, d, st, due, est, esc, rep, sat, out, ontime)
    ON CONFLICT (id) DO NOTHING
    RETURNING id";

const INSERT_FIRST_EVENTS: &str = "INSERT INTO ledger_events (item_id, seq, at, date, actor, action, note)
    SELECT u.id, 1, u.at, u.d, 'server', u.a::jsonb, u.n
    FROM unnest($1::uuid[], $2::timestamptz[], $3::date[], $4::text[], $5::text[]) AS u(id, at, d, a, n)";

/// New items of an upload, in the upload's transaction (see the SQLite
/// backend): every row with the status its first event gives it in one
/// statement, their first events in another, whatever the page's size.
pub(super) async fn insert_items(c: &impl GenericClient, items: &[NewItem]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let col = |f: &dyn Fn(&NewItem) -> Option<String>| items.iter().map(f).collect::<Vec<Option<String>>>();
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let sources: Vec<&str> = items.iter().map(|i| i.source.as_str()).collect();
    let devices: Vec<Uuid> = items.iter().map(|i| i.device_id).collect();
    let entries: Vec<Option<Uuid>> = items.iter().map(|i| i.entry_id).collect();
    let revisions: Vec<Option<Uuid>> = items.iter().map(|i| i.revision_id).collect();
    let categories: Vec<&str> = items.iter().map(|i| i.category.as_str()).collect();
    let summaries: Vec<&str> = items.iter().map(|i| i.summary.as_str()).collect();
    let at: Vec<DateTime<Utc>> = items.iter().map(|i| i.registered_at).collect();
    let dates: Vec<NaiveDate> = items.iter().map(|i| i.registered_date).collect();
    let states: Vec<&str> = items.iter().map(|i| i.status.state.as_str()).collect();
    let due: Vec<Option<NaiveDate>> = items.iter().map(|i| i.status.due.map(|d| d.date)).collect();
    let estimate: Vec<bool> = items.iter().map(|i| i.status.due.is_some_and(|d| d.estimate)).collect();
    let escalated: Vec<bool> = items.iter().map(|i| i.status.escalated).collect();
    let satisfaction: Vec<Option<&str>> =
        items.iter().map(|i| i.status.satisfaction.map(Satisfaction::as_str)).collect();
    let outcome: Vec<Option<&str>> = items.iter().map(|i| i.status.outcome.map(Outcome::as_str)).collect();
    let on_time: Vec<Option<bool>> = items.iter().map(|i| i.status.rectified_on_time).collect();
    let insert = c.prepare_cached(INSERT_ITEMS).await?;
    let inserted: HashSet<Uuid> = c
        .query(
            &insert,
            &[
                &ids,
                &sources,
                &col(&|i| i.hall_id.clone()),
                &col(&|i| i.window_id.clone()),
                &col(&|i| i.staff_id.clone()),
                &devices,
                &entries,
                &revisions,
                &col(&|i| i.officer_id.clone()),
                &categories,
                &summaries,
                &at,
                &dates,
                &states,
                &due,
                &estimate,
                &escalated,
                &col(&|i| i.status.reply.clone()),
                &satisfaction,
                &outcome,
                &on_time,
            ],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let new: Vec<&NewItem> = items.iter().filter(|i| inserted.contains(&i.id)).collect();
    if !new.is_empty() {
        let ids: Vec<Uuid> = new.iter().map(|i| i.id).collect();
        let at: Vec<DateTime<Utc>> = new.iter().map(|i| i.event.at).collect();
        let dates: Vec<NaiveDate> = new.iter().map(|i| i.event.date).collect();
        let actions = new.iter().map(|i| to_json(&i.event.action)).collect::<Result<Vec<String>>>()?;
        let notes: Vec<&str> = new.iter().map(|i| i.event.note.as_str()).collect();
        let events = c.prepare_cached(INSERT_FIRST_EVENTS).await?;
        c.execute(&events, &[&ids, &at, &dates, &actions, &notes]).await?;
    }
    // A problem reworded in a later revision keeps its state and takes the new words.
    for i in items.iter().filter(|i| i.source == Source::Problem && !inserted.contains(&i.id)) {
        c.execute(sql::ledger::REWORD, &[&i.id, &i.category, &i.summary, &i.revision_id, &i.entry_id]).await?;
    }
    Ok(())
}

/// A decided step, in the caller's transaction (see the SQLite backend).
pub(super) async fn append_event(c: &impl GenericClient, e: &AppendEvent) -> Result<()> {
    if !write_status(c, e.item, e.seq - 1, e.seq, &e.status, Some(e.event.at)).await? {
        let exists = c.query_opt(sql::ledger::EXISTS, &[&e.item]).await?.is_some();
        return Err(if exists { Error::Stale } else { Error::NotFound("ledger item".into()) });
    }
    insert_event(c, e.item, e.seq, &e.actor, &e.event).await
}

/// An officer's answers in the upload's transaction (see the SQLite backend).
pub(super) async fn insert_feedback(
    c: &impl GenericClient,
    device: Uuid,
    answers: &[Feedback],
    through: u64,
    received: DateTime<Utc>,
    intake: &LedgerIntake,
) -> Result<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    for f in answers {
        let new = f.seq > through
            && c.execute(
                "INSERT INTO feedback (id, device_id, seq, officer_id, problem_id, satisfaction, answered_at,
                                       answered_offset_minutes, received_at, applied)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false) ON CONFLICT DO NOTHING",
                &[
                    &f.id,
                    &device,
                    &(f.seq as i64),
                    &f.officer_id,
                    &f.problem_id,
                    &f.satisfaction.as_str(),
                    &f.answered_at.to_utc(),
                    &offset_minutes(&f.answered_at),
                    &received,
                ],
            )
            .await?
                == 1;
        if new {
            if let Some((_, step)) = intake.answers.iter().find(|(id, _)| *id == f.id) {
                append_event(c, step).await?;
                c.execute("UPDATE feedback SET applied = true WHERE id = $1", &[&f.id]).await?;
            }
            stored += 1;
            continue;
        }
        let held = c
            .query_opt(
                "SELECT id, seq, officer_id, problem_id, satisfaction, answered_at, answered_offset_minutes
                 FROM feedback WHERE id = $1 AND device_id = $2 AND seq = $3",
                &[&f.id, &device, &(f.seq as i64)],
            )
            .await?
            .map(|r| -> Result<Feedback> {
                Ok(Feedback {
                    id: r.get(0),
                    seq: r.get::<_, i64>(1) as u64,
                    device_id: device,
                    officer_id: r.get(2),
                    problem_id: r.get(3),
                    satisfaction: satisfaction(r.get(4))?,
                    answered_at: device_time(r.get(5), r.get(6))?,
                })
            })
            .transpose()?;
        tiyan_storage::resent(held.as_ref(), f, device, f.id, f.seq)?;
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

#[async_trait]
impl LedgerStore for PgStore {
    async fn phones_past(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<(Uuid, String)>> {
        let rows = self.client().await?.query(sql::ledger::PHONES_PAST, &[&before, &i64::from(limit)]).await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn erase_phone(&self, rating: Uuid, masked: &str) -> Result<bool> {
        Ok(self.client().await?.execute(sql::ledger::ERASE_PHONE, &[&rating, &masked]).await? == 1)
    }

    async fn ledger_page(&self, f: &LedgerFilter) -> Result<LedgerPage> {
        let client = self.client().await?;
        let conditions = format!(
            "{in_halls} AND ($2::text IS NULL OR l.state = $2)
            AND (NOT $3 OR {open}) AND ($4::text IS NULL OR l.window_id = $4)
            AND ($5::text IS NULL OR l.staff_id = $5) AND ($6::text IS NULL OR l.source = $6)
            AND ($7::date IS NULL OR l.due_date <= $7)
            AND ($8::date IS NULL OR (l.due_date < $8 AND {open}))
            AND (NOT $9 OR l.escalated)",
            open = predicate::open("l.state"),
            in_halls = super::in_halls("l.hall_id", 1)
        );
        let (state, source) = (f.state.map(LedgerState::as_str), f.source.map(Source::as_str));
        let per_page = i64::from(f.per_page.clamp(1, 500));
        let offset = i64::from(f.page) * per_page;
        let filter: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
            &f.halls,
            &state,
            &f.open_only,
            &f.window_id,
            &f.staff_id,
            &source,
            &f.due_by,
            &f.overdue_on,
            &f.escalated,
        ];
        let total: i64 =
            client.query_one(&format!("SELECT count(*) FROM ledger l WHERE {conditions}"), &filter).await?.get(0);
        let page: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&per_page, &offset];
        let rows = client
            .query(
                &format!(
                    "SELECT {LEDGER_COLUMNS} FROM ledger l WHERE {conditions}
                     ORDER BY l.due_date NULLS LAST, l.registered_at DESC LIMIT $10 OFFSET $11"
                ),
                &[&filter[..], &page[..]].concat(),
            )
            .await?;
        Ok(LedgerPage { items: rows.iter().map(row).collect::<Result<_>>()?, total: total as u64 })
    }

    async fn ledger_item(&self, id: Uuid) -> Result<Option<(LedgerRow, Vec<StoredEvent>)>> {
        let mut client = self.client().await?;
        let tx =
            client.build_transaction().isolation_level(tokio_postgres::IsolationLevel::RepeatableRead).start().await?;
        let found = tx.query_opt(sql::ledger::ITEM.as_str(), &[&id]).await?;
        let out = match found {
            Some(r) => Some((row(&r)?, events(&tx, id).await?)),
            None => None,
        };
        tx.commit().await?;
        Ok(out)
    }

    async fn append_ledger_event(&self, e: &AppendEvent) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        append_event(&tx, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ledger_by_suffix(&self, suffix: &str) -> Result<Vec<LedgerRow>> {
        let pattern = format!("%{suffix}");
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {LEDGER_COLUMNS} FROM ledger l WHERE l.id::text LIKE $1 LIMIT 5"), &[&pattern])
            .await?;
        rows.iter().map(row).collect()
    }

    async fn ledger_links(&self, id: Uuid) -> Result<Vec<LedgerRow>> {
        let client = self.client().await?;
        let rows = client.query(sql::ledger::LINKED.as_str(), &[&id]).await?;
        rows.iter().map(row).collect()
    }

    async fn link_items(&self, a: Uuid, b: Uuid, account: Uuid, at: DateTime<Utc>) -> Result<()> {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        self.client().await?.execute(sql::ledger::LINK, &[&a, &b, &at, &account]).await?;
        Ok(())
    }

    async fn related(
        &self,
        window_id: Option<&str>,
        staff_id: Option<&str>,
        since: NaiveDate,
    ) -> Result<(Vec<LedgerRow>, Vec<StoredRating>)> {
        let client = self.client().await?;
        let items = client.query(sql::ledger::RELATED.as_str(), &[&window_id, &staff_id, &since]).await?;
        let ratings = super::sync::ratings_where(
            &client,
            "(($1::text IS NOT NULL AND r.window_id = $1) OR ($2::text IS NOT NULL AND r.staff_id = $2))
             AND r.device_date >= $3 ORDER BY r.device_time DESC LIMIT 100",
            &[&window_id, &staff_id, &since],
        )
        .await?;
        Ok((items.iter().map(row).collect::<Result<_>>()?, ratings))
    }

    async fn dashboard(&self, halls: Option<&[String]>, today: NaiveDate, due_soon_by: NaiveDate) -> Result<Dashboard> {
        let client = self.client().await?;
        let r = client
            .query_one(
                &format!(
                    "SELECT count(*) FILTER (WHERE {open}),
                        count(*) FILTER (WHERE {open} AND due_date = $2),
                        count(*) FILTER (WHERE {open} AND due_date > $2 AND due_date <= $3),
                        count(*) FILTER (WHERE {open} AND due_date < $2),
                        count(*) FILTER (WHERE {open} AND escalated),
                        count(*) FILTER (WHERE state = 'appealed'),
                        count(*) FILTER (WHERE registered_date = $2),
                        count(*) FILTER (WHERE {open} AND due_estimate)
                 FROM ledger WHERE {in_halls}",
                    open = predicate::open("state"),
                    in_halls = super::in_halls("hall_id", 1)
                ),
                &[&halls, &today, &due_soon_by],
            )
            .await?;
        let n = |i: usize| r.get::<_, i64>(i) as u64;
        let month = today.with_day(1).unwrap_or(today);
        let m = client
            .query_one(&sql::ledger::ratings_between(&super::in_halls("hall_id", 1)), &[&halls, &month, &today])
            .await?;
        let n4 = |i: usize| m.get::<_, i64>(i).max(0) as u64;
        let (ratings, bad, excluded, excluded_bad) = (n4(0), n4(1), n4(2), n4(3));
        Ok(Dashboard {
            open: n(0),
            due_today: n(1),
            due_soon: n(2),
            overdue: n(3),
            escalated: n(4),
            appealed: n(5),
            registered_today: n(6),
            estimates: n(7),
            ratings: ratings.saturating_sub(excluded),
            bad_reviews: bad.saturating_sub(excluded_bad),
            excluded,
        })
    }

    async fn rating(&self, id: Uuid) -> Result<Option<StoredRating>> {
        let client = self.client().await?;
        Ok(super::sync::ratings_where(&client, "r.id = $1", &[&id]).await?.into_iter().next())
    }

    async fn revision(&self, id: Uuid) -> Result<Option<StoredRevision>> {
        super::diary::revision_by_id(&self.client().await?, id).await
    }

    async fn open_items(&self) -> Result<Vec<(Uuid, Source, Vec<Event>)>> {
        self.replayable(&predicate::open("state")).await
    }

    async fn items_missing_outcome(&self) -> Result<Vec<(Uuid, Source, Vec<Event>)>> {
        self.replayable(&format!("outcome IS NULL AND {}", predicate::dealt_with("state"))).await
    }

    async fn set_status(&self, id: Uuid, events: u32, status: &Status) -> Result<()> {
        write_status(&self.client().await?, id, events, events, status, None).await.map(|_| ())
    }
}

fn kind(s: &str) -> Result<DayKind> {
    DayKind::parse(s).ok_or_else(|| Error::Backend(format!("calendar day kind {s:?}")))
}

async fn bump_calendar(c: &impl GenericClient) -> Result<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES ('calendar_version', '1')
         ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text",
        &[],
    )
    .await?;
    Ok(())
}

async fn calendar_version(c: &impl GenericClient) -> Result<i64> {
    let v = c.query_opt(sql::calendar::VERSION, &[]).await?;
    Ok(v.and_then(|r| r.get::<_, String>(0).parse().ok()).unwrap_or(0))
}

#[async_trait]
impl CalendarStore for PgStore {
    async fn calendar(&self) -> Result<(i64, Calendar)> {
        let mut client = self.client().await?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let days = tx
            .query(sql::calendar::DAYS, &[])
            .await?
            .iter()
            .map(|r| Ok((r.get::<_, NaiveDate>(0), kind(r.get(1))?)))
            .collect::<Result<Vec<_>>>()?;
        let years: Vec<i32> = tx.query(sql::calendar::YEARS_KNOWN, &[]).await?.iter().map(|r| r.get(0)).collect();
        let version = calendar_version(&tx).await?;
        tx.commit().await?;
        Ok((version, Calendar::new(days, years)))
    }

    async fn calendar_version(&self) -> Result<i64> {
        calendar_version(&self.client().await?).await
    }

    async fn calendar_days(&self, year: i32) -> Result<Vec<CalendarDay>> {
        let (from, to) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1));
        let rows = self.client().await?.query(sql::calendar::DAYS_BETWEEN, &[&from, &to]).await?;
        rows.iter().map(|r| Ok(CalendarDay { date: r.get(0), kind: kind(r.get(1))?, note: r.get(2) })).collect()
    }

    async fn calendar_years(&self) -> Result<Vec<CalendarYear>> {
        let rows = self.client().await?.query(sql::calendar::YEARS, &[]).await?;
        Ok(rows.iter().map(|r| CalendarYear { year: r.get(0), source: r.get(1), imported_at: r.get(2) }).collect())
    }

    async fn import_calendar_year(
        &self,
        year: i32,
        days: &[CalendarDay],
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let (from, to) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year + 1, 1, 1));
        tx.execute(sql::calendar::CLEAR_DAYS, &[&from, &to]).await?;
        for d in days {
            tx.execute(sql::calendar::ADD_DAY, &[&d.date, &DayKind::as_str(d.kind), &d.note]).await?;
        }
        tx.execute(sql::calendar::SET_YEAR, &[&year, &source, &at]).await?;
        bump_calendar(&tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_calendar_day(&self, day: NaiveDate, set: Option<(DayKind, String)>) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        match &set {
            Some((k, note)) => tx.execute(sql::calendar::SET_DAY, &[&day, &DayKind::as_str(*k), note]).await?,
            None => tx.execute(sql::calendar::CLEAR_DAY, &[&day]).await?,
        };
        bump_calendar(&tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn hall_settings(&self, hall_id: &str) -> Result<HallSettings> {
        let row = self.client().await?.query_opt(sql::calendar::LIMITS, &[&hall_id]).await?;
        Ok(row.map_or_else(HallSettings::default, |r| HallSettings {
            verify_days: r.get::<_, i32>(0) as u32,
            rectify_days: r.get::<_, i32>(1) as u32,
            complex_days: r.get::<_, i32>(2) as u32,
        }))
    }

    async fn set_hall_settings(&self, hall_id: &str, s: &HallSettings) -> Result<()> {
        self.client()
            .await?
            .execute(
                sql::calendar::SET_LIMITS,
                &[&hall_id, &(s.verify_days as i32), &(s.rectify_days as i32), &(s.complex_days as i32)],
            )
            .await?;
        Ok(())
    }
}
