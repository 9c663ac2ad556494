//! The evaluation kiosk as one object: the store plus what lives only in memory
//! while the kiosk runs (the case number the staff side entered, whether the
//! administrator has unlocked). Every Tauri command is a call on this.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::Serialize;
use tiyan_core::case_no;
use tiyan_core::pin::PinGate;
use tiyan_core::rating::RatingInput;
use tiyan_core::settings::{CentreSettings, FromCentre, KioskSettings};
use uuid::Uuid;

use crate::clock::{Clock, SystemClock};
use crate::export::ExportSummary;
use crate::ratings::{RatingCounts, RatingReceipt};
use crate::reference::{ImportSummary, ReasonInfo, WindowInfo};
use crate::staff::{SignedOutBy, StaffCard};
use crate::store::Store;
use crate::{Error, Result};

/// The administrator is locked out again after this long without an admin action.
pub const ADMIN_UNLOCK_FOR: Duration = Duration::from_secs(300);

/// Everything a screen needs to decide what to show.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct KioskStatus {
    pub reference_version: Option<i64>,
    pub admin_pin_set: bool,
    pub window: Option<WindowInfo>,
    /// Reference data imported, administrator PIN set, window bound.
    pub set_up: bool,
    pub on_duty: Option<StaffCard>,
    /// The settings the kiosk works by (its own, with the centre's over them).
    pub settings: KioskSettings,
    /// The languages offered.
    pub languages: Vec<tiyan_core::Language>,
    /// The hall is closed and asked its kiosks to sleep: the dimmed screen shows.
    pub asleep: bool,
    /// The hall's opening hours, when the centre sent them.
    pub centre: Option<CentreSettings>,
    /// The case number the staff side entered for the next rating.
    pub case_no: Option<String>,
    pub reasons: Vec<ReasonInfo>,
    /// Kiosk or officer laptop, once chosen at setup or given by an enrolment.
    pub role: Option<tiyan_core::protocol::DeviceRole>,
    /// The window's system paused the window: no rating until it resumes.
    pub paused: bool,
}

/// The administrator's view, behind the PIN.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AdminOverview {
    pub counts: RatingCounts,
    pub settings: KioskSettings,
    pub on_duty: Option<StaffCard>,
    /// Which of `settings` the centre set (shown as such, not editable here).
    pub from_centre: FromCentre,
    pub centre: Option<CentreSettings>,
    pub window: Option<WindowInfo>,
    pub windows: Vec<WindowInfo>,
    pub device_id: Uuid,
    pub data_dir: PathBuf,
    pub export_dir: PathBuf,
    pub reference_version: Option<i64>,
}

#[derive(Default)]
pub(crate) struct Volatile {
    pub(crate) case_no: Option<String>,
    pub(crate) admin_until: Option<Instant>,
    /// The window's system paused the window.
    pub(crate) paused: bool,
    /// The case the window's system asked for last.
    pub(crate) last_case: Option<String>,
}

pub struct Kiosk {
    store: Arc<Store>,
    data_dir: PathBuf,
    volatile: Mutex<Volatile>,
}

impl Kiosk {
    /// Opens the kiosk whose files live in `data_dir` (database `tiyan.db`).
    pub fn open(data_dir: &Path) -> Result<Kiosk> {
        Kiosk::open_with_clock(data_dir, Arc::new(SystemClock))
    }

