// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs): do not edit.
// `TIYAN_BLESS=1 cargo test -p tiyan-app --test bindings` rewrites it; the test fails when it is stale.

/**
 * The administrator's view, behind the PIN.
 */
export type AdminOverview = { counts: RatingCounts, settings: KioskSettings, on_duty: StaffCard | null, 
/**
 * Which of `settings` the centre set (shown as such, not editable here).
 */
from_centre: FromCentre, centre: CentreSettings | null, window: WindowInfo | null, windows: Array<WindowInfo>, device_id: string, data_dir: string, export_dir: string, reference_version: number | null, };

/**
 * What a kiosk receives from the centre with its hall's reference data.
 */
export type CentreSettings = { opens: string, closes: string, 
/**
 * The lunch break (午休), inside the opening hours; `None` for a hall open through lunch.
 */
lunch: Span | null, 
/**
 * Outside the opening hours (and over lunch) the kiosk shows a dimmed
 * "closed" screen and takes no rating of its own accord.
 */
sleep_when_closed: boolean, idle_seconds: number | null, interval_seconds: number | null, 
/**
 * The languages the kiosk offers. It starts in the one its administrator
 * chose if offered, else in the first.
 */
languages: Array<Language> | null, };

/**
 * How the officer went through the matter.
 */
export type Channel = "window" | "website" | "mobile_app" | "self_service" | "phone";

/**
 * What officers look at, each marked on every entry.
 */
export type CheckItem = "window_signs" | "process" | "cleanliness" | "discipline" | "online_smoothness" | "guide_completeness";

export type CheckMark = "good" | "fair" | "poor" | "not_seen";

export type CommandError = { code: ErrorCode, message: string, 
/**
 * For PIN errors: when the next attempt is allowed (RFC 3339).
 */
retry_at?: string, failures?: number, locked?: boolean, 
/**
 * For an incomplete diary entry: what is missing, by name.
 */
issues?: Array<DiaryIssue>, };

export type DeviceRole = "kiosk" | "officer";

/**
 * Everything the officer writes: a draft holds it as typed, a revision as submitted.
 */
export type DiaryBody = { visited_at: string | null, hall_id: string | null, 
/**
 * The place in words when the hall is not in the reference data.
 */
place: string, 
/**
 * A matter of the quarter's experience list, or typed in `matter_text`.
 */
matter_id: string | null, matter_text: string, channel: Channel | null, mode: Mode | null, timers: Timers, minutes: Minutes, 
/**
 * Trips this matter has taken so far, this one included.
 */
trips: number | null, score: number | null, account: string, highlights: string, problems: Array<Problem>, suggestions: Array<string>, checklist: { [key in CheckItem]?: CheckMark }, photos: Array<PhotoRef>, };

export type DiaryChoices = { halls: Array<Hall>, matters: Array<Matter>, };

/**
 * What keeps an entry from being submitted, one per field, for the editor to show.
 */
export type DiaryIssue = "visited_at" | "place" | "matter" | "channel" | "mode" | "score" | "account" | "timer_order" | "minutes_exceed_total" | "trips" | "empty_item" | "too_long";

/**
 * A submitted version of an entry: append-only. Editing a submitted entry
 * makes revision n + 1, which supersedes revision n; both stay.
 */
export type DiaryRevision = { 
/**
 * This revision's own id (UUIDv7).
 */
id: string, entry_id: string, 
/**
 * 1 for the first submission.
 */
revision: number, 
/**
 * The device's sequence number for diary revisions: what sync uses.
 */
seq: number, device_id: string, officer_id: string, submitted_at: string, body: DiaryBody, };

export type Draft = { entry_id: string, officer_id: string, 
/**
 * The submitted revision this draft edits; 0 for an entry never submitted.
 */
base_revision: number, body: DiaryBody, updated_at: string, };

export type Enrolment = { state: EnrolmentState, server_url: string | null, hall_id: string | null, window_id: string | null, };

export type EnrolmentState = "not_enrolled" | "enrolled" | "revoked";

export type EntryDetail = { entry_id: string, draft: Draft | null, 
/**
 * Every submitted revision, oldest first.
 */
history: Array<DiaryRevision>, ledger: Array<ProblemLedger>, };

/**
 * An entry in the list, with the ledger's word on its problems.
 */
