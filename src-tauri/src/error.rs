//! Errors as they cross to the web side: a stable `code` the UI's catalogue is
//! keyed by, the English text for logs, and the details a PIN prompt needs.

use serde::Serialize;
use tiyan_client::Error;
use tiyan_core::error_code::ErrorCode;

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
    /// For PIN errors: when the next attempt is allowed (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retry_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub failures: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub locked: bool,
    /// For an incomplete diary entry: what is missing, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<tiyan_core::diary::DiaryIssue>>", optional)]
    pub issues: Vec<tiyan_core::diary::DiaryIssue>,
}

impl CommandError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        CommandError {
            code,
            message: message.into(),
            retry_at: None,
            failures: None,
            locked: false,
            issues: Vec::new(),
        }
    }
}

impl From<Error> for CommandError {
    fn from(e: Error) -> Self {
        let mut out = CommandError::new(e.code(), e.to_string());
        match &e {
            Error::WrongPin { failures, retry_at, locked } => {
                out.failures = Some(*failures);
                out.retry_at = retry_at.map(|t| t.to_rfc3339());
                out.locked = *locked;
            }
            Error::PinWait { until } => out.retry_at = Some(until.to_rfc3339()),
            Error::DiaryIncomplete(issues) => out.issues = issues.clone(),
            Error::PinLocked { until } => {
                out.retry_at = Some(until.to_rfc3339());
                out.locked = true;
            }
            // Storage trouble is logged in full here; the screen gets the code.
            Error::Db(_) | Error::Migration(_) | Error::Corrupt(_) | Error::Io { .. } | Error::DiskFull => {
                tracing::error!(error = %e, "command failed");
            }
            _ => {}
        }
        out
    }
}
