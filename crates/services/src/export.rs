//! `tiyan-server export`: every rating the server holds, once each, in device
//! sequence order, as CSV (UTF-8 with BOM, for spreadsheets; every cell kept
//! as text) or JSON.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use tiyan_core::cell::spreadsheet_safe;
use tiyan_core::mask::mask_phone;

use crate::audit::{self, AuditAction};
use crate::{Services, Who, within_scope};
use tiyan_storage::{RatingFilter, StoredRating, StoredRevision};

/// The ratings `filter` selects, of the halls `who` sees, for an export; logged
/// (with whether the numbers leave in full: an export travels further than the server).
pub async fn ratings(
    cx: &Services,
    who: &Who<'_>,
    mut filter: RatingFilter,
    with_phone: bool,
) -> crate::Result<Vec<StoredRating>> {
    filter.halls = within_scope(&who.scope(), filter.halls.take());
    let ratings = cx.store.ratings(&filter).await?;
    let detail = format!("{} ratings{}", ratings.len(), if with_phone { ", phone numbers in full" } else { "" });
    let target = filter.halls.as_ref().map_or_else(|| "*".to_string(), |h| h.join(","));
    audit::record(cx, who, AuditAction::RatingsExported, &target, &detail).await?;
    Ok(ratings)
}

/// Every diary revision, with a way to the photos they name; supervisors (and the console) only; logged.
pub async fn diaries(cx: &Services, who: &Who<'_>) -> crate::Result<Vec<StoredRevision>> {
    if !who.scope().everywhere() {
        return Err(crate::Error::Forbidden("diaries are every hall's".into()));
    }
    let revisions = cx.store.diary_revisions().await?;
    audit::record(cx, who, AuditAction::DiariesExported, "*", &format!("{} revisions", revisions.len())).await?;
    Ok(revisions)
}

/// A diary photo by its SHA-256 (None: it has not arrived yet).
pub async fn diary_photo(cx: &Services, sha256: &str) -> crate::Result<Option<Vec<u8>>> {
    Ok(cx.store.diary_photo(sha256).await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Phone numbers are masked unless `with_phone`: an export travels further than the server.
pub fn write(out: &mut dyn Write, ratings: &[StoredRating], format: Format, with_phone: bool) -> Result<()> {
    let phone = |p: &Option<String>| match p {
        Some(p) if with_phone => p.clone(),
        Some(p) => mask_phone(p),
        None => String::new(),
    };
    match format {
        Format::Json => {
            #[derive(Serialize)]
            struct Row<'a> {
                #[serde(flatten)]
                r: &'a StoredRating,
                bad_review: bool,
            }
            let rows: Vec<serde_json::Value> = ratings
                .iter()
                .map(|r| {
                    let mut v = serde_json::to_value(Row { r, bad_review: r.rating.is_bad() })?;
                    v["phone"] = match &r.rating.phone {
                        Some(_) => serde_json::Value::String(phone(&r.rating.phone)),
                        None => serde_json::Value::Null,
                    };
                    Ok(v)
                })
                .collect::<Result<_, serde_json::Error>>()?;
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            out.write_all("\u{feff}".as_bytes())?;
            let mut w = csv::Writer::from_writer(out);
            w.write_record([
                "id",
                "device_id",
                "seq",
                "device_time",
                "received_at",
                "hall_id",
                "window_id",
                "window_no",
                "staff_id",
                "employee_no",
                "staff_name",
                "case_no",
                "attitude",
                "competence",
                "bad_review",
                "reasons",
                "comment",
                "phone",
                "misuse",
            ])?;
            for s in ratings {
                let r = &s.rating;
                let cells = [
                    r.id.to_string(),
                    r.device_id.to_string(),
                    r.seq.to_string(),
                    r.device_time.to_rfc3339(),
                    s.received_at.to_rfc3339(),
                    r.hall_id.clone(),
                    r.window_id.clone(),
                    s.window_number.clone().unwrap_or_default(),
                    r.staff_id.clone(),
                    s.employee_no.clone().unwrap_or_default(),
                    s.staff_name.clone().unwrap_or_default(),
                    r.case_no.clone().unwrap_or_default(),
                    r.attitude.value().to_string(),
                    r.competence.value().to_string(),
                    if r.is_bad() { "1" } else { "0" }.to_string(),
                    r.reasons.join(";"),
                    r.comment.clone().unwrap_or_default(),
                    phone(&r.phone),
                    if r.misuse { "1" } else { "0" }.to_string(),
                ];
                // A citizen's comment typed on a public kiosk must not become a formula.
                w.write_record(cells.iter().map(|c| spreadsheet_safe(c).into_owned()))?;
            }
            w.flush()?;
        }
    }
    Ok(())
}
