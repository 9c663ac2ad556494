//! The hall office's accounts and what each role may do where. Least
//! privilege: an account sees the halls of its place only (one hall, a region
//! of the tree, or everything), and does there what its role does.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::region::Division;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A region's halls (or every hall): decides appeals, escalates, makes accounts.
    Supervisor,
    /// A hall's or a region's reference data, devices, accounts and figures.
    HallAdmin,
    /// One hall: its ledger.
    Clerk,
    /// A hall or a region: reads.
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
}

/// Where an account is placed: the whole server (a province's supervisor, the
/// console), a region of the tree (a city's or a county's bureau) or one hall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Everywhere,
    Region(Division),
    Hall(String),
}

impl Place {
    /// The place as a form's choice and the audit log write it: `*`,
    /// `region:330100`, `hall:jianghai`.
    pub fn key(&self) -> String {
        match self {
            Place::Everywhere => "*".into(),
            Place::Region(r) => format!("region:{r}"),
            Place::Hall(h) => format!("hall:{h}"),
        }
    }

    /// A [`Place::key`] read back; None for anything else.
    pub fn from_key(key: &str) -> Option<Place> {
        match key.trim().split_once(':') {
            None if key.trim() == "*" => Some(Place::Everywhere),
            Some(("region", code)) => Division::parse(code).ok().map(Place::Region),
            Some(("hall", h)) if !h.is_empty() => Some(Place::Hall(h.to_string())),
            _ => None,
        }
    }
}

impl Role {
    /// Where an account of this role may be placed: a supervisor over a
    /// region (or everything); an administrator or a viewer over a hall or a
    /// region; a clerk, who works the ledger at the counter, in one hall.
    pub fn may_be_at(self, place: &Place) -> bool {
        matches!(
            (self, place),
            (Role::Supervisor, Place::Everywhere | Place::Region(_))
                | (Role::HallAdmin | Role::Viewer, Place::Region(_) | Place::Hall(_))
                | (Role::Clerk, Place::Hall(_))
        )
    }
}

/// Who is signed in, as far as permissions care: the role, the place and the
/// halls the place holds (a region's, resolved from the halls' division codes
/// when the account is read, so a hall hung under a region later is seen at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub role: Role,
    pub place: Place,
    /// The halls of a region account (empty for the other places).
    pub region_halls: Arc<BTreeSet<String>>,
}

impl Scope {
    /// What the console may do: a supervisor's, everywhere.
    pub fn console() -> Scope {
        Scope { role: Role::Supervisor, place: Place::Everywhere, region_halls: Arc::default() }
    }

    /// The one hall of a hall's account.
    pub fn hall(&self) -> Option<&str> {
        match &self.place {
            Place::Hall(h) => Some(h),
            _ => None,
        }
    }

    /// The halls this account sees, for a query's filter (None: every hall).
    pub fn halls(&self) -> Option<Vec<String>> {
        match &self.place {
            Place::Everywhere => None,
            Place::Region(_) => Some(self.region_halls.iter().cloned().collect()),
            Place::Hall(h) => Some(vec![h.clone()]),
        }
    }

    /// Whether this account may see anything of `hall`.
    pub fn sees(&self, hall: &str) -> bool {
        match &self.place {
            Place::Everywhere => true,
            Place::Region(_) => self.region_halls.contains(hall),
            Place::Hall(h) => h == hall,
        }
    }

    /// Whether `place` lies within this account's own (a region within a
    /// region, a hall within its region).
    pub fn holds(&self, place: &Place) -> bool {
        match (&self.place, place) {
            (Place::Everywhere, _) => true,
            (Place::Region(mine), Place::Region(r)) => mine.contains(r),
            (_, Place::Hall(h)) => self.sees(h),
            _ => false,
        }
    }

    /// The supervisor of the whole server: what every hall shares (the
    /// method, the national calendar, the officers, the reasons) and the audit log.
    pub fn everywhere(&self) -> bool {
        self.role == Role::Supervisor && self.place == Place::Everywhere
    }

    /// Reference data, devices and enrolment codes of `hall`.
    pub fn administers(&self, hall: &str) -> bool {
        matches!(self.role, Role::Supervisor | Role::HallAdmin) && self.sees(hall)
    }

    /// May make or change an account of `role` at `place`: within their own
    /// place, a supervisor any role; a hall administrator any but a supervisor.
    pub fn manages_account(&self, role: Role, place: &Place) -> bool {
        let may = match self.role {
            Role::Supervisor => true,
            Role::HallAdmin => role != Role::Supervisor,
            _ => false,
        };
        may && role.may_be_at(place) && self.holds(place)
    }

