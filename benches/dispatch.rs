//! What the dispatcher costs on top of the work it cannot avoid.
//!
//! `cargo bench --bench dispatch` measures, with criterion:
//!
//! - `velo/*`: one pass over every fixture as a Velo event object (the Velo examples, and
//!   each webhook example in its Velo form), three ways: `dispatch` (decode and
//!   dispatch, as `Dispatcher::velo` does for a forwarded event), `typed`
//!   (`serde_json::from_slice` straight into each payload type) and `value` (parsing into
//!   `serde_json::Value`, what hand-written code does).
//! - `webhook/*`: one pass over a signed JWT per webhook fixture: `dispatch` (verify,
//!   unwrap, decode, dispatch, as `Dispatcher::webhook` does) and `rs256` (bare RS256
//!   verification of the same tokens with jsonwebtoken).
//!
//! Then it measures each pair again, interleaving the two sides round by round so that
//! drift in clock speed hits both alike, and prints the ratios of the mean times
//! (`dispatch/typed`, `typed/value`, `webhook/rs256`) with their targets.
//!
//! Last, the hardware bound: the full webhook path's rate on one core, measured for 3 s
//! before and 3 s after `openssl speed -seconds 3 rsa2048` (run as a subprocess, one core),
//! beside openssl's RSA-2048 verifications per second, and their ratio (target: 0.70 or
//! more), and the floor under that ratio: the rate of verifying a token whose claims are
//! `exp` alone, the RSA public operation with almost nothing around it, and the ratio for
//! the tokens of each size class. Without `openssl` on the PATH, that line says so.
//!
//! The dispatcher runs with a handler that looks at the event id and answers `Ok` (webhook
//! events it has no method for take the trait's default, "not subscribed"), and with a
//! dedupe store that never reports a duplicate, so every iteration takes the full path. A breakdown follows
//! the ratios: the crate's decoding layer alone against `typed`, and verification plus
//! unwrapping (`webhook::open`) against bare RS256.

use std::future::Future;
use std::hint::black_box;
use std::path::Path;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::future::Ready;
use wix_backend_events::dedupe::{Begin, Claim, DedupeError, DedupeStore};
use wix_backend_events::dispatch::{Dispatcher, Outcome};
use wix_backend_events::testing::{fixture_files, velo_fixture, webhook_fixture, TestAlg, TestSigner};
use wix_backend_events::webhook::domain_event::{plain_to_velo_envelope, to_velo_envelope};
use wix_backend_events::webhook::{layers, WebhookKey, WrapperFields};
use wix_backend_events::{
    visit_payload_type, Event, EventPayload, EventSet, HandleAll, HandlerResult, PayloadTypeVisitor, WebhookBody,
};

/// A dedupe store that never remembers, so repeated iterations are not duplicates.
struct NoDedupe;

impl DedupeStore for NoDedupe {
    fn begin(&self, _claim: &Claim<'_>) -> impl Future<Output = Result<Begin, DedupeError>> + Send {
        std::future::ready(Ok(Begin::First))
    }

    fn finish(&self, _claim: &Claim<'_>, _handled: bool) -> impl Future<Output = Result<(), DedupeError>> + Send {
        std::future::ready(Ok(()))
    }
}

/// `serde_json::from_slice` into the payload type of a Velo handler; the baseline.
type TypedDecode = fn(&[u8]) -> bool;

fn typed<T: EventPayload>(bytes: &[u8]) -> bool {
    black_box(serde_json::from_slice::<T>(bytes)).is_ok()
}

/// The baseline decoder of a payload type, picked by Velo handler name.
struct TypedDecoder;

impl PayloadTypeVisitor for TypedDecoder {
    type Output = TypedDecode;
    fn visit<T: EventPayload + 'static>(self) -> TypedDecode {
        typed::<T>
    }
}

/// The handler: looks at the event id, as a real one would first, and answers `Ok`.
type AcceptAll = HandleAll<fn(Event) -> Ready<HandlerResult>>;

fn accept(event: Event) -> Ready<HandlerResult> {
    black_box(event.metadata().id.is_some());
    std::future::ready(Ok(()))
}

