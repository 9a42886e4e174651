//! Errors at the decoding and handler boundaries.

use std::fmt;

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
    /// The event exists but its Wix area is compiled out.
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
    Envelope(#[from] crate::webhook::DomainEventError),
}

/// Field paths in backticks, so that a stray space in a key shows.
fn quoted(fields: &[String]) -> String {
    fields.iter().map(|field| format!("`{field}`")).collect::<Vec<_>>().join(", ")
}

impl DecodeError {
    /// An unknown name, with the closest Velo handler or eventType of `catalogue` as
    /// suggestion.
    pub fn unknown_event(name: &str, catalogue: &'static [crate::EventInfo]) -> Self {
        Self::UnknownEvent { name: name.to_owned(), suggestion: crate::event_info::suggest(catalogue, name) }
    }
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
