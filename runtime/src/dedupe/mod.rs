//! Idempotency by event id.
//!
//! Wix may deliver an event more than once (retries after a timeout or an error reply),
//! and its docs tell apps to drop duplicates by the event `id`. A [`DedupeStore`] records
//! which ids have begun or finished, so that each event is handled once:
//!
//! ```
//! use wix_events_runtime::dedupe::{unix_now, Begin, Claim, DedupeStore, MemoryDedupe};
//!
//! # async fn demo(event_id: &str) -> Result<(), wix_events_runtime::dedupe::DedupeError> {
//! let store = MemoryDedupe::with_capacity(10_000);
//! // Remember the id for as long as a delivery of it could still be accepted.
//! let claim = Claim { event_id, remember_until: unix_now() + 3600 };
//! if store.begin(&claim).await? == Begin::First {
//!     let handled = true; // run the handler here
//!     store.finish(&claim, handled).await?; // `false` lets Wix's retry run it again
//! }
//! # Ok(())
//! # }
//! ```
//!
//! How long an id is remembered is not a guess: a delivery can only be replayed while
//! it still verifies, so the dispatcher asks the store to remember each id until then
//! (a webhook token's `exp`, a forwarded event's signature time plus the tolerance).
//! A store that cannot remember one more id refuses the delivery ([`DedupeError::Full`],
//! answered 503 so that Wix retries later) rather than forgetting an id that could still
//! be replayed.
//!
//! Several replicas behind a load balancer share one store: `RedisDedupe`, with the
//! cargo feature `redis`, keeps the ids on a Redis server with the same semantics.
//!
//! An event without an `id` cannot be deduplicated: the dispatcher hands it to the
//! handler on every delivery. Wix sends an id with every event.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::future::Future;

pub use memory::{MemoryDedupe, DEFAULT_IN_FLIGHT_TIMEOUT, DEFAULT_MAX_BYTES};
#[cfg(feature = "redis")]
pub use redis::{RedisDedupe, DEFAULT_COMMAND_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_LEASE, DEFAULT_MAX_WAIT};

/// What [`DedupeStore::begin`] found for an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Not seen before (or forgotten after a failure): the caller runs the handler, then
    /// calls `finish`.
    First,
    /// Already handled (or, from a store that cannot wait, being handled right now): the
    /// caller skips it.
    Duplicate,
}

/// One delivery's claim on an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim<'a> {
    /// The event's `id` (its metadata id), at most
    /// [`MAX_EVENT_ID_LEN`](crate::dispatch::MAX_EVENT_ID_LEN) bytes when it comes from the
    /// dispatcher.
    pub event_id: &'a str,
    /// Unix seconds until which a delivery of this event could still be accepted: until
    /// then, a handled id must not be forgotten.
    pub remember_until: i64,
}

/// Why a store could not claim or record an id. The dispatcher answers 503 for each, so
/// that Wix delivers the event again later; nothing is handled twice or dropped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DedupeError {
    /// The store holds as many ids as it may, and none of them may be forgotten yet
    /// (each could still be replayed).
    #[error("the deduplication store is full ({ids} ids, {bytes} bytes), and none of its ids may be forgotten yet")]
    Full {
        /// Ids held.
        ids: usize,
        /// Bytes accounted for them.
        bytes: usize,
    },
    /// Another delivery of the id is still being handled, by this process or another
    /// replica, and did not finish within the time this store waits.
    #[error("event id is still being handled by another delivery")]
    Busy,
    /// The store cannot be reached or answered an error.
    #[error("the deduplication store is unavailable: {reason}")]
    Unavailable {
        /// What went wrong, for the log.
        reason: String,
    },
}

/// A record of event ids, shared by all requests. [`MemoryDedupe`] serves a single
/// process; `RedisDedupe` (feature `redis`) serves replicas sharing a Redis server, and
/// other shared databases can implement it likewise.
pub trait DedupeStore: Send + Sync {
    /// Claims `claim.event_id`. Must be atomic: of concurrent calls with the same id, at
    /// most one gets [`Begin::First`]. While the id is being handled, a store should wait
    /// for the outcome (as [`MemoryDedupe`] does): if that handling fails, this delivery
    /// is the one to run the handler, so a retry that arrived meanwhile is not lost.
    fn begin(&self, claim: &Claim<'_>) -> impl Future<Output = Result<Begin, DedupeError>> + Send;

    /// Ends a claim. `handled: true` remembers the id until `claim.remember_until`, so
    /// later deliveries are duplicates; `false` forgets it, so Wix's next retry runs the
    /// handler again.
    fn finish(&self, claim: &Claim<'_>, handled: bool) -> impl Future<Output = Result<(), DedupeError>> + Send;
}

impl<S: DedupeStore> DedupeStore for std::sync::Arc<S> {
    fn begin(&self, claim: &Claim<'_>) -> impl Future<Output = Result<Begin, DedupeError>> + Send {
        S::begin(self, claim)
    }

    fn finish(&self, claim: &Claim<'_>, handled: bool) -> impl Future<Output = Result<(), DedupeError>> + Send {
        S::finish(self, claim, handled)
    }
}

/// Unix seconds from the system clock (0 for a clock before 1970, which makes every id
/// look fresh rather than expired: remembered too long, never too short).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
