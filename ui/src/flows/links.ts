// Links from the OS (hublink://…): taken from the backend and confirmed one at a time, in the
// order they arrived (the backend numbers them, `seq`, as the OS hands them over); the rest
// wait in a queue, and none interrupts an open dialog. Takes are chained, and the queue is
// kept sorted by `seq`, so neither overlapping events nor answers that come back out of order
// can reorder, drop or repeat a link.
import * as api from '../api';
import type { PendingLink, ProposalView } from '../types';
import { toUiError } from '../view';
import { type Dialogs, focusNow } from '../dialogs';
import type { AddFlow } from './add';

export class LinkQueue {
  private queue: PendingLink[] = [];
  private newest = 0;
  private busy = false;
  private taking: Promise<void> = Promise.resolve();
  /** A proposal prepared while a dialog opened meanwhile: shown first once dialogs close. */
  private stashed: { link: PendingLink; proposal: ProposalView } | null = null;

  constructor(
    private readonly add: AddFlow,
    private readonly dialogs: Dialogs,
  ) {}

  /** Queues the links the backend holds, then shows the next one if nothing is open. */
  take(): Promise<void> {
    this.taking = this.taking.then(() => this.takeOnce());
    return this.taking;
  }

  private async takeOnce(): Promise<void> {
    try {
      this.enqueue(await api.takePendingLinks());
    } catch (e) {
      console.warn('take_pending_links failed', e);
    }
    await this.pump();
  }

  private enqueue(links: PendingLink[]): void {
    const fresh = links.filter((l) => l.seq > this.newest);
    if (!fresh.length) return;
    this.queue.push(...fresh);
    this.queue.sort((a, b) => a.seq - b.seq);
    this.newest = Math.max(this.newest, ...fresh.map((l) => l.seq));
    this.add.setWaiting(this.waiting());
  }

  /** How many links wait behind the one shown. */
  waiting(): number {
    return this.queue.length;
  }

  /** Shows the next link (its confirmation, or the Add dialog with its error) unless busy. */
  async pump(): Promise<void> {
    if (this.busy || this.dialogs.anyOpen()) return;
    if (this.stashed) {
      const { link, proposal } = this.stashed;
      this.stashed = null;
      return this.add.showConfirm(proposal, focusNow(), { seq: link.seq, waiting: this.waiting() });
    }
    const next = this.queue.shift();
    if (next === undefined) return;
    this.busy = true;
    try {
      const p = await api.prepareAdd(next.link, 'link');
      if (this.dialogs.anyOpen()) this.stashed = { link: next, proposal: p };
      else this.add.showConfirm(p, focusNow(), { seq: next.seq, waiting: this.waiting() });
    } catch (e) {
      if (this.dialogs.anyOpen()) this.queue.unshift(next);
      else this.add.open(next.link, toUiError(e), { seq: next.seq, waiting: this.waiting() });
    } finally {
      this.busy = false;
    }
  }
}
