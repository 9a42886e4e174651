//! The dispatcher's fast path for webhooks: the REST body decoded straight into the
//! payload type, without building a `serde_json::Value`.
//!
//! The reference conversion ([`super::domain_event::to_velo_envelope`]) parses the body
//! into a value, moves its parts into the Velo envelope and renames keys as Wix's SDK
//! does; the payload is then decoded from that value. Here the body is only split into
//! raw JSON pieces, and the payload is decoded from a deserializer that presents those
//! pieces as the envelope `{metadata, entity | data, modifiedFields}`: each piece is read
//! once, from its own text. The REST names of keys are left for the generated types to
//! accept or rename (see `wire::sdk_keys`).
//!
//! Anything unusual (a missing or doubled event object, any decoding error) yields
//! nothing, and the caller falls back to the reference conversion, which decides and
//! reports. So this path changes how fast a webhook is decoded, never what it decodes to.

use std::borrow::Cow;
use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Error, Value};

use super::shape::{event_kind, wrapper_metadata, EventKind, WrapperFields, WrapperValue, MODIFIED_FIELDS};
use crate::decode::{sealed, Input, Source};
use crate::error::DecodeError;
use crate::wire::sdk_keys::SdkKeys;

/// A verified webhook's parts, its REST body decoded directly, then the SDK's key renames
/// applied to the keys no schema declares ([`SdkKeys`]). A failure only means that the
/// reference conversion must decide, so it carries no path.
pub(crate) struct RestBody<'a> {
    /// `<entityFqdn>_<slug>`, joining `metadata` as `eventType`.
    pub(crate) event_type: &'a str,
    /// The wrapper's context, joining `metadata`.
    pub(crate) wrapper: &'a WrapperFields,
    /// The domain-event body as sent.
    pub(crate) body: &'a RawValue,
}

impl sealed::Sealed for RestBody<'_> {}

impl Input for RestBody<'_> {
    fn with_source<R>(self, decode: impl FnOnce(Source<'_>) -> R) -> R {
        decode(Source::rest(self))
    }
}

impl RestBody<'_> {
    /// Decodes the payload of the event named `event` (its Velo handler name); any
    /// failure is an empty [`DecodeError::Payload`], the sign to fall back.
    pub(crate) fn decode<T: DeserializeOwned + SdkKeys>(self, event: &'static str) -> Result<T, DecodeError> {
        let fall_back = || DecodeError::Payload { event, path: String::new(), message: String::new() };
        let decoded = decode(&self, |envelope| T::deserialize(envelope).ok());
        let mut payload: T = decoded.ok_or_else(fall_back)?;
        payload.rename_sdk_keys();
        Ok(payload)
    }
}

/// The payload of a delivery decoded from its REST text by `deserialize`, or `None` when
/// the body needs the reference conversion (or does not decode). Keys inside `json` and
/// map fields keep their REST names: renaming them is the caller's next step.
fn decode<T>(delivery: &RestBody, deserialize: impl FnOnce(Piece) -> Option<T>) -> Option<T> {
    let Body { members, event, ambiguous } = serde_json::from_str(delivery.body.get()).ok()?;
    let (kind, Members(event)) = event.filter(|_| !ambiguous)?;

    // `metadata`: the wrapper fields the body does not have, then the body's own fields
    // (the body wins).
    let absent = |name: &str| !members.iter().any(|(key, _)| key == name);
    let mut metadata: Vec<(&str, Piece)> = Vec::with_capacity(members.len() + 4);
    for (name, value) in wrapper_metadata(Some(delivery.event_type), delivery.wrapper) {
        if absent(name) {
            metadata.push((name, Piece::from(value)));
        }
    }
    metadata.extend(members.iter().map(|(key, value)| (key.as_ref(), Piece::Raw(value))));

    let body = entity(&event, kind)?;
    // An event that needs its entity and lacks it goes to the reference conversion,
    // which reports the omission.
    if body.is_none() && kind.entity_required {
        return None;
    }
    let modified_fields = match kind.keeps_modified_fields {
        true => member(&event, MODIFIED_FIELDS)?.filter(|value| !is_null(value)),
        false => None,
    };

    let mut envelope: Vec<(&str, Piece)> = vec![("metadata", Piece::Map(&metadata))];
    match &body {
        Some(Part::Raw(raw)) => envelope.push((kind.envelope_key, Piece::Raw(raw))),
        Some(Part::Text(text)) => envelope.push((kind.envelope_key, Piece::Text(text))),
        None => {}
    }
    if let Some(modified) = modified_fields {
        envelope.push((MODIFIED_FIELDS, Piece::Raw(modified)));
    }
    deserialize(Piece::Map(&envelope))
}

/// An entity as sent: raw JSON, or the text of a legacy `*AsJson` string.
enum Part<'a> {
    Raw(&'a RawValue),
    Text(String),
}

/// The entity (or action body) of an event object: `kind.object` unless absent or `null`,
/// else the legacy `kind.as_json` string, or that field given as an inline object.
///
/// Outer `None`: a shape for the reference conversion; inner `None`: no entity.
fn entity<'a>(event: &[(Cow<'a, str>, &'a RawValue)], kind: &EventKind) -> Option<Option<Part<'a>>> {
    if let Some(value) = member(event, kind.object)?.filter(|value| !is_null(value)) {
        return Some(Some(Part::Raw(value)));
    }
    let Some(value) = member(event, kind.as_json)?.filter(|value| !is_null(value)) else { return Some(None) };
    match value.get().as_bytes().first() {
        Some(b'{') => Some(Some(Part::Raw(value))),
        Some(b'"') => serde_json::from_str(value.get()).ok().map(|text| Some(Part::Text(text))),
        _ => None,
    }
}

