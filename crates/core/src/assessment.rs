//! The monthly assessment (考核): what a month's ratings make of a staff
//! member, a window and a hall, and the fair ranking among them.
//!
//! - Each level has a score (the method's; one city scores the five levels
//!   0/3/6/8/10). A rating's score is the mean of its two dimensions' scores.
//! - Satisfaction is the mean score as a percentage of the top score, per
//!   dimension and combined. A bad review is a rating with either dimension at
//!   level 1 or 2, as everywhere else.
//! - Ranking: below the hall's minimum number of ratings nobody is ranked
//!   ("too few ratings"). Above it, the ranking score is a Bayesian average
//!   that pulls a small sample toward the hall's mean:
//!   `(C·m + Σ scores) / (C + n)`, with `C` the method's prior weight and `m`
//!   the mean score of every rating that counts in the hall that month. Ranks
//!   are compared exactly (integer cross-multiplication), so equal scores
//!   share a rank and nothing depends on floating-point rounding.
//! - The method carries a version: a closed month names the version it was
//!   computed with, so a ranking can be reproduced if it is challenged.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar month, `YYYY-MM`, of the device's local dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let month = Month { year: y.parse().ok()?, month: m.parse().ok()? };
        NaiveDate::from_ymd_opt(month.year, month.month, 1).map(|_| month)
    }

    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn next(self) -> Month {
        if self.month == 12 { Month { year: self.year + 1, month: 1 } } else { Month { month: self.month + 1, ..self } }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 { Month { year: self.year - 1, month: 12 } } else { Month { month: self.month - 1, ..self } }
    }

    /// This month and the `n - 1` before it, oldest first.
    pub fn last(self, n: usize) -> Vec<Month> {
        let mut months = vec![self];
        while months.len() < n {
            let earliest = months[months.len() - 1].previous();
            months.push(earliest);
        }
        months.reverse();
        months
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Month, D::Error> {
        let s = String::deserialize(d)?;
        Month::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s} is not a month (YYYY-MM)")))
    }
}

/// How the figures are computed: versioned, shown on the page, frozen with a closed month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Method {
    pub version: i64,
    /// The score of levels 1 to 5, in that order; each 0 to 100, rising with the level.
    pub scores: [u32; 5],
    /// `C` in the Bayesian average: how many ratings at the hall's mean a sample is padded with.
    pub prior_weight: u32,
    /// Ranked windows in this bottom share (at least one) are "near the bottom".
    pub bottom_percent: u32,
}

