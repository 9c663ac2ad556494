//! The record streams in the SQLite file: pages stored once, in one
//! transaction on the single writer.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::assessment::Tally;
use tiyan_core::protocol::{CaseServed, RecordKind, Upload, UploadAck};
use tiyan_core::rating::Rating;
use tiyan_core::sync::continue_stream;
use uuid::Uuid;

use super::{SqliteStore, conversion, device_time, devices, diary, ledger, local_day, q, reference, time, uuid};
use tiyan_storage::{DeviceState, Error, IngestPage, RatingFilter, Result, StoredRating, SyncStore, sql, streams_held};

/// The record columns of `ratings`, in the order [`rating_from_row`] reads them.
pub(super) const RATING_COLUMNS: &str = "r.id, r.device_id, r.seq, r.device_time, r.hall_id, r.window_id, r.staff_id,
    r.case_no, r.attitude, r.competence, r.reasons, r.comment, r.phone, r.misuse";

pub(super) fn rating_from_row(r: &Row) -> rusqlite::Result<Rating> {
    let level = |idx: usize| -> rusqlite::Result<tiyan_core::Level> {
        tiyan_core::Level::try_from(r.get::<_, i64>(idx)?).map_err(|e| conversion(Box::new(e)))
    };
    Ok(Rating {
        id: uuid(&r.get::<_, String>(0)?)?,
        device_id: uuid(&r.get::<_, String>(1)?)?,
        seq: r.get(2)?,
        device_time: device_time(&r.get::<_, String>(3)?)?,
        hall_id: r.get(4)?,
        window_id: r.get(5)?,
        staff_id: r.get(6)?,
        case_no: r.get(7)?,
        attitude: level(8)?,
        competence: level(9)?,
        reasons: serde_json::from_str(&r.get::<_, String>(10)?).map_err(|e| conversion(Box::new(e)))?,
        comment: r.get(11)?,
        phone: r.get(12)?,
        misuse: r.get(13)?,
    })
}

/// A rating's columns as SQLite keeps them, made before the writer is taken so
/// the single writer spends its time on SQL only. (The device and the time of
/// receipt are the same for a whole page and are bound once.)
struct RatingRow {
    id: String,
    seq: i64,
    time: String,
    date: String,
    offset: i64,
    case_no: Option<String>,
    attitude: i64,
    competence: i64,
    reasons: String,
}

fn rating_row(r: &Rating) -> Result<RatingRow> {
    let (date, offset) = local_day(&r.device_time);
    Ok(RatingRow {
        id: r.id.to_string(),
        seq: r.seq as i64,
        time: r.device_time.to_rfc3339(),
        date,
        offset: i64::from(offset),
        case_no: r.case_no.clone(),
        attitude: i64::from(r.attitude.value()),
        competence: i64::from(r.competence.value()),
        reasons: serde_json::to_string(&r.reasons).map_err(|e| Error::Backend(e.to_string()))?,
    })
}

/// A row of `rating_days`: hall, device date, staff member, window, kind.
type RollupKey<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str);

