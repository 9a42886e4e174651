//! Inputs the fuzz targets (fuzz/README.md) found, each kept here as it was fixed or,
//! where the behaviour was right and the target's property wrong, as it was decided.

use serde_json::Value;
use wix_backend_events::decode::Strict;
use wix_backend_events::webhook::WebhookDelivery;
use wix_backend_events::Event;

/// Found by the `event_decode` fuzz target: a key given twice is refused when decoding
/// text (the payload is ambiguous), while a `serde_json::Value` made from the same text
/// holds only the last occurrence and so decodes. Both are deliberate; this keeps them so.
#[test]
fn a_repeated_key_is_refused_in_text_and_kept_last_in_a_value() {
    let body = r#"{"data": {"memberId": "m-1"},
        "metadata": {"entityId": "first", "entityId": "second"}}"#;
    let name = "wixBadges_onBadgeUnassigned";
    let error = Event::decode(name, body).err().map(|error| error.to_string()).unwrap_or_default();
    assert!(error.contains("duplicate field `entityId`"), "{error}");
    let value: Value = serde_json::from_str(body).unwrap();
    let event = Event::decode(name, value).unwrap();
    assert_eq!(event.metadata().entity_id.as_deref(), Some("second"));
}

/// Found by the `event_decode` fuzz target: a body with a stray `}` after the event object
/// was refused by plain decoding but accepted by `--strict`, whose path-tracking decoder
/// did not check the end of the text.
#[test]
fn strict_decoding_refuses_what_follows_the_value_as_plain_decoding_does() {
    let body = r#"{"metadata": {"id": "4ef5a02f", "entityId": "c416e5a2"}}
  }"#;
    let name = "wixEvents_onPolicyDeleted";
    let plain = Event::decode(name, body).err().map(|error| error.to_string()).unwrap_or_default();
    let strict = Event::decode(name, Strict(body)).err().map(|error| error.to_string()).unwrap_or_default();
    assert!(plain.contains("trailing characters"), "{plain}");
    assert_eq!(strict, plain);
    let strict_bytes = Event::decode(name, Strict(body.as_bytes())).err().map(|error| error.to_string());
    assert_eq!(strict_bytes.as_deref(), Some(plain.as_str()));
}

/// Found by the `webhook_paths` fuzz target: a key repeated inside a part of a webhook
/// body that the schema does not declare. The fast path skips that part unread, as the
/// Velo route does, and the event is handled; the reference path, which parses the body
/// into a `Value`, refuses every repeated key. A repeated declared field is refused on
/// every path (the `"id"` rule of the receiver).
#[test]
fn a_key_repeated_where_nothing_is_declared_is_skipped_by_the_fast_path() {
    let body = |extra: &str| {
        format!(
            r#"{{"id": "e-1", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted",
            "entityId": "c-1", "deletedEvent": {{}}, "eventTime": "2024-05-01T10:00:00.123456Z"{extra}}}"#
        )
    };
    let event_type = "wix.contacts.v4.contact_deleted";
    let undeclared = WebhookDelivery::from_body(event_type, &body(r#", "padding": {"a": 1, "a": 2}"#)).unwrap();
    let reference = undeclared.envelope_event::<Event>().err().map(|error| error.to_string()).unwrap_or_default();
    assert!(reference.contains("duplicate field"), "{reference}");
    if cfg!(feature = "strict") {
        // Built with `strict`, the types refuse undeclared fields: both paths refuse.
        assert!(undeclared.direct_event::<Event>().is_none());
        assert!(undeclared.into_event::<Event>().is_err());
    } else {
        assert!(undeclared.direct_event::<Event>().is_some());
        assert!(undeclared.into_event::<Event>().is_ok());
    }

    let declared = WebhookDelivery::from_body(event_type, &body(r#", "entityId": "c-2""#)).unwrap();
    assert!(declared.direct_event::<Event>().is_none());
    assert!(declared.into_event::<Event>().is_err());
}
