#![allow(clippy::too_many_lines)]

use super::*;
use crate::settings::{MAX_NAME_CHARS, MAX_URL_CHARS, NameProblem};

const HUB: &str = "hublink://add?url=https://hub.example.com/";

fn parse(link: &str) -> AuthLink {
    AuthLink::parse(link).unwrap_or_else(|e| panic!("{link:?} refused: {e}"))
}

fn link_err(link: &str) -> LinkError {
    match AuthLink::parse(link) {
        Ok(l) => panic!("{link:?} accepted: {l:?}"),
        Err(e) => {
            // Every message is non-empty, and so is every next step.
            assert!(!e.to_string().is_empty() && !e.next_step().is_empty());
            e
        }
    }
}

fn settings_err(link: &str) -> SettingsError {
    match link_err(link) {
        LinkError::Settings(e) => e,
        other => panic!("{link:?}: expected a settings error, got {other:?}"),
    }
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn scheme_refused(key: &str, scheme: &str) -> SettingsError {
    SettingsError::SchemeNotAllowed { key: s(key), scheme: s(scheme) }
}

fn bad_value(key: &str, hint: Option<&str>, expected: &'static str) -> SettingsError {
    SettingsError::BadValue { key: s(key), value_hint: hint.map(s), expected }
}

const PORT: &str = "a port number from 1 to 65535";
const SCOPE: &str = "scope names separated by spaces, made of printable ASCII characters other than \" and \\";
const CLIENT_ID: &str = "1 to 200 printable ASCII characters without spaces";

// ---- hostile and malformed links: schemes ------------------------------------------

#[test]
fn javascript_url_refused() {
    assert_eq!(settings_err("hublink://add?url=javascript:alert(1)"), scheme_refused("url", "javascript"));
    assert_eq!(settings_err("hublink://add?url=JaVaScRiPt%3Aalert(1)"), scheme_refused("url", "javascript"));
}

#[test]
fn file_url_refused() {
    assert_eq!(settings_err("hublink://add?url=file:///etc/passwd"), scheme_refused("url", "file"));
}

#[test]
fn data_url_refused() {
    assert_eq!(
        settings_err("hublink://add?url=data:text/html,%3Cscript%3Ealert(1)%3C/script%3E"),
        scheme_refused("url", "data")
    );
}

#[test]
fn vbscript_url_refused() {
    assert_eq!(settings_err("hublink://add?url=vbscript:msgbox(1)"), scheme_refused("url", "vbscript"));
}

#[test]
fn ftp_and_nested_hublink_refused() {
    assert_eq!(settings_err("hublink://add?url=ftp://hub.example.com/"), scheme_refused("url", "ftp"));
    assert_eq!(settings_err("hublink://add?url=hublink://add%3Furl%3Dx"), scheme_refused("url", "hublink"));
}

#[test]
fn http_to_a_remote_host_refused() {
    assert_eq!(
        settings_err("hublink://add?url=http://hub.example.com/"),
        SettingsError::InsecureHttp { key: s("url"), host: s("hub.example.com") }
    );
    assert_eq!(
        settings_err("hublink://add?url=http://10.0.0.1/"),
        SettingsError::InsecureHttp { key: s("url"), host: s("10.0.0.1") }
    );
}

#[test]
fn http_to_a_loopback_look_alike_refused() {
    assert_eq!(
        settings_err("hublink://add?url=http://127.0.0.1.evil.com/"),
        SettingsError::InsecureHttp { key: s("url"), host: s("127.0.0.1.evil.com") }
    );
    assert_eq!(
        settings_err("hublink://add?url=http://localhost.evil.com/"),
        SettingsError::InsecureHttp { key: s("url"), host: s("localhost.evil.com") }
    );
}

// ---- user info ---------------------------------------------------------------------

#[test]
fn user_name_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://user@hub.example.com/"),
        SettingsError::UserInfo { key: s("url") }
    );
}

#[test]
fn user_and_password_refused_without_echo() {
    let e = settings_err("hublink://add?url=https://user:s3cr3tpw@hub.example.com/");
    assert_eq!(e, SettingsError::UserInfo { key: s("url") });
    assert!(!e.to_string().contains("s3cr3tpw"));
}

#[test]
fn host_hidden_behind_at_refused() {
    assert_eq!(settings_err("hublink://add?url=https://good.com@evil.com/"), SettingsError::UserInfo { key: s("url") });
    assert_eq!(settings_err("hublink://add?url=https://@hub.example.com/"), SettingsError::UserInfo { key: s("url") });
}

