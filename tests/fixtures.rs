//! Every documented example payload (tests/fixtures, sources in tests/fixtures/sources)
//! decodes into its typed event, declares every field it carries, and a Velo example
//! re-encodes to the same JSON value.

use serde_json::Value;
use wix_backend_events::decode::Strict;
use wix_backend_events::webhook::WebhookDelivery;
use wix_backend_events::{DecodeError, Event, EventSet};
use wix_events_integration::{fixtures, Fixture};

/// A webhook example decoded as the dispatcher decodes a verified webhook's body, strictly.
fn decode_webhook(fixture: &Fixture) -> Result<Event, DecodeError> {
    assert!(
        Event::by_event_type(&fixture.event).is_some(),
        "{}: `{}` is not an eventType of the catalogue",
        fixture.name(),
        fixture.event
    );
    let text = std::str::from_utf8(&fixture.bytes).unwrap_or_else(|error| panic!("{}: {error}", fixture.name()));
    let delivery =
        WebhookDelivery::from_body(&fixture.event, text).unwrap_or_else(|error| panic!("{}: {error}", fixture.name()));
    delivery.into_strict_event()
}

/// Runs `check` on every fixture and fails once, listing every fixture that failed.
fn check_all(fixtures: &[Fixture], check: impl Fn(&Fixture) -> Result<(), String>) {
    let failures: Vec<String> = fixtures
        .iter()
        .filter_map(|fixture| check(fixture).err().map(|error| format!("{}: {error}", fixture.name())))
        .collect();
    assert!(failures.is_empty(), "{} of {} fixtures failed:\n{}", failures.len(), fixtures.len(), failures.join("\n"));
}

#[test]
fn velo_examples_decode_strictly_and_re_encode_to_the_same_json() {
    let fixtures = fixtures("velo");
    assert!(fixtures.len() >= 15, "only {} Velo fixtures", fixtures.len());
    check_all(&fixtures, |fixture| {
        Event::by_velo_handler(&fixture.event).ok_or("unknown Velo handler")?;
        let event =
            Event::decode(&fixture.event, Strict(fixture.bytes.as_slice())).map_err(|error| error.to_string())?;
        if event.info().velo_handler != fixture.event {
            return Err(format!("decoded as {}", event.info().velo_handler));
        }
        let encoded = serde_json::to_value(&event).map_err(|error| error.to_string())?;
        match encoded == fixture.json() {
            true => Ok(()),
            false => Err(format!("re-encoding changed the payload:\n{encoded}")),
        }
    });
}

#[test]
fn webhook_examples_decode_strictly_and_round_trip_through_the_velo_form() {
    let fixtures = fixtures("webhook");
    assert!(fixtures.len() >= 30, "only {} webhook fixtures", fixtures.len());
    check_all(&fixtures, |fixture| {
        let event = decode_webhook(fixture).map_err(|error| error.to_string())?;
        if event.info().event_type != fixture.event {
            return Err(format!("decoded as {}", event.info().event_type));
        }
        let id = fixture.json().get("id").and_then(Value::as_str).map(str::to_owned);
        if event.metadata().id != id {
            return Err("the event id did not reach the metadata".to_owned());
        }
        // decode -> Velo JSON -> decode: the Velo form carries the same event.
        let velo = serde_json::to_vec(&event).map_err(|error| error.to_string())?;
        let again = Event::decode(event.info().velo_handler, Strict(velo.as_slice()))
            .map_err(|error| format!("its Velo form does not decode: {error}"))?;
        match again == event {
            true => Ok(()),
            false => Err("its Velo form decodes to another event".to_owned()),
        }
    });
}

/// Examples that Wix documents broken (stray spaces in keys and timestamps) are kept,
/// each with the exact error it must produce in `<name>.expected`.
#[test]
fn documented_broken_examples_fail_with_a_clear_error() {
    let broken = fixtures("broken/webhook");
    assert!(!broken.is_empty());
    for fixture in &broken {
        let expected_path = fixture.path.with_extension("expected");
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|error| panic!("{}: {error}", expected_path.display()));
        match decode_webhook(fixture) {
            Ok(event) => panic!("{}: decoded although broken: {event:?}", fixture.name()),
            // The `strict` feature rejects the first undeclared field itself, with serde's wording.
            Err(error) if cfg!(feature = "strict") => {
                let event = expected.split(':').next().unwrap_or_default();
                assert!(error.to_string().starts_with(event), "{}: {error}", fixture.name());
            }
            Err(error) => assert_eq!(error.to_string(), expected.trim_end_matches('\n'), "{}", fixture.name()),
        }
    }
}

