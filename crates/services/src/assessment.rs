//! The monthly assessment: a hall's month of ratings and ledger items made
//! into figures per staff member, window and hall with `tiyan_core::assessment`,
//! ranked fairly; months closed (frozen with the method's version) and the
//! corrections later decisions make beside them; twelve-month trends; the
//! hall's settings for all of it and the method's versions.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tiyan_core::accounts::Place;
use tiyan_core::assessment::{CaseTally, LedgerTally, Method, Month, Tally, near_bottom, rank};
use tiyan_core::reference::ReferenceData;
use tiyan_core::region::{Division, Region};
use tiyan_storage::TallyKind;

use super::audit::{self, AuditAction};
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};
use tiyan_storage::{CaseTallyRow, Closing, FigureSettings, LedgerTallyRow, RatingTallies, Storage, TallyBy};

/// What a month's ratings and items make of one staff member, window or hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// The ratings that count: misuse and upheld appeals left out.
    pub ratings: u64,
    /// Ratings at levels 1 to 5.
    pub attitude: [u64; 5],
    pub competence: [u64; 5],
    /// Satisfaction (%), per dimension and combined.
    pub attitude_satisfaction: Option<f64>,
    pub competence_satisfaction: Option<f64>,
    pub satisfaction: Option<f64>,
    pub bad_reviews: u64,
    pub bad_rate: Option<f64>,
    /// The ranking score (Bayesian average, %); None with too few ratings.
    pub score: Option<f64>,
    /// 1 is best; None with too few ratings (and for the hall).
    pub rank: Option<u32>,
    pub too_few: bool,
    /// Near the bottom this month.
    pub near_bottom: bool,
    /// Near the bottom this month and the month before: to be called in (约谈).
    pub called_in: bool,
    pub ledger: LedgerTally,
    pub call_back_rate: Option<f64>,
    pub rectified_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    /// The cases the window's system asked to be rated, and of those rated
    /// (months closed before the window link have none).
    #[serde(default)]
    pub cases: CaseTally,
    /// 主动评价率: rated cases over cases served.
    #[serde(default)]
    pub rating_rate: Option<f64>,
    /// Ratings given without a case (the staff side or nobody named one).
    #[serde(default)]
    pub without_case: u64,
    /// A window's rating rate below the hall's threshold.
    #[serde(default)]
    pub rate_low: bool,
}

impl Figures {
    fn new(t: &Tally, ledger: LedgerTally, cases: CaseTally, method: &Method) -> Figures {
        Figures {
            ratings: t.ratings(),
            attitude: t.attitude,
            competence: t.competence,
            attitude_satisfaction: t.attitude_satisfaction(method),
            competence_satisfaction: t.competence_satisfaction(method),
            satisfaction: t.satisfaction(method),
            bad_reviews: t.bad,
            bad_rate: t.bad_rate(),
            score: None,
            rank: None,
            too_few: false,
            near_bottom: false,
            called_in: false,
            ledger,
            call_back_rate: ledger.call_back_rate(),
            rectified_rate: ledger.rectified_rate(),
            on_time_rate: ledger.on_time_rate(),
            rating_rate: cases.rating_rate(),
            without_case: (t.ratings()).saturating_sub(cases.ratings_with_case),
            cases,
            rate_low: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffLine {
    pub staff_id: String,
    pub name: String,
    pub employee_no: String,
    /// The windows the ratings were given at.
    pub windows: Vec<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowLine {
    pub window_id: String,
    pub number: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallLine {
    pub hall_id: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// What was left out of the month, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    /// Flagged as misuse by the kiosk (presses too fast, a rating for nobody).
    pub misuse: u64,
    /// Excluded by an upheld appeal.
    pub appeals: u64,
    /// A case rated a second time (another kiosk, a kiosk reset): the first stands.
    #[serde(default)]
    pub case_repeats: u64,
}

/// A hall's month: what the page shows, the report exports and a closing freezes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthFigures {
    pub month: Month,
    pub hall: HallLine,
    pub method: Method,
    pub formula: String,
    pub minimum_ratings: u32,
    /// The rating rate below which a window is flagged (%).
    #[serde(default)]
    pub rating_rate_percent: u32,
    pub left_out: LeftOut,
    pub windows: Vec<WindowLine>,
    pub staff: Vec<StaffLine>,
    pub computed_at: DateTime<Utc>,
}

/// One line of a month: the hall, a window or a staff member.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// `hall`, `window` or `staff`.
    pub level: &'static str,
    pub id: &'a str,
    /// The window's number or the staff member's employee number (empty for the hall).
    pub number: &'a str,
    pub name: &'a str,
    pub figures: &'a Figures,
}

impl MonthFigures {
    /// The hall's line, then its windows', then its staff members'.
    pub fn lines(&self) -> Vec<Line<'_>> {
        let h = &self.hall;
        let mut out = vec![Line { level: "hall", id: &h.hall_id, number: "", name: &h.name, figures: &h.figures }];
        out.extend(self.windows.iter().map(|w| Line {
            level: "window",
            id: &w.window_id,
            number: &w.number,
            name: &w.name,
            figures: &w.figures,
        }));
        out.extend(self.staff.iter().map(|s| Line {
            level: "staff",
            id: &s.staff_id,
            number: &s.employee_no,
            name: &s.name,
            figures: &s.figures,
        }));
        out
    }
}

/// A frozen figure and what it is now, when a later decision changed it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Correction {
    /// `hall`, `window` or `staff`.
    pub level: &'static str,
    pub id: String,
    pub name: String,
    pub frozen: Figures,
    pub now: Figures,
}

/// A month as the page shows it: live, or frozen with its corrections.
#[derive(Debug, Clone)]
pub struct MonthView {
    pub figures: MonthFigures,
    pub closed: Option<Closing>,
    pub corrections: Vec<Correction>,
}

/// One month of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub month: Month,
    pub ratings: u64,
    pub satisfaction: Option<f64>,
    pub bad_rate: Option<f64>,
}

