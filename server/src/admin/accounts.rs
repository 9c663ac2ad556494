//! Accounts and roles in the page: a supervisor makes and changes the
//! accounts at their place and below it (a region's halls and regions); an
//! administrator the same, never a supervisor's. What an account may not
//! manage it does not see.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tiyan_core::accounts::{Place, Role};
use tiyan_core::region::in_tree_order;
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
    pub place: String,
    pub disabled: Option<String>,
    pub created: String,
    pub roles: Vec<Choice>,
    pub places: Vec<Choice>,
    /// Not one's own account: its role and standing may be changed here.
    pub changeable: bool,
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    c: Chrome,
    accounts: Vec<AccountLine>,
    roles: Vec<Choice>,
    places: Vec<Choice>,
}

/// The places an account may be put at by `office`, with their names: the
/// whole server, the regions in tree order (indented), the halls.
fn places(office: &Office, cx: &super::ledger::Context) -> Vec<(Place, String)> {
    let t = office.t();
    let lang = super::names::language(office.lang);
    let scope = office.scope();
    let mut out = vec![(Place::Everywhere, t.no_hall.to_string())];
    out.extend(in_tree_order(&cx.data.regions).into_iter().map(|(depth, r)| {
        (Place::Region(r.code.clone()), format!("{}{} {}", "　".repeat(depth), r.code, r.name.get(lang)))
    }));
    out.extend(cx.data.halls.iter().map(|h| (Place::Hall(h.id.clone()), h.name.get(lang).to_string())));
    out.retain(|(p, _)| scope.holds(p));
    out
}

/// The roles `office` may give, and the places it may give them at.
fn offered(office: &Office, places: &[(Place, String)], role: &str, place: &Place) -> (Vec<Choice>, Vec<Choice>) {
    let t = office.t();
    let scope = office.scope();
    let roles = Role::ALL
        .into_iter()
        .filter(|r| places.iter().any(|(p, _)| scope.manages_account(*r, p)))
        .map(|r| Choice::new(r.as_str(), t.role(&r), role))
        .collect();
    let key = place.key();
    let choices = places.iter().map(|(p, name)| Choice::new(p.key(), name.clone(), &key)).collect();
    (roles, choices)
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Accounts)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let places = places(&office, &cx);
        let list = accounts::list(&state.services, &office.who()).await.on(&office)?;
        let accounts = list
            .iter()
            .map(|a| {
                let place = a.place();
                let (roles, choices) = offered(&office, &places, a.role.as_str(), &place);
                AccountLine {
                    id: a.id.to_string(),
                    login: a.login.clone(),
                    name: a.name.clone(),
                    role: t.role(&a.role),
                    place: places
                        .iter()
                        .find(|(p, _)| *p == place)
                        .map_or_else(|| place.key(), |(_, n)| n.trim().to_string()),
                    disabled: a.disabled_at.map(|d| t.fill(t.disabled_since, "when", when(d))),
                    created: when(a.created_at),
                    roles,
                    places: choices,
                    changeable: a.id != office.account.id,
                }
            })
            .collect();
        // A new account is most often a hall's: the first hall is offered first.
        let default_place = places
            .iter()
            .map(|(p, _)| p)
            .find(|p| matches!(p, Place::Hall(_)))
            .cloned()
            .unwrap_or_else(|| office.account.place());
        let (roles, places) = offered(&office, &places, Role::Clerk.as_str(), &default_place);
        render(&office, &AccountsPage { c, accounts, roles, places })
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// The place a form names; anything else is refused as a bad value.
fn place(office: &Office, key: &str) -> Result<Place, Failure> {
    Place::from_key(key).ok_or(Failure::Page { error: Invalid::Value("place").into(), lang: office.lang })
}

fn role(office: &Office, s: &str) -> Result<Role, Failure> {
    Role::parse(s).ok_or(Failure::Page { error: Invalid::Value("role").into(), lang: office.lang })
}

#[derive(Deserialize)]
pub struct NewAccountPost {
    login: String,
    name: String,
    role: String,
    place: String,
    password: String,
    password_again: String,
}

pub async fn create(State(state): State<Arc<AppState>>, posted: Posted<NewAccountPost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let role = role(&office, &form.role)?;
        let place = place(&office, &form.place)?;
        let made = if form.password != form.password_again {
            Err(Invalid::PasswordsDiffer.into())
        } else {
            let new = AccountForm { login: &form.login, name: &form.name, role, place, password: &form.password };
            accounts::create(&state.services, &office.who(), &new).await
        };
        office.after(made.map(|_| office.t().created), "/admin/accounts")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct UpdatePost {
    role: String,
    place: String,
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
        let place = place(&office, &form.place)?;
        let changed = accounts::update(&state.services, &office.who(), id, role, &place, form.disabled.is_some()).await;
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
