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
