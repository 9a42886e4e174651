//! What the generated crate provides to the runtime: its events as a closed set
//! ([`EventSet`]), the route from an event to a handler method ([`Route`]), and what every
//! payload type offers ([`EventPayload`]).

use std::future::Future;

use crate::decode;
use crate::error::{DecodeError, HandlerResult};
use crate::event_info::{self, EventInfo};
use crate::wire;

/// What every generated event payload provides.
pub trait EventPayload: serde::de::DeserializeOwned + serde::Serialize + wire::sdk_keys::SdkKeys {
    /// Velo handler name (`wixCrm_onContactCreated`).
    const VELO_HANDLER: &'static str;
    /// Webhook eventType (`wix.contacts.v4.contact_created`).
    const EVENT_TYPE: &'static str;
    /// The metadata type every event carries (generated from the `common` schema).
    type Metadata;
    /// The event's metadata.
    fn metadata(&self) -> &Self::Metadata;

    /// Decodes the payload from `source` ([`decode::Source::decode`] with this event's
    /// name), boxed. A required method, so that each generated type implements it where
    /// it is defined: serde's code for the type is then compiled in its area's crate,
    /// areas in parallel, and not all at once in the crate that holds the catalogue.
    /// Boxed here, so that the catalogue's decoder, one function with a branch per event,
    /// holds a pointer per branch and not a payload: a debug build gives every branch's
    /// temporaries their own stack slots, and payloads by value made that one frame
    /// larger than a worker thread's stack.
    fn decode(source: decode::Source<'_>) -> Result<Box<Self>, DecodeError>;
}

/// Code that is generic over the payload type, run for a type picked by name (the
/// generated `visit_payload_type`).
pub trait PayloadTypeVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the payload type.
    fn visit<T: EventPayload + 'static>(self) -> Self::Output;
}

/// A closed set of events known at compile time: the generated `Event` enum.
///
/// The runtime decodes, deduplicates and routes through this trait, so it never names a
/// generated type.
pub trait EventSet: Sized + Send + 'static {
    /// Every event of the set that is compiled in, in schema order. (A generated set
    /// refuses the names of the events its features leave out with
    /// [`DecodeError::FeatureDisabled`].)
    const CATALOGUE: &'static [EventInfo];

    /// Decodes the Velo event object of the event whose Velo handler name is given. An
    /// unknown name is refused without a suggestion, so that refusing a request costs no
    /// more than reading its name; [`EventSet::unknown_event`] gives one.
    fn decode<I: decode::Input>(velo_handler: &str, input: I) -> Result<Self, DecodeError>;

    /// The catalogue entry of this event.
    fn info(&self) -> &'static EventInfo;

    /// The event's id (`metadata.id`), the deduplication key.
    fn event_id(&self) -> Option<&str>;

    /// The catalogue entry with this Velo handler name.
    fn by_velo_handler(name: &str) -> Option<&'static EventInfo> {
        event_info::by_velo_handler(Self::CATALOGUE, name)
    }

    /// The catalogue entry with this webhook eventType.
    fn by_event_type(event_type: &str) -> Option<&'static EventInfo> {
        event_info::by_event_type(Self::CATALOGUE, event_type)
    }

    /// The error for a name this set does not know, with a did-you-mean.
    fn unknown_event(name: &str) -> DecodeError {
        DecodeError::unknown_event(name, Self::CATALOGUE)
    }
}

/// Calls the method of handler `H` that receives this event: implemented by the generated
/// crate for every type implementing its `Handler` trait.
pub trait Route<H: ?Sized>: EventSet {
    /// Hands the event to its handler method.
    fn route(self, handler: &H) -> impl Future<Output = HandlerResult> + Send;
}