/// Inserts the ratings of a page past `through`; returns (stored, duplicates).
/// A record already held under its id and sequence number must be the same.
fn insert_ratings(
    tx: &Connection,
    device_id: &str,
    received: &str,
    records: &[Rating],
    rows: Vec<RatingRow>,
    through: u64,
) -> Result<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    // The page's new ratings, counted by rollup row: a page of one kiosk is a
    // few rows, upserted once each below (a trigger per rating cost SQLite a
    // quarter of its ingest speed). Consecutive ratings nearly always share
    // their row, so the row of the one before is tried first: the writer is
    // the bottleneck, and hashing an owned key cost it an allocation and a
    // hash per rating.
    let mut rollup: Vec<(RollupKey, Tally)> = Vec::new();
    let mut rollup_at: HashMap<RollupKey, usize> = HashMap::new();
    let mut previous = usize::MAX;
    let mut insert = tx.prepare_cached(
        "INSERT INTO ratings (id, device_id, seq, device_time, device_date, device_offset_minutes, received_at,
                              hall_id, window_id, staff_id, case_no, attitude, competence, reasons, comment, phone,
                              misuse, case_repeat)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT DO NOTHING",
    )?;
    insert.raw_bind_parameter(2, device_id)?;
    insert.raw_bind_parameter(7, received)?;
    let mut bind = tx.prepare_cached(&q(sql::sync::BIND_RATED_CASE))?;
    let mut held = tx.prepare_cached(&format!(
        "SELECT {RATING_COLUMNS} FROM ratings r WHERE r.id = ?1 AND r.device_id = ?2 AND r.seq = ?3"
    ))?;
    for (r, row) in records.iter().zip(&rows) {
        if r.seq > through {
            insert.raw_bind_parameter(1, &row.id)?;
            insert.raw_bind_parameter(3, row.seq)?;
            insert.raw_bind_parameter(4, &row.time)?;
            insert.raw_bind_parameter(5, &row.date)?;
            insert.raw_bind_parameter(6, row.offset)?;
            insert.raw_bind_parameter(8, &r.hall_id)?;
            insert.raw_bind_parameter(9, &r.window_id)?;
            insert.raw_bind_parameter(10, &r.staff_id)?;
            insert.raw_bind_parameter(11, &row.case_no)?;
            insert.raw_bind_parameter(12, row.attitude)?;
            insert.raw_bind_parameter(13, row.competence)?;
            insert.raw_bind_parameter(14, &row.reasons)?;
            insert.raw_bind_parameter(15, &r.comment)?;
            insert.raw_bind_parameter(16, &r.phone)?;
            insert.raw_bind_parameter(17, r.misuse)?;
            let repeat = case_repeat(&mut bind, r, row)?;
            insert.raw_bind_parameter(18, repeat)?;
            if insert.raw_execute()? == 1 {
                let kind = if r.misuse {
                    "misuse"
                } else if repeat {
                    "repeat"
                } else {
                    "rated"
                };
                let key = (r.hall_id.as_str(), row.date.as_str(), r.staff_id.as_str(), r.window_id.as_str(), kind);
                if rollup.get(previous).is_none_or(|(k, _)| *k != key) {
                    previous = *rollup_at.entry(key).or_insert_with(|| {
                        rollup.push((key, Tally::default()));
                        rollup.len() - 1
                    });
                }
                rollup[previous].1.add(r.attitude.value(), r.competence.value(), 1);
                stored += 1;
                continue;
            }
        }
        // Compared only on this rare path, so the usual one reads nothing back.
        let existing = held.query_row(params![row.id, device_id, r.seq], rating_from_row).optional()?;
        tiyan_storage::resent(existing.as_ref(), r, r.device_id, r.id, r.seq)?;
        duplicates += 1;
    }
    let mut roll_up = tx.prepare_cached(ROLL_UP_RATINGS)?;
    for ((hall, date, staff, window, kind), t) in rollup {
        let [a1, a2, a3, a4, a5] = t.attitude;
        let [c1, c2, c3, c4, c5] = t.competence;
        roll_up.execute(params![hall, date, staff, window, kind, a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, t.bad])?;
    }
    // Queued for the province in the same transaction, one statement per page.
    let last = records.iter().map(|r| r.seq).max().unwrap_or(through);
    if stored > 0 {
        tx.prepare_cached(&QUEUE_RATINGS)?.execute(params![device_id, through, last])?;
    }
    Ok((stored, duplicates))
}

static QUEUE_RATINGS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| super::q(&tiyan_storage::sql::upward::queue_ratings()).into_owned());

/// Adds a count to a row of `rating_days` (see migration 0009). PostgreSQL
/// keeps the same rows with a statement-level trigger; SQLite has none, and
/// ratings are written here only (append-only, through the sync).
const ROLL_UP_RATINGS: &str = "INSERT INTO rating_days (hall_id, device_date, staff_id, window_id, kind,
        a1, a2, a3, a4, a5, c1, c2, c3, c4, c5, bad)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
    ON CONFLICT (hall_id, device_date, staff_id, window_id, kind) DO UPDATE SET
        a1 = a1 + excluded.a1, a2 = a2 + excluded.a2, a3 = a3 + excluded.a3, a4 = a4 + excluded.a4,
        a5 = a5 + excluded.a5, c1 = c1 + excluded.c1, c2 = c2 + excluded.c2, c3 = c3 + excluded.c3,
        c4 = c4 + excluded.c4, c5 = c5 + excluded.c5, bad = bad + excluded.bad";

