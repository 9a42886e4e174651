//! A check that no JSON object repeats a key, at any depth.
//!
//! `serde_json::Value` keeps the last of a repeated key, while the generated types, which
//! decode forwarded Velo events straight from their text, refuse a repeated field. The
//! webhook reference path parses into a `Value`, so it runs this check first: a body with
//! `"id"` twice is refused (400) on both paths, instead of being handled keyed on the
//! second id.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

/// Parses `text` only to check that no object in it repeats a key.
pub(crate) fn check(text: &str) -> Result<(), serde_json::Error> {
    serde_json::from_str::<UniqueKeys>(text).map(|_| ())
}

/// Any JSON value whose objects have distinct keys.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<UniqueKeys>()?;
            if let Some(key) = seen.replace(key) {
                // Escaped, as the key is the sender's.
                return Err(A::Error::custom(format_args!("duplicate field {key:?}")));
            }
        }
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn a_repeated_key_is_refused_at_any_depth() {
        assert!(check(r#"{"id": "a", "x": [{"id": 1}, {"id": 2}], "y": {"z": null}}"#).is_ok());
        let error = check(r#"{"id": "a", "id": "b"}"#).unwrap_err();
        assert!(error.to_string().contains(r#"duplicate field "id""#), "{error}");
        assert!(check(r#"{"a": [{"k": 1, "k": 2}]}"#).is_err());
    }
}
