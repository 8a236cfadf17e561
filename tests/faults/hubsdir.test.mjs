// Fault injection: the hubs.ini folder (HUBLINK_HUBS_DIR). The folder is a symlink loop or a
// FIFO; an *.ini in it is a symlink loop, a FIFO, a device, 10 MB, or rewritten while being
// read. Each: `list` finishes quickly with exit 0 and every good hub (and the link hubs), the
// bad file is reported with its path and reason, and `hubs check` exits 5 naming it.
//   node --test --test-concurrency=1 tests/faults/hubsdir.test.mjs

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import {
  both, faultSuite, faultUser, IS_ROOT, show, timed,
} from './harness.mjs';

const fault = faultSuite('hubsdir');
const GOOD = '[Good Hub]\nurl = https://good.example.com/\n';
const LINK = `hublink://add?${new URLSearchParams({ url: 'https://linked.example.com/', name: 'Linked Hub' })}`;

/** A user with a link hub and `good.ini`, whose folder then gets `plant(dir)` done to it. */
async function userWith(name, plant) {
  const user = faultUser(name);
  assert.equal((await user.run(['add', LINK, '--yes'])).code, 0);
  fs.writeFileSync(path.join(user.hubsDir, 'good.ini'), GOOD);
  plant(user.hubsDir, user);
  return user;
}

/** `list --json` and `hubs check`: both quick; list 0 with `expect`ed hubs; check 5 naming `bad`. */
async function survives(user, { expect, bad, reason }) {
  const l = await timed(user, ['list', '--json'], { timeoutMs: 15_000 });
  assert.ok(l.took < 10_000, `list took ${l.took} ms (${l.r.signal ?? 'not killed'})`);
  assert.equal(l.r.code, 0, show(l.r));
  assert.deepEqual(JSON.parse(l.r.stdout).hubs.map((h) => h.name).sort(), expect, show(l.r));
  const c = await timed(user, ['hubs', 'check'], { timeoutMs: 15_000 });
  assert.ok(c.took < 10_000, `hubs check took ${c.took} ms`);
  assert.equal(c.r.code, 5, show(c.r));
  const line = both(c.r).split('\n').find((x) => x.includes(bad) && /^\s*error/.test(x)) ?? '';
  assert.match(line, reason, `hubs check names ${bad} and why\n${show(c.r)}`);
}

fault('the hubs folder is a symlink loop: list 0 with the link hub; hubs check 5 naming it', async () => {
  const user = faultUser('dir-loop');
  assert.equal((await user.run(['add', LINK, '--yes'])).code, 0);
  const loop = path.join(user.root, 'loop');
  fs.symlinkSync(loop, loop);
  user.env.HUBLINK_HUBS_DIR = loop;
  await survives(user, { expect: ['Linked Hub'], bad: 'loop', reason: /symbolic links|cannot read/i });
});

fault('the hubs folder is a FIFO: list 0 with the link hub; hubs check 5 "not a regular file"', async () => {
  const user = faultUser('dir-fifo');
  assert.equal((await user.run(['add', LINK, '--yes'])).code, 0);
  const fifo = path.join(user.root, 'hubs-fifo');
  execFileSync('mkfifo', [fifo]);
  user.env.HUBLINK_HUBS_DIR = fifo;
  await survives(user, { expect: ['Linked Hub'], bad: 'hubs-fifo', reason: /not a regular file/ });
});

fault('an *.ini that is a symlink loop: the good hub loads; hubs check names the loop', async () => {
  const user = await userWith('ini-loop', (dir) => {
    fs.symlinkSync(path.join(dir, 'b.ini'), path.join(dir, 'a.ini'));
    fs.symlinkSync(path.join(dir, 'a.ini'), path.join(dir, 'b.ini'));
  });
  await survives(user, { expect: ['Good Hub', 'Linked Hub'], bad: 'a.ini', reason: /symbolic links/i });
});

fault('an *.ini that is a FIFO: never waited on', async () => {
  const user = await userWith('ini-fifo', (dir) => execFileSync('mkfifo', [path.join(dir, 'stuck.ini')]));
  await survives(user, { expect: ['Good Hub', 'Linked Hub'], bad: 'stuck.ini', reason: /not a regular file/ });
});

