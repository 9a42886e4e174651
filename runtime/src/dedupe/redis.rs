//! The store shared by replicas: event ids claimed and remembered on a Redis server.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::{Begin, Claim, DedupeError, DedupeStore};

/// The prefix of every key the store writes, unless set with [`RedisDedupe::key_prefix`].
pub const DEFAULT_KEY_PREFIX: &str = "wix-events:dedupe:";

/// How long a claim in flight holds its id before another delivery may take it over,
/// unless set with [`RedisDedupe::lease`]. The same as the in-memory store's timeout.
pub const DEFAULT_LEASE: Duration = super::DEFAULT_IN_FLIGHT_TIMEOUT;

/// How long a delivery waits for another one handling the same id, unless set with
/// [`RedisDedupe::max_wait`].
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10);

/// How long one Redis command (or the first connection) may take before the store
/// reports it unavailable, unless set with [`RedisDedupe::command_timeout`].
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// The value of a handled id's key.
const DONE: &str = "done";

/// First and longest pause between two looks at an id in flight.
const FIRST_POLL: Duration = Duration::from_millis(5);
const LONGEST_POLL: Duration = Duration::from_millis(100);

/// Claims an id unless it is in flight or done, in one step.
/// KEYS[1]: the id's key. ARGV[1]: this store's in-flight marker. ARGV[2]: the lease in ms.
/// Returns 1 when claimed, 2 when done, 0 when in flight.
const BEGIN_SCRIPT: &str = r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == 'done' then return 2 end
return 0
";

