// The /interaction/:uid pages: password, then TOTP (for users who have it),
// then consent. oidc-provider binds each interaction to the browser through
// its interaction cookie; interactionDetails() enforces that.

import {
  loginPage, otpPage, consentPage, messagePage,
} from './pages.mjs';
import { readParams, sendHtml } from './http.mjs';

export const ACR_MFA = 'urn:hublink:mfa';
export const ACR_PWD = 'urn:hublink:pwd';

export function createInteractions({ provider, users, counters, log }) {
  // uid -> username whose password was right and who still owes a TOTP code.
  const awaitingOtp = new Map();

  async function clientName(clientId) {
    const client = await provider.Client.find(clientId);
    return client?.clientName || clientId;
  }

  async function finishLogin(req, res, interaction, user, amr, acr) {
    awaitingOtp.delete(interaction.uid);
    counters.logins += 1;
    log?.(`login ok: ${user.username} amr=${amr.join(',')}`);
    await provider.interactionFinished(req, res, {
      login: { accountId: user.username, amr, acr },
    }, { mergeWithLastSubmission: false });
  }

  async function show(req, res, interaction) {
    const { uid, prompt, params } = interaction;
    if (prompt.name === 'login') {
      const pending = awaitingOtp.get(uid);
      if (pending) return sendHtml(res, 200, otpPage({ uid, username: pending }));
      return sendHtml(res, 200, loginPage({
        uid, clientName: await clientName(params.client_id), username: params.login_hint ?? '',
      }));
    }
    if (prompt.name === 'consent') {
      const scopes = (params.scope ?? '').split(' ').filter(Boolean);
      return sendHtml(res, 200, consentPage({
        uid,
        clientName: await clientName(params.client_id),
        username: interaction.session?.accountId ?? '',
        scopes,
      }));
    }
    return sendHtml(res, 400, messagePage('Sign-in error', `Unsupported prompt: ${prompt.name}`));
  }

  async function login(req, res, interaction) {
    const { username = '', password = '' } = await readParams(req);
    const user = users.get(username);
    if (!user || user.password !== password) {
      counters.failedLogins += 1;
      log?.(`login failed: wrong username or password for ${JSON.stringify(username)}`);
      return sendHtml(res, 200, loginPage({
        uid: interaction.uid,
        clientName: await clientName(interaction.params.client_id),
        username,
        error: 'Wrong username or password',
      }));
    }
    if (!user.totp) return finishLogin(req, res, interaction, user, ['pwd'], ACR_PWD);
    awaitingOtp.set(interaction.uid, user.username);
    res.writeHead(303, { Location: `/interaction/${interaction.uid}`, 'Content-Length': 0 });
    return res.end();
  }

  async function otp(req, res, interaction) {
    const username = awaitingOtp.get(interaction.uid);
    if (!username) return show(req, res, interaction);
    const user = users.get(username);
    const { otp: code = '' } = await readParams(req);
    // Window of one step either side; deliberately no replay protection so a
    // test can sign the same user in several times within one 30 s period.
    const ok = /^\d{6}$/.test(code.trim()) && user.totp.validate({ token: code.trim(), window: 1 }) !== null;
    if (!ok) {
      counters.failedOtps += 1;
      log?.(`otp failed for ${username}`);
      return sendHtml(res, 200, otpPage({ uid: interaction.uid, username, error: 'Wrong code' }));
    }
    return finishLogin(req, res, interaction, user, ['pwd', 'otp', 'mfa'], ACR_MFA);
  }

  async function confirm(req, res, interaction) {
    const { prompt: { details }, params, session } = interaction;
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    counters.consents += 1;
    log?.(`consent given by ${session.accountId}`);
    await provider.interactionFinished(req, res, {
      consent: interaction.grantId ? {} : { grantId },
    }, { mergeWithLastSubmission: true });
  }

  async function abort(req, res, interaction) {
    awaitingOtp.delete(interaction.uid);
    counters.denials += 1;
    log?.('consent denied');
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'The user denied the sign-in request',
    }, { mergeWithLastSubmission: false });
  }

  const actions = { login, otp, confirm, abort };

  return async function handleInteraction(req, res, pathname) {
    const [, , uid, action] = pathname.split('/'); // /interaction/:uid[/:action]
    try {
      const interaction = await provider.interactionDetails(req, res);
      if (interaction.uid !== uid) {
        return sendHtml(res, 400, messagePage('Sign-in error', 'This sign-in page does not belong to the current sign-in. Start again from the application.'));
      }
      if (!action && req.method === 'GET') return await show(req, res, interaction);
      if (req.method === 'POST' && Object.hasOwn(actions, action)) {
        return await actions[action](req, res, interaction);
      }
      return sendHtml(res, 404, messagePage('Not found', 'No such page.'));
    } catch (err) {
      // Typically SessionNotFound: the interaction cookie is missing or expired.
      log?.(`interaction error: ${err.name}: ${err.message}`);
      if (res.headersSent) return res.end();
      return sendHtml(res, err.status ?? 400, messagePage('Sign-in error', `${err.error_description || err.message}. Start again from the application.`));
    }
  };
}
