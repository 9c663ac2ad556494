//! PINs: what a PIN may look like, and the growing delay then lock-out that makes
//! guessing one on an unattended kiosk hopeless.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinFormatError {
    #[error("a PIN is made of digits only")]
    NotDigits,
    #[error("a PIN has {min} to {max} digits")]
    Length { min: usize, max: usize },
    #[error("a PIN of one repeated digit or a plain run (123456) is too easy to guess")]
    Trivial,
}

/// The administrator's PIN guards leaving the kiosk: at least six digits, not trivial.
pub fn check_admin_pin(pin: &str) -> Result<(), PinFormatError> {
    check_digits(pin, 6, 12)?;
    let d: Vec<u8> = pin.bytes().map(|b| b - b'0').collect();
    let all_same = d.iter().all(|&x| x == d[0]);
    let ascending = d.windows(2).all(|w| w[1] == (w[0] + 1) % 10);
    let descending = d.windows(2).all(|w| w[0] == (w[1] + 1) % 10);
    if all_same || ascending || descending {
        return Err(PinFormatError::Trivial);
    }
    Ok(())
}

/// A staff member's personal PIN: four to twelve digits.
pub fn check_staff_pin(pin: &str) -> Result<(), PinFormatError> {
    check_digits(pin, 4, 12)
}

fn check_digits(pin: &str, min: usize, max: usize) -> Result<(), PinFormatError> {
    if !pin.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PinFormatError::NotDigits);
    }
    if !(min..=max).contains(&pin.len()) {
        return Err(PinFormatError::Length { min, max });
    }
    Ok(())
}

/// Where a PIN prompt stands after some failed attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PinGate {
    /// An attempt may be made now.
    Open,
    /// Too many recent failures: wait until then before the next attempt.
    Wait { until: DateTime<Utc> },
    /// Locked out until then.
    Locked { until: DateTime<Utc> },
}

/// The growing delay and lock-out after wrong PINs.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    /// Failures allowed before any delay (a typo or two is normal).
    pub free_failures: u32,
    /// The first delay; each further failure doubles it.
    pub first_delay: Duration,
    /// After this many consecutive failures the prompt locks.
    pub lock_after: u32,
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            free_failures: 2,
            first_delay: Duration::seconds(2),
            lock_after: 6,
            lock_for: Duration::minutes(15),
        }
    }
}

impl LockoutPolicy {
    /// Whether an attempt is allowed at `now`, given the consecutive failures so far
    /// and the time of the last one.
    pub fn gate(&self, failures: u32, last_failure: Option<DateTime<Utc>>, now: DateTime<Utc>) -> PinGate {
        let Some(last) = last_failure else { return PinGate::Open };
        if failures >= self.lock_after {
            let until = last + self.lock_for;
            return if now < until { PinGate::Locked { until } } else { PinGate::Open };
        }
        match self.delay_after(failures) {
            Some(delay) if now < last + delay => PinGate::Wait { until: last + delay },
            _ => PinGate::Open,
        }
    }

    /// The wait imposed after `failures` consecutive failures (2 s, 4 s, 8 s, …).
    pub fn delay_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_failures)?.checked_sub(1);
        over.map(|n| self.first_delay * 2i32.saturating_pow(n.min(16)))
    }

    /// A lock-out that has run out starts a fresh count.
    pub fn failures_in_force(&self, failures: u32, last_failure: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u32 {
        match last_failure {
            Some(last) if failures >= self.lock_after && now >= last + self.lock_for => 0,
            _ => failures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000 + s, 0).unwrap_or_default()
    }

    #[test]
    fn admin_pins_must_be_six_digits_and_not_trivial() {
        assert_eq!(check_admin_pin("12a456"), Err(PinFormatError::NotDigits));
        assert_eq!(check_admin_pin("12345"), Err(PinFormatError::Length { min: 6, max: 12 }));
        assert_eq!(check_admin_pin("111111"), Err(PinFormatError::Trivial));
        assert_eq!(check_admin_pin("123456"), Err(PinFormatError::Trivial));
        assert_eq!(check_admin_pin("890123"), Err(PinFormatError::Trivial));
        assert_eq!(check_admin_pin("654321"), Err(PinFormatError::Trivial));
        assert_eq!(check_admin_pin("260418"), Ok(()));
        assert_eq!(check_staff_pin("2580"), Ok(()));
        assert!(check_staff_pin("258").is_err());
    }

    #[test]
    fn delay_grows_then_locks_then_resets() {
        let p = LockoutPolicy::default();
        assert_eq!(p.gate(0, None, t(0)), PinGate::Open);
        assert_eq!(p.gate(1, Some(t(0)), t(0)), PinGate::Open);
        assert_eq!(p.gate(2, Some(t(0)), t(0)), PinGate::Open);
        assert_eq!(p.gate(3, Some(t(0)), t(1)), PinGate::Wait { until: t(2) });
        assert_eq!(p.gate(3, Some(t(0)), t(2)), PinGate::Open);
        assert_eq!(p.gate(4, Some(t(0)), t(3)), PinGate::Wait { until: t(4) });
        assert_eq!(p.gate(5, Some(t(0)), t(3)), PinGate::Wait { until: t(8) });
        assert_eq!(p.gate(6, Some(t(0)), t(60)), PinGate::Locked { until: t(900) });
        assert_eq!(p.gate(6, Some(t(0)), t(900)), PinGate::Open);
        assert_eq!(p.failures_in_force(6, Some(t(0)), t(899)), 6);
        assert_eq!(p.failures_in_force(6, Some(t(0)), t(900)), 0);
        assert_eq!(p.failures_in_force(4, Some(t(0)), t(9000)), 4);
    }
}
