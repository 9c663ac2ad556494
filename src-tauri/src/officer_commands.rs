//! The officer laptop's commands: sign-in (online first, then offline), the
//! diary (drafts, photos, submit, revisions, the publishable page) and sync.
//! Each officer sees only their own entries: every call names the officer
//! signed in, never one the page sends.

use std::sync::{Arc, Mutex};
use tiyan_core::error_code::ErrorCode;

use base64::Engine as _;
use serde::Serialize;
use tauri::State;
use tiyan_client::diary::{Draft, EntrySummary, PhotoInfo};
use tiyan_client::ledger::ProblemLedger;
use tiyan_client::reference::DiaryChoices;
use tiyan_client::sync::transport::Http;
use tiyan_client::sync::{Engine, SyncHandle, SyncStatus};
use tiyan_client::{Error, Kiosk};
use tiyan_core::diary::{DiaryBody, DiaryRevision};
use tiyan_core::ledger::Satisfaction;
use tiyan_core::mask::mask_name;
use tiyan_core::reference::Officer;
use uuid::Uuid;

use crate::commands::{Answer, blocking};
use crate::error::CommandError;
use crate::shell::Shell;

/// Who is signed in on this laptop, in memory only: a restart asks again.
#[derive(Default)]
pub struct OfficerDesk {
    current: Mutex<Option<Officer>>,
}

impl OfficerDesk {
    fn officer(&self) -> Answer<Officer> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| CommandError::new(ErrorCode::OfficerSignedOut, "no officer is signed in"))
    }

    fn id(&self) -> Answer<String> {
        Ok(self.officer()?.id)
    }
}

/// An officer as the screens show them: the name masked, as in anything published.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OfficerCard {
    pub id: String,
    pub masked_name: String,
    pub gender: Option<String>,
    pub age: Option<u8>,
    pub occupation: Option<String>,
    pub appointed_to: String,
}

impl From<&Officer> for OfficerCard {
    fn from(o: &Officer) -> Self {
        OfficerCard {
            id: o.id.clone(),
            masked_name: mask_name(&o.name),
            gender: o.gender.clone(),
            age: o.age,
            occupation: o.occupation.clone(),
            appointed_to: o.appointed_to.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct OfficerStatus {
    pub officer: Option<OfficerCard>,
    /// Officers who signed in here before: offered on the sign-in screen.
    pub known: Vec<OfficerCard>,
    pub enrolled: bool,
}

#[tauri::command]
pub async fn officer_status(kiosk: State<'_, Arc<Kiosk>>, desk: State<'_, OfficerDesk>) -> Answer<OfficerStatus> {
    let officer = desk.officer().ok().as_ref().map(OfficerCard::from);
    let (known, enrolled) =
        blocking(&kiosk, |k| Ok((k.store().local_officers()?, k.store().credentials()?.is_some()))).await?;
    Ok(OfficerStatus { officer, known: known.iter().map(OfficerCard::from).collect(), enrolled })
}

#[tauri::command]
pub async fn officer_sign_in(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    sync: State<'_, SyncHandle>,
    officer_id: String,
    password: String,
) -> Answer<OfficerCard> {
    let store = kiosk.shared_store();
    let credentials = blocking(&kiosk, |k| k.store().credentials()).await?;
    let officer = match credentials {
        Some((url, _)) => {
            let transport = Http::new(&url).map_err(|e| CommandError::new(ErrorCode::InvalidServer, e.to_string()))?;
            Engine::new(store, transport).officer_sign_in(&officer_id, &password).await?
        }
        None => blocking(&kiosk, move |k| k.store().officer_sign_in_offline(officer_id.trim(), &password)).await?,
    };
    tracing::info!(officer = %officer.id, "officer signed in");
    let card = OfficerCard::from(&officer);
    *desk.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(officer);
    sync.nudge();
    Ok(card)
}

#[tauri::command]
pub async fn officer_sign_out(desk: State<'_, OfficerDesk>) -> Answer<()> {
    *desk.current.lock().unwrap_or_else(|p| p.into_inner()) = None;
    Ok(())
}

#[tauri::command]
pub async fn officer_sync(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    sync: State<'_, SyncHandle>,
    now: bool,
) -> Answer<SyncStatus> {
    desk.id()?;
    if now {
        sync.sync_now();
    }
    let sync = sync.inner().clone();
    blocking(&kiosk, move |_| sync.status()).await
}

#[tauri::command]
pub async fn diary_choices(kiosk: State<'_, Arc<Kiosk>>, desk: State<'_, OfficerDesk>) -> Answer<DiaryChoices> {
    desk.id()?;
    blocking(&kiosk, |k| k.store().diary_choices()).await
}

/// An entry in the list, with the ledger's word on its problems.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EntryRow {
    #[serde(flatten)]
    pub summary: EntrySummary,
    pub ledger: Vec<ProblemLedger>,
}

#[tauri::command]
pub async fn diary_list(kiosk: State<'_, Arc<Kiosk>>, desk: State<'_, OfficerDesk>) -> Answer<Vec<EntryRow>> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| {
        k.store()
            .entries(&id)?
            .into_iter()
            .map(|summary| Ok(EntryRow { ledger: k.store().ledger_states(summary.entry_id)?, summary }))
            .collect()
    })
    .await
}

