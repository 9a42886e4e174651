//! Idempotency by event id.
//!
//! Wix may deliver an event more than once (retries after a timeout or an error reply),
//! and its docs tell apps to drop duplicates by the event `id`. A [`DedupeStore`] records
//! which ids have begun or finished, so that each event is handled once:
//!
//! ```
//! use wix_events_runtime::dedupe::{Begin, DedupeStore, MemoryDedupe};
//!
//! # async fn demo(event_id: &str) {
//! let store = MemoryDedupe::with_capacity(10_000);
//! if store.begin(event_id).await == Begin::First {
//!     let handled = true; // run the handler here
//!     store.finish(event_id, handled).await; // `false` lets Wix's retry run it again
//! }
//! # }
//! ```

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// What [`DedupeStore::begin`] found for an event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// Not seen before (or forgotten): the caller runs the handler, then calls `finish`.
    First,
    /// Already handled (or, from a store that cannot wait, being handled right now): the
    /// caller skips it.
    Duplicate,
}

/// A record of event ids, shared by all requests. Implement it over Redis or a database
/// table to deduplicate across processes; [`MemoryDedupe`] serves a single process.
pub trait DedupeStore: Send + Sync {
    /// Claims `event_id`. Must be atomic: of concurrent calls with the same id, at most
    /// one gets [`Begin::First`]. While the id is being handled, a store should wait for
    /// the outcome (as [`MemoryDedupe`] does): if that handling fails, this delivery is
    /// the one to run the handler, so a retry that arrived meanwhile is not lost.
    fn begin(&self, event_id: &str) -> impl Future<Output = Begin> + Send;

    /// Ends a claim. `handled: true` remembers the id, so later deliveries are duplicates;
    /// `false` forgets it, so Wix's next retry runs the handler again.
    fn finish(&self, event_id: &str, handled: bool) -> impl Future<Output = ()> + Send;
}

impl<S: DedupeStore> DedupeStore for std::sync::Arc<S> {
    fn begin(&self, event_id: &str) -> impl Future<Output = Begin> + Send {
        S::begin(self, event_id)
    }

    fn finish(&self, event_id: &str, handled: bool) -> impl Future<Output = ()> + Send {
        S::finish(self, event_id, handled)
    }
}

/// How long an id may stay in flight before a new delivery may claim it again, unless
/// set with [`MemoryDedupe::in_flight_timeout`].
pub const DEFAULT_IN_FLIGHT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// An in-process [`DedupeStore`], bounded and thread-safe.
///
/// A delivery of an id in flight waits until that handling finishes: it is then a
/// duplicate if the handling succeeded, and claims the id if it failed.
///
/// It holds at most `capacity` ids; when full, the ids completed longest ago are
/// forgotten first. Ids in flight are never evicted (that would let a concurrent duplicate
/// through), but one whose `finish` never comes (a request future dropped mid-handler) is
/// given up after the in-flight timeout, so the event is not lost for good.
#[derive(Debug)]
pub struct MemoryDedupe {
    state: Mutex<State>,
    capacity: usize,
    in_flight_timeout: Duration,
}

#[derive(Debug, Default)]
struct State {
    /// Every known id, with where it stands.
    ids: HashMap<String, Entry>,
    /// Completed ids, oldest first, with the generation of their completion so that a
    /// stale queue slot (the id was forgotten and handled again since) is skipped.
    completed: VecDeque<(String, u64)>,
    /// Counts completions; tags queue slots.
    generation: u64,
}

#[derive(Debug)]
enum Entry {
    /// Being handled; `waiters` are deliveries of the same id waiting for the outcome.
    InFlight {
        since: Instant,
        waiters: Vec<Waker>,
    },
    Done {
        generation: u64,
    },
}

