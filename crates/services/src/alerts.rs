//! Live alerts: a window whose latest ratings are mostly bad shows on the
//! dashboard at once (the hall's rule; by default half of at least four
//! ratings within fifteen minutes), until a hall administrator acknowledges it
//! with a note.

use chrono::{DateTime, Duration, Utc};
use tiyan_core::assessment::AlertRule;
use tiyan_core::protocol::Upload;
use uuid::Uuid;

use super::audit::{self, AuditAction};
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{Alert, Storage};

/// The (hall, window) pairs a page of ratings rates, each once.
pub fn rated_windows(upload: &Upload) -> Vec<(String, String)> {
    let mut windows: Vec<(String, String)> = Vec::new();
    if let Upload::Rating(ratings) = upload {
        for r in ratings {
            if !windows.iter().any(|(_, w)| *w == r.window_id) {
                windows.push((r.hall_id.clone(), r.window_id.clone()));
            }
        }
    }
    windows
}

/// After ratings of these windows (hall, window) were stored: raises an alert
/// for each whose rule now holds, unless one is open or was raised within the
/// rule's span.
pub async fn check(store: &dyn Storage, windows: &[(String, String)], now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let mut raised = Vec::new();
    let mut rules: Vec<(&str, AlertRule)> = Vec::new();
    for (hall, window) in windows {
        // A page's windows are nearly always of one hall: its rule is read once.
        let rule = match rules.iter().find(|(h, _)| h == hall) {
            Some((_, rule)) => *rule,
            None => {
                let rule = store.figure_settings(hall).await?.alert;
                rules.push((hall, rule));
                rule
            }
        };
        let since = now - Duration::minutes(i64::from(rule.minutes));
        let (ratings, bad) = store.window_recent(window, since).await?;
        if !rule.triggered(ratings, bad) {
            continue;
        }
        let alert = Alert {
            id: Uuid::now_v7(),
            hall_id: hall.clone(),
            window_id: window.clone(),
            raised_at: now,
            ratings,
            bad,
            minutes: rule.minutes,
            acknowledged_at: None,
            account_id: None,
            note: None,
        };
        if store.raise_alert(&alert, since).await? {
            tracing::warn!(hall, window, ratings, bad, "live alert raised");
            raised.push(alert);
        }
    }
    Ok(raised)
}

/// The alerts not yet acknowledged of the halls `who` sees.
pub async fn open(cx: &Services, who: &Who<'_>) -> Result<Vec<Alert>> {
    Ok(cx.store.open_alerts(who.scope().halls().as_deref()).await?)
}

/// A hall administrator (or a supervisor) acknowledges an alert with a note.
pub async fn acknowledge(cx: &Services, who: &Who<'_>, id: Uuid, note: &str) -> Result<()> {
    let store = cx.store.as_ref();
    let alert = store.alert(id).await?.ok_or_else(|| Error::NotFound("alert".into()))?;
    let scope = who.scope();
    if !scope.sees(&alert.hall_id) {
        return Err(Error::NotFound("alert".into()));
    }
    if !scope.administers(&alert.hall_id) {
        return Err(Error::Forbidden("only the hall's administrator acknowledges an alert".into()));
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(Invalid::Required("note").into());
    }
    if note.chars().count() > 2000 {
        return Err(Invalid::NoteTooLong.into());
    }
    if !store.acknowledge_alert(id, who.person()?.id, note, who.now).await? {
        return Err(Error::Stale);
    }
    let target = format!("{} {}", alert.window_id, alert.raised_at.to_rfc3339());
    audit::record(cx, who, AuditAction::AlertAcknowledged, &target, note).await
}
