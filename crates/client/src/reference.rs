//! Importing reference data (halls, windows, staff with photos, reasons) and
//! reading it back for the screens.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use tiyan_core::Text;
use tiyan_core::reference::ReferenceData;

use crate::store::{Store, get_meta, set_meta};
use crate::{Error, Result, photo, sha256_hex};

/// A reference-data file larger than this is not one.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportSummary {
    pub version: i64,
    pub halls: usize,
    pub windows: usize,
    pub staff: usize,
    pub reasons: usize,
    /// The same version was already imported; nothing changed.
    pub unchanged: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct WindowInfo {
    pub id: String,
    pub hall_id: String,
    pub hall_name: Text,
    pub number: String,
    pub name: Text,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ReasonInfo {
    pub code: String,
    pub label: Text,
}

impl Store {
    /// Reads a reference-data file and the photos beside it, checks all of it,
    /// and only then replaces the reference tables in one transaction: a bad file
    /// changes nothing.
    pub fn import_reference_file(&self, path: &Path) -> Result<ImportSummary> {
        let file_error = |reason: String| Error::ReferenceFile { path: path.to_path_buf(), reason };
        let len = std::fs::metadata(path).map_err(|e| file_error(e.to_string()))?.len();
        if len > MAX_FILE_BYTES {
            return Err(file_error(format!("larger than {} MB", MAX_FILE_BYTES / 1024 / 1024)));
        }
        let bytes = std::fs::read(path).map_err(|e| file_error(e.to_string()))?;
        let mut data: ReferenceData = serde_json::from_slice(&bytes).map_err(|e| file_error(e.to_string()))?;
        data.validate()?;
        if let Some(summary) = self.unchanged_or_older(&data)? {
            return Ok(summary);
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut thumbs = Vec::with_capacity(data.staff.len());
        for s in &mut data.staff {
            let thumb = match &s.photo {
                None => None,
                Some(p) => {
                    let photo_error = |reason: String| Error::Photo {
                        staff: s.employee_no.clone(),
                        reason: format!("{p}: {reason}"),
                    };
                    let bytes = std::fs::read(base.join(p)).map_err(|e| photo_error(e.to_string()))?;
                    s.photo_sha256 = Some(sha256_hex(&bytes));
                    Some(photo::thumbnail(&bytes).map_err(photo_error)?)
                }
            };
            thumbs.push(thumb);
        }
        self.apply_reference(&data, thumbs, false)
    }

    /// Replaces the reference tables with `data` in one transaction; `thumbs[i]`
    /// is the thumbnail of `data.staff[i]`. A file never takes the version back;
    /// the server (`from_server`) may, being the authority.
    pub fn apply_reference(
        &self,
        data: &ReferenceData,
        thumbs: Vec<Option<Vec<u8>>>,
        from_server: bool,
    ) -> Result<ImportSummary> {
        match self.unchanged_or_older(data) {
            Ok(Some(summary)) => return Ok(summary),
            Err(Error::ReferenceOlder { .. }) if from_server => {}
            other => {
                other?;
            }
        }
        let now = self.now().to_rfc3339();
        self.write(|tx| replace_reference(tx, data, &thumbs, &now))
    }

    /// The thumbnails already here, by the SHA-256 of the photo they were made from.
    pub fn thumbnails_by_photo(&self) -> Result<HashMap<String, Vec<u8>>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT photo_sha256, thumbnail FROM staff WHERE photo_sha256 IS NOT NULL AND thumbnail IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn unchanged_or_older(&self, data: &ReferenceData) -> Result<Option<ImportSummary>> {
        let Some(have) = self.reference_version()? else { return Ok(None) };
        if data.version < have {
            return Err(Error::ReferenceOlder { have, got: data.version });
        }
        Ok((data.version == have).then(|| summary(data, true)))
    }

    /// The version of the imported reference data, if any was imported.
    pub fn reference_version(&self) -> Result<Option<i64>> {
        let v = get_meta(&self.conn(), "reference_version")?;
        v.map(|s| s.parse().map_err(|_| Error::Corrupt(format!("reference_version {s:?}")))).transpose()
    }

    /// Every active window, for binding the kiosk during setup.
    pub fn windows(&self) -> Result<Vec<WindowInfo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT w.id, w.hall_id, h.name_zh, h.name_en, w.number, w.name_zh, w.name_en
             FROM windows w JOIN halls h ON h.id = w.hall_id WHERE w.active = 1 ORDER BY h.id, w.number",
        )?;
        let rows = stmt.query_map([], window_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn window(&self, id: &str) -> Result<Option<WindowInfo>> {
        let conn = self.conn();
        let w = conn
            .query_row(
                "SELECT w.id, w.hall_id, h.name_zh, h.name_en, w.number, w.name_zh, w.name_en
                 FROM windows w JOIN halls h ON h.id = w.hall_id WHERE w.id = ?1 AND w.active = 1",
                [id],
                window_row,
            )
            .optional()?;
        Ok(w)
    }

    /// The active bad-review reasons, in the order of the file.
    pub fn reasons(&self) -> Result<Vec<ReasonInfo>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT code, label_zh, label_en FROM reasons WHERE active = 1 ORDER BY position")?;
        let rows = stmt.query_map([], |r| {
            Ok(ReasonInfo { code: r.get(0)?, label: Text::new(r.get::<_, String>(1)?, r.get::<_, String>(2)?) })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

fn window_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WindowInfo> {
    Ok(WindowInfo {
        id: r.get(0)?,
        hall_id: r.get(1)?,
        hall_name: Text::new(r.get::<_, String>(2)?, r.get::<_, String>(3)?),
        number: r.get(4)?,
        name: Text::new(r.get::<_, String>(5)?, r.get::<_, String>(6)?),
    })
}

fn summary(data: &ReferenceData, unchanged: bool) -> ImportSummary {
    ImportSummary {
        version: data.version,
        halls: data.halls.len(),
        windows: data.windows.len(),
        staff: data.staff.len(),
        reasons: data.reasons.len(),
        unchanged,
    }
}

/// Upserts everything in the file and retires (never deletes) what it no longer
/// lists: ratings and sessions keep pointing at real rows.
fn replace_reference(
    tx: &Transaction<'_>,
    data: &ReferenceData,
    thumbs: &[Option<Vec<u8>>],
    now: &str,
) -> Result<ImportSummary> {
    // The quarter's experience list, for an officer laptop's matter picker.
    crate::store::set_meta(
        tx,
        "matters",
        &serde_json::to_string(&data.matters).map_err(|e| Error::Corrupt(e.to_string()))?,
    )?;
    for h in &data.halls {
        tx.execute(
            "INSERT INTO halls (id, name_zh, name_en) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en",
            params![h.id, h.name.zh, h.name.en],
        )?;
    }
    tx.execute("UPDATE windows SET active = 0", [])?;
    for w in &data.windows {
        tx.execute(
            "INSERT INTO windows (id, hall_id, number, name_zh, name_en, active) VALUES (?1, ?2, ?3, ?4, ?5, 1)
             ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, number = excluded.number,
                 name_zh = excluded.name_zh, name_en = excluded.name_en, active = 1",
            params![w.id, w.hall_id, w.number, w.name.zh, w.name.en],
        )?;
    }
    tx.execute("UPDATE staff SET active = 0", [])?;
    for (s, thumb) in data.staff.iter().zip(thumbs) {
        tx.execute(
            "INSERT INTO staff (id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256,
                                thumbnail, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)
             ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, employee_no = excluded.employee_no,
                 name = excluded.name, department_zh = excluded.department_zh, department_en = excluded.department_en,
                 pin_hash = excluded.pin_hash, photo_sha256 = excluded.photo_sha256, thumbnail = excluded.thumbnail,
                 active = 1",
            params![
                s.id,
                s.hall_id,
                s.employee_no,
                s.name,
                s.department.as_ref().map(|d| &d.zh),
                s.department.as_ref().map(|d| &d.en),
                s.pin_hash,
                s.photo_sha256,
                thumb,
            ],
        )?;
    }
    tx.execute("UPDATE reasons SET active = 0", [])?;
    for (position, r) in data.reasons.iter().enumerate() {
        tx.execute(
            "INSERT INTO reasons (code, label_zh, label_en, position, active) VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (code) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
                 position = excluded.position, active = 1",
            params![r.code, r.label.zh, r.label.en, position as i64],
        )?;
    }
    tx.execute(
        "UPDATE staff_sessions SET signed_out_at = ?1, signed_out_by = 'reference'
         WHERE signed_out_at IS NULL AND staff_id IN (SELECT id FROM staff WHERE active = 0)",
        [now],
    )?;
    // What the centre set for the halls' kiosks (a file from elsewhere sets nothing).
    let centre = data.halls.iter().filter_map(|h| h.kiosk.clone().map(|k| (h.id.clone(), k))).collect();
    crate::settings::write_centre(tx, &centre)?;
    set_meta(tx, "reference_version", &data.version.to_string())?;
    Ok(summary(data, false))
}

impl crate::Store {
    /// The halls (id, names) and the quarter's experience list, for the diary's pickers.
    pub fn diary_choices(&self) -> Result<DiaryChoices> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id, name_zh, name_en FROM halls ORDER BY id")?;
        let halls = stmt
            .query_map([], |r| {
                Ok(tiyan_core::reference::Hall {
                    kiosk: None,
                    id: r.get(0)?,
                    name: tiyan_core::Text::new(r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                    division: None,
                    credit_code: None,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let matters = match crate::store::get_meta(&conn, "matters")? {
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("matters: {e}")))?,
            None => Vec::new(),
        };
        Ok(DiaryChoices { halls, matters })
    }
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct DiaryChoices {
    pub halls: Vec<tiyan_core::reference::Hall>,
    pub matters: Vec<tiyan_core::reference::Matter>,
}
