// Fault injection: HUBLINK_HOME itself. Read-only (a read-only bind mount as root, else
// chmod 0555 as a normal user), full (a 64 KiB tmpfs filled up, as root), a file size limit
// (`ulimit -f 0`), its registry lock held by a stopped process, a FIFO or garbage in place of
// hubs.json, a file where the folder should be. Each: a clear error naming the path and what
// to do, exit code 1 (or 0 where Hublink can go on), and what was saved before is intact.
//   node --test --test-concurrency=1 tests/faults/home.test.mjs

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';

import { BIN } from '../cli/harness.mjs';
import {
  assertFailure, faultSuite, faultUser, IS_ROOT, listJson, show, sleep, timed,
} from './harness.mjs';

const fault = faultSuite('home');
const link = (name) => `hublink://add?${new URLSearchParams({ url: `https://${name}.example.com/`, name })}`;
const names = (list) => list.hubs.map((h) => h.name).sort();
const mounts = [];
after(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', [m]);
    } catch { /* already gone */ }
  }
});

/** A user with hub A saved. */
async function withA(name) {
  const user = faultUser(name);
  const r = await user.run(['add', link('A'), '--yes']);
  assert.equal(r.code, 0, show(r));
  return user;
}

/** Leftovers of interrupted writes in `dir`. */
const temps = (dir) => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));

fault('read-only HUBLINK_HOME: add exits 1 naming the folder as read-only; list still works; A kept', async () => {
  const user = await withA('readonly');
  const before = fs.readFileSync(path.join(user.home, 'hubs.json'));
  if (IS_ROOT) {
    execFileSync('mount', ['--bind', user.home, user.home]);
    mounts.push(user.home);
    execFileSync('mount', ['-o', 'remount,ro,bind', user.home]);
  } else {
    fs.chmodSync(user.home, 0o555);
  }
  try {
    const { r, took } = await timed(user, ['add', link('B'), '--yes']);
    assertFailure(r, {
      code: 1, took, ms: 10_000, says: [new RegExp(user.home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
      next: IS_ROOT ? /read-only file system/ : /may not write/,
    });
    assert.deepEqual(names(await listJson(user)), ['A'], 'list works on a read-only home');
  } finally {
    if (IS_ROOT) {
      execFileSync('umount', [user.home]);
      mounts.pop();
    } else {
      fs.chmodSync(user.home, 0o700);
    }
  }
  assert.deepEqual(fs.readFileSync(path.join(user.home, 'hubs.json')), before, 'hubs.json untouched');
  const again = await user.run(['add', link('B'), '--yes']);
  assert.equal(again.code, 0, show(again));
  assert.deepEqual(names(await listJson(user)), ['A', 'B']);
});

fault('full disk (64 KiB tmpfs): add exits 1 "no space" with "free some space"; A kept; no temp left', async (t) => {
  if (!IS_ROOT) return t.skip('mounting a tmpfs needs root');
  const user = faultUser('full');
  const mnt = path.join(user.root, 'small');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt]);
  mounts.push(mnt);
  try {
    await onFullDisk(user, mnt);
  } finally {
    execFileSync('umount', [mnt]);
    mounts.pop();
  }
});

