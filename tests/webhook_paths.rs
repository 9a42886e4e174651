//! The webhook's two decoding paths held to one result: the fast path (the REST body
//! decoded straight from its text, `WebhookDelivery::direct_event`) and the reference
//! path (the body turned into the Velo envelope as Wix's SDK does,
//! `WebhookDelivery::envelope_event`), on every fixture and on thousands of variants.

use serde_json::value::RawValue;
use serde_json::{json, Value};
use wix_backend_events::event_info::WebhookBody;
use wix_backend_events::testing::{fixture_files, webhook_fixture};
use wix_backend_events::webhook::shape::{WrapperFields, EVENT_KINDS};
use wix_backend_events::webhook::WebhookDelivery;
use wix_backend_events::{Event, EventSet};

fn delivery(event_type: &str, body: &Value) -> WebhookDelivery {
    WebhookDelivery {
        event_type: event_type.to_owned(),
        wrapper: WrapperFields {
            instance_id: Some("inst-1".to_owned()),
            identity: Some(json!({"identityType": "MEMBER", "memberId": "m-1"})),
            account_info: Some(json!({"accountId": "a-1", "siteId": "s-1"})),
        },
        body: RawValue::from_string(body.to_string()).unwrap(),
        replayable_until: None,
    }
}

/// The event the fast path alone gives, if it gives one.
fn fast(delivery: &WebhookDelivery) -> Option<Event> {
    delivery.direct_event()
}

/// The event of the reference conversion: the whole body as a value, renamed as the SDK does.
fn reference(delivery: &WebhookDelivery) -> Result<Event, String> {
    delivery.envelope_event().map_err(|error| error.to_string())
}

/// Asserts that the fast path, when it decodes, agrees with the reference, and that
/// `into_event` always does; returns whether the fast path decoded.
fn agrees(delivery: &WebhookDelivery) -> bool {
    let expected = reference(delivery);
    let fast = fast(delivery);
    if let Some(event) = &fast {
        assert_eq!(Ok(event), expected.as_ref(), "fast path differs for {}", delivery.body);
    }
    let event = delivery.clone().into_event::<Event>().map_err(|error| error.to_string());
    assert_eq!(event, expected, "into_event differs for {}", delivery.body);
    fast.is_some()
}

fn fixtures() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhook");
    let files = fixture_files(dir).unwrap();
    assert!(files.len() > 30, "the webhook fixtures are missing from {dir}");
    files
        .iter()
        .map(|file| webhook_fixture(file).unwrap())
        .filter(|(event_type, _)| is_domain_event(event_type))
        .collect()
}

/// Whether the event's webhook body is a domain event: only those take the fast path
/// (the others' body is the data itself, see `tests/webhook_context.rs`).
fn is_domain_event(event_type: &str) -> bool {
    Event::by_event_type(event_type).is_some_and(|info| info.webhook_body == WebhookBody::DomainEvent)
}

/// A fixture with its legacy `*AsJson` entity (string or object) moved to the current
/// field as an object, so that mutations can reach inside it.
fn with_entity_objects(mut body: Value) -> Value {
    for kind in &EVENT_KINDS {
        let Some(Value::Object(event)) = body.get_mut(kind.key) else { continue };
        let entity = match event.remove(kind.as_json) {
            Some(Value::String(text)) => serde_json::from_str(&text).unwrap(),
            Some(other) => other,
            None => continue,
        };
        event.insert(kind.object.to_owned(), entity);
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
    for kind in &EVENT_KINDS {
        let pointer = format!("/{}/{}", kind.key, kind.object);
        if let Some(entity) = body.pointer(&pointer) {
            walk(entity, pointer, &mut out);
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
    let Ok(Event::WixCrmOnContactCreated(event)) = delivery.into_event::<Event>() else { panic!("not a contact") };
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
    let error = delivery.into_event::<Event>().unwrap_err().to_string();
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
    let Ok(event) = delivery("wix.contacts.v4.contact_created", &body_wins).into_event::<Event>() else { panic!() };
    assert_eq!(event.metadata().instance_id.as_deref(), Some("from-the-body"));
}
