//! The record streams in PostgreSQL. A page is one transaction that locks its
//! stream's row, so two copies of a page at two processes are stored once and
//! pages of one stream are taken in order; the ratings of a page go in with
//! one multi-row INSERT over arrays.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use tiyan_core::Level;
use tiyan_core::protocol::{CaseServed, Upload, UploadAck};
use tiyan_core::rating::Rating;
use tiyan_core::sync::continue_stream;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use super::devices::device_row;
use super::{PgStore, device_time, diary, json, ledger, offset_minutes, reference};
use tiyan_storage::sql::DEVICE_COLUMNS;
use tiyan_storage::{
    DeviceState, Error, IngestPage, RatingFilter, Result, StoredRating, StoredSecret, SyncStore, sql, streams_held,
};

pub(super) const RATING_COLUMNS: &str = "r.id, r.device_id, r.seq, r.device_time, r.device_offset_minutes, r.hall_id,
    r.window_id, r.staff_id, r.case_no, r.attitude, r.competence, r.reasons::text, r.comment, r.phone, r.misuse";

fn level(v: i16) -> Result<Level> {
    Level::try_from(i64::from(v)).map_err(|e| Error::Backend(e.to_string()))
}

pub(super) fn rating_from_row(r: &Row) -> Result<Rating> {
    Ok(Rating {
        id: r.get(0),
        device_id: r.get(1),
        seq: r.get::<_, i64>(2) as u64,
        device_time: device_time(r.get(3), r.get(4))?,
        hall_id: r.get(5),
        window_id: r.get(6),
        staff_id: r.get(7),
        case_no: r.get(8),
        attitude: level(r.get(9))?,
        competence: level(r.get(10))?,
        reasons: json(r.get(11))?,
        comment: r.get(12),
        phone: r.get(13),
        misuse: r.get(14),
    })
}

/// A page's ratings as one column array each, for `INSERT ... SELECT FROM unnest(...)`.
#[derive(Default)]
struct Columns {
    id: Vec<Uuid>,
    seq: Vec<i64>,
    time: Vec<DateTime<Utc>>,
    date: Vec<NaiveDate>,
    offset: Vec<i16>,
    hall: Vec<String>,
    window: Vec<String>,
    staff: Vec<String>,
    case_no: Vec<Option<String>>,
    attitude: Vec<i16>,
    competence: Vec<i16>,
    reasons: Vec<String>,
    comment: Vec<Option<String>>,
    phone: Vec<Option<String>>,
    misuse: Vec<bool>,
    case_repeat: Vec<bool>,
}

impl Columns {
    fn push(&mut self, r: &Rating, case_repeat: bool) -> Result<()> {
        self.case_repeat.push(case_repeat);
        self.id.push(r.id);
        self.seq.push(r.seq as i64);
        self.time.push(r.device_time.to_utc());
        self.date.push(r.device_time.date_naive());
        self.offset.push(offset_minutes(&r.device_time));
        self.hall.push(r.hall_id.clone());
        self.window.push(r.window_id.clone());
        self.staff.push(r.staff_id.clone());
        self.case_no.push(r.case_no.clone());
        self.attitude.push(i16::from(r.attitude.value()));
        self.competence.push(i16::from(r.competence.value()));
        self.reasons.push(serde_json::to_string(&r.reasons).map_err(|e| Error::Backend(e.to_string()))?);
        self.comment.push(r.comment.clone());
        self.phone.push(r.phone.clone());
        self.misuse.push(r.misuse);
        Ok(())
    }
}

const INSERT_RATINGS: &str = "INSERT INTO ratings (id, device_id, seq, device_time, device_date, device_offset_minutes,
        received_at, hall_id, window_id, staff_id, case_no, attitude, competence, reasons, comment, phone, misuse,
        case_repeat)
    SELECT u.id, $1, u.seq, u.t, u.d, u.o, $2, u.h, u.w, u.s, u.c, u.a, u.p, u.r::jsonb, u.cm, u.ph, u.m, u.cr
    FROM unnest($3::uuid[], $4::int8[], $5::timestamptz[], $6::date[], $7::int2[], $8::text[], $9::text[],
                $10::text[], $11::text[], $12::int2[], $13::int2[], $14::text[], $15::text[], $16::text[], $17::bool[],
                $18::bool[])
        AS u(id, seq, t, d, o, h, w, s, c, a, p, r, cm, ph, m, cr)
    ON CONFLICT DO NOTHING
    RETURNING seq";

