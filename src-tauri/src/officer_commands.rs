//! The officer laptop's commands: each one call on [`tiyan_client::Laptop`]
//! (sign-in and its online-then-offline policy, the diary, the publishable
//! page) run off the UI thread; sync is nudged after a change that has
//! something to send.

use std::sync::Arc;

use base64::Engine as _;
use tauri::State;
use tiyan_client::Laptop;
use tiyan_client::diary::{Draft, PhotoInfo};
use tiyan_client::laptop::{EntryDetail, EntryRow, ExportedPage, OfficerCard, OfficerStatus};
use tiyan_client::reference::DiaryChoices;
use tiyan_client::sync::{SyncHandle, SyncStatus};
use tiyan_core::diary::{DiaryBody, DiaryRevision};
use tiyan_core::error_code::ErrorCode;
use tiyan_core::ledger::Satisfaction;
use uuid::Uuid;

use crate::commands::{Answer, off_the_ui};
use crate::error::CommandError;

type Officer<'a> = State<'a, Arc<Laptop>>;

#[tauri::command]
pub async fn officer_status(laptop: Officer<'_>) -> Answer<OfficerStatus> {
    off_the_ui(&laptop, |l| l.status()).await
}

#[tauri::command]
pub async fn officer_sign_in(
    laptop: Officer<'_>,
    sync: State<'_, SyncHandle>,
    officer_id: String,
    password: String,
) -> Answer<OfficerCard> {
    let card = laptop.sign_in(&officer_id, &password).await?;
    sync.nudge();
    Ok(card)
}

#[tauri::command]
pub async fn officer_sign_out(laptop: Officer<'_>) -> Answer<()> {
    laptop.sign_out();
    Ok(())
}

#[tauri::command]
pub async fn officer_sync(laptop: Officer<'_>, sync: State<'_, SyncHandle>, now: bool) -> Answer<SyncStatus> {
    laptop.officer()?;
    if now {
        sync.sync_now();
    }
    let sync = sync.inner().clone();
    off_the_ui(&laptop, move |_| sync.status()).await
}

#[tauri::command]
pub async fn diary_choices(laptop: Officer<'_>) -> Answer<DiaryChoices> {
    off_the_ui(&laptop, |l| l.choices()).await
}

#[tauri::command]
pub async fn diary_list(laptop: Officer<'_>) -> Answer<Vec<EntryRow>> {
    off_the_ui(&laptop, |l| l.entries()).await
}

#[tauri::command]
pub async fn diary_new(laptop: Officer<'_>) -> Answer<Draft> {
    off_the_ui(&laptop, |l| l.new_draft()).await
}

#[tauri::command]
pub async fn diary_open(laptop: Officer<'_>, entry_id: Uuid) -> Answer<EntryDetail> {
    off_the_ui(&laptop, move |l| l.open(entry_id)).await
}

#[tauri::command]
pub async fn diary_save(laptop: Officer<'_>, entry_id: Uuid, body: DiaryBody) -> Answer<Draft> {
    off_the_ui(&laptop, move |l| l.save(entry_id, &body)).await
}

#[tauri::command]
pub async fn diary_delete_draft(laptop: Officer<'_>, entry_id: Uuid) -> Answer<()> {
    off_the_ui(&laptop, move |l| l.delete_draft(entry_id)).await
}

#[tauri::command]
pub async fn diary_edit(laptop: Officer<'_>, entry_id: Uuid) -> Answer<Draft> {
    off_the_ui(&laptop, move |l| l.edit(entry_id)).await
}

#[tauri::command]
pub async fn diary_submit(laptop: Officer<'_>, sync: State<'_, SyncHandle>, entry_id: Uuid) -> Answer<DiaryRevision> {
    let revision = off_the_ui(&laptop, move |l| l.submit(entry_id)).await?;
    sync.nudge();
    Ok(revision)
}

/// The officer's answer to the hall office's reply on one of their problems;
/// it travels with the next sync, exactly once.
#[tauri::command]
pub async fn diary_answer(
    laptop: Officer<'_>,
    sync: State<'_, SyncHandle>,
    problem_id: Uuid,
    satisfaction: Satisfaction,
) -> Answer<()> {
    off_the_ui(&laptop, move |l| l.answer(problem_id, satisfaction)).await?;
    sync.nudge();
    Ok(())
}

/// A photo's bytes, sent raw (not as JSON): decoded, turned upright, stripped
/// and scaled on this worker thread, never the UI's.
#[tauri::command]
pub async fn diary_add_photo(laptop: Officer<'_>, request: tauri::ipc::Request<'_>) -> Answer<PhotoInfo> {
    let tauri::ipc::InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new(ErrorCode::PhotoRefused, "the photo must be sent as raw bytes"));
    };
    let bytes = bytes.clone();
    off_the_ui(&laptop, move |l| l.add_photo(&bytes)).await
}

/// A photo (or its thumbnail) as a data URL for an `<img>`.
#[tauri::command]
pub async fn diary_photo(laptop: Officer<'_>, sha256: String, thumb: bool) -> Answer<String> {
    let bytes = off_the_ui(&laptop, move |l| l.photo(&sha256, thumb)).await?;
    Ok(format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes)))
}

/// The publishable page of the entry's latest revision, also written to the
/// data folder's exports/ as a self-contained HTML file.
#[tauri::command]
pub async fn diary_export(laptop: Officer<'_>, entry_id: Uuid) -> Answer<ExportedPage> {
    off_the_ui(&laptop, move |l| l.export_page(entry_id)).await
}
