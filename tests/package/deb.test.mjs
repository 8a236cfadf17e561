// The Linux packages as a user and an administrator meet them. Builds nothing: takes the .deb
// and .rpm that scripts/package.sh left in target/packages/.
//
// .deb (as root): apt-get install; the desktop file, icon, CLI and /etc/hublink; the default
// handler of hublink: without any per-user registration; Debian's plain xdg-open (no desktop
// environment) starts the installed release build with the link, and its window shows the
// confirmation (WebDriver through tauri-driver); apt-get remove keeps users' data and the
// administrator's files; the machine is left as it was found (package purged).
// .rpm: its contents and scripts, listed with rpm -qlp / --scripts.
//
//   tests/with-keyring.sh xvfb-run -a node --test tests/package/deb.test.mjs

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PACKAGES, exampleLink, plainXdgEnv, processesOf, run, screenshotRoot, start, stopAll, waitFor } from './common.mjs';

const INSTALLED_APP = '/usr/bin/hublink-desktop';
const INSTALLED_CLI = '/usr/bin/hublink';
const DESKTOP_FILE = '/usr/share/applications/Hublink.desktop';
const ICON = '/usr/share/icons/hicolor/512x512/apps/hublink-desktop.png';
// The WebDriver harness starts the app named here; it must be the installed one.
process.env.HUBLINK_DESKTOP_BIN = INSTALLED_APP;
const { launchApp, newDesktopUser } = await import('../desktop/harness.mjs');

function onePackage(re) {
  const found = fs.existsSync(PACKAGES) ? fs.readdirSync(PACKAGES).filter((f) => re.test(f)) : [];
  assert.equal(found.length, 1, `expected one ${re} in ${PACKAGES} (run scripts/package.sh): ${found}`);
  return path.join(PACKAGES, found[0]);
}

const dpkgStatus = (pkg) => run('dpkg-query', ['-W', '-f=${Status}', pkg]).stdout.trim();

