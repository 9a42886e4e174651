//! Errors at the decoding and handler boundaries.

use std::fmt;

/// The longest event name looked up for a suggestion and echoed in full. Wix's longest
/// Velo handler names and eventTypes are under 80 characters.
pub const MAX_EVENT_NAME_LEN: usize = 128;

/// Why a payload did not become a typed event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// No event has this Velo handler name or webhook eventType.
    #[error("unknown event `{name}`{}", suggestion.map(|close| format!("; did you mean `{close}`?")).unwrap_or_default())]
    UnknownEvent {
        /// The name given.
        name: String,
        /// The closest known name, if any is close.
        suggestion: Option<&'static str>,
    },
    /// The event exists but its module is compiled out (its cargo feature is off).
    #[error("event `{event}` needs the cargo feature `{feature}` of wix-backend-events")]
    FeatureDisabled {
        /// Velo handler name.
        event: &'static str,
        /// The feature to enable.
        feature: &'static str,
    },
    /// The JSON does not match the event's schema.
    #[error("{event}: {path}: {message}")]
    Payload {
        /// Velo handler name.
        event: &'static str,
        /// JSON path of the offending value (`entity.info.emails[1].tag`), `.` for the root.
        path: String,
        /// What is wrong there.
        message: String,
    },
    /// Strict decoding found fields the schema does not declare.
    #[error("{event}: fields the schema does not declare: {}", quoted(fields))]
    Undeclared {
        /// Velo handler name.
        event: &'static str,
        /// JSON paths of the undeclared fields.
        fields: Vec<String>,
    },
    /// A webhook body could not be turned into the Velo envelope.
    #[error(transparent)]
    Envelope(#[from] DomainEventError),
}

/// Field paths in backticks, so that a stray space in a key shows.
fn quoted(fields: &[String]) -> String {
    fields.iter().map(|field| format!("`{field}`")).collect::<Vec<_>>().join(", ")
}

impl DecodeError {
    /// An unknown name, with the closest Velo handler or eventType of `catalogue` as
    /// suggestion.
    ///
    /// The name comes from outside (a URL path, a token), so the work and the echo are
    /// bounded: a name longer than [`MAX_EVENT_NAME_LEN`] gets no suggestion (no event is
    /// named that long) and is kept cut to that length, marked with `…`.
    pub fn unknown_event(name: &str, catalogue: &'static [crate::event_info::EventInfo]) -> Self {
        Self::unknown_event_unsuggested(name).with_suggestion(catalogue)
    }

    /// An unknown name without a suggestion, for answers to requests: refusing a name
    /// then costs no more than reading it, however large the catalogue. The name is
    /// echoed as [`DecodeError::unknown_event`] echoes it.
    pub fn unknown_event_unsuggested(name: &str) -> Self {
        Self::UnknownEvent { name: echoed_name(name), suggestion: None }
    }

    /// This error, with the closest name of `catalogue` added to an unknown name that has
    /// no suggestion yet (what [`DecodeError::unknown_event`] would have given).
    #[must_use]
    pub fn with_suggestion(self, catalogue: &'static [crate::event_info::EventInfo]) -> Self {
        match self {
            Self::UnknownEvent { name, suggestion: None } if name.len() <= MAX_EVENT_NAME_LEN => {
                let suggestion = crate::event_info::suggest(catalogue, &name);
                Self::UnknownEvent { name, suggestion }
            }
            other => other,
        }
    }
}

/// `name` as an error shows it: whole up to [`MAX_EVENT_NAME_LEN`] bytes, else cut there
/// and marked with `…`.
fn echoed_name(name: &str) -> String {
    if name.len() <= MAX_EVENT_NAME_LEN {
        return name.to_owned();
    }
    let mut cut = MAX_EVENT_NAME_LEN;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &name[..cut])
}

/// What a handler method returns.
pub type HandlerResult = Result<(), HandlerError>;

/// Why a handler did not handle an event.
pub enum HandlerError {
    /// The handler does not implement this event (the trait's default).
    NotSubscribed,
    /// The handler failed; Wix should deliver the event again.
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl HandlerError {
    /// A failure described by a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self::Failed(message.to_string().into())
    }
}

