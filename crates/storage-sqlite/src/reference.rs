//! Reference data in the SQLite file, versioned as a whole.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::Text;
use tiyan_core::intake::Catalog;
use tiyan_core::reference::{FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Staff, Window, next_version};
use tiyan_core::region::{Division, Region};

use super::{SqliteStore, date, q};
use tiyan_storage::{Error, OfficerCredentials, PasswordHash, ReferenceImport, ReferenceStore, Result, sql};

const OFFICER_COLUMNS: &str = "id, name, gender, age, occupation, appointed_from, appointed_to";

fn officer_row(r: &Row) -> rusqlite::Result<Officer> {
    Ok(Officer {
        id: r.get(0)?,
        name: r.get(1)?,
        gender: r.get(2)?,
        age: r.get(3)?,
        occupation: r.get(4)?,
        appointed_from: date(&r.get::<_, String>(5)?)?,
        appointed_to: date(&r.get::<_, String>(6)?)?,
    })
}

fn meta(c: &Connection, key: &str) -> Result<Option<String>> {
    Ok(c.prepare_cached(&q(sql::reference::META))?.query_row([key], |r| r.get(0)).optional()?)
}

pub(super) fn version(c: &Connection) -> Result<Option<i64>> {
    Ok(meta(c, "reference_version")?.and_then(|v| v.parse().ok()))
}

fn set_meta(tx: &Connection, key: &str, value: &str) -> Result<()> {
    tx.execute(&q(sql::reference::SET_META), [key, value])?;
    Ok(())
}

#[async_trait]
impl ReferenceStore for SqliteStore {
    async fn reference_version(&self) -> Result<Option<i64>> {
        self.read(version).await
    }

    async fn reference(&self) -> Result<ReferenceData> {
        self.read_tx(read_reference).await
    }

    async fn import_reference(&self, import: &ReferenceImport) -> Result<i64> {
        let import = import.clone();
        self.write(move |tx| {
            let current = version(tx)?;
            if !import.basis.admits(current) {
                return Err(Error::Stale);
            }
            let unchanged =
                current.is_some() && meta(tx, "reference_hash")?.as_deref() == Some(import.fingerprint.as_str());
            if !unchanged {
                for (sha, bytes) in &import.photos {
                    tx.execute("INSERT OR IGNORE INTO photos (sha256, bytes) VALUES (?1, ?2)", params![sha, bytes])?;
                }
                write_reference(tx, &import.data)?;
            }
            for (id, hash) in &import.passwords {
                tx.execute(&q(sql::reference::OFFICER_PASSWORD), params![hash.phc(), id])?;
            }
            match current {
                Some(v) if unchanged => Ok(v),
                _ => {
                    let next = next_version(current, import.data.version);
                    set_meta(tx, "reference_version", &next.to_string())?;
                    set_meta(tx, "reference_hash", &import.fingerprint)?;
                    Ok(next)
                }
            }
        })
        .await
    }

    async fn catalog(&self) -> Result<(Option<i64>, Catalog)> {
        self.read_tx(|tx| {
            let mut catalog = Catalog::default();
            for (table, staff) in [("windows", false), ("staff", true)] {
                let mut stmt = tx.prepare(&format!("SELECT hall_id, id FROM {table}"))?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let hall = catalog.halls.entry(r.get(0)?).or_default();
                    if staff { &mut hall.staff } else { &mut hall.windows }.insert(r.get(1)?);
                }
            }
            catalog.reasons =
                tx.prepare(&q(sql::reference::REASON_CODES))?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            catalog.officers =
                tx.prepare(&q(sql::reference::OFFICER_IDS))?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok((version(tx)?, catalog))
        })
        .await
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let sha256 = sha256.to_string();
        self.read(move |c| Ok(c.query_row(&q(sql::reference::PHOTO), [sha256], |r| r.get(0)).optional()?)).await
    }

    async fn officer_credentials(&self, officer_id: &str) -> Result<Option<OfficerCredentials>> {
        let id = officer_id.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                &format!("SELECT {OFFICER_COLUMNS}, password_hash FROM officers WHERE id = ?1 AND active = 1"),
                [id],
                |r| {
                    Ok(OfficerCredentials {
                        officer: officer_row(r)?,
                        password: r.get::<_, Option<String>>(7)?.map(PasswordHash::new),
                    })
                },
            )
            .optional()?)
        })
        .await
    }
}