#[test]
fn backslash_before_at_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://good.com%5C@evil.com/"),
        SettingsError::Backslash { key: s("url") }
    );
    assert_eq!(settings_err("hublink://add?url=https:%5C%5Cevil.com/"), SettingsError::NotAbsolute { key: s("url") });
}

// ---- hidden characters -------------------------------------------------------------

#[test]
fn raw_control_character_refused() {
    assert_eq!(link_err("hublink://add?url=https://hub.example.com/&name=a\u{7}b"), LinkError::ControlCharacter);
    assert_eq!(link_err("hublink://add?url=https://hub.example.com/\u{1b}[2J"), LinkError::ControlCharacter);
}

#[test]
fn raw_cr_lf_refused() {
    assert_eq!(link_err("hublink://add?url=https://hub.example.com/\r\n&name=x"), LinkError::ControlCharacter);
    assert_eq!(
        link_err("hublink://add?url=https://evil.com/\n&url=https://hub.example.com/"),
        LinkError::ControlCharacter
    );
}

#[test]
fn encoded_cr_lf_in_name_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&name=Finance%0d%0aSet-Cookie:%20x")),
        SettingsError::BadName { reason: NameProblem::LineBreak }
    );
}

#[test]
fn tab_in_url_refused() {
    assert_eq!(link_err("hublink://add?url=https://hub.exa\tmple.com/"), LinkError::ControlCharacter);
    assert_eq!(
        settings_err("hublink://add?url=https://hub.exa%09mple.com/"),
        SettingsError::ControlCharacter { key: s("url") }
    );
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com/%09"),
        SettingsError::ControlCharacter { key: s("url") }
    );
}

#[test]
fn nul_refused() {
    assert_eq!(link_err("hublink://add?url=https://hub.example.com/\0"), LinkError::ControlCharacter);
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com%00.evil.com/"),
        SettingsError::ControlCharacter { key: s("url") }
    );
}

#[test]
fn raw_bidi_override_refused() {
    assert_eq!(link_err(&format!("{HUB}&name=abc\u{202E}gpj.exe")), LinkError::ControlCharacter);
}

#[test]
fn encoded_bidi_override_in_name_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&name=Invoice%E2%80%AEfdp.exe")),
        SettingsError::BadName { reason: NameProblem::DirectionOverride }
    );
    assert_eq!(
        settings_err(&format!("{HUB}&name=a%E2%81%A6b")),
        SettingsError::BadName { reason: NameProblem::DirectionOverride }
    );
}

#[test]
fn control_character_in_name_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&name=a%07b")),
        SettingsError::BadName { reason: NameProblem::ControlCharacter }
    );
}

#[test]
fn space_inside_url_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com/a%20b/"),
        SettingsError::Whitespace { key: s("url") }
    );
}

// ---- size and encoding -------------------------------------------------------------

#[test]
fn over_long_link_refused() {
    let link = format!("{HUB}&name={}", "a".repeat(MAX_LINK_CHARS));
    assert_eq!(link_err(&link), LinkError::TooLong { max: MAX_LINK_CHARS });
}

#[test]
fn over_long_url_refused() {
    let link = format!("hublink://add?url=https://hub.example.com/{}", "a".repeat(2100));
    assert_eq!(settings_err(&link), SettingsError::TooLong { key: s("url"), max: 2048 });
}

/// Found by fuzzing (fuzz/regressions/link/): the limit was checked on the address as given,
/// but Hublink writes it back normalized (percent-encoded, with a final `/`), which can be
/// longer — and the link stored for the hub was then refused when read back.
#[test]
fn the_url_limit_holds_for_the_address_as_written_back() {
    let base = "https://hub.example.com/";
    // 700 backticks are 2100 characters once percent-encoded.
    let link = format!("hublink://add?url={base}{}", "`".repeat(700));
    assert_eq!(settings_err(&link), SettingsError::TooLong { key: s("url"), max: MAX_URL_CHARS });
    let link = format!("{HUB}&session_check={base}{}", "`".repeat(700));
    assert_eq!(settings_err(&link), SettingsError::TooLong { key: s("session_check"), max: MAX_URL_CHARS });
    // The final `/` counts: 2048 characters as given become 2049.
    let path = "a".repeat(MAX_URL_CHARS - base.len());
    let link = format!("hublink://add?url={base}{path}");
    assert_eq!(settings_err(&link), SettingsError::TooLong { key: s("url"), max: MAX_URL_CHARS });
    let at_the_limit = parse(&format!("hublink://add?url={base}{}", &path[1..])).settings;
    assert_eq!(at_the_limit.url.as_str().len(), MAX_URL_CHARS);
    assert_eq!(parse(&AuthLink::generate(&at_the_limit)).settings, at_the_limit);
    // The issuer is kept and written as given, so only its own length counts.
    let issuer = format!("https://login.example.com/{}", "`".repeat(600));
    let hub = parse(&format!("{HUB}&issuer={issuer}")).settings;
    assert_eq!(parse(&AuthLink::generate(&hub)).settings, hub);
}