/// The first rating of each case binds it in its hall, in one statement; the
/// ratings that bound theirs come back (the others are repeats).
const BIND_RATED_CASES: &str = "INSERT INTO rated_cases (hall_id, case_no, rating_id, device_date, staff_id, window_id)
    SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::date[], $5::text[], $6::text[])
    ON CONFLICT DO NOTHING
    RETURNING rating_id";

/// The new ratings (past what the stream held) whose case was rated before in
/// its hall: one rating per case (一次一评), the first stands.
async fn case_repeats(tx: &deadpool_postgres::Transaction<'_>, new: &[&Rating]) -> Result<HashSet<Uuid>> {
    let with_case: Vec<&&Rating> = new.iter().filter(|r| r.case_no.is_some()).collect();
    if with_case.is_empty() {
        return Ok(HashSet::new());
    }
    let col = |f: &dyn Fn(&Rating) -> String| with_case.iter().map(|r| f(r)).collect::<Vec<String>>();
    let halls = col(&|r| r.hall_id.clone());
    let cases = col(&|r| r.case_no.clone().unwrap_or_default());
    let staff = col(&|r| r.staff_id.clone());
    let windows = col(&|r| r.window_id.clone());
    let ids: Vec<Uuid> = with_case.iter().map(|r| r.id).collect();
    let dates: Vec<chrono::NaiveDate> = with_case.iter().map(|r| r.device_time.date_naive()).collect();
    let stmt = tx.prepare_cached(BIND_RATED_CASES).await?;
    let bound: HashSet<Uuid> =
        tx.query(&stmt, &[&halls, &cases, &ids, &dates, &staff, &windows]).await?.iter().map(|r| r.get(0)).collect();
    Ok(ids.into_iter().filter(|id| !bound.contains(id)).collect())
}

/// Inserts the ratings of a page past `through` in one statement; a record not
/// inserted must already be held, the same, under its id and sequence number.
async fn insert_ratings(
    tx: &deadpool_postgres::Transaction<'_>,
    device: Uuid,
    records: &[Rating],
    through: u64,
    received: DateTime<Utc>,
) -> Result<(u32, u32)> {
    let new: Vec<&Rating> = records.iter().filter(|r| r.seq > through).collect();
    let repeats = case_repeats(tx, &new).await?;
    let mut cols = Columns::default();
    for r in new {
        cols.push(r, repeats.contains(&r.id))?;
    }
    let inserted: HashSet<i64> = if cols.id.is_empty() {
        HashSet::new()
    } else {
        let stmt = tx.prepare_cached(INSERT_RATINGS).await?;
        let params: [&(dyn ToSql + Sync); 18] = [
            &device,
            &received,
            &cols.id,
            &cols.seq,
            &cols.time,
            &cols.date,
            &cols.offset,
            &cols.hall,
            &cols.window,
            &cols.staff,
            &cols.case_no,
            &cols.attitude,
            &cols.competence,
            &cols.reasons,
            &cols.comment,
            &cols.phone,
            &cols.misuse,
            &cols.case_repeat,
        ];
        tx.query(&stmt, &params).await?.iter().map(|r| r.get(0)).collect()
    };
    let resent: Vec<&Rating> = records.iter().filter(|r| !inserted.contains(&(r.seq as i64))).collect();
    if !resent.is_empty() {
        // Compared only on this rare path, so the usual one reads nothing back.
        let seqs: Vec<i64> = resent.iter().map(|r| r.seq as i64).collect();
        let rows = tx
            .query(
                &format!("SELECT {RATING_COLUMNS} FROM ratings r WHERE r.device_id = $1 AND r.seq = ANY($2)"),
                &[&device, &seqs],
            )
            .await?;
        let held: HashMap<u64, Rating> =
            rows.iter().map(|r| rating_from_row(r).map(|h| (h.seq, h))).collect::<Result<_>>()?;
        for r in &resent {
            tiyan_storage::resent(held.get(&r.seq), *r, device, r.id, r.seq)?;
        }
    }
    Ok((inserted.len() as u32, resent.len() as u32))
}

