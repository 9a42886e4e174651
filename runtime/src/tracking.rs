//! One deserializer layer that, while a payload decodes, records the JSON path of every
//! field its type does not declare and the path where decoding failed.
//!
//! Why its own layer: the strict decoder and the search for an error's path used to stack
//! two wrappers (`serde_ignored` over `serde_path_to_error`). Every payload type's
//! `Deserialize` is compiled again for each wrapper type it meets, and with two of them
//! that was half of the generated crate's code: its debug build took 92 s and 6.4 GB at
//! 111 events, against 47 s and 3.1 GB with one layer (BENCHMARKS.md). This layer does
//! both jobs at once.
//!
//! Paths read as `entity.info.emails[1].tag`: keys joined by `.`, list indices in
//! brackets, `?` for a key that is not a string; the root is the empty path.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

/// What one decode recorded.
#[derive(Default)]
pub(crate) struct Recorder {
    /// Where decoding failed: the innermost place, the first one recorded.
    error_path: Cell<Option<String>>,
    /// Every field the types skipped, in document order.
    undeclared: Cell<Vec<String>>,
}

impl Recorder {
    /// Where decoding failed, `.` for the root (or when nothing was recorded).
    pub(crate) fn error_path(&self) -> String {
        match self.error_path.take() {
            Some(path) if !path.is_empty() => path,
            _ => ".".to_owned(),
        }
    }

    /// The paths of the fields the types skipped.
    pub(crate) fn undeclared(&self) -> Vec<String> {
        self.undeclared.take()
    }

    /// Records `chain` as where decoding failed unless a deeper place already was (errors
    /// pass through every level on their way out, innermost first), and hands the error on.
    fn failed<E>(&self, chain: &Chain<'_>, error: E) -> E {
        let path = match self.error_path.take() {
            Some(deeper) => deeper,
            None => chain.to_string(),
        };
        self.error_path.set(Some(path));
        error
    }

    fn skipped(&self, chain: &Chain<'_>) {
        let mut undeclared = self.undeclared.take();
        undeclared.push(chain.to_string());
        self.undeclared.set(undeclared);
    }
}

/// Where a value sits, as a list of steps back to the root; each step lives on the stack
/// of the call that decodes its value.
#[derive(Clone)]
enum Chain<'a> {
    Root,
    Key { parent: &'a Chain<'a>, key: String },
    OtherKey { parent: &'a Chain<'a> },
    Index { parent: &'a Chain<'a>, index: usize },
    Variant { parent: &'a Chain<'a>, name: Option<String> },
}

static ROOT: Chain<'static> = Chain::Root;

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parent, step) = match self {
            Chain::Root => return Ok(()),
            Chain::Key { parent, key } => (parent, key.as_str()),
            Chain::OtherKey { parent } => (parent, "?"),
            Chain::Variant { parent, name } => (parent, name.as_deref().unwrap_or("?")),
            Chain::Index { parent, index } => return write!(f, "{parent}[{index}]"),
        };
        match parent {
            Chain::Root => f.write_str(step),
            parent => write!(f, "{parent}.{step}"),
        }
    }
}

/// Decodes `T` from `deserializer`, recording into `recorder`.
pub(crate) fn deserialize<'de, T: de::Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
    recorder: &Recorder,
) -> Result<T, D::Error> {
    T::deserialize(Tracked { de: deserializer, chain: &ROOT, rec: recorder })
}

/// The deserializer of the value at `chain`.
struct Tracked<'a, D> {
    de: D,
    chain: &'a Chain<'a>,
    rec: &'a Recorder,
}

/// Forwards `deserialize_*` methods to the inner deserializer with the visitor wrapped,
/// recording where an error came from.
macro_rules! tracked_methods {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let (chain, rec) = (self.chain, self.rec);
            self.de
                .$method($($arg,)* Wrap { visitor, chain, rec })
                .map_err(|error| rec.failed(chain, error))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tracked<'_, D> {
    type Error = D::Error;

    tracked_methods! {
        deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
        deserialize_i64() deserialize_i128() deserialize_u8() deserialize_u16() deserialize_u32()
        deserialize_u64() deserialize_u128() deserialize_f32() deserialize_f64() deserialize_char()
        deserialize_str() deserialize_string() deserialize_bytes() deserialize_byte_buf()
        deserialize_option() deserialize_unit() deserialize_seq() deserialize_map()
        deserialize_identifier()
        deserialize_unit_struct(name: &'static str)
        deserialize_newtype_struct(name: &'static str)
        deserialize_tuple(len: usize)
        deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_struct(name: &'static str, fields: &'static [&'static str])
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
    }

    /// A value the type skips: a field it does not declare, when it sits under a key.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let (chain, rec) = (self.chain, self.rec);
        if !matches!(chain, Chain::Root) {
            rec.skipped(chain);
        }
        self.de.deserialize_ignored_any(visitor).map_err(|error| rec.failed(chain, error))
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// A visitor whose nested values are tracked.
struct Wrap<'a, V> {
    visitor: V,
    chain: &'a Chain<'a>,
    rec: &'a Recorder,
}

/// A wrapping visitor expects what the visitor it wraps expects.
macro_rules! same_expectation {
    () => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.visitor.expecting(f)
        }
    };
}

/// Forwards `visit_none` and `visit_unit`, which carry nothing to track.
macro_rules! valueless_visits {
    () => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.visitor.visit_none()
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.visitor.visit_unit()
        }
    };
}

