//! Accounts, sessions and the audit log in the SQLite file.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use tiyan_core::accounts::Role;
use uuid::Uuid;

use super::{SqliteStore, conversion, q, time, uuid};
use tiyan_storage::{
    Account, AccountStore, AuditEntry, AuditFilter, AuditRow, Error, NewAccount, PasswordHash, Result, Session, sql,
};

fn account_row(r: &Row) -> rusqlite::Result<Account> {
    let role: String = r.get(3)?;
    Ok(Account {
        id: uuid(&r.get::<_, String>(0)?)?,
        login: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).ok_or_else(|| conversion(format!("role {role:?}").into()))?,
        hall_id: r.get(4)?,
        created_at: time(&r.get::<_, String>(5)?)?,
        disabled_at: r.get::<_, Option<String>>(6)?.map(|t| time(&t)).transpose()?,
    })
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, a: &NewAccount) -> Result<Account> {
        let a = a.clone();
        self.write(move |c| {
            let inserted = c.execute(
                "INSERT INTO accounts (id, login, name, role, hall_id, password_hash, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    a.id.to_string(),
                    a.login,
                    a.name,
                    a.role.as_str(),
                    a.hall_id,
                    a.password.phc(),
                    a.created_at.to_rfc3339()
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::LoginTaken(a.login.clone()));
                }
                other => other?,
            };
            Ok(c.query_row(&q(&sql::accounts::BY_ID), [a.id.to_string()], account_row)?)
        })
        .await
    }

    async fn account_credentials(&self, login: &str) -> Result<Option<(Account, PasswordHash)>> {
        let login = login.to_string();
        self.read(move |c| {
            Ok(c.query_row(&q(&sql::accounts::CREDENTIALS), [login], |r| {
                Ok((account_row(r)?, PasswordHash::new(r.get(7)?)))
            })
            .optional()?)
        })
        .await
    }

    async fn account(&self, id: Uuid) -> Result<Option<Account>> {
        self.read(move |c| Ok(c.query_row(&q(&sql::accounts::BY_ID), [id.to_string()], account_row).optional()?)).await
    }

    async fn accounts(&self, hall: Option<&str>) -> Result<Vec<Account>> {
        let hall = hall.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare(&q(&sql::accounts::LIST))?;
            Ok(stmt.query_map([hall], account_row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn update_account(
        &self,
        id: Uuid,
        role: Role,
        hall_id: Option<&str>,
        disabled: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let hall_id = hall_id.map(str::to_string);
        self.write(move |c| {
            let n = c.execute(
                &q(sql::accounts::UPDATE),
                params![id.to_string(), role.as_str(), hall_id, disabled.map(|d| d.to_rfc3339())],
            )?;
            if n == 0 {
                return Err(Error::NotFound("account".into()));
            }
            if disabled.is_some() {
                c.execute(&q(sql::accounts::END_SESSIONS_OF), [id.to_string()])?;
            }
            Ok(())
        })
        .await
    }

    async fn set_password(&self, id: Uuid, password: &PasswordHash) -> Result<()> {
        let phc = password.phc().to_string();
        self.write(move |c| {
            if c.execute(&q(sql::accounts::SET_PASSWORD), params![id.to_string(), phc])? == 0 {
                return Err(Error::NotFound("account".into()));
            }
            c.execute(&q(sql::accounts::END_SESSIONS_OF), [id.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn create_session(&self, token_sha256: &str, account: Uuid, csrf: &str, now: DateTime<Utc>) -> Result<()> {
        let (token, csrf) = (token_sha256.to_string(), csrf.to_string());
        self.write(move |c| {
            c.execute(&q(sql::accounts::NEW_SESSION), params![token, account.to_string(), csrf, now.to_rfc3339()])?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_sha256: &str) -> Result<Option<Session>> {
        let token = token_sha256.to_string();
        self.read(move |c| {
            Ok(c.query_row(&q(&sql::accounts::SESSION), [token], |r| {
                Ok(Session {
                    account: account_row(r)?,
                    csrf: r.get(7)?,
                    created_at: time(&r.get::<_, String>(8)?)?,
                    last_seen_at: time(&r.get::<_, String>(9)?)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn touch_session(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        let token = token_sha256.to_string();
        self.write(move |c| {
            c.execute(&q(sql::accounts::TOUCH_SESSION), params![token, now.to_rfc3339()])?;
            Ok(())
        })
        .await
    }

    async fn end_session(&self, token_sha256: &str) -> Result<()> {
        let token = token_sha256.to_string();
        self.write(move |c| {
            c.execute(&q(sql::accounts::END_SESSION), [token])?;
            Ok(())
        })
        .await
    }

    async fn prune_sessions(&self, idle_before: DateTime<Utc>) -> Result<u64> {
        self.write(move |c| Ok(c.execute(&q(sql::accounts::PRUNE_SESSIONS), [idle_before.to_rfc3339()])? as u64)).await
    }

    async fn audit(&self, e: &AuditEntry) -> Result<()> {
        let e = e.clone();
        self.write(move |c| {
            c.execute(
                &q(sql::accounts::AUDIT),
                params![
                    e.at.to_rfc3339(),
                    e.account_id.map(|a| a.to_string()),
                    e.actor,
                    e.client,
                    e.action,
                    e.target,
                    e.detail
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn audit_log(&self, f: &AuditFilter) -> Result<Vec<AuditRow>> {
        let f = f.clone();
        self.read(move |c| {
            let mut stmt = c.prepare(&q(sql::accounts::AUDIT_LOG))?;
            let rows = stmt.query_map(params![f.action, f.actor, f.before, f.limit.clamp(1, 500)], |r| {
                Ok(AuditRow {
                    id: r.get(0)?,
                    entry: AuditEntry {
                        at: time(&r.get::<_, String>(1)?)?,
                        account_id: r.get::<_, Option<String>>(2)?.map(|a| uuid(&a)).transpose()?,
                        actor: r.get(3)?,
                        client: r.get(4)?,
                        action: r.get(5)?,
                        target: r.get(6)?,
                        detail: r.get(7)?,
                    },
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }
}