fn dispatcher() -> Dispatcher<AcceptAll, NoDedupe> {
    Dispatcher::new(HandleAll(accept as fn(Event) -> Ready<HandlerResult>)).with_dedupe(NoDedupe)
}

/// Runs a future that never waits (every future on the benchmarked path is ready at
/// once), without a runtime whose scheduling would blur the comparison.
fn run_ready<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmarked path awaited something; it must complete at once"),
    }
}

fn fixtures(kind: &str) -> Vec<std::path::PathBuf> {
    fixture_files(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind))
        .unwrap_or_else(|error| panic!("cannot list the {kind} fixtures: {error}"))
}

/// A Velo fixture ready to replay.
struct VeloCase {
    handler: String,
    bytes: Vec<u8>,
    typed: TypedDecode,
}

/// Every fixture as the Velo event object a site would forward: the Velo examples as
/// they are, and each webhook example in its Velo form (what Wix's SDK makes of it).
fn velo_cases() -> Vec<VeloCase> {
    let dispatcher = dispatcher();
    let velo = fixtures("velo").into_iter().map(|file| {
        let (handler, bytes) = velo_fixture(&file).unwrap_or_else(|error| panic!("{error}"));
        (file, handler, bytes)
    });
    let webhook = fixtures("webhook").into_iter().map(|file| {
        let (event_type, body) = webhook_fixture(&file).unwrap_or_else(|error| panic!("{error}"));
        let info = Event::by_event_type(&event_type);
        let info = info.unwrap_or_else(|| panic!("{}: unknown eventType", file.display()));
        // A webhook whose body is the event's data itself has its own Velo form.
        let envelope = match info.webhook_body {
            WebhookBody::DomainEvent => to_velo_envelope(body, None, &WrapperFields::default()),
            WebhookBody::Plain => plain_to_velo_envelope(body, Some(&event_type), &WrapperFields::default()),
        };
        let envelope = envelope.unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let handler = info.velo_handler.to_owned();
        let bytes = serde_json::to_vec(&envelope).unwrap_or_else(|error| panic!("{error}"));
        (file, handler, bytes)
    });
    let cases: Vec<VeloCase> = velo
        .chain(webhook)
        .map(|(file, handler, bytes)| {
            let typed = visit_payload_type(&handler, TypedDecoder)
                .unwrap_or_else(|| panic!("{}: {handler} is not compiled in", file.display()));
            // Both sides must succeed, or the comparison would time an error path.
            assert!(typed(&bytes), "{}: does not decode", file.display());
            let outcome = run_ready(dispatcher.velo(&handler, &bytes, None));
            assert_eq!(outcome.ok(), Some(Outcome::Handled), "{}", file.display());
            VeloCase { handler, bytes, typed }
        })
        .collect();
    assert!(!cases.is_empty(), "no fixtures");
    cases
}

fn velo_dispatch(dispatcher: &Dispatcher<AcceptAll, NoDedupe>, cases: &[VeloCase]) {
    for case in cases {
        black_box(run_ready(dispatcher.velo(&case.handler, black_box(&case.bytes), None)).is_ok());
    }
}

fn velo_typed(cases: &[VeloCase]) {
    for case in cases {
        black_box((case.typed)(black_box(&case.bytes)));
    }
}

fn velo_value(cases: &[VeloCase]) {
    for case in cases {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(&case.bytes)).is_ok());
    }
}

/// Signed webhook tokens, one per webhook fixture, and what verifies them.
struct Webhooks {
    tokens: Vec<String>,
    dispatcher: Dispatcher<AcceptAll, NoDedupe>,
    key: WebhookKey,
    rs256_key: DecodingKey,
    rs256_validation: Validation,
    /// A token whose claims are `exp` alone, signed by the same key: its verification is
    /// the RSA public operation and little else, the floor under any webhook.
    bare_token: String,
}

