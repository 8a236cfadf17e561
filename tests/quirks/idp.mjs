// A small, real OpenID provider whose behaviour can be bent the way real identity providers
// bend it ("quirks"). Plain node:http on 127.0.0.1, RS256 ID tokens signed with node:crypto,
// no dependencies. See README.md in this folder for each quirk and which IdP behaves that way.
//
//   const idp = await startQuirkIdp();
//   idp.quirks.amr = 'pwd';            // change per test…
//   idp.resetQuirks();                 // …and back to the defaults
//   idp.approveDevice(userCode);       // the user finished the device flow "on their phone"

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export const CLIENT_ID = 'hublink';
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
export const USER = { sub: 'u-quinn-0001', preferred_username: 'quinn', email: 'quinn@example.test', name: 'Quinn Quirk' };

/** The behaviour of a standards-following IdP; every quirk off. */
export function defaultQuirks() {
  return {
    // ID token
    idTokenExtraClaims: {}, // merged into the ID token claims last (may override anything)
    omitAmr: false,
    amr: ['pwd', 'otp', 'mfa'], // an array, or a lone string as some IdPs send
    aud: null, // override the ID token `aud` (string or array); null → the client id
    azp: undefined, // set → `azp` claim; undefined → no `azp`
    idTokenTtl: 300, // seconds
    // token response
    accessTokenTtl: 3600, // seconds; the IdP itself refuses expired access tokens at userinfo
    expiresInAsString: false, // "expires_in": "3599"
    omitExpiresIn: false, // no expires_in at all
    accessTokenIsJwt: false, // the access token is a JWT with `exp` (else an opaque string)
    noRefreshToken: false, // never issue a refresh token
    refreshOnlyWithConsent: false, // OIDC Core §11: offline_access only with prompt=consent
    // discovery
    issuerWithoutSlash: false, // publish the bare origin `http://127.0.0.1:P` as the issuer
    // clock
    clockOffsetSeconds: 0, // the IdP's clock: iat/exp/auth_time and the HTTP Date header
    // device flow
    deviceCodeTtl: 600,
    deviceInterval: 1,
    // hostile or broken providers (tests/attacks)
    sendIss: true, // RFC 9207 `iss` in authorization responses (Entra ID sends none)
    redirectPaths: ['/callback'], // registered loopback paths (any port, RFC 8252 §7.3)
    discoveryPatch: {}, // merged into discovery last; a null value removes the field
    idTokenNonce: undefined, // set → this nonce instead of the sign-in's
    replayIdToken: false, // answer with the previous ID token again
    idTokenAlg: 'RS256', // 'none', or 'HS256-public-key' (HMAC keyed with the public key)
    idTokenKid: undefined, // set → this `kid` in the ID token header
    redirects: {}, // path → absolute URL: that endpoint answers 302 there instead
    tokenDelayMs: 0, // the token endpoint answers this much later
    tokenPaddingBytes: 0, // the token answer carries this many bytes of padding
    // faults, by request path (e.g. '/token', '/realm/.well-known/openid-configuration'):
    // { kind: 'hang' } accepts and never answers; { kind: 'slow', delayMs } answers normally
    // after delayMs; { kind: 'status', status, body, type } answers that instead;
    // { kind: 'malformed' } answers 200 with JSON cut in the middle.
    faults: {},
  };
}

/**
 * Every secret the quirk IdPs of this process issued or received (codes, tokens, PKCE
 * verifiers), for the secret-hygiene check. With HUBLINK_TEST_ISSUED_DIR set, each is also
 * appended to <dir>/quirks-<pid>.jsonl as it happens (so a test process that dies keeps them).
 */
export const issued = [];
function journal(kind, value) {
  if (typeof value !== 'string' || value.length < 8) return;
  issued.push({ kind, value });
  const dir = process.env.HUBLINK_TEST_ISSUED_DIR;
  if (dir) fs.appendFileSync(path.join(dir, `quirks-${process.pid}.jsonl`), `${JSON.stringify({ kind, value })}\n`);
}

function newSigningKey() {
  // Generated as PEM and exported from a separate KeyObject: exporting the KeyObject that
  // generateKeyPairSync returned deadlocked Node 20 in this repo (see tests/idp/idp.mjs).
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const jwk = crypto.createPublicKey(publicKey).export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(jwk.n).digest('base64url').slice(0, 16);
  return {
    privateKey: crypto.createPrivateKey(privateKey),
    publicPem: publicKey,
    jwk: { kty: jwk.kty, n: jwk.n, e: jwk.e, kid, use: 'sig', alg: 'RS256' },
  };
}

