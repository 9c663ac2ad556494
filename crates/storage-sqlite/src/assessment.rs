//! The monthly assessment, the fleet, live alerts and the year's officers in the SQLite file.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rusqlite::{OptionalExtension, Row, params};
use tiyan_core::assessment::{AlertRule, CaseTally, LedgerTally, Method, Month, Tally};
use uuid::Uuid;

use super::devices::device_row;
use super::{SqliteStore, conversion, q, time, uuid};
use tiyan_storage::sql::DEVICE_COLUMNS;
use tiyan_storage::{
    Alert, AssessmentStore, CaseTallyRow, Closing, DeviceReport, Error, FigureSettings, FleetRow, HallSettings,
    LedgerTallyRow, OfficerProblems, RatingTallies, Result, RevisionScore, TallyBy, TallyKind, TallyRow, predicate,
    sql,
};

fn month(s: &str) -> rusqlite::Result<Month> {
    Month::parse(s).ok_or_else(|| conversion(format!("month {s:?}").into()))
}

/// A rollup row's kind (column `k`) and its tally (the eleven columns from `first`).
fn rollup(r: &Row<'_>, k: usize, first: usize) -> rusqlite::Result<(TallyKind, Tally)> {
    let kind: String = r.get(k)?;
    let kind = TallyKind::parse(&kind).ok_or_else(|| conversion(format!("rollup kind {kind:?}").into()))?;
    let mut tally = Tally { bad: r.get(first + 10)?, ..Tally::default() };
    for i in 0..5 {
        tally.attitude[i] = r.get(first + i)?;
        tally.competence[i] = r.get(first + 5 + i)?;
    }
    Ok((kind, tally))
}

/// The month (`YYYY-MM`) of a date column, for [`sql::assessment::hall_tallies`].
fn month_of(column: &str) -> String {
    format!("substr({column}, 1, 7)")
}

fn alert_row(r: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: uuid(&r.get::<_, String>(0)?)?,
        hall_id: r.get(1)?,
        window_id: r.get(2)?,
        raised_at: time(&r.get::<_, String>(3)?)?,
        ratings: r.get(4)?,
        bad: r.get(5)?,
        minutes: r.get(6)?,
        acknowledged_at: r.get::<_, Option<String>>(7)?.map(|t| time(&t)).transpose()?,
        account_id: r.get::<_, Option<String>>(8)?.map(|t| uuid(&t)).transpose()?,
        note: r.get(9)?,
    })
}

/// A day's count of cases as a month's row.
fn case_row(
    date: &str,
    staff_id: String,
    window_id: String,
    served: u64,
    rated: u64,
    ratings_with_case: u64,
) -> rusqlite::Result<CaseTallyRow> {
    Ok(CaseTallyRow {
        month: month(&date[..7.min(date.len())])?,
        staff_id,
        window_id,
        tally: CaseTally { served, rated, ratings_with_case },
    })
}

/// A hall's settings (the defaults for a hall nobody set any for).
pub(super) fn figure_settings(c: &rusqlite::Connection, hall: &str) -> Result<FigureSettings> {
    let row = c
        .prepare_cached(&q(sql::assessment::FIGURE_SETTINGS))?
        .query_row([hall], |r| {
            Ok((
                FigureSettings {
                    minimum_ratings: r.get(0)?,
                    publish_names: r.get(1)?,
                    opens: clock(&r.get::<_, String>(2)?)?,
                    closes: clock(&r.get::<_, String>(3)?)?,
                    silence_minutes: r.get(4)?,
                    alert: AlertRule { minutes: r.get(5)?, min_ratings: r.get(6)?, bad_percent: r.get(7)? },
                    rating_rate_percent: r.get(8)?,
                    kiosk: Default::default(),
                },
                r.get::<_, String>(9)?,
            ))
        })
        .optional()?;
    let Some((settings, policy)) = row else { return Ok(FigureSettings::default()) };
    settings.with_policy(&policy)
}

fn clock(s: &str) -> rusqlite::Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| conversion(Box::new(e)))
}

