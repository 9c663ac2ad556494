//! One round of sync: ask the server what it holds, send what follows in pages,
//! believe only acknowledgements in the envelope, then pull reference data if
//! it changed. Everything a round does is safe to repeat or to cut off at any
//! point: the server stores each record once, and the device marks records as
//! sent only after the server said it holds them.

use std::collections::HashMap;
use std::sync::Arc;

use tiyan_core::protocol::{
    EnrollRequest, Enrolled, ErrorCode, OfficerSignIn, PHOTO_CHUNK_BYTES, RecordKind, StateQuery, Upload,
};
use tiyan_core::reference::Officer;

use super::api::{Api, Credentials, SyncError};
use super::transport::Transport;
use crate::{Store, photo};

/// Records per upload: the protocol's most, to amortise a round trip and a
/// commit; about 300 KB, which crosses a poor hall link well within the timeout.
pub const PAGE: usize = tiyan_core::protocol::MAX_PAGE;
/// Pages in flight at once: while the server commits one, the next travel and
/// are parsed and checked. (The server lets a page that overtook its
/// predecessor wait for it.)
pub const IN_FLIGHT: usize = tiyan_core::sync::MAX_PAGES_IN_FLIGHT;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Records the server stored for the first time.
    pub stored: u64,
    /// Records the server already had (a response lost earlier).
    pub duplicates: u64,
    /// The reference-data version pulled, if one was.
    pub reference: Option<i64>,
}

/// The order a round sends the streams in: a case the window's system asked
/// to rate goes before its rating, so that the server knows the case's matter
/// when it reports the rating up to the province.
const UPLOAD_ORDER: [RecordKind; 4] = [RecordKind::Case, RecordKind::Rating, RecordKind::Diary, RecordKind::Feedback];

pub struct Engine<T: Transport> {
    store: Arc<Store>,
    api: Arc<Api<T>>,
    page: usize,
}

/// A store call on the blocking pool, its error as a sync error.
async fn on_store<R: Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> crate::Result<R> + Send + 'static,
) -> Result<R, SyncError> {
    local(store, f).await.map_err(|e| SyncError::Store(e.to_string()))
}

/// A store call on the blocking pool (SQLite and Argon2 block).
async fn local<R: Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> crate::Result<R> + Send + 'static,
) -> crate::Result<R> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| crate::Error::Corrupt(format!("a store task failed: {e}")))?
}

impl<T: Transport> Engine<T> {
    pub fn new(store: Arc<Store>, transport: T) -> Self {
        Engine { store, api: Arc::new(Api::new(transport)), page: PAGE }
    }

    pub fn with_page(mut self, page: usize) -> Self {
        self.page = page.max(1);
        self
    }

    /// Enrols this device with a one-time code and keeps the credentials; the
    /// role is the one chosen at setup, if one was.
    pub async fn enroll(&self, server_url: &str, code: &str, name: &str) -> Result<Enrolled, SyncError> {
        let role = on_store(&self.store, |s| s.role()).await?;
        let request = EnrollRequest {
            code: code.trim().to_string(),
            device_id: self.store.device_id(),
            name: name.to_string(),
            role,
        };
        let enrolled = self.api.enroll(&request).await?;
        let (url, e) = (server_url.to_string(), enrolled.clone());
        on_store(&self.store, move |s| s.save_enrolment(&url, &e)).await?;
        // The kiosk's hall and window come from the server now: fetch them and bind.
        let credentials = Credentials { device_id: enrolled.device_id, secret: enrolled.secret.clone() };
        let local = on_store(&self.store, |s| s.reference_version()).await?;
        self.pull_reference(&credentials, local).await?;
        if let Some(window) = enrolled.window_id.clone() {
            on_store(&self.store, move |s| s.bind_window(&window).map(|_| ())).await?;
        }
        Ok(enrolled)
    }

    /// Signs an officer in: at the server when it answers (keeping a verifier
    /// for next time), else offline against the verifier kept here. Wrong
    /// passwords count towards the lock-out either way.
    pub async fn officer_sign_in(&self, officer_id: &str, password: &str) -> crate::Result<Officer> {
        let id = officer_id.trim().to_string();
        let gate_id = id.clone();
        let credentials = local(&self.store, move |s| {
            s.officer_gate(&gate_id)?;
            s.credentials()
        })
        .await?;
        let online = match credentials {
            Some((_, c)) => {
                let request = OfficerSignIn { officer_id: id.clone(), password: password.to_string() };
                Some(self.api.officer_sign_in(&c, &request).await)
            }
            None => None,
        };
        let password = password.to_string();
        match online {
            Some(Ok(profile)) => local(&self.store, move |s| s.officer_signed_in_online(&profile, &password)).await,
            Some(Err(SyncError::Refused { error, .. })) if error.code == ErrorCode::WrongPassword => {
                local(&self.store, move |s| Err(s.officer_wrong_password(&id)?)).await
            }
            // The server counts wrong passwords from every laptop: its lock-out
            // holds here too, never sidestepped by signing in offline.
            Some(Err(SyncError::Refused { error, .. })) if error.code == ErrorCode::Locked => {
                let until = error.retry_at.unwrap_or_else(|| chrono::Utc::now() + chrono::Duration::minutes(15));
                Err(crate::Error::PinLocked { until })
            }
            Some(Err(SyncError::Refused { error, .. })) if error.code == ErrorCode::NotAppointed => {
                Err(crate::Error::OfficerNotAppointed)
            }
            // No server, or it is unreachable or answering nonsense: offline.
            other => {
                if let Some(Err(e)) = other {
                    tracing::info!(error = %e, "officer sign-in offline: the server did not answer");
                }
                local(&self.store, move |s| s.officer_sign_in_offline(&id, &password)).await
            }
        }
    }

