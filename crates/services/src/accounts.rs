//! The hall office's accounts: making them (the first supervisor from the
//! command line, the rest in the page, each by someone allowed to), signing in
//! with a lock-out, and sessions that live in the database (any server process
//! serves them) and end after idle time.

use std::net::IpAddr;

use chrono::Duration;
use tiyan_core::accounts::{Place, Role};
use tiyan_infra::secret::{new_token, token_digest};
use uuid::Uuid;

use super::audit::{self, AuditAction};
use super::lockout::Tally;
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{Account, NewAccount, PasswordHash, Session};

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
    pub place: Place,
    pub password: &'a str,
}

/// Makes an account, by someone who may (the console makes supervisors, the
/// first accounts of a new server; the page the rest).
pub async fn create(cx: &Services, who: &Who<'_>, form: &AccountForm<'_>) -> Result<Account> {
    let store = cx.store.as_ref();
    check_place(cx, who, form.role, &form.place).await?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 40 {
        return Err(Invalid::Name.into());
    }
    check_password(form.password)?;
    let login = normalize_login(form.login)?;
    let hash = cx.hasher.hash(form.password).await?;
    let account = store
        .create_account(&NewAccount {
            id: Uuid::now_v7(),
            login,
            name: name.to_string(),
            role: form.role,
            place: form.place.clone(),
            password: PasswordHash::new(hash),
            created_at: who.now,
        })
        .await?;
    let detail = format!("{} {}", account.role.as_str(), account.place().key());
    audit::record(cx, who, AuditAction::AccountCreated, &account.login, &detail).await?;
    Ok(account)
}

/// That an account of `role` may be at `place`, that `who` may put it there,
/// and that the place exists.
async fn check_place(cx: &Services, who: &Who<'_>, role: Role, place: &Place) -> Result<()> {
    if !role.may_be_at(place) {
        return Err(Invalid::HallForRole.into());
    }
    if !who.scope().manages_account(role, place) {
        return Err(Error::Forbidden("you may not give an account this role at this place".into()));
    }
    match place {
        Place::Everywhere => Ok(()),
        Place::Hall(h) => super::reference::known_place(cx, h, None).await,
        Place::Region(r) => match cx.reference().await?.regions.iter().any(|x| &x.code == r) {
            true => Ok(()),
            false => Err(Invalid::UnknownRegion(r.to_string()).into()),
        },
    }
}

/// A signed-in session: the cookie's token (given once) and the form token.
pub struct SignedIn {
    pub account: Account,
    pub token: String,
    pub csrf: String,
}

pub async fn sign_in(cx: &Services, login: &str, password: &str, client: IpAddr) -> Result<SignedIn> {
    let (store, now) = (cx.store.as_ref(), cx.now());
    let login = login.trim().to_lowercase();
    let tally = Tally::new(format!("account:{login}"), client);
    if let Err(e) = tally.check(store, now).await {
        audit::attempt(cx, &login, client, AuditAction::SignInLocked, now).await?;
        return Err(e);
    }
    let found = store.account_credentials(&login).await?;
    let hash = found.as_ref().map(|(_, h)| h.phc().to_string());
    // An unknown login costs the same hash time as a wrong password.
    let ok = cx.hasher.verify(password, hash.as_deref().unwrap_or(tiyan_infra::secret::DUMMY_HASH)).await?;
    let account = match found {
        Some((account, _)) if ok => account,
        _ => {
            tally.failed(store, now).await?;
            audit::attempt(cx, &login, client, AuditAction::SignInFailed, now).await?;
            return Err(Error::WrongPassword);
        }
    };
    tally.succeeded(store).await?;
    let (token, csrf) = (new_token(), new_token());
    store.create_session(&hex::encode(token_digest(&token)), account.id, &csrf, now).await?;
    audit::record(cx, &Who::account(&account, client, now), AuditAction::SignIn, &account.login, "").await?;
    Ok(SignedIn { account, token, csrf })
}

/// The session behind a cookie's token, if it is in force: one idle for longer
/// than `idle` has ended.
pub async fn session(cx: &Services, token: &str, idle: Duration) -> Result<Option<Session>> {
    let (store, now) = (cx.store.as_ref(), cx.now());
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

pub async fn sign_out(cx: &Services, who: &Who<'_>, token: &str) -> Result<()> {
    cx.store.end_session(&hex::encode(token_digest(token))).await?;
    let login = who.signed_in().map(|a| a.login.as_str()).unwrap_or_default();
    audit::record(cx, who, AuditAction::SignOut, login, "").await
}

/// Changes another account's role, hall or standing, or sets a new password,
/// by someone allowed to manage both what it was and what it becomes.
pub async fn update(
    cx: &Services,
    who: &Who<'_>,
    id: Uuid,
    role: Role,
    place: &Place,
    disabled: bool,
) -> Result<Account> {
    let store = cx.store.as_ref();
    let target = visible(cx, who, id).await?;
    check_place(cx, who, role, place).await?;
    if who.signed_in().is_some_and(|by| by.id == target.id) {
        return Err(Invalid::OwnAccount.into());
    }
    let disabled_at = if disabled { Some(target.disabled_at.unwrap_or(who.now)) } else { None };
    store.update_account(id, role, place, disabled_at).await?;
    let detail = format!("{} {}{}", role.as_str(), place.key(), if disabled { " disabled" } else { "" });
    audit::record(cx, who, AuditAction::AccountChanged, &target.login, &detail).await?;
    store.account(id).await?.ok_or_else(|| Error::NotFound("account".into()))
}

pub async fn reset_password(cx: &Services, who: &Who<'_>, id: Uuid, password: &str) -> Result<()> {
    let target = visible(cx, who, id).await?;
    check_password(password)?;
    let hash = cx.hasher.hash(password).await?;
    cx.store.set_password(id, &PasswordHash::new(hash)).await?;
    audit::record(cx, who, AuditAction::PasswordReset, &target.login, "").await
}

/// Their own account and those `who` may manage: at their place or below.
pub async fn list(cx: &Services, who: &Who<'_>) -> Result<Vec<Account>> {
    let scope = who.scope();
    let own = who.signed_in().map(|a| a.id);
    let mut list = cx.store.accounts().await?;
    list.retain(|a| Some(a.id) == own || scope.manages_account(a.role, &a.place()));
    Ok(list)
}

/// An account `who` may manage, else "not found" (what they may not manage,
/// they may not learn exists).
pub async fn visible(cx: &Services, who: &Who<'_>, id: Uuid) -> Result<Account> {
    match cx.store.account(id).await? {
        Some(a) if who.scope().manages_account(a.role, &a.place()) => Ok(a),
        _ => Err(Error::NotFound("account".into())),
    }
}
