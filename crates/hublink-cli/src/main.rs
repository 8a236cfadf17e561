//! `hublink` — the command line over hublink-core. Each command: options → one use case →
//! output. Errors go to stderr as `hublink: <message>: <cause>` and `next: <next step>`, with
//! PRODUCT.md's exit codes.

#[macro_use]
mod terminal;
mod desktop;
mod output;
mod scripts;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use hublink_core::hub_check::TokenRecipients;
use hublink_core::link::AuthLink;
use hublink_core::link_signing::{self, LinkSignature};
use hublink_core::settings::{Context, HubSettings};
use hublink_core::{
    AddOutcome, Error, ExitCode, Hublink, LoginOptions, Progress, Proposal, ProposalOrigin, SessionState,
};

#[derive(Parser)]
#[command(name = "hublink", version, about = "Sign in to your hubs with the links your administrator gives you")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add a hub from an authentication link or a hub address (asks to confirm)
    Add {
        /// `hublink://add?url=…` or `https://hub.example.com/`
        link: String,
        /// Confirm without asking (needed when not run from a terminal)
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// List hubs, where each came from and its last known sign-in state
    List {
        #[arg(long)]
        json: bool,
    },
    /// Sign in to a hub in the browser (or with a device code)
    Login {
        /// Friendly name (case-insensitive), URL or identity of the hub
        hub: String,
        /// Use the device flow: enter a code on any device
        #[arg(long)]
        device: bool,
        /// Give up after this many seconds
        #[arg(long, default_value_t = 300, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Check every hub's session (refreshing when needed); exit 0 only if all are signed in
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Print a valid access token for a hub (refreshing it if needed)
    Token {
        hub: String,
        /// Print {"access_token", "token_type", "expires_at"} instead of the bare token
        #[arg(long)]
        json: bool,
    },
    /// Print the HTTP header that authenticates to a hub: `Authorization: Bearer …` or `Cookie: name=value`
    Header { hub: String },
    /// Run a command with the hub's credentials in its environment
    /// (HUBLINK_AUTH_HEADER; HUBLINK_ACCESS_TOKEN for OpenID Connect hubs)
    Exec {
        hub: String,
        /// The command and its arguments, after `--`
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// Sign out: revoke the session at the identity provider and forget it
    Logout { hub: String },
    /// Remove a hub that was added from a link
    Remove { hub: String },
    /// Find out why signing in to a hub does not work
    Doctor {
        /// A hub (name, URL or identity) or any https:// address
        target: String,
        #[arg(long)]
        json: bool,
    },
    /// Administrators: print (and sign) an authentication link; `link keygen DIR` makes a signing key
    Link(Box<LinkArgs>),
    /// The organization's policy in force on this computer, and where each rule came from
    Policy {
        #[arg(long)]
        json: bool,
    },
    /// Administrators: hubs.ini files
    Hubs {
        #[command(subcommand)]
        command: HubsCommand,
    },
}

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct LinkArgs {
    #[command(subcommand)]
    command: Option<LinkCommand>,
    #[arg(long, required = true)]
    url: Option<String>,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    issuer: Option<String>,
    #[arg(long)]
    client_id: Option<String>,
    #[arg(long)]
    scope: Option<String>,
    /// The ID token must show a second factor
    #[arg(long)]
    mfa_required: bool,
    #[arg(long, value_parser = ["browser", "device"])]
    flow: Option<String>,
    #[arg(long)]
    redirect_port: Option<String>,
    #[arg(long)]
    session_check: Option<String>,
    /// Audiences besides the client id that the identity provider's ID tokens carry (comma-separated)
    #[arg(long)]
    extra_audiences: Option<String>,
    /// `web`: the hub runs its own sign-in (SAML or OIDC at its proxy) and its session is a cookie
    #[arg(long, value_name = "oidc|web")]
    auth: Option<String>,
    /// auth=web: the session cookie's name or name prefix (e.g. X-Qlik-Session)
    #[arg(long)]
    session_cookie: Option<String>,
    /// auth=web: where sign-in starts, a path or address on the hub (default: the hub's URL)
    #[arg(long)]
    login_path: Option<String>,
    /// Sign the link with this Ed25519 private key (from `hublink link keygen`)
    #[arg(long, value_name = "KEY_FILE")]
    sign: Option<PathBuf>,
}

#[derive(Subcommand)]
enum LinkCommand {
    /// Make an Ed25519 key pair for signing links: DIR/hublink-link-signing.key (private, keep
    /// it safe) and DIR/hublink-link-signing.pub (for the policy's LinkSigningKeys)
    Keygen { dir: PathBuf },
}

#[derive(Subcommand)]
enum HubsCommand {
    /// Validate hubs.ini files (default: the per-user and machine-wide folders)
    Check { path: Option<PathBuf> },
}

fn main() -> std::process::ExitCode {
    // Before any session is in memory: no core dump may ever hold a refresh token.
    hublink_core::platform::harden_process();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUBLINK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("hublink=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return report(&Error::Internal(format!("cannot start: {e}"))),
    };
    {
        let _entered = runtime.enter();
        hublink_core::platform::report_file_size_limit();
    }
    match runtime.block_on(run(cli.command)) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => report(&e),
    }
}

fn report(e: &Error) -> std::process::ExitCode {
    err!("hublink: {}: {}", e.message(), e.cause());
    err!("next: {}", e.next_step());
    std::process::ExitCode::from(e.exit_code() as u8)
}

/// The process's exit status: one of PRODUCT.md's codes, or (`exec`) the child's own.
async fn run(command: Command) -> Result<u8, Error> {
    if let Command::Exec { hub, command } = &command {
        let app = Hublink::from_env()?;
        return scripts::exec(&app, &resolve(&app, hub)?, command).await;
    }
    run_command(command).await.map(|code| code as u8)
}

async fn run_command(command: Command) -> Result<ExitCode, Error> {
    // Commands that need no state.
    match &command {
        Command::Link(args) => {
            return match &args.command {
                Some(LinkCommand::Keygen { dir }) => link_keygen(dir),
                None => link(args),
            };
        }
        // Without the rest of Hublink, so that a broken policy can be shown too.
        Command::Policy { json } => return policy(*json),
        Command::Hubs { command: HubsCommand::Check { path } } => return hubs_check(path.as_deref()),
        _ => {}
    }
    let app = Hublink::from_env()?;
    if let Some(w) = app.storage_warning() {
        err!("warning: {w}");
    }
    match command {
        Command::Add { link, yes } => add(&app, &link, yes).await,
        Command::List { json } => list(&app, json),
        Command::Login { hub, device, timeout } => login(&app, &hub, device, timeout).await,
        Command::Status { json } => status(&app, json).await,
        Command::Token { hub, json } => scripts::token(&app, &resolve(&app, &hub)?, json).await,
        Command::Header { hub } => scripts::header(&app, &resolve(&app, &hub)?).await,
        Command::Exec { .. } => unreachable!("handled in run"),
        Command::Logout { hub } => {
            let hub = resolve(&app, &hub)?;
            out!("{}", app.logout(&hub).await?.describe());
            Ok(ExitCode::Ok)
        }
        Command::Remove { hub } => {
            let hub = resolve(&app, &hub)?;
            let signed_out = app.remove(&hub).await?;
            out!("Removed {}. {}", hub.settings.name, signed_out.describe());
            Ok(ExitCode::Ok)
        }
        Command::Doctor { target, json } => doctor(&app, &target, json).await,
        Command::Link(_) | Command::Hubs { .. } | Command::Policy { .. } => unreachable!("handled above"),
    }
}

fn resolve(app: &Hublink, query: &str) -> Result<hublink_core::Hub, Error> {
    let catalog = app.catalog()?;
    for w in &catalog.warnings {
        err!("warning: {w}");
    }
    catalog.resolve(query).cloned()
}

async fn add(app: &Hublink, input: &str, yes: bool) -> Result<ExitCode, Error> {
    let proposal = app.prepare_add(input).await?;
    err_inline!("{}", describe_proposal(&proposal));
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::ConfirmationRequired);
        }
        err_inline!("Add this hub? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).map_err(|e| Error::io("standard input", e))?;
        if !matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
            err!("Nothing was added.");
            return Ok(ExitCode::Cancelled);
        }
    }
    let AddOutcome { hub, already_present } = app.add(&proposal)?;
    if already_present {
        out!("{} is already there ({}); nothing changed.", hub.settings.name, hub.source.as_str());
    } else {
        out!("Added {}. Sign in with: hublink login \"{}\"", hub.settings.name, hub.settings.name);
    }
    Ok(ExitCode::Ok)
}

