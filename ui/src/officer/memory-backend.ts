// An in-memory officer laptop for working on the screens in a browser
// (`?officer`) and for the UI tests. It keeps the rules the screens depend on
// (sign-in, drafts, submitting, answering a reply once); the real rules live in Rust.
import { BackendError, type ErrorCode, type SyncStatus } from '../lib/types';
import { uuid } from '../lib/uuid';
import type {
  Choices,
  DiaryBody,
  Draft,
  EntryDetail,
  EntryRow,
  OfficerCard,
  OfficerStatus,
  PhotoInfo,
  ProblemLedger,
  Revision,
  Satisfaction,
} from './api';
import type { OfficerBackend } from './backend';

const card: OfficerCard = {
  id: 'gz-2026-07',
  masked_name: '梁*能',
  gender: '男',
  age: 42,
  occupation: '个体工商户',
  appointed_to: '2026-12-31',
};
const PASSWORD = 'tiyan-2026';
/** The in-memory laptop's device id. */
const MEMORY_DEVICE = '00000000-0000-7000-8000-000000000001';

const fail = (code: ErrorCode): never => {
  throw new BackendError(code, code);
};

export function emptyBody(): DiaryBody {
  return {
    visited_at: null,
    hall_id: null,
    place: '',
    matter_id: null,
    matter_text: '',
    channel: null,
    mode: null,
    timers: { ticket_at: null, called_at: null, done_at: null },
    minutes: { waiting: null, handling: null, total: null },
    trips: null,
    score: null,
    account: '',
    highlights: '',
    problems: [],
    suggestions: [],
    checklist: {},
    photos: [],
  };
}

export class MemoryOfficerBackend implements OfficerBackend {
  private signedIn: OfficerCard | null = null;
  private drafts = new Map<string, Draft>();
  private revisions = new Map<string, Revision[]>();
  private ledger = new Map<string, ProblemLedger>();

  /** A laptop with one submitted entry whose problem the hall office has answered. */
  static demo(): MemoryOfficerBackend {
    const b = new MemoryOfficerBackend();
    const entryId = uuid();
    const problemId = uuid();
    const body: DiaryBody = {
      ...emptyBody(),
      visited_at: '2026-11-20T09:05:00+08:00',
      hall_id: 'jianghai',
      matter_text: '个体工商户设立登记',
      channel: 'window',
      mode: 'on_my_own',
      score: 8,
      account: '上午九点到大厅取号，等了约三十分钟。',
      problems: [{ id: problemId, category: 'window_signs', text: '窗口号显示屏太小，看不清。' }],
    };
    b.revisions.set(entryId, [
      { id: uuid(), entry_id: entryId, revision: 1, seq: 1, device_id: MEMORY_DEVICE, officer_id: card.id, submitted_at: body.visited_at ?? '', body },
    ]);
    b.reply(problemId, '已更换为更大的显示屏，并增设引导员。');
    return b;
  }

  /** What the hall office does in the demo and the tests: reply to a problem. */
  reply(problemId: string, text: string): void {
    this.ledger.set(problemId, { problem_id: problemId, state: 'replied', reply: text, satisfaction: null, answered: null });
  }

  private me(): OfficerCard {
    return this.signedIn ?? fail('officer_signed_out');
  }

  status = async (): Promise<OfficerStatus> => ({ officer: this.signedIn, known: [card], enrolled: true });

  signIn = async (officerId: string, password: string): Promise<OfficerCard> => {
    if (officerId !== card.id || password !== PASSWORD) fail('wrong_password');
    this.signedIn = card;
    return card;
  };

  signOut = async (): Promise<void> => {
    this.signedIn = null;
  };

  sync = async (): Promise<SyncStatus> => ({
    enrolment: { state: 'enrolled', server_url: 'http://127.0.0.1:8787', hall_id: 'jianghai', window_id: null },
    waiting: 0,
    last_success: new Date().toISOString(),
    last_error: null,
    next_attempt: null,
    syncing: false,
    waiting_for_person: false,
  });