fn webhooks() -> Webhooks {
    let signer = TestSigner::generate();
    let key = WebhookKey::from_pem(signer.public_key_pem()).unwrap_or_else(|error| panic!("{error}"));
    let dispatcher = dispatcher().with_webhook_key(key.clone());
    let tokens: Vec<String> = fixtures("webhook")
        .iter()
        .map(|file| {
            let (event_type, body) = webhook_fixture(file).unwrap_or_else(|error| panic!("{error}"));
            let token = signer.sign_webhook(&event_type, "bench-instance", &body, None);
            // Events without an `AcceptAll` method take the same path to the trait's
            // default method, which answers "not subscribed".
            let outcome = run_ready(dispatcher.webhook(token.as_bytes()));
            assert!(
                matches!(outcome, Ok(Outcome::Handled | Outcome::NotSubscribed)),
                "{}: {outcome:?}",
                file.display()
            );
            token
        })
        .collect();
    assert!(!tokens.is_empty(), "no webhook fixtures");
    let rs256_key =
        DecodingKey::from_rsa_pem(signer.public_key_pem().as_bytes()).unwrap_or_else(|error| panic!("{error}"));
    let rs256_validation = Validation::new(Algorithm::RS256);
    let in_a_minute =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |now| now.as_secs()) + 60;
    let bare_token = signer.sign_claims(&serde_json::json!({ "exp": in_a_minute }), TestAlg::Rs256);
    key.verify(&bare_token).unwrap_or_else(|error| panic!("the bare token: {error}"));
    Webhooks { tokens, dispatcher, key, rs256_key, rs256_validation, bare_token }
}

fn webhook_dispatch(webhooks: &Webhooks) {
    for token in &webhooks.tokens {
        black_box(run_ready(webhooks.dispatcher.webhook(black_box(token.as_bytes()))).is_ok());
    }
}

/// Verification and unwrapping only (`webhook::open`), for the breakdown.
fn webhook_open(webhooks: &Webhooks) {
    for token in &webhooks.tokens {
        black_box(layers::open(black_box(token.as_bytes()), &webhooks.key).is_ok());
    }
}

/// Decoding through the crate's `Event::decode` only, for the breakdown.
fn velo_event_decode(cases: &[VeloCase]) {
    for case in cases {
        black_box(Event::decode(&case.handler, black_box(case.bytes.as_slice())).is_ok());
    }
}

fn webhook_rs256(webhooks: &Webhooks) {
    for token in &webhooks.tokens {
        let verified = jsonwebtoken::decode::<serde_json::Value>(
            black_box(token),
            &webhooks.rs256_key,
            &webhooks.rs256_validation,
        );
        assert!(black_box(verified).is_ok());
    }
}

fn criterion_benches(criterion: &mut Criterion, velo: &[VeloCase], webhooks: &Webhooks) {
    let dispatcher = dispatcher();
    let mut group = criterion.benchmark_group("velo");
    group.throughput(Throughput::Elements(velo.len() as u64));
    group.bench_function("dispatch", |bench| bench.iter(|| velo_dispatch(&dispatcher, velo)));
    group.bench_function("typed", |bench| bench.iter(|| velo_typed(velo)));
    group.bench_function("value", |bench| bench.iter(|| velo_value(velo)));
    group.finish();

    let mut group = criterion.benchmark_group("webhook");
    group.throughput(Throughput::Elements(webhooks.tokens.len() as u64));
    group.bench_function("dispatch", |bench| bench.iter(|| webhook_dispatch(webhooks)));
    group.bench_function("rs256", |bench| bench.iter(|| webhook_rs256(webhooks)));
    group.finish();
}

/// Rounds of the ratio measurement; each side runs for about `ROUND` per round.
const ROUNDS: usize = 10;
const ROUND: Duration = Duration::from_millis(100);

/// The mean time of `a` divided by that of `b`, and both means.
fn ratio(mut a: impl FnMut(), mut b: impl FnMut()) -> (f64, Duration, Duration) {
    let time = |run: &mut dyn FnMut(), iterations: u32| {
        let started = Instant::now();
        for _ in 0..iterations {
            run();
        }
        started.elapsed()
    };
    // As many iterations as take about one round of `a` (bounded, for a very fast `a`).
    let mut iterations = 1u32;
    while iterations < 1 << 24 && time(&mut a, iterations) < ROUND / 4 {
        iterations *= 2;
    }
    iterations *= 4;
    let (mut total_a, mut total_b) = (Duration::ZERO, Duration::ZERO);
    for round in 0..ROUNDS {
        // Alternate which side goes first, so neither always runs on a warmer cache.
        if round % 2 == 0 {
            total_a += time(&mut a, iterations);
            total_b += time(&mut b, iterations);
        } else {
            total_b += time(&mut b, iterations);
            total_a += time(&mut a, iterations);
        }
    }
    let runs = (ROUNDS as u32) * iterations;
    (total_a.as_secs_f64() / total_b.as_secs_f64(), total_a / runs, total_b / runs)
}

