// The shapes the Tauri commands and events exchange with the welcome page.
// Kept exactly in step with the Rust side (src-tauri); change both together.

export type UiError = { code: string; message: string; cause: string; next_step: string };
export type LastKnown = { user: string | null; signed_in_at: string | null; expires_at: string | null; session_ends_at?: string | null };
export type HubState =
  | { kind: 'checking' } // restore not finished yet
  /** `expires_at`: the access token's, renewed silently; `session_ends_at`: when a new sign-in is
   *  needed; `renew_due`: that is within the user's warning window ("Renew by …"). */
  | { kind: 'signed_in'; user: string; expires_at: string | null; session_ends_at?: string | null; renew_due?: boolean }
  | { kind: 'sign_in_required'; reason: string; user: string | null }
  | { kind: 'offline'; user: string | null; last_signed_in: string | null; error: UiError }
  | { kind: 'error'; error: UiError };
export type HubView = {
  id: string; name: string; host: string; url: string; issuer: string; client_id: string;
  source: 'link' | 'hubs.ini'; source_detail: string; hidden: boolean; mfa_required: boolean;
  flow: 'browser' | 'device'; international_host: boolean; last: LastKnown | null;
  /** The browser command chosen for this hub in the window (null: hubs.ini's or the usual). */
  browser?: string | null;
  /** `web`: the hub's own sign-in in a Hublink window; its session is a cookie. */
  auth: 'oidc' | 'web';
};
export type IniProblemView = { file: string; line: number | null; section: string | null; message: string; warning: boolean };
/** The organisation's policy, as far as the page follows it. */
export type PolicyView = {
  /** Any rule is set on this computer: "Managed by your organization". */
  managed: boolean;
  /** `AllowUserHubs`: false hides adding hubs from links and addresses. */
  allow_user_hubs: boolean;
  /** `RequireSignedLinks`: only links signed by the organisation are accepted. */
  require_signed_links: boolean;
};
export type HubsView = {
  hubs: HubView[]; problems: IniProblemView[]; warnings: string[]; storage_warning: string | null; hubs_dirs: string[];
  policy: PolicyView;
};
export type ProposalView = {
  proposal_id: number;
  /** The id the hub will have once added (the same as HubView.id). */
  hub_id: string;
  name: string; host: string; url: string; issuer: string; client_id: string;
  mfa_required: boolean; flow: 'browser' | 'device'; international_host: boolean;
  auth: 'oidc' | 'web';
  /** `auth=web`: the hub's address that checks the session cookie. */
  session_check: string | null;
  origin: 'link' | 'published_by_hub' | 'address_as_issuer'; origin_detail: string; ignored: string[];
  already_present: boolean; received_from: 'paste' | 'link';
  /** The link carries a good signature by one of the organisation's keys. */
  issued_by_organization: boolean;
  /** The link carries a signature that does not verify: why. */
  signature_problem: string | null;
  /** OIDC hubs: who receives the identity provider's access token; null for `auth=web`. */
  token: TokenView | null;
};
/** Hosts that receive an identity provider's token: always the IdP; the hub's session check only when paired with it. */
export type TokenView = {
  identity_provider: string;
  /** The hub's session-check host, when it receives the token, and why it may. */
  hub: string | null; hub_reason: string | null;
  /** A session check the link names that is not used (nothing pairs it with the identity provider). */
  unused_check: string | null;
};
/** The settings dialog (src-tauri views.rs PreferencesView). */
export type PreferencesView = { start_at_login: boolean; keep_running: boolean; renew_warning_days: number };
export type AddView = { hub: HubView; already_present: boolean };
/** A link from the OS, numbered in the order it arrived (1, 2, …). */
export type PendingLink = { seq: number; link: string };
/** Something that does not work on this computer, with its reason (src-tauri/src/notices.rs). */
export type Notice = { code: string; message: string; cause: string; next_step: string };
export type SignedInView = { user: string; expires_at: string | null; session_ends_at?: string | null; renew_due?: boolean };
export type LoginProgress = { hub_id: string } & (
  | { kind: 'browser_opened'; url: string }
  | { kind: 'window_opened'; url: string }
  | { kind: 'browser_failed'; url: string; reason: string }
  | { kind: 'device_code'; user_code: string; verification_uri: string; verification_uri_complete: string | null; expires_in_secs: number }
  | { kind: 'verifying' });
