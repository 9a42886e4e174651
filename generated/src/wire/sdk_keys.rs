//! The keys Wix's SDK renames, and renaming them.
//!
//! Before a handler sees an entity, Wix's SDK renames `id`, `createdDate` and
//! `updatedDate` to `_id`, `_createdDate` and `_updatedDate` at every depth (segment by
//! segment in dotted keys such as `info.id`), unless the object already has the new key.
//! The generated types are written with the SDK names, and a webhook reaches them two ways:
//!
//! - the reference conversion (`webhook::domain_event`) parses the body into a value and
//!   renames its keys with [`SdkKeys::rename_sdk_keys`] before decoding;
//! - the dispatcher's fast path (`webhook::rest_body`) decodes the REST text directly: each
//!   `_id`-style field also accepts its REST name, and the fields holding keys no schema
//!   declares (`json`, maps) are decoded through [`checked`], which renames those keys the
//!   same way while a REST body is decoded.
//!
//! Both give the same event; an object carrying both `id` and `_id` is refused by either
//! as a duplicate field where a type declares `_id`.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::de::{Deserialize, Deserializer};

thread_local! {
    /// Set while a REST body is decoded directly (see [`decoding_rest_body`]).
    static REST_BODY: Cell<bool> = const { Cell::new(false) };
}

/// The SDK name of a key the SDK renames (`id` → `_id`); `None` for every other key.
fn sdk_name(key: &str) -> Option<&'static str> {
    match key {
        "id" => Some("_id"),
        "createdDate" => Some("_createdDate"),
        "updatedDate" => Some("_updatedDate"),
        _ => None,
    }
}

/// The SDK name of a key, renamed segment by segment when it is dotted (map keys that are
/// field paths). `None` when nothing changes.
fn sdk_key(key: &str) -> Option<String> {
    if !key.contains('.') {
        return sdk_name(key).map(str::to_owned);
    }
    let mut changed = false;
    let segments: Vec<&str> = key
        .split('.')
        .map(|segment| match sdk_name(segment) {
            Some(renamed) => {
                changed = true;
                renamed
            }
            None => segment,
        })
        .collect();
    changed.then(|| segments.join("."))
}

/// The renames of one object, `(from, to)`, decided against its original keys before any
/// key moves: a key whose new name is taken keeps its own, so no value is lost.
fn renames<'a>(keys: impl Iterator<Item = &'a String>, taken: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    keys.filter_map(|key| sdk_key(key).filter(|target| !taken(target)).map(|target| (key.clone(), target))).collect()
}

/// Runs `decode` with [`checked`] fields renaming keys as the SDK does.
///
/// Decoding is synchronous, so a thread-local flag scopes the renaming to this call; it is
/// restored even if `decode` unwinds.
pub(crate) fn decoding_rest_body<R>(decode: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            REST_BODY.set(self.0);
        }
    }
    let _restore = Restore(REST_BODY.replace(true));
    decode()
}

/// `deserialize_with` of entity fields that hold undeclared keys: decodes as usual and,
/// while a REST body is decoded directly, renames those keys as the SDK does.
pub(crate) fn checked<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + SdkKeys,
{
    let mut value = T::deserialize(deserializer)?;
    if REST_BODY.get() {
        value.rename_sdk_keys();
    }
    Ok(value)
}

/// Values that may hold keys no schema declares.
pub(crate) trait SdkKeys {
    /// Renames the undeclared keys in this value as the SDK does. Declared fields accept
    /// both names as they decode, so generated types have nothing to do.
    fn rename_sdk_keys(&mut self);
}

/// `SdkKeys` for types whose keys are all declared.
macro_rules! declared {
    ($($name:ty),* $(,)?) => {
        $(impl crate::wire::sdk_keys::SdkKeys for $name {
            fn rename_sdk_keys(&mut self) {}
        })*
    };
}
pub(crate) use declared;

declared!(String, bool, i64, f64, super::Int64, super::Timestamp, super::Image);

impl SdkKeys for serde_json::Value {
    fn rename_sdk_keys(&mut self) {
        match self {
            Self::Array(items) => items.rename_sdk_keys(),
            Self::Object(map) => {
                for (from, to) in renames(map.keys(), |key| map.contains_key(key)) {
                    if let Some(moved) = map.remove(&from) {
                        map.insert(to, moved);
                    }
                }
                map.values_mut().for_each(Self::rename_sdk_keys);
            }
            _ => {}
        }
    }
}

impl<T: SdkKeys> SdkKeys for BTreeMap<String, T> {
    fn rename_sdk_keys(&mut self) {
        for (from, to) in renames(self.keys(), |key| self.contains_key(key)) {
            if let Some(moved) = self.remove(&from) {
                self.insert(to, moved);
            }
        }
        self.values_mut().for_each(T::rename_sdk_keys);
    }
}

impl<T: SdkKeys> SdkKeys for Vec<T> {
    fn rename_sdk_keys(&mut self) {
        self.iter_mut().for_each(T::rename_sdk_keys);
    }
}

impl<T: SdkKeys> SdkKeys for Option<T> {
    fn rename_sdk_keys(&mut self) {
        if let Some(value) = self {
            value.rename_sdk_keys();
        }
    }
}

impl<T: SdkKeys> SdkKeys for Box<T> {
    fn rename_sdk_keys(&mut self) {
        T::rename_sdk_keys(self);
    }
}

impl<C: SdkKeys> SdkKeys for super::Items<C> {
    fn rename_sdk_keys(&mut self) {
        self.items.rename_sdk_keys();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    struct Holder {
        #[serde(deserialize_with = "checked")]
        free: serde_json::Value,
    }

    fn decode(text: &str) -> Holder {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn keys_are_renamed_only_while_a_rest_body_is_decoded() {
        let text = r#"{"free": {"a": [{"createdDate": 1}]}}"#;
        assert_eq!(decode(text).free, json!({"a": [{"createdDate": 1}]}));
        assert_eq!(decoding_rest_body(|| decode(text)).free, json!({"a": [{"_createdDate": 1}]}));
        assert_eq!(decode(text).free, json!({"a": [{"createdDate": 1}]}), "the flag is restored");
    }

    #[test]
    fn a_taken_name_keeps_both_keys() {
        let mut value = json!({"id": 1, "_id": 2, "updatedDate": 3});
        value.rename_sdk_keys();
        assert_eq!(value, json!({"id": 1, "_id": 2, "_updatedDate": 3}));
    }

    #[test]
    fn dotted_keys_are_renamed_by_segment() {
        assert_eq!(sdk_key("info.id").as_deref(), Some("info._id"));
        assert_eq!(sdk_key("createdDate").as_deref(), Some("_createdDate"));
        assert_eq!(sdk_key("info.identity"), None);
        assert_eq!(sdk_key("_id"), None);
    }

    #[test]
    fn maps_rename_keys_and_look_inside() {
        let mut map: BTreeMap<String, serde_json::Value> =
            [("custom.id".to_owned(), json!({"id": 1})), ("x".to_owned(), json!([{"updatedDate": 0}]))].into();
        map.rename_sdk_keys();
        let expected: BTreeMap<String, serde_json::Value> =
            [("custom._id".to_owned(), json!({"_id": 1})), ("x".to_owned(), json!([{"_updatedDate": 0}]))].into();
        assert_eq!(map, expected);
    }

    #[test]
    fn the_flag_is_restored_after_a_panic() {
        let caught = std::panic::catch_unwind(|| decoding_rest_body(|| panic!("boom")));
        assert!(caught.is_err());
        assert!(!REST_BODY.get());
    }
}