impl Default for Method {
    /// Version 1: one city's scores, padded with 20 ratings, the bottom 10%.
    fn default() -> Self {
        Method { version: 1, scores: [0, 3, 6, 8, 10], prior_weight: 20, bottom_percent: 10 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MethodError {
    #[error("the level scores must rise from level 1 to level 5, each between 0 and 100, the top above 0")]
    Scores,
    #[error("the prior weight must be between 0 and 1000 ratings")]
    PriorWeight,
    #[error("the bottom share must be between 1% and 50%")]
    BottomPercent,
}

impl Method {
    pub fn check(&self) -> Result<(), MethodError> {
        let s = self.scores;
        if s.windows(2).any(|w| w[0] > w[1]) || s[4] == 0 || s[4] > 100 {
            return Err(MethodError::Scores);
        }
        if self.prior_weight > 1000 {
            return Err(MethodError::PriorWeight);
        }
        if !(1..=50).contains(&self.bottom_percent) {
            return Err(MethodError::BottomPercent);
        }
        Ok(())
    }

    fn score(&self, level: usize) -> u64 {
        u64::from(self.scores[level])
    }

    fn top(&self) -> f64 {
        f64::from(self.scores[4])
    }

    /// The formula in words, for the page and the report.
    pub fn formula(&self) -> String {
        format!(
            "B = (C·m + Σs) / (C + n); C = {}, s(1..5) = {}/{}/{}/{}/{}",
            self.prior_weight, self.scores[0], self.scores[1], self.scores[2], self.scores[3], self.scores[4]
        )
    }
}

/// The ratings that count for someone in a month: how many at each level per dimension.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Ratings counted at levels 1 to 5.
    pub attitude: [u64; 5],
    pub competence: [u64; 5],
    /// Ratings with either dimension at level 1 or 2.
    pub bad: u64,
}

impl Tally {
    /// Adds `count` ratings at these levels (1 to 5; anything else is ignored,
    /// the database refuses it anyway).
    pub fn add(&mut self, attitude: u8, competence: u8, count: u64) {
        let (Some(a), Some(c)) = (level_index(attitude), level_index(competence)) else { return };
        self.attitude[a] += count;
        self.competence[c] += count;
        if a < 2 || c < 2 {
            self.bad += count;
        }
    }

    /// Takes another tally out (the ratings an appeal excluded), never below zero.
    pub fn subtract(&mut self, other: &Tally) {
        for i in 0..5 {
            self.attitude[i] = self.attitude[i].saturating_sub(other.attitude[i]);
            self.competence[i] = self.competence[i].saturating_sub(other.competence[i]);
        }
        self.bad = self.bad.saturating_sub(other.bad);
    }

    pub fn merge(&mut self, other: &Tally) {
        for i in 0..5 {
            self.attitude[i] += other.attitude[i];
            self.competence[i] += other.competence[i];
        }
        self.bad += other.bad;
    }

    pub fn ratings(&self) -> u64 {
        self.attitude.iter().sum()
    }

    /// Σ over ratings of (score(attitude) + score(competence)): twice the
    /// score sum, an integer so that rankings compare exactly.
    fn doubled_sum(&self, method: &Method) -> u64 {
        (0..5).map(|i| (self.attitude[i] + self.competence[i]) * method.score(i)).sum()
    }

    fn dimension(levels: &[u64; 5], method: &Method) -> Option<f64> {
        let n: u64 = levels.iter().sum();
        (n > 0).then(|| {
            let sum: u64 = (0..5).map(|i| levels[i] * method.score(i)).sum();
            sum as f64 / n as f64 / method.top() * 100.0
        })
    }

    /// Satisfaction (%) of service attitude.
    pub fn attitude_satisfaction(&self, method: &Method) -> Option<f64> {
        Tally::dimension(&self.attitude, method)
    }

    pub fn competence_satisfaction(&self, method: &Method) -> Option<f64> {
        Tally::dimension(&self.competence, method)
    }

    /// Satisfaction (%) of both dimensions together: the mean rating score over the top score.
    pub fn satisfaction(&self, method: &Method) -> Option<f64> {
        let n = self.ratings();
        (n > 0).then(|| self.doubled_sum(method) as f64 / 2.0 / n as f64 / method.top() * 100.0)
    }

    /// The share (%) of bad reviews.
    pub fn bad_rate(&self) -> Option<f64> {
        let n = self.ratings();
        (n > 0).then(|| self.bad as f64 / n as f64 * 100.0)
    }
}

fn level_index(level: u8) -> Option<usize> {
    (1..=5).contains(&level).then(|| usize::from(level - 1))
}

/// Where someone stands in a month's ranking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Standing {
    /// The Bayesian average as a percentage of the top score; None below the minimum.
    pub score: Option<f64>,
    /// 1 is best; equal scores share a rank. None below the minimum.
    pub rank: Option<u32>,
    pub too_few: bool,
}

/// Ranks `tallies` (one per staff member or window of one hall) against the
/// hall's `overall` tally: who has fewer than `minimum` ratings is not ranked.
/// Returns a standing for each tally, in the same order.
pub fn rank(tallies: &[Tally], overall: &Tally, minimum: u64, method: &Method) -> Vec<Standing> {
    let c = u128::from(method.prior_weight);
    let hall_n = u128::from(overall.ratings());
    let hall_sum = u128::from(overall.doubled_sum(method));
    // B_i = (C·Σh/nh + Σi) / (C + ni); with the common factor nh taken out,
    // B_i ∝ (C·Σh + nh·Σi) / (C + ni): compared by cross-multiplication.
    let numerator = |t: &Tally| c * hall_sum + hall_n.max(1) * u128::from(t.doubled_sum(method));
    let denominator = |t: &Tally| c + u128::from(t.ratings());
    let eligible = |t: &Tally| t.ratings() >= minimum.max(1);
    let better = |a: &Tally, b: &Tally| (numerator(a) * denominator(b)).cmp(&(numerator(b) * denominator(a)));
    tallies
        .iter()
        .map(|t| {
            if !eligible(t) {
                return Standing { score: None, rank: None, too_few: true };
            }
            let ahead = tallies.iter().filter(|o| eligible(o) && better(o, t) == Ordering::Greater).count();
            let score = numerator(t) as f64 / denominator(t) as f64 / hall_n.max(1) as f64 / 2.0 / method.top() * 100.0;
            Standing { score: Some(score), rank: Some(ahead as u32 + 1), too_few: false }
        })
        .collect()
}

/// Which of these standings are near the bottom: the ranked ones whose rank
/// falls in the method's bottom share of the ranked (at least the last one).
pub fn near_bottom(standings: &[Standing], method: &Method) -> Vec<bool> {
    let ranked = standings.iter().filter(|s| s.rank.is_some()).count() as u64;
    if ranked == 0 {
        return vec![false; standings.len()];
    }
    let share = (ranked * u64::from(method.bottom_percent)).div_ceil(100).max(1);
    let cutoff = ranked - share + 1;
    standings.iter().map(|s| s.rank.is_some_and(|r| u64::from(r) >= cutoff)).collect()
}

/// What the ledger did with a month's items of someone: the rates a hall is judged on.
/// The cases of a window's system (叫号 / 综窗) of someone in a month: those
/// served (the window's system asked for their rating), those of them rated,
/// and the ratings that named a case. The rating rate (主动评价率) is rated
/// over served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTally {
    pub served: u64,
    pub rated: u64,
    pub ratings_with_case: u64,
}

