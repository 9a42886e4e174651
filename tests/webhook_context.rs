//! The webhook wrapper's context (`instanceId`, `eventType`, `identity`, `accountInfo`)
//! reaches the handler, typed, in the event's metadata, as Wix's SDK merges it.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wix_backend_events::common::{EventMetadata, IdentityType};
use wix_backend_events::dispatch::{Dispatcher, Outcome};
use wix_backend_events::testing::{now, webhook_fixture, TestAlg, TestSigner};
use wix_backend_events::webhook::WebhookKey;
use wix_backend_events::{Event, HandleAll};
use wix_events_integration::fixtures_dir;

#[tokio::test]
async fn wrapper_fields_reach_the_handler_metadata() {
    let (event_type, body) =
        webhook_fixture(fixtures_dir().join("webhook/wix.contacts.v4.label_created.2.json")).unwrap();
    // The claims exactly as Wix nests them: `data` and `identity` stringified, plus the
    // account-level `accountInfo` object the SDK also reads.
    let wrapper = json!({
        "eventType": event_type,
        "instanceId": "6c2e1a9a-1a7b-4a83-9d64-3c1f7f5d2b11",
        "data": body.to_string(),
        "identity": json!({"identityType": "MEMBER", "memberId": "2f1b8e3e-6c44-4f6b-8d7a-0a1b2c3d4e5f"}).to_string(),
        "accountInfo": {"accountId": "a1", "parentAccountId": "p1", "siteId": "s1"},
    });
    let claims = json!({"data": wrapper.to_string(), "iat": now(), "exp": now() + 300});
    let signer = TestSigner::generate();
    let token = signer.sign_claims(&claims, TestAlg::Rs256);

    let seen: Arc<Mutex<Option<EventMetadata>>> = Arc::default();
    let record = seen.clone();
    let handler = HandleAll(move |event: Event| {
        *record.lock().unwrap() = Some(event.metadata().clone());
        std::future::ready(Ok(()))
    });
    let dispatcher = Dispatcher::new(handler).with_webhook_key(WebhookKey::from_pem(signer.public_key_pem()).unwrap());
    assert_eq!(dispatcher.webhook(token.as_bytes()).await.unwrap(), Outcome::Handled);

    let metadata = seen.lock().unwrap().clone().expect("the handler ran");
    assert_eq!(metadata.instance_id.as_deref(), Some("6c2e1a9a-1a7b-4a83-9d64-3c1f7f5d2b11"));
    assert_eq!(metadata.event_type.as_deref(), Some("wix.contacts.v4.label_created"));
    assert_eq!(metadata.id.as_deref(), body.get("id").and_then(Value::as_str));
    let identity = metadata.identity.expect("identity");
    assert_eq!(identity.identity_type, Some(IdentityType::Member));
    assert_eq!(identity.member_id.as_deref(), Some("2f1b8e3e-6c44-4f6b-8d7a-0a1b2c3d4e5f"));
    let account = metadata.account_info.expect("accountInfo");
    assert_eq!((account.account_id.as_deref(), account.site_id.as_deref()), (Some("a1"), Some("s1")));
}

/// A webhook that is no domain event (Stores catalog V1): its body is the data itself, the
/// handler gets `{data, metadata}` with the wrapper's context, and with no event id every
/// delivery is handled.
#[tokio::test]
async fn a_plain_webhook_body_becomes_the_data_and_is_handled_on_every_delivery() {
    use wix_backend_events::webhook::layers;

    let event_type = "com.wix.ecommerce.catalog.api.v1.ProductCreated";
    let body = json!({"productId": "5ce8a40b-1cba-4bfe-a8a2-6f0c6a1bd5e1", "name": "Shirt", "visible": true});
    let signer = TestSigner::generate();
    let token = signer.sign_webhook(event_type, "inst-1", &body, None);
    let key = WebhookKey::from_pem(signer.public_key_pem()).unwrap();

    let delivery = layers::open(token.as_bytes(), &key).unwrap();
    assert!(delivery.direct_event::<Event>().is_none(), "only domain events take the fast path");
    let Event::WixStoresProductsOnProductCreated(event) = delivery.into_strict_event::<Event>().unwrap() else {
        panic!("not the Stores V1 product created event");
    };
    assert_eq!(event.data.product_id.as_deref(), Some("5ce8a40b-1cba-4bfe-a8a2-6f0c6a1bd5e1"));
    assert_eq!(event.data.name.as_deref(), Some("Shirt"));
    assert_eq!(event.metadata.event_type.as_deref(), Some(event_type));
    assert_eq!(event.metadata.instance_id.as_deref(), Some("inst-1"));
    assert_eq!(event.metadata.id, None);

    let handled = Arc::new(Mutex::new(0));
    let count = handled.clone();
    let dispatcher = Dispatcher::new(HandleAll(move |_event: Event| {
        *count.lock().unwrap() += 1;
        std::future::ready(Ok(()))
    }))
    .with_webhook_key(key);
    for _ in 0..2 {
        assert_eq!(dispatcher.webhook(token.as_bytes()).await.unwrap(), Outcome::Handled);
    }
    assert_eq!(*handled.lock().unwrap(), 2);

    // A domain-event body under a plain eventType is not that event's data: refused.
    let domain_shaped = json!({"id": "e-1", "entityFqdn": "x", "slug": "y", "createdEvent": {"entity": {}}});
    let token = signer.sign_webhook(event_type, "inst-1", &domain_shaped, None);
    let error = layers::open(token.as_bytes(), &key_of(&signer)).unwrap().into_strict_event::<Event>().unwrap_err();
    // Named by its path, in the wording of either decoder (`strict` or not).
    assert!(error.to_string().contains("data._id"), "{error}");
}

fn key_of(signer: &TestSigner) -> WebhookKey {
    WebhookKey::from_pem(signer.public_key_pem()).unwrap()
}
