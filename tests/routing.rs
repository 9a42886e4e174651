//! Routing: every documented Velo example reaches the handler under its own event.

use std::sync::{Arc, Mutex};

use wix_backend_events::dispatch::{Dispatcher, Outcome};
use wix_backend_events::{Event, EventSet, HandleAll};
use wix_events_integration::fixtures;

#[tokio::test]
async fn every_velo_fixture_reaches_handle_all_under_its_name() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let dispatcher = Dispatcher::new(HandleAll(move |event: Event| {
        record.lock().unwrap().push(event.info().velo_handler);
        std::future::ready(Ok(()))
    }));
    let mut expected = Vec::new();
    for fixture in fixtures("velo") {
        let info = Event::by_velo_handler(&fixture.event).unwrap_or_else(|| panic!("{}: unknown", fixture.name()));
        let outcome = dispatcher.velo(&fixture.event, &fixture.bytes, None).await;
        // Fixtures of one event may share an id: the later ones are duplicates.
        if outcome.unwrap_or_else(|error| panic!("{}: {error}", fixture.name())) == Outcome::Handled {
            expected.push(info.velo_handler);
        }
    }
    assert!(expected.len() > 10, "only {} fixtures handled", expected.len());
    assert_eq!(*seen.lock().unwrap(), expected);
}

#[tokio::test]
async fn an_overlong_event_id_is_refused_before_the_handler_and_the_store() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wix_backend_events::dispatch::{DispatchError, MAX_EVENT_ID_LEN};

    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let dispatcher = Dispatcher::new(HandleAll(|_event: Event| {
        CALLS.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(()))
    }));
    let body = |id: &str| serde_json::json!({"metadata": {"id": id}}).to_string();
    let long = "x".repeat(MAX_EVENT_ID_LEN + 1);
    let error = dispatcher.velo("wixCrm_onContactDeleted", body(&long).as_bytes(), None).await.unwrap_err();
    assert!(matches!(error, DispatchError::EventIdTooLong { len } if len == MAX_EVENT_ID_LEN + 1), "{error}");
    assert_eq!(error.http_status(), 400);
    assert_eq!(CALLS.load(Ordering::SeqCst), 0);
    let longest = "x".repeat(MAX_EVENT_ID_LEN);
    let outcome = dispatcher.velo("wixCrm_onContactDeleted", body(&longest).as_bytes(), None).await.unwrap();
    assert_eq!(outcome, Outcome::Handled);
    assert_eq!(CALLS.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_request_for_an_unknown_name_is_refused_without_the_did_you_mean_search() {
    use wix_backend_events::dispatch::DispatchError;
    use wix_backend_events::error::DecodeError;

    let dispatcher = Dispatcher::new(HandleAll(|_event: Event| std::future::ready(Ok(()))));
    let typo = "wixCrm_onContactCreatd";
    let error = dispatcher.velo(typo, b"{}", None).await.unwrap_err();
    assert!(
        matches!(&error, DispatchError::Decode(DecodeError::UnknownEvent { name, suggestion: None }) if name == typo),
        "{error:?}"
    );
    assert_eq!(error.http_status(), 404);
    // Decoding by hand still suggests the closest name.
    let decoded = Event::decode(typo, &b"{}"[..]).unwrap_err();
    assert!(
        matches!(decoded, DecodeError::UnknownEvent { suggestion: Some("wixCrm_onContactCreated"), .. }),
        "{decoded:?}"
    );
}