impl CaseTally {
    pub fn merge(&mut self, o: &CaseTally) {
        self.served += o.served;
        self.rated += o.rated;
        self.ratings_with_case += o.ratings_with_case;
    }

    /// 主动评价率: the share of the cases served that were rated; None without cases.
    pub fn rating_rate(&self) -> Option<f64> {
        percent(self.rated, self.served)
    }

    /// Below the hall's threshold (a share in %): flagged. Nothing served, nothing flagged.
    pub fn rate_below(&self, threshold_percent: u32) -> bool {
        self.rating_rate().is_some_and(|r| r < f64::from(threshold_percent))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTally {
    /// Items registered in the month (bad reviews and problems), not excluded by an appeal.
    pub items: u64,
    /// Replied to (反馈/回访 made).
    pub replied: u64,
    /// Ended with an explanation: nothing to rectify.
    pub explained: u64,
    /// Fixed at once or rectified.
    pub rectified: u64,
    /// Of those, on or before the deadline.
    pub on_time: u64,
}

impl LedgerTally {
    pub fn merge(&mut self, o: &LedgerTally) {
        self.items += o.items;
        self.replied += o.replied;
        self.explained += o.explained;
        self.rectified += o.rectified;
        self.on_time += o.on_time;
    }

    /// 回访率: the share of items whose result went back.
    pub fn call_back_rate(&self) -> Option<f64> {
        percent(self.replied, self.items)
    }

    /// 整改率: rectified, of the items that needed rectifying (all but the explained).
    pub fn rectified_rate(&self) -> Option<f64> {
        percent(self.rectified, self.items.saturating_sub(self.explained))
    }

    /// 按期整改率: on time, of the rectified.
    pub fn on_time_rate(&self) -> Option<f64> {
        percent(self.on_time, self.rectified)
    }
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64 * 100.0)
}

/// The live alert of a window (in the spirit of HappyOrNot's): at least
/// `bad_percent`% of the ratings bad within `minutes`, with at least `min_ratings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    pub minutes: u32,
    pub min_ratings: u32,
    pub bad_percent: u32,
}

