//! The hall office's accounts and what each role may do. Least privilege: a
//! role of one hall sees that hall only; a supervisor sees every hall.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Every hall: decides appeals, escalates, makes accounts, reads the audit log.
    Supervisor,
    /// One hall: its reference data, devices, accounts and figures.
    HallAdmin,
    /// One hall: its ledger.
    Clerk,
    /// One hall: reads.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Supervisor, Role::HallAdmin, Role::Clerk, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Supervisor => "supervisor",
            Role::HallAdmin => "hall_admin",
            Role::Clerk => "clerk",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A supervisor belongs to no hall; every other role to exactly one.
    pub fn has_hall(self) -> bool {
        self != Role::Supervisor
    }
}

/// Who is signed in, as far as permissions care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub role: Role,
    /// None for a supervisor.
    pub hall_id: Option<String>,
}

impl Scope {
    /// Whether this account may see anything of `hall`.
    pub fn sees(&self, hall: &str) -> bool {
        match self.role {
            Role::Supervisor => true,
            _ => self.hall_id.as_deref() == Some(hall),
        }
    }

    /// Reference data, devices and enrolment codes of `hall`.
    pub fn administers(&self, hall: &str) -> bool {
        matches!(self.role, Role::Supervisor | Role::HallAdmin) && self.sees(hall)
    }

    /// May make or change an account of `role` at `hall` (None: a supervisor's).
    /// A hall administrator makes the accounts of their own hall, never a
    /// supervisor's; a supervisor makes any.
    pub fn manages_account(&self, role: Role, hall: Option<&str>) -> bool {
        match self.role {
            Role::Supervisor => role.has_hall() == hall.is_some(),
            Role::HallAdmin => role.has_hall() && hall.is_some_and(|h| self.sees(h)),
            _ => false,
        }
    }

    /// Handles the ledger items of `hall` (and sees a consented phone number in full).
    pub fn handles_ledger(&self, hall: &str) -> bool {
        self.role == Role::Clerk && self.sees(hall)
    }

    pub fn reads_audit_log(&self) -> bool {
        self.role == Role::Supervisor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(role: Role, hall: Option<&str>) -> Scope {
        Scope { role, hall_id: hall.map(str::to_string) }
    }

    #[test]
    fn each_role_sees_and_does_what_it_must_and_no_more() {
        let supervisor = scope(Role::Supervisor, None);
        let admin = scope(Role::HallAdmin, Some("h1"));
        let clerk = scope(Role::Clerk, Some("h1"));
        let viewer = scope(Role::Viewer, Some("h1"));
        assert!(supervisor.sees("h2") && admin.sees("h1") && !admin.sees("h2") && !clerk.sees("h2"));
        assert!(supervisor.administers("h2") && admin.administers("h1"));
        assert!(!admin.administers("h2") && !clerk.administers("h1") && !viewer.administers("h1"));
        assert!(supervisor.manages_account(Role::Supervisor, None));
        assert!(supervisor.manages_account(Role::Clerk, Some("h2")));
        assert!(!supervisor.manages_account(Role::Clerk, None), "a clerk belongs to a hall");
        assert!(admin.manages_account(Role::Clerk, Some("h1")) && admin.manages_account(Role::HallAdmin, Some("h1")));
        assert!(!admin.manages_account(Role::Supervisor, None) && !admin.manages_account(Role::Clerk, Some("h2")));
        assert!(!clerk.manages_account(Role::Viewer, Some("h1")));
        assert!(clerk.handles_ledger("h1") && !clerk.handles_ledger("h2") && !supervisor.handles_ledger("h1"));
        assert!(!viewer.handles_ledger("h1") && !admin.handles_ledger("h1"));
        assert!(supervisor.reads_audit_log() && !admin.reads_audit_log());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
