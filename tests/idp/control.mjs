// The /__test/ control API on the IdP port, for tests written in any language.
// Every answer is JSON; errors are {"error": "..."} with a 4xx status.

import { readParams, sendJson, isLoopback } from './http.mjs';

export function createControl(idp) {
  function userParam(params) {
    const user = params.user ?? params.username;
    if (user !== undefined && !idp.users.some((u) => u.username === user)) {
      throw Object.assign(new Error(`unknown user ${JSON.stringify(user)}`), { status: 404 });
    }
    return user;
  }

  const routes = {
    'GET info': () => idp.info(),
    'GET counters': () => idp.counters,
    'POST reset-counters': () => idp.resetCounters(),
    'GET totp': (p) => {
      const user = userParam(p);
      if (!user) throw Object.assign(new Error('missing ?user='), { status: 400 });
      const period = 30;
      return {
        user,
        code: idp.totp(user),
        period,
        remaining: period - (Math.floor(Date.now() / 1000) % period),
      };
    },
    'POST revoke-refresh': (p) => ({ revoked: idp.revokeAllRefreshTokens(userParam(p)) }),
    'POST revoke-grants': (p) => ({ revoked: idp.revokeAllGrants(userParam(p)) }),
    'POST access-ttl': (p) => {
      const seconds = Number(p.seconds);
      idp.setAccessTokenTtl(seconds);
      return { access_token_ttl: seconds };
    },
    'POST hub-access': (p) => {
      const user = userParam(p);
      if (!user) throw Object.assign(new Error('missing user='), { status: 400 });
      const allow = !['0', 'false', 'no'].includes(String(p.allow ?? 'true').toLowerCase());
      idp.setHubAccess(user, allow);
      return { user, hub_access: allow };
    },
    'POST introspect': (p) => {
      if (!p.token) throw Object.assign(new Error('missing token='), { status: 400 });
      return idp.introspect(p.token);
    },
  };

  return async function handleControl(req, res, url) {
    try {
      if (!isLoopback(req.socket.remoteAddress)) {
        return sendJson(res, 403, { error: 'the control API only answers loopback clients' });
      }
      const name = url.pathname.slice('/__test/'.length);
      const route = routes[`${req.method} ${name}`];
      if (!route) {
        const known = Object.keys(routes).map((r) => r.replace(' ', ' /__test/'));
        return sendJson(res, 404, { error: `no such control endpoint: ${req.method} ${url.pathname}`, endpoints: known });
      }
      const params = {
        ...Object.fromEntries(url.searchParams),
        ...(req.method === 'POST' ? await readParams(req) : {}),
      };
      return sendJson(res, 200, await route(params));
    } catch (err) {
      return sendJson(res, err.status ?? 400, { error: err.message });
    }
  };
}
