// Spoken prompts: "please rate this service" when the window asks for a
// rating, "thank you" after it. Off unless the hall turned them on. The hall's
// own recordings (in the data folder's sounds/) replace the ones the app ships
// with (public/sounds/, synthesised); a kiosk without a sound card stays quiet
// and carries on.
import type { Backend } from './backend';
import type { Prompt } from './types';

export class Prompts {
  /** The last prompt played, shown on the page for the tests (there is nobody to listen in CI). */
  last = $state<Prompt | null>(null);
  private urls = new Map<Prompt, string>();

  constructor(private readonly backend: Backend) {}

  private async url(prompt: Prompt): Promise<string> {
    const known = this.urls.get(prompt);
    if (known) return known;
    let url = `/sounds/${prompt}.wav`;
    try {
      const own = await this.backend.promptSound(prompt);
      if (own.byteLength > 0) url = URL.createObjectURL(new Blob([own]));
    } catch {
      // The app's own sound, then.
    }
    this.urls.set(prompt, url);
    return url;
  }

  async say(prompt: Prompt, enabled: boolean): Promise<void> {
    if (!enabled) return;
    this.last = prompt;
    try {
      await new Audio(await this.url(prompt)).play();
    } catch {
      // No sound device, or the file does not play: the screen says it anyway.
    }
  }
}