fn describe_proposal(p: &Proposal) -> String {
    let s = &p.settings;
    let mut out = String::from("Add this hub?\n");
    out += &format!("  Name:     {}\n", s.name);
    out += &format!("  Host:     {}\n", s.display_host());
    if s.any_host_is_international() {
        out += "            ⚠ an address below uses international characters and is shown as punycode;\n            make sure it is the hub and sign-in page you expect.\n";
    }
    out += &format!("  Address:  {}\n", s.url);
    if s.auth == hublink_core::settings::Auth::Web {
        out += &format!(
            "  Sign-in:  the hub's own sign-in page, in a Hublink window; its session cookie is kept\n            (checked at {})\n",
            s.session_check.as_ref().map(ToString::to_string).unwrap_or_default()
        );
    } else {
        out += &format!(
            "  Sign-in:  {} (client {}{}{})\n",
            s.display_issuer(),
            s.client_id,
            if s.mfa_required { ", second factor required" } else { "" },
            if s.flow == hublink_core::settings::Flow::Device { ", device code" } else { "" }
        );
    }
    if let Some(recipients) = &p.token_recipients {
        out += &format!("  Token:    {}\n", describe_token(recipients));
    }
    out += &format!(
        "  From:     {}\n",
        match &p.origin {
            ProposalOrigin::Link => "an authentication link".to_owned(),
            ProposalOrigin::PublishedByHub(u) => format!("the hub's published settings ({u})"),
            ProposalOrigin::AddressAsIssuer(_) =>
                "the address you typed (the hub publishes no settings; it is used as its own identity provider)"
                    .to_owned(),
        }
    );
    out += &match &p.signature {
        LinkSignature::Verified { key } => format!("  Issued by: your organization (signed, key {key})\n"),
        LinkSignature::Invalid { reason } => format!("  Signature: NOT VALID — {reason}\n"),
        LinkSignature::Unsigned => String::new(),
    };
    if !p.ignored.is_empty() {
        out += &format!("  Ignored:  unknown parameters {} (not acted on)\n", p.ignored.join(", "));
    }
    out
}

