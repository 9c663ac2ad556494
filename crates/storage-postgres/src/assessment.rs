//! The monthly assessment, the fleet, live alerts and the year's officers in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use deadpool_postgres::GenericClient;
use tiyan_core::assessment::{AlertRule, CaseTally, LedgerTally, Method, Month, Tally};
use tokio_postgres::Row;
use uuid::Uuid;

use super::PgStore;
use super::devices::device_row;
use tiyan_storage::sql::DEVICE_COLUMNS;
use tiyan_storage::{
    Alert, AssessmentStore, CaseTallyRow, Closing, DeviceReport, Error, FigureSettings, FleetRow, HallSettings,
    LedgerTallyRow, OfficerProblems, RatingTallies, Result, RevisionScore, TallyBy, TallyKind, TallyRow, predicate,
    sql,
};

fn month(s: &str) -> Result<Month> {
    Month::parse(s).ok_or_else(|| Error::Backend(format!("month {s:?}")))
}

fn count(r: &Row, i: usize) -> u64 {
    r.get::<_, i64>(i).max(0) as u64
}

/// A rollup row's kind (column `k`) and its tally (the eleven columns from `first`).
fn rollup(r: &Row, k: usize, first: usize) -> Result<(TallyKind, Tally)> {
    let kind: &str = r.get(k);
    let kind = TallyKind::parse(kind).ok_or_else(|| Error::Backend(format!("rollup kind {kind:?}")))?;
    let level = |from: usize| -> [u64; 5] { std::array::from_fn(|i| count(r, from + i)) };
    Ok((kind, Tally { attitude: level(first), competence: level(first + 5), bad: count(r, first + 10) }))
}

/// The month (`YYYY-MM`) of a date column, for [`sql::assessment::hall_tallies`].
fn month_of(column: &str) -> String {
    format!("to_char({column}, 'YYYY-MM')")
}

fn alert_row(r: &Row) -> Alert {
    Alert {
        id: r.get(0),
        hall_id: r.get(1),
        window_id: r.get(2),
        raised_at: r.get(3),
        ratings: r.get::<_, i32>(4).max(0) as u64,
        bad: r.get::<_, i32>(5).max(0) as u64,
        minutes: r.get::<_, i32>(6).max(0) as u32,
        acknowledged_at: r.get(7),
        account_id: r.get(8),
        note: r.get(9),
    }
}

/// A hall's settings (the defaults for a hall nobody set any for).
pub(super) async fn figure_settings(c: &impl GenericClient, hall: &str) -> Result<FigureSettings> {
    // Prepared once a connection: a province's month reads it for every hall.
    let stmt = c.prepare_cached(sql::assessment::FIGURE_SETTINGS).await?;
    let row = c.query_opt(&stmt, &[&hall]).await?;
    let Some(r) = row else { return Ok(FigureSettings::default()) };
    let n = |i: usize| r.get::<_, i32>(i).max(0) as u32;
    FigureSettings {
        minimum_ratings: n(0),
        publish_names: r.get(1),
        opens: clock(r.get(2))?,
        closes: clock(r.get(3))?,
        silence_minutes: n(4),
        alert: AlertRule { minutes: n(5), min_ratings: n(6), bad_percent: n(7) },
        rating_rate_percent: n(8),
        kiosk: Default::default(),
    }
    .with_policy(r.get(9))
}

fn clock(s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| Error::Backend(format!("opening hours {s:?}: {e}")))
}

/// Whether `[from, to)` is whole months: then the month rollup answers it.
fn whole_months(from: NaiveDate, to: NaiveDate) -> bool {
    use chrono::Datelike;
    from.day() == 1 && to.day() == 1
}

