//! Reference data in the SQLite file: versioned as a whole for the hall
//! office and officer laptops, and per hall for kiosks (a change moves the
//! versions of the halls whose kiosks hold what changed).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::Text;
use tiyan_core::intake::Catalog;
use tiyan_core::protocol::ReferenceUpdate;
use tiyan_core::reference::{
    Change, FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Row as RefRow, Staff, Window, next_version,
};
use tiyan_core::region::{Division, Region};

use super::{SqliteStore, date, q};
use tiyan_storage::{
    Error, OfficerCredentials, PasswordHash, ReferenceEdit, ReferenceImport, ReferenceStore, Result, holders,
    reference_table, sql,
};

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

/// What a kiosk of `hall` holds: the hall's version (the whole data's for a
/// hall written before versions were kept per hall).
pub(super) fn hall_version(c: &Connection, hall: &str) -> Result<Option<i64>> {
    let own: Option<Option<i64>> =
        c.prepare_cached(&q(sql::reference::HALL_VERSION))?.query_row([hall], |r| r.get(0)).optional()?;
    match own.flatten() {
        Some(v) => Ok(Some(v)),
        None => version(c),
    }
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
                    move_halls(tx, None, next)?;
                    Ok(next)
                }
            }
        })
        .await
    }

    async fn edit_reference(&self, edit: &ReferenceEdit) -> Result<i64> {
        let edit = edit.clone();
        self.write(move |tx| {
            let current = version(tx)?;
            if !tiyan_core::reference::edit_is_current(edit.based_on, current) {
                return Err(Error::Stale);
            }
            for (sha, bytes) in &edit.photos {
                tx.execute("INSERT OR IGNORE INTO photos (sha256, bytes) VALUES (?1, ?2)", params![sha, bytes])?;
            }
            match &edit.change {
                Change::Upsert(row) => upsert_row(tx, row)?,
                Change::Retire(kind, id) => {
                    let (table, key) = reference_table(*kind);
                    let sql = format!("UPDATE {table} SET active = 0 WHERE {key} = ?1 AND active = 1");
                    if tx.execute(&sql, [id])? == 0 {
                        return Err(Error::NotFound(table.into()));
                    }
                }
            }
            for (id, hash) in &edit.passwords {
                tx.execute(&q(sql::reference::OFFICER_PASSWORD), params![hash.phc(), id])?;
            }
            let next = next_version(current, 0);
            set_meta(tx, "reference_version", &next.to_string())?;
            // The whole data's fingerprint is not computed for one row: the next import is written.
            set_meta(tx, "reference_hash", "")?;
            move_halls(tx, holders(&edit.holders), next)?;
            Ok(next)
        })
        .await
    }

    async fn hall_reference(&self, hall: &str, since: Option<i64>) -> Result<ReferenceUpdate> {
        let hall = hall.to_string();
        self.read_tx(move |tx| {
            let version = hall_version(tx, &hall)?;
            let data = match version {
                Some(_) if version != since => Some(read_reference_of(tx, Some(&hall))?),
                _ => None,
            };
            Ok(ReferenceUpdate { version, data })
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
    d.regions.iter().try_for_each(|r| upsert_region(tx, r))?;
    d.halls.iter().try_for_each(|h| upsert_hall(tx, h))?;
    d.windows.iter().try_for_each(|w| upsert_window(tx, w))?;
    d.staff.iter().try_for_each(|s| upsert_staff(tx, s))?;
    for (i, r) in d.reasons.iter().enumerate() {
        upsert_reason(tx, r, Some(i as i64))?;
    }
    d.matters.iter().try_for_each(|m| upsert_matter(tx, m))?;
    d.officers.iter().try_for_each(|o| upsert_officer(tx, o))
}

/// Writes one row of a change in the page.
fn upsert_row(tx: &Connection, row: &RefRow) -> Result<()> {
    match row {
        RefRow::Region(r) => upsert_region(tx, r),
        RefRow::Hall(h) => upsert_hall(tx, h),
        RefRow::Window(w) => upsert_window(tx, w),
        RefRow::Staff(s) => upsert_staff(tx, s),
        RefRow::Reason(r) => upsert_reason(tx, r, None),
        RefRow::Matter(m) => upsert_matter(tx, m),
        RefRow::Officer(o) => upsert_officer(tx, o),
    }
}

fn upsert_region(tx: &Connection, r: &Region) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO regions (code, name_zh, name_en, active) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, active = 1",
    )?
    .execute(params![r.code.as_str(), r.name.zh, r.name.en])?;
    Ok(())
}

