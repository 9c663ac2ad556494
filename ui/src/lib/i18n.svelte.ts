// The current language and the lookup of catalogue strings.
import { en, zhCN, type Messages } from './messages';

export type Lang = 'zh-CN' | 'en';
export type Text = { zh: string; en: string };

const catalogues: Record<Lang, Messages> = { 'zh-CN': zhCN, en: en as Messages };

/** The language shown, and those the hall offers (the toggle shows only for more than one). */
export const locale = $state<{ lang: Lang; offered: Lang[] }>({ lang: 'zh-CN', offered: ['zh-CN', 'en'] });

export function setOffered(offered: Lang[]): void {
  locale.offered = offered.length ? offered : ['zh-CN', 'en'];
}

/** Looks up a dotted key ("rate.submit") and fills `{name}` placeholders. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  return lookup(catalogues[locale.lang], key, params);
}

export function lookup(messages: Messages, key: string, params: Record<string, string | number> = {}): string {
  let node: unknown = messages;
  for (const part of key.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  if (typeof node !== 'string') return key;
  return node.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Reference data carries its own two languages; English falls back to Chinese. */
export function tx(text: Text | null | undefined): string {
  if (!text) return '';
  return locale.lang === 'en' && text.en.trim() ? text.en : text.zh;
}

/** The catalogue message for an error code, or the generic one. */
export function errorText(code: string): string {
  const key = `errors.${code}`;
  const s = t(key);
  return s === key ? t('errors.unknown') : s;
}

export function setLang(lang: Lang): void {
  locale.lang = lang;
  document.documentElement.lang = lang;
}

/** The line that reports a reference-data import, on the setup and admin screens. */
export function importSummaryText(s: { version: number; halls: number; windows: number; staff: number; reasons: number; unchanged: boolean }): string {
  if (s.unchanged) return t('setup.importedSame', { version: s.version });
  return t('setup.imported', { version: s.version, halls: s.halls, windows: s.windows, staff: s.staff, reasons: s.reasons });
}
