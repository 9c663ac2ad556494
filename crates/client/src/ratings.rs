//! Ratings: committed to disk before the citizen is thanked, append-only, each with
//! a per-device sequence number for sync.

use std::collections::HashSet;

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use tiyan_core::Level;
use tiyan_core::rating::{Rating, RatingInput, looks_repeated};
use uuid::Uuid;

use crate::settings::read_effective;
use crate::store::{Store, get_meta};
use crate::{Error, Result};

/// What the screen learns once a rating is on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RatingReceipt {
    pub id: Uuid,
    pub seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct RatingCounts {
    pub total: u64,
    /// Not yet acknowledged by a server.
    pub unsent: u64,
    pub bad: u64,
    pub misuse: u64,
}

const RATING_COLUMNS: &str = "seq, id, device_id, device_time, hall_id, window_id, staff_id, case_no, \
                              attitude, competence, reasons, comment, phone, misuse";

impl Store {
    /// Records the citizen's rating of the staff member now on duty at the bound
    /// window, and returns only once it is committed (WAL fsynced).
    ///
    /// In the same transaction: a repeated `session_id` returns the rating
    /// already stored (a double tap records one rating); a case number already
    /// rated is refused; without a case number, a rating within the configured
    /// interval of the previous one is kept with its misuse flag set; while the
    /// hall is closed and its kiosks sleep, only a rating of a case is taken.
    pub fn submit_rating(&self, input: &RatingInput, case_no: Option<&str>) -> Result<Rating> {
        let now = self.now();
        let device_id = self.device_id();
        self.write(|tx| {
            if let Some(existing) = rating_by_session(tx, input.session_id)? {
                return Ok(existing);
            }
            let settings = read_effective(tx)?;
            // Asleep, the kiosk takes no rating of its own accord; one for a case
            // the window opened (a citizen served late) is still taken.
            if case_no.is_none() && settings.asleep(now.to_utc()) {
                return Err(Error::HallClosed);
            }
            let window_id = get_meta(tx, "window_id")?.ok_or(Error::NotSetUp)?;
            let (hall_id, staff_id) = on_duty_ids(tx, &window_id)?.ok_or(Error::WindowClosed)?;
            let known = known_reasons(tx, &input.reasons)?;
            let rating = input.validate(|code| known.contains(code))?;
            if let Some(case_no) = case_no
                && case_rated(tx, case_no)?
            {
                return Err(Error::CaseAlreadyRated(case_no.to_string()));
            }
            let interval = Duration::seconds(i64::from(settings.settings.interval_seconds));
            let misuse = looks_repeated(case_no, last_rating_time(tx)?.map(|t| t.to_utc()), now.to_utc(), interval);
            let mut record = Rating {
                id: Uuid::now_v7(),
                seq: 0, // given by the insert
                device_id,
                device_time: now,
                hall_id,
                window_id,
                staff_id,
                case_no: case_no.map(str::to_string),
                attitude: rating.attitude,
                competence: rating.competence,
                reasons: rating.reasons,
                comment: rating.comment,
                phone: rating.phone,
                misuse,
            };
            record.seq = insert_rating(tx, &record, input.session_id)?;
            Ok(record)
        })
    }

    /// Whether a rating for this (normalized) case number is already stored.
    pub fn case_is_rated(&self, case_no: &str) -> Result<bool> {
        let conn = self.conn();
        Ok(conn.prepare_cached("SELECT 1 FROM ratings WHERE case_no = ?1")?.exists([case_no])?)
    }

    pub fn rating_counts(&self) -> Result<RatingCounts> {
        let conn = self.conn();
        let counts = conn.query_row(
            "SELECT count(*),
                    count(*) FILTER (WHERE r.seq > (SELECT coalesce(max(acked_through), 0)
                                                    FROM sync_streams WHERE kind = 'rating')),
                    count(*) FILTER (WHERE attitude <= 2 OR competence <= 2),
                    count(*) FILTER (WHERE misuse = 1)
             FROM ratings r",
            [],
            |r| Ok(RatingCounts { total: r.get(0)?, unsent: r.get(1)?, bad: r.get(2)?, misuse: r.get(3)? }),
        )?;
        Ok(counts)
    }