/// The seed document's example (Velo `wixContacts_onLabelDeleted`), field by field.
#[test]
fn the_seed_label_deleted_example_decodes() {
    let body = br#"{
      "metadata": {
        "id": "64c54bac-5c9c-42b6-b43b-9143e6814b50",
        "entityId": "custom.customer-group-3",
        "eventTime": "2024-01-11T12:47:31.862945419Z",
        "triggeredByAnonymizeRequest": false
      }
    }"#;
    let event = Event::decode("wixContacts_onLabelDeleted", &body[..]).unwrap();
    let Event::WixContactsOnLabelDeleted(deleted) = &event else { panic!("wrong variant: {event:?}") };
    let metadata = &deleted.metadata;
    assert_eq!(metadata.id.as_deref(), Some("64c54bac-5c9c-42b6-b43b-9143e6814b50"));
    assert_eq!(metadata.entity_id.as_deref(), Some("custom.customer-group-3"));
    assert_eq!(metadata.triggered_by_anonymize_request, Some(false));
    let time = metadata.event_time.as_ref().unwrap();
    assert_eq!(time.fractional_digits(), 9);
    assert_eq!(time.to_string(), "2024-01-11T12:47:31.862945419Z");
    assert_eq!(event.info().event_type, "wix.contacts.v4.label_deleted");
}

#[test]
fn unknown_enum_values_are_kept() {
    let body = br#"{"metadata": {"id": "e"}, "entity": {"labelType": "SOMETHING_NEW", "key": "custom.x"}}"#;
    let event = Event::decode("wixContacts_onLabelCreated", &body[..]).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap()["entity"]["labelType"], "SOMETHING_NEW");
}

#[test]
fn a_bad_payload_names_the_json_path() {
    let body = br#"{"metadata": {"id": "e"}, "entity": {"info": {"emails": {"items": [{"email": "a@b.c"}, {"primary": "yes"}]}}}}"#;
    let error = Event::decode("wixCrm_onContactCreated", &body[..]).unwrap_err();
    assert!(error.to_string().starts_with("wixCrm_onContactCreated: entity.info.emails.items[1].primary: "), "{error}");
}

#[test]
fn unknown_event_names_get_a_suggestion() {
    let error = Event::decode("wixCrm_onContactCreatd", &b"{}"[..]).unwrap_err();
    assert_eq!(error.to_string(), "unknown event `wixCrm_onContactCreatd`; did you mean `wixCrm_onContactCreated`?");
}

#[test]
fn a_one_letter_typo_of_any_event_name_is_suggested_within_the_bounded_search() {
    // The search is bounded (`event_info::SUGGESTION_BUDGET`); the names of the real
    // catalogue must still be found from a letter dropped, doubled or changed, or the case.
    let mut misses = Vec::new();
    for info in Event::CATALOGUE {
        for known in [info.velo_handler, info.event_type] {
            let bytes = known.as_bytes();
            for at in [0, bytes.len() / 2, bytes.len() - 1] {
                let mut dropped = bytes.to_vec();
                dropped.remove(at);
                let mut doubled = bytes.to_vec();
                doubled.insert(at, bytes[at]);
                let mut changed = bytes.to_vec();
                changed[at] = if changed[at] == b'q' { b'z' } else { b'q' };
                for typo in [dropped, doubled, changed, known.to_ascii_uppercase().into_bytes()] {
                    let typo = String::from_utf8(typo).unwrap();
                    let suggestion = match Event::unknown_event(&typo) {
                        DecodeError::UnknownEvent { suggestion, .. } => suggestion,
                        other => panic!("{other}"),
                    };
                    let real = Event::by_velo_handler(&typo).or(Event::by_event_type(&typo));
                    if suggestion != Some(known) && real.is_none() {
                        misses.push(format!("{typo}: {suggestion:?}, not {known}"));
                    }
                }
            }
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[cfg(not(feature = "strict"))]
#[test]
fn default_decoding_tolerates_undeclared_fields_and_strict_names_them() {
    let body = br#"{"metadata": {"id": "e", "brandNew": 1}, "entity": {"key": "k", "alsoNew": {"x": 1}}}"#;
    assert!(Event::decode("wixContacts_onLabelCreated", &body[..]).is_ok());
    let error = Event::decode("wixContacts_onLabelCreated", Strict(&body[..])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "wixContacts_onLabelCreated: fields the schema does not declare: `metadata.brandNew`, `entity.alsoNew`"
    );
}
