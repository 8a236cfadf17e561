// A SAML 2.0 identity provider with password + TOTP sign-in and single sign-on, on
// 127.0.0.1, for the web sign-in tests (hubs whose session is their own cookie).
// See startSamlIdp() and README.md.

import crypto from 'node:crypto';
import http from 'node:http';

import * as OTPAuth from 'otpauth';

import {
  close, isLoopback, listen, readParams, send, sendHtml, sendJson,
} from '../idp/http.mjs';
import { ALICE, BOB, CAROL } from '../people.mjs';
import {
  esc, errorPage, page, readCookies,
} from './html.mjs';
import {
  AC_MFA, AC_PASSWORD, buildResponse, idpMetadata, makeSigningKeys, readAuthnRequest,
} from './saml.mjs';

export const SSO_COOKIE = 'idp_sso';
export const IDP_TITLE = 'Test SAML IdP';
export const USER_DIRECTORY = 'CORP';
export const RESPONSE_MODES = ['signed', 'assertion-signed', 'unsigned', 'wrong-key', 'expired', 'wrong-audience'];
export const MESSAGES = {
  wrongPassword: 'Wrong password.',
  wrongCode: 'Wrong code. Enter the current code from your authenticator app.',
};
const TXN_TTL_MS = 10 * 60 * 1000;

export const DEFAULT_SAML_USERS = [
  { username: ALICE.user, password: ALICE.password, totpSecret: ALICE.totp, displayName: 'Alice Example', email: 'alice@corp.example.test' },
  { username: BOB.user, password: BOB.password, totpSecret: BOB.totp, displayName: 'Bob Example', email: 'bob@corp.example.test' },
  { username: CAROL.user, password: CAROL.password, totpSecret: null, displayName: 'Carol Example', email: 'carol@corp.example.test' },
];

export function newIdpCounters() {
  return {
    authnRequests: 0, // AuthnRequests accepted at /sso
    badRequests: 0, // /sso requests refused (not an AuthnRequest, unknown SP, wrong ACS)
    logins: 0, // interactive sign-ins completed (password, and TOTP where the user has one)
    silentSso: 0, // answered from an existing SSO session, no page shown
    passwordFailures: 0,
    totpFailures: 0,
    failures: 0, // passwordFailures + totpFailures
    responses: 0, // SAML Responses handed to the browser
    endedSessions: 0, // SSO sessions ended (control API or /logout)
  };
}

let processKeys; // one key pair per process: hubs keep trusting an IdP restarted in-process

function makeLogger(opt) {
  if (typeof opt === 'function') return opt;
  if (opt === true || (opt === undefined && process.env.WEBSIGNIN_LOG === '1')) {
    return (msg) => process.stderr.write(`[saml-idp] ${msg}\n`);
  }
  return null;
}

const totpFor = (secret) => new OTPAuth.TOTP({
  issuer: IDP_TITLE, label: 'user', algorithm: 'SHA1', digits: 6, period: 30,
  secret: OTPAuth.Secret.fromBase32(secret),
});

const fail = (message, status = 400) => Object.assign(new Error(message), { status });

/**
 * Start the IdP. Options (all optional):
 *   port              fixed port (default: ephemeral)
 *   address           loopback address to serve on (default 127.0.0.2: another host than the hubs)
 *   entityId          default `<url>/metadata`
 *   keys {key, cert}  PEM signing key and certificate (default: made once per process)
 *   users             extra/overriding users {username, password, totpSecret|null, displayName, email}
 *   sps               service providers [{entityId, acsUrl, name?}] (more: addServiceProvider)
 *   userDirectory     value of the userDirectory attribute (default CORP)
 *   control           serve /__test/ (default true)
 *   log               true or function(msg); default: env WEBSIGNIN_LOG=1
 */
