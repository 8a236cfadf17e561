//! ID tokens signed for real (Ed25519 and RSA keys made here), in the shapes real providers
//! send, and the attacks a client must refuse.

use base64::Engine;
use jsonwebtoken::{EncodingKey, Header};
use ring::signature::KeyPair;
use serde_json::json;

use super::*;

const ISSUER: &str = "https://login.example.com";
const NOW: i64 = 1_800_000_000;

struct Signer {
    der: Vec<u8>,
    jwks: Value,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn signer(kid: &str) -> Signer {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = ring::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "x": b64(pair.public_key().as_ref())}]});
    Signer { der: pkcs8.as_ref().to_vec(), jwks }
}

impl Signer {
    fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.der)).unwrap()
    }
}

fn claims(extra: Value) -> Value {
    let mut c = json!({
        "iss": ISSUER, "sub": "248289761001", "aud": "hublink", "exp": NOW + 300, "iat": NOW,
        "nonce": "n-0S6_WzA2Mj", "preferred_username": "quinn", "amr": ["pwd", "otp"],
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn expect<'a>(extra_audiences: &'a [String]) -> Expectations<'a> {
    Expectations {
        issuer: ISSUER,
        client_id: "hublink",
        extra_audiences,
        nonce: Some("n-0S6_WzA2Mj"),
        now: OffsetDateTime::from_unix_timestamp(NOW + 5).unwrap(),
        server_date: None,
    }
}

fn check(extra: Value) -> Result<VerifiedClaims, IdTokenProblem> {
    let s = signer("k1");
    verify(&s.sign(Some("k1"), &claims(extra)), &s.jwks, &expect(&[]))
}

#[test]
fn a_plain_token_verifies_and_names_the_user() {
    let v = check(json!({})).unwrap();
    assert_eq!(v.user, "quinn");
    assert_eq!(v.amr, Some(vec!["pwd".to_owned(), "otp".to_owned()]));
}

#[test]
fn claims_in_the_shapes_real_providers_send_are_accepted() {
    // Auth0: updated_at as an ISO string; a lone amr string; exp as a numeric string.
    let v =
        check(json!({"updated_at": "2024-05-02T10:59:07.841Z", "amr": "mfa", "exp": (NOW + 300).to_string()})).unwrap();
    assert_eq!(v.amr, Some(vec!["mfa".to_owned()]));
    // Entra ID v2: no amr at all is "not reported", not "no second factor".
    assert_eq!(check(json!({"amr": null})).unwrap().amr, None);
    // No preferred_username: email, then sub.
    assert_eq!(check(json!({"preferred_username": null, "email": "q@example.com"})).unwrap().user, "q@example.com");
    assert_eq!(check(json!({"preferred_username": null})).unwrap().user, "248289761001");
    // Google's documented scheme-less `accounts.google.com`: for Google only.
    let s = signer("k1");
    let mut google = expect(&[]);
    google.issuer = "https://accounts.google.com";
    let token = s.sign(Some("k1"), &claims(json!({"iss": "accounts.google.com"})));
    assert!(verify(&token, &s.jwks, &google).is_ok());
    assert!(matches!(check(json!({"iss": "login.example.com"})), Err(IdTokenProblem::Issuer { .. })));
    // A bare-origin issuer equals the same origin with a slash.
    let s = signer("k1");
    let mut e = expect(&[]);
    e.issuer = "https://login.example.com/";
    assert!(verify(&s.sign(Some("k1"), &claims(json!({}))), &s.jwks, &e).is_ok());
}

#[test]
fn extra_audiences_need_the_hubs_trust_and_azp() {
    let aud = json!({"aud": ["hublink", "300000000000000042"], "azp": "hublink"});
    assert_eq!(check(aud.clone()), Err(IdTokenProblem::ExtraAudience { extra: vec!["300000000000000042".into()] }));
    let s = signer("k1");
    let trusted = ["300000000000000042".to_owned()];
    assert!(verify(&s.sign(Some("k1"), &claims(aud)), &s.jwks, &expect(&trusted)).is_ok());
    let no_azp = claims(json!({"aud": ["hublink", "300000000000000042"]}));
    assert!(matches!(
        verify(&s.sign(Some("k1"), &no_azp), &s.jwks, &expect(&trusted)),
        Err(IdTokenProblem::AuthorizedParty { found: None, .. })
    ));
    assert!(matches!(check(json!({"azp": "other-client"})), Err(IdTokenProblem::AuthorizedParty { .. })));
    assert!(matches!(check(json!({"aud": "other-client"})), Err(IdTokenProblem::Audience { .. })));
}

#[test]
fn clocks_within_a_minute_pass_and_beyond_it_are_named() {
    // The IdP 30 s behind: the token expired 25 s ago by our clock — inside the leeway.
    assert!(check(json!({"iat": NOW - 330, "exp": NOW - 20})).is_ok());
    // Six minutes behind with five-minute tokens: the Date header tells the skew.
    let s = signer("k1");
    let token = s.sign(Some("k1"), &claims(json!({"iat": NOW - 360, "exp": NOW - 60})));
    let mut e = expect(&[]);
    e.now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    e.server_date = OffsetDateTime::from_unix_timestamp(NOW - 360).ok();
    let problem = verify(&token, &s.jwks, &e).unwrap_err();
    assert_eq!(problem, IdTokenProblem::ClockSkew { seconds: 360 });
    assert_eq!(problem.to_string(), "this computer's clock and the identity provider's differ by about 6 minutes");
    // Issued in the future: our clock is behind.
    assert_eq!(check(json!({"iat": NOW + 600, "exp": NOW + 900})), Err(IdTokenProblem::ClockSkew { seconds: -595 }));
    // Expired with clocks in agreement: just expired.
    let mut e = expect(&[]);
    e.server_date = Some(e.now);
    assert_eq!(
        verify(&s.sign(Some("k1"), &claims(json!({"exp": NOW - 200}))), &s.jwks, &e),
        Err(IdTokenProblem::Expired)
    );
}

/// Found by fuzzing (fuzz/regressions/id_token/): an `exp` at the end of the number line
/// overflowed when the leeway was added — a panic in debug builds, and in release a token
/// good for ever refused as already expired.
#[test]
fn an_expiry_at_the_end_of_time_is_not_expired() {
    assert!(check(json!({"exp": i64::MAX})).is_ok());
    assert!(check(json!({"exp": 92_233_720_368_547_758_071_800_000_000_f64})).is_ok());
    assert!(check(json!({"exp": "1e300"})).is_ok());
    assert_eq!(check(json!({"exp": i64::MIN})), Err(IdTokenProblem::Expired));
}

#[test]
fn attacks_are_refused() {
    let s = signer("k1");
    // Another issuer, a wrong nonce, a missing exp.
    assert!(matches!(check(json!({"iss": "https://evil.example.com"})), Err(IdTokenProblem::Issuer { .. })));
    assert_eq!(check(json!({"nonce": "replayed"})), Err(IdTokenProblem::Nonce));
    assert_eq!(check(json!({"nonce": null})), Err(IdTokenProblem::MissingClaim("nonce")));
    assert_eq!(check(json!({"exp": null})), Err(IdTokenProblem::MissingClaim("exp")));
    // Signed by a key the provider does not publish.
    let other = signer("k1");
    assert_eq!(
        verify(&other.sign(Some("k1"), &claims(json!({}))), &s.jwks, &expect(&[])),
        Err(IdTokenProblem::BadSignature)
    );
    assert!(matches!(
        verify(&s.sign(Some("k9"), &claims(json!({}))), &s.jwks, &expect(&[])),
        Err(IdTokenProblem::UnknownKey(_))
    ));
    // alg none, and HS256 with the public key as the shared secret.
    let body = b64(claims(json!({})).to_string().as_bytes());
    let none = format!("{}.{body}.", b64(br#"{"alg":"none"}"#));
    assert_eq!(verify(&none, &s.jwks, &expect(&[])), Err(IdTokenProblem::Algorithm("none".into())));
    assert!(matches!(verify("not.a-jwt", &s.jwks, &expect(&[])), Err(IdTokenProblem::Malformed(_))));
    let x = s.jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let hs = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(json!({})),
        &EncodingKey::from_secret(x.as_bytes()),
    )
    .unwrap();
    let with_oct = json!({"keys": [{"kty": "oct", "k": b64(x.as_bytes())}]});
    assert_eq!(verify(&hs, &with_oct, &expect(&[])), Err(IdTokenProblem::Algorithm("HS256".into())));
    // Without a kid, a single fitting key is used; an encryption key never is.
    assert!(verify(&s.sign(None, &claims(json!({}))), &s.jwks, &expect(&[])).is_ok());
    let mut enc = s.jwks.clone();
    enc["keys"][0]["use"] = json!("enc");
    assert!(matches!(
        verify(&s.sign(Some("k1"), &claims(json!({}))), &enc, &expect(&[])),
        Err(IdTokenProblem::UnknownKey(_))
    ));
}

#[test]
fn problems_never_echo_the_token() {
    let s = signer("k1");
    let token = s.sign(Some("k1"), &claims(json!({"iss": "https://evil.example.com"})));
    let text = format!("{:?} {}", verify(&token, &s.jwks, &expect(&[])).unwrap_err(), "");
    assert!(!text.contains(&token[..20]));
}
