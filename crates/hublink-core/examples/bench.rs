//! Throughput of the parsers and stores Hublink runs on every launch, as a table.
//! Run by `scripts/bench.sh` (release build): `cargo run --release --example bench`.
//! `cargo run --release --example bench -- hubs.ini` runs only the rows whose name contains
//! `hubs.ini` (for profiling one of them).

use std::hint::black_box;
use std::time::{Duration, Instant};

use hublink_core::hubs_ini;
use hublink_core::link::AuthLink;
use hublink_core::registry::Registry;
use hublink_core::store::{Chunked, MemoryEntries, SecretStore};
use hublink_core::{HubId, Secret, paths::Paths};

fn measure(name: &str, unit: &str, per_iter: usize, mut f: impl FnMut()) {
    if std::env::args().nth(1).is_some_and(|only| !name.contains(&only)) {
        return;
    }
    // Warm up, then run for about half a second.
    f();
    let start = Instant::now();
    let mut iters = 0u64;
    while start.elapsed() < Duration::from_millis(500) {
        f();
        iters += 1;
    }
    let elapsed = start.elapsed();
    let per = elapsed / iters as u32;
    let rate = (iters as f64 * per_iter as f64) / elapsed.as_secs_f64();
    println!("| {name:<58} | {:>12} | {:>22} |", format!("{per:.2?}"), format!("{rate:.0} {unit}/s"));
}

fn main() {
    println!("| {:<58} | time per run | {:>22} |", "operation", "throughput");
    println!("|{}|--------------|{}|", "-".repeat(60), "-".repeat(24));

    let link = "hublink://add?url=https://finance.example.com/hub/&name=Finance%20Hub&issuer=https://login.example.com/realms/corp&client_id=hublink-desktop&mfa=required&session_check=https://finance.example.com/api/session";
    measure("parse one authentication link", "links", 1, || {
        black_box(AuthLink::parse(black_box(link)).ok());
    });
    let settings = AuthLink::parse(link).map(|l| l.settings).expect("benchmark link is valid");
    measure("generate one authentication link", "links", 1, || {
        black_box(AuthLink::generate(black_box(&settings)));
    });

    let mut ini = String::new();
    for i in 0..1000 {
        ini.push_str(&format!(
            "[Hub {i}]\nurl = https://hub{i}.example.com/\nissuer = https://login.example.com/realms/r{i}\nmfa = required ; comment\n\n"
        ));
    }
    let bytes = ini.as_bytes().to_vec();
    measure("parse hubs.ini with 1,000 sections (UTF-8)", "sections", 1000, || {
        let load = hubs_ini::parse_ini_bytes(std::path::Path::new("bench.ini"), black_box(&bytes));
        assert_eq!(load.hubs.len(), 1000);
    });
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(ini.encode_utf16().flat_map(|u| u.to_le_bytes()));
    measure("parse hubs.ini with 1,000 sections (UTF-16)", "sections", 1000, || {
        black_box(hubs_ini::parse_ini_bytes(std::path::Path::new("bench.ini"), black_box(&utf16)));
    });

    let dir = tempfile_dir();
    let registry = Registry::new(&Paths::at(&dir));
    measure("registry update (lock, read, atomic write)", "updates", 1, || {
        registry
            .update(|d| {
                let n = d.hidden.len();
                d.hidden.insert(HubId::parse(&format!("{n:016x}")).expect("a hub id"));
            })
            .expect("registry update");
    });

    let store = Chunked::new(MemoryEntries::default());
    let session = Secret::new("x".repeat(6000));
    measure("store + read a 6 kB session in 1,000-char chunks", "sessions", 1, || {
        store.set("hub", &session).expect("set");
        black_box(store.get("hub").expect("get"));
    });
    catalog_at_start_up(&dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// The desktop's start: `list_hubs` and then one `check_hub` per hub, each of which looks its
/// hub up in the catalog. Before: every lookup re-read and re-parsed every hubs.ini file and
/// the registry. After: hubs.ini parsed once, revalidated by file times; the registry re-read.
fn catalog_at_start_up(dir: &std::path::Path) {
    use hublink_core::catalog::Catalog;
    let hubs = 100;
    let ini_dir = dir.join("hubs");
    std::fs::create_dir_all(&ini_dir).expect("hubs dir");
    let mut ini = String::new();
    for i in 0..hubs {
        ini.push_str(&format!(
            "[Hub {i}]\nurl = https://hub{i}.example.com/\nissuer = https://login.example.com/r{i}\n\n"
        ));
    }
    std::fs::write(ini_dir.join("hubs.ini"), ini).expect("hubs.ini");
    let paths = Paths::at(dir.join("start-up"));
    let app = hublink_core::Hublink::new(hublink_core::Parts {
        paths: paths.clone(),
        store: std::sync::Arc::new(Chunked::new(MemoryEntries::default())),
        browser: std::sync::Arc::new(hublink_core::browser::SystemBrowser::from_env()),
        ini_dirs: vec![ini_dir.clone()],
        insecure_storage_allowed: false,
        clock: std::sync::Arc::new(hublink_core::clock::SystemClock),
        policy: std::sync::Arc::default(),
        web: std::sync::OnceLock::new(),
        store_gate: Default::default(),
    });
    let ids: Vec<HubId> = app.catalog().expect("catalog").hubs.iter().map(|h| h.id.clone()).collect();
    let registry = Registry::new(&paths);
    measure("start-up, 100 hubs: list + 100 lookups, before (re-read)", "start-ups", 1, || {
        let (data, warnings) = registry.load().expect("registry");
        black_box(Catalog::build(std::slice::from_ref(&ini_dir), &data, warnings));
        for id in &ids {
            let (data, warnings) = registry.load().expect("registry");
            let catalog = Catalog::build(std::slice::from_ref(&ini_dir), &data, warnings);
            black_box(catalog.get(id).expect("hub").clone());
        }
    });
    measure("start-up, 100 hubs: list + 100 lookups, after (cached)", "start-ups", 1, || {
        black_box(app.catalog().expect("catalog"));
        for id in &ids {
            black_box(app.hub(id).expect("hub"));
        }
    });
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hublink-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
