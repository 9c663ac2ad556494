// The hall's opening hours as the centre sent them, for the sleep and admin screens.
import { t } from './i18n.svelte';
import type { CentreSettings } from './bindings';

/** "09:00–17:00" from the server's "09:00:00" times. */
const hm = (s: string): string => s.slice(0, 5);

/** The opening hours, with the lunch break when there is one. */
export function hoursText(c: CentreSettings): string {
  const open = `${hm(c.opens)}–${hm(c.closes)}`;
  return c.lunch ? t('asleep.hoursLunch', { open, from: hm(c.lunch.from), to: hm(c.lunch.to) }) : open;
}
