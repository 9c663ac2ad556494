import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdleTimer } from './idle.svelte';

describe('IdleTimer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('warns in the last seconds and expires after the idle time', () => {
    const t = new IdleTimer();
    const expired = vi.fn();
    t.start(30, expired);
    vi.advanceTimersByTime(1000);
    expect(t.remaining).toBe(29);
    expect(t.warning).toBe(false);
    vi.advanceTimersByTime(19_500);
    expect(t.warning).toBe(true);
    t.touch();
    expect(t.warning).toBe(false);
    vi.advanceTimersByTime(30_500);
    expect(expired).toHaveBeenCalledTimes(1);
    expect(t.running).toBe(false);
  });
});