/// Forwards `visit_*` methods that carry a plain value.
macro_rules! plain_visits {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            self.visitor.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
    type Value = V::Value;

    same_expectation!();

    plain_visits! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128) visit_f32(f32)
        visit_f64(f64) visit_char(char) visit_str(&str) visit_borrowed_str(&'de str) visit_string(String)
        visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8]) visit_byte_buf(Vec<u8>)
    }

    valueless_visits!();

    // `Some` and newtypes add no step to the path.
    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(Tracked { de, chain: self.chain, rec: self.rec })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(Tracked { de, chain: self.chain, rec: self.rec })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(Seq { access, chain: self.chain, rec: self.rec, index: 0 })
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(Map { access, chain: self.chain, rec: self.rec, key: None })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(Enum { access, chain: self.chain, rec: self.rec })
    }
}

/// The seed of a value one step below `chain`'s parent.
struct TrackedSeed<'a, S> {
    seed: S,
    chain: Chain<'a>,
    rec: &'a Recorder,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for TrackedSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        let TrackedSeed { seed, chain, rec } = self;
        seed.deserialize(Tracked { de, chain: &chain, rec })
    }
}

struct Seq<'a, A> {
    access: A,
    chain: &'a Chain<'a>,
    rec: &'a Recorder,
    index: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        let (parent, rec, index) = (self.chain, self.rec, self.index);
        self.index += 1;
        self.access
            .next_element_seed(TrackedSeed { seed, chain: Chain::Index { parent, index }, rec })
            .map_err(|error| rec.failed(parent, error))
    }

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }
}

struct Map<'a, A> {
    access: A,
    chain: &'a Chain<'a>,
    rec: &'a Recorder,
    /// The key just read, for the value that follows it.
    key: Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        let (parent, rec) = (self.chain, self.rec);
        let key = &mut self.key;
        self.access.next_key_seed(CaptureSeed { seed, key: &mut *key }).map_err(|error| {
            // A key the type refuses (`strict`): the error is that key's.
            let at = match key.take() {
                Some(key) => Chain::Key { parent, key },
                None => Chain::OtherKey { parent },
            };
            rec.failed(&at, error)
        })
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let (parent, rec) = (self.chain, self.rec);
        let chain = match self.key.take() {
            Some(key) => Chain::Key { parent, key },
            None => Chain::OtherKey { parent },
        };
        self.access.next_value_seed(TrackedSeed { seed, chain, rec }).map_err(|error| rec.failed(parent, error))
    }

    fn size_hint(&self) -> Option<usize> {
        self.access.size_hint()
    }
}

struct Enum<'a, A> {
    access: A,
    chain: &'a Chain<'a>,
    rec: &'a Recorder,
}

impl<'a, 'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'a, A> {
    type Error = A::Error;
    type Variant = Variant<'a, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
        let (parent, rec) = (self.chain, self.rec);
        let mut name = None;
        match self.access.variant_seed(CaptureSeed { seed, key: &mut name }) {
            Ok((value, access)) => Ok((value, Variant { access, chain: Chain::Variant { parent, name }, rec })),
            Err(error) => Err(rec.failed(parent, error)),
        }
    }
}

struct Variant<'a, A> {
    access: A,
    chain: Chain<'a>,
    rec: &'a Recorder,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        let Variant { access, chain, rec } = self;
        access.unit_variant().map_err(|error| rec.failed(&chain, error))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        let Variant { access, chain, rec } = self;
        let at = chain.clone();
        access.newtype_variant_seed(TrackedSeed { seed, chain, rec }).map_err(|error| rec.failed(&at, error))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let Variant { access, chain, rec } = self;
        access.tuple_variant(len, Wrap { visitor, chain: &chain, rec }).map_err(|error| rec.failed(&chain, error))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let Variant { access, chain, rec } = self;
        access.struct_variant(fields, Wrap { visitor, chain: &chain, rec }).map_err(|error| rec.failed(&chain, error))
    }
}

/// The seed of a map key or enum variant name, which it also keeps as text for the path.
struct CaptureSeed<'k, S> {
    seed: S,
    key: &'k mut Option<String>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for CaptureSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(CaptureKey { de, key: self.key })
    }
}