impl MemoryDedupe {
    /// A store remembering up to `capacity` ids (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
            in_flight_timeout: DEFAULT_IN_FLIGHT_TIMEOUT,
        }
    }

    /// Sets how long an unfinished claim blocks redeliveries of its id.
    pub fn in_flight_timeout(mut self, timeout: Duration) -> Self {
        self.in_flight_timeout = timeout;
        self
    }

    /// The number of ids currently remembered (in flight or completed).
    pub fn len(&self) -> usize {
        self.lock().ids.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Claims `event_id` without waiting: [`Begin::Duplicate`] while it is in flight too.
    pub fn begin_now(&self, event_id: &str) -> Begin {
        match self.claim(event_id, None) {
            Some(begin) => begin,
            None => Begin::Duplicate,
        }
    }

    /// Claims `event_id`; `None` while another delivery handles it, after registering
    /// `waiter` (when given) to be woken when that handling finishes.
    fn claim(&self, event_id: &str, waiter: Option<&Waker>) -> Option<Begin> {
        let mut state = self.lock();
        let now = Instant::now();
        let mut waiters = Vec::new();
        match state.ids.get_mut(event_id) {
            Some(Entry::Done { .. }) => return Some(Begin::Duplicate),
            Some(Entry::InFlight { since, waiters: waiting })
                if now.saturating_duration_since(*since) < self.in_flight_timeout =>
            {
                if let Some(waiter) = waiter.filter(|waiter| !waiting.iter().any(|w| w.will_wake(waiter))) {
                    waiting.push(waiter.clone());
                }
                return None;
            }
            // An abandoned claim is taken over; its waiters now wait for this one.
            Some(Entry::InFlight { waiters: waiting, .. }) => waiters = std::mem::take(waiting),
            None => {}
        }
        state.ids.insert(event_id.to_owned(), Entry::InFlight { since: now, waiters });
        self.evict(&mut state);
        Some(Begin::First)
    }

    /// The synchronous core of [`DedupeStore::finish`]; wakes the deliveries waiting for it.
    pub fn finish_now(&self, event_id: &str, handled: bool) {
        let mut state = self.lock();
        let previous = if handled {
            state.generation += 1;
            let generation = state.generation;
            state.completed.push_back((event_id.to_owned(), generation));
            state.ids.insert(event_id.to_owned(), Entry::Done { generation })
        } else {
            state.ids.remove(event_id)
        };
        self.evict(&mut state);
        drop(state);
        if let Some(Entry::InFlight { waiters, .. }) = previous {
            waiters.into_iter().for_each(Waker::wake);
        }
    }

    /// Forgets completed ids, oldest first, until the store fits its capacity.
    fn evict(&self, state: &mut State) {
        while state.ids.len() > self.capacity {
            let Some((id, generation)) = state.completed.pop_front() else {
                // Only ids in flight are left: they stay (see the type's docs).
                break;
            };
            if matches!(state.ids.get(&id), Some(Entry::Done { generation: g }) if *g == generation) {
                state.ids.remove(&id);
            }
        }
        // Slots of forgotten ids could pile up under churn; drop them when they dominate.
        if state.completed.len() > 2 * self.capacity {
            let ids = &state.ids;
            state.completed.retain(
                |(id, generation)| matches!(ids.get(id), Some(Entry::Done { generation: g }) if g == generation),
            );
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing here panics while holding the lock, so a poisoned state is still sound.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// [`MemoryDedupe`]'s claim: ready at once unless the id is in flight, then when that
/// handling finishes.
struct Claim<'s, 'e> {
    store: &'s MemoryDedupe,
    event_id: &'e str,
}

impl Future for Claim<'_, '_> {
    type Output = Begin;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Begin> {
        match self.store.claim(self.event_id, Some(context.waker())) {
            Some(begin) => Poll::Ready(begin),
            None => Poll::Pending,
        }
    }
}

impl DedupeStore for MemoryDedupe {
    fn begin<'s, 'e>(&'s self, event_id: &'e str) -> impl Future<Output = Begin> + Send + use<'s, 'e> {
        Claim { store: self, event_id }
    }

    fn finish(&self, event_id: &str, handled: bool) -> impl Future<Output = ()> + Send {
        self.finish_now(event_id, handled);
        std::future::ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn first_then_duplicate() {
        let store = MemoryDedupe::with_capacity(10);
        assert_eq!(store.begin("a").await, Begin::First);
        assert_eq!(store.begin_now("a"), Begin::Duplicate, "in flight, without waiting");
        store.finish("a", true).await;
        assert_eq!(store.begin("a").await, Begin::Duplicate, "handled");
        assert_eq!(store.begin("b").await, Begin::First);
    }

    #[tokio::test]
    async fn a_delivery_in_flight_waits_for_the_outcome() {
        let store = Arc::new(MemoryDedupe::with_capacity(10));
        for (handled, expected) in [(true, Begin::Duplicate), (false, Begin::First)] {
            let id = format!("evt-{handled}");
            assert_eq!(store.begin(&id).await, Begin::First);
            let waiting = tokio::spawn({
                let (store, id) = (Arc::clone(&store), id.clone());
                async move { store.begin(&id).await }
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!waiting.is_finished(), "waits while the first delivery is handled");
            store.finish(&id, handled).await;
            let begin = tokio::time::timeout(Duration::from_secs(5), waiting).await.unwrap().unwrap();
            assert_eq!(begin, expected, "handled: {handled}");
        }
    }

    #[tokio::test]
    async fn failed_handling_is_forgotten_so_retries_run() {
        let store = MemoryDedupe::with_capacity(10);
        assert_eq!(store.begin("a").await, Begin::First);
        store.finish("a", false).await;
        assert!(store.is_empty());
        assert_eq!(store.begin("a").await, Begin::First);
    }

    #[test]
    fn evicts_oldest_completed_first() {
        let store = MemoryDedupe::with_capacity(3);
        for id in ["a", "b", "c"] {
            assert_eq!(store.begin_now(id), Begin::First);
            store.finish_now(id, true);
        }
        assert_eq!(store.begin_now("d"), Begin::First);
        assert_eq!(store.len(), 3);
        // "a" completed longest ago and is gone; "b" and "c" are still known.
        assert_eq!(store.begin_now("b"), Begin::Duplicate);
        assert_eq!(store.begin_now("c"), Begin::Duplicate);
        assert_eq!(store.begin_now("a"), Begin::First);
    }

    #[test]
    fn in_flight_ids_are_never_evicted() {
        let store = MemoryDedupe::with_capacity(2);
        for id in ["a", "b", "c"] {
            assert_eq!(store.begin_now(id), Begin::First);
        }
        assert_eq!(store.len(), 3, "over capacity rather than losing a claim");
        for id in ["a", "b", "c"] {
            assert_eq!(store.begin_now(id), Begin::Duplicate);
        }
        store.finish_now("a", true);
        store.finish_now("b", true);
        assert_eq!(store.len(), 2, "completed ids shrink it back");
        assert_eq!(store.begin_now("c"), Begin::Duplicate);
    }

    #[test]
    fn a_forgotten_then_rehandled_id_keeps_its_new_place() {
        let store = MemoryDedupe::with_capacity(2);
        for id in ["a", "b"] {
            store.begin_now(id);
            store.finish_now(id, true);
        }
        store.finish_now("a", false); // forgotten; its old queue slot goes stale
        store.begin_now("a");
        store.finish_now("a", true); // completed again: now the newest
        assert_eq!(store.begin_now("c"), Begin::First);
        // The stale slot of "a" must not evict the fresh "a"; "b" is the oldest now.
        assert_eq!(store.begin_now("a"), Begin::Duplicate);
        assert_eq!(store.begin_now("b"), Begin::First);
    }

    #[test]
    fn queue_of_stale_slots_stays_bounded() {
        let store = MemoryDedupe::with_capacity(2);
        for _ in 0..100 {
            store.begin_now("a");
            store.finish_now("a", true);
            store.finish_now("a", false);
        }
        assert!(store.lock().completed.len() <= 4);
    }

    #[test]
    fn abandoned_claim_is_taken_over_after_the_timeout() {
        let store = MemoryDedupe::with_capacity(10).in_flight_timeout(Duration::ZERO);
        assert_eq!(store.begin_now("a"), Begin::First);
        assert_eq!(store.begin_now("a"), Begin::First, "timed out, so claimable");
        store.finish_now("a", true);
        assert_eq!(store.begin_now("a"), Begin::Duplicate, "done ids never time out");
    }

    #[test]
    fn zero_capacity_still_remembers_one() {
        let store = MemoryDedupe::with_capacity(0);
        store.begin_now("a");
        store.finish_now("a", true);
        assert_eq!(store.begin_now("a"), Begin::Duplicate);
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
                        if store.begin(&id).await == Begin::First {
                            firsts.fetch_add(1, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            store.finish(&id, true).await;
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
        if store.begin(id).await == Begin::Duplicate {
            return false;
        }
        store.finish(id, true).await;
        true
    }

    #[tokio::test]
    async fn generic_use_through_arc() {
        let store = Arc::new(MemoryDedupe::with_capacity(4));
        assert!(run_once(&store, "x").await);
        assert!(!run_once(&store, "x").await);
    }
}
