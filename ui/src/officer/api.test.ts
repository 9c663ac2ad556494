import { describe, expect, it } from 'vitest';
import { minutesBetween, nowLocal } from './api';
import { emptyBody, MemoryOfficerBackend } from './memory-backend';

describe('officer timers', () => {
  it('gives whole minutes between taps, rounded, and nothing when out of order', () => {
    expect(minutesBetween('2026-11-20T09:05:00+08:00', '2026-11-20T09:35:20+08:00')).toBe(30);
    expect(minutesBetween('2026-11-20T09:05:00+08:00', '2026-11-20T09:35:40+08:00')).toBe(31);
    expect(minutesBetween('2026-11-20T10:00:00+08:00', '2026-11-20T09:00:00+08:00')).toBeNull();
    expect(minutesBetween(null, '2026-11-20T09:00:00+08:00')).toBeNull();
  });

  it('stamps a moment as RFC 3339 with the local offset, which the device parses', () => {
    const moment = new Date(Date.UTC(2026, 11, 31, 15, 58, 30));
    const stamped = nowLocal(moment);
    expect(stamped).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(Date.parse(stamped)).toBe(moment.getTime());
  });
});

describe('the officer backend', () => {
  it('shows the reply on a problem and takes one answer to it', async () => {
    const b = MemoryOfficerBackend.demo();
    await expect(b.list()).rejects.toMatchObject({ code: 'officer_signed_out' });
    await b.signIn('gz-2026-07', 'tiyan-2026');
    const row = (await b.list())[0];
    const problem = row?.ledger[0];
    if (!row || !problem) throw new Error('the demo has an entry with a problem');
    expect(problem.state).toBe('replied');
    expect(problem.reply).toContain('显示屏');
    await b.answer(problem.problem_id, 'satisfied');
    const detail = await b.open(row.entry_id);
    expect(detail.ledger[0]?.answered).toBe('satisfied');
    await expect(b.answer(problem.problem_id, 'dissatisfied')).rejects.toMatchObject({ code: 'nothing_to_answer' });
  });

  it('registers the problems of a submitted entry, and nothing answers them before a reply', async () => {
    const b = new MemoryOfficerBackend();
    await b.signIn('gz-2026-07', 'tiyan-2026');
    const d = await b.create();
    await expect(b.submit(d.entry_id)).rejects.toMatchObject({ code: 'diary_incomplete' });
    const body = {
      ...emptyBody(),
      visited_at: '2026-11-20T09:05:00+08:00',
      channel: 'window' as const,
      mode: 'on_my_own' as const,
      score: 7,
      account: '取号后等了二十分钟。',
      problems: [{ id: 'p1', category: 'guide' as const, text: '指南过时' }],
    };
    await b.save(d.entry_id, body);
    await b.submit(d.entry_id);
    const detail = await b.open(d.entry_id);
    expect(detail.ledger).toEqual([{ problem_id: 'p1', state: 'registered', reply: null, satisfaction: null, answered: null }]);
    await expect(b.answer('p1', 'satisfied')).rejects.toMatchObject({ code: 'nothing_to_answer' });
  });
});
