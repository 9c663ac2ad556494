// An in-memory device for working on screens in a browser and for the UI tests.
// It keeps the rules the screens depend on (bad reviews need a reason, one
// rating per case and per session, the admin PIN); the real rules live in Rust.
import type { Backend } from './backend';
import {
  BackendError,
  type AdminOverview,
  type CentreSettings,
  type ErrorCode,
  type KioskStatus,
  type LinkEvent,
  type LinkNews,
  type LinkSettings,
  type LogTail,
  type RatingInput,
  type Reason,
  type Settings,
  type StaffCard,
  type SyncStatus,
  type WindowInfo,
} from './types';

const hall = { zh: '江海区政务服务中心', en: 'Jianghai District Government Service Centre' };
const windows: WindowInfo[] = [
  { id: 'w01', hall_id: 'h', hall_name: hall, number: '01', name: { zh: '综合受理', en: 'General intake' } },
  { id: 'w02', hall_id: 'h', hall_name: hall, number: '02', name: { zh: '商事登记', en: 'Business registration' } },
];
const staff = [
  { id: 's1', no: '100101', name: '陈嘉怡', pin: '2580' },
  { id: 's2', no: '100102', name: '李明华', pin: '2580' },
];
const reasons: Reason[] = [
  { code: 'long_wait', label: { zh: '等候时间过长', en: 'Kept waiting too long' } },
  { code: 'poor_attitude', label: { zh: '服务态度差', en: 'Poor attitude' } },
  { code: 'other', label: { zh: '其他原因', en: 'Other' } },
];

type Stored = RatingInput & { seq: number; case_no: string | null };

const fail = (code: ErrorCode): never => {
  throw new BackendError(code, code);
};

export class MemoryBackend implements Backend {
  private role: 'kiosk' | 'officer' | null = null;
  imported = false;
  adminPin: string | null = null;
  unlocked = false;
  window: WindowInfo | null = null;
  onDuty: (typeof staff)[number] | null = null;
  caseNo: string | null = null;
  settings: Settings = { idle_seconds: 30, interval_seconds: 10, language: 'zh-CN', spoken_prompts: false };
  paused = false;
  /** What the centre set (null: a kiosk on its own), and whether the hall is closed now. */
  centre: CentreSettings | null = null;
  asleep = false;
  link: LinkSettings = { enabled: false, listen: '127.0.0.1:8790', allowed: [], has_token: false };
  private linkSeq = 0;
  private linkKept: { seq: number; event: LinkEvent }[] = [];
  private linkWaiters: (() => void)[] = [];
  ratings: Stored[] = [];
  server: string | null = null;
  sent = 0;

  /** A kiosk already set up with staff 100102 on duty, for screen work. */
  static ready(): MemoryBackend {
    const b = new MemoryBackend();
    b.imported = true;
    b.adminPin = '260418';
    b.window = windows[1] ?? null;
    b.onDuty = staff[1] ?? null;
    return b;
  }

  private card(): StaffCard | null {
    if (!this.onDuty || !this.window) return null;
    return { staff_id: this.onDuty.id, employee_no: this.onDuty.no, name: this.onDuty.name, department: null, photo: null, window: this.window };
  }

  private admin(): void {
    if (!this.unlocked) fail('admin_locked');
  }

