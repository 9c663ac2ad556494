//! The window link's side of the store: the cases the window's system asked
//! to have rated (append-only records of their own sync stream), the link's
//! requests and their answers by the id their sender gave them, and the
//! link's settings (whether it listens, where, for whom, and its token's digest).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use chrono::{Duration, SecondsFormat};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use tiyan_core::protocol::CaseServed;
use uuid::Uuid;

use crate::store::{Store, get_meta, set_meta};
use crate::{Error, Result};

/// The link's settings as the administrator leaves them. Off until turned on;
/// on loopback unless another address is chosen; only the addresses listed
/// may speak to it: this PC's own (loopback) until the administrator lists the
/// window system's address instead or as well.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct LinkSettings {
    pub enabled: bool,
    #[ts(type = "string")]
    pub listen: SocketAddr,
    #[ts(type = "Array<string>")]
    pub allowed: Vec<IpAddr>,
    /// Whether a token was made (the token itself is shown once and not kept).
    pub has_token: bool,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            enabled: false,
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), tiyan_core::window::DEFAULT_PORT),
            allowed: vec![IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)],
            has_token: false,
        }
    }
}

/// What the store keeps of the link: its settings and the SHA-256 of its token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkKept {
    pub settings: LinkSettings,
    #[serde(default)]
    pub token_sha256: Option<String>,
}

/// A request's answer as the link gave it: its HTTP status and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub body: String,
}

const CASE_COLUMNS: &str = "seq, id, device_time, hall_id, window_id, staff_id, case_no, ticket_no, matter";

fn case_row(device_id: Uuid) -> impl Fn(&rusqlite::Row) -> rusqlite::Result<CaseServed> {
    move |r| {
        let conversion = |i: usize, e: Box<dyn std::error::Error + Send + Sync>| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e)
        };
        let id: String = r.get(1)?;
        let time: String = r.get(2)?;
        Ok(CaseServed {
            seq: r.get(0)?,
            id: Uuid::parse_str(&id).map_err(|e| conversion(1, Box::new(e)))?,
            device_id,
            device_time: chrono::DateTime::parse_from_rfc3339(&time).map_err(|e| conversion(2, Box::new(e)))?,
            hall_id: r.get(3)?,
            window_id: r.get(4)?,
            staff_id: r.get(5)?,
            case_no: r.get(6)?,
            ticket_no: r.get(7)?,
            matter: r.get(8)?,
        })
    }
}

impl Store {
    /// Records a case asked to be rated at `window_id` for the staff member on
    /// duty there; asked again, it is the same case (its first record stands).
    pub fn record_case(
        &self,
        window_id: &str,
        staff_id: &str,
        case_no: &str,
        ticket_no: Option<&str>,
        matter: Option<&str>,
    ) -> Result<()> {
        let now = self.now().to_rfc3339_opts(SecondsFormat::Micros, false);
        self.write(|tx| {
            let hall_id: String =
                tx.query_row("SELECT hall_id FROM windows WHERE id = ?1", [window_id], |r| r.get(0))?;
            tx.execute(
                "INSERT INTO cases (id, device_time, hall_id, window_id, staff_id, case_no, ticket_no, matter)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (case_no) DO NOTHING",
                params![Uuid::now_v7().to_string(), now, hall_id, window_id, staff_id, case_no, ticket_no, matter],
            )?;
            Ok(())
        })
    }

    /// Cases in sequence order after `after_seq`, at most `limit`.
    pub fn cases_after(&self, after_seq: u64, limit: usize) -> Result<Vec<CaseServed>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM cases WHERE seq > ?1 ORDER BY seq LIMIT ?2"))?;
        let rows = stmt.query_map(params![after_seq as i64, limit as i64], case_row(self.device_id()))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn link_kept(&self) -> Result<LinkKept> {
        match get_meta(&self.conn(), "window_link")? {
            None => Ok(LinkKept::default()),
            Some(json) => serde_json::from_str(&json).map_err(|e| Error::Corrupt(format!("window link: {e}"))),
        }
    }

    pub(crate) fn set_link_kept(&self, kept: &LinkKept) -> Result<()> {
        let json = serde_json::to_string(kept).map_err(|e| Error::Corrupt(e.to_string()))?;
        self.write(|tx| set_meta(tx, "window_link", &json))
    }

    /// The answer given to `request_id` before, if any; a request under a used
    /// id that is not the same request is `RequestReused`.
    pub fn kept_answer(&self, request_id: Uuid, fingerprint: &str) -> Result<Option<KeptAnswer>> {
        let kept: Option<(String, u16, String)> = self
            .conn()
            .query_row(
                "SELECT fingerprint, status, answer FROM link_requests WHERE request_id = ?1",
                [request_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match kept {
            Some((f, status, body)) if f == fingerprint => Ok(Some(KeptAnswer { status, body })),
            Some(_) => Err(Error::RequestReused),
            None => Ok(None),
        }
    }

    /// Keeps the answer to a request, and forgets those older than a day.
    pub fn keep_answer(&self, request_id: Uuid, fingerprint: &str, answer: &KeptAnswer) -> Result<()> {
        let now = self.now();
        let at = now.to_rfc3339_opts(SecondsFormat::Micros, true);
        let before = (now - Duration::days(1)).to_rfc3339_opts(SecondsFormat::Micros, true);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO link_requests (request_id, fingerprint, status, answer, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (request_id) DO NOTHING",
                params![request_id.to_string(), fingerprint, answer.status, answer.body, at],
            )?;
            tx.execute("DELETE FROM link_requests WHERE at < ?1", [before])?;
            Ok(())
        })
    }
}
