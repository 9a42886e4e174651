//! What the fuzz targets share: how an input is split, and the fixed clock and keys they
//! verify with.

use std::sync::LazyLock;

use wix_backend_events::testing::TestSigner;
use wix_backend_events::webhook::WebhookKey;

/// The clock every target verifies at (2026-01-01T00:00:00Z), so that a crash reproduces
/// from its input alone whenever it was found.
pub const NOW: u64 = 1_767_225_600;

/// An input of the form `<name>\n<body>`: the event name (a Velo handler name or a
/// webhook eventType) on the first line, the payload after it. `None` when there is no
/// newline or the name is not UTF-8.
pub fn named(data: &[u8]) -> Option<(&str, &[u8])> {
    let newline = data.iter().position(|&byte| byte == b'\n')?;
    let name = std::str::from_utf8(&data[..newline]).ok()?;
    Some((name, &data[newline + 1..]))
}

/// One RSA key pair per process: made once, since making one takes a moment. The
/// webhook target's signed mode signs inside the target, so its crashes reproduce with
/// any key.
pub static SIGNER: LazyLock<(TestSigner, WebhookKey)> = LazyLock::new(|| {
    let signer = TestSigner::generate();
    let key = WebhookKey::from_pem(signer.public_key_pem()).expect("a generated key loads");
    (signer, key)
});
