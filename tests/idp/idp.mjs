// A real OpenID Connect provider (oidc-provider) with password + TOTP sign-in,
// plus a small hub API, both in-process on 127.0.0.1. See startIdp().

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

import * as OTPAuth from 'otpauth';

import { createControl } from './control.mjs';
import { startHub, HUB_NAME, SESSION_PATH } from './hub.mjs';
import {
  listen, close, postForm, sendHtml,
} from './http.mjs';
import { createInteractions, ACR_MFA, ACR_PWD } from './interactions.mjs';
import { providerPages, messagePage } from './pages.mjs';
import { Store, readJson } from './store.mjs';

export const CLIENT_ID = 'hublink';
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const INTROSPECTOR = { id: 'introspector', secret: 'introspector-secret' };

export const DEFAULT_USERS = [
  {
    username: 'alice', password: 'alice-pass', totpSecret: 'ALICEALICEALICEALICEALICEALICE23',
    hubAccess: true, name: 'Alice Analyst', email: 'alice@example.test',
  },
  {
    username: 'bob', password: 'bob-pass', totpSecret: 'BOBBOBBOBBOBBOBBOBBOBBOBBOBBOB23',
    hubAccess: false, name: 'Bob Outsider', email: 'bob@example.test',
  },
  {
    username: 'carol', password: 'carol-pass', totpSecret: null,
    hubAccess: true, name: 'Carol Nomfa', email: 'carol@example.test',
  },
];

export function totpFor(secret) {
  return new OTPAuth.TOTP({
    issuer: 'Hublink Test IdP',
    label: 'user',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: OTPAuth.Secret.fromBase32(secret),
  });
}

export function newCounters() {
  return {
    authorizationCodes: 0, // authorization_code grants that succeeded
    refreshes: 0, // refresh_token grants that succeeded
    refreshFailures: 0, // refresh_token grants that failed (invalid_grant, ...)
    deviceCodes: 0, // device_code grants that returned tokens
    deviceAuthorizations: 0,
    tokenErrors: 0, // every failed token endpoint call
    revocations: 0, // revocation endpoint calls answered 200
    revokedTokens: 0, // tokens actually revoked by those calls
    introspections: 0,
    userinfo: 0,
    endSessions: 0,
    logins: 0,
    failedLogins: 0,
    failedOtps: 0,
    consents: 0,
    denials: 0,
    hubSessionChecks: 0,
    hubAccepted: 0,
    hubForbidden: 0,
    hubUnauthorized: 0,
  };
}

// oidc-provider warns at import time that it prefers Node 22; on Node 20 it
// works, so keep that one line out of the test output.
let providerClass;
async function loadProvider() {
  if (!providerClass) {
    const { warn } = console;
    console.warn = (...args) => {
      if (!String(args[0]).includes('Unsupported runtime')) warn(...args);
    };
    try {
      providerClass = (await import('oidc-provider')).default;
    } finally {
      console.warn = warn;
    }
  }
  return providerClass;
}

function newSigningKeys() {
  // Generated as PEM and exported from a separate KeyObject: on Node 20, exporting the very
  // KeyObject generateKeyPairSync returned can deadlock when a garbage collection runs the
  // key-generation job's destructor in the middle of the export (both take the key's mutex;
  // seen as a CI run hanging in ExportJWK -> ~KeyGenJob).
  const { privateKey: pem } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const jwk = crypto.createPrivateKey(pem).export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
  return { keys: [{ ...jwk, kid, use: 'sig', alg: 'RS256' }] };
}

let processKeys; // one key set per process keeps signatures stable across restarts in-process

/**
 * Every secret the IdPs of this process issued or received (codes, tokens, PKCE verifiers),
 * for the secret-hygiene check (scripts/secret-hygiene.sh). With HUBLINK_TEST_ISSUED_DIR set,
 * each is appended to <dir>/idp-<pid>.jsonl as it happens.
 */