#[tauri::command]
pub async fn diary_new(kiosk: State<'_, Arc<Kiosk>>, desk: State<'_, OfficerDesk>) -> Answer<Draft> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| k.store().new_draft(&id)).await
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EntryDetail {
    pub entry_id: Uuid,
    pub draft: Option<Draft>,
    /// Every submitted revision, oldest first.
    pub history: Vec<DiaryRevision>,
    pub ledger: Vec<ProblemLedger>,
}

#[tauri::command]
pub async fn diary_open(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    entry_id: Uuid,
) -> Answer<EntryDetail> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| {
        let s = k.store();
        let detail = EntryDetail {
            entry_id,
            draft: s.draft(&id, entry_id)?,
            history: s.history(&id, entry_id)?,
            ledger: s.ledger_states(entry_id)?,
        };
        if detail.draft.is_none() && detail.history.is_empty() {
            return Err(Error::UnknownEntry);
        }
        Ok(detail)
    })
    .await
}

#[tauri::command]
pub async fn diary_save(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    entry_id: Uuid,
    body: DiaryBody,
) -> Answer<Draft> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| k.store().save_draft(&id, entry_id, &body)).await
}

#[tauri::command]
pub async fn diary_delete_draft(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    entry_id: Uuid,
) -> Answer<()> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| k.store().delete_draft(&id, entry_id)).await
}

#[tauri::command]
pub async fn diary_edit(kiosk: State<'_, Arc<Kiosk>>, desk: State<'_, OfficerDesk>, entry_id: Uuid) -> Answer<Draft> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| k.store().edit_entry(&id, entry_id)).await
}

#[tauri::command]
pub async fn diary_submit(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    sync: State<'_, SyncHandle>,
    entry_id: Uuid,
) -> Answer<DiaryRevision> {
    let id = desk.id()?;
    let revision = blocking(&kiosk, move |k| k.store().submit_entry(&id, entry_id)).await?;
    sync.nudge();
    Ok(revision)
}

/// The officer's answer to the hall office's reply on one of their problems;
/// it travels with the next sync, exactly once.
#[tauri::command]
pub async fn diary_answer(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    sync: State<'_, SyncHandle>,
    problem_id: Uuid,
    satisfaction: Satisfaction,
) -> Answer<()> {
    let id = desk.id()?;
    blocking(&kiosk, move |k| k.store().answer_problem(&id, problem_id, satisfaction).map(|_| ())).await?;
    sync.nudge();
    Ok(())
}

/// A photo's bytes, sent raw (not as JSON): decoded, turned upright, stripped
/// and scaled on this worker thread, never the UI's.
#[tauri::command]
pub async fn diary_add_photo(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    request: tauri::ipc::Request<'_>,
) -> Answer<PhotoInfo> {
    let id = desk.id()?;
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new(ErrorCode::PhotoRefused, "the photo must be sent as raw bytes"));
    };
    let bytes = bytes.clone();
    blocking(&kiosk, move |k| k.store().add_photo(&id, &bytes)).await
}

/// A photo (or its thumbnail) as a data URL for an `<img>`.
#[tauri::command]
pub async fn diary_photo(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    sha256: String,
    thumb: bool,
) -> Answer<String> {
    desk.id()?;
    let bytes = blocking(&kiosk, move |k| k.store().photo(&sha256, thumb)).await?;
    Ok(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportedPage {
    pub html: String,
    pub path: String,
}

/// The publishable page of the entry's latest revision, also written to the
/// data folder's exports/ as a self-contained HTML file.
#[tauri::command]
pub async fn diary_export(
    kiosk: State<'_, Arc<Kiosk>>,
    desk: State<'_, OfficerDesk>,
    shell: State<'_, Shell>,
    entry_id: Uuid,
) -> Answer<ExportedPage> {
    let officer = desk.officer()?;
    let dir = shell.data_dir.join("exports");
    blocking(&kiosk, move |k| {
        let latest = k.store().history(&officer.id, entry_id)?.pop().ok_or(Error::UnknownEntry)?;
        let html = k.store().diary_page(&officer, &latest)?;
        std::fs::create_dir_all(&dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        let path = dir.join(format!("diary-{entry_id}-r{}.html", latest.revision));
        std::fs::write(&path, &html).map_err(Error::io(format!("writing {}", path.display())))?;
        Ok(ExportedPage { html, path: path.display().to_string() })
    })
    .await
}
