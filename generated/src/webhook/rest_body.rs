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

use super::layers::WebhookDelivery;

/// The payload of a delivery decoded from its REST text, or `None` when the body needs
/// the reference conversion (or does not decode).
pub(crate) fn decode<T: DeserializeOwned>(delivery: &WebhookDelivery) -> Option<T> {
    let Body { members, event, ambiguous } = serde_json::from_str(delivery.body.get()).ok()?;
    let (kind, Members(event)) = event.filter(|_| !ambiguous)?;

    // `metadata`: the wrapper fields the body does not have, then the body's own fields
    // (the SDK spreads `{...wrapper, ...body}`, so the body wins).
    let absent = |name: &str| !members.iter().any(|(key, _)| key == name);
    let mut metadata: Vec<(&str, Source)> = Vec::with_capacity(members.len() + 4);
    if let Some(instance_id) = delivery.instance_id.as_deref().filter(|_| absent("instanceId")) {
        metadata.push(("instanceId", Source::Str(instance_id)));
    }
    if absent("eventType") {
        metadata.push(("eventType", Source::Str(&delivery.event_type)));
    }
    if let Some(identity) = delivery.identity.as_ref().filter(|_| absent("identity")) {
        metadata.push(("identity", Source::Json(identity)));
    }
    if let Some(account_info) = delivery.account_info.as_ref().filter(|_| absent("accountInfo")) {
        metadata.push(("accountInfo", Source::Json(account_info)));
    }
    metadata.extend(members.iter().map(|(key, value)| (key.as_ref(), Source::Raw(value))));

    let (body_key, object, as_json) = match kind {
        EventKind::Created => ("entity", "entity", "entityAsJson"),
        EventKind::Updated => ("entity", "currentEntity", "currentEntityAsJson"),
        EventKind::Deleted => ("entity", "deletedEntity", "deletedEntityAsJson"),
        EventKind::Action => ("data", "body", "bodyAsJson"),
    };
    let body = entity(&event, object, as_json)?;
    // Only a deleted event may come without its entity; the others need the reference
    // conversion to report the omission.
    if body.is_none() && !matches!(kind, EventKind::Deleted) {
        return None;
    }
    let modified_fields = match kind {
        EventKind::Updated => member(&event, "modifiedFields")?.filter(|value| !is_null(value)),
        _ => None,
    };

    let mut envelope: Vec<(&str, Source)> = vec![("metadata", Source::Map(&metadata))];
    match &body {
        Some(Part::Raw(raw)) => envelope.push((body_key, Source::Raw(raw))),
        Some(Part::Text(text)) => envelope.push((body_key, Source::Text(text))),
        None => {}
    }
    if let Some(modified) = modified_fields {
        envelope.push(("modifiedFields", Source::Raw(modified)));
    }
    T::deserialize(Source::Map(&envelope)).ok()
}

/// The four mutually exclusive event objects of a domain event.
#[derive(Clone, Copy, PartialEq)]
enum EventKind {
    Created,
    Updated,
    Deleted,
    Action,
}

impl EventKind {
    fn named(key: &str) -> Option<Self> {
        match key {
            "createdEvent" => Some(Self::Created),
            "updatedEvent" => Some(Self::Updated),
            "deletedEvent" => Some(Self::Deleted),
            "actionEvent" => Some(Self::Action),
            _ => None,
        }
    }
}

/// An entity as sent: raw JSON, or the text of a legacy `*AsJson` string.
enum Part<'a> {
    Raw(&'a RawValue),
    Text(String),
}