/// The settings of a link are stored as its canonical link, which encodes more than a link
/// must (`!` becomes `%21`): one that would not fit in a link is refused up front, wherever it
/// came from, rather than stored and then refused when read back.
#[test]
fn settings_whose_canonical_link_is_too_long_are_refused() {
    let bangs = "!".repeat(2000);
    let link = format!("hublink://add?url=https://hub.example.com/{bangs}&issuer=https://login.example.com/{bangs}");
    assert!(link.chars().count() < MAX_LINK_CHARS);
    assert_eq!(settings_err(&link), SettingsError::TooLongForALink { max: MAX_CANONICAL_LINK_CHARS });
    let json = serde_json::json!({"url": format!("https://hub.example.com/{bangs}"), "issuer": format!("https://login.example.com/{bangs}")});
    let asked = Url::parse(&format!("https://hub.example.com/{bangs}")).unwrap();
    assert_eq!(
        HubSettings::from_well_known_json(&asked, &json),
        Err(SettingsError::TooLongForALink { max: MAX_CANONICAL_LINK_CHARS })
    );
    // One long value still fits, and reads back (with its final `/`, the issuer is the url
    // and is not written again).
    let one = parse(&format!("hublink://add?url=https://hub.example.com/{bangs}/")).settings;
    assert_eq!(parse(&AuthLink::generate(&one)).settings, one);
}

#[test]
fn double_encoded_url_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https%253A%252F%252Fhub.example.com%252F"),
        SettingsError::DoubleEncoded { key: s("url") }
    );
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com/%252F%252Fevil.com"),
        SettingsError::DoubleEncoded { key: s("url") }
    );
}

#[test]
fn invalid_utf8_refused() {
    assert_eq!(link_err(&format!("{HUB}&name=%FF")), LinkError::BadEncoding { key: s("name") });
    assert_eq!(link_err(&format!("{HUB}&name=%C3")), LinkError::BadEncoding { key: s("name") });
}

#[test]
fn broken_percent_escape_refused() {
    assert_eq!(link_err(&format!("{HUB}&name=100%")), LinkError::BadPercentEscape { key: s("name") });
    assert_eq!(link_err(&format!("{HUB}&name=%zz")), LinkError::BadPercentEscape { key: s("name") });
}

// ---- missing, empty, malformed addresses -------------------------------------------

#[test]
fn missing_url_refused() {
    assert_eq!(settings_err("hublink://add?name=Finance"), SettingsError::MissingUrl);
}

#[test]
fn empty_url_refused() {
    assert_eq!(settings_err("hublink://add?url=&name=Finance"), SettingsError::EmptyValue { key: s("url") });
    assert_eq!(settings_err("hublink://add?url"), SettingsError::EmptyValue { key: s("url") });
}

#[test]
fn relative_url_refused() {
    for url in ["/hub/", "hub.example.com", "hub.example.com:443/x", "//hub.example.com/", "https:hub.example.com"] {
        assert_eq!(
            settings_err(&format!("hublink://add?url={url}")),
            SettingsError::NotAbsolute { key: s("url") },
            "{url}"
        );
    }
}

#[test]
fn url_without_host_refused() {
    assert_eq!(settings_err("hublink://add?url=https:///path"), SettingsError::NoHost { key: s("url") });
    assert_eq!(settings_err("hublink://add?url=https:////evil.com/"), SettingsError::NoHost { key: s("url") });
    assert_eq!(settings_err("hublink://add?url=https://:443/"), SettingsError::NoHost { key: s("url") });
}

#[test]
fn url_with_bad_port_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com:99999/"),
        SettingsError::InvalidUrl { key: s("url"), reason: url::ParseError::InvalidPort }
    );
}

#[test]
fn url_with_fragment_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com/%23x"),
        SettingsError::Fragment { key: s("url") }
    );
}

