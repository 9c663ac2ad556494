//! Devices and enrolment codes in the SQLite file.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::enrolment::{CodeState, check_code};
use tiyan_core::protocol::DeviceRole;
use uuid::Uuid;

use super::{SqliteStore, conversion, q, time, uuid};
use tiyan_storage::sql::DEVICE_COLUMNS;
use tiyan_storage::{Device, DeviceStore, DeviceSummary, Enrolment, Error, NewCode, Result, StoredSecret, sql};

pub(super) fn device_row(r: &Row<'_>) -> rusqlite::Result<Device> {
    let role: String = r.get(2)?;
    Ok(Device {
        id: uuid(&r.get::<_, String>(0)?)?,
        name: r.get(1)?,
        role: DeviceRole::parse(&role).ok_or_else(|| conversion(format!("device role {role:?}").into()))?,
        hall_id: r.get(3)?,
        window_id: r.get(4)?,
        enrolled_at: time(&r.get::<_, String>(5)?)?,
        revoked_at: r.get::<_, Option<String>>(6)?.map(|t| time(&t)).transpose()?,
        last_seen_at: r.get::<_, Option<String>>(7)?.map(|t| time(&t)).transpose()?,
    })
}

fn check_place(tx: &Connection, hall_id: &str, window_id: Option<&str>) -> Result<()> {
    if !tx.prepare("SELECT 1 FROM halls WHERE id = ?1 AND active = 1")?.exists([hall_id])? {
        return Err(Error::NotFound(format!("hall {hall_id}")));
    }
    if let Some(w) = window_id
        && !tx.prepare("SELECT 1 FROM windows WHERE id = ?1 AND hall_id = ?2 AND active = 1")?.exists([w, hall_id])?
    {
        return Err(Error::NotFound(format!("window {w} in hall {hall_id}")));
    }
    Ok(())
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn create_code(&self, code: &NewCode) -> Result<()> {
        let code = code.clone();
        self.write(move |tx| {
            check_place(tx, &code.hall_id, code.window_id.as_deref())?;
            tx.execute(
                &q(sql::devices::NEW_CODE),
                params![
                    code.code_sha256,
                    code.role.as_str(),
                    code.hall_id,
                    code.window_id,
                    code.created_at.to_rfc3339(),
                    code.expires_at.to_rfc3339()
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn redeem_code(&self, e: &Enrolment) -> Result<Device> {
        let e = e.clone();
        self.write(move |tx| {
            // role, hall, window, expires at, used
            type CodeRow = (String, String, Option<String>, String, bool);
            let found: Option<CodeRow> = tx
                .query_row(
                    "SELECT role, hall_id, window_id, expires_at, used_at IS NOT NULL
                     FROM enrolment_codes WHERE code_sha256 = ?1",
                    [&e.code_sha256],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let state = found
                .as_ref()
                .map(|(role, _, _, expires_at, used)| -> Result<CodeState> {
                    let role = DeviceRole::parse(role)
                        .ok_or_else(|| Error::Backend(format!("enrolment code with role {role:?}")))?;
                    Ok(CodeState { role, expires_at: time(expires_at)?, used: *used })
                })
                .transpose()?;
            let role = check_code(state, e.expected, e.now)?;
            // check_code refused a code that is not there: this one is.
            let (hall_id, window_id) = found.map(|(_, hall, window, _, _)| (hall, window)).unwrap_or_default();
            let id = e.device_id.to_string();
            tx.execute(&q(sql::devices::USE_CODE), params![e.now.to_rfc3339(), id, e.code_sha256])?;
            tx.execute(
                "INSERT INTO devices (id, name, role, hall_id, window_id, secret_hash, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role, hall_id = excluded.hall_id,
                     window_id = excluded.window_id, secret_hash = excluded.secret_hash,
                     enrolled_at = excluded.enrolled_at, revoked_at = NULL",
                params![
                    id,
                    e.name,
                    role.as_str(),
                    hall_id,
                    window_id,
                    hex::encode(e.secret_sha256),
                    e.now.to_rfc3339()
                ],
            )?;
            Ok(tx.query_row(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE id = ?1"), [&id], device_row)?)
        })
        .await
    }

    async fn device_credentials(&self, id: Uuid) -> Result<Option<(Device, StoredSecret)>> {
        self.read(move |c| credentials(c, id)).await
    }

    async fn replace_secret(&self, id: Uuid, secret_sha256: [u8; 32]) -> Result<()> {
        self.write(move |tx| {
            tx.execute(&q(sql::devices::REPLACE_SECRET), params![hex::encode(secret_sha256), id.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.write(move |tx| {
            let n = tx.execute(&q(sql::devices::REVOKE), params![now.to_rfc3339(), id.to_string()])?;
            if n == 0 {
                return Err(Error::NotFound(format!("device {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn devices(&self) -> Result<Vec<DeviceSummary>> {
        self.read(|c| {
            let mut stmt = c.prepare(&q(&sql::devices::LIST))?;
            let rows = stmt.query_map([], |r| Ok(DeviceSummary { device: device_row(r)?, ratings: r.get(8)? }))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}

/// The device and its stored secret; also read by the state request's one read.
pub(super) fn credentials(c: &Connection, id: Uuid) -> Result<Option<(Device, StoredSecret)>> {
    let row = c
        .prepare_cached(&q(&sql::devices::CREDENTIALS))?
        .query_row([id.to_string()], |r| Ok((device_row(r)?, r.get::<_, String>(8)?)))
        .optional()?;
    row.map(|(d, s)| Ok((d, StoredSecret::from_column(&s)?))).transpose()
}
