//! The kiosk's settings that an administrator may change.

use serde::{Deserialize, Serialize};

use crate::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct KioskSettings {
    /// A half-finished rating is discarded after this many idle seconds.
    pub idle_seconds: u32,
    /// Without a case number, a rating within this many seconds of the previous one
    /// is flagged as possible misuse.
    pub interval_seconds: u32,
    /// The language the welcome screen starts in.
    pub language: Language,
    /// Whether the kiosk says "please rate this service" when the window asks
    /// for a rating, and thanks after it. Off unless the hall wants it (a quiet
    /// hall, a kiosk beside the next one); settings kept before it existed read as off.
    #[serde(default)]
    pub spoken_prompts: bool,
}

impl Default for KioskSettings {
    fn default() -> Self {
        KioskSettings { idle_seconds: 30, interval_seconds: 10, language: Language::ZhCn, spoken_prompts: false }
    }
}

pub const IDLE_RANGE: std::ops::RangeInclusive<u32> = 5..=600;
pub const INTERVAL_RANGE: std::ops::RangeInclusive<u32> = 0..=600;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("the idle time must be between {} and {} seconds", IDLE_RANGE.start(), IDLE_RANGE.end())]
    Idle,
    #[error("the interval must be between {} and {} seconds", INTERVAL_RANGE.start(), INTERVAL_RANGE.end())]
    Interval,
}

impl KioskSettings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        if !IDLE_RANGE.contains(&self.idle_seconds) {
            return Err(SettingsError::Idle);
        }
        if !INTERVAL_RANGE.contains(&self.interval_seconds) {
            return Err(SettingsError::Interval);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_issue_defaults_and_valid() {
        let s = KioskSettings::default();
        assert_eq!((s.idle_seconds, s.interval_seconds, s.language), (30, 10, Language::ZhCn));
        assert_eq!(s.validate(), Ok(()));
        assert!(!s.spoken_prompts, "a kiosk is silent until the hall says otherwise");
        let before: KioskSettings =
            serde_json::from_str(r#"{"idle_seconds":30,"interval_seconds":10,"language":"zh-CN"}"#)
                .expect("old settings read");
        assert_eq!(before, s, "settings kept before spoken prompts existed still read");
        assert_eq!(KioskSettings { idle_seconds: 4, ..s }.validate(), Err(SettingsError::Idle));
        assert_eq!(KioskSettings { interval_seconds: 601, ..s }.validate(), Err(SettingsError::Interval));
    }
}
