// One interface to the device, with the Tauri implementation used in the app
// and an in-memory one (memory-backend.ts) for the browser and the UI tests.
import { invoke } from '@tauri-apps/api/core';
import type { Command } from './bindings';
import {
  BackendError,
  type AdminOverview,
  type ExportSummary,
  type ImportSummary,
  type KioskStatus,
  type LinkAdmin,
  type LinkNews,
  type LinkSettings,
  type LogTail,
  type Prompt,
  type PinGate,
  type RatingInput,
  type RatingReceipt,
  type SetupDefaults,
  type Settings,
  type StaffCard,
  type SyncStatus,
  type WindowInfo,
} from './types';

export interface Backend {
  status(): Promise<KioskStatus>;
  setupDefaults(): Promise<SetupDefaults>;
  importReference(path: string): Promise<ImportSummary>;
  setAdminPin(pin: string): Promise<void>;
  chooseRole(role: 'kiosk' | 'officer'): Promise<void>;
  bindWindow(windowId: string): Promise<WindowInfo>;
  staffSignIn(employeeNo: string, pin: string): Promise<StaffCard>;
  staffSignOut(pin: string): Promise<void>;
  setCaseNo(caseNo: string): Promise<string>;
  clearCaseNo(): Promise<void>;
  submitRating(input: RatingInput): Promise<RatingReceipt>;
  adminGate(): Promise<PinGate>;
  adminUnlock(pin: string): Promise<void>;
  adminLock(): Promise<void>;
  adminOverview(): Promise<AdminOverview>;
  adminUpdateSettings(settings: Settings): Promise<void>;
  adminSignOutStaff(): Promise<void>;
  adminExportCsv(dir: string | null): Promise<ExportSummary>;
  adminChangePin(pin: string): Promise<void>;
  adminLog(): Promise<LogTail>;
  adminSaveLog(dir: string): Promise<string>;
  adminExit(): Promise<void>;
  /** What the window's system asked after `after` (null: from now); waits up to 20 s for news. */
  linkEvents(after: number | null): Promise<LinkNews>;
  /** The hall's own recording of a prompt; empty when it has none (the screen plays its own). */
  promptSound(prompt: Prompt): Promise<ArrayBuffer>;
  adminLink(): Promise<LinkAdmin>;
  adminSetLink(settings: LinkSettings): Promise<LinkAdmin>;
  /** A new token for the window's system, shown this once. */
  adminNewLinkToken(): Promise<string>;
  syncStatus(): Promise<SyncStatus>;
  syncNow(): Promise<void>;
  syncEnroll(serverUrl: string, code: string): Promise<void>;
}

/** Calls a command by its generated name; a failure arrives as a BackendError
 * (with what is missing, for an incomplete diary entry). */
export async function call<T>(cmd: Command, args?: Record<string, unknown> | Uint8Array): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    const issues = (e as { issues?: string[] } | null)?.issues ?? [];
    throw Object.assign(BackendError.from(e), { issues });
  }
}

export class TauriBackend implements Backend {
  status = () => call<KioskStatus>('kiosk_status');
  setupDefaults = () => call<SetupDefaults>('setup_defaults');
  importReference = (path: string) => call<ImportSummary>('setup_import_reference', { path });
  setAdminPin = (pin: string) => call<void>('setup_set_admin_pin', { pin });
  chooseRole = (role: 'kiosk' | 'officer') => call<void>('setup_choose_role', { role });
  bindWindow = (windowId: string) => call<WindowInfo>('setup_bind_window', { windowId });
  staffSignIn = (employeeNo: string, pin: string) => call<StaffCard>('staff_sign_in', { employeeNo, pin });
  staffSignOut = (pin: string) => call<void>('staff_sign_out', { pin });
  setCaseNo = (caseNo: string) => call<string>('staff_set_case_no', { caseNo });
  clearCaseNo = () => call<void>('staff_clear_case_no');
  submitRating = (input: RatingInput) => call<RatingReceipt>('submit_rating', { input });
  adminGate = () => call<PinGate>('admin_gate');
  adminUnlock = (pin: string) => call<void>('admin_unlock', { pin });
  adminLock = () => call<void>('admin_lock');
  adminOverview = () => call<AdminOverview>('admin_overview');
  adminUpdateSettings = (settings: Settings) => call<void>('admin_update_settings', { settings });
  adminSignOutStaff = () => call<void>('admin_sign_out_staff');
  adminExportCsv = (dir: string | null) => call<ExportSummary>('admin_export_csv', { dir });
  adminChangePin = (pin: string) => call<void>('admin_change_pin', { pin });
  adminLog = () => call<LogTail>('admin_log');
  adminSaveLog = (dir: string) => call<string>('admin_save_log', { dir });
  adminExit = () => call<void>('admin_exit');
  linkEvents = (after: number | null) => call<LinkNews>('window_link_events', { after });
  promptSound = (prompt: Prompt) => call<ArrayBuffer>('prompt_sound', { prompt });
  adminLink = () => call<LinkAdmin>('admin_link');
  adminSetLink = (settings: LinkSettings) => call<LinkAdmin>('admin_set_link', { settings });
  adminNewLinkToken = () => call<string>('admin_new_link_token');
  syncStatus = () => call<SyncStatus>('sync_status');
  syncNow = () => call<void>('sync_now');
  syncEnroll = (serverUrl: string, code: string) => call<void>('sync_enroll', { serverUrl, code });
}

/** Inside the Tauri app the IPC bridge exists; in a plain browser it does not. */
export function inTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}
