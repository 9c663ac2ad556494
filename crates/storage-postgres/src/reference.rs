//! Reference data in PostgreSQL: versioned as a whole for the hall office
//! and officer laptops, and per hall for kiosks (a change moves the versions
//! of the halls whose kiosks hold what changed). Imports are serialised
//! by an advisory lock; a read is one REPEATABLE READ transaction, so it sees
//! one version whole.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tiyan_core::Text;
use tiyan_core::intake::Catalog;
use tiyan_core::protocol::ReferenceUpdate;
use tiyan_core::reference::{
    Change, FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Row as RefRow, Staff, Window, next_version,
};
use tiyan_core::region::{Division, Region};
use tokio_postgres::IsolationLevel;
use tokio_postgres::Row;

use super::PgStore;
use deadpool_postgres::Transaction;
use tiyan_storage::{
    Error, OfficerCredentials, PasswordHash, ReferenceEdit, ReferenceImport, ReferenceStore, Result, holders,
    reference_table, sql,
};
use tokio_postgres::types::ToSql;

/// Taken by an import for its transaction: two imports at once run one after the other.
const IMPORT_LOCK: i64 = 0x7469_7961_6e00_0002;
const OFFICER_COLUMNS: &str = "id, name, gender, age, occupation, appointed_from, appointed_to";

fn officer_row(r: &Row) -> Officer {
    Officer {
        id: r.get(0),
        name: r.get(1),
        gender: r.get(2),
        age: r.get::<_, Option<i16>>(3).map(|a| a as u8),
        occupation: r.get(4),
        appointed_from: r.get(5),
        appointed_to: r.get(6),
    }
}

async fn meta(c: &impl GenericClient, key: &str) -> Result<Option<String>> {
    Ok(c.query_opt(sql::reference::META, &[&key]).await?.map(|r| r.get(0)))
}

async fn version(c: &impl GenericClient) -> Result<Option<i64>> {
    Ok(parse_version(meta(c, "reference_version").await?))
}

/// The reference version's row in `meta`; read alone and in a device's state.
pub(super) const VERSION: &str = "SELECT value FROM meta WHERE key = 'reference_version'";

/// The reference version as `meta` keeps it (text).
pub(super) fn parse_version(value: Option<String>) -> Option<i64> {
    value.and_then(|v| v.parse().ok())
}

async fn set_meta(c: &impl GenericClient, key: &str, value: &str) -> Result<()> {
    c.execute(sql::reference::SET_META, &[&key, &value]).await?;
    Ok(())
}

#[async_trait]
impl ReferenceStore for PgStore {
    async fn reference_version(&self) -> Result<Option<i64>> {
        // Read before every upload (the catalog cache's check): prepared once per connection.
        let client = self.client().await?;
        let stmt = client.prepare_cached(VERSION).await?;
        Ok(parse_version(client.query_opt(&stmt, &[]).await?.map(|r| r.get(0))))
    }

    async fn reference(&self) -> Result<ReferenceData> {
        let mut client = self.client().await?;
        let tx =
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
        let data = read_reference(&tx).await?;
        tx.commit().await?;
        Ok(data)
    }