#[test]
fn url_with_query_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com/%3Fnext%3Devil"),
        SettingsError::Query { key: s("url") }
    );
}

// ---- issuer and session_check -------------------------------------------------------

#[test]
fn non_https_issuer_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&issuer=http://login.example.com/")),
        SettingsError::InsecureHttp { key: s("issuer"), host: s("login.example.com") }
    );
    assert_eq!(settings_err(&format!("{HUB}&issuer=ldap://login.example.com/")), scheme_refused("issuer", "ldap"));
}

#[test]
fn issuer_with_userinfo_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&issuer=https://admin@login.example.com/")),
        SettingsError::UserInfo { key: s("issuer") }
    );
}

#[test]
fn issuer_with_query_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&issuer=https://login.example.com/%3Fa%3Db")),
        SettingsError::Query { key: s("issuer") }
    );
}

#[test]
fn session_check_on_another_host_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&session_check=https://collector.evil.com/check")),
        SettingsError::OtherOrigin {
            session_check: s("https://collector.evil.com"),
            hub: s("https://hub.example.com")
        }
    );
}

#[test]
fn session_check_on_another_port_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&session_check=https://hub.example.com:8443/check")),
        SettingsError::OtherOrigin {
            session_check: s("https://hub.example.com:8443"),
            hub: s("https://hub.example.com")
        }
    );
}

#[test]
fn session_check_with_another_scheme_refused() {
    assert_eq!(
        settings_err("hublink://add?url=http://127.0.0.1:8080/&session_check=https://127.0.0.1:8080/check"),
        SettingsError::OtherOrigin { session_check: s("https://127.0.0.1:8080"), hub: s("http://127.0.0.1:8080") }
    );
    assert_eq!(
        settings_err(&format!("{HUB}&session_check=http://hub.example.com/check")),
        SettingsError::InsecureHttp { key: s("session_check"), host: s("hub.example.com") }
    );
}

#[test]
fn session_check_with_fragment_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&session_check=https://hub.example.com/check%23x")),
        SettingsError::Fragment { key: s("session_check") }
    );
}

// ---- the link's head ---------------------------------------------------------------

#[test]
fn unknown_action_refused() {
    assert_eq!(
        link_err("hublink://remove?url=https://hub.example.com/"),
        LinkError::UnknownAction { action: s("remove") }
    );
    assert_eq!(link_err("hublink://?url=https://hub.example.com/"), LinkError::UnknownAction { action: s("(none)") });
    assert_eq!(link_err("hublink:////add?url=https://hub.example.com/"), LinkError::UnknownAction { action: s("add") });
}

#[test]
fn wrong_scheme_refused() {
    assert_eq!(
        link_err("https://add?url=https://hub.example.com/"),
        LinkError::NotAHublinkLink { scheme: Some(s("https")) }
    );
    assert_eq!(
        link_err("hublinks://add?url=https://hub.example.com/"),
        LinkError::NotAHublinkLink { scheme: Some(s("hublinks")) }
    );
    assert_eq!(link_err("add?url=https://hub.example.com/"), LinkError::NotAHublinkLink { scheme: None });
}

#[test]
fn no_query_refused() {
    assert_eq!(link_err("hublink://add"), LinkError::NoParameters);
    assert_eq!(link_err("hublink://add?"), LinkError::NoParameters);
    assert_eq!(link_err("hublink://add?&&"), LinkError::NoParameters);
}

#[test]
fn empty_and_blank_refused() {
    assert_eq!(link_err(""), LinkError::Empty);
    assert_eq!(link_err(" \t\r\n "), LinkError::Empty);
}

// ---- parameters --------------------------------------------------------------------

#[test]
fn duplicate_url_refused() {
    assert_eq!(
        settings_err("hublink://add?url=https://hub.example.com/&url=https://evil.com/"),
        SettingsError::Duplicate { key: s("url") }
    );
    assert_eq!(settings_err(&format!("{HUB}&mfa=required&mfa=required")), SettingsError::Duplicate { key: s("mfa") });
}

#[test]
fn client_secret_refused_without_echo() {
    let e = settings_err(&format!("{HUB}&client_secret=hunter2hunter2"));
    assert_eq!(e, SettingsError::SecretParameter { key: s("client_secret") });
    let text = format!("{e} {}", LinkError::Settings(e.clone()));
    assert!(!text.contains("hunter2"));
    assert!(text.contains("never carry secrets"));
}

