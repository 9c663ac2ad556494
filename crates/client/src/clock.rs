//! The wall clock, behind a trait so tests can move time (PIN delays, the misuse interval).

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, Local};

pub trait Clock: Send + Sync + 'static {
    /// Local wall time with its UTC offset.
    fn now(&self) -> DateTime<FixedOffset>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        Local::now().fixed_offset()
    }
}

/// A clock that stands still until told to move.
pub struct ManualClock(Mutex<DateTime<FixedOffset>>);

impl ManualClock {
    pub fn new(start: DateTime<FixedOffset>) -> Self {
        ManualClock(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The system clock started at another moment, running on from there, in the
/// start's own UTC offset: a rehearsal, or a test of the app on a chosen day
/// (the app's hidden `--clock-start`). Never in service.
pub struct StartedClock {
    offset: Duration,
    zone: FixedOffset,
}

impl StartedClock {
    pub fn new(start: DateTime<FixedOffset>) -> Self {
        StartedClock { offset: start.to_utc() - chrono::Utc::now(), zone: *start.offset() }
    }
}

impl Clock for StartedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        (chrono::Utc::now() + self.offset).with_timezone(&self.zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_clock_runs_from_its_start_in_its_zone() {
        let start = DateTime::parse_from_rfc3339("2027-01-01T00:03:00+08:00").unwrap();
        let now = StartedClock::new(start).now();
        assert!(now >= start && now - start < Duration::seconds(5), "{now}");
        assert_eq!(now.offset(), start.offset());
    }
}
