//! The kiosk window: fullscreen, undecorated, unclosable, its navigation pinned
//! to the app's own pages, and the lockdown script injected into every page.

use tauri::{Manager, Runtime, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

use crate::shell::Shell;

pub const LABEL: &str = "kiosk";

pub fn open<R: Runtime, M: Manager<R>>(manager: &M) -> tauri::Result<()> {
    let window = WebviewWindowBuilder::new(manager, LABEL, WebviewUrl::App("index.html".into()))
        .title("体验 · 政务服务评价 Tiyan")
        .fullscreen(true)
        .decorations(false)
        .closable(false)
        .minimizable(false)
        .maximizable(false)
        .resizable(false)
        .skip_taskbar(true)
        .focused(true)
        .zoom_hotkeys_enabled(false)
        // The web inspector exists only in debug builds (Tauri leaves it out of release builds).
        .devtools(cfg!(debug_assertions))
        .initialization_script(include_str!("lockdown.js"))
        .on_navigation(|url| is_app_url(url.as_str()))
        .build()?;
    // Fullscreen is a request to the window manager; a bare X session (a common
    // kiosk set-up, and Xvfb in tests) has none, so also cover the monitor ourselves.
    if let Some(monitor) = window.current_monitor()? {
        window.set_position(*monitor.position())?;
        window.set_size(*monitor.size())?;
    }
    Ok(())
}

/// The app's own pages, as WebKitGTK (tauri://localhost) and WebView2
/// (http://tauri.localhost) serve them.
pub fn is_app_url(url: &str) -> bool {
    let allowed = ["tauri://localhost", "http://tauri.localhost", "https://tauri.localhost"];
    let ok = allowed.iter().any(|a| url == *a || url.starts_with(&format!("{a}/")));
    if !ok {
        tracing::warn!(url, "blocked navigation away from the kiosk");
    }
    ok
}

/// Closing the kiosk window (Alt+F4, a window manager's close) is refused until
/// the administrator has unlocked and chosen to exit.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event
        && window.label() == LABEL
        && !window.state::<Shell>().exit_allowed()
    {
        api.prevent_close();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_apps_own_pages_are_reachable() {
        assert!(super::is_app_url("tauri://localhost/index.html"));
        assert!(super::is_app_url("http://tauri.localhost/"));
        assert!(!super::is_app_url("https://example.com/"));
        assert!(!super::is_app_url("tauri://localhost.evil.com/"));
        assert!(!super::is_app_url("file:///etc/passwd"));
    }
}
