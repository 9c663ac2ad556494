//! The kiosk's settings and its binding to a window.

use tiyan_core::settings::KioskSettings;

use crate::reference::WindowInfo;
use crate::store::{Store, get_meta, set_meta};
use crate::{Error, Result};

impl Store {
    pub fn settings(&self) -> Result<KioskSettings> {
        read_settings(&self.conn())
    }

    pub fn update_settings(&self, settings: &KioskSettings) -> Result<()> {
        settings.validate()?;
        let json = serde_json::to_string(settings).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.write(|tx| set_meta(tx, "settings", &json))
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

pub(crate) fn read_settings(conn: &rusqlite::Connection) -> Result<KioskSettings> {
    match get_meta(conn, "settings")? {
        None => Ok(KioskSettings::default()),
        Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("settings: {e}"))),
    }
}
