//! The Wix side, generated and run with the real tools.
//!
//! - `wix-events scaffold velo` writes backend/events.js; `node --check` parses it, and
//!   Node runs its exported functions on every Velo fixture (`tests/wix-side/run-velo.mjs`,
//!   with Velo's `wix-fetch` and `wix-secrets-backend` stood in for by Node's fetch and
//!   the environment) against the receiver example's router on loopback: each event must
//!   reach its typed handler exactly once. A wrong secret and a replay after the
//!   tolerance are refused.
//! - `wix-events scaffold cli-app` run twice changes nothing, and its files type-check
//!   with `tsc --noEmit` against Wix's packages installed in `tests/wix-side/node_modules`.
//!
//! Node is not a requirement of `cargo test` on a fresh machine: without `node` (or
//! without `npm ci` in tests/wix-side, for tsc) these tests say so on stderr and pass,
//! unless `WIX_EVENTS_REQUIRE_NODE=1` is set, as `.ci/run` does.

#[path = "../examples/receiver/app.rs"]
mod app;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use wix_backend_events::dispatch::Dispatcher;
use wix_backend_events::velo_auth::{VeloSecret, SIGNATURE_HEADER};
use wix_backend_events::{cli, Event, EventSet, HandleAll, HandlerResult};
use wix_events_integration::fixtures_dir;

/// The secret the Node "site" and the receiver share.
const SECRET: &str = "wix-side-e2e-shared-secret-0123456789abcdef";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a missing Node tool fails the test rather than skipping it.
fn node_required() -> bool {
    std::env::var_os("WIX_EVENTS_REQUIRE_NODE").is_some_and(|value| value != "0")
}

/// Skips (returns false) or fails when a tool is missing.
fn available(what: &str, present: bool) -> bool {
    if !present {
        assert!(!node_required(), "{what} is required (WIX_EVENTS_REQUIRE_NODE is set)");
        eprintln!("skipped: {what} not available (set WIX_EVENTS_REQUIRE_NODE=1 to make this a failure)");
    }
    present
}

fn node_present() -> bool {
    Command::new("node").arg("--version").output().is_ok_and(|output| output.status.success())
}

