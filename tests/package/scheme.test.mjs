// The hublink: scheme registered at run time (a dev build, an AppImage): the app's first run
// writes $XDG_DATA_HOME/applications/hublink-desktop-handler.desktop with an unquoted Exec and
// makes it the default; then Debian's plain xdg-open — no desktop environment, no
// XDG_CURRENT_DESKTOP — starts the app with the link.
//
// Runs the debug build (HUBLINK_DESKTOP_BIN, default target/debug/hublink-desktop) under Xvfb,
// inside tests/with-keyring.sh (one D-Bus session: single-instance hands links over on it):
//   tests/with-keyring.sh xvfb-run -a node --test tests/package/scheme.test.mjs

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { APP, launchApp, newDesktopUser } from '../desktop/harness.mjs';
import { exampleLink, plainXdgEnv, processesOf, run, start, stopAll, waitFor } from './common.mjs';

const HANDLER = 'hublink-desktop-handler.desktop';

describe('run-time registration of hublink: (debug build, plain xdg-open)', () => {
  const user = newDesktopUser('scheme');
  // Fresh data and config folders: the handler file and mimeapps.list land there. No system
  // data folder of this machine can declare the scheme for this binary.
  user.env.XDG_DATA_HOME = path.join(user.dir, 'data');
  user.env.XDG_CONFIG_HOME = path.join(user.dir, 'config');
  user.env.XDG_DATA_DIRS = '/usr/local/share:/usr/share';
  const handlerFile = path.join(user.env.XDG_DATA_HOME, 'applications', HANDLER);

  before(() => {
    assert.ok(fs.existsSync(APP), `${APP} is missing: cargo build -p hublink-desktop`);
    assert.ok(process.env.DISPLAY, 'run under xvfb-run');
  });
  after(async () => {
    await stopAll(APP, user.env.HUBLINK_HOME);
  });

  test('control: with the file tauri-plugin-deep-link writes (quoted Exec), plain xdg-open fails', async () => {
    fs.mkdirSync(path.dirname(handlerFile), { recursive: true });
    fs.writeFileSync(handlerFile, `[Desktop Entry]\nType=Application\nName=Hublink\nExec="${APP}" %u\nTerminal=false\nMimeType=x-scheme-handler/hublink\nNoDisplay=true\n`);
    assert.equal(run('xdg-mime', ['default', HANDLER, 'x-scheme-handler/hublink'], { env: plainXdgEnv(user.env) }).code, 0);
    const opened = run('xdg-open', [exampleLink('Quoted')], { env: plainXdgEnv(user.env), timeoutMs: 30_000 });
    assert.notEqual(opened.code, 0, `xdg-open unexpectedly succeeded: ${opened.stdout}${opened.stderr}`);
    assert.equal(processesOf(APP, user.env.HUBLINK_HOME).length, 0);
  });

  test('the first run replaces it: an unquoted Exec with %u, and the default handler', async () => {
    const app = start(APP, [], { env: user.env });
    try {
      await waitFor('the registration log line', () => /registered as the handler of hublink: links/.test(app.text), 30_000);
    } finally {
      await stopAll(APP, user.env.HUBLINK_HOME);
    }
    const text = fs.readFileSync(handlerFile, 'utf8');
    assert.match(text, new RegExp(`^Exec=${APP.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} %u$`, 'm'), text);
    assert.doesNotMatch(text, /Exec="/);
    assert.match(text, /^MimeType=x-scheme-handler\/hublink;$/m);
    const valid = run('desktop-file-validate', [handlerFile]);
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    const query = run('xdg-mime', ['query', 'default', 'x-scheme-handler/hublink'], { env: plainXdgEnv(user.env) });
    assert.equal(query.stdout.trim(), HANDLER);
  });

  test('a link opened while the app runs: xdg-open exits 0 and the window shows the confirmation', async () => {
    const app = await launchApp(user);
    try {
      const link = exampleLink('X');
      const opened = run('xdg-open', [link], { env: plainXdgEnv(user.env), timeoutMs: 60_000 });
      assert.equal(opened.code, 0, `xdg-open: ${opened.stdout}${opened.stderr}`);
      await app.session.waitForVisible('#confirm-dialog');
      assert.equal(await (await app.session.$('#confirm-name')).text(), 'X');
      assert.match(await (await app.session.$('#confirm-host')).text(), /hub\.example\.com/);
      await (await app.session.$('#confirm-cancel')).click();
    } finally {
      await app.stop();
    }
  });

  test('a link when the app is not running: xdg-open starts it with the link as its argument', async () => {
    const link = exampleLink('X');
    const opener = start('xdg-open', [link], { env: plainXdgEnv(user.env) });
    try {
      const proc = await waitFor('the app started by xdg-open', () => processesOf(APP, user.env.HUBLINK_HOME)[0], 30_000);
      assert.deepEqual(proc.argv, [APP, link]);
      // The started app ran its setup (it logs to xdg-open's output, which it inherits).
      await waitFor('the app log', () => /registered as the handler of hublink: links/.test(opener.text), 30_000);
    } finally {
      await stopAll(APP, user.env.HUBLINK_HOME);
      await opener.exited;
    }
  });
});
