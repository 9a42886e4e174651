//! App webhooks: verify the RS256 JWT Wix posts, unwrap its layers, and turn the
//! domain event into the Velo envelope the generated types decode.
//!
//! [`jwt`] checks the signature, [`layers`] parses the stringified JSON inside the
//! claims, and [`domain_event`] turns the REST body into `{metadata, entity | data}`
//! (the reference path), while `rest_body` decodes it straight from its text (the fast
//! path). [`shape`] is the one table of the domain event's shape both paths read.
//!
//! ```no_run
//! # fn demo(request_body: &[u8], pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use wix_events_runtime::webhook::{layers, WebhookKey};
//!
//! let key = WebhookKey::from_pem(pem)?; // once, at start-up
//! let delivery = layers::open(request_body, &key)?;
//! let envelope = delivery.into_velo_envelope()?;
//! # let _ = envelope; Ok(()) }
//! ```

pub mod domain_event;
pub mod jwt;
pub mod layers;
pub(crate) mod rest_body;
pub mod shape;
mod unique_keys;

pub use domain_event::DomainEventError;
pub use jwt::{KeyError, WebhookKey};
pub use layers::{open, WebhookDelivery};
pub use shape::WrapperFields;

/// Why a webhook request was rejected. Every variant means no handler may run.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The body is not a compact JWT (three base64url parts with a JSON header and claims).
    #[error("webhook body is not a valid JWT: {reason}")]
    Malformed {
        /// What is wrong with the token's shape.
        reason: String,
    },
    /// The JWT header names an algorithm other than RS256 (`none` and HS256 included).
    #[error("webhook JWT uses algorithm {found}; Wix signs webhooks with RS256 only")]
    Algorithm {
        /// The header's `alg`, as sent (`<missing>` when absent).
        found: String,
    },
    /// The signature does not match the app's public key: forged, altered, or signed for
    /// another app.
    #[error("webhook JWT signature does not match the app's public key (forged, altered, or meant for another app)")]
    Signature,
    /// The JWT's `exp` lies in the past (beyond the allowed clock skew).
    #[error("webhook JWT has expired (its exp claim is in the past)")]
    Expired,
    /// The JWT is not valid now: `nbf` or `iat` in the future, or an `exp` so far ahead
    /// that the token would never expire.
    #[error("webhook JWT is not valid now: {reason}")]
    NotYetValid {
        /// Which claim is out of range.
        reason: &'static str,
    },
    /// A layer of the payload is missing a field or holds the wrong JSON.
    #[error("webhook {layer}: {reason}")]
    Claims {
        /// Which layer failed: `claims`, `claims.data`, `claims.data.data`,
        /// `claims.data.identity`, ...
        layer: &'static str,
        /// What is wrong there.
        reason: String,
    },
}

/// The name of a JSON value's type, for error messages.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
