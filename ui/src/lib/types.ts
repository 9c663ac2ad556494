// The shapes the backend answers with, and its errors.
import type { ErrorCode, KioskSettings, ReasonInfo } from './bindings';

// The shapes come from the Rust types (bindings.ts is generated from them).
export type {
  AdminOverview,
  CentreSettings,
  ErrorCode,
  ExportSummary,
  ImportSummary,
  KioskStatus,
  LinkAdmin,
  LinkEvent,
  LinkNews,
  LinkSettings,
  LogTail,
  Prompt,
  PinGate,
  RatingCounts,
  RatingInput,
  RatingReceipt,
  SetupDefaults,
  StaffCard,
  SyncStatus,
  WindowInfo,
} from './bindings';
export type Settings = KioskSettings;
export type Reason = ReasonInfo;

/** An error as commands report it: a stable code for the catalogue, English text for logs. */
export class BackendError extends Error {
  constructor(
    readonly code: ErrorCode,
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
      const o = e as { code: ErrorCode; message?: string; retry_at?: string; failures?: number; locked?: boolean };
      return new BackendError(o.code, o.message ?? o.code, o.retry_at ?? null, o.failures ?? null, o.locked ?? false);
    }
    return new BackendError('internal', String(e));
  }
}

export type { EnrolmentState } from './bindings';
