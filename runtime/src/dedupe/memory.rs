//! The in-process store: bounded in ids and bytes, thread-safe, waiting for ids in flight.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{unix_now, Begin, Claim, DedupeError, DedupeStore};

/// How long an id may stay in flight before a new delivery may claim it again, unless
/// set with [`MemoryDedupe::in_flight_timeout`].
pub const DEFAULT_IN_FLIGHT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Default bound on the memory the ids take, in bytes (see [`MemoryDedupe::max_bytes`]).
pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

/// What one remembered id costs besides its text: the map entry, the expiry index entry
/// and their allocations, rounded up. Counting it keeps the byte bound honest for short ids.
const ENTRY_OVERHEAD_BYTES: usize = 128;

/// An in-process [`DedupeStore`], bounded and thread-safe.
///
/// A delivery of an id in flight waits until that handling finishes: it is then a
/// duplicate if the handling succeeded, and claims the id if it failed.
///
/// A handled id is remembered until its claim's `remember_until` and forgotten after it.
/// The store holds at most `capacity` ids and [`max_bytes`](Self::max_bytes) bytes of
/// them (each id's length twice, as it is indexed twice, plus a fixed overhead); when a
/// new id would not fit, the claim is refused with [`DedupeError::Full`] instead of
/// forgetting an id that could still be replayed. Ids in flight are never evicted (that
/// would let a concurrent duplicate through), but one whose `finish` never comes (a
/// request future dropped mid-handler) is given up after the in-flight timeout, so the
/// event is not lost for good.
#[derive(Debug)]
pub struct MemoryDedupe {
    state: Mutex<State>,
    capacity: usize,
    max_bytes: usize,
    in_flight_timeout: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// Every known id, with where it stands.
    ids: HashMap<Box<str>, Entry>,
    /// Handled ids by the time they may be forgotten; the sequence number makes each key
    /// unique.
    expiries: BTreeMap<(i64, u64), Box<str>>,
    /// Bytes accounted for all entries (see [`cost`]).
    bytes: usize,
    /// Counts completions; tags expiry keys.
    sequence: u64,
}

#[derive(Debug)]
enum Entry {
    /// Being handled; `waiters` are deliveries of the same id waiting for the outcome.
    InFlight { since: Instant, waiters: Vec<Waker> },
    /// Handled; forgotten once `expiry.0` has passed.
    Done { expiry: (i64, u64) },
}

/// The bytes one id takes in the store.
fn cost(event_id: &str) -> usize {
    2 * event_id.len() + ENTRY_OVERHEAD_BYTES
}

