// Adding a hub: the Add dialog (a typed or pasted link, errors inline), pasting a link anywhere
// on the page, and the confirmation dialog that shows what would be added before it is saved.
import * as api from '../api';
import type { ProposalView, UiError } from '../types';
import { confirmAddLabel, displayText, toUiError, userMayAdd } from '../view';
import { byId, errorBlock, fillConfirm, show } from '../render';
import { type Dialogs, type Focusable, focusNow } from '../dialogs';
import type { HubList } from '../hub-list';
import type { Toast } from '../notify';

/** Where a link from the OS stands in the queue: its number of arrival, and how many wait. */
export type LinkPlace = { seq: number; waiting: number };

/** Marks `dialog` with the link it shows (tests and the queue line read it). */
function markPlace(dialog: HTMLElement, place: LinkPlace | null): void {
  if (place) dialog.dataset.linkSeq = String(place.seq);
  else delete dialog.dataset.linkSeq;
}

export class AddFlow {
  private proposal: ProposalView | null = null;
  private readonly addDialog = byId<HTMLDialogElement>('add-dialog');
  private readonly confirmDialog = byId<HTMLDialogElement>('confirm-dialog');

  constructor(
    private readonly hubs: HubList,
    private readonly dialogs: Dialogs,
    private readonly toast: Toast,
  ) {}

  wire(): void {
    byId('add-link').addEventListener('click', () => this.open());
    byId('empty-add').addEventListener('click', () => this.open());

    byId<HTMLFormElement>('add-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    byId('add-cancel').addEventListener('click', () => this.dialogs.close(this.addDialog));
    byId('link-input').addEventListener('input', () => this.showAddError(null));
    this.dialogs.manage(this.addDialog, () => this.dialogs.close(this.addDialog));

    byId('confirm-add').addEventListener('click', () => void this.confirm());
    byId('confirm-cancel').addEventListener('click', () => this.cancelProposal());
    this.dialogs.manage(this.confirmDialog, () => this.cancelProposal());

    // Pasting a link anywhere on the page (outside a text box) starts adding it.
    document.addEventListener('paste', (ev) => {
      const t = ev.target as HTMLElement | null;
      if (this.dialogs.anyOpen() || t?.closest?.('input, textarea')) return;
      // With `AllowUserHubs` off there is nothing to paste a link into.
      if (!userMayAdd(this.hubs.policy())) return;
      const text = ev.clipboardData?.getData('text/plain').trim() ?? '';
      if (/^(hublink:\/\/|https:\/\/)/i.test(text)) {
        ev.preventDefault();
        this.open(text);
      }
    });
  }

  // -------------------------------------------------------------------------------------------
  // The Add dialog

  /** Opens the Add dialog, optionally with a link already in the box and an error under it. */
  open(prefill = '', error: UiError | null = null, place: LinkPlace | null = null): void {
    markPlace(this.addDialog, place);
    const input = byId<HTMLInputElement>('link-input');
    input.value = prefill;
    // With `AllowUserHubs` off this dialog only shows why a link from the OS was refused.
    const may = userMayAdd(this.hubs.policy());
    show(byId('link-submit'), may);
    byId('add-cancel').textContent = may ? 'Cancel' : 'Close';
    this.setAddBusy(false);
    this.showAddError(error);
    this.dialogs.open(this.addDialog, input, focusNow());
    if (prefill) input.select();
  }

  private setAddBusy(busy: boolean): void {
    const btn = byId<HTMLButtonElement>('link-submit');
    btn.disabled = busy;
    btn.textContent = busy ? 'Checking…' : 'Continue';
    byId<HTMLInputElement>('link-input').readOnly = busy;
    this.addDialog.setAttribute('aria-busy', String(busy));
  }

  private showAddError(err: UiError | null): void {
    const box = byId('add-error');
    const input = byId<HTMLInputElement>('link-input');
    if (!err) {
      box.replaceChildren();
      show(box, false);
      input.removeAttribute('aria-invalid');
      return;
    }
    box.replaceChildren(...errorBlock(err));
    show(box, true);
    input.setAttribute('aria-invalid', 'true');
  }

  private async submit(): Promise<void> {
    const input = byId<HTMLInputElement>('link-input');
    const value = input.value.trim();
    if (!value) {
      this.showAddError({
        code: 'empty',
        message: 'Paste a link or a hub address first',
        cause: 'The box is empty.',
        next_step: 'Copy the authentication link from the mail, chat or hub menu and paste it here.',
      });
      input.focus();
      return;
    }
    this.setAddBusy(true);
    try {
      const p = await api.prepareAdd(value, 'paste');
      const back = this.dialogs.returnTarget(this.addDialog) ?? focusNow();
      this.dialogs.close(this.addDialog);
      this.showConfirm(p, back);
    } catch (e) {
      this.setAddBusy(false);
      this.showAddError(toUiError(e));
      input.focus();
    }
  }

  // -------------------------------------------------------------------------------------------
  // The confirmation

  /** Shows what a proposal would add; nothing is saved until "Add". */
  showConfirm(p: ProposalView, returnTo: Focusable, place: LinkPlace | null = null): void {
    this.proposal = p;
    fillConfirm(p);
    markPlace(this.confirmDialog, place);
    this.setWaiting(place?.waiting ?? 0);
    this.setConfirmBusy(false);
    this.dialogs.open(this.confirmDialog, byId('confirm-cancel'), returnTo);
  }

  /** "N more links are waiting" under a confirmation (links keep arriving while it is open). */
  setWaiting(waiting: number): void {
    const queue = byId('confirm-queue');
    queue.textContent = waiting === 1 ? '1 more link is waiting.' : `${waiting} more links are waiting.`;
    show(queue, waiting > 0);
  }

  private setConfirmBusy(busy: boolean): void {
    const add = byId<HTMLButtonElement>('confirm-add');
    add.disabled = busy;
    add.textContent = busy ? 'Adding…' : this.proposal ? confirmAddLabel(this.proposal) : 'Add';
    byId<HTMLButtonElement>('confirm-cancel').disabled = busy;
  }

  private async confirm(): Promise<void> {
    const p = this.proposal;
    if (!p) return;
    this.setConfirmBusy(true);
    try {
      const added = await api.confirmAdd(p.proposal_id);
      this.proposal = null;
      await this.hubs.refresh();
      const id = added.hub.id;
      this.dialogs.setReturnTarget(this.confirmDialog, this.hubs.cardTarget(id));
      this.dialogs.close(this.confirmDialog);
      this.hubs.highlight(id);
      const name = displayText(added.hub.name);
      if (added.already_present) this.toast.show(`${name} was already in your list.`);
      else this.toast.show(`Added ${name}. Choose it to sign in.`);
    } catch (e) {
      this.setConfirmBusy(false);
      const box = byId('confirm-error');
      box.replaceChildren(...errorBlock(toUiError(e)));
      show(box, true);
    }
  }

  private cancelProposal(): void {
    const p = this.proposal;
    this.proposal = null;
    if (p) api.discardProposal(p.proposal_id).catch((e: unknown) => console.warn('discard_proposal failed', e));
    if (p?.already_present) {
      const same = this.hubs.get(p.hub_id);
      const existing = same && !same.hub.hidden ? same : this.hubs.find((e) => e.hub.host === p.host && !e.hub.hidden);
      if (existing) {
        this.dialogs.setReturnTarget(this.confirmDialog, this.hubs.cardTarget(existing.hub.id));
        this.hubs.highlight(existing.hub.id);
      }
    }
    this.dialogs.close(this.confirmDialog);
  }
}