    async fn import_reference(&self, import: &ReferenceImport) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK]).await?;
        let current = version(&tx).await?;
        if !import.basis.admits(current) {
            return Err(Error::Stale);
        }
        let unchanged = current.is_some() && meta(&tx, "reference_hash").await?.as_deref() == Some(&import.fingerprint);
        if !unchanged {
            for (sha, bytes) in &import.photos {
                tx.execute("INSERT INTO photos (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[sha, bytes])
                    .await?;
            }
            write_reference(&tx, &import.data).await?;
        }
        for (id, hash) in &import.passwords {
            tx.execute(sql::reference::OFFICER_PASSWORD, &[&hash.phc(), id]).await?;
        }
        let version = match current {
            Some(v) if unchanged => v,
            _ => {
                let next = next_version(current, import.data.version);
                set_meta(&tx, "reference_version", &next.to_string()).await?;
                set_meta(&tx, "reference_hash", &import.fingerprint).await?;
                move_halls(&tx, None, next).await?;
                next
            }
        };
        tx.commit().await?;
        Ok(version)
    }

    async fn edit_reference(&self, edit: &ReferenceEdit) -> Result<i64> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK]).await?;
        let current = version(&tx).await?;
        if !tiyan_core::reference::edit_is_current(edit.based_on, current) {
            return Err(Error::Stale);
        }
        for (sha, bytes) in &edit.photos {
            tx.execute("INSERT INTO photos (sha256, bytes) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[sha, bytes])
                .await?;
        }
        match &edit.change {
            Change::Upsert(row) => upsert_row(&tx, row).await?,
            Change::Retire(kind, id) => {
                let (table, key) = reference_table(*kind);
                let sql = format!("UPDATE {table} SET active = false WHERE {key} = $1 AND active");
                if tx.execute(&sql, &[id]).await? == 0 {
                    return Err(Error::NotFound(table.into()));
                }
            }
        }
        for (id, hash) in &edit.passwords {
            tx.execute(sql::reference::OFFICER_PASSWORD, &[&hash.phc(), id]).await?;
        }
        let next = next_version(current, 0);
        set_meta(&tx, "reference_version", &next.to_string()).await?;
        // The whole data's fingerprint is not computed for one row: the next import is written.
        set_meta(&tx, "reference_hash", "").await?;
        move_halls(&tx, holders(&edit.holders), next).await?;
        tx.commit().await?;
        Ok(next)
    }

    async fn hall_reference(&self, hall: &str, since: Option<i64>) -> Result<ReferenceUpdate> {
        let mut client = self.client().await?;
        let tx =
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
        let version = hall_version(&tx, hall).await?;
        let data = match version {
            Some(_) if version != since => Some(read_reference_of(&tx, Some(hall)).await?),
            _ => None,
        };
        tx.commit().await?;
        Ok(ReferenceUpdate { version, data })
    }

    async fn catalog(&self) -> Result<(Option<i64>, Catalog)> {
        let mut client = self.client().await?;
        let tx =
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start().await?;
        let mut catalog = Catalog::default();
        for r in tx
            .query("SELECT hall_id, id, false FROM windows UNION ALL SELECT hall_id, id, true FROM staff", &[])
            .await?
        {
            let hall = catalog.halls.entry(r.get(0)).or_default();
            if r.get(2) { &mut hall.staff } else { &mut hall.windows }.insert(r.get(1));
        }
        catalog.reasons = tx.query(sql::reference::REASON_CODES, &[]).await?.iter().map(|r| r.get(0)).collect();
        catalog.officers = tx.query(sql::reference::OFFICER_IDS, &[]).await?.iter().map(|r| r.get(0)).collect();
        let v = version(&tx).await?;
        tx.commit().await?;
        Ok((v, catalog))
    }

    async fn photo(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let client = self.client().await?;
        Ok(client.query_opt(sql::reference::PHOTO, &[&sha256]).await?.map(|r| r.get(0)))
    }

    async fn officer_credentials(&self, officer_id: &str) -> Result<Option<OfficerCredentials>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!("SELECT {OFFICER_COLUMNS}, password_hash FROM officers WHERE id = $1 AND active"),
                &[&officer_id],
            )
            .await?;
        Ok(row.map(|r| OfficerCredentials {
            officer: officer_row(&r),
            password: r.get::<_, Option<String>>(7).map(PasswordHash::new),
        }))
    }
}

/// Retires every row, then brings back (and updates) those the data lists:
/// nothing a stored record names is ever deleted.
async fn write_reference(tx: &Transaction<'_>, d: &ReferenceData) -> Result<()> {
    for table in ["regions", "halls", "windows", "staff", "reasons", "matters", "officers"] {
        tx.execute(&format!("UPDATE {table} SET active = false"), &[]).await?;
    }
    for r in &d.regions {
        upsert_region(tx, r).await?;
    }
    for h in &d.halls {
        upsert_hall(tx, h).await?;
    }
    for w in &d.windows {
        upsert_window(tx, w).await?;
    }
    for s in &d.staff {
        upsert_staff(tx, s).await?;
    }
    for (i, r) in d.reasons.iter().enumerate() {
        upsert_reason(tx, r, Some(i as i32)).await?;
    }
    for m in &d.matters {
        upsert_matter(tx, m).await?;
    }
    for o in &d.officers {
        upsert_officer(tx, o).await?;
    }
    Ok(())
}

/// Writes one row of a change in the page.
async fn upsert_row(tx: &Transaction<'_>, row: &RefRow) -> Result<()> {
    match row {
        RefRow::Region(r) => upsert_region(tx, r).await,
        RefRow::Hall(h) => upsert_hall(tx, h).await,
        RefRow::Window(w) => upsert_window(tx, w).await,
        RefRow::Staff(s) => upsert_staff(tx, s).await,
        RefRow::Reason(r) => upsert_reason(tx, r, None).await,
        RefRow::Matter(m) => upsert_matter(tx, m).await,
        RefRow::Officer(o) => upsert_officer(tx, o).await,
    }
}

/// One statement, prepared once per connection and run with `params`.
async fn run(tx: &Transaction<'_>, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<()> {
    let stmt = tx.prepare_cached(sql).await?;
    tx.execute(&stmt, params).await?;
    Ok(())
}