/// Retires every row, then brings back (and updates) those the data lists:
/// nothing a stored record names is ever deleted.
fn write_reference(tx: &Connection, d: &ReferenceData) -> Result<()> {
    for table in ["regions", "halls", "windows", "staff", "reasons", "matters", "officers"] {
        tx.execute(&format!("UPDATE {table} SET active = 0"), [])?;
    }
    for r in &d.regions {
        tx.execute(
            "INSERT INTO regions (code, name_zh, name_en, active) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, active = 1",
            params![r.code.as_str(), r.name.zh, r.name.en],
        )?;
    }
    for h in &d.halls {
        tx.execute(
            "INSERT INTO halls (id, name_zh, name_en, division, active) VALUES (?1, ?2, ?3, ?4, 1)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                 division = excluded.division, active = 1",
            params![h.id, h.name.zh, h.name.en, h.division.as_ref().map(Division::as_str)],
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
            "INSERT INTO officers (id, name, gender, age, occupation, appointed_from, appointed_to, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, age = excluded.age,
                 occupation = excluded.occupation, appointed_from = excluded.appointed_from,
                 appointed_to = excluded.appointed_to, active = 1",
            params![
                o.id,
                o.name,
                o.gender,
                o.age,
                o.occupation,
                o.appointed_from.to_string(),
                o.appointed_to.to_string()
            ],
        )?;
    }
    Ok(())
}

fn read_reference(c: &Connection) -> Result<ReferenceData> {
    let text = |zh: String, en: String| Text::new(zh, en);
    let division = |code: Option<String>| code.and_then(|c| Division::parse(&c).ok());
    let halls = c
        .prepare("SELECT id, name_zh, name_en, division FROM halls WHERE active = 1 ORDER BY id")?
        .query_map([], |r| {
            Ok(Hall { id: r.get(0)?, name: text(r.get(1)?, r.get(2)?), division: division(r.get(3)?) })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let regions = c
        .prepare("SELECT code, name_zh, name_en FROM regions WHERE active = 1 ORDER BY code")?
        .query_map([], |r| Ok((division(r.get(0)?), text(r.get(1)?, r.get(2)?))))?
        .filter_map(|r| r.map(|(code, name)| code.map(|code| Region { code, name })).transpose())
        .collect::<rusqlite::Result<_>>()?;
    let windows = c
        .prepare("SELECT id, hall_id, number, name_zh, name_en FROM windows WHERE active = 1 ORDER BY hall_id, number")?
        .query_map([], |r| {
            Ok(Window { id: r.get(0)?, hall_id: r.get(1)?, number: r.get(2)?, name: text(r.get(3)?, r.get(4)?) })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let staff = c
        .prepare(
            "SELECT id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256
             FROM staff WHERE active = 1 ORDER BY employee_no",
        )?
        .query_map([], |r| {
            Ok(Staff {
                id: r.get(0)?,
                hall_id: r.get(1)?,
                employee_no: r.get(2)?,
                name: r.get(3)?,
                department: r
                    .get::<_, Option<String>>(4)?
                    .map(|zh| Text::new(zh, r.get::<_, Option<String>>(5).ok().flatten().unwrap_or_default())),
                pin_hash: r.get(6)?,
                photo: None,
                photo_sha256: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let reasons = c
        .prepare("SELECT code, label_zh, label_en FROM reasons WHERE active = 1 ORDER BY position")?
        .query_map([], |r| Ok(Reason { code: r.get(0)?, label: text(r.get(1)?, r.get(2)?) }))?
        .collect::<rusqlite::Result<_>>()?;
    let matters = c
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
    let officers = c
        .prepare(&format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE active = 1 ORDER BY id"))?
        .query_map([], officer_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ReferenceData {
        format: FORMAT.into(),
        version: version(c)?.unwrap_or(0),
        halls,
        windows,
        staff,
        reasons,
        matters,
        officers,
        regions,
    })
}
