#!/usr/bin/env node
// Completes a device-flow sign-in on the test IdP in headless Chromium.
// Usage: device.mjs <verification_uri_complete | verification_uri> [user_code]
// Same environment variables as signin.mjs.

import { main, runFlow, UsageError } from './common.mjs';

main('device', ([url, userCode, ...rest]) => {
  if (!url || !/^https?:\/\//i.test(url) || rest.length) {
    throw new UsageError('usage: device.mjs <verification_uri_complete | verification_uri> [user_code]');
  }
  return { url, userCode };
}, (page, opts, log, { url, userCode }) => runFlow(page, url, opts, log, { userCode }));
