//! Accounts, sessions and the audit log in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

use deadpool_postgres::GenericClient;
use tiyan_core::accounts::{Place, Role};
use tiyan_core::region::Division;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use tiyan_storage::accounts::place_columns;
use tiyan_storage::sql::ACCOUNT_COLUMNS;
use tiyan_storage::{
    Account, AccountStore, AuditEntry, AuditFilter, AuditRow, Error, NewAccount, PasswordHash, Result, Session, sql,
};

fn account_row(r: &Row) -> Result<Account> {
    let role: &str = r.get(3);
    let region: Option<&str> = r.get(7);
    Ok(Account {
        id: r.get(0),
        login: r.get(1),
        name: r.get(2),
        role: Role::parse(role).ok_or_else(|| Error::Backend(format!("role {role:?}")))?,
        hall_id: r.get(4),
        region: region.map(Division::parse).transpose().map_err(|e| Error::Backend(e.to_string()))?,
        region_halls: Arc::default(),
        created_at: r.get(5),
        disabled_at: r.get(6),
    })
}

/// The account with the halls its region holds (see [`sql::accounts::HALLS_UNDER`]).
async fn with_halls(c: &impl GenericClient, mut a: Account) -> Result<Account> {
    if let Some(region) = &a.region {
        let rows = c.query(sql::accounts::HALLS_UNDER, &[&format!("{}%", region.prefix())]).await?;
        a.region_halls = Arc::new(rows.iter().map(|r| r.get(0)).collect());
    }
    Ok(a)
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, a: &NewAccount) -> Result<Account> {
        let client = self.client().await?;
        let (hall_id, region) = place_columns(&a.place);
        let inserted = client
            .query_one(
                &format!(
                    "INSERT INTO accounts AS a (id, login, name, role, hall_id, password_hash, created_at, region)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[&a.id, &a.login, &a.name, &a.role.as_str(), &hall_id, &a.password.phc(), &a.created_at, &region],
            )
            .await;
        match inserted {
            Ok(row) => with_halls(&client, account_row(&row)?).await,
            Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "23505") => {
                Err(Error::LoginTaken(a.login.clone()))
            }
            Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "23503") => {
                Err(Error::UnknownHall(hall_id.or(region).unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn account_credentials(&self, login: &str) -> Result<Option<(Account, PasswordHash)>> {
        let client = self.client().await?;
        let Some(r) = client.query_opt(sql::accounts::CREDENTIALS.as_str(), &[&login]).await? else { return Ok(None) };
        Ok(Some((with_halls(&client, account_row(&r)?).await?, PasswordHash::new(r.get(8)))))
    }

    async fn account(&self, id: Uuid) -> Result<Option<Account>> {
        let client = self.client().await?;
        let Some(r) = client.query_opt(sql::accounts::BY_ID.as_str(), &[&id]).await? else { return Ok(None) };
        Ok(Some(with_halls(&client, account_row(&r)?).await?))
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        let client = self.client().await?;
        let mut out = Vec::new();
        for r in client.query(sql::accounts::LIST.as_str(), &[]).await? {
            out.push(with_halls(&client, account_row(&r)?).await?);
        }
        Ok(out)
    }

    async fn update_account(&self, id: Uuid, role: Role, place: &Place, disabled: Option<DateTime<Utc>>) -> Result<()> {
        let (hall_id, region) = place_columns(place);
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx.execute(sql::accounts::UPDATE, &[&id, &role.as_str(), &hall_id, &disabled, &region]).await?;
        if n == 0 {
            return Err(Error::NotFound("account".into()));
        }
        if disabled.is_some() {
            tx.execute(sql::accounts::END_SESSIONS_OF, &[&id]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn set_password(&self, id: Uuid, password: &PasswordHash) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if tx.execute(sql::accounts::SET_PASSWORD, &[&id, &password.phc()]).await? == 0 {
            return Err(Error::NotFound("account".into()));
        }
        tx.execute("DELETE FROM sessions WHERE account_id = $1", &[&id]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, token_sha256: &str, account: Uuid, csrf: &str, now: DateTime<Utc>) -> Result<()> {
        self.client().await?.execute(sql::accounts::NEW_SESSION, &[&token_sha256, &account, &csrf, &now]).await?;
        Ok(())
    }

    async fn session(&self, token_sha256: &str) -> Result<Option<Session>> {
        let client = self.client().await?;
        let Some(r) = client.query_opt(sql::accounts::SESSION.as_str(), &[&token_sha256]).await? else {
            return Ok(None);
        };
        let account = with_halls(&client, account_row(&r)?).await?;
        Ok(Some(Session { account, csrf: r.get(8), created_at: r.get(9), last_seen_at: r.get(10) }))
    }

    async fn touch_session(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        self.client().await?.execute(sql::accounts::TOUCH_SESSION, &[&token_sha256, &now]).await?;
        Ok(())
    }

    async fn end_session(&self, token_sha256: &str) -> Result<()> {
        self.client().await?.execute(sql::accounts::END_SESSION, &[&token_sha256]).await?;
        Ok(())
    }

    async fn prune_sessions(&self, idle_before: DateTime<Utc>) -> Result<u64> {
        Ok(self.client().await?.execute(sql::accounts::PRUNE_SESSIONS, &[&idle_before]).await?)
    }

    async fn audit(&self, e: &AuditEntry) -> Result<()> {
        self.client()
            .await?
            .execute(
                sql::accounts::AUDIT,
                &[&e.at, &e.account_id, &e.actor, &e.client, &e.action, &e.target, &e.detail],
            )
            .await?;
        Ok(())
    }

    async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let rows = self
            .client()
            .await?
            .query(sql::accounts::AUDIT_LOG, &[&f.action, &f.actor, &f.before, &i64::from(f.limit.clamp(1, 500))])
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditRow {
                id: r.get(0),
                entry: AuditEntry {
                    at: r.get(1),
                    account_id: r.get(2),
                    actor: r.get(3),
                    client: r.get(4),
                    action: r.get(5),
                    target: r.get(6),
                    detail: r.get(7),
                },
            })
            .collect())
    }
}
