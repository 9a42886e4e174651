//! The shape of a webhook's domain event, stated once: which event object carries the
//! entity under which names, where it lands in the Velo envelope, and which wrapper
//! fields join `metadata`. Both conversions read this table: the reference one
//! ([`super::domain_event`]) and the fast path (`rest_body`, behind [`super::WebhookDelivery::direct_event`]).

use serde_json::Value;

/// Fields of the webhook's middle layer (`claims.data`) that the SDK merges into the
/// envelope's `metadata`, beside the eventType.
///
/// They are not part of the domain-event body itself; [`super::layers`] reads them from
/// the decoded JWT claims.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrapperFields {
    /// The app instance the event belongs to (`instanceId`).
    pub instance_id: Option<String>,
    /// Who triggered the event, already parsed from its stringified form (`identity`).
    pub identity: Option<Value>,
    /// Account-level context: `{accountId, parentAccountId, siteId}` (`accountInfo`).
    pub account_info: Option<Value>,
}

/// A wrapper value as it joins `metadata`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WrapperValue<'a> {
    /// A JSON string.
    Str(&'a str),
    /// Any JSON value.
    Json(&'a Value),
}

impl WrapperValue<'_> {
    /// The value as an owned JSON value.
    pub fn to_value(self) -> Value {
        match self {
            Self::Str(text) => Value::String(text.to_owned()),
            Self::Json(value) => value.clone(),
        }
    }
}

/// The wrapper entries of `metadata`, under their JSON names and in the SDK's order;
/// absent ones are skipped. The body's own fields come after them and win on a clash
/// (the SDK spreads `{...wrapper, ...body}`).
pub fn wrapper_metadata<'a>(
    event_type: Option<&'a str>,
    wrapper: &'a WrapperFields,
) -> impl Iterator<Item = (&'static str, WrapperValue<'a>)> {
    [
        ("instanceId", wrapper.instance_id.as_deref().map(WrapperValue::Str)),
        ("eventType", event_type.map(WrapperValue::Str)),
        ("identity", wrapper.identity.as_ref().map(WrapperValue::Json)),
        ("accountInfo", wrapper.account_info.as_ref().map(WrapperValue::Json)),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name, value?)))
}

/// One of the four mutually exclusive event objects of a domain event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKind {
    /// The event object's key in the body (`createdEvent`).
    pub key: &'static str,
    /// Where its entity goes in the Velo envelope (`entity`, or `data` for actions).
    pub envelope_key: &'static str,
    /// The field holding the entity (`entity`, `currentEntity`, ...).
    pub object: &'static str,
    /// The legacy field holding the entity as a JSON string (`entityAsJson`, ...).
    pub as_json: &'static str,
    /// The legacy field's path, for errors (`createdEvent.entityAsJson`).
    pub as_json_path: &'static str,
    /// Whether the event is malformed without its entity (only a deletion may omit it).
    pub entity_required: bool,
    /// Whether the event object's `modifiedFields` are kept (field paths of an update,
    /// passed on as sent).
    pub keeps_modified_fields: bool,
}

/// The four event objects, in the order errors list them.
pub const EVENT_KINDS: [EventKind; 4] = [
    EventKind {
        key: "createdEvent",
        envelope_key: "entity",
        object: "entity",
        as_json: "entityAsJson",
        as_json_path: "createdEvent.entityAsJson",
        entity_required: true,
        keeps_modified_fields: false,
    },
    EventKind {
        key: "updatedEvent",
        envelope_key: "entity",
        object: "currentEntity",
        as_json: "currentEntityAsJson",
        as_json_path: "updatedEvent.currentEntityAsJson",
        entity_required: true,
        keeps_modified_fields: true,
    },
    EventKind {
        key: "deletedEvent",
        envelope_key: "entity",
        object: "deletedEntity",
        as_json: "deletedEntityAsJson",
        as_json_path: "deletedEvent.deletedEntityAsJson",
        entity_required: false,
        keeps_modified_fields: false,
    },
    EventKind {
        key: "actionEvent",
        envelope_key: "data",
        object: "body",
        as_json: "bodyAsJson",
        as_json_path: "actionEvent.bodyAsJson",
        entity_required: true,
        keeps_modified_fields: false,
    },
];

/// The event object with this key.
pub fn event_kind(key: &str) -> Option<&'static EventKind> {
    EVENT_KINDS.iter().find(|kind| kind.key == key)
}

/// The key under which an updated event's changed field paths travel.
pub const MODIFIED_FIELDS: &str = "modifiedFields";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrapper_entries_skip_absent_fields_in_sdk_order() {
        let wrapper = WrapperFields { instance_id: Some("i".into()), identity: None, account_info: Some(json!({})) };
        let names: Vec<_> = wrapper_metadata(Some("t"), &wrapper).map(|(name, _)| name).collect();
        assert_eq!(names, ["instanceId", "eventType", "accountInfo"]);
        assert_eq!(wrapper_metadata(None, &WrapperFields::default()).count(), 0);
    }

    #[test]
    fn every_kind_is_found_by_its_key() {
        for kind in &EVENT_KINDS {
            assert_eq!(event_kind(kind.key), Some(kind));
            assert!(kind.as_json_path.starts_with(kind.key));
        }
        assert_eq!(event_kind("entity"), None);
    }
}
