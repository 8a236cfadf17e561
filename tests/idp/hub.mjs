// The "hub": a resource server on its own port that accepts a session when the
// bearer token is active at the IdP (RFC 7662 introspection) and its user has
// hub access, and publishes its Hublink settings at /.well-known/hublink.json.

import http from 'node:http';

import {
  listen, sendJson, sendText, sendHtml,
} from './http.mjs';
import { page, escapeHtml } from './pages.mjs';

export const HUB_NAME = 'Demo Hub';
export const SESSION_PATH = '/api/session';

export async function startHub({
  port = 0, name = HUB_NAME, introspect, users, counters, log, settings,
}) {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      log?.(`hub error: ${err.stack}`);
      if (!res.headersSent) sendText(res, 500, `Hub error: ${err.message}`);
      else res.end();
    });
  });

  function unauthorized(res, reason, description) {
    counters.hubUnauthorized += 1;
    log?.(`hub 401: ${reason}`);
    sendText(res, 401, reason, {
      'WWW-Authenticate': `Bearer realm="${name}", error="invalid_token", error_description="${description}"`,
    });
  }

  async function session(req, res) {
    counters.hubSessionChecks += 1;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) {
      return unauthorized(res, 'No access token was sent. Sign in to the hub first.', 'missing access token');
    }
    const info = await introspect(match[1]);
    // A refresh token is active too, but has no token_type: it is no bearer token.
    if (!info.active || info.token_type !== 'Bearer') {
      return unauthorized(res, 'The access token is expired or was revoked. Sign in again.', 'the access token is not active');
    }
    const user = users.get(info.sub);
    if (!user?.hubAccess) {
      counters.hubForbidden += 1;
      log?.(`hub 403: ${info.sub}`);
      return sendText(res, 403, `User "${info.sub}" has no access to this hub. Ask the hub administrator to grant you the Analyst role.`);
    }
    counters.hubAccepted += 1;
    return sendJson(res, 200, {
      user: user.username,
      name: user.name,
      email: user.email,
      roles: ['Analyst'],
      hub: name,
      expires_at: info.exp ? new Date(info.exp * 1000).toISOString() : undefined,
    });
  }

  async function handle(req, res) {
    const { pathname } = new URL(req.url, 'http://hub');
    log?.(`hub ${req.method} ${pathname}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendText(res, 405, 'Method not allowed', { Allow: 'GET' });
    }
    if (pathname === SESSION_PATH) return session(req, res);
    if (pathname === '/.well-known/hublink.json') return sendJson(res, 200, settings());
    if (pathname === '/') {
      return sendHtml(res, 200, page(name, `<p>This is ${escapeHtml(name)}, a test hub for Hublink.</p>`));
    }
    return sendText(res, 404, 'Not found');
  }

  const boundPort = await listen(server, port);
  return { server, url: `http://127.0.0.1:${boundPort}/`, port: boundPort };
}