/// Ends a claim, unless another store has taken the id over meanwhile.
/// KEYS[1]: the id's key. ARGV[1]: this store's in-flight marker. ARGV[2]: '1' when
/// handled, '0' when failed. ARGV[3]: the Unix second at which a handled id is forgotten.
/// Returns 1 when the claim was ended, 0 when it was no longer this store's.
///
/// A handled id whose claim lapsed and was not taken over (the key is gone) is still
/// recorded: forgetting it would let a redelivery run the handler again.
const FINISH_SCRIPT: &str = r"
local held = redis.call('GET', KEYS[1])
if held ~= ARGV[1] and (ARGV[2] == '0' or held) then return 0 end
if ARGV[2] == '1' then
  redis.call('SET', KEYS[1], 'done')
  redis.call('EXPIREAT', KEYS[1], ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1
";

/// A [`DedupeStore`] on a Redis server, so that replicas behind a load balancer handle
/// each event once between them.
///
/// The semantics are those of [`MemoryDedupe`](super::MemoryDedupe), across processes:
///
/// - **One handling per id.** `begin` sets the id's key with `SET NX PX` to this store's
///   in-flight marker; of concurrent deliveries on any replica, one wins.
/// - **Waiting for the outcome.** A delivery of an id in flight looks again, every few
///   milliseconds up to 100 ms apart, until that handling ends: then it is a duplicate if
///   the handling succeeded, and claims the id if it failed. It waits at most
///   [`max_wait`](Self::max_wait), then gives up with [`DedupeError::Busy`] (503, and Wix
///   delivers again later).
/// - **Failures release the id.** `finish(claim, false)` deletes the key, so Wix's retry
///   runs the handler.
/// - **Handled ids expire.** `finish(claim, true)` marks the key done and makes Redis
///   expire it at `claim.remember_until` (plus one second, as Redis expires a key at the
///   start of that second); the dispatcher sets that to the last moment a delivery of the
///   event could still verify.
/// - **Crashed replicas.** The in-flight key lives for the [`lease`](Self::lease): a
///   replica that dies mid-handler blocks its id that long, then a redelivery claims it.
///   The lease must be longer than any handler runs, or a redelivery could run alongside.
/// - **Only the owner ends a claim.** `finish` runs a Lua script that compares the key's
///   value with this store's marker first, so a store whose lease ran out cannot release
///   or overwrite a claim another replica has taken over.
///
/// When Redis cannot be reached, or does not answer within the
/// [`command_timeout`](Self::command_timeout), `begin` fails with
/// [`DedupeError::Unavailable`] and the dispatcher answers 503: nothing is handled
/// without a claim, so nothing is handled twice, and Wix delivers the event again later.
/// The connection is re-established in the background.
///
/// Memory is bounded by Redis, not here: configure `maxmemory` with
/// `maxmemory-policy noeviction`, so that a full Redis refuses new claims (503) instead
/// of evicting ids that could still be replayed. Redis must keep its data across a
/// restart (persistence or a replica) for ids to be remembered across one.
///
/// Every method needs a tokio runtime with timers enabled.
#[derive(Clone)]
pub struct RedisDedupe {
    connection: ConnectionManager,
    /// This store's in-flight value: unique per store, so `finish` knows its own claims.
    marker: String,
    key_prefix: String,
    lease: Duration,
    max_wait: Duration,
    command_timeout: Duration,
    begin_script: Script,
    finish_script: Script,
}

impl std::fmt::Debug for RedisDedupe {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The connection is left out: its URL may hold a password.
        formatter
            .debug_struct("RedisDedupe")
            .field("key_prefix", &self.key_prefix)
            .field("lease", &self.lease)
            .field("max_wait", &self.max_wait)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisDedupe {
    /// Connects to the Redis server at `url` (`redis://[:password@]host[:port][/db]`),
    /// failing with [`DedupeError::Unavailable`] if it cannot be reached within
    /// [`DEFAULT_COMMAND_TIMEOUT`] or the URL is malformed.
    pub async fn connect(url: &str) -> Result<Self, DedupeError> {
        let client = Client::open(url).map_err(|error| unavailable("invalid Redis URL", error))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_COMMAND_TIMEOUT))
            .set_response_timeout(Some(DEFAULT_COMMAND_TIMEOUT))
            .set_max_delay(Duration::from_secs(1));
        let connecting = ConnectionManager::new_with_config(client, config);
        let connection = within(DEFAULT_COMMAND_TIMEOUT, connecting, "cannot connect to Redis").await?;
        Ok(Self {
            connection,
            marker: in_flight_marker()?,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            lease: DEFAULT_LEASE,
            max_wait: DEFAULT_MAX_WAIT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            begin_script: Script::new(BEGIN_SCRIPT),
            finish_script: Script::new(FINISH_SCRIPT),
        })
    }

    /// Sets the prefix of the store's keys, so that several services (or environments)
    /// can share one Redis database. Replicas of one service must use the same prefix.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets how long an unfinished claim blocks other deliveries of its id (at least one
    /// millisecond). Longer than any handler runs; short enough that an event whose
    /// replica crashed is handled on a later retry.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(1));
        self
    }

    /// Sets how long a delivery waits for another one handling the same id before it
    /// gives up with [`DedupeError::Busy`].
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    /// Sets how long one Redis command may take before the store reports
    /// [`DedupeError::Unavailable`].
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// The Redis key holding `event_id`.
    pub fn key(&self, event_id: &str) -> String {
        format!("{}{event_id}", self.key_prefix)
    }

    /// One look at the id: claimed now, done, or still in flight (`None`).
    async fn try_claim(&self, key: &str) -> Result<Option<Begin>, DedupeError> {
        let lease_ms = u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX);
        let mut connection = self.connection.clone();
        let mut invocation = self.begin_script.key(key);
        invocation.arg(&self.marker).arg(lease_ms);
        let found: i64 = within(self.command_timeout, invocation.invoke_async(&mut connection), "Redis").await?;
        Ok(match found {
            1 => Some(Begin::First),
            2 => Some(Begin::Duplicate),
            _ => None,
        })
    }

    async fn claim(&self, claim: &Claim<'_>) -> Result<Begin, DedupeError> {
        let key = self.key(claim.event_id);
        let started = Instant::now();
        let mut pause = FIRST_POLL;
        loop {
            if let Some(begin) = self.try_claim(&key).await? {
                return Ok(begin);
            }
            let waited = started.elapsed();
            if waited >= self.max_wait {
                return Err(DedupeError::Busy);
            }
            tokio::time::sleep(pause.min(self.max_wait - waited)).await;
            pause = (pause * 2).min(LONGEST_POLL);
        }
    }

    async fn end(&self, claim: &Claim<'_>, handled: bool) -> Result<(), DedupeError> {
        let key = self.key(claim.event_id);
        let mut connection = self.connection.clone();
        let mut invocation = self.finish_script.key(&key);
        invocation.arg(&self.marker).arg(if handled { "1" } else { "0" }).arg(claim.remember_until.saturating_add(1));
        let ended: i64 = within(self.command_timeout, invocation.invoke_async(&mut connection), "Redis").await?;
        if ended == 0 {
            // The lease ran out before the handler finished and the id moved on: another
            // delivery holds or has handled it. Nothing to undo here; the lease is short.
            tracing::warn!(id = ?claim.event_id, lease = ?self.lease, "the claim lapsed before the handling ended; make the lease longer than any handler runs");
        }
        Ok(())
    }
}

