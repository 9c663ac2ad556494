//! Working days (工作日). China's calendar is not "Monday to Friday": each
//! year the State Council publishes the holidays and the weekend days that
//! become working days (调休). The calendar is data an administrator imports
//! and corrects; this module only counts with it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The halls keep China Standard Time: the calendar date of an instant there,
/// which deadlines count from.
pub fn china_date(at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

/// A day that is not what its weekday says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A weekday (or any day) off: a public holiday, or a hall closed for a local reason.
    Holiday,
    /// A weekend day that is worked (调休).
    Workday,
}

impl DayKind {
    pub const ALL: [DayKind; 2] = [DayKind::Holiday, DayKind::Workday];

    /// Its name in storage and in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        DayKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The calendar: the exceptions to "Monday to Friday", and the years whose
/// official arrangement is known (a year not known is counted as plain weeks,
/// and what falls in it is an estimate).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

/// The public holidays whose dates the law fixes every year (全国年节及纪念日放假办法,
/// as amended in 2024): New Year's Day (1 January), Labour Day (1–2 May) and
/// National Day (1–3 October). An estimate for a year whose arrangement is not
/// published yet keeps these off; the lunar festivals and the weekends swapped
/// around them (调休) are only known once the year is imported.
fn fixed_holiday(date: NaiveDate) -> bool {
    matches!((date.month(), date.day()), (1, 1) | (5, 1..=2) | (10, 1..=3))
}

/// A date counted in working days, and whether it is only an estimate (it
/// crosses a year whose calendar was not imported).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub date: NaiveDate,
    pub estimate: bool,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>, years: impl IntoIterator<Item = i32>) -> Self {
        Calendar { days: days.into_iter().collect(), years: years.into_iter().collect() }
    }

    pub fn knows_year(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    pub fn exceptions(&self) -> impl Iterator<Item = (NaiveDate, DayKind)> + '_ {
        self.days.iter().map(|(d, k)| (*d, *k))
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.days.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            // A year not imported yet still has the holidays the law fixes by date.
            None if !self.knows_year(date.year()) && fixed_holiday(date) => false,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`th working day after `from` (day one is the next working day
    /// after the day the clock starts: an item registered on a Friday evening
    /// has Monday as its first day).
    pub fn add_working_days(&self, from: NaiveDate, n: u32) -> Due {
        let mut date = from;
        let mut estimate = !self.knows_year(from.year());
        let mut left = n;
        while left > 0 {
            date += Duration::days(1);
            estimate |= !self.knows_year(date.year());
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        Due { date, estimate }
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); negative when
    /// `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let (a, b, sign) = if to >= from { (from, to, 1) } else { (to, from, -1) };
        let mut n = 0i64;
        let mut d = a;
        while d < b {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        sign * n
    }
}

/// How an open item stands against its deadline, for the list's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// More than a working day left.
    OnTime,
    /// The deadline is today or the next working day (yellow).
    DueSoon,
    /// Past the deadline (red).
    Overdue,
}

impl Calendar {
    /// Yellow one working day before the deadline (and on the day), red after it.
    pub fn urgency(&self, due: NaiveDate, today: NaiveDate) -> Urgency {
        if today > due {
            Urgency::Overdue
        } else if self.working_days_between(today, due) <= 1 {
            Urgency::DueSoon
        } else {
            Urgency::OnTime
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    /// The 2026 arrangement around the Spring Festival and National Day.
    fn calendar_2026() -> Calendar {
        let mut days = vec![(day("2026-02-14"), DayKind::Workday), (day("2026-02-28"), DayKind::Workday)];
        for d in 15..=23 {
            days.push((day(&format!("2026-02-{d}")), DayKind::Holiday));
        }
        for d in 1..=7 {
            days.push((day(&format!("2026-10-0{d}")), DayKind::Holiday));
        }
        days.push((day("2026-10-08"), DayKind::Holiday));
        days.push((day("2026-09-20"), DayKind::Workday));
        days.push((day("2026-10-10"), DayKind::Workday));
        Calendar::new(days, [2026])
    }

    #[test]
    fn dates_are_china_standard_time() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).unwrap_or_default();
        assert_eq!(china_date(at("2026-11-30T15:59:59Z")), day("2026-11-30"));
        assert_eq!(china_date(at("2026-11-30T16:00:00Z")), day("2026-12-01"));
    }

    #[test]
    fn the_calendar_overrides_the_weekday() {
        let c = calendar_2026();
        assert!(c.is_working_day(day("2026-02-14")), "Saturday 14 February 2026 is worked");
        assert!(!c.is_working_day(day("2026-10-08")), "Thursday 8 October 2026 is a holiday");
        assert!(c.is_working_day(day("2026-11-23")), "a plain Monday");
        assert!(!c.is_working_day(day("2026-11-22")), "a plain Sunday");
    }

    #[test]
    fn a_five_day_deadline_across_the_spring_festival() {
        let c = calendar_2026();
        // Registered Thursday 12 February: Fri 13, Sat 14 (worked), then the holiday
        // 15–23, then Tue 24, Wed 25, Thu 26.
        let due = c.add_working_days(day("2026-02-12"), 5);
        assert_eq!(due, Due { date: day("2026-02-26"), estimate: false });
        assert_eq!(c.working_days_between(day("2026-02-12"), day("2026-02-26")), 5);
        assert_eq!(c.working_days_between(day("2026-02-26"), day("2026-02-12")), -5);
        // One working day: a Friday's item is due on Monday.
        assert_eq!(c.add_working_days(day("2026-11-20"), 1).date, day("2026-11-23"));
    }

    #[test]
    fn a_deadline_in_an_unknown_year_is_an_estimate() {
        let c = calendar_2026();
        // Tue 29, Wed 30, Thu 31; 1 January 2027 is New Year's Day whatever
        // the arrangement says; then Mon 4, Tue 5.
        let due = c.add_working_days(day("2026-12-28"), 5);
        assert_eq!(due.date, day("2027-01-05"), "counted as plain weeks but for the fixed holidays");
        assert!(due.estimate);
        // Labour Day and National Day likewise, in a year nobody imported.
        assert!(!c.is_working_day(day("2027-05-01")) && !c.is_working_day(day("2027-10-01")));
        assert!(c.is_working_day(day("2027-05-03")), "a Monday the law does not fix");
        assert!(!c.is_working_day(day("2027-10-03")) && c.is_working_day(day("2027-10-04")));
        // In a known year the imported days decide, not the rule.
        assert!(!c.is_working_day(day("2026-10-08")) && c.is_working_day(day("2026-10-10")));
        assert!(!c.add_working_days(day("2026-12-01"), 5).estimate);
    }

    #[test]
    fn yellow_a_working_day_before_red_after() {
        let c = calendar_2026();
        let due = day("2026-11-25"); // a Wednesday
        assert_eq!(c.urgency(due, day("2026-11-23")), Urgency::OnTime);
        assert_eq!(c.urgency(due, day("2026-11-24")), Urgency::DueSoon);
        assert_eq!(c.urgency(due, day("2026-11-25")), Urgency::DueSoon);
        assert_eq!(c.urgency(due, day("2026-11-26")), Urgency::Overdue);
        // Friday before a Monday deadline: one working day left.
        assert_eq!(c.urgency(day("2026-11-30"), day("2026-11-27")), Urgency::DueSoon);
    }
}
