import { describe, expect, it } from 'vitest';
import type { HubView, IniProblemView, ProposalView, UiError } from './types';
import {
  type CardState,
  cardAction,
  cardHint,
  isTransient,
  confirmAddLabel,
  managedDetail,
  sentence,
  signatureWarning,
  userMayAdd,
  checksSummary,
  countdown,
  dayPhrase,
  displayText,
  expiryPhrase,
  hiddenToggleLabel,
  hubHue,
  hubInitial,
  menuItems,
  problemLine,
  problemsStartOpen,
  problemsSummary,
  proposalOrigin,
  redactSecrets,
  sincePhrase,
  sortHubs,
  sourceLabel,
  stateLabel,
  supportDetails,
  toUiError,
  tokenRecipients,
} from './view';

const fmt = { locale: 'en-GB', timeZone: 'UTC' };
const NOW = new Date('2025-06-10T12:00:00Z');
const at = (minutes: number): string => new Date(NOW.getTime() + minutes * 60_000).toISOString();

const netErr: UiError = {
  code: 'network',
  message: 'Cannot reach lab.example.org',
  cause: 'DNS lookup failed',
  next_step: 'Check your network connection.',
};

function hub(p: Partial<HubView> = {}): HubView {
  return {
    id: 'hub-1',
    name: 'Finance Hub',
    host: 'finance.example.com',
    url: 'https://finance.example.com/',
    issuer: 'https://login.example.com/realms/corp',
    client_id: 'hublink-desktop',
    source: 'link',
    source_detail: 'added from a link',
    hidden: false,
    mfa_required: false,
    flow: 'browser',
    international_host: false,
    last: null,
    auth: 'oidc',
    ...p,
  };
}

describe('stateLabel: every HubState kind and signing_in', () => {
  it('checking', () => {
    expect(stateLabel({ kind: 'checking' }, NOW, fmt)).toEqual({ text: 'Checking…', detail: null, tone: 'busy' });
  });
  it('signing_in', () => {
    expect(stateLabel({ kind: 'signing_in' }, NOW, fmt).text).toBe('Signing in…');
  });
  it('signed_in: the session’s horizon, never the access token’s lifetime', () => {
    const l = stateLabel({ kind: 'signed_in', user: 'carol', expires_at: at(0.3), session_ends_at: at(60 * 24 * 20), renew_due: false }, NOW, fmt);
    expect(l.text).toMatch(/^Signed in as carol · until /);
    expect(l.text).not.toMatch(/minute|expires/);
    expect(l.tone).toBe('ok');
    expect(cardAction({ kind: 'signed_in', user: 'carol', expires_at: null, session_ends_at: at(60 * 24 * 20), renew_due: false })).toBe('open');
  });
  it('signed_in near the session’s end: "renew by", and one click renews', () => {
    const state = { kind: 'signed_in' as const, user: 'carol', expires_at: null, session_ends_at: at(60 * 24 * 2), renew_due: true };
    const l = stateLabel(state, NOW, fmt);
    expect(l.text).toMatch(/^Signed in as carol · renew by /);
    expect(l.tone).toBe('attention');
    expect(l.detail).toMatch(/Sign in again before then/);
    expect(cardAction(state)).toBe('signin');
    expect(cardHint(state)).toBe('Renew');
  });
  it('signed_in without an expiry', () => {
    expect(stateLabel({ kind: 'signed_in', user: 'alice', expires_at: null }, NOW, fmt).text).toBe('Signed in as alice');
  });
  it('sign_in_required: after a session, and never signed in', () => {
    const again = stateLabel({ kind: 'sign_in_required', user: 'alice', reason: 'Session older than 30 days.' }, NOW, fmt);
    expect(again).toEqual({ text: 'Sign in again', detail: 'Session older than 30 days.', tone: 'attention' });
    const never = stateLabel({ kind: 'sign_in_required', user: null, reason: '' }, NOW, fmt);
    expect(never.text).toBe('Not signed in');
    expect(never.detail).toBeNull();
  });
  it('offline, with and without a last sign-in', () => {
    const l = stateLabel({ kind: 'offline', user: 'alice', last_signed_in: at(-125), error: netErr }, NOW, fmt);
    expect(l.text).toBe('Offline · last signed in today at 09:55');
    expect(l.detail).toBe('Cannot reach lab.example.org');
    expect(stateLabel({ kind: 'offline', user: null, last_signed_in: null, error: netErr }, NOW, fmt).text).toBe('Offline');
  });
  it('error', () => {
    const l = stateLabel({ kind: 'error', error: { ...netErr, message: 'Server authentication failed', cause: '403 not in group' } }, NOW, fmt);
    expect(l.text).toBe('Error: Server authentication failed');
    expect(l.detail).toBe('403 not in group');
    expect(l.tone).toBe('error');
  });
});

