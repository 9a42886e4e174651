//! Inputs the fuzz targets (fuzz/README.md) found, each kept here as it was fixed or,
//! where the behaviour was right and the target's property wrong, as it was decided.

use serde_json::Value;
use wix_backend_events::decode::Strict;
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
