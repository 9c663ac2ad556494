//! The kiosk as part of its window: what the window's queue and case system
//! may ask of it through the link (`window_link.rs` is the HTTP side). The
//! system signs in the staff member it has identified, asks for a case to be
//! rated (the kiosk records the case served, binds the next rating to it and
//! the screen asks the citizen at once), pauses and resumes the window, and
//! reads the status — who is on duty, paused or not, the last case asked for
//! and whether it was rated, never how.
//!
//! While the kiosk is being set up or its administrator screen is unlocked it
//! takes no request from the window (`LinkBusy`): a person is at it.

use std::time::Instant;

use tiyan_core::case_no;
use tiyan_core::window::{LastCase, MAX_MATTER_LEN, MAX_TICKET_LEN, OnDuty, RateRequest, WindowStatus};

use crate::kiosk::Kiosk;
use crate::staff::SignedOutBy;
use crate::{Error, Result};

/// What the screen is told when the window's system asked something of the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkEvent {
    /// Someone signed in or out: the resting screen changes.
    Staff,
    /// A case to rate: the rating screen, at once.
    Rate {
        case_no: String,
    },
    Paused,
    Resumed,
}

fn trimmed(s: &Option<String>, max: usize, what: &'static str) -> Result<Option<String>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() <= max && !s.chars().any(char::is_control) => Ok(Some(s.to_string())),
        Some(_) => Err(Error::LinkField(what)),
    }
}

impl Kiosk {
    /// Refuses while the kiosk is being set up or administered.
    fn link_ready(&self) -> Result<String> {
        if !self.status()?.set_up {
            return Err(Error::LinkBusy);
        }
        if self.volatile().admin_until.is_some_and(|until| Instant::now() < until) {
            return Err(Error::LinkBusy);
        }
        self.bound_window_id()
    }

    pub fn link_status(&self) -> Result<WindowStatus> {
        let window = self.store().bound_window()?;
        let staff = match &window {
            Some(w) => self.store().on_duty(&w.id)?,
            None => None,
        };
        let (paused, last) = {
            let v = self.volatile();
            (v.paused, v.last_case.clone())
        };
        let last_case = match last {
            Some(case_no) => Some(LastCase { rated: self.store().case_is_rated(&case_no)?, case_no }),
            None => None,
        };
        Ok(WindowStatus {
            window_id: window.map(|w| w.id),
            staff: staff.map(|s| OnDuty { employee_no: s.employee_no, name: s.name }),
            paused,
            last_case,
        })
    }

    pub fn link_sign_in(&self, employee_no: &str) -> Result<WindowStatus> {
        let window = self.link_ready()?;
        self.store().sign_in_identified(&window, employee_no)?;
        self.clear_case_no();
        self.link_status()
    }

    pub fn link_sign_out(&self) -> Result<WindowStatus> {
        let window = self.link_ready()?;
        self.store().sign_out(&window, SignedOutBy::Staff)?;
        self.clear_case_no();
        self.link_status()
    }

    /// A case to rate: recorded as served, bound to the next rating. A case
    /// already rated is refused (one rating per case); asked again before it
    /// was rated, it is asked again.
    pub fn link_rate(&self, request: &RateRequest) -> Result<(WindowStatus, String)> {
        let window = self.link_ready()?;
        if self.volatile().paused {
            return Err(Error::WindowPaused);
        }
        let staff = self.store().on_duty(&window)?.ok_or(Error::WindowClosed)?;
        let case_no = case_no::normalize(&request.case_no)?;
        let ticket = trimmed(&request.ticket_no, MAX_TICKET_LEN, "ticket_no")?;
        let matter = trimmed(&request.matter, MAX_MATTER_LEN, "matter")?;
        if self.store().case_is_rated(&case_no)? {
            self.volatile().last_case = Some(case_no.clone());
            return Err(Error::CaseAlreadyRated(case_no));
        }
        self.store().record_case(&window, &staff.staff_id, &case_no, ticket.as_deref(), matter.as_deref())?;
        {
            let mut v = self.volatile();
            v.case_no = Some(case_no.clone());
            v.last_case = Some(case_no.clone());
        }
        Ok((self.link_status()?, case_no))
    }

