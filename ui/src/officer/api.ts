// The officer laptop's types and the small helpers the screens share. The calls are in backend.ts.

import type {
  Channel,
  CheckItem,
  CheckMark,
  DiaryChoices,
  DiaryRevision,
  Mode,
  ProblemCategory,
  Satisfaction,
} from '../lib/bindings';

// The shapes come from the Rust types (bindings.ts is generated from them).
export type {
  Channel,
  CheckItem,
  CheckMark,
  DiaryBody,
  Draft,
  EntryDetail,
  EntryRow,
  LedgerState,
  Minutes,
  Mode,
  OfficerCard,
  OfficerStatus,
  PhotoInfo,
  PhotoRef,
  Problem,
  ProblemCategory,
  ProblemLedger,
  Satisfaction,
} from '../lib/bindings';
export type Revision = DiaryRevision;
export type Choices = DiaryChoices;

export const SATISFACTIONS: Satisfaction[] = ['satisfied', 'basically_satisfied', 'dissatisfied'];

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

/** `d` (by default now) as RFC 3339 with the local offset, as the device stamps times. */
export function nowLocal(d: Date = new Date()): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60000).toISOString().slice(0, 19);
  return `${local}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}