describe('expiryPhrase', () => {
  it('minutes', () => {
    expect(expiryPhrase(at(0.4), NOW, fmt)).toBe('expires in less than a minute');
    expect(expiryPhrase(at(1), NOW, fmt)).toBe('expires in 1 min');
    expect(expiryPhrase(at(58), NOW, fmt)).toBe('expires in 58 min');
  });
  it('hours', () => {
    expect(expiryPhrase(at(60), NOW, fmt)).toBe('expires in 1 h');
    expect(expiryPhrase(at(200), NOW, fmt)).toBe('expires in 3 h 20 min');
    expect(expiryPhrase(at(9 * 60 + 10), NOW, fmt)).toBe('expires in 9 h');
  });
  it('days and dates', () => {
    expect(expiryPhrase(at(26 * 60), NOW, fmt)).toBe('expires in 1 day');
    expect(expiryPhrase(at(5 * 24 * 60), NOW, fmt)).toBe('expires in 5 days');
    expect(expiryPhrase(at(30 * 24 * 60), NOW, fmt)).toBe('expires on 10 Jul');
    expect(expiryPhrase('2026-08-01T00:00:00Z', NOW, fmt)).toBe('expires on 1 Aug 2026');
  });
  it('the past', () => {
    expect(expiryPhrase(at(-4), NOW, fmt)).toBe('expired 4 min ago');
    expect(expiryPhrase(at(-180), NOW, fmt)).toBe('expired 3 h ago');
    expect(expiryPhrase(at(-3 * 24 * 60), NOW, fmt)).toBe('expired on 7 Jun at 12:00');
  });
  it('unknown or unreadable', () => {
    expect(expiryPhrase(null, NOW, fmt)).toBeNull();
    expect(expiryPhrase('not a date', NOW, fmt)).toBeNull();
  });
});

describe('sincePhrase and dayPhrase', () => {
  it('recent moments', () => {
    expect(sincePhrase(at(-0.5), NOW, fmt)).toBe('just now');
    expect(sincePhrase(at(2), NOW, fmt)).toBe('just now'); // a clock slightly ahead
    expect(sincePhrase(at(-12), NOW, fmt)).toBe('12 min ago');
  });
  it('days', () => {
    expect(sincePhrase(at(-20 * 60), NOW, fmt)).toBe('yesterday at 16:00');
    expect(sincePhrase('2025-06-03T08:05:00Z', NOW, fmt)).toBe('on 3 Jun at 08:05');
    expect(dayPhrase(new Date(at(14 * 60)), NOW, fmt)).toBe('tomorrow at 02:00');
    expect(sincePhrase(null, NOW, fmt)).toBeNull();
  });
  it('uses the given time zone for "today"', () => {
    // 23:30 UTC on the 9th is already the 10th in Berlin.
    const d = '2025-06-09T23:30:00Z';
    expect(sincePhrase(d, NOW, { locale: 'en-GB', timeZone: 'UTC' })).toBe('yesterday at 23:30');
    expect(sincePhrase(d, NOW, { locale: 'en-GB', timeZone: 'Europe/Berlin' })).toBe('today at 01:30');
  });
});

describe('countdown', () => {
  it('formats remaining time', () => {
    expect(countdown(599)).toBe('9:59');
    expect(countdown(65)).toBe('1:05');
    expect(countdown(3725)).toBe('1:02:05');
    expect(countdown(-3)).toBe('0:00');
  });
});