fn upsert_hall(tx: &Connection, h: &Hall) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO halls (id, name_zh, name_en, division, credit_code, active) VALUES (?1, ?2, ?3, ?4, ?5, 1)
         ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
             division = excluded.division, credit_code = excluded.credit_code, active = 1",
    )?
    .execute(params![h.id, h.name.zh, h.name.en, h.division.as_ref().map(Division::as_str), h.credit_code])?;
    Ok(())
}

fn upsert_window(tx: &Connection, w: &Window) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO windows (id, hall_id, number, name_zh, name_en, credit_code, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
         ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, number = excluded.number,
             name_zh = excluded.name_zh, name_en = excluded.name_en, credit_code = excluded.credit_code, active = 1",
    )?
    .execute(params![w.id, w.hall_id, w.number, w.name.zh, w.name.en, w.credit_code])?;
    Ok(())
}

fn upsert_staff(tx: &Connection, s: &Staff) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO staff (id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)
         ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, employee_no = excluded.employee_no,
             name = excluded.name, department_zh = excluded.department_zh, department_en = excluded.department_en,
             pin_hash = excluded.pin_hash, photo_sha256 = excluded.photo_sha256, active = 1",
    )?
    .execute(params![
        s.id,
        s.hall_id,
        s.employee_no,
        s.name,
        s.department.as_ref().map(|t| &t.zh),
        s.department.as_ref().map(|t| &t.en),
        s.pin_hash,
        s.photo_sha256
    ])?;
    Ok(())
}

/// `position`: the reason's place in the kiosk's list (None: a new one goes
/// last, a changed one keeps its place).
fn upsert_reason(tx: &Connection, r: &Reason, position: Option<i64>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO reasons (code, label_zh, label_en, position, indicator, active)
         VALUES (?1, ?2, ?3, coalesce(?4, (SELECT coalesce(max(position), -1) + 1 FROM reasons)), ?5, 1)
         ON CONFLICT (code) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
             position = coalesce(?4, reasons.position), indicator = excluded.indicator, active = 1",
    )?
    .execute(params![r.code, r.label.zh, r.label.en, position, r.indicator])?;
    Ok(())
}

fn upsert_matter(tx: &Connection, m: &Matter) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO matters (id, name_zh, name_en, category_zh, category_en, quarter, task_code, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)
         ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
             category_zh = excluded.category_zh, category_en = excluded.category_en, quarter = excluded.quarter,
             task_code = excluded.task_code, active = 1",
    )?
    .execute(params![m.id, m.name.zh, m.name.en, m.category.zh, m.category.en, m.quarter, m.task_code])?;
    Ok(())
}

fn upsert_officer(tx: &Connection, o: &Officer) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO officers (id, name, gender, age, occupation, appointed_from, appointed_to, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, age = excluded.age,
             occupation = excluded.occupation, appointed_from = excluded.appointed_from,
             appointed_to = excluded.appointed_to, active = 1",
    )?
    .execute(params![
        o.id,
        o.name,
        o.gender,
        o.age,
        o.occupation,
        o.appointed_from.to_string(),
        o.appointed_to.to_string()
    ])?;
    Ok(())
}

/// A new edition of the data for `halls`' kiosks only (their hall's settings
/// changed): the whole data's version moves too, so that versions stay one sequence.
pub(super) fn new_edition(tx: &Connection, halls: &[String]) -> Result<()> {
    let next = next_version(version(tx)?, 0);
    set_meta(tx, "reference_version", &next.to_string())?;
    move_halls(tx, Some(halls), next)
}

/// Moves the version of the halls whose kiosks hold what changed (None: every hall).
fn move_halls(tx: &Connection, halls: Option<&[String]>, version: i64) -> Result<()> {
    match halls {
        None => {
            tx.execute("UPDATE halls SET reference_version = ?1", [version])?;
        }
        Some(halls) => {
            let mut stmt = tx.prepare_cached("UPDATE halls SET reference_version = ?1 WHERE id = ?2")?;
            for h in halls {
                stmt.execute(params![version, h])?;
            }
        }
    }
    Ok(())
}

