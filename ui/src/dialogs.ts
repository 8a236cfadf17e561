// Dialog plumbing for the native <dialog>s (modal, Escape, top layer): opening with focus,
// closing, the one dismiss path, Tab kept among the dialog's controls, and where focus goes
// back once no dialog is open.
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
    d.addEventListener('keydown', (ev) => trapTab(d, ev));
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
    // Never the dialog box itself: it is not a control.
    (focus && !focus.hidden ? focus : tabbables(d)[0])?.focus();
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

/** The controls inside `root` that Tab reaches, in document order (the page sets no positive
 *  tabindex): enabled, not hidden, not inert. */
export function tabbables(root: HTMLElement): HTMLElement[] {
  const candidates = root.querySelectorAll<HTMLElement>('button, a[href], input, select, textarea, summary, [tabindex]');
  return Array.from(candidates).filter(
    (e) =>
      e.tabIndex >= 0 &&
      !(e as HTMLButtonElement).disabled &&
      e.closest('[hidden], [inert]') === null &&
      (typeof e.checkVisibility !== 'function' || e.checkVisibility()),
  );
}

/** The Tab key, with or without Shift. WebKitGTK reports Shift+Tab as key 'Unidentified'
 *  (GDK's ISO_Left_Tab), code 'Tab'. */
export function isTab(ev: KeyboardEvent): boolean {
  return ev.key === 'Tab' || ev.code === 'Tab';
}

/** Tab and Shift+Tab go round the open dialog's controls. Left to themselves, browsers let
 *  focus leave a modal dialog at either end: WebKitGTK (the app's engine) then stops on the
 *  dialog box itself (an extra Tab stop showing a focus ring round the whole dialog), Chromium
 *  on the browser's own UI. */
function trapTab(d: HTMLDialogElement, ev: KeyboardEvent): void {
  if (!isTab(ev) || ev.altKey || ev.ctrlKey || ev.metaKey || !d.open) return;
  const items = tabbables(d);
  const first = items[0];
  const last = items[items.length - 1];
  const at = document.activeElement as HTMLElement | null;
  const inside = at !== null && items.includes(at);
  if (!first || !last) {
    ev.preventDefault();
  } else if (ev.shiftKey && (!inside || at === first)) {
    ev.preventDefault();
    last.focus();
  } else if (!ev.shiftKey && (!inside || at === last)) {
    ev.preventDefault();
    first.focus();
  }
}
