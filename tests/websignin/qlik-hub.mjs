// A hub that behaves like a Qlik Sense Enterprise virtual proxy with SAML authentication:
// its session is its own cookie (X-Qlik-Session-<prefix>), got by a SAML 2.0 sign-in at an
// IdP (saml-idp.mjs). The SAML service-provider side is @node-saml/node-saml, which really
// checks the IdP's signature, audience, lifetime and InResponseTo. See startQlikHub().

import crypto from 'node:crypto';
import http from 'node:http';

import { SAML } from '@node-saml/node-saml';

import {
  close, isLoopback, listen, readParams, send, sendHtml, sendJson,
} from '../idp/http.mjs';
import {
  esc, errorPage, page, readCookies,
} from './html.mjs';
import { NAMEID_UNSPECIFIED } from './saml.mjs';

export const MESSAGES = {
  noAccess: 'You cannot access Qlik Sense because you have no access pass.',
  tooManySessions: (n) => `You cannot access Qlik Sense because you have reached the maximum number of parallel sessions (${n}). Sign out elsewhere or wait for a session to time out.`,
  samlError: 'The sign-in answer from the identity provider was refused.',
};

export function newHubCounters() {
  return {
    redirectsToIdp: 0, // browser sent to the IdP with an AuthnRequest
    acsSuccesses: 0, // SAML responses accepted, session cookie set
    refusals: { noAccess: 0, tooManySessions: 0, invalidResponse: 0 },
    hubPages: 0, // hub pages served to a signed-in browser
    qpsUserGood: 0, // GET qps/user answered with the user
    qpsUserInactive: 0, // GET qps/user answered {"session":"inactive"}
    apiGood: 0, // api/* answered for a session
    apiUnauthorized: 0, // api/* answered 401
    logouts: 0, // DELETE qps/user that ended a session
    idleExpired: 0, // sessions found dead by the idle timeout
  };
}

const fail = (message, status = 400) => Object.assign(new Error(message), { status });
const titleCase = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** The Hublink authentication link for a web sign-in hub. */
export function webSigninLink({
  url, name, sessionCheck, sessionCookie,
}) {
  const q = encodeURIComponent;
  return `hublink://add?url=${q(url)}&name=${q(name)}&auth=web`
    + `&session_check=${q(sessionCheck)}&session_cookie=${q(sessionCookie)}`;
}

// One HTTP server can carry several hubs (virtual proxies), told apart by their prefix,
// like one Qlik Sense server with /finance/ and /sales/.
async function createHost(port) {
  const server = http.createServer();
  const actual = await listen(server, port ?? 0);
  const host = {
    server,
    port: actual,
    url: `http://127.0.0.1:${actual}`,
    hubs: new Map(), // prefix -> handler object
  };
  server.on('request', (req, res) => {
    const u = new URL(req.url, host.url);
    const path = u.pathname;
    if (path.startsWith('/__test/')) {
      const rest = path.slice('/__test/'.length);
      const slash = rest.indexOf('/');
      const first = slash < 0 ? rest : rest.slice(0, slash);
      if (slash >= 0 && host.hubs.has(first)) return host.hubs.get(first).control(req, res, u, rest.slice(slash + 1));
      if (host.hubs.size === 1) return [...host.hubs.values()][0].control(req, res, u, rest);
      if (req.method === 'GET' && rest === 'info') {
        return sendJson(res, 200, { hubs: [...host.hubs.values()].map((h) => h.api.info()) });
      }
      return sendJson(res, 404, { error: `use /__test/<prefix>/…; prefixes here: ${[...host.hubs.keys()].join(', ')}` });
    }
    const seg = path.split('/')[1] ?? '';
    if (host.hubs.has(seg)) return host.hubs.get(seg).handle(req, res, u);
    if (path === '/favicon.ico') return res.writeHead(204).end();
    if (path === '/') {
      const links = [...host.hubs.values()].map((h) => `<li><a href="/${esc(h.api.prefix)}/">${esc(h.api.name)}</a></li>`).join('');
      return sendHtml(res, 200, page('Qlik Sense', `<h1>Qlik Sense</h1><ul>${links}</ul>`));
    }
    return sendHtml(res, 404, errorPage('Not found', 'Not found', `There is no virtual proxy at ${path}.`));
  });
  return host;
}

