// Small helpers shared by the interaction pages, the hub and the control API.

import http from 'node:http';
import https from 'node:https';

const MAX_BODY = 64 * 1024;

export async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error('request body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Form or JSON body as a plain object of strings.
export async function readParams(req) {
  const raw = await readBody(req);
  if (!raw) return {};
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      return JSON.parse(raw);
    } catch {
      throw Object.assign(new Error('invalid JSON body'), { status: 400 });
    }
  }
  return Object.fromEntries(new URLSearchParams(raw));
}

export function send(res, status, type, body, headers = {}) {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

export const sendHtml = (res, status, html) => send(res, status, 'text/html; charset=utf-8', html);
export const sendText = (res, status, text, headers) => send(res, status, 'text/plain; charset=utf-8', `${text}\n`, headers);
export const sendJson = (res, status, value) => send(res, status, 'application/json', `${JSON.stringify(value)}\n`);

export function listen(server, port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

export function close(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function isLoopback(address) {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

// POST a form to our own IdP. TLS verification is off because the peer is
// this very process (its throwaway certificate is not in Node's trust store).
export function postForm(url, form, headers = {}) {
  const body = new URLSearchParams(form).toString();
  const target = new URL(url);
  const mod = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(target, {
      method: 'POST',
      rejectUnauthorized: false,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'Content-Length': Buffer.byteLength(body),
        Accept: 'application/json',
        ...headers,
      },
    }, async (res) => {
      try {
        const text = await readBody(res);
        resolve({ status: res.statusCode, json: JSON.parse(text) });
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
    req.end(body);
  });
}
