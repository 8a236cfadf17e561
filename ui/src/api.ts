// One typed wrapper per Tauri command (src-tauri/src/commands.rs). Every command may reject
// with a UiError object. Argument names are camelCase here; Tauri maps them to snake_case.
import { invoke } from '@tauri-apps/api/core';
import type { AddView, HubState, HubsView, Notice, PendingLink, PreferencesView, ProposalView, SignedInView } from './types';

export const listHubs = (): Promise<HubsView> => invoke('list_hubs');

export const checkHub = (hubId: string): Promise<HubState> => invoke('check_hub', { hubId });

export const prepareAdd = (input: string, receivedFrom: 'paste' | 'link'): Promise<ProposalView> =>
  invoke('prepare_add', { input, receivedFrom });

export const confirmAdd = (proposalId: number): Promise<AddView> => invoke('confirm_add', { proposalId });

export const discardProposal = (proposalId: number): Promise<void> => invoke('discard_proposal', { proposalId });

export const takePendingLinks = (): Promise<PendingLink[]> => invoke('take_pending_links');

export const startupNotices = (): Promise<Notice[]> => invoke('startup_notices');

export const login = (hubId: string, device: boolean): Promise<SignedInView> => invoke('login', { hubId, device });

export const cancelLogin = (hubId: string): Promise<void> => invoke('cancel_login', { hubId });

export const logout = (hubId: string): Promise<string> => invoke('logout', { hubId });

export const removeHub = (hubId: string): Promise<void> => invoke('remove_hub', { hubId });

export const setHidden = (hubId: string, hidden: boolean): Promise<void> => invoke('set_hidden', { hubId, hidden });

export const openHub = (hubId: string): Promise<void> => invoke('open_hub', { hubId });

export const forgetWebData = (hubId: string): Promise<number> => invoke('forget_web_data', { hubId });

export const getPreferences = (): Promise<PreferencesView> => invoke('get_preferences');

export const setPreferences = (preferences: PreferencesView): Promise<void> => invoke('set_preferences', { preferences });

export const setHubBrowser = (hubId: string, browser: string | null): Promise<void> => invoke('set_hub_browser', { hubId, browser });

export const openInBrowser = (url: string): Promise<void> => invoke('open_in_browser', { url });
