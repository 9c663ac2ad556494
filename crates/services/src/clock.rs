//! The server's clock: every flow that needs "now" (a ledger item's
//! registration, a deadline, "this month", a session's idle time, a code's
//! expiry) takes it from here, through `Services::now`, never from the wall
//! clock itself. In service it is the system clock; a rehearsal starts it at
//! another moment and lets it run; a test holds it still and moves it by hand.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

#[derive(Clone, Debug)]
pub struct Clock(Arc<Mode>);

#[derive(Debug)]
enum Mode {
    /// The system clock, shifted by a fixed amount (zero in service).
    Running(Duration),
    /// Stands still until set or advanced.
    Manual(Mutex<DateTime<Utc>>),
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Mode::Running(Duration::zero())))
    }

    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Mode::Running(start - Utc::now())))
    }

    /// A clock that stands at `at` until [`Clock::set`] or [`Clock::advance`].
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock(Arc::new(Mode::Manual(Mutex::new(at))))
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Mode::Running(offset) => Utc::now() + *offset,
            Mode::Manual(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Whether this is the system clock as it is (what the server logs at start otherwise).
    pub fn is_system(&self) -> bool {
        matches!(&*self.0, Mode::Running(offset) if offset.is_zero())
    }

    /// Moves a manual clock to `at`. A running clock cannot be set: it is a
    /// mistake in the caller, reported rather than ignored.
    pub fn set(&self, at: DateTime<Utc>) {
        match &*self.0 {
            Mode::Manual(now) => *now.lock().unwrap_or_else(|p| p.into_inner()) = at,
            Mode::Running(_) => panic!("only a manual clock is set by hand"),
        }
    }

    pub fn advance(&self, by: Duration) {
        self.set(self.now() + by);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_a_started_one_runs_from_its_start() {
        let at = DateTime::parse_from_rfc3339("2026-12-31T15:59:00Z").unwrap().to_utc();
        let manual = Clock::manual(at);
        assert_eq!(manual.now(), at);
        manual.advance(Duration::minutes(2));
        assert_eq!(manual.now(), at + Duration::minutes(2));
        let started = Clock::starting_at(at);
        let read = started.now();
        assert!(read >= at && read - at < Duration::seconds(5), "{read}");
        assert!(!started.is_system() && Clock::system().is_system());
    }
}
