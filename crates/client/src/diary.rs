//! The officer's diary on the laptop: drafts saved as they type, submitted
//! revisions (append-only, the diary sync stream), photos, ledger states.

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tiyan_core::diary::{DiaryBody, DiaryRevision};
use uuid::Uuid;

use crate::photo::{self, DiaryPhoto};
use crate::{Error, Result, Store};

/// An entry in the officer's list: its draft if one is open, its latest
/// submitted revision if any.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct EntrySummary {
    pub entry_id: Uuid,
    pub draft: Option<Draft>,
    pub latest: Option<DiaryRevision>,
    /// Of the latest revision: has the server acknowledged it?
    pub synced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Draft {
    pub entry_id: Uuid,
    pub officer_id: String,
    /// The submitted revision this draft edits; 0 for an entry never submitted.
    pub base_revision: u32,
    pub body: DiaryBody,
    pub updated_at: DateTime<FixedOffset>,
}

/// A photo's thumbnail and size, for the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PhotoInfo {
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    pub bytes: usize,
}

fn json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt(e.to_string()))
}

pub(crate) fn time(s: &str) -> Result<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).map_err(|e| Error::Corrupt(format!("time {s:?}: {e}")))
}

pub(crate) fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| Error::Corrupt(format!("id {s:?}: {e}")))
}

type RevisionRow = (u64, String, String, u32, String, String, String);

fn revision(row: RevisionRow, device_id: Uuid) -> Result<DiaryRevision> {
    let (seq, id, entry_id, revision, officer_id, submitted_at, body) = row;
    Ok(DiaryRevision {
        id: uuid(&id)?,
        entry_id: uuid(&entry_id)?,
        revision,
        seq,
        device_id,
        officer_id,
        submitted_at: time(&submitted_at)?,
        body: serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("revision {id}: {e}")))?,
    })
}

const REVISION_COLUMNS: &str = "seq, id, entry_id, revision, officer_id, submitted_at, body";

fn revision_row(r: &rusqlite::Row) -> rusqlite::Result<RevisionRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
}