export const issued = [];
function journal(kind, value) {
  if (typeof value !== 'string' || value.length < 8) return;
  issued.push({ kind, value });
  const dir = process.env.HUBLINK_TEST_ISSUED_DIR;
  if (dir) fs.appendFileSync(path.join(dir, `idp-${process.pid}.jsonl`), `${JSON.stringify({ kind, value })}\n`);
}

function makeLogger(opt) {
  if (typeof opt === 'function') return opt;
  if (opt === true || (opt === undefined && process.env.IDP_LOG === '1')) {
    return (msg) => process.stderr.write(`[idp] ${msg}\n`);
  }
  return null;
}

function hublinkLink({ hubUrl, issuer, sessionCheckUrl, name = HUB_NAME }) {
  const q = (v) => encodeURIComponent(v);
  return `hublink://add?url=${q(hubUrl)}&name=${q(name)}&issuer=${q(issuer)}`
    + `&mfa=required&session_check=${q(sessionCheckUrl)}`;
}

/**
 * Start the IdP and the hub. Options (all optional):
 *   port, hubPort      fixed ports (default: ephemeral)
 *   https: {key, cert} serve the IdP over TLS (PEM strings or Buffers)
 *   clients            extra oidc-provider client metadata objects
 *   users              extra/overriding users ({username, password, totpSecret|null, hubAccess, name, email,
 *                      groups: a `groups` claim (profile scope, so in the ID token too)})
 *   accessTokenTtl     seconds (default 3600); refreshTokenTtl, deviceCodeTtl likewise
 *   stateFile          persist keys, sessions and tokens there (survive restarts)
 *   control            serve the /__test/ control API on the IdP port
 *   log                true, or a function(msg); default: env IDP_LOG=1
 */
