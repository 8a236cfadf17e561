// Typed subscriptions to the events the Rust side emits.
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { LoginProgress } from './types';

/** hubs.ini or the link store changed: list_hubs again. */
export const onHubsChanged = (cb: () => void): Promise<UnlistenFn> => listen('hubs-changed', () => cb());

/** Links arrived from the OS (clicked hublink:// link, command line): take_pending_links. */
export const onLinksPending = (cb: () => void): Promise<UnlistenFn> => listen('links-pending', () => cb());

/** Progress of a running login. */
export const onLoginProgress = (cb: (p: LoginProgress) => void): Promise<UnlistenFn> =>
  listen<LoginProgress>('login-progress', (e) => cb(e.payload));
