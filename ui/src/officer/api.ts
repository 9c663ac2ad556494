// The officer laptop's types (as src-tauri/src/officer_commands.rs sends them)
// and the small helpers the screens share. The calls are in backend.ts.

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
  | 'verified'
  | 'rectifying'
  | 'appealed'
  | 'rectified'
  | 'explained'
  | 'replied'
  | 'closed'
  | 'excluded';
export type Satisfaction = 'satisfied' | 'basically_satisfied' | 'dissatisfied';
export const SATISFACTIONS: Satisfaction[] = ['satisfied', 'basically_satisfied', 'dissatisfied'];

/** One problem as the ledger answers for it, with the officer's own answer if given since. */
export interface ProblemLedger {
  problem_id: string;
  state: LedgerState;
  reply: string | null;
  satisfaction: Satisfaction | null;
  answered: Satisfaction | null;
}

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
  ledger: ProblemLedger[];
}
export interface EntryDetail {
  entry_id: string;
  draft: Draft | null;
  history: Revision[];
  ledger: ProblemLedger[];
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

/** What keeps an entry from being submitted, from a failed submit. */
export function issuesOf(e: unknown): string[] {
  return (e as { issues?: string[] } | null)?.issues ?? [];
}

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
