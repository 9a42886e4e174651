//! Decoding JSON into payload types, with the JSON path of any error.

use serde::de::DeserializeOwned;

use crate::error::DecodeError;
use crate::webhook::rest_body::RestBody;
use crate::wire::sdk_keys::SdkKeys;

/// Something a payload can be decoded from: bytes, a string, a `serde_json::Value`, or
/// [`Strict`] around one of those.
pub trait Input: sealed::Sealed {
    /// Hands the input to `decode` as a [`Source`], the one input type the generated
    /// decoder is written for.
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R;
}

/// Only this crate's inputs implement [`Input`].
pub(crate) mod sealed {
    /// The seal.
    pub trait Sealed {}
    impl Sealed for &[u8] {}
    impl Sealed for &str {}
    impl Sealed for serde_json::Value {}
    impl<I: Sealed> Sealed for super::Strict<I> {}
}

/// An input of any kind, behind one type.
///
/// Decoding a payload instantiates serde's code for every type it contains, once per
/// deserializer. The generated `Event::decode` takes its [`Input`] as a `Source` and
/// decodes in a function that is not generic, so that code is compiled once, in the
/// crate that defines the events, instead of again in every crate that calls it.
pub struct Source<'a>(Repr<'a>);

enum Repr<'a> {
    Text(&'a str),
    Bytes(&'a [u8]),
    Value(serde_json::Value),
    StrictText(&'a str),
    StrictBytes(&'a [u8]),
    StrictValue(serde_json::Value),
    Rest(RestBody<'a>),
}

impl<'a> Source<'a> {
    /// The webhook fast path's input.
    pub(crate) fn rest(body: RestBody<'a>) -> Self {
        Source(Repr::Rest(body))
    }

    /// Decodes the payload of the event named `event` (its Velo handler name).
    pub fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        // A `Value` is decoded from its text: one deserializer fewer for every payload
        // type (see above), at the cost of a serialization on the paths that start from a
        // value (the reference webhook conversion, users' values).
        match self.0 {
            Repr::Text(text) => text_decode(event, text, Located::Yes),
            Repr::Bytes(bytes) => text_decode(event, utf8(event, bytes)?, Located::Yes),
            Repr::Value(value) => text_decode(event, &value.to_string(), Located::No),
            Repr::StrictText(text) => strict_decode(event, text, Located::Yes),
            Repr::StrictBytes(bytes) => strict_decode(event, utf8(event, bytes)?, Located::Yes),
            Repr::StrictValue(value) => strict_decode(event, &value.to_string(), Located::No),
            Repr::Rest(body) => body.decode(event),
        }
    }
}

impl Input for &[u8] {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source(Repr::Bytes(self)))
    }
}

impl Input for &str {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source(Repr::Text(self)))
    }
}

impl Input for serde_json::Value {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source(Repr::Value(self)))
    }
}

/// Decodes like its input, and fails with [`DecodeError::Undeclared`] naming every
/// field the schema does not declare (what the `strict` feature does, at run time).
#[derive(Debug, Clone)]
pub struct Strict<I>(pub I);

impl Input for Strict<&[u8]> {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source(Repr::StrictBytes(self.0)))
    }
}

impl Input for Strict<&str> {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source(Repr::StrictText(self.0)))
    }
}

impl Input for Strict<serde_json::Value> {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source(Repr::StrictValue(self.0)))
    }
}

fn utf8<'a>(event: &'static str, bytes: &'a [u8]) -> Result<&'a str, DecodeError> {
    std::str::from_utf8(bytes).map_err(|error| DecodeError::Payload {
        event,
        path: ".".to_owned(),
        message: format!("the body is not UTF-8 ({error})"),
    })
}

/// Whether an error's line and column mean something to the caller: not for text made
/// from a `Value`.
#[derive(Clone, Copy)]
enum Located {
    Yes,
    No,
}

fn text_decode<T: DeserializeOwned>(event: &'static str, text: &str, located: Located) -> Result<T, DecodeError> {
    // From `&str`, serde_json skips re-checking UTF-8 string by string (the whole body
    // was checked at once). The plain decoder is the fast path; only a failure pays for
    // finding the path, with the strict decoder (one decoder per payload type fewer than
    // a path-tracking one of its own), whose list of undeclared fields is not wanted here.
    serde_json::from_str(text).or_else(|plain: serde_json::Error| {
        tracked::<T>(event, text, located)?;
        // Both decoders read the same text; should they still disagree, the plain one's
        // error is the answer.
        Err(DecodeError::Payload { event, path: ".".to_owned(), message: message(&plain, located) })
    })
}

fn strict_decode<T: DeserializeOwned>(event: &'static str, text: &str, located: Located) -> Result<T, DecodeError> {
    let (value, undeclared) = tracked(event, text, located)?;
    if undeclared.is_empty() {
        Ok(value)
    } else {
        Err(DecodeError::Undeclared { event, fields: undeclared })
    }
}

/// The value, and the JSON path of every field it does not declare; or the error, at its
/// JSON path. One deserializer layer does both (see `tracking`).
fn tracked<T: DeserializeOwned>(
    event: &'static str,
    text: &str,
    located: Located,
) -> Result<(T, Vec<String>), DecodeError> {
    let recorder = crate::tracking::Recorder::default();
    let mut json = serde_json::Deserializer::from_str(text);
    let value: T = crate::tracking::deserialize(&mut json, &recorder).map_err(|error| DecodeError::Payload {
        event,
        path: recorder.error_path(),
        message: message(&error, located),
    })?;
    // Nothing but whitespace may follow the value, as `serde_json::from_str` requires of
    // the plain decoder: otherwise `--strict` would accept a body plain decoding refuses.
    json.end().map_err(|error| DecodeError::Payload {
        event,
        path: ".".to_owned(),
        message: message(&error, located),
    })?;
    Ok((value, recorder.undeclared()))
}

/// serde_json's message, without ` at line 1 column 88` where that place is not the
/// caller's.
fn message(error: &serde_json::Error, located: Located) -> String {
    let text = error.to_string();
    let place = format!(" at line {} column {}", error.line(), error.column());
    match located {
        Located::No => text.strip_suffix(&place).map(str::to_owned).unwrap_or(text),
        Located::Yes => text,
    }
}
