// An in-memory stand-in for the Tauri backend, for looking at the page in a plain browser
// (`npx vite`, or a built page opened with `?preview`). Never loaded inside the app.
//
// ?preview            four hubs in different states, a hidden hub, hubs.ini problems
// ?preview=empty      a first start: nothing configured
// ?preview=storage    as the default, plus the plain-file storage warning
// ?preview=link       as the default, plus an authentication link "clicked" in the OS (IDN host)
// ?preview=managed    as the default, under an organisation's policy with AllowUserHubs off
//                     (no Add button; links from the OS are refused, naming the rule)
// ?preview=managed-empty  the same with no hubs yet: the empty state points to the administrator
// ?preview=signed     a managed computer and a link signed by the organisation "clicked" in the OS
// ?preview=tampered   the same link with its name changed after signing: the signature warning
// ?preview=degraded   as the default, on a computer with no session bus and a read-only log folder
//
// Signed links in the preview: `sig=demo` is the organisation's good signature over any link;
// every other `sig` does not verify (there is no real Ed25519 here).
// &speed=N            divide every simulated delay by N (e.g. speed=10 for quick runs)
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { HubState, HubView, HubsView, IniProblemView, LoginProgress, Notice, PendingLink, PolicyView, ProposalView, SignedInView, UiError } from './types';

type Args = Record<string, unknown>;

const MIN = 60_000;