    pub fn open_with_clock(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Kiosk> {
        let store = Arc::new(Store::open_with_clock(&data_dir.join("tiyan.db"), clock)?);
        Ok(Kiosk { store, data_dir: data_dir.to_path_buf(), volatile: Mutex::default() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared with the sync worker.
    pub fn shared_store(&self) -> Arc<Store> {
        self.store.clone()
    }

    pub(crate) fn volatile(&self) -> MutexGuard<'_, Volatile> {
        self.volatile.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> Result<KioskStatus> {
        let window = self.store.bound_window()?;
        let admin_pin_set = self.store.admin_pin_is_set()?;
        let reference_version = self.store.reference_version()?;
        let on_duty = match &window {
            Some(w) => self.store.on_duty(&w.id)?,
            None => None,
        };
        let settings = self.store.effective_settings()?;
        // Read apart: a guard in the struct below would live to its end.
        let (case_no, paused) = {
            let v = self.volatile();
            (v.case_no.clone(), v.paused)
        };
        Ok(KioskStatus {
            set_up: reference_version.is_some() && admin_pin_set && window.is_some(),
            reference_version,
            admin_pin_set,
            window,
            on_duty,
            asleep: settings.asleep(self.store.now().to_utc()),
            settings: settings.settings,
            languages: settings.languages,
            centre: settings.centre,
            case_no,
            reasons: self.store.reasons()?,
            role: self.store.role()?,
            paused,
        })
    }

    /// Setup's first question: what this device is. An officer laptop is then
    /// enrolled with an officer code (the server refuses a code for the other role).
    pub fn choose_role(&self, role: tiyan_core::protocol::DeviceRole) -> Result<()> {
        self.require_setup_or_admin()?;
        self.store.set_role(role)
    }

    // --- first-start setup -------------------------------------------------

    /// Until the administrator PIN exists anyone at the screen is setting the
    /// kiosk up; afterwards setup steps need the PIN.
    pub fn require_setup_or_admin(&self) -> Result<()> {
        if self.store.admin_pin_is_set()? { self.require_admin() } else { Ok(()) }
    }

    pub fn windows(&self) -> Result<Vec<WindowInfo>> {
        self.store.windows()
    }

    pub fn import_reference(&self, path: &Path) -> Result<ImportSummary> {
        self.require_setup_or_admin()?;
        self.store.import_reference_file(path)
    }

    pub fn set_admin_pin(&self, pin: &str) -> Result<()> {
        if self.store.reference_version()?.is_none() {
            return Err(Error::NoReferenceData);
        }
        self.store.set_admin_pin(pin)?;
        self.volatile().admin_until = Some(Instant::now() + ADMIN_UNLOCK_FOR);
        Ok(())
    }

    pub fn bind_window(&self, window_id: &str) -> Result<WindowInfo> {
        if !self.store.admin_pin_is_set()? {
            return Err(Error::NotSetUp);
        }
        if self.store.bound_window()?.is_some() {
            self.require_admin()?;
        }
        let window = self.store.bind_window(window_id)?;
        self.volatile().case_no = None;
        Ok(window)
    }

    pub(crate) fn bound_window_id(&self) -> Result<String> {
        Ok(self.store.bound_window()?.ok_or(Error::NotSetUp)?.id)
    }

    // --- the staff side ----------------------------------------------------

    pub fn staff_sign_in(&self, employee_no: &str, pin: &str) -> Result<StaffCard> {
        let window = self.bound_window_id()?;
        let card = self.store.sign_in(&window, employee_no, pin)?;
        self.volatile().case_no = None;
        Ok(card)
    }

    pub fn staff_sign_out(&self, pin: &str) -> Result<()> {
        let window = self.bound_window_id()?;
        self.store.sign_out_with_pin(&window, pin)?;
        self.volatile().case_no = None;
        Ok(())
    }

    /// The staff side binds the next rating to a case or ticket number. A case
    /// that was already rated is refused here, before the citizen starts.
    pub fn set_case_no(&self, raw: &str) -> Result<String> {
        let window = self.bound_window_id()?;
        if self.volatile().paused {
            return Err(Error::WindowPaused);
        }
        if self.store.on_duty(&window)?.is_none() {
            return Err(Error::WindowClosed);
        }
        let case_no = case_no::normalize(raw)?;
        if self.store.case_is_rated(&case_no)? {
            return Err(Error::CaseAlreadyRated(case_no));
        }
        self.volatile().case_no = Some(case_no.clone());
        Ok(case_no)
    }

    pub fn clear_case_no(&self) {
        self.volatile().case_no = None;
    }

    // --- the citizen -------------------------------------------------------

    /// Commits the rating, then forgets the case number it used. Returns only
    /// after the commit, so the thank-you screen never lies.
    pub fn submit_rating(&self, input: &RatingInput) -> Result<RatingReceipt> {
        if self.volatile().paused {
            return Err(Error::WindowPaused);
        }
        let case_no = self.volatile().case_no.clone();
        let rating = self.store.submit_rating(input, case_no.as_deref())?;
        let mut v = self.volatile();
        if v.case_no.is_some() && v.case_no == rating.case_no {
            v.case_no = None;
        }
        Ok(RatingReceipt { id: rating.id, seq: rating.seq })
    }

    // --- the administrator -------------------------------------------------

    pub fn admin_gate(&self) -> Result<PinGate> {
        self.store.pin_gate("admin")
    }

    pub fn admin_unlock(&self, pin: &str) -> Result<()> {
        self.store.verify_admin_pin(pin)?;
        self.volatile().admin_until = Some(Instant::now() + ADMIN_UNLOCK_FOR);
        Ok(())
    }

    pub fn admin_lock(&self) {
        self.volatile().admin_until = None;
    }

    /// Fails unless the administrator unlocked recently; each admin action
    /// extends the unlock.
    pub fn require_admin(&self) -> Result<()> {
        let mut v = self.volatile();
        match v.admin_until {
            Some(until) if Instant::now() < until => {
                v.admin_until = Some(Instant::now() + ADMIN_UNLOCK_FOR);
                Ok(())
            }
            _ => {
                v.admin_until = None;
                Err(Error::AdminLocked)
            }
        }
    }

    pub fn export_dir(&self) -> PathBuf {
        self.data_dir.join("exports")
    }

    pub fn admin_overview(&self) -> Result<AdminOverview> {
        self.require_admin()?;
        let window = self.store.bound_window()?;
        let on_duty = match &window {
            Some(w) => self.store.on_duty(&w.id)?,
            None => None,
        };
        let settings = self.store.effective_settings()?;
        Ok(AdminOverview {
            counts: self.store.rating_counts()?,
            settings: settings.settings,
            from_centre: settings.from_centre,
            centre: settings.centre,
            on_duty,
            window,
            windows: self.store.windows()?,
            device_id: self.store.device_id(),
            data_dir: self.data_dir.clone(),
            export_dir: self.export_dir(),
            reference_version: self.store.reference_version()?,
        })
    }

    pub fn admin_update_settings(&self, settings: &KioskSettings) -> Result<()> {
        self.require_admin()?;
        self.store.update_settings(settings)
    }

    pub fn admin_sign_out_staff(&self) -> Result<()> {
        self.require_admin()?;
        let window = self.bound_window_id()?;
        self.store.sign_out(&window, SignedOutBy::Admin)?;
        self.volatile().case_no = None;
        Ok(())
    }

    /// Exports to `dir`, or to the data folder's `exports/` when none is given.
    pub fn admin_export_csv(&self, dir: Option<&Path>) -> Result<ExportSummary> {
        self.require_admin()?;
        let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| self.export_dir());
        self.store.export_csv(&dir)
    }

    pub fn admin_change_pin(&self, pin: &str) -> Result<()> {
        self.require_admin()?;
        self.store.change_admin_pin(pin)
    }
}
