//! Typed Wix backend events.
//!
//! Every event Wix documents for the covered modules has a payload type
//! ([`crm::contacts::ContactCreated`], ...), a method on the [`Handler`] trait named after
//! its Velo handler (`wixCrm_onContactCreated` -> [`Handler::wix_crm_on_contact_created`]),
//! a variant of [`Event`] and an entry in [`CATALOGUE`]. A [`dispatch::Dispatcher`] takes
//! the raw bytes Wix sends (a Velo event object forwarded from `backend/events.js`, or a
//! signed app webhook) and calls the right method once per event id.
//!
//! ```
//! use wix_backend_events::crm::contacts::ContactCreated;
//! use wix_backend_events::dispatch::{Dispatcher, Outcome};
//! use wix_backend_events::{Handler, HandlerResult};
//!
//! struct Crm;
//!
//! impl Handler for Crm {
//!     async fn wix_crm_on_contact_created(&self, event: ContactCreated) -> HandlerResult {
//!         let name = event.entity.info.as_ref().and_then(|info| info.name.as_ref());
//!         println!("new contact: {:?}", name.and_then(|name| name.first.as_deref()));
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), wix_backend_events::dispatch::DispatchError> {
//! let dispatcher = Dispatcher::new(Crm);
//! let body = br#"{"metadata": {"id": "e1", "entityId": "c1"}, "entity": {"_id": "c1"}}"#;
//! let outcome = dispatcher.velo("wixCrm_onContactCreated", body, None).await?;
//! assert_eq!(outcome, Outcome::Handled);
//! // The same event id again is a duplicate: the handler does not run twice.
//! assert_eq!(dispatcher.velo("wixCrm_onContactCreated", body, None).await?, Outcome::Duplicate);
//! # Ok(())
//! # }
//! ```
//!
//! Features: one per module, named after its path (`ecom-orders` compiles [`ecom::orders`]),
//! and one per Wix area enabling all its modules (`crm`, `ecom`, ..., all on by default);
//! an event whose module is compiled out is refused with [`DecodeError::FeatureDisabled`],
//! which names the feature. `strict`
//! rejects fields the schemas do not declare; `signing` makes key pairs and signs
//! webhooks as Wix does; `testing` adds helpers for users' tests (fixtures, forgeries); `cli` builds the `wix-events` tool. See `EVENTS.md` for the catalogue.
//!
//! This file is the crate's only hand-written source: everything under `gen/` is written
//! by `cargo xtask codegen`, the payload types of each Wix area are in a generated crate
//! of their own (`wix-backend-events-ecom`, ...; re-exported here as [`ecom`], ...), so
//! that cargo builds the areas in parallel, and the runtime (decoding, dispatch,
//! webhooks, ...) is the crate `wix-events-runtime`, re-exported here.

// Generated files are formatted by prettyplease when written; rustfmt must leave them as they are.
#[rustfmt::skip]
mod gen;
pub use gen::*;

#[cfg(feature = "cli")]
pub use wix_events_runtime::cli;
#[cfg(feature = "signing")]
pub use wix_events_runtime::signing;
#[cfg(feature = "testing")]
pub use wix_events_runtime::testing;
pub use wix_events_runtime::{decode, dedupe, error, event_info, event_set, velo_auth, webhook, wire};
pub use wix_events_runtime::{
    DecodeError, Envelope, EventInfo, EventPayload, EventSet, HandlerError, HandlerResult, PayloadTypeVisitor, Route,
    WebhookBody,
};

/// The dispatcher: raw bytes in, the right [`Handler`] method called once, an outcome out.
pub mod dispatch {
    pub use wix_events_runtime::dispatch::*;

    /// Routes deliveries of this crate's events to a [`crate::Handler`], once per event id.
    pub type Dispatcher<H, S = wix_events_runtime::dedupe::MemoryDedupe> =
        wix_events_runtime::dispatch::Dispatcher<crate::Event, H, S>;
}