/// A fresh empty directory under the target dir, named for the test.
fn scratch(name: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_TMPDIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("wix-side-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `wix-events` in-process; exit code, stdout, stderr.
fn wix_events(args: &[&str]) -> (u8, String, String) {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let argv = std::iter::once("wix-events").chain(args.iter().copied());
    let code = cli::run::<Event>(argv, &mut &b""[..], &mut stdout, &mut stderr);
    (code, String::from_utf8_lossy(&stdout).into_owned(), String::from_utf8_lossy(&stderr).into_owned())
}

/// Every file under `dir` with its content, for before/after comparisons.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            if entry.file_name() == "node_modules" {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// One handler call: the Velo handler name that ran and the event's id.
type Call = (&'static str, Option<String>);

/// The receiver on loopback, with a clock the test can move.
struct Server {
    address: SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
    clock_offset: Arc<AtomicI64>,
}

async fn start() -> Server {
    let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
    let recorded = Arc::clone(&calls);
    let handler = HandleAll(move |event: Event| {
        let recorded = Arc::clone(&recorded);
        async move {
            recorded.lock().unwrap().push((event.info().velo_handler, event.event_id().map(str::to_owned)));
            HandlerResult::Ok(())
        }
    });
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = Arc::clone(&clock_offset);
    let secret = VeloSecret::new(SECRET).with_clock(move || unix_now() + offset.load(Ordering::SeqCst));
    let dispatcher = Dispatcher::new(handler).with_velo_secret(secret);
    let listener = app::listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let routes = app::Routes { webhook: false, velo: true };
    let shutdown = std::future::pending();
    tokio::spawn(app::serve(listener, Arc::new(dispatcher), app::Limits::default(), routes, shutdown));
    Server { address, calls, clock_offset }
}

fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

impl Server {
    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Posts a request as captured from Node: path, signature header, body. The status.
    async fn replay(&self, path: &str, signature: &str, body: &str) -> u16 {
        let exchange = async {
            let mut stream = TcpStream::connect(self.address).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{SIGNATURE_HEADER}: {signature}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                self.address,
                body.len()
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(body.as_bytes()).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            response
        };
        let response = tokio::time::timeout(Duration::from_secs(10), exchange).await.expect("no reply in time");
        let response = String::from_utf8_lossy(&response).into_owned();
        response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
    }
}

/// Writes a Velo site running in Node: backend/events.js scaffolded for every Velo event
/// with `url`, Velo's modules stood in for, ESM enabled. Returns the events.js path.
fn velo_site(dir: &Path, url: &str) -> PathBuf {
    let events_js = dir.join("backend/events.js");
    let (code, _, stderr) =
        wix_events(&["scaffold", "velo", "--url", url, "--all", "--out", events_js.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.join("package.json"), r#"{ "type": "module" }"#).unwrap();
    for module in ["wix-fetch", "wix-secrets-backend"] {
        let target = dir.join("node_modules").join(module);
        std::fs::create_dir_all(&target).unwrap();
        for file in ["package.json", "index.js"] {
            std::fs::copy(root().join("tests/wix-side/velo-stubs").join(module).join(file), target.join(file)).unwrap();
        }
    }
    events_js
}

/// Runs every Velo fixture through events.js in Node with `secret`; the runner's report.
async fn run_node(events_js: &Path, secret: &str) -> Value {
    let mut command = tokio::process::Command::new("node");
    command
        .arg(root().join("tests/wix-side/run-velo.mjs"))
        .arg(events_js)
        .arg(fixtures_dir().join("velo"))
        .env("WIX_SECRET_wixEventsSecret", secret);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output()).await.expect("node hung").unwrap();
    assert!(output.status.success(), "node failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("node printed no report ({error}): {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn velo_forwarders_run_in_node_reach_their_typed_handlers_once() {
    if !available("node", node_present()) {
        return;
    }
    let server = start().await;
    let dir = scratch("velo");
    let events_js = velo_site(&dir, &format!("http://{}", server.address));

    let check = Command::new("node").arg("--check").arg(&events_js).output().unwrap();
    assert!(check.status.success(), "node --check: {}", String::from_utf8_lossy(&check.stderr));

    // Every fixture: forwarded, signed, decoded, handled once, by the handler of its name.
    let report = run_node(&events_js, SECRET).await;
    let results = report["results"].as_array().unwrap();
    let fixtures = wix_events_integration::fixtures("velo");
    assert_eq!(results.len(), fixtures.len(), "{report}");
    let failed: Vec<&Value> = results.iter().filter(|result| result["ok"] != true).collect();
    assert!(failed.is_empty(), "forwards that threw: {failed:#?}");
    let mut expected: Vec<Call> = fixtures
        .iter()
        .map(|fixture| {
            let info = Event::by_velo_handler(&fixture.event).unwrap();
            (info.velo_handler, fixture.json()["metadata"]["id"].as_str().map(str::to_owned))
        })
        .collect();
    let mut calls = server.calls();
    expected.sort();
    calls.sort();
    assert_eq!(calls, expected);

    // A site with another secret: every forward throws (Velo logs it), no handler runs.
    let report = run_node(&events_js, "not-the-shared-secret").await;
    for result in report["results"].as_array().unwrap() {
        assert_eq!(result["ok"], false, "{result}");
        assert!(result["error"].as_str().unwrap().contains("HTTP 401"), "{result}");
    }
    assert_eq!(server.calls().len(), expected.len(), "no handler ran for the wrong secret");

    // A captured forward replayed: a duplicate within the tolerance, refused after it.
    let captured = &report_requests(&run_node(&events_js, SECRET).await)[0];
    assert_eq!(server.calls().len(), expected.len(), "re-sent events are duplicates");
    let (path, signature, body) = captured;
    assert_eq!(server.replay(path, signature, body).await, 200);
    server.clock_offset.store(301, Ordering::SeqCst);
    assert_eq!(server.replay(path, signature, body).await, 401, "replay after the tolerance");
    // ...and posted to another handler's route, refused whatever the clock.
    server.clock_offset.store(0, Ordering::SeqCst);
    let other =
        if path.ends_with("wixCrm_onContactDeleted") { "wixCrm_onContactCreated" } else { "wixCrm_onContactDeleted" };
    assert_eq!(server.replay(&format!("/velo/{other}"), signature, body).await, 401, "redirected");
    assert_eq!(server.calls().len(), expected.len());
    let _ = std::fs::remove_dir_all(dir);
}

/// The requests wix-fetch sent: path, signature header, body.
fn report_requests(report: &Value) -> Vec<(String, String, String)> {
    report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|request| {
            let url = request["url"].as_str().unwrap();
            let path = url.find("/velo/").map(|at| &url[at..]).unwrap().to_owned();
            let signature = request["headers"][SIGNATURE_HEADER].as_str().unwrap().to_owned();
            (path, signature, request["body"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn cli_app_scaffold_is_idempotent_and_type_checks_against_wix_packages() {
    let app = scratch("cli-app");
    std::fs::write(app.join("wix.config.json"), r#"{ "appId": "00000000-1111-4222-8333-444444444444" }"#).unwrap();
    // An app with a registry of its own, whose lines must survive.
    std::fs::create_dir_all(app.join("src")).unwrap();
    let own = "import { app } from \"@wix/astro/builders\";\n\nexport default app();\n";
    std::fs::write(app.join("src/extensions.ts"), own).unwrap();
    let args = ["scaffold", "cli-app", "--dir", app.to_str().unwrap(), "--url", "https://svc.example.com", "--all"];
    let (code, stdout, stderr) = wix_events(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let first = snapshot(&app);
    let registry = String::from_utf8(first[Path::new("src/extensions.ts")].clone()).unwrap();
    let ids: Vec<&str> = first
        .iter()
        .filter(|(path, _)| path.to_string_lossy().ends_with(".extension.ts"))
        .filter_map(|(_, text)| std::str::from_utf8(text).ok()?.split("id: \"").nth(1)?.get(..36))
        .collect();
    let sdk_events = Event::CATALOGUE.iter().filter(|info| info.sdk.is_some()).count();
    assert_eq!(ids.len(), sdk_events, "one extension per event the SDK registers");
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids are unique");
    assert_eq!(registry.matches(".use(event").count(), sdk_events, "{registry}");

    let (code, stdout, stderr) = wix_events(&args);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(snapshot(&app), first, "a second run changes nothing");
    assert!(
        stdout.lines().all(|line| line.starts_with("unchanged ") || line.starts_with("extension ids derived from ")),
        "{stdout}"
    );

    // A handler of the app's own for an event: reported, not overwritten, not registered twice.
    let mine = app.join("src/extensions/backend/events/contact-created/contact-created.ts");
    std::fs::write(&mine, "// mine\n").unwrap();
    let (code, _, stderr) = wix_events(&args);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("contact-created.ts exists with other content"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "// mine\n");
    std::fs::write(&mine, &first[Path::new("src/extensions/backend/events/contact-created/contact-created.ts")])
        .unwrap();

    let modules = root().join("tests/wix-side/node_modules");
    let tsc = modules.join("typescript/bin/tsc");
    if !available("node", node_present()) || !available("tests/wix-side/node_modules (npm ci)", tsc.is_file()) {
        return;
    }
    std::fs::copy(root().join("tests/wix-side/tsconfig.json"), app.join("tsconfig.json")).unwrap();
    link_dir(&modules, &app.join("node_modules"));
    let output = Command::new("node").arg(&tsc).args(["--noEmit", "-p"]).arg(&app).output().unwrap();
    assert!(
        output.status.success(),
        "tsc --noEmit:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The check can fail: an SDK function Wix does not export is a type error.
    let handler = app.join("src/extensions/backend/events/contact-deleted/contact-deleted.ts");
    let text = std::fs::read_to_string(&handler).unwrap();
    std::fs::write(&handler, text.replace("contacts.onContactDeleted", "contacts.onContactSubmitted")).unwrap();
    let output = Command::new("node").arg(&tsc).args(["--noEmit", "-p"]).arg(&app).output().unwrap();
    assert!(!output.status.success(), "tsc accepted a function the SDK does not export");
    assert!(String::from_utf8_lossy(&output.stdout).contains("onContactSubmitted"));
    let _ = std::fs::remove_dir_all(app);
}

#[cfg(unix)]
fn link_dir(from: &Path, to: &Path) {
    std::os::unix::fs::symlink(from, to).unwrap();
}

#[cfg(not(unix))]
fn link_dir(from: &Path, to: &Path) {
    std::os::windows::fs::symlink_dir(from, to).unwrap();
}
