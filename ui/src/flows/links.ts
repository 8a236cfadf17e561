// Links from the OS (hublink://…): taken from the backend and confirmed one at a time, in the
// order they came; the rest wait in a queue, and none interrupts an open dialog.
import * as api from '../api';
import type { ProposalView } from '../types';
import { toUiError } from '../view';
import { type Dialogs, focusNow } from '../dialogs';
import type { AddFlow } from './add';

export class LinkQueue {
  private queue: string[] = [];
  private busy = false;
  /** A proposal prepared while a dialog opened meanwhile: shown first once dialogs close. */
  private stashed: ProposalView | null = null;

  constructor(
    private readonly add: AddFlow,
    private readonly dialogs: Dialogs,
  ) {}

  /** Queues the links the backend holds, then shows the next one if nothing is open. */
  async take(): Promise<void> {
    try {
      const links = await api.takePendingLinks();
      this.queue.push(...links);
    } catch (e) {
      console.warn('take_pending_links failed', e);
    }
    await this.pump();
  }

  /** Shows the next link (its confirmation, or the Add dialog with its error) unless busy. */
  async pump(): Promise<void> {
    if (this.busy || this.dialogs.anyOpen()) return;
    if (this.stashed) {
      const p = this.stashed;
      this.stashed = null;
      return this.add.showConfirm(p, focusNow());
    }
    const link = this.queue.shift();
    if (link === undefined) return;
    this.busy = true;
    try {
      const p = await api.prepareAdd(link, 'link');
      if (this.dialogs.anyOpen()) this.stashed = p;
      else this.add.showConfirm(p, focusNow());
    } catch (e) {
      if (this.dialogs.anyOpen()) this.queue.unshift(link);
      else this.add.open(link, toUiError(e));
    } finally {
      this.busy = false;
    }
  }
}
