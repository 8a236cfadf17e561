// The welcome page's behaviour: loading and checking hubs, adding, signing in and out.
// State lives here; words come from view.ts; DOM pieces from render.ts; the backend from api.ts.
import * as api from './api';
import { onHubsChanged, onLinksPending, onLoginProgress } from './events';
import type { HubView, HubsView, LoginProgress, ProposalView, UiError } from './types';
import {
  type CardState,
  type MenuItem,
  cardAction,
  checksSummary,
  countdown,
  dayPhrase,
  displayText,
  sentence,
  expiryPhrase,
  menuItems,
  parseTime,
  problemsStartOpen,
  sortHubs,
  stateLabel,
  supportDetails,
  toUiError,
} from './view';
import {
  type CardEls,
  byId,
  createCard,
  el,
  fillAvatar,
  fillConfirm,
  fillDetails,
  renderBanners,
  renderHidden,
  renderMenu,
  renderProblems,
  renderWays,
  setText,
  show,
  updateCard,
} from './render';

type Entry = { hub: HubView; state: CardState; prev: CardState | null; checkSeq: number; card: CardEls | null };

type LoginRun = {
  hubId: string;
  device: boolean;
  cancelling: boolean;
  deviceDeadline: number | null;
  ticker: ReturnType<typeof setInterval> | null;
};

export type AppOptions = {
  /** The clock (tests pin it). */
  now?: () => Date;
  /** How long the success message stays before the sign-in dialog closes itself. */
  successCloseMs?: number;
};

type Focusable = () => HTMLElement | null;

export class App {
  private readonly now: () => Date;
  private readonly successCloseMs: number;
  private entries = new Map<string, Entry>();
  private view: HubsView | null = null;
  private loaded = false;
  private initialPending = 0;
  private showHidden = false;
  private problemsSeen = false;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  private linkQueue: string[] = [];
  private linkBusy = false;
  private proposal: ProposalView | null = null;
  private stashedProposal: ProposalView | null = null;

  private login: LoginRun | null = null;
  private lastFailure: { hubId: string; error: UiError } | null = null;
  private successTimer: ReturnType<typeof setTimeout> | null = null;
  private detailsHubId: string | null = null;
  private askAction: (() => void) | null = null;
  private menuHubId: string | null = null;
  private menuButtons: HTMLButtonElement[] = [];

  private returnFocus = new Map<HTMLDialogElement, Focusable>();
  private closingByUs = new Set<HTMLDialogElement>();
  private toastTimer: ReturnType<typeof setTimeout> | null = null;

  private readonly list = byId<HTMLUListElement>('hub-list');
  private readonly addDialog = byId<HTMLDialogElement>('add-dialog');
  private readonly confirmDialog = byId<HTMLDialogElement>('confirm-dialog');
  private readonly signinDialog = byId<HTMLDialogElement>('signin-dialog');
  private readonly detailsDialog = byId<HTMLDialogElement>('details-dialog');
  private readonly askDialog = byId<HTMLDialogElement>('ask-dialog');
  private readonly menu = byId('hub-menu');

  constructor(opts: AppOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.successCloseMs = opts.successCloseMs ?? 1500;
  }

  /** Wires the page and loads the hubs. Resolves once the first list has rendered. */
  async start(): Promise<void> {
    this.wire();
    await Promise.all([
      onHubsChanged(() => void this.refresh()),
      onLinksPending(() => void this.takeLinks()),
      onLoginProgress((p) => this.onProgress(p)),
    ]).catch((e: unknown) => console.error('Hublink: could not listen to events', e));
    await this.refresh();
    document.body.dataset.ready = 'true';
    void this.takeLinks();
    setInterval(() => this.tick(), 30_000);
    window.addEventListener('online', () => this.recheckWhere((s) => s.kind === 'offline'));
  }

  // -------------------------------------------------------------------------------------------
  // Loading and checking

