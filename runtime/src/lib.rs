//! The hand-written runtime of `wix-backend-events`.
//!
//! Everything here is independent of the schemas: wire types ([`wire`]), decoding with
//! JSON paths ([`decode`]), the [`dispatch::Dispatcher`], the webhook layers
//! ([`webhook`]), deduplication ([`dedupe`]), Velo forwarding signatures ([`velo_auth`]),
//! key pairs and webhook signing as Wix signs (`signing`), helpers for tests (`testing`) and the `wix-events` tool (`cli`). The generated crate
//! provides the events: it implements [`EventSet`] for its `Event` enum and
//! [`Route`] for every type implementing its `Handler` trait (see [`event_set`]), and re-exports this crate so
//! that users depend on one crate. Editing a schema therefore recompiles the generated
//! crate only.

pub mod decode;
pub mod dedupe;
pub mod dispatch;
pub mod error;
pub mod event_info;
pub mod event_set;
mod tracking;
pub mod velo_auth;
pub mod webhook;
pub mod wire;

#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "signing")]
pub mod signing;
#[cfg(feature = "testing")]
pub mod testing;

/// serde, for the expansion of `wire::wire_enum_serde!` in the generated crate.
#[doc(hidden)]
pub use serde as __serde;

pub use error::{DecodeError, HandlerError, HandlerResult};
pub use event_info::{Envelope, EventInfo, WebhookBody};
pub use event_set::{EventPayload, EventSet, PayloadTypeVisitor, Route};
