#!/usr/bin/env node
// HUBLINK_BROWSER for tests: signs in on the test IdP in headless Chromium.
// Usage: signin.mjs [ignored args...] <sign-in URL>
// Env: HUBLINK_TEST_USER, HUBLINK_TEST_PASSWORD, HUBLINK_TEST_TOTP_SECRET,
//      HUBLINK_TEST_ACTION (approve|deny|wrong-password|wrong-totp|none),
//      HUBLINK_TEST_BROWSER_LOG, HUBLINK_TEST_SCREENSHOT; see readEnv() in common.mjs.

import { main, runFlow, UsageError } from './common.mjs';

main('signin', (argv) => {
  const url = argv.at(-1);
  if (!url || !/^https?:\/\//i.test(url)) {
    throw new UsageError('usage: signin.mjs <sign-in URL> (the URL must be the last argument)');
  }
  return { url };
}, (page, opts, log, { url }) => runFlow(page, url, opts, log));
