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
//! # tokio_test_block_on(async {
//! let dispatcher = Dispatcher::new(Crm);
//! let body = br#"{"metadata": {"id": "e1", "entityId": "c1"}, "entity": {"_id": "c1"}}"#;
//! let outcome = dispatcher.velo("wixCrm_onContactCreated", body, None).await?;
//! assert_eq!(outcome, Outcome::Handled);
//! // The same event id again is a duplicate: the handler does not run twice.
//! assert_eq!(dispatcher.velo("wixCrm_onContactCreated", body, None).await?, Outcome::Duplicate);
//! # Ok::<(), wix_backend_events::dispatch::DispatchError>(())
//! # }).unwrap();
//! # fn tokio_test_block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     futures_executor_block_on(future)
//! # }
//! # fn futures_executor_block_on<F: std::future::Future>(future: F) -> F::Output {
//! #     let waker = std::task::Waker::noop();
//! #     let mut context = std::task::Context::from_waker(&waker);
//! #     let mut future = std::pin::pin!(future);
//! #     loop {
//! #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
//! #             return output;
//! #         }
//! #     }
//! # }
//! ```
//!
//! Features: one per Wix area (`crm`, `events`, `members`, all on by default); `strict`
//! rejects fields the schemas do not declare; `testing` signs webhooks with a local key
//! for users' tests; `cli` builds the `wix-events` tool. See `EVENTS.md` for the catalogue.

// Generated files are formatted by prettyplease when written; rustfmt must leave them as they are.
#[rustfmt::skip]
mod gen;
pub use gen::*;

pub mod catalogue;
pub mod decode;
pub mod dedupe;
pub mod dispatch;
pub mod error;
pub mod velo_auth;
pub mod webhook;
pub mod wire;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{DecodeError, HandlerError, HandlerResult};

/// What every generated event payload provides.
pub trait EventPayload: serde::de::DeserializeOwned + serde::Serialize {
    /// Velo handler name (`wixCrm_onContactCreated`).
    const VELO_HANDLER: &'static str;
    /// Webhook eventType (`wix.contacts.v4.contact_created`).
    const EVENT_TYPE: &'static str;
    /// The event's metadata.
    fn metadata(&self) -> &common::EventMetadata;
}

/// Code that is generic over the payload type, run for a type picked by name with
/// [`visit_payload_type`].
///
/// ```
/// use wix_backend_events::{visit_payload_type, EventPayload, PayloadTypeVisitor};
///
/// struct EventTypeOf;
/// impl PayloadTypeVisitor for EventTypeOf {
///     type Output = &'static str;
///     fn visit<T: EventPayload>(self) -> &'static str {
///         T::EVENT_TYPE
///     }
/// }
/// assert_eq!(visit_payload_type("wixCrm_onContactCreated", EventTypeOf), Some("wix.contacts.v4.contact_created"));
/// ```
pub trait PayloadTypeVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the payload type.
    fn visit<T: EventPayload + 'static>(self) -> Self::Output;
}
