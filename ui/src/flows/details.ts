// The Details dialog of one hub: its facts and state, kept current while open, with
// "Copy details", "Sign in (again)" and "Sign out".
import * as api from '../api';
import { displayText, supportDetails, toUiError } from '../view';
import type { Toast } from '../notify';
import { byId, fillDetails, setText, show } from '../render';
import type { Dialogs } from '../dialogs';
import type { Entry, HubList } from '../hub-list';
import { copyFromButton } from '../clipboard';

/** What the dialog's buttons start. */
export type DetailsActions = {
  signIn(id: string, device: boolean): void;
  signOut(id: string): void;
};

export class DetailsDialog {
  private hubId: string | null = null;
  private readonly dialog = byId<HTMLDialogElement>('details-dialog');

  constructor(
    private readonly hubs: HubList,
    private readonly dialogs: Dialogs,
    private readonly now: () => Date,
    private readonly actions: DetailsActions,
    private readonly toast: Toast,
  ) {}

  wire(): void {
    byId('details-close').addEventListener('click', () => this.dialogs.close(this.dialog));
    byId('details-copy').addEventListener('click', (ev) => {
      const e = this.hubId ? this.hubs.get(this.hubId) : undefined;
      if (e) void copyFromButton(supportDetails({ hub: e.hub, state: e.state, now: this.now() }), ev.currentTarget as HTMLButtonElement);
    });
    byId('details-signin').addEventListener('click', () => {
      const id = this.hubId;
      const e = id ? this.hubs.get(id) : undefined;
      if (!id || !e) return;
      this.dialogs.close(this.dialog);
      this.actions.signIn(id, e.hub.flow === 'device');
    });
    byId('details-signout').addEventListener('click', () => {
      const id = this.hubId;
      if (!id) return;
      this.dialogs.close(this.dialog);
      this.actions.signOut(id);
    });
    byId('details-browser-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.saveBrowser();
    });
    this.dialogs.manage(this.dialog, () => this.dialogs.close(this.dialog));
  }

  /** The browser this hub's sign-in uses, as the user chose it here. */
  private async saveBrowser(): Promise<void> {
    const id = this.hubId;
    const e = id ? this.hubs.get(id) : undefined;
    if (!id || !e) return;
    const value = byId<HTMLInputElement>('details-browser').value.trim();
    try {
      await api.setHubBrowser(id, value || null);
      e.hub = { ...e.hub, browser: value || null };
      this.toast.show(value ? `${displayText(e.hub.name)} signs in with: ${displayText(value, 200)}` : `${displayText(e.hub.name)} signs in with the usual browser.`);
    } catch (err) {
      this.toast.show(`Could not save the browser: ${displayText(toUiError(err).message)}. ${displayText(toUiError(err).next_step)}`, true);
    }
  }

  open(id: string): void {
    const e = this.hubs.get(id);
    if (!e) return;
    this.hubId = id;
    byId<HTMLInputElement>('details-browser').value = e.hub.browser ?? '';
    show(byId('details-browser-form'), e.hub.auth !== 'web');
    this.fill(e);
    this.dialogs.open(this.dialog, byId('details-close'), this.hubs.returnTarget(id));
  }

  /** Refills the dialog if it is open on this hub. */
  update(e: Entry): void {
    if (this.hubId === e.hub.id && this.dialog.open) this.fill(e);
  }

  /** Refills the open dialog (its times move on). */
  tick(): void {
    const shown = this.hubId ? this.hubs.get(this.hubId) : undefined;
    if (shown && this.dialog.open) this.fill(shown);
  }

  private fill(e: Entry): void {
    fillDetails(e.hub, e.state, this.now());
    const signedIn = e.state.kind === 'signed_in';
    const busy = e.state.kind === 'checking' || e.state.kind === 'signing_in';
    show(byId('details-signout'), signedIn || e.state.kind === 'offline');
    show(byId('details-signin'), !busy);
    setText('details-signin', signedIn ? 'Sign in again' : 'Sign in');
  }
}