/// Whose trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Hall,
    Window(String),
    Staff(String),
}

/// The current method (the newest version).
pub async fn current_method(cx: &Services) -> Result<Method> {
    newest_method(cx.store.as_ref()).await
}

async fn newest_method(store: &dyn Storage) -> Result<Method> {
    Ok(store.methods().await?.into_iter().next().unwrap_or_default())
}

async fn method_version(store: &dyn Storage, version: i64) -> Result<Method> {
    store
        .methods()
        .await?
        .into_iter()
        .find(|m| m.version == version)
        .ok_or_else(|| Error::Backend(format!("method version {version} is missing")))
}

/// A hall's figures for `month` with `method`, computed from what the database
/// holds now (for the benches, which freeze months of a province without a person).
pub async fn computed(
    cx: &Services,
    reference: &ReferenceData,
    hall: &str,
    month: Month,
    method: &Method,
) -> Result<MonthFigures> {
    compute(cx.store.as_ref(), reference, hall, month, method, cx.now()).await
}

async fn compute(
    store: &dyn Storage,
    reference: &ReferenceData,
    hall: &str,
    month: Month,
    method: &Method,
    now: DateTime<Utc>,
) -> Result<MonthFigures> {
    let (from, to) = (month.first_day(), month.next().first_day());
    let tallies = store.rating_tallies(hall, from, to, TallyBy::StaffAndWindow).await?;
    let ledger = store.ledger_tallies(hall, from, to).await?;
    let cases = store.case_tallies(hall, from, to).await?;
    let settings = store.figure_settings(hall).await?;
    let previous = previous_bottom(store, reference, hall, month, method, &settings, now).await?;
    let counts = Counts { ratings: &tallies, ledger: &ledger, cases: &cases };
    Ok(figures(reference, hall, month, counts, method, &settings, &previous, now))
}

/// What a month's figures are made of: the counts storage gives.
#[derive(Clone, Copy)]
struct Counts<'a> {
    ratings: &'a RatingTallies,
    ledger: &'a [LedgerTallyRow],
    cases: &'a [CaseTallyRow],
}

/// The windows near the bottom the month before: as it was frozen if it was
/// closed, else as it stands now (from its windows' tallies alone: who served
/// at them does not move a window's place).
async fn previous_bottom(
    store: &dyn Storage,
    reference: &ReferenceData,
    hall: &str,
    month: Month,
    method: &Method,
    settings: &FigureSettings,
    now: DateTime<Utc>,
) -> Result<HashSet<String>> {
    let previous = month.previous();
    if let Some(frozen) = store.closed_near_bottom(hall, previous).await? {
        return Ok(frozen.into_iter().collect());
    }
    let (from, to) = (previous.first_day(), month.first_day());
    let tallies = store.rating_tallies(hall, from, to, TallyBy::Window).await?;
    let counts = Counts { ratings: &tallies, ledger: &[], cases: &[] };
    let figures = figures(reference, hall, previous, counts, method, settings, &HashSet::new(), now);
    Ok(figures.windows.into_iter().filter(|w| w.figures.near_bottom).map(|w| w.window_id).collect())
}

/// Whether `id` served any case (a row of only ratings with a case does not list anyone).
fn r_served(cases: &HashMap<&str, CaseTally>, id: &str) -> bool {
    cases.get(id).is_some_and(|c| c.served > 0)
}