/// Who receives the identity provider's access token (hub_check's rule), in one line.
fn describe_token(r: &TokenRecipients) -> String {
    match (&r.hub, &r.unpaired_check) {
        (Some((host, why)), _) => format!(
            "the identity provider's token goes to {} and to {host} (this hub's session check, {})",
            r.identity_provider,
            why.describe()
        ),
        (None, Some(host)) => format!(
            "the identity provider's token goes only to the identity provider {}; the session check on {host} is not used (only your organization can let another host receive it)",
            r.identity_provider
        ),
        (None, None) => {
            format!("the identity provider's token goes only to the identity provider {}", r.identity_provider)
        }
    }
}

fn list(app: &Hublink, json: bool) -> Result<ExitCode, Error> {
    let catalog = app.catalog()?;
    let rows: Vec<output::Row> =
        catalog.hubs.iter().map(|h| output::Row::last_known(h, catalog.sessions.get(&h.id))).collect();
    output::print_hubs(&rows, &catalog, json);
    Ok(ExitCode::Ok)
}

async fn status(app: &Hublink, json: bool) -> Result<ExitCode, Error> {
    let catalog = app.catalog()?;
    let statuses = app.restore_all(&catalog).await;
    let rows: Vec<output::Row> = statuses.iter().map(output::Row::checked).collect();
    output::print_hubs(&rows, &catalog, json);
    let code = statuses
        .iter()
        .find_map(|s| match &s.state {
            SessionState::SignedIn { .. } => None,
            SessionState::SignInRequired { .. } => Some(ExitCode::Refused),
            SessionState::Offline { .. } => Some(ExitCode::Network),
            SessionState::Error(e) => Some(e.exit_code()),
        })
        .unwrap_or(ExitCode::Ok);
    Ok(code)
}

