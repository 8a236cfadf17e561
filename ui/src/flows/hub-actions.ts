// What changes a hub's place on this computer: signing out, hiding and showing again, and
// removing (after the "Remove …?" question).
import * as api from '../api';
import type { HubView } from '../types';
import { displayText, toUiError } from '../view';
import { byId, setText } from '../render';
import type { Dialogs } from '../dialogs';
import type { HubList } from '../hub-list';
import type { Toast } from '../notify';

export class HubActions {
  /** What "yes" in the question dialog does. */
  private askAction: (() => void) | null = null;
  private readonly askDialog = byId<HTMLDialogElement>('ask-dialog');

  constructor(
    private readonly hubs: HubList,
    private readonly dialogs: Dialogs,
    private readonly toast: Toast,
  ) {}

  wire(): void {
    byId('ask-no').addEventListener('click', () => this.dialogs.close(this.askDialog));
    byId('ask-yes').addEventListener('click', () => {
      const act = this.askAction;
      this.askAction = null;
      this.dialogs.close(this.askDialog);
      act?.();
    });
    this.dialogs.manage(this.askDialog, () => this.dialogs.close(this.askDialog));
  }

  async signOut(id: string): Promise<void> {
    const e = this.hubs.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    try {
      const said = await api.logout(id);
      this.toast.show(said ? displayText(said, 400) : `Signed out of ${name}.`);
    } catch (err) {
      const ue = toUiError(err);
      this.toast.show(`Could not sign out of ${name}: ${displayText(ue.message)}. ${displayText(ue.next_step)}`, true);
    }
    await this.hubs.check(id);
  }

  /** A signed-in hub's primary action: a cookie hub in a Hublink window, others in the browser. */
  async open(id: string): Promise<void> {
    const e = this.hubs.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    try {
      await api.openHub(id);
      if (e.hub.auth !== 'web') this.toast.show(`${name} opened in your browser.`);
    } catch (err) {
      const ue = toUiError(err);
      this.toast.show(`Could not open ${name}: ${displayText(ue.message)}. ${displayText(ue.next_step)}`, true);
    }
  }

  /** Deletes the hub's cookies from Hublink's web windows (its kept session stays). */
  async forgetWebData(id: string): Promise<void> {
    const e = this.hubs.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    try {
      const n = await api.forgetWebData(id);
      this.toast.show(`Forgot ${n} cookie${n === 1 ? '' : 's'} of ${name} in Hublink’s windows.`);
    } catch (err) {
      this.toast.show(`Could not forget the web data of ${name}: ${displayText(toUiError(err).message)}`, true);
    }
  }

  async hide(id: string): Promise<void> {
    const e = this.hubs.get(id);
    if (!e) return;
    try {
      await api.setHidden(id, true);
      this.toast.show(`${displayText(e.hub.name)} is hidden. Use “Show hidden hubs” below the list to bring it back.`);
    } catch (err) {
      this.toast.show(`Could not hide ${displayText(e.hub.name)}: ${displayText(toUiError(err).message)}`, true);
    }
    await this.hubs.refresh();
    this.hubs.cardTarget(null)()?.focus();
  }

  async unhide(hub: HubView): Promise<void> {
    try {
      await api.setHidden(hub.id, false);
    } catch (err) {
      this.toast.show(`Could not show ${displayText(hub.name)}: ${displayText(toUiError(err).message)}`, true);
      return;
    }
    await this.hubs.refresh();
    void this.hubs.check(hub.id); // it was not checked while hidden
    this.hubs.highlight(hub.id);
  }

  /** Asks "Remove …?"; removes on yes. */
  askRemove(id: string): void {
    const e = this.hubs.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    setText('ask-title', `Remove ${name}?`);
    setText('ask-text', `Its button disappears and its sign-in is forgotten on this computer. You can add it again from its authentication link.`);
    setText('ask-yes', 'Remove');
    this.askAction = () => void this.remove(id);
    this.dialogs.open(this.askDialog, byId('ask-no'), this.hubs.returnTarget(id));
  }

  private async remove(id: string): Promise<void> {
    const e = this.hubs.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    try {
      await api.removeHub(id);
      this.toast.show(`Removed ${name}.`);
    } catch (err) {
      const ue = toUiError(err);
      this.toast.show(`Could not remove ${name}: ${displayText(ue.message)}. ${displayText(ue.next_step)}`, true);
    }
    await this.hubs.refresh();
    this.hubs.cardTarget(null)()?.focus();
  }
}
