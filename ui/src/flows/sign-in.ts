// Signing in: the sign-in dialog from progress (browser opened, device code, verifying) to its
// outcome (success, error, cancelled), cancelling, retrying and copying support details.
import * as api from '../api';
import type { HubView, LoginProgress, UiError } from '../types';
import { countdown, dayPhrase, displayText, isTransient, parseTime, sentence, supportDetails, toUiError } from '../view';
import { byId, fillAvatar, setText, show } from '../render';
import type { Dialogs } from '../dialogs';
import type { HubList } from '../hub-list';
import { type Toast, announce } from '../notify';
import { copyFromButton } from '../clipboard';

/** The sign-in under way (one at a time). */
type LoginRun = {
  hubId: string;
  device: boolean;
  cancelling: boolean;
  deviceDeadline: number | null;
  ticker: ReturnType<typeof setInterval> | null;
};

type DeviceCode = Extract<LoginProgress, { kind: 'device_code' }>;

export class SignInFlow {
  private login: LoginRun | null = null;
  private lastFailure: { hubId: string; error: UiError } | null = null;
  private successTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly dialog = byId<HTMLDialogElement>('signin-dialog');

  constructor(
    private readonly hubs: HubList,
    private readonly dialogs: Dialogs,
    private readonly toast: Toast,
    private readonly now: () => Date,
    /** How long the success message stays before the dialog closes itself. */
    private readonly successCloseMs: number,
  ) {}

  wire(): void {
    byId('signin-cancel').addEventListener('click', () => void this.cancel());
    byId('signin-close').addEventListener('click', () => this.dialogs.close(this.dialog));
    byId('signin-retry').addEventListener('click', () => {
      const f = this.lastFailure;
      if (f) void this.signIn(f.hubId, this.dialog.dataset.device === 'true');
    });
    byId('copy-details').addEventListener('click', (ev) => {
      const f = this.lastFailure;
      const e = f ? this.hubs.get(f.hubId) : undefined;
      if (f && e) void copyFromButton(supportDetails({ hub: e.hub, error: f.error, now: this.now() }), ev.currentTarget as HTMLButtonElement);
    });
    byId('signin-copy-url').addEventListener('click', (ev) => void copyFromButton(byId('signin-url').textContent ?? '', ev.currentTarget as HTMLButtonElement));
    // Inside the app a followed link would navigate the window itself: open the browser instead.
    for (const kind of ['click', 'auxclick'] as const) {
      byId('signin-url').addEventListener(kind, (ev) => {
        ev.preventDefault();
        void this.openExternal(byId('signin-url').textContent ?? '');
      });
    }
    byId('copy-code').addEventListener('click', (ev) => void copyFromButton(byId('device-code').textContent ?? '', ev.currentTarget as HTMLButtonElement));
    byId('device-open').addEventListener('click', () => void this.openExternal(byId('device-open').dataset.url ?? ''));
    this.dialogs.manage(this.dialog, () => {
      if (this.login) void this.cancel();
      else this.dialogs.close(this.dialog);
    });
  }

  async signIn(id: string, device: boolean): Promise<void> {
    const e = this.hubs.get(id);
    if (!e || this.login) return;
    if (this.successTimer) clearTimeout(this.successTimer);
    this.login = { hubId: id, device, cancelling: false, deviceDeadline: null, ticker: null };
    if (e.state.kind !== 'signing_in') e.prev = e.state;
    this.hubs.setState(e, { kind: 'signing_in' }, false);
    this.showProgress(e.hub, device);
    announce(`Signing in to ${displayText(e.hub.name)}.`);
    try {
      const r = await api.login(id, device);
      e.prev = null;
      e.hub = { ...e.hub, last: { user: r.user, signed_in_at: this.now().toISOString(), expires_at: r.expires_at } };
      this.hubs.setState(e, { kind: 'signed_in', user: r.user, expires_at: r.expires_at, session_ends_at: r.session_ends_at ?? null, renew_due: r.renew_due ?? false }, false);
      this.showSuccess(e.hub, r.user, r.session_ends_at ?? null);
    } catch (err) {
      const ue = toUiError(err);
      const prev = e.prev ?? { kind: 'checking' };
      e.prev = null;
      if (ue.code === 'cancelled') {
        this.hubs.setState(e, prev, false);
        this.showOutcome('cancelled');
        this.dialogs.close(this.dialog);
        announce(`Sign-in to ${displayText(e.hub.name)} cancelled.`);
      } else {
        // A failed new sign-in does not end a session that is still valid.
        this.hubs.setState(e, prev.kind === 'signed_in' ? prev : { kind: 'error', error: ue }, false);
        this.showError(e.hub, ue);
      }
    } finally {
      if (this.login?.ticker) clearInterval(this.login.ticker);
      this.login = null;
    }
  }

