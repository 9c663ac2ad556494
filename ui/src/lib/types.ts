// The shapes the backend answers with (they mirror the Rust types' serde form).
import type { Lang, Text } from './i18n.svelte';

export type WindowInfo = { id: string; hall_id: string; hall_name: Text; number: string; name: Text };
export type StaffCard = {
  staff_id: string;
  employee_no: string;
  name: string;
  department: Text | null;
  photo: string | null;
  window: WindowInfo;
};
export type Reason = { code: string; label: Text };
export type Settings = { idle_seconds: number; interval_seconds: number; language: Lang };
export type KioskStatus = {
  reference_version: number | null;
  admin_pin_set: boolean;
  window: WindowInfo | null;
  set_up: boolean;
  on_duty: StaffCard | null;
  settings: Settings;
  case_no: string | null;
  reasons: Reason[];
  role: 'kiosk' | 'officer' | null;
};
export type SetupDefaults = { reference_path: string | null; windows: WindowInfo[] };
export type ImportSummary = {
  version: number;
  halls: number;
  windows: number;
  staff: number;
  reasons: number;
  unchanged: boolean;
};
export type RatingInput = {
  session_id: string;
  attitude: number;
  competence: number;
  reasons: string[];
  comment: string | null;
  phone: string | null;
  phone_consent: boolean;
};
export type RatingReceipt = { id: string; seq: number };
export type PinGate = { state: 'open' } | { state: 'wait'; until: string } | { state: 'locked'; until: string };
export type RatingCounts = { total: number; unsent: number; bad: number; misuse: number };
export type AdminOverview = {
  counts: RatingCounts;
  settings: Settings;
  on_duty: StaffCard | null;
  window: WindowInfo | null;
  windows: WindowInfo[];
  device_id: string;
  data_dir: string;
  export_dir: string;
  reference_version: number | null;
};
export type ExportSummary = { path: string; count: number };

/** An error as commands report it: a stable code for the catalogue, English text for logs. */
export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAt: string | null = null,
    readonly failures: number | null = null,
    readonly locked = false,
  ) {
    super(message);
  }

  static from(e: unknown): BackendError {
    if (e instanceof BackendError) return e;
    if (typeof e === 'object' && e !== null && 'code' in e) {
      const o = e as { code: string; message?: string; retry_at?: string; failures?: number; locked?: boolean };
      return new BackendError(o.code, o.message ?? o.code, o.retry_at ?? null, o.failures ?? null, o.locked ?? false);
    }
    return new BackendError('internal', String(e));
  }
}

export type EnrolmentState = 'not_enrolled' | 'enrolled' | 'revoked';
export type SyncStatus = {
  enrolment: { state: EnrolmentState; server_url: string | null; hall_id: string | null; window_id: string | null };
  waiting: number;
  last_success: string | null;
  last_error: { code: string; message: string; at: string } | null;
  next_attempt: string | null;
  syncing: boolean;
  waiting_for_person: boolean;
};
