//! Sync from the admin screen: the status in plain words, "sync now", and
//! enrolment with a one-time code.

use std::sync::Arc;
use tiyan_core::error_code::ErrorCode;

use tauri::{AppHandle, Runtime, State};
use tiyan_client::Kiosk;
use tiyan_client::sync::transport::Http;
use tiyan_client::sync::{Engine, SyncError, SyncHandle, SyncStatus};
use tiyan_core::protocol::DeviceRole;

use crate::commands::{Answer, blocking};
use crate::error::CommandError;

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> Self {
        CommandError::new(e.code(), e.to_string())
    }
}

#[tauri::command]
pub async fn sync_status(kiosk: State<'_, Arc<Kiosk>>, sync: State<'_, SyncHandle>) -> Answer<SyncStatus> {
    let sync = sync.inner().clone();
    blocking(&kiosk, move |k| {
        k.require_admin()?;
        sync.status()
    })
    .await
}

#[tauri::command]
pub async fn sync_now(kiosk: State<'_, Arc<Kiosk>>, sync: State<'_, SyncHandle>) -> Answer<()> {
    kiosk.require_admin()?;
    sync.sync_now();
    Ok(())
}

/// Enrols with the server at `server_url` using a code from `tiyan-server enroll`.
/// Allowed during first setup, afterwards only with the admin PIN.
#[tauri::command]
pub async fn sync_enroll<R: Runtime>(
    app: AppHandle<R>,
    kiosk: State<'_, Arc<Kiosk>>,
    sync: State<'_, SyncHandle>,
    server_url: String,
    code: String,
) -> Answer<()> {
    blocking(&kiosk, |k| k.require_setup_or_admin()).await?;
    enrol(&app, &kiosk, &sync, server_url.trim(), &code).await
}

async fn enrol<R: Runtime>(
    app: &AppHandle<R>,
    kiosk: &Kiosk,
    sync: &SyncHandle,
    server_url: &str,
    code: &str,
) -> Answer<()> {
    let transport = Http::new(server_url).map_err(|e| CommandError::new(ErrorCode::InvalidServer, e.to_string()))?;
    let enrolled = Engine::new(kiosk.shared_store(), transport).enroll(server_url, code, &device_name()).await?;
    sync.sync_now();
    if enrolled.role == DeviceRole::Officer {
        crate::officer_window::switch_to(app).map_err(|e| CommandError::new(ErrorCode::WindowFailed, e.to_string()))?;
    }
    Ok(())
}

/// `--server` and `--enrolment-code` on the command line: enrol once, unattended.
pub async fn enrol_at_start<R: Runtime>(
    app: &AppHandle<R>,
    kiosk: &Kiosk,
    sync: &SyncHandle,
    server_url: &str,
    code: &str,
) {
    match kiosk.store().enrolment() {
        Ok(e) if e.state != tiyan_client::sync_state::EnrolmentState::NotEnrolled => return,
        Ok(_) => {}
        Err(e) => return tracing::error!(%e, "cannot read the enrolment"),
    }
    match enrol(app, kiosk, sync, server_url, code).await {
        Ok(()) => tracing::info!(server_url, "enrolled with the server"),
        Err(e) => tracing::error!(server_url, code = e.code.as_str(), message = e.message, "enrolment failed"),
    }
}

/// How the device introduces itself to the server: its host name.
fn device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "Tiyan kiosk".into())
}
