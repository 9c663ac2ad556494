//! Tiyan's domain: the five evaluation levels, what makes a rating valid, the
//! one-rating-per-service rule, masking for privacy, PIN lock-out, reference data.
//!
//! Nothing here touches a file, a socket or a clock: callers pass the time in,
//! so every rule is tested in microseconds.

pub mod accounts;
pub mod assessment;
pub mod case_no;
pub mod cell;
pub mod diary;
pub mod enrolment;
pub mod error_code;
pub mod intake;
pub mod ledger;
pub mod level;
pub mod mask;
pub mod pin;
pub mod protocol;
pub mod rating;
pub mod reference;
pub mod region;
pub mod settings;
pub mod sync;
pub mod text;
pub mod upward;
pub mod window;
pub mod workdays;

pub use level::Level;
pub use text::{Language, Text};
