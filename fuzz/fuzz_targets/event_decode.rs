//! `Event::decode` on arbitrary bytes, for every event name: input `<Velo handler>\n<body>`.
//!
//! Properties: no panic, whatever the name and body; strict decoding accepts only what
//! plain decoding accepts, and decodes it alike; decoding from a `serde_json::Value`
//! agrees with decoding from the bytes, but for a repeated key, which the bytes refuse and
//! a `Value` cannot hold.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wix_backend_events::decode::Strict;
use wix_backend_events::Event;
use wix_events_fuzz::named;

fuzz_target!(|data: &[u8]| {
    let Some((name, body)) = named(data) else { return };
    let plain = Event::decode(name, body);
    if let Ok(event) = Event::decode(name, Strict(body)) {
        assert_eq!(plain.as_ref().ok(), Some(&event), "strict decoding accepted what plain decoding did not");
    }
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        let from_value = Event::decode(name, value);
        match (&plain, from_value) {
            (Ok(event), from_value) => {
                assert_eq!(from_value.as_ref().ok(), Some(event), "decoding from a Value differs from decoding the bytes")
            }
            // A repeated key is refused in text, but a `Value` holds only its last
            // occurrence: the one way for the two to differ (found by this target;
            // tests/no_panic.rs `a_repeated_key_is_refused_in_text_and_kept_last_in_a_value`).
            (Err(error), Ok(_)) => assert!(
                error.to_string().contains("duplicate field"),
                "a Value decoded where the bytes failed, not for a repeated key: {error}"
            ),
            (Err(_), Err(_)) => {}
        }
    }
});