impl Store {
    /// Starts a new entry for `officer_id`: an empty draft dated now.
    pub fn new_draft(&self, officer_id: &str) -> Result<Draft> {
        let now = self.now();
        let body = DiaryBody { visited_at: Some(now), ..DiaryBody::default() };
        let entry_id = Uuid::now_v7();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO diary_drafts (entry_id, officer_id, base_revision, body, created_at, updated_at)
                 VALUES (?1, ?2, 0, ?3, ?4, ?4)",
                params![entry_id.to_string(), officer_id, json(&body)?, now.to_rfc3339()],
            )?;
            Ok(())
        })?;
        Ok(Draft { entry_id, officer_id: officer_id.into(), base_revision: 0, body, updated_at: now })
    }

    /// Saves what the officer typed (the editor calls this debounced).
    pub fn save_draft(&self, officer_id: &str, entry_id: Uuid, body: &DiaryBody) -> Result<Draft> {
        let now = self.now();
        let changed = self.write(|tx| {
            Ok(tx.execute(
                "UPDATE diary_drafts SET body = ?1, updated_at = ?2 WHERE entry_id = ?3 AND officer_id = ?4",
                params![json(body)?, now.to_rfc3339(), entry_id.to_string(), officer_id],
            )?)
        })?;
        if changed == 0 {
            return Err(Error::UnknownEntry);
        }
        self.draft(officer_id, entry_id)?.ok_or(Error::UnknownEntry)
    }

    pub fn draft(&self, officer_id: &str, entry_id: Uuid) -> Result<Option<Draft>> {
        let row: Option<(u32, String, String)> = self
            .conn()
            .query_row(
                "SELECT base_revision, body, updated_at FROM diary_drafts WHERE entry_id = ?1 AND officer_id = ?2",
                params![entry_id.to_string(), officer_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(base_revision, body, updated_at)| {
            Ok(Draft {
                entry_id,
                officer_id: officer_id.into(),
                base_revision,
                body: serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("draft {entry_id}: {e}")))?,
                updated_at: time(&updated_at)?,
            })
        })
        .transpose()
    }

    pub fn delete_draft(&self, officer_id: &str, entry_id: Uuid) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM diary_drafts WHERE entry_id = ?1 AND officer_id = ?2",
                params![entry_id.to_string(), officer_id],
            )?;
            Ok(())
        })
    }

    /// Opens a submitted entry for editing: a draft from its latest revision
    /// (or the draft already open).
    pub fn edit_entry(&self, officer_id: &str, entry_id: Uuid) -> Result<Draft> {
        if let Some(d) = self.draft(officer_id, entry_id)? {
            return Ok(d);
        }
        let latest = self.history(officer_id, entry_id)?.pop().ok_or(Error::UnknownEntry)?;
        let now = self.now();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO diary_drafts (entry_id, officer_id, base_revision, body, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![entry_id.to_string(), officer_id, latest.revision, json(&latest.body)?, now.to_rfc3339()],
            )?;
            Ok(())
        })?;
        self.draft(officer_id, entry_id)?.ok_or(Error::UnknownEntry)
    }

    /// Checks the draft and makes it the entry's next revision, in one
    /// transaction with removing the draft.
    pub fn submit_entry(&self, officer_id: &str, entry_id: Uuid) -> Result<DiaryRevision> {
        let draft = self.draft(officer_id, entry_id)?.ok_or(Error::UnknownEntry)?;
        let issues = draft.body.issues();
        if !issues.is_empty() {
            return Err(Error::DiaryIncomplete(issues));
        }
        for p in &draft.body.photos {
            if !self.has_photo(&p.sha256)? {
                return Err(Error::Corrupt(format!("photo {} of entry {entry_id} is missing", p.sha256)));
            }
        }
        // Milliseconds, as ratings: what a server keeps of a time, to the digit.
        let now = chrono::SubsecRound::trunc_subsecs(self.now(), 3);
        let id = Uuid::now_v7();
        let seq = self.write(|tx| {
            let last: Option<u32> = tx.query_row(
                "SELECT max(revision) FROM diary_revisions WHERE entry_id = ?1",
                [entry_id.to_string()],
                |r| r.get(0),
            )?;
            if last.unwrap_or(0) != draft.base_revision {
                return Err(Error::Corrupt(format!("entry {entry_id} changed under its draft")));
            }
            tx.execute(
                "INSERT INTO diary_revisions (id, entry_id, revision, officer_id, submitted_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id.to_string(),
                    entry_id.to_string(),
                    draft.base_revision + 1,
                    officer_id,
                    crate::ratings::format_time(now),
                    json(&draft.body)?
                ],
            )?;
            let seq = tx.last_insert_rowid() as u64;
            tx.execute("DELETE FROM diary_drafts WHERE entry_id = ?1", [entry_id.to_string()])?;
            Ok(seq)
        })?;
        tracing::info!(%entry_id, revision = draft.base_revision + 1, seq, "diary entry submitted");
        Ok(DiaryRevision {
            id,
            entry_id,
            revision: draft.base_revision + 1,
            seq,
            device_id: self.device_id(),
            officer_id: officer_id.into(),
            submitted_at: now,
            body: draft.body,
        })
    }

    /// Every submitted revision of an entry, oldest first.
    pub fn history(&self, officer_id: &str, entry_id: Uuid) -> Result<Vec<DiaryRevision>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE entry_id = ?1 AND officer_id = ?2 ORDER BY revision"
        ))?;
        let rows = stmt.query_map(params![entry_id.to_string(), officer_id], revision_row)?;
        rows.map(|r| revision(r?, self.device_id())).collect()
    }

    /// The officer's entries, newest first: only their own.
    pub fn entries(&self, officer_id: &str) -> Result<Vec<EntrySummary>> {
        let acked = self.acked_through(tiyan_core::protocol::RecordKind::Diary)?;
        let ids: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(
                "SELECT entry_id, max(at) FROM (
                     SELECT entry_id, updated_at AS at FROM diary_drafts WHERE officer_id = ?1
                     UNION ALL SELECT entry_id, submitted_at FROM diary_revisions WHERE officer_id = ?1)
                 GROUP BY entry_id ORDER BY max(at) DESC",
            )?;
            stmt.query_map([officer_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        ids.iter()
            .map(|id| {
                let entry_id = uuid(id)?;
                let latest = self.history(officer_id, entry_id)?.pop();
                Ok(EntrySummary {
                    entry_id,
                    draft: self.draft(officer_id, entry_id)?,
                    synced: latest.as_ref().is_some_and(|l| l.seq <= acked),
                    latest,
                })
            })
            .collect()
    }

    /// Revisions after `seq`, in sequence order: the diary stream for sync.
    pub fn diary_after(&self, seq: u64, limit: usize) -> Result<Vec<DiaryRevision>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {REVISION_COLUMNS} FROM diary_revisions WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![seq, limit as i64], revision_row)?;
        rows.map(|r| revision(r?, self.device_id())).collect()
    }

    /// Runs a photo through the pipeline (the caller keeps this off the UI
    /// thread) and keeps it. The same picture twice is kept once.
    pub fn add_photo(&self, officer_id: &str, bytes: &[u8]) -> Result<PhotoInfo> {
        let DiaryPhoto { jpeg, thumb, width, height, sha256 } =
            photo::diary_photo(bytes).map_err(Error::PhotoRefused)?;
        let now = self.now().to_rfc3339();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO diary_photos (sha256, officer_id, bytes, thumb, width, height, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (sha256) DO NOTHING",
                params![sha256, officer_id, jpeg, thumb, width, height, now],
            )?;
            Ok(())
        })?;
        Ok(PhotoInfo { sha256, width, height, bytes: jpeg.len() })
    }

    pub fn has_photo(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM diary_photos WHERE sha256 = ?1", [sha256], |r| r.get::<_, i64>(0))?
            > 0)
    }

    /// The processed JPEG (`thumb`: its thumbnail).
    pub fn photo(&self, sha256: &str, thumb: bool) -> Result<Vec<u8>> {
        let column = if thumb { "thumb" } else { "bytes" };
        self.conn()
            .query_row(&format!("SELECT {column} FROM diary_photos WHERE sha256 = ?1"), [sha256], |r| r.get(0))
            .optional()?
            .ok_or(Error::UnknownPhoto)
    }

    /// Photos of submitted revisions the server does not have yet, oldest first.
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT p.sha256 FROM diary_photos p
             WHERE p.uploaded_at IS NULL AND EXISTS (
                 SELECT 1 FROM diary_revisions r, json_each(r.body, '$.photos') j
                 WHERE json_extract(j.value, '$.sha256') = p.sha256)
             ORDER BY p.added_at",
        )?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    pub fn mark_photo_uploaded(&self, sha256: &str) -> Result<()> {
        let now = self.now().to_rfc3339();
        self.write(|tx| {
            tx.execute("UPDATE diary_photos SET uploaded_at = ?1 WHERE sha256 = ?2", params![now, sha256])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use tiyan_core::diary::{Channel, DiaryIssue, Mode, PhotoRef, Problem, ProblemCategory};

    use super::*;
    use crate::officers::tests::signed_in_officer;

    fn complete(body: &mut DiaryBody) {
        body.hall_id = Some("jianghai".into());
        body.matter_text = "个体工商户设立登记".into();
        body.channel = Some(Channel::Window);
        body.mode = Some(Mode::Unannounced);
        body.score = Some(8);
        body.account = "九点取号，等了半小时。".into();
        body.problems =
            vec![Problem {
                id: Uuid::now_v7(), category: ProblemCategory::WindowSigns, text: "叫号屏太暗".into()
            }];
    }

    #[test]
    fn a_draft_survives_reopening_and_a_submit_makes_revision_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        let officer = signed_in_officer(&store, "officer-01");
        let mut draft = store.new_draft(&officer).unwrap();
        complete(&mut draft.body);
        draft.body.score = None;
        store.save_draft(&officer, draft.entry_id, &draft.body).unwrap();
        drop(store);

        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        let mut reopened = store.draft(&officer, draft.entry_id).unwrap().unwrap();
        assert_eq!(reopened.body, draft.body);
        assert!(matches!(
            store.submit_entry(&officer, draft.entry_id),
            Err(Error::DiaryIncomplete(issues)) if issues == vec![DiaryIssue::Score]
        ));
        reopened.body.score = Some(7);
        store.save_draft(&officer, draft.entry_id, &reopened.body).unwrap();
        let r1 = store.submit_entry(&officer, draft.entry_id).unwrap();
        assert_eq!((r1.revision, r1.seq), (1, 1));
        assert!(store.draft(&officer, draft.entry_id).unwrap().is_none());

        // An edit after submitting is revision 2; revision 1 stays.
        let mut edit = store.edit_entry(&officer, draft.entry_id).unwrap();
        assert_eq!(edit.base_revision, 1);
        edit.body.score = Some(9);
        store.save_draft(&officer, draft.entry_id, &edit.body).unwrap();
        let r2 = store.submit_entry(&officer, draft.entry_id).unwrap();
        assert_eq!((r2.revision, r2.seq), (2, 2));
        let history = store.history(&officer, draft.entry_id).unwrap();
        assert_eq!(history.iter().map(|r| r.body.score).collect::<Vec<_>>(), vec![Some(7), Some(9)]);
        assert_eq!(store.diary_after(0, 10).unwrap(), history);
        assert!(store.conn().execute("DELETE FROM diary_revisions", []).is_err(), "append-only");
    }

    #[test]
    fn each_officer_sees_only_their_own_entries() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        let a = signed_in_officer(&store, "officer-01");
        let b = signed_in_officer(&store, "officer-02");
        let mine = store.new_draft(&a).unwrap();
        store.new_draft(&b).unwrap();
        assert_eq!(store.entries(&a).unwrap().iter().map(|e| e.entry_id).collect::<Vec<_>>(), vec![mine.entry_id]);
        assert!(matches!(store.save_draft(&b, mine.entry_id, &mine.body), Err(Error::UnknownEntry)));
        assert!(store.draft(&b, mine.entry_id).unwrap().is_none());
        store.delete_draft(&a, mine.entry_id).unwrap();
        assert!(store.entries(&a).unwrap().is_empty());
    }

    #[test]
    fn photos_are_kept_once_and_queued_once_submitted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tiyan.db")).unwrap();
        let officer = signed_in_officer(&store, "officer-01");
        let jpeg = photo::samples::with_exif_rotation_and_gps(&photo::samples::two_colour_jpeg(400, 300));
        let p = store.add_photo(&officer, &jpeg).unwrap();
        assert_eq!(store.add_photo(&officer, &jpeg).unwrap(), p);
        assert!(matches!(store.add_photo(&officer, b"not a picture"), Err(Error::PhotoRefused(_))));
        let mut draft = store.new_draft(&officer).unwrap();
        complete(&mut draft.body);
        draft.body.photos.push(PhotoRef { sha256: p.sha256.clone(), caption: "叫号屏".into() });
        store.save_draft(&officer, draft.entry_id, &draft.body).unwrap();
        assert!(store.photos_to_upload().unwrap().is_empty(), "a draft's photos stay on the laptop");
        store.submit_entry(&officer, draft.entry_id).unwrap();
        assert_eq!(store.photos_to_upload().unwrap(), vec![p.sha256.clone()]);
        store.mark_photo_uploaded(&p.sha256).unwrap();
        assert!(store.photos_to_upload().unwrap().is_empty());
        assert_eq!(crate::sha256_hex(&store.photo(&p.sha256, false).unwrap()), p.sha256);
    }
}
