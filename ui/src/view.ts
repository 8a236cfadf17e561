// Pure presentation logic: every word the welcome page derives from the backend's data.
// No DOM, no clock, no I/O here: `now` and the date format are always passed in, so all of
// it is unit-tested (view.test.ts).
import type { HubState, HubView, IniProblemView, PolicyView, ProposalView, UiError, TokenView } from './types';

/** A card's state: the backend's HubState, plus 'signing_in' while a login runs. */
export type CardState = HubState | { kind: 'signing_in' };
export type CardKind = CardState['kind'];

/** Locale and time zone for dates; both default to the user's. Tests pin them. */
export type Fmt = { locale?: string; timeZone?: string };

export type Tone = 'busy' | 'ok' | 'attention' | 'muted' | 'error';
export type StateLabel = { text: string; detail: string | null; tone: Tone };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Text coming from links, files and servers

/** Invisible characters that can make one text look like another: bidi controls, zero-width
 *  characters, the BOM, and C0/C1 control characters. */
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;

/**
 * Makes untrusted text (hub names, reasons, file names) safe to *show*: tabs and line breaks
 * become spaces, invisible and direction-changing characters become a visible `⟨U+202E⟩`, and
 * very long text is cut with an ellipsis. (It is always put in the page with textContent, never
 * as HTML.)
 */
export function displayText(s: string, max = 200): string {
  const flat = s.replace(/[\t\n\r]+/g, ' ').replace(INVISIBLE, (c) => {
    const cp = c.codePointAt(0) ?? 0;
    return `⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩`;
  });
  const chars = Array.from(flat);
  return chars.length > max ? chars.slice(0, max - 1).join('') + '…' : flat;
}

/** The backend's messages are written to follow "hublink: " on a command line, so they start in
 *  lower case; as a heading or a sentence on the page they start with a capital. */
export function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Removes anything that looks like a credential from free text before it is copied into a
 * support ticket: JWTs, `Bearer …`, and `access_token=…`-style pairs. The backend never puts
 * secrets in errors; this is a second fence.
 */