#[test]
fn password_token_code_refused() {
    for key in [
        "password",
        "token",
        "code",
        "access_token",
        "refresh_token",
        "id_token",
        "api_key",
        "secret",
        "Client_Secret",
        "PASSWORD",
    ] {
        assert_eq!(settings_err(&format!("{HUB}&{key}=x")), SettingsError::SecretParameter { key: s(key) }, "{key}");
    }
    // Even when it comes first, after an otherwise fatal problem, or badly encoded.
    assert_eq!(
        settings_err("hublink://add?url=javascript:x&token=abc"),
        SettingsError::SecretParameter { key: s("token") }
    );
    assert_eq!(settings_err(&format!("{HUB}&password=%FF")), SettingsError::SecretParameter { key: s("password") });
    assert_eq!(
        settings_err(&format!("{HUB}&client%5Fsecret=x")),
        SettingsError::SecretParameter { key: s("client_secret") }
    );
}

#[test]
fn ca_file_in_link_refused() {
    let e = settings_err(&format!("{HUB}&ca_file=/etc/ssl/evil.pem"));
    assert_eq!(e, SettingsError::NotInLink { key: s("ca_file") });
    assert!(e.to_string().contains("put ca_file in hubs.ini"));
}

#[test]
fn bad_mfa_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&mfa=optional")),
        bad_value("mfa", Some("optional"), "`required` (or leave `mfa` out)")
    );
    assert_eq!(settings_err(&format!("{HUB}&mfa=")), SettingsError::EmptyValue { key: s("mfa") });
}

#[test]
fn bad_flow_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&flow=implicit")),
        bad_value("flow", Some("implicit"), "`browser` or `device`")
    );
}

#[test]
fn bad_redirect_port_refused() {
    for (port, hint) in
        [("0", Some("0")), ("70000", Some("70000")), ("abc", Some("abc")), ("-1", Some("-1")), ("1%2E5", Some("1.5"))]
    {
        assert_eq!(
            settings_err(&format!("{HUB}&redirect_port={port}")),
            bad_value("redirect_port", hint, PORT),
            "{port}"
        );
    }
    assert_eq!(
        settings_err(&format!("{HUB}&redirect_port=99999999999999999999")),
        bad_value("redirect_port", None, PORT)
    );
}

#[test]
fn bad_scope_characters_refused() {
    assert_eq!(settings_err(&format!("{HUB}&scope=openid%20%22profile%22")), bad_value("scope", None, SCOPE));
    assert_eq!(settings_err(&format!("{HUB}&scope=openid%20a%5Cb")), bad_value("scope", None, SCOPE));
    assert_eq!(settings_err(&format!("{HUB}&scope=%20")), SettingsError::EmptyValue { key: s("scope") });
    assert_eq!(
        settings_err(&format!("{HUB}&scope=openid%09email")),
        SettingsError::ControlCharacter { key: s("scope") }
    );
}

#[test]
fn bad_client_id_refused() {
    assert_eq!(settings_err(&format!("{HUB}&client_id=my%20app")), bad_value("client_id", None, CLIENT_ID));
    assert_eq!(settings_err(&format!("{HUB}&client_id=")), SettingsError::EmptyValue { key: s("client_id") });
    assert_eq!(
        settings_err(&format!("{HUB}&client_id={}", "a".repeat(201))),
        SettingsError::TooLong { key: s("client_id"), max: 200 }
    );
    assert_eq!(settings_err(&format!("{HUB}&client_id=caf%C3%A9")), bad_value("client_id", None, CLIENT_ID));
}

#[test]
fn bad_names_refused() {
    assert_eq!(
        settings_err(&format!("{HUB}&name={}", "n".repeat(101))),
        SettingsError::BadName { reason: NameProblem::TooLong { max: 100 } }
    );
    assert_eq!(settings_err(&format!("{HUB}&name=+%20+")), SettingsError::BadName { reason: NameProblem::Empty });
    assert_eq!(settings_err(&format!("{HUB}&name=")), SettingsError::BadName { reason: NameProblem::Empty });
}

// ---- accepted links ------------------------------------------------------------------

