//! The rules as administrators write them, and what each refuses.

use serde_json::json;

use super::*;
use crate::link::AuthLink;

fn policy(v: Value) -> Result<Policy, PolicyProblem> {
    Policy::from_map("/etc/hublink/policy.json".into(), v.as_object().unwrap())
}

fn settings(link: &str) -> HubSettings {
    AuthLink::parse(link).unwrap().settings
}

#[test]
fn every_rule_parses_and_a_bad_value_or_unknown_rule_fails_closed() {
    let key = crate::link_signing::public_key_text(&crate::link_signing::generate_key().verifying_key());
    let p = policy(json!({
        "AllowUserHubs": false, "AllowedHosts": ["*.example.com", "login.corp.net"], "RequireMFA": 1,
        "AllowInsecureStorage": false, "MaxSessionDays": 14, "LinkSigningKeys": [key], "RequireSignedLinks": true
    }))
    .unwrap();
    assert_eq!(p.allow_user_hubs, Some(false));
    assert_eq!(p.require_mfa, Some(true), "registry DWORD 1");
    assert_eq!(p.max_session_days, Some(14));
    assert!(!p.allows_insecure_storage());
    assert_eq!(
        policy(json!({"RequireMfa": true})).unwrap_err(),
        PolicyProblem::UnknownRule { key: "RequireMfa".into() }
    );
    assert!(matches!(policy(json!({"RequireMFA": "yes"})), Err(PolicyProblem::BadValue { rule: "RequireMFA", .. })));
    assert!(matches!(policy(json!({"MaxSessionDays": 0})), Err(PolicyProblem::BadValue { .. })));
    assert!(matches!(policy(json!({"AllowedHosts": ["https://x.example.com/"]})), Err(PolicyProblem::BadValue { .. })));
    assert!(matches!(policy(json!({"LinkSigningKeys": ["not a key"]})), Err(PolicyProblem::BadKey(_))));
    assert!(matches!(Policy::from_json("p".into(), b"{not json"), Err(PolicyProblem::NotJson(_))));
    assert!(matches!(Policy::from_json("p".into(), b"[]"), Err(PolicyProblem::NotJson(_))));
}

#[test]
fn allowed_hosts_cover_the_hub_and_its_issuer() {
    let p = policy(json!({"AllowedHosts": ["*.example.com"]})).unwrap();
    assert!(
        p.check_user_hub(&settings("hublink://add?url=https://hub.example.com/&issuer=https://login.example.com/r"))
            .is_ok()
    );
    let r = p
        .check_user_hub(&settings("hublink://add?url=https://hub.example.com/&issuer=https://login.evil.net/"))
        .unwrap_err();
    assert_eq!(r.rule, "AllowedHosts");
    assert!(r.to_string().contains("login.evil.net") && r.to_string().contains("your organization's policy"), "{r}");
    assert!(p.check_user_hub(&settings("hublink://add?url=https://example.com/")).is_err(), "*. is subdomains only");
    assert!(p.check_user_hub(&settings("hublink://add?url=https://hub.example.com.evil.net/")).is_err());
}

#[test]
fn require_mfa_and_max_session_days_tighten_every_hub_never_loosen() {
    let p = policy(json!({"RequireMFA": true, "MaxSessionDays": 7})).unwrap();
    let mut s = settings("hublink://add?url=https://hub.example.com/");
    p.apply(&mut s);
    assert!(s.mfa_required);
    assert_eq!(s.max_session_days, 7);
    let mut short = s.clone();
    short.max_session_days = 3;
    p.apply(&mut short);
    assert_eq!(short.max_session_days, 3, "a ceiling, not a floor");
    let off = policy(json!({"RequireMFA": false})).unwrap();
    let mut mfa = settings("hublink://add?url=https://hub.example.com/&mfa=required");
    off.apply(&mut mfa);
    assert!(mfa.mfa_required, "policy false does not undo a hub's own mfa=required");
}

#[test]
fn signed_links_with_and_without_the_requirement() {
    let key = crate::link_signing::generate_key();
    let keys = json!([crate::link_signing::public_key_text(&key.verifying_key())]);
    let unsigned = AuthLink::parse("hublink://add?url=https://hub.example.com/").unwrap();
    let signed = AuthLink::parse(&crate::link_signing::sign(&unsigned.settings, &key)).unwrap();
    let lenient = policy(json!({"LinkSigningKeys": keys})).unwrap();
    assert!(lenient.check_signature(&signed).unwrap().is_verified());
    assert_eq!(lenient.check_signature(&unsigned).unwrap(), LinkSignature::Unsigned);
    let strict = policy(json!({"LinkSigningKeys": keys, "RequireSignedLinks": true})).unwrap();
    assert!(strict.check_signature(&signed).is_ok());
    assert_eq!(strict.check_signature(&unsigned).unwrap_err().rule, "RequireSignedLinks");
    assert!(strict.check_typed_address_allowed().is_err());
    let forged =
        AuthLink::parse(&crate::link_signing::sign(&unsigned.settings, &crate::link_signing::generate_key())).unwrap();
    assert!(strict.check_signature(&forged).unwrap_err().detail.contains("not valid"));
}

#[test]
fn the_report_names_each_rule_and_where_it_came_from() {
    let p = policy(json!({"RequireMFA": true})).unwrap();
    let report = p.report();
    assert!(report.managed);
    let mfa = report.rules.iter().find(|r| r.rule == "RequireMFA").unwrap();
    assert_eq!((mfa.value.clone(), mfa.source.as_str()), (Value::Bool(true), "/etc/hublink/policy.json"));
    let users = report.rules.iter().find(|r| r.rule == "AllowUserHubs").unwrap();
    assert_eq!((users.value.clone(), users.source.as_str()), (Value::Bool(true), "default"));
    assert!(!Policy::default().report().managed);
}
