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
//! Answers: 200 when the event was handled, is not subscribed to, or is a duplicate
//! (Wix must not retry those); 4xx for forged or malformed input (a retry cannot help);
//! 5xx when the handler failed or panicked, so that Wix delivers the event again; 503 when
//! the handler outlives the deadline, or when the route is not configured (no webhook
//! key, or no Velo secret: [`Routes`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use tokio::task::JoinHandle;
use wix_backend_events::dedupe::DedupeStore;
use wix_backend_events::dispatch::{DispatchError, Dispatcher, Outcome};
use wix_backend_events::velo_auth::SIGNATURE_HEADER;
use wix_backend_events::Handler;

/// The receiver's bounds on what it accepts and how long it takes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted; larger ones get 413 before any parsing. Wix's
    /// webhook JWTs and Velo event objects are a few KiB.
    pub body_bytes: usize,
    /// How long a delivery may take before the receiver answers 503. Wix gives a webhook
    /// 1250 ms; answering well before that keeps its retry logic in our hands.
    pub deadline: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { body_bytes: 1024 * 1024, deadline: Duration::from_millis(1000) }
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

impl Routes {
    /// Both routes.
    pub const ALL: Routes = Routes { webhook: true, velo: true };
}

/// What every request handler needs: the dispatcher and the deadline.
struct Receiver<H, S> {
    dispatcher: Arc<Dispatcher<H, S>>,
    deadline: Duration,
}

// Written out because a derive would require `H: Clone` and `S: Clone`.
impl<H, S> Clone for Receiver<H, S> {
    fn clone(&self) -> Self {
        Self { dispatcher: Arc::clone(&self.dispatcher), deadline: self.deadline }
    }
}

/// The receiver's routes, serving `dispatcher` within `limits`.
pub fn router<H, S>(dispatcher: Arc<Dispatcher<H, S>>, limits: Limits) -> Router
where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    router_for(dispatcher, limits, Routes::ALL)
}

/// The receiver's routes, the ones `routes` leaves out answering 503.
pub fn router_for<H, S>(dispatcher: Arc<Dispatcher<H, S>>, limits: Limits, routes: Routes) -> Router
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
    Router::new()
        .route("/webhook", webhook_route)
        .route("/velo/{handler}", velo_route)
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .with_state(Receiver { dispatcher, deadline: limits.deadline })
}

/// The answer of a route the receiver was started without the means to check.
fn not_configured(what: &str) -> Response {
    error_response(StatusCode::SERVICE_UNAVAILABLE, &format!("this route is not served: {what}"))
}

async fn webhook<H, S>(State(receiver): State<Receiver<H, S>>, body: Bytes) -> Response
where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    let dispatcher = Arc::clone(&receiver.dispatcher);
    let task = tokio::spawn(async move { dispatcher.webhook(&body).await });
    answer(task, receiver.deadline).await
}

async fn velo<H, S>(
    State(receiver): State<Receiver<H, S>>,
    Path(handler): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response
where
    H: Handler + 'static,
    S: DedupeStore + 'static,
{
    // A header that is not UTF-8 is passed on as is (lossily), so the verifier rejects it
    // as malformed rather than as missing.
    let signature = headers.get(SIGNATURE_HEADER).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    let dispatcher = Arc::clone(&receiver.dispatcher);
    let task = tokio::spawn(async move { dispatcher.velo(&handler, &body, signature.as_deref()).await });
    answer(task, receiver.deadline).await
}

/// Waits for a dispatch task until the deadline and turns its result into a response.
///
/// The dispatch runs in its own task so that, past the deadline, it carries on to the end
/// instead of being dropped mid-handler: a dropped handler would leave its event id
/// claimed as "in flight" in the dedupe store, and Wix's retry would then be skipped as
/// a duplicate of a delivery that never finished.
async fn answer(task: JoinHandle<Result<Outcome, DispatchError>>, deadline: Duration) -> Response {
    match tokio::time::timeout(deadline, task).await {
        Ok(Ok(Ok(outcome))) => {
            tracing::debug!(?outcome, "delivery accepted");
            (StatusCode::OK, Json(json!({ "outcome": outcome_name(outcome) }))).into_response()
        }
        Ok(Ok(Err(error))) => rejection(&error),
        Ok(Err(join_error)) => {
            // The dispatcher catches handler panics itself; this is a panic outside the
            // handler, which must still not take the service down.
            tracing::error!(error = %join_error, "dispatch task failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        Err(_elapsed) => {
            tracing::warn!(?deadline, "handler still running at the deadline; answering 503 so Wix retries");
            error_response(StatusCode::SERVICE_UNAVAILABLE, "handler did not finish in time")
        }
    }
}

fn rejection(error: &DispatchError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        // The dispatcher has logged the handler's error; its text stays out of the reply.
        error_response(status, "the handler failed; deliver again later")
    } else {
        // The sender's fault: say what is wrong, so that a misconfigured site or key is
        // easy to diagnose. Nothing secret is in these messages.
        tracing::info!(status = status.as_u16(), %error, "delivery rejected");
        error_response(status, &error.to_string())
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
