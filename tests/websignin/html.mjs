// Page skeleton and small helpers shared by the SAML IdP and the Qlik-like hubs.

export const esc = (s) => String(s)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** A whole HTML page; `body` is trusted HTML, `title` is text. No external resources. */
export function page(title, body, { lang = 'en' } = {}) {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;color:#222}
label{display:block;margin:.8em 0 .2em}input{font-size:1em;padding:.3em;width:100%;box-sizing:border-box}
button{margin-top:1em;font-size:1em;padding:.4em 1.2em}.error{color:#b00020;font-weight:600}
.muted{color:#666;font-size:.9em}
</style></head>
<body>
${body}
</body></html>
`;
}

export function errorPage(title, heading, message, { detail } = {}) {
  return page(title, `<h1>${esc(heading)}</h1>
<p class="error" id="error">${esc(message)}</p>${detail ? `\n<p class="muted" id="detail">${esc(detail)}</p>` : ''}`);
}

const badRequest = (message, status = 400) => Object.assign(new Error(message), { status });
export { badRequest };

/** Cookies of a request as a Map (the first value of a repeated name wins). */
export function readCookies(req) {
  const jar = new Map();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (name && !jar.has(name)) jar.set(name, part.slice(i + 1).trim());
  }
  return jar;
}
