//! The outbox of reporting up in PostgreSQL (see `tiyan_storage::upward`).
//! Ratings are queued by a statement trigger (migration 0008), so every
//! writer queues them; the lease is a row every server process sees.

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{PgStore, in_halls};
use tiyan_storage::{
    Delivery, Error, OutboxKind, Outgoing, RefusedRecord, Result, UpwardDay, UpwardStore, UpwardTarget, sql,
};

fn kind(s: &str) -> Result<OutboxKind> {
    OutboxKind::parse(s).ok_or_else(|| Error::Backend(format!("outbox kind {s:?}")))
}

fn count(r: &Row, i: usize) -> u64 {
    r.get::<_, i64>(i).max(0) as u64
}

fn outgoing(r: &Row) -> Result<Outgoing> {
    let offset = FixedOffset::east_opt(i32::from(r.get::<_, i16>(18)) * 60)
        .ok_or_else(|| Error::Backend("a rating's UTC offset is out of range".into()))?;
    let reasons: &str = r.get(12);
    Ok(Outgoing {
        seq: r.get(0),
        kind: kind(r.get(1))?,
        record_id: r.get(2),
        hall_id: r.get(3),
        attempts: r.get::<_, i32>(4).max(0) as u32,
        rated_at: r.get::<_, DateTime<Utc>>(5).with_timezone(&offset),
        window_id: r.get(6),
        staff_id: r.get(7),
        case_no: r.get(8),
        case_repeat: r.get(9),
        attitude: r.get::<_, i16>(10).clamp(0, 5) as u8,
        competence: r.get::<_, i16>(11).clamp(0, 5) as u8,
        reasons: serde_json::from_str(reasons).map_err(|e| Error::Backend(format!("a rating's reasons: {e}")))?,
        comment: r.get(13),
        outcome: r.get(14),
        reply: r.get(15),
        satisfaction: r.get(16),
        closed_at: r.get(17),
        matter: r.get(19),
    })
}

#[async_trait]
impl UpwardStore for PgStore {
    async fn upward_register(&self, target: &UpwardTarget) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute(sql::upward::REGISTER, &[&target.name, &target.halls.is_none()]).await?;
        tx.execute(sql::upward::FORGET_HALLS, &[&target.name]).await?;
        for hall in target.halls.iter().flatten() {
            tx.execute(sql::upward::ADD_HALL, &[&target.name, hall]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn upward_lease(&self, target: &str, holder: Uuid, now: DateTime<Utc>, until: DateTime<Utc>) -> Result<bool> {
        let n = self.client().await?.execute(sql::upward::LEASE, &[&target, &holder, &now, &until]).await?;
        Ok(n == 1)
    }

    async fn upward_reclaim(&self, target: &str, now: DateTime<Utc>) -> Result<u64> {
        Ok(self.client().await?.execute(sql::upward::RECLAIM, &[&target, &now]).await?)
    }

    async fn upward_due(
        &self,
        target: &str,
        now: DateTime<Utc>,
        limit: u32,
        hold_until: DateTime<Utc>,
    ) -> Result<Vec<Outgoing>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx.prepare_cached(&sql::upward::due("r.reasons::text")).await?;
        let due: Vec<Outgoing> =
            tx.query(&stmt, &[&target, &now, &i64::from(limit)]).await?.iter().map(outgoing).collect::<Result<_>>()?;
        let seqs: Vec<i64> = due.iter().map(|o| o.seq).collect();
        tx.execute(
            "UPDATE upward_outbox SET state = 'sent', attempts = attempts + 1, next_at = $3
             WHERE target = $1 AND seq = ANY($2)",
            &[&target, &seqs, &hold_until],
        )
        .await?;
        tx.commit().await?;
        Ok(due)
    }

    async fn upward_settle(&self, target: &str, outcomes: &[(i64, Delivery)], now: DateTime<Utc>) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Most answers are "taken": one statement for all of them.
        let taken: Vec<i64> =
            outcomes.iter().filter(|(_, d)| matches!(d, Delivery::Acknowledged)).map(|(s, _)| *s).collect();
        tx.execute(
            "UPDATE upward_outbox SET state = 'acknowledged', reason = NULL, settled_at = $3
             WHERE target = $1 AND seq = ANY($2)",
            &[&target, &taken, &now],
        )
        .await?;
        let settle = tx.prepare_cached(sql::upward::SETTLE).await?;
        for (seq, d) in outcomes {
            let (state, reason, next) = match d {
                Delivery::Acknowledged => continue,
                Delivery::Refused(why) => ("refused", why, now),
                Delivery::Retry { at, error } => ("waiting", error, *at),
            };
            tx.execute(&settle, &[&target, seq, &state, reason, &next, &now]).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn upward_days(&self, halls: Option<&[String]>, from: NaiveDate, to: NaiveDate) -> Result<Vec<UpwardDay>> {
        let client = self.client().await?;
        let rows = client.query(&sql::upward::days(&in_halls("hall_id", 1)), &[&halls, &from, &to]).await?;
        Ok(rows
            .iter()
            .map(|r| UpwardDay {
                day: Some(r.get(0)),
                hall_id: r.get(1),
                target: r.get(2),
                queued: count(r, 3),
                sent: count(r, 4),
                acknowledged: count(r, 5),
                refused: count(r, 6),
                waiting: count(r, 7),
            })
            .collect())
    }

    async fn upward_refused(&self, halls: Option<&[String]>, limit: u32) -> Result<Vec<RefusedRecord>> {
        let client = self.client().await?;
        let rows = client.query(&sql::upward::refused(&in_halls("hall_id", 1)), &[&halls, &i64::from(limit)]).await?;
        rows.iter()
            .map(|r| {
                Ok(RefusedRecord {
                    seq: r.get(0),
                    target: r.get(1),
                    kind: kind(r.get(2))?,
                    record_id: r.get(3),
                    hall_id: r.get(4),
                    day: r.get(5),
                    reason: r.get::<_, Option<String>>(6).unwrap_or_default(),
                    at: r.get(7),
                })
            })
            .collect()
    }

    async fn upward_resend(&self, halls: Option<&[String]>, seqs: &[i64], now: DateTime<Utc>) -> Result<u64> {
        let text = sql::upward::resend(&in_halls("hall_id", 1), "(cardinality($3::bigint[]) = 0 OR seq = ANY($3))");
        Ok(self.client().await?.execute(&text, &[&halls, &now, &seqs]).await?)
    }

    async fn upward_backlog(&self, target: &str) -> Result<u64> {
        let row = self.client().await?.query_one(sql::upward::BACKLOG, &[&target]).await?;
        Ok(count(&row, 0))
    }

    async fn upward_refused_count(&self, target: &str) -> Result<u64> {
        let row = self.client().await?.query_one(sql::upward::REFUSED_COUNT, &[&target]).await?;
        Ok(count(&row, 0))
    }
}
