//! The outbox of reporting up in the SQLite file (see `tiyan_storage::upward`).
//! Times are RFC 3339 text, as everywhere in this file; the lease is a row
//! every process of the file sees.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Row, params};
use uuid::Uuid;

use super::{SqliteStore, date, device_time, halls_param, in_halls, q, time, uuid};
use tiyan_storage::{Delivery, OutboxKind, Outgoing, RefusedRecord, Result, UpwardDay, UpwardStore, UpwardTarget, sql};

fn kind(s: &str) -> rusqlite::Result<OutboxKind> {
    OutboxKind::parse(s).ok_or_else(|| super::conversion(format!("outbox kind {s:?}").into()))
}

fn outgoing(r: &Row<'_>) -> rusqlite::Result<Outgoing> {
    let reasons: String = r.get(12)?;
    Ok(Outgoing {
        seq: r.get(0)?,
        kind: kind(&r.get::<_, String>(1)?)?,
        record_id: uuid(&r.get::<_, String>(2)?)?,
        hall_id: r.get(3)?,
        attempts: r.get(4)?,
        rated_at: device_time(&r.get::<_, String>(5)?)?,
        window_id: r.get(6)?,
        staff_id: r.get(7)?,
        case_no: r.get(8)?,
        case_repeat: r.get(9)?,
        attitude: r.get(10)?,
        competence: r.get(11)?,
        reasons: serde_json::from_str(&reasons).map_err(|e| super::conversion(Box::new(e)))?,
        comment: r.get(13)?,
        outcome: r.get(14)?,
        reply: r.get(15)?,
        satisfaction: r.get(16)?,
        closed_at: r.get::<_, Option<String>>(17)?.map(|t| time(&t)).transpose()?,
        matter: r.get(19)?,
    })
}

#[async_trait]
impl UpwardStore for SqliteStore {
    async fn upward_register(&self, target: &UpwardTarget) -> Result<()> {
        let target = target.clone();
        self.write(move |tx| {
            tx.execute(&q(sql::upward::REGISTER), params![target.name, target.halls.is_none()])?;
            tx.execute(&q(sql::upward::FORGET_HALLS), [&target.name])?;
            for hall in target.halls.iter().flatten() {
                tx.execute(&q(sql::upward::ADD_HALL), params![target.name, hall])?;
            }
            Ok(())
        })
        .await
    }

    async fn upward_lease(&self, target: &str, holder: Uuid, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let target = target.to_string();
        self.write(move |tx| {
            let n = tx.execute(
                &q(sql::upward::LEASE),
                params![target, holder.to_string(), now.to_rfc3339(), until.to_rfc3339()],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn upward_reclaim(&self, target: &str, now: DateTime<Utc>) -> Result<u64> {
        let target = target.to_string();
        self.write(move |tx| Ok(tx.execute(&q(sql::upward::RECLAIM), params![target, now.to_rfc3339()])? as u64)).await
    }

    async fn upward_due(
        &self,
        target: &str,
        now: DateTime<Utc>,
        limit: u32,
        hold_until: DateTime<Utc>,
    ) -> Result<Vec<Outgoing>> {
        let target = target.to_string();
        self.write(move |tx| {
            let due: Vec<Outgoing> = tx
                .prepare_cached(&q(&sql::upward::due("r.reasons")))?
                .query_map(params![target, now.to_rfc3339(), limit], outgoing)?
                .collect::<rusqlite::Result<_>>()?;
            let mut mark = tx.prepare_cached(&q(sql::upward::MARK_SENT))?;
            for o in &due {
                mark.execute(params![target, o.seq, hold_until.to_rfc3339()])?;
            }
            Ok(due)
        })
        .await
    }

    async fn upward_settle(&self, target: &str, outcomes: &[(i64, Delivery)], now: DateTime<Utc>) -> Result<()> {
        let (target, outcomes) = (target.to_string(), outcomes.to_vec());
        self.write(move |tx| {
            let mut settle = tx.prepare_cached(&q(sql::upward::SETTLE))?;
            let now = now.to_rfc3339();
            for (seq, d) in outcomes {
                let (state, reason, next) = match d {
                    Delivery::Acknowledged => ("acknowledged", None, now.clone()),
                    Delivery::Refused(why) => ("refused", Some(why), now.clone()),
                    Delivery::Retry { at, error } => ("waiting", Some(error), at.to_rfc3339()),
                };
                settle.execute(params![target, seq, state, reason, next, now])?;
            }
            Ok(())
        })
        .await
    }

    async fn upward_days(&self, halls: Option<&[String]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<UpwardDay>> {
        let halls = halls_param(halls);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&q(&sql::upward::days(&in_halls("hall_id", 1))))?;
            let rows = stmt.query_map(params![halls, from.to_string(), to.to_string()], |r| {
                Ok(UpwardDay {
                    day: Some(date(&r.get::<_, String>(0)?)?),
                    hall_id: r.get(1)?,
                    target: r.get(2)?,
                    queued: r.get(3)?,
                    sent: r.get(4)?,
                    acknowledged: r.get(5)?,
                    refused: r.get(6)?,
                    waiting: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn upward_refused(&self, halls: Option<&[String]>, limit: u32) -> Result<Vec<RefusedRecord>> {
        let halls = halls_param(halls);
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&q(&sql::upward::refused(&in_halls("hall_id", 1))))?;
            let rows = stmt.query_map(params![halls, limit], |r| {
                Ok(RefusedRecord {
                    seq: r.get(0)?,
                    target: r.get(1)?,
                    kind: kind(&r.get::<_, String>(2)?)?,
                    record_id: uuid(&r.get::<_, String>(3)?)?,
                    hall_id: r.get(4)?,
                    day: date(&r.get::<_, String>(5)?)?,
                    reason: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                    at: r.get::<_, Option<String>>(7)?.map(|t| time(&t)).transpose()?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn upward_resend(&self, halls: Option<&[String]>, seqs: &[i64], now: DateTime<Utc>) -> Result<u64> {
        let halls = halls_param(halls);
        let seqs = (!seqs.is_empty()).then(|| serde_json::Value::from(seqs.to_vec()).to_string());
        self.write(move |tx| {
            let text = sql::upward::resend(
                &in_halls("hall_id", 1),
                "(?3 IS NULL OR seq IN (SELECT value FROM json_each(?3)))",
            );
            let n = tx.execute(&q(&text), params![halls, now.to_rfc3339(), seqs])?;
            Ok(n as u64)
        })
        .await
    }

    async fn upward_backlog(&self, target: &str) -> Result<u64> {
        let target = target.to_string();
        self.read(move |c| Ok(c.query_row(&q(sql::upward::BACKLOG), [target], |r| r.get::<_, u64>(0))?)).await
    }

    async fn upward_refused_count(&self, target: &str) -> Result<u64> {
        let target = target.to_string();
        self.read(move |c| Ok(c.query_row(&q(sql::upward::REFUSED_COUNT), [target], |r| r.get::<_, u64>(0))?)).await
    }
}
