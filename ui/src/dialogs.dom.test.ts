// @vitest-environment happy-dom
// Dialog plumbing: focus goes to a control when a dialog opens, Tab and Shift+Tab stay among the
// dialog's controls (never the dialog box itself), focus goes back when the last dialog closes.
import { beforeEach, describe, expect, it } from 'vitest';
import { Dialogs, isTab, tabbables } from './dialogs';

const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => {
  const e = document.querySelector<T>(sel);
  if (!e) throw new Error(`no ${sel}`);
  return e;
};

function key(target: HTMLElement, init: KeyboardEventInit): KeyboardEvent {
  const ev = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(ev);
  return ev;
}

describe('dialogs and the keyboard', () => {
  let dialogs: Dialogs;
  let dismissed: number;

  beforeEach(() => {
    document.body.innerHTML = `
      <button id="add-link">Add</button>
      <button id="opener">Open</button>
      <dialog id="d" aria-labelledby="t">
        <h2 id="t">Title</h2>
        <input id="first">
        <button id="gone" hidden>Gone</button>
        <div hidden><button id="in-hidden">In hidden</button></div>
        <button id="off" disabled>Off</button>
        <a id="no-href">not a link</a>
        <a id="link" href="https://example.com/">link</a>
        <button id="last">Last</button>
      </dialog>`;
    dismissed = 0;
    dialogs = new Dialogs({ beforeOpen: () => {}, allClosed: () => {} });
    const d = $<HTMLDialogElement>('#d');
    dialogs.manage(d, () => {
      dismissed++;
      dialogs.close(d);
    });
  });

  it('knows which controls Tab reaches', () => {
    expect(tabbables($('#d'))).toEqual([]); // closed: none
    dialogs.open($<HTMLDialogElement>('#d'), null, () => $('#opener'));
    expect(tabbables($('#d')).map((e) => e.id)).toEqual(['first', 'link', 'last']);
  });

  it('knows Shift+Tab as WebKitGTK reports it', () => {
    expect(isTab(new KeyboardEvent('keydown', { key: 'Tab', code: 'Tab' }))).toBe(true);
    expect(isTab(new KeyboardEvent('keydown', { key: 'Unidentified', code: 'Tab', shiftKey: true }))).toBe(true);
    expect(isTab(new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter' }))).toBe(false);
  });

  it('focuses the first control when none is given, never the dialog', () => {
    dialogs.open($<HTMLDialogElement>('#d'), null, () => $('#opener'));
    expect(document.activeElement?.id).toBe('first');
  });

  it('Tab from the last control goes to the first, Shift+Tab from the first to the last', () => {
    dialogs.open($<HTMLDialogElement>('#d'), $('#last'), () => $('#opener'));
    expect(document.activeElement?.id).toBe('last');
    const forward = key($('#last'), { key: 'Tab', code: 'Tab' });
    expect(forward.defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe('first');
    const back = key($('#first'), { key: 'Unidentified', code: 'Tab', shiftKey: true });
    expect(back.defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe('last');
  });

  it('leaves Tab between two controls to the browser', () => {
    dialogs.open($<HTMLDialogElement>('#d'), $('#first'), () => $('#opener'));
    const ev = key($('#first'), { key: 'Tab', code: 'Tab' });
    expect(ev.defaultPrevented).toBe(false);
  });

  it('brings focus that landed on the dialog box back to a control', () => {
    const d = $<HTMLDialogElement>('#d');
    dialogs.open(d, $('#first'), () => $('#opener'));
    d.tabIndex = -1;
    d.focus();
    key(d, { key: 'Tab', code: 'Tab' });
    expect(document.activeElement?.id).toBe('first');
    d.focus();
    key(d, { key: 'Tab', code: 'Tab', shiftKey: true });
    expect(document.activeElement?.id).toBe('last');
  });

  it('Escape dismisses; focus goes back to the control that opened the dialog', () => {
    const d = $<HTMLDialogElement>('#d');
    $('#opener').focus();
    dialogs.open(d, null, () => $('#opener'));
    d.dispatchEvent(new Event('cancel', { cancelable: true }));
    expect(dismissed).toBe(1);
    expect(d.open).toBe(false);
    expect(document.activeElement?.id).toBe('opener');
  });
});
