//! The HTTP side of the receiver: two routes in front of a [`Dispatcher`].
//!
//! This file is the receiver example's module and is also compiled into the end-to-end
//! tests (`tests/receiver_e2e.rs` includes it with `#[path]`), so the tests exercise
//! exactly the router the example serves.
//!
//! - `POST /webhook`: an app webhook, the request body being Wix's RS256 JWT.
//! - `POST /velo/{handler}`: a Velo event forwarded by the site's `backend/events.js`,
//!   signed with the shared secret in `x-wix-events-signature: t=<unix>,v1=<hex>` (over
//!   the timestamp, the handler name in the path and the body; see `velo_auth`).
//!
//! Answers, all JSON: 200 when the event was handled, is not subscribed to, or is a
//! duplicate (Wix must not retry those); 4xx for forged, malformed, oversized or too slowly
//! sent input (a retry cannot help); 5xx when the handler failed or panicked, so that Wix
//! delivers the event again; 503 when the handler outlives the deadline, too many requests
//! are in progress, or the route is not configured (no webhook key, or no Velo secret:
//! [`Routes`]). [`serve`] adds the connection-level limits (see `server.rs`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use wix_backend_events::dedupe::DedupeStore;
use wix_backend_events::dispatch::{DispatchError, Dispatcher, Outcome};
use wix_backend_events::error::DecodeError;
use wix_backend_events::velo_auth::SIGNATURE_HEADER;
use wix_backend_events::Handler;

#[path = "rejections.rs"]
mod rejections;
#[path = "server.rs"]
mod server;

use rejections::RejectionLog;

/// The receiver's bounds on what it accepts and how long it takes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted; larger ones get 413 before any parsing (and before
    /// `100 Continue`). Wix's webhook JWTs and Velo event objects are a few KiB.
    pub body_bytes: usize,
    /// Largest request head (request line and headers) read; a longer one gets 431 and
    /// the connection is closed, before any routing. Wix's requests have heads of a few
    /// hundred bytes; without this bound a path or headers of hundreds of KiB would be
    /// parsed, routed and percent-decoded for a request that is then refused. At least
    /// 8 KiB (the HTTP library's minimum).
    pub head_bytes: usize,
    /// How long a request may take from the end of its headers to its answer, reading the
    /// body included: a body not received by then gets 408, a handler still running gets
    /// 503. Wix gives a webhook 1250 ms; answering well before keeps retries in our hands.
    pub deadline: Duration,
    /// How long a connection may take to send a request's headers, and may stay idle
    /// between requests, before it is closed.
    pub header_read: Duration,
    /// Connections open at once; more wait to be accepted until one closes. Keep it below
    /// the process's open-file limit (`ulimit -n`).
    pub connections: usize,
    /// Requests being read or handled at once; more get 503 (Wix retries).
    pub in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 1024 * 1024,
            head_bytes: 16 * 1024,
            deadline: Duration::from_millis(1000),
            header_read: Duration::from_secs(2),
            connections: 512,
            in_flight: 256,
        }
    }
}

/// Which routes the receiver can check, and so serves. A route it cannot check answers
/// 503 with a JSON error naming what is not configured: a Velo route without a secret
/// would accept unsigned events from anyone.
#[derive(Debug, Clone, Copy)]
pub struct Routes {
    /// `POST /webhook`: the dispatcher holds the app's webhook public key.
    pub webhook: bool,
    /// `POST /velo/{handler}`: the dispatcher holds the secret shared with the site.
    pub velo: bool,
}

/// Connections the kernel completes and queues before the receiver accepts them: a burst
/// of new connections (or more open ones than `Limits::connections`) waits there. Past
/// it new connections are dropped and the client's TCP tries again one second later, so
/// the default of 128 that a plain bind gives would turn a burst into delays.
pub const LISTEN_BACKLOG: u32 = 1024;

/// A listener on `address` with a backlog of [`LISTEN_BACKLOG`].
pub fn listen(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    // As a plain bind does: a restarted receiver can listen again at once.
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves the routes `routes` names on `listener` within `limits` until `shutdown`
/// resolves; then stops accepting and returns once the requests in progress are
/// answered and their handlers have finished.
pub async fn serve<H, S>(
    listener: TcpListener,
    dispatcher: Arc<Dispatcher<H, S>>,
    limits: Limits,
    routes: Routes,
    shutdown: impl Future<Output = ()>,
) where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    let admission = Admission::new(limits);
    let router = router_for(dispatcher, limits, routes, admission.clone());
    server::serve_router(listener, router, limits, admission, shutdown).await;
}

/// What lets requests in: the in-flight limit, and the log of those it refuses.
#[derive(Clone)]
pub struct Admission {
    in_flight: Arc<Semaphore>,
    capacity: u32,
    rejections: Arc<RejectionLog>,
}

impl Admission {
    fn new(limits: Limits) -> Self {
        let capacity = limits.in_flight.clamp(1, Semaphore::MAX_PERMITS);
        Self {
            in_flight: Arc::new(Semaphore::new(capacity)),
            capacity: u32::try_from(capacity).unwrap_or(u32::MAX),
            rejections: Arc::new(RejectionLog::new(server::REJECTION_REPORT_INTERVAL)),
        }
    }

