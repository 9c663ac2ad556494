//! The audit log: every change made in the hall office or from the console,
//! every sign-in and failed sign-in, every reveal of a phone number.
//! Append-only in both backends (triggers refuse changes), readable by
//! supervisors. What is logged is an [`AuditAction`]: one name each, with its
//! words in the page's catalogue.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::{By, Services, Who};
use crate::error::{Error, Result};
use tiyan_storage::{AuditEntry, AuditFilter, AuditRow};

/// What an entry of the log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    SignIn,
    SignInFailed,
    SignInLocked,
    SignOut,
    AccountCreated,
    AccountChanged,
    PasswordReset,
    CodeIssued,
    DeviceRevoked,
    ReferenceImported,
    ReferenceChanged,
    CalendarImported,
    CalendarDaySet,
    HallLimitsSet,
    LedgerStep,
    LedgerLink,
    RevealPhone,
    AlertAcknowledged,
    MonthClosed,
    MethodSet,
    FigureSettingsSet,
    OfficerNominated,
    OfficerWithdrawn,
    RatingsExported,
    DiariesExported,
    ReportWritten,
    UpwardResent,
    PhonesErased,
    DatabaseRestored,
}

impl AuditAction {
    pub const ALL: [AuditAction; 29] = [
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignInLocked,
        AuditAction::SignOut,
        AuditAction::AccountCreated,
        AuditAction::AccountChanged,
        AuditAction::PasswordReset,
        AuditAction::CodeIssued,
        AuditAction::DeviceRevoked,
        AuditAction::ReferenceImported,
        AuditAction::ReferenceChanged,
        AuditAction::CalendarImported,
        AuditAction::CalendarDaySet,
        AuditAction::HallLimitsSet,
        AuditAction::LedgerStep,
        AuditAction::LedgerLink,
        AuditAction::RevealPhone,
        AuditAction::AlertAcknowledged,
        AuditAction::MonthClosed,
        AuditAction::MethodSet,
        AuditAction::FigureSettingsSet,
        AuditAction::OfficerNominated,
        AuditAction::OfficerWithdrawn,
        AuditAction::RatingsExported,
        AuditAction::DiariesExported,
        AuditAction::ReportWritten,
        AuditAction::UpwardResent,
        AuditAction::PhonesErased,
        AuditAction::DatabaseRestored,
    ];

    /// The name the log keeps (and the audit page filters on).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignInLocked => "sign_in_locked",
            AuditAction::SignOut => "sign_out",
            AuditAction::AccountCreated => "account_created",
            AuditAction::AccountChanged => "account_changed",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::CodeIssued => "code_issued",
            AuditAction::DeviceRevoked => "device_revoked",
            AuditAction::ReferenceImported => "reference_imported",
            AuditAction::ReferenceChanged => "reference_changed",
            AuditAction::CalendarImported => "calendar_imported",
            AuditAction::CalendarDaySet => "calendar_day_set",
            AuditAction::HallLimitsSet => "hall_limits_set",
            AuditAction::LedgerStep => "ledger_step",
            AuditAction::LedgerLink => "ledger_link",
            AuditAction::RevealPhone => "reveal_phone",
            AuditAction::AlertAcknowledged => "alert_acknowledged",
            AuditAction::MonthClosed => "month_closed",
            AuditAction::MethodSet => "method_set",
            AuditAction::FigureSettingsSet => "figure_settings_set",
            AuditAction::OfficerNominated => "officer_nominated",
            AuditAction::OfficerWithdrawn => "officer_withdrawn",
            AuditAction::RatingsExported => "ratings_exported",
            AuditAction::DiariesExported => "diaries_exported",
            AuditAction::ReportWritten => "report_written",
            AuditAction::UpwardResent => "upward_resent",
            AuditAction::PhonesErased => "phones_erased",
            AuditAction::DatabaseRestored => "database_restored",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The log, newest first, as far as `filter` says; supervisors only (to
/// anyone else it is no page at all).
pub async fn log(cx: &Services, who: &Who<'_>, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
    if !who.scope().reads_audit_log() {
        return Err(Error::NotFound("page".into()));
    }
    Ok(cx.store.audit_log(filter).await?)
}

/// Logs what `who` did.
pub async fn record(cx: &Services, who: &Who<'_>, action: AuditAction, target: &str, detail: &str) -> Result<()> {
    let entry = match who.by {
        By::Account { account, client } => {
            entry(Some(account.id), account.login.clone(), Some(client), action, target, detail, who.now)
        }
        By::Console => entry(None, "console".to_string(), None, action, target, detail, who.now),
    };
    Ok(cx.store.audit(&entry).await?)
}

/// Logs what the server did on its own (housekeeping), as "server".
pub async fn by_server(
    store: &dyn tiyan_storage::Storage,
    action: AuditAction,
    target: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    Ok(store.audit(&entry(None, "server".to_string(), None, action, target, detail, now)).await?)
}

/// Logs an attempt under a login that did not (yet) sign in.
pub async fn attempt(
    cx: &Services,
    login: &str,
    client: IpAddr,
    action: AuditAction,
    now: DateTime<Utc>,
) -> Result<()> {
    let actor = login.chars().take(64).collect();
    Ok(cx.store.audit(&entry(None, actor, Some(client), action, login, "", now)).await?)
}

fn entry(
    account_id: Option<uuid::Uuid>,
    actor: String,
    client: Option<IpAddr>,
    action: AuditAction,
    target: &str,
    detail: &str,
    at: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at,
        account_id,
        actor,
        // The console has no address: it is the server's own machine.
        client: client.map_or_else(|| "local".to_string(), |c| c.to_string()),
        action: action.as_str().to_string(),
        target: target.to_string(),
        detail: detail.chars().take(2000).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_name() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }
}
