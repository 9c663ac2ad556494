//! Devices and enrolment codes in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tiyan_core::enrolment::{CodeState, check_code};
use tiyan_core::protocol::DeviceRole;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use tiyan_storage::sql::DEVICE_COLUMNS;
use tiyan_storage::{Device, DeviceStore, DeviceSummary, Enrolment, Error, NewCode, Result, StoredSecret, sql};

fn role(s: &str) -> Result<DeviceRole> {
    DeviceRole::parse(s).ok_or_else(|| Error::Backend(format!("device role {s:?}")))
}

pub(super) fn device_row(r: &Row) -> Result<Device> {
    Ok(Device {
        id: r.get(0),
        name: r.get(1),
        role: role(r.get(2))?,
        hall_id: r.get(3),
        window_id: r.get(4),
        enrolled_at: r.get(5),
        revoked_at: r.get(6),
        last_seen_at: r.get(7),
    })
}

#[async_trait]
impl DeviceStore for PgStore {
    async fn create_code(&self, code: &NewCode) -> Result<()> {
        // The place is checked and held (FOR SHARE: an edit retiring it waits)
        // in the transaction that issues the code.
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let hall = tx.query_opt("SELECT 1 FROM halls WHERE id = $1 AND active FOR SHARE", &[&code.hall_id]).await?;
        if hall.is_none() {
            return Err(Error::NotFound(format!("hall {}", code.hall_id)));
        }
        if let Some(w) = &code.window_id {
            let window = tx
                .query_opt(
                    "SELECT 1 FROM windows WHERE id = $1 AND hall_id = $2 AND active FOR SHARE",
                    &[w, &code.hall_id],
                )
                .await?;
            if window.is_none() {
                return Err(Error::NotFound(format!("window {w} in hall {}", code.hall_id)));
            }
        }
        tx.execute(
            sql::devices::NEW_CODE,
            &[
                &code.code_sha256,
                &code.role.as_str(),
                &code.hall_id,
                &code.window_id,
                &code.created_at,
                &code.expires_at,
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn redeem_code(&self, e: &Enrolment) -> Result<Device> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The row lock makes a second redemption of the same code wait, then see it used.
        let row = tx
            .query_opt(
                "SELECT role, hall_id, window_id, expires_at, used_at IS NOT NULL
                 FROM enrolment_codes WHERE code_sha256 = $1 FOR UPDATE",
                &[&e.code_sha256],
            )
            .await?;
        let state = row
            .as_ref()
            .map(|r| -> Result<CodeState> {
                Ok(CodeState { role: role(r.get(0))?, expires_at: r.get(3), used: r.get(4) })
            })
            .transpose()?;
        let code_role = check_code(state, e.expected, e.now)?;
        let (hall_id, window_id): (String, Option<String>) = row.map(|r| (r.get(1), r.get(2))).unwrap_or_default();
        tx.execute(sql::devices::USE_CODE, &[&e.now, &e.device_id, &e.code_sha256]).await?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO devices (id, name, role, hall_id, window_id, secret_hash, enrolled_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,
                         hall_id = excluded.hall_id, window_id = excluded.window_id,
                         secret_hash = excluded.secret_hash, enrolled_at = excluded.enrolled_at, revoked_at = NULL
                     RETURNING {DEVICE_COLUMNS}"
                ),
                &[
                    &e.device_id,
                    &e.name,
                    &code_role.as_str(),
                    &hall_id,
                    &window_id,
                    &hex::encode(e.secret_sha256),
                    &e.now,
                ],
            )
            .await?;
        let device = device_row(&row)?;
        tx.commit().await?;
        Ok(device)
    }

    async fn device_credentials(&self, id: Uuid) -> Result<Option<(Device, StoredSecret)>> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql::devices::CREDENTIALS.as_str()).await?;
        let row = client.query_opt(&stmt, &[&id]).await?;
        row.map(|r| Ok((device_row(&r)?, StoredSecret::from_column(r.get(8))?))).transpose()
    }

    async fn replace_secret(&self, id: Uuid, secret_sha256: [u8; 32]) -> Result<()> {
        let client = self.client().await?;
        client.execute(sql::devices::REPLACE_SECRET, &[&hex::encode(secret_sha256), &id]).await?;
        Ok(())
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let client = self.client().await?;
        let n = client.execute(sql::devices::REVOKE, &[&now, &id]).await?;
        if n == 0 {
            return Err(Error::NotFound(format!("device {id}")));
        }
        Ok(())
    }

    async fn devices(&self) -> Result<Vec<DeviceSummary>> {
        let client = self.client().await?;
        let rows = client.query(sql::devices::LIST.as_str(), &[]).await?;
        rows.iter().map(|r| Ok(DeviceSummary { device: device_row(r)?, ratings: r.get::<_, i64>(8) as u64 })).collect()
    }
}