    pub async fn run_once(&self) -> Result<Report, SyncError> {
        let (_, credentials) = on_store(&self.store, |s| s.credentials()).await?.ok_or(SyncError::NotEnrolled)?;
        let report = on_store(&self.store, |s| {
            Ok(StateQuery {
                app_version: Some(env!("CARGO_PKG_VERSION").to_string()),
                device_time: Some(s.now()),
                rating: Some(s.last_seq(RecordKind::Rating)?),
                diary: Some(s.last_seq(RecordKind::Diary)?),
                feedback: Some(s.last_seq(RecordKind::Feedback)?),
                case: Some(s.last_seq(RecordKind::Case)?),
                reference: s.reference_version()?,
            })
        })
        .await?;
        let state = self.api.state(&credentials, &report).await?;
        if state.device_id != credentials.device_id {
            return Err(SyncError::Inconsistent(format!("the server answered for device {}", state.device_id)));
        }
        let mut report = Report::default();
        // A diary revision's photos go first, so the server has them when it arrives.
        self.upload_photos(&credentials).await?;
        // Each kind the server keeps (a server older than the device keeps
        // fewer: what it does not list waits on the device until it does).
        for kind in UPLOAD_ORDER.into_iter().filter(|k| state.streams.iter().any(|s| s.kind == *k)) {
            self.upload_kind(&credentials, kind, state.through(kind), &mut report).await?;
        }
        if on_store(&self.store, |s| s.last_seq(RecordKind::Diary)).await? > 0 {
            let items = self.api.ledger(&credentials).await?;
            on_store(&self.store, move |s| s.set_ledger(&items)).await?;
        }
        let local_version = on_store(&self.store, |s| s.reference_version()).await?;
        if state.reference_version.is_some() && state.reference_version != local_version {
            report.reference = self.pull_reference(&credentials, local_version).await?;
        }
        Ok(report)
    }