/// The value of `name` among an object's members; `None` (fall back) when it is doubled.
fn member<'a>(members: &[(Cow<'a, str>, &'a RawValue)], name: &str) -> Option<Option<&'a RawValue>> {
    let mut found = members.iter().filter(|(key, _)| key == name).map(|(_, value)| *value);
    let first = found.next();
    found.next().is_none().then_some(first)
}

fn is_null(value: &RawValue) -> bool {
    value.get() == "null"
}

/// A domain-event body split in one pass: its plain members, and its one event object
/// (already split into members). `ambiguous` when an event object key is repeated or
/// more than one is set, which the reference conversion must judge.
struct Body<'a> {
    members: Vec<(Cow<'a, str>, &'a RawValue)>,
    event: Option<(&'static EventKind, Members<'a>)>,
    ambiguous: bool,
}

impl<'de> Deserialize<'de> for Body<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = Body<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a domain-event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Body<'de>, A::Error> {
                let mut body = Body { members: Vec::with_capacity(8), event: None, ambiguous: false };
                let mut seen = Vec::new();
                while let Some(Key(key)) = map.next_key()? {
                    let Some(kind) = event_kind(&key) else {
                        body.members.push((key, map.next_value()?));
                        continue;
                    };
                    body.ambiguous |= seen.contains(&kind);
                    seen.push(kind);
                    // `null` counts as absent; anything but an object fails the split.
                    if let Some(members) = map.next_value::<Option<Members>>()? {
                        body.ambiguous |= body.event.is_some();
                        body.event = Some((kind, members));
                    }
                }
                Ok(body)
            }
        }
        deserializer.deserialize_map(BodyVisitor)
    }
}

/// A JSON object's members in order, each value kept as raw text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::with_capacity(4);
                while let Some(Key(key)) = map.next_key()? {
                    members.push((key, map.next_value()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// An object key, borrowed from the text unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Where a value of the presented envelope comes from. A deserializer of its own: each
/// request is passed on to the piece's own deserializer, with its type hint.
#[derive(Clone, Copy)]
enum Piece<'a> {
    /// An object assembled from named sources (the envelope, its `metadata`).
    Map(&'a [(&'a str, Piece<'a>)]),
    /// Raw JSON from the body.
    Raw(&'a RawValue),
    /// JSON text (a legacy `*AsJson` string's contents); nothing may follow the value.
    Text(&'a str),
    /// A string of the webhook's wrapper (`instanceId`, `eventType`).
    Str(&'a str),
    /// A parsed value of the wrapper (`identity`, `accountInfo`).
    Json(&'a Value),
}

impl<'a> From<WrapperValue<'a>> for Piece<'a> {
    fn from(value: WrapperValue<'a>) -> Self {
        match value {
            WrapperValue::Str(text) => Self::Str(text),
            WrapperValue::Json(value) => Self::Json(value),
        }
    }
}

/// Passes each `deserialize_*` request to the piece's deserializer. A `Map` is always an
/// object and a `Str` always a string, whatever the hint.
macro_rules! pass_on {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            match self {
                Piece::Map(entries) => visitor.visit_map(Entries { entries, next: None }),
                Piece::Raw(raw) => raw.$method($($arg,)* visitor),
                Piece::Text(text) => {
                    let mut json = serde_json::Deserializer::from_str(text);
                    let value = (&mut json).$method($($arg,)* visitor)?;
                    json.end()?;
                    Ok(value)
                }
                Piece::Str(text) => BorrowedStrDeserializer::<Error>::new(text).$method($($arg,)* visitor),
                Piece::Json(value) => value.$method($($arg,)* visitor),
            }
        })*
    };
}

impl<'de> Deserializer<'de> for Piece<'de> {
    type Error = Error;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Piece::Map(_) | Piece::Str(_) => visitor.visit_some(self),
            Piece::Raw(raw) => raw.deserialize_option(visitor),
            Piece::Text(text) => {
                let mut json = serde_json::Deserializer::from_str(text);
                let value = json.deserialize_option(visitor)?;
                json.end()?;
                Ok(value)
            }
            Piece::Json(value) => value.deserialize_option(visitor),
        }
    }

    pass_on! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_u8(); deserialize_u16(); deserialize_u32(); deserialize_u64();
        deserialize_f32(); deserialize_f64(); deserialize_char(); deserialize_str(); deserialize_string();
        deserialize_bytes(); deserialize_byte_buf(); deserialize_unit(); deserialize_seq(); deserialize_map();
        deserialize_identifier(); deserialize_ignored_any();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }
}

/// The members of a `Piece::Map`, in order.
struct Entries<'a> {
    entries: &'a [(&'a str, Piece<'a>)],
    next: Option<usize>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let index = self.next.map_or(0, |index| index + 1);
        self.next = Some(index);
        match self.entries.get(index) {
            Some((key, _)) => seed.deserialize(BorrowedStrDeserializer::<Error>::new(key)).map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.next.and_then(|index| self.entries.get(index)) {
            Some((_, source)) => seed.deserialize(*source),
            None => Err(serde::de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next.map_or(0, |index| index + 1))
    }
}
