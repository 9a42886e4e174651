//! End-to-end tests of the receiver over loopback HTTP.
//!
//! The router is the receiver example's own (`examples/receiver/app.rs`,
//! included below), served in-process on 127.0.0.1 with an ephemeral port, and spoken to
//! with plain HTTP/1.1 requests written by hand over a `TcpStream`. The handler records
//! every event it gets and can be told to fail, panic or dawdle.

#[path = "../examples/receiver/app.rs"]
mod app;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use wix_backend_events::dedupe::{DedupeStore, MemoryDedupe, RedisDedupe};
use wix_backend_events::dispatch::{Dispatcher, DEFAULT_DEDUPE_CAPACITY};
use wix_backend_events::event_info::WebhookBody;
use wix_backend_events::testing::{
    fixture_files, now, velo_fixture, webhook_claims, webhook_fixture, RedisServer, TestAlg, TestSigner,
};
use wix_backend_events::velo_auth::{VeloSecret, SIGNATURE_HEADER};
use wix_backend_events::webhook::WebhookKey;
use wix_backend_events::{Event, EventSet, HandleAll, HandlerError, HandlerResult};

/// The secret the test "site" and the receiver share.
const SECRET: &str = "receiver-e2e-shared-secret-0123456789";

/// Longest wait for any one HTTP exchange, so that a hung server fails the test.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Wix's webhook timeout, which the receiver must answer well within.
const WIX_WEBHOOK_TIMEOUT: Duration = Duration::from_millis(1250);

/// RSA key generation is slow in debug builds: one signer for every test.
fn signer() -> &'static TestSigner {
    static SIGNER: OnceLock<TestSigner> = OnceLock::new();
    SIGNER.get_or_init(TestSigner::generate)
}

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let files = fixture_files(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)).unwrap();
    assert!(!files.is_empty(), "no {kind} fixtures");
    files
}

/// One handler call: the Velo handler name that ran and the event's metadata id.
type Call = (&'static str, Option<String>);

/// What the handler does: records each event, then waits, panics or fails as told.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Call>>,
    delay: Duration,
    /// Handler calls that ran to their end (after the delay).
    finished: AtomicUsize,
    fail_next: AtomicUsize,
    panic_next: AtomicUsize,
}

impl Recorder {
    fn with_delay(delay: Duration) -> Self {
        Self { delay, ..Self::default() }
    }

    fn failing(times: usize) -> Self {
        Self { fail_next: AtomicUsize::new(times), ..Self::default() }
    }

    fn panicking(times: usize) -> Self {
        Self { panic_next: AtomicUsize::new(times), ..Self::default() }
    }

    async fn react(&self, event: Event) -> HandlerResult {
        let call = (event.info().velo_handler, event.metadata().id.clone());
        self.calls.lock().unwrap().push(call);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
        if take_one(&self.panic_next) {
            panic!("the recorder was told to panic");
        }
        if take_one(&self.fail_next) {
            return Err(HandlerError::msg("the recorder was told to fail"));
        }
        Ok(())
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

fn take_one(counter: &AtomicUsize) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1)).is_ok()
}

/// A receiver serving on loopback for the rest of the test's runtime.
struct Server {
    address: SocketAddr,
    recorder: Arc<Recorder>,
    /// Seconds added to the system clock by the receiver's Velo signature check, so a
    /// test can let time pass without waiting.
    clock_offset: Arc<AtomicI64>,
    /// Tells the server to stop accepting and drain.
    stop: tokio::sync::oneshot::Sender<()>,
    /// The server, which ends once drained.
    served: tokio::task::JoinHandle<()>,
}

/// Both routes served.
const ALL: app::Routes = app::Routes { webhook: true, velo: true };

async fn start(recorder: Recorder) -> Server {
    start_with(recorder, app::Limits::default()).await
}

async fn start_with(recorder: Recorder, limits: app::Limits) -> Server {
    start_serving(recorder, limits, ALL).await
}

async fn start_serving(recorder: Recorder, limits: app::Limits, routes: app::Routes) -> Server {
    start_on(recorder, limits, routes, MemoryDedupe::with_capacity(DEFAULT_DEDUPE_CAPACITY)).await
}

/// A receiver whose dispatcher deduplicates with `store`.
async fn start_on<S: DedupeStore + 'static>(
    recorder: Recorder,
    limits: app::Limits,
    routes: app::Routes,
    store: S,
) -> Server {
    let recorder = Arc::new(recorder);
    let shared = Arc::clone(&recorder);
    let handler = HandleAll(move |event: Event| {
        let recorder = Arc::clone(&shared);
        async move { recorder.react(event).await }
    });
    let key = WebhookKey::from_pem(signer().public_key_pem()).unwrap();
    let clock_offset = Arc::new(AtomicI64::new(0));
    let offset = Arc::clone(&clock_offset);
    let secret = VeloSecret::new(SECRET).with_clock(move || unix_now() + offset.load(Ordering::SeqCst));
    let dispatcher = Dispatcher::new(handler).with_dedupe(store).with_webhook_key(key).with_velo_secret(secret);
    let listener = app::listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        // A dropped sender stops the server too.
        let _ = stopped.await;
    };
    let served = tokio::spawn(app::serve(listener, Arc::new(dispatcher), limits, routes, shutdown));
    Server { address, recorder, clock_offset, stop, served }
}