impl MemoryDedupe {
    /// A store remembering up to `capacity` ids (at least one) and
    /// [`DEFAULT_MAX_BYTES`] bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            max_bytes: DEFAULT_MAX_BYTES,
            in_flight_timeout: DEFAULT_IN_FLIGHT_TIMEOUT,
        }
    }

    /// Bounds the memory the ids take (at least room for one id of any accepted length).
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes.max(2 * crate::dispatch::MAX_EVENT_ID_LEN + ENTRY_OVERHEAD_BYTES);
        self
    }

    /// Sets how long an unfinished claim blocks redeliveries of its id.
    pub fn in_flight_timeout(mut self, timeout: Duration) -> Self {
        self.in_flight_timeout = timeout;
        self
    }

    /// The number of ids currently remembered (in flight or handled).
    pub fn len(&self) -> usize {
        self.lock().ids.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes accounted for the ids remembered, bounded by [`max_bytes`](Self::max_bytes).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Claims an id without waiting: [`Begin::Duplicate`] while it is in flight too.
    pub fn begin_now(&self, claim: &Claim<'_>) -> Result<Begin, DedupeError> {
        self.claim(claim, None).unwrap_or(Ok(Begin::Duplicate))
    }

    /// Claims an id; `None` while another delivery handles it, after registering `waiter`
    /// (when given) to be woken when that handling finishes.
    fn claim(&self, claim: &Claim<'_>, waiter: Option<&Waker>) -> Option<Result<Begin, DedupeError>> {
        let mut state = self.lock();
        state.forget_expired(unix_now());
        let now = Instant::now();
        let mut waiters = Vec::new();
        match state.ids.get_mut(claim.event_id) {
            Some(Entry::Done { .. }) => return Some(Ok(Begin::Duplicate)),
            Some(Entry::InFlight { since, waiters: waiting })
                if now.saturating_duration_since(*since) < self.in_flight_timeout =>
            {
                if let Some(waiter) = waiter.filter(|waiter| !waiting.iter().any(|w| w.will_wake(waiter))) {
                    waiting.push(waiter.clone());
                }
                return None;
            }
            // An abandoned claim is taken over; its waiters now wait for this one.
            Some(Entry::InFlight { waiters: waiting, .. }) => {
                waiters = std::mem::take(waiting);
                state.remove(claim.event_id);
            }
            None => {}
        }
        let cost = cost(claim.event_id);
        if state.ids.len() >= self.capacity || state.bytes + cost > self.max_bytes {
            // The abandoned claim's waiters, if any, try again and meet the same answer.
            waiters.into_iter().for_each(Waker::wake);
            return Some(Err(DedupeError::Full { ids: state.ids.len(), bytes: state.bytes }));
        }
        state.bytes += cost;
        state.ids.insert(claim.event_id.into(), Entry::InFlight { since: now, waiters });
        Some(Ok(Begin::First))
    }

    /// The synchronous core of [`DedupeStore::finish`]; wakes the deliveries waiting for it.
    pub fn finish_now(&self, claim: &Claim<'_>, handled: bool) {
        let mut state = self.lock();
        let now = unix_now();
        let previous = state.remove(claim.event_id);
        // An id that can no longer be replayed need not be remembered at all.
        if handled && claim.remember_until >= now {
            state.sequence += 1;
            let expiry = (claim.remember_until, state.sequence);
            state.bytes += cost(claim.event_id);
            state.expiries.insert(expiry, claim.event_id.into());
            state.ids.insert(claim.event_id.into(), Entry::Done { expiry });
        }
        state.forget_expired(now);
        drop(state);
        if let Some(Entry::InFlight { waiters, .. }) = previous {
            waiters.into_iter().for_each(Waker::wake);
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing here panics while holding the lock, so a poisoned state is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Removes an id wherever it stands, with its accounting.
    fn remove(&mut self, event_id: &str) -> Option<Entry> {
        let entry = self.ids.remove(event_id)?;
        self.bytes = self.bytes.saturating_sub(cost(event_id));
        if let Entry::Done { expiry } = &entry {
            self.expiries.remove(expiry);
        }
        Some(entry)
    }

    /// Forgets the handled ids whose deliveries can no longer be accepted.
    fn forget_expired(&mut self, now: i64) {
        while let Some(entry) = self.expiries.first_entry() {
            if entry.key().0 >= now {
                break;
            }
            let id = entry.remove();
            self.ids.remove(&id);
            self.bytes = self.bytes.saturating_sub(cost(&id));
        }
    }
}

/// [`MemoryDedupe`]'s claim: ready at once unless the id is in flight, then when that
/// handling finishes.
struct Claiming<'s, 'c> {
    store: &'s MemoryDedupe,
    claim: Claim<'c>,
}

impl Future for Claiming<'_, '_> {
    type Output = Result<Begin, DedupeError>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        match self.store.claim(&self.claim, Some(context.waker())) {
            Some(begin) => Poll::Ready(begin),
            None => Poll::Pending,
        }
    }
}

impl DedupeStore for MemoryDedupe {
    fn begin(&self, claim: &Claim<'_>) -> impl Future<Output = Result<Begin, DedupeError>> + Send {
        Claiming { store: self, claim: *claim }
    }

    fn finish(&self, claim: &Claim<'_>, handled: bool) -> impl Future<Output = Result<(), DedupeError>> + Send {
        self.finish_now(claim, handled);
        std::future::ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A claim remembered for an hour.
    fn claim(event_id: &str) -> Claim<'_> {
        Claim { event_id, remember_until: unix_now() + 3600 }
    }

    fn first(store: &MemoryDedupe, event_id: &str) -> Begin {
        store.begin_now(&claim(event_id)).unwrap()
    }

    fn handled(store: &MemoryDedupe, event_id: &str) {
        store.finish_now(&claim(event_id), true);
    }

    #[tokio::test]
    async fn first_then_duplicate() {
        let store = MemoryDedupe::with_capacity(10);
        assert_eq!(store.begin(&claim("a")).await.unwrap(), Begin::First);
        assert_eq!(first(&store, "a"), Begin::Duplicate, "in flight, without waiting");
        store.finish(&claim("a"), true).await.unwrap();
        assert_eq!(store.begin(&claim("a")).await.unwrap(), Begin::Duplicate, "handled");
        assert_eq!(store.begin(&claim("b")).await.unwrap(), Begin::First);
    }

    #[tokio::test]
    async fn a_delivery_in_flight_waits_for_the_outcome() {
        let store = Arc::new(MemoryDedupe::with_capacity(10));
        for (outcome, expected) in [(true, Begin::Duplicate), (false, Begin::First)] {
            let id = format!("evt-{outcome}");
            assert_eq!(store.begin(&claim(&id)).await.unwrap(), Begin::First);
            let waiting = tokio::spawn({
                let (store, id) = (Arc::clone(&store), id.clone());
                async move { store.begin(&claim(&id)).await.unwrap() }
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!waiting.is_finished(), "waits while the first delivery is handled");
            store.finish(&claim(&id), outcome).await.unwrap();
            let begin = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
            assert_eq!(begin, expected, "handled: {outcome}");
        }
    }

    #[test]
    fn failed_handling_is_forgotten_so_retries_run() {
        let store = MemoryDedupe::with_capacity(10);
        assert_eq!(first(&store, "a"), Begin::First);
        store.finish_now(&claim("a"), false);
        assert!(store.is_empty());
        assert_eq!(store.bytes(), 0);
        assert_eq!(first(&store, "a"), Begin::First);
    }

    #[test]
    fn a_full_store_refuses_rather_than_forgets() {
        let store = MemoryDedupe::with_capacity(2);
        for id in ["a", "b"] {
            assert_eq!(first(&store, id), Begin::First);
            handled(&store, id);
        }
        let error = store.begin_now(&claim("c")).unwrap_err();
        assert!(matches!(error, DedupeError::Full { ids: 2, .. }), "{error:?}");
        // Both ids can still be replayed, so both are still known.
        assert_eq!(first(&store, "a"), Begin::Duplicate);
        assert_eq!(first(&store, "b"), Begin::Duplicate);
    }

    #[test]
    fn ids_past_their_replay_window_are_forgotten_and_make_room() {
        let store = MemoryDedupe::with_capacity(2);
        let expired = Claim { event_id: "old", remember_until: unix_now() - 1 };
        let lasting = claim("recent");
        for claim in [&expired, &lasting] {
            assert_eq!(store.begin_now(claim).unwrap(), Begin::First);
        }
        // Handled after its window closed: nothing needs remembering.
        store.finish_now(&expired, true);
        store.finish_now(&lasting, true);
        assert_eq!(store.len(), 1);
        assert_eq!(first(&store, "new"), Begin::First, "room was made");
        assert_eq!(first(&store, "recent"), Begin::Duplicate);
    }

    #[test]
    fn an_id_is_forgotten_once_its_window_has_passed() {
        let store = MemoryDedupe::with_capacity(10);
        let short = Claim { event_id: "a", remember_until: unix_now() };
        assert_eq!(store.begin_now(&short).unwrap(), Begin::First);
        store.finish_now(&short, true);
        assert_eq!(store.begin_now(&short).unwrap(), Begin::Duplicate, "still within its window");
        let mut state = store.lock();
        state.forget_expired(unix_now() + 1);
        assert!(state.ids.is_empty() && state.expiries.is_empty() && state.bytes == 0);
    }

    #[test]
    fn bytes_are_bounded_whatever_the_id_lengths() {
        let long = "x".repeat(crate::dispatch::MAX_EVENT_ID_LEN);
        let store = MemoryDedupe::with_capacity(1_000_000).max_bytes(10 * cost(&long));
        let mut accepted = 0;
        for n in 0..100 {
            let id = format!("{n:03}{}", &long[3..]);
            match store.begin_now(&claim(&id)) {
                Ok(Begin::First) => {
                    handled(&store, &id);
                    accepted += 1;
                }
                Ok(Begin::Duplicate) => panic!("{id} is new"),
                Err(DedupeError::Full { .. }) => break,
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!(accepted, 10);
        assert!(store.bytes() <= 10 * cost(&long));
    }

    #[test]
    fn in_flight_ids_are_never_evicted() {
        let store = MemoryDedupe::with_capacity(2);
        for id in ["a", "b"] {
            assert_eq!(first(&store, id), Begin::First);
        }
        assert!(matches!(store.begin_now(&claim("c")), Err(DedupeError::Full { .. })));
        for id in ["a", "b"] {
            assert_eq!(first(&store, id), Begin::Duplicate);
        }
        store.finish_now(&claim("a"), false);
        assert_eq!(first(&store, "c"), Begin::First, "a failure frees its place");
    }

    #[test]
    fn abandoned_claim_is_taken_over_after_the_timeout() {
        let store = MemoryDedupe::with_capacity(10).in_flight_timeout(Duration::ZERO);
        assert_eq!(first(&store, "a"), Begin::First);
        assert_eq!(first(&store, "a"), Begin::First, "timed out, so claimable");
        assert_eq!(store.len(), 1);
        assert_eq!(store.bytes(), cost("a"), "taken over, not counted twice");
        handled(&store, "a");
        assert_eq!(first(&store, "a"), Begin::Duplicate, "done ids never time out");
    }

    #[test]
    fn zero_capacity_still_remembers_one() {
        let store = MemoryDedupe::with_capacity(0);
        first(&store, "a");
        handled(&store, "a");
        assert_eq!(first(&store, "a"), Begin::Duplicate);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_deliveries_of_one_id_begin_once() {
        let store = Arc::new(MemoryDedupe::with_capacity(1_000));
        for round in 0..50 {
            let id = format!("evt-{round}");
            let firsts = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..16)
                .map(|_| {
                    let (store, firsts, id) = (Arc::clone(&store), Arc::clone(&firsts), id.clone());
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

    /// The trait is usable through `Arc` and from generic async code.
    async fn run_once<S: DedupeStore>(store: &S, id: &str) -> bool {
        if store.begin(&claim(id)).await.unwrap() == Begin::Duplicate {
            return false;
        }
        store.finish(&claim(id), true).await.unwrap();
        true
    }

    #[tokio::test]
    async fn generic_use_through_arc() {
        let store = Arc::new(MemoryDedupe::with_capacity(4));
        assert!(run_once(&store, "x").await);
        assert!(!run_once(&store, "x").await);
    }
}
