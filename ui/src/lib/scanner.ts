// A USB barcode or QR scanner types like a keyboard: the characters of the
// code in a quick burst, then Enter. This gathers such a burst into a case
// number; a pause longer than a scanner ever makes starts the code afresh, so
// a stray key pressed long before does not end up in front of it.

/** Longest pause between two keys of one scan, in milliseconds (scanners type every few ms). */
export const SCAN_GAP_MS = 300;
/** Longer than any case number (tiyan_core::case_no allows 40). */
const MAX_LEN = 64;

export class ScanBuffer {
  private text = '';
  private last = -Infinity;

  /** Feeds one key (its `KeyboardEvent.key`) pressed at `at` ms; answers the code when Enter ends one. */
  feed(key: string, at: number): string | null {
    if (at - this.last > SCAN_GAP_MS) this.text = '';
    this.last = at;
    if (key === 'Enter') {
      const code = this.text.trim();
      this.text = '';
      return code || null;
    }
    // Printable characters only: Shift, Tab and the like are not part of a code.
    if (key.length === 1 && this.text.length < MAX_LEN) this.text += key;
    return null;
  }

  clear(): void {
    this.text = '';
  }
}