/// The figures themselves, from the counts: no I/O.
#[allow(clippy::too_many_arguments)]
fn figures(
    reference: &ReferenceData,
    hall: &str,
    month: Month,
    counts: Counts<'_>,
    method: &Method,
    settings: &FigureSettings,
    previous_bottom: &HashSet<String>,
    now: DateTime<Utc>,
) -> MonthFigures {
    let Counts { ratings: tallies, ledger, cases } = counts;
    let mut staff: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut staff_windows: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut windows: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut hall_tally = Tally::default();
    let this_month = |r: &&tiyan_storage::TallyRow| r.month == month;
    for r in tallies.rated.iter().filter(this_month) {
        staff.entry(&r.staff_id).or_default().merge(&r.tally);
        windows.entry(&r.window_id).or_default().merge(&r.tally);
        hall_tally.merge(&r.tally);
        let w = staff_windows.entry(&r.staff_id).or_default();
        if !w.contains(&r.window_id) {
            w.push(r.window_id.clone());
        }
    }
    let mut left_out = LeftOut::default();
    for r in tallies.excluded.iter().filter(this_month) {
        staff.entry(&r.staff_id).or_default().subtract(&r.tally);
        windows.entry(&r.window_id).or_default().subtract(&r.tally);
        hall_tally.subtract(&r.tally);
        left_out.appeals += r.tally.ratings();
    }
    left_out.misuse = tallies.misuse.iter().filter(this_month).map(|r| r.tally.ratings()).sum();
    left_out.case_repeats = tallies.repeats.iter().filter(this_month).map(|r| r.tally.ratings()).sum();

    // Cases served and rated where they were served; ratings with a case where they were given.
    let mut staff_cases: HashMap<&str, CaseTally> = HashMap::new();
    let mut window_cases: HashMap<&str, CaseTally> = HashMap::new();
    let mut hall_cases = CaseTally::default();
    for r in cases.iter().filter(|r| r.month == month) {
        staff_cases.entry(&r.staff_id).or_default().merge(&r.tally);
        window_cases.entry(&r.window_id).or_default().merge(&r.tally);
        hall_cases.merge(&r.tally);
    }
    // Whoever served cases without a rating this month is listed too.
    for s in staff_cases.keys().filter(|s| r_served(&staff_cases, s)) {
        staff.entry(s).or_default();
    }
    for w in window_cases.keys().filter(|w| r_served(&window_cases, w)) {
        windows.entry(w).or_default();
    }

    let mut staff_ledger: HashMap<&str, LedgerTally> = HashMap::new();
    let mut window_ledger: HashMap<&str, LedgerTally> = HashMap::new();
    let mut hall_ledger = LedgerTally::default();
    for r in ledger.iter().filter(|r| r.month == month) {
        if let Some(s) = &r.staff_id {
            staff_ledger.entry(s).or_default().merge(&r.tally);
        }
        if let Some(w) = &r.window_id {
            window_ledger.entry(w).or_default().merge(&r.tally);
        }
        hall_ledger.merge(&r.tally);
    }
    // Whoever has items but no ratings this month is listed too.
    for s in staff_ledger.keys() {
        staff.entry(s).or_default();
    }
    for w in window_ledger.keys() {
        windows.entry(w).or_default();
    }

    let minimum = u64::from(settings.minimum_ratings);
    let ranked = |tallies: &BTreeMap<&str, Tally>,
                  ledger: &HashMap<&str, LedgerTally>,
                  cases: &HashMap<&str, CaseTally>|
     -> Vec<(String, Figures)> {
        let list: Vec<Tally> = tallies.values().copied().collect();
        let standings = rank(&list, &hall_tally, minimum, method);
        let bottom = near_bottom(&standings, method);
        tallies
            .iter()
            .zip(standings.iter().zip(bottom))
            .map(|((id, t), (s, b))| {
                let mut f = Figures::new(
                    t,
                    ledger.get(id).copied().unwrap_or_default(),
                    cases.get(id).copied().unwrap_or_default(),
                    method,
                );
                f.score = s.score;
                f.rank = s.rank;
                f.too_few = s.too_few;
                f.near_bottom = b;
                (id.to_string(), f)
            })
            .collect()
    };

    // The people and windows named, looked up once: a province's reference
    // data holds tens of thousands of staff.
    let people: HashMap<&str, &tiyan_core::reference::Staff> =
        reference.staff.iter().filter(|p| staff.contains_key(p.id.as_str())).map(|p| (p.id.as_str(), p)).collect();
    let places: HashMap<&str, &tiyan_core::reference::Window> =
        reference.windows.iter().filter(|w| windows.contains_key(w.id.as_str())).map(|w| (w.id.as_str(), w)).collect();
    let mut staff_lines: Vec<StaffLine> = ranked(&staff, &staff_ledger, &staff_cases)
        .into_iter()
        .map(|(id, figures)| {
            let person = people.get(id.as_str());
            StaffLine {
                name: person.map(|p| p.name.clone()).unwrap_or_else(|| id.clone()),
                employee_no: person.map(|p| p.employee_no.clone()).unwrap_or_default(),
                windows: staff_windows.remove(id.as_str()).unwrap_or_default(),
                staff_id: id,
                figures,
            }
        })
        .collect();
    let mut window_lines: Vec<WindowLine> = ranked(&windows, &window_ledger, &window_cases)
        .into_iter()
        .map(|(id, mut figures)| {
            let window = places.get(id.as_str());
            figures.called_in = figures.near_bottom && previous_bottom.contains(&id);
            figures.rate_low = figures.cases.rate_below(settings.rating_rate_percent);
            WindowLine {
                number: window.map(|w| w.number.clone()).unwrap_or_default(),
                name: window.map(|w| w.name.zh.clone()).unwrap_or_else(|| id.clone()),
                window_id: id,
                figures,
            }
        })
        .collect();
    staff_lines.sort_by(|a, b| ranked_first(&a.figures, &b.figures).then_with(|| a.staff_id.cmp(&b.staff_id)));
    window_lines.sort_by(|a, b| ranked_first(&a.figures, &b.figures).then_with(|| a.number.cmp(&b.number)));

    let hall_name =
        reference.halls.iter().find(|h| h.id == hall).map_or_else(|| hall.to_string(), |h| h.name.zh.clone());
    MonthFigures {
        month,
        hall: HallLine {
            hall_id: hall.to_string(),
            name: hall_name,
            figures: Figures::new(&hall_tally, hall_ledger, hall_cases, method),
        },
        method: method.clone(),
        formula: method.formula(),
        minimum_ratings: settings.minimum_ratings,
        rating_rate_percent: settings.rating_rate_percent,
        left_out,
        windows: window_lines,
        staff: staff_lines,
        computed_at: now,
    }
}