    /// Resolves once no request or handler holds a slot.
    async fn drained(&self) {
        // Taking every slot waits for each holder to let go; none is given back as
        // nothing follows the drain.
        let _all = self.in_flight.acquire_many(self.capacity).await;
    }

    /// Logs the summary of the refusals counted since the last line, if it is due.
    fn report_rejections(&self) {
        if let Some(line) = self.rejections.flush(std::time::Instant::now()) {
            tracing::info!("{line}");
        }
    }

    /// The answer to a refused request, counted and logged at a bounded rate. `detail`
    /// goes into the reply as JSON and into the log escaped.
    fn refuse(&self, status: StatusCode, reason: &'static str, detail: &str) -> Response {
        if let Some(line) = self.rejections.record(std::time::Instant::now(), status.as_u16(), reason, detail) {
            tracing::info!("{line}");
        }
        error_response(status, detail)
    }
}

/// What every request handler needs: the dispatcher, the limits, the admission.
struct Receiver<H, S> {
    dispatcher: Arc<Dispatcher<H, S>>,
    limits: Limits,
    admission: Admission,
}

// Written out because a derive would require `H: Clone` and `S: Clone`.
impl<H, S> Clone for Receiver<H, S> {
    fn clone(&self) -> Self {
        Self { dispatcher: Arc::clone(&self.dispatcher), limits: self.limits, admission: self.admission.clone() }
    }
}

/// A request let in: its slot, its deadline and its body.
struct Admitted {
    slot: OwnedSemaphorePermit,
    deadline: Instant,
    body: Bytes,
}

impl<H, S> Receiver<H, S> {
    /// Takes an in-flight slot and reads the body within the size limit and the deadline,
    /// or answers why not.
    async fn admit(&self, headers: &HeaderMap, body: Body) -> Result<Admitted, Response> {
        let deadline = Instant::now() + self.limits.deadline;
        let refuse = |status, reason, detail: &str| self.admission.refuse(status, reason, detail);
        let Ok(slot) = Arc::clone(&self.admission.in_flight).try_acquire_owned() else {
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many requests in progress; deliver again later",
            ));
        };
        let too_large = || {
            let detail = format!("the body is larger than the {} bytes accepted", self.limits.body_bytes);
            refuse(StatusCode::PAYLOAD_TOO_LARGE, "body too large", &detail)
        };
        // Refused on the declared length before the body is polled, so a client sending
        // `Expect: 100-continue` gets 413 instead of `100 Continue`.
        if declared_length(headers).is_some_and(|length| length > self.limits.body_bytes) {
            return Err(too_large());
        }
        match tokio::time::timeout_at(deadline, axum::body::to_bytes(body, self.limits.body_bytes)).await {
            Ok(Ok(body)) => Ok(Admitted { slot, deadline, body }),
            Ok(Err(error)) if is_length_limit(&error) => Err(too_large()),
            Ok(Err(_)) => Err(refuse(StatusCode::BAD_REQUEST, "body unreadable", "cannot read the request body")),
            Err(_elapsed) => {
                Err(refuse(StatusCode::REQUEST_TIMEOUT, "body too slow", "the request body did not arrive in time"))
            }
        }
    }
}

/// The `Content-Length` a request declares, if it is readable.
fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Whether a body read failed on the size limit rather than on the connection.
fn is_length_limit(error: &axum::Error) -> bool {
    let inner = std::error::Error::source(error);
    inner.is_some_and(|inner| inner.is::<http_body_util::LengthLimitError>())
}

/// The receiver's routes, the ones `routes` leaves out answering 503, and JSON errors for
/// unknown paths (404) and methods (405).
fn router_for<H, S>(dispatcher: Arc<Dispatcher<H, S>>, limits: Limits, routes: Routes, admission: Admission) -> Router
where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    let webhook_route = match routes.webhook {
        true => post(webhook::<H, S>),
        false => post(|| async {
            not_configured("no webhook public key is configured (--public-key or WIX_WEBHOOK_PUBLIC_KEY_FILE)")
        }),
    };
    let velo_route = match routes.velo {
        true => post(velo::<H, S>),
        false => post(|| async { not_configured("no Velo secret is configured (--secret or WIX_EVENTS_SECRET)") }),
    };
    let no_route = admission.clone();
    let no_method = admission.clone();
    let routes = Router::new()
        .route("/webhook", webhook_route)
        .route("/velo/{handler}", velo_route)
        .fallback(move || async move {
            no_route.refuse(StatusCode::NOT_FOUND, "no route", "no such route: POST /webhook or POST /velo/{handler}")
        })
        .method_not_allowed_fallback(move || async move {
            no_method.refuse(StatusCode::METHOD_NOT_ALLOWED, "wrong method", "only POST is served")
        })
        .with_state(Receiver { dispatcher, limits, admission: admission.clone() });
    // The check runs in front of the routes: a router without routes of its own hands
    // every request to them through its fallback, past the middleware.
    Router::new().fallback_service(routes).layer(axum::middleware::from_fn_with_state(admission, refuse_overlong_names))
}