  async status(): Promise<KioskStatus> {
    return {
      reference_version: this.imported ? 1 : null,
      admin_pin_set: this.adminPin !== null,
      window: this.window,
      set_up: this.imported && this.adminPin !== null && this.window !== null,
      on_duty: this.card(),
      settings: { ...this.settings },
      case_no: this.caseNo,
      paused: this.paused,
      reasons: this.imported ? reasons : [],
      role: this.role,
      languages: this.centre?.languages ?? ['zh-CN', 'en'],
      asleep: this.asleep,
      centre: this.centre,
    };
  }
  async chooseRole(role: 'kiosk' | 'officer') {
    if (this.adminPin !== null) fail('admin_locked');
    this.role = role;
  }
  async setupDefaults() {
    return { reference_path: '/demo/reference.json', windows: this.imported ? windows : [] };
  }
  async importReference(path: string) {
    if (!path.endsWith('.json')) fail('invalid_reference');
    const unchanged = this.imported;
    this.imported = true;
    return { version: 1, halls: 1, windows: windows.length, staff: staff.length, reasons: reasons.length, unchanged };
  }
  async setAdminPin(pin: string) {
    if (this.adminPin !== null) fail('admin_pin_already_set');
    if (!/^\d{6,12}$/.test(pin)) fail('pin_format');
    this.adminPin = pin;
    this.unlocked = true;
  }
  async bindWindow(windowId: string) {
    const w = windows.find((x) => x.id === windowId) ?? fail('unknown_window');
    this.window = w;
    return w;
  }
  async staffSignIn(employeeNo: string, pin: string) {
    const s = staff.find((x) => x.no === employeeNo && x.pin === pin) ?? fail('unknown_staff');
    this.onDuty = s;
    return this.card() ?? fail('not_set_up');
  }
  async staffSignOut(pin: string) {
    if (!this.onDuty || this.onDuty.pin !== pin) fail('wrong_pin');
    this.onDuty = null;
    this.caseNo = null;
  }
  async setCaseNo(caseNo: string) {
    if (this.paused) fail('window_paused');
    const c = caseNo.trim().toUpperCase();
    if (!/^[A-Z0-9-]{1,40}$/.test(c)) fail('invalid_case_no');
    if (this.ratings.some((r) => r.case_no === c)) fail('case_already_rated');
    this.caseNo = c;
    return c;
  }
  async clearCaseNo() {
    this.caseNo = null;
  }
  async submitRating(input: RatingInput) {
    const again = this.ratings.find((r) => r.session_id === input.session_id);
    if (again) return { id: again.session_id, seq: again.seq };
    if (this.paused) fail('window_paused');
    if (this.asleep && this.caseNo === null) fail('hall_closed');
    if (!this.onDuty) fail('window_closed');
    const bad = input.attitude <= 2 || input.competence <= 2;
    if (bad && input.reasons.length === 0) fail('reason_required');
    if (input.phone && !input.phone_consent) fail('phone_without_consent');
    const seq = this.ratings.length + 1;
    this.ratings.push({ ...input, seq, case_no: this.caseNo });
    this.caseNo = null;
    return { id: input.session_id, seq };
  }
  async adminGate() {
    return { state: 'open' as const };
  }
  async adminUnlock(pin: string) {
    if (pin !== this.adminPin) throw new BackendError('wrong_pin', 'wrong', null, 1);
    this.unlocked = true;
  }
  async adminLock() {
    this.unlocked = false;
  }
  async adminOverview(): Promise<AdminOverview> {
    this.admin();
    const bad = this.ratings.filter((r) => r.attitude <= 2 || r.competence <= 2).length;
    return {
      counts: { total: this.ratings.length, unsent: this.ratings.length, bad, misuse: 0 },
      settings: { ...this.settings },
      on_duty: this.card(),
      window: this.window,
      windows,
      device_id: '00000000-0000-7000-8000-000000000000',
      data_dir: '/memory',
      export_dir: '/memory/exports',
      reference_version: 1,
      from_centre: {
        idle_seconds: this.centre?.idle_seconds != null,
        interval_seconds: this.centre?.interval_seconds != null,
        languages: this.centre?.languages != null,
        hours: this.centre !== null,
      },
      centre: this.centre,
    };
  }
  async adminUpdateSettings(settings: Settings) {
    this.admin();
    this.settings = { ...settings };
  }
  async adminSignOutStaff() {
    this.admin();
    this.onDuty = null;
  }
  async adminExportCsv(dir: string | null) {
    this.admin();
    return { path: `${dir ?? '/memory/exports'}/ratings.csv`, count: this.ratings.length };
  }
  async adminChangePin(pin: string) {
    this.admin();
    this.adminPin = pin;
  }
  async adminLog(): Promise<LogTail> {
    this.admin();
    return { dir: '/memory/logs', lines: ['INFO device ready'], removable: [] };
  }
  async adminSaveLog(dir: string) {
    this.admin();
    return `${dir}/tiyan-log`;
  }
  async adminExit() {
    this.admin();
  }
  async syncStatus(): Promise<SyncStatus> {
    this.admin();
    return {
      enrolment: { state: this.server ? 'enrolled' : 'not_enrolled', server_url: this.server, hall_id: null, window_id: null },
      waiting: this.ratings.length - this.sent,
      last_success: null,
      last_error: null,
      next_attempt: null,
      syncing: false,
      waiting_for_person: false,
    };
  }
  async syncNow() {
    this.admin();
    if (this.server) this.sent = this.ratings.length;
  }
  async syncEnroll(serverUrl: string, code: string) {
    if (!/^https?:\/\//.test(serverUrl)) fail('invalid_server');
    if (code.trim().length < 4) fail('invalid_code');
    this.server = serverUrl;
    this.imported = true;
  }

  // The window link: the window's system asks, the screen hears.
  private tell(event: LinkEvent) {
    this.linkSeq += 1;
    this.linkKept.push({ seq: this.linkSeq, event });
    for (const wake of this.linkWaiters.splice(0)) wake();
  }
  /** As the kiosk's link: no request while setup or an administrator is at the kiosk. */
  private linkReady() {
    if (this.adminPin === null || this.window === null || this.unlocked) fail('link_busy');
  }
  /** Plays the window's system in UI tests and screen work: a case to rate. */
  windowRate(caseNo: string) {
    this.linkReady();
    if (this.paused) fail('window_paused');
    if (!this.onDuty) fail('window_closed');
    const c = caseNo.trim().toUpperCase();
    if (this.ratings.some((r) => r.case_no === c)) fail('case_already_rated');
    this.caseNo = c;
    this.tell({ kind: 'rate', case_no: c });
  }
  windowPause() {
    this.linkReady();
    this.paused = true;
    this.caseNo = null;
    this.tell({ kind: 'paused' });
  }
  windowResume() {
    this.linkReady();
    this.paused = false;
    this.tell({ kind: 'resumed' });
  }
  windowSignIn(employeeNo: string) {
    this.linkReady();
    this.onDuty = staff.find((x) => x.no === employeeNo) ?? fail('unknown_staff');
    this.tell({ kind: 'staff' });
  }
  async linkEvents(after: number | null): Promise<LinkNews> {
    if (after === null || after > this.linkSeq) return { seq: this.linkSeq, events: [] };
    while (this.linkSeq <= after) await new Promise<void>((wake) => this.linkWaiters.push(wake));
    return { seq: this.linkSeq, events: this.linkKept.filter((k) => k.seq > after).map((k) => k.event) };
  }
  async promptSound(): Promise<ArrayBuffer> {
    return new ArrayBuffer(0);
  }
  async adminLink() {
    this.admin();
    return { settings: { ...this.link }, listening: this.link.enabled ? this.link.listen : null, error: null };
  }
  async adminSetLink(settings: LinkSettings) {
    this.admin();
    this.link = { ...settings, has_token: this.link.has_token };
    return this.adminLink();
  }
  async adminNewLinkToken() {
    this.admin();
    this.link.has_token = true;
    return 'memory-token-shown-once';
  }
}