/// The month as the page shows it: live with the current method, or, once
/// closed, frozen, with what has changed since beside it; of a hall `who` sees.
pub async fn month(
    cx: &Services,
    who: &Who<'_>,
    reference: &ReferenceData,
    hall: &str,
    month: Month,
) -> Result<MonthView> {
    if !who.scope().sees(hall) {
        return Err(Error::NotFound("hall".into()));
    }
    month_view(cx.store.as_ref(), reference, hall, month, who.now).await
}

async fn month_view(
    store: &dyn Storage,
    reference: &ReferenceData,
    hall: &str,
    month: Month,
    now: DateTime<Utc>,
) -> Result<MonthView> {
    match store.closing(hall, month).await? {
        None => {
            let method = newest_method(store).await?;
            let figures = compute(store, reference, hall, month, &method, now).await?;
            Ok(MonthView { figures, closed: None, corrections: Vec::new() })
        }
        Some(closing) => {
            let frozen: MonthFigures = serde_json::from_value(closing.figures.clone())
                .map_err(|e| Error::Backend(format!("closed month {month}: {e}")))?;
            let method = method_version(store, closing.method_version).await?;
            let live = compute(store, reference, hall, month, &method, now).await?;
            let corrections = corrections(&frozen, &live);
            Ok(MonthView { figures: frozen, closed: Some(closing), corrections })
        }
    }
}

/// The months published (closed), by hall: what the public page lists.
pub async fn published_months(cx: &Services) -> Result<Vec<(String, Month)>> {
    Ok(cx.store.closed_months().await?)
}

/// A published month of a hall, for anyone: only a closed month is published
/// (None otherwise), with whether the hall names its staff (masked).
pub async fn published(
    cx: &Services,
    reference: &ReferenceData,
    hall: &str,
    m: Month,
) -> Result<Option<(MonthView, bool)>> {
    let store = cx.store.as_ref();
    if store.closing(hall, m).await?.is_none() {
        return Ok(None);
    }
    let view = month_view(store, reference, hall, m, cx.now()).await?;
    Ok(Some((view, store.figure_settings(hall).await?.publish_names)))
}

/// The month's figures as they stand for a report or the public page (figures
/// are published: anyone may have them): frozen if it was closed, else
/// computed now.
pub async fn settled(cx: &Services, reference: &ReferenceData, hall: &str, m: Month) -> Result<MonthFigures> {
    let store = cx.store.as_ref();
    settled_in(store, reference, hall, m, &newest_method(store).await?, cx.now()).await
}

/// [`settled`], computed with `method` if the month is open.
async fn settled_in(
    store: &dyn Storage,
    reference: &ReferenceData,
    hall: &str,
    m: Month,
    method: &Method,
    now: DateTime<Utc>,
) -> Result<MonthFigures> {
    match store.closing(hall, m).await? {
        Some(c) => serde_json::from_value(c.figures).map_err(|e| Error::Backend(format!("closed month {m}: {e}"))),
        None => compute(store, reference, hall, m, method, now).await,
    }
}

/// What a report covers: one hall, or a region's halls (None: the account's
/// own place, every hall for the province's supervisor).
#[derive(Debug, Clone, Default)]
pub struct ReportOf<'a> {
    pub hall: Option<&'a str>,
    pub region: Option<&'a Division>,
}

