//! Decoding JSON into payload types, with the JSON path of any error.

use serde::de::DeserializeOwned;

use crate::error::DecodeError;
use crate::wire::sdk_keys::SdkKeys;

/// Something a payload can be decoded from: bytes, a string, a `serde_json::Value`, or
/// [`Strict`] around one of those.
pub trait Input: sealed::Sealed {
    /// Decodes the payload of the event named `event` (its Velo handler name).
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError>;
}

/// Only this crate's inputs implement [`Input`]; the webhook fast path's input lives in
/// `webhook`, which depends on this module, not the other way round.
pub(crate) mod sealed {
    /// The seal.
    pub trait Sealed {}
    impl Sealed for &[u8] {}
    impl Sealed for &str {}
    impl Sealed for serde_json::Value {}
    impl<I: Sealed> Sealed for super::Strict<I> {}
}

impl Input for &[u8] {
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        let text = std::str::from_utf8(self).map_err(|error| DecodeError::Payload {
            event,
            path: ".".to_owned(),
            message: format!("the body is not UTF-8 ({error})"),
        })?;
        text.decode(event)
    }
}

impl Input for &str {
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        // From `&str`, serde_json skips re-checking UTF-8 string by string (the whole body
        // was checked at once). The plain decoder is the fast path; only a failure pays
        // for path tracking.
        serde_json::from_str(self).or_else(|_| {
            let mut json = serde_json::Deserializer::from_str(self);
            serde_path_to_error::deserialize(&mut json).map_err(|error| payload_error(event, error))
        })
    }
}

impl Input for serde_json::Value {
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        // Borrowing keeps the value for the second, path-tracking pass that only a failure
        // needs.
        T::deserialize(&self)
            .or_else(|_| serde_path_to_error::deserialize(&self).map_err(|error| payload_error(event, error)))
    }
}

/// Decodes like its input, and fails with [`DecodeError::Undeclared`] naming every
/// field the schema does not declare (what the `strict` feature does, at run time).
#[derive(Debug, Clone)]
pub struct Strict<I>(pub I);

impl Input for Strict<&[u8]> {
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        let mut json = serde_json::Deserializer::from_slice(self.0);
        strictly(event, &mut json)
    }
}

impl Input for Strict<&str> {
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        Strict(self.0.as_bytes()).decode(event)
    }
}

impl Input for Strict<serde_json::Value> {
    fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        strictly(event, self.0)
    }
}

pub(crate) fn strictly<'de, D, T>(event: &'static str, deserializer: D) -> Result<T, DecodeError>
where
    D: serde::Deserializer<'de>,
    D::Error: std::fmt::Display,
    T: DeserializeOwned,
{
    let mut undeclared = Vec::new();
    let mut record = |path: serde_ignored::Path| undeclared.push(json_path(&path));
    let tracked = serde_ignored::Deserializer::new(deserializer, &mut record);
    let value: T = serde_path_to_error::deserialize(tracked).map_err(|error| payload_error(event, error))?;
    if undeclared.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::Undeclared { event, fields: undeclared })
    }
}

fn payload_error<E: std::fmt::Display>(event: &'static str, error: serde_path_to_error::Error<E>) -> DecodeError {
    DecodeError::Payload { event, path: error.path().to_string(), message: error.inner().to_string() }
}

/// `entity.info.emails[1].tag`, the notation of serde_path_to_error, for serde_ignored paths.
fn json_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", json_path(parent)),
        Path::Map { parent, key } => {
            let parent = json_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => json_path(parent),
    }
}
