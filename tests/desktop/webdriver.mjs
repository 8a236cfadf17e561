// A small W3C WebDriver client (the few endpoints the desktop tests use), talking to
// tauri-driver, which drives the real app through WebKitWebDriver.

import net from 'node:net';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A TCP port on 127.0.0.1 that nothing listens on right now (for a driver to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; throws after `ms`. */
export async function waitForPort(port, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

export class WebDriverError extends Error {}

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? res.status}: ${v.message ?? ''}`);
  }
  return json.value;
}

export async function newSession(base, capabilities) {
  const value = await call(base, 'POST', '/session', { capabilities: { alwaysMatch: capabilities } });
  return new Session(base, value.sessionId);
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  cmd(method, path, body) {
    return call(this.base, method, `/session/${this.id}${path}`, body);
  }

  async $$(css) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => new Element(this, e[ELEMENT]));
  }

  async $(css) {
    const [first] = await this.$$(css);
    return first ?? null;
  }

  execute(script, ...args) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** Poll `check` until it returns a truthy value; return it. */
  async waitFor(what, check, timeoutMs = 20_000) {
    const end = Date.now() + timeoutMs;
    let last;
    while (Date.now() < end) {
      try {
        last = await check();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, 150));
    }
    throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
  }

  /** Wait for a visible element matching `css`. */
  waitForVisible(css, timeoutMs) {
    return this.waitFor(`${css} to be visible`, async () => {
      const el = await this.$(css);
      return el && (await el.displayed()) ? el : null;
    }, timeoutMs);
  }

  /** Every window the driver can reach (Hublink's windows that share the web context). */
  handles() {
    return this.cmd('GET', '/window/handles');
  }

  currentHandle() {
    return this.cmd('GET', '/window');
  }

  switchTo(handle) {
    return this.cmd('POST', '/window', { handle });
  }

  /** The current window's page address. */
  url() {
    return this.cmd('GET', '/url');
  }

  /** Run an async script; its callback is the last argument. */
  executeAsync(script, ...args) {
    return this.cmd('POST', '/execute/async', { script, args });
  }

  async screenshot() {
    // Two animation frames (and a moment for WebKit to paint) first, or the capture can show
    // the frame before the last change.
    await new Promise((r) => setTimeout(r, 300));
    await this.cmd('POST', '/execute/async', {
      script: 'const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));',
      args: [],
    });
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  async delete() {
    await call(this.base, 'DELETE', `/session/${this.id}`);
  }
}

export class Element {
  constructor(session, id) {
    this.s = session;
    this.id = id;
  }

  click() {
    return this.s.cmd('POST', `/element/${this.id}/click`, {});
  }

  async type(text) {
    await this.s.cmd('POST', `/element/${this.id}/clear`, {});
    return this.s.cmd('POST', `/element/${this.id}/value`, { text });
  }

  text() {
    return this.s.cmd('GET', `/element/${this.id}/text`);
  }

  attr(name) {
    return this.s.cmd('GET', `/element/${this.id}/attribute/${name}`);
  }

  displayed() {
    return this.s.cmd('GET', `/element/${this.id}/displayed`);
  }
}