/// A month's report of one hall or of a region's halls side by side (see
/// [`settled`] and [`region_month`]); of what `who` sees only; logged.
pub async fn report(cx: &Services, who: &Who<'_>, m: Month, of: ReportOf<'_>) -> Result<crate::report::Report> {
    use crate::report::Report;
    let reference = cx.reference().await?;
    let scope = who.scope();
    let hall = of.hall.or(if of.region.is_none() { scope.hall() } else { None });
    let (report, target) = match hall {
        Some(h) => {
            if !scope.sees(h) || !reference.halls.iter().any(|x| x.id == h) {
                return Err(Invalid::UnknownHall(h.to_string()).into());
            }
            (Report::Hall(Box::new(settled(cx, &reference, h, m).await?)), h.to_string())
        }
        None => {
            let region = of.region.or(match &scope.place {
                Place::Region(r) => Some(r),
                _ => None,
            });
            let month = region_month(cx, who, region, m).await?;
            (Report::Region(Box::new(month)), region.map_or_else(|| "*".to_string(), |r| format!("region:{r}")))
        }
    };
    audit::record(cx, who, AuditAction::ReportWritten, &target, &m.to_string()).await?;
    Ok(report)
}

/// A region's month: each hall below it (as [`settled`] makes it), ranked
/// against the region by the same versioned method as a hall ranks its
/// windows (the minimum count, shrinkage toward the region's mean, the
/// called-in rule over two months), and the windows across them ranked the same way.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionMonth {
    pub month: Month,
    /// None: every hall of the server.
    pub region: Option<Region>,
    /// The region's own line: every hall's figures added up.
    pub total: Figures,
    /// The halls, best first; each hall's `hall.figures` ranked in the region.
    pub halls: Vec<MonthFigures>,
    /// The windows of every hall, ranked in the region, best first.
    pub windows: Vec<RegionWindow>,
    /// The fewest ratings a hall or a window needs to be ranked in the region:
    /// the largest of the halls' own minimums, so that no hall is ranked on less
    /// than it asks of its windows.
    pub minimum_ratings: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionWindow {
    pub hall_id: String,
    pub hall_name: String,
    #[serde(flatten)]
    pub window: WindowLine,
}

/// The halls `region` holds (None: every hall), in the reference data's order.
pub fn halls_in<'a>(reference: &'a ReferenceData, region: Option<&Division>) -> Vec<&'a tiyan_core::reference::Hall> {
    reference
        .halls
        .iter()
        .filter(|h| region.is_none_or(|r| h.division.as_ref().is_some_and(|d| r.contains(d))))
        .collect()
}

/// The month of `region` (None: every hall) for `who`: a region they hold, else "not found".
pub async fn region_month(cx: &Services, who: &Who<'_>, region: Option<&Division>, m: Month) -> Result<RegionMonth> {
    let (reference, halls) = region_halls(cx, who, region).await?;
    let (now, previous) =
        (halls_month(cx, &reference, &halls, m).await?, halls_month(cx, &reference, &halls, m.previous()).await?);
    let method = current_method(cx).await?;
    Ok(rank_region(reference.regions.iter().find(|r| Some(&r.code) == region).cloned(), m, now, &previous, &method))
}

/// The reference data and the halls of `region` (None: every hall) for
/// `who`: a region they hold, else "not found".
async fn region_halls(
    cx: &Services,
    who: &Who<'_>,
    region: Option<&Division>,
) -> Result<(std::sync::Arc<ReferenceData>, Vec<String>)> {
    let scope = who.scope();
    let reference = cx.reference().await?;
    let known = region.is_none_or(|r| reference.regions.iter().any(|x| &x.code == r));
    let held = match region {
        Some(r) => scope.holds(&Place::Region(r.clone())),
        None => scope.everywhere(),
    };
    if !known || !held {
        return Err(Error::NotFound("region".into()));
    }
    let halls = halls_in(&reference, region).into_iter().map(|h| h.id.clone()).collect();
    Ok((reference, halls))
}

/// The twelve months of `region` (None: every hall) to `end`, for `who`: one
/// read of the rollups over the region's halls, whatever their number.
pub async fn region_trend(
    cx: &Services,
    who: &Who<'_>,
    region: Option<&Division>,
    end: Month,
) -> Result<Vec<TrendPoint>> {
    let (_, halls) = region_halls(cx, who, region).await?;
    let method = current_method(cx).await?;
    let months = end.last(12);
    // The whole province reads every hall without naming them.
    let filter = region.map(|_| halls.as_slice());
    let rows = cx.store.region_rating_tallies(filter, months[0].first_day(), end.next().first_day()).await?;
    let mut by_month: BTreeMap<Month, Tally> = months.iter().map(|m| (*m, Tally::default())).collect();
    // The rated first, then what appeals took out of them (never below zero).
    for (m, _, t) in rows.iter().filter(|(_, k, _)| *k == TallyKind::Rated) {
        by_month.entry(*m).or_default().merge(t);
    }
    for (m, _, t) in rows.iter().filter(|(_, k, _)| *k == TallyKind::Excluded) {
        by_month.entry(*m).or_default().subtract(t);
    }
    Ok(trend_points(by_month, &method))
}

