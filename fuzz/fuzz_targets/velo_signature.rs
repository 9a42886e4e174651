//! The `x-wix-events-signature` header of forwarded Velo events, at a fixed clock, in two
//! modes picked by the first byte:
//!
//! - even: the rest is the header value, checked against a fixed secret, handler and body;
//! - odd: the next 8 bytes are a timestamp, signed here with the secret, and the rest is
//!   appended to the genuine header as further `,`-separated parts.
//!
//! Properties: no panic; no header the fuzzer writes is accepted (it cannot know the
//! secret); a genuine header is accepted exactly when its timestamp is within the
//! tolerance, and extra parts never make one with a timestamp outside it pass.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wix_backend_events::velo_auth::VeloSecret;
use wix_events_fuzz::NOW;

const HANDLER: &str = "wixCrm_onContactCreated";
const BODY: &[u8] = br#"{"metadata": {"id": "e1"}, "entity": {"_id": "c1"}}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let now = NOW as i64;
    let secret = VeloSecret::new("fuzz-secret").with_clock(move || now);
    if mode % 2 == 0 {
        let Ok(header) = std::str::from_utf8(rest) else { return };
        assert!(secret.verify(HANDLER, BODY, Some(header)).is_err(), "accepted a header made without the secret");
        return;
    }
    let Some((timestamp, extra)) = rest.split_first_chunk::<8>() else { return };
    let Ok(extra) = std::str::from_utf8(extra) else { return };
    // Non-negative, as `t=` takes digits only.
    let timestamp = i64::from_le_bytes(*timestamp) & i64::MAX;
    let genuine = secret.sign_at(timestamp, HANDLER, BODY);
    let header = if extra.is_empty() { genuine } else { format!("{genuine},{extra}") };
    let in_time = now.abs_diff(timestamp) <= secret.tolerance().as_secs();
    let accepted = secret.verify(HANDLER, BODY, Some(&header)).is_ok();
    if extra.is_empty() {
        assert_eq!(accepted, in_time, "a genuine header at t={timestamp} was judged wrongly");
    } else {
        assert!(!accepted || in_time, "extra parts let a header at t={timestamp} pass");
    }
});
