//! The embedded store: one SQLite file in WAL mode, so a hall or a county runs
//! the server with no other software. One writer connection (SQLite writes one
//! transaction at a time anyway) and a few readers that never wait for it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tiyan_core::Text;
use tiyan_core::protocol::{DeviceRole, LedgerItem, PhotoUploadState, RecordKind, Stream, Upload, UploadAck};
use tiyan_core::rating::Rating;
use tiyan_core::reference::{FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Staff, Window};
use uuid::Uuid;

use super::{
    Device, DeviceSummary, NewCode, RatingFilter, Storage, StoreError, StoreResult, StoredRating, StoredRevision,
    diary, sha256_hex,
};

const STEPS: &[&str] =
    &[include_str!("../../migrations/0001_server.sql"), include_str!("../../migrations/0002_diary.sql")];
const READERS: usize = 4;

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic mid-transaction rolls it back (the Transaction's drop): the connection is sound.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    let conv = |idx: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e)
    };
    let role: String = r.get(2)?;
    let role = DeviceRole::parse(&role).ok_or_else(|| conv(2, format!("device role {role:?}").into()))?;
    Ok(Device {
        id: Uuid::parse_str(&r.get::<_, String>(0)?).map_err(|e| conv(0, Box::new(e)))?,
        name: r.get(1)?,
        role,
        hall_id: r.get(3)?,
        window_id: r.get(4)?,
        secret_hash: r.get(5)?,
        enrolled_at: time(&r.get::<_, String>(6)?)?,
        revoked_at: r.get::<_, Option<String>>(7)?.map(|t| time(&t)).transpose()?,
        last_seen_at: r.get::<_, Option<String>>(8)?.map(|t| time(&t)).transpose()?,
    })
}

const DEVICE_COLUMNS: &str = "id, name, role, hall_id, window_id, secret_hash, enrolled_at, revoked_at, last_seen_at";

