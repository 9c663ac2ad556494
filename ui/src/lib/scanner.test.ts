import { describe, expect, it } from 'vitest';
import { SCAN_GAP_MS, ScanBuffer } from './scanner';

const scan = (b: ScanBuffer, code: string, start: number, gap = 4) => {
  let at = start;
  for (const ch of code) b.feed(ch, (at += gap));
  return b.feed('Enter', at + gap);
};

describe('the scanner buffer', () => {
  it('gives the code a burst of keys ended by Enter', () => {
    const b = new ScanBuffer();
    expect(scan(b, 'B20261204-0007', 1000)).toBe('B20261204-0007');
    expect(b.feed('Enter', 2000)).toBeNull();
  });

  it('starts afresh after a pause, and ignores keys that are not characters', () => {
    const b = new ScanBuffer();
    b.feed('x', 0);
    b.feed('Shift', 10);
    expect(scan(b, 'A1', 10 + SCAN_GAP_MS + 1)).toBe('A1');
    b.feed('Shift', 5000);
    expect(scan(b, 'C3', 5001)).toBe('C3');
  });
});