/// The entity (or action body) of an event object: `object` unless absent or `null`,
/// else the legacy `as_json` string, or that field given as an inline object.
///
/// Outer `None`: a shape for the reference conversion; inner `None`: no entity.
fn entity<'a>(event: &[(Cow<'a, str>, &'a RawValue)], object: &str, as_json: &str) -> Option<Option<Part<'a>>> {
    if let Some(value) = member(event, object)?.filter(|value| !is_null(value)) {
        return Some(Some(Part::Raw(value)));
    }
    let Some(value) = member(event, as_json)?.filter(|value| !is_null(value)) else { return Some(None) };
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
    event: Option<(EventKind, Members<'a>)>,
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
                    let Some(kind) = EventKind::named(&key) else {
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
enum Source<'a> {
    /// An object assembled from named sources (the envelope, its `metadata`).
    Map(&'a [(&'a str, Source<'a>)]),
    /// Raw JSON from the body.
    Raw(&'a RawValue),
    /// JSON text (a legacy `*AsJson` string's contents); nothing may follow the value.
    Text(&'a str),
    /// A string of the webhook's wrapper (`instanceId`, `eventType`).
    Str(&'a str),
    /// A parsed value of the wrapper (`identity`, `accountInfo`).
    Json(&'a Value),
}

/// Passes each `deserialize_*` request to the piece's deserializer. A `Map` is always an
/// object and a `Str` always a string, whatever the hint.
macro_rules! pass_on {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, Error> {
            match self {
                Source::Map(entries) => visitor.visit_map(Entries { entries, next: None }),
                Source::Raw(raw) => raw.$method($($arg,)* visitor),
                Source::Text(text) => {
                    let mut json = serde_json::Deserializer::from_str(text);
                    let value = (&mut json).$method($($arg,)* visitor)?;
                    json.end()?;
                    Ok(value)
                }
                Source::Str(text) => BorrowedStrDeserializer::<Error>::new(text).$method($($arg,)* visitor),
                Source::Json(value) => value.$method($($arg,)* visitor),
            }
        })*
    };
}

impl<'de> Deserializer<'de> for Source<'de> {
    type Error = Error;

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Source::Map(_) | Source::Str(_) => visitor.visit_some(self),
            Source::Raw(raw) => raw.deserialize_option(visitor),
            Source::Text(text) => {
                let mut json = serde_json::Deserializer::from_str(text);
                let value = json.deserialize_option(visitor)?;
                json.end()?;
                Ok(value)
            }
            Source::Json(value) => value.deserialize_option(visitor),
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

/// The members of a `Source::Map`, in order.
struct Entries<'a> {
    entries: &'a [(&'a str, Source<'a>)],
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::RestBody;
    use crate::testing::{fixture_files, webhook_fixture};
    use crate::Event;
    use serde_json::{json, Value};

    fn delivery(event_type: &str, body: &Value) -> WebhookDelivery {
        WebhookDelivery {
            event_type: event_type.to_owned(),
            instance_id: Some("inst-1".to_owned()),
            identity: Some(json!({"identityType": "MEMBER", "memberId": "m-1"})),
            account_info: Some(json!({"accountId": "a-1", "siteId": "s-1"})),
            body: RawValue::from_string(body.to_string()).unwrap(),
        }
    }

    fn handler(delivery: &WebhookDelivery) -> &'static str {
        crate::catalogue::by_event_type(&delivery.event_type).unwrap().velo_handler
    }

    /// The event the fast path alone gives, if it gives one.
    fn fast(delivery: &WebhookDelivery) -> Option<Event> {
        Event::decode(handler(delivery), RestBody(delivery)).ok()
    }

    /// The event of the reference conversion: the whole body as a value, renamed as the SDK does.
    fn reference(delivery: &WebhookDelivery) -> Result<Event, String> {
        let envelope = delivery.clone().into_velo_envelope().map_err(|error| error.to_string())?;
        Event::decode(handler(delivery), envelope).map_err(|error| error.to_string())
    }

    /// Asserts that the fast path, when it decodes, agrees with the reference, and that
    /// `into_event` always does; returns whether the fast path decoded.
    fn agrees(delivery: &WebhookDelivery) -> bool {
        let expected = reference(delivery);
        let fast = fast(delivery);
        if let Some(event) = &fast {
            assert_eq!(Ok(event), expected.as_ref(), "fast path differs for {}", delivery.body);
        }
        let event = delivery.clone().into_event().map_err(|error| error.to_string());
        assert_eq!(event, expected, "into_event differs for {}", delivery.body);
        fast.is_some()
    }

    fn fixtures() -> Vec<(String, Value)> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/webhook");
        let files = fixture_files(dir).unwrap();
        assert!(files.len() > 30, "the webhook fixtures are missing from {dir}");
        files.iter().map(|file| webhook_fixture(file).unwrap()).collect()
    }

    /// A fixture with its legacy `*AsJson` entity (string or object) moved to the current
    /// field as an object, so that mutations can reach inside it.
    fn with_entity_objects(mut body: Value) -> Value {
        let pairs = [
            ("createdEvent", "entity", "entityAsJson"),
            ("updatedEvent", "currentEntity", "currentEntityAsJson"),
            ("deletedEvent", "deletedEntity", "deletedEntityAsJson"),
            ("actionEvent", "body", "bodyAsJson"),
        ];
        for (kind, object, as_json) in pairs {
            let Some(Value::Object(event)) = body.get_mut(kind) else { continue };
            let entity = match event.remove(as_json) {
                Some(Value::String(text)) => serde_json::from_str(&text).unwrap(),
                Some(other) => other,
                None => continue,
            };
            event.insert(object.to_owned(), entity);
        }
        body
    }

    #[test]
    fn every_fixture_takes_the_fast_path_and_agrees() {
        for (event_type, body) in fixtures() {
            assert!(agrees(&delivery(&event_type, &body)), "{event_type}: the fast path did not decode {body}");
        }
    }

    /// The objects of the entity (or action body) of a domain-event body, by JSON pointer.
    fn entity_objects(body: &Value) -> Vec<String> {
        fn walk(value: &Value, pointer: String, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    out.push(pointer.clone());
                    for (key, child) in map {
                        walk(child, format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")), out);
                    }
                }
                Value::Array(items) => {
                    for (index, child) in items.iter().enumerate() {
                        walk(child, format!("{pointer}/{index}"), out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for kind in ["createdEvent", "updatedEvent", "deletedEvent", "actionEvent"] {
            for field in ["entity", "currentEntity", "deletedEntity", "body"] {
                let pointer = format!("/{kind}/{field}");
                if let Some(entity) = body.pointer(&pointer) {
                    walk(entity, pointer, &mut out);
                }
            }
        }
        out
    }

    /// Keys the SDK renames, put everywhere in every fixture's entity: as a new key, beside
    /// their SDK names, and as the new name of every existing key. Both paths must agree on
    /// each variant.
    #[test]
    fn renamed_keys_anywhere_agree() {
        let (mut fast_taken, mut fell_back) = (0, 0);
        for (event_type, body) in fixtures() {
            let body = with_entity_objects(body);
            for pointer in entity_objects(&body) {
                let mut variants = Vec::new();
                let insert = |entries: &[(&str, Value)]| {
                    let mut variant = body.clone();
                    if let Some(Value::Object(object)) = variant.pointer_mut(&pointer) {
                        for (key, value) in entries {
                            object.insert((*key).to_owned(), value.clone());
                        }
                    }
                    variant
                };
                variants.push(insert(&[("id", json!({"createdDate": "x", "list": [{"updatedDate": 1}]}))]));
                variants.push(insert(&[("id", json!("rest")), ("_id", json!("sdk"))]));
                let keys: Vec<String> = match body.pointer(&pointer) {
                    Some(Value::Object(object)) => object.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                for key in keys {
                    for new_name in ["id", "createdDate", "info.updatedDate"] {
                        let mut renamed = body.clone();
                        if let Some(Value::Object(object)) = renamed.pointer_mut(&pointer) {
                            if let Some(value) = object.remove(&key) {
                                object.insert(new_name.into(), value);
                            }
                        }
                        variants.push(renamed);
                    }
                }
                for variant in variants {
                    if agrees(&delivery(&event_type, &variant)) {
                        fast_taken += 1;
                    } else {
                        fell_back += 1;
                    }
                }
            }
        }
        // Both paths were exercised (under `strict`, undeclared names fall back too), so
        // the agreement above means something.
        assert!(fast_taken > 400 && fell_back > 10, "fast {fast_taken}, fell back {fell_back}");
    }

    fn contact_created() -> Value {
        json!({
            "id": "evt-1",
            "entityFqdn": "wix.contacts.v4.contact",
            "slug": "created",
            "entityId": "c-1",
            "eventTime": "2024-01-02T03:04:05.123456Z",
            "createdEvent": {"entity": {
                "id": "c-1",
                "createdDate": "2024-01-02T03:04:05.123Z",
                "info": {"extendedFields": {"items": {"custom.note": {"id": 1}}}},
            }},
        })
    }

    #[test]
    fn free_keys_are_renamed_on_the_fast_path() {
        let delivery = delivery("wix.contacts.v4.contact_created", &contact_created());
        assert!(agrees(&delivery));
        let Ok(Event::WixCrmOnContactCreated(event)) = delivery.into_event() else { panic!("not a contact") };
        assert_eq!(event.entity.id.as_deref(), Some("c-1"));
        let info = event.entity.info.as_ref().unwrap();
        assert_eq!(info.extended_fields.as_ref().unwrap().get("custom.note"), Some(&json!({"_id": 1})));
    }

    #[test]
    fn both_names_of_a_declared_field_are_refused_by_both_paths() {
        let mut body = contact_created();
        body["createdEvent"]["entity"]["_id"] = json!("c-2");
        let delivery = delivery("wix.contacts.v4.contact_created", &body);
        assert!(!agrees(&delivery));
        let error = delivery.into_event().unwrap_err().to_string();
        assert!(error.contains("entity: duplicate field `_id`"), "{error}");
    }

    #[test]
    fn legacy_and_unusual_shapes_agree() {
        let mut string_entity = contact_created();
        let entity = string_entity["createdEvent"]["entity"].take();
        string_entity["createdEvent"] = json!({"entityAsJson": json!({"id": "c-1", "revision": 2}).to_string()});
        let mut object_as_json = contact_created();
        object_as_json["createdEvent"] = json!({"entity": null, "entityAsJson": {"id": "c-1"}});
        let mut spliced = contact_created();
        spliced["createdEvent"] = json!({"entityAsJson": "{\"id\": \"c-1\"}, \"modifiedFields\": {}"});
        let mut body_wins = contact_created();
        body_wins["instanceId"] = json!("from-the-body");
        body_wins["createdEvent"]["entity"] = entity;
        let mut two_kinds = contact_created();
        two_kinds["deletedEvent"] = json!({});
        let mut null_kind = contact_created();
        null_kind["updatedEvent"] = Value::Null;
        let mut no_entity = contact_created();
        no_entity["createdEvent"] = json!({});
        for (case, body, fast) in [
            ("entityAsJson string", string_entity, true),
            ("entityAsJson object", object_as_json, true),
            ("entityAsJson with trailing members", spliced, false),
            ("the body's instanceId", body_wins.clone(), true),
            ("two event objects", two_kinds, false),
            ("a null event object", null_kind, false),
            ("no entity", no_entity, false),
        ] {
            let taken = agrees(&delivery("wix.contacts.v4.contact_created", &body));
            // Those expected to fall back hold a free key or an error; the point is agreement.
            if fast {
                assert!(taken, "{case}: expected the fast path");
            }
        }
        let Ok(event) = delivery("wix.contacts.v4.contact_created", &body_wins).into_event() else { panic!() };
        assert_eq!(event.metadata().instance_id.as_deref(), Some("from-the-body"));
    }
}
