import { describe, expect, it, vi } from 'vitest';
import { KioskApp } from './app.svelte';
import { lookup, setLang, t } from './i18n.svelte';
import { MemoryBackend } from './memory-backend';
import { en, zhCN } from './messages';

function leaves(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : leaves(v as object, `${prefix}${k}.`)));
}

describe('message catalogue', () => {
  it('has every key in both languages, none empty, placeholders alike', () => {
    const zh = leaves(zhCN).sort();
    expect(leaves(en).sort()).toEqual(zh);
    for (const key of zh) {
      const a = lookup(zhCN, key);
      const b = lookup(en as typeof zhCN, key);
      expect(a.trim(), key).not.toBe('');
      expect(b.trim(), key).not.toBe('');
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(b), key).toEqual(names(a));
    }
  });

  it('switches language and fills placeholders', () => {
    setLang('en');
    expect(t('idle.warning', { n: 5 })).toBe('No activity: returning to the start in 5 s');
    setLang('zh-CN');
    expect(t('idle.warning', { n: 5 })).toBe('长时间无操作，5 秒后返回首页');
  });
});

describe('the rating flow', () => {
  it('asks a bad review for reasons, then records one rating however often submit is tapped', async () => {
    const backend = MemoryBackend.ready();
    const app = new KioskApp(backend);
    await app.home();
    expect(app.screen).toBe('welcome');
    app.startRating();
    const s = app.session!;
    s.attitude = 2;
    s.competence = 4;
    await app.next();
    expect(app.screen).toBe('reasons');
    s.toggleReason('long_wait');
    await Promise.all([app.submit(), app.submit(), app.submit()]);
    expect(app.screen).toBe('thanks');
    expect(backend.ratings).toHaveLength(1);
    expect(backend.ratings[0]?.reasons).toEqual(['long_wait']);
    app.idle.stop();
  });

  it('drops a half-finished rating when left idle', async () => {
    vi.useFakeTimers();
    const backend = MemoryBackend.ready();
    backend.settings.idle_seconds = 5;
    const app = new KioskApp(backend);
    await app.home();
    app.startRating();
    app.session!.attitude = 3;
    await vi.advanceTimersByTimeAsync(6000);
    expect(app.screen).toBe('welcome');
    expect(app.session).toBeNull();
    expect(backend.ratings).toHaveLength(0);
    vi.useRealTimers();
  });

  it('shows the closed screen when nobody is on duty and setup before anything', async () => {
    const backend = MemoryBackend.ready();
    backend.onDuty = null;
    const app = new KioskApp(backend);
    await app.home();
    expect(app.screen).toBe('closed');
    const fresh = new KioskApp(new MemoryBackend());
    await fresh.home();
    expect(fresh.screen).toBe('setup');
  });
});
