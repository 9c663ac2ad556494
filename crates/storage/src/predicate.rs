//! What SQL must filter on, spelt once, from `tiyan_core`'s own predicates: a
//! backend never writes "open" or "bad" out again, it takes the fragment from
//! here, so a rule changed in core changes every query of both backends.

use std::sync::LazyLock;

use tiyan_core::Level;
use tiyan_core::ledger::{LedgerState, Outcome};

fn states(keep: impl Fn(LedgerState) -> bool) -> String {
    let names: Vec<String> =
        LedgerState::ALL.into_iter().filter(|s| keep(*s)).map(|s| format!("'{}'", s.as_str())).collect();
    names.join(", ")
}

fn levels(keep: impl Fn(Level) -> bool) -> String {
    let values: Vec<String> = Level::ALL.into_iter().filter(|l| keep(*l)).map(|l| l.value().to_string()).collect();
    values.join(", ")
}

static OPEN: LazyLock<String> = LazyLock::new(|| states(LedgerState::is_open));
static DEALT_WITH: LazyLock<String> = LazyLock::new(|| states(LedgerState::is_dealt_with));
static RECTIFIED: LazyLock<String> = LazyLock::new(|| {
    let names: Vec<String> =
        Outcome::ALL.into_iter().filter(|o| o.is_rectification()).map(|o| format!("'{}'", o.as_str())).collect();
    names.join(", ")
});
static BAD: LazyLock<String> = LazyLock::new(|| levels(Level::is_bad));

/// The item whose state is in `column` still needs someone's work ([`LedgerState::is_open`]).
pub fn open(column: &str) -> String {
    format!("{column} IN ({})", *OPEN)
}

/// The item was dealt with, whatever came after ([`LedgerState::is_dealt_with`]).
pub fn dealt_with(column: &str) -> String {
    format!("{column} IN ({})", *DEALT_WITH)
}

/// The item's outcome (in `column`) put something right ([`Outcome::is_rectification`]).
pub fn rectified(column: &str) -> String {
    format!("{column} IN ({})", *RECTIFIED)
}

/// A bad review: either dimension at a bad level ([`Level::is_bad`]); `r` is
/// the ratings table's name in the query (`r.`, or empty).
pub fn bad(r: &str) -> String {
    format!("({r}attitude IN ({bad}) OR {r}competence IN ({bad}))", bad = *BAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fragments_say_what_core_says() {
        assert_eq!(
            open("l.state"),
            "l.state IN ('registered', 'verified', 'rectifying', 'appealed', 'rectified', 'explained', 'replied')"
        );
        assert_eq!(dealt_with("state"), "state IN ('rectified', 'explained', 'replied', 'closed')");
        assert_eq!(rectified("outcome"), "outcome IN ('fixed', 'rectified')");
        assert_eq!(bad("r."), "(r.attitude IN (2, 1) OR r.competence IN (2, 1))");
    }
}
