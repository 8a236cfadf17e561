#![allow(clippy::too_many_lines)]

use super::*;

fn ok(pairs: &[(&str, &str)]) -> HubSettings {
    HubSettings::from_pairs(pairs.iter().copied(), Context::Link).unwrap().0
}

fn err(pairs: &[(&str, &str)], ctx: Context) -> SettingsError {
    HubSettings::from_pairs(pairs.iter().copied(), ctx).unwrap_err()
}

fn ini(section: &str) -> Context {
    Context::HubsIni { section_name: section.to_owned() }
}

#[test]
fn defaults() {
    let s = ok(&[("url", "https://hub.example.com")]);
    assert_eq!(s.url.as_str(), "https://hub.example.com/");
    assert_eq!(s.name, "hub.example.com");
    assert_eq!(s.issuer, "https://hub.example.com");
    assert_eq!(s.client_id, "hublink");
    assert_eq!(s.scopes, ["openid", "profile", "email", "offline_access"]);
    assert!(!s.mfa_required);
    assert_eq!(s.flow, Flow::Browser);
    assert_eq!(s.redirect_port, None);
    assert_eq!(s.session_check, None);
    assert_eq!(s.max_session_days, 30);
    assert_eq!(s.ca_file, None);
}

#[test]
fn issuer_is_kept_byte_for_byte() {
    let s = ok(&[("url", "https://hub.example.com"), ("issuer", " https://Login.Example.com/realms/corp ")]);
    assert_eq!(s.issuer, "https://Login.Example.com/realms/corp");
}

#[test]
fn scopes_get_openid_and_lose_duplicates() {
    let s = ok(&[("url", "https://h.example/"), ("scope", "profile  email profile")]);
    assert_eq!(s.scopes, ["openid", "profile", "email"]);
    let s = ok(&[("url", "https://h.example/"), ("scope", "email openid")]);
    assert_eq!(s.scopes, ["email", "openid"]);
}

#[test]
fn hubs_ini_context_keys_any_case_and_section_name() {
    let (s, unknown) = HubSettings::from_pairs(
        [
            ("URL", "https://f.example.com/"),
            ("Max_Session_Days", "7"),
            ("CA_FILE", "/etc/ssl/x.pem"),
            ("Colour", "red"),
        ],
        ini("Finance Hub"),
    )
    .unwrap();
    assert_eq!(s.name, "Finance Hub");
    assert_eq!(s.max_session_days, 7);
    assert_eq!(s.ca_file, Some(PathBuf::from("/etc/ssl/x.pem")));
    assert_eq!(unknown, ["colour"]);
}

#[test]
fn hubs_ini_name_key_wins_over_section() {
    let (s, _) = HubSettings::from_pairs([("url", "https://f.example.com/"), ("name", "Finance")], ini("fin")).unwrap();
    assert_eq!(s.name, "Finance");
}

#[test]
fn link_context_refuses_ca_file_and_ignores_max_session_days() {
    assert_eq!(
        err(&[("url", "https://h.example/"), ("ca_file", "/x.pem")], Context::Link),
        SettingsError::NotInLink { key: "ca_file".into() }
    );
    let (s, unknown) =
        HubSettings::from_pairs([("url", "https://h.example/"), ("max_session_days", "1")], Context::Link).unwrap();
    assert_eq!(s.max_session_days, 30);
    assert_eq!(unknown, ["max_session_days"]);
}

#[test]
fn link_keys_are_case_sensitive() {
    assert_eq!(err(&[("URL", "https://h.example/")], Context::Link), SettingsError::MissingUrl);
}

#[test]
fn secrets_refused_everywhere_and_never_echoed() {
    for ctx in [Context::Link, ini("x"), Context::WellKnown] {
        let e = err(&[("url", "https://h.example/"), ("Client-Secret", "hunter2")], ctx);
        assert_eq!(e, SettingsError::SecretParameter { key: "Client-Secret".into() });
        assert!(!e.to_string().contains("hunter2"));
    }
    for key in ["session_token", "db_password", "x_api_key", "PASSWORD", "pwd"] {
        assert!(is_secret_key(key), "{key}");
    }
    for key in ["session_check", "client_id", "redirect_port", "max_session_days", "ca_file", "scope"] {
        assert!(!is_secret_key(key), "{key}");
    }
}

