#!/usr/bin/env node
// Standalone SAML IdP + two Qlik-like hubs (finance, sales) for web sign-in tests in any language.
// Usage: node websignin/server.mjs [--idp-port N] [--hub-port N] [--sales-port N] [--idle S]
//                                  [--max-sessions N] [--log] [--keep-running]
// Both hubs share --hub-port (like two virtual proxies of one Qlik server) unless --sales-port
// puts the sales hub on its own port. Prints ONE JSON line on stdout once listening:
//   {"idp":{url,entityId,ssoUrl,metadataUrl,controlUrl,users},
//    "hubs":[{name,url,prefix,cookieName,sessionCheckUrl,sessionCheckPath,link,controlUrl,...}],
//    "controlUrls":{"idp","finance","sales"}}
// Stops on SIGTERM/SIGINT, and by itself when the process that started it exits
// (unless --keep-running).

import { parseArgs } from 'node:util';

// Who started us, read before anything slow (key generation) so that a parent that dies
// during startup is still noticed below.
const PARENT = process.ppid;

import { startQlikHub } from './qlik-hub.mjs';
import { startSamlIdp } from './saml-idp.mjs';

const USAGE = 'usage: node websignin/server.mjs [--idp-port N] [--hub-port N] [--sales-port N] [--idle S] [--max-sessions N] [--log] [--keep-running]';

function usage(message) {
  process.stderr.write(`server.mjs: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      'idp-port': { type: 'string' },
      'hub-port': { type: 'string' },
      'sales-port': { type: 'string' },
      idle: { type: 'string' },
      'max-sessions': { type: 'string' },
      log: { type: 'boolean' },
      'keep-running': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }));
} catch (err) {
  usage(err.message);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const port = (name) => {
  const value = values[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`--${name} must be a port number`);
  return n;
};
const positive = (name, integer) => {
  const value = values[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) usage(`--${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
};

const idpPort = port('idp-port');
const hubPort = port('hub-port');
const salesPort = port('sales-port');
const idleTimeoutSeconds = positive('idle');
const maxSessions = positive('max-sessions', true);
const log = values.log || undefined;

let idp;
let hubs;
try {
  const { startSamlIdp } = await import('./saml-idp.mjs');
  const { startQlikHub } = await import('./qlik-hub.mjs');
  idp = await startSamlIdp({ port: idpPort, log });
  const common = { idp, idleTimeoutSeconds, maxSessions, log };
  const finance = await startQlikHub({ ...common, prefix: 'finance', port: hubPort });
  const sales = await startQlikHub({
    ...common,
    prefix: 'sales',
    ...(salesPort === undefined ? { host: finance.host } : { port: salesPort }),
  });
  hubs = [finance, sales];
} catch (err) {
  process.stderr.write(`server.mjs: cannot start: ${err.message}\n`);
  process.exit(1);
}

const info = idp.info();
process.stdout.write(`${JSON.stringify({
  idp: {
    url: info.url,
    entityId: info.entityId,
    ssoUrl: info.ssoUrl,
    metadataUrl: info.metadataUrl,
    controlUrl: info.controlUrl,
    users: info.users,
  },
  hubs: hubs.map((h) => h.info()),
  controlUrls: Object.fromEntries([['idp', idp.controlUrl], ...hubs.map((h) => [h.prefix, h.controlUrl])]),
})}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await Promise.all([...hubs.map((h) => h.stop()), idp.stop()]);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// A test runner that dies without stopping us must not leave the servers behind: once we
// are reparented, the process that started us is gone. --keep-running is for starting it by hand.
if (!values['keep-running']) {
  setInterval(() => {
    if (process.ppid !== PARENT) stop();
  }, 1000).unref();
}
