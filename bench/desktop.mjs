// The desktop app side by side with a bare Tauri 2 window (bench/bare-tauri: the same Tauri,
// single-instance and deep-link, one static page of 100 items), both release builds, under
// Xvfb with a real Secret Service. Run by scripts/bench.sh:
//   tests/with-keyring.sh xvfb-run -a node bench/desktop.mjs
// Measures, for each app, alternating, each start in fresh folders:
//   - time from exec to a visible (mapped) window: xdotool polled every 10 ms;
//   - PSS of the whole process tree (app + WebKit processes) and the app's threads, once
//     settled;
//   - time from exec to the page's `document.body.dataset.ready === "true"` (Hublink: its
//     100 hubs.ini hubs listed), watched through tauri-driver (WebDriver);
// and, for Hublink, a link handed over by a second process until its confirmation shows.

import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { freePort, newSession, waitForPort } from '../tests/desktop/webdriver.mjs';
import { ROOT, emit, load, median, quantile, row, sleep, tempDir, threadCount, treePss } from './common.mjs';

const HUBLINK = process.env.HUBLINK_DESKTOP_BIN ?? path.join(ROOT, 'target/release/hublink-desktop');
const BARE = process.env.BARE_TAURI_BIN ?? path.join(ROOT, 'target/release/hublink-bare-tauri');
const STAMP = path.join(ROOT, 'bench/stamp-exec.sh');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const LINKS = 20;
/** How long after the window shows PSS and threads are read: Hublink's 100 start-up checks are
 * done after a few seconds and their idle worker threads leave 10 s later (tokio's default). */
const SETTLE_MS = 15_000;
const HUBS = 100;

const APPS = { bare: BARE, hublink: HUBLINK };

