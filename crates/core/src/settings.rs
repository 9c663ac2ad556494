//! The kiosk's settings: what its administrator sets on the kiosk, and what
//! the hall office sets for every kiosk of a hall ("from the centre"), which
//! travels with the hall's reference data and wins over the kiosk's own.

use chrono::{DateTime, NaiveTime, Utc};
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

/// A span of the day, in the hall's time: `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Span {
    #[ts(type = "string")]
    pub from: NaiveTime,
    #[ts(type = "string")]
    pub to: NaiveTime,
}

impl Span {
    fn holds(&self, t: NaiveTime) -> bool {
        t >= self.from && t < self.to
    }
}

/// What the hall office sets for its kiosks beyond the opening hours. A value
/// left `None` stays the kiosk administrator's to choose.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub struct KioskPolicy {
    /// The lunch break (午休), inside the opening hours; `None` for a hall open through lunch.
    #[serde(default)]
    pub lunch: Option<Span>,
    /// Outside the opening hours (and over lunch) the kiosk shows a dimmed
    /// "closed" screen and takes no rating of its own accord.
    #[serde(default)]
    pub sleep_when_closed: bool,
    #[serde(default)]
    pub idle_seconds: Option<u32>,
    #[serde(default)]
    pub interval_seconds: Option<u32>,
    /// The languages the kiosk offers. It starts in the one its administrator
    /// chose if offered, else in the first.
    #[serde(default)]
    pub languages: Option<Vec<Language>>,
}

/// What a kiosk receives from the centre with its hall's reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct CentreSettings {
    #[ts(type = "string")]
    pub opens: NaiveTime,
    #[ts(type = "string")]
    pub closes: NaiveTime,
    #[serde(flatten)]
    pub policy: KioskPolicy,
}

/// The halls' own clock: opening hours, like the figures, are China time
/// (UTC+8) whatever time zone a kiosk's system was installed with.
pub fn hall_time(now: DateTime<Utc>) -> NaiveTime {
    now.with_timezone(&crate::upward::beijing()).time()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the hall must open before it closes")]
    Hours,
    #[error("the lunch break must begin before it ends, within the opening hours")]
    Lunch,
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("at least one language, each once")]
    Languages,
}

impl CentreSettings {
    /// Whether the hall is open at `t` (hall time): within the hours, not at lunch.
    pub fn is_open(&self, t: NaiveTime) -> bool {
        Span { from: self.opens, to: self.closes }.holds(t) && !self.policy.lunch.is_some_and(|l| l.holds(t))
    }

    /// Whether the kiosk sleeps at `now`: the hall asked for it and is closed.
    pub fn asleep(&self, now: DateTime<Utc>) -> bool {
        self.policy.sleep_when_closed && !self.is_open(hall_time(now))
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.opens >= self.closes {
            return Err(PolicyError::Hours);
        }
        if let Some(l) = self.policy.lunch
            && (l.from >= l.to || l.from < self.opens || l.to > self.closes)
        {
            return Err(PolicyError::Lunch);
        }
        if self.policy.idle_seconds.is_some_and(|s| !IDLE_RANGE.contains(&s)) {
            return Err(SettingsError::Idle.into());
        }
        if self.policy.interval_seconds.is_some_and(|s| !INTERVAL_RANGE.contains(&s)) {
            return Err(SettingsError::Interval.into());
        }
        if let Some(ls) = &self.policy.languages
            && (ls.is_empty() || ls.iter().enumerate().any(|(i, l)| ls[..i].contains(l)))
        {
            return Err(PolicyError::Languages);
        }
        Ok(())
    }
}

/// Which of a kiosk's settings the centre set (the admin screen shows them as such and locks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ts_rs::TS)]
pub struct FromCentre {
    pub idle_seconds: bool,
    pub interval_seconds: bool,
    pub languages: bool,
    pub hours: bool,
}

/// The settings a kiosk works by: its own, with what the centre set laid over them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Effective {
    pub settings: KioskSettings,
    /// The languages offered (both unless the centre says otherwise).
    pub languages: Vec<Language>,
    pub centre: Option<CentreSettings>,
    pub from_centre: FromCentre,
}