    /// Handles the ledger items of `hall` (and sees a consented phone number in full).
    pub fn handles_ledger(&self, hall: &str) -> bool {
        self.role == Role::Clerk && self.sees(hall)
    }

    /// Decides appeals and escalates for the halls it sees; a supervisor.
    pub fn supervises(&self, hall: &str) -> bool {
        self.role == Role::Supervisor && self.sees(hall)
    }

    pub fn reads_audit_log(&self) -> bool {
        self.everywhere()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hall(h: &str) -> Place {
        Place::Hall(h.into())
    }

    fn region(code: &str) -> Place {
        Place::Region(Division::parse(code).unwrap_or_else(|e| panic!("{e}")))
    }

    fn scope(role: Role, place: Place, halls: &[&str]) -> Scope {
        Scope { role, place, region_halls: Arc::new(halls.iter().map(|h| h.to_string()).collect()) }
    }

    #[test]
    fn each_role_sees_and_does_what_it_must_and_no_more() {
        let supervisor = Scope::console();
        let admin = scope(Role::HallAdmin, hall("h1"), &[]);
        let clerk = scope(Role::Clerk, hall("h1"), &[]);
        let viewer = scope(Role::Viewer, hall("h1"), &[]);
        assert!(supervisor.sees("h2") && admin.sees("h1") && !admin.sees("h2") && !clerk.sees("h2"));
        assert!(supervisor.administers("h2") && admin.administers("h1"));
        assert!(!admin.administers("h2") && !clerk.administers("h1") && !viewer.administers("h1"));
        assert!(supervisor.manages_account(Role::Supervisor, &Place::Everywhere));
        assert!(supervisor.manages_account(Role::Clerk, &hall("h2")));
        assert!(!supervisor.manages_account(Role::Clerk, &Place::Everywhere), "a clerk belongs to a hall");
        assert!(!supervisor.manages_account(Role::Clerk, &region("330100")), "a clerk belongs to a hall");
        assert!(admin.manages_account(Role::Clerk, &hall("h1")) && admin.manages_account(Role::HallAdmin, &hall("h1")));
        assert!(!admin.manages_account(Role::Supervisor, &Place::Everywhere));
        assert!(!admin.manages_account(Role::Clerk, &hall("h2")));
        assert!(!clerk.manages_account(Role::Viewer, &hall("h1")));
        assert!(clerk.handles_ledger("h1") && !clerk.handles_ledger("h2") && !supervisor.handles_ledger("h1"));
        assert!(!viewer.handles_ledger("h1") && !admin.handles_ledger("h1"));
        assert!(supervisor.reads_audit_log() && !admin.reads_audit_log());
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for p in [Place::Everywhere, region("330106"), hall("h1")] {
            assert_eq!(Place::from_key(&p.key()), Some(p));
        }
        for bad in ["", "hall:", "region:3301", "city:330100", "h1"] {
            assert_eq!(Place::from_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_region_account_reaches_its_subtree_and_nothing_beside_it() {
        // Hangzhou's supervisor, with two halls below; Xihu's administrator, with one.
        let city = scope(Role::Supervisor, region("330100"), &["xihu", "shangcheng"]);
        let county = scope(Role::HallAdmin, region("330106"), &["xihu"]);
        assert!(city.sees("xihu") && city.sees("shangcheng") && !city.sees("ningbo"));
        assert!(city.supervises("xihu") && !county.supervises("xihu") && !city.supervises("ningbo"));
        assert!(county.administers("xihu") && !county.administers("shangcheng"));
        assert_eq!(city.halls().map(|h| h.len()), Some(2));
        assert!(!city.everywhere() && !city.reads_audit_log(), "the audit log is the whole server's");
        // Accounts below, never above or beside.
        assert!(city.manages_account(Role::HallAdmin, &region("330106")));
        assert!(city.manages_account(Role::Supervisor, &region("330100")));
        assert!(!city.manages_account(Role::Supervisor, &region("330000")));
        assert!(!city.manages_account(Role::Supervisor, &Place::Everywhere));
        assert!(!city.manages_account(Role::Viewer, &region("330200")));
        assert!(
            city.manages_account(Role::Clerk, &hall("shangcheng"))
                && !city.manages_account(Role::Clerk, &hall("ningbo"))
        );
        assert!(
            county.manages_account(Role::Clerk, &hall("xihu"))
                && county.manages_account(Role::Viewer, &region("330106"))
        );
        assert!(!county.manages_account(Role::Supervisor, &region("330106")), "an administrator makes no supervisor");
        assert!(!county.manages_account(Role::HallAdmin, &region("330100")));
        assert!(!county.manages_account(Role::Clerk, &hall("shangcheng")));
    }
}
