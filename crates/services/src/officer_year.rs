//! The year's officers (seed 002): per officer, entries written, problems
//! reported, problems that led to a rectification and the average score; a
//! supervisor nominates the year's excellent officers from that table.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use tiyan_core::reference::ReferenceData;
use uuid::Uuid;

use super::audit::{self, AuditAction};
use super::{Services, Who};
use crate::error::{Error, Invalid, Result};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficerLine {
    pub officer_id: String,
    pub name: String,
    pub occupation: Option<String>,
    /// Diary entries with a revision submitted in the year.
    pub entries: u64,
    pub problems: u64,
    /// Problems fixed at once or rectified.
    pub rectified: u64,
    /// The mean score (out of 10) of the entries, each by its latest revision of the year.
    pub average_score: Option<f64>,
    pub nominated: bool,
}

fn span(year: i32) -> Result<(NaiveDate, NaiveDate)> {
    let first = |y| NaiveDate::from_ymd_opt(y, 1, 1).ok_or(Invalid::Year(y));
    Ok((first(year)?, first(year + 1)?))
}

/// Every officer who wrote or reported anything in `year`, and every appointed
/// one, most problems rectified first.
pub async fn year(cx: &Services, reference: &ReferenceData, year: i32) -> Result<Vec<OfficerLine>> {
    let store = cx.store.as_ref();
    let (from, to) = span(year)?;
    let mut latest: HashMap<Uuid, (u32, String, Option<u8>)> = HashMap::new();
    for r in store.revision_scores(from, to).await? {
        let keep = latest.get(&r.entry_id).is_none_or(|(rev, _, _)| r.revision > *rev);
        if keep {
            latest.insert(r.entry_id, (r.revision, r.officer_id, r.score));
        }
    }
    let mut lines: BTreeMap<String, OfficerLine> = BTreeMap::new();
    let blank = |id: &str| {
        let o = reference.officers.iter().find(|o| o.id == id);
        OfficerLine {
            officer_id: id.to_string(),
            name: o.map_or_else(|| id.to_string(), |o| o.name.clone()),
            occupation: o.and_then(|o| o.occupation.clone()),
            entries: 0,
            problems: 0,
            rectified: 0,
            average_score: None,
            nominated: false,
        }
    };
    for o in reference.officers.iter().filter(|o| o.appointed_from < to && o.appointed_to >= from) {
        lines.insert(o.id.clone(), blank(&o.id));
    }
    let mut scores: HashMap<String, (u64, u64)> = HashMap::new();
    for (_, officer, score) in latest.values() {
        lines.entry(officer.clone()).or_insert_with(|| blank(officer)).entries += 1;
        if let Some(s) = score {
            let e = scores.entry(officer.clone()).or_default();
            e.0 += u64::from(*s);
            e.1 += 1;
        }
    }
    for p in store.officer_problems(from, to).await? {
        let line = lines.entry(p.officer_id.clone()).or_insert_with(|| blank(&p.officer_id));
        line.problems = p.problems;
        line.rectified = p.rectified;
    }
    for id in store.nominations(year).await? {
        lines.entry(id.clone()).or_insert_with(|| blank(&id)).nominated = true;
    }
    let mut out: Vec<OfficerLine> = lines
        .into_values()
        .map(|mut l| {
            l.average_score = scores.get(&l.officer_id).map(|(sum, n)| *sum as f64 / *n as f64);
            l
        })
        .collect();
    out.sort_by(|a, b| {
        (b.rectified, b.problems, b.entries).cmp(&(a.rectified, a.problems, a.entries)).then(a.name.cmp(&b.name))
    });
    Ok(out)
}

/// A supervisor nominates (or withdraws) one of the year's excellent officers.
pub async fn nominate(
    cx: &Services,
    who: &Who<'_>,
    reference: &ReferenceData,
    year: i32,
    officer: &str,
    on: bool,
) -> Result<()> {
    if !who.scope().everywhere() {
        return Err(Error::Forbidden("only the province's supervisor nominates".into()));
    }
    let by = who.person()?;
    span(year)?;
    if !reference.officers.iter().any(|o| o.id == officer) {
        return Err(Invalid::OfficerUnknown(officer.to_string()).into());
    }
    cx.store.nominate(year, officer, on, by.id, who.now).await?;
    let action = if on { AuditAction::OfficerNominated } else { AuditAction::OfficerWithdrawn };
    audit::record(cx, who, action, officer, &year.to_string()).await
}