/// The deserializer of a key: its visitor keeps what it is given.
struct CaptureKey<'k, D> {
    de: D,
    key: &'k mut Option<String>,
}

macro_rules! capture_methods {
    ($($method:ident($($arg:ident: $ty:ty),*))*) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.de.$method($($arg,)* KeyVisitor { visitor, key: self.key })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for CaptureKey<'_, D> {
    type Error = D::Error;

    capture_methods! {
        deserialize_any() deserialize_bool() deserialize_i8() deserialize_i16() deserialize_i32()
        deserialize_i64() deserialize_i128() deserialize_u8() deserialize_u16() deserialize_u32()
        deserialize_u64() deserialize_u128() deserialize_f32() deserialize_f64() deserialize_char()
        deserialize_str() deserialize_string() deserialize_bytes() deserialize_byte_buf()
        deserialize_option() deserialize_unit() deserialize_seq() deserialize_map()
        deserialize_identifier() deserialize_ignored_any()
        deserialize_unit_struct(name: &'static str)
        deserialize_newtype_struct(name: &'static str)
        deserialize_tuple(len: usize)
        deserialize_tuple_struct(name: &'static str, len: usize)
        deserialize_struct(name: &'static str, fields: &'static [&'static str])
        deserialize_enum(name: &'static str, variants: &'static [&'static str])
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

struct KeyVisitor<'k, V> {
    visitor: V,
    key: &'k mut Option<String>,
}

/// Keys given as text or a scalar are kept; the rest are passed on as they are.
macro_rules! captured_visits {
    ($($method:ident($ty:ty))*) => {$(
        fn $method<E: de::Error>(self, value: $ty) -> Result<Self::Value, E> {
            *self.key = Some(value.to_string());
            self.visitor.$method(value)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, V> {
    type Value = V::Value;

    same_expectation!();

    captured_visits! {
        visit_bool(bool) visit_i8(i8) visit_i16(i16) visit_i32(i32) visit_i64(i64) visit_i128(i128)
        visit_u8(u8) visit_u16(u16) visit_u32(u32) visit_u64(u64) visit_u128(u128) visit_char(char)
        visit_str(&str) visit_borrowed_str(&'de str)
    }

    plain_visits! {
        visit_f32(f32) visit_f64(f64) visit_bytes(&[u8]) visit_borrowed_bytes(&'de [u8])
        visit_byte_buf(Vec<u8>)
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Self::Value, E> {
        *self.key = Some(value.clone());
        self.visitor.visit_string(value)
    }

    valueless_visits!();

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_some(de)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        self.visitor.visit_newtype_struct(de)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_seq(access)
    }

    fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_map(access)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
        self.visitor.visit_enum(access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Contact {
        info: Option<Info>,
        #[serde(rename = "_id")]
        id: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Info {
        emails: Option<Vec<Email>>,
        extended: Option<BTreeMap<String, i64>>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Email {
        tag: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Closed {
        a: Option<i64>,
    }

    fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> (Result<T, serde_json::Error>, String, Vec<String>) {
        let recorder = Recorder::default();
        let mut json = serde_json::Deserializer::from_str(text);
        let result = deserialize::<T, _>(&mut json, &recorder);
        (result, recorder.error_path(), recorder.undeclared())
    }

    #[test]
    fn undeclared_fields_are_listed_with_their_paths() {
        let text = r#"{"_id": "c1", "x": 1, "info": {"emails": [{"tag": "MAIN"}, {"tag": "WORK", "y": {"z": 2}}], "w": null}}"#;
        let (result, _, undeclared) = decode::<Contact>(text);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(undeclared, ["x", "info.emails[1].y", "info.w"]);
    }

    #[test]
    fn an_error_names_the_innermost_path() {
        let (result, path, _) = decode::<Contact>(r#"{"info": {"emails": [{"tag": "A"}, {"tag": 5}]}}"#);
        assert!(result.is_err());
        assert_eq!(path, "info.emails[1].tag");
        let (result, path, _) = decode::<Contact>(r#"{"info": {"extended": {"count": "many"}}}"#);
        assert!(result.is_err());
        assert_eq!(path, "info.extended.count");
        let (result, path, _) = decode::<Contact>(r#""text""#);
        assert!(result.is_err());
        assert_eq!(path, ".", "an error at the root");
    }

    #[test]
    fn a_refused_key_is_the_error_path() {
        let (result, path, _) = decode::<Closed>(r#"{"a": 1, "b": 2}"#);
        assert!(result.is_err());
        assert_eq!(path, "b");
    }

    #[test]
    fn a_missing_field_is_the_object_s_error() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Inner,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            needed: String,
        }
        let (result, path, _) = decode::<Outer>(r#"{"inner": {"other": 1}}"#);
        assert!(result.is_err());
        assert_eq!(path, "inner");
    }
}