async fn upsert_region(tx: &Transaction<'_>, r: &Region) -> Result<()> {
    let sql = "INSERT INTO regions (code, name_zh, name_en, active) VALUES ($1, $2, $3, true)
         ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, active = true";
    run(tx, sql, &[&r.code.as_str(), &r.name.zh, &r.name.en]).await
}

async fn upsert_hall(tx: &Transaction<'_>, h: &Hall) -> Result<()> {
    let sql =
        "INSERT INTO halls (id, name_zh, name_en, division, credit_code, active) VALUES ($1, $2, $3, $4, $5, true)
         ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
             division = excluded.division, credit_code = excluded.credit_code, active = true";
    let division = h.division.as_ref().map(Division::as_str);
    run(tx, sql, &[&h.id, &h.name.zh, &h.name.en, &division, &h.credit_code]).await
}

async fn upsert_window(tx: &Transaction<'_>, w: &Window) -> Result<()> {
    let sql = "INSERT INTO windows (id, hall_id, number, name_zh, name_en, credit_code, active)
         VALUES ($1, $2, $3, $4, $5, $6, true)
         ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, number = excluded.number,
             name_zh = excluded.name_zh, name_en = excluded.name_en, credit_code = excluded.credit_code, active = true";
    run(tx, sql, &[&w.id, &w.hall_id, &w.number, &w.name.zh, &w.name.en, &w.credit_code]).await
}

async fn upsert_staff(tx: &Transaction<'_>, s: &Staff) -> Result<()> {
    let sql = "INSERT INTO staff (id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256,
                            active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)
         ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, employee_no = excluded.employee_no,
             name = excluded.name, department_zh = excluded.department_zh, department_en = excluded.department_en,
             pin_hash = excluded.pin_hash, photo_sha256 = excluded.photo_sha256, active = true";
    let (zh, en) = (s.department.as_ref().map(|t| &t.zh), s.department.as_ref().map(|t| &t.en));
    run(tx, sql, &[&s.id, &s.hall_id, &s.employee_no, &s.name, &zh, &en, &s.pin_hash, &s.photo_sha256]).await
}

/// `position`: the reason's place in the kiosk's list (None: a new one goes
/// last, a changed one keeps its place).
async fn upsert_reason(tx: &Transaction<'_>, r: &Reason, position: Option<i32>) -> Result<()> {
    let sql = "INSERT INTO reasons (code, label_zh, label_en, position, indicator, active)
         VALUES ($1, $2, $3, coalesce($4::integer, (SELECT coalesce(max(position), -1) + 1 FROM reasons)), $5, true)
         ON CONFLICT (code) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
             position = coalesce($4::integer, reasons.position), indicator = excluded.indicator, active = true";
    run(tx, sql, &[&r.code, &r.label.zh, &r.label.en, &position, &r.indicator]).await
}

async fn upsert_matter(tx: &Transaction<'_>, m: &Matter) -> Result<()> {
    let sql = "INSERT INTO matters (id, name_zh, name_en, category_zh, category_en, quarter, task_code, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true)
         ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
             category_zh = excluded.category_zh, category_en = excluded.category_en, quarter = excluded.quarter,
             task_code = excluded.task_code, active = true";
    run(tx, sql, &[&m.id, &m.name.zh, &m.name.en, &m.category.zh, &m.category.en, &m.quarter, &m.task_code]).await
}

async fn upsert_officer(tx: &Transaction<'_>, o: &Officer) -> Result<()> {
    let sql = "INSERT INTO officers (id, name, gender, age, occupation, appointed_from, appointed_to, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, true)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, age = excluded.age,
             occupation = excluded.occupation, appointed_from = excluded.appointed_from,
             appointed_to = excluded.appointed_to, active = true";
    let age = o.age.map(i16::from);
    run(tx, sql, &[&o.id, &o.name, &o.gender, &age, &o.occupation, &o.appointed_from, &o.appointed_to]).await
}

/// Moves the version of the halls whose kiosks hold what changed (None: every hall).
/// A new edition of the data for `halls`' kiosks only (their hall's settings
/// changed): the whole data's version moves too, so that versions stay one sequence.
pub(super) async fn new_edition(tx: &Transaction<'_>, halls: &[String]) -> Result<()> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK]).await?;
    let next = next_version(version(tx).await?, 0);
    set_meta(tx, "reference_version", &next.to_string()).await?;
    move_halls(tx, Some(halls), next).await
}

async fn move_halls(tx: &Transaction<'_>, halls: Option<&[String]>, version: i64) -> Result<()> {
    tx.execute("UPDATE halls SET reference_version = $1 WHERE $2::text[] IS NULL OR id = ANY($2)", &[&version, &halls])
        .await?;
    Ok(())
}

