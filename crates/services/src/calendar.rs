//! The working-day calendar the ledger's deadlines count with. Official years
//! come from the `chinese_holiday` crate's published data (the State Council's
//! notices, 2004–2026), or from a file in the format the holiday-cn project
//! publishes each November (`{"year": 2027, "days": [{"name": "元旦", "date":
//! "2027-01-01", "isOffDay": true}, …]}`); an administrator corrects single
//! days in the page. Every change recomputes the open items' deadlines.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::Deserialize;
use tiyan_core::ledger::replay;
use tiyan_core::workdays::{Calendar, DayKind};

use super::audit::{self, AuditAction};
use super::cache::Versioned;
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{CalendarDay, CalendarYear, HallSettings, Storage};

/// The years `chinese_holiday` knows that a new server imports at its first start.
pub const REGISTRY_YEARS: [i32; 2] = [2025, 2026];
const REGISTRY: &str = "chinese_holiday 2026.0.1 (State Council notices)";

/// The calendar of the current version.
#[derive(Default)]
pub struct CalendarCache(Versioned<i64, Calendar>);

impl CalendarCache {
    pub async fn current(&self, store: &dyn Storage) -> Result<Arc<Calendar>> {
        Ok(self.0.get(store.calendar_version().await?, store.calendar()).await?)
    }
}

fn festival(kind: chinese_holiday::DayKind) -> &'static str {
    use chinese_holiday::DayKind as K;
    match kind {
        K::NewYearsDayHoliday | K::NewYearsDayWorkday => "元旦",
        K::SpringFestivalHoliday | K::SpringFestivalWorkday => "春节",
        K::ChingMingFestivalHoliday | K::ChingMingFestivalWorkday => "清明节",
        K::InternationalWorkersDayHoliday | K::InternationalWorkersDayWorkday => "劳动节",
        K::DragonBoatFestivalHoliday | K::DragonBoatFestivalWorkday => "端午节",
        K::MidAutumnFestivalHoliday | K::MidAutumnFestivalWorkday => "中秋节",
        K::NationalDayHoliday | K::NationalDayWorkday => "国庆节",
        _ => "",
    }
}

fn weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A year's exceptions to "Monday to Friday" from the crate's data.
pub fn registry_year(year: i32) -> Result<Vec<CalendarDay>> {
    if !(2004..=2026).contains(&year) {
        return Err(Invalid::RegistryYear(year).into());
    }
    let mut days = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| Error::from(Invalid::Year(year)))?;
    // The crate answers up to 25 December 2026; the last days of a year are never moved.
    let last = NaiveDate::from_ymd_opt(year, 12, 25).unwrap_or(d);
    while d <= last {
        let kind = chinese_holiday::chinese_holiday((d.year() as u16, d.month() as u8, d.day() as u8));
        let exception = match (kind.is_holiday(), weekend(d)) {
            (true, false) => Some(DayKind::Holiday),
            (false, true) if kind.is_workday() => Some(DayKind::Workday),
            _ => None,
        };
        if let Some(kind_here) = exception {
            days.push(CalendarDay { date: d, kind: kind_here, note: festival(kind).to_string() });
        }
        d += Duration::days(1);
    }
    Ok(days)
}

/// A year in holiday-cn's format.
#[derive(Deserialize)]
struct HolidayCnYear {
    year: i32,
    days: Vec<HolidayCnDay>,
}