async fn login(app: &Hublink, query: &str, device: bool, timeout: u64) -> Result<ExitCode, Error> {
    let hub = resolve(app, query)?;
    if hub.settings.auth == hublink_core::settings::Auth::Web {
        return desktop::login(app, &hub, Duration::from_secs(timeout)).await;
    }
    let options = LoginOptions { device, timeout: Duration::from_secs(timeout) };
    let progress = |p: Progress| match p {
        Progress::BrowserOpened { url } => {
            err!("Finish signing in to {} in your browser.", hub.settings.name);
            err!("If no browser opened, visit: {url}");
        }
        Progress::WindowOpened { .. } => err!("Finish signing in to {} in the Hublink window.", hub.settings.name),
        Progress::BrowserFailed { url, reason } => {
            err!("Could not open a browser ({reason}).");
            err!("To sign in, visit: {url}");
        }
        Progress::DeviceCode { user_code, verification_uri, verification_uri_complete, expires_in } => {
            err!("To sign in to {}, visit: {verification_uri}", hub.settings.name);
            err!("and enter the code: {user_code}");
            if let Some(complete) = verification_uri_complete {
                err!("(or open: {complete})");
            }
            let seconds = i64::try_from(expires_in.as_secs()).unwrap_or(i64::MAX);
            err!("The code is valid for {}.", hublink_core::session::human_duration(seconds));
        }
        Progress::Verifying => err!("Checking the sign-in with the hub…"),
    };
    let signed_in = tokio::select! {
        r = app.login(&hub, options, &progress) => r?,
        _ = tokio::signal::ctrl_c() => return Err(Error::Cancelled),
    };
    out!(
        "Signed in to {} as {}{}",
        hub.settings.name,
        signed_in.user,
        signed_in
            .session_ends_at
            .map(|e| format!(" (until {}: sign in again by then)", output::rfc3339(e)))
            .unwrap_or_default()
    );
    if let Some(notice) = signed_in.notice() {
        err!("note: {notice}");
    }
    Ok(ExitCode::Ok)
}

async fn doctor(app: &Hublink, target: &str, json: bool) -> Result<ExitCode, Error> {
    let settings = match app.catalog()?.resolve(target) {
        Ok(hub) => hub.settings.clone(),
        Err(Error::UnknownHub(_)) if target.contains("://") => {
            HubSettings::from_pairs([("url", target)], Context::Link)?.0
        }
        Err(e) => return Err(e),
    };
    let report = hublink_core::doctor::diagnose(&settings).await;
    if json {
        out!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        out!("Checking {} ({})", report.hub, settings.url);
        for step in &report.steps {
            out!("  {} {}: {}", if step.ok { "ok  " } else { "FAIL" }, step.name, step.detail);
            if let Some(next) = &step.next_step {
                out!("       next: {next}");
            }
        }
        if report.ok() {
            out!(
                "Everything on the way to the hub works. If signing in still fails, run `hublink login` and read its reason."
            );
        }
    }
    Ok(report.exit_code())
}

