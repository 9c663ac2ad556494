//! Accounts, sessions and the audit log in the SQLite file.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use tiyan_core::accounts::Role;
use uuid::Uuid;

use super::{SqliteStore, conversion, time, uuid};
use tiyan_storage::{
    Account, AccountStore, AuditEntry, AuditFilter, AuditRow, Error, NewAccount, PasswordHash, Result, Session,
};

const ACCOUNT_COLUMNS: &str = "a.id, a.login, a.name, a.role, a.hall_id, a.created_at, a.disabled_at";

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
            Ok(c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ?1"),
                [a.id.to_string()],
                account_row,
            )?)
        })
        .await
    }

    async fn account_credentials(&self, login: &str) -> Result<Option<(Account, PasswordHash)>> {
        let login = login.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM accounts a WHERE a.login = ?1 AND a.disabled_at IS NULL"),
                [login],
                |r| Ok((account_row(r)?, PasswordHash::new(r.get(7)?))),
            )
            .optional()?)
        })
        .await
    }

    async fn account(&self, id: Uuid) -> Result<Option<Account>> {
        self.read(move |c| {
            Ok(c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = ?1"),
                [id.to_string()],
                account_row,
            )
            .optional()?)
        })
        .await
    }

    async fn accounts(&self, hall: Option<&str>) -> Result<Vec<Account>> {
        let hall = hall.map(str::to_string);
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE (?1 IS NULL OR a.hall_id = ?1)
                 ORDER BY a.disabled_at IS NOT NULL, a.role, a.login"
            ))?;
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
                "UPDATE accounts SET role = ?2, hall_id = ?3, disabled_at = ?4 WHERE id = ?1",
                params![id.to_string(), role.as_str(), hall_id, disabled.map(|d| d.to_rfc3339())],
            )?;
            if n == 0 {
                return Err(Error::NotFound("account".into()));
            }
            if disabled.is_some() {
                c.execute("DELETE FROM sessions WHERE account_id = ?1", [id.to_string()])?;
            }
            Ok(())
        })
        .await
    }

    async fn set_password(&self, id: Uuid, password: &PasswordHash) -> Result<()> {
        let phc = password.phc().to_string();
        self.write(move |c| {
            if c.execute("UPDATE accounts SET password_hash = ?2 WHERE id = ?1", params![id.to_string(), phc])? == 0 {
                return Err(Error::NotFound("account".into()));
            }
            c.execute("DELETE FROM sessions WHERE account_id = ?1", [id.to_string()])?;
            Ok(())
        })
        .await
    }

    async fn create_session(&self, token_sha256: &str, account: Uuid, csrf: &str, now: DateTime<Utc>) -> Result<()> {
        let (token, csrf) = (token_sha256.to_string(), csrf.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO sessions (token_sha256, account_id, csrf, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                params![token, account.to_string(), csrf, now.to_rfc3339()],
            )?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_sha256: &str) -> Result<Option<Session>> {
        let token = token_sha256.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {ACCOUNT_COLUMNS}, s.csrf, s.created_at, s.last_seen_at FROM sessions s
                     JOIN accounts a ON a.id = s.account_id
                     WHERE s.token_sha256 = ?1 AND a.disabled_at IS NULL"
                ),
                [token],
                |r| {
                    Ok(Session {
                        account: account_row(r)?,
                        csrf: r.get(7)?,
                        created_at: time(&r.get::<_, String>(8)?)?,
                        last_seen_at: time(&r.get::<_, String>(9)?)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn touch_session(&self, token_sha256: &str, now: DateTime<Utc>) -> Result<()> {
        let token = token_sha256.to_string();
        self.write(move |c| {
            c.execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE token_sha256 = ?1",
                params![token, now.to_rfc3339()],
            )?;
            Ok(())
        })
        .await
    }

    async fn end_session(&self, token_sha256: &str) -> Result<()> {
        let token = token_sha256.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE token_sha256 = ?1", [token])?;
            Ok(())
        })
        .await
    }

    async fn prune_sessions(&self, idle_before: DateTime<Utc>) -> Result<u64> {
        self.write(move |c| {
            Ok(c.execute("DELETE FROM sessions WHERE last_seen_at < ?1", [idle_before.to_rfc3339()])? as u64)
        })
        .await
    }

    async fn audit(&self, e: &AuditEntry) -> Result<()> {
        let e = e.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO audit_log (at, account_id, actor, client, action, target, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
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
            let mut stmt = c.prepare(
                "SELECT id, at, account_id, actor, client, action, target, detail FROM audit_log
                 WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR id < ?3)
                 ORDER BY id DESC LIMIT ?4",
            )?;
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
