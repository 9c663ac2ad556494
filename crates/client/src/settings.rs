//! The kiosk's settings and its binding to a window.

use std::collections::BTreeMap;

use tiyan_core::settings::{CentreSettings, Effective, KioskSettings};

use crate::reference::WindowInfo;
use rusqlite::OptionalExtension;

use crate::store::{Store, get_meta, set_meta};
use crate::{Error, Result};

impl Store {
    /// The kiosk's own settings, as its administrator left them.
    pub fn settings(&self) -> Result<KioskSettings> {
        read_settings(&self.conn())
    }

    /// The settings the kiosk works by: its own with the centre's over them.
    pub fn effective_settings(&self) -> Result<Effective> {
        read_effective(&self.conn())
    }

    /// Keeps the administrator's settings. A value the centre sets is not the
    /// administrator's to change: the kiosk's own value for it stays as it was
    /// (and applies again if the centre stops setting it).
    pub fn update_settings(&self, settings: &KioskSettings) -> Result<()> {
        settings.validate()?;
        self.write(|tx| {
            let e = read_effective(tx)?;
            let own = read_settings(tx)?;
            let from = e.from_centre;
            let kept = KioskSettings {
                idle_seconds: if from.idle_seconds { own.idle_seconds } else { settings.idle_seconds },
                interval_seconds: if from.interval_seconds { own.interval_seconds } else { settings.interval_seconds },
                language: if from.languages && !e.languages.contains(&settings.language) {
                    own.language
                } else {
                    settings.language
                },
                spoken_prompts: settings.spoken_prompts,
            };
            let json = serde_json::to_string(&kept).map_err(|e| Error::Corrupt(e.to_string()))?;
            set_meta(tx, "settings", &json)
        })
    }

    /// The window this kiosk stands at, once bound.
    pub fn bound_window(&self) -> Result<Option<WindowInfo>> {
        let id = get_meta(&self.conn(), "window_id")?;
        match id {
            None => Ok(None),
            Some(id) => self.window(&id),
        }
    }

    pub fn bind_window(&self, window_id: &str) -> Result<WindowInfo> {
        let window = self.window(window_id)?.ok_or_else(|| Error::UnknownWindow(window_id.to_string()))?;
        self.write(|tx| set_meta(tx, "window_id", window_id))?;
        Ok(window)
    }
}

/// What the centre set for each hall, as the last reference data brought it.
pub(crate) fn write_centre(tx: &rusqlite::Connection, centre: &BTreeMap<String, CentreSettings>) -> Result<()> {
    let json = serde_json::to_string(centre).map_err(|e| Error::Corrupt(e.to_string()))?;
    set_meta(tx, "centre_settings", &json)
}

pub(crate) fn read_effective(conn: &rusqlite::Connection) -> Result<Effective> {
    let own = read_settings(conn)?;
    let centre = match (get_meta(conn, "centre_settings")?, get_meta(conn, "window_id")?) {
        (Some(json), Some(window)) => {
            let mut all: BTreeMap<String, CentreSettings> =
                serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("centre settings: {e}")))?;
            let hall: Option<String> =
                conn.query_row("SELECT hall_id FROM windows WHERE id = ?1", [window], |r| r.get(0)).optional()?;
            hall.and_then(|h| all.remove(&h))
        }
        _ => None,
    };
    Ok(Effective::of(own, centre))
}

pub(crate) fn read_settings(conn: &rusqlite::Connection) -> Result<KioskSettings> {
    match get_meta(conn, "settings")? {
        None => Ok(KioskSettings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("settings: {e}"))),
    }
}
