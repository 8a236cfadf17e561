// Plain HTML for every page the IdP shows. No external resources: the test
// machines have no internet, and a page that waits for a web font stalls.

const CSS = `
body{font:16px/1.4 system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px;color:#222}
main{max-width:340px;margin:0 auto;background:#fff;padding:24px 28px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.2)}
h1{font-size:1.4em;margin:0 0 16px}
label{display:block;margin:12px 0 4px;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:16px;border:1px solid #bbb;border-radius:4px}
button{margin-top:16px;padding:9px 16px;font-size:15px;border:0;border-radius:4px;background:#2d6cdf;color:#fff;cursor:pointer}
button.secondary{background:#ddd;color:#222}
.error{color:#b00020;font-weight:600}
.muted{color:#666;font-size:.9em}
code{font-size:1.3em}
`;

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

export function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
}

const errorLine = (error) => (error ? `<p class="error" id="error" role="alert">${escapeHtml(error)}</p>` : '');

export function loginPage({ uid, clientName, username, error }) {
  return page('Sign in', `
<p class="muted">to continue to ${escapeHtml(clientName)}</p>
${errorLine(error)}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(username)}" autofocus required>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<button type="submit" id="submit">Sign in</button>
</form>`);
}

export function otpPage({ uid, username, error }) {
  return page('Two-step verification', `
<p>Signed in as <strong>${escapeHtml(username)}</strong>. Enter the 6-digit code from your authenticator app.</p>
${errorLine(error)}
<form method="post" action="/interaction/${escapeHtml(uid)}/otp" autocomplete="off">
<label for="otp">Verification code</label>
<input type="text" id="otp" name="otp" inputmode="numeric" pattern="[0-9]*" maxlength="6" autocomplete="one-time-code" autofocus required>
<button type="submit" id="submit">Verify</button>
</form>`);
}

export function consentPage({ uid, clientName, username, scopes }) {
  const list = scopes.length
    ? `<ul id="scopes">${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`
    : '';
  return page('Allow access?', `
<p><strong>${escapeHtml(clientName)}</strong> wants to sign you in as <strong>${escapeHtml(username)}</strong>.</p>
${list}
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm" style="display:inline">
<button type="submit" id="allow">Allow</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort" style="display:inline">
<button type="submit" id="deny" class="secondary">Deny</button>
</form>`);
}

export function messagePage(title, message) {
  return page(title, `<p id="message">${escapeHtml(message)}</p>`);
}

// Replacements for oidc-provider's built-in pages (which @import a web font).
export const providerPages = {
  async userCodeInputSource(ctx, form, out, err) {
    let msg = 'Enter the code displayed on your device.';
    let cls = '';
    if (err && (err.userCode || err.name === 'NoCodeError')) {
      msg = 'The code you entered is incorrect. Try again.';
      cls = 'error';
    } else if (err && err.name === 'AbortedError') {
      msg = 'The sign-in request was cancelled.';
      cls = 'error';
    } else if (err) {
      msg = 'There was an error processing your request.';
      cls = 'error';
    }
    ctx.type = 'html';
    ctx.body = page('Connect a device', `<p class="${cls}" id="message">${escapeHtml(msg)}</p>
${form}
<button type="submit" id="submit" form="op.deviceInputForm">Continue</button>`);
  },

  async userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
    const name = client.clientName || client.clientId;
    ctx.type = 'html';
    ctx.body = page('Confirm device', `<p><strong>${escapeHtml(name)}</strong> is asking to sign in.
Check that your device shows this code:</p>
<p><code id="user-code">${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" id="confirm" form="op.deviceConfirmForm">Continue</button>
<button type="submit" id="abort" class="secondary" form="op.deviceConfirmForm" name="abort" value="yes">Cancel</button>`);
  },

  async successSource(ctx) {
    ctx.type = 'html';
    ctx.body = messagePage('Device connected', 'Sign-in complete. You can close this page and return to your device.');
  },

  async logoutSource(ctx, form) {
    ctx.type = 'html';
    ctx.body = page('Sign out?', `<p>Do you want to sign out from ${escapeHtml(ctx.host)}?</p>
${form}
<button type="submit" id="logout" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<button type="submit" id="stay" class="secondary" form="op.logoutForm">Stay signed in</button>`);
  },

  async postLogoutSuccessSource(ctx) {
    ctx.type = 'html';
    ctx.body = messagePage('Signed out', 'You have been signed out.');
  },

  async renderError(ctx, out) {
    ctx.type = 'html';
    const lines = Object.entries(out)
      .map(([k, v]) => `<p><strong>${escapeHtml(k)}</strong>: <span class="${escapeHtml(k)}">${escapeHtml(v)}</span></p>`)
      .join('\n');
    ctx.body = page('Sign-in error', lines);
  },
};
