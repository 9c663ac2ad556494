//! The one list of error codes a person may be shown: those the server answers
//! with, those the device's storage and rules raise, and those the desktop shell
//! adds. Screens are keyed by these codes (the app's catalogue in
//! `ui/src/lib/messages.ts`, which the TypeScript compiler and a UI test hold to
//! this list through the generated `ui/src/lib/bindings.ts`), so a code cannot be
//! invented in one place and left without words in another.

use serde::{Deserialize, Serialize};

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
            /// A code this build does not know (from a newer server): the screen
            /// says "the operation failed" rather than the device rejecting the answer.
            #[serde(rename = "unknown", other)]
            Unknown,
        }

        impl ErrorCode {
            /// Every code, in the order of the list.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)* ErrorCode::Unknown];

            /// The code as it travels and as the catalogues key it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown => "unknown",
                }
            }
        }
    };
}

error_codes! {
    // ---- The server's answers to a device (the sync protocol) ----
    /// No or unreadable credentials, or a wrong secret.
    Unauthenticated = "unauthenticated",
    /// The device was revoked by the administrator.
    DeviceRevoked = "device_revoked",
    /// The device speaks another protocol version.
    IncompatibleProtocol = "incompatible_protocol",
    /// The enrolment code is unknown, used or expired.
    InvalidCode = "invalid_code",
    /// The request is not what the protocol describes.
    Malformed = "malformed",
    TooLarge = "too_large",
    /// A record with this id (or sequence number) exists with other content.
    Conflict = "conflict",
    /// An upload would leave a hole in the device's sequence.
    Gap = "gap",
    /// The device may not do this (e.g. upload another device's records).
    Forbidden = "forbidden",
    /// This request id was already used.
    Replayed = "replayed",
    /// The enrolment code is for another kind of device than the one enrolling.
    WrongRole = "wrong_role",
    /// An officer's password did not match.
    WrongPassword = "wrong_password",
    /// Too many wrong passwords: wait (the message says until when).
    Locked = "locked",
    /// The officer's appointment period does not include today.
    NotAppointed = "not_appointed",
    /// A record of the upload breaks the rules for this device (the message
    /// names the record and the reason); nothing of the page was stored.
    Rejected = "rejected",
    NotFound = "not_found",
    /// The server cannot reach its database just now.
    Unavailable = "unavailable",
    /// The server failed inside (the device retries later).
    Internal = "internal",

    // ---- The device talking to the server ----
    /// No answer: the network is down or the server is not running.
    Unreachable = "unreachable",
    /// An answer that is not the protocol's envelope (a captive portal, say).
    NotAnEnvelope = "not_an_envelope",
    /// The server's answers contradict each other.
    Inconsistent = "inconsistent",
    NotEnrolled = "not_enrolled",
    /// The server address is not an http(s) URL.
    InvalidServer = "invalid_server",

    // ---- The device's own rules and storage ----
    NotSetUp = "not_set_up",
    NoReferenceData = "no_reference_data",
    /// Nobody is on duty at the kiosk's window.
    WindowClosed = "window_closed",
    CaseAlreadyRated = "case_already_rated",
    InvalidCaseNo = "invalid_case_no",
    ReasonRequired = "reason_required",
    PhoneWithoutConsent = "phone_without_consent",
    InvalidPhone = "invalid_phone",
    CommentTooLong = "comment_too_long",
    InvalidRating = "invalid_rating",
    PinFormat = "pin_format",
    PinTrivial = "pin_trivial",
    WrongPin = "wrong_pin",
    PinLocked = "pin_locked",
    PinWait = "pin_wait",
    AdminPinAlreadySet = "admin_pin_already_set",
    /// The administrator's unlock has expired.
    AdminLocked = "admin_locked",
    UnknownStaff = "unknown_staff",
    StaffOtherHall = "staff_other_hall",
    UnknownWindow = "unknown_window",
    InvalidReference = "invalid_reference",
    ReferenceOlder = "reference_older",
    InvalidSettings = "invalid_settings",
    DiskFull = "disk_full",
    SchemaTooNew = "schema_too_new",
    /// A file could not be read or written.
    Io = "io",
    /// The database failed (logged in full; the screen says whom to call).
    Storage = "storage",
    UnknownEntry = "unknown_entry",
    UnknownPhoto = "unknown_photo",
    PhotoRefused = "photo_refused",
    DiaryIncomplete = "diary_incomplete",
    OfficerNeedsServer = "officer_needs_server",
    OfficerNotAppointed = "officer_not_appointed",
    NotOfficerDevice = "not_officer_device",
    NothingToAnswer = "nothing_to_answer",

    // ---- The window link (the hall's queue and case system driving the kiosk) ----
    /// No bearer token, or not the kiosk's.
    LinkUnauthorized = "link_unauthorized",
    /// The request came from an address the administrator did not allow.
    LinkSourceRefused = "link_source_refused",
    /// The kiosk is being set up or its administrator screen is open: it takes
    /// no request from the window until it is back at the window.
    LinkBusy = "link_busy",
    /// The window is paused: no rating until it is resumed.
    WindowPaused = "window_paused",
    /// The hall is closed and its kiosks sleep: a rating needs a case the window opened.
    HallClosed = "hall_closed",
    /// This request id came before with another request.
    RequestReused = "request_reused",

    // ---- The desktop shell ----
    OfficerSignedOut = "officer_signed_out",
    /// A window could not be opened or switched.
    WindowFailed = "window_failed",
}

impl ErrorCode {
    /// Errors a device must not retry on its own: they need a person.
    pub fn needs_a_person(self) -> bool {
        matches!(
            self,
            ErrorCode::Unauthenticated
                | ErrorCode::DeviceRevoked
                | ErrorCode::IncompatibleProtocol
                | ErrorCode::Conflict
                | ErrorCode::Forbidden
                | ErrorCode::InvalidCode
                | ErrorCode::WrongRole
                | ErrorCode::Rejected
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_travel_as_written() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn a_newer_servers_code_is_read_as_unknown() {
        assert_eq!(serde_json::from_str::<ErrorCode>("\"quota_exceeded\"").unwrap(), ErrorCode::Unknown);
    }
}
