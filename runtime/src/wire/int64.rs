//! 64-bit integers that Wix sends as JSON strings (`"revision": "5"`).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// An int64 as Wix sends it: usually a string (`"5"`), sometimes a number.
/// Encodes back in the form it came in; new values are strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Int64 {
    value: i64,
    quoted: bool,
}

impl Int64 {
    /// A value in Wix's usual string form.
    pub const fn new(value: i64) -> Self {
        Self { value, quoted: true }
    }

    /// The number.
    pub const fn get(self) -> i64 {
        self.value
    }

    /// Whether it was sent as a string.
    pub const fn is_quoted(self) -> bool {
        self.quoted
    }
}

impl Default for Int64 {
    fn default() -> Self {
        Self::new(0)
    }
}

impl From<i64> for Int64 {
    fn from(value: i64) -> Self {
        Self::new(value)
    }
}

impl From<Int64> for i64 {
    fn from(value: Int64) -> Self {
        value.value
    }
}

impl fmt::Display for Int64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl Serialize for Int64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.quoted {
            serializer.collect_str(&self.value)
        } else {
            serializer.serialize_i64(self.value)
        }
    }
}

impl<'de> Deserialize<'de> for Int64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Int64Visitor;
        impl Visitor<'_> for Int64Visitor {
            type Value = Int64;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a 64-bit integer as a string (\"5\") or a number")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Int64, E> {
                text.parse()
                    .map(|value| Int64 { value, quoted: true })
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Int64, E> {
                Ok(Int64 { value, quoted: false })
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Int64, E> {
                i64::try_from(value)
                    .map(|value| Int64 { value, quoted: false })
                    .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
            }
        }
        deserializer.deserialize_any(Int64Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_form_it_was_sent_in() {
        for sent in [json!("5"), json!(5), json!("-9223372036854775808")] {
            let value: Int64 = serde_json::from_value(sent.clone()).unwrap();
            assert_eq!(serde_json::to_value(value).unwrap(), sent);
        }
        assert_eq!(serde_json::from_value::<Int64>(json!("42")).unwrap().get(), 42);
    }

    #[test]
    fn rejects_non_integers() {
        for sent in [json!("5.5"), json!("five"), json!(true), json!(18446744073709551615u64)] {
            assert!(serde_json::from_value::<Int64>(sent.clone()).is_err(), "{sent}");
        }
    }
}
