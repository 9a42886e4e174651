//! Decoding needs a bounded stack. serde's derived decoders keep a struct's fields on the
//! stack while they decode it, and a debug build gives every temporary its own slot, so a
//! large struct makes a large frame, once per level of the payload; and the catalogue's
//! decoder, one function with a branch per event, made one frame with a slot for every
//! payload. Unbounded, a comment whose rich text nests a few nodes overflowed the 2 MiB
//! stack of a test thread, which is also what a tokio worker has. The generator boxes
//! large fields (`codegen::analysis::BOX_ABOVE`) and each payload as it is decoded
//! (`EventPayload::decode`); this test holds every fixture, by each path a delivery
//! takes, to a quarter of that stack.
//!
//! A stack overflow aborts the process rather than failing the test; run it with
//! `--nocapture` to see which fixture was decoding (its name is printed last).

use wix_backend_events::decode::Strict;
use wix_backend_events::webhook::WebhookDelivery;
use wix_backend_events::{Event, EventSet};
use wix_events_integration::{fixtures, Fixture};

/// A quarter of the 2 MiB that a tokio worker thread and a test thread have.
const STACK: usize = 512 * 1024;

/// Runs `work` on a thread with a [`STACK`]-byte stack.
fn on_small_stack(work: impl FnOnce() + Send + 'static) {
    let thread = std::thread::Builder::new().stack_size(STACK).spawn(work);
    let joined = thread.unwrap_or_else(|error| panic!("cannot start a thread: {error}")).join();
    if let Err(panic) = joined {
        std::panic::resume_unwind(panic);
    }
}

/// Decodes every fixture of `folder` with `decode` on a small stack; a fixture that does
/// not decode is no failure here (`tests/fixtures.rs` judges that), only a crash is.
fn decode_all(folder: &'static str, decode: fn(&Fixture)) {
    let all = fixtures(folder);
    assert!(!all.is_empty(), "no fixtures in {folder}");
    on_small_stack(move || {
        for fixture in &all {
            eprintln!("{folder}/{}", fixture.name());
            decode(fixture);
        }
    });
}

#[test]
fn velo_fixtures_decode_on_a_quarter_of_a_worker_stack() {
    decode_all("velo", |fixture| {
        let _ = Event::decode(&fixture.event, fixture.bytes.as_slice());
        let _ = Event::decode(&fixture.event, Strict(fixture.bytes.as_slice()));
    });
}

#[test]
fn webhook_fixtures_decode_on_a_quarter_of_a_worker_stack() {
    for folder in ["webhook", "broken/webhook"] {
        decode_all(folder, |fixture| {
            let Ok(text) = std::str::from_utf8(&fixture.bytes) else { return };
            for strict in [false, true] {
                let Ok(delivery) = WebhookDelivery::from_body(&fixture.event, text) else { return };
                let _: Result<Event, _> = if strict { delivery.into_strict_event() } else { delivery.into_event() };
            }
        });
    }
}

/// The boxing holds: the rich-text node, some forty optional node kinds, was 22,568 bytes
/// with every kind in place.
#[test]
fn the_rich_text_node_is_small() {
    let size = std::mem::size_of::<wix_backend_events::blog::posts::Node>();
    assert!(size <= 4096, "blog::posts::Node is {size} bytes");
    assert!(Event::CATALOGUE.iter().any(|info| info.velo_handler == "wixBlog_onPostCreated"));
}