#[test]
fn idn_look_alike_is_accepted_but_shown_as_punycode() {
    for link in [
        "hublink://add?url=https://xn--80ak6aa92e.com/",
        "hublink://add?url=https://аррӏе.com/",
        "hublink://add?url=https://%D0%B0%D1%80%D1%80%D3%8F%D0%B5.com/",
    ] {
        let l = parse(link);
        assert_eq!(l.settings.url.as_str(), "https://xn--80ak6aa92e.com/", "{link}");
        assert_eq!(l.settings.display_host(), "xn--80ak6aa92e.com");
        assert_eq!(l.settings.name, "xn--80ak6aa92e.com");
        assert!(l.settings.host_is_international());
    }
    assert!(!parse(HUB).settings.host_is_international());
}

#[test]
fn defaults_for_a_minimal_link() {
    let l = parse(HUB);
    let st = &l.settings;
    assert_eq!(st.url.as_str(), "https://hub.example.com/");
    assert_eq!(st.name, "hub.example.com");
    assert_eq!(st.issuer, "https://hub.example.com/");
    assert_eq!(st.client_id, "hublink");
    assert_eq!(st.scopes, ["openid", "profile", "email", "offline_access"]);
    assert!(!st.mfa_required);
    assert_eq!(st.flow, Flow::Browser);
    assert_eq!(st.redirect_port, None);
    assert_eq!(st.session_check, None);
    assert_eq!(st.max_session_days, 30);
    assert!(l.ignored.is_empty());
}

#[test]
fn every_parameter_is_read() {
    let l = parse(
        "hublink://add?url=https://hub.example.com/&name=Finance%20Hub&issuer=https://login.example.com/realms/corp\
         &client_id=hublink-desktop&scope=openid+groups&mfa=required&flow=device&redirect_port=8400\
         &session_check=https://hub.example.com/api/session%3Fv%3D1",
    );
    let st = &l.settings;
    assert_eq!(st.name, "Finance Hub");
    assert_eq!(st.issuer, "https://login.example.com/realms/corp");
    assert_eq!(st.client_id, "hublink-desktop");
    assert_eq!(st.scopes, ["openid", "groups"]);
    assert!(st.mfa_required);
    assert_eq!(st.flow, Flow::Device);
    assert_eq!(st.redirect_port, Some(8400));
    assert_eq!(st.session_check.as_ref().map(Url::as_str), Some("https://hub.example.com/api/session?v=1"));
}

#[test]
fn normalization() {
    let l = parse("hublink://add?url=HTTPS://Hub.EXAMPLE.com:443");
    assert_eq!(l.settings.url.as_str(), "https://hub.example.com/");
    let l = parse("hublink://add?url=https://hub.example.com:8443/sense/hub");
    assert_eq!(l.settings.url.as_str(), "https://hub.example.com:8443/sense/hub/");
    assert_eq!(l.settings.display_host(), "hub.example.com:8443");
    // The issuer defaults to the url as given, not as normalized.
    assert_eq!(l.settings.issuer, "https://hub.example.com:8443/sense/hub");
}

#[test]
fn same_hub_written_two_ways_has_one_identity() {
    let a = parse("hublink://add?url=HTTPS://Hub.Example.com:443/sense&name=A");
    let b = parse("hublink:add?url=https%3A%2F%2Fhub.example.com%2Fsense%2F&name=B");
    assert_eq!(a.settings.id(), b.settings.id());
    let c = parse("hublink://add?url=https://hub.example.com/sense/&client_id=other");
    assert_ne!(a.settings.id(), c.settings.id());
}

#[test]
fn unknown_parameters_are_reported_not_used() {
    let l = parse(&format!("{HUB}&utm_source=mail&Name=Evil&max_session_days=1&weird%0A=1"));
    assert_eq!(l.ignored, ["utm_source", "Name", "max_session_days", "weird\u{FFFD}"]);
    assert_eq!(l.settings.name, "hub.example.com");
    assert_eq!(l.settings.max_session_days, 30);
}

#[test]
fn loopback_http_accepted() {
    for (link, host) in [
        ("hublink://add?url=http://127.0.0.1:8080/", "127.0.0.1:8080"),
        ("hublink://add?url=http://127.1.2.3/", "127.1.2.3"),
        ("hublink://add?url=http://[::1]:9000/hub", "[::1]:9000"),
        ("hublink://add?url=http://localhost:3000", "localhost:3000"),
        ("hublink://add?url=http://LOCALHOST/", "localhost"),
    ] {
        assert_eq!(parse(link).settings.display_host(), host, "{link}");
    }
    let l = parse("hublink://add?url=http://127.0.0.1:8080/&issuer=http://localhost:8081/realms/test");
    assert_eq!(l.settings.issuer, "http://localhost:8081/realms/test");
}