export async function startSamlIdp(opts = {}) {
  const log = makeLogger(opts.log);
  const keys = opts.keys ?? (processKeys ??= makeSigningKeys());
  let otherKeys; // for response mode wrong-key
  const userDirectory = opts.userDirectory ?? USER_DIRECTORY;

  const userList = DEFAULT_SAML_USERS.map((u) => ({ ...u }));
  for (const extra of opts.users ?? []) {
    const i = userList.findIndex((u) => u.username === extra.username);
    if (i >= 0) userList[i] = { ...userList[i], ...extra };
    else userList.push({ totpSecret: null, ...extra });
  }
  const users = new Map(userList.map((u) => [u.username, {
    ...u,
    displayName: u.displayName ?? u.username,
    email: u.email ?? `${u.username}@corp.example.test`,
    totp: u.totpSecret ? totpFor(u.totpSecret) : null,
  }]));

  const sps = new Map(); // entityId -> {entityId, acsUrl, name}
  const ssoSessions = new Map(); // sid -> {user, authnInstant, authnContext, sessionIndex}
  const txns = new Map(); // txn -> {sp, acsUrl, requestId, relayState, user?, created}
  const counters = newIdpCounters();
  let responseMode = 'signed';

  const server = http.createServer();
  // Its own loopback address by default (127.0.0.2), so its cookies are on another host than
  // the hubs' (127.0.0.1), as an IdP's are in real life: cookies ignore ports.
  const address = opts.address ?? '127.0.0.2';
  const port = await listen(server, opts.port ?? 0, address);
  const url = `http://${address}:${port}`;
  const entityId = opts.entityId ?? `${url}/metadata`;
  const ssoUrl = `${url}/sso`;
  const sloUrl = `${url}/logout`;
  const metadataUrl = `${url}/metadata`;
  const control = opts.control !== false;

  function addServiceProvider({ entityId: id, acsUrl, name }) {
    if (!id || !acsUrl) throw fail('a service provider needs entityId and acsUrl');
    const parsed = new URL(acsUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw fail('acsUrl must be http(s)');
    sps.set(id, { entityId: id, acsUrl, name: name ?? id });
    log?.(`service provider ${id} -> ${acsUrl}`);
    return sps.get(id);
  }
  for (const sp of opts.sps ?? []) addServiceProvider(sp);

  function endSessions(username) {
    let n = 0;
    for (const [sid, s] of ssoSessions) {
      if (username === undefined || s.user === username) {
        ssoSessions.delete(sid);
        n += 1;
      }
    }
    counters.endedSessions += n;
    log?.(`ended ${n} SSO session(s)${username ? ` of ${username}` : ''}`);
    return n;
  }

  function pruneTxns() {
    const now = Date.now();
    for (const [id, t] of txns) if (now - t.created > TXN_TTL_MS) txns.delete(id);
  }

  // ---- pages ----
  const loginPage = (txnId, t, { error, username = '' } = {}) => page(`Sign in – ${IDP_TITLE}`, `<h1>Sign in</h1>
<p class="muted">to continue to <span id="sp-name">${esc(t.sp.name)}</span></p>
${error ? `<p class="error" id="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login" id="login">
<input type="hidden" name="txn" value="${esc(txnId)}">
<label for="username">User name</label>
<input id="username" name="username" autocomplete="username" autofocus value="${esc(username)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" id="submit">Sign in</button>
</form>`);

  const totpPage = (txnId, t, { error } = {}) => page(`Verification code – ${IDP_TITLE}`, `<h1>Two-step verification</h1>
<p class="muted">Signed in as <span id="user">${esc(t.user)}</span>. Enter the 6-digit code from your authenticator app.</p>
${error ? `<p class="error" id="error" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/totp" id="totp">
<input type="hidden" name="txn" value="${esc(txnId)}">
<label for="code">Code</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" autofocus>
<button type="submit" id="submit">Verify</button>
</form>`);

  // The HTTP-POST binding: a form the browser submits to the SP's ACS by itself.
  const autoPostPage = (acsUrl, samlResponse, relayState) => page(`Signing in… – ${IDP_TITLE}`, `<p>Signing you in…</p>
<form method="post" action="${esc(acsUrl)}" id="saml-post">
<input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}">
${relayState !== undefined && relayState !== null ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : ''}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.getElementById('saml-post').submit();</script>`);

  function samlResponseFor(t, session) {
    const user = users.get(session.user);
    const mode = responseMode;
    const xml = buildResponse({
      issuer: entityId,
      audience: mode === 'wrong-audience' ? 'urn:hublink:test:some-other-sp' : t.sp.entityId,
      acsUrl: t.acsUrl,
      inResponseTo: t.requestId,
      nameId: user.username,
      attributes: {
        userDirectory,
        email: user.email,
        displayName: user.displayName,
      },
      authnContext: session.authnContext,
      authnInstant: session.authnInstant,
      sessionIndex: session.sessionIndex,
      keys: mode === 'wrong-key' ? (otherKeys ??= makeSigningKeys('Someone Else')) : keys,
      signResponse: mode === 'signed' || mode === 'wrong-key' || mode === 'expired' || mode === 'wrong-audience',
      signAssertion: mode !== 'unsigned',
      now: mode === 'expired' ? Date.now() - 3600_000 : undefined,
    });
    return Buffer.from(xml, 'utf8').toString('base64');
  }

  function answer(res, t, session) {
    counters.responses += 1;
    log?.(`SAML response for ${session.user} -> ${t.sp.entityId} (${responseMode})`);
    sendHtml(res, 200, autoPostPage(t.acsUrl, samlResponseFor(t, session), t.relayState));
  }

  function finishLogin(res, txnId, t) {
    txns.delete(txnId);
    const user = users.get(t.user);
    const sid = crypto.randomBytes(24).toString('base64url');
    const session = {
      user: user.username,
      authnInstant: Date.now(),
      authnContext: user.totp ? AC_MFA : AC_PASSWORD,
      sessionIndex: `_${crypto.randomBytes(16).toString('hex')}`,
    };
    ssoSessions.set(sid, session);
    counters.logins += 1;
    // A session cookie (no Expires/Max-Age), not Secure: this IdP speaks plain http.
    res.setHeader('Set-Cookie', `${SSO_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`);
    answer(res, t, session);
  }

  function ssoSessionOf(req) {
    const sid = readCookies(req).get(SSO_COOKIE);
    return sid ? ssoSessions.get(sid) : undefined;
  }

  // ---- endpoints ----
  async function handleSso(req, res, reqUrl) {
    let params;
    let binding;
    if (req.method === 'GET') {
      params = Object.fromEntries(reqUrl.searchParams);
      binding = 'redirect';
    } else if (req.method === 'POST') {
      params = await readParams(req);
      binding = 'post';
    } else {
      return send(res, 405, 'text/plain', 'GET or POST\n', { Allow: 'GET, POST' });
    }
    let request;
    try {
      request = await readAuthnRequest(params.SAMLRequest, binding);
      const sp = sps.get(request.issuer);
      if (!sp) throw fail(`Unknown service provider "${request.issuer}". Ask your administrator to register it at the identity provider.`);
      if (request.acsUrl && request.acsUrl !== sp.acsUrl) {
        throw fail(`The AssertionConsumerServiceURL ${request.acsUrl} is not registered for ${sp.entityId}.`);
      }
      counters.authnRequests += 1;
      const t = {
        sp,
        acsUrl: sp.acsUrl,
        requestId: request.id,
        relayState: params.RelayState,
        created: Date.now(),
      };
      const session = ssoSessionOf(req);
      if (session && !request.forceAuthn) {
        counters.silentSso += 1;
        log?.(`silent SSO for ${session.user} -> ${sp.entityId}`);
        return answer(res, t, session);
      }
      pruneTxns();
      const txnId = crypto.randomBytes(18).toString('base64url');
      txns.set(txnId, t);
      res.writeHead(302, { Location: `/login?txn=${encodeURIComponent(txnId)}`, 'Cache-Control': 'no-store' });
      return res.end();
    } catch (err) {
      counters.badRequests += 1;
      return sendHtml(res, err.status ?? 400, errorPage(`Sign-in error – ${IDP_TITLE}`, 'This sign-in request cannot be handled', err.message));
    }
  }

  const expired = (res) => sendHtml(res, 400, errorPage(`Sign-in error – ${IDP_TITLE}`, 'This sign-in has expired',
    'Go back to the application and start signing in again.'));

  async function handleLogin(req, res, reqUrl) {
    if (req.method === 'GET') {
      const txnId = reqUrl.searchParams.get('txn') ?? '';
      const t = txns.get(txnId);
      if (!t) return expired(res);
      return sendHtml(res, 200, loginPage(txnId, t));
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'GET or POST\n', { Allow: 'GET, POST' });
    const p = await readParams(req);
    const t = txns.get(p.txn ?? '');
    if (!t) return expired(res);
    const user = users.get(p.username ?? '');
    if (!user || p.password !== user.password) {
      counters.passwordFailures += 1;
      counters.failures += 1;
      log?.(`wrong password for ${JSON.stringify(p.username ?? '')}`);
      return sendHtml(res, 401, loginPage(p.txn, t, { error: MESSAGES.wrongPassword, username: p.username ?? '' }));
    }
    t.user = user.username;
    delete t.totpPending;
    if (!user.totp) return finishLogin(res, p.txn, t);
    t.totpPending = true;
    return sendHtml(res, 200, totpPage(p.txn, t));
  }

  async function handleTotp(req, res) {
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST\n', { Allow: 'POST' });
    const p = await readParams(req);
    const t = txns.get(p.txn ?? '');
    if (!t || !t.totpPending) return expired(res);
    const user = users.get(t.user);
    const code = String(p.code ?? '').replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code) || user.totp.validate({ token: code, window: 1 }) === null) {
      counters.totpFailures += 1;
      counters.failures += 1;
      log?.(`wrong TOTP code for ${user.username}`);
      return sendHtml(res, 401, totpPage(p.txn, t, { error: MESSAGES.wrongCode }));
    }
    return finishLogin(res, p.txn, t);
  }

  function handleLogout(req, res) {
    const sid = readCookies(req).get(SSO_COOKIE);
    if (sid && ssoSessions.delete(sid)) counters.endedSessions += 1;
    res.setHeader('Set-Cookie', `${SSO_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    sendHtml(res, 200, page(`Signed out – ${IDP_TITLE}`, '<h1>Signed out</h1><p>You are signed out of the identity provider.</p>'));
  }

  // ---- the control API ----
  function userParam(p, required) {
    const user = p.user ?? p.username;
    if (user === undefined || user === '') {
      if (required) throw fail('missing ?user=');
      return undefined;
    }
    if (!users.has(user)) throw fail(`unknown user ${JSON.stringify(user)}`, 404);
    return user;
  }

  const api = {
    url,
    entityId,
    ssoUrl,
    sloUrl,
    metadataUrl,
    controlUrl: control ? `${url}/__test/` : undefined,
    cert: keys.cert,
    userDirectory,
    users: userList.map(({ username, password, totpSecret, displayName, email }) => ({
      username, password, totpSecret: totpSecret ?? null, displayName, email,
    })),
    counters,
    addServiceProvider,
    serviceProviders: () => [...sps.values()],
    totp(username) {
      const user = users.get(username);
      if (!user) throw fail(`unknown user ${username}`, 404);
      if (!user.totp) throw fail(`user ${username} has no TOTP`);
      return user.totp.generate();
    },
    /** End SSO sessions (of one user, or all); returns how many. */
    endSessions,
    sessions: () => [...ssoSessions.values()].map((s) => ({
      user: s.user, authnInstant: new Date(s.authnInstant).toISOString(), authnContext: s.authnContext,
    })),
    setResponseMode(mode) {
      if (!RESPONSE_MODES.includes(mode)) throw fail(`mode must be one of ${RESPONSE_MODES.join(', ')}`);
      responseMode = mode;
      return mode;
    },
    get responseMode() { return responseMode; },
    resetCounters() {
      Object.assign(counters, newIdpCounters());
      return counters;
    },
    info() {
      return {
        url, entityId, ssoUrl, sloUrl, metadataUrl, controlUrl: api.controlUrl,
        userDirectory, responseMode, users: api.users, serviceProviders: api.serviceProviders(),
      };
    },
    async stop() {
      await close(server);
      await new Promise((r) => { setTimeout(r, 50); });
    },
  };

  const routes = {
    'GET info': () => api.info(),
    'GET counters': () => counters,
    'POST reset-counters': () => api.resetCounters(),
    'GET totp': (p) => {
      const user = userParam(p, true);
      const period = 30;
      return {
        user, code: api.totp(user), period, remaining: period - (Math.floor(Date.now() / 1000) % period),
      };
    },
    'GET sessions': () => {
      const list = api.sessions();
      return { count: list.length, sessions: list };
    },
    'POST end-sessions': (p) => ({ ended: endSessions(userParam(p, false)) }),
    'POST response-mode': (p) => ({ mode: api.setResponseMode(p.mode ?? '') }),
    'GET service-providers': () => api.serviceProviders(),
    'POST add-sp': (p) => addServiceProvider({ entityId: p.entityId, acsUrl: p.acsUrl, name: p.name }),
  };

  async function handleControl(req, res, reqUrl) {
    try {
      if (!isLoopback(req.socket.remoteAddress)) throw fail('the control API only answers loopback clients', 403);
      const name = reqUrl.pathname.slice('/__test/'.length);
      const route = routes[`${req.method} ${name}`];
      if (!route) {
        return sendJson(res, 404, {
          error: `no such control endpoint: ${req.method} ${reqUrl.pathname}`,
          endpoints: Object.keys(routes).map((r) => r.replace(' ', ' /__test/')),
        });
      }
      const params = {
        ...Object.fromEntries(reqUrl.searchParams),
        ...(req.method === 'POST' ? await readParams(req) : {}),
      };
      return sendJson(res, 200, await route(params));
    } catch (err) {
      return sendJson(res, err.status ?? 400, { error: err.message });
    }
  }

  server.on('request', async (req, res) => {
    const reqUrl = new URL(req.url, url);
    const path = reqUrl.pathname;
    // Only the path is logged: the query carries SAML messages and transaction ids.
    if (log) res.on('finish', () => log(`${req.method} ${path} -> ${res.statusCode}`));
    try {
      if (path === '/sso') await handleSso(req, res, reqUrl);
      else if (path === '/login') await handleLogin(req, res, reqUrl);
      else if (path === '/totp') await handleTotp(req, res);
      else if (path === '/logout') handleLogout(req, res);
      else if (path === '/metadata') {
        send(res, 200, 'application/samlmetadata+xml', idpMetadata({
          entityId, ssoUrl, sloUrl: undefined, cert: keys.cert,
        }));
      } else if (control && path.startsWith('/__test/')) await handleControl(req, res, reqUrl);
      else if (path === '/favicon.ico') res.writeHead(204).end();
      else if (path === '/') sendHtml(res, 200, page(IDP_TITLE, `<h1>${IDP_TITLE}</h1><p>Entity ID ${esc(entityId)}</p>`));
      else sendHtml(res, 404, errorPage(`Not found – ${IDP_TITLE}`, 'Not found', `There is nothing at ${path}.`));
    } catch (err) {
      if (!res.headersSent) {
        sendHtml(res, err.status ?? 500, errorPage(`Error – ${IDP_TITLE}`, 'Something went wrong', err.message));
      } else res.destroy();
      if (!err.status) process.stderr.write(`[saml-idp] ${req.method} ${path}: ${err.stack}\n`);
    }
  });

  return api;
}
