// The test IdP's users (tests/idp/idp.mjs) as the browser driver (tests/browser/signin.mjs)
// needs them: who signs in, and what the "user" does in the browser.

export const ALICE = { user: 'alice', password: 'alice-pass', totp: 'ALICEALICEALICEALICEALICEALICE23' };
export const BOB = { user: 'bob', password: 'bob-pass', totp: 'BOBBOBBOBBOBBOBBOBBOBBOBBOBBOB23' };
export const CAROL = { user: 'carol', password: 'carol-pass', totp: '' };

/** Environment for signin.mjs: sign in as `person`, doing `action` (approve, deny, …). */
export function browserEnv(person, action = 'approve') {
  return {
    HUBLINK_TEST_USER: person.user,
    HUBLINK_TEST_PASSWORD: person.password,
    HUBLINK_TEST_TOTP_SECRET: person.totp,
    HUBLINK_TEST_ACTION: action,
  };
}