#[test]
fn plus_and_percent20_in_names() {
    assert_eq!(parse(&format!("{HUB}&name=Sales+Hub")).settings.name, "Sales Hub");
    assert_eq!(parse(&format!("{HUB}&name=Sales%20Hub")).settings.name, "Sales Hub");
    assert_eq!(parse(&format!("{HUB}&name=C%2B%2B+Team")).settings.name, "C++ Team");
    assert_eq!(parse(&format!("{HUB}&name=+Padded+")).settings.name, "Padded");
    assert_eq!(parse(&format!("{HUB}&name=Caf%C3%A9")).settings.name, "Café");
}

#[test]
fn accepted_spellings_of_the_head() {
    let canonical = parse(HUB);
    for link in [
        "HUBLINK://ADD?url=https://hub.example.com/",
        "hublink:add?url=https://hub.example.com/",
        "hublink:///add?url=https://hub.example.com/",
        "hublink://add/?url=https://hub.example.com/",
        "  hublink://add?url=https://hub.example.com/\r\n",
    ] {
        assert_eq!(parse(link), canonical, "{link}");
    }
}

#[test]
fn product_md_example_parses() {
    let l = parse("hublink://add?url=https://sales.example.com/&name=Sales%20Hub");
    assert_eq!(l.settings.name, "Sales Hub");
    assert_eq!(AuthLink::generate(&l.settings), "hublink://add?url=https://sales.example.com/&name=Sales%20Hub");
}

#[test]
fn generate_parse_round_trip() {
    let links = [
        HUB.to_owned(),
        "hublink://add?url=HTTPS://Hub.Example.com:443/a%252Bc&name=A%26B%3DC%20%23%3F%25".to_owned(),
        "hublink://add?url=https://hub.example.com:8443/sense&issuer=https://login.example.com/realms/corp".to_owned(),
        "hublink://add?url=http://[::1]:9000/&name=%D0%A4%D0%B8%D0%BD%D0%B0%D0%BD%D1%81%D1%8B&client_id=a%2Bb%26c&scope=email+groups+email".to_owned(),
        format!("{HUB}&mfa=required&flow=device&redirect_port=65535&session_check=https://hub.example.com/check%3Fa%3D1%26b%3D2"),
        "hublink://add?url=https://аррӏе.com/&name=%F0%9F%94%92+Secure".to_owned(),
        format!("{HUB}&scope=openid+profile+email+offline_access&flow=browser"),
    ];
    for link in links {
        let first = parse(&link).settings;
        let generated = AuthLink::generate(&first);
        let again = parse(&generated);
        assert_eq!(again.settings, first, "{link} -> {generated}");
        assert!(again.ignored.is_empty());
        assert_eq!(AuthLink::generate(&again.settings), generated);
    }
}

/// Found by fuzzing (fuzz/regressions/link/): a host longer than a name may be became the
/// default name uncut, so the link Hublink stores for the hub was refused when read back.
#[test]
fn a_host_longer_than_a_name_still_round_trips() {
    // 113 characters, each label within DNS's 63.
    let host = format!("{}.{}.example.com", "a".repeat(50), "b".repeat(50));
    let link = format!("hublink://add?url=https://{host}:8443/");
    let first = parse(&link).settings;
    assert_eq!(first.name.chars().count(), MAX_NAME_CHARS, "{}", first.name);
    assert!(first.name.ends_with('…') && format!("{host}:8443").starts_with(first.name.trim_end_matches('…')));
    assert_eq!(first.display_host(), format!("{host}:8443"), "the host itself is not cut");
    let again = parse(&AuthLink::generate(&first)).settings;
    assert_eq!(again, first);
    // What the fuzzer found (a host of 112 characters), as a typed address too.
    let found = format!("hublink://add?url=https://hub.example.c{}om/&scope=%45", "`".repeat(108));
    let first = parse(&found).settings;
    assert_eq!(parse(&AuthLink::generate(&first)).settings, first);
    let Ok(UserInput::HubAddress(address)) = parse_user_input(&format!("https://{host}/")) else { panic!() };
    let (typed, _) = HubSettings::from_pairs([("url", address.as_str())], Context::Link).unwrap();
    assert_eq!(parse(&AuthLink::generate(&typed)).settings, typed);
}

#[test]
fn generate_writes_only_non_defaults() {
    let l = parse(&format!("{HUB}&scope=openid+profile+email+offline_access&flow=browser&client_id=hublink"));
    assert_eq!(AuthLink::generate(&l.settings), "hublink://add?url=https://hub.example.com/&name=hub.example.com");
}

