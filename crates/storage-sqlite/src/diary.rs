//! Officer diaries in the SQLite file: revisions stored once, the ledger items
//! their problems make, photos assembled from chunks and checked against
//! their SHA-256.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::diary::DiaryRevision;
use tiyan_core::protocol::{LedgerItem, MAX_DIARY_PHOTO_BYTES, PhotoUploadState};
use tiyan_core::sync::{ChunkHeld, ChunkStep, chunk_step};
use uuid::Uuid;

use super::{SqliteStore, conversion, device_time, local_day, q, time, uuid};
use tiyan_storage::{DiaryStore, Error, PhotoChunk, Result, StoredRevision, sha256_hex, sql};

fn json_error(e: serde_json::Error) -> Error {
    Error::Backend(e.to_string())
}

const REVISION_COLUMNS: &str = "id, device_id, seq, entry_id, revision, officer_id, submitted_at, body, received_at";

fn revision_from_row(r: &Row) -> rusqlite::Result<StoredRevision> {
    Ok(StoredRevision {
        revision: DiaryRevision {
            id: uuid(&r.get::<_, String>(0)?)?,
            device_id: uuid(&r.get::<_, String>(1)?)?,
            seq: r.get(2)?,
            entry_id: uuid(&r.get::<_, String>(3)?)?,
            revision: r.get(4)?,
            officer_id: r.get(5)?,
            submitted_at: device_time(&r.get::<_, String>(6)?)?,
            body: serde_json::from_str(&r.get::<_, String>(7)?).map_err(|e| conversion(Box::new(e)))?,
        },
        received_at: time(&r.get::<_, String>(8)?)?,
    })
}