fn read_reference(c: &Connection) -> Result<ReferenceData> {
    read_reference_of(c, None)
}

/// The data as it stands, or (with `hall`) what a kiosk of the hall holds.
fn read_reference_of(c: &Connection, hall: Option<&str>) -> Result<ReferenceData> {
    // Spelt apart (not `?1 IS NULL OR ...`) so that a hall's read uses the index.
    let (only_hall, of_hall) =
        if hall.is_some() { ("AND id = ?1", "AND hall_id = ?1") } else { ("AND ?1 IS NULL", "AND ?1 IS NULL") };
    let text = |zh: String, en: String| Text::new(zh, en);
    let division = |code: Option<String>| code.and_then(|c| Division::parse(&c).ok());
    let mut halls: Vec<Hall> = c
        .prepare(&format!(
            "SELECT id, name_zh, name_en, division, credit_code FROM halls WHERE active = 1 {only_hall} ORDER BY id"
        ))?
        .query_map([hall], |r| {
            let name = text(r.get(1)?, r.get(2)?);
            Ok(Hall { kiosk: None, id: r.get(0)?, name, division: division(r.get(3)?), credit_code: r.get(4)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    // A kiosk's data carries what the hall office set for it.
    if hall.is_some() {
        for h in &mut halls {
            h.kiosk = Some(super::assessment::figure_settings(c, &h.id)?.centre());
        }
    }
    // A kiosk holds neither the tree (but the region its hall hangs under), the
    // experience list nor the officers.
    let whole = if hall.is_none() { "" } else { " AND 0" };
    let in_tree =
        if hall.is_none() { "AND ?1 IS NULL" } else { "AND code IN (SELECT division FROM halls WHERE id = ?1)" };
    let regions = c
        .prepare(&format!("SELECT code, name_zh, name_en FROM regions WHERE active = 1 {in_tree} ORDER BY code"))?
        .query_map([hall], |r| Ok((division(r.get(0)?), text(r.get(1)?, r.get(2)?))))?
        .filter_map(|r| r.map(|(code, name)| code.map(|code| Region { code, name })).transpose())
        .collect::<rusqlite::Result<_>>()?;
    let windows = c
        .prepare(&format!(
            "SELECT id, hall_id, number, name_zh, name_en, credit_code FROM windows WHERE active = 1 {of_hall}
                 ORDER BY hall_id, number"
        ))?
        .query_map([hall], |r| {
            let name = text(r.get(3)?, r.get(4)?);
            Ok(Window { id: r.get(0)?, hall_id: r.get(1)?, number: r.get(2)?, name, credit_code: r.get(5)? })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let staff = c
        .prepare(&format!(
            "SELECT id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256
             FROM staff WHERE active = 1 {of_hall} ORDER BY employee_no"
        ))?
        .query_map([hall], |r| {
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
        .prepare("SELECT code, label_zh, label_en, indicator FROM reasons WHERE active = 1 ORDER BY position")?
        .query_map([], |r| Ok(Reason { code: r.get(0)?, label: text(r.get(1)?, r.get(2)?), indicator: r.get(3)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let matters = c
        .prepare(&format!(
            "SELECT id, name_zh, name_en, category_zh, category_en, quarter, task_code FROM matters
                 WHERE active = 1{whole} ORDER BY id"
        ))?
        .query_map([], |r| {
            Ok(Matter {
                id: r.get(0)?,
                name: text(r.get(1)?, r.get(2)?),
                category: text(r.get(3)?, r.get(4)?),
                quarter: r.get(5)?,
                task_code: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let officers = c
        .prepare(&format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE active = 1{whole} ORDER BY id"))?
        .query_map([], officer_row)?
        .collect::<rusqlite::Result<_>>()?;
    let version = match hall {
        Some(h) => hall_version(c, h)?,
        None => version(c)?,
    };
    Ok(ReferenceData {
        format: FORMAT.into(),
        version: version.unwrap_or(0),
        halls,
        windows,
        staff,
        reasons,
        matters,
        officers,
        regions,
    })
}
