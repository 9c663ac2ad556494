//! What the hall office's ledger says of this laptop's problems (pulled after
//! every sync pass), and the officer's answers to its replies: append-only
//! records of their own stream, sent like any other, so each reaches the
//! ledger exactly once.

use chrono::{DateTime, FixedOffset};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tiyan_core::ledger::{LedgerState, Satisfaction};
use tiyan_core::protocol::{Feedback, LedgerItem};
use uuid::Uuid;

use crate::diary::{time, uuid};
use crate::{Error, Result, Store};

/// One problem as the officer sees it: the ledger's state and reply, and
/// their own answer if they gave one since the ledger last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ProblemLedger {
    pub problem_id: Uuid,
    pub state: LedgerState,
    pub reply: Option<String>,
    /// The answer the ledger holds.
    pub satisfaction: Option<Satisfaction>,
    /// An answer given here since the ledger last changed (on its way, or just arrived).
    pub answered: Option<Satisfaction>,
}

fn satisfaction(s: &str) -> Result<Satisfaction> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| Error::Corrupt(format!("satisfaction {s:?}")))
}

impl Store {
    /// The ledger's word on this laptop's problems, as the server last said it.
    pub fn set_ledger(&self, items: &[LedgerItem]) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO ledger_states (problem_id, entry_id, state, updated_at, reply, satisfaction)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (problem_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
                     reply = excluded.reply, satisfaction = excluded.satisfaction",
            )?;
            for i in items {
                stmt.execute(params![
                    i.problem_id.to_string(),
                    i.entry_id.to_string(),
                    i.state.as_str(),
                    i.updated_at.to_rfc3339(),
                    i.reply,
                    i.satisfaction.map(Satisfaction::as_str),
                ])?;
            }
            Ok(())
        })
    }

    /// The ledger's word on an entry's problems.
    pub fn ledger_states(&self, entry_id: Uuid) -> Result<Vec<ProblemLedger>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT l.problem_id, l.state, l.reply, l.satisfaction,
                    (SELECT f.satisfaction FROM feedback f
                     WHERE f.problem_id = l.problem_id AND julianday(f.answered_at) > julianday(l.updated_at)
                     ORDER BY f.seq DESC LIMIT 1)
             FROM ledger_states l WHERE l.entry_id = ?1",
        )?;
        type Row = (String, String, Option<String>, Option<String>, Option<String>);
        let rows: Vec<Row> = stmt
            .query_map([entry_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(p, s, reply, sat, answered)| {
                Ok(ProblemLedger {
                    problem_id: uuid(&p)?,
                    state: LedgerState::parse(&s).ok_or_else(|| Error::Corrupt(format!("ledger state {s:?}")))?,
                    reply,
                    satisfaction: sat.as_deref().map(satisfaction).transpose()?,
                    answered: answered.as_deref().map(satisfaction).transpose()?,
                })
            })
            .collect()
    }

    /// The officer's answer to the reply on one of their own problems: kept
    /// here at once (committed before this returns) and sent with the next sync.
    pub fn answer_problem(&self, officer_id: &str, problem_id: Uuid, answer: Satisfaction) -> Result<Feedback> {
        let now = self.now();
        let id = Uuid::now_v7();
        let seq = self.write(|tx| {
            let found: Option<(String, String)> = tx
                .query_row(
                    "SELECT l.state, l.updated_at FROM ledger_states l
                     WHERE l.problem_id = ?1
                       AND EXISTS (SELECT 1 FROM diary_revisions r WHERE r.entry_id = l.entry_id AND r.officer_id = ?2)",
                    params![problem_id.to_string(), officer_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((state, updated_at)) = found else { return Err(Error::UnknownEntry) };
            if state != LedgerState::Replied.as_str() {
                return Err(Error::NothingToAnswer);
            }
            let answered: bool = tx
                .prepare("SELECT 1 FROM feedback WHERE problem_id = ?1 AND julianday(answered_at) > julianday(?2)")?
                .exists(params![problem_id.to_string(), updated_at])?;
            if answered {
                return Err(Error::NothingToAnswer);
            }
            tx.execute(
                "INSERT INTO feedback (id, officer_id, problem_id, satisfaction, answered_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id.to_string(), officer_id, problem_id.to_string(), answer.as_str(), crate::ratings::format_time(now)],
            )?;
            Ok(tx.last_insert_rowid() as u64)
        })?;
        tracing::info!(%problem_id, answer = answer.as_str(), seq, "officer answered the ledger's reply");
        Ok(Feedback {
            id,
            seq,
            device_id: self.device_id(),
            officer_id: officer_id.to_string(),
            problem_id,
            satisfaction: answer,
            answered_at: chrono::SubsecRound::trunc_subsecs(now, 3),
        })
    }

    /// Answers after sequence number `seq`, in order, for sync.
    pub fn feedback_after(&self, seq: u64, limit: usize) -> Result<Vec<Feedback>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT seq, id, officer_id, problem_id, satisfaction, answered_at FROM feedback
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        type Row = (u64, String, String, String, String, String);
        let rows: Vec<Row> = stmt
            .query_map(params![seq, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(seq, id, officer_id, problem_id, sat, at)| {
                let answered_at: DateTime<FixedOffset> = time(&at)?;
                Ok(Feedback {
                    id: uuid(&id)?,
                    seq,
                    device_id: self.device_id(),
                    officer_id,
                    problem_id: uuid(&problem_id)?,
                    satisfaction: satisfaction(&sat)?,
                    answered_at,
                })
            })
            .collect()
    }
}