impl Effective {
    pub fn of(own: KioskSettings, centre: Option<CentreSettings>) -> Effective {
        let mut settings = own;
        let mut languages = vec![Language::ZhCn, Language::En];
        let mut from = FromCentre::default();
        if let Some(c) = &centre {
            let p = &c.policy;
            from.hours = true;
            if let Some(s) = p.idle_seconds {
                settings.idle_seconds = s;
                from.idle_seconds = true;
            }
            if let Some(s) = p.interval_seconds {
                settings.interval_seconds = s;
                from.interval_seconds = true;
            }
            if let Some(ls) = p.languages.as_ref().filter(|ls| !ls.is_empty()) {
                languages.clone_from(ls);
                from.languages = true;
                if !ls.contains(&settings.language) {
                    settings.language = ls[0];
                }
            }
        }
        Effective { settings, languages, centre, from_centre: from }
    }

    pub fn asleep(&self, now: DateTime<Utc>) -> bool {
        self.centre.as_ref().is_some_and(|c| c.asleep(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default()
    }

    fn centre() -> CentreSettings {
        CentreSettings {
            opens: hm("09:00"),
            closes: hm("17:00"),
            policy: KioskPolicy {
                lunch: Some(Span { from: hm("12:00"), to: hm("13:30") }),
                sleep_when_closed: true,
                idle_seconds: Some(45),
                interval_seconds: None,
                languages: Some(vec![Language::ZhCn]),
            },
        }
    }

    #[test]
    fn the_hall_is_open_in_its_hours_but_not_at_lunch_in_china_time() {
        let c = centre();
        assert_eq!(c.validate(), Ok(()));
        assert!(c.is_open(hm("09:00")) && c.is_open(hm("11:59")) && c.is_open(hm("13:30")));
        assert!(!c.is_open(hm("08:59")) && !c.is_open(hm("12:00")) && !c.is_open(hm("17:00")));
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        // 10:00 and 12:30 in the hall are 02:00 and 04:30 UTC.
        assert!(!c.asleep(at("2026-12-07T02:00:00Z")));
        assert!(c.asleep(at("2026-12-07T04:30:00Z")));
        assert!(
            !CentreSettings { policy: KioskPolicy { sleep_when_closed: false, ..c.policy.clone() }, ..c.clone() }
                .asleep(at("2026-12-07T04:30:00Z"))
        );
    }

    #[test]
    fn a_policy_out_of_bounds_is_refused() {
        let c = centre();
        assert_eq!(CentreSettings { opens: hm("17:00"), ..c.clone() }.validate(), Err(PolicyError::Hours));
        let lunch = |from, to| CentreSettings {
            policy: KioskPolicy { lunch: Some(Span { from: hm(from), to: hm(to) }), ..c.policy.clone() },
            ..c.clone()
        };
        assert_eq!(lunch("13:00", "12:00").validate(), Err(PolicyError::Lunch));
        assert_eq!(lunch("08:00", "12:00").validate(), Err(PolicyError::Lunch));
        let with = |policy| CentreSettings { policy, ..c.clone() };
        assert_eq!(
            with(KioskPolicy { idle_seconds: Some(1), ..c.policy.clone() }).validate(),
            Err(PolicyError::Settings(SettingsError::Idle))
        );
        assert_eq!(
            with(KioskPolicy { languages: Some(vec![]), ..c.policy.clone() }).validate(),
            Err(PolicyError::Languages)
        );
        assert_eq!(
            with(KioskPolicy { languages: Some(vec![Language::En, Language::En]), ..c.policy.clone() }).validate(),
            Err(PolicyError::Languages)
        );
    }

    #[test]
    fn the_centre_wins_where_it_set_a_value_and_the_kiosk_keeps_the_rest() {
        let own =
            KioskSettings { idle_seconds: 90, interval_seconds: 20, language: Language::En, spoken_prompts: true };
        let e = Effective::of(own, Some(centre()));
        assert_eq!(e.settings.idle_seconds, 45);
        assert_eq!(e.settings.interval_seconds, 20, "left to the kiosk");
        assert_eq!(e.settings.language, Language::ZhCn, "English is not offered");
        assert!(e.settings.spoken_prompts);
        assert_eq!(e.languages, vec![Language::ZhCn]);
        assert_eq!(
            e.from_centre,
            FromCentre { idle_seconds: true, interval_seconds: false, languages: true, hours: true }
        );
        let alone = Effective::of(own, None);
        assert_eq!((alone.settings, alone.languages.len(), alone.from_centre), (own, 2, FromCentre::default()));
    }

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
