#!/usr/bin/env node
// Standalone test IdP + hub for tests in any language.
// Usage: node idp/server.mjs [--port N] [--hub-port N] [--https CERT KEY] [--state-file F] [--log] [--keep-running]
// Prints ONE JSON line on stdout once listening:
//   {"issuer","hubUrl","sessionCheckUrl","clientId","link","controlUrl","users":[{username,password,totpSecret,hubAccess}]}
// and serves the control API under <issuer>/__test/ (see control.mjs).
// Stops on SIGTERM/SIGINT, and by itself when the process that started it exits
// (unless --keep-running). --state-file keeps keys, sessions and tokens across restarts.

import fs from 'node:fs';
import { parseArgs } from 'node:util';

import { startIdp } from './idp.mjs';

function usage(message) {
  process.stderr.write(`server.mjs: ${message}\n`
    + 'usage: node idp/server.mjs [--port N] [--hub-port N] [--https CERT KEY] [--state-file F] [--log] [--keep-running]\n');
  process.exit(2);
}

const port = (value, name) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) usage(`${name} must be a port number`);
  return n;
};

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      'hub-port': { type: 'string' },
      https: { type: 'string' }, // CERT; KEY is the next positional
      'state-file': { type: 'string' },
      log: { type: 'boolean' },
      'keep-running': { type: 'boolean' },
    },
  });
} catch (err) {
  usage(err.message);
}
const { values, positionals } = parsed;

let httpsOpts;
if (values.https) {
  const key = positionals.shift();
  if (!key) usage('--https needs CERT and KEY');
  try {
    httpsOpts = { cert: fs.readFileSync(values.https), key: fs.readFileSync(key) };
  } catch (err) {
    usage(`cannot read the certificate or key: ${err.message}`);
  }
}
if (positionals.length) usage(`unexpected argument ${positionals[0]}`);

let idp;
try {
  idp = await startIdp({
    port: port(values.port, '--port'),
    hubPort: port(values['hub-port'], '--hub-port'),
    https: httpsOpts,
    stateFile: values['state-file'],
    log: values.log || undefined,
    control: true,
  });
} catch (err) {
  process.stderr.write(`server.mjs: cannot start: ${err.message}\n`);
  process.exit(1);
}

process.stdout.write(`${JSON.stringify(idp.info())}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await idp.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// A test runner that dies without stopping us (Rust's Child is not killed on
// drop) must not leave the server behind: once we are reparented, the process
// that started us is gone. --keep-running is for starting it detached by hand.
if (!values['keep-running']) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
}