// ---- what the user types -----------------------------------------------------------

#[test]
fn user_input_link_or_address() {
    assert!(matches!(parse_user_input(HUB), Ok(UserInput::Link(_))));
    assert_eq!(
        parse_user_input(" https://Hub.Example.com/sense \n"),
        Ok(UserInput::HubAddress(Url::parse("https://hub.example.com/sense/").unwrap()))
    );
    assert_eq!(
        parse_user_input("http://hub.example.com/"),
        Err(LinkError::Settings(SettingsError::InsecureHttp { key: s("url"), host: s("hub.example.com") }))
    );
    assert_eq!(
        parse_user_input("https://hub.example.com/?x=1"),
        Err(LinkError::Settings(SettingsError::Query { key: s("url") }))
    );
    assert_eq!(parse_user_input("hub.example.com"), Err(LinkError::NotAHublinkLink { scheme: None }));
    assert_eq!(
        parse_user_input("javascript:alert(1)"),
        Err(LinkError::NotAHublinkLink { scheme: Some(s("javascript")) })
    );
    assert_eq!(parse_user_input("   "), Err(LinkError::Empty));
    assert_eq!(parse_user_input("https://hub.example.com/\u{0}"), Err(LinkError::ControlCharacter));
}

// ---- /.well-known/hublink.json -----------------------------------------------------

fn hub() -> Url {
    Url::parse("https://hub.example.com/").unwrap()
}

#[test]
fn well_known_settings() {
    let json = serde_json::json!({
        "url": "https://HUB.example.com",
        "name": "Finance",
        "issuer": "https://login.example.com/realms/corp",
        "redirect_port": 8400,
        "mfa": "required",
        "logo": {"png": "x"}
    });
    let (st, unknown) = HubSettings::from_well_known_json(&hub(), &json).unwrap();
    assert_eq!(st.url, hub());
    assert_eq!(st.name, "Finance");
    assert_eq!(st.redirect_port, Some(8400));
    assert!(st.mfa_required);
    assert_eq!(unknown, ["logo"]);
}

#[test]
fn well_known_defaults_to_the_address_asked() {
    let (st, _) = HubSettings::from_well_known_json(&hub(), &serde_json::json!({})).unwrap();
    assert_eq!(st.url, hub());
    assert_eq!(st.issuer, "https://hub.example.com/");
    assert_eq!(st.name, "hub.example.com");
}

#[test]
fn well_known_refusals() {
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!({"url": "https://evil.example.com/"}));
    assert_eq!(
        e,
        Err(SettingsError::OtherHubAddress {
            asked: s("https://hub.example.com/"),
            published: s("https://evil.example.com/")
        })
    );
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!({"client_secret": 42}));
    assert_eq!(e, Err(SettingsError::SecretParameter { key: s("client_secret") }));
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!({"mfa": true}));
    assert_eq!(e, Err(bad_value("mfa", None, "a string")));
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!({"redirect_port": -1}));
    assert_eq!(e, Err(bad_value("redirect_port", Some("-1"), PORT)));
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!({"redirect_port": 80.5}));
    assert_eq!(e, Err(bad_value("redirect_port", Some("80.5"), PORT)));
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!({"ca_file": "/x.pem"}));
    assert_eq!(e, Err(SettingsError::NotInLink { key: s("ca_file") }));
    let e = HubSettings::from_well_known_json(&hub(), &serde_json::json!(["url"]));
    assert_eq!(e, Err(SettingsError::NotAnObject));
}

#[test]
fn no_input_panics() {
    // A crude fuzz over awkward inputs: every one must return, never panic.
    let pieces = [
        "hublink:",
        "//",
        "add",
        "?",
        "&",
        "=",
        "%",
        "%2",
        "%FF",
        "%E2%80%AE",
        "+",
        "url",
        "https://",
        "[",
        "]",
        "::",
        "@",
        "#",
        "\\",
        "é",
        "аррӏе",
        "\u{202E}",
        "\0",
        ":",
        "9",
        "name",
        "scope",
        "redirect_port",
    ];
    let mut seed = 0x2545_f491_u32;
    for _ in 0..4000 {
        let mut link = String::new();
        for _ in 0..(seed % 12) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            link.push_str(pieces[(seed as usize) % pieces.len()]);
        }
        let _ = AuthLink::parse(&link);
        let _ = parse_user_input(&link);
    }
}