  /** A `login-progress` event from the backend. */
  onProgress(p: LoginProgress): void {
    const run = this.login;
    if (!run || p.hub_id !== run.hubId || run.cancelling) return;
    const hub = this.hubs.get(run.hubId)?.hub;
    const name = hub ? displayText(hub.name) : 'the hub';
    switch (p.kind) {
      case 'browser_opened':
        this.setStatus('Finish signing in in your browser', `A sign-in page for ${name} opened in your browser. Come back here when you are done.`);
        this.showFallbackUrl(p.url, 'If your browser did not open, copy this address into it:');
        announce('Finish signing in in your browser.');
        break;
      case 'window_opened':
        this.setStatus('Finish signing in in the Hublink window', `${name}’s own sign-in page opened in a Hublink window. Sign in there; it closes by itself when you are done.`);
        announce('Finish signing in in the Hublink window.');
        break;
      case 'browser_failed':
        this.setStatus('Open this address in your browser', `Hublink could not open your browser: ${displayText(p.reason, 300)}`);
        this.showFallbackUrl(p.url, 'Copy this address into your browser to continue:');
        announce('Your browser could not be opened. Copy the sign-in address into your browser.');
        break;
      case 'device_code':
        this.showDeviceCode(run, p, name);
        break;
      case 'verifying':
        this.setStatus('Verifying with the hub…', 'Checking your sign-in with the hub. This takes a moment.');
        show(byId('signin-device'), false);
        if (run.ticker) clearInterval(run.ticker);
        announce('Verifying with the hub.');
        break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Progress

  private showProgress(hub: HubView, device: boolean): void {
    const d = this.dialog;
    d.dataset.device = String(device);
    d.dataset.forHub = hub.id;
    setText('signin-title', `Sign in to ${displayText(hub.name, 120)}`);
    setText('signin-host', displayText(hub.host));
    fillAvatar(byId('signin-avatar'), hub);
    show(byId('signin-progress'), true);
    const result = byId('signin-result');
    show(result, false);
    result.dataset.outcome = '';
    show(byId('signin-browser'), false);
    show(byId('signin-device'), false);
    setText('device-code', '');
    this.setStatus(device ? 'Asking the hub for a sign-in code…' : 'Opening your browser…', '');
    const cancel = byId<HTMLButtonElement>('signin-cancel');
    cancel.disabled = false;
    cancel.textContent = 'Cancel';
    this.dialogs.open(d, cancel, this.hubs.returnTarget(hub.id));
  }

  private setStatus(status: string, sub: string, busy = true): void {
    setText('signin-status', status);
    setText('signin-sub', sub);
    show(byId('signin-sub'), sub !== '');
    byId('signin-progress').classList.toggle('idle', !busy);
  }

  private showFallbackUrl(url: string, lead: string): void {
    setText('signin-browser-lead', lead);
    const a = byId<HTMLAnchorElement>('signin-url');
    a.textContent = url;
    a.href = /^https?:\/\//i.test(url) ? url : '#';
    show(byId('signin-browser'), true);
    show(byId('signin-device'), false);
  }

  private showDeviceCode(run: LoginRun, p: DeviceCode, name: string): void {
    this.setStatus('Enter the code on the sign-in page', `Use any browser, on this computer or another one, to sign in to ${name}.`);
    show(byId('signin-browser'), false);
    show(byId('signin-device'), true);
    const code = byId('device-code');
    code.textContent = p.user_code;
    code.setAttribute('aria-label', `Code: ${Array.from(p.user_code).join(' ')}`);
    setText('device-uri', displayText(p.verification_uri, 300));
    byId('device-open').dataset.url = p.verification_uri_complete ?? p.verification_uri;
    run.deviceDeadline = Date.now() + p.expires_in_secs * 1000;
    if (run.ticker) clearInterval(run.ticker);
    const tick = (): void => {
      const left = Math.round(((run.deviceDeadline ?? 0) - Date.now()) / 1000);
      setText('device-remaining', left > 0 ? `The code expires in ${countdown(left)}.` : 'The code has expired. Cancel and sign in again.');
    };
    tick();
    run.ticker = setInterval(tick, 1000);
    announce(`Enter the code ${p.user_code} on the sign-in page.`);
  }

  private async cancel(): Promise<void> {
    const run = this.login;
    if (!run || run.cancelling) return;
    run.cancelling = true;
    const btn = byId<HTMLButtonElement>('signin-cancel');
    btn.disabled = true;
    btn.textContent = 'Cancelling…';
    this.setStatus('Cancelling…', '');
    try {
      await api.cancelLogin(run.hubId);
    } catch (e) {
      run.cancelling = false;
      btn.disabled = false;
      btn.textContent = 'Cancel';
      const ue = toUiError(e);
      this.setStatus('Could not cancel', `${displayText(ue.message)}: ${displayText(ue.cause)}`, false);
    }
  }

  private async openExternal(url: string): Promise<void> {
    if (!/^https?:\/\//i.test(url)) return;
    try {
      await api.openInBrowser(url);
    } catch (e) {
      const ue = toUiError(e);
      this.toast.show(`Could not open your browser: ${displayText(ue.message)}. Copy the address instead.`, true);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Outcome

  private showOutcome(outcome: 'success' | 'error' | 'cancelled'): void {
    const result = byId('signin-result');
    result.dataset.outcome = outcome;
    show(byId('signin-progress'), false);
    show(result, outcome !== 'cancelled');
    show(byId('result-success'), outcome === 'success');
    show(byId('result-error'), outcome === 'error');
    show(byId('copy-details'), outcome === 'error');
    show(byId('signin-retry'), outcome === 'error');
  }

  /** `endsAt`: when the session needs a new sign-in (its access is renewed silently until then). */
  private showSuccess(hub: HubView, user: string, endsAt: string | null): void {
    this.showOutcome('success');
    this.lastFailure = null;
    const text = `Signed in to ${displayText(hub.name)} as ${displayText(user)}`;
    setText('success-text', text);
    const end = parseTime(endsAt);
    const now = this.now();
    setText('success-expiry', end ? `You stay signed in until ${dayPhrase(end, now)}; Hublink renews access by itself until then.` : '');
    const close = byId<HTMLButtonElement>('signin-close');
    close.textContent = 'OK';
    close.focus();
    announce(text + '.');
    this.successTimer = setTimeout(() => {
      this.successTimer = null;
      if (this.dialog.open && byId('signin-result').dataset.outcome === 'success') this.dialogs.close(this.dialog);
    }, this.successCloseMs);
  }

  private showError(hub: HubView, err: UiError): void {
    this.showOutcome('error');
    this.lastFailure = { hubId: hub.id, error: err };
    setText('error-message', sentence(displayText(err.message, 300)));
    setText('error-cause', sentence(displayText(err.cause, 1000)));
    show(byId('error-cause'), err.cause.trim() !== '');
    setText('error-next', displayText(err.next_step, 1000));
    // A refusal that will recur the same way is not offered as "Try again": someone must act first.
    const retry = byId<HTMLButtonElement>('signin-retry');
    retry.textContent = isTransient(err) ? 'Try again' : 'Sign in again';
    const close = byId<HTMLButtonElement>('signin-close');
    close.textContent = 'Close';
    close.focus();
    announce(`Sign-in to ${displayText(hub.name)} failed: ${err.message}`);
  }
}