describe('the .deb', { skip: process.getuid?.() !== 0 && 'installing a package needs root' }, () => {
  let deb;
  const user = newDesktopUser('deb');
  user.env.XDG_DATA_HOME = path.join(user.dir, 'data');
  user.env.XDG_CONFIG_HOME = path.join(user.dir, 'config');
  delete user.env.XDG_DATA_DIRS;
  const etcExisted = fs.existsSync('/etc/hublink');

  before(() => {
    deb = onePackage(/^hublink_.*\.deb$/);
    assert.ok(!/^install ok installed$/.test(dpkgStatus('hublink')), 'hublink is already installed on this machine: remove it first (apt-get purge hublink)');
    assert.ok(process.env.DISPLAY, 'run under xvfb-run');
  });

  after(async () => {
    await stopAll(INSTALLED_APP, user.env.HUBLINK_HOME);
    // Leave the machine as it was found.
    if (dpkgStatus('hublink') !== '') run('apt-get', ['purge', '-y', '-qq', 'hublink'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (!etcExisted) fs.rmSync('/etc/hublink', { recursive: true, force: true });
  });

  test('apt-get install -y ./hublink_*.deb', () => {
    const r = run('apt-get', ['install', '-y', '-qq', deb], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 600_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(dpkgStatus('hublink'), 'install ok installed');
  });

  test('installs the app, the CLI, the desktop file, an icon and an empty /etc/hublink', () => {
    const files = run('dpkg', ['-L', 'hublink']).stdout.split('\n');
    for (const f of [INSTALLED_APP, INSTALLED_CLI, DESKTOP_FILE, ICON]) {
      assert.ok(files.includes(f), `dpkg -L hublink lacks ${f}`);
      assert.ok(fs.existsSync(f), `${f} is not on disk`);
    }
    assert.ok(fs.statSync(INSTALLED_CLI).mode & 0o111, 'the CLI is executable');
    assert.ok(fs.statSync('/etc/hublink').isDirectory());
    if (!etcExisted) assert.deepEqual(fs.readdirSync('/etc/hublink'), []);
  });

  test('the desktop file: valid, the scheme as MimeType, an unquoted Exec with %u', () => {
    const text = fs.readFileSync(DESKTOP_FILE, 'utf8');
    assert.match(text, /^MimeType=x-scheme-handler\/hublink;$/m);
    assert.match(text, /^Exec=\/usr\/bin\/hublink-desktop %u$/m);
    assert.match(text, /^Icon=hublink-desktop$/m);
    const v = run('desktop-file-validate', [DESKTOP_FILE]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    // postinst updated the desktop database.
    assert.match(fs.readFileSync('/usr/share/applications/mimeinfo.cache', 'utf8'), /^x-scheme-handler\/hublink=(.*;)?Hublink\.desktop;/m);
  });

  test('xdg-mime names Hublink’s desktop file as the handler (a user who never ran it, no desktop environment)', () => {
    const r = run('xdg-mime', ['query', 'default', 'x-scheme-handler/hublink'], { env: plainXdgEnv(user.env) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'Hublink.desktop');
  });

  test('hublink --version runs from the PATH', () => {
    const r = run('hublink', ['--version'], { env: { ...user.env, PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^hublink \d+\.\d+\.\d+/);
  });

  test('plain xdg-open starts the installed app with the link (cold start); no per-user registration is written', async () => {
    const link = exampleLink('X');
    const opener = start('xdg-open', [link], { env: plainXdgEnv(user.env) });
    try {
      const proc = await waitFor('the installed app started by xdg-open', () => processesOf(INSTALLED_APP, user.env.HUBLINK_HOME)[0], 30_000);
      assert.deepEqual(proc.argv, [INSTALLED_APP, link]);
      await waitFor('the app log', () => /handled through the installed \/usr\/share\/applications\/Hublink\.desktop/.test(opener.text), 30_000);
      await new Promise((r) => setTimeout(r, 2000));
      screenshotRoot('package-cold-start');
    } finally {
      await stopAll(INSTALLED_APP, user.env.HUBLINK_HOME);
      await opener.exited;
    }
    assert.ok(!fs.existsSync(path.join(user.env.XDG_DATA_HOME, 'applications/hublink-desktop-handler.desktop')), 'the installed app wrote a per-user handler');
  });

  test('the installed release build under WebDriver: a link from plain xdg-open shows its confirmation', async () => {
    const app = await launchApp(user);
    try {
      const link = exampleLink('X');
      const opened = run('xdg-open', [link], { env: plainXdgEnv(user.env), timeoutMs: 60_000 });
      assert.equal(opened.code, 0, `xdg-open: ${opened.stdout}${opened.stderr}`);
      await app.session.waitForVisible('#confirm-dialog');
      assert.equal(await (await app.session.$('#confirm-name')).text(), 'X');
      assert.match(await (await app.session.$('#confirm-host')).text(), /hub\.example\.com/);
      const shots = process.env.HUBLINK_SCREENSHOTS ?? path.join(path.dirname(PACKAGES), 'screenshots');
      fs.mkdirSync(shots, { recursive: true });
      fs.writeFileSync(path.join(shots, 'package-confirmation.png'), await app.session.screenshot());
    } finally {
      await app.stop();
    }
  });

  test('apt-get remove: the app, the CLI and the desktop file go; users’ data and the administrator’s files stay', () => {
    // A user's state, written by the installed CLI.
    const add = run('hublink', ['add', exampleLink('Kept Hub'), '--yes'], { env: { ...user.env, HUBLINK_INSECURE_STORAGE: '1' } });
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const home = user.env.HUBLINK_HOME;
    const before = fs.readdirSync(home, { recursive: true }).sort();
    assert.ok(before.length > 0, 'the CLI wrote nothing to HUBLINK_HOME');
    const adminFile = '/etc/hublink/hubs.ini';
    if (!etcExisted) fs.writeFileSync(adminFile, '[Admin Hub]\nurl = https://admin.example.com/\n');

    const r = run('apt-get', ['remove', '-y', '-qq', 'hublink'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const f of [INSTALLED_APP, INSTALLED_CLI, DESKTOP_FILE, ICON]) assert.ok(!fs.existsSync(f), `${f} is still there`);
    assert.equal(run('sh', ['-c', 'command -v hublink']).stdout.trim(), '');
    assert.deepEqual(fs.readdirSync(home, { recursive: true }).sort(), before, 'HUBLINK_HOME changed');
    if (!etcExisted) {
      assert.equal(fs.readFileSync(adminFile, 'utf8'), '[Admin Hub]\nurl = https://admin.example.com/\n');
      fs.rmSync('/etc/hublink', { recursive: true });
    }
    assert.doesNotMatch(fs.readFileSync('/usr/share/applications/mimeinfo.cache', 'utf8'), /x-scheme-handler\/hublink=/);
  });

  test('purge after remove leaves no trace (an empty /etc/hublink goes with it)', () => {
    if (!etcExisted) fs.mkdirSync('/etc/hublink');
    const r = run('apt-get', ['purge', '-y', '-qq', 'hublink'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(dpkgStatus('hublink'), '');
    if (!etcExisted) assert.ok(!fs.existsSync('/etc/hublink'));
  });
});

describe('the .rpm', { skip: !run('sh', ['-c', 'command -v rpm']).stdout && 'rpm is not installed (apt-get install rpm)' }, () => {
  let rpm;
  before(() => {
    rpm = onePackage(/^hublink-.*\.rpm$/);
  });

  test('rpm -qlp lists the app, the CLI, the desktop file and the icon', () => {
    const r = run('rpm', ['-qlp', rpm]);
    assert.equal(r.code, 0, r.stderr);
    const files = r.stdout.split('\n');
    for (const f of [INSTALLED_APP, INSTALLED_CLI, DESKTOP_FILE, ICON]) assert.ok(files.includes(f), `rpm -qlp lacks ${f}:\n${r.stdout}`);
  });

  test('name, scripts and requirements', () => {
    assert.equal(run('rpm', ['-qp', '--qf', '%{NAME}', rpm]).stdout, 'hublink');
    const scripts = run('rpm', ['-qp', '--scripts', rpm]).stdout;
    assert.match(scripts, /postinstall scriptlet[\s\S]*install -d -m 0755 \/etc\/hublink[\s\S]*update-desktop-database/);
    assert.match(scripts, /postuninstall scriptlet[\s\S]*rmdir \/etc\/hublink/);
    const requires = run('rpm', ['-qp', '--requires', rpm]).stdout;
    assert.match(requires, /libwebkit2gtk-4\.1\.so\.0/);
  });

  test('its desktop file is the same as the .deb’s: the scheme and an unquoted Exec with %u', () => {
    const text = desktopFileFromRpm(rpm);
    assert.match(text, /^MimeType=x-scheme-handler\/hublink;$/m);
    assert.match(text, /^Exec=\/usr\/bin\/hublink-desktop %u$/m);
  });
});

/** /usr/share/applications/Hublink.desktop out of the .rpm: rpm2cpio, then the newc archive read here. */
function desktopFileFromRpm(rpm) {
  // Debian's rpm2cpio (rpm 4.18) exits 1 on this package although the archive it writes is
  // whole (rpm -K: digests OK); the archive is checked down to its trailer instead.
  const r = spawnSync('rpm2cpio', [rpm], { maxBuffer: 1 << 30 });
  const cpio = r.stdout;
  assert.ok(cpio?.length > 110, `rpm2cpio ${rpm}: ${r.status} ${r.stderr}`);
  assert.equal(run('rpm', ['-K', rpm]).code, 0, 'rpm -K: digests');
  let off = 0;
  while (off + 110 <= cpio.length) {
    const header = cpio.subarray(off, off + 110).toString('latin1');
    assert.equal(header.slice(0, 6), '070701', 'a newc cpio archive');
    const size = parseInt(header.slice(54, 62), 16);
    const nameSize = parseInt(header.slice(94, 102), 16);
    const name = cpio.subarray(off + 110, off + 110 + nameSize - 1).toString('utf8');
    const dataStart = off + Math.ceil((110 + nameSize) / 4) * 4;
    if (name === 'TRAILER!!!') break;
    if (name.replace(/^\.?\//, '') === DESKTOP_FILE.slice(1)) return cpio.subarray(dataStart, dataStart + size).toString('utf8');
    off = dataStart + Math.ceil(size / 4) * 4;
  }
  throw new Error(`${DESKTOP_FILE} is not in ${rpm}`);
}