/// Inserts the revisions of a page past `through`; returns (stored, duplicates).
/// A revision already held must be the same; a new one's problems become ledger items.
pub(super) fn insert_revisions(
    tx: &Connection,
    device_id: &str,
    revisions: &[DiaryRevision],
    through: u64,
    received: &str,
) -> Result<(u32, u32)> {
    let (mut stored, mut duplicates) = (0u32, 0u32);
    for r in revisions {
        let (date, offset) = local_day(&r.submitted_at);
        let new = r.seq > through
            && tx
                .prepare_cached(
                    "INSERT INTO diary_revisions (id, device_id, seq, entry_id, revision, officer_id, submitted_at,
                                                  submitted_date, submitted_offset_minutes, received_at, body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT DO NOTHING",
                )?
                .execute(params![
                    r.id.to_string(),
                    device_id,
                    r.seq,
                    r.entry_id.to_string(),
                    r.revision,
                    r.officer_id,
                    r.submitted_at.to_rfc3339(),
                    date,
                    offset,
                    received,
                    serde_json::to_string(&r.body).map_err(json_error)?
                ])?
                == 1;
        if new {
            stored += 1;
            continue;
        }
        let held = tx
            .prepare_cached(&format!(
                "SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE id = ?1 AND device_id = ?2 AND seq = ?3"
            ))?
            .query_row(params![r.id.to_string(), device_id, r.seq], revision_from_row)
            .optional()?;
        tiyan_storage::resent(held.map(|h| h.revision).as_ref(), r, r.device_id, r.id, r.seq)?;
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

fn ledger_for_device(conn: &Connection, device: Uuid) -> Result<Vec<LedgerItem>> {
    let mut stmt = conn.prepare_cached(&q(&sql::diary::PROBLEMS_OF_DEVICE))?;
    let rows = stmt.query_map([device.to_string()], super::ledger::row)?;
    rows.map(|r| {
        let r = r?;
        Ok(LedgerItem {
            problem_id: r.id,
            entry_id: r.entry_id.ok_or_else(|| Error::Backend(format!("problem {} without its entry", r.id)))?,
            state: r.state,
            updated_at: r.updated_at,
            reply: r.reply,
            satisfaction: r.satisfaction,
        })
    })
    .collect()
}

pub(super) fn revision_by_id(c: &Connection, id: Uuid) -> Result<Option<StoredRevision>> {
    Ok(c.prepare_cached(&format!("SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE id = ?1"))?
        .query_row([id.to_string()], revision_from_row)
        .optional()?)
}

fn held_photo(tx: &Connection, device: &str, sha256: &str) -> Result<ChunkHeld> {
    let complete: Option<u64> =
        tx.query_row("SELECT length(bytes) FROM diary_photos WHERE sha256 = ?1", [sha256], |r| r.get(0)).optional()?;
    let announced: Option<u64> = tx
        .query_row(
            "SELECT size FROM photo_uploads WHERE sha256 = ?1 AND device_id = ?2",
            params![sha256, device],
            |r| r.get(0),
        )
        .optional()?;
    let received: u64 = tx.query_row(
        "SELECT coalesce(sum(length(bytes)), 0) FROM photo_chunks WHERE sha256 = ?1 AND device_id = ?2",
        params![sha256, device],
        |r| r.get(0),
    )?;
    Ok(ChunkHeld { complete, received, announced })
}

/// Takes one chunk in the writer's transaction. `Ok(None)`: the photo was
/// whole but did not match its name, and its chunks are gone (committed, so
/// the device starts over).
fn take_chunk(tx: &Connection, c: &PhotoChunk) -> Result<Option<PhotoUploadState>> {
    let device = c.device_id.to_string();
    let held = held_photo(tx, &device, &c.sha256)?;
    let last = match chunk_step(held, c.offset, c.size, c.bytes.len() as u64, MAX_DIARY_PHOTO_BYTES)? {
        ChunkStep::Ignore => return Ok(Some(held.state())),
        ChunkStep::Append { last } => last,
    };
    let now = c.now.to_rfc3339();
    tx.execute(&q(sql::diary::UPLOAD_STARTED), params![c.sha256, device, c.size, now])?;
    tx.execute(
        "INSERT INTO photo_chunks (sha256, device_id, offset, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![c.sha256, device, c.offset, c.bytes.as_ref()],
    )?;
    if !last {
        return Ok(Some(PhotoUploadState { received: c.offset + c.bytes.len() as u64, complete: false }));
    }
    let mut bytes = Vec::with_capacity(c.size as usize);
    {
        let mut stmt =
            tx.prepare("SELECT bytes FROM photo_chunks WHERE sha256 = ?1 AND device_id = ?2 ORDER BY offset")?;
        let mut rows = stmt.query(params![c.sha256, device])?;
        while let Some(row) = rows.next()? {
            bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(|e| Error::Backend(e.to_string()))?);
        }
    }
    tx.execute(&q(sql::diary::UPLOAD_DONE), params![c.sha256, device])?;
    if sha256_hex(&bytes) != c.sha256 {
        tracing::warn!(%device, sha256 = c.sha256, "a photo's bytes did not match its SHA-256: discarded");
        return Ok(None);
    }
    tx.execute(&q(sql::diary::KEEP_PHOTO), params![c.sha256, bytes, now])?;
    Ok(Some(PhotoUploadState { received: c.size, complete: true }))
}

#[async_trait]
impl DiaryStore for SqliteStore {
    async fn photo_upload_state(&self, device: Uuid, sha256: &str) -> Result<PhotoUploadState> {
        let sha256 = sha256.to_string();
        self.read_tx(move |tx| Ok(held_photo(tx, &device.to_string(), &sha256)?.state())).await
    }

    async fn photo_chunk(&self, chunk: &PhotoChunk) -> Result<PhotoUploadState> {
        let chunk = chunk.clone();
        self.write(move |tx| take_chunk(tx, &chunk)).await?.ok_or(Error::PhotoMismatch)
    }

    async fn diary_photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let sha256 = sha256.to_string();
        self.read(move |c| Ok(c.query_row(&q(sql::diary::PHOTO), [sha256], |r| r.get(0)).optional()?)).await
    }

    async fn ledger_for_device(&self, device: Uuid) -> Result<Vec<LedgerItem>> {
        self.read(move |c| ledger_for_device(c, device)).await
    }

    async fn diary_revisions(&self) -> Result<Vec<StoredRevision>> {
        self.read(|c| {
            let mut stmt =
                c.prepare(&format!("SELECT {REVISION_COLUMNS} FROM diary_revisions ORDER BY device_id, seq"))?;
            Ok(stmt.query_map([], revision_from_row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn prune_photo_uploads(&self, before: DateTime<Utc>) -> Result<u64> {
        self.write(move |tx| Ok(tx.execute(&q(sql::diary::PRUNE_UPLOADS), [before.to_rfc3339()])? as u64)).await
    }
}
