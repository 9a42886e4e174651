//! The webhook path from the request body on, in three modes picked by the first byte:
//!
//! - `0`: the rest is the request body (the JWT), verified and unwrapped at a fixed time;
//! - `1`: the rest is the claims JSON of a token already verified (`layers::from_claims`);
//! - `2`: the rest is the claims' `data` string, signed here with a test key and valid
//!   times, so that every input gets past the signature to the layers and the decoding.
//!
//! Properties: no panic; in mode 2, a token signed with the right key at valid times is
//! never refused for its signature, its times or its shape as a JWT.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};
use wix_backend_events::testing::TestAlg;
use wix_backend_events::webhook::{layers, WebhookDelivery, WebhookError};
use wix_backend_events::Event;
use wix_events_fuzz::{NOW, SIGNER};

/// Both decodings of an unwrapped delivery; strict accepts only what plain accepts.
fn decode(delivery: WebhookDelivery) {
    let strict = delivery.clone().into_strict_event::<Event>();
    let plain = delivery.into_event::<Event>();
    if let Ok(event) = strict {
        assert_eq!(plain.ok(), Some(event), "strict decoding accepted what plain decoding did not");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let (signer, key) = &*SIGNER;
    match mode % 3 {
        0 => {
            if let Ok(delivery) = layers::open_at(rest, key, NOW) {
                decode(delivery);
            }
        }
        1 => {
            let Ok(claims) = serde_json::from_slice::<Map<String, Value>>(rest) else { return };
            if let Ok(delivery) = layers::from_claims(&claims) {
                decode(delivery);
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else { return };
            let claims = json!({"data": text, "iat": NOW, "exp": NOW + 300_000});
            let token = signer.sign_claims(&claims, TestAlg::Rs256);
            match layers::open_at(token.as_bytes(), key, NOW) {
                Ok(delivery) => decode(delivery),
                Err(WebhookError::Claims { .. }) => {}
                Err(error) => panic!("a genuine token was refused before its layers: {error}"),
            }
        }
    }
});