#[async_trait]
impl AssessmentStore for SqliteStore {
    async fn rating_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate, by: TallyBy) -> Result<RatingTallies> {
        let hall = hall.to_string();
        self.read(move |c| {
            let text = sql::assessment::hall_tallies("rating_days", "device_date", &month_of("device_date"), by);
            let mut stmt = c.prepare_cached(&q(&text))?;
            let mut rows = stmt.query(params![hall, from.to_string(), to.to_string()])?;
            let mut out = RatingTallies::default();
            while let Some(r) = rows.next()? {
                let (kind, tally) = rollup(r, 3, 4)?;
                let row = TallyRow {
                    month: month(&r.get::<_, String>(0)?)?,
                    staff_id: r.get(1)?,
                    window_id: r.get(2)?,
                    tally,
                };
                out.push(kind, row);
            }
            Ok(out)
        })
        .await
    }

    async fn region_rating_tallies(
        &self,
        halls: Option<&[String]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(Month, TallyKind, Tally)>> {
        let halls = super::halls_param(halls);
        self.read(move |c| {
            let text = sql::assessment::region_rating_months(month_of, &super::in_halls("hall_id", 1));
            let mut stmt = c.prepare_cached(&q(&text))?;
            let rows = stmt.query_map(params![halls, from.to_string(), to.to_string()], |r| {
                let (kind, tally) = rollup(r, 1, 2)?;
                Ok((month(&r.get::<_, String>(0)?)?, kind, tally))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn case_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<CaseTallyRow>> {
        let hall = hall.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&q(sql::assessment::CASE_TALLIES))?;
            let rows = stmt.query_map(params![hall, from.to_string(), to.to_string()], |r| {
                case_row(&r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn ledger_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<LedgerTallyRow>> {
        let hall = hall.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&q(&sql::assessment::ledger_months(month_of)))?;
            let none = |s: String| Some(s).filter(|s| !s.is_empty());
            let rows = stmt.query_map(params![hall, from.to_string(), to.to_string()], |r| {
                Ok(LedgerTallyRow {
                    month: month(&r.get::<_, String>(0)?)?,
                    staff_id: none(r.get(1)?),
                    window_id: none(r.get(2)?),
                    tally: LedgerTally {
                        items: r.get(3)?,
                        replied: r.get(4)?,
                        explained: r.get(5)?,
                        rectified: r.get(6)?,
                        on_time: r.get(7)?,
                    },
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }

    async fn methods(&self) -> Result<Vec<Method>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT version, scores, prior_weight, bottom_percent FROM assessment_methods ORDER BY version DESC",
            )?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?)))?;
            rows.map(|r| {
                let (version, scores, prior_weight, bottom_percent) = r?;
                let scores =
                    serde_json::from_str(&scores).map_err(|e| Error::Backend(format!("method scores: {e}")))?;
                Ok(Method { version, scores, prior_weight, bottom_percent })
            })
            .collect()
        })
        .await
    }

    async fn add_method(&self, method: &Method, account: Uuid, at: DateTime<Utc>) -> Result<Method> {
        let method = method.clone();
        self.write(move |tx| {
            let scores = serde_json::to_string(&method.scores).map_err(|e| Error::Backend(e.to_string()))?;
            let version: i64 = tx.query_row(
                "INSERT INTO assessment_methods (version, scores, prior_weight, bottom_percent, created_at, account_id)
                 SELECT coalesce(max(version), 0) + 1, ?1, ?2, ?3, ?4, ?5 FROM assessment_methods
                 RETURNING version",
                params![scores, method.prior_weight, method.bottom_percent, at.to_rfc3339(), account.to_string()],
                |r| r.get(0),
            )?;
            Ok(Method { version, ..method })
        })
        .await
    }

    async fn figure_settings(&self, hall: &str) -> Result<FigureSettings> {
        let hall = hall.to_string();
        self.read(move |c| figure_settings(c, &hall)).await
    }

    async fn set_figure_settings(&self, hall: &str, s: &FigureSettings) -> Result<()> {
        let (hall, s) = (hall.to_string(), s.clone());
        self.write(move |tx| {
            let limits = HallSettings::default();
            tx.execute(
                &q(sql::assessment::SET_FIGURE_SETTINGS),
                params![
                    hall,
                    limits.verify_days,
                    limits.rectify_days,
                    limits.complex_days,
                    s.minimum_ratings,
                    s.publish_names,
                    s.opens.format("%H:%M").to_string(),
                    s.closes.format("%H:%M").to_string(),
                    s.silence_minutes,
                    s.alert.minutes,
                    s.alert.min_ratings,
                    s.alert.bad_percent,
                    s.rating_rate_percent,
                    s.policy_json()?,
                ],
            )?;
            // The hall's kiosks take the settings with their next reference data.
            super::reference::new_edition(tx, &[hall])
        })
        .await
    }

    async fn closing(&self, hall: &str, m: Month) -> Result<Option<Closing>> {
        let hall = hall.to_string();
        self.read(move |c| {
            let row = c
                .query_row(
                    "SELECT method_version, closed_at, account_id, figures FROM month_closings
                     WHERE hall_id = ?1 AND month = ?2",
                    params![hall, m.to_string()],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(method_version, at, account, figures)| {
                Ok(Closing {
                    hall_id: hall.clone(),
                    month: m,
                    method_version,
                    closed_at: time(&at)?,
                    account_id: uuid(&account)?,
                    figures: serde_json::from_str(&figures).map_err(|e| Error::Backend(format!("closing: {e}")))?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn closed_near_bottom(&self, hall: &str, m: Month) -> Result<Option<Vec<String>>> {
        let hall = hall.to_string();
        let ids = self
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT (SELECT json_group_array(json_extract(w.value, '$.window_id'))
                             FROM json_each(figures, '$.windows') w WHERE json_extract(w.value, '$.near_bottom'))
                     FROM month_closings WHERE hall_id = ?1 AND month = ?2",
                )?;
                Ok(stmt.query_row(params![hall, m.to_string()], |r| r.get::<_, String>(0)).optional()?)
            })
            .await?;
        ids.map(|ids| serde_json::from_str(&ids).map_err(|e| Error::Backend(format!("closing: {e}")))).transpose()
    }

    async fn closed_months(&self) -> Result<Vec<(String, Month)>> {
        self.read(|c| {
            let mut stmt = c.prepare(&q(sql::assessment::CLOSED_MONTHS))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, month(&r.get::<_, String>(1)?)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn close_month(&self, closing: &Closing) -> Result<()> {
        let c = closing.clone();
        self.write(move |tx| {
            let figures = serde_json::to_string(&c.figures).map_err(|e| Error::Backend(e.to_string()))?;
            let inserted = tx.execute(
                "INSERT INTO month_closings (hall_id, month, method_version, closed_at, account_id, figures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![
                    c.hall_id,
                    c.month.to_string(),
                    c.method_version,
                    c.closed_at.to_rfc3339(),
                    c.account_id.to_string(),
                    figures
                ],
            )?;
            if inserted == 0 { Err(Error::Stale) } else { Ok(()) }
        })
        .await
    }

    async fn report_devices(&self, reports: &[(Uuid, DeviceReport)]) -> Result<()> {
        let reports = reports.to_vec();
        self.write(move |tx| {
            let mut device = tx.prepare_cached(
                "UPDATE devices SET app_version = coalesce(?2, app_version),
                     clock_offset_seconds = coalesce(?3, clock_offset_seconds), reported_at = ?4,
                     reference_held = coalesce(?5, reference_held)
                 WHERE id = ?1",
            )?;
            let mut newest = tx.prepare_cached(
                "INSERT INTO device_newest (device_id, kind, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq",
            )?;
            for (id, report) in &reports {
                let id = id.to_string();
                device.execute(params![
                    id,
                    report.app_version,
                    report.clock_offset_seconds,
                    report.at.to_rfc3339(),
                    report.reference_held
                ])?;
                for (kind, seq) in &report.newest {
                    newest.execute(params![id, kind.as_str(), seq])?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn fleet(&self, halls: Option<&[String]>) -> Result<Vec<FleetRow>> {
        let halls = super::halls_param(halls);
        self.read_tx(move |c| {
            let sql = format!(
                "SELECT {DEVICE_COLUMNS}, app_version, clock_offset_seconds, reported_at,
                        (SELECT coalesce(sum(max(n.seq - coalesce(s.through, 0), 0)), 0)
                         FROM device_newest n LEFT JOIN streams s ON s.device_id = n.device_id AND s.kind = n.kind
                         WHERE n.device_id = devices.id),
                        reference_held,
                        coalesce((SELECT reference_version FROM halls WHERE id = devices.hall_id),
                                 (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'reference_version'))
                 FROM devices WHERE {in_halls} ORDER BY hall_id, role, name",
                in_halls = super::in_halls("hall_id", 1)
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map([halls], |r| {
                Ok(FleetRow {
                    device: device_row(r)?,
                    app_version: r.get(8)?,
                    clock_offset_seconds: r.get(9)?,
                    reported_at: r.get::<_, Option<String>>(10)?.map(|t| time(&t)).transpose()?,
                    waiting: r.get(11)?,
                    reference_held: r.get(12)?,
                    reference_current: r.get(13)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn window_recent(&self, window: &str, since: DateTime<Utc>) -> Result<(u64, u64)> {
        let window = window.to_string();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT count(*), count(*) FILTER (WHERE {bad}) FROM ratings
                 WHERE window_id = ?1 AND received_at >= ?2 AND misuse = 0",
                    bad = predicate::bad("")
                ),
                params![window, since.to_rfc3339()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
    }

    async fn raise_alert(&self, a: &Alert, quiet_since: DateTime<Utc>) -> Result<bool> {
        let a = a.clone();
        // The single writer makes the check and the insert one step.
        self.write(move |tx| {
            let recent = tx
                .prepare(&q(sql::assessment::RECENT_ALERT))?
                .exists(params![a.window_id, quiet_since.to_rfc3339()])?;
            if recent {
                return Ok(false);
            }
            tx.execute(
                &q(sql::assessment::NEW_ALERT),
                params![
                    a.id.to_string(),
                    a.hall_id,
                    a.window_id,
                    a.raised_at.to_rfc3339(),
                    a.ratings,
                    a.bad,
                    a.minutes
                ],
            )?;
            Ok(true)
        })
        .await
    }

    async fn open_alerts(&self, halls: Option<&[String]>) -> Result<Vec<Alert>> {
        let halls = super::halls_param(halls);
        self.read(move |c| {
            let sql = sql::assessment::open_alerts(&super::in_halls("hall_id", 1));
            Ok(c.prepare(&q(&sql))?.query_map([halls], alert_row)?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn alert(&self, id: Uuid) -> Result<Option<Alert>> {
        self.read(move |c| {
            let sql = &q(&sql::assessment::ALERT);
            Ok(c.query_row(sql, [id.to_string()], alert_row).optional()?)
        })
        .await
    }

    async fn acknowledge_alert(&self, id: Uuid, account: Uuid, note: &str, at: DateTime<Utc>) -> Result<bool> {
        let note = note.to_string();
        self.write(move |tx| {
            let n = tx.execute(
                &q(sql::assessment::ACKNOWLEDGE_ALERT),
                params![id.to_string(), at.to_rfc3339(), account.to_string(), note],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn revision_scores(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<RevisionScore>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT officer_id, entry_id, revision, json_extract(body, '$.score') FROM diary_revisions
                 WHERE submitted_date >= ?1 AND submitted_date < ?2",
            )?;
            let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
                Ok(RevisionScore {
                    officer_id: r.get(0)?,
                    entry_id: uuid(&r.get::<_, String>(1)?)?,
                    revision: r.get(2)?,
                    score: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn officer_problems(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<OfficerProblems>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&q(&sql::assessment::OFFICER_PROBLEMS))?;
            let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
                Ok(OfficerProblems { officer_id: r.get(0)?, problems: r.get(1)?, rectified: r.get(2)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn nominations(&self, year: i32) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&q(sql::assessment::NOMINATIONS))?;
            Ok(stmt.query_map([year], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn nominate(&self, year: i32, officer: &str, on: bool, account: Uuid, at: DateTime<Utc>) -> Result<()> {
        let officer = officer.to_string();
        self.write(move |tx| {
            if on {
                tx.execute(
                    &q(sql::assessment::NOMINATE),
                    params![year, officer, at.to_rfc3339(), account.to_string()],
                )?;
            } else {
                tx.execute(&q(sql::assessment::WITHDRAW), params![year, officer])?;
            }
            Ok(())
        })
        .await
    }
}
