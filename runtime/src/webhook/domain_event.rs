//! The innermost webhook layer: a REST *domain event* body, and its conversion into
//! the Velo/SDK envelope (`{metadata, entity}`, `{metadata, data}` or `{metadata}`).
//!
//! The conversion does what Wix's own JS SDK does before calling a handler, so that one
//! set of generated types (written in the Velo dialect) decodes both forwarded Velo
//! events and app webhooks.

use serde_json::{Map, Value};

use super::json_type;
use super::shape::{wrapper_metadata, EventKind, WrapperFields, EVENT_KINDS, MODIFIED_FIELDS};
pub use crate::error::DomainEventError;
use crate::wire::sdk_keys::SdkKeys;

/// `<entityFqdn>_<slug>` of a domain-event body: the webhook `eventType` it belongs to.
///
/// `None` when either field is missing or not a string.
pub fn event_type_of(body: &Value) -> Option<String> {
    let fqdn = body.get("entityFqdn")?.as_str()?;
    let slug = body.get("slug")?.as_str()?;
    Some(format!("{fqdn}_{slug}"))
}

/// Turns a REST domain-event body into the envelope a Velo handler receives.
///
/// - `createdEvent.entity` (or legacy `entityAsJson`) → `{metadata, entity}`
/// - `updatedEvent.currentEntity` (or `currentEntityAsJson`) → `{metadata, entity}`, plus
///   `modifiedFields` when present; the deprecated `previousEntity[AsJson]` is dropped
/// - `deletedEvent.deletedEntity` (or `deletedEntityAsJson`) → `{metadata, entity}`, or
///   `{metadata}` when there is none; `movedToTrash` is dropped, as the SDK does
/// - `actionEvent.body` (or `bodyAsJson`) → `{metadata, data}`
///
/// `metadata` holds every other top-level field of the body under its own name, plus
/// `eventType` and the [`WrapperFields`] that are present (`instanceId`, `identity`,
/// `accountInfo`); a body field of the same name wins, as in the SDK. Inside `entity` and
/// `data` the keys `id`, `createdDate`, `updatedDate` become `_id`, `_createdDate`,
/// `_updatedDate` at every depth, unless the object already has the target key.
pub fn to_velo_envelope(
    body: Value,
    event_type: Option<&str>,
    wrapper: &WrapperFields,
) -> Result<Value, DomainEventError> {
    let Value::Object(mut body) = body else {
        return Err(DomainEventError::WrongType { field: "body", expected: "a JSON object", found: json_type(&body) });
    };

    // `null` counts as absent: the SDK tests the objects for truthiness. All four keys
    // leave the body either way, so none of them reaches `metadata`.
    let mut present: Vec<(&'static EventKind, Value)> = EVENT_KINDS
        .iter()
        .filter_map(|kind| body.remove(kind.key).map(|value| (kind, value)))
        .filter(|(_, value)| !value.is_null())
        .collect();
    let (kind, event) = match present.len() {
        0 => return Err(DomainEventError::NoEventKind),
        1 => present.remove(0),
        _ => {
            return Err(DomainEventError::SeveralEventKinds {
                found: present.iter().map(|(kind, _)| kind.key).collect(),
            })
        }
    };
    let Value::Object(mut event) = event else {
        return Err(DomainEventError::WrongType {
            field: kind.key,
            expected: "a JSON object",
            found: json_type(&event),
        });
    };

    let mut envelope = Map::new();
    envelope.insert("metadata".to_owned(), Value::Object(metadata(body, event_type, wrapper)));
    match take_entity(&mut event, kind)? {
        Some(mut entity) => {
            entity.rename_sdk_keys();
            envelope.insert(kind.envelope_key.to_owned(), entity);
        }
        None if kind.entity_required => {
            return Err(DomainEventError::MissingEntity { field: kind.key, object: kind.object, as_json: kind.as_json })
        }
        None => {}
    }
    if kind.keeps_modified_fields {
        // Field paths of the update, not entity keys: kept as sent.
        if let Some(modified) = event.remove(MODIFIED_FIELDS).filter(|v| !v.is_null()) {
            envelope.insert(MODIFIED_FIELDS.to_owned(), modified);
        }
    }
    Ok(Value::Object(envelope))
}

/// Turns the body of a webhook that is not a domain event ([`WebhookBody::Plain`]: the
/// event's data itself) into the envelope its SDK handler receives: `{metadata, data}`,
/// `metadata` being `eventType` and the [`WrapperFields`] that are present, `data` the body
/// with the SDK's renames (`id` → `_id`, ...) at every depth.
///
/// [`WebhookBody::Plain`]: crate::event_info::WebhookBody::Plain
pub fn plain_to_velo_envelope(
    body: Value,
    event_type: Option<&str>,
    wrapper: &WrapperFields,
) -> Result<Value, DomainEventError> {
    let Value::Object(_) = body else {
        return Err(DomainEventError::WrongType { field: "body", expected: "a JSON object", found: json_type(&body) });
    };
    let mut data = body;
    data.rename_sdk_keys();
    let mut envelope = Map::new();
    envelope.insert("metadata".to_owned(), Value::Object(metadata(Map::new(), event_type, wrapper)));
    envelope.insert("data".to_owned(), data);
    Ok(Value::Object(envelope))
}

/// The entity of an event object: the current field wins over the legacy `*AsJson` one,
/// which some documented examples give as an inline object instead of a string.
fn take_entity(event: &mut Map<String, Value>, kind: &EventKind) -> Result<Option<Value>, DomainEventError> {
    if let Some(entity) = event.remove(kind.object).filter(|v| !v.is_null()) {
        return Ok(Some(entity));
    }
    match event.remove(kind.as_json) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| DomainEventError::InvalidJson { field: kind.as_json_path, source }),
        Some(object @ Value::Object(_)) => Ok(Some(object)),
        Some(other) => Err(DomainEventError::WrongType {
            field: kind.as_json_path,
            expected: "a JSON string or object",
            found: json_type(&other),
        }),
    }
}