export function redactSecrets(s: string): string {
  return s
    .replace(/eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[redacted]')
    .replace(/\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]')
    .replace(
      /\b(access_token|refresh_token|id_token|client_secret|code_verifier|device_code|password|secret)("?\s*[=:]\s*"?)[^\s&"',;}]+/gi,
      '$1$2[redacted]',
    )
    .replace(/([?&]code=)[^\s&#"']+/gi, '$1[redacted]');
}

/** Any rejection (a UiError from the backend, or something unexpected) as a UiError. */
export function toUiError(e: unknown): UiError {
  if (typeof e === 'object' && e !== null && 'message' in e) {
    const o = e as Record<string, unknown>;
    const str = (v: unknown): string => (typeof v === 'string' ? v : '');
    if (typeof o.code === 'string' && typeof o.message === 'string') {
      return { code: o.code, message: o.message, cause: str(o.cause), next_step: str(o.next_step) };
    }
    return {
      code: 'internal',
      message: 'Something went wrong in Hublink',
      cause: str(o.message),
      next_step: 'Try again. If it keeps happening, copy the details and send them to your administrator.',
    };
  }
  return {
    code: 'internal',
    message: 'Something went wrong in Hublink',
    cause: typeof e === 'string' ? e : 'No reason was given.',
    next_step: 'Try again. If it keeps happening, copy the details and send them to your administrator.',
  };
}

// ---------------------------------------------------------------------------------------------
// Dates

export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

function dayKey(d: Date, fmt: Fmt): string {
  return new Intl.DateTimeFormat('en-CA', {
    year: 'numeric', month: '2-digit', day: '2-digit', timeZone: fmt.timeZone,
  }).format(d);
}

function clock(d: Date, fmt: Fmt): string {
  return new Intl.DateTimeFormat(fmt.locale, { hour: '2-digit', minute: '2-digit', timeZone: fmt.timeZone }).format(d);
}

function calendarDate(d: Date, now: Date, fmt: Fmt): string {
  const sameYear =
    new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: fmt.timeZone }).format(d) ===
    new Intl.DateTimeFormat('en', { year: 'numeric', timeZone: fmt.timeZone }).format(now);
  return new Intl.DateTimeFormat(fmt.locale, {
    day: 'numeric', month: 'short', year: sameYear ? undefined : 'numeric', timeZone: fmt.timeZone,
  }).format(d);
}

/** "today at 17:30", "yesterday at 09:12", "tomorrow at 08:00", "on 3 Nov at 14:05". */
export function dayPhrase(d: Date, now: Date, fmt: Fmt = {}): string {
  const key = dayKey(d, fmt);
  const time = clock(d, fmt);
  if (key === dayKey(now, fmt)) return `today at ${time}`;
  if (key === dayKey(new Date(now.getTime() - DAY), fmt)) return `yesterday at ${time}`;
  if (key === dayKey(new Date(now.getTime() + DAY), fmt)) return `tomorrow at ${time}`;
  return `on ${calendarDate(d, now, fmt)} at ${time}`;
}

/** A moment in the past, relative to now: "just now", "12 min ago", "today at 09:12",
 *  "yesterday at 17:40", "on 3 Nov at 14:05". Null for a missing or unreadable time. */
export function sincePhrase(iso: string | null, now: Date, fmt: Fmt = {}): string | null {
  const d = parseTime(iso);
  if (!d) return null;
  const ago = now.getTime() - d.getTime();
  if (ago < MINUTE) return 'just now'; // includes small clock differences into the future
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  return dayPhrase(d, now, fmt);
}

/** How long until a session expires: "expires in 58 min", "expires in 3 h 20 min",
 *  "expires in 9 h", "expires in 5 days", "expires on 23 Dec", or "expired 4 min ago".
 *  Null when the expiry is unknown. */
export function expiryPhrase(iso: string | null, now: Date, fmt: Fmt = {}): string | null {
  const d = parseTime(iso);
  if (!d) return null;
  const diff = d.getTime() - now.getTime();
  if (diff <= 0) {
    const ago = -diff;
    if (ago < MINUTE) return 'expired just now';
    if (ago < HOUR) return `expired ${Math.floor(ago / MINUTE)} min ago`;
    if (ago < DAY) return `expired ${Math.floor(ago / HOUR)} h ago`;
    return `expired ${dayPhrase(d, now, fmt)}`;
  }
  const minutes = Math.round(diff / MINUTE);
  if (minutes < 1) return 'expires in less than a minute';
  if (minutes < 60) return `expires in ${minutes} min`;
  if (minutes < 6 * 60) {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    return m === 0 ? `expires in ${h} h` : `expires in ${h} h ${m} min`;
  }
  if (minutes < 24 * 60) return `expires in ${Math.round(minutes / 60)} h`;
  if (diff < 7 * DAY) {
    const days = Math.round(diff / DAY);
    return `expires in ${days} ${days === 1 ? 'day' : 'days'}`;
  }
  return `expires on ${calendarDate(d, now, fmt)}`;
}

/** A device code's remaining time as m:ss (or h:mm:ss). */
export function countdown(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

// ---------------------------------------------------------------------------------------------
// Hubs

export function sourceLabel(source: HubView['source']): string {
  return source === 'link' ? 'from link' : 'from your administrator';
}

/** The state line of a hub card. */
export function stateLabel(state: CardState, now: Date, fmt: Fmt = {}): StateLabel {
  switch (state.kind) {
    case 'checking':
      return { text: 'Checking…', detail: null, tone: 'busy' };
    case 'signing_in':
      return { text: 'Signing in…', detail: null, tone: 'busy' };
    case 'signed_in': {
      // The session's real horizon, not the access token's (renewed silently): see README.
      const end = parseTime(state.session_ends_at ?? null);
      if (end && state.renew_due) {
        return {
          text: `Signed in as ${state.user} · renew by ${calendarDate(end, now, fmt)}`,
          detail: `Your session ends ${dayPhrase(end, now, fmt)}. Sign in again before then to keep working without interruption.`,
          tone: 'attention',
        };
      }
      const until = end ? `until ${calendarDate(end, now, fmt)}` : null;
      return { text: `Signed in as ${state.user}${until ? ` · ${until}` : ''}`, detail: null, tone: 'ok' };
    }
    case 'sign_in_required':
      return {
        text: state.user ? 'Sign in again' : 'Not signed in',
        detail: sentence(state.reason.trim()) || null,
        tone: 'attention',
      };
    case 'offline': {
      const since = sincePhrase(state.last_signed_in, now, fmt);
      return {
        text: since ? `Offline · last signed in ${since}` : 'Offline',
        detail: sentence(state.error.message) || null,
        tone: 'muted',
      };
    }
    case 'error':
      // A problem of the whole computer is said once, in the banner above the hubs.
      if (isMachineProblem(state.error)) {
        return { text: 'Waiting for secure storage', detail: 'See the message above the hubs.', tone: 'muted' };
      }
      return { text: `Error: ${state.error.message}`, detail: sentence(state.error.cause.trim()) || null, tone: 'error' };
  }
}

/** Failures that may pass by themselves (the network, a timeout, a cancelled or interrupted
 *  sign-in): only these are offered as "Try again". */
export function isTransient(e: UiError): boolean {
  return ['network', 'proxy', 'timed_out', 'cancelled', 'callback_refused', 'hub_error', 'task_failed'].includes(e.code);
}

/** Errors of the whole computer, not of one hub (the keyring is locked or missing): one banner. */
export function isMachineProblem(e: UiError): boolean {
  return e.code === 'secure_storage_unavailable';
}

/** What clicking a card does in each state (see README: signed-in cards open Details). */
export function cardAction(state: CardState): 'signin' | 'open' | 'wait' {
  switch (state.kind) {
    case 'checking':
    case 'signing_in':
      return 'wait';
    case 'signed_in':
      // A session near its end: one click renews it (an interactive sign-in ahead of time).
      return state.renew_due ? 'signin' : 'open';
    default:
      return 'signin';
  }
}

/** The hint shown at the end of a card, describing what a click does. */
export function cardHint(state: CardState): string {
  switch (cardAction(state)) {
    case 'signin':
      return state.kind === 'signed_in' ? 'Renew' : 'Sign in';
    case 'open':
      return 'Open';
    case 'wait':
      return '';
  }
}

export type MenuAction = 'signin' | 'signin_device' | 'signout' | 'recheck' | 'remove' | 'hide' | 'details' | 'forget_web';
export type MenuItem = { action: MenuAction; label: string; danger?: boolean };

/** The "⋯" menu of a card, for the hub's source and current state. */
export function menuItems(hub: HubView, state: CardState): MenuItem[] {
  const items: MenuItem[] = [];
  const busy = state.kind === 'checking' || state.kind === 'signing_in';
  if (!busy) {
    items.push({ action: 'signin', label: state.kind === 'signed_in' ? 'Sign in again' : 'Sign in' });
    if (hub.flow === 'browser' && hub.auth !== 'web') items.push({ action: 'signin_device', label: 'Sign in with a code' });
    // A session may still be stored (and revocable) while the hub asks for a new sign-in or
    // fails: offer Sign out whenever this computer ever signed in to the hub.
    const mayHoldSession = state.kind === 'signed_in' || state.kind === 'offline' || hub.last !== null;
    if (mayHoldSession) items.push({ action: 'signout', label: 'Sign out' });
    if (state.kind === 'offline' || state.kind === 'error') items.push({ action: 'recheck', label: 'Check again' });
  }
  items.push({ action: 'details', label: 'Details' });
  if (hub.auth === 'web' && !busy) items.push({ action: 'forget_web', label: 'Forget this hub’s web data' });
  if (state.kind !== 'signing_in') {
    items.push(
      hub.source === 'link'
        ? { action: 'remove', label: 'Remove', danger: true }
        : { action: 'hide', label: 'Hide' },
    );
  }
  return items;
}

/** Hubs in the order the page shows them: by friendly name, then host, then id. */
export function sortHubs(hubs: readonly HubView[]): HubView[] {
  const coll = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  return [...hubs].sort((a, b) => coll.compare(a.name, b.name) || coll.compare(a.host, b.host) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The letter on a card's avatar. */
export function hubInitial(name: string): string {
  const first = Array.from(name.replace(INVISIBLE, '').trim())[0];
  return first ? first.toLocaleUpperCase() : '?';
}

const HUES = [212, 250, 285, 330, 12, 160, 190, 135] as const;

/** A stable colour (one of eight hues) for a hub's avatar. */
export function hubHue(id: string): number {
  let h = 0;
  for (const ch of id) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return HUES[h % HUES.length] ?? 212;
}

/** One line of the hubs.ini problem list: `file:line [section] message`. */
export function problemLine(p: IniProblemView): string {
  const where = p.line === null ? p.file : `${p.file}:${p.line}`;
  const section = p.section === null ? '' : ` [${p.section}]`;
  return `${where}${section} ${p.message}`;
}

/** Whether the problems panel should start open: when any problem is an error. */
export function problemsStartOpen(problems: readonly IniProblemView[]): boolean {
  return problems.some((p) => !p.warning);
}

/** "2 problems (1 error, 1 warning)". */
export function problemsSummary(problems: readonly IniProblemView[]): string {
  const warnings = problems.filter((p) => p.warning).length;
  const errors = problems.length - warnings;
  const parts: string[] = [];
  if (errors) parts.push(`${errors} ${errors === 1 ? 'error' : 'errors'}`);
  if (warnings) parts.push(`${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`);
  return parts.join(', ');
}

/** "Show 2 hidden hubs", and once the list is open, "Close the list of hidden hubs". */
export function hiddenToggleLabel(count: number, shown: boolean): string {
  if (shown) return 'Close the list of hidden hubs';
  return `Show ${count} ${count === 1 ? 'hidden hub' : 'hidden hubs'}`;
}

/** A short spoken summary once the first checks have all answered. */
export function checksSummary(states: readonly CardState[]): string {
  const count = (k: CardKind): number => states.filter((s) => s.kind === k).length;
  const parts: string[] = [];
  const add = (n: number, text: string): void => {
    if (n) parts.push(`${n} ${text}`);
  };
  add(count('signed_in'), 'signed in');
  add(count('sign_in_required'), count('sign_in_required') === 1 ? 'needs sign-in' : 'need sign-in');
  add(count('offline'), 'offline');
  add(count('error'), 'with an error');
  const n = states.length;
  return `${n} ${n === 1 ? 'hub' : 'hubs'} checked${parts.length ? ': ' + parts.join(', ') : ''}.`;
}

// ---------------------------------------------------------------------------------------------
// Adding

/** Where a proposal came from, in words. */
export function proposalOrigin(p: ProposalView): string {
  const received = p.received_from === 'link' ? 'You opened an authentication link.' : 'You pasted it into Hublink.';
  const origin =
    p.origin === 'link'
      ? 'The settings come from the link itself.'
      : p.origin === 'published_by_hub'
        ? 'The hub published its own sign-in settings.'
        : 'The hub publishes no settings, so its address is used as the sign-in provider.';
  return `${received} ${origin}`;
}

/** Who receives the identity provider's token, for the confirmation ("" for a cookie hub). */
export function tokenRecipients(t: TokenView | null | undefined): string {
  if (!t) return '';
  const idp = displayText(t.identity_provider, 300);
  if (t.hub) return `The identity provider ${idp} and ${displayText(t.hub, 300)} (this hub’s session check, ${displayText(t.hub_reason ?? '', 100)}).`;
  const only = `Only the identity provider ${idp}.`;
  return t.unused_check
    ? `${only} The link’s session check on ${displayText(t.unused_check, 300)} is not used: only your organization can let another host receive the token.`
    : only;
}

/** The warning a link with a bad signature gets in its confirmation. */
export function signatureWarning(reason: string): string {
  const why = reason.trim().replace(/\.$/, '');
  return `The link's signature is not valid${why ? `: ${why}` : ''}.`;
}

/** What the Add button says: a link whose signature does not verify is added only "anyway". */
export function confirmAddLabel(p: ProposalView): string {
  return p.signature_problem !== null ? 'Add anyway' : 'Add';
}

// ---------------------------------------------------------------------------------------------
// The organisation's policy

/** What follows "Managed by your organization" in the banner (empty when nothing needs saying). */
export function managedDetail(policy: PolicyView): string {
  if (!policy.allow_user_hubs) return ' · Your hubs are provided by your administrator.';
  if (policy.require_signed_links) return ' · Only links signed by your organization can add hubs.';
  return '';
}

/** May the user add hubs themselves (the Add button, pasting a link onto the page)? */
export function userMayAdd(policy: PolicyView | null | undefined): boolean {
  return policy?.allow_user_hubs !== false;
}

export function flowLabel(flow: 'browser' | 'device'): string {
  return flow === 'device' ? 'with a code (device sign-in)' : 'in your browser';
}

// ---------------------------------------------------------------------------------------------
// Support

export type SupportInput = { hub: HubView; state?: CardState | null; error?: UiError | null; now: Date; fmt?: Fmt };

/**
 * The plain-text block behind "Copy details", for a support ticket. Built from named, public
 * fields only (nothing is spread in), and free text passes through `redactSecrets`.
 */
export function supportDetails({ hub, state = null, error = null, now, fmt = {} }: SupportInput): string {
  const r = (s: string): string => redactSecrets(displayText(s, 2000));
  const lines: string[] = [
    error ? 'Hublink: sign-in problem' : 'Hublink: hub details',
    `Hub: ${r(hub.name)}`,
    `Host: ${r(hub.host)}`,
    `Hub ID: ${r(hub.id)}`,
    `URL: ${r(hub.url)}`,
    `Sign-in provider: ${r(hub.issuer)}`,
    `Client ID: ${r(hub.client_id)}`,
    `Sign-in method: ${hub.flow}${hub.mfa_required ? ', second factor required' : ''}`,
    `Source: ${hub.source}${hub.source_detail ? ` (${r(hub.source_detail)})` : ''}`,
  ];
  if (state) lines.push(`State: ${r(stateLabel(state, now, fmt).text)}`);
  if (hub.last?.signed_in_at) lines.push(`Last signed in: ${hub.last.signed_in_at}`);
  if (error) {
    lines.push(
      `Error code: ${r(error.code)}`,
      `Message: ${r(error.message)}`,
      `Cause: ${r(error.cause)}`,
      `Next step: ${r(error.next_step)}`,
    );
  }
  lines.push(`Time: ${now.toISOString()}`);
  return lines.join('\n') + '\n';
}