let processKey; // one key per process: generating RSA keys is slow on 2 cores

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const random = (n = 24) => crypto.randomBytes(n).toString('base64url');

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 64 * 1024) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Listen on host:port (an ephemeral port by default); resolves with the port. */
export function listen(server, port = 0, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

/** Stop a server now, open connections included. */
export function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function freshCounters() {
  return {
    discovery: 0,
    jwks: 0,
    authorize: 0,
    token: { authorization_code: 0, refresh_token: 0, device_code: 0, other: 0 },
    userinfo: 0,
    userinfoRefused: 0,
    revoke: 0,
    deviceAuthorization: 0,
    redirected: 0,
    faults: 0,
  };
}

/**
 * Start the quirk IdP on 127.0.0.1 (ephemeral port unless options.port).
 * options: { realm = '/realm', clientId = 'hublink', quirks = {} }
 */
export async function startQuirkIdp(options = {}) {
  processKey ??= newSigningKey();
  const key = processKey;
  const clientId = options.clientId ?? CLIENT_ID;
  const realm = options.realm ?? '/realm';
  const quirks = { ...defaultQuirks(), ...(options.quirks ?? {}) };
  const counters = freshCounters();
  const requests = { authorize: null, authorizeAll: [], token: [] };
  const codes = new Map(); // code → grant
  const accessTokens = new Map(); // token → { sub, exp (IdP clock, s), revoked, scope }
  const refreshTokens = new Map(); // token → { sub, scope, revoked }
  const devices = new Map(); // device_code → { userCode, exp, approved, done, scope }

  let origin = '';
  let lastIdToken = null;
  const nowMs = () => Date.now() + quirks.clockOffsetSeconds * 1000; // the IdP's clock
  const nowS = () => Math.floor(nowMs() / 1000);
  const issuer = () => (quirks.issuerWithoutSlash ? origin : `${origin}${realm}`);
  const issuerPath = () => (quirks.issuerWithoutSlash ? '' : realm);

  function sign(claims, alg = 'RS256') {
    const header = { alg: alg === 'HS256-public-key' ? 'HS256' : alg, typ: 'JWT', kid: quirks.idTokenKid ?? key.jwk.kid };
    const input = `${b64url(header)}.${b64url(claims)}`;
    if (alg === 'none') return `${input}.`;
    if (alg === 'HS256-public-key') {
      // The classic confusion: the RSA public key, as published, used as an HMAC secret.
      return `${input}.${crypto.createHmac('sha256', key.publicPem).update(input).digest('base64url')}`;
    }
    const sig = crypto.sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url');
    return `${input}.${sig}`;
  }

  function idToken({ nonce, authTime }) {
    const iat = nowS();
    const claims = {
      iss: issuer(),
      sub: USER.sub,
      aud: quirks.aud ?? clientId,
      exp: iat + quirks.idTokenTtl,
      iat,
      auth_time: authTime ?? iat,
      preferred_username: USER.preferred_username,
      email: USER.email,
      name: USER.name,
    };
    if (nonce !== undefined) claims.nonce = quirks.idTokenNonce ?? nonce;
    if (quirks.azp !== undefined && quirks.azp !== null) claims.azp = quirks.azp;
    if (!quirks.omitAmr) claims.amr = quirks.amr;
    Object.assign(claims, quirks.idTokenExtraClaims ?? {});
    const token = quirks.replayIdToken && lastIdToken ? lastIdToken : sign(claims, quirks.idTokenAlg);
    lastIdToken = token;
    return token;
  }

  function issueTokens({ scope, nonce, consent, refreshToken, includeIdToken = true }) {
    const ttl = quirks.accessTokenTtl;
    const exp = nowS() + ttl;
    let access;
    if (quirks.accessTokenIsJwt) {
      access = sign({
        iss: issuer(), sub: USER.sub, aud: 'hub', client_id: clientId, scope, iat: nowS(), exp, jti: random(12),
      });
    } else {
      access = `at-${random()}`;
    }
    accessTokens.set(access, { sub: USER.sub, exp, revoked: false, scope });
    journal('access_token', access);
    const body = { access_token: access, token_type: 'Bearer', scope };
    if (!quirks.omitExpiresIn) body.expires_in = quirks.expiresInAsString ? String(ttl) : ttl;
    if (includeIdToken && scope.split(' ').includes('openid')) {
      body.id_token = idToken({ nonce });
      journal('id_token', body.id_token);
    }
    if (refreshToken) {
      body.refresh_token = refreshToken;
    } else {
      const offline = scope.split(' ').includes('offline_access');
      const allowed = !quirks.noRefreshToken && offline && (!quirks.refreshOnlyWithConsent || consent);
      if (allowed) {
        const rt = `rt-${random()}`;
        refreshTokens.set(rt, { sub: USER.sub, scope, revoked: false, consent });
        journal('refresh_token', rt);
        body.refresh_token = rt;
      }
    }
    return body;
  }

  function send(res, status, type, body, headers = {}) {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
      Date: new Date(nowMs()).toUTCString(),
      ...headers,
    });
    res.end(text);
  }
  const json = (res, status, value, headers) => send(res, status, 'application/json', value, headers);
  const oauthError = (res, status, error, description) => json(res, status, { error, error_description: description });

  function discovery() {
    const doc = {
      issuer: issuer(),
      authorization_endpoint: `${origin}/authorize`,
      token_endpoint: `${origin}/token`,
      userinfo_endpoint: `${origin}/userinfo`,
      jwks_uri: `${origin}/jwks`,
      revocation_endpoint: `${origin}/revoke`,
      device_authorization_endpoint: `${origin}/device`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE_GRANT],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: DEFAULT_SCOPES,
      token_endpoint_auth_methods_supported: ['none'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'amr', 'preferred_username', 'email', 'name'],
      prompt_values_supported: ['none', 'login', 'consent'],
      authorization_response_iss_parameter_supported: true,
    };
    for (const [k, v] of Object.entries(quirks.discoveryPatch ?? {})) {
      if (v === null) delete doc[k];
      else doc[k] = v;
    }
    return doc;
  }

  function authorize(req, res, url) {
    counters.authorize += 1;
    const q = Object.fromEntries(url.searchParams);
    requests.authorize = q;
    requests.authorizeAll.push(q);
    if (q.client_id !== clientId) return send(res, 400, 'text/plain', `unknown client_id ${q.client_id}\n`);
    const redirect = q.redirect_uri ?? '';
    const loopback = /^http:\/\/127\.0\.0\.1:\d+(\/[^?#]*)$/.exec(redirect);
    if (!loopback || !quirks.redirectPaths.includes(loopback[1])) {
      const registered = quirks.redirectPaths.map((p) => `http://127.0.0.1:<port>${p}`).join(' or ');
      return send(res, 400, 'text/plain', `redirect_uri must be ${registered}, got ${redirect}\n`);
    }
    const back = new URL(redirect);
    const fail = (error, description) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (q.state) back.searchParams.set('state', q.state);
      if (quirks.sendIss) back.searchParams.set('iss', issuer());
      res.writeHead(302, { Location: back.toString(), Date: new Date(nowMs()).toUTCString() });
      res.end();
    };
    if (q.response_type !== 'code') return fail('unsupported_response_type', 'only response_type=code');
    if (!q.code_challenge || q.code_challenge_method !== 'S256') return fail('invalid_request', 'PKCE S256 code_challenge required');
    const scope = q.scope ?? '';
    if (!scope.split(' ').includes('openid')) return fail('invalid_scope', 'openid is required');
    const consent = (q.prompt ?? '').split(' ').includes('consent');
    const code = `code-${random()}`;
    journal('code', code);
    codes.set(code, {
      redirectUri: redirect, challenge: q.code_challenge, nonce: q.nonce, scope, consent, exp: Date.now() + 60_000,
    });
    back.searchParams.set('code', code);
    if (q.state !== undefined) back.searchParams.set('state', q.state);
    if (quirks.sendIss) back.searchParams.set('iss', issuer());
    res.writeHead(302, { Location: back.toString(), Date: new Date(nowMs()).toUTCString() });
    return res.end();
  }

  async function token(req, res) {
    const p = Object.fromEntries(new URLSearchParams(await readBody(req)));
    requests.token.push({ grant_type: p.grant_type });
    if (quirks.tokenDelayMs) await new Promise((r) => { setTimeout(r, quirks.tokenDelayMs); });
    if (p.client_id && p.client_id !== clientId) return oauthError(res, 401, 'invalid_client', 'unknown client');
    if (p.grant_type === 'authorization_code') {
      counters.token.authorization_code += 1;
      journal('code_verifier', p.code_verifier);
      const grant = codes.get(p.code);
      codes.delete(p.code);
      if (!grant || grant.exp < Date.now()) return oauthError(res, 400, 'invalid_grant', 'unknown or expired code');
      if (grant.redirectUri !== p.redirect_uri) return oauthError(res, 400, 'invalid_grant', 'redirect_uri mismatch');
      const challenge = crypto.createHash('sha256').update(p.code_verifier ?? '').digest('base64url');
      if (challenge !== grant.challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
      const answer = issueTokens({ scope: grant.scope, nonce: grant.nonce, consent: grant.consent });
      if (quirks.tokenPaddingBytes) answer.padding = 'x'.repeat(quirks.tokenPaddingBytes);
      return json(res, 200, answer);
    }
    if (p.grant_type === 'refresh_token') {
      counters.token.refresh_token += 1;
      const rt = refreshTokens.get(p.refresh_token);
      if (!rt || rt.revoked) return oauthError(res, 400, 'invalid_grant', 'refresh token unknown or revoked');
      return json(res, 200, issueTokens({ scope: rt.scope, refreshToken: p.refresh_token }));
    }
    if (p.grant_type === DEVICE_GRANT) {
      counters.token.device_code += 1;
      const d = devices.get(p.device_code);
      if (!d || d.done) return oauthError(res, 400, 'invalid_grant', 'unknown device_code');
      if (d.exp < Date.now()) return oauthError(res, 400, 'expired_token', 'the code expired');
      if (!d.approved) return oauthError(res, 400, 'authorization_pending', 'waiting for the user');
      d.done = true;
      return json(res, 200, issueTokens({ scope: d.scope, consent: true }));
    }
    counters.token.other += 1;
    return oauthError(res, 400, 'unsupported_grant_type', `grant_type ${p.grant_type}`);
  }

  /** Is this access token live at the IdP (known, not revoked, not expired on the IdP's clock)? */
  function accessTokenState(tokenValue) {
    const t = accessTokens.get(tokenValue);
    if (!t) return 'unknown';
    if (t.revoked) return 'revoked';
    if (t.exp <= nowS()) return 'expired';
    return 'active';
  }

  function userinfo(req, res) {
    counters.userinfo += 1;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    const state = m ? accessTokenState(m[1]) : 'missing';
    if (state !== 'active') {
      counters.userinfoRefused += 1;
      const description = `the access token is ${state}`;
      return json(res, 401, { error: 'invalid_token', error_description: description }, {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
      });
    }
    return json(res, 200, USER);
  }

  async function revoke(req, res) {
    counters.revoke += 1;
    const p = Object.fromEntries(new URLSearchParams(await readBody(req)));
    const a = accessTokens.get(p.token);
    if (a) a.revoked = true;
    const r = refreshTokens.get(p.token);
    if (r) r.revoked = true;
    return send(res, 200, 'application/json', '{}\n');
  }

  async function deviceAuthorization(req, res) {
    counters.deviceAuthorization += 1;
    const p = Object.fromEntries(new URLSearchParams(await readBody(req)));
    if (p.client_id !== clientId) return oauthError(res, 401, 'invalid_client', 'unknown client');
    const deviceCode = `dc-${random()}`;
    journal('device_code', deviceCode);
    const letters = 'BCDFGHJKLMNPQRSTVWXZ';
    const pick = () => Array.from(crypto.randomBytes(4), (b) => letters[b % letters.length]).join('');
    const userCode = `${pick()}-${pick()}`;
    const scope = p.scope ?? 'openid';
    devices.set(deviceCode, {
      userCode, scope, approved: false, done: false, exp: Date.now() + quirks.deviceCodeTtl * 1000,
    });
    return json(res, 200, {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: `${origin}/activate`,
      verification_uri_complete: `${origin}/activate?user_code=${userCode}`,
      expires_in: quirks.deviceCodeTtl,
      interval: quirks.deviceInterval,
    });
  }

  function approveDevice(userCode) {
    for (const d of devices.values()) {
      if (d.userCode === userCode && !d.done) {
        d.approved = true;
        return true;
      }
    }
    return false;
  }

  async function handle(req, res) {
    const url = new URL(req.url, origin);
    const p = url.pathname;
    const elsewhere = quirks.redirects?.[p === `${issuerPath()}/.well-known/openid-configuration` ? '/discovery' : p];
    if (elsewhere) {
      counters.redirected += 1;
      res.writeHead(302, { Location: elsewhere, 'Content-Length': 0 });
      return res.end();
    }
    if (req.method === 'GET' && p === `${issuerPath()}/.well-known/openid-configuration`) {
      counters.discovery += 1;
      return json(res, 200, discovery());
    }
    if (req.method === 'GET' && p === '/jwks') {
      counters.jwks += 1;
      return json(res, 200, { keys: [key.jwk] });
    }
    if (req.method === 'GET' && p === '/authorize') return authorize(req, res, url);
    if (req.method === 'POST' && p === '/token') return token(req, res);
    if ((req.method === 'GET' || req.method === 'POST') && p === '/userinfo') return userinfo(req, res);
    if (req.method === 'POST' && p === '/revoke') return revoke(req, res);
    if (req.method === 'POST' && p === '/device') return deviceAuthorization(req, res);
    if (req.method === 'GET' && p === '/activate') {
      const ok = approveDevice(url.searchParams.get('user_code') ?? '');
      return send(res, ok ? 200 : 400, 'text/plain', ok ? 'approved\n' : 'unknown code\n');
    }
    // Everything else, /.well-known/hublink.json included, does not exist.
    return send(res, 404, 'text/plain', 'not found\n');
  }

  /** A fault set for this request's path: true when it took the request over. */
  function fault(req, res) {
    const f = quirks.faults?.[new URL(req.url, origin).pathname];
    if (!f) return false;
    counters.faults += 1;
    if (f.kind === 'hang') return true; // accepted, never answered (stop() closes it)
    if (f.kind === 'slow') {
      const timer = setTimeout(() => Promise.resolve().then(() => handle(req, res)).catch(() => res.destroy()), f.delayMs);
      res.on('close', () => clearTimeout(timer));
      return true;
    }
    if (f.kind === 'status') {
      send(res, f.status, f.type ?? 'text/html', f.body ?? `<html><body><h1>${f.status}</h1></body></html>\n`);
      return true;
    }
    if (f.kind === 'malformed') {
      send(res, 200, 'application/json', '{"issuer": "http://127.0.0.1/realm", "token_endpoint": ');
      return true;
    }
    throw new Error(`unknown fault ${JSON.stringify(f)}`);
  }

  const server = http.createServer();
  server.on('request', (req, res) => {
    res.on('finish', () => idp.onAnswered?.(new URL(req.url, origin).pathname));
    Promise.resolve()
      .then(() => fault(req, res) || handle(req, res))
      .catch((e) => {
        if (!res.headersSent) send(res, 500, 'text/plain', `${e.message}\n`);
        else res.destroy();
      });
  });
  const port = await listen(server, options.port ?? 0);
  origin = `http://127.0.0.1:${port}`;

  const idp = {
    port,
    origin,
    get issuer() {
      return issuer();
    },
    url: (path = '/') => `${origin}${path}`,
    quirks,
    counters,
    requests,
    devices,
    resetQuirks() {
      for (const k of Object.keys(quirks)) delete quirks[k];
      Object.assign(quirks, defaultQuirks());
    },
    resetCounters() {
      Object.assign(counters, freshCounters());
      requests.authorize = null;
      requests.authorizeAll.length = 0;
      requests.token.length = 0;
    },
    approveDevice,
    accessTokenState,
    /** Set to a function(path) to hear when an answer has been sent (the kill loop times kills by it). */
    onAnswered: null,
    /** GET userinfo with a token, as a hub would; resolves with the HTTP status. */
    async userinfoStatus(tokenValue) {
      const r = await fetch(`${origin}/userinfo`, { headers: { Authorization: `Bearer ${tokenValue}` } });
      await r.arrayBuffer();
      return r.status;
    },
    stop: () => closeServer(server),
  };
  return idp;
}

/**
 * A plain hub web server on 127.0.0.1 that publishes `/.well-known/hublink.json` (the value
 * of `published(port)`), as "retrieve the link from the hub" expects. Everything else 404s.
 */
export async function startPublishingHub(published) {
  const counters = { hublinkJson: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && new URL(req.url, 'http://x').pathname === '/.well-known/hublink.json') {
      counters.hublinkJson += 1;
      const body = JSON.stringify(published(port));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      return res.end(body);
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    return res.end('not found\n');
  });
  const port = await listen(server, 0);
  return { port, origin: `http://127.0.0.1:${port}`, counters, stop: () => closeServer(server) };
}

/** A 127.0.0.1 port that nothing listens on (it was just bound and released). */
export async function closedPort() {
  const server = http.createServer();
  const port = await listen(server, 0);
  await closeServer(server);
  return port;
}
