// One interface to the officer laptop, as the kiosk screens have one: the
// Tauri implementation the app uses (src-tauri/src/officer_commands.rs) and an
// in-memory one (memory-backend.ts) for the browser and the UI tests. The
// screens get it from the Svelte context OfficerApp sets.
import { getContext, setContext } from 'svelte';
import { call } from '../lib/backend';
import type { SyncStatus } from '../lib/types';
import type {
  Choices,
  DiaryBody,
  Draft,
  EntryDetail,
  EntryRow,
  OfficerCard,
  OfficerStatus,
  PhotoInfo,
  Revision,
  Satisfaction,
} from './api';

export interface OfficerBackend {
  status(): Promise<OfficerStatus>;
  signIn(officerId: string, password: string): Promise<OfficerCard>;
  signOut(): Promise<void>;
  sync(now: boolean): Promise<SyncStatus>;
  choices(): Promise<Choices>;
  list(): Promise<EntryRow[]>;
  create(): Promise<Draft>;
  open(entryId: string): Promise<EntryDetail>;
  save(entryId: string, body: DiaryBody): Promise<Draft>;
  deleteDraft(entryId: string): Promise<void>;
  edit(entryId: string): Promise<Draft>;
  submit(entryId: string): Promise<Revision>;
  addPhoto(bytes: Uint8Array): Promise<PhotoInfo>;
  photo(sha256: string, thumb: boolean): Promise<string>;
  exportPage(entryId: string): Promise<{ html: string; path: string }>;
  /** The officer's answer to the hall office's reply on one of their problems. */
  answer(problemId: string, satisfaction: Satisfaction): Promise<void>;
}


export class TauriOfficerBackend implements OfficerBackend {
  status = () => call<OfficerStatus>('officer_status');
  signIn = (officerId: string, password: string) => call<OfficerCard>('officer_sign_in', { officerId, password });
  signOut = () => call<void>('officer_sign_out');
  sync = (now: boolean) => call<SyncStatus>('officer_sync', { now });
  choices = () => call<Choices>('diary_choices');
  list = () => call<EntryRow[]>('diary_list');
  create = () => call<Draft>('diary_new');
  open = (entryId: string) => call<EntryDetail>('diary_open', { entryId });
  save = (entryId: string, body: DiaryBody) => call<Draft>('diary_save', { entryId, body });
  deleteDraft = (entryId: string) => call<void>('diary_delete_draft', { entryId });
  edit = (entryId: string) => call<Draft>('diary_edit', { entryId });
  submit = (entryId: string) => call<Revision>('diary_submit', { entryId });
  addPhoto = (bytes: Uint8Array) => call<PhotoInfo>('diary_add_photo', bytes);
  photo = (sha256: string, thumb: boolean) => call<string>('diary_photo', { sha256, thumb });
  exportPage = (entryId: string) => call<{ html: string; path: string }>('diary_export', { entryId });
  answer = (problemId: string, satisfaction: Satisfaction) => call<void>('diary_answer', { problemId, satisfaction });
}

const KEY = Symbol('officer-backend');

/** In OfficerApp: the backend every officer screen below uses. */
export function provideOfficer(backend: OfficerBackend): void {
  setContext(KEY, backend);
}

/** In a screen, at its start: the backend OfficerApp provided. */
export function officerBackend(): OfficerBackend {
  const b = getContext<OfficerBackend | undefined>(KEY);
  if (!b) throw new Error('no officer backend: mount the screen inside OfficerApp');
  return b;
}
