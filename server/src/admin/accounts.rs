//! Accounts and roles in the page: a supervisor makes and changes every
//! account; a hall administrator those of their own hall (never a
//! supervisor's). What an account may not manage it does not see.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiyan_core::accounts::Role;
use uuid::Uuid;

use super::ledger::context;
use super::page::{Choice, Chrome, Section, render, when};
use super::session::{Failure, Office, OnPage, Posted};
use crate::AppState;
use crate::error::{Error, Invalid};
use tiyan_services::accounts::{self, AccountForm};

pub struct AccountLine {
    pub id: String,
    pub login: String,
    pub name: String,
    pub role: &'static str,
    pub hall: String,
    pub disabled: Option<String>,
    pub created: String,
    pub roles: Vec<Choice>,
    pub halls: Vec<Choice>,
    /// Not one's own account: its role and standing may be changed here.
    pub changeable: bool,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    c: Chrome,
    accounts: Vec<AccountLine>,
    roles: Vec<Choice>,
    halls: Vec<Choice>,
}

/// The roles `office` may give, and the halls it may give them in.
fn offered(office: &Office, halls: &[(String, String)], role: &str, hall: &str) -> (Vec<Choice>, Vec<Choice>) {
    let t = office.t();
    let scope = office.scope();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| halls.iter().any(|(h, _)| scope.manages_account(*r, r.has_hall().then_some(h.as_str()))))
        .map(|r| Choice::new(r.as_str(), t.role(&r), role))
        .collect();
    let mut hall_choices = Vec::new();
    if scope.role == Role::Supervisor {
        hall_choices.push(Choice::new("", t.no_hall, hall));
    }
    hall_choices.extend(
        halls.iter().filter(|(h, _)| scope.administers(h)).map(|(h, n)| Choice::new(h.clone(), n.clone(), hall)),
    );
    (roles, hall_choices)
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Accounts)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let lang = super::names::language(office.lang);
        let halls: Vec<(String, String)> =
            cx.data.halls.iter().map(|h| (h.id.clone(), h.name.get(lang).to_string())).collect();
        let list = accounts::list(&state.services, &office.who()).await.on(&office)?;
        let accounts = list
            .iter()
            .map(|a| {
                let (roles, halls) = offered(&office, &halls, a.role.as_str(), a.hall_id.as_deref().unwrap_or(""));
                AccountLine {
                    id: a.id.to_string(),
                    login: a.login.clone(),
                    name: a.name.clone(),
                    role: t.role(&a.role),
                    hall: cx.names.hall(a.hall_id.as_deref()),
                    disabled: a.disabled_at.map(|d| t.fill(t.disabled_since, "when", when(d))),
                    created: when(a.created_at),
                    roles,
                    halls,
                    changeable: a.id != office.account.id,
                }
            })
            .collect();
        // A new account is most often a hall's: its hall is offered first.
        let default_hall =
            office.account.hall_id.clone().or_else(|| halls.first().map(|(h, _)| h.clone())).unwrap_or_default();
        let (roles, halls) = offered(&office, &halls, Role::Clerk.as_str(), &default_hall);
        render(&office, &AccountsPage { c, accounts, roles, halls })
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

fn role(office: &Office, s: &str) -> Result<Role, Failure> {
    Role::parse(s).ok_or(Failure::Page { error: Invalid::Value("role").into(), lang: office.lang })
}

#[derive(Deserialize)]
pub struct NewAccountPost {
    login: String,
    name: String,
    role: String,
    #[serde(default)]
    hall: String,
    password: String,
    password_again: String,
}

pub async fn create(State(state): State<Arc<AppState>>, posted: Posted<NewAccountPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let role = role(&office, &form.role)?;
        let made = if form.password != form.password_again {
            Err(Invalid::PasswordsDiffer.into())
        } else {
            let new = AccountForm {
                login: &form.login,
                name: &form.name,
                role,
                hall_id: Some(form.hall.as_str()),
                password: &form.password,
            };
            accounts::create(&state.services, &office.who(), &new).await
        };
        office.after(made.map(|_| office.t().created), "/admin/accounts")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct UpdatePost {
    role: String,
    #[serde(default)]
    hall: String,
    disabled: Option<String>,
}

fn account_id(office: &Office, id: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(id).map_err(|_| Failure::Page { error: Error::NotFound("account".into()), lang: office.lang })
}

pub async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    posted: Posted<UpdatePost>,
) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let id = account_id(&office, &id)?;
        let role = role(&office, &form.role)?;
        let changed =
            accounts::update(&state.services, &office.who(), id, role, Some(&form.hall), form.disabled.is_some()).await;
        office.after(changed.map(|_| office.t().saved_plain), "/admin/accounts")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct PasswordPost {
    password: String,
    password_again: String,
}

pub async fn reset_password(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    posted: Posted<PasswordPost>,
) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let id = account_id(&office, &id)?;
        let reset = if form.password == form.password_again {
            accounts::reset_password(&state.services, &office.who(), id, &form.password).await
        } else {
            Err(Invalid::PasswordsDiffer.into())
        };
        office.after(reset.map(|_| office.t().saved_plain), "/admin/accounts")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
