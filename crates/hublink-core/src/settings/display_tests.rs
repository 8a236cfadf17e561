#![allow(clippy::too_many_lines)]

use super::*;

#[test]
fn a_look_alike_issuer_is_shown_in_punycode_and_flagged() {
    let (s, _) = HubSettings::from_pairs(
        [("url", "https://finance.example.com/"), ("issuer", "https://finance.exаmple.com/realms/corp")],
        Context::Link,
    )
    .unwrap();
    assert!(!s.host_is_international(), "the hub itself is plain ASCII");
    assert!(s.any_host_is_international(), "the sign-in address is not");
    assert!(s.display_issuer().starts_with("https://finance.xn--"), "{}", s.display_issuer());
    assert_eq!(s.issuer, "https://finance.exаmple.com/realms/corp", "kept exactly for the iss check");
}

#[test]
fn secure_endpoints_are_https_or_loopback_http() {
    let ok = ["https://login.example.com/token", "http://127.0.0.1:9/x", "http://[::1]/x", "http://localhost:1/x"];
    let bad = ["http://login.example.com/token", "ms-officecmd:open", "file:///etc/passwd", "javascript:alert(1)"];
    for u in ok {
        assert!(is_secure_endpoint(&Url::parse(u).unwrap()), "{u}");
    }
    for u in bad {
        assert!(!is_secure_endpoint(&Url::parse(u).unwrap()), "{u}");
    }
}
