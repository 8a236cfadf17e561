// The organisation's policy as a user meets it in the real hublink-desktop window (under Xvfb,
// through tauri-driver): the "Managed by your organization" banner, no way to add hubs when
// `AllowUserHubs` is off (a link from the OS is refused, naming the rule), and signed links
// ("Issued by your organization", or the warning for a tampered one). Debug builds read the
// machine-wide folder (policy.json, hubs.ini) from HUBLINK_MACHINE_DIR. Screenshots land in
// target/screenshots.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { APP, CLI, launchApp, newDesktopUser, runWith, saveScreenshot } from './harness.mjs';

/** A desktop user on a computer whose machine-wide folder holds `policy` (and `hubsIni`). */
function managedUser(name, policy, hubsIni = null) {
  const user = newDesktopUser(name);
  const machine = path.join(user.dir, 'machine');
  fs.mkdirSync(machine, { recursive: true });
  fs.writeFileSync(path.join(machine, 'policy.json'), JSON.stringify(policy));
  if (hubsIni) fs.writeFileSync(path.join(machine, 'company.ini'), hubsIni);
  user.env.HUBLINK_MACHINE_DIR = machine;
  return user;
}

const LINK = 'hublink://add?url=https://hub.example.com/&name=Payroll';

/** Is the element laid out (not hidden by itself or by an ancestor)? */
const shown = (session, css) =>
  session.execute('const e = document.querySelector(arguments[0]); return !!e && e.getClientRects().length > 0', css);
const text = (session, css) => session.execute('return document.querySelector(arguments[0])?.textContent ?? null', css);

