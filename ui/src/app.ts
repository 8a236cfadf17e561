// The welcome page: builds the flows, connects them to each other and to the backend's events.
// Each flow lives in its own file (flows/*); the hub list and its states in hub-list.ts.
import { onHubActivated, onHubState, onHubStateChanged, onHubsChanged, onLinksPending, onLoginProgress, onNoticesChanged } from './events';
import { SettingsDialog } from './flows/settings';
import * as api from './api';
import type { UiError } from './types';
import { cardAction, displayText } from './view';
import { type CardEls, byId, renderNotices } from './render';
import { Dialogs } from './dialogs';
import { HubList } from './hub-list';
import { Toast, announce } from './notify';
import { AddFlow } from './flows/add';
import { LinkQueue } from './flows/links';
import { SignInFlow } from './flows/sign-in';
import { CardMenu } from './flows/menu';
import { DetailsDialog } from './flows/details';
import { HubActions } from './flows/hub-actions';

export type AppOptions = {
  /** The clock (tests pin it). */
  now?: () => Date;
  /** How long the success message stays before the sign-in dialog closes itself. */
  successCloseMs?: number;
};

export class App {
  private readonly dialogs: Dialogs;
  private readonly hubs: HubList;
  private readonly add: AddFlow;
  private readonly links: LinkQueue;
  private readonly signin: SignInFlow;
  private readonly menu: CardMenu;
  private readonly details: DetailsDialog;
  private readonly actions: HubActions;
  private readonly settings: SettingsDialog;

  constructor(opts: AppOptions = {}) {
    const now = opts.now ?? (() => new Date());
    const toast = new Toast();
    this.dialogs = new Dialogs({
      beforeOpen: () => this.menu.close(false),
      allClosed: () => void this.links.pump(),
    });
    this.hubs = new HubList(now, {
      cardCreated: (id, card) => this.attachCard(id, card),
      stateChanged: (e) => this.details.update(e),
      unhide: (hub) => void this.actions.unhide(hub),
    });
    this.add = new AddFlow(this.hubs, this.dialogs, toast);
    this.signin = new SignInFlow(this.hubs, this.dialogs, toast, now, opts.successCloseMs ?? 1500);
    this.details = new DetailsDialog(this.hubs, this.dialogs, now, {
      signIn: (id, device) => void this.signin.signIn(id, device),
      signOut: (id) => void this.actions.signOut(id),
    }, toast);
    this.actions = new HubActions(this.hubs, this.dialogs, toast);
    this.menu = new CardMenu(this.hubs, {
      signIn: (id, device) => void this.signin.signIn(id, device),
      signOut: (id) => void this.actions.signOut(id),
      recheck: (id) => void this.hubs.check(id),
      details: (id) => this.details.open(id),
      hide: (id) => void this.actions.hide(id),
      remove: (id) => this.actions.askRemove(id),
      forgetWebData: (id) => void this.actions.forgetWebData(id),
    });
    this.links = new LinkQueue(this.add, this.dialogs);
    this.settings = new SettingsDialog(this.dialogs, toast);
  }

  /** Wires the page and loads the hubs. Resolves once the first list has rendered. */
  async start(): Promise<void> {
    this.wire();
    await Promise.all([
      onHubsChanged(() => void this.hubs.refresh()),
      onHubStateChanged((id) => void this.hubs.check(id)),
      onHubState((id, state) => this.hubs.setStateById(id, state)),
      onHubActivated((id) => this.onCardClick(id)),
      onLinksPending(() => void this.links.take()),
      onLoginProgress((p) => this.signin.onProgress(p)),
      onNoticesChanged(() => void this.showNotices()),
    ]).catch((e: unknown) => console.error('Hublink: could not listen to events', e));
    await Promise.all([this.hubs.refresh(), this.showNotices()]);
    document.body.dataset.ready = 'true';
    void this.links.take();
    setInterval(() => this.tick(), 30_000);
    window.addEventListener('online', () => this.hubs.recheckWhere((s) => s.kind === 'offline'));
  }

  refresh(): Promise<void> {
    return this.hubs.refresh();
  }

  /** What does not work on this computer, each with its reason (none: nothing shown). */
  private async showNotices(): Promise<void> {
    try {
      renderNotices(byId('notices'), await api.startupNotices());
    } catch (e) {
      console.warn('startup_notices failed', e);
    }
  }

  openAdd(prefill = '', error: UiError | null = null): void {
    this.add.open(prefill, error);
  }

  signIn(id: string, device: boolean): Promise<void> {
    return this.signin.signIn(id, device);
  }

  private wire(): void {
    this.add.wire();
    this.hubs.wire();
    this.signin.wire();
    this.details.wire();
    this.actions.wire();
    this.settings.wire();
    this.menu.wire();
  }

  private tick(): void {
    this.hubs.tick();
    this.details.tick();
  }

  private attachCard(id: string, card: CardEls): void {
    card.signin.addEventListener('click', () => this.onCardClick(id));
    this.menu.attach(id, card.menu);
  }

  /** A click on a card: sign in, show its details, or say why nothing happens yet. */
  private onCardClick(id: string): void {
    const e = this.hubs.get(id);
    if (!e) return;
    switch (cardAction(e.state)) {
      case 'signin':
        void this.signin.signIn(id, e.hub.flow === 'device');
        break;
      case 'open':
        void this.actions.open(id);
        break;
      case 'wait':
        announce(
          e.state.kind === 'checking'
            ? `Still checking your session with ${displayText(e.hub.name)}. One moment.`
            : `Signing in to ${displayText(e.hub.name)}.`,
        );
        break;
    }
  }
}
