// The idle timer of a rating session: after `seconds` without a touch the
// half-finished rating is dropped; the last few seconds show a countdown.

export class IdleTimer {
  /** Whole seconds left, while running. */
  remaining = $state(0);
  running = $state(false);
  private deadline = 0;
  private seconds = 30;
  private handle: ReturnType<typeof setInterval> | null = null;
  private onExpire: () => void = () => {};

  /** The countdown shows for the last third of the idle time, at most 10 s. */
  get warnAt(): number {
    return Math.min(10, Math.max(3, Math.ceil(this.seconds / 3)));
  }

  get warning(): boolean {
    return this.running && this.remaining <= this.warnAt;
  }

  start(seconds: number, onExpire: () => void): void {
    this.stop();
    this.seconds = seconds;
    this.onExpire = onExpire;
    this.running = true;
    this.touch();
    this.handle = setInterval(() => this.tick(), 200);
  }

  touch(): void {
    if (!this.running) return;
    this.deadline = Date.now() + this.seconds * 1000;
    this.remaining = this.seconds;
  }

  stop(): void {
    if (this.handle !== null) clearInterval(this.handle);
    this.handle = null;
    this.running = false;
  }

  private tick(): void {
    const left = Math.ceil((this.deadline - Date.now()) / 1000);
    this.remaining = Math.max(0, left);
    if (left <= 0) {
      this.stop();
      this.onExpire();
    }
  }
}
