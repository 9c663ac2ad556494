// The kiosk's screens as one state machine: which screen shows, the rating
// session in progress, and the transitions between them.
import type { Backend } from './backend';
import { IdleTimer } from './idle.svelte';
import { setLang } from './i18n.svelte';
import { BackendError, type KioskStatus, type RatingInput } from './types';
import { uuid } from './uuid';

export type Screen =
  | 'loading'
  | 'setup'
  | 'closed'
  | 'welcome'
  | 'rate'
  | 'reasons'
  | 'thanks'
  | 'staffSignIn'
  | 'staffMenu'
  | 'adminPin'
  | 'admin'
  | 'fatal';

/** What the citizen has picked so far; discarded on idle or cancel. */
export class RatingSession {
  readonly id = uuid();
  attitude = $state(0);
  competence = $state(0);
  reasons = $state<string[]>([]);
  comment = $state('');
  phone = $state('');
  consent = $state(false);
  submitting = $state(false);
  error = $state<string | null>(null);

  get complete(): boolean {
    return this.attitude > 0 && this.competence > 0;
  }

  get bad(): boolean {
    return (this.attitude > 0 && this.attitude <= 2) || (this.competence > 0 && this.competence <= 2);
  }

  toggleReason(code: string): void {
    this.reasons = this.reasons.includes(code) ? this.reasons.filter((r) => r !== code) : [...this.reasons, code];
  }

  input(): RatingInput {
    const bad = this.bad;
    return {
      session_id: this.id,
      attitude: this.attitude,
      competence: this.competence,
      reasons: bad ? this.reasons : [],
      comment: bad && this.comment.trim() ? this.comment.trim() : null,
      phone: bad && this.consent && this.phone.trim() ? this.phone.trim() : null,
      phone_consent: bad && this.consent,
    };
  }
}

export class KioskApp {
  screen = $state<Screen>('loading');
  status = $state<KioskStatus | null>(null);
  session = $state<RatingSession | null>(null);
  /** Whether the rating just thanked for was a bad review (the thank-you text differs). */
  thankedBad = $state(false);
  fatal = $state<string | null>(null);
  readonly idle = new IdleTimer();
  private thanksTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly backend: Backend) {}

  async refresh(): Promise<KioskStatus> {
    const s = await this.backend.status();
    this.status = s;
    return s;
  }

  /** The resting screen for the kiosk's state, in its default language. */
  async home(): Promise<void> {
    this.idle.stop();
    this.session = null;
    if (this.thanksTimer !== null) clearTimeout(this.thanksTimer);
    try {
      const s = await this.refresh();
      setLang(s.settings.language);
      this.screen = !s.set_up ? 'setup' : s.on_duty ? 'welcome' : 'closed';
    } catch (e) {
      this.fatal = BackendError.from(e).code;
      this.screen = 'fatal';
    }
  }

  startRating(): void {
    this.session = new RatingSession();
    this.screen = 'rate';
    this.idle.start(this.status?.settings.idle_seconds ?? 30, () => void this.home());
  }

  /** From the rating screen: a bad review first asks for reasons. */
  async next(): Promise<void> {
    const s = this.session;
    if (!s || !s.complete) return;
    if (s.bad) {
      this.screen = 'reasons';
      return;
    }
    await this.submit();
  }

  /** Commits the rating; the thank-you screen shows only once the store answered. */
  async submit(): Promise<void> {
    const s = this.session;
    if (!s || s.submitting) return; // repeated taps record one rating
    s.submitting = true;
    s.error = null;
    try {
      await this.backend.submitRating(s.input());
    } catch (e) {
      s.error = BackendError.from(e).code;
      s.submitting = false;
      return;
    }
    this.idle.stop();
    this.thankedBad = s.bad;
    this.session = null;
    this.screen = 'thanks';
    this.thanksTimer = setTimeout(() => void this.home(), 4000);
  }

  /** Staff and administrator screens also fall back home when left alone,
   * so nobody walks away from an unlocked admin screen. */
  go(screen: Screen): void {
    this.idle.stop();
    this.screen = screen;
    if (screen === 'staffSignIn' || screen === 'staffMenu' || screen === 'adminPin' || screen === 'admin') {
      const seconds = Math.max(60, this.status?.settings.idle_seconds ?? 30);
      this.idle.start(seconds, () => void this.leaveAdmin());
    }
  }

  /** Back to the resting screen, locking the administrator out again. */
  async leaveAdmin(): Promise<void> {
    await this.backend.adminLock().catch(() => {});
    await this.home();
  }
}
