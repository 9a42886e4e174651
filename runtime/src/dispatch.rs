//! The dispatcher: raw bytes in, the right handler method called once, an outcome out.

use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::dedupe::{unix_now, Begin, Claim, DedupeError, DedupeStore, MemoryDedupe};
use crate::error::{DecodeError, HandlerError};
use crate::event_set::Route;
use crate::velo_auth::{VeloAuthError, VeloSecret};
use crate::webhook::{WebhookError, WebhookKey};

/// Default capacity of the in-memory deduplication store (event ids remembered).
pub const DEFAULT_DEDUPE_CAPACITY: usize = 100_000;

/// The longest event id accepted, in bytes. Wix's ids are UUIDs (36 characters); the bound
/// keeps what a deduplication store holds per id small whatever a sender chooses, so the
/// in-memory store's memory is bounded by its capacity times this length.
pub const MAX_EVENT_ID_LEN: usize = 256;

/// How long an event id is remembered when nothing says until when a delivery of it could
/// be replayed: Velo events accepted without a signature check, and events given to
/// [`Dispatcher::event`] directly.
pub const DEFAULT_REMEMBER_SECS: i64 = 24 * 3600;

/// What happened to a delivery that was accepted. Wix should get a 200 for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler ran and succeeded.
    Handled,
    /// The handler does not implement this event, or the event is not in the catalogue.
    NotSubscribed,
    /// The event id was handled already: by an earlier delivery, or by a concurrent one
    /// whose outcome this delivery waited for. The handler did not run.
    Duplicate,
}

/// Why a delivery was not handled.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    /// A forwarded Velo event without a valid signature: missing, malformed, wrong,
    /// made for another handler, or with a timestamp outside the tolerance.
    #[error(transparent)]
    Unauthorized(#[from] VeloAuthError),
    /// A webhook that is forged, expired or malformed in one of its layers.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// The event could not be decoded (the error names the JSON path).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The deduplication store could not claim or record the event id: full, busy with
    /// another delivery of it, or unreachable. Wix should deliver again later.
    #[error(transparent)]
    Dedupe(#[from] DedupeError),
    /// The event id is longer than [`MAX_EVENT_ID_LEN`]: not an id Wix sends.
    #[error("event id of {len} bytes is longer than the {MAX_EVENT_ID_LEN} accepted")]
    EventIdTooLong {
        /// The id's length in bytes.
        len: usize,
    },
    /// Webhooks arrived but no public key was configured.
    #[error("no webhook public key is configured (Dispatcher::with_webhook_key)")]
    NoWebhookKey,
    /// The handler returned an error; Wix should retry.
    #[error("handler `{event}` failed: {message}")]
    Handler {
        /// Velo handler name.
        event: &'static str,
        /// The handler's error.
        message: String,
    },
    /// The handler panicked; the dispatcher caught it and keeps serving.
    #[error("handler `{event}` panicked")]
    Panicked {
        /// Velo handler name.
        event: &'static str,
    },
}

impl DispatchError {
    /// The HTTP status a receiver should answer: 4xx for input that will never succeed,
    /// 5xx where the handler failed, so that Wix delivers again.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthorized(_) => 401,
            Self::Webhook(
                WebhookError::Signature
                | WebhookError::Algorithm { .. }
                | WebhookError::Expired
                | WebhookError::NotYetValid { .. },
            ) => 401,
            Self::Webhook(_) => 400,
            Self::Decode(DecodeError::UnknownEvent { .. } | DecodeError::FeatureDisabled { .. }) => 404,
            Self::Decode(_) | Self::EventIdTooLong { .. } => 400,
            Self::NoWebhookKey | Self::Handler { .. } | Self::Panicked { .. } => 500,
            Self::Dedupe(_) => 503,
        }
    }
}

/// Routes deliveries of the events of `E` (the generated `Event`) to handler `H`, once per
/// event id. The generated crate names it with `E` fixed: `Dispatcher<H, S>`.
pub struct Dispatcher<E, H, S = MemoryDedupe> {
    events: PhantomData<fn() -> E>,
    handler: H,
    dedupe: S,
    webhook_key: Option<WebhookKey>,
    velo_secret: Option<VeloSecret>,
}

impl<E: Route<H>, H> Dispatcher<E, H> {
    /// A dispatcher with an in-memory store of [`DEFAULT_DEDUPE_CAPACITY`] event ids.
    pub fn new(handler: H) -> Self {
        Self {
            events: PhantomData,
            handler,
            dedupe: MemoryDedupe::with_capacity(DEFAULT_DEDUPE_CAPACITY),
            webhook_key: None,
            velo_secret: None,
        }
    }
}