fn report(name: &str, (ratio, a, b): (f64, Duration, Duration), target: &str, met: bool) {
    let verdict = if met { "met" } else { "MISSED" };
    println!("{name} = {ratio:.2}   ({a:.2?} vs {b:.2?} per pass; target {target}: {verdict})");
}

fn print_ratios(velo: &[VeloCase], webhooks: &Webhooks) {
    let dispatcher = dispatcher();
    println!("\nratios of mean times ({ROUNDS} interleaved rounds per pair)");
    let dispatch_typed = ratio(|| velo_dispatch(&dispatcher, velo), || velo_typed(velo));
    report("dispatch/typed", dispatch_typed, "<= 1.05", dispatch_typed.0 <= 1.05);
    // The crate's typed decode (`Event::decode`: UTF-8 checked once, then typed) against
    // hand-written code's `Value`; and plain `serde_json::from_slice` into the same types.
    let decode_value = ratio(|| velo_event_decode(velo), || velo_value(velo));
    report("decode/value", decode_value, "<= 0.67, typed 1.5x faster", decode_value.0 <= 1.0 / 1.5);
    let typed_value = ratio(|| velo_typed(velo), || velo_value(velo));
    report("typed/value", typed_value, "from_slice into the types; <= 0.67", typed_value.0 <= 1.0 / 1.5);
    let dispatch_rs256 = ratio(|| webhook_dispatch(webhooks), || webhook_rs256(webhooks));
    report("webhook/rs256", dispatch_rs256, "little above 1 (<= 1.25)", dispatch_rs256.0 <= 1.25);

    println!("breakdown");
    let decode_typed = ratio(|| velo_event_decode(velo), || velo_typed(velo));
    report("  Event::decode/typed", decode_typed, "decoding layer alone", true);
    println!("  size_of::<Event>() = {} bytes (moved through the dispatch futures)", std::mem::size_of::<Event>());
    let open_rs256 = ratio(|| webhook_open(webhooks), || webhook_rs256(webhooks));
    report("  open/rs256", open_rs256, "verify + unwrap the JSON layers", true);

    let per_webhook = dispatch_rs256.1 / webhooks.tokens.len() as u32;
    println!(
        "webhooks verified + unwrapped + dispatched: {:.0}/s on one core ({per_webhook:.2?} each, {} fixtures)",
        1.0 / per_webhook.as_secs_f64(),
        webhooks.tokens.len()
    );
}

/// How long each side of the comparison with openssl runs.
const RATE_WINDOW: Duration = Duration::from_secs(3);

/// Webhooks per second through the full path (verify, unwrap, decode, dispatch) on this
/// thread, over about `window`.
fn webhook_rate(webhooks: &Webhooks, window: Duration) -> f64 {
    let tokens: Vec<&[u8]> = webhooks.tokens.iter().map(|token| token.as_bytes()).collect();
    rate_over(webhooks, &tokens, window)
}

/// Webhooks per second through the full path over `tokens`, passes of all of them, for
/// about `window`.
fn rate_over(webhooks: &Webhooks, tokens: &[&[u8]], window: Duration) -> f64 {
    let started = Instant::now();
    let mut handled = 0u64;
    while started.elapsed() < window {
        for token in tokens {
            black_box(run_ready(webhooks.dispatcher.webhook(black_box(token))).is_ok());
        }
        handled += tokens.len() as u64;
    }
    handled as f64 / started.elapsed().as_secs_f64()
}

/// Token sizes, in bytes, of the classes [`print_rate_by_size`] reports.
const SIZE_CLASSES: [(usize, usize); 3] = [(0, 2048), (2048, 8192), (8192, usize::MAX)];

