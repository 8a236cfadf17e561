// Dialog plumbing for the native <dialog>s (modal, Escape, top layer): opening with focus,
// closing, the one dismiss path, and where focus goes back once no dialog is open.
import { byId } from './render';

/** Where focus goes, looked up only when it is needed (the element may be gone by then). */
export type Focusable = () => HTMLElement | null;

export type DialogHooks = {
  /** Runs before a dialog opens (the card menu closes). */
  beforeOpen(): void;
  /** Runs after a dialog closed when no dialog is open any more (queued links may show). */
  allClosed(): void;
};

export class Dialogs {
  private readonly managed: HTMLDialogElement[] = [];
  private readonly returnFocus = new Map<HTMLDialogElement, Focusable>();
  private readonly closingByUs = new Set<HTMLDialogElement>();

  constructor(private readonly hooks: DialogHooks) {}

  /** Takes charge of a dialog: Escape, or the browser closing it by itself, calls `dismiss`
   *  (exactly one path). */
  manage(d: HTMLDialogElement, dismiss: () => void): void {
    this.managed.push(d);
    d.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      dismiss();
    });
    d.addEventListener('close', () => {
      const ours = this.closingByUs.delete(d);
      if (!ours) dismiss();
      if (!this.anyOpen()) {
        const target = this.returnFocus.get(d)?.();
        target?.focus();
        this.hooks.allClosed();
      }
      this.returnFocus.delete(d);
    });
  }

  open(d: HTMLDialogElement, focus: HTMLElement | null, returnTo: Focusable): void {
    this.hooks.beforeOpen();
    if (!this.returnFocus.has(d)) this.returnFocus.set(d, returnTo);
    if (!d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    }
    (focus ?? d).focus();
  }

  close(d: HTMLDialogElement): void {
    if (!d.open) return;
    this.closingByUs.add(d);
    if (typeof d.close === 'function') d.close();
    else {
      d.removeAttribute('open');
      d.dispatchEvent(new Event('close'));
    }
  }

  anyOpen(): boolean {
    return this.managed.some((d) => d.open);
  }

  /** Where focus goes back to when `d` closes, if one was set. */
  returnTarget(d: HTMLDialogElement): Focusable | undefined {
    return this.returnFocus.get(d);
  }

  setReturnTarget(d: HTMLDialogElement, target: Focusable): void {
    this.returnFocus.set(d, target);
  }
}

/** The element focused right now (or the Add button, if it is gone by the time it is needed). */
export function focusNow(): Focusable {
  const a = document.activeElement;
  const el = a instanceof HTMLElement && a !== document.body ? a : null;
  return () => (el?.isConnected ? el : byId('add-link'));
}
