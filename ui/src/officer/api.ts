// The officer laptop's calls into the app (src-tauri/src/officer_commands.rs).
import { invoke } from '@tauri-apps/api/core';
import { BackendError, type SyncStatus } from '../lib/types';

export type Channel = 'window' | 'website' | 'mobile_app' | 'self_service' | 'phone';
export type Mode = 'on_my_own' | 'organised' | 'unannounced' | 'accompanying';
export type ProblemCategory = 'window_signs' | 'process' | 'environment' | 'discipline' | 'online' | 'guide' | 'other';
export type CheckItem =
  | 'window_signs'
  | 'process'
  | 'cleanliness'
  | 'discipline'
  | 'online_smoothness'
  | 'guide_completeness';
export type CheckMark = 'good' | 'fair' | 'poor' | 'not_seen';
export type LedgerState =
  | 'registered'
  | 'assigned'
  | 'rectifying'
  | 'rectified'
  | 'replied'
  | 'explained'
  | 'excluded_by_appeal';

export const CHANNELS: Channel[] = ['window', 'website', 'mobile_app', 'self_service', 'phone'];
export const MODES: Mode[] = ['on_my_own', 'organised', 'unannounced', 'accompanying'];
export const CATEGORIES: ProblemCategory[] = [
  'window_signs',
  'process',
  'environment',
  'discipline',
  'online',
  'guide',
  'other',
];
export const CHECK_ITEMS: CheckItem[] = [
  'window_signs',
  'process',
  'cleanliness',
  'discipline',
  'online_smoothness',
  'guide_completeness',
];
export const MARKS: CheckMark[] = ['good', 'fair', 'poor', 'not_seen'];

export interface Problem {
  id: string;
  category: ProblemCategory;
  text: string;
}
export interface PhotoRef {
  sha256: string;
  caption: string;
}
export interface Minutes {
  waiting: number | null;
  handling: number | null;
  total: number | null;
}
export interface DiaryBody {
  visited_at: string | null;
  hall_id: string | null;
  place: string;
  matter_id: string | null;
  matter_text: string;
  channel: Channel | null;
  mode: Mode | null;
  timers: { ticket_at: string | null; called_at: string | null; done_at: string | null };
  minutes: Minutes;
  trips: number | null;
  score: number | null;
  account: string;
  highlights: string;
  problems: Problem[];
  suggestions: string[];
  checklist: Partial<Record<CheckItem, CheckMark>>;
  photos: PhotoRef[];
}
export interface Draft {
  entry_id: string;
  officer_id: string;
  base_revision: number;
  body: DiaryBody;
  updated_at: string;
}
export interface Revision {
  id: string;
  entry_id: string;
  revision: number;
  seq: number;
  officer_id: string;
  submitted_at: string;
  body: DiaryBody;
}
export interface EntryRow {
  entry_id: string;
  draft: Draft | null;
  latest: Revision | null;
  synced: boolean;
  ledger: [string, LedgerState][];
}
export interface EntryDetail {
  entry_id: string;
  draft: Draft | null;
  history: Revision[];
  ledger: [string, LedgerState][];
}
export interface OfficerCard {
  id: string;
  masked_name: string;
  gender: string | null;
  age: number | null;
  occupation: string | null;
  appointed_to: string;
}
export interface OfficerStatus {
  officer: OfficerCard | null;
  known: OfficerCard[];
  enrolled: boolean;
}
export interface Choices {
  halls: { id: string; name: { zh: string; en: string } }[];
  matters: { id: string; name: { zh: string; en: string }; category: { zh: string; en: string }; quarter: string | null }[];
}
export interface PhotoInfo {
  sha256: string;
  width: number;
  height: number;
  bytes: number;
}

/** The largest file the photo pipeline takes (a camera original, not a film). */
export const MAX_PHOTO_BYTES = 50 * 1024 * 1024;

async function call<T>(cmd: string, args?: Record<string, unknown> | Uint8Array): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    // An incomplete entry's error names what is missing.
    const issues = (e as { issues?: string[] } | null)?.issues ?? [];
    throw Object.assign(BackendError.from(e), { issues });
  }
}

/** What keeps an entry from being submitted, from a failed submit. */
export function issuesOf(e: unknown): string[] {
  return (e as { issues?: string[] } | null)?.issues ?? [];
}

export const officerApi = {
  status: () => call<OfficerStatus>('officer_status'),
  signIn: (officerId: string, password: string) => call<OfficerCard>('officer_sign_in', { officerId, password }),
  signOut: () => call<void>('officer_sign_out'),
  sync: (now: boolean) => call<SyncStatus>('officer_sync', { now }),
  choices: () => call<Choices>('diary_choices'),
  list: () => call<EntryRow[]>('diary_list'),
  create: () => call<Draft>('diary_new'),
  open: (entryId: string) => call<EntryDetail>('diary_open', { entryId }),
  save: (entryId: string, body: DiaryBody) => call<Draft>('diary_save', { entryId, body }),
  deleteDraft: (entryId: string) => call<void>('diary_delete_draft', { entryId }),
  edit: (entryId: string) => call<Draft>('diary_edit', { entryId }),
  submit: (entryId: string) => call<Revision>('diary_submit', { entryId }),
  addPhoto: (bytes: Uint8Array) => call<PhotoInfo>('diary_add_photo', bytes),
  photo: (sha256: string, thumb: boolean) => call<string>('diary_photo', { sha256, thumb }),
  exportPage: (entryId: string) => call<{ html: string; path: string }>('diary_export', { entryId }),
};

/** Whole minutes between two RFC 3339 times, rounded, or null. */
export function minutesBetween(a: string | null, b: string | null): number | null {
  if (!a || !b) return null;
  const ms = Date.parse(b) - Date.parse(a);
  return ms >= 0 ? Math.round(ms / 60000) : null;
}

/** Now as RFC 3339 with the local offset, as the device stamps times. */
export function nowLocal(): string {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}