/// The full path's rate for the tokens of each size class, against openssl's: the share
/// of a webhook that is not the signature grows with its payload (hashing, base64, the
/// JSON layers, the typed decode).
fn print_rate_by_size(webhooks: &Webhooks, openssl: f64) {
    for (low, high) in SIZE_CLASSES {
        let tokens: Vec<&[u8]> = webhooks
            .tokens
            .iter()
            .filter(|token| (low..high).contains(&token.len()))
            .map(|token| token.as_bytes())
            .collect();
        if tokens.is_empty() {
            continue;
        }
        let rate = rate_over(webhooks, &tokens, RATE_WINDOW);
        let upper = if high == usize::MAX { "up".to_owned() } else { format!("{high} B") };
        println!(
            "  tokens of {low} B to {upper} ({} fixtures): {rate:.0}/s = {:.2} of openssl's rate",
            tokens.len(),
            rate / openssl
        );
    }
}

/// RSA-2048 verifications per second from `openssl speed -seconds 3 rsa2048` (one core).
fn openssl_verify_rate() -> Result<f64, String> {
    let seconds = RATE_WINDOW.as_secs().to_string();
    let output = std::process::Command::new("openssl")
        .args(["speed", "-seconds", &seconds, "rsa2048"])
        .output()
        .map_err(|error| format!("openssl did not run ({error})"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    verify_rate_of(&text).ok_or_else(|| format!("no `rsa 2048 bits` row with a verify/s column in:\n{text}"))
}

/// The `verify/s` figure of `openssl speed rsa2048`'s table: the header names the columns
/// (`sign verify sign/s verify/s`; OpenSSL 3.2 adds encryption columns), and the row
/// `rsa 2048 bits ...` holds one value per column.
fn verify_rate_of(table: &str) -> Option<f64> {
    let column =
        table.lines().find(|line| line.contains("verify/s"))?.split_whitespace().position(|n| n == "verify/s")?;
    let row = table.lines().find_map(|line| line.trim_start().strip_prefix("rsa 2048 bits"))?;
    row.split_whitespace().nth(column)?.parse().ok()
}

/// Verifications per second of [`Webhooks::bare_token`] on this thread, over about `window`.
fn bare_verify_rate(webhooks: &Webhooks, window: Duration) -> f64 {
    let started = Instant::now();
    let mut verified = 0u64;
    while started.elapsed() < window {
        black_box(webhooks.key.verify(black_box(&webhooks.bare_token)).is_ok());
        verified += 1;
    }
    verified as f64 / started.elapsed().as_secs_f64()
}

fn print_hardware_bound(webhooks: &Webhooks) {
    println!("\nthe webhook path against openssl's RSA-2048 verification, one core each, back to back");
    let before = webhook_rate(webhooks, RATE_WINDOW);
    let bare = bare_verify_rate(webhooks, RATE_WINDOW);
    let openssl = openssl_verify_rate();
    let after = webhook_rate(webhooks, RATE_WINDOW);
    let webhook = (before + after) / 2.0;
    println!("webhook verify + unwrap + decode + dispatch: {webhook:.0}/s (before openssl {before:.0}/s, after {after:.0}/s)");
    match openssl {
        Ok(openssl) => {
            let ratio = webhook / openssl;
            let verdict = if ratio >= 0.70 { "met" } else { "MISSED" };
            println!("openssl speed -seconds 3 rsa2048: {openssl:.0} verify/s");
            println!("webhook/openssl-verify = {ratio:.2}   (target >= 0.70: {verdict})");
            println!(
                "the floor: a token of `exp` alone verifies at {bare:.0}/s = {:.2} of openssl's rate",
                bare / openssl
            );
            println!("by token size:");
            print_rate_by_size(webhooks, openssl);
        }
        Err(reason) => println!("openssl comparison skipped: {reason}"),
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    let velo = velo_cases();
    let webhooks = webhooks();
    criterion_benches(&mut criterion, &velo, &webhooks);
    criterion.final_summary();
    // Only when benchmarking: `cargo test --benches` runs each benchmark once as a test.
    let args: Vec<String> = std::env::args().collect();
    let benchmarking =
        args.iter().any(|arg| arg == "--bench") && !args.iter().any(|arg| arg == "--test" || arg == "--list");
    if benchmarking {
        print_ratios(&velo, &webhooks);
        print_hardware_bound(&webhooks);
    }
}
