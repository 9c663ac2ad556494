import { describe, expect, it } from 'vitest';
import { minutesBetween, nowLocal } from './api';

describe('officer timers', () => {
  it('gives whole minutes between taps, rounded, and nothing when out of order', () => {
    expect(minutesBetween('2026-11-20T09:05:00+08:00', '2026-11-20T09:35:20+08:00')).toBe(30);
    expect(minutesBetween('2026-11-20T09:05:00+08:00', '2026-11-20T09:35:40+08:00')).toBe(31);
    expect(minutesBetween('2026-11-20T10:00:00+08:00', '2026-11-20T09:00:00+08:00')).toBeNull();
    expect(minutesBetween(null, '2026-11-20T09:00:00+08:00')).toBeNull();
  });

  it('stamps now as RFC 3339 with the local offset, which the device parses', () => {
    const now = nowLocal();
    expect(now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(Math.abs(Date.parse(now) - Date.now())).toBeLessThan(2000);
  });
});
