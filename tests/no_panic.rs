//! Nothing that arrives from outside makes the crate panic: random bytes, random JSON,
//! and documented payloads with a random part replaced by random JSON all come back as
//! `Ok` or as an error, through every entry point.

use proptest::prelude::*;
use serde_json::Value;
use wix_backend_events::decode::Strict;
use wix_backend_events::webhook::domain_event::to_velo_envelope;
use wix_backend_events::webhook::{layers, WebhookKey, WrapperFields};
use wix_backend_events::wire::Timestamp;
use wix_backend_events::{Event, CATALOGUE};
use wix_events_integration::fixtures;

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z0-9_:.+ -]{0,24}".prop_map(Value::String),
        Just(Value::String("2024-01-11T12:47:31.862945419Z".into())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("(id|_id|items|entity|data|metadata|[a-z]{1,8})", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Replaces the value at the `pick`-th node (depth-first) of `target` with `replacement`.
fn replace_node(target: &mut Value, pick: usize, replacement: Value) {
    fn walk(node: &mut Value, counter: &mut usize, pick: usize, replacement: &mut Option<Value>) {
        if *counter == pick {
            if let Some(value) = replacement.take() {
                *node = value;
            }
            return;
        }
        *counter += 1;
        match node {
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, counter, pick, replacement)),
            Value::Object(map) => map.values_mut().for_each(|value| walk(value, counter, pick, replacement)),
            _ => {}
        }
    }
    walk(target, &mut 0, pick, &mut Some(replacement));
}

fn all_fixtures() -> Vec<(String, Value, bool)> {
    let velo = fixtures("velo").into_iter().map(|fixture| (fixture.event.clone(), fixture.json(), true));
    let webhook = fixtures("webhook").into_iter().map(|fixture| (fixture.event.clone(), fixture.json(), false));
    velo.chain(webhook).collect()
}

fn decode_everywhere(name: &str, value: Value, velo: bool) {
    let bytes = serde_json::to_vec(&value).unwrap();
    if velo {
        let _ = Event::decode(name, bytes.as_slice());
        let _ = Event::decode(name, Strict(bytes.as_slice()));
        let _ = Event::decode(name, value);
    } else if let Ok(envelope) = to_velo_envelope(value, None, &WrapperFields::default()) {
        let info = CATALOGUE.iter().find(|info| info.event_type == name).unwrap();
        let _ = Event::decode(info.velo_handler, envelope.clone());
        let _ = Event::decode(info.velo_handler, Strict(envelope));
    }
}

proptest! {
    #[test]
    fn mutated_fixtures_never_panic(index in any::<prop::sample::Index>(), pick in 0usize..200, replacement in json()) {
        let fixtures = all_fixtures();
        let (name, mut value, velo) = fixtures[index.index(fixtures.len())].clone();
        replace_node(&mut value, pick, replacement);
        decode_everywhere(&name, value, velo);
    }

    #[test]
    fn random_json_never_panics(index in any::<prop::sample::Index>(), value in json()) {
        let info = &CATALOGUE[index.index(CATALOGUE.len())];
        decode_everywhere(info.velo_handler, value.clone(), true);
        decode_everywhere(info.event_type, value, false);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256), text in "\\PC{0,64}") {
        let _ = Event::decode("wixCrm_onContactCreated", bytes.as_slice());
        let _ = Event::decode("wixCrm_onContactCreated", text.as_str());
        let _ = text.parse::<Timestamp>();
        let _ = WebhookKey::from_pem(&text);
        let _ = layers::from_claims(&serde_json::Map::from_iter([("data".to_owned(), Value::String(text.clone()))]));
    }

    #[test]
    fn random_tokens_never_panic(parts in prop::collection::vec("[A-Za-z0-9_-]{0,40}", 0..5)) {
        let key = test_key();
        let _ = layers::open(parts.join(".").as_bytes(), key);
    }
}

fn test_key() -> &'static WebhookKey {
    static KEY: std::sync::OnceLock<WebhookKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let signer = wix_backend_events::testing::TestSigner::generate();
        WebhookKey::from_pem(signer.public_key_pem()).unwrap()
    })
}
