//! Devices and enrolment codes in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tiyan_core::enrolment::{CodeState, check_code};
use tiyan_core::protocol::DeviceRole;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use tiyan_storage::{Device, DeviceStore, DeviceSummary, Enrolment, Error, NewCode, Result, StoredSecret};

pub(super) const DEVICE_COLUMNS: &str = "id, name, role, hall_id, window_id, enrolled_at, revoked_at, last_seen_at";

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
        let client = self.client().await?;
        let hall = client.query_opt("SELECT 1 FROM halls WHERE id = $1 AND active", &[&code.hall_id]).await?;
        if hall.is_none() {
            return Err(Error::NotFound(format!("hall {}", code.hall_id)));
        }
        if let Some(w) = &code.window_id {
            let window = client
                .query_opt("SELECT 1 FROM windows WHERE id = $1 AND hall_id = $2 AND active", &[w, &code.hall_id])
                .await?;
            if window.is_none() {
                return Err(Error::NotFound(format!("window {w} in hall {}", code.hall_id)));
            }
        }
        client
            .execute(
                "INSERT INTO enrolment_codes (code_sha256, role, hall_id, window_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
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
        tx.execute(
            "UPDATE enrolment_codes SET used_at = $1, used_by = $2 WHERE code_sha256 = $3",
            &[&e.now, &e.device_id, &e.code_sha256],
        )
        .await?;
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
        let stmt =
            client.prepare_cached(&format!("SELECT {DEVICE_COLUMNS}, secret_hash FROM devices WHERE id = $1")).await?;
        let row = client.query_opt(&stmt, &[&id]).await?;
        row.map(|r| Ok((device_row(&r)?, StoredSecret::from_column(r.get(8))?))).transpose()
    }

    async fn replace_secret(&self, id: Uuid, secret_sha256: [u8; 32]) -> Result<()> {
        let client = self.client().await?;
        client
            .execute("UPDATE devices SET secret_hash = $1 WHERE id = $2", &[&hex::encode(secret_sha256), &id])
            .await?;
        Ok(())
    }

    async fn revoke(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let client = self.client().await?;
        let n = client
            .execute("UPDATE devices SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2", &[&now, &id])
            .await?;
        if n == 0 {
            return Err(Error::NotFound(format!("device {id}")));
        }
        Ok(())
    }

    async fn devices(&self) -> Result<Vec<DeviceSummary>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {DEVICE_COLUMNS}, (SELECT count(*) FROM ratings r WHERE r.device_id = d.id)
                     FROM devices d ORDER BY hall_id, window_id, enrolled_at"
                ),
                &[],
            )
            .await?;
        rows.iter().map(|r| Ok(DeviceSummary { device: device_row(r)?, ratings: r.get::<_, i64>(8) as u64 })).collect()
    }
}