const CASE_COLUMNS: &str = "id, seq, device_time, hall_id, window_id, staff_id, case_no, ticket_no, matter";

fn case_from_row(device: Uuid) -> impl Fn(&Row) -> rusqlite::Result<CaseServed> {
    move |r| {
        Ok(CaseServed {
            id: uuid(&r.get::<_, String>(0)?)?,
            seq: r.get(1)?,
            device_id: device,
            device_time: device_time(&r.get::<_, String>(2)?)?,
            hall_id: r.get(3)?,
            window_id: r.get(4)?,
            staff_id: r.get(5)?,
            case_no: r.get(6)?,
            ticket_no: r.get(7)?,
            matter: r.get(8)?,
        })
    }
}

/// Inserts the cases of a page past `through` (each case number bound once in
/// its hall); a record already held must be the same. Returns (stored, duplicates).
fn insert_cases(
    tx: &Connection,
    device_id: &str,
    cases: &[CaseServed],
    through: u64,
    received: &str,
) -> Result<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    let device = uuid(device_id).map_err(|e| Error::Backend(e.to_string()))?;
    for c in cases {
        let (date, offset) = local_day(&c.device_time);
        let id = c.id.to_string();
        let new = c.seq > through
            && tx
                .prepare_cached(
                    "INSERT INTO cases (id, device_id, seq, device_time, device_date, device_offset_minutes, received_at,
                                        hall_id, window_id, staff_id, case_no, ticket_no, matter)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    id,
                    device_id,
                    c.seq,
                    c.device_time.to_rfc3339(),
                    date,
                    offset,
                    received,
                    c.hall_id,
                    c.window_id,
                    c.staff_id,
                    c.case_no,
                    c.ticket_no,
                    c.matter
                ])?
                == 1;
        if new {
            tx.prepare_cached(&q(sql::sync::BIND_SERVED_CASE))?.execute(params![
                c.hall_id,
                c.case_no,
                id,
                date,
                c.staff_id,
                c.window_id
            ])?;
            stored += 1;
            continue;
        }
        let held = tx
            .prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE id = ?1 AND device_id = ?2 AND seq = ?3"))?
            .query_row(params![id, device_id, c.seq], case_from_row(device))
            .optional()?;
        tiyan_storage::resent(held.as_ref(), c, device, c.id, c.seq)?;
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

/// Whether this new rating's case was rated before in its hall (one rating
/// per case, 一次一评: the first stands, this one is kept and left out of the
/// figures). The first rating of a case binds it, in the page's transaction;
/// a record past what the stream held cannot have bound it already.
/// (`bind` is [`sql::sync::BIND_RATED_CASE`], prepared once a page.)
fn case_repeat(bind: &mut rusqlite::Statement, r: &Rating, row: &RatingRow) -> Result<bool> {
    let Some(case_no) = &r.case_no else { return Ok(false) };
    let bound = bind.execute(params![r.hall_id, case_no, row.id, row.date, r.staff_id, r.window_id])?;
    Ok(bound == 0)
}