/// Inserts the cases of a page past `through` (each case number bound once in
/// its hall); a record already held must be the same. Returns (stored, duplicates).
async fn insert_cases(
    tx: &deadpool_postgres::Transaction<'_>,
    device: Uuid,
    cases: &[CaseServed],
    through: u64,
    received: DateTime<Utc>,
) -> Result<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    let insert = tx
        .prepare_cached(
            "INSERT INTO cases (id, device_id, seq, device_time, device_date, device_offset_minutes, received_at,
                                hall_id, window_id, staff_id, case_no, ticket_no, matter)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING",
        )
        .await?;
    let bind = tx.prepare_cached(sql::sync::BIND_SERVED_CASE).await?;
    for c in cases {
        let date = c.device_time.date_naive();
        let new = c.seq > through
            && tx
                .execute(
                    &insert,
                    &[
                        &c.id,
                        &device,
                        &(c.seq as i64),
                        &c.device_time.to_utc(),
                        &date,
                        &offset_minutes(&c.device_time),
                        &received,
                        &c.hall_id,
                        &c.window_id,
                        &c.staff_id,
                        &c.case_no,
                        &c.ticket_no,
                        &c.matter,
                    ],
                )
                .await?
                == 1;
        if new {
            tx.execute(&bind, &[&c.hall_id, &c.case_no, &c.id, &date, &c.staff_id, &c.window_id]).await?;
            stored += 1;
            continue;
        }
        let held = tx
            .query_opt(
                "SELECT id, seq, device_time, device_offset_minutes, hall_id, window_id, staff_id, case_no, ticket_no,
                        matter
                 FROM cases WHERE id = $1 AND device_id = $2 AND seq = $3",
                &[&c.id, &device, &(c.seq as i64)],
            )
            .await?
            .map(|r| -> Result<CaseServed> {
                Ok(CaseServed {
                    id: r.get(0),
                    seq: r.get::<_, i64>(1) as u64,
                    device_id: device,
                    device_time: device_time(r.get(2), r.get(3))?,
                    hall_id: r.get(4),
                    window_id: r.get(5),
                    staff_id: r.get(6),
                    case_no: r.get(7),
                    ticket_no: r.get(8),
                    matter: r.get(9),
                })
            })
            .transpose()?;
        tiyan_storage::resent(held.as_ref(), c, device, c.id, c.seq)?;
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

/// Ratings with their staff member's name and number and their window's number,
/// chosen and ordered by `condition` (on `r`).
pub(super) async fn ratings_where(
    c: &impl deadpool_postgres::GenericClient,
    condition: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<StoredRating>> {
    let rows = c
        .query(
            &format!(
                "SELECT {RATING_COLUMNS}, r.received_at, s.name, s.employee_no, w.number
                 FROM ratings r
                 LEFT JOIN staff s ON s.id = r.staff_id
                 LEFT JOIN windows w ON w.id = r.window_id
                 WHERE {condition}"
            ),
            args,
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredRating {
                rating: rating_from_row(r)?,
                received_at: r.get(15),
                staff_name: r.get(16),
                employee_no: r.get(17),
                window_number: r.get(18),
            })
        })
        .collect()
}