function makeLogger(opt, prefix) {
  if (typeof opt === 'function') return opt;
  if (opt === true || (opt === undefined && process.env.WEBSIGNIN_LOG === '1')) {
    return (msg) => process.stderr.write(`[hub:${prefix}] ${msg}\n`);
  }
  return null;
}

/**
 * Start a Qlik-like hub (virtual proxy). Options:
 *   idp                  required: the object from startSamlIdp(), or {ssoUrl, cert, entityId}
 *                        (then register {entityId, acsUrl} of hub.serviceProvider at the IdP yourself)
 *   port                 fixed port (default: ephemeral); always 127.0.0.1
 *   host                 another hub's `host`: serve this hub on the same port (port is ignored)
 *   prefix               virtual proxy prefix (default 'finance')
 *   name                 friendly name (default 'Finance Hub' from the prefix)
 *   cookieName           default 'X-Qlik-Session-<prefix>'
 *   idleTimeoutSeconds   default 1800 (tests use 2–5)
 *   maxSessions          parallel sessions per user (default 5)
 *   access               iterable of users with an access pass (default alice, carol)
 *   control              serve /__test/ (default true)
 *   log                  true or function(msg); default: env WEBSIGNIN_LOG=1
 */
export async function startQlikHub(opts = {}) {
  const { idp } = opts;
  if (!idp?.ssoUrl || !idp?.cert) throw new TypeError('startQlikHub needs idp: {ssoUrl, cert, entityId}');
  const prefix = opts.prefix ?? 'finance';
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(prefix) || prefix === '__test') throw new TypeError(`bad prefix ${prefix}`);
  const label = titleCase(prefix);
  const name = opts.name ?? `${label} Hub`;
  const cookieName = opts.cookieName ?? `X-Qlik-Session-${prefix}`;
  let idleTimeoutSeconds = opts.idleTimeoutSeconds ?? 1800;
  let maxSessions = opts.maxSessions ?? 5;
  const access = new Set(opts.access ?? ['alice', 'carol']);
  const log = makeLogger(opts.log, prefix);
  const control = opts.control !== false;

  const host = opts.host ?? await createHost(opts.port);
  if (host.hubs.has(prefix)) throw new Error(`a hub with prefix ${prefix} already runs on ${host.url}`);
  const base = `/${prefix}/`;
  const url = `${host.url}${base}`;
  const acsUrl = `${url}saml/acs`;
  const entityId = `${url}saml/metadata`;
  const sessionCheckPath = `${base}qps/user`;
  const sessionCheckUrl = `${host.url}${sessionCheckPath}`;

  const saml = new SAML({
    entryPoint: idp.ssoUrl,
    issuer: entityId,
    callbackUrl: acsUrl,
    idpCert: idp.cert,
    audience: entityId,
    // Like Qlik: the assertion must be signed; a signature on the whole Response is optional.
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    validateInResponseTo: 'always', // a response must answer an AuthnRequest this hub sent
    identifierFormat: NAMEID_UNSPECIFIED,
    disableRequestedAuthnContext: true,
    acceptedClockSkewMs: 5000,
  });

  const sessions = new Map(); // cookie value -> {user, userDirectory, userName, email, authnContext, created, lastUsed}
  const counters = newHubCounters();

  const alive = (s, now = Date.now()) => now - s.lastUsed < idleTimeoutSeconds * 1000;
  function prune() {
    const now = Date.now();
    for (const [id, s] of sessions) {
      if (!alive(s, now)) {
        sessions.delete(id);
        counters.idleExpired += 1;
      }
    }
  }
  function sessionOf(req, { touch = true } = {}) {
    const id = readCookies(req).get(cookieName);
    const s = id ? sessions.get(id) : undefined;
    if (!s) return null;
    if (!alive(s)) {
      sessions.delete(id);
      counters.idleExpired += 1;
      log?.(`session of ${s.user} timed out`);
      return null;
    }
    if (touch) s.lastUsed = Date.now();
    return { id, ...s, ref: s };
  }
  const liveCount = (user) => {
    prune();
    return [...sessions.values()].filter((s) => s.user === user).length;
  };

  const serviceProvider = { entityId, acsUrl, name };
  if (typeof idp.addServiceProvider === 'function') idp.addServiceProvider(serviceProvider);

  // ---- pages ----
  const hubPage = (s) => page(`Hub – ${label}`, `<h1>Qlik Sense hub</h1>
<p class="muted">${esc(name)}</p>
<p id="signed-in">Signed in as <strong id="user">${esc(`${s.userDirectory}\\${s.user}`)}</strong> (<span id="user-name">${esc(s.userName)}</span>)</p>
<h2>Apps</h2>
<ul id="apps"><li>${esc(label)} dashboard</li><li>${esc(label)} forecast</li></ul>
<button type="button" id="signout">Sign out</button>
<script>
document.getElementById('signout').addEventListener('click', async () => {
  await fetch(${JSON.stringify(sessionCheckPath)}, { method: 'DELETE' });
  document.body.innerHTML = '<h1>Signed out</h1><p id="signed-out">You are signed out of ${esc(name)}.</p>';
});
</script>`);

  const samlErrorPage = (detail) => errorPage('Sign-in failed', 'SAML sign-in failed', MESSAGES.samlError, { detail });

  // ---- endpoints ----
  async function redirectToIdp(res, relayState) {
    const location = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
    counters.redirectsToIdp += 1;
    res.writeHead(302, { Location: location, 'Cache-Control': 'no-store' });
    res.end();
  }

  const safeRelayState = (rs) => (typeof rs === 'string' && rs.startsWith(base) && !rs.startsWith('//')
    && !/[\\\r\n]/.test(rs) ? rs : `${base}hub/`);

  async function acs(req, res) {
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST\n', { Allow: 'POST' });
    const p = await readParams(req);
    if (!p.SAMLResponse) {
      counters.refusals.invalidResponse += 1;
      return sendHtml(res, 400, samlErrorPage('The request has no SAMLResponse.'));
    }
    let profile;
    try {
      ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: p.SAMLResponse, RelayState: p.RelayState }));
      if (!profile) throw new Error('the response carries no assertion');
      // node-saml does not compare the assertion's Issuer with the IdP's entity ID.
      if (idp.entityId && profile.issuer !== idp.entityId) throw new Error(`unexpected issuer ${profile.issuer}`);
    } catch (err) {
      counters.refusals.invalidResponse += 1;
      log?.(`SAML response refused: ${err.message}`);
      return sendHtml(res, 400, samlErrorPage(err.message));
    }
    const user = profile.nameID;
    const attr = (k) => {
      const v = profile.attributes?.[k];
      return Array.isArray(v) ? v[0] : v;
    };
    if (!access.has(user)) {
      counters.refusals.noAccess += 1;
      log?.(`${user} has no access pass`);
      return sendHtml(res, 403, errorPage('Access denied', 'Access denied', MESSAGES.noAccess));
    }
    if (liveCount(user) >= maxSessions) {
      counters.refusals.tooManySessions += 1;
      log?.(`${user} has too many sessions`);
      return sendHtml(res, 403, errorPage('Too many sessions', 'Too many sessions', MESSAGES.tooManySessions(maxSessions)));
    }
    const id = crypto.randomBytes(16).toString('hex');
    const now = Date.now();
    sessions.set(id, {
      user,
      userDirectory: attr('userDirectory') ?? 'CORP',
      userName: attr('displayName') ?? user,
      email: attr('email') ?? null,
      authnContext: profile.getAssertion?.()?.Assertion?.AuthnStatement?.[0]?.AuthnContext?.[0]?.AuthnContextClassRef?.[0]?._ ?? null,
      created: now,
      lastUsed: now,
    });
    counters.acsSuccesses += 1;
    log?.(`session for ${user}`);
    // A session cookie (no Expires/Max-Age); not Secure: this hub speaks plain http.
    res.writeHead(302, {
      'Set-Cookie': `${cookieName}=${id}; Path=/; HttpOnly; SameSite=Lax`,
      Location: safeRelayState(p.RelayState),
      'Cache-Control': 'no-store',
    });
    return res.end();
  }

  function qpsUser(req, res) {
    if (req.method === 'GET') {
      const s = sessionOf(req);
      if (!s) {
        counters.qpsUserInactive += 1;
        return sendJson(res, 200, { session: 'inactive' });
      }
      counters.qpsUserGood += 1;
      return sendJson(res, 200, {
        userDirectory: s.userDirectory, userId: s.user, userName: s.userName, logoutUri: sessionCheckUrl,
      });
    }
    if (req.method === 'DELETE') {
      const s = sessionOf(req, { touch: false });
      if (!s) return sendJson(res, 200, { session: 'inactive' });
      sessions.delete(s.id);
      counters.logouts += 1;
      log?.(`${s.user} signed out`);
      res.setHeader('Set-Cookie', `${cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
      return sendJson(res, 200, { session: 'ended', userDirectory: s.userDirectory, userId: s.user });
    }
    return send(res, 405, 'text/plain', 'GET or DELETE\n', { Allow: 'GET, DELETE' });
  }

  function apiRoute(req, res, rest) {
    if (rest === 'hub/v1/desktoplink' && req.method === 'GET') {
      return sendJson(res, 200, { magicLinkHostUri: url, magicLinkFriendlyName: name });
    }
    const s = sessionOf(req);
    if (!s) {
      counters.apiUnauthorized += 1;
      return sendJson(res, 401, { error: 'unauthorized', message: 'No valid session.' });
    }
    if (rest === 'v1/about' && req.method === 'GET') {
      counters.apiGood += 1;
      return sendJson(res, 200, {
        product: 'Qlik Sense (test hub)', buildVersion: '14.0.0-hublink-test', hub: name,
        userDirectory: s.userDirectory, userId: s.user,
      });
    }
    return sendJson(res, 404, { error: 'not found' });
  }

  async function handle(req, res, u) {
    const path = u.pathname;
    if (log) res.on('finish', () => log(`${req.method} ${path} -> ${res.statusCode}`));
    try {
      if (path === `/${prefix}`) {
        res.writeHead(301, { Location: base });
        return res.end();
      }
      const rest = path.slice(base.length);
      if (rest === 'saml/acs') return await acs(req, res);
      if (rest === 'saml/metadata' && req.method === 'GET') {
        return send(res, 200, 'application/samlmetadata+xml', saml.generateServiceProviderMetadata(null, null));
      }
      if (rest === 'qps/user') return qpsUser(req, res);
      if (rest.startsWith('api/')) return apiRoute(req, res, rest.slice(4));
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return sendHtml(res, 405, errorPage('Not allowed', 'Not allowed', `${req.method} is not allowed here.`));
      }
      const s = sessionOf(req);
      if (!s) return await redirectToIdp(res, `${path}${u.search}`);
      counters.hubPages += 1;
      return sendHtml(res, 200, hubPage(s));
    } catch (err) {
      if (!res.headersSent) sendHtml(res, err.status ?? 500, errorPage('Error', 'Something went wrong', err.message));
      else res.destroy();
      if (!err.status) process.stderr.write(`[hub:${prefix}] ${req.method} ${path}: ${err.stack}\n`);
      return undefined;
    }
  }

  // ---- the control API ----
  const userParam = (p) => {
    const user = p.user ?? p.username;
    return user === '' ? undefined : user;
  };
  const positive = (v, what) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw fail(`${what} must be a positive number`);
    return n;
  };

  const api = {
    name,
    prefix,
    url,
    cookieName,
    sessionCheckUrl,
    sessionCheckPath,
    acsUrl,
    entityId,
    serviceProvider,
    controlUrl: control ? `${host.url}/__test/${prefix}/` : undefined,
    link: webSigninLink({
      url, name, sessionCheck: sessionCheckPath, sessionCookie: cookieName,
    }),
    host,
    counters,
    get idleTimeoutSeconds() { return idleTimeoutSeconds; },
    get maxSessions() { return maxSessions; },
    /** Live sessions: [{user, cookie, userDirectory, userName, createdAt, idleSeconds}]. */
    sessions() {
      prune();
      const now = Date.now();
      return [...sessions].map(([cookie, s]) => ({
        user: s.user,
        cookie,
        userDirectory: s.userDirectory,
        userName: s.userName,
        authnContext: s.authnContext,
        createdAt: new Date(s.created).toISOString(),
        idleSeconds: (now - s.lastUsed) / 1000,
      }));
    },
    /** End sessions at once (of one user, or all); returns how many. */
    expireSessions(user) {
      let n = 0;
      for (const [id, s] of sessions) {
        if (user === undefined || s.user === user) {
          sessions.delete(id);
          n += 1;
        }
      }
      log?.(`expired ${n} session(s)${user ? ` of ${user}` : ''}`);
      return n;
    },
    setAccess(user, allowed) {
      if (allowed) access.add(user);
      else access.delete(user);
      return { user, access: access.has(user) };
    },
    setMaxSessions(n) {
      if (!Number.isInteger(n) || n < 1) throw fail('max sessions must be a positive integer');
      maxSessions = n;
      return n;
    },
    setIdleTimeout(seconds) {
      idleTimeoutSeconds = positive(seconds, 'idle timeout');
      return idleTimeoutSeconds;
    },
    resetCounters() {
      Object.assign(counters, newHubCounters());
      return counters;
    },
    info() {
      return {
        name, prefix, url, cookieName, sessionCheckUrl, sessionCheckPath, link: api.link,
        entityId, acsUrl, controlUrl: api.controlUrl, idleTimeoutSeconds, maxSessions,
        access: [...access].sort(), desktopLinkUrl: `${url}api/hub/v1/desktoplink`,
      };
    },
    async stop() {
      host.hubs.delete(prefix);
      if (host.hubs.size === 0) {
        await close(host.server);
        await new Promise((r) => { setTimeout(r, 50); });
      }
    },
  };

  const routes = {
    'GET info': () => api.info(),
    'GET counters': () => counters,
    'POST reset-counters': () => api.resetCounters(),
    'GET sessions': () => {
      const list = api.sessions();
      return { count: list.length, users: [...new Set(list.map((s) => s.user))].sort(), sessions: list };
    },
    'POST expire-sessions': (p) => ({ expired: api.expireSessions(userParam(p)) }),
    'POST access': (p) => {
      const user = userParam(p);
      if (!user) throw fail('missing ?user=');
      const allow = !['0', 'false', 'no'].includes(String(p.allow ?? 'true').toLowerCase());
      return api.setAccess(user, allow);
    },
    'POST max-sessions': (p) => ({ maxSessions: api.setMaxSessions(Number(p.n)) }),
    'POST idle-timeout': (p) => ({ idleTimeoutSeconds: api.setIdleTimeout(p.seconds) }),
  };

  async function handleControl(req, res, u, name) {
    try {
      if (!control) throw fail('no control API', 404);
      if (!isLoopback(req.socket.remoteAddress)) throw fail('the control API only answers loopback clients', 403);
      const route = routes[`${req.method} ${name}`];
      if (!route) {
        return sendJson(res, 404, {
          error: `no such control endpoint: ${req.method} ${u.pathname}`,
          endpoints: Object.keys(routes).map((r) => r.replace(' ', ` /__test/${prefix}/`)),
        });
      }
      const params = {
        ...Object.fromEntries(u.searchParams),
        ...(req.method === 'POST' ? await readParams(req) : {}),
      };
      return sendJson(res, 200, await route(params));
    } catch (err) {
      return sendJson(res, err.status ?? 400, { error: err.message });
    }
  }

  host.hubs.set(prefix, { api, handle, control: handleControl });
  return api;
}
