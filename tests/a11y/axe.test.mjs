// axe-core (WCAG 2.1 A and AA) finds nothing on the welcome page, in every state a user meets,
// in the light and the dark colour scheme. Screenshots of each: target/screenshots/a11y-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SCHEMES, formatViolations, launchChromium, openPage, runAxe, screenshot, serveDist, settle } from './harness.mjs';
import { STATES } from './states.mjs';

let server;
let browser;
const tally = new Map(); // 'scheme rule' -> violating nodes, over all states

before(async () => {
  server = await serveDist();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (tally.size) console.log(`axe: violating elements by scheme and rule: ${[...tally].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
});

describe('axe-core, WCAG 2.1 AA, light and dark', () => {
  for (const state of STATES) {
    test(state.name, async () => {
      const page = await openPage(browser, server.url, state.fixture);
      try {
        await state.go(page);
        const failures = [];
        for (const scheme of SCHEMES) {
          await page.emulateMedia({ colorScheme: scheme });
          await settle(page);
          const violations = await runAxe(page);
          await screenshot(page, `${state.name}-${scheme}`);
          for (const v of violations) tally.set(`${scheme} ${v.id}`, (tally.get(`${scheme} ${v.id}`) ?? 0) + v.nodes.length);
          if (violations.length) failures.push(`${scheme}:\n${formatViolations(violations)}`);
        }
        assert.deepEqual(page.errors, [], 'errors in the page');
        assert.equal(failures.length, 0, `axe violations in state "${state.name}":\n${failures.join('\n')}`);
      } finally {
        await page.context().close();
      }
    });
  }
});