#[derive(Deserialize)]
struct HolidayCnDay {
    name: String,
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// Reads a year published in holiday-cn's format; its days' exceptions only.
pub fn parse_holiday_cn(json: &[u8]) -> Result<(i32, Vec<CalendarDay>)> {
    let file: HolidayCnYear = serde_json::from_slice(json).map_err(|_| Invalid::CalendarFile)?;
    if !(2000..=2100).contains(&file.year) {
        return Err(Invalid::Year(file.year).into());
    }
    let mut days = Vec::new();
    for d in file.days {
        if d.date.year() != file.year {
            continue; // holiday-cn lists the year's first days of the next year's holiday too; they belong there
        }
        let kind = match (d.is_off_day, weekend(d.date)) {
            (true, false) => DayKind::Holiday,
            (false, true) => DayKind::Workday,
            _ => continue,
        };
        days.push(CalendarDay { date: d.date, kind, note: d.name.chars().take(40).collect() });
    }
    if days.is_empty() {
        return Err(Invalid::NoHolidays(file.year).into());
    }
    Ok((file.year, days))
}

/// Imports a year and recomputes the open items' deadlines.
async fn import_year(cx: &Services, year: i32, days: &[CalendarDay], source: &str, now: DateTime<Utc>) -> Result<()> {
    cx.store.import_calendar_year(year, days, source, now).await?;
    recompute(cx).await
}

/// On a server's first start: the official years the registry crate knows.
pub async fn seed(cx: &Services) -> Result<()> {
    if !cx.store.calendar_years().await?.is_empty() {
        return Ok(());
    }
    for year in REGISTRY_YEARS {
        cx.store.import_calendar_year(year, &registry_year(year)?, REGISTRY, cx.now()).await?;
    }
    tracing::info!(years = ?REGISTRY_YEARS, "working-day calendar imported from the published data");
    recompute(cx).await
}

/// The years imported, and the exceptions of `year`.
pub async fn year(cx: &Services, year: i32) -> Result<(Vec<CalendarYear>, Vec<CalendarDay>)> {
    Ok((cx.store.calendar_years().await?, cx.store.calendar_days(year).await?))
}

/// The limits of each hall `who` sees, and whether they may change them.
pub async fn limits(cx: &Services, who: &Who<'_>) -> Result<Vec<(String, HallSettings, bool)>> {
    let scope = who.scope();
    let mut out = Vec::new();
    for h in cx.reference().await?.halls.iter().filter(|h| scope.sees(&h.id)) {
        out.push((h.id.clone(), cx.store.hall_settings(&h.id).await?, scope.administers(&h.id)));
    }
    Ok(out)
}

/// A change to the calendar or a hall's limits made in the hall office.
pub enum CalendarEdit {
    /// A year from the published data.
    Registry(i32),
    /// A holiday-cn file.
    File(Vec<u8>),
    /// One day set off or worked, or back to its weekday (None).
    Day(NaiveDate, Option<(DayKind, String)>),
    /// A hall's limits in working days.
    Limits(String, HallSettings),
}

/// Makes a change by `who`: the calendar is every hall's, so only the whole
/// server's supervisor changes it; a hall's limits, its administrator or a
/// supervisor. Logged.
pub async fn edit(cx: &Services, who: &Who<'_>, edit: CalendarEdit) -> Result<()> {
    let scope = who.scope();
    let allowed = match &edit {
        CalendarEdit::Limits(hall, _) => scope.administers(hall),
        _ => scope.everywhere(),
    };
    if !allowed {
        return Err(Error::Forbidden("you may not change this".into()));
    }
    let now = who.now;
    let (action, target, detail) = match edit {
        CalendarEdit::Registry(year) => {
            import_year(cx, year, &registry_year(year)?, REGISTRY, now).await?;
            (AuditAction::CalendarImported, year.to_string(), REGISTRY.to_string())
        }
        CalendarEdit::File(bytes) => {
            let (year, days) = parse_holiday_cn(&bytes)?;
            import_year(cx, year, &days, "holiday-cn file", now).await?;
            (AuditAction::CalendarImported, year.to_string(), format!("holiday-cn file, {} days", days.len()))
        }
        CalendarEdit::Day(date, day) => {
            let detail = day.as_ref().map_or_else(|| "weekday".to_string(), |(k, note)| format!("{k:?} {note}"));
            cx.store.set_calendar_day(date, day).await?;
            recompute(cx).await?;
            (AuditAction::CalendarDaySet, date.to_string(), detail)
        }
        CalendarEdit::Limits(hall, limits) => {
            check_limits(&limits)?;
            super::reference::known_place(cx, &hall, None).await?;
            cx.store.set_hall_settings(&hall, &limits).await?;
            let detail = format!("{}/{}/{}", limits.verify_days, limits.rectify_days, limits.complex_days);
            (AuditAction::HallLimitsSet, hall, detail)
        }
    };
    audit::record(cx, who, action, &target, &detail).await
}

/// Limits a hall may set: at least a day each, at most a quarter's working
/// days, and a complex case given no less time than a plain one.
fn check_limits(l: &HallSettings) -> Result<()> {
    let range = 1..=60;
    let ok = range.contains(&l.verify_days)
        && range.contains(&l.rectify_days)
        && range.contains(&l.complex_days)
        && l.complex_days >= l.rectify_days;
    if ok { Ok(()) } else { Err(Invalid::Limit.into()) }
}

/// Every open item's deadline again, with the calendar as it is now (an
/// estimate becomes a date once its year is imported). An item that took a
/// step meanwhile was replayed by that step, with this calendar already.
pub async fn recompute(cx: &Services) -> Result<()> {
    let calendar = cx.calendar().await?;
    for (id, source, events) in cx.store.open_items().await? {
        let status = replay(&events, source, &calendar)?;
        cx.store.set_status(id, events.len() as u32, &status).await?;
    }
    Ok(())
}

/// Items dealt with before each item's outcome was kept get it from their
/// events (once: afterwards none is missing). Returns how many.
pub async fn replay_missing_outcomes(cx: &Services) -> Result<usize> {
    let items = cx.store.items_missing_outcome().await?;
    if items.is_empty() {
        return Ok(0);
    }
    let calendar = cx.calendar().await?;
    for (id, source, events) in &items {
        cx.store.set_status(*id, events.len() as u32, &replay(events, *source, &calendar)?).await?;
    }
    Ok(items.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn the_published_data_knows_2026() {
        let days = registry_year(2026).unwrap_or_default();
        let find = |d: &str| days.iter().find(|x| x.date == day(d)).map(|x| (x.kind, x.note.as_str()));
        assert_eq!(find("2026-02-14"), Some((DayKind::Workday, "春节")), "Saturday 14 February is worked");
        assert_eq!(find("2026-10-07"), Some((DayKind::Holiday, "国庆节")), "Wednesday 7 October is off");
        assert_eq!(find("2026-10-10"), Some((DayKind::Workday, "国庆节")), "Saturday 10 October is worked");
        // The published arrangement ends the National Day holiday on the 7th; a hall
        // that closes on the 8th (as ../shared/DOMAIN.md's example has it) says so in the page.
        assert_eq!(find("2026-10-08"), None);
        assert_eq!(find("2026-11-23"), None, "a plain Monday is no exception");
        assert!(registry_year(2027).is_err());
    }

    #[test]
    fn a_holiday_cn_file_gives_the_exceptions_of_its_year() {
        let json = r#"{"year": 2027, "days": [
            {"name": "元旦", "date": "2027-01-01", "isOffDay": true},
            {"name": "春节", "date": "2027-02-06", "isOffDay": false},
            {"name": "春节", "date": "2027-02-07", "isOffDay": true},
            {"name": "元旦", "date": "2028-01-01", "isOffDay": true}]}"#;
        let (year, days) = parse_holiday_cn(json.as_bytes()).unwrap_or_default();
        assert_eq!(year, 2027);
        // 1 January 2027 is a Friday (off), 6 February a Saturday (worked); 7 February is a Sunday anyway.
        assert_eq!(
            days.iter().map(|d| (d.date, d.kind)).collect::<Vec<_>>(),
            vec![(day("2027-01-01"), DayKind::Holiday), (day("2027-02-06"), DayKind::Workday)]
        );
        assert!(parse_holiday_cn(b"<html>").is_err());
    }
}