#[test]
fn max_session_days_bounds() {
    assert_eq!(
        err(&[("url", "https://h.example/"), ("max_session_days", "0")], ini("x")),
        SettingsError::BadValue {
            key: "max_session_days".into(),
            value_hint: Some("0".into()),
            expected: "a whole number of days from 1 to 3650"
        }
    );
    assert!(matches!(
        err(&[("url", "https://h.example/"), ("max_session_days", "3651")], ini("x")),
        SettingsError::BadValue { .. }
    ));
    let (s, _) =
        HubSettings::from_pairs([("url", "https://h.example/"), ("max_session_days", "3650")], ini("x")).unwrap();
    assert_eq!(s.max_session_days, 3650);
}

#[test]
fn hub_id_is_stable_and_parses() {
    let s = ok(&[("url", "https://hub.example.com/")]);
    let id = s.id();
    assert_eq!(id.as_str().len(), 16);
    assert_eq!(HubId::parse(id.as_str()), Ok(id.clone()));
    assert_eq!(id.to_string().parse::<HubId>(), Ok(id.clone()));
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(serde_json::from_str::<HubId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<HubId>("\"ABCDEF0123456789\"").is_err());
    assert_eq!(HubId::parse("abc"), Err(HubIdError::WrongLength { len: 3 }));
    assert_eq!(HubId::parse("0123456789abcdeg"), Err(HubIdError::NotLowercaseHex));
    // Known value: SHA-256("https://hub.example.com/\nhublink").
    let mut h = Sha256::new();
    h.update(b"https://hub.example.com/\nhublink");
    let full: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(Some(id.as_str()), full.get(..16));
    // Another client id is another hub.
    let other = ok(&[("url", "https://hub.example.com/"), ("client_id", "other")]);
    assert_ne!(other.id(), id);
}

#[test]
fn display_host_and_ports() {
    assert_eq!(ok(&[("url", "https://h.example:8443/x")]).display_host(), "h.example:8443");
    assert_eq!(ok(&[("url", "https://h.example:443/x")]).display_host(), "h.example");
    assert_eq!(ok(&[("url", "http://[::1]:8080/")]).display_host(), "[::1]:8080");
}

#[test]
fn flow_display_and_serde() {
    assert_eq!(Flow::Device.to_string(), "device");
    assert_eq!(Flow::default(), Flow::Browser);
    assert_eq!(serde_json::to_string(&Flow::Browser).unwrap(), "\"browser\"");
}

#[test]
fn every_error_has_a_key_or_none_and_a_next_step() {
    let e = SettingsError::OtherOrigin { session_check: "https://a".into(), hub: "https://b".into() };
    assert_eq!(e.key(), Some("session_check"));
    assert!(!e.next_step().is_empty());
    assert_eq!(SettingsError::MissingUrl.key(), Some("url"));
}

#[test]
fn printable_hides_invisible_and_cuts() {
    assert_eq!(printable("a\u{202E}b\nc", 10), "a\u{FFFD}b\u{FFFD}c");
    assert_eq!(printable("abcdef", 3), "abc…");
}

#[test]
fn split_scheme_cases() {
    assert_eq!(split_scheme("https://x"), Some("https"));
    assert_eq!(split_scheme("localhost:8080/x"), None);
    assert_eq!(split_scheme("/x:y"), None);
    assert_eq!(split_scheme("no-colon"), None);
}

#[test]
fn bad_values_never_echo_long_or_odd_values() {
    let e = err(&[("url", "https://h.example/"), ("flow", "eyJhbGciOiJIUzI1NiJ9.payload.sig")], Context::Link);
    assert_eq!(e, SettingsError::BadValue { key: "flow".into(), value_hint: None, expected: "`browser` or `device`" });
    assert!(!e.to_string().contains("eyJ"));
}
