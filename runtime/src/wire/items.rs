//! Lists and maps that Wix sends either bare or wrapped in `{"items": ...}`.
//!
//! The REST API and the SDK typings wrap them (`emails: {items: [...]}`) while several
//! Velo examples show the bare form (`emails: [...]`) for the same field. Both decode;
//! each encodes back in the form it came in.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

/// The wrapper key.
const ITEMS: &str = "items";

/// A collection sent either wrapped in `{"items": ...}` or bare; see [`ItemsList`] and
/// [`ItemsMap`].
#[derive(Debug, Clone, PartialEq)]
pub struct Items<C> {
    /// The elements.
    pub items: C,
    /// Whether it came wrapped in `{"items": ...}` (the REST and SDK form, used for new values).
    pub wrapped: bool,
}

/// A list sent as `{"items": [...]}` or as a bare `[...]`.
pub type ItemsList<T> = Items<Vec<T>>;

/// A string-keyed map sent as `{"items": {...}}` or flat (`extendedFields`).
///
/// An object whose first key is `items` is read as the wrapped form; Wix's own keys
/// are namespaced (`custom.x`, `contacts.displayByFirstName`) and never plain `items`.
pub type ItemsMap<T> = Items<BTreeMap<String, T>>;

impl<C: Default> Default for Items<C> {
    fn default() -> Self {
        Self { items: C::default(), wrapped: true }
    }
}

impl<C> From<C> for Items<C> {
    fn from(items: C) -> Self {
        Self { items, wrapped: true }
    }
}

impl<C> std::ops::Deref for Items<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.items
    }
}

impl<C: Serialize> Serialize for Items<C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.wrapped {
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(ITEMS, &self.items)?;
            map.end()
        } else {
            self.items.serialize(serializer)
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Items<Vec<T>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for ListVisitor<T> {
            type Value = ItemsList<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list, or an object with a list under `items`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(ItemsList { items, wrapped: false })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let items = wrapped_value::<A, Vec<T>>(map)?;
                Ok(ItemsList { items: items.unwrap_or_default(), wrapped: true })
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Items<BTreeMap<String, T>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for MapVisitor<T> {
            type Value = ItemsMap<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object, or an object under `items`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let Some(first) = map.next_key::<String>()? else {
                    return Ok(ItemsMap { items: BTreeMap::new(), wrapped: false });
                };
                if first == ITEMS {
                    let items = map.next_value::<Option<BTreeMap<String, T>>>()?.unwrap_or_default();
                    reject_siblings(&mut map)?;
                    return Ok(ItemsMap { items, wrapped: true });
                }
                let mut items = BTreeMap::new();
                items.insert(first, map.next_value()?);
                while let Some((key, value)) = map.next_entry()? {
                    items.insert(key, value);
                }
                Ok(ItemsMap { items, wrapped: false })
            }
        }
        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// Reads `{"items": V}`; keys next to `items` are errors under `strict` and skipped otherwise.
fn wrapped_value<'de, A: MapAccess<'de>, V: DeserializeOwned>(mut map: A) -> Result<Option<V>, A::Error> {
    let mut value = None;
    while let Some(key) = map.next_key::<String>()? {
        if key == ITEMS {
            value = map.next_value::<Option<V>>()?;
        } else {
            unexpected_sibling::<A>(&key)?;
            map.next_value::<de::IgnoredAny>()?;
        }
    }
    Ok(value)
}

fn reject_siblings<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<String>()? {
        unexpected_sibling::<A>(&key)?;
        map.next_value::<de::IgnoredAny>()?;
    }
    Ok(())
}

fn unexpected_sibling<'de, A: MapAccess<'de>>(key: &str) -> Result<(), A::Error> {
    if cfg!(feature = "strict") {
        Err(de::Error::unknown_field(key, &[ITEMS]))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn lists_round_trip_in_both_forms() {
        for sent in [json!({"items": [1, 2]}), json!([1, 2]), json!({"items": []}), json!([])] {
            let list: ItemsList<i64> = serde_json::from_value(sent.clone()).unwrap();
            assert_eq!(
                list.to_vec(),
                sent.get("items")
                    .unwrap_or(&sent)
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_i64().unwrap())
                    .collect::<Vec<_>>()
            );
            assert_eq!(serde_json::to_value(&list).unwrap(), sent);
        }
    }

    #[test]
    fn maps_round_trip_in_both_forms() {
        for sent in [json!({"items": {"custom.a": "x"}}), json!({"custom.a": "x", "contacts.b": 1}), json!({})] {
            let map: ItemsMap<Value> = serde_json::from_value(sent.clone()).unwrap();
            assert_eq!(serde_json::to_value(&map).unwrap(), sent);
        }
        let map: ItemsMap<Value> = serde_json::from_value(json!({"items": {"k": 1}})).unwrap();
        assert_eq!(map.get("k"), Some(&json!(1)));
    }

    #[test]
    fn element_errors_keep_their_path() {
        let error = serde_path_to_error::deserialize::<_, ItemsList<i64>>(json!({"items": [1, "x"]})).unwrap_err();
        assert_eq!(error.path().to_string(), "items[1]");
        let error = serde_path_to_error::deserialize::<_, ItemsList<i64>>(json!([1, "x"])).unwrap_err();
        assert_eq!(error.path().to_string(), "[1]");
    }
}
