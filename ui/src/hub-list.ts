// The hub list: what the page knows about each hub (an Entry), loading it with list_hubs,
// checking sessions with check_hub, and drawing the cards, banners and problems.
import * as api from './api';
import type { HubView, HubsView, PolicyView, UiError } from './types';
import { type CardState, checksSummary, displayText, isMachineProblem, problemsStartOpen, sentence, sortHubs, stateLabel, toUiError } from './view';
import {
  type CardEls,
  byId,
  createCard,
  el,
  renderBanners,
  renderHidden,
  renderPolicy,
  renderProblems,
  renderWays,
  setText,
  show,
  updateCard,
} from './render';
import type { Focusable } from './dialogs';
import { announce } from './notify';

/** One hub: its last listed view, its card state, the state to go back to when a sign-in is
 *  cancelled, the number of its latest check, and its card once drawn. */
export type Entry = { hub: HubView; state: CardState; prev: CardState | null; checkSeq: number; card: CardEls | null };

export type HubListHooks = {
  /** A card was drawn for the first time (its buttons need handlers). */
  cardCreated(id: string, card: CardEls): void;
  /** A hub's state changed. */
  stateChanged(e: Entry): void;
  /** "Show" was chosen for a hidden hub. */
  unhide(hub: HubView): void;
};

export class HubList {
  private entries = new Map<string, Entry>();
  private view: HubsView | null = null;
  private loaded = false;
  private initialPending = 0;
  private showHidden = false;
  private problemsSeen = false;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private readonly list = byId<HTMLUListElement>('hub-list');

  constructor(
    private readonly now: () => Date,
    private readonly hooks: HubListHooks,
  ) {}

  wire(): void {
    byId('hidden-toggle').addEventListener('click', () => {
      this.showHidden = !this.showHidden;
      this.render();
    });
  }

  get(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  /** The organisation's policy as last listed (null before the first list). */
  policy(): PolicyView | null {
    return this.view?.policy ?? null;
  }

  find(pred: (e: Entry) => boolean): Entry | undefined {
    return [...this.entries.values()].find(pred);
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

  async check(id: string, initial = false): Promise<void> {
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
      announce(checksSummary([...this.entries.values()].filter((x) => !x.hub.hidden).map((x) => x.state)));
    }
  }

  recheckWhere(pred: (s: CardState) => boolean): void {
    for (const [id, e] of this.entries) if (!e.hub.hidden && pred(e.state)) void this.check(id);
  }

  /** A state the backend found by itself (the background): shown unless a sign-in runs. */
  setStateById(id: string, state: CardState): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (e.state.kind === 'signing_in') e.prev = state;
    else this.setState(e, state, true);
  }

  setState(e: Entry, state: CardState, aloud: boolean): void {
    e.state = state;
    if (e.card) updateCard(e.card, e.hub, state, this.now());
    if (aloud && state.kind !== 'checking') {
      announce(`${displayText(e.hub.name)}: ${stateLabel(state, this.now()).text}`);
    }
    this.hooks.stateChanged(e);
    this.renderMachineProblem();
  }

  /** One banner for a problem of the whole computer, whichever hubs met it. */
  private renderMachineProblem(): void {
    const found = [...this.entries.values()].map((x) => x.state).find((s) => s.kind === 'error' && isMachineProblem(s.error));
    const box = byId('machine-problem');
    show(box, Boolean(found));
    if (found && found.kind === 'error') {
      setText('machine-problem-title', `${sentence(found.error.message)}:`);
      setText('machine-problem-text', `${sentence(found.error.cause)} ${sentence(found.error.next_step)}`);
    }
  }

  /** Redraws every card's time-dependent words ("expires in …"). */
  tick(): void {
    for (const e of this.entries.values()) if (e.card) updateCard(e.card, e.hub, e.state, this.now());
  }

  // -------------------------------------------------------------------------------------------
  // Drawing

  private render(): void {
    const view = this.view;
    if (!view) return;
    renderPolicy(view.policy, view.hubs_dirs);
    renderBanners(byId('banners'), view);
    renderWays(view.hubs_dirs);

    const visible = sortHubs(view.hubs.filter((h) => !h.hidden));
    const hidden = sortHubs(view.hubs.filter((h) => h.hidden));
    this.renderCards(visible);

    const empty = view.hubs.length === 0;
    show(byId('empty-state'), empty);
    show(byId('hubs-sub'), !empty);
    setText('hubs-sub', visible.length > 0 ? 'Choose a hub to sign in, or to open it once you are signed in.' : 'All your hubs are hidden.');

    renderHidden(byId('hidden-hubs'), hidden, this.showHidden, (hub) => this.hooks.unhide(hub));

    // The panel starts open when there are errors; after that it stays as the user left it.
    const setOpen = !this.problemsSeen && view.problems.length > 0 ? problemsStartOpen(view.problems) : null;
    if (view.problems.length > 0) this.problemsSeen = true;
    renderProblems(byId<HTMLDetailsElement>('problems'), view.problems, view.hubs_dirs, setOpen);
  }

  private renderCards(visible: HubView[]): void {
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
  }

  private makeCard(id: string): CardEls {
    const c = createCard(id);
    this.hooks.cardCreated(id, c);
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

  // -------------------------------------------------------------------------------------------
  // Pointing at cards

  /** The card's sign-in button (or the first card's, or the Add button when there is one) as a
   *  focus target. */
  cardTarget(id: string | null): Focusable {
    return () => {
      const e = id ? this.entries.get(id) : undefined;
      if (e?.card?.li.isConnected) return e.card.signin;
      const first = this.list.querySelector<HTMLElement>('.hub-signin');
      const add = byId('add-link');
      return first ?? (add.hidden ? null : add);
    };
  }

  /** Where focus goes back after a dialog about hub `id` closes: the control of its card that
   *  has the focus now (its sign-in button, or its ⋯ button when the dialog came from the menu),
   *  else as `cardTarget`. */
  returnTarget(id: string): Focusable {
    const card = this.entries.get(id)?.card;
    const now = document.activeElement;
    const own = card && (now === card.signin || now === card.menu) ? (now as HTMLButtonElement) : null;
    const fallback = this.cardTarget(id);
    return () => (own?.isConnected ? own : fallback());
  }

  /** Scrolls a card into view and flashes it. */
  highlight(id: string): void {
    const card = this.entries.get(id)?.card;
    if (!card) return;
    card.li.scrollIntoView?.({ block: 'nearest' });
    card.li.classList.remove('flash');
    void card.li.offsetWidth;
    card.li.classList.add('flash');
  }
}
