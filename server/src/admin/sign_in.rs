//! Signing in and out. A wrong password counts against the login and the
//! address (the lock-out the PINs use); the page never says which of the two
//! was wrong.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::page::{error_page, query_value};
use super::session::{self, Failure, Nothing, Posted, clear_session, local_path, see_other, session_cookie};
use super::texts::{Lang, Texts};
use crate::AppState;
use crate::client_addr::ClientAddr;
use crate::error::Error;
use tiyan_services::accounts;

#[derive(Template)]
#[template(path = "admin/sign_in.html")]
struct SignInPage {
    t: &'static Texts,
    next: String,
    login: String,
    problem: Option<String>,
    lang_href: String,
}

#[derive(Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
    ended: Option<String>,
}

fn sign_in_page(t: &'static Texts, lang: Lang, next: String, login: String, problem: Option<String>) -> Response {
    let lang_href = lang.toggle_href(&format!("/admin/sign-in?next={}", query_value(&next)));
    let page = SignInPage { t, next, login, problem, lang_href };
    match page.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => error_page(t, axum::http::StatusCode::INTERNAL_SERVER_ERROR, &t.error(&Error::internal(e))),
    }
}

pub async fn page(State(state): State<Arc<AppState>>, headers: HeaderMap, Query(q): Query<SignInQuery>) -> Response {
    let lang = session::lang(&headers);
    let next = local_path(q.next.as_deref());
    // Already signed in: straight on.
    let jar = CookieJar::from_headers(&headers);
    if let Some(token) = jar.get(session::SESSION_COOKIE)
        && let Ok(Some(_)) = accounts::session(&state.services, token.value(), state.settings.session_idle).await
    {
        return see_other(&next);
    }
    let t = lang.texts();
    let problem = q.ended.map(|_| t.session_ended.to_string());
    sign_in_page(t, lang, next, String::new(), problem)
}

#[derive(Deserialize)]
pub struct SignInForm {
    login: String,
    password: String,
    next: Option<String>,
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    ClientAddr(client): ClientAddr,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = session::lang(&headers);
    let t = lang.texts();
    // No session yet to bind a token to: a sign-in must still come from this site.
    if !session::same_origin(&headers, state.settings.public_url.as_deref()) {
        return Failure::Refused { lang }.into_response();
    }
    let next = local_path(form.next.as_deref());
    let signed = accounts::sign_in(&state.services, &form.login, &form.password, client).await;
    match signed {
        Ok(signed) => {
            let cookie = session_cookie(signed.token, session::secure(&state));
            (CookieJar::new().add(cookie), see_other(&next)).into_response()
        }
        Err(e @ (Error::WrongPassword | Error::Locked { .. })) => {
            let login = form.login.chars().take(40).collect();
            sign_in_page(t, lang, next, login, Some(t.error(&e)))
        }
        Err(error) => Failure::Page { error, lang }.into_response(),
    }
}

pub async fn sign_out(State(state): State<Arc<AppState>>, posted: Posted<Nothing>) -> Response {
    let office = posted.office;
    let result = accounts::sign_out(&state.services, &office.who(), &office.token).await;
    match result {
        Ok(()) => (clear_session(office.secure), see_other("/admin/sign-in")).into_response(),
        Err(error) => Failure::Page { error, lang: office.lang }.into_response(),
    }
}