fn trend_points(by_month: BTreeMap<Month, Tally>, method: &Method) -> Vec<TrendPoint> {
    by_month
        .into_iter()
        .map(|(month, t)| TrendPoint {
            month,
            ratings: t.ratings(),
            satisfaction: t.satisfaction(method),
            bad_rate: t.bad_rate(),
        })
        .collect()
}

fn tally_of(f: &Figures) -> Tally {
    Tally { attitude: f.attitude, competence: f.competence, bad: f.bad_reviews }
}

/// Ranks the halls of a region and the windows across them: no I/O.
fn rank_region(
    region: Option<Region>,
    month: Month,
    mut halls: Vec<MonthFigures>,
    previous: &[MonthFigures],
    method: &Method,
) -> RegionMonth {
    let minimum = halls.iter().map(|h| h.minimum_ratings).max().unwrap_or(1);
    let mut overall = Tally::default();
    let (mut ledger, mut cases) = (LedgerTally::default(), CaseTally::default());
    for h in &halls {
        overall.merge(&tally_of(&h.hall.figures));
        ledger.merge(&h.hall.figures.ledger);
        cases.merge(&h.hall.figures.cases);
    }
    let standings = |tallies: &[Tally], overall: &Tally| {
        let s = rank(tallies, overall, u64::from(minimum), method);
        let bottom = near_bottom(&s, method);
        s.into_iter().zip(bottom).collect::<Vec<_>>()
    };
    // Last month's bottom, by the same rule, for the called-in flag.
    let mut previous_overall = Tally::default();
    previous.iter().for_each(|h| previous_overall.merge(&tally_of(&h.hall.figures)));
    let previous_tallies: Vec<Tally> = previous.iter().map(|h| tally_of(&h.hall.figures)).collect();
    let previous_bottom: HashSet<&str> = previous
        .iter()
        .zip(standings(&previous_tallies, &previous_overall))
        .filter(|(_, (_, b))| *b)
        .map(|(h, _)| h.hall.hall_id.as_str())
        .collect();
    let tallies: Vec<Tally> = halls.iter().map(|h| tally_of(&h.hall.figures)).collect();
    for (h, (s, b)) in halls.iter_mut().zip(standings(&tallies, &overall)) {
        let f = &mut h.hall.figures;
        (f.score, f.rank, f.too_few, f.near_bottom) = (s.score, s.rank, s.too_few, b);
        f.called_in = b && previous_bottom.contains(h.hall.hall_id.as_str());
    }
    let mut windows: Vec<RegionWindow> = halls
        .iter()
        .flat_map(|h| {
            h.windows.iter().map(|w| RegionWindow {
                hall_id: h.hall.hall_id.clone(),
                hall_name: h.hall.name.clone(),
                window: w.clone(),
            })
        })
        .collect();
    let tallies: Vec<Tally> = windows.iter().map(|w| tally_of(&w.window.figures)).collect();
    for (w, (s, b)) in windows.iter_mut().zip(standings(&tallies, &overall)) {
        let f = &mut w.window.figures;
        (f.score, f.rank, f.too_few, f.near_bottom) = (s.score, s.rank, s.too_few, b);
        // Called in is the hall's own judgement of its window, kept as the hall made it.
    }
    halls.sort_by(|a, b| {
        ranked_first(&a.hall.figures, &b.hall.figures).then_with(|| a.hall.hall_id.cmp(&b.hall.hall_id))
    });
    windows.sort_by(|a, b| {
        ranked_first(&a.window.figures, &b.window.figures).then_with(|| a.window.window_id.cmp(&b.window.window_id))
    });
    RegionMonth {
        month,
        region,
        total: Figures::new(&overall, ledger, cases, method),
        halls,
        windows,
        minimum_ratings: minimum,
    }
}

/// Ranked first, best first; then the unranked, most ratings first.
fn ranked_first(a: &Figures, b: &Figures) -> std::cmp::Ordering {
    (a.rank.is_none(), a.rank, std::cmp::Reverse(a.ratings)).cmp(&(
        b.rank.is_none(),
        b.rank,
        std::cmp::Reverse(b.ratings),
    ))
}

/// Every active hall's month (see [`settled`]), computed side by side.
pub async fn province(cx: &Services, reference: std::sync::Arc<ReferenceData>, m: Month) -> Result<Vec<MonthFigures>> {
    let halls: Vec<String> = reference.halls.iter().map(|h| h.id.clone()).collect();
    halls_month(cx, &reference, &halls, m).await
}

