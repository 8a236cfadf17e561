//! `auth=web` settings: PRODUCT.md's link keys for hubs whose session is their own cookie.

use super::*;
use crate::link::AuthLink;

fn link(query: &str) -> Result<(HubSettings, Vec<String>), SettingsError> {
    AuthLink::parse(&format!("hublink://add?{query}")).map(|l| (l.settings, l.ignored)).map_err(|e| match e {
        crate::link::LinkError::Settings(s) => s,
        other => panic!("not a settings error: {other:?}"),
    })
}

#[test]
fn a_qlik_link_gives_a_web_hub_with_its_check_on_the_hub() {
    let (hub, ignored) =
        link("url=https://qlik.example.com/finance&name=Finance&auth=web&session_check=/finance/qps/user&session_cookie=X-Qlik-Session-finance")
            .unwrap();
    assert_eq!(hub.auth, Auth::Web);
    assert_eq!(hub.session_check.unwrap().as_str(), "https://qlik.example.com/finance/qps/user");
    assert_eq!(hub.session_cookie.as_deref(), Some("X-Qlik-Session-finance"));
    assert!(hub.remember_idp_session, "default true");
    assert!(ignored.is_empty(), "{ignored:?}");
}

#[test]
fn a_web_hub_needs_a_session_check_on_its_own_origin() {
    assert_eq!(link("url=https://qlik.example.com/&auth=web").unwrap_err(), SettingsError::WebNeedsSessionCheck);
    let e = link("url=https://qlik.example.com/&auth=web&session_check=https://evil.example.net/qps/user").unwrap_err();
    assert!(matches!(e, SettingsError::OtherOrigin { .. }), "{e:?}");
    let e = link("url=https://qlik.example.com/&auth=web&session_check=//evil.example.net/qps/user").unwrap_err();
    assert!(matches!(e, SettingsError::NotAbsolute { .. }), "a protocol-relative address is not a path: {e:?}");
    let e =
        link("url=https://qlik.example.com/&auth=web&session_check=/qps/user&login_path=https://login.example.net/")
            .unwrap_err();
    assert!(matches!(e, SettingsError::LoginElsewhere { .. }), "{e:?}");
    assert_eq!(e.key(), Some("login_path"));
}

#[test]
fn openid_keys_are_reported_as_unused_and_kept_out_of_the_identity() {
    let (hub, ignored) =
        link("url=https://qlik.example.com/&auth=web&session_check=/qps/user&client_id=other&mfa=required").unwrap();
    assert_eq!(hub.client_id, DEFAULT_CLIENT_ID);
    assert!(!hub.mfa_required);
    assert_eq!(ignored, vec!["client_id (not used with auth=web)", "mfa (not used with auth=web)"]);
    let (_, ignored) = link("url=https://hub.example.com/&session_cookie=sid").unwrap();
    assert_eq!(ignored, vec!["session_cookie (only for auth=web)"]);
}

#[test]
fn bad_web_values_name_their_key() {
    let e = link("url=https://q.example.com/&auth=saml&session_check=/u").unwrap_err();
    assert_eq!(e.key(), Some("auth"));
    let e = link("url=https://q.example.com/&auth=web&session_check=/u&session_cookie=a%3Bb").unwrap_err();
    assert_eq!(e.key(), Some("session_cookie"));
}

#[test]
fn remember_idp_session_is_for_files_only() {
    let (hub, ignored) =
        link("url=https://q.example.com/&auth=web&session_check=/u&remember_idp_session=false").unwrap();
    assert!(hub.remember_idp_session, "a link cannot change it");
    assert_eq!(ignored, vec!["remember_idp_session"]);
    let (hub, _) = HubSettings::from_pairs(
        [
            ("url", "https://q.example.com/"),
            ("auth", "web"),
            ("session_check", "/u"),
            ("remember_idp_session", "false"),
        ],
        Context::HubsIni { section_name: "Q".into() },
    )
    .unwrap();
    assert!(!hub.remember_idp_session);
}

#[test]
fn a_browser_per_hub_is_for_files_only() {
    let (hub, _) = HubSettings::from_pairs(
        [("url", "https://hub.example.com/"), ("browser", " firefox -P work ")],
        Context::HubsIni { section_name: "H".into() },
    )
    .unwrap();
    assert_eq!(hub.browser.as_deref(), Some("firefox -P work"));
    let e = link("url=https://hub.example.com/&browser=firefox").unwrap_err();
    assert!(matches!(e, SettingsError::NotInLink { .. }), "a link never names a program to run: {e:?}");
}

#[test]
fn a_web_hub_round_trips_through_its_canonical_link() {
    let (hub, _) =
        link("url=https://qlik.example.com/finance/&auth=web&session_check=/finance/qps/user&login_path=/finance/hub/")
            .unwrap();
    let again = AuthLink::parse(&AuthLink::generate(&hub)).unwrap().settings;
    assert_eq!(again, hub);
}

#[test]
fn a_qlik_desktop_link_proposes_the_web_sign_in() {
    let asked = Url::parse("https://qlik.example.com/finance/").unwrap();
    let json = serde_json::json!({"magicLinkHostUri": "https://qlik.example.com/finance/", "magicLinkFriendlyName": "Finance"});
    let (hub, _) = HubSettings::from_qlik_desktop_link(&asked, &json).unwrap();
    assert_eq!((hub.auth, hub.name.as_str()), (Auth::Web, "Finance"));
    assert_eq!(hub.session_check.unwrap().path(), "/finance/qps/user");
    let elsewhere = serde_json::json!({"magicLinkHostUri": "https://evil.example.net/"});
    assert!(matches!(
        HubSettings::from_qlik_desktop_link(&asked, &elsewhere),
        Err(SettingsError::OtherHubAddress { .. })
    ));
}
