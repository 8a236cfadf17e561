// Telling the user what happened: the screen-reader live region and the toast.
import { byId } from './render';

/** Speaks `text` through the live region. */
export function announce(text: string): void {
  const live = byId('live');
  live.textContent = '';
  // A new text node in a later frame makes screen readers speak repeated messages too.
  setTimeout(() => (live.textContent = text), 50);
}

/** The toast at the bottom of the page: one message at a time, errors stay longer. */
export class Toast {
  private timer: ReturnType<typeof setTimeout> | null = null;

  show(text: string, error = false): void {
    const t = byId('toast');
    t.textContent = text;
    t.classList.toggle('toast-error', error);
    t.hidden = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => (t.hidden = true), error ? 10_000 : 5_000);
  }
}