    async fn upload_kind(
        &self,
        c: &Credentials,
        kind: RecordKind,
        server_through: u64,
        report: &mut Report,
    ) -> Result<(), SyncError> {
        let last = on_store(&self.store, move |s| s.last_seq(kind)).await?;
        if server_through > last {
            return Err(SyncError::Inconsistent(format!(
                "the server holds {kind:?} records up to {server_through}, but this device has only {last}"
            )));
        }
        // The state is an acknowledgement too: what the server holds is sent,
        // even when the answer to the upload that carried it was lost.
        on_store(&self.store, move |s| s.set_acked_through(kind, server_through)).await?;
        let page = self.page;
        // Reads and serializes the page after `after`: (its last seq, its JSON).
        let prepare = |after: u64| {
            let store = self.store.clone();
            tokio::task::spawn_blocking(move || -> Result<Option<(u64, Vec<u8>)>, SyncError> {
                let store_error = |e: crate::Error| SyncError::Store(e.to_string());
                let serialized = |upload: Upload| -> Result<Option<(u64, Vec<u8>)>, SyncError> {
                    let last = upload.keys().last().map(|(seq, _)| *seq);
                    let json = serde_json::to_vec(&upload).map_err(|e| SyncError::Store(e.to_string()))?;
                    Ok(last.map(|l| (l, json)))
                };
                match kind {
                    RecordKind::Rating => store.ratings_page_json(after, page).map_err(store_error),
                    RecordKind::Diary => {
                        serialized(Upload::Diary(store.diary_after(after, page).map_err(store_error)?))
                    }
                    RecordKind::Feedback => {
                        serialized(Upload::Feedback(store.feedback_after(after, page).map_err(store_error)?))
                    }
                    RecordKind::Case => serialized(Upload::Case(store.cases_after(after, page).map_err(store_error)?)),
                }
            })
        };
        let joined = |r: Result<Result<(), crate::Error>, tokio::task::JoinError>| -> Result<(), SyncError> {
            r.map_err(|e| SyncError::Store(e.to_string()))?.map_err(|e| SyncError::Store(e.to_string()))
        };
        // The critical path is the server's commit: while one page is committed,
        // the next travels and the one after is read and serialized here, and
        // the previous acknowledgement is written.
        type Sending = tokio::task::JoinHandle<Result<tiyan_core::protocol::UploadAck, SyncError>>;
        let mut in_flight: std::collections::VecDeque<(u64, Sending)> = std::collections::VecDeque::new();
        let mut next = (server_through < last).then(|| prepare(server_through));
        let mut recording: Option<tokio::task::JoinHandle<crate::Result<()>>> = None;
        let result: Result<(), SyncError> = async {
            loop {
                while in_flight.len() < IN_FLIGHT
                    && let Some(preparing) = next.take()
                {
                    let prepared = preparing.await.map_err(|e| SyncError::Store(e.to_string()))??;
                    let Some((sent_last, json)) = prepared else { break };
                    if sent_last < last {
                        next = Some(prepare(sent_last));
                    }
                    let (api, c) = (self.api.clone(), c.clone());
                    in_flight.push_back((sent_last, tokio::spawn(async move { api.upload_json(&c, json).await })));
                }
                let Some((sent_last, sending)) = in_flight.pop_front() else { return Ok(()) };
                let ack = sending.await.map_err(|e| SyncError::Store(e.to_string()))??;
                if ack.kind != kind || ack.through < sent_last || ack.through > last {
                    return Err(SyncError::Inconsistent(format!(
                        "sent {kind:?} records up to {sent_last}, the server acknowledged up to {}",
                        ack.through
                    )));
                }
                if let Some(previous) = recording.take() {
                    joined(previous.await)?;
                }
                let store = self.store.clone();
                recording = Some(tokio::task::spawn_blocking(move || store.set_acked_through(kind, ack.through)));
                report.stored += u64::from(ack.stored);
                report.duplicates += u64::from(ack.duplicates);
            }
        }
        .await;
        // A failure leaves nothing running behind it: the round is over.
        for (_, sending) in in_flight {
            sending.abort();
        }
        if let Some(previous) = recording {
            joined(previous.await)?;
        }
        result
    }

    /// Sends the photos of submitted diary entries in chunks, each resuming
    /// where the server's copy ends; the server checks the SHA-256 at the end.
    async fn upload_photos(&self, c: &Credentials) -> Result<(), SyncError> {
        for sha in on_store(&self.store, |s| s.photos_to_upload()).await? {
            let key = sha.clone();
            let bytes = on_store(&self.store, move |s| s.photo(&key, false)).await?;
            let size = bytes.len() as u64;
            let mut state = self.api.photo_upload_state(c, &sha).await?;
            while !state.complete {
                let offset = state.received.min(size);
                let end = (offset as usize + PHOTO_CHUNK_BYTES).min(bytes.len());
                let chunk = bytes[offset as usize..end].to_vec();
                let next = self.api.photo_chunk(c, &sha, offset, size, chunk).await?;
                if !next.complete && next.received <= offset {
                    return Err(SyncError::Inconsistent(format!("photo {sha}: the server kept nothing at {offset}")));
                }
                state = next;
            }
            let key = sha.clone();
            on_store(&self.store, move |s| s.mark_photo_uploaded(&key)).await?;
        }
        Ok(())
    }

    /// Fetches reference data and the staff photos not already here, then
    /// applies it all in one transaction.
    async fn pull_reference(&self, c: &Credentials, since: Option<i64>) -> Result<Option<i64>, SyncError> {
        let update = self.api.reference(c, since).await?;
        let Some(data) = update.data else { return Ok(None) };
        data.validate().map_err(|e| SyncError::Inconsistent(format!("reference data: {e}")))?;
        let have: HashMap<String, Vec<u8>> = on_store(&self.store, |s| s.thumbnails_by_photo()).await?;
        let mut thumbs = Vec::with_capacity(data.staff.len());
        for s in &data.staff {
            let thumb = match &s.photo_sha256 {
                None => None,
                Some(sha) => match have.get(sha) {
                    Some(t) => Some(t.clone()),
                    None => {
                        let bytes = self.api.photo(c, sha).await?;
                        let t = tokio::task::spawn_blocking(move || photo::thumbnail(&bytes))
                            .await
                            .map_err(|e| SyncError::Store(e.to_string()))?
                            .map_err(|e| SyncError::Inconsistent(format!("photo {sha}: {e}")))?;
                        Some(t)
                    }
                },
            };
            thumbs.push(thumb);
        }
        let version = data.version;
        // The server is the authority once enrolled: its version wins even over a
        // file imported here before with a higher number.
        on_store(&self.store, move |s| s.apply_reference(&data, thumbs, true)).await?;
        Ok(Some(version))
    }
}
