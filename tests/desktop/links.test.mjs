// Links handed to the running app (issue 10): the real hublink-desktop under Xvfb, through
// tauri-driver, and real processes that each deliver one link as a clicked link does.
//
// "Arrival order" is the order in which the running app took the hand-overs (its hand-over
// thread answers them one at a time and numbers their links, `seq`); the page must show the
// confirmations in that order, each once. Figures go to target/reliability/desktop.json.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';

import { APP, appPids, launchApp, newDesktopUser, runWith, saveScreenshot } from './harness.mjs';
import { recordFigures } from './reliability.mjs';
import { closeLikeAUser } from './x11-close.mjs';

const link = (name) => {
  const host = name.toLowerCase().replace(/\W+/g, '-');
  return `hublink://add?url=https://${host}.example.com/&name=${encodeURIComponent(name)}`;
};

/** The confirmation shown now: its link's number of arrival, the hub's name, the queue line. */
const shownConfirmation = (session) => session.execute(`
  const d = document.getElementById('confirm-dialog');
  if (!d.open || !d.dataset.linkSeq) return null;
  const q = document.getElementById('confirm-queue');
  return { seq: Number(d.dataset.linkSeq), name: document.getElementById('confirm-name').textContent, queue: q.hidden ? '' : q.textContent };
`);

/** Go through `count` confirmations as a user would, answering Cancel to each; in order shown. */
async function confirmationsInOrder(session, count) {
  const seen = [];
  let last = null;
  while (seen.length < count) {
    const shown = await session.waitFor(`confirmation ${seen.length + 1} of ${count}`, async () => {
      const c = await shownConfirmation(session);
      return c && c.seq !== last ? c : null;
    }, 20_000);
    seen.push(shown);
    last = shown.seq;
    await session.execute('document.getElementById("confirm-cancel").click()');
  }
  return seen;
}

describe('many links at once', () => {
  test('20 links from 20 processes: one app, every link once, shown in arrival order, the window responsive', async () => {
    const user = newDesktopUser('burst');
    const app = await launchApp(user);
    try {
      const { session } = app;
      const names = Array.from({ length: 20 }, (_, i) => `Burst ${String(i + 1).padStart(2, '0')}`);
      // The page answers while the links arrive.
      let slowest = 0;
      let bursting = true;
      const probing = (async () => {
        while (bursting) {
          const t = Date.now();
          await session.execute('return 1');
          slowest = Math.max(slowest, Date.now() - t);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const started = Date.now();
      const senders = await Promise.all(names.map((n) => runWith(user, APP, [link(n)], { timeoutMs: 60_000 })));
      const burstMs = Date.now() - started;
      bursting = false;
      await probing;
      assert.deepEqual(senders.map((s) => s.code), names.map(() => 0), senders.map((s) => s.stderr).join('\n'));
      assert.equal(appPids(user.env.HUBLINK_HOME).length, 1, 'one app');

      const seen = await confirmationsInOrder(session, names.length);
      const seqs = seen.map((c) => c.seq);
      const shownNames = seen.map((c) => c.name);
      assert.deepEqual(seqs, names.map((_, i) => i + 1), `shown in arrival order: ${seqs}`);
      assert.deepEqual([...shownNames].sort(), names, 'every link once: none lost, none twice');
      // Nothing more comes after the twentieth.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await shownConfirmation(session), null);
      assert.ok(slowest < 3000, `the page took ${slowest} ms to answer during the burst`);
      recordFigures('links_burst', {
        links_sent: names.length,
        senders_exit_0: senders.filter((s) => s.code === 0).length,
        app_processes: appPids(user.env.HUBLINK_HOME).length,
        confirmations_shown: seen.length,
        lost: names.filter((n) => !shownNames.includes(n)).length,
        duplicated: shownNames.length - new Set(shownNames).size,
        shown_in_arrival_order: seqs.every((s, i) => s === i + 1),
        burst_ms: burstMs,
        slowest_page_answer_ms: slowest,
      });
    } finally {
      await app.stop();
    }
  });

  test('links delivered one after another are shown in the order they were sent', async () => {
    const user = newDesktopUser('sequence');
    const app = await launchApp(user);
    try {
      const names = Array.from({ length: 8 }, (_, i) => `Sequence ${i + 1}`);
      for (const n of names) {
        const sent = await runWith(user, APP, [link(n)], { timeoutMs: 20_000 });
        assert.equal(sent.code, 0, sent.stderr);
      }
      const seen = await confirmationsInOrder(app.session, names.length);
      assert.deepEqual(seen.map((c) => c.name), names);
      assert.match(seen[0].queue, /^7 more links are waiting\.$/);
      recordFigures('links_sequence', { links_sent: names.length, shown_in_send_order: true });
    } finally {
      await app.stop();
    }
  });
});

/** Does process `pid` listen on Hublink's instance socket (an abstract Unix socket)? */
function servesLinks(pid) {
  const inodes = new Set(fs.readFileSync('/proc/net/unix', 'utf8').split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[7]?.startsWith('@app.hublink.desktop/'))
    .map((f) => f[6]));
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m && inodes.has(m[1]);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

describe('a link while the app quits', () => {
  test('the quitting app refuses it: the new process takes over and its window shows the link', async () => {
    const user = newDesktopUser('quitting');
    // A debug-build hook keeps the quitting process alive for a while, as a slow exit would.
    const first = await launchApp(user, { env: { HUBLINK_TEST_EXIT_DELAY_MS: '15000' } });
    const [dying] = appPids(user.env.HUBLINK_HOME);
    let second;
    try {
      assert.ok(servesLinks(dying), 'the running app takes links');
      // The user closes the window (the window manager's close button).
      const found = await runWith(user, 'xdotool', ['search', '--onlyvisible', '--pid', String(dying), '--name', '^Hublink$']);
      const [window] = found.stdout.trim().split('\n');
      assert.match(window ?? '', /^\d+$/, `the main window of ${dying}: ${found.stderr}`);
      await closeLikeAUser(window);
      // (Not through WebDriver: the quitting app's main thread is busy going away.)
      await first.session.waitFor('the first app to stop taking links', async () => !servesLinks(dying), 10_000);
      assert.ok(fs.existsSync(`/proc/${dying}`), 'the first app is still quitting');
      const started = Date.now();
      second = await launchApp(user, { args: [link('Late Hub')] });
      const windowMs = Date.now() - started;
      assert.ok(fs.existsSync(`/proc/${dying}`), 'the link came while the first app was still quitting');
      await second.session.waitForVisible('#confirm-dialog');
      assert.equal(await (await second.session.$('#confirm-name')).text(), 'Late Hub');
      const live = appPids(user.env.HUBLINK_HOME).filter((p) => p !== dying);
      assert.equal(live.length, 1, 'the new process is the running app');
      await saveScreenshot(second.session, 'link-while-quitting');
      recordFigures('link_while_quitting', {
        handed_to_dying_app: false, reached_live_window: true, new_window_ms: windowMs, ms_to_confirmation: Date.now() - started,
      });
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
});