export async function startIdp(opts = {}) {
  const log = makeLogger(opts.log);
  const Provider = await loadProvider();

  const userList = [...DEFAULT_USERS];
  for (const extra of opts.users ?? []) {
    const i = userList.findIndex((u) => u.username === extra.username);
    if (i >= 0) userList[i] = { ...userList[i], ...extra };
    else userList.push({ hubAccess: false, totpSecret: null, ...extra });
  }
  const users = new Map(userList.map((u) => [u.username, {
    ...u,
    email: u.email ?? `${u.username}@example.test`,
    name: u.name ?? u.username,
    totp: u.totpSecret ? totpFor(u.totpSecret) : null,
  }]));

  const saved = opts.stateFile ? readJson(opts.stateFile) : {};
  const meta = {
    jwks: saved.jwks ?? (opts.stateFile ? newSigningKeys() : (processKeys ??= newSigningKeys())),
    cookieKeys: saved.cookieKeys ?? [crypto.randomBytes(32).toString('base64url')],
  };
  const store = new Store({ file: opts.stateFile, items: saved.items, meta });
  store.persist();

  const counters = newCounters();
  let accessTokenTtl = opts.accessTokenTtl ?? 3600;

  const server = opts.https
    ? https.createServer({ key: opts.https.key, cert: opts.https.cert })
    : http.createServer();
  const port = await listen(server, opts.port ?? 0);
  const issuer = `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}`;

  const provider = new Provider(issuer, {
    adapter: store.adapter(),
    jwks: meta.jwks,
    cookies: { keys: meta.cookieKeys },
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: 'Hublink',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        // Any port is accepted for loopback redirect URIs of native clients (RFC 8252 7.3).
        redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
        grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        response_types: ['code'],
        require_auth_time: true,
      },
      {
        client_id: INTROSPECTOR.id,
        client_secret: INTROSPECTOR.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      ...(opts.clients ?? []),
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    // Tying acr/amr/auth_time to the openid scope puts them in every ID token;
    // otherwise oidc-provider only includes them when the RP asks for them.
    claims: {
      openid: ['sub', 'acr', 'amr', 'auth_time', 'sid'],
      profile: ['preferred_username', 'name', 'groups'],
      email: ['email', 'email_verified'],
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
    },
    acrValues: [ACR_PWD, ACR_MFA],
    // Put profile/email claims in the ID token too (Hublink reads preferred_username from it).
    conformIdTokenClaims: false,
    async findAccount(ctx, sub) {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            preferred_username: user.username,
            name: user.name,
            email: user.email,
            email_verified: true,
            ...(user.groups ? { groups: user.groups } : {}),
          };
        },
      };
    },
    // Without prompt=consent oidc-provider drops offline_access from the request, so a
    // native client would never get a refresh token: issue one whenever it may refresh.
    async issueRefreshToken(ctx, client, code) {
      return client.grantTypeAllowed('refresh_token')
        && (code.scopes.has('offline_access') || client.applicationType === 'native');
    },
    async expiresWithSession() {
      return false;
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    clientBasedCORS: () => false,
    renderError: providerPages.renderError,
    ttl: {
      AccessToken: () => accessTokenTtl,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      DeviceCode: opts.deviceCodeTtl ?? 600,
      IdToken: 3600,
      RefreshToken: opts.refreshTokenTtl ?? 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: providerPages.userCodeInputSource,
        userCodeConfirmSource: providerPages.userCodeConfirmSource,
        successSource: providerPages.successSource,
      },
      introspection: {
        enabled: true,
        // Confidential clients (the hub's introspector) may introspect any token,
        // a public client only its own.
        async allowedPolicy(ctx, client, token) {
          return client.clientAuthMethod !== 'none' || token.clientId === client.clientId;
        },
      },
      revocation: {
        enabled: true,
        async allowedPolicy(ctx, client, token) {
          if (token.clientId !== client.clientId) return false;
          counters.revokedTokens += 1;
          return true;
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: providerPages.logoutSource,
        postLogoutSuccessSource: providerPages.postLogoutSuccessSource,
      },
    },
  });

  provider.on('grant.success', (ctx) => {
    const type = ctx.oidc.params.grant_type;
    if (type === 'authorization_code') counters.authorizationCodes += 1;
    else if (type === 'refresh_token') counters.refreshes += 1;
    else if (type === DEVICE_GRANT) counters.deviceCodes += 1;
    log?.(`token: ${type} ok`);
  });
  provider.on('grant.error', (ctx, err) => {
    const type = ctx.oidc?.params?.grant_type;
    counters.tokenErrors += 1;
    if (type === 'refresh_token') counters.refreshFailures += 1;
    log?.(`token: ${type} failed: ${err.error ?? err.name} (${err.error_detail ?? err.error_description ?? err.message})`);
  });
  provider.on('device_authorization.success', () => { counters.deviceAuthorizations += 1; });
  provider.on('end_session.success', () => { counters.endSessions += 1; });
  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`[idp] server error on ${ctx.method} ${ctx.path}: ${err.stack}\n`);
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.status !== 200) return;
    const { route } = ctx.oidc ?? {};
    if (route === 'revocation') counters.revocations += 1;
    else if (route === 'introspection') counters.introspections += 1;
    else if (route === 'userinfo') counters.userinfo += 1;
  });

  // The secret-hygiene check's record of what this IdP issued and received (see journal()).
  provider.use(async (ctx, next) => {
    await next();
    const { route, params } = ctx.oidc ?? {};
    if (route === 'token') {
      journal('code', params?.code);
      journal('code_verifier', params?.code_verifier);
      journal('refresh_token', params?.refresh_token);
      journal('device_code', params?.device_code);
    }
    const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
    for (const kind of ['access_token', 'refresh_token', 'id_token', 'device_code']) journal(kind, body[kind]);
  });

  const introspectionUrl = `${issuer}${provider.pathFor('introspection')}`;
  async function introspect(token) {
    const basic = Buffer.from(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`).toString('base64');
    const { status, json } = await postForm(
      introspectionUrl,
      { token, token_type_hint: 'access_token' },
      { Authorization: `Basic ${basic}` },
    );
    if (status !== 200) throw new Error(`introspection answered ${status}: ${JSON.stringify(json)}`);
    return json;
  }

  const hub = await startHub({
    port: opts.hubPort ?? 0,
    introspect,
    users,
    counters,
    log,
    settings: () => ({
      name: HUB_NAME,
      issuer,
      client_id: CLIENT_ID,
      mfa: 'required',
      session_check: sessionCheckUrl,
    }),
  });
  const hubUrl = hub.url;
  const sessionCheckUrl = new URL(SESSION_PATH, hubUrl).href;

  function revokeWhere(model, accountId) {
    let n = 0;
    for (const [id, payload] of store.list(model)) {
      if (accountId === undefined || payload.accountId === accountId) {
        store.delete(model, id);
        n += 1;
      }
    }
    return n;
  }

  const api = {
    issuer,
    hubUrl,
    sessionCheckUrl,
    clientId: CLIENT_ID,
    provider,
    link: hublinkLink({ hubUrl, issuer, sessionCheckUrl }),
    users: userList.map(({ username, password, totpSecret, hubAccess }) => ({
      username, password, totpSecret, hubAccess: users.get(username).hubAccess,
    })),
    counters,
    introspect,
    totp(username) {
      const user = users.get(username);
      if (!user) throw new Error(`unknown user ${username}`);
      if (!user.totp) throw new Error(`user ${username} has no TOTP`);
      return user.totp.generate();
    },
    resetCounters() {
      Object.assign(counters, newCounters());
      return counters;
    },
    /** Destroy refresh tokens (of one account, or all); returns how many. */
    revokeAllRefreshTokens(accountId) {
      const n = revokeWhere('RefreshToken', accountId);
      log?.(`revoked ${n} refresh token(s)${accountId ? ` of ${accountId}` : ''}`);
      return n;
    },
    /** Destroy whole grants: their access and refresh tokens stop working. */
    revokeAllGrants(accountId) {
      let n = 0;
      for (const [id, grant] of store.list('Grant')) {
        if (accountId === undefined || grant.accountId === accountId) {
          store.revokeByGrantId(id);
          store.delete('Grant', id);
          n += 1;
        }
      }
      log?.(`revoked ${n} grant(s)${accountId ? ` of ${accountId}` : ''}`);
      return n;
    },
    setAccessTokenTtl(seconds) {
      if (!Number.isInteger(seconds) || seconds <= 0) {
        throw new TypeError('access token TTL must be a positive integer number of seconds');
      }
      accessTokenTtl = seconds;
    },
    setHubAccess(username, allowed) {
      const user = users.get(username);
      if (!user) throw new Error(`unknown user ${username}`);
      user.hubAccess = Boolean(allowed);
      api.users.find((u) => u.username === username).hubAccess = user.hubAccess;
    },
    info() {
      return {
        issuer,
        hubUrl,
        sessionCheckUrl,
        clientId: CLIENT_ID,
        link: api.link,
        controlUrl: opts.control ? `${issuer}/__test/` : undefined,
        users: api.users,
      };
    },
    async stop() {
      await Promise.all([close(server), close(hub.server)]);
      // Let in-process HTTP clients (fetch) see their pooled keep-alive sockets
      // close before a test restarts the IdP on the same port and reuses them.
      await new Promise((r) => { setTimeout(r, 50); });
    },
  };

  const interactions = createInteractions({
    provider, users, counters, log,
  });
  const control = opts.control ? createControl(api) : null;
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    // Only the path is logged: query strings carry codes and state.
    if (log) res.on('finish', () => log(`${req.method} ${url.pathname} -> ${res.statusCode}`));
    if (url.pathname.startsWith('/interaction/')) {
      interactions(req, res, url.pathname);
    } else if (control && url.pathname.startsWith('/__test/')) {
      control(req, res, url);
    } else if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
    } else if (url.pathname === '/') {
      sendHtml(res, 200, messagePage('Hublink test IdP', `Issuer ${issuer}`));
    } else {
      callback(req, res);
    }
  });

  return api;
}
