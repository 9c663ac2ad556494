import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './bindings';
import { en, zhCN } from './messages';

describe('the error catalogue', () => {
  it('has Simplified Chinese and English words for every code the Rust side can send', () => {
    const missing = ERROR_CODES.filter((code) => !zhCN.errors[code]?.trim() || !en.errors[code]?.trim());
    expect(missing).toEqual([]);
  });

  it('has no words for codes that no longer exist', () => {
    const known = new Set<string>(ERROR_CODES);
    expect(Object.keys(zhCN.errors).filter((k) => !known.has(k))).toEqual([]);
    expect(Object.keys(en.errors).filter((k) => !known.has(k))).toEqual([]);
  });

});