    /// Ratings in sequence order, starting after `after_seq`, at most `limit`.
    pub fn ratings_after(&self, after_seq: u64, limit: usize) -> Result<Vec<Rating>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {RATING_COLUMNS} FROM ratings WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
        let rows = stmt.query_map(params![after_seq as i64, limit as i64], rating_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The upload page of the ratings after `after_seq` as the protocol's JSON
    /// (`{"kind":"rating","records":[...]}`) and its last sequence number; None
    /// when there is nothing after it. SQLite writes each record's JSON itself
    /// (`json_object`), the same record [`Store::ratings_after`] reads: a long
    /// drain spends its time on the server's commits, not on parsing rows into
    /// structs here only to print them again.
    pub fn ratings_page_json(&self, after_seq: u64, limit: usize) -> Result<Option<(u64, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, json_object('id', id, 'seq', seq, 'device_id', device_id, 'device_time', device_time,
                        'hall_id', hall_id, 'window_id', window_id, 'staff_id', staff_id, 'case_no', case_no,
                        'attitude', attitude, 'competence', competence, 'reasons', json(reasons),
                        'comment', comment, 'phone', phone, 'misuse', json(iif(misuse, 'true', 'false')))
             FROM ratings WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let mut rows = stmt.query(params![after_seq as i64, limit as i64])?;
        let mut json = br#"{"kind":"rating","records":["#.to_vec();
        let mut last = None;
        while let Some(row) = rows.next()? {
            if last.is_some() {
                json.push(b',');
            }
            last = Some(row.get::<_, i64>(0)? as u64);
            json.extend_from_slice(row.get_ref(1)?.as_bytes().map_err(|e| Error::Corrupt(e.to_string()))?);
        }
        json.extend_from_slice(b"]}");
        Ok(last.map(|l| (l, json)))
    }
}

fn rating_by_session(tx: &Transaction<'_>, session_id: Uuid) -> Result<Option<Rating>> {
    let mut stmt = tx.prepare_cached(&format!("SELECT {RATING_COLUMNS} FROM ratings WHERE session_id = ?1"))?;
    Ok(stmt.query_row([session_id.to_string()], rating_row).optional()?)
}

fn on_duty_ids(tx: &Transaction<'_>, window_id: &str) -> Result<Option<(String, String)>> {
    let mut stmt = tx.prepare_cached(
        "SELECT s.hall_id, s.id FROM staff_sessions ss JOIN staff s ON s.id = ss.staff_id
         WHERE ss.window_id = ?1 AND ss.signed_out_at IS NULL AND s.active = 1",
    )?;
    Ok(stmt.query_row([window_id], |r| Ok((r.get(0)?, r.get(1)?))).optional()?)
}

/// Which of `codes` are on the active reason list (most ratings carry none).
fn known_reasons<'a>(tx: &Transaction<'_>, codes: &'a [String]) -> Result<HashSet<&'a str>> {
    let mut stmt = tx.prepare_cached("SELECT 1 FROM reasons WHERE code = ?1 AND active = 1")?;
    let mut known = HashSet::new();
    for code in codes {
        if stmt.exists([code])? {
            known.insert(code.as_str());
        }
    }
    Ok(known)
}

fn case_rated(tx: &Transaction<'_>, case_no: &str) -> Result<bool> {
    Ok(tx.prepare_cached("SELECT 1 FROM ratings WHERE case_no = ?1")?.exists([case_no])?)
}

fn last_rating_time(tx: &Transaction<'_>) -> Result<Option<DateTime<FixedOffset>>> {
    let mut stmt = tx.prepare_cached("SELECT device_time FROM ratings ORDER BY seq DESC LIMIT 1")?;
    let t: Option<String> = stmt.query_row([], |r| r.get(0)).optional()?;
    t.map(|s| parse_time(&s)).transpose()
}

/// Appends the rating; SQLite numbers it (the rowid) and the number is returned.
fn insert_rating(tx: &Transaction<'_>, r: &Rating, session_id: Uuid) -> Result<u64> {
    let reasons = serde_json::to_string(&r.reasons).map_err(|e| Error::Corrupt(e.to_string()))?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO ratings (id, session_id, device_id, device_time, hall_id, window_id, staff_id, case_no,
                              attitude, competence, reasons, comment, phone, misuse)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    stmt.execute(params![
        r.id.to_string(),
        session_id.to_string(),
        r.device_id.to_string(),
        format_time(r.device_time),
        r.hall_id,
        r.window_id,
        r.staff_id,
        r.case_no,
        r.attitude.value(),
        r.competence.value(),
        reasons,
        r.comment,
        r.phone,
        r.misuse,
    ])?;
    Ok(tx.last_insert_rowid() as u64)
}

/// Device times are stored as RFC 3339 with milliseconds and the local offset.
pub(crate) fn format_time(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, false)
}