describe('menuItems', () => {
  const actions = (h: HubView, s: CardState): string[] => menuItems(h, s).map((i) => i.action);
  const signedIn: CardState = { kind: 'signed_in', user: 'alice', expires_at: null };

  it('link hub, signed in: sign in again, with a code, sign out, details, remove', () => {
    const items = menuItems(hub(), signedIn);
    expect(items.map((i) => i.label)).toEqual(['Sign in again', 'Sign in with a code', 'Sign out', 'Details', 'Remove']);
    expect(items.find((i) => i.action === 'remove')?.danger).toBe(true);
  });
  it('hubs.ini hub: hide instead of remove', () => {
    const a = actions(hub({ source: 'hubs.ini' }), signedIn);
    expect(a).toContain('hide');
    expect(a).not.toContain('remove');
  });
  it('not signed in: no sign-out; offline and error can be checked again', () => {
    const req = menuItems(hub(), { kind: 'sign_in_required', user: null, reason: 'x' });
    expect(req[0]?.label).toBe('Sign in');
    expect(req.map((i) => i.action)).not.toContain('signout');
    expect(actions(hub(), { kind: 'offline', user: 'a', last_signed_in: null, error: netErr })).toEqual(
      ['signin', 'signin_device', 'signout', 'recheck', 'details', 'remove'],
    );
    expect(actions(hub(), { kind: 'error', error: netErr })).toContain('recheck');
  });
  it('a hub that needs a new sign-in but once signed in here can still be signed out (revoked)', () => {
    const last = { user: 'alice', signed_in_at: '2026-11-01T08:00:00Z', expires_at: null };
    expect(actions(hub({ last }), { kind: 'sign_in_required', user: 'alice', reason: 'revoked' })).toContain('signout');
    expect(actions(hub({ last }), { kind: 'error', error: netErr })).toContain('signout');
  });
  it('device-flow hubs have no separate "with a code" item', () => {
    expect(actions(hub({ flow: 'device' }), signedIn)).not.toContain('signin_device');
  });
  it('busy states offer no sign-in', () => {
    expect(actions(hub(), { kind: 'checking' })).toEqual(['details', 'remove']);
    expect(actions(hub({ source: 'hubs.ini' }), { kind: 'signing_in' })).toEqual(['details']);
  });
});

describe('cards', () => {
  it('what a click does', () => {
    expect(cardAction({ kind: 'signed_in', user: 'a', expires_at: null })).toBe('open');
    expect(cardAction({ kind: 'sign_in_required', user: null, reason: '' })).toBe('signin');
    expect(cardAction({ kind: 'error', error: netErr })).toBe('signin');
    expect(cardAction({ kind: 'offline', user: null, last_signed_in: null, error: netErr })).toBe('signin');
    expect(cardAction({ kind: 'checking' })).toBe('wait');
  });
  it('source labels', () => {
    expect(sourceLabel('link')).toBe('from link');
    expect(sourceLabel('hubs.ini')).toBe('from your administrator');
  });
  it('sorts by name, case-insensitively and numerically, then host', () => {
    const sorted = sortHubs([
      hub({ id: '1', name: 'sales' }),
      hub({ id: '2', name: 'Hub 10' }),
      hub({ id: '3', name: 'Hub 9' }),
      hub({ id: '4', name: 'Analytics', host: 'b.example.com' }),
      hub({ id: '5', name: 'analytics', host: 'a.example.com' }),
    ]);
    expect(sorted.map((h) => h.id)).toEqual(['5', '4', '3', '2', '1']);
  });
  it('avatar letter and colour', () => {
    expect(hubInitial('finance')).toBe('F');
    expect(hubInitial('\u202Eevil')).toBe('E');
    expect(hubInitial('   ')).toBe('?');
    expect(hubHue('hub-1')).toBe(hubHue('hub-1'));
  });
  it('hidden toggle and checks summary', () => {
    expect(hiddenToggleLabel(1, false)).toBe('Show 1 hidden hub');
    expect(hiddenToggleLabel(3, false)).toBe('Show 3 hidden hubs');
    expect(checksSummary([
      { kind: 'signed_in', user: 'a', expires_at: null },
      { kind: 'sign_in_required', user: null, reason: '' },
      { kind: 'error', error: netErr },
    ])).toBe('3 hubs checked: 1 signed in, 1 needs sign-in, 1 with an error.');
  });
});