export type EntryRow = { ledger: Array<ProblemLedger>, entry_id: string, draft: Draft | null, latest: DiaryRevision | null, 
/**
 * Of the latest revision: has the server acknowledged it?
 */
synced: boolean, };

export type ErrorCode = "unauthenticated" | "device_revoked" | "incompatible_protocol" | "invalid_code" | "malformed" | "too_large" | "conflict" | "gap" | "forbidden" | "replayed" | "wrong_role" | "wrong_password" | "locked" | "not_appointed" | "rejected" | "not_found" | "unavailable" | "internal" | "unreachable" | "not_an_envelope" | "inconsistent" | "not_enrolled" | "invalid_server" | "not_set_up" | "no_reference_data" | "window_closed" | "case_already_rated" | "invalid_case_no" | "reason_required" | "phone_without_consent" | "invalid_phone" | "comment_too_long" | "invalid_rating" | "pin_format" | "pin_trivial" | "wrong_pin" | "pin_locked" | "pin_wait" | "admin_pin_already_set" | "admin_locked" | "unknown_staff" | "staff_other_hall" | "unknown_window" | "invalid_reference" | "reference_older" | "invalid_settings" | "disk_full" | "schema_too_new" | "io" | "storage" | "unknown_entry" | "unknown_photo" | "photo_refused" | "diary_incomplete" | "officer_needs_server" | "officer_not_appointed" | "not_officer_device" | "nothing_to_answer" | "link_unauthorized" | "link_source_refused" | "link_busy" | "window_paused" | "hall_closed" | "request_reused" | "officer_signed_out" | "window_failed" | "unknown";

export type ExportSummary = { path: string, count: number, };

/**
 * Which of a kiosk's settings the centre set (the admin screen shows them as such and locks them).
 */
export type FromCentre = { idle_seconds: boolean, interval_seconds: boolean, languages: boolean, hours: boolean, };

export type Hall = { id: string, name: Text, };

export type ImportSummary = { version: number, halls: number, windows: number, staff: number, reasons: number, 
/**
 * The same version was already imported; nothing changed.
 */
unchanged: boolean, };

export type KioskSettings = { 
/**
 * A half-finished rating is discarded after this many idle seconds.
 */
idle_seconds: number, 
/**
 * Without a case number, a rating within this many seconds of the previous one
 * is flagged as possible misuse.
 */
interval_seconds: number, 
/**
 * The language the welcome screen starts in.
 */
language: Language, 
/**
 * Whether the kiosk says "please rate this service" when the window asks
 * for a rating, and thanks after it. Off unless the hall wants it (a quiet
 * hall, a kiosk beside the next one); settings kept before it existed read as off.
 */
spoken_prompts: boolean, };

/**
 * Everything a screen needs to decide what to show.
 */
export type KioskStatus = { reference_version: number | null, admin_pin_set: boolean, window: WindowInfo | null, 
/**
 * Reference data imported, administrator PIN set, window bound.
 */
set_up: boolean, on_duty: StaffCard | null, 
/**
 * The settings the kiosk works by (its own, with the centre's over them).
 */
settings: KioskSettings, 
/**
 * The languages offered.
 */
languages: Array<Language>, 
/**
 * The hall is closed and asked its kiosks to sleep: the dimmed screen shows.
 */
asleep: boolean, 
/**
 * The hall's opening hours, when the centre sent them.
 */
centre: CentreSettings | null, 
/**
 * The case number the staff side entered for the next rating.
 */
case_no: string | null, reasons: Array<ReasonInfo>, 
/**
 * Kiosk or officer laptop, once chosen at setup or given by an enrolment.
 */
role: DeviceRole | null, 
/**
 * The window's system paused the window: no rating until it resumes.
 */
paused: boolean, };

/**
 * The languages of the interface: Simplified Chinese first, English second.
 */
export type Language = "zh-CN" | "en";

export type LastError = { code: ErrorCode, message: string, at: string, };

export type LedgerState = "registered" | "verified" | "rectifying" | "appealed" | "rectified" | "explained" | "replied" | "closed" | "excluded";

/**
 * The link on the admin screen: as set, where it listens, and why not.
 */
export type LinkAdmin = { settings: LinkSettings, listening: string | null, error: string | null, };

/**
 * What the screen is told when the window's system asked something of the kiosk.
 */