/// What a kiosk of `hall` holds: the hall's version (the whole data's for a
/// hall written before versions were kept per hall).
async fn hall_version(c: &impl GenericClient, hall: &str) -> Result<Option<i64>> {
    let own: Option<Option<i64>> = c.query_opt(sql::reference::HALL_VERSION, &[&hall]).await?.map(|r| r.get(0));
    match own.flatten() {
        Some(v) => Ok(Some(v)),
        None => version(c).await,
    }
}

async fn read_reference(c: &impl GenericClient) -> Result<ReferenceData> {
    read_reference_of(c, None).await
}

/// The data as it stands, or (with `hall`) what a kiosk of the hall holds.
async fn read_reference_of(c: &impl GenericClient, hall: Option<&str>) -> Result<ReferenceData> {
    // Spelt apart (not `$1 IS NULL OR ...`) so that a hall's read uses the index.
    let (only_hall, of_hall) = if hall.is_some() {
        ("AND id = $1", "AND hall_id = $1")
    } else {
        ("AND $1::text IS NULL", "AND $1::text IS NULL")
    };
    let text = |r: &Row, zh: usize, en: usize| Text::new(r.get::<_, String>(zh), r.get::<_, String>(en));
    let division = |code: Option<&str>| code.and_then(|c| Division::parse(c).ok());
    let mut halls: Vec<Hall> = c
        .query(
            &format!(
                "SELECT id, name_zh, name_en, division, credit_code FROM halls WHERE active {only_hall} ORDER BY id"
            ),
            &[&hall],
        )
        .await?
        .iter()
        .map(|r| Hall {
            kiosk: None,
            id: r.get(0),
            name: text(r, 1, 2),
            division: division(r.get(3)),
            credit_code: r.get(4),
        })
        .collect();
    // A kiosk's data carries what the hall office set for it.
    if hall.is_some() {
        for h in &mut halls {
            h.kiosk = Some(super::assessment::figure_settings(c, &h.id).await?.centre());
        }
    }
    // A kiosk holds neither the tree (but the region its hall hangs under), the
    // experience list nor the officers.
    let whole = if hall.is_none() { "" } else { " AND false" };
    let in_tree =
        if hall.is_none() { "AND $1::text IS NULL" } else { "AND code IN (SELECT division FROM halls WHERE id = $1)" };
    let regions = c
        .query(&format!("SELECT code, name_zh, name_en FROM regions WHERE active {in_tree} ORDER BY code"), &[&hall])
        .await?
        .iter()
        .filter_map(|r| Some(Region { code: division(r.get(0))?, name: text(r, 1, 2) }))
        .collect();
    let windows = c
        .query(
            &format!(
                "SELECT id, hall_id, number, name_zh, name_en, credit_code FROM windows WHERE active {of_hall}
                 ORDER BY hall_id, number"
            ),
            &[&hall],
        )
        .await?
        .iter()
        .map(|r| Window {
            id: r.get(0),
            hall_id: r.get(1),
            number: r.get(2),
            name: text(r, 3, 4),
            credit_code: r.get(5),
        })
        .collect();
    let staff = c
        .query(
            &format!(
                "SELECT id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256
             FROM staff WHERE active {of_hall} ORDER BY employee_no"
            ),
            &[&hall],
        )
        .await?
        .iter()
        .map(|r| Staff {
            id: r.get(0),
            hall_id: r.get(1),
            employee_no: r.get(2),
            name: r.get(3),
            department: r
                .get::<_, Option<String>>(4)
                .map(|zh| Text::new(zh, r.get::<_, Option<String>>(5).unwrap_or_default())),
            pin_hash: r.get(6),
            photo: None,
            photo_sha256: r.get(7),
        })
        .collect();
    let reasons = c
        .query("SELECT code, label_zh, label_en, indicator FROM reasons WHERE active ORDER BY position", &[])
        .await?
        .iter()
        .map(|r| Reason { code: r.get(0), label: text(r, 1, 2), indicator: r.get(3) })
        .collect();
    let matters = c
        .query(
            &format!(
                "SELECT id, name_zh, name_en, category_zh, category_en, quarter, task_code FROM matters
                 WHERE active{whole} ORDER BY id"
            ),
            &[],
        )
        .await?
        .iter()
        .map(|r| Matter {
            id: r.get(0),
            name: text(r, 1, 2),
            category: text(r, 3, 4),
            quarter: r.get(5),
            task_code: r.get(6),
        })
        .collect();
    let officers = c
        .query(&format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE active{whole} ORDER BY id"), &[])
        .await?
        .iter()
        .map(officer_row)
        .collect();
    let version = match hall {
        Some(h) => hall_version(c, h).await?,
        None => version(c).await?,
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
