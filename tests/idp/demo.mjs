#!/usr/bin/env node
// A demo IdP + hub on fixed ports for trying Hublink by hand.
// Ports: IDP_PORT (default 9400) and HUB_PORT (default 9401). Ctrl-C stops it.

import { startIdp } from './idp.mjs';

const idp = await startIdp({
  port: Number(process.env.IDP_PORT || 9400),
  hubPort: Number(process.env.HUB_PORT || 9401),
});
const alice = idp.users.find((u) => u.username === 'alice');
const otpauth = `otpauth://totp/Hublink%20Demo:alice?secret=${alice.totpSecret}&issuer=Hublink%20Demo&algorithm=SHA1&digits=6&period=30`;

console.log(`Hublink demo identity provider is running.

  Issuer (IdP):   ${idp.issuer}
  Hub:            ${idp.hubUrl}
  Session check:  ${idp.sessionCheckUrl}

  Demo user:      alice
  Password:       ${alice.password}
  TOTP secret:    ${alice.totpSecret}
  TOTP URI:       ${otpauth}
  (bob / bob-pass has no access to the hub; carol / carol-pass has no second factor.)
  Current code:   ${idp.totp('alice')}   (any authenticator app with the secret above works)

Authentication link:

  ${idp.link}

Press Ctrl-C to stop.`);

const stop = async () => {
  await idp.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