    pub fn link_pause(&self) -> Result<WindowStatus> {
        self.link_ready()?;
        {
            let mut v = self.volatile();
            v.paused = true;
            v.case_no = None;
        }
        self.link_status()
    }

    pub fn link_resume(&self) -> Result<WindowStatus> {
        self.link_ready()?;
        self.volatile().paused = false;
        self.link_status()
    }
}

/// How many of the link's events the screen may still catch up on.
const EVENTS_KEPT: usize = 32;
/// How long the screen's question waits for news before it is answered "none yet".
const EVENTS_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// What the link told the screen, numbered: the screen asks for what came
/// after the last number it saw and waits until something did. A page that
/// reloads asks again from where it was, so no request is lost between two
/// questions, and nothing but our own commands carries it to the page.
#[derive(Default)]
pub struct LinkEvents {
    kept: std::sync::Mutex<(u64, std::collections::VecDeque<(u64, LinkEvent)>)>,
    arrived: tokio::sync::Notify,
}

/// The events after the number the screen sent, and the number to send next.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct LinkNews {
    pub seq: u64,
    pub events: Vec<LinkEvent>,
}

impl LinkEvents {
    pub fn push(&self, event: LinkEvent) {
        {
            let mut kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            kept.0 += 1;
            let seq = kept.0;
            kept.1.push_back((seq, event));
            if kept.1.len() > EVENTS_KEPT {
                kept.1.pop_front();
            }
        }
        self.arrived.notify_waiters();
    }

    fn after_now(&self, after: Option<u64>) -> Option<LinkNews> {
        let kept = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let latest = kept.0;
        match after {
            // A screen just started: from now on.
            None => Some(LinkNews { seq: latest, events: Vec::new() }),
            // A number from before a restart of the app: start again from now.
            Some(after) if after > latest => Some(LinkNews { seq: latest, events: Vec::new() }),
            Some(after) if after < latest => Some(LinkNews {
                seq: latest,
                events: kept.1.iter().filter(|(seq, _)| *seq > after).map(|(_, e)| e.clone()).collect(),
            }),
            Some(_) => None,
        }
    }

    /// The events after `after` (None: from now), waiting up to 20 seconds for one.
    pub async fn after(&self, after: Option<u64>) -> LinkNews {
        let deadline = tokio::time::Instant::now() + EVENTS_WAIT;
        loop {
            // Registered before looking, so an event pushed in between still wakes us.
            let arrived = self.arrived.notified();
            if let Some(news) = self.after_now(after) {
                return news;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let seq = self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner).0;
                return LinkNews { seq, events: Vec::new() };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_screen_gets_each_event_once_in_order_even_between_questions() {
        let events = std::sync::Arc::new(LinkEvents::default());
        let start = events.after(None).await;
        assert_eq!(start, LinkNews { seq: 0, events: vec![] });
        // Two events before the screen asks again: both arrive, in order.
        events.push(LinkEvent::Staff);
        events.push(LinkEvent::Rate { case_no: "A1".into() });
        let news = events.after(Some(start.seq)).await;
        assert_eq!(news.events, vec![LinkEvent::Staff, LinkEvent::Rate { case_no: "A1".into() }]);
        // A question waiting is answered when the next event comes.
        let waiting = tokio::spawn({
            let events = events.clone();
            async move { events.after(Some(news.seq)).await }
        });
        tokio::task::yield_now().await;
        events.push(LinkEvent::Paused);
        assert_eq!(waiting.await.unwrap_or_else(|e| panic!("{e}")).events, vec![LinkEvent::Paused]);
        // A number from an app that has since restarted starts from now.
        assert_eq!(events.after(Some(99)).await, LinkNews { seq: 3, events: vec![] });
    }
}
