//! Accounts, sessions and the audit log in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tiyan_core::accounts::Role;
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use tiyan_storage::sql::ACCOUNT_COLUMNS;
use tiyan_storage::{
    Account, AccountStore, AuditEntry, AuditFilter, AuditRow, Error, NewAccount, PasswordHash, Result, Session, sql,
};

fn account_row(r: &Row) -> Result<Account> {
    let role: &str = r.get(3);
    Ok(Account {
        id: r.get(0),
        login: r.get(1),
        name: r.get(2),
        role: Role::parse(role).ok_or_else(|| Error::Backend(format!("role {role:?}")))?,
        hall_id: r.get(4),
        created_at: r.get(5),
        disabled_at: r.get(6),
    })
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, a: &NewAccount) -> Result<Account> {
        let client = self.client().await?;
        let inserted = client
            .query_one(
                &format!(
                    "INSERT INTO accounts AS a (id, login, name, role, hall_id, password_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ACCOUNT_COLUMNS}"
                ),
                &[&a.id, &a.login, &a.name, &a.role.as_str(), &a.hall_id, &a.password.phc(), &a.created_at],
            )
            .await;
        match inserted {
            Ok(row) => account_row(&row),
            Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "23505") => {
                Err(Error::LoginTaken(a.login.clone()))
            }
            Err(e) if e.as_db_error().is_some_and(|d| d.code().code() == "23503") => {
                Err(Error::UnknownHall(a.hall_id.clone().unwrap_or_default()))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn account_credentials(&self, login: &str) -> Result<Option<(Account, PasswordHash)>> {
        let row = self.client().await?.query_opt(sql::accounts::CREDENTIALS.as_str(), &[&login]).await?;
        row.map(|r| Ok((account_row(&r)?, PasswordHash::new(r.get(7))))).transpose()
    }

    async fn account(&self, id: Uuid) -> Result<Option<Account>> {
        let row = self.client().await?.query_opt(sql::accounts::BY_ID.as_str(), &[&id]).await?;
        row.map(|r| account_row(&r)).transpose()
    }

    async fn accounts(&self, hall: Option<&str>) -> Result<Vec<Account>> {
        let rows = self.client().await?.query(sql::accounts::LIST.as_str(), &[&hall]).await?;
        rows.iter().map(account_row).collect()
    }

    async fn update_account(
        &self,
        id: Uuid,
        role: Role,
        hall_id: Option<&str>,
        disabled: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = tx.execute(sql::accounts::UPDATE, &[&id, &role.as_str(), &hall_id, &disabled]).await?;
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
        let row = self.client().await?.query_opt(sql::accounts::SESSION.as_str(), &[&token_sha256]).await?;
        row.map(|r| {
            Ok(Session { account: account_row(&r)?, csrf: r.get(7), created_at: r.get(8), last_seen_at: r.get(9) })
        })
        .transpose()
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