async function onFullDisk(user, mnt) {
  user.env.HUBLINK_HOME = path.join(mnt, 'home');
  const home = user.env.HUBLINK_HOME;
  assert.equal((await user.run(['add', link('A'), '--yes'])).code, 0);
  const before = fs.readFileSync(path.join(home, 'hubs.json'));
  // Fill the disk to the last byte.
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${path.join(mnt, 'filler')}`, 'bs=1k', 'count=1000'], { stdio: 'ignore' });
  } catch { /* "No space left on device" is the point */ }
  const { r, took } = await timed(user, ['add', link('B'), '--yes']);
  assertFailure(r, { code: 1, took, ms: 10_000, says: [/No space left on device/], next: /Free some space/ });
  assert.deepEqual(fs.readFileSync(path.join(home, 'hubs.json')), before, 'hubs.json untouched');
  assert.deepEqual(temps(home), [], 'no temp file left');
  assert.deepEqual(names(await listJson(user)), ['A']);
  fs.rmSync(path.join(mnt, 'filler'));
  assert.equal((await user.run(['add', link('B'), '--yes'])).code, 0, 'works once there is space');
  assert.deepEqual(names(await listJson(user)), ['A', 'B']);
}

fault('a file size limit (ulimit -f 0): add exits 1 "file too large" instead of dying of SIGXFSZ; A kept', async () => {
  const user = await withA('ulimit');
  const before = fs.readFileSync(path.join(user.home, 'hubs.json'));
  const r = await new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'ulimit -f 0; exec "$0" "$@"', BIN, 'add', link('B'), '--yes'], {
      env: user.env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  assert.equal(r.signal, null, `killed by ${r.signal}\n${show(r)}`);
  assertFailure(r, { code: 1, says: [/File too large/], next: /Free some space|file size limit/ });
  assert.deepEqual(fs.readFileSync(path.join(user.home, 'hubs.json')), before, 'hubs.json untouched');
  assert.deepEqual(names(await listJson(user)), ['A']);
});

fault('registry lock held by a stuck process: list still answers; add exits 1 "busy" in ~10 s, not a hang', async () => {
  const user = await withA('lock');
  const lock = path.join(user.home, 'locks', 'registry.lock');
  // flock(1) takes the same flock(2) lock hublink does, then "hangs" (sleeps) holding it.
  const holder = spawn('flock', ['--no-fork', lock, 'sleep', '60'], { stdio: 'ignore' });
  try {
    await sleep(300);
    const l = await timed(user, ['list', '--json'], { timeoutMs: 30_000 });
    assert.ok(l.took < 5_000, `list waited ${l.took} ms for the lock`);
    assert.deepEqual(names(JSON.parse(l.r.stdout)), ['A'], show(l.r));
    const { r, took } = await timed(user, ['add', link('B'), '--yes'], { timeoutMs: 30_000 });
    assertFailure(r, { code: 1, took, ms: 20_000, says: [/busy/, /registry\.lock/], next: /Nothing was changed/ });
  } finally {
    holder.kill('SIGKILL');
  }
  await sleep(200);
  assert.deepEqual(names(await listJson(user)), ['A'], 'A kept, B not half-added');
  assert.equal((await user.run(['add', link('B'), '--yes'])).code, 0, 'add works once the lock is free');
});

fault('a FIFO in place of hubs.json: list does not hang; it is set aside (kept) and reported', async () => {
  const user = faultUser('fifo-registry');
  fs.mkdirSync(user.home, { recursive: true });
  execFileSync('mkfifo', [path.join(user.home, 'hubs.json')]);
  const { r, took } = await timed(user, ['list', '--json'], { timeoutMs: 15_000 });
  assert.ok(took < 10_000, `took ${took} ms`);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stderr, /could not be read .*not a regular file.*kept as/, show(r));
  const kept = fs.readdirSync(user.home).filter((f) => f.startsWith('hubs.json.corrupt-'));
  assert.equal(kept.length, 1, 'the FIFO is kept, renamed');
  assert.equal((await user.run(['add', link('A'), '--yes'])).code, 0);
});

fault('a truncated hubs.json: set aside and kept byte for byte, reported once; hubs.ini hubs unaffected', async () => {
  const user = await withA('truncated');
  fs.writeFileSync(path.join(user.hubsDir, 'admin.ini'), '[Admin Hub]\nurl = https://admin.example.com/\n');
  const file = path.join(user.home, 'hubs.json');
  const cut = fs.readFileSync(file).subarray(0, 40);
  fs.writeFileSync(file, cut);
  const r = await user.run(['list', '--json']);
  assert.equal(r.code, 0, show(r));
  assert.deepEqual(names(JSON.parse(r.stdout)), ['Admin Hub']);
  const kept = fs.readdirSync(user.home).filter((f) => f.startsWith('hubs.json.corrupt-'));
  assert.equal(kept.length, 1, show(r));
  assert.deepEqual(fs.readFileSync(path.join(user.home, kept[0])), cut, 'kept byte for byte');
  assert.match(r.stderr, new RegExp(kept[0]), 'the warning names where it was kept');
  const again = await user.run(['list', '--json']);
  assert.doesNotMatch(again.stderr, /could not be read/, 'reported once, not on every command');
});

fault('HUBLINK_HOME is a file: add exits 1 naming it; the file is untouched', async () => {
  const user = faultUser('home-file');
  fs.writeFileSync(user.home, 'not a folder\n');
  const { r, took } = await timed(user, ['add', link('A'), '--yes']);
  assertFailure(r, { code: 1, took, ms: 10_000, says: [new RegExp(path.basename(user.home))] });
  assert.equal(fs.readFileSync(user.home, 'utf8'), 'not a folder\n');
});