  /** list_hubs, keeping the states already known and checking hubs seen for the first time.
   *  Calls that overlap are folded into one more run. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        try {
          this.apply(await api.listHubs());
          show(byId('load-error'), false);
        } catch (e) {
          this.showLoadError(toUiError(e));
        }
      } while (this.refreshAgain);
      show(byId('loading'), false);
      this.refreshing = null;
    })();
    return this.refreshing;
  }

  private apply(view: HubsView): void {
    this.view = view;
    const seen = new Set<string>();
    const fresh: string[] = [];
    for (const hub of view.hubs) {
      seen.add(hub.id);
      const known = this.entries.get(hub.id);
      if (known) {
        known.hub = hub;
      } else {
        this.entries.set(hub.id, { hub, state: { kind: 'checking' }, prev: null, checkSeq: 0, card: null });
        if (!hub.hidden) fresh.push(hub.id);
      }
    }
    for (const [id, e] of this.entries) {
      if (!seen.has(id)) {
        e.card?.li.remove();
        this.entries.delete(id);
      }
    }
    this.render();
    const initial = !this.loaded;
    this.loaded = true;
    if (initial) this.initialPending = fresh.length;
    for (const id of fresh) void this.check(id, initial);
  }

  private async check(id: string, initial = false): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    const seq = ++e.checkSeq;
    if (e.state.kind !== 'signing_in') this.setState(e, { kind: 'checking' }, false);
    let next: CardState;
    try {
      next = await api.checkHub(id);
    } catch (err) {
      next = { kind: 'error', error: toUiError(err) };
    }
    const cur = this.entries.get(id);
    if (cur && cur.checkSeq === seq) {
      if (cur.state.kind === 'signing_in') cur.prev = next;
      else this.setState(cur, next, !initial);
    }
    if (initial && --this.initialPending === 0) {
      this.announce(checksSummary([...this.entries.values()].filter((x) => !x.hub.hidden).map((x) => x.state)));
    }
  }

  private recheckWhere(pred: (s: CardState) => boolean): void {
    for (const [id, e] of this.entries) if (!e.hub.hidden && pred(e.state)) void this.check(id);
  }

  private setState(e: Entry, state: CardState, announce: boolean): void {
    e.state = state;
    if (e.card) updateCard(e.card, e.hub, state, this.now());
    if (announce && state.kind !== 'checking') {
      this.announce(`${displayText(e.hub.name)}: ${stateLabel(state, this.now()).text}`);
    }
    if (this.detailsHubId === e.hub.id && this.detailsDialog.open) this.fillDetails(e);
  }

  private tick(): void {
    for (const e of this.entries.values()) if (e.card) updateCard(e.card, e.hub, e.state, this.now());
    const shown = this.detailsHubId ? this.entries.get(this.detailsHubId) : undefined;
    if (shown && this.detailsDialog.open) this.fillDetails(shown);
  }

  // -------------------------------------------------------------------------------------------
  // Rendering

  private render(): void {
    const view = this.view;
    if (!view) return;
    renderBanners(byId('banners'), view);
    renderWays(view.hubs_dirs);

    const visible = sortHubs(view.hubs.filter((h) => !h.hidden));
    const hidden = sortHubs(view.hubs.filter((h) => h.hidden));
    const wanted: HTMLLIElement[] = [];
    for (const hub of visible) {
      const e = this.entries.get(hub.id);
      if (!e) continue;
      if (!e.card) e.card = this.makeCard(hub.id);
      updateCard(e.card, e.hub, e.state, this.now());
      wanted.push(e.card.li);
    }
    for (const e of this.entries.values()) if (e.hub.hidden && e.card) e.card.li.remove();
    // Reorder only when needed: moving a focused element would lose its focus.
    const current = Array.from(this.list.children);
    if (current.length !== wanted.length || current.some((c, i) => c !== wanted[i])) {
      const focused = document.activeElement;
      this.list.replaceChildren(...wanted);
      if (focused instanceof HTMLElement && focused.isConnected) focused.focus();
    }
    show(this.list, visible.length > 0);

    const empty = view.hubs.length === 0;
    show(byId('empty-state'), empty);
    show(byId('hubs-sub'), !empty);
    setText('hubs-sub', visible.length > 0 ? 'Choose a hub to sign in through your browser.' : 'All your hubs are hidden.');

    renderHidden(byId('hidden-hubs'), hidden, this.showHidden, (hub) => void this.unhide(hub));

    // The panel starts open when there are errors; after that it stays as the user left it.
    const setOpen = !this.problemsSeen && view.problems.length > 0 ? problemsStartOpen(view.problems) : null;
    if (view.problems.length > 0) this.problemsSeen = true;
    renderProblems(byId<HTMLDetailsElement>('problems'), view.problems, view.hubs_dirs, setOpen);
  }

  private makeCard(id: string): CardEls {
    const c = createCard(id);
    c.signin.addEventListener('click', () => this.onCardClick(id));
    c.menu.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (this.menuHubId === id) this.closeMenu(true);
      else this.openMenu(id, c.menu);
    });
    c.menu.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        this.openMenu(id, c.menu, ev.key === 'ArrowUp' ? -1 : 0);
      }
    });
    return c;
  }

  private showLoadError(err: UiError): void {
    const box = byId('load-error');
    const retry = el('button', { class: 'btn btn-small', text: 'Try again', attrs: { type: 'button' } });
    retry.addEventListener('click', () => void this.refresh());
    box.replaceChildren(
      el('strong', { text: `Hublink could not read your hubs: ${displayText(err.message)}` }),
      el('p', { text: displayText(err.cause, 600) }),
      el('p', {}, el('strong', { text: 'What to do: ' }), document.createTextNode(displayText(err.next_step, 600))),
      retry,
    );
    show(box, true);
  }

  private cardTarget(id: string | null): Focusable {
    return () => {
      const e = id ? this.entries.get(id) : undefined;
      if (e?.card?.li.isConnected) return e.card.signin;
      const first = this.list.querySelector<HTMLElement>('.hub-signin');
      return first ?? byId('add-link');
    };
  }

  // -------------------------------------------------------------------------------------------
  // Cards and their menu

  private onCardClick(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    switch (cardAction(e.state)) {
      case 'signin':
        void this.signIn(id, e.hub.flow === 'device');
        break;
      case 'details':
        this.openDetails(id);
        break;
      case 'wait':
        this.announce(
          e.state.kind === 'checking'
            ? `Still checking your session with ${displayText(e.hub.name)}. One moment.`
            : `Signing in to ${displayText(e.hub.name)}.`,
        );
        break;
    }
  }

  private openMenu(id: string, button: HTMLButtonElement, focusIndex = 0): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.closeMenu(false);
    this.menuHubId = id;
    this.menuButtons = renderMenu(this.menu, menuItems(e.hub, e.state), (item) => this.onMenuPick(id, item));
    this.menu.setAttribute('aria-label', `Actions for ${displayText(e.hub.name)}`);
    button.setAttribute('aria-expanded', 'true');
    this.menu.hidden = false;
    const r = button.getBoundingClientRect();
    const mh = this.menu.offsetHeight;
    const mw = this.menu.offsetWidth;
    const below = r.bottom + 6 + mh <= window.innerHeight;
    this.menu.style.top = `${Math.max(8, below ? r.bottom + 6 : r.top - 6 - mh)}px`;
    this.menu.style.left = `${Math.max(8, Math.min(window.innerWidth - mw - 8, r.right - mw))}px`;
    const idx = focusIndex < 0 ? this.menuButtons.length - 1 : focusIndex;
    this.menuButtons[idx]?.focus();
  }

  private closeMenu(refocus: boolean): void {
    if (this.menuHubId === null) return;
    const id = this.menuHubId;
    this.menuHubId = null;
    this.menu.hidden = true;
    this.menu.replaceChildren();
    const btn = this.entries.get(id)?.card?.menu;
    btn?.setAttribute('aria-expanded', 'false');
    if (refocus) btn?.focus();
  }

  private onMenuKey(ev: KeyboardEvent): void {
    const items = this.menuButtons;
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    const go = (n: number): void => {
      ev.preventDefault();
      items[(n + items.length) % items.length]?.focus();
    };
    switch (ev.key) {
      case 'ArrowDown':
        return go(i + 1);
      case 'ArrowUp':
        return go(i - 1);
      case 'Home':
        return go(0);
      case 'End':
        return go(items.length - 1);
      case 'Escape':
        ev.preventDefault();
        return this.closeMenu(true);
      case 'Tab':
        return this.closeMenu(false);
    }
  }

  private onMenuPick(id: string, item: MenuItem): void {
    this.closeMenu(true);
    const e = this.entries.get(id);
    if (!e) return;
    switch (item.action) {
      case 'signin':
        return void this.signIn(id, e.hub.flow === 'device');
      case 'signin_device':
        return void this.signIn(id, true);
      case 'signout':
        return void this.signOut(id);
      case 'recheck':
        return void this.check(id);
      case 'details':
        return this.openDetails(id);
      case 'hide':
        return void this.hide(id);
      case 'remove':
        return this.askRemove(id);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Dialog plumbing (native <dialog>: modal, Escape, top layer)

  private wire(): void {
    byId('add-link').addEventListener('click', () => this.openAdd());
    byId('empty-add').addEventListener('click', () => this.openAdd());
    byId('hidden-toggle').addEventListener('click', () => {
      this.showHidden = !this.showHidden;
      this.render();
    });

    // Add dialog
    byId<HTMLFormElement>('add-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submitAdd();
    });
    byId('add-cancel').addEventListener('click', () => this.closeDialog(this.addDialog));
    byId('link-input').addEventListener('input', () => this.showAddError(null));
    this.onDismiss(this.addDialog, () => this.closeDialog(this.addDialog));

    // Confirmation
    byId('confirm-add').addEventListener('click', () => void this.confirmAdd());
    byId('confirm-cancel').addEventListener('click', () => this.cancelProposal());
    this.onDismiss(this.confirmDialog, () => this.cancelProposal());

    // Sign-in
    byId('signin-cancel').addEventListener('click', () => void this.cancelSignIn());
    byId('signin-close').addEventListener('click', () => this.closeDialog(this.signinDialog));
    byId('signin-retry').addEventListener('click', () => {
      const f = this.lastFailure;
      if (f) void this.signIn(f.hubId, this.signinDialog.dataset.device === 'true');
    });
    byId('copy-details').addEventListener('click', (ev) => {
      const f = this.lastFailure;
      const e = f ? this.entries.get(f.hubId) : undefined;
      if (f && e) void this.copy(supportDetails({ hub: e.hub, error: f.error, now: this.now() }), ev.currentTarget as HTMLButtonElement);
    });
    byId('signin-copy-url').addEventListener('click', (ev) => void this.copy(byId('signin-url').textContent ?? '', ev.currentTarget as HTMLButtonElement));
    // Inside the app a followed link would navigate the window itself: open the browser instead.
    for (const kind of ['click', 'auxclick'] as const) {
      byId('signin-url').addEventListener(kind, (ev) => {
        ev.preventDefault();
        void this.openExternal(byId('signin-url').textContent ?? '');
      });
    }
    byId('copy-code').addEventListener('click', (ev) => void this.copy(byId('device-code').textContent ?? '', ev.currentTarget as HTMLButtonElement));
    byId('device-open').addEventListener('click', () => void this.openExternal(byId('device-open').dataset.url ?? ''));
    this.onDismiss(this.signinDialog, () => {
      if (this.login) void this.cancelSignIn();
      else this.closeDialog(this.signinDialog);
    });

    // Details
    byId('details-close').addEventListener('click', () => this.closeDialog(this.detailsDialog));
    byId('details-copy').addEventListener('click', (ev) => {
      const e = this.detailsHubId ? this.entries.get(this.detailsHubId) : undefined;
      if (e) void this.copy(supportDetails({ hub: e.hub, state: e.state, now: this.now() }), ev.currentTarget as HTMLButtonElement);
    });
    byId('details-signin').addEventListener('click', () => {
      const id = this.detailsHubId;
      const e = id ? this.entries.get(id) : undefined;
      if (!id || !e) return;
      this.closeDialog(this.detailsDialog);
      void this.signIn(id, e.hub.flow === 'device');
    });
    byId('details-signout').addEventListener('click', () => {
      const id = this.detailsHubId;
      if (!id) return;
      this.closeDialog(this.detailsDialog);
      void this.signOut(id);
    });
    this.onDismiss(this.detailsDialog, () => this.closeDialog(this.detailsDialog));

    // Question
    byId('ask-no').addEventListener('click', () => this.closeDialog(this.askDialog));
    byId('ask-yes').addEventListener('click', () => {
      const act = this.askAction;
      this.askAction = null;
      this.closeDialog(this.askDialog);
      act?.();
    });
    this.onDismiss(this.askDialog, () => this.closeDialog(this.askDialog));

    // Pasting a link anywhere on the page (outside a text box) starts adding it.
    document.addEventListener('paste', (ev) => {
      const t = ev.target as HTMLElement | null;
      if (this.anyDialogOpen() || t?.closest?.('input, textarea')) return;
      const text = ev.clipboardData?.getData('text/plain').trim() ?? '';
      if (/^(hublink:\/\/|https:\/\/)/i.test(text)) {
        ev.preventDefault();
        this.openAdd(text);
      }
    });

    // Menu
    this.menu.addEventListener('keydown', (ev) => this.onMenuKey(ev));
    document.addEventListener('pointerdown', (ev) => {
      if (this.menuHubId !== null && !this.menu.contains(ev.target as Node) && !(ev.target as Element).closest?.('.hub-menu')) {
        this.closeMenu(false);
      }
    });
    window.addEventListener('resize', () => this.closeMenu(false));
    window.addEventListener('scroll', () => this.closeMenu(false), true);
  }

  /** Escape, or the browser closing a dialog by itself, calls `dismiss` (exactly one path). */
  private onDismiss(d: HTMLDialogElement, dismiss: () => void): void {
    d.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      dismiss();
    });
    d.addEventListener('close', () => {
      const ours = this.closingByUs.delete(d);
      if (!ours) dismiss();
      if (!this.anyDialogOpen()) {
        const target = this.returnFocus.get(d)?.();
        target?.focus();
        void this.pumpLinks();
      }
      this.returnFocus.delete(d);
    });
  }

  private openDialog(d: HTMLDialogElement, focus: HTMLElement | null, returnTo: Focusable): void {
    this.closeMenu(false);
    if (!this.returnFocus.has(d)) this.returnFocus.set(d, returnTo);
    if (!d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    }
    (focus ?? d).focus();
  }

  private closeDialog(d: HTMLDialogElement): void {
    if (!d.open) return;
    this.closingByUs.add(d);
    if (typeof d.close === 'function') d.close();
    else {
      d.removeAttribute('open');
      d.dispatchEvent(new Event('close'));
    }
  }

  private anyDialogOpen(): boolean {
    return [this.addDialog, this.confirmDialog, this.signinDialog, this.detailsDialog, this.askDialog].some((d) => d.open);
  }

  private focusNow(): Focusable {
    const a = document.activeElement;
    const el = a instanceof HTMLElement && a !== document.body ? a : null;
    return () => (el?.isConnected ? el : byId('add-link'));
  }

  // -------------------------------------------------------------------------------------------
  // Adding a hub

  openAdd(prefill = '', error: UiError | null = null): void {
    const input = byId<HTMLInputElement>('link-input');
    input.value = prefill;
    this.setAddBusy(false);
    this.showAddError(error);
    this.openDialog(this.addDialog, input, this.focusNow());
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

  private async submitAdd(): Promise<void> {
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
      const back = this.returnFocus.get(this.addDialog) ?? this.focusNow();
      this.closeDialog(this.addDialog);
      this.showConfirm(p, back);
    } catch (e) {
      this.setAddBusy(false);
      this.showAddError(toUiError(e));
      input.focus();
    }
  }

  private showConfirm(p: ProposalView, returnTo: Focusable): void {
    this.proposal = p;
    fillConfirm(p);
    this.setConfirmBusy(false);
    this.openDialog(this.confirmDialog, byId('confirm-cancel'), returnTo);
  }

  private setConfirmBusy(busy: boolean): void {
    const add = byId<HTMLButtonElement>('confirm-add');
    add.disabled = busy;
    add.textContent = busy ? 'Adding…' : 'Add';
    byId<HTMLButtonElement>('confirm-cancel').disabled = busy;
  }

  private async confirmAdd(): Promise<void> {
    const p = this.proposal;
    if (!p) return;
    this.setConfirmBusy(true);
    try {
      const added = await api.confirmAdd(p.proposal_id);
      this.proposal = null;
      await this.refresh();
      const id = added.hub.id;
      this.returnFocus.set(this.confirmDialog, this.cardTarget(id));
      this.closeDialog(this.confirmDialog);
      this.highlight(id);
      const name = displayText(added.hub.name);
      if (added.already_present) this.toast(`${name} was already in your list.`);
      else this.toast(`Added ${name}. Choose it to sign in.`);
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
      const existing = [...this.entries.values()].find((e) => e.hub.host === p.host && !e.hub.hidden);
      if (existing) {
        this.returnFocus.set(this.confirmDialog, this.cardTarget(existing.hub.id));
        this.highlight(existing.hub.id);
      }
    }
    this.closeDialog(this.confirmDialog);
  }

  private highlight(id: string): void {
    const card = this.entries.get(id)?.card;
    if (!card) return;
    card.li.scrollIntoView?.({ block: 'nearest' });
    card.li.classList.remove('flash');
    void card.li.offsetWidth;
    card.li.classList.add('flash');
  }

  // Links from the OS: one confirmation at a time, the rest queued.

  private async takeLinks(): Promise<void> {
    try {
      const links = await api.takePendingLinks();
      this.linkQueue.push(...links);
    } catch (e) {
      console.warn('take_pending_links failed', e);
    }
    await this.pumpLinks();
  }

  private async pumpLinks(): Promise<void> {
    if (this.linkBusy || this.anyDialogOpen()) return;
    if (this.stashedProposal) {
      const p = this.stashedProposal;
      this.stashedProposal = null;
      return this.showConfirm(p, this.focusNow());
    }
    const link = this.linkQueue.shift();
    if (link === undefined) return;
    this.linkBusy = true;
    try {
      const p = await api.prepareAdd(link, 'link');
      if (this.anyDialogOpen()) this.stashedProposal = p;
      else this.showConfirm(p, this.focusNow());
    } catch (e) {
      if (this.anyDialogOpen()) this.linkQueue.unshift(link);
      else this.openAdd(link, toUiError(e));
    } finally {
      this.linkBusy = false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Signing in

  async signIn(id: string, device: boolean): Promise<void> {
    const e = this.entries.get(id);
    if (!e || this.login) return;
    if (this.successTimer) clearTimeout(this.successTimer);
    this.login = { hubId: id, device, cancelling: false, deviceDeadline: null, ticker: null };
    if (e.state.kind !== 'signing_in') e.prev = e.state;
    this.setState(e, { kind: 'signing_in' }, false);
    this.showSigninProgress(e.hub, device);
    this.announce(`Signing in to ${displayText(e.hub.name)}.`);
    try {
      const r = await api.login(id, device);
      e.prev = null;
      e.hub = { ...e.hub, last: { user: r.user, signed_in_at: this.now().toISOString(), expires_at: r.expires_at } };
      this.setState(e, { kind: 'signed_in', user: r.user, expires_at: r.expires_at }, false);
      this.showSigninSuccess(e.hub, r.user, r.expires_at);
    } catch (err) {
      const ue = toUiError(err);
      const prev = e.prev ?? { kind: 'checking' };
      e.prev = null;
      if (ue.code === 'cancelled') {
        this.setState(e, prev, false);
        this.stopSignin('cancelled');
        this.closeDialog(this.signinDialog);
        this.announce(`Sign-in to ${displayText(e.hub.name)} cancelled.`);
      } else {
        // A failed new sign-in does not end a session that is still valid.
        this.setState(e, prev.kind === 'signed_in' ? prev : { kind: 'error', error: ue }, false);
        this.showSigninError(e.hub, ue);
      }
    } finally {
      if (this.login?.ticker) clearInterval(this.login.ticker);
      this.login = null;
    }
  }

  private showSigninProgress(hub: HubView, device: boolean): void {
    const d = this.signinDialog;
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
    this.openDialog(d, cancel, this.cardTarget(hub.id));
  }

  private setStatus(status: string, sub: string, busy = true): void {
    setText('signin-status', status);
    setText('signin-sub', sub);
    show(byId('signin-sub'), sub !== '');
    byId('signin-progress').classList.toggle('idle', !busy);
  }

  private onProgress(p: LoginProgress): void {
    const run = this.login;
    if (!run || p.hub_id !== run.hubId || run.cancelling) return;
    const hub = this.entries.get(run.hubId)?.hub;
    const name = hub ? displayText(hub.name) : 'the hub';
    switch (p.kind) {
      case 'browser_opened':
        this.setStatus('Finish signing in in your browser', `A sign-in page for ${name} opened in your browser. Come back here when you are done.`);
        this.showFallbackUrl(p.url, 'If your browser did not open, copy this address into it:');
        this.announce('Finish signing in in your browser.');
        break;
      case 'browser_failed':
        this.setStatus('Open this address in your browser', `Hublink could not open your browser: ${displayText(p.reason, 300)}`);
        this.showFallbackUrl(p.url, 'Copy this address into your browser to continue:');
        this.announce('Your browser could not be opened. Copy the sign-in address into your browser.');
        break;
      case 'device_code': {
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
        this.announce(`Enter the code ${p.user_code} on the sign-in page.`);
        break;
      }
      case 'verifying':
        this.setStatus('Verifying with the hub…', 'Checking your sign-in with the hub. This takes a moment.');
        show(byId('signin-device'), false);
        if (run.ticker) clearInterval(run.ticker);
        this.announce('Verifying with the hub.');
        break;
    }
  }

  private showFallbackUrl(url: string, lead: string): void {
    setText('signin-browser-lead', lead);
    const a = byId<HTMLAnchorElement>('signin-url');
    a.textContent = url;
    a.href = /^https?:\/\//i.test(url) ? url : '#';
    show(byId('signin-browser'), true);
    show(byId('signin-device'), false);
  }

  private async cancelSignIn(): Promise<void> {
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

  private stopSignin(outcome: 'success' | 'error' | 'cancelled'): HTMLElement {
    const result = byId('signin-result');
    result.dataset.outcome = outcome;
    show(byId('signin-progress'), false);
    show(result, outcome !== 'cancelled');
    show(byId('result-success'), outcome === 'success');
    show(byId('result-error'), outcome === 'error');
    show(byId('copy-details'), outcome === 'error');
    show(byId('signin-retry'), outcome === 'error');
    return result;
  }

  private showSigninSuccess(hub: HubView, user: string, expiresAt: string | null): void {
    this.stopSignin('success');
    this.lastFailure = null;
    const text = `Signed in to ${displayText(hub.name)} as ${displayText(user)}`;
    setText('success-text', text);
    const exp = parseTime(expiresAt);
    const now = this.now();
    setText('success-expiry', exp ? `Your session ${expiryPhrase(expiresAt, now)} (${dayPhrase(exp, now)}).` : '');
    const close = byId<HTMLButtonElement>('signin-close');
    close.textContent = 'OK';
    close.focus();
    this.announce(text + '.');
    this.successTimer = setTimeout(() => {
      this.successTimer = null;
      if (this.signinDialog.open && byId('signin-result').dataset.outcome === 'success') this.closeDialog(this.signinDialog);
    }, this.successCloseMs);
  }

  private showSigninError(hub: HubView, err: UiError): void {
    this.stopSignin('error');
    this.lastFailure = { hubId: hub.id, error: err };
    setText('error-message', sentence(displayText(err.message, 300)));
    setText('error-cause', sentence(displayText(err.cause, 1000)));
    show(byId('error-cause'), err.cause.trim() !== '');
    setText('error-next', displayText(err.next_step, 1000));
    const close = byId<HTMLButtonElement>('signin-close');
    close.textContent = 'Close';
    close.focus();
    this.announce(`Sign-in to ${displayText(hub.name)} failed: ${err.message}`);
  }

  // -------------------------------------------------------------------------------------------
  // Details, sign-out, hide, remove

  private openDetails(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.detailsHubId = id;
    this.fillDetails(e);
    this.openDialog(this.detailsDialog, byId('details-close'), this.cardTarget(id));
  }

  private fillDetails(e: Entry): void {
    fillDetails(e.hub, e.state, this.now());
    const signedIn = e.state.kind === 'signed_in';
    const busy = e.state.kind === 'checking' || e.state.kind === 'signing_in';
    show(byId('details-signout'), signedIn || e.state.kind === 'offline');
    show(byId('details-signin'), !busy);
    setText('details-signin', signedIn ? 'Sign in again' : 'Sign in');
  }

  private async signOut(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    try {
      const said = await api.logout(id);
      this.toast(said ? displayText(said, 400) : `Signed out of ${name}.`);
    } catch (err) {
      const ue = toUiError(err);
      this.toast(`Could not sign out of ${name}: ${displayText(ue.message)}. ${displayText(ue.next_step)}`, true);
    }
    await this.check(id);
  }

  private async hide(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    try {
      await api.setHidden(id, true);
      this.toast(`${displayText(e.hub.name)} is hidden. Use “Show hidden hubs” below the list to bring it back.`);
    } catch (err) {
      this.toast(`Could not hide ${displayText(e.hub.name)}: ${displayText(toUiError(err).message)}`, true);
    }
    await this.refresh();
    this.cardTarget(null)()?.focus();
  }

  private async unhide(hub: HubView): Promise<void> {
    try {
      await api.setHidden(hub.id, false);
    } catch (err) {
      this.toast(`Could not show ${displayText(hub.name)}: ${displayText(toUiError(err).message)}`, true);
      return;
    }
    await this.refresh();
    void this.check(hub.id); // it was not checked while hidden
    this.highlight(hub.id);
  }

  private askRemove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    setText('ask-title', `Remove ${name}?`);
    setText('ask-text', `Its button disappears and its sign-in is forgotten on this computer. You can add it again from its authentication link.`);
    setText('ask-yes', 'Remove');
    this.askAction = () => void this.remove(id);
    this.openDialog(this.askDialog, byId('ask-no'), this.cardTarget(id));
  }

  private async remove(id: string): Promise<void> {
    const e = this.entries.get(id);
    if (!e) return;
    const name = displayText(e.hub.name);
    try {
      await api.removeHub(id);
      this.toast(`Removed ${name}.`);
    } catch (err) {
      const ue = toUiError(err);
      this.toast(`Could not remove ${name}: ${displayText(ue.message)}. ${displayText(ue.next_step)}`, true);
    }
    await this.refresh();
    this.cardTarget(null)()?.focus();
  }

  // -------------------------------------------------------------------------------------------
  // Small things

  private announce(text: string): void {
    const live = byId('live');
    live.textContent = '';
    // A new text node in a later frame makes screen readers speak repeated messages too.
    setTimeout(() => (live.textContent = text), 50);
  }

  private toast(text: string, error = false): void {
    const t = byId('toast');
    t.textContent = text;
    t.classList.toggle('toast-error', error);
    t.hidden = false;
    if (this.toastTimer) clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (t.hidden = true), error ? 10_000 : 5_000);
  }

  private async openExternal(url: string): Promise<void> {
    if (!/^https?:\/\//i.test(url)) return;
    try {
      await api.openInBrowser(url);
    } catch (e) {
      const ue = toUiError(e);
      this.toast(`Could not open your browser: ${displayText(ue.message)}. Copy the address instead.`, true);
    }
  }

  private async copy(text: string, button: HTMLButtonElement): Promise<void> {
    const ok = await copyText(text);
    const label = button.dataset.label ?? button.textContent ?? '';
    button.dataset.label = label;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    this.announce(ok ? 'Copied to the clipboard.' : 'Could not copy. Select the text and copy it yourself.');
    setTimeout(() => (button.textContent = label), 1600);
  }
}

/** message / cause / "What to do:" next step, as nodes for an inline error box. */
export function errorBlock(err: UiError): Node[] {
  return [
    el('strong', { class: 'err-message', text: sentence(displayText(err.message, 300)) }),
    ...(err.cause.trim() ? [el('div', { class: 'err-cause', text: displayText(err.cause, 1000) })] : []),
    ...(err.next_step.trim()
      ? [el('div', { class: 'err-next' }, el('strong', { text: 'What to do: ' }), document.createTextNode(displayText(err.next_step, 1000)))]
      : []),
  ];
}

/** Copies text: the async clipboard first, then the old selection-based way (older WebKitGTK). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'offscreen';
  const host = document.querySelector('dialog[open]') ?? document.body;
  host.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}