fn link(args: &LinkArgs) -> Result<ExitCode, Error> {
    let url = args.url.as_deref().unwrap_or_default();
    let mut pairs: Vec<(&str, &str)> = vec![("url", url)];
    let optional = [
        ("name", &args.name),
        ("issuer", &args.issuer),
        ("client_id", &args.client_id),
        ("scope", &args.scope),
        ("flow", &args.flow),
        ("redirect_port", &args.redirect_port),
        ("session_check", &args.session_check),
        ("extra_audiences", &args.extra_audiences),
        ("auth", &args.auth),
        ("session_cookie", &args.session_cookie),
        ("login_path", &args.login_path),
    ];
    pairs.extend(optional.iter().filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))));
    if args.mfa_required {
        pairs.push(("mfa", "required"));
    }
    let (settings, _) = HubSettings::from_pairs(pairs, Context::Link)?;
    match &args.sign {
        None => out!("{}", AuthLink::generate(&settings)),
        Some(path) => {
            let bytes = hublink_core::fsutil::read_regular_file(path, 64 * 1024)
                .map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
            let pem = hublink_core::Secret::new(String::from_utf8_lossy(&bytes).into_owned());
            let key = link_signing::read_private_key(pem.expose())
                .map_err(|e| Error::SigningKey { path: path.clone(), problem: e })?;
            out!("{}", link_signing::sign(&settings, &key));
        }
    }
    Ok(ExitCode::Ok)
}

fn link_keygen(dir: &std::path::Path) -> Result<ExitCode, Error> {
    let key = link_signing::generate_key();
    let private = dir.join("hublink-link-signing.key");
    let public = dir.join("hublink-link-signing.pub");
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // create_new: an existing key is never overwritten; 0600: the private key is the user's alone.
    write_new(&private, link_signing::private_key_pem(&key).expose().as_bytes(), 0o600)?;
    let public_text = link_signing::public_key_text(&key.verifying_key());
    write_new(&public, format!("{public_text}\n").as_bytes(), 0o644)?;
    out!("Private key (keep it safe; sign with `hublink link … --sign {}`)", private.display());
    out!("Public key, for the policy's LinkSigningKeys: {public_text}");
    out!("  (also in {})", public.display());
    Ok(ExitCode::Ok)
}

fn write_new(path: &std::path::Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))
}

fn policy(json: bool) -> Result<ExitCode, Error> {
    let policy =
        hublink_core::platform::load_policy().map_err(|(origin, problem)| Error::PolicyUnusable { origin, problem })?;
    let report = policy.report();
    if json {
        out!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        return Ok(ExitCode::Ok);
    }
    match &report.origin {
        Some(origin) => out!("Managed by your organization ({origin})"),
        None => out!("No organization policy on this computer: the defaults apply."),
    }
    for rule in &report.rules {
        let value = match &rule.value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out!("  {:<22} {:<40} {}", rule.rule, value, rule.source);
    }
    Ok(ExitCode::Ok)
}

fn hubs_check(path: Option<&std::path::Path>) -> Result<ExitCode, Error> {
    let hublink_core::use_cases::HubsFilesReport { dirs, load } = hublink_core::use_cases::CheckHubsFiles.run(path);
    out!("Checked {}", dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", "));
    for hub in &load.hubs {
        out!("  ok    {}:{} [{}] → {}", hub.file.display(), hub.line, hub.section, hub.settings.url);
    }
    let mut errors = 0;
    for problem in &load.problems {
        let level = if problem.is_warning() { "warn " } else { "error" };
        if !problem.is_warning() {
            errors += 1;
        }
        out!("  {level} {problem}");
    }
    out!("{} hub(s), {} error(s), {} warning(s)", load.hubs.len(), errors, load.problems.len() - errors);
    Ok(if errors > 0 { ExitCode::BadConfig } else { ExitCode::Ok })
}