#[async_trait]
impl SyncStore for PgStore {
    async fn device_state(&self, device: Uuid) -> Result<Option<DeviceState>> {
        let client = self.client().await?;
        // One round trip: the device, its streams as two arrays, the version it
        // follows (a kiosk its hall's, an officer laptop the whole data's).
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {DEVICE_COLUMNS}, secret_hash,
                        ARRAY(SELECT kind FROM streams WHERE device_id = $1),
                        ARRAY(SELECT through FROM streams WHERE device_id = $1),
                        coalesce((SELECT h.reference_version::text FROM halls h
                                  WHERE h.id = devices.hall_id AND devices.role = 'kiosk'), ({}))
                 FROM devices WHERE id = $1",
                reference::VERSION
            ))
            .await?;
        let Some(r) = client.query_opt(&stmt, &[&device]).await? else { return Ok(None) };
        let kinds: Vec<String> = r.get(9);
        let through: Vec<i64> = r.get(10);
        let held: HashMap<String, i64> = kinds.into_iter().zip(through).collect();
        Ok(Some(DeviceState {
            device: device_row(&r)?,
            secret: StoredSecret::from_column(r.get(8))?,
            streams: streams_held(|kind| held.get(kind.as_str()).map(|&n| n as u64)),
            reference_version: reference::parse_version(r.get(11)),
        }))
    }

    async fn ingest(&self, page: &IngestPage) -> Result<UploadAck> {
        let keys = page.upload.keys();
        let kind = page.upload.kind();
        let device = page.device_id;
        let _turn = self.ingests.acquire().await.map_err(|e| Error::Unavailable(e.to_string()))?;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let seen = tx
            .prepare_cached(
                "INSERT INTO seen_requests (device_id, request_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .await?;
        if tx.execute(&seen, &[&device, &page.request_id, &page.received_at]).await? == 0 {
            return Err(Error::Replayed(page.request_id));
        }
        // The stream's row, locked: a page of this stream at another process waits here.
        let ensure = tx
            .prepare_cached("INSERT INTO streams (device_id, kind, through) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING")
            .await?;
        tx.execute(&ensure, &[&device, &kind.as_str()]).await?;
        let lock =
            tx.prepare_cached("SELECT through FROM streams WHERE device_id = $1 AND kind = $2 FOR UPDATE").await?;
        let through = tx.query_one(&lock, &[&device, &kind.as_str()]).await?.get::<_, i64>(0) as u64;
        let next = continue_stream(through, &keys)?;
        let (stored, duplicates) = match page.upload.as_ref() {
            Upload::Rating(records) => insert_ratings(&tx, device, records, through, page.received_at).await?,
            Upload::Diary(revisions) => {
                diary::insert_revisions(&tx, device, revisions, through, page.received_at).await?
            }
            Upload::Feedback(answers) => {
                ledger::insert_feedback(&tx, device, answers, through, page.received_at, &page.ledger).await?
            }
            Upload::Case(cases) => insert_cases(&tx, device, cases, through, page.received_at).await?,
        };
        ledger::insert_items(&tx, &page.ledger.items).await?;
        let advance = tx.prepare_cached("UPDATE streams SET through = $3 WHERE device_id = $1 AND kind = $2").await?;
        tx.execute(&advance, &[&device, &kind.as_str(), &(next as i64)]).await?;
        let seen_at = tx.prepare_cached(sql::sync::SEEN).await?;
        tx.execute(&seen_at, &[&page.received_at, &device]).await?;
        tx.commit().await?;
        Ok(UploadAck { kind, through: next, stored, duplicates })
    }

    async fn prune_seen_requests(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(self.client().await?.execute(sql::sync::PRUNE_SEEN, &[&before]).await?)
    }

    async fn ratings(&self, f: &RatingFilter) -> Result<Vec<StoredRating>> {
        let client = self.client().await?;
        ratings_where(
            &client,
            &format!(
                "{in_halls} AND ($2::text IS NULL OR r.window_id = $2)
                 AND ($3::text IS NULL OR r.staff_id = $3)
                 AND ($4::date IS NULL OR r.device_date >= $4) AND ($5::date IS NULL OR r.device_date <= $5)
                 ORDER BY r.device_id, r.seq",
                in_halls = super::in_halls("r.hall_id", 1)
            ),
            &[&f.halls, &f.window_id, &f.staff_id, &f.from, &f.to],
        )
        .await
    }
}