/** Fresh folders for one start; for Hublink a hubs.ini with 100 hubs. */
function appEnv(kind) {
  const dir = tempDir(kind);
  const env = {
    ...process.env,
    HUBLINK_HOME: path.join(dir, 'home'),
    HUBLINK_HUBS_DIR: path.join(dir, 'hubs'),
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    XDG_DATA_HOME: path.join(dir, 'data'),
    HUBLINK_LOG: 'warn',
    // No accessibility bus or desktop portals under Xvfb (as tests/desktop/harness.mjs).
    NO_AT_BRIDGE: '1',
    GTK_USE_PORTAL: '0',
  };
  for (const k of ['HUBLINK_HUBS_DIR', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_DATA_HOME']) fs.mkdirSync(env[k], { recursive: true });
  if (kind === 'hublink') {
    let ini = '';
    for (let i = 1; i <= HUBS; i += 1) {
      ini += `[Hub ${i}]\nurl = https://hub${i}.example.com/\nissuer = https://login.example.com/realms/r${i}\nmfa = required\n\n`;
    }
    fs.writeFileSync(path.join(env.HUBLINK_HUBS_DIR, 'hubs.ini'), ini);
  }
  return { dir, env };
}

function visibleWindow(pid) {
  return new Promise((resolve) => {
    execFile('xdotool', ['search', '--onlyvisible', '--pid', String(pid)], (err, stdout) => resolve(!err && stdout.trim() !== ''));
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** End an app started in its own process group, and wait until the whole group is gone. */
async function stop(pid) {
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    try { process.kill(-pid, signal); } catch { /* gone */ }
    for (let i = 0; i < 50 && alive(pid); i += 1) await sleep(100);
    if (!alive(pid)) break;
  }
  // The WebKit processes leave with the app; give them a moment so the next start is alone.
  await sleep(500);
}

/** One start without WebDriver: time to a visible window, then PSS and threads once settled. */
async function startOnce(kind, settleMs = SETTLE_MS) {
  const { dir, env } = appEnv(kind);
  const started = performance.now();
  const child = spawn(APPS[kind], [], { env, stdio: 'ignore', detached: true });
  let visibleMs = null;
  while (performance.now() - started < 30_000) {
    if (await visibleWindow(child.pid)) {
      visibleMs = performance.now() - started;
      break;
    }
    await sleep(10);
  }
  if (visibleMs === null) throw new Error(`${kind}: no visible window within 30 s`);
  let peakThreads = 0;
  for (const end = performance.now() + settleMs; performance.now() < end;) {
    peakThreads = Math.max(peakThreads, threadCount(child.pid));
    await sleep(250);
  }
  const pss = treePss(child.pid);
  const threads = threadCount(child.pid);
  await stop(child.pid);
  fs.rmSync(dir, { recursive: true, force: true });
  return { visibleMs, pssKb: pss.kb, processes: pss.parts.map((p) => `${p.name} ${Math.round(p.kb / 1024)}`).join(' + '), threads, peakThreads };
}

/**
 * The app under tauri-driver, started through bench/stamp-exec.sh (which notes the time of the
 * exec). Resolves once a WebDriver session exists.
 */
async function underDriver(kind) {
  const { dir, env } = appEnv(kind);
  const [port, nativePort] = [await freePort(), await freePort()];
  const stampFile = path.join(dir, 'exec-time');
  const log = fs.openSync(path.join(dir, 'tauri-driver.log'), 'a');
  const driver = spawn('tauri-driver', ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...env, BENCH_APP: APPS[kind], BENCH_STAMP_FILE: stampFile },
    stdio: ['ignore', log, log],
    detached: true,
  });
  await waitForPort(port);
  await waitForPort(nativePort);
  const session = await newSession(`http://127.0.0.1:${port}`, { 'tauri:options': { application: STAMP } });
  return {
    dir,
    env,
    session,
    execAt: () => Number(fs.readFileSync(stampFile, 'utf8').trim()) / 1e6,
    async stop() {
      await session.delete().catch(() => {});
      try { process.kill(-driver.pid, 'SIGTERM'); } catch { /* gone */ }
      await sleep(1000);
      try { process.kill(-driver.pid, 'SIGKILL'); } catch { /* gone */ }
      await endStrays(env.HUBLINK_HOME);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Apps of this run still alive (started by WebKitWebDriver, outside our process group). */
async function endStrays(home) {
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HUBLINK_HOME=${home}`)) process.kill(Number(pid), 'SIGKILL');
    } catch { /* gone or not ours */ }
  }
  await sleep(500);
}

/** When the page became ready (ms since the epoch): watched from before, or the page's own note. */
const WATCH_READY = `
  const done = arguments[arguments.length - 1];
  const count = () => document.querySelectorAll('[data-hub-name]').length || document.querySelectorAll('li').length;
  // When the page's navigation started and its DOM was loaded (ms since the epoch).
  const phases = () => ({ navAt: performance.timeOrigin, domAt: performance.timing.domContentLoadedEventEnd || null });
  if (document.body.dataset.ready === 'true') {
    done({ readyAt: window.readyAt ?? null, seenAt: Date.now(), items: count(), ...phases() });
    return;
  }
  new MutationObserver((_, observer) => {
    if (document.body.dataset.ready !== 'true') return;
    observer.disconnect();
    done({ readyAt: Date.now(), seenAt: Date.now(), items: count(), ...phases() });
  }).observe(document.body, { attributes: true, attributeFilter: ['data-ready'] });
`;

async function readyOnce(kind) {
  const app = await underDriver(kind);
  try {
    const seen = await app.session.executeAsync(WATCH_READY);
    const at = seen.readyAt ?? seen.seenAt;
    const exec = app.execAt();
    return {
      readyMs: at - exec,
      upperBound: seen.readyAt === null,
      items: seen.items,
      navMs: seen.navAt - exec,
      domMs: seen.domAt ? seen.domAt - exec : NaN,
    };
  } finally {
    await app.stop();
  }
}

const WATCH_CONFIRM = `
  window.__bench = { shownAt: null, name: null };
  const dialog = document.getElementById('confirm-dialog');
  new MutationObserver(() => {
    if (!dialog.open || window.__bench.shownAt !== null) return;
    // The frame that shows it.
    requestAnimationFrame(() => {
      window.__bench.name = document.getElementById('confirm-name').textContent;
      window.__bench.shownAt = Date.now();
    });
  }).observe(dialog, { attributes: true, attributeFilter: ['open'] });
`;

async function poll(session, script, what, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const value = await session.execute(script);
    if (value) return value;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A link given to a second `hublink-desktop` until the running window shows its confirmation. */
async function dispatch(app, i) {
  await app.session.execute('window.__bench.shownAt = null; window.__bench.name = null;');
  const name = `Dispatch ${i}`;
  const link = `hublink://add?url=https://dispatch${i}.example.com/&name=${encodeURIComponent(name)}&issuer=https://login.example.com/`;
  const sentAt = Date.now();
  const second = spawn(HUBLINK, [link], { env: app.env, stdio: ['ignore', 'ignore', fs.openSync(path.join(app.dir, `second-${i}.log`), 'w')] });
  const exited = new Promise((resolve) => second.on('exit', (code, signal) => resolve(signal ?? code)));
  const shownAt = await poll(app.session, 'return window.__bench.shownAt', `the confirmation of ${name}`);
  const shownName = await app.session.execute('return window.__bench.name');
  if (shownName !== name) throw new Error(`the confirmation shows ${shownName}, not ${name}`);
  const code = await exited;
  if (code !== 0 && typeof code === 'number') {
    throw new Error(`the second process exited with ${code}: ${fs.readFileSync(path.join(app.dir, `second-${i}.log`), 'utf8')}`);
  }
  await app.session.execute("document.getElementById('confirm-cancel').click()");
  await poll(app.session, "return !document.getElementById('confirm-dialog').open", 'the confirmation to close');
  // A signal (the second process crashing on its way out, after handing the link over) is counted.
  return { ms: shownAt - sentAt, signal: code === 0 ? null : code };
}

async function measureDispatch() {
  const app = await underDriver('hublink');
  try {
    await app.session.executeAsync(WATCH_READY);
    await app.session.execute(WATCH_CONFIRM);
    await dispatch(app, 0); // warm-up, not counted
    const results = [];
    for (let i = 1; i <= LINKS; i += 1) {
      results.push(await dispatch(app, i));
      await sleep(300);
    }
    return results;
  } finally {
    await app.stop();
  }
}

function summarize(results) {
  const of = (kind, key) => results[kind].map((r) => r[key]);
  const fmt = (values, digits = 0) => values.map((v) => v.toFixed(digits)).join(', ');
  const phase = (kind, key) => median(of(kind, key)).toFixed(0);
  const upper = results.hublink.some((r) => r.upperBound) ? ' (≤: the page was ready before it could be watched)' : '';
  return [
    row('desktop', `time to a visible window; median of ${RUNS}`, {
      baseline: median(of('bare', 'visibleMs')),
      hublink: median(of('hublink', 'visibleMs')),
      unit: 'ms',
      target: { ratio: 1.3 },
      note: `runs: bare ${fmt(of('bare', 'visibleMs'))}; Hublink ${fmt(of('hublink', 'visibleMs'))} ms`,
    }),
    row('desktop', `time to an interactive page (\`data-ready\`; Hublink: ${HUBS} hubs listed), under WebDriver; median of ${RUNS}`, {
      baseline: median(of('bare', 'readyMs')),
      hublink: median(of('hublink', 'readyMs')),
      unit: 'ms',
      target: { ratio: 1.3 },
      note: `runs: bare ${fmt(of('bare', 'readyMs'))}; Hublink ${fmt(of('hublink', 'readyMs'))} ms${upper}; items shown: bare ${of('bare', 'items')[0]}, Hublink ${of('hublink', 'items')[0]}; `
        + `medians from exec: the page's navigation started at ${phase('bare', 'navMs')} (bare) / ${phase('hublink', 'navMs')} ms (Hublink), `
        + `its DOM was loaded at ${phase('bare', 'domMs')} / ${phase('hublink', 'domMs')} ms`,
    }),
    row('desktop', `PSS of the process tree (app + WebKit), ${SETTLE_MS / 1000} s after the window showed; median of ${RUNS}`, {
      baseline: median(of('bare', 'pssKb')) / 1024,
      hublink: median(of('hublink', 'pssKb')) / 1024,
      unit: 'MB',
      target: { ratio: 1.15 },
      note: `bare: ${results.bare.at(-1).processes} MB; Hublink: ${results.hublink.at(-1).processes} MB`,
    }),
    row('desktop', `threads of the app process, ${SETTLE_MS / 1000} s after the window showed; median of ${RUNS}`, {
      baseline: median(of('bare', 'threads')),
      hublink: median(of('hublink', 'threads')),
      unit: '',
      target: { ratio: 2 },
      note: `runs: bare ${fmt(of('bare', 'threads'))}; Hublink ${fmt(of('hublink', 'threads'))}`,
    }),
    row('desktop', `threads of the app process, the most seen in those ${SETTLE_MS / 1000} s; median of ${RUNS}`, {
      baseline: median(of('bare', 'peakThreads')),
      hublink: median(of('hublink', 'peakThreads')),
      unit: '',
      target: { ratio: 2 },
      note: `runs: bare ${fmt(of('bare', 'peakThreads'))}; Hublink ${fmt(of('hublink', 'peakThreads'))}`,
    }),
  ];
}

async function main() {
  const results = { bare: [], hublink: [] };
  // One start of each first, not counted: the libraries into the page cache.
  if (RUNS) for (const kind of ['bare', 'hublink']) await startOnce(kind, 1000);
  for (let r = 0; r < RUNS; r += 1) {
    // Alternate which app starts first, so neither always gets the warmer machine.
    const order = r % 2 ? ['hublink', 'bare'] : ['bare', 'hublink'];
    for (const kind of order) {
      const start = await startOnce(kind);
      const ready = await readyOnce(kind);
      results[kind].push({ ...start, ...ready });
      console.log(`desktop: ${kind} run ${r + 1}: visible ${start.visibleMs.toFixed(0)} ms, ready ${ready.readyMs.toFixed(0)} ms, ${Math.round(start.pssKb / 1024)} MB, ${start.threads} threads (load ${load()})`);
    }
  }
  if (RUNS) emit(summarize(results));
  const links = await measureDispatch();
  const times = links.map((l) => l.ms);
  const crashes = links.filter((l) => l.signal).map((l) => l.signal);
  emit([
    row('desktop', `a link from a second \`hublink-desktop\` process until its confirmation shows; p50 of ${LINKS}`, {
      hublink: quantile(times, 0.5), unit: 'ms', target: { below: 150 },
      note: `p95 ${quantile(times, 0.95).toFixed(0)} ms; all: ${times.map((t) => t.toFixed(0)).join(', ')} ms`
        + (crashes.length ? `; the second process died of ${crashes.join(', ')} after handing over its link in ${crashes.length} of ${LINKS}` : ''),
    }),
    row('desktop', `the same, p95 of ${LINKS}`, { hublink: quantile(times, 0.95), unit: 'ms', target: null }),
  ]);
}

await main();
