//! Officer diaries in PostgreSQL. Chunks of one photo from one device are
//! taken under a transaction-scoped advisory lock on (photo, device), so two
//! chunks arriving at once at two processes are taken one after the other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tiyan_core::diary::DiaryRevision;
use tiyan_core::protocol::{LedgerItem, MAX_DIARY_PHOTO_BYTES, PhotoUploadState};
use tiyan_core::sync::{ChunkHeld, ChunkStep, chunk_step};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgStore, device_time, json, offset_minutes};
use tiyan_storage::{DiaryStore, Error, PhotoChunk, Result, StoredRevision, sha256_hex, sql};

const REVISION_COLUMNS: &str = "id, device_id, seq, entry_id, revision, officer_id, submitted_at,
    submitted_offset_minutes, body::text, received_at";

fn revision_from_row(r: &Row) -> Result<StoredRevision> {
    Ok(StoredRevision {
        revision: DiaryRevision {
            id: r.get(0),
            device_id: r.get(1),
            seq: r.get::<_, i64>(2) as u64,
            entry_id: r.get(3),
            revision: r.get::<_, i32>(4) as u32,
            officer_id: r.get(5),
            submitted_at: device_time(r.get(6), r.get(7))?,
            body: json(r.get(8))?,
        },
        received_at: r.get(9),
    })
}

pub(super) async fn insert_revisions(
    tx: &deadpool_postgres::Transaction<'_>,
    device: Uuid,
    revisions: &[DiaryRevision],
    through: u64,
    received: DateTime<Utc>,
) -> Result<(u32, u32)> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO diary_revisions (id, device_id, seq, entry_id, revision, officer_id, submitted_at,
                                          submitted_date, submitted_offset_minutes, received_at, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb) ON CONFLICT DO NOTHING",
        )
        .await?;
    let held = tx
        .prepare_cached(&format!(
            "SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE id = $1 AND device_id = $2 AND seq = $3"
        ))
        .await?;
    let (mut stored, mut duplicates) = (0u32, 0u32);
    for r in revisions {
        let body = serde_json::to_string(&r.body).map_err(|e| Error::Backend(e.to_string()))?;
        let new = r.seq > through
            && tx
                .execute(
                    &insert,
                    &[
                        &r.id,
                        &device,
                        &(r.seq as i64),
                        &r.entry_id,
                        &(r.revision as i32),
                        &r.officer_id,
                        &r.submitted_at.to_utc(),
                        &r.submitted_at.date_naive(),
                        &offset_minutes(&r.submitted_at),
                        &received,
                        &body,
                    ],
                )
                .await?
                == 1;
        if new {
            stored += 1;
            continue;
        }
        let existing = tx.query_opt(&held, &[&r.id, &device, &(r.seq as i64)]).await?;
        let existing = existing.map(|row| revision_from_row(&row)).transpose()?;
        tiyan_storage::resent(existing.map(|h| h.revision).as_ref(), r, device, r.id, r.seq)?;
        duplicates += 1;
    }
    Ok((stored, duplicates))
}

pub(super) async fn revision_by_id(c: &impl GenericClient, id: Uuid) -> Result<Option<StoredRevision>> {
    let row = c.query_opt(&format!("SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE id = $1"), &[&id]).await?;
    row.map(|r| revision_from_row(&r)).transpose()
}

async fn held_photo(client: &impl GenericClient, device: Uuid, sha256: &str) -> Result<ChunkHeld> {
    let row = client
        .query_one(
            "SELECT (SELECT length(bytes)::int8 FROM diary_photos WHERE sha256 = $1),
                    (SELECT size FROM photo_uploads WHERE sha256 = $1 AND device_id = $2),
                    (SELECT coalesce(sum(length(bytes)), 0)::int8 FROM photo_chunks WHERE sha256 = $1 AND device_id = $2)",
            &[&sha256, &device],
        )
        .await?;
    Ok(ChunkHeld {
        complete: row.get::<_, Option<i64>>(0).map(|v| v as u64),
        announced: row.get::<_, Option<i64>>(1).map(|v| v as u64),
        received: row.get::<_, i64>(2) as u64,
    })
}

