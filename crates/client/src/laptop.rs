//! The experience officer's laptop as one object, as [`crate::Kiosk`] is the
//! kiosk's: the store plus who is signed in (in memory only: a restart asks
//! again), and the sign-in policy (at the server when it answers, offline
//! against the verifier kept from the last online sign-in otherwise). Every
//! diary call names the officer signed in, never one the page sends, so each
//! officer sees only their own entries. The shell's officer commands are one
//! call each on this.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tiyan_core::diary::{DiaryBody, DiaryRevision};
use tiyan_core::ledger::Satisfaction;
use tiyan_core::mask::mask_name;
use tiyan_core::reference::Officer;
use uuid::Uuid;

use crate::diary::{Draft, EntrySummary, PhotoInfo};
use crate::ledger::ProblemLedger;
use crate::reference::DiaryChoices;
use crate::store::Store;
use crate::sync::Engine;
use crate::sync::transport::Http;
use crate::{Error, Result};

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

/// An entry in the list, with the ledger's word on its problems.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EntryRow {
    #[serde(flatten)]
    pub summary: EntrySummary,
    pub ledger: Vec<ProblemLedger>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct EntryDetail {
    pub entry_id: Uuid,
    pub draft: Option<Draft>,
    /// Every submitted revision, oldest first.
    pub history: Vec<DiaryRevision>,
    pub ledger: Vec<ProblemLedger>,
}

/// The publishable page of a revision, and where it was written.
#[derive(Debug, Clone, Serialize)]
pub struct ExportedPage {
    pub html: String,
    pub path: String,
}

pub struct Laptop {
    store: Arc<Store>,
    data_dir: PathBuf,
    signed_in: Mutex<Option<Officer>>,
}

impl Laptop {
    /// The laptop over `store`, whose files live in `data_dir` (exports go to its `exports/`).
    pub fn new(store: Arc<Store>, data_dir: PathBuf) -> Laptop {
        Laptop { store, data_dir, signed_in: Mutex::new(None) }
    }

    fn current(&self) -> MutexGuard<'_, Option<Officer>> {
        self.signed_in.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The officer signed in, or `OfficerSignedOut`.
    pub fn officer(&self) -> Result<Officer> {
        self.current().clone().ok_or(Error::OfficerSignedOut)
    }

    fn id(&self) -> Result<String> {
        Ok(self.officer()?.id)
    }

    pub fn status(&self) -> Result<OfficerStatus> {
        let officer = self.current().as_ref().map(OfficerCard::from);
        let known = self.store.local_officers()?.iter().map(OfficerCard::from).collect();
        Ok(OfficerStatus { officer, known, enrolled: self.store.credentials()?.is_some() })
    }

    /// Signs an officer in: at the server when the laptop is enrolled (its
    /// lock-out and the officer's appointment hold there; a server out of reach
    /// falls back to the verifier kept here), else offline.
    pub async fn sign_in(&self, officer_id: &str, password: &str) -> Result<OfficerCard> {
        let officer = match self.store.credentials()? {
            Some((url, _)) => {
                let transport = Http::new(&url).map_err(|e| Error::InvalidServer(e.to_string()))?;
                Engine::new(self.store.clone(), transport).officer_sign_in(officer_id, password).await?
            }
            None => {
                let (store, id, password) = (self.store.clone(), officer_id.trim().to_string(), password.to_string());
                tokio::task::spawn_blocking(move || store.officer_sign_in_offline(&id, &password))
                    .await
                    .map_err(|e| Error::Corrupt(format!("the sign-in task failed: {e}")))??
            }
        };
        tracing::info!(officer = %officer.id, "officer signed in");
        let card = OfficerCard::from(&officer);
        *self.current() = Some(officer);
        Ok(card)
    }

    pub fn sign_out(&self) {
        *self.current() = None;
    }

    pub fn choices(&self) -> Result<DiaryChoices> {
        self.id()?;
        self.store.diary_choices()
    }

    pub fn entries(&self) -> Result<Vec<EntryRow>> {
        let id = self.id()?;
        self.store
            .entries(&id)?
            .into_iter()
            .map(|summary| Ok(EntryRow { ledger: self.store.ledger_states(summary.entry_id)?, summary }))
            .collect()
    }

    pub fn new_draft(&self) -> Result<Draft> {
        self.store.new_draft(&self.id()?)
    }

    pub fn open(&self, entry_id: Uuid) -> Result<EntryDetail> {
        let id = self.id()?;
        let detail = EntryDetail {
            entry_id,
            draft: self.store.draft(&id, entry_id)?,
            history: self.store.history(&id, entry_id)?,
            ledger: self.store.ledger_states(entry_id)?,
        };
        if detail.draft.is_none() && detail.history.is_empty() {
            return Err(Error::UnknownEntry);
        }
        Ok(detail)
    }

    pub fn save(&self, entry_id: Uuid, body: &DiaryBody) -> Result<Draft> {
        self.store.save_draft(&self.id()?, entry_id, body)
    }

    pub fn delete_draft(&self, entry_id: Uuid) -> Result<()> {
        self.store.delete_draft(&self.id()?, entry_id)
    }

    pub fn edit(&self, entry_id: Uuid) -> Result<Draft> {
        self.store.edit_entry(&self.id()?, entry_id)
    }

    pub fn submit(&self, entry_id: Uuid) -> Result<DiaryRevision> {
        self.store.submit_entry(&self.id()?, entry_id)
    }

    /// The officer's answer to the hall office's reply on one of their problems.
    pub fn answer(&self, problem_id: Uuid, satisfaction: Satisfaction) -> Result<()> {
        self.store.answer_problem(&self.id()?, problem_id, satisfaction).map(|_| ())
    }

    pub fn add_photo(&self, bytes: &[u8]) -> Result<PhotoInfo> {
        self.store.add_photo(&self.id()?, bytes)
    }

    pub fn photo(&self, sha256: &str, thumb: bool) -> Result<Vec<u8>> {
        self.id()?;
        self.store.photo(sha256, thumb)
    }

    /// The publishable page of the entry's latest revision, also written to the
    /// data folder's `exports/` as a self-contained HTML file.
    pub fn export_page(&self, entry_id: Uuid) -> Result<ExportedPage> {
        let officer = self.officer()?;
        let latest = self.store.history(&officer.id, entry_id)?.pop().ok_or(Error::UnknownEntry)?;
        let html = self.store.diary_page(&officer, &latest)?;
        let dir = self.data_dir.join("exports");
        std::fs::create_dir_all(&dir).map_err(Error::io(format!("creating {}", dir.display())))?;
        let path = dir.join(format!("diary-{entry_id}-r{}.html", latest.revision));
        std::fs::write(&path, &html).map_err(Error::io(format!("writing {}", path.display())))?;
        Ok(ExportedPage { html, path: path.display().to_string() })
    }
}