/// Ratings with their staff member's name and number and their window's number,
/// chosen and ordered by `condition` (on `r`).
pub(super) fn ratings_where(c: &Connection, condition: &str, args: impl rusqlite::Params) -> Result<Vec<StoredRating>> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {RATING_COLUMNS}, r.received_at, s.name, s.employee_no, w.number
         FROM ratings r
         LEFT JOIN staff s ON s.id = r.staff_id
         LEFT JOIN windows w ON w.id = r.window_id
         WHERE {condition}"
    ))?;
    let rows = stmt.query_map(args, |r| {
        Ok(StoredRating {
            rating: rating_from_row(r)?,
            received_at: time(&r.get::<_, String>(14)?)?,
            staff_name: r.get(15)?,
            employee_no: r.get(16)?,
            window_number: r.get(17)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn stream_through(tx: &Connection, device: &str, kind: RecordKind) -> Result<u64> {
    let v: Option<u64> = tx
        .prepare_cached("SELECT through FROM streams WHERE device_id = ?1 AND kind = ?2")?
        .query_row(params![device, kind.as_str()], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0))
}

#[async_trait]
impl SyncStore for SqliteStore {
    async fn device_state(&self, device: Uuid) -> Result<Option<DeviceState>> {
        self.read(move |c| {
            let Some((device, secret)) = devices::credentials(c, device)? else { return Ok(None) };
            let mut stmt = c.prepare_cached("SELECT kind, through FROM streams WHERE device_id = ?1")?;
            let held: HashMap<String, u64> = stmt
                .query_map([device.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            // A kiosk follows its hall's version; an officer laptop the whole data's.
            let reference_version = match device.role {
                tiyan_core::protocol::DeviceRole::Kiosk => reference::hall_version(c, &device.hall_id)?,
                tiyan_core::protocol::DeviceRole::Officer => reference::version(c)?,
            };
            Ok(Some(DeviceState {
                device,
                secret,
                streams: streams_held(|kind| held.get(kind.as_str()).copied()),
                reference_version,
            }))
        })
        .await
    }

    async fn ingest(&self, page: &IngestPage) -> Result<UploadAck> {
        let page = page.clone();
        // The rows are made on the blocking pool, so the writer spends its turn on SQL.
        let (page, rows) = super::blocking(move || {
            let rows = match page.upload.as_ref() {
                Upload::Rating(records) => records.iter().map(rating_row).collect::<Result<_>>()?,
                Upload::Diary(_) | Upload::Feedback(_) | Upload::Case(_) => Vec::new(),
            };
            Ok((page, rows))
        })
        .await?;
        self.write(move |tx| {
            let device_id = page.device_id.to_string();
            let received = page.received_at.to_rfc3339();
            let keys = page.upload.keys();
            let kind = page.upload.kind();
            let fresh = tx
                .prepare_cached("INSERT OR IGNORE INTO seen_requests (device_id, request_id, at) VALUES (?1, ?2, ?3)")?
                .execute(params![device_id, page.request_id.to_string(), received])?;
            if fresh == 0 {
                return Err(Error::Replayed(page.request_id));
            }
            let through = stream_through(tx, &device_id, kind)?;
            let next = continue_stream(through, &keys)?;
            let (stored, duplicates) = match page.upload.as_ref() {
                Upload::Rating(records) => insert_ratings(tx, &device_id, &received, records, rows, through)?,
                Upload::Diary(revisions) => diary::insert_revisions(tx, &device_id, revisions, through, &received)?,
                Upload::Feedback(answers) => {
                    ledger::insert_feedback(tx, &device_id, answers, through, &received, &page.ledger)?
                }
                Upload::Case(cases) => insert_cases(tx, &device_id, cases, through, &received)?,
            };
            ledger::insert_items(tx, &page.ledger.items)?;
            tx.prepare_cached(
                "INSERT INTO streams (device_id, kind, through) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id, kind) DO UPDATE SET through = excluded.through",
            )?
            .execute(params![device_id, kind.as_str(), next])?;
            tx.prepare_cached(&q(sql::sync::SEEN))?.execute(params![received, device_id])?;
            Ok(UploadAck { kind, through: next, stored, duplicates })
        })
        .await
    }

    async fn prune_seen_requests(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |tx| Ok(tx.execute(&q(sql::sync::PRUNE_SEEN), [before.to_rfc3339()])? as u64)).await
    }

    async fn ratings(&self, filter: &RatingFilter) -> Result<Vec<StoredRating>> {
        let f = filter.clone();
        let halls = super::halls_param(f.halls.as_deref());
        self.read(move |c| {
            ratings_where(
                c,
                &format!(
                    "{in_halls} AND (?2 IS NULL OR r.window_id = ?2) AND (?3 IS NULL OR r.staff_id = ?3)
                     AND (?4 IS NULL OR r.device_date >= ?4) AND (?5 IS NULL OR r.device_date <= ?5)
                     ORDER BY r.device_id, r.seq",
                    in_halls = super::in_halls("r.hall_id", 1)
                ),
                params![halls, f.window_id, f.staff_id, f.from.map(|d| d.to_string()), f.to.map(|d| d.to_string())],
            )
        })
        .await
    }
}
