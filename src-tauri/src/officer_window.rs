//! The officer laptop's window: an ordinary, resizable desktop window with
//! decorations (no kiosk lockdown), keyboard-friendly, the system input method
//! for Chinese. Its capability grants the officer commands only.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::kiosk_window;
use crate::shell::Shell;

pub const LABEL: &str = "officer";

pub fn open<R: Runtime, M: Manager<R>>(manager: &M) -> tauri::Result<()> {
    WebviewWindowBuilder::new(manager, LABEL, WebviewUrl::App("index.html".into()))
        .title("体验官日记 · Tiyan")
        .inner_size(1280.0, 860.0)
        .min_inner_size(900.0, 600.0)
        .resizable(true)
        .devtools(cfg!(debug_assertions))
        .on_navigation(|url| kiosk_window::is_app_url(url.as_str()))
        .build()?;
    Ok(())
}

/// The device turned out to be an officer laptop (chosen at setup, or an
/// officer enrolment code): the officer window replaces the kiosk window, and
/// closing it quits the app as any desktop app.
pub fn switch_to<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    app.state::<Shell>().allow_exit();
    if app.get_webview_window(LABEL).is_none() {
        open(app)?;
    }
    if let Some(kiosk) = app.get_webview_window(kiosk_window::LABEL) {
        kiosk.destroy()?;
    }
    Ok(())
}