/// These halls' months (see [`settled`]), computed side by side.
async fn halls_month(
    cx: &Services,
    reference: &std::sync::Arc<ReferenceData>,
    halls: &[String],
    m: Month,
) -> Result<Vec<MonthFigures>> {
    let now = cx.now();
    // One method for every hall: read once, not once a hall.
    let method = std::sync::Arc::new(newest_method(cx.store.as_ref()).await?);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, hall) in halls.iter().enumerate() {
        let (store, reference, hall, method) = (cx.store.clone(), reference.clone(), hall.clone(), method.clone());
        tasks.spawn(async move { (i, settled_in(store.as_ref(), &reference, &hall, m, &method, now).await) });
    }
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (i, figures) = done.map_err(|e| Error::Backend(format!("a hall's figures failed: {e}")))?;
        out.push((i, figures?));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, f)| f).collect())
}

/// What differs between the frozen month and the same month computed again
/// with the same method: an appeal decided later, a rating that arrived late.
fn corrections(frozen: &MonthFigures, live: &MonthFigures) -> Vec<Correction> {
    let differs = |a: &Figures, b: &Figures| {
        a.ratings != b.ratings || a.bad_reviews != b.bad_reviews || a.rank != b.rank || a.ledger != b.ledger
    };
    let now = live.lines();
    frozen
        .lines()
        .into_iter()
        .filter_map(|f| {
            let n = now.iter().find(|n| n.level == f.level && n.id == f.id)?;
            differs(f.figures, n.figures).then(|| Correction {
                level: f.level,
                id: f.id.to_string(),
                name: if f.level == "window" { format!("{} {}", f.number, f.name) } else { f.name.to_string() },
                frozen: f.figures.clone(),
                now: n.figures.clone(),
            })
        })
        .collect()
}

/// Closes a month: its figures are frozen with the current method's version.
/// A month is closed once it is over, by a hall administrator of the hall or a supervisor.
pub async fn close(cx: &Services, who: &Who<'_>, reference: &ReferenceData, hall: &str, m: Month) -> Result<()> {
    if !who.scope().administers(hall) {
        return Err(Error::Forbidden("you may not close this hall's month".into()));
    }
    let by = who.person()?;
    let store = cx.store.as_ref();
    super::reference::known_place(cx, hall, None).await?;
    if m.next().first_day() > tiyan_core::workdays::china_date(who.now) {
        return Err(Invalid::MonthNotOver.into());
    }
    let method = newest_method(store).await?;
    let figures = compute(store, reference, hall, m, &method, who.now).await?;
    let detail = format!("method v{}, {} ratings", method.version, figures.hall.figures.ratings);
    let closing = Closing {
        hall_id: hall.to_string(),
        month: m,
        method_version: method.version,
        closed_at: who.now,
        account_id: by.id,
        figures: serde_json::to_value(&figures).map_err(|e| Error::Backend(e.to_string()))?,
    };
    store.close_month(&closing).await?;
    let target = format!("{hall} {m}");
    audit::record(cx, who, AuditAction::MonthClosed, &target, &detail).await
}

/// The last twelve months up to `end` of a hall, a window or a staff member, with the current method.
pub async fn trend(cx: &Services, who: &Who<'_>, hall: &str, subject: &Subject, end: Month) -> Result<Vec<TrendPoint>> {
    if !who.scope().sees(hall) {
        return Err(Error::NotFound("hall".into()));
    }
    let store = cx.store.as_ref();
    let method = newest_method(store).await?;
    let months = end.last(12);
    let (from, to) = (months[0].first_day(), end.next().first_day());
    let tallies = store.rating_tallies(hall, from, to, TallyBy::StaffAndWindow).await?;
    let mine = |r: &tiyan_storage::TallyRow| match subject {
        Subject::Hall => true,
        Subject::Window(w) => &r.window_id == w,
        Subject::Staff(s) => &r.staff_id == s,
    };
    let mut by_month: BTreeMap<Month, Tally> = months.iter().map(|m| (*m, Tally::default())).collect();
    for r in tallies.rated.iter().filter(|r| mine(r)) {
        if let Some(t) = by_month.get_mut(&r.month) {
            t.merge(&r.tally);
        }
    }
    for r in tallies.excluded.iter().filter(|r| mine(r)) {
        if let Some(t) = by_month.get_mut(&r.month) {
            t.subtract(&r.tally);
        }
    }
    Ok(trend_points(by_month, &method))
}

/// A new version of the method (supervisors only; it applies from now on,
/// closed months keep theirs).
pub async fn set_method(cx: &Services, who: &Who<'_>, method: &Method) -> Result<Method> {
    // One method for every hall, so that halls compare: the whole server's supervisor's.
    if !who.scope().everywhere() {
        return Err(Error::Forbidden("only the province's supervisor changes the method".into()));
    }
    let by = who.person()?;
    method.check().map_err(Invalid::Method)?;
    let saved = cx.store.add_method(method, by.id, who.now).await?;
    let detail = format!("{} · bottom {}%", saved.formula(), saved.bottom_percent);
    let target = format!("v{}", saved.version);
    audit::record(cx, who, AuditAction::MethodSet, &target, &detail).await?;
    Ok(saved)
}