impl SqliteStore {
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        let writer = tiyan_infra::sqlite::open(path, STEPS)?;
        let readers =
            (0..READERS).map(|_| tiyan_infra::sqlite::connect(path).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> MutexGuard<'_, Connection> {
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        lock(&self.readers[i])
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Storage for SqliteStore {
    fn create_code(&self, code: &NewCode<'_>, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| {
            let hall: bool = tx.prepare("SELECT 1 FROM halls WHERE id = ?1 AND active = 1")?.exists([code.hall_id])?;
            if !hall {
                return Err(StoreError::NotFound(format!("hall {}", code.hall_id)));
            }
            if let Some(w) = code.window_id {
                let ok = tx
                    .prepare("SELECT 1 FROM windows WHERE id = ?1 AND hall_id = ?2 AND active = 1")?
                    .exists([w, code.hall_id])?;
                if !ok {
                    return Err(StoreError::NotFound(format!("window {w} in hall {}", code.hall_id)));
                }
            }
            tx.execute(
                "INSERT INTO enrolment_codes (code_sha256, role, hall_id, window_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    sha256_hex(code.code.as_bytes()),
                    code.role.as_str(),
                    code.hall_id,
                    code.window_id,
                    now.to_rfc3339(),
                    code.expires_at.to_rfc3339()
                ],
            )?;
            Ok(())
        })
    }

    fn redeem_code(
        &self,
        code: &str,
        device_id: Uuid,
        name: &str,
        secret_hash: &str,
        expected: Option<DeviceRole>,
        now: DateTime<Utc>,
    ) -> StoreResult<Device> {
        let code_hash = sha256_hex(code.as_bytes());
        self.write(|tx| {
            // role, hall, window, expires at, used at
            type CodeRow = (String, String, Option<String>, String, Option<String>);
            let found: Option<CodeRow> = tx
                .query_row(
                    "SELECT role, hall_id, window_id, expires_at, used_at FROM enrolment_codes WHERE code_sha256 = ?1",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((role, hall_id, window_id, expires_at, used_at)) = found else {
                return Err(StoreError::InvalidCode);
            };
            if used_at.is_some() || time(&expires_at)? <= now {
                return Err(StoreError::InvalidCode);
            }
            // Checked before the code is used up: the administrator can still
            // give it to the right device.
            let code_role = DeviceRole::parse(&role)
                .ok_or_else(|| StoreError::Malformed(format!("enrolment code with role {role:?}")))?;
            if let Some(expected) = expected
                && expected != code_role
            {
                return Err(StoreError::WrongRole { code: code_role, expected });
            }
            let id = device_id.to_string();
            tx.execute(
                "UPDATE enrolment_codes SET used_at = ?1, used_by = ?2 WHERE code_sha256 = ?3",
                params![now.to_rfc3339(), id, code_hash],
            )?;
            tx.execute(
                "INSERT INTO devices (id, name, role, hall_id, window_id, secret_hash, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, hall_id = excluded.hall_id,
                     window_id = excluded.window_id, secret_hash = excluded.secret_hash,
                     enrolled_at = excluded.enrolled_at, revoked_at = NULL",
                params![id, name, role, hall_id, window_id, secret_hash, now.to_rfc3339()],
            )?;
            let device =
                tx.query_row(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"), [&id], device_row)?;
            Ok(device)
        })
    }

    fn device(&self, id: Uuid) -> StoreResult<Option<Device>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"))?;
        Ok(stmt.query_row([id.to_string()], device_row).optional()?)
    }

    fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2",
                params![now.to_rfc3339(), id.to_string()],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("device {id}")));
            }
            Ok(())
        })
    }

    fn devices(&self) -> StoreResult<Vec<DeviceSummary>> {
        let conn = self.read();
        let mut stmt = conn.prepare(&format!(
            "SELECT {DEVICE_COLUMNS}, (SELECT count(*) FROM ratings r WHERE r.device_id = d.id)
             FROM devices d ORDER BY hall_id, window_id, enrolled_at"
        ))?;
        let rows = stmt.query_map([], |r| Ok(DeviceSummary { device: device_row(r)?, ratings: r.get(9)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn streams(&self, device: Uuid) -> StoreResult<Vec<Stream>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT kind, through FROM streams WHERE device_id = ?1")?;
        let held: HashMap<String, u64> =
            stmt.query_map([device.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        Ok(RecordKind::ALL
            .iter()
            .map(|&kind| Stream { kind, through: held.get(kind.as_str()).copied().unwrap_or(0) })
            .collect())
    }

    fn ingest(&self, device: &Device, request_id: Uuid, upload: &Upload, now: DateTime<Utc>) -> StoreResult<UploadAck> {
        let keys = upload.keys();
        check_page(device, keys.iter().copied())?;
        let kind = upload.kind();
        let received = now.to_rfc3339();
        self.write(|tx| {
            let fresh = tx
                .prepare_cached("INSERT OR IGNORE INTO seen_requests (device_id, request_id, at) VALUES (?1, ?2, ?3)")?
                .execute(params![device.id.to_string(), request_id.to_string(), received])?;
            if fresh == 0 {
                return Err(StoreError::Replayed(request_id));
            }
            let through = stream_through(tx, device.id, kind)?;
            if let Some((first, _)) = keys.first()
                && *first > through + 1
            {
                return Err(StoreError::Gap { through, got: *first });
            }
            let (stored, duplicates) = match upload {
                Upload::Rating(records) => insert_ratings(tx, device, records, through, &received)?,
                Upload::Diary(revisions) => diary::insert_revisions(tx, device, revisions, through, &received)?,
            };
            let through = keys.last().map_or(through, |(seq, _)| (*seq).max(through));
            tx.prepare_cached(
                "INSERT INTO streams (device_id, kind, through) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id, kind) DO UPDATE SET through = excluded.through",
            )?
            .execute(params![device.id.to_string(), kind.as_str(), through])?;
            tx.prepare_cached("UPDATE devices SET last_seen_at = ?1 WHERE id = ?2")?
                .execute(params![received, device.id.to_string()])?;
            Ok(UploadAck { kind, through, stored, duplicates })
        })
    }

    fn reference_version(&self) -> StoreResult<Option<i64>> {
        let conn = self.read();
        let v: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'reference_version'", [], |r| r.get(0)).optional()?;
        Ok(v.and_then(|v| v.parse().ok()))
    }

    fn import_reference(&self, data: &ReferenceData, photos: &[(String, Vec<u8>)]) -> StoreResult<i64> {
        let current = self.reference().ok();
        let merged = merge_sections(data, current.as_ref());
        merged.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let fingerprint = sha256_hex(&serde_json::to_vec(&merged).map_err(|e| StoreError::Invalid(e.to_string()))?);
        self.write(|tx| {
            let old: Option<String> =
                tx.query_row("SELECT value FROM meta WHERE key = 'reference_hash'", [], |r| r.get(0)).optional()?;
            let version: Option<i64> = tx
                .query_row("SELECT value FROM meta WHERE key = 'reference_version'", [], |r| r.get::<_, String>(0))
                .optional()?
                .and_then(|v| v.parse().ok());
            if old.as_deref() == Some(fingerprint.as_str())
                && let Some(v) = version
            {
                return Ok(v);
            }
            for (sha, bytes) in photos {
                tx.execute("INSERT OR IGNORE INTO photos (sha256, bytes) VALUES (?1, ?2)", params![sha, bytes])?;
            }
            write_reference(tx, &merged)?;
            let next = version.map_or(1, |v| v + 1).max(merged.version);
            set_meta(tx, "reference_version", &next.to_string())?;
            set_meta(tx, "reference_hash", &fingerprint)?;
            Ok(next)
        })
    }

    fn reference(&self) -> StoreResult<ReferenceData> {
        let conn = self.read();
        read_reference(&conn)
    }

    fn photo(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        let conn = self.read();
        Ok(conn.query_row("SELECT bytes FROM photos WHERE sha256 = ?1", [sha256], |r| r.get(0)).optional()?)
    }

    fn ratings(&self, filter: &RatingFilter) -> StoreResult<Vec<StoredRating>> {
        let conn = self.read();
        let mut stmt = conn.prepare(
            &format!(
                "SELECT {RATING_COLUMNS}, r.received_at, s.name, s.employee_no, w.number
             FROM ratings r
             LEFT JOIN staff s ON s.id = r.staff_id
             LEFT JOIN windows w ON w.id = r.window_id
             WHERE (?1 IS NULL OR r.hall_id = ?1) AND (?2 IS NULL OR r.window_id = ?2) AND (?3 IS NULL OR r.staff_id = ?3)
               AND (?4 IS NULL OR substr(r.device_time, 1, 10) >= ?4) AND (?5 IS NULL OR substr(r.device_time, 1, 10) <= ?5)
             ORDER BY r.device_id, r.seq"
            ),
        )?;
        let rows = stmt.query_map(
            params![
                filter.hall_id,
                filter.window_id,
                filter.staff_id,
                filter.from.map(|d| d.to_string()),
                filter.to.map(|d| d.to_string())
            ],
            |r| {
                let rating = rating_from_row(r)?;
                Ok(StoredRating {
                    rating,
                    received_at: time(&r.get::<_, String>(14)?)?,
                    staff_name: r.get(15)?,
                    employee_no: r.get(16)?,
                    window_number: r.get(17)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn photo_upload_state(&self, device: Uuid, sha256: &str) -> StoreResult<PhotoUploadState> {
        self.write(|tx| diary::photo_upload_state(tx, device, sha256))
    }

    fn photo_chunk(
        &self,
        device: Uuid,
        sha256: &str,
        offset: u64,
        size: u64,
        chunk: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<PhotoUploadState> {
        let now = now.to_rfc3339();
        self.write(|tx| diary::photo_chunk(tx, device, sha256, offset, size, chunk, &now))?
            .ok_or(StoreError::PhotoMismatch)
    }

    fn diary_photo(&self, sha256: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .read()
            .query_row("SELECT bytes FROM diary_photos WHERE sha256 = ?1", [sha256], |r| r.get(0))
            .optional()?)
    }

    fn ledger_for_device(&self, device: Uuid) -> StoreResult<Vec<LedgerItem>> {
        diary::ledger_for_device(&self.read(), device)
    }

    fn diary_revisions(&self) -> StoreResult<Vec<StoredRevision>> {
        let conn = self.read();
        let mut stmt =
            conn.prepare(&format!("SELECT {} FROM diary_revisions ORDER BY device_id, seq", diary::REVISION_COLUMNS))?;
        Ok(stmt.query_map([], diary::revision_from_row)?.collect::<rusqlite::Result<_>>()?)
    }

    fn officer_sign_in(&self, officer_id: &str, password: &str) -> StoreResult<Officer> {
        let officer = self
            .read()
            .query_row(
                &format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE id = ?1 AND active = 1"),
                [officer_id],
                officer_row,
            )
            .optional()?;
        // An unknown officer costs the same hash time as a wrong password.
        let hash = officer.as_ref().and_then(|o| o.password_hash.clone());
        let ok = tiyan_infra::secret::verify(password, hash.as_deref().unwrap_or(tiyan_infra::secret::DUMMY_HASH))
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        match officer {
            Some(o) if ok && hash.is_some() => Ok(Officer { password_hash: None, ..o }),
            _ => Err(StoreError::WrongPassword),
        }
    }
}

const OFFICER_COLUMNS: &str = "id, name, gender, age, occupation, appointed_from, appointed_to, password_hash";

fn officer_row(r: &rusqlite::Row) -> rusqlite::Result<Officer> {
    let date = |idx: usize| -> rusqlite::Result<chrono::NaiveDate> {
        r.get::<_, String>(idx)?.parse().map_err(|e: chrono::ParseError| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
        })
    };
    Ok(Officer {
        id: r.get(0)?,
        name: r.get(1)?,
        gender: r.get(2)?,
        age: r.get(3)?,
        occupation: r.get(4)?,
        appointed_from: date(5)?,
        appointed_to: date(6)?,
        password_hash: r.get(7)?,
    })
}

/// The record columns of `ratings`, in the order [`rating_from_row`] reads them.
const RATING_COLUMNS: &str = "r.id, r.device_id, r.seq, r.device_time, r.hall_id, r.window_id, r.staff_id, r.case_no,
    r.attitude, r.competence, r.reasons, r.comment, r.phone, r.misuse";

fn rating_from_row(r: &rusqlite::Row) -> rusqlite::Result<Rating> {
    let conv = |idx: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e)
    };
    let level = |idx: usize| -> rusqlite::Result<tiyan_core::Level> {
        tiyan_core::Level::try_from(r.get::<_, i64>(idx)?).map_err(|e| conv(idx, Box::new(e)))
    };
    Ok(Rating {
        id: Uuid::parse_str(&r.get::<_, String>(0)?).map_err(|e| conv(0, Box::new(e)))?,
        device_id: Uuid::parse_str(&r.get::<_, String>(1)?).map_err(|e| conv(1, Box::new(e)))?,
        seq: r.get(2)?,
        device_time: DateTime::parse_from_rfc3339(&r.get::<_, String>(3)?).map_err(|e| conv(3, Box::new(e)))?,
        hall_id: r.get(4)?,
        window_id: r.get(5)?,
        staff_id: r.get(6)?,
        case_no: r.get(7)?,
        attitude: level(8)?,
        competence: level(9)?,
        reasons: serde_json::from_str(&r.get::<_, String>(10)?).map_err(|e| conv(10, Box::new(e)))?,
        comment: r.get(11)?,
        phone: r.get(12)?,
        misuse: r.get(13)?,
    })
}

/// Inserts the ratings of a page past `through`; returns (stored, duplicates).
fn insert_ratings(
    tx: &Transaction<'_>,
    device: &Device,
    records: &[Rating],
    through: u64,
    received: &str,
) -> StoreResult<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    let mut insert = tx.prepare_cached(
        "INSERT INTO ratings (id, device_id, seq, device_time, received_at, hall_id, window_id, staff_id,
                              case_no, attitude, competence, reasons, comment, phone, misuse)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT DO NOTHING",
    )?;
    let device_id = device.id.to_string();
    let mut held = tx.prepare_cached(&format!(
        "SELECT {RATING_COLUMNS} FROM ratings r WHERE r.id = ?1 AND r.device_id = ?2 AND r.seq = ?3"
    ))?;
    for r in records {
        let new = r.seq > through
            && insert.execute(params![
                r.id.to_string(),
                device_id,
                r.seq,
                r.device_time.to_rfc3339(),
                received,
                r.hall_id,
                r.window_id,
                r.staff_id,
                r.case_no,
                r.attitude.value(),
                r.competence.value(),
                serde_json::to_string(&r.reasons).map_err(|e| StoreError::Malformed(e.to_string()))?,
                r.comment,
                r.phone,
                r.misuse,
            ])? == 1;
        if new {
            stored += 1;
            continue;
        }
        // Already here, under this id and sequence number? Then it must be the same
        // record. Compared only on this rare path, so the usual one hashes nothing.
        let existing = held.query_row(params![r.id.to_string(), device_id, r.seq], rating_from_row).optional()?;
        if existing.as_ref() != Some(r) {
            tracing::warn!(device = %device.id, id = %r.id, seq = r.seq, "conflicting record refused");
            return Err(StoreError::Conflict { id: r.id });
        }
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

/// A page must be this device's own records, in strictly increasing sequence order.
fn check_page(device: &Device, records: impl Iterator<Item = (u64, Uuid)>) -> StoreResult<()> {
    let mut last = 0u64;
    for (seq, owner) in records {
        if owner != device.id {
            return Err(StoreError::Forbidden(format!("a record of device {owner} in an upload from {}", device.id)));
        }
        if seq == 0 || seq <= last {
            return Err(StoreError::Malformed("records must come in strictly increasing sequence order".into()));
        }
        last = seq;
    }
    Ok(())
}

fn stream_through(tx: &Transaction<'_>, device: Uuid, kind: RecordKind) -> StoreResult<u64> {
    let v: Option<u64> = tx
        .prepare_cached("SELECT through FROM streams WHERE device_id = ?1 AND kind = ?2")?
        .query_row(params![device.to_string(), kind.as_str()], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0))
}

fn set_meta(tx: &Transaction<'_>, key: &str, value: &str) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// Sections the import leaves empty keep what the server has: a staff CSV alone
/// does not wipe the windows.
fn merge_sections(new: &ReferenceData, current: Option<&ReferenceData>) -> ReferenceData {
    let mut m = new.clone();
    m.format = FORMAT.to_string();
    if let Some(cur) = current {
        macro_rules! keep {
            ($($field:ident),*) => { $( if m.$field.is_empty() { m.$field = cur.$field.clone(); } )* };
        }
        keep!(halls, windows, staff, reasons, matters, officers);
    }
    m
}

fn write_reference(tx: &Transaction<'_>, d: &ReferenceData) -> StoreResult<()> {
    for table in ["halls", "windows", "staff", "reasons", "matters", "officers"] {
        tx.execute(&format!("UPDATE {table} SET active = 0"), [])?;
    }
    for h in &d.halls {
        tx.execute(
            "INSERT INTO halls (id, name_zh, name_en, active) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, active = 1",
            params![h.id, h.name.zh, h.name.en],
        )?;
    }
    for w in &d.windows {
        tx.execute(
            "INSERT INTO windows (id, hall_id, number, name_zh, name_en, active) VALUES (?1, ?2, ?3, ?4, ?5, 1)
             ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, number = excluded.number,
                 name_zh = excluded.name_zh, name_en = excluded.name_en, active = 1",
            params![w.id, w.hall_id, w.number, w.name.zh, w.name.en],
        )?;
    }
    for s in &d.staff {
        tx.execute(
            "INSERT INTO staff (id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)
             ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, employee_no = excluded.employee_no,
                 name = excluded.name, department_zh = excluded.department_zh, department_en = excluded.department_en,
                 pin_hash = excluded.pin_hash, photo_sha256 = excluded.photo_sha256, active = 1",
            params![
                s.id,
                s.hall_id,
                s.employee_no,
                s.name,
                s.department.as_ref().map(|t| &t.zh),
                s.department.as_ref().map(|t| &t.en),
                s.pin_hash,
                s.photo_sha256
            ],
        )?;
    }
    for (i, r) in d.reasons.iter().enumerate() {
        tx.execute(
            "INSERT INTO reasons (code, label_zh, label_en, position, active) VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (code) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
                 position = excluded.position, active = 1",
            params![r.code, r.label.zh, r.label.en, i as i64],
        )?;
    }
    for m in &d.matters {
        tx.execute(
            "INSERT INTO matters (id, name_zh, name_en, category_zh, category_en, quarter, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                 category_zh = excluded.category_zh, category_en = excluded.category_en, quarter = excluded.quarter,
                 active = 1",
            params![m.id, m.name.zh, m.name.en, m.category.zh, m.category.en, m.quarter],
        )?;
    }
    for o in &d.officers {
        tx.execute(
            "INSERT INTO officers (id, name, gender, age, occupation, appointed_from, appointed_to, password_hash, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, age = excluded.age,
                 occupation = excluded.occupation, appointed_from = excluded.appointed_from,
                 appointed_to = excluded.appointed_to,
                 password_hash = coalesce(excluded.password_hash, officers.password_hash), active = 1",
            params![
                o.id,
                o.name,
                o.gender,
                o.age,
                o.occupation,
                o.appointed_from.to_string(),
                o.appointed_to.to_string(),
                o.password_hash
            ],
        )?;
    }
    Ok(())
}

fn read_reference(conn: &Connection) -> StoreResult<ReferenceData> {
    let text = |zh: String, en: String| Text::new(zh, en);
    let halls = conn
        .prepare("SELECT id, name_zh, name_en FROM halls WHERE active = 1 ORDER BY id")?
        .query_map([], |r| Ok(Hall { id: r.get(0)?, name: text(r.get(1)?, r.get(2)?) }))?
        .collect::<rusqlite::Result<_>>()?;
    let windows = conn
        .prepare("SELECT id, hall_id, number, name_zh, name_en FROM windows WHERE active = 1 ORDER BY hall_id, number")?
        .query_map([], |r| {
            Ok(Window { id: r.get(0)?, hall_id: r.get(1)?, number: r.get(2)?, name: text(r.get(3)?, r.get(4)?) })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let staff = conn
        .prepare(
            "SELECT id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256
             FROM staff WHERE active = 1 ORDER BY employee_no",
        )?
        .query_map([], |r| {
            let dept = match (r.get::<_, Option<String>>(4)?, r.get::<_, Option<String>>(5)?) {
                (Some(zh), en) => Some(Text::new(zh, en.unwrap_or_default())),
                (None, _) => None,
            };
            Ok(Staff {
                id: r.get(0)?,
                hall_id: r.get(1)?,
                employee_no: r.get(2)?,
                name: r.get(3)?,
                department: dept,
                pin_hash: r.get(6)?,
                photo: None,
                photo_sha256: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let reasons = conn
        .prepare("SELECT code, label_zh, label_en FROM reasons WHERE active = 1 ORDER BY position")?
        .query_map([], |r| Ok(Reason { code: r.get(0)?, label: text(r.get(1)?, r.get(2)?) }))?
        .collect::<rusqlite::Result<_>>()?;
    let matters = conn
        .prepare(
            "SELECT id, name_zh, name_en, category_zh, category_en, quarter FROM matters WHERE active = 1 ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(Matter {
                id: r.get(0)?,
                name: text(r.get(1)?, r.get(2)?),
                category: text(r.get(3)?, r.get(4)?),
                quarter: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let officers = conn
        .prepare(&format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE active = 1 ORDER BY id"))?
        .query_map([], officer_row)?
        .collect::<rusqlite::Result<_>>()?;
    let version: Option<i64> = conn
        .query_row("SELECT value FROM meta WHERE key = 'reference_version'", [], |r| r.get::<_, String>(0))
        .optional()?
        .and_then(|v| v.parse().ok());
    Ok(ReferenceData {
        format: FORMAT.into(),
        version: version.unwrap_or(0),
        halls,
        windows,
        staff,
        reasons,
        matters,
        officers,
    })
}