/// The wrapper fields first, then the body's own fields, so the body wins on a clash.
fn metadata(body: Map<String, Value>, event_type: Option<&str>, wrapper: &WrapperFields) -> Map<String, Value> {
    let mut metadata: Map<String, Value> =
        wrapper_metadata(event_type, wrapper).map(|(name, value)| (name.to_owned(), value.to_value())).collect();
    metadata.extend(body);
    metadata
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EVENT_TYPE: &str = "wix.contacts.v4.contact_created";

    fn wrapper() -> WrapperFields {
        WrapperFields {
            instance_id: Some("inst-1".into()),
            identity: Some(json!({"identityType": "MEMBER", "memberId": "m-1"})),
            account_info: Some(json!({"accountId": "a-1", "siteId": "s-1"})),
        }
    }

    fn base(kind: &str, event: Value) -> Value {
        let mut body = json!({
            "id": "evt-1",
            "entityFqdn": "wix.contacts.v4.contact",
            "slug": "created",
            "entityId": "c-1",
            "eventTime": "2024-01-02T03:04:05.123456Z",
            "triggeredByAnonymizeRequest": false,
        });
        body[kind] = event;
        body
    }

    fn expected_metadata() -> Value {
        json!({
            "instanceId": "inst-1",
            "eventType": "wix.contacts.v4.contact_created",
            "identity": {"identityType": "MEMBER", "memberId": "m-1"},
            "accountInfo": {"accountId": "a-1", "siteId": "s-1"},
            "id": "evt-1",
            "entityFqdn": "wix.contacts.v4.contact",
            "slug": "created",
            "entityId": "c-1",
            "eventTime": "2024-01-02T03:04:05.123456Z",
            "triggeredByAnonymizeRequest": false,
        })
    }

    #[test]
    fn created_entity_is_renamed_and_metadata_keeps_names() {
        let body = base(
            "createdEvent",
            json!({"entity": {"id": "c-1", "createdDate": "d1", "updatedDate": "d2", "revision": 1}}),
        );
        let envelope = to_velo_envelope(body, Some(EVENT_TYPE), &wrapper()).unwrap();
        assert_eq!(
            envelope,
            json!({
                "metadata": expected_metadata(),
                "entity": {"_id": "c-1", "_createdDate": "d1", "_updatedDate": "d2", "revision": 1},
            })
        );
    }

    #[test]
    fn a_plain_body_becomes_the_data_beside_the_wrapper_metadata() {
        let body = json!({"productId": "p-1", "media": {"items": [{"id": "m-1"}]}});
        let event_type = "com.wix.ecommerce.catalog.api.v1.ProductCreated";
        let envelope = plain_to_velo_envelope(body, Some(event_type), &wrapper()).unwrap();
        let mut metadata = json!({
            "instanceId": "inst-1",
            "eventType": event_type,
            "identity": {"identityType": "MEMBER", "memberId": "m-1"},
            "accountInfo": {"accountId": "a-1", "siteId": "s-1"},
        });
        assert_eq!(
            envelope,
            json!({"metadata": metadata, "data": {"productId": "p-1", "media": {"items": [{"_id": "m-1"}]}}})
        );
        let bare = plain_to_velo_envelope(json!({}), None, &WrapperFields::default()).unwrap();
        metadata = json!({});
        assert_eq!(bare, json!({"metadata": metadata, "data": {}}));
        let error = plain_to_velo_envelope(json!([1]), None, &WrapperFields::default()).unwrap_err();
        assert!(error.to_string().contains("a JSON object"), "{error}");
    }

    #[test]
    fn created_legacy_entity_as_json_string() {
        let body =
            base("createdEvent", json!({"entityAsJson": "{\"id\":\"c-1\",\"info\":{\"name\":{\"first\":\"A\"}}}"}));
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(envelope["entity"], json!({"_id": "c-1", "info": {"name": {"first": "A"}}}));
    }

    #[test]
    fn created_legacy_entity_as_json_object() {
        let body = base("createdEvent", json!({"entityAsJson": {"id": "c-1"}}));
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(envelope["entity"], json!({"_id": "c-1"}));
    }

    #[test]
    fn entity_wins_over_entity_as_json() {
        let body = base("createdEvent", json!({"entity": {"id": "new"}, "entityAsJson": "{\"id\":\"old\"}"}));
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(envelope["entity"], json!({"_id": "new"}));
    }

    #[test]
    fn created_without_entity_is_an_error() {
        let error = to_velo_envelope(base("createdEvent", json!({})), None, &WrapperFields::default()).unwrap_err();
        assert!(matches!(error, DomainEventError::MissingEntity { .. }));
        assert_eq!(error.to_string(), "createdEvent: has neither entity nor entityAsJson");
    }

    #[test]
    fn invalid_as_json_names_the_field_and_position() {
        let body = base("createdEvent", json!({"entityAsJson": "{\"id\": \"c-1\", \"x\": }"}));
        let error = to_velo_envelope(body, None, &WrapperFields::default()).unwrap_err();
        assert!(matches!(error, DomainEventError::InvalidJson { field: "createdEvent.entityAsJson", .. }));
        assert_eq!(error.to_string(), "createdEvent.entityAsJson: invalid JSON at line 1 column 20: expected value");
    }

    #[test]
    fn as_json_of_wrong_type_is_an_error() {
        let body = base("actionEvent", json!({"bodyAsJson": 5}));
        let error = to_velo_envelope(body, None, &WrapperFields::default()).unwrap_err();
        assert_eq!(error.to_string(), "actionEvent.bodyAsJson: expected a JSON string or object, got a number");
    }

    #[test]
    fn updated_keeps_modified_fields_and_drops_previous_entity() {
        let body = base(
            "updatedEvent",
            json!({
                "currentEntity": {"id": "c-1", "revision": 2},
                "previousEntity": {"id": "c-1", "revision": 1},
                "modifiedFields": {"info.name.first": "B", "updatedDate": "d"},
            }),
        );
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(
            envelope,
            json!({
                "metadata": {
                    "id": "evt-1",
                    "entityFqdn": "wix.contacts.v4.contact",
                    "slug": "created",
                    "entityId": "c-1",
                    "eventTime": "2024-01-02T03:04:05.123456Z",
                    "triggeredByAnonymizeRequest": false,
                },
                "entity": {"_id": "c-1", "revision": 2},
                "modifiedFields": {"info.name.first": "B", "updatedDate": "d"},
            })
        );
    }

    #[test]
    fn updated_legacy_current_entity_as_json_and_no_modified_fields() {
        let body =
            base("updatedEvent", json!({"currentEntityAsJson": "{\"id\":\"c-1\"}", "previousEntityAsJson": "{}"}));
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(envelope["entity"], json!({"_id": "c-1"}));
        assert!(envelope.get("modifiedFields").is_none());
    }

    #[test]
    fn updated_without_current_entity_is_an_error() {
        let body = base("updatedEvent", json!({"previousEntity": {"id": "c-1"}}));
        let error = to_velo_envelope(body, None, &WrapperFields::default()).unwrap_err();
        assert_eq!(error.to_string(), "updatedEvent: has neither currentEntity nor currentEntityAsJson");
    }

    #[test]
    fn invalid_current_entity_as_json_names_its_field() {
        let body = base("updatedEvent", json!({"currentEntityAsJson": "{"}));
        let error = to_velo_envelope(body, None, &WrapperFields::default()).unwrap_err();
        assert!(error.to_string().starts_with("updatedEvent.currentEntityAsJson: invalid JSON at line 1 column 1: "));
    }

    #[test]
    fn deleted_with_entity() {
        let body = base("deletedEvent", json!({"deletedEntity": {"id": "c-1"}}));
        let envelope = to_velo_envelope(body, Some(EVENT_TYPE), &wrapper()).unwrap();
        assert_eq!(envelope, json!({"metadata": expected_metadata(), "entity": {"_id": "c-1"}}));
    }

    #[test]
    fn deleted_with_legacy_entity_as_json() {
        let body = base("deletedEvent", json!({"deletedEntityAsJson": "{\"id\":\"c-1\"}"}));
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(envelope["entity"], json!({"_id": "c-1"}));
    }

    #[test]
    fn deleted_empty_or_moved_to_trash_is_metadata_only() {
        for event in [json!({}), json!({"movedToTrash": true})] {
            let envelope = to_velo_envelope(base("deletedEvent", event), Some(EVENT_TYPE), &wrapper()).unwrap();
            assert_eq!(envelope, json!({"metadata": expected_metadata()}));
        }
    }

    #[test]
    fn action_body_becomes_data() {
        let body = base("actionEvent", json!({"body": {"contact": {"id": "c-2"}, "sourceContactIds": ["c-3"]}}));
        let envelope = to_velo_envelope(body, Some(EVENT_TYPE), &wrapper()).unwrap();
        assert_eq!(
            envelope,
            json!({
                "metadata": expected_metadata(),
                "data": {"contact": {"_id": "c-2"}, "sourceContactIds": ["c-3"]},
            })
        );
    }

    #[test]
    fn action_legacy_body_as_json_string_and_object() {
        for event in [json!({"bodyAsJson": "{\"id\":\"b\"}"}), json!({"bodyAsJson": {"id": "b"}})] {
            let envelope = to_velo_envelope(base("actionEvent", event), None, &WrapperFields::default()).unwrap();
            assert_eq!(envelope["data"], json!({"_id": "b"}));
        }
    }

    #[test]
    fn action_without_body_is_an_error() {
        let error = to_velo_envelope(base("actionEvent", json!({})), None, &WrapperFields::default()).unwrap_err();
        assert_eq!(error.to_string(), "actionEvent: has neither body nor bodyAsJson");
    }

    #[test]
    fn other_top_level_fields_reach_metadata() {
        let mut body = base("deletedEvent", json!({}));
        body["originatedFrom"] = json!("merge");
        body["entityEventSequence"] = json!("3");
        body["somethingNew"] = json!({"id": "kept"});
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        let metadata = &envelope["metadata"];
        assert_eq!(metadata["originatedFrom"], "merge");
        assert_eq!(metadata["entityEventSequence"], "3");
        // Metadata is not renamed: Velo documents `metadata.id`.
        assert_eq!(metadata["somethingNew"], json!({"id": "kept"}));
        assert_eq!(metadata["id"], "evt-1");
    }

    #[test]
    fn body_fields_win_over_wrapper_fields() {
        let mut body = base("deletedEvent", json!({}));
        body["instanceId"] = json!("from-body");
        let envelope = to_velo_envelope(body, Some(EVENT_TYPE), &wrapper()).unwrap();
        assert_eq!(envelope["metadata"]["instanceId"], "from-body");
    }

    #[test]
    fn renames_at_every_depth_including_arrays() {
        let body = base(
            "createdEvent",
            json!({"entity": {
                "info": {"emails": {"items": [{"id": "e1", "email": "a@b"}, {"id": "e2"}]}},
                "nested": [[{"createdDate": "x"}]],
                "attendanceStatusUpdatedDate": "kept",
            }}),
        );
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(
            envelope["entity"],
            json!({
                "info": {"emails": {"items": [{"_id": "e1", "email": "a@b"}, {"_id": "e2"}]}},
                "nested": [[{"_createdDate": "x"}]],
                "attendanceStatusUpdatedDate": "kept",
            })
        );
    }

    #[test]
    fn existing_target_key_blocks_the_rename() {
        let body = base(
            "createdEvent",
            json!({"entity": {"id": "rest", "_id": "sdk", "inner": {"updatedDate": 1, "_updatedDate": 2}}}),
        );
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(
            envelope["entity"],
            json!({"id": "rest", "_id": "sdk", "inner": {"updatedDate": 1, "_updatedDate": 2}})
        );
    }

    #[test]
    fn dotted_keys_are_renamed_per_segment() {
        let body = base(
            "createdEvent",
            json!({"entity": {"extendedFields": {"custom.id": 1, "contacts.displayByFirstName": "A"}}}),
        );
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert_eq!(envelope["entity"]["extendedFields"], json!({"custom._id": 1, "contacts.displayByFirstName": "A"}));
    }

    #[test]
    fn null_event_objects_count_as_absent() {
        let mut body = base("deletedEvent", json!({"deletedEntity": null}));
        body["createdEvent"] = Value::Null;
        let envelope = to_velo_envelope(body, None, &WrapperFields::default()).unwrap();
        assert!(envelope.get("entity").is_none());
        assert!(envelope["metadata"].get("createdEvent").is_none());
    }

    #[test]
    fn no_event_kind_is_an_error() {
        let body = json!({"id": "evt", "entityFqdn": "x", "slug": "y"});
        let error = to_velo_envelope(body, None, &WrapperFields::default()).unwrap_err();
        assert!(matches!(error, DomainEventError::NoEventKind));
    }

    #[test]
    fn several_event_kinds_is_an_error() {
        let mut body = base("createdEvent", json!({"entity": {}}));
        body["actionEvent"] = json!({"body": {}});
        let error = to_velo_envelope(body, None, &WrapperFields::default()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "ambiguous domain event: the body has createdEvent and actionEvent, but exactly one is allowed"
        );
    }

    #[test]
    fn non_object_body_or_event_is_an_error() {
        let error = to_velo_envelope(json!([1]), None, &WrapperFields::default()).unwrap_err();
        assert_eq!(error.to_string(), "body: expected a JSON object, got an array");
        let error = to_velo_envelope(base("createdEvent", json!("x")), None, &WrapperFields::default()).unwrap_err();
        assert_eq!(error.to_string(), "createdEvent: expected a JSON object, got a string");
    }

    #[test]
    fn event_type_joins_fqdn_and_slug() {
        let body = json!({"entityFqdn": "wix.badges.v3.badge", "slug": "badge_assigned"});
        assert_eq!(event_type_of(&body).as_deref(), Some("wix.badges.v3.badge_badge_assigned"));
        assert_eq!(event_type_of(&json!({"entityFqdn": "x"})), None);
        assert_eq!(event_type_of(&json!({"entityFqdn": "x", "slug": 1})), None);
        assert_eq!(event_type_of(&json!("x")), None);
    }
}