fn parse_time(s: &str) -> Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).map_err(|e| Error::Corrupt(format!("time {s:?}: {e}")))
}

/// Reads a row selected with [`RATING_COLUMNS`]; a value that does not parse is a
/// conversion error naming its column, like any other type mismatch.
fn rating_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Rating> {
    fn conv<T, E: std::error::Error + Send + Sync + 'static>(idx: usize, v: Result<T, E>) -> rusqlite::Result<T> {
        v.map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
    }
    let uuid = |idx: usize| -> rusqlite::Result<Uuid> { conv(idx, Uuid::parse_str(&r.get::<_, String>(idx)?)) };
    let level = |idx: usize| -> rusqlite::Result<Level> { conv(idx, Level::try_from(r.get::<_, i64>(idx)?)) };
    Ok(Rating {
        seq: r.get::<_, i64>(0)? as u64,
        id: uuid(1)?,
        device_id: uuid(2)?,
        device_time: conv(3, DateTime::parse_from_rfc3339(&r.get::<_, String>(3)?))?,
        hall_id: r.get(4)?,
        window_id: r.get(5)?,
        staff_id: r.get(6)?,
        case_no: r.get(7)?,
        attitude: level(8)?,
        competence: level(9)?,
        reasons: conv(10, serde_json::from_str(&r.get::<_, String>(10)?))?,
        comment: r.get(11)?,
        phone: r.get(12)?,
        misuse: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tiyan_core::rating::RatingInput;
    use uuid::Uuid;

    use crate::{Error, Kiosk};

    #[test]
    fn a_full_disk_refuses_the_rating_cleanly_and_loses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/reference.json");
        let k = Kiosk::open(dir.path()).unwrap();
        k.import_reference(&demo).unwrap();
        k.set_admin_pin("260418").unwrap();
        k.bind_window("jianghai-w01").unwrap();
        k.staff_sign_in("100101", "2580").unwrap();
        let long = "很".repeat(200);
        let input = |c: &str| RatingInput {
            session_id: Uuid::now_v7(),
            attitude: 4,
            competence: 4,
            reasons: vec![],
            comment: Some(c.to_string()),
            phone: None,
            phone_consent: false,
        };
        k.submit_rating(&input("first")).unwrap();
        // SQLite's own limit on the file's size produces the same SQLITE_FULL as a full disk.
        let pages: i64 = k.store().conn().query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        k.store().conn().query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(())).unwrap();
        let mut stored = 1;
        let err = loop {
            match k.submit_rating(&input(&long)) {
                Ok(_) => stored += 1,
                Err(e) => break e,
            }
            assert!(stored < 10_000, "the page limit never bit");
        };
        assert!(matches!(err, Error::DiskFull), "{err:?}");
        assert_eq!(err.code().as_str(), "disk_full");
        let all = k.store().ratings_after(0, 100_000).unwrap();
        assert_eq!(all.len(), stored);
        let seqs: Vec<u64> = all.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (1..=stored as u64).collect::<Vec<_>>(), "no half-written rating, no gap");
        assert_eq!(k.store().integrity_check().unwrap(), "ok");
    }
}