export type LinkEvent = { "kind": "staff" } | { "kind": "rate", case_no: string, } | { "kind": "paused" } | { "kind": "resumed" };

/**
 * The events after the number the screen sent, and the number to send next.
 */
export type LinkNews = { seq: number, events: Array<LinkEvent>, };

/**
 * The link's settings as the administrator leaves them. Off until turned on;
 * on loopback unless another address is chosen; only the addresses listed
 * may speak to it: this PC's own (loopback) until the administrator lists the
 * window system's address instead or as well.
 */
export type LinkSettings = { enabled: boolean, listen: string, allowed: Array<string>, 
/**
 * Whether a token was made (the token itself is shown once and not kept).
 */
has_token: boolean, };

export type LogTail = { 
/**
 * The folder the files are in.
 */
dir: string, 
/**
 * The newest lines, oldest first.
 */
lines: Array<string>, 
/**
 * Folders where a USB stick is mounted, to save the log to.
 */
removable: Array<string>, };

/**
 * A high-frequency service matter on the quarter's experience list.
 */
export type Matter = { id: string, name: Text, 
/**
 * One of the list's six categories, e.g. 企业开办 / Starting a business.
 */
category: Text, 
/**
 * The quarter the list is for, e.g. "2026Q4".
 */
quarter: string | null, };

/**
 * Minutes waited, at the window, and in all. They follow from the timers but
 * stay editable: an officer who forgot to tap writes what the clock said.
 */
export type Minutes = { waiting: number | null, handling: number | null, total: number | null, };

/**
 * In what capacity.
 */
export type Mode = "on_my_own" | "organised" | "unannounced" | "accompanying";

/**
 * An officer as the screens show them: the name masked, as in anything published.
 */
export type OfficerCard = { id: string, masked_name: string, gender: string | null, age: number | null, occupation: string | null, appointed_to: string, };

export type OfficerStatus = { officer: OfficerCard | null, 
/**
 * Officers who signed in here before: offered on the sign-in screen.
 */
known: Array<OfficerCard>, enrolled: boolean, };

/**
 * A photo's thumbnail and size, for the editor.
 */
export type PhotoInfo = { sha256: string, width: number, height: number, bytes: number, };

/**
 * A photo of the entry, by the SHA-256 of its processed JPEG.
 */
export type PhotoRef = { sha256: string, caption: string, };

/**
 * Where a PIN prompt stands after some failed attempts.
 */
export type PinGate = { "state": "open" } | { "state": "wait", until: string, } | { "state": "locked", until: string, };

/**
 * A problem (挑刺): one item, one category. Its id is the ledger item's id on the server.
 */
export type Problem = { id: string, category: ProblemCategory, text: string, };

export type ProblemCategory = "window_signs" | "process" | "environment" | "discipline" | "online" | "guide" | "other";

/**
 * One problem as the officer sees it: the ledger's state and reply, and
 * their own answer if they gave one since the ledger last changed.
 */
export type ProblemLedger = { problem_id: string, state: LedgerState, reply: string | null, 
/**
 * The answer the ledger holds.
 */
satisfaction: Satisfaction | null, 
/**
 * An answer given here since the ledger last changed (on its way, or just arrived).
 */
answered: Satisfaction | null, };

/**
 * The two things the kiosk may say.
 */
export type Prompt = "rate" | "thanks";

export type RatingCounts = { total: number, 
/**
 * Not yet acknowledged by a server.
 */
unsent: number, bad: number, misuse: number, };

/**
 * What the kiosk screen sends when the citizen presses submit.
 */
export type RatingInput = { 
/**
 * Made by the screen when the rating session starts; a second submit of the
 * same session (a double tap, a retried call) records nothing new.
 */
session_id: string, attitude: number, competence: number, reasons: Array<string>, comment: string | null, phone: string | null, phone_consent: boolean, };

/**
 * What the screen learns once a rating is on disk.
 */
export type RatingReceipt = { id: string, seq: number, };

export type ReasonInfo = { code: string, label: Text, };

/**
 * What the citizen or officer thinks of the rectification.
 */
export type Satisfaction = "satisfied" | "basically_satisfied" | "dissatisfied";

export type SetupDefaults = { 
/**
 * The reference-data file given on the command line, to prefill the import field.
 */
reference_path: string | null, windows: Array<WindowInfo>, };

