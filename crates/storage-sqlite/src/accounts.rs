//! Accounts, sessions and the audit log in the SQLite file.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, Row, params};
use tiyan_core::accounts::{Place, Role};
use tiyan_core::region::Division;
use uuid::Uuid;

use super::{SqliteStore, conversion, q, time, uuid};
use tiyan_storage::accounts::place_columns;
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
        region: r
            .get::<_, Option<String>>(7)?
            .map(|c| Division::parse(&c))
            .transpose()
            .map_err(|e| conversion(e.to_string().into()))?,
        region_halls: Arc::default(),
        created_at: time(&r.get::<_, String>(5)?)?,
        disabled_at: r.get::<_, Option<String>>(6)?.map(|t| time(&t)).transpose()?,
    })
}

/// The account with the halls its region holds (see [`sql::accounts::HALLS_UNDER`]).
fn with_halls(c: &Connection, mut a: Account) -> Result<Account> {
    if let Some(region) = &a.region {
        let mut stmt = c.prepare_cached(&q(sql::accounts::HALLS_UNDER))?;
        let halls = stmt.query_map([format!("{}%", region.prefix())], |r| r.get(0))?;
        a.region_halls = Arc::new(halls.collect::<rusqlite::Result<_>>()?);
    }
    Ok(a)
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, a: &NewAccount) -> Result<Account> {
        let a = a.clone();
        let (hall_id, region) = place_columns(&a.place);
        self.write(move |c| {
            let inserted = c.execute(
                "INSERT INTO accounts (id, login, name, role, hall_id, password_hash, created_at, region)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    a.id.to_string(),
                    a.login,
                    a.name,
                    a.role.as_str(),
                    hall_id,
                    a.password.phc(),
                    a.created_at.to_rfc3339(),
                    region
                ],
            );
            match inserted {
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::LoginTaken(a.login.clone()));
                }
                other => other?,
            };
            with_halls(c, c.query_row(&q(&sql::accounts::BY_ID), [a.id.to_string()], account_row)?)
        })
        .await
    }

    async fn account_credentials(&self, login: &str) -> Result<Option<(Account, PasswordHash)>> {
        let login = login.to_string();
        self.read(move |c| {
            let found = c
                .query_row(&q(&sql::accounts::CREDENTIALS), [login], |r| {
                    Ok((account_row(r)?, PasswordHash::new(r.get(8)?)))
                })
                .optional()?;
            found.map(|(a, hash)| Ok((with_halls(c, a)?, hash))).transpose()
        })
        .await
    }

    async fn account(&self, id: Uuid) -> Result<Option<Account>> {
        self.read(move |c| {
            let found = c.query_row(&q(&sql::accounts::BY_ID), [id.to_string()], account_row).optional()?;
            found.map(|a| with_halls(c, a)).transpose()
        })
        .await
    }

    async fn accounts(&self) -> Result<Vec<Account>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&q(&sql::accounts::LIST))?;
            let list = stmt.query_map([], account_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
            list.into_iter().map(|a| with_halls(c, a)).collect()
        })
        .await
    }

    async fn update_account(&self, id: Uuid, role: Role, place: &Place, disabled: Option<DateTime<Utc>>) -> Result<()> {
        let (hall_id, region) = place_columns(place);
        self.write(move |c| {
            let n = c.execute(
                &q(sql::accounts::UPDATE),
                params![id.to_string(), role.as_str(), hall_id, disabled.map(|d| d.to_rfc3339()), region],
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
            let found = c
                .query_row(&q(&sql::accounts::SESSION), [token], |r| {
                    Ok(Session {
                        account: account_row(r)?,
                        csrf: r.get(8)?,
                        created_at: time(&r.get::<_, String>(9)?)?,
                        last_seen_at: time(&r.get::<_, String>(10)?)?,
                    })
                })
                .optional()?;
            found.map(|s| Ok(Session { account: with_halls(c, s.account.clone())?, ..s })).transpose()
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