#[async_trait]
impl DiaryStore for PgStore {
    async fn photo_upload_state(&self, device: Uuid, sha256: &str) -> Result<PhotoUploadState> {
        let client = self.client().await?;
        Ok(held_photo(&client, device, sha256).await?.state())
    }

    async fn photo_chunk(&self, c: &PhotoChunk) -> Result<PhotoUploadState> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let key = format!("{}/{}", c.sha256, c.device_id);
        tx.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", &[&key]).await?;
        let held = held_photo(&tx, c.device_id, &c.sha256).await?;
        let last = match chunk_step(held, c.offset, c.size, c.bytes.len() as u64, MAX_DIARY_PHOTO_BYTES)? {
            ChunkStep::Ignore => return Ok(held.state()),
            ChunkStep::Append { last } => last,
        };
        let (size, offset) = (c.size as i64, c.offset as i64);
        tx.execute(sql::diary::UPLOAD_STARTED, &[&c.sha256, &c.device_id, &size, &c.now]).await?;
        tx.execute(
            "INSERT INTO photo_chunks (sha256, device_id, \"offset\", bytes) VALUES ($1, $2, $3, $4)",
            &[&c.sha256, &c.device_id, &offset, &c.bytes.as_ref()],
        )
        .await?;
        if !last {
            tx.commit().await?;
            return Ok(PhotoUploadState { received: c.offset + c.bytes.len() as u64, complete: false });
        }
        let rows = tx
            .query(
                "SELECT bytes FROM photo_chunks WHERE sha256 = $1 AND device_id = $2 ORDER BY \"offset\"",
                &[&c.sha256, &c.device_id],
            )
            .await?;
        let mut bytes = Vec::with_capacity(c.size as usize);
        for row in &rows {
            bytes.extend_from_slice(row.get::<_, &[u8]>(0));
        }
        tx.execute(sql::diary::UPLOAD_DONE, &[&c.sha256, &c.device_id]).await?;
        if sha256_hex(&bytes) != c.sha256 {
            tx.commit().await?;
            tracing::warn!(device = %c.device_id, sha256 = c.sha256, "a photo's bytes did not match its SHA-256: discarded");
            return Err(Error::PhotoMismatch);
        }
        tx.execute(sql::diary::KEEP_PHOTO, &[&c.sha256, &bytes, &c.now]).await?;
        tx.commit().await?;
        Ok(PhotoUploadState { received: c.size, complete: true })
    }

    async fn diary_photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let client = self.client().await?;
        Ok(client.query_opt(sql::diary::PHOTO, &[&sha256]).await?.map(|r| r.get(0)))
    }

    async fn ledger_for_device(&self, device: Uuid) -> Result<Vec<LedgerItem>> {
        let client = self.client().await?;
        let rows = client.query(sql::diary::PROBLEMS_OF_DEVICE.as_str(), &[&device]).await?;
        rows.iter()
            .map(|r| {
                let r = super::ledger::row(r)?;
                Ok(LedgerItem {
                    problem_id: r.id,
                    entry_id: r
                        .entry_id
                        .ok_or_else(|| Error::Backend(format!("problem {} without its entry", r.id)))?,
                    state: r.state,
                    updated_at: r.updated_at,
                    reply: r.reply,
                    satisfaction: r.satisfaction,
                })
            })
            .collect()
    }

    async fn diary_revisions(&self) -> Result<Vec<StoredRevision>> {
        let client = self.client().await?;
        let rows = client
            .query(&format!("SELECT {REVISION_COLUMNS} FROM diary_revisions ORDER BY device_id, seq"), &[])
            .await?;
        rows.iter().map(revision_from_row).collect()
    }

    async fn prune_photo_uploads(&self, before: DateTime<Utc>) -> Result<u64> {
        Ok(self.client().await?.execute(sql::diary::PRUNE_UPLOADS, &[&before]).await?)
    }
}
