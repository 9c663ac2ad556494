//! The window link: what the window's queue and case system (叫号 / 综窗) says
//! to the kiosk standing at its window, over HTTP and JSON on the hall's
//! network. The kiosk answers in the protocol's envelope
//! ([`crate::protocol::Envelope`]). `tiyan-window` speaks it for demos and
//! tests; a vendor's system speaks it from its own code.
//!
//! Every request but the status carries a `request_id` the caller chooses:
//! the same request again gets the same answer (a retry after a lost answer
//! changes nothing), another request under a used id is refused.
//!
//! Modelled on the rating service of an open hall queue system
//! (JackQChen/QueueSystem: Login, RateRequest, RateOperate, RateSubmit joined
//! to the call record), cut to what a kiosk needs: who is at the window, a
//! case to be rated, a pause, and a status that never says how a case was rated.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The requests' paths; each is `POST` but the status (`GET`).
pub mod paths {
    pub const SIGN_IN: &str = "/window/v1/sign-in";
    pub const SIGN_OUT: &str = "/window/v1/sign-out";
    pub const RATE: &str = "/window/v1/rate";
    pub const PAUSE: &str = "/window/v1/pause";
    pub const RESUME: &str = "/window/v1/resume";
    pub const STATUS: &str = "/window/v1/status";
}

/// No request of the link comes near this.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// The port the link listens on unless the administrator chooses another.
pub const DEFAULT_PORT: u16 = 8790;

/// The staff member the window's system has identified signs in at the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub request_id: Uuid,
    pub employee_no: String,
}

/// A case done at the window: the kiosk asks the citizen to rate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateRequest {
    pub request_id: Uuid,
    pub case_no: String,
    #[serde(default)]
    pub ticket_no: Option<String>,
    #[serde(default)]
    pub matter: Option<String>,
}

/// Sign-out, pause and resume carry nothing but their id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plain {
    pub request_id: Uuid,
}

/// What the kiosk tells the window's system: who is signed in, whether the
/// window is paused, and the last case asked for and whether it was rated —
/// never how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowStatus {
    pub window_id: Option<String>,
    pub staff: Option<OnDuty>,
    pub paused: bool,
    pub last_case: Option<LastCase>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDuty {
    pub employee_no: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCase {
    pub case_no: String,
    pub rated: bool,
}

/// The longest ticket number and matter the kiosk keeps.
pub const MAX_TICKET_LEN: usize = 20;
pub const MAX_MATTER_LEN: usize = 80;
