//! Reference data in PostgreSQL, versioned as a whole. Imports are serialised
//! by an advisory lock; a read is one REPEATABLE READ transaction, so it sees
//! one version whole.

use async_trait::async_trait;
use deadpool_postgres::GenericClient;
use tiyan_core::Text;
use tiyan_core::intake::Catalog;
use tiyan_core::reference::{FORMAT, Hall, Matter, Officer, Reason, ReferenceData, Staff, Window, next_version};
use tiyan_core::region::{Division, Region};
use tokio_postgres::IsolationLevel;
use tokio_postgres::Row;

use super::PgStore;
use tiyan_storage::{Error, OfficerCredentials, PasswordHash, ReferenceImport, ReferenceStore, Result, sql};

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
                next
            }
        };
        tx.commit().await?;
        Ok(version)
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
async fn write_reference(tx: &deadpool_postgres::Transaction<'_>, d: &ReferenceData) -> Result<()> {
    for table in ["regions", "halls", "windows", "staff", "reasons", "matters", "officers"] {
        tx.execute(&format!("UPDATE {table} SET active = false"), &[]).await?;
    }
    for r in &d.regions {
        tx.execute(
            "INSERT INTO regions (code, name_zh, name_en, active) VALUES ($1, $2, $3, true)
             ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, active = true",
            &[&r.code.as_str(), &r.name.zh, &r.name.en],
        )
        .await?;
    }
    for h in &d.halls {
        tx.execute(
            "INSERT INTO halls (id, name_zh, name_en, division, active) VALUES ($1, $2, $3, $4, true)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                 division = excluded.division, active = true",
            &[&h.id, &h.name.zh, &h.name.en, &h.division.as_ref().map(Division::as_str)],
        )
        .await?;
    }
    for w in &d.windows {
        tx.execute(
            "INSERT INTO windows (id, hall_id, number, name_zh, name_en, active) VALUES ($1, $2, $3, $4, $5, true)
             ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, number = excluded.number,
                 name_zh = excluded.name_zh, name_en = excluded.name_en, active = true",
            &[&w.id, &w.hall_id, &w.number, &w.name.zh, &w.name.en],
        )
        .await?;
    }
    for s in &d.staff {
        tx.execute(
            "INSERT INTO staff (id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256,
                                active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)
             ON CONFLICT (id) DO UPDATE SET hall_id = excluded.hall_id, employee_no = excluded.employee_no,
                 name = excluded.name, department_zh = excluded.department_zh, department_en = excluded.department_en,
                 pin_hash = excluded.pin_hash, photo_sha256 = excluded.photo_sha256, active = true",
            &[
                &s.id,
                &s.hall_id,
                &s.employee_no,
                &s.name,
                &s.department.as_ref().map(|t| &t.zh),
                &s.department.as_ref().map(|t| &t.en),
                &s.pin_hash,
                &s.photo_sha256,
            ],
        )
        .await?;
    }
    for (i, r) in d.reasons.iter().enumerate() {
        tx.execute(
            "INSERT INTO reasons (code, label_zh, label_en, position, active) VALUES ($1, $2, $3, $4, true)
             ON CONFLICT (code) DO UPDATE SET label_zh = excluded.label_zh, label_en = excluded.label_en,
                 position = excluded.position, active = true",
            &[&r.code, &r.label.zh, &r.label.en, &(i as i32)],
        )
        .await?;
    }
    for m in &d.matters {
        tx.execute(
            "INSERT INTO matters (id, name_zh, name_en, category_zh, category_en, quarter, active)
             VALUES ($1, $2, $3, $4, $5, $6, true)
             ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                 category_zh = excluded.category_zh, category_en = excluded.category_en, quarter = excluded.quarter,
                 active = true",
            &[&m.id, &m.name.zh, &m.name.en, &m.category.zh, &m.category.en, &m.quarter],
        )
        .await?;
    }
    for o in &d.officers {
        tx.execute(
            "INSERT INTO officers (id, name, gender, age, occupation, appointed_from, appointed_to, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, true)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, gender = excluded.gender, age = excluded.age,
                 occupation = excluded.occupation, appointed_from = excluded.appointed_from,
                 appointed_to = excluded.appointed_to, active = true",
            &[&o.id, &o.name, &o.gender, &o.age.map(i16::from), &o.occupation, &o.appointed_from, &o.appointed_to],
        )
        .await?;
    }
    Ok(())
}

async fn read_reference(c: &impl GenericClient) -> Result<ReferenceData> {
    let text = |r: &Row, zh: usize, en: usize| Text::new(r.get::<_, String>(zh), r.get::<_, String>(en));
    let division = |code: Option<&str>| code.and_then(|c| Division::parse(c).ok());
    let halls = c
        .query("SELECT id, name_zh, name_en, division FROM halls WHERE active ORDER BY id", &[])
        .await?
        .iter()
        .map(|r| Hall { id: r.get(0), name: text(r, 1, 2), division: division(r.get(3)) })
        .collect();
    let regions = c
        .query("SELECT code, name_zh, name_en FROM regions WHERE active ORDER BY code", &[])
        .await?
        .iter()
        .filter_map(|r| Some(Region { code: division(r.get(0))?, name: text(r, 1, 2) }))
        .collect();
    let windows = c
        .query("SELECT id, hall_id, number, name_zh, name_en FROM windows WHERE active ORDER BY hall_id, number", &[])
        .await?
        .iter()
        .map(|r| Window { id: r.get(0), hall_id: r.get(1), number: r.get(2), name: text(r, 3, 4) })
        .collect();
    let staff = c
        .query(
            "SELECT id, hall_id, employee_no, name, department_zh, department_en, pin_hash, photo_sha256
             FROM staff WHERE active ORDER BY employee_no",
            &[],
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
        .query("SELECT code, label_zh, label_en FROM reasons WHERE active ORDER BY position", &[])
        .await?
        .iter()
        .map(|r| Reason { code: r.get(0), label: text(r, 1, 2) })
        .collect();
    let matters = c
        .query(
            "SELECT id, name_zh, name_en, category_zh, category_en, quarter FROM matters WHERE active ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| Matter { id: r.get(0), name: text(r, 1, 2), category: text(r, 3, 4), quarter: r.get(5) })
        .collect();
    let officers = c
        .query(&format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE active ORDER BY id"), &[])
        .await?
        .iter()
        .map(officer_row)
        .collect();
    Ok(ReferenceData {
        format: FORMAT.into(),
        version: version(c).await?.unwrap_or(0),
        halls,
        windows,
        staff,
        reasons,
        matters,
        officers,
        regions,
    })
}
