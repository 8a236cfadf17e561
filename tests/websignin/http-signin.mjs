// Sign in to a web sign-in hub without a browser: follow the redirects, fill the IdP's
// forms and submit the SAML auto-post form like a browser would, with a small cookie jar.
// For tests that need a hub cookie fast, and for checking the SAML messages themselves.

import { TOTP, Secret } from 'otpauth';

/** Cookies by name for 127.0.0.1 (ports share cookies, as in browsers; paths ignored). */
export class CookieJar {
  constructor() { this.cookies = new Map(); }

  store(res) {
    for (const line of res.headers.getSetCookie?.() ?? []) {
      const [pair, ...attrs] = line.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age\s*=\s*0\s*$/i.test(a));
      if (gone || value === '') this.cookies.delete(name);
      else this.cookies.set(name, { value, attributes: attrs.map((a) => a.trim()) });
    }
  }

  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v.value}`).join('; ');
  }

  get(name) { return this.cookies.get(name)?.value; }

  delete(name) { return this.cookies.delete(name); }
}

const hidden = (html, name) => {
  const m = html.match(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`));
  return m ? m[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : undefined;
};
const formAction = (html) => html.match(/<form method="post" action="([^"]*)"/)?.[1]?.replace(/&amp;/g, '&');
const title = (html) => html.match(/<title>([^<]*)<\/title>/)?.[1];

/** One request with the jar; no redirects followed. */
export async function request(jar, url, { method = 'GET', form, headers = {} } = {}) {
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    headers: {
      ...(jar.header() ? { Cookie: jar.header() } : {}),
      ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  jar.store(res);
  const text = await res.text();
  return {
    status: res.status, location: res.headers.get('location'), text, title: title(text), headers: res.headers,
  };
}

/** GET url and follow redirects (relative to each response's URL); returns the last answer and its URL. */
export async function follow(jar, url, { max = 10 } = {}) {
  let current = url;
  for (let i = 0; i < max; i += 1) {
    const r = await request(jar, current);
    if (r.status < 300 || r.status >= 400 || !r.location) return { ...r, url: current };
    current = new URL(r.location, current).href;
  }
  throw new Error(`more than ${max} redirects from ${url}`);
}

/** Read the SAML auto-post form of an IdP answer: {action, SAMLResponse, RelayState}. */
export function readAutoPost(html) {
  const SAMLResponse = hidden(html, 'SAMLResponse');
  if (!SAMLResponse) return null;
  return { action: formAction(html), SAMLResponse, RelayState: hidden(html, 'RelayState') };
}

/** Post an auto-post form (possibly altered) to the ACS; follows the hub's redirect once. */
export async function postToAcs(jar, post) {
  const form = { SAMLResponse: post.SAMLResponse };
  if (post.RelayState !== undefined) form.RelayState = post.RelayState;
  return request(jar, post.action, { method: 'POST', form });
}

/**
 * Drive the IdP up to the auto-post form: from a hub URL, through the login page and the
 * TOTP page (when the IdP asks), or straight through when the jar has an SSO session.
 * person: {user, password, totp (base32 or '')}. Returns {post, pages: [titles seen]}.
 */
export async function signInToIdp(jar, hubUrl, person, { code } = {}) {
  const pages = [];
  let r = await follow(jar, hubUrl);
  pages.push(r.title);
  let post = readAutoPost(r.text);
  if (!post) {
    const txn = hidden(r.text, 'txn');
    if (!txn) throw new Error(`no login form at ${r.url} (${r.status} ${r.title})`);
    const idp = new URL(r.url).origin;
    r = await request(jar, `${idp}/login`, { method: 'POST', form: { txn, username: person.user, password: person.password } });
    pages.push(r.title);
    if (r.status !== 200) return { status: r.status, text: r.text, pages };
    post = readAutoPost(r.text);
    if (!post) {
      const totpCode = code ?? new TOTP({ secret: Secret.fromBase32(person.totp), digits: 6, period: 30 }).generate();
      r = await request(jar, `${idp}/totp`, { method: 'POST', form: { txn, code: totpCode } });
      pages.push(r.title);
      if (r.status !== 200) return { status: r.status, text: r.text, pages };
      post = readAutoPost(r.text);
    }
  }
  if (!post) throw new Error(`the IdP gave no SAML response (${r.status} ${r.title})`);
  return { post, pages };
}

/** Full sign-in to a hub; returns {status, location, cookie (the hub cookie value), jar, pages}. */
export async function signInOverHttp(hubUrl, person, { jar = new CookieJar(), cookieName, code } = {}) {
  const got = await signInToIdp(jar, hubUrl, person, { code });
  if (!got.post) return { ...got, jar };
  const r = await postToAcs(jar, got.post);
  return {
    status: r.status, location: r.location, text: r.text, title: r.title,
    cookie: cookieName ? jar.get(cookieName) : undefined, jar, pages: got.pages,
  };
}
