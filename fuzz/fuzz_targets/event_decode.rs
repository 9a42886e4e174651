//! `Event::decode` on arbitrary bytes, for every event name: input `<Velo handler>\n<body>`.
//!
//! Properties: no panic, whatever the name and body; strict decoding accepts only what
//! plain decoding accepts, and decodes it alike; decoding from a `serde_json::Value`
//! gives what decoding the bytes gives, whenever the bytes decode (a `Value` cannot hold
//! a repeated key, which the bytes refuse).

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
        // Only this direction: a `Value` holds the last occurrence of a repeated key,
        // which the bytes refuse, so a `Value` may decode where its text did not (found
        // by this target twice, once with the first occurrence malformed; kept by
        // tests/no_panic.rs `a_repeated_key_is_refused_in_text_and_kept_last_in_a_value`).
        if let Ok(event) = &plain {
            assert_eq!(from_value.as_ref().ok(), Some(event), "decoding from a Value differs from decoding the bytes");
        }
    }
});