/// The longest raw `/velo/` path segment that can name an event: every byte of the
/// longest name percent-encoded.
pub const LONGEST_NAME_SEGMENT: usize = 3 * wix_backend_events::error::MAX_EVENT_NAME_LEN;

/// Answers 404 to a Velo handler name longer than any event's before it is routed. The
/// router percent-decodes the `{handler}` parameter while matching, so a 16 KiB name
/// cost twice a valid delivery before any check ran (`scripts/load`). Signed or not,
/// such a name can never be delivered, so this comes before the signature check as well.
async fn refuse_overlong_names(
    State(admission): State<Admission>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match request.uri().path().strip_prefix("/velo/") {
        Some(name) if name.len() > LONGEST_NAME_SEGMENT => {
            let error = DispatchError::Decode(DecodeError::unknown_event(name, wix_backend_events::CATALOGUE));
            admission.refuse(StatusCode::NOT_FOUND, reason(&error), &error.to_string())
        }
        _ => next.run(request).await,
    }
}

/// The answer of a route the receiver was started without the means to check.
fn not_configured(what: &str) -> Response {
    error_response(StatusCode::SERVICE_UNAVAILABLE, &format!("this route is not served: {what}"))
}

async fn webhook<H, S>(State(receiver): State<Receiver<H, S>>, headers: HeaderMap, body: Body) -> Response
where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    let admitted = match receiver.admit(&headers, body).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let Admitted { slot, deadline, body } = admitted;
    let dispatcher = Arc::clone(&receiver.dispatcher);
    let task = tokio::spawn(async move {
        let _slot = slot;
        dispatcher.webhook(&body).await
    });
    answer(task, deadline, &receiver.admission).await
}

async fn velo<H, S>(
    State(receiver): State<Receiver<H, S>>,
    Path(handler): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response
where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    let admitted = match receiver.admit(&headers, body).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let Admitted { slot, deadline, body } = admitted;
    // A header that is not UTF-8 is passed on as is (lossily), so the verifier rejects it
    // as malformed rather than as missing.
    let signature = headers.get(SIGNATURE_HEADER).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let dispatcher = Arc::clone(&receiver.dispatcher);
    let task = tokio::spawn(async move {
        let _slot = slot;
        dispatcher.velo(&handler, &body, signature.as_deref()).await
    });
    answer(task, deadline, &receiver.admission).await
}

/// Waits for a dispatch task until the deadline and turns its result into a response.
///
/// The dispatch runs in its own task, holding the request's in-flight slot, so that past
/// the deadline it carries on to the end instead of being dropped mid-handler: a dropped
/// handler would leave its event id claimed as "in flight" in the dedupe store, and Wix's
/// retry would then be skipped as a duplicate of a delivery that never finished.
async fn answer(
    task: JoinHandle<Result<Outcome, DispatchError>>,
    deadline: Instant,
    admission: &Admission,
) -> Response {
    match tokio::time::timeout_at(deadline, task).await {
        Ok(Ok(Ok(outcome))) => {
            tracing::debug!(?outcome, "delivery accepted");
            (StatusCode::OK, Json(json!({ "outcome": outcome_name(outcome) }))).into_response()
        }
        Ok(Ok(Err(error))) => rejection(&error, admission),
        Ok(Err(join_error)) => {
            // The dispatcher catches handler panics itself; this is a panic outside the
            // handler, which must still not take the service down.
            tracing::error!(error = %join_error, "dispatch task failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        Err(_elapsed) => {
            tracing::warn!("handler still running at the deadline; answering 503 so Wix retries");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "handler did not finish in time")
        }
    }
}

fn rejection(error: &DispatchError, admission: &Admission) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match error {
        // The dispatcher has logged the handler's error; its text stays out of the reply.
        DispatchError::Handler { .. } | DispatchError::Panicked { .. } | DispatchError::NoWebhookKey => {
            error_response(status, "the handler failed; deliver again later")
        }
        // The sender's fault, or a full dedupe store: say what is wrong, so that a
        // misconfigured site or key is easy to diagnose. Nothing secret is in these.
        _ => admission.refuse(status, reason(error), &error.to_string()),
    }
}

/// The reason a refusal is counted under: a short fixed text, whatever the sender sent.
fn reason(error: &DispatchError) -> &'static str {
    match error {
        DispatchError::Unauthorized(_) => "velo signature",
        DispatchError::Webhook(_) => "webhook token",
        DispatchError::Decode(DecodeError::UnknownEvent { .. } | DecodeError::FeatureDisabled { .. }) => {
            "unknown event"
        }
        DispatchError::Decode(_) => "undecodable event",
        DispatchError::EventIdTooLong { .. } => "event id too long",
        DispatchError::Dedupe(_) => "dedupe store",
        _ => "handler",
    }
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Handled => "handled",
        Outcome::NotSubscribed => "not_subscribed",
        Outcome::Duplicate => "duplicate",
    }
}