/// An HTTP response: status and body.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    /// Status 0 and an empty body for a connection closed without an answer.
    fn parse(response: &[u8]) -> Reply {
        let response = String::from_utf8_lossy(response);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        Reply { status, body: body.to_owned() }
    }

    /// The `error` of a JSON error reply.
    fn error(&self) -> Option<String> {
        let json: Value = serde_json::from_str(&self.body).ok()?;
        json["error"].as_str().map(str::to_owned)
    }

    fn outcome(&self) -> Option<String> {
        let json: Value = serde_json::from_str(&self.body).ok()?;
        json["outcome"].as_str().map(str::to_owned)
    }
}

impl Server {
    async fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut request = head("POST", path, &self.address, body.len(), headers).into_bytes();
        request.extend_from_slice(body);
        self.exchange(&request).await
    }

    /// Sends `request` as is and reads the reply until the server closes.
    async fn exchange(&self, request: &[u8]) -> Reply {
        let exchange = async {
            let mut stream = TcpStream::connect(self.address).await.unwrap();
            stream.write_all(request).await.unwrap();
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.unwrap();
            response
        };
        let response = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange).await.expect("no reply in time");
        Reply::parse(&response)
    }

    async fn webhook(&self, jwt: &str) -> Reply {
        self.post("/webhook", &[("content-type", "text/plain")], jwt.as_bytes()).await
    }

    /// A Velo event as `backend/events.js` forwards it, signed with `secret`.
    async fn velo_signed(&self, handler: &str, body: &[u8], secret: &str) -> Reply {
        let signature = VeloSecret::new(secret).sign(handler, body);
        self.velo(handler, body, Some(&signature)).await
    }

    async fn velo(&self, handler: &str, body: &[u8], signature: Option<&str>) -> Reply {
        let mut headers = vec![("content-type", "application/json")];
        if let Some(signature) = signature {
            headers.push((SIGNATURE_HEADER, signature));
        }
        self.post(&format!("/velo/{handler}"), &headers, body).await
    }
}