impl<E: Route<H>, H, S: DedupeStore> Dispatcher<E, H, S> {
    /// Uses another deduplication store (shared across processes, for example).
    pub fn with_dedupe<T: DedupeStore>(self, dedupe: T) -> Dispatcher<E, H, T> {
        Dispatcher {
            events: PhantomData,
            handler: self.handler,
            dedupe,
            webhook_key: self.webhook_key,
            velo_secret: self.velo_secret,
        }
    }

    /// Accepts app webhooks signed with this key.
    pub fn with_webhook_key(mut self, key: WebhookKey) -> Self {
        self.webhook_key = Some(key);
        self
    }

    /// Requires forwarded Velo events to be signed with this secret (or one of them, and
    /// within its tolerance: see [`crate::velo_auth`]).
    pub fn with_velo_secret(mut self, secret: VeloSecret) -> Self {
        self.velo_secret = Some(secret);
        self
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// A Velo event object forwarded from `backend/events.js`, with its handler name (the
    /// route it was posted to) and the signature header. When a secret is configured the
    /// signature must cover this handler name, this body and a fresh timestamp, before
    /// anything is decoded or deduplicated.
    pub async fn velo(
        &self,
        velo_handler: &str,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Outcome, DispatchError> {
        let remember_until = match &self.velo_secret {
            Some(secret) => secret.verify_until(velo_handler, body, signature)?,
            None => unix_now().saturating_add(DEFAULT_REMEMBER_SECS),
        };
        let event = E::decode(velo_handler, body)?;
        self.handle(event, remember_until).await
    }

    /// An app webhook request body (the JWT). Verified, unwrapped, decoded, dispatched.
    pub async fn webhook(&self, body: &[u8]) -> Result<Outcome, DispatchError> {
        let key = self.webhook_key.as_ref().ok_or(DispatchError::NoWebhookKey)?;
        let delivery = crate::webhook::open(body, key)?;
        let remember_until =
            delivery.replayable_until.unwrap_or_else(|| unix_now().saturating_add(DEFAULT_REMEMBER_SECS));
        let event = match delivery.into_event::<E>() {
            Ok(event) => event,
            Err(DecodeError::UnknownEvent { name, .. }) => {
                tracing::warn!(event_type = ?name, "webhook for an event not in the catalogue");
                return Ok(Outcome::NotSubscribed);
            }
            Err(error) => return Err(error.into()),
        };
        self.handle(event, remember_until).await
    }

    /// A decoded event: deduplicated by its metadata id (remembered for
    /// [`DEFAULT_REMEMBER_SECS`]), then handed to the handler.
    pub async fn event(&self, event: E) -> Result<Outcome, DispatchError> {
        self.handle(event, unix_now().saturating_add(DEFAULT_REMEMBER_SECS)).await
    }

    /// Deduplicates `event`, remembering its id until `remember_until` (Unix seconds), and
    /// hands it to the handler. An event without an id is handled on every delivery.
    async fn handle(&self, event: E, remember_until: i64) -> Result<Outcome, DispatchError> {
        let name = event.info().velo_handler;
        // Checked before the id is copied, so an overlong id costs nothing more.
        if let Some(len) = event.event_id().map(str::len).filter(|len| *len > MAX_EVENT_ID_LEN) {
            return Err(DispatchError::EventIdTooLong { len });
        }
        let id = event.event_id().map(str::to_owned);
        let claim = id.as_deref().map(|event_id| Claim { event_id, remember_until });
        if let Some(claim) = &claim {
            if self.dedupe.begin(claim).await? == Begin::Duplicate {
                tracing::debug!(event = name, id = ?claim.event_id, "duplicate delivery skipped");
                return Ok(Outcome::Duplicate);
            }
        }
        let result = AssertUnwindSafe(event.route(&self.handler)).catch_unwind().await;
        let outcome = match result {
            Ok(Ok(())) => Ok(Outcome::Handled),
            Ok(Err(HandlerError::NotSubscribed)) => Ok(Outcome::NotSubscribed),
            Ok(Err(HandlerError::Failed(error))) => {
                tracing::error!(event = name, error = %error, "handler failed");
                Err(DispatchError::Handler { event: name, message: error.to_string() })
            }
            Err(_) => {
                tracing::error!(event = name, "handler panicked");
                Err(DispatchError::Panicked { event: name })
            }
        };
        if let Some(claim) = &claim {
            if let Err(error) = self.dedupe.finish(claim, outcome.is_ok()).await {
                // A handled event is still answered 200: asking Wix for a retry would
                // handle it twice. The store's in-flight claim lapses on its own.
                tracing::error!(event = name, id = ?claim.event_id, %error, "cannot record the outcome");
            }
        }
        outcome
    }
}