describe('hubs.ini problems', () => {
  const err: IniProblemView = { file: '/etc/hublink/hubs.ini', line: 14, section: 'Old Reports', message: 'url: must be https://', warning: false };
  const warn: IniProblemView = { file: 'C:\\Users\\a\\Documents\\Hublink\\Hubs\\x.ini', line: null, section: null, message: 'file is empty', warning: true };
  it('formats file:line [section] message', () => {
    expect(problemLine(err)).toBe('/etc/hublink/hubs.ini:14 [Old Reports] url: must be https://');
    expect(problemLine(warn)).toBe('C:\\Users\\a\\Documents\\Hublink\\Hubs\\x.ini file is empty');
  });
  it('opens the panel only for errors, and counts', () => {
    expect(problemsStartOpen([err, warn])).toBe(true);
    expect(problemsStartOpen([warn])).toBe(false);
    expect(problemsSummary([err, warn, warn])).toBe('1 error, 2 warnings');
  });
});

describe('escaping untrusted text', () => {
  it('shows direction overrides and zero-width characters instead of obeying them', () => {
    expect(displayText('Finance\u202Emoc.evil')).toBe('Finance⟨U+202E⟩moc.evil');
    expect(displayText('pay\u200Bpal')).toBe('pay⟨U+200B⟩pal');
    expect(displayText('a\u0000b')).toBe('a⟨U+0000⟩b');
  });
  it('flattens line breaks and cuts very long text', () => {
    expect(displayText('one\r\ntwo\tthree')).toBe('one two three');
    const long = displayText('x'.repeat(500), 10);
    expect(long).toHaveLength(10);
    expect(long.endsWith('…')).toBe(true);
  });
  it('keeps ordinary international text', () => {
    expect(displayText('Zürich Hub · 東京')).toBe('Zürich Hub · 東京');
  });
});

describe('support details', () => {
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl';
  const e: UiError = {
    code: 'server_authentication_failed',
    message: 'Server authentication failed',
    cause: `The hub answered 401 to Bearer ${jwt} (refresh_token=abc123def456)`,
    next_step: 'Ask your administrator for access.',
  };

  it('has every field a support ticket needs', () => {
    const text = supportDetails({ hub: hub(), error: e, now: NOW });
    for (const line of [
      'Hub: Finance Hub',
      'Host: finance.example.com',
      'Hub ID: hub-1',
      'Error code: server_authentication_failed',
      'Message: Server authentication failed',
      'Next step: Ask your administrator for access.',
      'Time: 2025-06-10T12:00:00.000Z',
    ]) {
      expect(text).toContain(line);
    }
  });

  it('contains no token-like values, even if something leaked into a cause or a field', () => {
    const leaky = { ...hub(), access_token: 'SECRET-AT', refresh_token: 'SECRET-RT', id_token: jwt } as HubView;
    const text = supportDetails({ hub: leaky, error: e, now: NOW });
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('abc123def456');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\./);
    expect(text).toContain('Bearer [redacted]');
  });

  it('without an error: hub details with its state', () => {
    const text = supportDetails({ hub: hub(), state: { kind: 'signed_in', user: 'alice', expires_at: null }, now: NOW });
    expect(text.startsWith('Hublink: hub details')).toBe(true);
    expect(text).toContain('State: Signed in as alice');
    expect(text).not.toContain('Error code');
  });

  it('redactSecrets handles query strings and JSON', () => {
    expect(redactSecrets('https://h/cb?code=SplxlOBeZQ&state=xyz')).toBe('https://h/cb?code=[redacted]&state=xyz');
    expect(redactSecrets('{"access_token": "abc.def", "x": 1}')).toBe('{"access_token": "[redacted]", "x": 1}');
    expect(redactSecrets('error code: 400')).toBe('error code: 400');
  });
});

