//! The dispatcher: raw bytes in, the right handler method called once, an outcome out.

use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::dedupe::{Begin, DedupeStore, MemoryDedupe};
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
        if let Some(secret) = &self.velo_secret {
            secret.verify(velo_handler, body, signature)?;
        }
        let event = E::decode(velo_handler, body)?;
        self.event(event).await
    }

    /// An app webhook request body (the JWT). Verified, unwrapped, decoded, dispatched.
    pub async fn webhook(&self, body: &[u8]) -> Result<Outcome, DispatchError> {
        let key = self.webhook_key.as_ref().ok_or(DispatchError::NoWebhookKey)?;
        let delivery = crate::webhook::open(body, key)?;
        let event = match delivery.into_event::<E>() {
            Ok(event) => event,
            Err(DecodeError::UnknownEvent { name, .. }) => {
                tracing::warn!(event_type = %name, "webhook for an event not in the catalogue");
                return Ok(Outcome::NotSubscribed);
            }
            Err(error) => return Err(error.into()),
        };
        self.event(event).await
    }

    /// A decoded event: deduplicated by its metadata id, then handed to the handler.
    pub async fn event(&self, event: E) -> Result<Outcome, DispatchError> {
        let name = event.info().velo_handler;
        // Checked before the id is copied, so an overlong id costs nothing more.
        if let Some(len) = event.event_id().map(str::len).filter(|len| *len > MAX_EVENT_ID_LEN) {
            return Err(DispatchError::EventIdTooLong { len });
        }
        let id = event.event_id().map(str::to_owned);
        if let Some(id) = &id {
            if self.dedupe.begin(id).await == Begin::Duplicate {
                tracing::debug!(event = name, id = %id, "duplicate delivery skipped");
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
        if let Some(id) = &id {
            self.dedupe.finish(id, outcome.is_ok()).await;
        }
        outcome
    }
}
