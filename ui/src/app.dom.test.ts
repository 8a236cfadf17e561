// @vitest-environment happy-dom
// The page against a scripted backend (Tauri's own IPC mock): what a user would see and do.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { App } from './app';
import markup from '../index.html?raw';
import type { HubState, HubView, HubsView, PolicyView, ProposalView, SignedInView, UiError } from './types';

const body = (markup.split('<body>')[1] ?? '').split('<script')[0] ?? '';

type Call = { cmd: string; args: Record<string, unknown> };

function hub(p: Partial<HubView> & Pick<HubView, 'id' | 'name'>): HubView {
  return {
    host: `${p.id}.example.com`, url: `https://${p.id}.example.com/`, issuer: 'https://idp.example.com', client_id: 'hublink',
    source: 'link', source_detail: '', hidden: false, mfa_required: false, flow: 'browser', international_host: false, last: null, auth: 'oidc', ...p,
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
const $ = <T extends HTMLElement = HTMLElement>(sel: string): T => {
  const e = document.querySelector<T>(sel);
  if (!e) throw new Error(`no ${sel}`);
  return e;
};

let calls: Call[];
let handlers: Record<string, (a: Record<string, unknown>) => unknown>;

function backend(view: HubsView, states: Record<string, HubState | Promise<HubState>>): void {
  handlers = {
    list_hubs: () => view,
    check_hub: (a) => states[a.hubId as string] ?? { kind: 'sign_in_required', user: null, reason: 'Not signed in yet.' },
    take_pending_links: () => [],
    startup_notices: () => [],
    discard_proposal: () => null,
  };
  mockIPC(
    (cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      const h = handlers[cmd];
      if (!h) throw new Error(`unexpected ${cmd}`);
      return h((args ?? {}) as Record<string, unknown>);
    },
    { shouldMockEvents: true },
  );
}

const unmanaged: PolicyView = { managed: false, allow_user_hubs: true, require_signed_links: false };
const emptyView = (p: Partial<HubsView> = {}): HubsView => ({
  hubs: [], problems: [], warnings: [], storage_warning: null, hubs_dirs: ['/home/a/Documents/Hublink/Hubs'], policy: unmanaged, ...p,
});

function proposal(p: Partial<ProposalView> = {}): ProposalView {
  return {
    proposal_id: 9, hub_id: 'pay', name: 'Payroll', host: 'pay.example.com', url: 'https://pay.example.com/', issuer: 'https://idp.example.com',
    client_id: 'hublink', mfa_required: false, flow: 'browser', international_host: false, auth: 'oidc', session_check: null, origin: 'link', origin_detail: '', ignored: [],
    already_present: false, received_from: 'link', issued_by_organization: false, signature_problem: null,
    token: { identity_provider: 'idp.example.com', hub: null, hub_reason: null, unused_check: null }, ...p,
  };
}

/** A paste onto the page (outside any text box), as the OS delivers it. */
function pasteOnPage(text: string): void {
  const ev = new Event('paste', { bubbles: true, cancelable: true });
  Object.defineProperty(ev, 'clipboardData', { value: { getData: () => text } });
  document.body.dispatchEvent(ev);
}

const visible = (sel: string): boolean => {
  for (let e: HTMLElement | null = $(sel); e; e = e.parentElement) if (e.hidden) return false;
  return true;
};

beforeEach(() => {
  document.body.innerHTML = body;
  delete document.body.dataset.ready;
  calls = [];
});
afterEach(() => clearMocks());

describe('welcome page', () => {
  it('renders every hub as checking, then each card as its check answers', async () => {
    const slow = deferred<HubState>();
    backend(
      emptyView({ hubs: [hub({ id: 'b', name: 'Beta' }), hub({ id: 'a', name: 'Alpha', source: 'hubs.ini' })] }),
      { a: { kind: 'signed_in', user: 'alice', expires_at: null }, b: slow.promise },
    );
    await new App().start();
    expect(document.body.dataset.ready).toBe('true');
    const cards = [...document.querySelectorAll<HTMLElement>('[data-hub-id]')];
    expect(cards.map((c) => c.dataset.hubName)).toEqual(['Alpha', 'Beta']);
    expect(calls.filter((c) => c.cmd === 'check_hub').map((c) => c.args.hubId).sort()).toEqual(['a', 'b']);
    await tick();
    expect($('[data-hub-id="a"]').dataset.state).toBe('signed_in');
    expect($('[data-hub-id="a"] .hub-state').textContent).toContain('Signed in as alice');
    expect($('[data-hub-id="a"] .badge').textContent).toBe('from your administrator');
    expect($('[data-hub-id="b"]').dataset.state).toBe('checking');
    expect($('[data-hub-id="b"] .hub-menu').getAttribute('aria-label')).toBe('More actions for Beta');
    slow.resolve({ kind: 'error', error: { code: 'tls', message: 'Certificate not trusted', cause: 'self-signed', next_step: 'Ask IT.' } });
    await tick();
    expect($('[data-hub-id="b"]').dataset.state).toBe('error');
    expect($('[data-hub-id="b"] .hub-state').textContent).toContain('Error: Certificate not trusted');
    // The card's name holds its visible words in their order, ending with what a click does
    // (WCAG 2.5.3); the avatar's letter is drawn by CSS, not text of the card.
    expect($('[data-hub-id="a"] .hub-signin').getAttribute('aria-label')).toBe(
      'Alpha, a.example.com. Signed in as alice. from your administrator. Open.',
    );
    expect($('[data-hub-id="b"] .hub-signin').getAttribute('aria-label')).toBe(
      'Beta, b.example.com. Error: Certificate not trusted. Self-signed. from link. Sign in.',
    );
    expect($('[data-hub-id="a"] .avatar').textContent).toBe('');
    expect($('[data-hub-id="a"] .avatar').dataset.initial).toBe('A');
    expect(document.getElementById('empty-state')?.hidden).toBe(true);
    expect(calls.some((c) => c.cmd === 'login')).toBe(false); // no browser opens by itself
  });

  it('a locked keyring is one banner with its fix, not an error on every card', async () => {
    const storage = { kind: 'error' as const, error: { code: 'secure_storage_unavailable', message: 'secure storage is not available', cause: 'the keyring is locked', next_step: 'Unlock your keyring.' } };
    backend(emptyView({ hubs: [hub({ id: 'a', name: 'Alpha' }), hub({ id: 'b', name: 'Beta' })] }), { a: storage, b: storage });
    await new App().start();
    await tick();
    const banner = $('#machine-problem');
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain('The keyring is locked');
    expect(banner.textContent).toContain('Unlock your keyring');
    for (const id of ['a', 'b']) {
      expect($(`[data-hub-id="${id}"] .hub-state`).textContent).not.toContain('Error');
      expect($(`[data-hub-id="${id}"] .hub-state`).textContent).toContain('Waiting for secure storage');
    }
  });

  it('puts names from links in as text, never as markup', async () => {
    backend(emptyView({ hubs: [hub({ id: 'x', name: '<img src=x onerror=alert(1)>Evil' })] }), {});
    await new App().start();
    expect(document.querySelector('img')).toBeNull();
    expect($('[data-hub-id="x"] .hub-name').textContent).toBe('<img src=x onerror=alert(1)>Evil');
  });

  it('shows the empty state, the storage warning and hubs.ini problems', async () => {
    backend(
      emptyView({
        storage_warning: 'No keyring; using files.',
        problems: [
          { file: '/etc/hublink/a.ini', line: 3, section: 'X', message: 'bad url', warning: false },
          { file: '/etc/hublink/a.ini', line: 9, section: null, message: 'unknown key', warning: true },
        ],
      }),
      {},
    );
    await new App().start();
    expect($('#empty-state').hidden).toBe(false);
    expect($('#empty-state').textContent).toContain('/home/a/Documents/Hublink/Hubs');
    expect($('#storage-warning').textContent).toContain('No keyring; using files.');
    const problems = $<HTMLDetailsElement>('#problems');
    expect(problems.hidden).toBe(false);
    expect(problems.open).toBe(true);
    const items = [...problems.querySelectorAll('li.problem')].map((li) => li.textContent);
    expect(items).toHaveLength(2);
    expect(items[0]).toContain('/etc/hublink/a.ini:3 [X] bad url');
    expect(items[1]).toContain('warning');
  });

  it('confirms a link from the OS before adding, and discards it on Cancel', async () => {
    const proposal: ProposalView = {
      proposal_id: 7, name: 'Finance Hub', host: 'xn--fnance-4ua.example.com', url: 'https://xn--fnance-4ua.example.com/',
      issuer: 'https://idp.example.com', client_id: 'hublink', mfa_required: true, flow: 'browser', international_host: true, auth: 'oidc', session_check: null,
      origin: 'link', origin_detail: '', ignored: ['theme'], already_present: false, received_from: 'link',
      hub_id: 'fin', issued_by_organization: false, signature_problem: null,
      token: { identity_provider: 'idp.example.com', hub: null, hub_reason: null, unused_check: 'xn--fnance-4ua.example.com' },
    };
    backend(emptyView(), {});
    handlers.take_pending_links = () => [{ seq: 1, link: 'hublink://add?url=https://xn--fnance-4ua.example.com/' }];
    handlers.prepare_add = () => proposal;
    await new App().start();
    await tick();
    expect(calls.find((c) => c.cmd === 'prepare_add')?.args).toEqual({ input: 'hublink://add?url=https://xn--fnance-4ua.example.com/', receivedFrom: 'link' });
    const dialog = $<HTMLDialogElement>('#confirm-dialog');
    expect(dialog.open).toBe(true);
    expect($('#confirm-host').textContent).toBe('xn--fnance-4ua.example.com');
    expect($('#confirm-name').textContent).toBe('Finance Hub');
    expect($('#confirm-idn').hidden).toBe(false);
    expect($('#confirm-ignored').textContent).toContain('theme');
    // Who gets the identity provider's token: only the IdP; the link's own session check is not used.
    expect($('#confirm-token').hidden).toBe(false);
    expect($('#confirm-token').textContent).toContain('Only the identity provider idp.example.com.');
    expect($('#confirm-token').textContent).toContain('session check on xn--fnance-4ua.example.com is not used');
    // An unsigned link: neither the organisation's line nor the signature warning.
    expect($('#confirm-issued').hidden).toBe(true);
    expect($('#confirm-signature-problem').hidden).toBe(true);
    expect($('#confirm-add').textContent).toBe('Add');
    expect(calls.some((c) => c.cmd === 'confirm_add')).toBe(false);
    $('#confirm-cancel').click();
    await tick();
    expect(dialog.open).toBe(false);
    expect(calls.find((c) => c.cmd === 'discard_proposal')?.args).toEqual({ proposalId: 7 });
  });

  it('shows links from the OS in the order they arrived, even when takes answer out of order', async () => {
    backend(emptyView(), {});
    const link = (n: number): string => `hublink://add?url=https://h${n}.example.com/`;
    // The first take is slow and the second fast: the second's links must not jump ahead.
    const slow = deferred<unknown>();
    let takes = 0;
    handlers.take_pending_links = () => {
      takes += 1;
      if (takes === 1) return [];
      if (takes === 2) return slow.promise;
      if (takes === 3) return [{ seq: 3, link: link(3) }, { seq: 2, link: link(2) }];
      // A repeated answer (both takes saw the same links) adds nothing twice.
      return [{ seq: 2, link: link(2) }];
    };
    let next = 100;
    handlers.prepare_add = (a) => proposal({ proposal_id: next++, name: String(a.input).replace(/.*\/\/(h\d+).*/, '$1') });
    await new App().start();
    await tick();
    await emit('links-pending');
    await emit('links-pending');
    await emit('links-pending');
    await tick();
    slow.resolve([{ seq: 1, link: link(1) }]);
    await tick(10);
    const shown: string[] = [];
    for (let i = 0; i < 4 && $<HTMLDialogElement>('#confirm-dialog').open; i += 1) {
      shown.push(`${$('#confirm-dialog').dataset.linkSeq}:${$('#confirm-name').textContent}:${visible('#confirm-queue') ? $('#confirm-queue').textContent : ''}`);
      $('#confirm-cancel').click();
      await tick(10);
    }
    expect(shown).toEqual(['1:h1:2 more links are waiting.', '2:h2:1 more link is waiting.', '3:h3:']);
    expect(calls.filter((c) => c.cmd === 'prepare_add')).toHaveLength(3);
  });

  it('shows what does not work on this computer, with the reason and what to do', async () => {
    backend(emptyView(), {});
    handlers.startup_notices = () => [
      { code: 'session_bus', message: 'No D-Bus session bus', cause: 'DBUS_SESSION_BUS_ADDRESS (garbage) cannot be used', next_step: 'Start Hublink from your desktop session.' },
    ];
    await new App().start();
    const notice = $('[data-notice="session_bus"]');
    expect(notice.textContent).toContain('No D-Bus session bus');
    expect(notice.textContent).toContain('(garbage) cannot be used');
    expect(notice.textContent).toContain('What to do: Start Hublink from your desktop session.');
    handlers.startup_notices = () => [];
    await emit('notices-changed');
    await tick();
    expect(document.querySelector('[data-notice]')).toBeNull();
  });

  it('shows an add error inline with its cause and next step', async () => {
    backend(emptyView(), {});
    const bad: UiError = { code: 'bad_link', message: 'Not a link', cause: 'url= is missing', next_step: 'Copy the whole link.' };
    handlers.prepare_add = () => Promise.reject(bad);
    await new App().start();
    $('#add-link').click();
    $<HTMLInputElement>('#link-input').value = 'hublink://add?name=x';
    $<HTMLFormElement>('#add-form').requestSubmit();
    await tick();
    expect($('#add-error').hidden).toBe(false);
    expect($('#add-error').textContent).toContain('Not a link');
    expect($('#add-error').textContent).toContain('url= is missing');
    expect($('#add-error').textContent).toContain('What to do: Copy the whole link.');
    expect(calls.find((c) => c.cmd === 'prepare_add')?.args.receivedFrom).toBe('paste');
  });

  it('signs in with progress, and a cancelled sign-in leaves the previous state', async () => {
    const before: HubState = { kind: 'sign_in_required', user: 'alice', reason: 'Session expired.' };
    backend(emptyView({ hubs: [hub({ id: 'a', name: 'Alpha' })] }), { a: before });
    let pending = deferred<SignedInView>();
    handlers.login = () => pending.promise;
    handlers.cancel_login = () => {
      pending.reject({ code: 'cancelled', message: 'Cancelled', cause: '', next_step: '' });
      return null;
    };
    await new App({ successCloseMs: 10 }).start();
    await tick();
    $('[data-hub-id="a"] .hub-signin').click();
    expect(calls.find((c) => c.cmd === 'login')?.args).toEqual({ hubId: 'a', device: false });
    expect($('[data-hub-id="a"]').dataset.state).toBe('signing_in');
    expect($<HTMLDialogElement>('#signin-dialog').open).toBe(true);

    await emit('login-progress', { hub_id: 'a', kind: 'browser_opened', url: 'https://idp.example.com/auth?x=1' });
    await tick();
    expect($('#signin-status').textContent).toBe('Finish signing in in your browser');
    expect($('#signin-url').textContent).toBe('https://idp.example.com/auth?x=1');

    $('#signin-cancel').click();
    await tick();
    expect(calls.some((c) => c.cmd === 'cancel_login')).toBe(true);
    expect($('#signin-result').dataset.outcome).toBe('cancelled');
    expect($<HTMLDialogElement>('#signin-dialog').open).toBe(false);
    expect($('[data-hub-id="a"]').dataset.state).toBe('sign_in_required');
    expect($('[data-hub-id="a"] .hub-state').textContent).toContain('Sign in again');

    // Again, this time with a code, ending in success.
    pending = deferred<SignedInView>();
    $('[data-hub-id="a"] .hub-signin').click();
    await emit('login-progress', {
      hub_id: 'a', kind: 'device_code', user_code: 'ABCD-EFGH', verification_uri: 'https://idp.example.com/device',
      verification_uri_complete: null, expires_in_secs: 300,
    });
    await tick();
    expect($('#device-code').textContent).toBe('ABCD-EFGH');
    expect($('#device-remaining').textContent).toContain('5:00');
    pending.resolve({ user: 'alice', expires_at: null });
    await tick();
    expect($('#signin-result').dataset.outcome).toBe('success');
    expect($('#success-text').textContent).toBe('Signed in to Alpha as alice');
    expect($('[data-hub-id="a"]').dataset.state).toBe('signed_in');
    await tick(30);
    expect($<HTMLDialogElement>('#signin-dialog').open).toBe(false);
  });

  it('a failed sign-in shows message, cause and next step', async () => {
    backend(emptyView({ hubs: [hub({ id: 'a', name: 'Alpha' })] }), {});
    handlers.login = () =>
      Promise.reject({ code: 'server_authentication_failed', message: 'Server authentication failed', cause: '403: not in group', next_step: 'Ask for access.' });
    await new App().start();
    await tick();
    $('[data-hub-id="a"] .hub-signin').click();
    await tick();
    expect($('#signin-result').dataset.outcome).toBe('error');
    expect($('#error-message').textContent).toBe('Server authentication failed');
    expect($('#error-cause').textContent).toBe('403: not in group');
    expect($('#error-next').textContent).toBe('Ask for access.');
    expect($('#copy-details').hidden).toBe(false);
    expect($('[data-hub-id="a"]').dataset.state).toBe('error');
  });

  it('an unmanaged computer shows no policy banner, and pasting a link opens the Add dialog', async () => {
    backend(emptyView(), {});
    await new App().start();
    expect($('#managed-banner').hidden).toBe(true);
    expect(visible('#add-link')).toBe(true);
    expect(visible('#empty-add')).toBe(true);
    pasteOnPage('hublink://add?url=https://pay.example.com/');
    expect($<HTMLDialogElement>('#add-dialog').open).toBe(true);
    expect($<HTMLInputElement>('#link-input').value).toBe('hublink://add?url=https://pay.example.com/');
    expect(visible('#link-submit')).toBe(true);
    expect($('#add-cancel').textContent).toBe('Cancel');
  });

  it('a managed computer says so in a quiet status banner, and still offers adding when allowed', async () => {
    backend(emptyView({ hubs: [hub({ id: 'a', name: 'Alpha' })], policy: { managed: true, allow_user_hubs: true, require_signed_links: true } }), {});
    await new App().start();
    const banner = $('#managed-banner');
    expect(banner.hidden).toBe(false);
    expect(banner.getAttribute('role')).toBe('status');
    expect(banner.textContent).toContain('Managed by your organization');
    expect(banner.textContent).toContain('Only links signed by your organization can add hubs.');
    expect(banner.querySelector('svg')?.getAttribute('aria-hidden')).toBe('true');
    expect(visible('#add-link')).toBe(true);
    expect(visible('#add-ways')).toBe(true);
  });

  it('AllowUserHubs off: no Add button, no pasting, and the empty state points to the administrator', async () => {
    backend(emptyView({ policy: { managed: true, allow_user_hubs: false, require_signed_links: false } }), {});
    await new App().start();
    expect($('#managed-banner').hidden).toBe(false);
    expect($('#managed-banner').textContent).toContain('Your hubs are provided by your administrator.');
    expect(visible('#add-link')).toBe(false);
    expect(visible('#empty-add')).toBe(false);
    expect(visible('#empty-ways')).toBe(false);
    expect(visible('#empty-lead')).toBe(false);
    expect(visible('#empty-admin')).toBe(true);
    expect($('#empty-state').textContent).toMatch(/your administrator sets them up/);
    expect($('#empty-admin').textContent).toContain('/home/a/Documents/Hublink/Hubs');
    expect($('#empty-admin').textContent).toMatch(/turned off/);
    pasteOnPage('hublink://add?url=https://pay.example.com/');
    expect($<HTMLDialogElement>('#add-dialog').open).toBe(false);
    expect(calls.some((c) => c.cmd === 'prepare_add')).toBe(false);
  });

  it('AllowUserHubs off: a link from the OS still goes to the backend, and its refusal is shown with the next step', async () => {
    backend(emptyView({ policy: { managed: true, allow_user_hubs: false, require_signed_links: false } }), {});
    const link = 'hublink://add?url=https://pay.example.com/&name=Payroll';
    handlers.take_pending_links = () => [{ seq: 1, link }];
    handlers.prepare_add = () =>
      Promise.reject({
        code: 'policy', message: 'not allowed by your organization',
        cause: "adding hubs from links or addresses is turned off (your organization's policy `AllowUserHubs`)",
        next_step: 'This is a rule of your organization (`AllowUserHubs`), not something you can change; ask your administrator if you need it.',
      } satisfies UiError);
    await new App().start();
    await tick();
    expect(calls.find((c) => c.cmd === 'prepare_add')?.args).toEqual({ input: link, receivedFrom: 'link' });
    expect($<HTMLDialogElement>('#add-dialog').open).toBe(true);
    const box = $('#add-error');
    expect(box.hidden).toBe(false);
    expect(box.getAttribute('role')).toBe('alert');
    expect(box.textContent).toContain('Not allowed by your organization');
    expect(box.textContent).toContain('`AllowUserHubs`');
    expect(box.textContent).toContain('What to do: This is a rule of your organization');
    // "Where do I get a link? … paste it here" would be wrong advice on this computer, and
    // "Continue" could only be refused again.
    expect(visible('#add-ways')).toBe(false);
    expect(visible('#link-submit')).toBe(false);
    expect($('#add-cancel').textContent).toBe('Close');
    $('#add-cancel').click();
    expect($<HTMLDialogElement>('#add-dialog').open).toBe(false);
  });

  it('a link signed by the organisation says "Issued by your organization", in words and with an icon', async () => {
    backend(emptyView({ policy: { managed: true, allow_user_hubs: true, require_signed_links: false } }), {});
    handlers.take_pending_links = () => [{ seq: 1, link: 'hublink://add?url=https://pay.example.com/&sig=x' }];
    handlers.prepare_add = () => proposal({ issued_by_organization: true });
    await new App().start();
    await tick();
    expect($<HTMLDialogElement>('#confirm-dialog').open).toBe(true);
    const issued = $('#confirm-issued');
    expect(issued.hidden).toBe(false);
    expect(issued.textContent).toContain('Issued by your organization');
    expect(issued.querySelector('svg')).not.toBeNull();
    expect($('#confirm-signature-problem').hidden).toBe(true);
    expect($('#confirm-dialog').getAttribute('aria-describedby')).toBe('confirm-host-block confirm-issued');
    expect($('#confirm-add').textContent).toBe('Add');
    expect($('#confirm-add').classList.contains('btn-primary')).toBe(true);
  });

  it('a link whose signature does not verify gets an unmistakable warning, and Add becomes "Add anyway"', async () => {
    backend(emptyView(), {});
    handlers.take_pending_links = () => [{ seq: 1, link: 'hublink://add?url=https://pay.example.com/&sig=x' }];
    handlers.prepare_add = () =>
      proposal({ signature_problem: "it does not match the link's contents with any of the organisation's keys (the link was changed, or signed by someone else)" });
    handlers.confirm_add = () => ({ hub: hub({ id: 'pay', name: 'Payroll' }), already_present: false });
    await new App().start();
    await tick();
    const warning = $('#confirm-signature-problem');
    expect(warning.hidden).toBe(false);
    expect($('#confirm-signature-text').textContent).toBe(
      "The link's signature is not valid: it does not match the link's contents with any of the organisation's keys (the link was changed, or signed by someone else).",
    );
    expect(warning.textContent).toContain('Warning:');
    expect(warning.textContent).toMatch(/Do not add it unless your administrator confirms/);
    expect(warning.querySelector('svg')).not.toBeNull();
    expect($('#confirm-issued').hidden).toBe(true);
    // Read first when the dialog opens; the safe choice keeps the focus.
    expect($('#confirm-dialog').getAttribute('aria-describedby')?.split(' ')[0]).toBe('confirm-signature-problem');
    expect(document.activeElement?.id).toBe('confirm-cancel');
    const add = $('#confirm-add');
    expect(add.textContent).toBe('Add anyway');
    expect(add.classList.contains('btn-primary')).toBe(false);
    add.click();
    await tick();
    expect(calls.find((c) => c.cmd === 'confirm_add')?.args).toEqual({ proposalId: 9 });
  });

  it('a reason from the link is shown as text, with invisible characters made visible', async () => {
    backend(emptyView(), {});
    handlers.take_pending_links = () => [{ seq: 1, link: 'hublink://add?url=https://pay.example.com/&sig=x' }];
    handlers.prepare_add = () => proposal({ signature_problem: '<b>bad</b>\u202Egnp' });
    await new App().start();
    await tick();
    expect($('#confirm-signature-problem').querySelector('b')).toBeNull();
    expect($('#confirm-signature-text').textContent).toBe("The link's signature is not valid: <b>bad</b>⟨U+202E⟩gnp.");
  });

  it('Cancel on a hub that is already there goes back to that hub (by its id)', async () => {
    backend(emptyView({ hubs: [hub({ id: 'pay', name: 'Payroll', host: 'other-spelling.example.com' })] }), {});
    handlers.take_pending_links = () => [{ seq: 1, link: 'hublink://add?url=https://pay.example.com/' }];
    handlers.prepare_add = () => proposal({ already_present: true });
    await new App().start();
    await tick();
    expect($('#confirm-title').textContent).toBe('This hub is already added');
    $('#confirm-cancel').click();
    await tick();
    expect(document.activeElement).toBe($('[data-hub-id="pay"] .hub-signin'));
  });
});
