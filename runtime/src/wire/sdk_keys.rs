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
//!   `_id`-style field also accepts its REST name, and then, as an explicit second step,
//!   [`SdkKeys::rename_sdk_keys`] renames the keys no schema declares (inside `json` and
//!   map fields). The generator knows which fields hold such keys and implements
//!   [`SdkKeys`] for every generated type to reach exactly those.
//!
//! Both give the same event; an object carrying both `id` and `_id` is refused by either
//! as a duplicate field where a type declares `_id`.

use std::collections::BTreeMap;

/// The keys the SDK renames, `(REST name, SDK name)`. The generator keeps the same table
/// (`codegen::model::SDK_RENAMES`, for the aliases it emits); a test of the workspace
/// (`tests/shared_tables.rs`) holds the two equal.
pub const SDK_RENAMES: [(&str, &str); 3] =
    [("id", "_id"), ("createdDate", "_createdDate"), ("updatedDate", "_updatedDate")];

/// The SDK name of a key the SDK renames (`id` → `_id`); `None` for every other key.
fn sdk_name(key: &str) -> Option<&'static str> {
    SDK_RENAMES.iter().find(|(rest, _)| *rest == key).map(|(_, sdk)| *sdk)
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

/// Values that may hold keys no schema declares, renamed after a REST body is decoded.
///
/// The default does nothing: right for values whose keys are all declared (declared
/// fields accept both names as they decode). Generated structs that reach `json` or map
/// fields override it to walk exactly those fields.
pub trait SdkKeys {
    /// Renames the undeclared keys in this value as the SDK does.
    fn rename_sdk_keys(&mut self) {}
}

impl SdkKeys for String {}
impl SdkKeys for bool {}
impl SdkKeys for i64 {}
impl SdkKeys for f64 {}
impl SdkKeys for super::Int64 {}
impl SdkKeys for super::Timestamp {}
impl SdkKeys for super::Image {}
impl SdkKeys for super::PageUrl {}

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
}