impl Default for AlertRule {
    fn default() -> Self {
        AlertRule { minutes: 15, min_ratings: 4, bad_percent: 50 }
    }
}

impl AlertRule {
    pub fn triggered(&self, ratings: u64, bad: u64) -> bool {
        ratings >= u64::from(self.min_ratings.max(1)) && bad * 100 >= u64::from(self.bad_percent) * ratings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(ratings: &[(u8, u8, u64)]) -> Tally {
        let mut t = Tally::default();
        for &(a, c, n) in ratings {
            t.add(a, c, n);
        }
        t
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn months_parse_and_step() {
        let m = Month::parse("2026-01").unwrap_or(Month { year: 0, month: 1 });
        assert_eq!(m.to_string(), "2026-01");
        assert_eq!(m.previous().to_string(), "2025-12");
        assert_eq!(m.previous().next(), m);
        assert_eq!(Month::parse("2026-12").map(|m| m.next().to_string()).as_deref(), Some("2027-01"));
        for bad in ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "2026-01-01"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let last = m.last(12);
        assert_eq!(last.len(), 12);
        assert_eq!(last[0].to_string(), "2025-02");
        assert_eq!(last[11], m);
    }

    #[test]
    fn satisfaction_and_bad_rate_by_hand() {
        let method = Method::default();
        // 3 ratings: (5,5) scores 10, (4,3) scores (8+6)/2 = 7, (1,5) scores (0+10)/2 = 5 and is bad.
        let t = tally(&[(5, 5, 1), (4, 3, 1), (1, 5, 1)]);
        assert_eq!(t.ratings(), 3);
        assert_eq!(t.bad, 1);
        // Attitude: (10 + 8 + 0) / 3 / 10 = 60%; competence: (10 + 6 + 10) / 3 / 10 = 86.67%.
        assert!(close(t.attitude_satisfaction(&method), 60.0));
        assert!(close(t.competence_satisfaction(&method), 260.0 / 3.0));
        assert!(close(t.satisfaction(&method), (10.0 + 7.0 + 5.0) / 3.0 * 10.0));
        assert!(close(t.bad_rate(), 100.0 / 3.0));
        assert_eq!(Tally::default().satisfaction(&method), None);
        let mut u = t;
        u.subtract(&tally(&[(1, 5, 1)]));
        assert_eq!((u.ratings(), u.bad), (2, 0));
    }

    #[test]
    fn too_few_ratings_are_not_ranked_however_perfect() {
        let method = Method::default();
        let perfect = tally(&[(5, 5, 5)]);
        let ordinary = tally(&[(4, 4, 30)]);
        let mut hall = perfect;
        hall.merge(&ordinary);
        let s = rank(&[perfect, ordinary], &hall, 10, &method);
        assert_eq!(s[0], Standing { score: None, rank: None, too_few: true });
        assert_eq!(s[1].rank, Some(1));
    }

    #[test]
    fn a_large_sample_slightly_lower_ranks_above_a_small_one_higher() {
        let method = Method::default(); // C = 20
        // Large: 200 ratings, 120 at (5,5) = 10 and 80 at (4,4) = 8: mean 9.2.
        let large = tally(&[(5, 5, 120), (4, 4, 80)]);
        // Small: 10 ratings, 7 at 10 and 3 at 8: mean 9.4, higher.
        let small = tally(&[(5, 5, 7), (4, 4, 3)]);
        // Low: 90 ratings at (3,3) = 6.
        let low = tally(&[(3, 3, 90)]);
        let mut hall = large;
        hall.merge(&small);
        hall.merge(&low);
        // Hall: n = 300, Σ = 1840 + 94 + 540 = 2474, m = 8.24667.
        // Large: (20·8.24667 + 1840) / 220 = 2004.93 / 220 = 9.11333.
        // Small: (20·8.24667 + 94) / 30 = 258.93 / 30 = 8.63111.
        // Low: (20·8.24667 + 540) / 110 = 704.93 / 110 = 6.40848.
        let s = rank(&[large, small, low], &hall, 10, &method);
        let m = 2474.0 / 300.0;
        assert!(close(s[0].score, (20.0 * m + 1840.0) / 220.0 * 10.0));
        assert!(close(s[1].score, (20.0 * m + 94.0) / 30.0 * 10.0));
        assert!(close(s[2].score, (20.0 * m + 540.0) / 110.0 * 10.0));
        assert!((s[0].score.unwrap_or(0.0) - 91.1333).abs() < 1e-3);
        assert!((s[1].score.unwrap_or(0.0) - 86.3111).abs() < 1e-3);
        assert_eq!([s[0].rank, s[1].rank, s[2].rank], [Some(1), Some(2), Some(3)]);
        // Without the prior the small sample would win: the Bayesian average is what reorders them.
        let raw = Method { prior_weight: 0, ..Method::default() };
        let r = rank(&[large, small, low], &hall, 10, &raw);
        assert_eq!([r[0].rank, r[1].rank], [Some(2), Some(1)]);
    }

    #[test]
    fn equal_scores_share_a_rank_and_the_bottom_is_flagged() {
        let method = Method { bottom_percent: 25, ..Method::default() };
        let a = tally(&[(5, 5, 20)]);
        let b = tally(&[(4, 4, 20)]);
        let c = tally(&[(4, 4, 20)]);
        let d = tally(&[(2, 3, 20)]);
        let few = tally(&[(1, 1, 2)]);
        let mut hall = Tally::default();
        for t in [a, b, c, d, few] {
            hall.merge(&t);
        }
        let s = rank(&[a, b, c, d, few], &hall, 10, &method);
        let ranks: Vec<_> = s.iter().map(|s| s.rank).collect();
        assert_eq!(ranks, [Some(1), Some(2), Some(2), Some(4), None]);
        // 4 ranked, bottom 25% = the last one; the unranked is never "near the bottom".
        assert_eq!(near_bottom(&s, &method), [false, false, false, true, false]);
        // With ties at the cut, every tied one is in.
        let tied = rank(&[a, b, c], &hall, 10, &Method { bottom_percent: 50, ..Method::default() });
        assert_eq!(near_bottom(&tied, &Method { bottom_percent: 50, ..Method::default() }), [false, true, true]);
    }

    #[test]
    fn methods_are_checked() {
        assert_eq!(Method::default().check(), Ok(()));
        assert_eq!(Method { scores: [0, 3, 6, 10, 8], ..Method::default() }.check(), Err(MethodError::Scores));
        assert_eq!(Method { scores: [0; 5], ..Method::default() }.check(), Err(MethodError::Scores));
        assert_eq!(Method { bottom_percent: 0, ..Method::default() }.check(), Err(MethodError::BottomPercent));
    }

    #[test]
    fn ledger_rates() {
        let t = LedgerTally { items: 10, replied: 8, explained: 2, rectified: 6, on_time: 3 };
        assert!(close(t.call_back_rate(), 80.0));
        assert!(close(t.rectified_rate(), 75.0));
        assert!(close(t.on_time_rate(), 50.0));
        assert_eq!(LedgerTally::default().call_back_rate(), None);
    }

    #[test]
    fn the_alert_rule() {
        let rule = AlertRule::default();
        assert!(rule.triggered(4, 2));
        assert!(!rule.triggered(3, 3), "fewer than 4 ratings never alert");
        assert!(!rule.triggered(5, 2));
        assert!(rule.triggered(10, 5));
    }
}