/// Any error converts, so handlers can use `?`.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        Self::Failed(Box::new(error))
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSubscribed => f.write_str("NotSubscribed"),
            Self::Failed(error) => f.debug_tuple("Failed").field(error).finish(),
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSubscribed => f.write_str("the handler does not subscribe to this event"),
            Self::Failed(error) => write!(f, "handler failed: {error}"),
        }
    }
}

/// Why a domain-event body could not be turned into a Velo envelope.
#[derive(Debug, thiserror::Error)]
pub enum DomainEventError {
    /// The body (or one of its event objects) has the wrong JSON type.
    #[error("{field}: expected {expected}, got {found}")]
    WrongType {
        /// Path of the offending value (`body` for the whole body).
        field: &'static str,
        /// What the field should hold.
        expected: &'static str,
        /// The JSON type that was found.
        found: &'static str,
    },
    /// None of `createdEvent`, `updatedEvent`, `deletedEvent`, `actionEvent` is present.
    #[error("not a domain event: the body has none of createdEvent, updatedEvent, deletedEvent, actionEvent")]
    NoEventKind,
    /// More than one of the event objects is present, so the event's kind is ambiguous.
    #[error("ambiguous domain event: the body has {}, but exactly one is allowed", .found.join(" and "))]
    SeveralEventKinds {
        /// The event objects found, in a fixed order.
        found: Vec<&'static str>,
    },
    /// The event object lacks the entity (or action body) its kind requires.
    #[error("{field}: has neither {object} nor {as_json}")]
    MissingEntity {
        /// The event object, e.g. `createdEvent`.
        field: &'static str,
        /// The preferred field, e.g. `entity`.
        object: &'static str,
        /// The legacy stringified field, e.g. `entityAsJson`.
        as_json: &'static str,
    },
    /// A legacy `*AsJson` string does not hold valid JSON.
    #[error(
        "{field}: invalid JSON at line {} column {}: {}",
        .source.line(),
        .source.column(),
        reason_without_position(.source)
    )]
    InvalidJson {
        /// Path of the string, e.g. `createdEvent.entityAsJson`.
        field: &'static str,
        /// The parser's error (its position is relative to the string's start).
        source: serde_json::Error,
    },
}

/// serde_json appends ` at line L column C` to its messages; the error message above
/// states the position itself, in front, so it is removed here.
fn reason_without_position(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match full.strip_suffix(&suffix) {
        Some(reason) => reason.to_owned(),
        None => full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_info::{Envelope, EventInfo};

    static CATALOGUE: &[EventInfo] = &[EventInfo {
        velo_handler: "wixCrm_onContactCreated",
        sdk: None,
        sdk_package: None,
        event_type: "wix.contacts.v4.contact_created",
        payload_type: "crm::contacts::ContactCreated",
        module: "crm.contacts",
        feature: "crm",
        envelope: Envelope::Entity,
        velo_documented: true,
        webhook_body: crate::event_info::WebhookBody::DomainEvent,
    }];

    #[test]
    fn a_close_name_gets_a_suggestion() {
        let error = DecodeError::unknown_event("wixCrm_onContactCreatd", CATALOGUE);
        assert_eq!(
            error.to_string(),
            "unknown event `wixCrm_onContactCreatd`; did you mean `wixCrm_onContactCreated`?"
        );
    }

    #[test]
    fn a_long_name_is_cut_and_gets_no_suggestion() {
        let name = format!("wixCrm_onContactCreated{}", "é".repeat(40_000));
        let DecodeError::UnknownEvent { name: shown, suggestion } = DecodeError::unknown_event(&name, CATALOGUE) else {
            panic!("not an unknown event");
        };
        assert_eq!(suggestion, None);
        assert!(shown.len() <= MAX_EVENT_NAME_LEN + '…'.len_utf8(), "{} bytes", shown.len());
        assert!(shown.starts_with("wixCrm_onContactCreated") && shown.ends_with('…'));
    }
}