impl DedupeStore for RedisDedupe {
    fn begin(&self, claim: &Claim<'_>) -> impl Future<Output = Result<Begin, DedupeError>> + Send {
        self.claim(claim)
    }

    fn finish(&self, claim: &Claim<'_>, handled: bool) -> impl Future<Output = Result<(), DedupeError>> + Send {
        self.end(claim, handled)
    }
}

/// A value no other store uses for its claims: random, and never equal to [`DONE`].
fn in_flight_marker() -> Result<String, DedupeError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| unavailable("no system randomness", "fill failed"))?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let marker = format!("in-flight:{hex}");
    debug_assert_ne!(marker, DONE);
    Ok(marker)
}

/// Runs a Redis operation within `timeout`; a timeout or an error is "unavailable".
async fn within<T, E: Display>(
    timeout: Duration,
    operation: impl Future<Output = Result<T, E>>,
    what: &str,
) -> Result<T, DedupeError> {
    match tokio::time::timeout(timeout, operation).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(unavailable(what, error)),
        Err(_elapsed) => Err(unavailable(what, format_args!("no answer within {timeout:?}"))),
    }
}

fn unavailable(what: &str, error: impl Display) -> DedupeError {
    DedupeError::Unavailable { reason: format!("{what}: {error}") }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::dedupe::unix_now;
    use crate::testing::RedisServer;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn claim(event_id: &str) -> Claim<'_> {
        Claim { event_id, remember_until: unix_now() + 3600 }
    }

    async fn store(server: &RedisServer) -> RedisDedupe {
        RedisDedupe::connect(&server.url()).await.unwrap()
    }

    /// The key's time to live in seconds (-2 when there is no key, -1 when it never expires).
    async fn ttl(server: &RedisServer, key: &str) -> i64 {
        let client = Client::open(server.url()).unwrap();
        let mut connection = client.get_multiplexed_async_connection().await.unwrap();
        redis::cmd("TTL").arg(key).query_async(&mut connection).await.unwrap()
    }

    #[tokio::test]
    async fn first_then_duplicate_across_stores() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let (one, two) = (store(&server).await, store(&server).await);
        assert_eq!(one.begin(&claim("a")).await.unwrap(), Begin::First);
        one.finish(&claim("a"), true).await.unwrap();
        assert_eq!(two.begin(&claim("a")).await.unwrap(), Begin::Duplicate, "handled on the other replica");
        assert_eq!(two.begin(&claim("b")).await.unwrap(), Begin::First);
    }

    #[tokio::test]
    async fn a_delivery_in_flight_waits_for_the_outcome_on_another_store() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let owner = store(&server).await;
        let other = Arc::new(store(&server).await);
        for (outcome, expected) in [(true, Begin::Duplicate), (false, Begin::First)] {
            let id = format!("evt-{outcome}");
            assert_eq!(owner.begin(&claim(&id)).await.unwrap(), Begin::First);
            let waiting = tokio::spawn({
                let (other, id) = (Arc::clone(&other), id.clone());
                async move { other.begin(&claim(&id)).await.unwrap() }
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert!(!waiting.is_finished(), "waits while the first delivery is handled");
            owner.finish(&claim(&id), outcome).await.unwrap();
            assert_eq!(waiting.await.unwrap(), expected, "handled: {outcome}");
        }
    }

    #[tokio::test]
    async fn a_wait_is_bounded_and_ends_busy() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let owner = store(&server).await;
        let other = store(&server).await.max_wait(Duration::from_millis(30));
        assert_eq!(owner.begin(&claim("a")).await.unwrap(), Begin::First);
        assert!(matches!(other.begin(&claim("a")).await, Err(DedupeError::Busy)));
    }

    #[tokio::test]
    async fn a_failed_handling_releases_the_id() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let store = store(&server).await;
        assert_eq!(store.begin(&claim("a")).await.unwrap(), Begin::First);
        store.finish(&claim("a"), false).await.unwrap();
        assert_eq!(ttl(&server, &store.key("a")).await, -2, "the key is gone");
        assert_eq!(store.begin(&claim("a")).await.unwrap(), Begin::First);
    }

    #[tokio::test]
    async fn a_handled_id_expires_when_it_can_no_longer_be_replayed() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let store = store(&server).await;
        let lasting = Claim { event_id: "lasting", remember_until: unix_now() + 3600 };
        assert_eq!(store.begin(&lasting).await.unwrap(), Begin::First);
        let left = ttl(&server, &store.key("lasting")).await;
        assert!((590..=600).contains(&left), "in flight: the lease of ten minutes, {left}");
        store.finish(&lasting, true).await.unwrap();
        let left = ttl(&server, &store.key("lasting")).await;
        assert!((3590..=3601).contains(&left), "remembered until remember_until: {left}");
        let expired = Claim { event_id: "expired", remember_until: unix_now() - 10 };
        assert_eq!(store.begin(&expired).await.unwrap(), Begin::First);
        store.finish(&expired, true).await.unwrap();
        assert_eq!(ttl(&server, &store.key("expired")).await, -2, "past its window: nothing to remember");
    }

    #[tokio::test]
    async fn an_abandoned_claim_is_taken_over_after_its_lease() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let crashed = store(&server).await.lease(Duration::from_millis(1));
        let other = store(&server).await;
        assert_eq!(crashed.begin(&claim("a")).await.unwrap(), Begin::First);
        // The lease of one millisecond has run out by the time Redis sees the next claim,
        // or the wait for it ends once it has.
        assert_eq!(other.begin(&claim("a")).await.unwrap(), Begin::First, "taken over");
        // The crashed store's late finish neither releases nor overwrites the new claim.
        crashed.finish(&claim("a"), false).await.unwrap();
        crashed.finish(&claim("a"), true).await.unwrap();
        let third = store(&server).await.max_wait(Duration::ZERO);
        assert!(matches!(third.begin(&claim("a")).await, Err(DedupeError::Busy)), "still the other's");
        other.finish(&claim("a"), true).await.unwrap();
        assert_eq!(third.begin(&claim("a")).await.unwrap(), Begin::Duplicate);
    }

    #[tokio::test]
    async fn the_key_prefix_separates_services() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let billing = store(&server).await.key_prefix("billing:");
        let mailing = store(&server).await.key_prefix("mailing:");
        for store in [&billing, &mailing] {
            assert_eq!(store.begin(&claim("a")).await.unwrap(), Begin::First);
            store.finish(&claim("a"), true).await.unwrap();
        }
        assert_eq!(billing.key("a"), "billing:a");
        assert!(ttl(&server, "mailing:a").await > 0);
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_unavailable_never_a_claim() {
        let Some(mut server) = RedisServer::start_or_skip() else { return };
        let store = store(&server).await;
        server.stop();
        for id in ["a", "b"] {
            let error = store.begin(&claim(id)).await.unwrap_err();
            assert!(matches!(error, DedupeError::Unavailable { .. }), "{error:?}");
        }
        assert!(matches!(store.finish(&claim("a"), true).await, Err(DedupeError::Unavailable { .. })));
        let error = RedisDedupe::connect(&server.url()).await.unwrap_err();
        assert!(error.to_string().contains("cannot connect to Redis"), "{error}");
        let error = RedisDedupe::connect("not a url").await.unwrap_err();
        assert!(error.to_string().contains("invalid Redis URL"), "{error}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_deliveries_on_many_stores_begin_once() {
        let Some(server) = RedisServer::start_or_skip() else { return };
        let mut stores = Vec::new();
        for _ in 0..4 {
            stores.push(Arc::new(store(&server).await));
        }
        for round in 0..20 {
            let id = format!("evt-{round}");
            let firsts = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..16)
                .map(|n| {
                    let (store, firsts, id) = (Arc::clone(&stores[n % 4]), Arc::clone(&firsts), id.clone());
                    tokio::spawn(async move {
                        if store.begin(&claim(&id)).await.unwrap() == Begin::First {
                            firsts.fetch_add(1, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            store.finish(&claim(&id), true).await.unwrap();
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(firsts.load(Ordering::SeqCst), 1, "{id}");
        }
    }
}
