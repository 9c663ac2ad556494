//! Officer diaries in the SQLite store: revisions stored once, the ledger
//! items their problems make, photos assembled from chunks and checked
//! against their SHA-256.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use tiyan_core::diary::{DiaryRevision, LedgerState};
use tiyan_core::protocol::{DeviceRole, LedgerItem, MAX_DIARY_PHOTO_BYTES, PhotoUploadState};
use uuid::Uuid;

use super::{Device, StoreError, StoreResult, sha256_hex};

/// A diary revision as the server keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRevision {
    #[serde(flatten)]
    pub revision: DiaryRevision,
    pub received_at: DateTime<Utc>,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Malformed(e.to_string())
}

pub(super) const REVISION_COLUMNS: &str =
    "id, device_id, seq, entry_id, revision, officer_id, submitted_at, body, received_at";

pub(super) fn revision_from_row(r: &rusqlite::Row) -> rusqlite::Result<StoredRevision> {
    let conv = |idx: usize, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e)
    };
    let uuid = |idx: usize| -> rusqlite::Result<Uuid> {
        Uuid::parse_str(&r.get::<_, String>(idx)?).map_err(|e| conv(idx, Box::new(e)))
    };
    let submitted_at = DateTime::parse_from_rfc3339(&r.get::<_, String>(6)?).map_err(|e| conv(6, Box::new(e)))?;
    let received_at = DateTime::parse_from_rfc3339(&r.get::<_, String>(8)?).map_err(|e| conv(8, Box::new(e)))?;
    Ok(StoredRevision {
        revision: DiaryRevision {
            id: uuid(0)?,
            device_id: uuid(1)?,
            seq: r.get(2)?,
            entry_id: uuid(3)?,
            revision: r.get(4)?,
            officer_id: r.get(5)?,
            submitted_at,
            body: serde_json::from_str(&r.get::<_, String>(7)?).map_err(|e| conv(7, Box::new(e)))?,
        },
        received_at: received_at.to_utc(),
    })
}

/// Inserts the revisions of a page past `through`; returns (stored, duplicates).
/// A revision already held must be the same; its problems become ledger items.
pub(super) fn insert_revisions(
    tx: &Transaction<'_>,
    device: &Device,
    revisions: &[DiaryRevision],
    through: u64,
    received: &str,
) -> StoreResult<(u32, u32)> {
    if device.role != DeviceRole::Officer {
        return Err(StoreError::Forbidden("only an officer laptop sends diary entries".into()));
    }
    let (mut stored, mut duplicates) = (0u32, 0u32);
    let device_id = device.id.to_string();
    for r in revisions {
        let issues = r.body.issues();
        if !issues.is_empty() {
            let missing = issues.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ");
            return Err(StoreError::Malformed(format!("diary revision {} is incomplete: {missing}", r.id)));
        }
        let new = r.seq > through
            && tx
                .prepare_cached(
                    "INSERT INTO diary_revisions (id, device_id, seq, entry_id, revision, officer_id, submitted_at,
                                                  received_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    r.id.to_string(),
                    device_id,
                    r.seq,
                    r.entry_id.to_string(),
                    r.revision,
                    r.officer_id,
                    r.submitted_at.to_rfc3339(),
                    received,
                    serde_json::to_string(&r.body).map_err(corrupt)?
                ])?
                == 1;
        if new {
            register_problems(tx, device, r, received)?;
            stored += 1;
            continue;
        }
        let held = tx
            .prepare_cached(&format!(
                "SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE id = ?1 AND device_id = ?2 AND seq = ?3"
            ))?
            .query_row(params![r.id.to_string(), device_id, r.seq], revision_from_row)
            .optional()?;
        if held.map(|h| h.revision).as_ref() != Some(r) {
            tracing::warn!(device = %device.id, id = %r.id, seq = r.seq, "conflicting diary revision refused");
            return Err(StoreError::Conflict { id: r.id });
        }
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

/// Every problem of a new revision is a ledger item; one already registered
/// keeps its state (a later revision may reword it).
fn register_problems(tx: &Transaction<'_>, device: &Device, r: &DiaryRevision, now: &str) -> StoreResult<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO ledger_items (problem_id, entry_id, revision_id, device_id, officer_id, category, text, state,
                                   registered_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (problem_id) DO UPDATE SET category = excluded.category, text = excluded.text
         WHERE ledger_items.entry_id = excluded.entry_id",
    )?;
    for p in &r.body.problems {
        let category = serde_json::to_value(p.category).map_err(corrupt)?;
        stmt.execute(params![
            p.id.to_string(),
            r.entry_id.to_string(),
            r.id.to_string(),
            device.id.to_string(),
            r.officer_id,
            category.as_str().unwrap_or("other"),
            p.text,
            LedgerState::Registered.as_str(),
            now
        ])?;
    }
    Ok(())
}

