//! The fleet: every kiosk and laptop with its last contact, the records still
//! waiting on it, its app version and clock, and whether a kiosk has gone
//! silent during its hall's opening hours.

use chrono::{DateTime, Duration, Utc};
use tiyan_core::protocol::{DeviceRole, StateQuery};
use tiyan_core::workdays::Calendar;

use super::{Services, Who};
use crate::error::{Error, Result};
use tiyan_storage::{DeviceReport, FigureSettings, FleetRow};

/// The halls' own clock: figures and opening hours are China time.
const HALL_OFFSET_HOURS: i64 = 8;

#[derive(Debug, Clone)]
pub struct FleetLine {
    pub row: FleetRow,
    /// The last time the device was heard from (a state request or an upload).
    pub last_contact: Option<DateTime<Utc>>,
    /// A kiosk silent for longer than its hall allows, during opening hours.
    pub silent: bool,
}

/// What a device said of itself when it asked for its state, checked; it is
/// kept just after the answer (`Deferred::device_reported`).
pub fn report(query: &StateQuery, now: DateTime<Utc>) -> Result<DeviceReport> {
    if !query.version_is_plain() {
        return Err(Error::Malformed("app_version: at most 40 letters, digits, '.', '-' or '+'".into()));
    }
    let newest = query.newest();
    if newest.iter().any(|(_, seq)| i64::try_from(*seq).is_err()) {
        return Err(Error::Malformed("a sequence number is out of range".into()));
    }
    Ok(DeviceReport {
        app_version: query.app_version.clone(),
        clock_offset_seconds: query.device_time.map(|t| (t.to_utc() - now).num_seconds()),
        newest,
        reference_held: query.reference,
        at: now,
    })
}

/// The devices `scope` sees, each with whether it has gone silent.
pub async fn fleet(cx: &Services, who: &Who<'_>) -> Result<Vec<FleetLine>> {
    let (store, now) = (cx.store.as_ref(), who.now);
    let calendar = cx.calendar().await?;
    let rows = store.fleet(who.scope().halls().as_deref()).await?;
    let mut settings: Vec<(String, FigureSettings)> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let s = match settings.iter().find(|(h, _)| *h == row.device.hall_id) {
            Some((_, s)) => s.clone(),
            None => {
                let s = store.figure_settings(&row.device.hall_id).await?;
                settings.push((row.device.hall_id.clone(), s.clone()));
                s
            }
        };
        let last_contact = row.device.last_seen_at.max(row.reported_at);
        let silent = row.device.role == DeviceRole::Kiosk
            && row.device.revoked_at.is_none()
            && is_silent(last_contact.unwrap_or(row.device.enrolled_at), &s, &calendar, now);
        out.push(FleetLine { row, last_contact, silent });
    }
    Ok(out)
}

/// Silent: during opening hours of a working day (lunch left out), nothing
/// heard for longer than the hall allows.
fn is_silent(last: DateTime<Utc>, s: &FigureSettings, calendar: &Calendar, now: DateTime<Utc>) -> bool {
    let local = (now + Duration::hours(HALL_OFFSET_HOURS)).naive_utc();
    let open = calendar.is_working_day(local.date()) && s.centre().is_open(local.time());
    open && now - last > Duration::minutes(i64::from(s.silence_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_kiosk_is_silent_only_in_opening_hours_of_a_working_day() {
        let s = FigureSettings::default(); // 09:00–17:00, 30 minutes
        let calendar = Calendar::default();
        // Monday 23 November 2026, 10:00 in the hall (02:00 UTC).
        let now = at("2026-11-23T02:00:00Z");
        assert!(is_silent(at("2026-11-23T01:00:00Z"), &s, &calendar, now));
        assert!(!is_silent(at("2026-11-23T01:45:00Z"), &s, &calendar, now));
        // 20:00 in the hall: closed.
        assert!(!is_silent(at("2026-11-22T01:00:00Z"), &s, &calendar, at("2026-11-23T12:00:00Z")));
        // Sunday 22 November, 10:00: not a working day.
        assert!(!is_silent(at("2026-11-21T01:00:00Z"), &s, &calendar, at("2026-11-22T02:00:00Z")));
    }
}
