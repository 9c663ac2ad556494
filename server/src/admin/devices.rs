//! Devices in the page: the kiosks and officer laptops of the account's
//! halls with their last contact, enrolment codes shown once with their QR
//! code (printable), and revoking.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use serde::Deserialize;
use tiyan_core::protocol::DeviceRole;
use uuid::Uuid;

use super::ledger::context;
use super::page::{Choice, Chrome, Section, render, when};
use super::session::{Office, OnPage, Posted};
use crate::AppState;
use crate::error::{Error, Invalid};
use tiyan_services::codes;
use tiyan_services::{devices, fleet};

pub struct DeviceLine {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub hall: String,
    pub window: String,
    pub enrolled: String,
    pub last_contact: String,
    pub ratings: u64,
    pub revoked: bool,
    pub app_version: String,
    pub waiting: u64,
    pub clock: String,
    pub silent: bool,
    /// The edition of the reference data and the centre's settings the device holds.
    pub settings: String,
    pub settings_behind: bool,
}

#[derive(Template)]
#[template(path = "admin/devices.html")]
struct DevicesPage {
    c: Chrome,
    devices: Vec<DeviceLine>,
    /// Each app version in use with how many devices run it, newest first.
    versions: Vec<(String, usize)>,
    /// Every window the account may enrol a kiosk at, as `hall|window`.
    places: Vec<Choice>,
    halls: Vec<Choice>,
}

fn kind(t: &super::texts::Texts, role: DeviceRole) -> &'static str {
    match role {
        DeviceRole::Kiosk => t.kiosk,
        DeviceRole::Officer => t.officer_laptop,
    }
}

pub async fn page(State(state): State<Arc<AppState>>, office: Office) -> Response {
    let result = async {
        let c = Chrome::new(&office, Section::Devices)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let scope = office.scope();
        // Reports this process was given a moment ago show too.
        state.services.settle().await;
        let list = devices::list(&state.services, &office.who()).await.on(&office)?;
        let fleet = fleet::fleet(&state.services, &office.who()).await.on(&office)?;
        let devices = fleet
            .iter()
            .map(|l| {
                let d = &l.row.device;
                DeviceLine {
                    id: d.id.to_string(),
                    name: d.name.clone(),
                    kind: kind(t, d.role),
                    hall: cx.names.hall(Some(&d.hall_id)),
                    window: cx.names.window(d.window_id.as_deref()),
                    enrolled: when(d.enrolled_at),
                    last_contact: l.last_contact.map_or_else(|| t.never.to_string(), when),
                    ratings: list.iter().find(|x| x.device.id == d.id).map_or(0, |x| x.ratings),
                    revoked: d.revoked_at.is_some(),
                    app_version: l.row.app_version.clone().unwrap_or_default(),
                    waiting: l.row.waiting,
                    clock: l.row.clock_offset_seconds.map_or_else(String::new, |s| format!("{s:+} s")),
                    silent: l.silent,
                    settings: l.row.reference_held.map(|v| format!("v{v}")).unwrap_or_default(),
                    settings_behind: d.revoked_at.is_none()
                        && l.row.reference_held.is_some_and(|held| Some(held) < l.row.reference_current),
                }
            })
            .collect::<Vec<DeviceLine>>();
        let mut versions: Vec<(String, usize)> = Vec::new();
        for d in devices.iter().filter(|d| !d.revoked && !d.app_version.is_empty()) {
            match versions.iter_mut().find(|(v, _)| *v == d.app_version) {
                Some((_, n)) => *n += 1,
                None => versions.push((d.app_version.clone(), 1)),
            }
        }
        versions.sort_by_key(|(v, _)| std::cmp::Reverse(semver_key(v)));
        let places = cx
            .data
            .windows
            .iter()
            .filter(|w| scope.administers(&w.hall_id))
            .map(|w| {
                let label = format!("{} · {}", cx.names.hall(Some(&w.hall_id)), cx.names.window(Some(&w.id)));
                Choice::new(format!("{}|{}", w.hall_id, w.id), label, "")
            })
            .collect();
        let halls = cx
            .data
            .halls
            .iter()
            .filter(|h| scope.administers(&h.id))
            .map(|h| Choice::new(h.id.clone(), cx.names.hall(Some(&h.id)), ""))
            .collect();
        render(&office, &DevicesPage { c, devices, versions, places, halls })
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// An app version's numbers, for ordering (`0.10.0` after `0.9.2`).
fn semver_key(v: &str) -> Vec<u64> {
    v.split(['.', '-', '+']).map(|p| p.parse().unwrap_or(0)).collect()
}

#[derive(Template)]
#[template(path = "admin/code.html")]
struct CodePage {
    c: Chrome,
    code: String,
    kind: &'static str,
    place: String,
    valid_until: String,
    note: String,
    qr: String,
}

#[derive(Deserialize)]
pub struct CodePost {
    /// `kiosk` or `officer`.
    role: String,
    /// For a kiosk: `hall|window`.
    #[serde(default)]
    place: String,
    /// For an officer laptop: the hall.
    #[serde(default)]
    hall: String,
    hours: i64,
}

/// Issues a code and shows it with its QR code, this once (as a page, never
/// in an address: the code is a credential until it is used).
pub async fn issue_code(State(state): State<Arc<AppState>>, posted: Posted<CodePost>) -> Response {
    let Posted { office, form } = posted;
    let result = async {
        let c = Chrome::new(&office, Section::Devices)?;
        let t = office.t();
        let cx = context(&state, &office).await?;
        let (role, hall, window) = match form.role.as_str() {
            "kiosk" => {
                let (hall, window) = form.place.split_once('|').ok_or(Invalid::Required("window")).on(&office)?;
                (DeviceRole::Kiosk, hall.to_string(), Some(window.to_string()))
            }
            "officer" => (DeviceRole::Officer, form.hall.clone(), None),
            _ => return Err(Invalid::Value("kind")).on(&office),
        };
        let valid = Duration::hours(form.hours);
        let issued = devices::issue_code(&state.services, &office.who(), role, &hall, window.as_deref(), valid).await;
        let code = match issued {
            Ok(code) => code,
            Err(e) => return office.after(Err(e), "/admin/devices"),
        };
        let server = office.server_url(state.settings.public_url.as_deref());
        let png = codes::qr_png(&codes::enrolment_uri(&server, &code)).map_err(Error::internal).on(&office)?;
        let place = match &window {
            Some(w) => format!("{} · {}", cx.names.hall(Some(&hall)), cx.names.window(Some(w))),
            None => cx.names.hall(Some(&hall)),
        };
        let page = CodePage {
            c,
            code,
            kind: kind(t, role),
            place,
            valid_until: when(office.now + valid),
            note: t.fill(t.code_note, "hours", form.hours),
            qr: format!("data:image/png;base64,{}", STANDARD.encode(png)),
        };
        render(&office, &page)
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    posted: Posted<super::session::Nothing>,
) -> Response {
    let office = posted.office;
    let result = async {
        let id = Uuid::parse_str(&id).map_err(|_| Error::NotFound("device".into())).on(&office)?;
        let revoked = devices::revoke(&state.services, &office.who(), id).await;
        office.after(revoked.map(|_| office.t().revoked), "/admin/devices")
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}
