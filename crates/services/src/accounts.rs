//! The hall office's accounts: making them (the first supervisor from the
//! command line, the rest in the page, each by someone allowed to), signing in
//! with a lock-out, and sessions that live in the database (any server process
//! serves them) and end after idle time.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use tiyan_core::accounts::Role;
use tiyan_infra::secret::{new_token, token_digest};
use uuid::Uuid;

use super::audit::{self, Actor};
use super::lockout::Tally;
use super::{Hasher, Who};
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{Account, NewAccount, PasswordHash, Session, Storage};

/// What people choose as a password: long enough to resist guessing offline.
pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Invalid::PasswordTooShort.into());
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(Invalid::PasswordDigitsOnly.into());
    }
    Ok(())
}

/// A login: letters, digits, `.`, `-`, `_`, kept in lower case.
pub fn normalize_login(login: &str) -> Result<String> {
    let l = login.trim().to_lowercase();
    let ok = (2..=40).contains(&l.chars().count())
        && l.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !ok {
        return Err(Invalid::Login.into());
    }
    Ok(l)
}

/// What an account to be made looks like.
pub struct AccountForm<'a> {
    pub login: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub hall_id: Option<&'a str>,
    pub password: &'a str,
}

/// Makes an account; `by` is who asks (None: the command line, which may make
/// only a supervisor, the first account of a new server).
pub async fn create(
    store: &dyn Storage,
    hasher: &Hasher,
    by: Option<&Account>,
    client: Option<IpAddr>,
    form: &AccountForm<'_>,
    now: DateTime<Utc>,
) -> Result<Account> {
    let hall_id = form.hall_id.map(str::trim).filter(|h| !h.is_empty());
    let allowed = match by {
        Some(a) => a.scope().manages_account(form.role, hall_id),
        None => form.role == Role::Supervisor && hall_id.is_none(),
    };
    if !allowed {
        return Err(Error::Forbidden("you may not make this account".into()));
    }
    if form.role.has_hall() != hall_id.is_some() {
        return Err(Invalid::HallForRole.into());
    }
    if let Some(h) = hall_id {
        super::reference::known_place(store, h, None).await?;
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(Invalid::Name.into());
    }
    check_password(form.password)?;
    let login = normalize_login(form.login)?;
    let hash = hasher.hash(form.password).await?;
    let account = store
        .create_account(&NewAccount {
            id: Uuid::now_v7(),
            login,
            name: name.to_string(),
            role: form.role,
            hall_id: hall_id.map(str::to_string),
            password: PasswordHash::new(hash),
            created_at: now,
        })
        .await?;
    let actor = by.map_or(Actor::Console, Actor::Account);
    let detail = format!("{} {}", account.role.as_str(), account.hall_id.as_deref().unwrap_or("*"));
    audit::record(store, actor, client, "account_created", &account.login, &detail, now).await?;
    Ok(account)
}

/// A signed-in session: the cookie's token (given once) and the form token.
pub struct SignedIn {
    pub account: Account,
    pub token: String,
    pub csrf: String,
}

pub async fn sign_in(
    store: &dyn Storage,
    hasher: &Hasher,
    login: &str,
    password: &str,
    client: IpAddr,
    now: DateTime<Utc>,
) -> Result<SignedIn> {
    let login = login.trim().to_lowercase();
    let tally = Tally::new(format!("account:{login}"), client);
    if let Err(e) = tally.check(store, now).await {
        audit::record(store, Actor::Attempt(&login), Some(client), "sign_in_locked", &login, "", now).await?;
        return Err(e);
    }
    let found = store.account_credentials(&login).await?;
    let hash = found.as_ref().map(|(_, h)| h.phc().to_string());
    // An unknown login costs the same hash time as a wrong password.
    let ok = hasher.verify(password, hash.as_deref().unwrap_or(tiyan_infra::secret::DUMMY_HASH)).await?;
    let account = match found {
        Some((account, _)) if ok => account,
        _ => {
            tally.failed(store, now).await?;
            audit::record(store, Actor::Attempt(&login), Some(client), "sign_in_failed", &login, "", now).await?;
            return Err(Error::WrongPassword);
        }
    };
    tally.succeeded(store).await?;
    let (token, csrf) = (new_token(), new_token());
    store.create_session(&hex::encode(token_digest(&token)), account.id, &csrf, now).await?;
    audit::record(store, Actor::Account(&account), Some(client), "sign_in", &account.login, "", now).await?;
    Ok(SignedIn { account, token, csrf })
}

/// The session behind a cookie's token, if it is in force: one idle for longer
/// than `idle` has ended.
pub async fn session(store: &dyn Storage, token: &str, idle: Duration, now: DateTime<Utc>) -> Result<Option<Session>> {
    let key = hex::encode(token_digest(token));
    let Some(session) = store.session(&key).await? else { return Ok(None) };
    if now - session.last_seen_at > idle {
        store.end_session(&key).await?;
        return Ok(None);
    }
    // A write a minute is enough to keep the idle clock honest.
    if now - session.last_seen_at > Duration::seconds(60) {
        store.touch_session(&key, now).await?;
    }
    Ok(Some(session))
}

pub async fn sign_out(
    store: &dyn Storage,
    token: &str,
    account: &Account,
    client: IpAddr,
    now: DateTime<Utc>,
) -> Result<()> {
    store.end_session(&hex::encode(token_digest(token))).await?;
    audit::record(store, Actor::Account(account), Some(client), "sign_out", &account.login, "", now).await
}

/// Changes another account's role, hall or standing, or sets a new password,
/// by someone allowed to manage both what it was and what it becomes.
pub async fn update(
    store: &dyn Storage,
    who: &Who<'_>,
    id: Uuid,
    role: Role,
    hall_id: Option<&str>,
    disabled: bool,
) -> Result<Account> {
    let (by, client, now) = (who.account, who.client, who.now);
    let target = visible(store, by, id).await?;
    let hall_id = hall_id.map(str::trim).filter(|h| !h.is_empty());
    if !by.scope().manages_account(role, hall_id) || role.has_hall() != hall_id.is_some() {
        return Err(Error::Forbidden("you may not give this account that role or hall".into()));
    }
    if target.id == by.id {
        return Err(Invalid::OwnAccount.into());
    }
    let disabled_at = if disabled { Some(target.disabled_at.unwrap_or(now)) } else { None };
    store.update_account(id, role, hall_id, disabled_at).await?;
    let detail = format!("{} {}{}", role.as_str(), hall_id.unwrap_or("*"), if disabled { " disabled" } else { "" });
    audit::record(store, Actor::Account(by), Some(client), "account_changed", &target.login, &detail, now).await?;
    store.account(id).await?.ok_or_else(|| Error::NotFound("account".into()))
}

pub async fn reset_password(
    store: &dyn Storage,
    hasher: &Hasher,
    who: &Who<'_>,
    id: Uuid,
    password: &str,
) -> Result<()> {
    let (by, client, now) = (who.account, who.client, who.now);
    let target = visible(store, by, id).await?;
    check_password(password)?;
    let hash = hasher.hash(password).await?;
    store.set_password(id, &PasswordHash::new(hash)).await?;
    audit::record(store, Actor::Account(by), Some(client), "password_reset", &target.login, "", now).await
}

/// An account `by` may manage, else "not found" (what it may not manage, it
/// may not learn exists).
async fn visible(store: &dyn Storage, by: &Account, id: Uuid) -> Result<Account> {
    match store.account(id).await? {
        Some(a) if by.scope().manages_account(a.role, a.hall_id.as_deref()) => Ok(a),
        _ => Err(Error::NotFound("account".into())),
    }
}
