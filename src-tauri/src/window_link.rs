//! The window link in the app: it runs the link's HTTP server
//! ([`tiyan_client::window_link`]) as the administrator left it, starts it
//! again when they change it, and passes what the window asked to the kiosk
//! screen, which asks for it with `window_link_events` (our own command: the
//! kiosk window needs no event permission). The spoken prompts the screen
//! plays are the hall's own recordings when it put them in the data folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tauri::State;
use tiyan_client::Kiosk;
use tiyan_client::cases::LinkSettings;
use tiyan_client::window::{LinkEvents, LinkNews};
use tiyan_client::window_link::{self, Running};

use crate::commands::{Answer, blocking};
use crate::shell::Shell;

/// The link as it runs in this app.
#[derive(Default)]
pub struct LinkRunner {
    running: tokio::sync::Mutex<Option<Running>>,
    /// Where it listens now, or why it could not.
    listening: Mutex<Listening>,
    pub events: Arc<LinkEvents>,
}

#[derive(Debug, Clone, Default)]
struct Listening {
    address: Option<String>,
    error: Option<String>,
}

impl LinkRunner {
    /// Stops the link if it runs and starts it again as the store says (or not, when off).
    pub async fn restart(&self, kiosk: Arc<Kiosk>) {
        let mut running = self.running.lock().await;
        if let Some(old) = running.take() {
            old.stop().await;
        }
        let events = self.events.clone();
        let notify: window_link::Notify = Arc::new(move |event| events.push(event));
        let now = match window_link::serve(kiosk, notify).await {
            Ok(Some(link)) => {
                let address = link.address.to_string();
                *running = Some(link);
                Listening { address: Some(address), error: None }
            }
            Ok(None) => Listening::default(),
            Err(e) => {
                tracing::error!(%e, "the window link could not start");
                Listening { address: None, error: Some(e.to_string()) }
            }
        };
        *self.listening.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    fn admin(&self, settings: LinkSettings) -> LinkAdmin {
        let listening = self.listening.lock().unwrap_or_else(PoisonError::into_inner).clone();
        LinkAdmin { settings, listening: listening.address, error: listening.error }
    }
}

/// The link on the admin screen: as set, where it listens, and why not.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct LinkAdmin {
    pub settings: LinkSettings,
    pub listening: Option<String>,
    pub error: Option<String>,
}

/// What the kiosk screen is told the window asked, after the number it saw last.
#[tauri::command]
pub async fn window_link_events(runner: State<'_, Arc<LinkRunner>>, after: Option<u64>) -> Answer<LinkNews> {
    Ok(runner.events.after(after).await)
}

#[tauri::command]
pub async fn admin_link(kiosk: State<'_, Arc<Kiosk>>, runner: State<'_, Arc<LinkRunner>>) -> Answer<LinkAdmin> {
    let settings = blocking(&kiosk, |k| k.admin_link_settings()).await?;
    Ok(runner.admin(settings))
}

#[tauri::command]
pub async fn admin_set_link(
    kiosk: State<'_, Arc<Kiosk>>,
    runner: State<'_, Arc<LinkRunner>>,
    settings: LinkSettings,
) -> Answer<LinkAdmin> {
    let settings = blocking(&kiosk, move |k| k.admin_set_link(&settings)).await?;
    tracing::info!(enabled = settings.enabled, listen = %settings.listen, allowed = ?settings.allowed, "the administrator changed the window link");
    runner.restart(kiosk.inner().clone()).await;
    Ok(runner.admin(settings))
}

/// A new token, shown this once; the link starts again so the old one stops working at once.
#[tauri::command]
pub async fn admin_new_link_token(kiosk: State<'_, Arc<Kiosk>>, runner: State<'_, Arc<LinkRunner>>) -> Answer<String> {
    let token = blocking(&kiosk, |k| k.admin_new_link_token()).await?;
    tracing::info!("the administrator made a new window-link token");
    runner.restart(kiosk.inner().clone()).await;
    Ok(token)
}

/// The link's token from `--window-link-token-file`: the file's, or a new one
/// written there (owner-only) when it does not exist yet.
pub fn token_from_file(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(token) => Ok(token.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let token = tiyan_client::secret::new_token();
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let mut options = std::fs::File::options();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            std::io::Write::write_all(&mut file, format!("{token}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(token)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The two things the kiosk may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// 请您对本次服务进行评价: when the window asks for a rating.
    Rate,
    /// 感谢您的评价: after the rating.
    Thanks,
}

/// A hall's own recording is at most this big (a few seconds of speech).
const MAX_SOUND_BYTES: u64 = 2 * 1024 * 1024;
const SOUND_KINDS: [&str; 3] = ["wav", "ogg", "mp3"];

/// The hall's own recording of a prompt: `<data folder>/sounds/rate.wav`
/// (or .ogg, .mp3), and `thanks.*`. None: the screen plays the one it ships with.
fn hall_recording(data_dir: &Path, prompt: Prompt) -> Option<PathBuf> {
    let name = match prompt {
        Prompt::Rate => "rate",
        Prompt::Thanks => "thanks",
    };
    SOUND_KINDS
        .iter()
        .map(|ext| data_dir.join("sounds").join(format!("{name}.{ext}")))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.len() > 0 && m.len() <= MAX_SOUND_BYTES))
}

/// The hall's recording of `prompt` as bytes, or nothing (the screen then plays its own).
#[tauri::command]
pub async fn prompt_sound(shell: State<'_, Shell>, prompt: Prompt) -> Answer<tauri::ipc::Response> {
    let bytes = match hall_recording(&shell.data_dir, prompt) {
        Some(path) => std::fs::read(&path).unwrap_or_else(|e| {
            tracing::warn!(%e, path = %path.display(), "cannot read the hall's recording");
            Vec::new()
        }),
        None => Vec::new(),
    };
    Ok(tauri::ipc::Response::new(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_token_file_is_made_once_for_its_owner_and_read_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("link/token");
        let made = token_from_file(&path).unwrap();
        assert_eq!(made.len(), 64);
        assert_eq!(token_from_file(&path).unwrap(), made, "read back, not made again");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_halls_recording_replaces_the_prompt_only_when_it_is_a_sensible_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(hall_recording(dir.path(), Prompt::Rate), None);
        std::fs::create_dir_all(dir.path().join("sounds")).unwrap();
        std::fs::write(dir.path().join("sounds/rate.txt"), b"not a sound").unwrap();
        std::fs::write(dir.path().join("sounds/thanks.wav"), b"").unwrap();
        assert_eq!(hall_recording(dir.path(), Prompt::Rate), None, "another kind of file");
        assert_eq!(hall_recording(dir.path(), Prompt::Thanks), None, "an empty file");
        std::fs::write(dir.path().join("sounds/rate.ogg"), b"OggS...").unwrap();
        assert_eq!(hall_recording(dir.path(), Prompt::Rate), Some(dir.path().join("sounds/rate.ogg")));
        let big = std::fs::File::create(dir.path().join("sounds/thanks.mp3")).unwrap();
        big.set_len(MAX_SOUND_BYTES + 1).unwrap();
        assert_eq!(hall_recording(dir.path(), Prompt::Thanks), None, "too big to be a prompt");
    }
}