function hub(p: Partial<HubView> & Pick<HubView, 'id' | 'name' | 'host'>): HubView {
  return {
    url: `https://${p.host}/`,
    issuer: `https://login.example.com/realms/corp`,
    client_id: 'hublink',
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

function err(code: string, message: string, cause: string, next_step: string): UiError {
  return { code, message, cause, next_step };
}

export function installFakeBackend(scenario: string): void {
  const params = new URLSearchParams(location.search);
  const speed = Math.max(0.01, Number(params.get('speed') ?? '1') || 1);
  const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms / speed));
  const now = Date.now();
  const iso = (offset: number): string => new Date(now + offset).toISOString();

  const dirs = ['/home/alice/Documents/Hublink/Hubs', '/etc/hublink'];
  let hubs: HubView[] = [];
  let problems: IniProblemView[] = [];
  const states = new Map<string, HubState>();
  const checkDelay = new Map<string, number>();

  const policy: PolicyView = {
    managed: ['managed', 'managed-empty', 'signed', 'tampered'].includes(scenario),
    allow_user_hubs: !['managed', 'managed-empty'].includes(scenario),
    require_signed_links: false,
  };

  if (scenario !== 'empty' && scenario !== 'managed-empty') {
    hubs = [
      hub({
        id: 'h-finance', name: 'Finance Hub', host: 'finance.example.com', source: 'hubs.ini',
        source_detail: '/home/alice/Documents/Hublink/Hubs/corp.ini [Finance Hub]', mfa_required: true,
        client_id: 'hublink-desktop',
        last: { user: 'alice', signed_in_at: iso(-26 * 60 * MIN), expires_at: iso(58 * MIN) },
      }),
      hub({
        id: 'h-sales', name: 'Sales Hub', host: 'sales.example.com',
        last: { user: 'alice', signed_in_at: iso(-31 * 24 * 60 * MIN), expires_at: iso(-24 * 60 * MIN) },
      }),
      hub({
        id: 'h-lab', name: 'Data Lab', host: 'lab.example.org', flow: 'device', issuer: 'https://sso.example.org',
        last: { user: 'alice@example.org', signed_in_at: iso(-20 * 60 * MIN), expires_at: iso(4 * 60 * MIN) },
      }),
      hub({
        id: 'h-partner', name: 'Partner Portal', host: 'partners.example.net', source: 'hubs.ini',
        source_detail: '/etc/hublink/partners.ini [Partner Portal]', issuer: 'https://id.example.net',
      }),
      hub({
        id: 'h-legacy', name: 'Legacy Reports', host: 'reports-old.example.com', source: 'hubs.ini',
        source_detail: '/etc/hublink/partners.ini [Legacy Reports]', hidden: true,
      }),
    ];
    problems = [
      {
        file: '/home/alice/Documents/Hublink/Hubs/corp.ini', line: 14, section: 'Old Reports',
        message: 'url: http:// is only allowed for loopback hosts (127.0.0.1, [::1], localhost); use https://', warning: false,
      },
      { file: '/home/alice/Documents/Hublink/Hubs/corp.ini', line: 3, section: 'Finance Hub', message: "unknown key 'timeout' ignored", warning: true },
    ];
    states.set('h-finance', { kind: 'signed_in', user: 'alice', expires_at: iso(58 * MIN) });
    states.set('h-sales', {
      kind: 'sign_in_required', user: 'alice',
      reason: 'Your session is older than 30 days, the longest your administrator allows.',
    });
    states.set('h-lab', {
      kind: 'offline', user: 'alice@example.org', last_signed_in: iso(-20 * 60 * MIN),
      error: err('network', 'Cannot reach lab.example.org', 'DNS lookup failed: no such host', 'Check your network or VPN connection, then choose the hub again.'),
    });
    states.set('h-partner', {
      kind: 'error',
      error: err(
        'server_authentication_failed', 'Server authentication failed',
        'The hub refused the session: 403 user alice is not a member of group "partners"',
        'Ask your administrator to give you access to Partner Portal.',
      ),
    });
    states.set('h-legacy', { kind: 'sign_in_required', user: null, reason: 'You have not signed in to this hub yet.' });
    checkDelay.set('h-finance', 700).set('h-sales', 1200).set('h-lab', 2600).set('h-partner', 1800).set('h-legacy', 500);
  }

  const pending: PendingLink[] = [];
  let arrived = 0;
  const arrive = (link: string): void => {
    arrived += 1;
    pending.push({ seq: arrived, link });
  };
  if (scenario === 'link') {
    arrive('hublink://add?url=https://xn--fnance-hub-4ub.example.com/&name=Finance%20Hub&mfa=required&client_id=hublink-desktop&theme=dark');
  }
  if (scenario === 'signed') arrive('hublink://add?url=https://payroll.example.com/&name=Payroll&mfa=required&sig=demo');
  if (scenario === 'tampered') arrive('hublink://add?url=https://payroll.example.com/&name=Payroll%20(new)&mfa=required&sig=bm90LWEtcmVhbC1zaWduYXR1cmU');
  if (scenario === 'managed') arrive('hublink://add?url=https://payroll.example.com/&name=Payroll');
  const storageWarning =
    scenario === 'storage'
      ? 'No keyring was found, and HUBLINK_INSECURE_STORAGE=1 allows Hublink to keep them in /home/alice/.config/hublink/secrets instead.'
      : null;
  const notices: Notice[] =
    scenario === 'degraded'
      ? [
        {
          code: 'session_bus', message: 'No D-Bus session bus',
          cause: 'DBUS_SESSION_BUS_ADDRESS (not set) cannot be used: Cannot autolaunch D-Bus without X11 $DISPLAY. The system keyring is reached over it, so sign-ins cannot be kept',
          next_step: 'Start Hublink from your desktop session (or inside `dbus-run-session`); hubs are listed, but signing in needs the keyring.',
        },
        {
          code: 'log_file', message: "Hublink's log is not written to a file",
          cause: '/home/alice/.local/share/app.hublink.desktop/logs: Read-only file system (os error 30)',
          next_step: 'Make that folder writable to keep a log; meanwhile it goes to the terminal Hublink was started from.',
        },
      ]
      : [];
  const warnings = scenario === 'storage' ? ['The hubs folder /home/alice/Documents/Hublink/Hubs could not be watched for changes; restart Hublink after editing hubs.ini.'] : [];

  const proposals = new Map<number, ProposalView>();
  let nextProposal = 1;
  const logins = new Map<string, (e: UiError) => void>();

  const view = (): HubsView => ({
    hubs: hubs.map((h) => ({ ...h })), problems, warnings, storage_warning: storageWarning, hubs_dirs: dirs, policy: { ...policy },
  });
  const refused = (rule: string, detail: string): UiError =>
    err(
      'policy', 'not allowed by your organization', `${detail} (your organization's policy \`${rule}\`)`,
      `This is a rule of your organization (\`${rule}\`), not something you can change; ask your administrator if you need it.`,
    );
  const find = (id: unknown): HubView => {
    const h = hubs.find((x) => x.id === id);
    if (!h) throw err('unknown_hub', 'This hub is no longer configured', `No hub has the id ${String(id)}.`, 'Restart Hublink.');
    return h;
  };

  async function prepare(input: string, receivedFrom: 'paste' | 'link'): Promise<ProposalView> {
    await wait(500);
    const bad = (cause: string): UiError =>
      err('bad_link', 'This is not a usable authentication link', cause, 'Copy the whole link again from the mail, chat or hub menu, or ask your administrator for a new one.');
    let url: URL;
    let name: string | null = null;
    let issuer: string | null = null;
    let client = 'hublink';
    let mfa = false;
    let flow: 'browser' | 'device' = 'browser';
    const ignored: string[] = [];
    let sig: string | null = null;
    let origin: ProposalView['origin'] = 'link';
    let originDetail = '';
    if (input.startsWith('hublink://')) {
      const q = new URLSearchParams(input.slice(input.indexOf('?') + 1));
      const raw = q.get('url');
      if (!raw) throw bad('The link has no url= part.');
      try {
        url = new URL(raw);
      } catch {
        throw bad(`url= is not a web address: ${raw}`);
      }
      name = q.get('name');
      issuer = q.get('issuer');
      client = q.get('client_id') ?? client;
      mfa = q.get('mfa') === 'required';
      flow = q.get('flow') === 'device' ? 'device' : 'browser';
      sig = q.get('sig');
      for (const k of q.keys()) if (!['url', 'name', 'issuer', 'client_id', 'scope', 'mfa', 'flow', 'redirect_port', 'session_check', 'sig'].includes(k)) ignored.push(k);
    } else if (/^https?:\/\//i.test(input)) {
      if (!policy.allow_user_hubs) throw refused('AllowUserHubs', 'adding hubs from links or addresses is turned off');
      try {
        url = new URL(input);
      } catch {
        throw bad('The address is not a valid web address.');
      }
      origin = url.hostname.endsWith('example.com') ? 'published_by_hub' : 'address_as_issuer';
      originDetail = origin === 'published_by_hub' ? `Read from ${url.origin}/.well-known/hublink.json` : '';
    } else {
      throw bad('It should start with hublink://add? or https://');
    }
    if (url.protocol !== 'https:') throw bad('url= must start with https:// (http:// is only allowed for this computer).');
    if (!policy.allow_user_hubs) throw refused('AllowUserHubs', 'adding hubs from links or addresses is turned off');
    const host = url.host;
    const hubId = `h-${host}`;
    const present = hubs.some((h) => h.id === hubId || h.host === host);
    const issuerUrl = issuer ?? (origin === 'address_as_issuer' ? url.href : 'https://login.example.com/realms/corp');
    const p: ProposalView = {
      proposal_id: nextProposal++,
      hub_id: hubs.find((h) => h.host === host)?.id ?? hubId,
      name: name ?? host,
      host,
      url: url.href,
      issuer: issuerUrl,
      client_id: client,
      mfa_required: mfa,
      flow,
      international_host: host.split('.').some((l) => l.startsWith('xn--')),
      auth: 'oidc',
      session_check: null,
      origin,
      origin_detail: originDetail,
      ignored,
      already_present: present,
      received_from: receivedFrom,
      issued_by_organization: sig === 'demo',
      signature_problem:
        sig === null || sig === 'demo'
          ? null
          : "it does not match the link's contents with any of the organisation's keys (the link was changed, or signed by someone else)",
      token: { identity_provider: new URL(issuerUrl).host, hub: null, hub_reason: null, unused_check: null },
    };
    proposals.set(p.proposal_id, p);
    return p;
  }

  async function login(id: string, device: boolean): Promise<SignedInView> {
    const h = find(id);
    let alive = true;
    const cancelled = new Promise<never>((_, reject) =>
      logins.set(id, (e) => {
        alive = false;
        reject(e);
      }),
    );
    const progress = (p: LoginProgress): void => {
      if (alive) void emit('login-progress', p);
    };
    const run = async (): Promise<SignedInView> => {
      if (device || h.flow === 'device') {
        await wait(600);
        progress({
          hub_id: id, kind: 'device_code', user_code: 'WDJB-MJHT', verification_uri: 'https://sso.example.org/device',
          verification_uri_complete: 'https://sso.example.org/device?user_code=WDJB-MJHT', expires_in_secs: 600,
        });
        await wait(15000);
      } else {
        await wait(500);
        const authUrl = `${h.issuer}/protocol/openid-connect/auth?client_id=${encodeURIComponent(h.client_id)}&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcallback&scope=openid%20profile%20email%20offline_access&code_challenge_method=S256`;
        if (h.id === 'h-sales') progress({ hub_id: id, kind: 'browser_failed', url: authUrl, reason: 'xdg-open exited with status 3 (no web browser is set up)' });
        else progress({ hub_id: id, kind: 'browser_opened', url: authUrl });
        await wait(9000);
      }
      progress({ hub_id: id, kind: 'verifying' });
      await wait(1200);
      if (h.id === 'h-partner') {
        throw err(
          'server_authentication_failed', 'Server authentication failed',
          'The hub refused the session: 403 user alice is not a member of group "partners"',
          'Ask your administrator to give you access to Partner Portal, then sign in again.',
        );
      }
      const user = h.last?.user ?? 'alice';
      const res: SignedInView = { user, expires_at: iso(8 * 60 * MIN + (Date.now() - now)) };
      if (alive) states.set(id, { kind: 'signed_in', ...res });
      return res;
    };
    try {
      return await Promise.race([run(), cancelled]);
    } finally {
      logins.delete(id);
    }
  }

  const handlers: Record<string, (a: Args) => unknown> = {
    list_hubs: () => view(),
    check_hub: async (a) => {
      const id = a.hubId as string;
      find(id);
      await wait(checkDelay.get(id) ?? 800);
      return states.get(id) ?? { kind: 'sign_in_required', user: null, reason: 'You have not signed in to this hub yet.' };
    },
    prepare_add: (a) => prepare(String(a.input), a.receivedFrom === 'link' ? 'link' : 'paste'),
    confirm_add: async (a) => {
      const p = proposals.get(a.proposalId as number);
      if (!p) throw err('internal', 'This confirmation has expired', 'The proposal is no longer known.', 'Add the link again.');
      proposals.delete(p.proposal_id);
      await wait(300);
      const existing = hubs.find((h) => h.host === p.host);
      if (existing) return { hub: existing, already_present: true };
      const h = hub({ id: p.hub_id, name: p.name, host: p.host, url: p.url, issuer: p.issuer, client_id: p.client_id, mfa_required: p.mfa_required, flow: p.flow, international_host: p.international_host });
      hubs.push(h);
      void emit('hubs-changed');
      return { hub: h, already_present: false };
    },
    discard_proposal: (a) => void proposals.delete(a.proposalId as number),
    take_pending_links: () => pending.splice(0),
    startup_notices: () => notices,
    login: (a) => login(a.hubId as string, a.device === true),
    cancel_login: (a) => {
      logins.get(a.hubId as string)?.(err('cancelled', 'Sign-in cancelled', 'You cancelled the sign-in.', 'Choose the hub again to sign in.'));
    },
    logout: async (a) => {
      const h = find(a.hubId);
      await wait(400);
      states.set(h.id, { kind: 'sign_in_required', user: null, reason: 'You signed out.' });
      return `Signed out of ${h.name}: the identity provider revoked the session and it was removed from this computer.`;
    },
    remove_hub: (a) => {
      const h = find(a.hubId);
      if (h.source !== 'link') throw err('admin_hub', 'This hub was set up by your administrator', 'Hubs from hubs.ini cannot be removed.', 'Hide it instead.');
      hubs = hubs.filter((x) => x !== h);
      void emit('hubs-changed');
    },
    set_hidden: (a) => {
      const h = find(a.hubId);
      h.hidden = a.hidden === true;
      void emit('hubs-changed');
    },
    open_in_browser: (a) => void window.open(String(a.url), '_blank', 'noopener'),
  };

  mockIPC(
    async (cmd, payload) => {
      const h = handlers[cmd];
      if (!h) throw err('internal', `Unknown command ${cmd}`, 'The preview backend does not know it.', 'Update fake-backend.ts.');
      return h((payload ?? {}) as Args);
    },
    { shouldMockEvents: true },
  );

  // For poking at the preview from the console or a screenshot script.
  (window as unknown as { hublinkPreview: unknown }).hublinkPreview = {
    clickLink: (link: string) => {
      arrive(link);
      void emit('links-pending');
    },
  };
  console.info('Hublink: preview backend (no Tauri), scenario:', scenario || 'default');
}