pub(super) fn ledger_for_device(conn: &rusqlite::Connection, device: Uuid) -> StoreResult<Vec<LedgerItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT problem_id, entry_id, state, updated_at FROM ledger_items WHERE device_id = ?1 ORDER BY registered_at",
    )?;
    let rows: Vec<(String, String, String, String)> = stmt
        .query_map([device.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(p, e, s, t)| {
            Ok(LedgerItem {
                problem_id: Uuid::parse_str(&p).map_err(corrupt)?,
                entry_id: Uuid::parse_str(&e).map_err(corrupt)?,
                state: LedgerState::parse(&s).ok_or_else(|| corrupt(format!("ledger state {s:?}")))?,
                updated_at: DateTime::parse_from_rfc3339(&t).map_err(corrupt)?.to_utc(),
            })
        })
        .collect()
}

fn check_sha(sha256: &str) -> StoreResult<()> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(StoreError::Malformed("a photo is named by the lower-case hex SHA-256 of its bytes".into()));
    }
    Ok(())
}

pub(super) fn photo_upload_state(tx: &Transaction<'_>, device: Uuid, sha256: &str) -> StoreResult<PhotoUploadState> {
    check_sha(sha256)?;
    let held: Option<u64> =
        tx.query_row("SELECT length(bytes) FROM diary_photos WHERE sha256 = ?1", [sha256], |r| r.get(0)).optional()?;
    if let Some(size) = held {
        return Ok(PhotoUploadState { received: size, complete: true });
    }
    let received: u64 = tx.query_row(
        "SELECT coalesce(sum(length(bytes)), 0) FROM photo_chunks WHERE sha256 = ?1 AND device_id = ?2",
        params![sha256, device.to_string()],
        |r| r.get(0),
    )?;
    Ok(PhotoUploadState { received, complete: false })
}

/// Takes the chunk at `offset` of a `size`-byte photo. A chunk that is not the
/// next one is ignored (the answer says where to resume); the last one
/// assembles the photo and keeps it only if its SHA-256 matches. None: it did
/// not, and the chunks are gone (committed, so the device starts over).
pub(super) fn photo_chunk(
    tx: &Transaction<'_>,
    device: Uuid,
    sha256: &str,
    offset: u64,
    size: u64,
    chunk: &[u8],
    now: &str,
) -> StoreResult<Option<PhotoUploadState>> {
    let state = photo_upload_state(tx, device, sha256)?;
    if state.complete || offset != state.received || chunk.is_empty() {
        return Ok(Some(state));
    }
    if size == 0 || size > MAX_DIARY_PHOTO_BYTES {
        return Err(StoreError::TooLarge(format!("a diary photo is at most {MAX_DIARY_PHOTO_BYTES} bytes")));
    }
    if offset + chunk.len() as u64 > size {
        return Err(StoreError::Malformed("the chunk runs past the photo's size".into()));
    }
    let device_id = device.to_string();
    let known: Option<u64> = tx
        .query_row(
            "SELECT size FROM photo_uploads WHERE sha256 = ?1 AND device_id = ?2",
            params![sha256, device_id],
            |r| r.get(0),
        )
        .optional()?;
    match known {
        Some(k) if k != size => return Err(StoreError::Malformed(format!("this photo was announced as {k} bytes"))),
        Some(_) => {}
        None => {
            tx.execute(
                "INSERT INTO photo_uploads (sha256, device_id, size) VALUES (?1, ?2, ?3)",
                params![sha256, device_id, size],
            )?;
        }
    }
    tx.execute(
        "INSERT INTO photo_chunks (sha256, device_id, offset, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![sha256, device_id, offset, chunk],
    )?;
    let received = offset + chunk.len() as u64;
    if received < size {
        return Ok(Some(PhotoUploadState { received, complete: false }));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    {
        let mut stmt =
            tx.prepare("SELECT bytes FROM photo_chunks WHERE sha256 = ?1 AND device_id = ?2 ORDER BY offset")?;
        let mut rows = stmt.query(params![sha256, device_id])?;
        while let Some(row) = rows.next()? {
            bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(corrupt)?);
        }
    }
    tx.execute("DELETE FROM photo_uploads WHERE sha256 = ?1 AND device_id = ?2", params![sha256, device_id])?;
    if sha256_hex(&bytes) != sha256 {
        tracing::warn!(%device, sha256, "a photo's bytes did not match its SHA-256: discarded");
        return Ok(None);
    }
    tx.execute(
        "INSERT INTO diary_photos (sha256, bytes, received_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        params![sha256, bytes, now],
    )?;
    Ok(Some(PhotoUploadState { received: size, complete: true }))
}
