// Typed subscriptions to the events the Rust side emits.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { HubState, LoginProgress } from './types';

/** hubs.ini or the link store changed: list_hubs again. */
export const onHubsChanged = (cb: () => void): Promise<UnlistenFn> => listen('hubs-changed', () => cb());

/** Links arrived from the OS (clicked hublink:// link, command line): take_pending_links. */
export const onLinksPending = (cb: () => void): Promise<UnlistenFn> => listen('links-pending', () => cb());

/** Something more does not work on this computer: startup_notices again. */
export const onNoticesChanged = (cb: () => void): Promise<UnlistenFn> => listen('notices-changed', () => cb());

/** A hub's session changed outside the page (a sign-in `hublink login` asked the app for): check it again. */
export const onHubStateChanged = (cb: (hubId: string) => void): Promise<UnlistenFn> =>
  listen<{ hub_id: string }>('hub-state-changed', (e) => cb(e.payload.hub_id));

/** The background renewed (or lost) a hub's session: its new state. */
export const onHubState = (cb: (hubId: string, state: HubState) => void): Promise<UnlistenFn> =>
  listen<{ hub_id: string; state: HubState }>('hub-state', (e) => cb(e.payload.hub_id, e.payload.state));

/** A hub was chosen in the tray menu: do what a click on its card does. */
export const onHubActivated = (cb: (hubId: string) => void): Promise<UnlistenFn> =>
  listen<{ hub_id: string }>('hub-activated', (e) => cb(e.payload.hub_id));

/** Progress of a running login. */
export const onLoginProgress = (cb: (p: LoginProgress) => void): Promise<UnlistenFn> =>
  listen<LoginProgress>('login-progress', (e) => cb(e.payload));