/// A hall's settings for its figures, fleet and alerts, to someone who sees the hall.
pub async fn settings(cx: &Services, who: &Who<'_>, hall: &str) -> Result<FigureSettings> {
    if !who.scope().sees(hall) {
        return Err(Error::NotFound("hall".into()));
    }
    Ok(cx.store.figure_settings(hall).await?)
}

/// Sets a hall's settings for its figures, fleet and alerts (its administrators and supervisors).
pub async fn set_settings(cx: &Services, who: &Who<'_>, hall: &str, s: &FigureSettings) -> Result<()> {
    if !who.scope().administers(hall) {
        return Err(Error::Forbidden("you may not change this hall's settings".into()));
    }
    let store = cx.store.as_ref();
    super::reference::known_place(cx, hall, None).await?;
    let ok = (1..=1000).contains(&s.minimum_ratings)
        && s.opens < s.closes
        && (5..=24 * 60).contains(&s.silence_minutes)
        && (1..=240).contains(&s.alert.minutes)
        && (1..=1000).contains(&s.alert.min_ratings)
        && (1..=100).contains(&s.alert.bad_percent)
        && (1..=100).contains(&s.rating_rate_percent);
    if !ok {
        return Err(Invalid::FigureSettings.into());
    }
    s.centre().validate().map_err(Invalid::from)?;
    store.set_figure_settings(hall, s).await?;
    let detail = format!(
        "minimum {}, names {}, {}–{}, silent {} min, alert {}% of {} in {} min, rating rate {}%, kiosks {}",
        s.minimum_ratings,
        s.publish_names,
        s.opens.format("%H:%M"),
        s.closes.format("%H:%M"),
        s.silence_minutes,
        s.alert.bad_percent,
        s.alert.min_ratings,
        s.alert.minutes,
        s.rating_rate_percent,
        s.policy_json()?
    );
    audit::record(cx, who, AuditAction::FigureSettingsSet, hall, &detail).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tiyan_storage::TallyRow;

    fn row(month: &str, staff: &str, window: &str, a: u8, c: u8, count: u64) -> TallyRow {
        let mut tally = Tally::default();
        tally.add(a, c, count);
        TallyRow {
            month: Month::parse(month).unwrap_or(Month { year: 2026, month: 1 }),
            staff_id: staff.into(),
            window_id: window.into(),
            tally,
        }
    }

    #[test]
    fn misuse_appeals_and_repeated_cases_are_left_out_and_counted() {
        let m = Month { year: 2026, month: 10 };
        let tallies = RatingTallies {
            rated: vec![row("2026-10", "s1", "w1", 5, 5, 20), row("2026-10", "s1", "w1", 1, 1, 3)],
            misuse: vec![row("2026-10", "s1", "w1", 1, 1, 7)],
            repeats: vec![row("2026-10", "s1", "w1", 5, 5, 5)],
            excluded: vec![row("2026-10", "s1", "w1", 1, 1, 2)],
        };
        let case = |served, rated, with| CaseTallyRow {
            month: m,
            staff_id: "s1".into(),
            window_id: "w1".into(),
            tally: CaseTally { served, rated, ratings_with_case: with },
        };
        // Ten cases served, eight of them rated (by eight ratings that named them).
        let cases = [case(10, 8, 0), case(0, 0, 8)];
        let f = figures(
            &ReferenceData {
                format: tiyan_core::reference::FORMAT.into(),
                version: 1,
                halls: vec![],
                windows: vec![],
                staff: vec![],
                reasons: vec![],
                matters: vec![],
                officers: vec![],
                regions: vec![],
            },
            "h1",
            m,
            Counts { ratings: &tallies, ledger: &[], cases: &cases },
            &Method::default(),
            &FigureSettings::default(),
            &HashSet::new(),
            "2026-11-02T02:00:00Z".parse().unwrap(),
        );
        assert_eq!(f.left_out, LeftOut { misuse: 7, appeals: 2, case_repeats: 5 });
        assert_eq!(f.hall.figures.cases, CaseTally { served: 10, rated: 8, ratings_with_case: 8 });
        assert_eq!(f.hall.figures.rating_rate, Some(80.0));
        assert_eq!(f.hall.figures.without_case, 13);
        assert!(f.windows[0].figures.rate_low, "80% is under the hall's 90%");
        assert_eq!(f.hall.figures.ratings, 21);
        assert_eq!(f.hall.figures.bad_reviews, 1);
        assert_eq!(f.staff[0].figures.ratings, 21);
        assert_eq!(f.staff[0].figures.rank, Some(1));
    }
}
