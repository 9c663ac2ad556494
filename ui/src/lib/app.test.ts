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

describe('the window drives the kiosk', () => {
  const flush = () => new Promise((r) => setTimeout(r, 0));
  const key = (k: string, at: number, target: Partial<HTMLElement> = { tagName: 'BODY' }) =>
    ({ key: k, timeStamp: at, target, preventDefault: () => {} }) as unknown as KeyboardEvent;

  it('a rating request brings the rating screen with its case; pause and resume follow', async () => {
    const backend = MemoryBackend.ready();
    const app = new KioskApp(backend);
    await app.home();
    void app.followLink();
    await flush();
    backend.windowRate('b-0001');
    await flush();
    expect(app.screen).toBe('rate');
    expect(app.status?.case_no).toBe('B-0001');
    app.session!.attitude = 5;
    app.session!.competence = 5;
    await app.next();
    expect(app.screen).toBe('thanks');
    expect(backend.ratings[0]?.case_no).toBe('B-0001');
    expect(() => backend.windowRate('B-0001')).toThrow();

    backend.windowPause();
    await flush();
    expect(app.screen).toBe('paused');
    backend.windowResume();
    await flush();
    await flush();
    expect(app.screen).toBe('welcome');
    app.idle.stop();
  });

  it('sleeps while the hall is closed, wakes for a case the window opens, and follows the clock', async () => {
    const backend = MemoryBackend.ready();
    backend.centre = {
      opens: '09:00:00',
      closes: '17:00:00',
      lunch: { from: '12:00:00', to: '13:30:00' },
      sleep_when_closed: true,
      idle_seconds: null,
      interval_seconds: null,
      languages: ['zh-CN'],
    };
    backend.asleep = true;
    const app = new KioskApp(backend);
    await app.home();
    expect(app.screen).toBe('asleep');
    expect(app.status?.languages).toEqual(['zh-CN']);
    void app.followLink();
    await flush();
    backend.windowRate('B-0002');
    await flush();
    expect(app.screen).toBe('rate');
    app.session!.attitude = 4;
    app.session!.competence = 5;
    await app.next();
    expect(backend.ratings[0]?.case_no).toBe('B-0002');
    await app.home();
    expect(app.screen).toBe('asleep');
    backend.asleep = false;
    await app.tick();
    expect(app.screen).toBe('welcome');
    app.idle.stop();
  });

  it('takes requests once setup is done: the PIN set in setup does not leave the administrator in', async () => {
    const backend = new MemoryBackend();
    const app = new KioskApp(backend);
    await app.home();
    expect(app.screen).toBe('setup');
    await backend.importReference('/demo/reference.json');
    await backend.bindWindow('w02');
    expect(() => backend.windowSignIn('100102')).toThrow();
    await backend.setAdminPin('260418');
    expect(() => backend.windowSignIn('100102')).toThrow();
    await app.finishSetup();
    expect(app.screen).toBe('closed');
    backend.windowSignIn('100102');
    expect(backend.onDuty?.no).toBe('100102');
  });

  it('binds a scanned case on the welcome screen and ignores scans on a citizen screen', async () => {
    const backend = MemoryBackend.ready();
    const app = new KioskApp(backend);
    await app.home();
    let at = 1000;
    for (const ch of 'SCAN-42') await app.key(key(ch, (at += 5)));
    await app.key(key('Enter', (at += 5)));
    expect(backend.caseNo).toBe('SCAN-42');
    expect(app.screen).toBe('welcome');
    expect(app.status?.case_no).toBe('SCAN-42');

    app.startRating();
    for (const ch of 'OTHER-1') await app.key(key(ch, (at += 5)));
    await app.key(key('Enter', (at += 5)));
    expect(app.screen).toBe('rate');
    expect(backend.caseNo).toBe('SCAN-42');
    // Typing in a field is the field's own business.
    await app.home();
    for (const ch of 'X1') await app.key(key(ch, (at += 5), { tagName: 'INPUT' }));
    await app.key(key('Enter', (at += 5), { tagName: 'INPUT' }));
    expect(backend.caseNo).toBe('SCAN-42');
    app.idle.stop();
  });
});
