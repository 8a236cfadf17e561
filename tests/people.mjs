// The test IdP's users (tests/idp/idp.mjs) as the browser driver (tests/browser/signin.mjs)
// needs them: who signs in, and what the "user" does in the browser.

export const ALICE = { user: 'alice', password: 'alice-pass', totp: 'ALICEALICEALICEALICEALICEALICE23' };
export const BOB = { user: 'bob', password: 'bob-pass', totp: 'BOBBOBBOBBOBBOBBOBBOBBOBBOBBOB23' };
export const CAROL = { user: 'carol', password: 'carol-pass', totp: '' };
/** Not a default IdP user: add her with GRACE_ACCOUNT. In 600 directory groups of ~50
 * characters, as large Active Directory users are: her ID token has ~42,000 characters. */
export const GRACE = { user: 'grace', password: 'grace-pass', totp: 'GRACEGRACEGRACEGRACEGRACEGRACE23' };
export const MANY_GROUPS = Array.from({ length: 600 }, (_, i) => `cn=team-${String(i).padStart(4, '0')}-users,ou=groups,dc=corp,dc=example`);
/** GRACE for startIdp({users: [GRACE_ACCOUNT]}). */
export const GRACE_ACCOUNT = {
  username: GRACE.user, password: GRACE.password, totpSecret: GRACE.totp, hubAccess: true, groups: MANY_GROUPS,
};

/** Environment for signin.mjs: sign in as `person`, doing `action` (approve, deny, …). */
export function browserEnv(person, action = 'approve') {
  return {
    HUBLINK_TEST_USER: person.user,
    HUBLINK_TEST_PASSWORD: person.password,
    HUBLINK_TEST_TOTP_SECRET: person.totp,
    HUBLINK_TEST_ACTION: action,
  };
}