  choices = async (): Promise<Choices> => ({
    halls: [{ id: 'jianghai', name: { zh: '江海区政务服务中心', en: 'Jianghai District Government Service Centre' } }],
    matters: [],
  });

  private ledgerOf(entryId: string): ProblemLedger[] {
    const latest = this.revisions.get(entryId)?.at(-1);
    return (latest?.body.problems ?? []).flatMap((p) => {
      const l = this.ledger.get(p.id);
      return l ? [l] : [];
    });
  }

  list = async (): Promise<EntryRow[]> => {
    this.me();
    const ids = new Set([...this.drafts.keys(), ...this.revisions.keys()]);
    return [...ids].map((id) => ({
      entry_id: id,
      draft: this.drafts.get(id) ?? null,
      latest: this.revisions.get(id)?.at(-1) ?? null,
      synced: true,
      ledger: this.ledgerOf(id),
    }));
  };

  create = async (): Promise<Draft> => {
    const d: Draft = {
      entry_id: uuid(),
      officer_id: this.me().id,
      base_revision: 0,
      body: emptyBody(),
      updated_at: new Date().toISOString(),
    };
    this.drafts.set(d.entry_id, d);
    return structuredClone(d);
  };

  open = async (entryId: string): Promise<EntryDetail> => {
    this.me();
    const draft = this.drafts.get(entryId) ?? null;
    const history = this.revisions.get(entryId) ?? [];
    if (!draft && history.length === 0) fail('unknown_entry');
    return structuredClone({ entry_id: entryId, draft, history, ledger: this.ledgerOf(entryId) });
  };

  save = async (entryId: string, body: DiaryBody): Promise<Draft> => {
    const d = this.drafts.get(entryId) ?? fail('unknown_entry');
    d.body = structuredClone(body);
    d.updated_at = new Date().toISOString();
    return structuredClone(d);
  };

  deleteDraft = async (entryId: string): Promise<void> => {
    this.drafts.delete(entryId);
  };

  edit = async (entryId: string): Promise<Draft> => {
    const latest = this.revisions.get(entryId)?.at(-1) ?? fail('unknown_entry');
    const d: Draft = {
      entry_id: entryId,
      officer_id: this.me().id,
      base_revision: latest.revision,
      body: structuredClone(latest.body),
      updated_at: new Date().toISOString(),
    };
    this.drafts.set(entryId, d);
    return structuredClone(d);
  };

  submit = async (entryId: string): Promise<Revision> => {
    const d = this.drafts.get(entryId) ?? fail('unknown_entry');
    const b = d.body;
    if (!b.visited_at || !b.channel || !b.mode || b.score === null || !b.account.trim()) fail('diary_incomplete');
    const history = this.revisions.get(entryId) ?? [];
    const r: Revision = {
      id: uuid(),
      entry_id: entryId,
      revision: history.length + 1,
      seq: [...this.revisions.values()].flat().length + 1,
      device_id: MEMORY_DEVICE,
      officer_id: d.officer_id,
      submitted_at: new Date().toISOString(),
      body: structuredClone(b),
    };
    this.revisions.set(entryId, [...history, r]);
    this.drafts.delete(entryId);
    for (const p of b.problems) {
      if (!this.ledger.has(p.id)) {
        this.ledger.set(p.id, { problem_id: p.id, state: 'registered', reply: null, satisfaction: null, answered: null });
      }
    }
    return r;
  };

  addPhoto = async (bytes: Uint8Array): Promise<PhotoInfo> => ({
    sha256: uuid().replaceAll('-', '').padEnd(64, '0'),
    width: 2048,
    height: 1536,
    bytes: bytes.length,
  });

  photo = async (): Promise<string> => 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';

  exportPage = async (entryId: string): Promise<{ html: string; path: string }> => ({
    html: `<article>${entryId}</article>`,
    path: `exports/diary-${entryId}.html`,
  });

  answer = async (problemId: string, satisfaction: Satisfaction): Promise<void> => {
    this.me();
    const l = this.ledger.get(problemId);
    if (!l || l.state !== 'replied' || l.answered) fail('nothing_to_answer');
    else l.answered = satisfaction;
  };
}
