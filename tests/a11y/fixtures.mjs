// What the fake backend answers: hub lists, card states, proposals and sign-in progress for
// every state a user of the welcome page meets. Plain JSON (it is serialised into the page).

const MIN = 60_000;
const iso = (offsetMs) => new Date(Date.now() + offsetMs).toISOString();
const err = (code, message, cause, next_step) => ({ code, message, cause, next_step });

function hub(p) {
  return {
    url: `https://${p.host}/`,
    issuer: 'https://login.example.com/realms/corp',
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

const DIRS = ['/home/alice/Documents/Hublink/Hubs', '/etc/hublink'];
const policy = (managed, allowUserHubs = true, requireSigned = false) => ({
  managed,
  allow_user_hubs: allowUserHubs,
  require_signed_links: requireSigned,
});

/** Hubs in every card state: signed in, sign-in required, offline, error, still checking;
 *  from links and from the administrator; two hidden ones. */
export const HUBS = [
  hub({
    id: 'h-finance', name: 'Finance Hub', host: 'finance.example.com', source: 'hubs.ini', mfa_required: true,
    source_detail: '/etc/hublink/corp.ini [Finance Hub]', client_id: 'hublink-desktop',
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
  hub({ id: 'h-wiki', name: 'Team Wiki', host: 'wiki.example.com' }),
  hub({ id: 'h-pay', name: 'Workday Payroll', host: 'payroll.example.com', last: { user: 'alice', signed_in_at: iso(-29 * 24 * 60 * MIN), expires_at: iso(5 * MIN), session_ends_at: iso(2 * 24 * 60 * MIN) } }),
  hub({
    id: 'h-qlik', name: 'Qlik Finance', host: 'qlik.example.com', url: 'https://qlik.example.com/finance/', auth: 'web',
    issuer: 'https://qlik.example.com/finance/', last: { user: 'CORP\\alice', signed_in_at: iso(-3 * 60 * MIN), expires_at: null },
  }),
  hub({ id: 'h-build', name: 'Build Farm', host: 'ci.example.com', source: 'hubs.ini', source_detail: '/etc/hublink/corp.ini [Build Farm]' }),
  hub({ id: 'h-legacy', name: 'Legacy Reports', host: 'reports-old.example.com', source: 'hubs.ini', hidden: true }),
  hub({ id: 'h-archive', name: 'Archive', host: 'archive.example.com', hidden: true }),
];

export const STATES = {
  'h-finance': { kind: 'signed_in', user: 'alice', expires_at: iso(58 * MIN) },
  'h-sales': { kind: 'sign_in_required', user: 'alice', reason: 'Your session is older than 30 days, the longest your administrator allows.' },
  'h-lab': {
    kind: 'offline', user: 'alice@example.org', last_signed_in: iso(-20 * 60 * MIN),
    error: err('network', 'Cannot reach lab.example.org', 'DNS lookup failed: no such host', 'Check your network or VPN connection, then choose the hub again.'),
  },
  'h-partner': {
    kind: 'error',
    error: err('server_authentication_failed', 'Server authentication failed', 'The hub refused the session: 403 user alice is not a member of group "partners"', 'Ask your administrator to give you access to Partner Portal.'),
  },
  'h-wiki': { kind: 'sign_in_required', user: null, reason: 'You have not signed in to this hub yet.' },
  'h-qlik': { kind: 'signed_in', user: 'CORP\\alice', expires_at: null, session_ends_at: iso(20 * 24 * 60 * MIN), renew_due: false },
  'h-pay': { kind: 'signed_in', user: 'alice', expires_at: iso(5 * MIN), session_ends_at: iso(2 * 24 * 60 * MIN), renew_due: true },
  'h-build': 'pending', // its check never answers: "Checking…"
};

const PROBLEMS = [
  { file: '/etc/hublink/corp.ini', line: 14, section: 'Old Reports', message: 'url: http:// is only allowed for loopback hosts (127.0.0.1, [::1], localhost); use https://', warning: false },
  { file: '/etc/hublink/corp.ini', line: 3, section: 'Finance Hub', message: "unknown key 'timeout' ignored", warning: true },
];

function proposal(id, p) {
  return {
    proposal_id: id, hub_id: `h-${p.host}`, name: p.host, url: `https://${p.host}/`, issuer: 'https://login.example.com/realms/corp',
    client_id: 'hublink', mfa_required: false, flow: 'browser', international_host: false, auth: 'oidc', session_check: null, origin: 'link', origin_detail: '',
    ignored: [], already_present: false, received_from: 'link', issued_by_organization: false, signature_problem: null, ...p,
  };
}

/** Links (keys) and what prepare_add makes of them. */
export const LINKS = {
  signed: 'hublink://add?url=https://payroll.example.com/&name=Payroll&mfa=required&sig=good',
  tampered: 'hublink://add?url=https://payroll.example.com/&name=Payroll%20(new)&sig=bad',
  lookalike: 'hublink://add?url=https://xn--fnance-hub-4ub.example.com/&name=Finance%20Hub&mfa=required&client_id=hublink-desktop&theme=dark',
  present: 'https://finance.example.com',
  device: 'https://sso.example.org',
  refused: 'hublink://add?url=https://payroll.example.com/&name=Payroll',
  web: 'hublink://add?url=https://qlik.example.com/sales/&name=Qlik%20Sales&auth=web&session_check=/sales/qps/user',
};

export const PROPOSALS = {
  [LINKS.web]: proposal(6, {
    name: 'Qlik Sales', host: 'qlik.example.com', url: 'https://qlik.example.com/sales/', issuer: 'https://qlik.example.com/sales/',
    auth: 'web', session_check: 'https://qlik.example.com/sales/qps/user',
  }),
  [LINKS.signed]: proposal(1, { name: 'Payroll', host: 'payroll.example.com', mfa_required: true, issued_by_organization: true }),
  [LINKS.tampered]: proposal(2, {
    name: 'Payroll (new)', host: 'payroll.example.com',
    signature_problem: "it does not match the link's contents with any of the organisation's keys (the link was changed, or signed by someone else)",
  }),
  [LINKS.lookalike]: proposal(3, {
    name: 'Finance Hub', host: 'xn--fnance-hub-4ub.example.com', mfa_required: true, client_id: 'hublink-desktop',
    international_host: true, ignored: ['theme'],
  }),
  [LINKS.present]: proposal(4, {
    hub_id: 'h-finance', name: 'Finance Hub', host: 'finance.example.com', origin: 'published_by_hub',
    origin_detail: 'Read from https://finance.example.com/.well-known/hublink.json', already_present: true, received_from: 'paste',
  }),
  [LINKS.device]: proposal(5, { name: 'sso.example.org', host: 'sso.example.org', issuer: 'https://sso.example.org/', flow: 'device', origin: 'address_as_issuer', received_from: 'paste' }),
  [LINKS.refused]: {
    error: err('policy', 'not allowed by your organization', "adding hubs from links or addresses is turned off (your organization's policy `AllowUserHubs`)",
      'This is a rule of your organization (`AllowUserHubs`), not something you can change; ask your administrator if you need it.'),
  },
};

export const BAD_LINK = err('bad_link', 'This is not a usable authentication link', 'url= must start with https:// (http:// is only allowed for this computer).',
  'Copy the whole link again from the mail, chat or hub menu, or ask your administrator for a new one.');

export const SIGNIN_ERROR = err('server_authentication_failed', 'Server authentication failed',
  'The hub refused the session: 403 user alice is not a member of group "partners"', 'Ask your administrator to give you access to Partner Portal, then sign in again.');

export const AUTH_URL = 'https://id.example.net/protocol/openid-connect/auth?client_id=hublink&response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A49152%2Fcallback&scope=openid%20profile&code_challenge_method=S256';

/** A fixture for fake-tauri.mjs. */
export function fixture(name) {
  const base = {
    view: { hubs: HUBS, problems: PROBLEMS, warnings: [], storage_warning: null, hubs_dirs: DIRS, policy: policy(false) },
    states: STATES, proposals: PROPOSALS, badLink: BAD_LINK, pending: [], listError: null,
  };
  switch (name) {
    case 'empty':
      return { ...base, view: { ...base.view, hubs: [], problems: [] } };
    case 'managed-empty':
      return { ...base, view: { ...base.view, hubs: [], problems: [], policy: policy(true, false) } };
    case 'full': // every card state, banners, problems, a managed computer that allows adding
      return {
        ...base,
        view: {
          ...base.view,
          policy: policy(true, true, true),
          storage_warning: 'No keyring was found, and HUBLINK_INSECURE_STORAGE=1 allows Hublink to keep them in /home/alice/.config/hublink/secrets instead.',
          warnings: ['The hubs folder /home/alice/Documents/Hublink/Hubs could not be watched for changes; restart Hublink after editing hubs.ini.'],
        },
      };
    case 'managed': // AllowUserHubs off: no Add button
      return { ...base, view: { ...base.view, policy: policy(true, false) } };
    case 'load-error':
      return { ...base, listError: err('io', 'could not read /etc/hublink', 'Permission denied (os error 13)', 'Ask your administrator to fix the permissions of /etc/hublink.') };
    default:
      return base;
  }
}
