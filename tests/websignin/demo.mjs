#!/usr/bin/env node
// The demo's SAML side for trying Hublink's web sign-in by hand: a SAML IdP with TOTP on
// 127.0.0.2:WEB_IDP_PORT (default 9402) and a Qlik-like hub behind it on
// 127.0.0.1:WEB_HUB_PORT (default 9403), whose session is its own cookie. Ctrl-C stops it.

import { startQlikHub } from './qlik-hub.mjs';
import { startSamlIdp } from './saml-idp.mjs';

const idp = await startSamlIdp({ port: Number(process.env.WEB_IDP_PORT || 9402) });
const hub = await startQlikHub({ idp, prefix: 'finance', name: 'Finance (SAML)', port: Number(process.env.WEB_HUB_PORT || 9403) });
const alice = idp.users.find((u) => u.username === 'alice');

console.log(`Hublink demo SAML hub is running (web sign-in, the hub's own session cookie).

  SAML IdP:       ${idp.url}
  Hub:            ${hub.url}   (a Qlik Sense-like virtual proxy, prefix /finance)
  Session check:  ${hub.sessionCheckUrl}

  Demo user:      alice / ${alice.password}, TOTP secret ${alice.totpSecret}

Authentication link:

  ${hub.link}
`);

const stop = async () => {
  await hub.stop();
  await idp.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
