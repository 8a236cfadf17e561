// The settings dialog: start at login, keep running in the tray, and how early to warn before a
// session ends. Saved through `set_preferences` (src-tauri/src/commands.rs).
import * as api from '../api';
import type { Dialogs } from '../dialogs';
import { byId, show } from '../render';
import type { Toast } from '../notify';
import { displayText, toUiError } from '../view';

export class SettingsDialog {
  private readonly dialog = byId<HTMLDialogElement>('settings-dialog');

  constructor(
    private readonly dialogs: Dialogs,
    private readonly toast: Toast,
  ) {}

  wire(): void {
    byId('settings-open').addEventListener('click', () => void this.open());
    byId('settings-cancel').addEventListener('click', () => this.dialogs.close(this.dialog));
    byId('settings-save').addEventListener('click', () => void this.save());
    byId('settings-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.save();
    });
    this.dialogs.manage(this.dialog, () => this.dialogs.close(this.dialog));
  }

  private async open(): Promise<void> {
    show(byId('settings-error'), false);
    try {
      const p = await api.getPreferences();
      byId<HTMLInputElement>('settings-autostart').checked = p.start_at_login;
      byId<HTMLInputElement>('settings-keep-running').checked = p.keep_running;
      byId<HTMLInputElement>('settings-warn-days').value = String(p.renew_warning_days);
    } catch (err) {
      this.toast.show(`Could not read the settings: ${displayText(toUiError(err).message)}`, true);
      return;
    }
    this.dialogs.open(this.dialog, byId('settings-autostart'), () => byId('settings-open'));
  }

  private async save(): Promise<void> {
    const days = Number(byId<HTMLInputElement>('settings-warn-days').value);
    const box = byId('settings-error');
    if (!Number.isInteger(days) || days < 0 || days > 60) {
      box.textContent = 'Give a whole number of days from 0 to 60.';
      show(box, true);
      return;
    }
    try {
      await api.setPreferences({
        start_at_login: byId<HTMLInputElement>('settings-autostart').checked,
        keep_running: byId<HTMLInputElement>('settings-keep-running').checked,
        renew_warning_days: days,
      });
    } catch (err) {
      const ue = toUiError(err);
      box.textContent = `${displayText(ue.message)}: ${displayText(ue.cause)}`;
      show(box, true);
      return;
    }
    this.dialogs.close(this.dialog);
    this.toast.show('Settings saved.');
  }
}