describe('toUiError and proposals', () => {
  it('passes UiErrors through and wraps anything else', () => {
    expect(toUiError(netErr)).toEqual(netErr);
    const wrapped = toUiError('command login not found');
    expect(wrapped.code).toBe('internal');
    expect(wrapped.cause).toBe('command login not found');
    expect(toUiError(new Error('boom')).cause).toBe('boom');
  });
  it('says who receives the identity provider\'s token', () => {
    const t = { identity_provider: 'login.corp.example', hub: null, hub_reason: null, unused_check: null };
    expect(tokenRecipients(t)).toBe('Only the identity provider login.corp.example.');
    expect(tokenRecipients({ ...t, unused_check: 'hub.evil.example' })).toBe(
      'Only the identity provider login.corp.example. The link’s session check on hub.evil.example is not used: only your organization can let another host receive the token.',
    );
    expect(tokenRecipients({ ...t, hub: 'hub.corp.example', hub_reason: 'set by your administrator in hubs.ini' })).toBe(
      'The identity provider login.corp.example and hub.corp.example (this hub’s session check, set by your administrator in hubs.ini).',
    );
    expect(tokenRecipients(null)).toBe('');
  });
  it('describes where a proposal came from', () => {
    const p = { received_from: 'link', origin: 'published_by_hub' } as ProposalView;
    expect(proposalOrigin(p)).toBe('You opened an authentication link. The hub published its own sign-in settings.');
    expect(proposalOrigin({ ...p, received_from: 'paste', origin: 'address_as_issuer' })).toContain('You pasted it');
  });
});

describe('signed links and the policy', () => {
  it('words a bad signature with its reason, ending in one full stop', () => {
    expect(signatureWarning('it does not match the link\'s contents')).toBe("The link's signature is not valid: it does not match the link's contents.");
    expect(signatureWarning('the signature is not a base64url Ed25519 signature.')).toBe(
      "The link's signature is not valid: the signature is not a base64url Ed25519 signature.",
    );
    expect(signatureWarning('  ')).toBe("The link's signature is not valid.");
  });
  it('asks to "Add anyway" only when the signature does not verify', () => {
    const p = { signature_problem: null, issued_by_organization: false } as ProposalView;
    expect(confirmAddLabel(p)).toBe('Add');
    expect(confirmAddLabel({ ...p, issued_by_organization: true })).toBe('Add');
    expect(confirmAddLabel({ ...p, signature_problem: 'tampered' })).toBe('Add anyway');
  });
  it('says what a managed computer means for the user, and whether they may add hubs', () => {
    const managed = { managed: true, allow_user_hubs: true, require_signed_links: false };
    expect(managedDetail(managed)).toBe('');
    expect(managedDetail({ ...managed, allow_user_hubs: false, require_signed_links: true })).toBe(' · Your hubs are provided by your administrator.');
    expect(managedDetail({ ...managed, require_signed_links: true })).toBe(' · Only links signed by your organization can add hubs.');
    expect(userMayAdd(managed)).toBe(true);
    expect(userMayAdd({ ...managed, allow_user_hubs: false })).toBe(false);
    expect(userMayAdd(null)).toBe(true); // before the first list: nothing is known to be refused
  });
});

describe('sentence', () => {
  it('capitalizes the first letter only', () => {
    expect(sentence('server authentication failed: the hub refused')).toBe('Server authentication failed: the hub refused');
    expect(sentence('')).toBe('');
  });
});

describe('retrying', () => {
  it('only a failure that may pass by itself is offered as "Try again"', () => {
    const e = (code: string) => ({ code, message: '', cause: '', next_step: '' });
    expect(isTransient(e('network'))).toBe(true);
    expect(isTransient(e('timed_out'))).toBe(true);
    expect(isTransient(e('server_authentication_failed'))).toBe(false);
    expect(isTransient(e('mfa_required'))).toBe(false);
    expect(isTransient(e('policy'))).toBe(false);
  });
});