fault('an *.ini that is a device (/dev/zero; a char device node as root): never read', async () => {
  const user = await userWith('ini-device', (dir) => {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.ini'));
    if (IS_ROOT) execFileSync('mknod', [path.join(dir, 'urandom.ini'), 'c', '1', '9']);
  });
  await survives(user, { expect: ['Good Hub', 'Linked Hub'], bad: 'zero.ini', reason: /not a regular file/ });
  if (IS_ROOT) {
    const c = await user.run(['hubs', 'check']);
    assert.match(both(c).split('\n').find((x) => x.includes('urandom.ini')) ?? '', /not a regular file/, show(c));
  }
});

fault('a 10 MB *.ini: refused as too large, quickly, without reading it all', async () => {
  const user = await userWith('ini-huge', (dir) => {
    // 10 MB on paper, sparse on disk: a header, then a hole.
    const file = path.join(dir, 'huge.ini');
    fs.writeFileSync(file, '[Huge Hub]\nurl = https://huge.example.com/\n');
    fs.truncateSync(file, 10 * 1024 * 1024);
  });
  await survives(user, { expect: ['Good Hub', 'Linked Hub'], bad: 'huge.ini', reason: /larger than 1048576 bytes/ });
});

fault('an *.ini rewritten (truncated, then written in pieces) while being read: every run ends 0 with sane hubs', async () => {
  const user = await userWith('ini-changing', () => {});
  const file = path.join(user.hubsDir, 'moving.ini');
  // Near 1 MiB, with multi-byte characters, so reads often catch it half written — or
  // cut in the middle of a character.
  const pad = `; ${'Café Zürich ünïcödé '.repeat(40)}\n`.repeat(1000).slice(0, 900 * 1024);
  const versions = [
    `[Moving Hub]\nurl = https://moving.example.com/\n${pad}`,
    `[Moving Hub]\nurl = https://moving.example.com/\n[Other Hub]\nurl = https://other.example.com/\n${pad}`,
  ];
  const writer = spawn(process.execPath, ['-e', `
    const fs = require('fs');
    const [file, a, b] = process.argv.slice(1);
    const vs = [a, b].map((v) => fs.readFileSync(v));
    let i = 0;
    setInterval(() => {
      const fd = fs.openSync(file, 'w'); // truncate, then write in 64 KiB pieces
      const v = vs[i++ % 2];
      for (let o = 0; o < v.length; o += 65536) fs.writeSync(fd, v, o, Math.min(65536, v.length - o));
      fs.closeSync(fd);
    }, 1);
  `, file, ...versions.map((v, i) => {
    const f = path.join(user.root, `version-${i}`);
    fs.writeFileSync(f, v);
    return f;
  })], { stdio: 'ignore' });
  try {
    const allowed = new Set(['Good Hub', 'Linked Hub', 'Moving Hub', 'Other Hub']);
    const seen = new Set();
    while (!fs.existsSync(file)) await new Promise((r) => { setTimeout(r, 10); });
    const firstChange = fs.statSync(file).mtimeMs;
    for (let i = 0; i < 25; i += 1) {
      const { r, took } = await timed(user, ['list', '--json'], { timeoutMs: 15_000 });
      assert.ok(took < 10_000, `run ${i}: list took ${took} ms`);
      assert.equal(r.code, 0, `run ${i}\n${show(r)}`);
      const got = JSON.parse(r.stdout).hubs.map((h) => h.name);
      for (const n of ['Good Hub', 'Linked Hub']) assert.ok(got.includes(n), `run ${i}: ${n} missing\n${show(r)}`);
      for (const n of got) assert.ok(allowed.has(n), `run ${i}: unexpected hub ${n}\n${show(r)}`);
      assert.doesNotMatch(r.stderr, /panicked|internal error/i, show(r));
      seen.add(`${got.sort().join('+')}${r.stderr ? ' (warned)' : ''}`);
    }
    assert.notEqual(fs.statSync(file).mtimeMs, firstChange, 'the file really changed meanwhile');
    process.stderr.write(`# outcomes seen while the file changed: ${[...seen].join(' | ')}\n`);
  } finally {
    writer.kill('SIGKILL');
  }
});
