// Helpers shared by the package tests: processes by executable, plain xdg-open, waiting.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PACKAGES = path.join(ROOT, 'target/packages');
export const SHOTS = process.env.HUBLINK_SCREENSHOTS ?? path.join(ROOT, 'target/screenshots');

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A link to an example hub (nothing is contacted: the app only shows the confirmation). */
export function exampleLink(name) {
  return `hublink://add?url=https://hub.example.com/&name=${encodeURIComponent(name)}`;
}

/** The environment of Debian's xdg-open without a desktop environment ("generic" mode). A
 * handler that fails must not fall back to a web browser: BROWSER is /bin/false. */
export function plainXdgEnv(env) {
  const e = { ...env, BROWSER: '/bin/false' };
  for (const k of ['XDG_CURRENT_DESKTOP', 'XDG_SESSION_DESKTOP', 'DESKTOP_SESSION', 'KDE_FULL_SESSION', 'GNOME_DESKTOP_SESSION_ID', 'MATE_DESKTOP_SESSION_ID']) delete e[k];
  return e;
}

/** Run to completion; {code, stdout, stderr}. */
export function run(cmd, args, { env = process.env, timeoutMs = 120_000, input } = {}) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: timeoutMs, input });
  return { code: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Start a long-running process, collecting its output. */
export function start(cmd, args, { env = process.env } = {}) {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { text: '', code: undefined };
  child.stdout.on('data', (d) => { out.text += d; });
  child.stderr.on('data', (d) => { out.text += d; });
  out.exited = new Promise((resolve) => child.on('close', (code, signal) => { out.code = code ?? signal; resolve(out.code); }));
  out.child = child;
  return out;
}

/** Processes whose argv[0] is `exe` and whose environment has HUBLINK_HOME=home: [{pid, argv}]. */
export function processesOf(exe, home) {
  const found = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (argv[0] !== exe) continue;
      if (!fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HUBLINK_HOME=${home}`)) continue;
      found.push({ pid: Number(pid), argv });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

export async function waitFor(what, check, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export async function stopAll(exe, home) {
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    for (const { pid } of processesOf(exe, home)) {
      try { process.kill(pid, signal); } catch { /* gone */ }
    }
    for (let i = 0; i < 30 && processesOf(exe, home).length; i += 1) await sleep(100);
    if (!processesOf(exe, home).length) return;
  }
}

/** A screenshot of the whole Xvfb screen (imagemagick), when `import` exists. */
export function screenshotRoot(name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  const r = run('import', ['-window', 'root', file], { timeoutMs: 20_000 });
  if (r.code === 0) console.log(`screenshot: ${file}`);
  return r.code === 0 ? file : null;
}