/** WCAG contrast of an element's text against the banner's background. */
async function bannerContrast(session, css) {
  const [fg, bg] = await session.execute(
    'return [getComputedStyle(document.querySelector(arguments[0])).color, getComputedStyle(document.getElementById("managed-banner")).backgroundColor]',
    css,
  );
  const lum = (rgb) => {
    const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return { ratio: (hi + 0.05) / (lo + 0.05), fg, bg };
}

describe('AllowUserHubs off', () => {
  test('the banner shows, there is no way to add a hub, and a link from the OS is refused naming the rule', async () => {
    const user = managedUser('policy-refused', { AllowUserHubs: false });
    const app = await launchApp(user, { args: [LINK] });
    try {
      const { session } = app;
      // The link still reaches the backend, and its refusal is shown with the next step.
      await session.waitForVisible('#add-error');
      const error = await text(session, '#add-error');
      assert.match(error, /not allowed by your organization/i);
      assert.match(error, /`AllowUserHubs`/);
      assert.match(error, /What to do:.*administrator/);
      assert.equal(await session.execute('return document.getElementById("link-input").value'), LINK);
      assert.equal(await shown(session, '#link-submit'), false, 'no "Continue" that could only be refused again');
      await saveScreenshot(session, 'policy-refused-link');

      await (await session.$('#add-cancel')).click();
      await session.waitFor('the Add dialog to close', async () => !(await shown(session, '#add-dialog')));
      assert.equal(await shown(session, '#managed-banner'), true);
      assert.equal(await session.execute('return document.getElementById("managed-banner").getAttribute("role")'), 'status');
      assert.match(await text(session, '#managed-banner'), /Managed by your organization.*provided by your administrator/s);
      assert.equal(await shown(session, '#add-link'), false, 'no "Add authentication link" button');
      assert.equal(await shown(session, '#empty-add'), false);
      assert.equal(await shown(session, '#empty-state'), true);
      assert.match(await text(session, '#empty-state'), /your administrator sets them up/);
      for (const css of ['#managed-banner strong', '#managed-detail']) {
        const c = await bannerContrast(session, css);
        assert.ok(c.ratio >= 4.5, `${css}: ${c.fg} on ${c.bg} is ${c.ratio.toFixed(2)}:1`);
      }
      await saveScreenshot(session, 'policy-managed-empty');
    } finally {
      await app.stop();
    }
  });

  test('dark desktop: the administrator\'s hubs from the machine-wide hubs.ini, and the banner readable', async () => {
    const user = managedUser('policy-dark', { AllowUserHubs: false }, '[Company Hub]\nurl = http://127.0.0.1:9/company/\n');
    const app = await launchApp(user, { env: { GTK_THEME: 'Adwaita:dark' } });
    try {
      const { session } = app;
      assert.equal(await session.execute('return matchMedia("(prefers-color-scheme: dark)").matches'), true);
      const cardEl = await session.waitForVisible('[data-hub-name="Company Hub"]');
      assert.match(await cardEl.text(), /from your administrator/);
      assert.equal(await shown(session, '#managed-banner'), true);
      assert.equal(await shown(session, '#add-link'), false);
      for (const css of ['#managed-banner strong', '#managed-detail']) {
        const c = await bannerContrast(session, css);
        assert.ok(c.ratio >= 4.5, `${css}: ${c.fg} on ${c.bg} is ${c.ratio.toFixed(2)}:1`);
      }
      await session.waitFor('the check to end', async () => (await cardEl.attr('data-state')) !== 'checking', 15_000);
      await saveScreenshot(session, 'policy-managed-dark');
    } finally {
      await app.stop();
    }
  });
});

describe('signed links', () => {
  test('a link signed with the organisation\'s key is "Issued by your organization"; a tampered copy gets the warning', async () => {
    const keys = newDesktopUser('policy-keys');
    const keyDir = path.join(keys.dir, 'keys');
    fs.mkdirSync(keyDir);
    const keygen = await runWith(keys, CLI, ['link', 'keygen', keyDir]);
    assert.equal(keygen.code, 0, keygen.stderr);
    const pub = fs.readFileSync(path.join(keyDir, 'hublink-link-signing.pub'), 'utf8').trim();
    assert.ok(keygen.stdout.includes(pub), keygen.stdout);
    const signing = await runWith(keys, CLI, [
      'link', '--url', 'https://hub.example.com/', '--name', 'Signed Hub', '--sign', path.join(keyDir, 'hublink-link-signing.key'),
    ]);
    assert.equal(signing.code, 0, signing.stderr);
    const signed = signing.stdout.trim().split('\n').find((l) => l.startsWith('hublink://'));
    assert.match(signed ?? '', /[?&]sig=/, signing.stdout);
    const tampered = signed.replace(/([?&]name=)[^&]*/, `$1${encodeURIComponent('Signed Hub (changed)')}`);
    assert.notEqual(tampered, signed);

    const user = managedUser('policy-signed', { LinkSigningKeys: [pub] });
    const app = await launchApp(user, { args: [signed] });
    try {
      const { session } = app;
      await session.waitForVisible('#confirm-dialog');
      assert.equal(await text(session, '#confirm-name'), 'Signed Hub');
      assert.equal(await shown(session, '#confirm-issued'), true);
      assert.match(await text(session, '#confirm-issued'), /Issued by your organization/);
      assert.equal(await shown(session, '#confirm-signature-problem'), false);
      assert.equal(await shown(session, '#managed-banner'), true, 'a policy with any rule is a managed computer');
      assert.equal(await shown(session, '#add-link'), true, 'AllowUserHubs is not turned off');
      await saveScreenshot(session, 'policy-signed-link');
      await (await session.$('#confirm-cancel')).click();
      await session.waitFor('the confirmation to close', async () => !(await shown(session, '#confirm-dialog')));

      // The same link with another name: the signature no longer matches.
      const second = await runWith(user, APP, [tampered]);
      assert.equal(second.code, 0, `second instance: ${second.stderr}`);
      await session.waitForVisible('#confirm-signature-problem');
      assert.equal(await text(session, '#confirm-name'), 'Signed Hub (changed)');
      assert.match(await text(session, '#confirm-signature-text'), /^The link's signature is not valid: .*changed/);
      assert.equal(await shown(session, '#confirm-issued'), false);
      assert.equal(await text(session, '#confirm-add'), 'Add anyway');
      await saveScreenshot(session, 'policy-tampered-link');
      await (await session.$('#confirm-cancel')).click();
    } finally {
      await app.stop();
    }
  });
});

describe('a broken policy', () => {
  test('fails closed, but visibly: the window opens and says what is wrong and who must act', async () => {
    const user = managedUser('policy-broken', {});
    const file = path.join(user.env.HUBLINK_MACHINE_DIR, 'policy.json');
    fs.writeFileSync(file, '{"RequireMfa": true}');
    const app = await launchApp(user);
    try {
      const { session } = app;
      await session.waitForVisible('#load-error');
      const error = await text(session, '#load-error');
      assert.match(error, /policy cannot be read/i);
      assert.ok(error.includes(file), error);
      assert.match(error, /`RequireMfa` is not a policy rule/);
      assert.match(error, /administrator/);
      assert.equal(await session.execute('return document.querySelectorAll(".hub-card").length'), 0, 'no hub is usable');
      await saveScreenshot(session, 'policy-broken');
    } finally {
      await app.stop();
    }
  });
});