/// A hall's whole months from `rating_months`, in the columns of
/// [`sql::assessment::hall_tallies`] with the month as a date. Misuse and
/// repeats are one row a month there already (its migrations), so by staff
/// member and window the rows are read as they are, by their key, and by
/// window they are summed.
fn hall_months(by: TallyBy) -> &'static str {
    match by {
        TallyBy::StaffAndWindow => {
            "SELECT month, staff_id, window_id, kind, a1::int8, a2::int8, a3::int8, a4::int8, a5::int8,
                c1::int8, c2::int8, c3::int8, c4::int8, c5::int8, bad::int8
             FROM rating_months WHERE hall_id = $1 AND month >= $2 AND month < $3"
        }
        TallyBy::Window => {
            "SELECT month, '', window_id, kind, sum(a1), sum(a2), sum(a3), sum(a4), sum(a5),
                sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
             FROM rating_months WHERE hall_id = $1 AND month >= $2 AND month < $3
             GROUP BY month, window_id, kind"
        }
    }
}

/// The halls' whole months from `rating_months`, in the columns of
/// [`sql::assessment::region_rating_months`].
fn region_months(in_halls: &str) -> String {
    format!(
        "SELECT to_char(month, 'YYYY-MM'), kind, sum(a1), sum(a2), sum(a3), sum(a4), sum(a5),
            sum(c1), sum(c2), sum(c3), sum(c4), sum(c5), sum(bad)
         FROM rating_months WHERE {in_halls} AND month >= $2 AND month < $3
         GROUP BY 1, 2"
    )
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[async_trait]
impl AssessmentStore for PgStore {
    async fn rating_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate, by: TallyBy) -> Result<RatingTallies> {
        let client = self.client().await?;
        let text = if whole_months(from, to) {
            hall_months(by).to_string()
        } else {
            sql::assessment::hall_tallies("rating_days", "device_date", "date_trunc('month', device_date)::date", by)
        };
        let stmt = client.prepare_cached(&text).await?;
        let mut out = RatingTallies::default();
        for r in client.query(&stmt, &[&hall, &from, &to]).await? {
            let (kind, tally) = rollup(&r, 3, 4)?;
            let m = Month::of(r.get::<_, NaiveDate>(0));
            out.push(kind, TallyRow { month: m, staff_id: r.get(1), window_id: r.get(2), tally });
        }
        Ok(out)
    }

    async fn region_rating_tallies(
        &self,
        halls: Option<&[String]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(Month, TallyKind, Tally)>> {
        let client = self.client().await?;
        let text = if whole_months(from, to) {
            region_months(&super::in_halls("hall_id", 1))
        } else {
            sql::assessment::region_rating_months(month_of, &super::in_halls("hall_id", 1))
        };
        let stmt = client.prepare_cached(&text).await?;
        client
            .query(&stmt, &[&halls, &from, &to])
            .await?
            .iter()
            .map(|r| {
                let (kind, tally) = rollup(r, 1, 2)?;
                Ok((month(r.get(0))?, kind, tally))
            })
            .collect()
    }

    async fn case_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<CaseTallyRow>> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(sql::assessment::CASE_TALLIES).await?;
        Ok(client
            .query(&stmt, &[&hall, &from, &to])
            .await?
            .iter()
            .map(|r| CaseTallyRow {
                month: Month::of(r.get::<_, NaiveDate>(0)),
                staff_id: r.get(1),
                window_id: r.get(2),
                tally: CaseTally { served: count(r, 3), rated: count(r, 4), ratings_with_case: count(r, 5) },
            })
            .collect())
    }

    async fn ledger_tallies(&self, hall: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<LedgerTallyRow>> {
        let client = self.client().await?;
        let stmt = client.prepare_cached(&sql::assessment::ledger_months(month_of)).await?;
        let none = |s: String| Some(s).filter(|s| !s.is_empty());
        client
            .query(&stmt, &[&hall, &from, &to])
            .await?
            .iter()
            .map(|r| {
                Ok(LedgerTallyRow {
                    month: month(r.get(0))?,
                    staff_id: none(r.get(1)),
                    window_id: none(r.get(2)),
                    tally: LedgerTally {
                        items: count(r, 3),
                        replied: count(r, 4),
                        explained: count(r, 5),
                        rectified: count(r, 6),
                        on_time: count(r, 7),
                    },
                })
            })
            .collect()
    }

    async fn methods(&self) -> Result<Vec<Method>> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT version, scores::text, prior_weight, bottom_percent FROM assessment_methods
                 ORDER BY version DESC",
            )
            .await?;
        let rows = client.query(&stmt, &[]).await?;
        rows.iter()
            .map(|r| {
                let scores = serde_json::from_str(r.get::<_, &str>(1))
                    .map_err(|e| Error::Backend(format!("method scores: {e}")))?;
                Ok(Method {
                    version: r.get(0),
                    scores,
                    prior_weight: r.get::<_, i32>(2).max(0) as u32,
                    bottom_percent: r.get::<_, i32>(3).max(0) as u32,
                })
            })
            .collect()
    }

    async fn add_method(&self, method: &Method, account: Uuid, at: DateTime<Utc>) -> Result<Method> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Two supervisors saving at once get consecutive versions, not a clash.
        tx.execute("LOCK TABLE assessment_methods IN EXCLUSIVE MODE", &[]).await?;
        let scores = serde_json::to_string(&method.scores).map_err(|e| Error::Backend(e.to_string()))?;
        let row = tx
            .query_one(
                "INSERT INTO assessment_methods (version, scores, prior_weight, bottom_percent, created_at, account_id)
                 SELECT coalesce(max(version), 0) + 1, $1::text::jsonb, $2, $3, $4, $5 FROM assessment_methods
                 RETURNING version",
                &[&scores, &int(method.prior_weight), &int(method.bottom_percent), &at, &account],
            )
            .await?;
        tx.commit().await?;
        Ok(Method { version: row.get(0), ..method.clone() })
    }

    async fn figure_settings(&self, hall: &str) -> Result<FigureSettings> {
        figure_settings(&self.client().await?, hall).await
    }

    async fn set_figure_settings(&self, hall: &str, s: &FigureSettings) -> Result<()> {
        let limits = HallSettings::default();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(
            sql::assessment::SET_FIGURE_SETTINGS,
            &[
                &hall,
                &int(limits.verify_days),
                &int(limits.rectify_days),
                &int(limits.complex_days),
                &int(s.minimum_ratings),
                &s.publish_names,
                &s.opens.format("%H:%M").to_string(),
                &s.closes.format("%H:%M").to_string(),
                &int(s.silence_minutes),
                &int(s.alert.minutes),
                &int(s.alert.min_ratings),
                &int(s.alert.bad_percent),
                &int(s.rating_rate_percent),
                &s.policy_json()?,
            ],
        )
        .await?;
        // The hall's kiosks take the settings with their next reference data.
        super::reference::new_edition(&tx, &[hall.to_string()]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn closing(&self, hall: &str, m: Month) -> Result<Option<Closing>> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT method_version, closed_at, account_id, figures::text FROM month_closings
                 WHERE hall_id = $1 AND month = $2",
            )
            .await?;
        let row = client.query_opt(&stmt, &[&hall, &m.to_string()]).await?;
        row.map(|r| {
            Ok(Closing {
                hall_id: hall.to_string(),
                month: m,
                method_version: r.get(0),
                closed_at: r.get(1),
                account_id: r.get(2),
                figures: serde_json::from_str(r.get::<_, &str>(3))
                    .map_err(|e| Error::Backend(format!("closing: {e}")))?,
            })
        })
        .transpose()
    }

    async fn closed_near_bottom(&self, hall: &str, m: Month) -> Result<Option<Vec<String>>> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "SELECT array(SELECT w->>'window_id' FROM jsonb_array_elements(figures->'windows') w
                              WHERE (w->>'near_bottom')::boolean)
                 FROM month_closings WHERE hall_id = $1 AND month = $2",
            )
            .await?;
        Ok(client.query_opt(&stmt, &[&hall, &m.to_string()]).await?.map(|r| r.get(0)))
    }

    async fn closed_months(&self) -> Result<Vec<(String, Month)>> {
        let rows = self.client().await?.query(sql::assessment::CLOSED_MONTHS, &[]).await?;
        rows.iter().map(|r| Ok((r.get(0), month(r.get(1))?))).collect()
    }

    async fn close_month(&self, c: &Closing) -> Result<()> {
        let figures = serde_json::to_string(&c.figures).map_err(|e| Error::Backend(e.to_string()))?;
        let inserted = self
            .client()
            .await?
            .execute(
                "INSERT INTO month_closings (hall_id, month, method_version, closed_at, account_id, figures)
                 VALUES ($1, $2, $3, $4, $5, $6::text::jsonb) ON CONFLICT DO NOTHING",
                &[&c.hall_id, &c.month.to_string(), &c.method_version, &c.closed_at, &c.account_id, &figures],
            )
            .await?;
        if inserted == 0 { Err(Error::Stale) } else { Ok(()) }
    }

    async fn report_devices(&self, reports: &[(Uuid, DeviceReport)]) -> Result<()> {
        // Two statements for the whole batch, whatever its size.
        let ids: Vec<Uuid> = reports.iter().map(|(id, _)| *id).collect();
        let versions: Vec<Option<&str>> = reports.iter().map(|(_, r)| r.app_version.as_deref()).collect();
        let offsets: Vec<Option<i64>> = reports.iter().map(|(_, r)| r.clock_offset_seconds).collect();
        let at: Vec<DateTime<Utc>> = reports.iter().map(|(_, r)| r.at).collect();
        let held: Vec<Option<i64>> = reports.iter().map(|(_, r)| r.reference_held).collect();
        let mut newest_ids = Vec::new();
        let mut kinds = Vec::new();
        let mut seqs = Vec::new();
        for (id, report) in reports {
            for (kind, seq) in &report.newest {
                newest_ids.push(*id);
                kinds.push(kind.as_str());
                seqs.push(i64::try_from(*seq).unwrap_or(i64::MAX));
            }
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let device = tx
            .prepare_cached(
                "UPDATE devices d SET app_version = coalesce(u.v, d.app_version),
                     clock_offset_seconds = coalesce(u.o, d.clock_offset_seconds), reported_at = u.at,
                     reference_held = coalesce(u.r, d.reference_held)
                 FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::timestamptz[], $5::int8[]) AS u(id, v, o, at, r)
                 WHERE d.id = u.id",
            )
            .await?;
        tx.execute(&device, &[&ids, &versions, &offsets, &at, &held]).await?;
        if !newest_ids.is_empty() {
            let newest = tx
                .prepare_cached(
                    "INSERT INTO device_newest (device_id, kind, seq)
                     SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[])
                     ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq",
                )
                .await?;
            tx.execute(&newest, &[&newest_ids, &kinds, &seqs]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn fleet(&self, halls: Option<&[String]>) -> Result<Vec<FleetRow>> {
        let sql = format!(
            "SELECT {DEVICE_COLUMNS}, app_version, clock_offset_seconds, reported_at,
                    (SELECT coalesce(sum(greatest(n.seq - coalesce(s.through, 0), 0)), 0)::bigint
                     FROM device_newest n LEFT JOIN streams s ON s.device_id = n.device_id AND s.kind = n.kind
                     WHERE n.device_id = devices.id),
                    reference_held,
                    coalesce((SELECT reference_version FROM halls WHERE id = devices.hall_id),
                             (SELECT value::bigint FROM meta WHERE key = 'reference_version'))
             FROM devices WHERE {in_halls} ORDER BY hall_id, role, name",
            in_halls = super::in_halls("hall_id", 1)
        );
        let rows = self.client().await?.query(&sql, &[&halls]).await?;
        rows.iter()
            .map(|r| {
                Ok(FleetRow {
                    device: device_row(r)?,
                    app_version: r.get(8),
                    clock_offset_seconds: r.get(9),
                    reported_at: r.get(10),
                    waiting: count(r, 11),
                    reference_held: r.get(12),
                    reference_current: r.get(13),
                })
            })
            .collect()
    }

    async fn window_recent(&self, window: &str, since: DateTime<Utc>) -> Result<(u64, u64)> {
        let r = self
            .client()
            .await?
            .query_one(
                &format!(
                    "SELECT count(*), count(*) FILTER (WHERE {bad}) FROM ratings
                 WHERE window_id = $1 AND received_at >= $2 AND NOT misuse",
                    bad = predicate::bad("")
                ),
                &[&window, &since],
            )
            .await?;
        Ok((count(&r, 0), count(&r, 1)))
    }

    async fn raise_alert(&self, a: &Alert, quiet_since: DateTime<Utc>) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One window's alerts are raised one at a time, by any process.
        tx.execute("SELECT pg_advisory_xact_lock(hashtext('alert:' || $1))", &[&a.window_id]).await?;
        let recent = tx.query_opt(sql::assessment::RECENT_ALERT, &[&a.window_id, &quiet_since]).await?;
        if recent.is_some() {
            return Ok(false);
        }
        tx.execute(
            sql::assessment::NEW_ALERT,
            &[
                &a.id,
                &a.hall_id,
                &a.window_id,
                &a.raised_at,
                &i32::try_from(a.ratings).unwrap_or(i32::MAX),
                &i32::try_from(a.bad).unwrap_or(i32::MAX),
                &int(a.minutes),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn open_alerts(&self, halls: Option<&[String]>) -> Result<Vec<Alert>> {
        let sql = sql::assessment::open_alerts(&super::in_halls("hall_id", 1));
        Ok(self.client().await?.query(&sql, &[&halls]).await?.iter().map(alert_row).collect())
    }

    async fn alert(&self, id: Uuid) -> Result<Option<Alert>> {
        let sql = sql::assessment::ALERT.as_str();
        Ok(self.client().await?.query_opt(sql, &[&id]).await?.as_ref().map(alert_row))
    }

    async fn acknowledge_alert(&self, id: Uuid, account: Uuid, note: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = self.client().await?.execute(sql::assessment::ACKNOWLEDGE_ALERT, &[&id, &at, &account, &note]).await?;
        Ok(n == 1)
    }

    async fn revision_scores(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<RevisionScore>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT officer_id, entry_id, revision, (body ->> 'score')::int FROM diary_revisions
                 WHERE submitted_date >= $1 AND submitted_date < $2",
                &[&from, &to],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| RevisionScore {
                officer_id: r.get(0),
                entry_id: r.get(1),
                revision: r.get::<_, i32>(2).max(0) as u32,
                score: r.get::<_, Option<i32>>(3).and_then(|s| u8::try_from(s).ok()),
            })
            .collect())
    }

    async fn officer_problems(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<OfficerProblems>> {
        let rows = self.client().await?.query(sql::assessment::OFFICER_PROBLEMS.as_str(), &[&from, &to]).await?;
        Ok(rows
            .iter()
            .map(|r| OfficerProblems { officer_id: r.get(0), problems: count(r, 1), rectified: count(r, 2) })
            .collect())
    }

    async fn nominations(&self, year: i32) -> Result<Vec<String>> {
        let rows = self.client().await?.query(sql::assessment::NOMINATIONS, &[&year]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn nominate(&self, year: i32, officer: &str, on: bool, account: Uuid, at: DateTime<Utc>) -> Result<()> {
        let client = self.client().await?;
        if on {
            client.execute(sql::assessment::NOMINATE, &[&year, &officer, &at, &account]).await?;
        } else {
            client.execute(sql::assessment::WITHDRAW, &[&year, &officer]).await?;
        }
        Ok(())
    }
}