/// A request head with `Connection: close` and the given headers.
fn head(method: &str, path: &str, host: &SocketAddr, length: usize, headers: &[(&str, &str)]) -> String {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {length}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// A valid webhook of one small event, and the event's id.
fn contact_deleted_webhook(id: &str) -> String {
    let body = json!({
        "id": id,
        "entityFqdn": "wix.contacts.v4.contact",
        "slug": "deleted",
        "entityId": "c-1",
        "deletedEvent": {},
        "eventTime": "2024-05-01T10:00:00.123456Z",
    });
    signer().sign_webhook("wix.contacts.v4.contact_deleted", "instance-1", &body, None)
}

fn contact_deleted_velo(id: &str) -> Vec<u8> {
    json!({"metadata": {"id": id, "entityId": "c-1", "eventTime": "2024-05-01T10:00:00.123Z"}}).to_string().into_bytes()
}

#[tokio::test]
async fn every_webhook_fixture_reaches_its_typed_handler() {
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    let mut received: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for file in fixtures("webhook") {
        let name = file.display();
        let (event_type, body) = webhook_fixture(&file).unwrap();
        let info =
            Event::by_event_type(&event_type).unwrap_or_else(|| panic!("{name}: {event_type} is not in the catalogue"));
        *expected.entry(info.velo_handler).or_default() += 1;
        // A fresh receiver each time: documented examples of one event reuse its id, and
        // each must be decoded, not skipped as a duplicate.
        let server = start(Recorder::default()).await;
        let jwt = signer().sign_webhook(&event_type, "instance-1", &body, None);
        let reply = server.webhook(&jwt).await;
        let calls = server.recorder.calls();
        // A body that is no domain event carries no event id.
        let domain = info.webhook_body == WebhookBody::DomainEvent;
        let id = body["id"].as_str().map(str::to_owned).filter(|_| domain);
        if reply.status != 200 || reply.outcome().as_deref() != Some("handled") {
            failures.push(format!("{name}: {reply:?}"));
        } else if (domain && id.is_none()) || calls != [(info.velo_handler, id.clone())] {
            failures.push(format!("{name}: expected one call of {} with id {id:?}, got {calls:?}", info.velo_handler));
        }
        for (handler, _) in calls {
            *received.entry(handler).or_default() += 1;
        }
    }
    assert!(failures.is_empty(), "{} webhook fixtures failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(received, expected);
}

#[tokio::test]
async fn every_velo_fixture_reaches_its_handler() {
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for file in fixtures("velo") {
        let name = file.display();
        let (handler, bytes) = velo_fixture(&file).unwrap();
        *expected.entry(handler.clone()).or_default() += 1;
        let server = start(Recorder::default()).await;
        let reply = server.velo_signed(&handler, &bytes, SECRET).await;
        let fixture: Value = serde_json::from_slice(&bytes).unwrap();
        let metadata = &fixture["metadata"];
        let id = metadata["id"].as_str().or(metadata["_id"].as_str()).map(str::to_owned);
        let calls = server.recorder.calls();
        if reply.status != 200 || reply.outcome().as_deref() != Some("handled") {
            failures.push(format!("{name}: {reply:?}"));
        } else if calls.len() != 1 || calls[0].0 != handler || calls[0].1 != id {
            failures.push(format!("{name}: expected one call of {handler} with id {id:?}, got {calls:?}"));
        }
        for (handler, _) in calls {
            *received.entry(handler.to_owned()).or_default() += 1;
        }
    }
    assert!(failures.is_empty(), "{} Velo fixtures failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(received, expected);
}

#[tokio::test]
async fn forged_expired_and_malformed_webhooks_are_refused_before_any_handler() {
    let server = start(Recorder::default()).await;
    let valid = contact_deleted_webhook("evt-forged");
    let claims = webhook_claims(
        "wix.contacts.v4.contact_deleted",
        "instance-1",
        &json!({"id": "evt-forged", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted", "deletedEvent": {}}),
        None,
        now(),
        now() + 300,
    );
    let (unsigned, signature) = valid.rsplit_once('.').unwrap();
    // Flip one character in the middle of the signature (the last one may only carry
    // padding bits, which base64url decoders are allowed to ignore).
    let middle = signature.len() / 2;
    let flipped = if &signature[middle..=middle] == "A" { "B" } else { "A" };
    let tampered = format!("{unsigned}.{}{flipped}{}", &signature[..middle], &signature[middle + 1..]);
    let expired_claims = webhook_claims(
        "wix.contacts.v4.contact_deleted",
        "instance-1",
        &json!({"id": "evt-forged", "deletedEvent": {}}),
        None,
        now() - 7200,
        now() - 3600,
    );
    let cases = [
        ("tampered signature", tampered),
        ("alg none", signer().sign_claims(&claims, TestAlg::Unsigned)),
        (
            "HS256 keyed with the public key",
            signer().sign_claims(&claims, TestAlg::Hs256(signer().public_key_pem().into())),
        ),
        ("expired", signer().sign_claims(&expired_claims, TestAlg::Rs256)),
        ("truncated", valid[..valid.len() / 2].to_owned()),
        ("truncated signature", valid[..valid.len() - 10].to_owned()),
        ("empty", String::new()),
        ("not a JWT", "{\"id\": \"evt-forged\"}".to_owned()),
    ];
    for (case, token) in &cases {
        let reply = server.webhook(token).await;
        assert!((400..500).contains(&reply.status), "{case}: {reply:?}");
        assert!(reply.body.contains("error"), "{case}: {reply:?}");
    }
    assert_eq!(server.recorder.calls(), vec![], "no handler may run for a refused webhook");
    // The same receiver accepts the genuine token, so the refusals above were not a setup fault.
    let reply = server.webhook(&valid).await;
    assert_eq!((reply.status, reply.outcome().as_deref()), (200, Some("handled")), "{reply:?}");
    assert_eq!(server.recorder.calls().len(), 1);
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_velo_events_are_refused_before_any_handler() {
    let server = start(Recorder::default()).await;
    let body = contact_deleted_velo("evt-velo-forged");
    let good_signature = VeloSecret::new(SECRET).sign("wixCrm_onContactDeleted", &body);
    let truncated = &body[..body.len() / 2];

    let reply = server.velo_signed("wixCrm_onContactDeleted", &body, "another-secret").await;
    assert_eq!(reply.status, 401, "wrong secret: {reply:?}");
    let reply = server.velo("wixCrm_onContactDeleted", &body, None).await;
    assert_eq!(reply.status, 401, "missing signature header: {reply:?}");
    assert!(reply.body.contains(SIGNATURE_HEADER), "the reply names the header: {reply:?}");
    let reply = server.velo("wixCrm_onContactDeleted", &body, Some("sha256=not-hex")).await;
    assert_eq!(reply.status, 401, "malformed signature header: {reply:?}");
    let reply = server.velo("wixCrm_onContactDeleted", truncated, Some(&good_signature)).await;
    assert_eq!(reply.status, 401, "truncated after signing: {reply:?}");
    // Signed as truncated: authentic, but not a valid event object.
    let reply = server.velo_signed("wixCrm_onContactDeleted", truncated, SECRET).await;
    assert_eq!(reply.status, 400, "truncated JSON: {reply:?}");
    let reply = server.velo_signed("wixCrm_onContactDeletd", &body, SECRET).await;
    assert_eq!(reply.status, 404, "unknown handler name: {reply:?}");
    // Named, without the did-you-mean search: a refusal costs less than a delivery.
    assert!(reply.body.contains("unknown event `wixCrm_onContactDeletd`"), "names the name: {reply:?}");
    assert!(!reply.body.contains("did you mean"), "no suggestion in a reply: {reply:?}");
    assert_eq!(server.recorder.calls(), vec![], "no handler may run for a refused event");

    let reply = server.velo("wixCrm_onContactDeleted", &body, Some(&good_signature)).await;
    assert_eq!((reply.status, reply.outcome().as_deref()), (200, Some("handled")), "{reply:?}");
    assert_eq!(server.recorder.calls(), vec![("wixCrm_onContactDeleted", Some("evt-velo-forged".to_owned()))]);
}

/// Unix seconds now.
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

#[tokio::test]
async fn a_captured_velo_delivery_cannot_be_redirected_or_replayed_later() {
    let server = start(Recorder::default()).await;
    let (_, created) = velo_fixture("tests/fixtures/velo/wixCrm_onContactCreated.1.json").unwrap();
    let captured = VeloSecret::new(SECRET).sign("wixCrm_onContactCreated", &created);

    // Posted to another handler's route: the handler name is signed, so this is refused
    // and does not claim the event id...
    let reply = server.velo("wixCrm_onContactDeleted", &created, Some(&captured)).await;
    assert_eq!(reply.status, 401, "redirected to another handler: {reply:?}");
    assert_eq!(server.recorder.calls(), vec![]);
    // ...so the genuine delivery is still handled, once.
    let reply = server.velo("wixCrm_onContactCreated", &created, Some(&captured)).await;
    assert_eq!((reply.status, reply.outcome().as_deref()), (200, Some("handled")), "{reply:?}");
    let reply = server.velo("wixCrm_onContactCreated", &created, Some(&captured)).await;
    assert_eq!((reply.status, reply.outcome().as_deref()), (200, Some("duplicate")), "replay within the tolerance");

    // Past the tolerance (the dedupe store may have forgotten the id by then), the
    // capture is refused whatever the store remembers; so is a timestamp from the future.
    server.clock_offset.store(301, Ordering::SeqCst);
    let reply = server.velo("wixCrm_onContactCreated", &created, Some(&captured)).await;
    assert_eq!(reply.status, 401, "replay after the tolerance: {reply:?}");
    assert!(reply.body.contains("old"), "the reply says why: {reply:?}");
    server.clock_offset.store(-301, Ordering::SeqCst);
    let reply = server.velo("wixCrm_onContactCreated", &created, Some(&captured)).await;
    assert_eq!(reply.status, 401, "timestamp from the future: {reply:?}");
    assert_eq!(server.recorder.calls().len(), 1, "{:?}", server.recorder.calls());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_event_posted_twice_at_once_runs_its_handler_once() {
    // The handler takes a while, so the second delivery arrives while the first runs.
    let server = start(Recorder::with_delay(Duration::from_millis(200))).await;
    let jwt = contact_deleted_webhook("evt-twice");
    let (first, second) = tokio::join!(server.webhook(&jwt), server.webhook(&jwt));
    assert_eq!((first.status, second.status), (200, 200), "{first:?} {second:?}");
    let mut outcomes = [first.outcome(), second.outcome()];
    outcomes.sort();
    assert_eq!(outcomes, [Some("duplicate".to_owned()), Some("handled".to_owned())]);
    assert_eq!(server.recorder.calls().len(), 1);

    // A later redelivery is a duplicate too.
    let third = server.webhook(&jwt).await;
    assert_eq!((third.status, third.outcome().as_deref()), (200, Some("duplicate")), "{third:?}");
    assert_eq!(server.recorder.calls().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_arriving_while_the_first_fails_runs_the_handler() {
    // The first delivery's handler takes a while and then fails; the second waits for
    // that outcome instead of being dropped as a duplicate, then runs the handler itself.
    let recorder = Recorder { fail_next: AtomicUsize::new(1), ..Recorder::with_delay(Duration::from_millis(200)) };
    let server = start(recorder).await;
    let jwt = contact_deleted_webhook("evt-lost?");
    let first = server.webhook(&jwt);
    let second = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        server.webhook(&jwt).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.status, 500, "{first:?}");
    assert_eq!((second.status, second.outcome().as_deref()), (200, Some("handled")), "{second:?}");
    assert_eq!(server.recorder.calls().len(), 2);
}

#[tokio::test]
async fn a_failing_handler_gets_5xx_and_the_retry_runs_it_again() {
    let server = start(Recorder::failing(1)).await;
    let jwt = contact_deleted_webhook("evt-retry");
    let reply = server.webhook(&jwt).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert!(!reply.body.contains("told to fail"), "the handler's error stays in the logs: {reply:?}");
    let retry = server.webhook(&jwt).await;
    assert_eq!((retry.status, retry.outcome().as_deref()), (200, Some("handled")), "{retry:?}");
    let id = Some("evt-retry".to_owned());
    let expected = vec![("wixCrm_onContactDeleted", id.clone()), ("wixCrm_onContactDeleted", id)];
    assert_eq!(server.recorder.calls(), expected);
}

#[tokio::test]
async fn a_panicking_handler_gets_5xx_and_the_server_keeps_serving() {
    let server = start(Recorder::panicking(1)).await;
    let body = contact_deleted_velo("evt-panic");
    let reply = server.velo_signed("wixCrm_onContactDeleted", &body, SECRET).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    // The next request is served, and Wix's retry of the event that panicked runs again.
    let other = server.velo_signed("wixCrm_onContactDeleted", &contact_deleted_velo("evt-next"), SECRET).await;
    assert_eq!((other.status, other.outcome().as_deref()), (200, Some("handled")), "{other:?}");
    let retry = server.velo_signed("wixCrm_onContactDeleted", &body, SECRET).await;
    assert_eq!((retry.status, retry.outcome().as_deref()), (200, Some("handled")), "{retry:?}");
    let ids: Vec<Option<String>> = server.recorder.calls().into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, ["evt-panic", "evt-next", "evt-panic"].map(|id| Some(id.to_owned())));
}

#[tokio::test]
async fn a_slow_handler_gets_503_well_inside_wix_timeout() {
    let limits = app::Limits { deadline: Duration::from_millis(300), ..app::Limits::default() };
    let server = start_with(Recorder::with_delay(Duration::from_secs(3)), limits).await;
    let started = Instant::now();
    let reply = server.webhook(&contact_deleted_webhook("evt-slow")).await;
    let elapsed = started.elapsed();
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(elapsed < WIX_WEBHOOK_TIMEOUT, "answered after {elapsed:?}");
    assert_eq!(server.recorder.calls().len(), 1, "the handler started");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let limits = app::Limits { body_bytes: 4096, ..app::Limits::default() };
    let server = start_with(Recorder::default(), limits).await;
    let padding = "x".repeat(4096);
    let body = json!({"metadata": {"id": "evt-big"}, "padding": padding}).to_string().into_bytes();
    let reply = server.velo_signed("wixCrm_onContactDeleted", &body, SECRET).await;
    assert_eq!(reply.status, 413, "{reply:?}");
    assert_eq!(server.recorder.calls(), vec![]);
}

#[tokio::test]
async fn a_route_without_its_key_or_secret_answers_503_naming_what_is_missing() {
    let only_velo = app::Routes { webhook: false, velo: true };
    let server = start_serving(Recorder::default(), app::Limits::default(), only_velo).await;
    let reply = server.webhook(&contact_deleted_webhook("evt-503-webhook")).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.body.contains("no webhook public key is configured"), "{reply:?}");
    let served = server.velo_signed("wixCrm_onContactDeleted", &contact_deleted_velo("evt-503-velo"), SECRET).await;
    assert_eq!(served.outcome().as_deref(), Some("handled"), "{served:?}");

    let only_webhook = app::Routes { webhook: true, velo: false };
    let server = start_serving(Recorder::default(), app::Limits::default(), only_webhook).await;
    let reply = server.velo_signed("wixCrm_onContactDeleted", &contact_deleted_velo("evt-503-velo"), SECRET).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.body.contains("no Velo secret is configured"), "{reply:?}");
    assert_eq!(server.recorder.calls(), vec![], "a route without its secret ran the handler");
    let served = server.webhook(&contact_deleted_webhook("evt-503-webhook")).await;
    assert_eq!(served.outcome().as_deref(), Some("handled"), "{served:?}");
}

/// Two replicas of the receiver behind a load balancer, sharing dedupe on one Redis.
async fn replicas(redis: &RedisServer, recorder: impl Fn() -> Recorder) -> [Server; 2] {
    let mut servers = Vec::new();
    for _ in 0..2 {
        let store = RedisDedupe::connect(&redis.url()).await.unwrap();
        // A deadline long enough for a handler plus a store that stopped answering.
        let limits = app::Limits { deadline: Duration::from_secs(5), ..app::Limits::default() };
        servers.push(start_on(recorder(), limits, ALL, store).await);
    }
    servers.try_into().unwrap_or_else(|_| unreachable!())
}

/// Every handler call of both replicas.
fn calls_of(servers: &[Server]) -> Vec<Call> {
    servers.iter().flat_map(|server| server.recorder.calls()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_sharing_redis_run_each_handler_once() {
    let Some(redis) = RedisServer::start_or_skip() else { return };
    // The handler takes a while, so that most duplicates arrive while it runs and wait.
    let servers = replicas(&redis, || Recorder::with_delay(Duration::from_millis(50))).await;
    let ids: Vec<String> = (0..20).map(|n| format!("evt-replicated-{n}")).collect();
    let jwts: Vec<String> = ids.iter().map(|id| contact_deleted_webhook(id)).collect();
    // Each delivery twice to each replica, all at once.
    let deliveries = jwts.iter().flat_map(|jwt| [0, 1, 0, 1].map(|replica| (replica, jwt)));
    let replies = join_all(deliveries.map(|(replica, jwt)| servers[replica].webhook(jwt))).await;
    for (n, chunk) in replies.chunks(4).enumerate() {
        let mut outcomes: Vec<_> = chunk.iter().map(|reply| (reply.status, reply.outcome())).collect();
        outcomes.sort();
        let [handled, duplicate] = ["handled", "duplicate"].map(|outcome| (200, Some(outcome.to_owned())));
        assert_eq!(outcomes, [duplicate.clone(), duplicate.clone(), duplicate, handled], "{}", ids[n]);
    }
    let mut handled: Vec<String> = calls_of(&servers).into_iter().filter_map(|(_, id)| id).collect();
    handled.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(handled, expected, "each event handled once, on one replica or the other");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_replicas_answer_503_and_never_handle_twice() {
    let Some(mut redis) = RedisServer::start_or_skip() else { return };
    let servers = replicas(&redis, || Recorder::with_delay(Duration::from_millis(400))).await;
    let handled_before = contact_deleted_webhook("evt-before-the-crash");
    let reply = servers[0].webhook(&handled_before).await;
    assert_eq!(reply.outcome().as_deref(), Some("handled"), "{reply:?}");

    // Redis dies while replica 0 runs a handler and replica 1 waits for its outcome.
    let jwt = contact_deleted_webhook("evt-during-the-crash");
    let running = servers[0].webhook(&jwt);
    let waiting = async {
        wait_for_calls(&servers[0], 2).await;
        let waiting = servers[1].webhook(&jwt);
        let crash = async {
            // Gives the delivery time to reach its wait; it gets 503 either way.
            tokio::time::sleep(Duration::from_millis(100)).await;
            redis.stop();
        };
        tokio::join!(waiting, crash).0
    };
    let (running, waiting) = tokio::join!(running, waiting);
    // The handling that began keeps its 200: asking for a retry would run it again.
    assert_eq!((running.status, running.outcome().as_deref()), (200, Some("handled")), "{running:?}");
    assert_eq!(waiting.status, 503, "cannot know the outcome, so Wix must retry: {waiting:?}");

    // With Redis down, nothing can be claimed: every delivery, new or already handled,
    // on either replica, is answered 503 and runs no handler.
    let fresh = contact_deleted_webhook("evt-after-the-crash");
    for server in &servers {
        for jwt in [&fresh, &handled_before, &jwt] {
            let reply = server.webhook(jwt).await;
            assert_eq!(reply.status, 503, "{reply:?}");
        }
        let reply = server.velo_signed("wixCrm_onContactDeleted", &contact_deleted_velo("evt-velo-down"), SECRET).await;
        assert_eq!(reply.status, 503, "{reply:?}");
    }
    let ids: Vec<Option<String>> = calls_of(&servers).into_iter().map(|(_, id)| id).collect();
    assert_eq!(ids, ["evt-before-the-crash", "evt-during-the-crash"].map(|id| Some(id.to_owned())));
}

/// Waits until `server`'s handler has been called `count` times in all.
async fn wait_for_calls(server: &Server, count: usize) {
    let waiting = async {
        while server.recorder.calls().len() < count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(EXCHANGE_TIMEOUT, waiting).await.expect("the handler was not called");
}

/// Limits with short timeouts, so that the slow-client tests finish quickly.
fn quick_limits() -> app::Limits {
    app::Limits {
        header_read: Duration::from_millis(300),
        deadline: Duration::from_millis(300),
        ..app::Limits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_do_not_keep_a_valid_webhook_from_being_answered() {
    let server = start_with(Recorder::default(), quick_limits()).await;
    // More idle connections than the connection limit (512) and than a usual open-file
    // limit (1024): they are closed after the header timeout, and the webhook gets in.
    let mut idle = Vec::new();
    for _ in 0..1_100 {
        idle.push(TcpStream::connect(server.address).await.unwrap());
    }
    let reply = server.webhook(&contact_deleted_webhook("evt-after-idle")).await;
    assert_eq!((reply.status, reply.outcome().as_deref()), (200, Some("handled")), "{reply:?}");
    // The idle connections that were let in have been closed by the server.
    let mut first = idle.swap_remove(0);
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(EXCHANGE_TIMEOUT, first.read_to_end(&mut rest)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "an idle connection stayed open: {closed:?}");
}

#[tokio::test]
async fn a_connection_sending_part_of_its_headers_or_nothing_is_closed_at_the_header_timeout() {
    let server = start_with(Recorder::default(), quick_limits()).await;
    for sent in ["", "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Le"] {
        let started = Instant::now();
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        stream.write_all(sent.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        let closed = tokio::time::timeout(EXCHANGE_TIMEOUT, stream.read_to_end(&mut response)).await;
        assert!(closed.is_ok(), "{sent:?}: still open after {EXCHANGE_TIMEOUT:?}");
        // Closed by the 300 ms header timeout, long before Wix would give up.
        let elapsed = started.elapsed();
        assert!(elapsed < WIX_WEBHOOK_TIMEOUT, "{sent:?}: closed after {elapsed:?}");
        let reply = Reply::parse(&response);
        assert!(matches!(reply.status, 0 | 408), "{sent:?}: {reply:?}");
    }
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_at_the_deadline() {
    let server = start_with(Recorder::default(), quick_limits()).await;
    let jwt = contact_deleted_webhook("evt-trickled");
    let started = Instant::now();
    let stream = TcpStream::connect(server.address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let request = head("POST", "/webhook", &server.address, jwt.len(), &[]);
    writer.write_all(request.as_bytes()).await.unwrap();
    // One byte every 50 ms: the whole token would take tens of seconds.
    let trickle = tokio::spawn(async move {
        for byte in jwt.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut response = Vec::new();
    let read = tokio::time::timeout(EXCHANGE_TIMEOUT, reader.read_to_end(&mut response)).await;
    let elapsed = started.elapsed();
    trickle.abort();
    assert!(read.is_ok(), "no answer and not closed after {EXCHANGE_TIMEOUT:?}");
    let reply = Reply::parse(&response);
    // 408, or closed if the reset overtook the answer.
    assert!(matches!(reply.status, 0 | 408), "{reply:?}");
    assert!(elapsed < WIX_WEBHOOK_TIMEOUT, "answered after {elapsed:?}");
    assert_eq!(server.recorder.calls(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_past_the_in_flight_limit_get_503() {
    let limits = app::Limits { in_flight: 1, deadline: Duration::from_secs(5), ..app::Limits::default() };
    let server = start_with(Recorder::with_delay(Duration::from_millis(500)), limits).await;
    let jwt = contact_deleted_webhook("evt-first");
    let first = server.webhook(&jwt);
    let second = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        server.webhook(&contact_deleted_webhook("evt-second")).await
    };
    let (first, second) = tokio::join!(first, second);
    assert_eq!(first.outcome().as_deref(), Some("handled"), "{first:?}");
    assert_eq!(second.status, 503, "{second:?}");
    assert!(second.error().is_some_and(|error| error.contains("too many")), "{second:?}");
    // Its slot given back, the next request is served.
    let third = server.webhook(&contact_deleted_webhook("evt-second")).await;
    assert_eq!(third.outcome().as_deref(), Some("handled"), "{third:?}");
}

#[tokio::test]
async fn unknown_routes_methods_and_oversized_bodies_get_json_errors() {
    let limits = app::Limits { body_bytes: 4096, ..app::Limits::default() };
    let server = start_with(Recorder::default(), limits).await;
    let not_found = server.post("/nowhere", &[], b"{}").await;
    assert_eq!(not_found.status, 404, "{not_found:?}");
    assert!(not_found.error().is_some(), "{not_found:?}");
    let request = head("GET", "/webhook", &server.address, 0, &[]);
    let wrong_method = server.exchange(request.as_bytes()).await;
    assert_eq!(wrong_method.status, 405, "{wrong_method:?}");
    assert!(wrong_method.error().is_some(), "{wrong_method:?}");
    let big = server.post("/webhook", &[], &[b'x'; 5000]).await;
    assert_eq!(big.status, 413, "{big:?}");
    assert!(big.error().is_some_and(|error| error.contains("4096")), "{big:?}");
    // A chunked body has no declared length: cut off when it passes the limit.
    let mut chunked = format!("POST /webhook HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n", server.address);
    chunked.push_str("Connection: close\r\n\r\n1388\r\n");
    chunked.push_str(&"x".repeat(5000));
    chunked.push_str("\r\n0\r\n\r\n");
    let big = server.exchange(chunked.as_bytes()).await;
    assert_eq!(big.status, 413, "{big:?}");
    assert!(big.error().is_some(), "{big:?}");
    assert_eq!(server.recorder.calls(), vec![]);
}

#[tokio::test]
async fn the_listener_queues_a_burst_of_connections_past_the_default_backlog() {
    // Nothing accepts: every connection must still complete at once, queued by the kernel.
    // With the default backlog (128), those past it wait for the client's SYN retry (1 s).
    let listener = app::listen(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).unwrap();
    let address = listener.local_addr().unwrap();
    let burst = 300;
    assert!(burst < app::LISTEN_BACKLOG as usize);
    let connects = (0..burst).map(|_| tokio::time::timeout(Duration::from_millis(500), TcpStream::connect(address)));
    let connected = join_all(connects).await;
    let late = connected.iter().filter(|connected| !matches!(connected, Ok(Ok(_)))).count();
    assert_eq!(late, 0, "{late} of {burst} connections were not queued at once");
}

#[tokio::test]
async fn a_request_head_over_the_limit_gets_431_before_any_routing() {
    let server = start(Recorder::default()).await;
    let limit = app::Limits::default().head_bytes;
    // A long unknown handler name within the head limit is routed, and refused with a
    // short JSON error.
    let name = "x".repeat(limit / 2);
    let reply = server.velo_signed(&name, &contact_deleted_velo("evt-long-name"), SECRET).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    assert!(reply.body.len() < 1024, "the reply echoes a bounded name: {} bytes", reply.body.len());
    // Over the limit: hyper answers 431 after reading at most the limit and closes. The
    // rest of the head is left unread, so the close may reset the connection and lose
    // the 431 on the way; either way nothing is routed.
    let name = "x".repeat(2 * limit);
    let request = head("POST", &format!("/velo/{name}"), &server.address, 2, &[]) + "{}";
    let exchange = async {
        let mut stream = TcpStream::connect(server.address).await.unwrap();
        let _ = stream.write_all(request.as_bytes()).await;
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        response
    };
    let response = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange).await.expect("no answer or close in time");
    let reply = Reply::parse(&response);
    assert!(reply.status == 431 || response.is_empty(), "{reply:?}");
    assert_eq!(server.recorder.calls(), vec![]);
    // The server goes on serving.
    let reply = server.velo_signed("wixCrm_onContactDeleted", &contact_deleted_velo("evt-after-431"), SECRET).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

/// A name no event can have is refused before the router percent-decodes it, with or
/// without a signature; a name that could be an event's still has its signature checked
/// first.
#[tokio::test]
async fn a_name_longer_than_any_event_is_refused_before_routing() {
    let server = start(Recorder::default()).await;
    let body = contact_deleted_velo("evt-overlong");
    let longest = app::LONGEST_NAME_SEGMENT;
    let overlong = "x".repeat(longest + 1);
    for signature in [None, Some("t=1,v1=00")] {
        let reply = server.velo(&overlong, &body, signature).await;
        assert_eq!(reply.status, 404, "{reply:?}");
        assert!(reply.body.contains("unknown event"), "{reply:?}");
        assert!(reply.body.len() < 1024, "the reply echoes a bounded name: {} bytes", reply.body.len());
    }
    let reply = server.velo(&"x".repeat(longest), &body, None).await;
    assert_eq!(reply.status, 401, "a name within the bound is checked for its signature first: {reply:?}");
    assert_eq!(server.recorder.calls(), vec![]);
}

#[tokio::test]
async fn expect_100_continue_with_a_length_over_the_limit_gets_413_not_continue() {
    let server = start(Recorder::default()).await;
    let headers = [("expect", "100-continue")];
    let request = head("POST", "/webhook", &server.address, 5 * 1024 * 1024, &headers);
    // Only the head: a client expecting 100 waits for it before sending the body.
    let reply = server.exchange(request.as_bytes()).await;
    assert_eq!(reply.status, 413, "{reply:?}");
    assert!(reply.error().is_some(), "{reply:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_handlers_still_running_past_the_deadline() {
    let limits = app::Limits { deadline: Duration::from_millis(100), ..app::Limits::default() };
    let server = start_with(Recorder::with_delay(Duration::from_millis(600)), limits).await;
    let reply = server.webhook(&contact_deleted_webhook("evt-draining")).await;
    assert_eq!(reply.status, 503, "answered at the deadline: {reply:?}");
    let Server { recorder, stop, served, .. } = server;
    assert_eq!(recorder.finished.load(Ordering::SeqCst), 0, "the handler is still running");
    stop.send(()).unwrap();
    tokio::time::timeout(EXCHANGE_TIMEOUT, served).await.expect("the server did not stop").unwrap();
    assert_eq!(recorder.finished.load(Ordering::SeqCst), 1, "stopped before the handler finished");
}

#[tokio::test]
async fn an_id_given_twice_is_refused_on_both_paths_and_no_id_is_handled_every_time() {
    let server = start(Recorder::default()).await;
    let body = r#"{"id": "evt-a", "id": "evt-b", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted",
        "entityId": "c-1", "deletedEvent": {}, "eventTime": "2024-05-01T10:00:00.123456Z"}"#;
    // The body travels as a JSON string inside the claims, so its doubled key survives.
    let wrapper = json!({"eventType": "wix.contacts.v4.contact_deleted", "instanceId": "instance-1", "data": body});
    let claims = json!({"data": wrapper.to_string(), "iat": now(), "exp": now() + 300});
    let reply = server.webhook(&signer().sign_claims(&claims, TestAlg::Rs256)).await;
    assert_eq!(reply.status, 400, "webhook: {reply:?}");
    let velo = br#"{"metadata": {"id": "evt-a", "id": "evt-b", "entityId": "c-1"}}"#;
    let reply = server.velo_signed("wixCrm_onContactDeleted", velo, SECRET).await;
    assert_eq!(reply.status, 400, "Velo: {reply:?}");
    assert_eq!(server.recorder.calls(), vec![]);

    // Without an id there is nothing to deduplicate on: each delivery runs the handler.
    let no_id =
        json!({"entityFqdn": "wix.contacts.v4.contact", "slug": "deleted", "entityId": "c-1", "deletedEvent": {}});
    let jwt = signer().sign_webhook("wix.contacts.v4.contact_deleted", "instance-1", &no_id, None);
    for _ in 0..2 {
        let reply = server.webhook(&jwt).await;
        assert_eq!(reply.outcome().as_deref(), Some("handled"), "{reply:?}");
    }
    assert_eq!(server.recorder.calls(), vec![("wixCrm_onContactDeleted", None), ("wixCrm_onContactDeleted", None)]);
}