/**
 * A span of the day, in the hall's time: `from` inclusive, `to` exclusive.
 */
export type Span = { from: string, to: string, };

/**
 * What the citizen sees of the person who served them.
 */
export type StaffCard = { staff_id: string, employee_no: string, name: string, department: Text | null, 
/**
 * The thumbnail as a `data:image/jpeg;base64,…` URL, ready for an <img>.
 */
photo: string | null, window: WindowInfo, };

/**
 * What the admin screen shows about sync.
 */
export type SyncStatus = { enrolment: Enrolment, 
/**
 * Records not yet acknowledged by the server.
 */
waiting: number, last_success: string | null, last_error: LastError | null, next_attempt: string | null, syncing: boolean, 
/**
 * Stopped on an error that needs a person; "sync now" resumes.
 */
waiting_for_person: boolean, };

/**
 * A label in both interface languages. English falls back to Chinese when a
 * reference-data file leaves it empty, so a screen is never blank.
 */
export type Text = { zh: string, en: string, };

/**
 * The moments the officer tapped: took a ticket, called to the window, done.
 */
export type Timers = { ticket_at: string | null, called_at: string | null, done_at: string | null, };

export type WindowInfo = { id: string, hall_id: string, hall_name: Text, number: string, name: Text, };

/** Every command of the app, as `command_list.rs` lists them. */
export const COMMANDS = [
  'kiosk_status',
  'setup_defaults',
  'setup_import_reference',
  'setup_set_admin_pin',
  'setup_bind_window',
  'setup_choose_role',
  'staff_sign_in',
  'staff_sign_out',
  'staff_set_case_no',
  'staff_clear_case_no',
  'submit_rating',
  'admin_gate',
  'admin_unlock',
  'admin_lock',
  'admin_overview',
  'admin_update_settings',
  'admin_sign_out_staff',
  'admin_export_csv',
  'admin_change_pin',
  'admin_log',
  'admin_save_log',
  'admin_exit',
  'window_link_events',
  'prompt_sound',
  'admin_link',
  'admin_set_link',
  'admin_new_link_token',
  'sync_status',
  'sync_now',
  'sync_enroll',
  'officer_status',
  'officer_sign_in',
  'officer_sign_out',
  'officer_sync',
  'diary_choices',
  'diary_list',
  'diary_new',
  'diary_open',
  'diary_save',
  'diary_delete_draft',
  'diary_edit',
  'diary_submit',
  'diary_answer',
  'diary_add_photo',
  'diary_photo',
  'diary_export',
] as const;
export type Command = (typeof COMMANDS)[number];

/** Every error code a screen must have words for (tiyan_core::error_code). */
export const ERROR_CODES = [
  'unauthenticated',
  'device_revoked',
  'incompatible_protocol',
  'invalid_code',
  'malformed',
  'too_large',
  'conflict',
  'gap',
  'forbidden',
  'replayed',
  'wrong_role',
  'wrong_password',
  'locked',
  'not_appointed',
  'rejected',
  'not_found',
  'unavailable',
  'internal',
  'unreachable',
  'not_an_envelope',
  'inconsistent',
  'not_enrolled',
  'invalid_server',
  'not_set_up',
  'no_reference_data',
  'window_closed',
  'case_already_rated',
  'invalid_case_no',
  'reason_required',
  'phone_without_consent',
  'invalid_phone',
  'comment_too_long',
  'invalid_rating',
  'pin_format',
  'pin_trivial',
  'wrong_pin',
  'pin_locked',
  'pin_wait',
  'admin_pin_already_set',
  'admin_locked',
  'unknown_staff',
  'staff_other_hall',
  'unknown_window',
  'invalid_reference',
  'reference_older',
  'invalid_settings',
  'disk_full',
  'schema_too_new',
  'io',
  'storage',
  'unknown_entry',
  'unknown_photo',
  'photo_refused',
  'diary_incomplete',
  'officer_needs_server',
  'officer_not_appointed',
  'not_officer_device',
  'nothing_to_answer',
  'link_unauthorized',
  'link_source_refused',
  'link_busy',
  'window_paused',
  'hall_closed',
  'request_reused',
  'officer_signed_out',
  'window_failed',
  'unknown',
] as const;
