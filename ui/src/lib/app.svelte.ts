// The kiosk's screens as one state machine: which screen shows, the rating
// session in progress, and the transitions between them.
import type { Backend } from './backend';
import { IdleTimer } from './idle.svelte';
import { setLang, setOffered } from './i18n.svelte';
import { Prompts } from './prompts.svelte';
import { ScanBuffer } from './scanner';
import { BackendError, type KioskStatus, type LinkEvent, type RatingInput } from './types';
import { uuid } from './uuid';

export type Screen =
  | 'loading'
  | 'setup'
  | 'closed'
  | 'asleep'
  | 'paused'
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
  /** Why the last scanned case number was not bound (shown on the welcome screen). */
  scanError = $state<string | null>(null);
  readonly idle = new IdleTimer();
  readonly prompts: Prompts;
  private thanksTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly scan = new ScanBuffer();
  private linkSeq: number | null = null;
  private following = false;

  constructor(readonly backend: Backend) {
    this.prompts = new Prompts(backend);
  }

  private stopThanks(): void {
    if (this.thanksTimer !== null) clearTimeout(this.thanksTimer);
    this.thanksTimer = null;
  }

  private get spoken(): boolean {
    return this.status?.settings.spoken_prompts ?? false;
  }

  async refresh(): Promise<KioskStatus> {
    const s = await this.backend.status();
    this.status = s;
    return s;
  }

  /**
   * Setup is complete: the PIN set during it unlocked the administrator, and
   * that ends here as leaving the admin screen ends it (the window link takes
   * requests only while nobody administers the kiosk).
   */
  async finishSetup(): Promise<void> {
    await this.backend.adminLock().catch(() => {});
    await this.home();
  }

  /** The resting screen for the kiosk's state, in its default language. */
  async home(): Promise<void> {
    this.idle.stop();
    this.session = null;
    this.scanError = null;
    this.stopThanks();
    try {
      const s = await this.refresh();
      setOffered(s.languages);
      setLang(s.settings.language);
      this.screen = !s.set_up
        ? 'setup'
        : s.paused
          ? 'paused'
          : s.asleep
            ? 'asleep'
            : s.on_duty
              ? 'welcome'
              : 'closed';
    } catch (e) {
      this.fatal = BackendError.from(e).code;
      this.screen = 'fatal';
    }
  }

  startRating(): void {
    this.stopThanks();
    this.scanError = null;
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
    void this.prompts.say('thanks', this.spoken);
  }

  // --- the window's system ---------------------------------------------------

  /** Follows what the window's system asks (through the link) for as long as the page lives. */
  async followLink(): Promise<void> {
    if (this.following) return;
    this.following = true;
    for (;;) {
      try {
        const news = await this.backend.linkEvents(this.linkSeq);
        this.linkSeq = news.seq;
        for (const event of news.events) await this.onLink(event);
      } catch {
        // The app is busy or restarting its link: ask again shortly.
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** The kiosk has already done what the window asked; the screen follows. */
  async onLink(event: LinkEvent): Promise<void> {
    // Nobody is asked to rate in the middle of setup or administration (the link refuses then anyway).
    if (this.screen === 'setup' || this.screen === 'admin' || this.screen === 'loading') return;
    switch (event.kind) {
      case 'rate':
        // The card is known already; the case is the one just asked for. The
        // screen shows first and checks with the device after, so the citizen
        // sees it at once; a rating half-done for an earlier case is dropped.
        if (this.status) this.status = { ...this.status, case_no: event.case_no, paused: false };
        this.startRating();
        void this.prompts.say('rate', this.spoken);
        void this.refresh().catch(() => {});
        return;
      case 'paused':
        this.idle.stop();
        this.stopThanks();
        this.session = null;
        this.screen = 'paused';
        void this.refresh().catch(() => {});
        return;
      case 'resumed':
        if (this.screen === 'paused') await this.home();
        else void this.refresh().catch(() => {});
        return;
      case 'staff':
        // Someone else at the window now: the resting screens show who; a citizen mid-rating finishes first.
        if (this.screen === 'rate' || this.screen === 'reasons') void this.refresh().catch(() => {});
        else await this.home();
        return;
    }
  }

  /** A key pressed anywhere on the page. On the welcome and staff screens a
   * scanner's burst ending in Enter binds the next rating to that case; on a
   * citizen's screens keys do nothing here. Typing in a field is the field's. */
  async key(e: KeyboardEvent): Promise<void> {
    if (this.screen !== 'welcome' && this.screen !== 'staffMenu') {
      this.scan.clear();
      return;
    }
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
    const code = this.scan.feed(e.key, e.timeStamp || performance.now());
    if (code === null) return;
    e.preventDefault();
    try {
      await this.backend.setCaseNo(code);
      await this.home();
    } catch (err) {
      await this.home();
      this.scanError = BackendError.from(err).code;
    }
  }

  /** The resting screens follow the clock: the hall opening or closing
   * (lunch included) wakes the kiosk or puts it to sleep within a minute. */
  async tick(): Promise<void> {
    if (this.screen !== 'welcome' && this.screen !== 'closed' && this.screen !== 'asleep') return;
    try {
      const s = await this.backend.status();
      const rest = s.paused ? 'paused' : s.asleep ? 'asleep' : s.on_duty ? 'welcome' : 'closed';
      if (rest !== this.screen) await this.home();
    } catch {
      // The next tick asks again.
    }
  }

  /** Staff and administrator screens also fall back home when left alone,
   * so nobody walks away from an unlocked admin screen. */
  go(screen: Screen): void {
    this.idle.stop();
    this.screen = screen;
    this.scanError = null;
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
