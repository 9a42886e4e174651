//! Helpers for tests: sign webhook bodies exactly as Wix does, with a key made locally,
//! and build the broken tokens (expired, `alg: none`, HS256, ...) a server must refuse.
//!
//! ```
//! use wix_events_runtime::testing::TestSigner;
//! use wix_events_runtime::webhook::{layers, WebhookKey};
//! use serde_json::json;
//!
//! let signer = TestSigner::generate();
//! let key = WebhookKey::from_pem(signer.public_key_pem()).unwrap();
//! let body = json!({"id": "e-1", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted",
//!                   "deletedEvent": {}});
//! let jwt = signer.sign_webhook("wix.contacts.v4.contact_deleted", "inst-1", &body, None);
//! let delivery = layers::open(jwt.as_bytes(), &key).unwrap();
//! assert_eq!(delivery.body_value().unwrap(), body);
//! ```
//!
//! [`velo_fixture`] and [`webhook_fixture`] read documented payloads from files named
//! `<event>.<n>.json`; for tests of routing, the generated crate's `HandleAll` makes a
//! handler of one async function over its `Event`.

#[cfg(feature = "redis")]
mod redis_server;

use std::io;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use serde_json::{json, Value};

pub use crate::signing::{now, webhook_claims, WEBHOOK_VALIDITY_SECS};
use crate::signing::{signing_input, wix_header, WebhookSigner};

#[cfg(feature = "redis")]
pub use redis_server::{redis_required, RedisServer, REDIS_DIR_ENV, REQUIRE_REDIS_ENV};

/// A locally generated RSA-2048 key pair standing in for Wix's webhook signing key; the
/// [`WebhookSigner`] of the `signing` module, plus the forgeries a server must refuse.
#[derive(Debug)]
pub struct TestSigner {
    signer: WebhookSigner,
}

/// How [`TestSigner::sign_claims`] signs a token: the real algorithm, or a forgery.
#[derive(Debug, Clone, PartialEq)]
pub enum TestAlg {
    /// RS256 with this signer's key, and the header shape Wix sends (`{kid, alg}`).
    Rs256,
    /// `alg: none` with an empty signature.
    Unsigned,
    /// HS256 with the given secret; pass the public key PEM to imitate the
    /// "public key as HMAC secret" forgery.
    Hs256(Vec<u8>),
    /// This exact header JSON, signed with RS256 regardless of its `alg`.
    Header(Value),
}

impl TestSigner {
    /// Generates a fresh key pair (takes a moment: share one signer between tests).
    ///
    /// # Panics
    ///
    /// If the crypto library cannot generate an RSA key, which leaves a test nothing to do.
    pub fn generate() -> Self {
        let signer = WebhookSigner::generate().unwrap_or_else(|error| panic!("{error}"));
        Self { signer }
    }

    /// The public key as an SPKI PEM, the form Wix's app dashboard shows.
    pub fn public_key_pem(&self) -> &str {
        self.signer.public_key_pem()
    }

    /// A JWT as Wix posts it for a webhook (see [`WebhookSigner::sign_webhook`]), valid
    /// for [`WEBHOOK_VALIDITY_SECS`] from now.
    ///
    /// # Panics
    ///
    /// If the crypto library fails to sign, which leaves a test nothing to do.
    pub fn sign_webhook(&self, event_type: &str, instance_id: &str, body: &Value, identity: Option<&Value>) -> String {
        let signed = self.signer.sign_webhook(event_type, instance_id, body, identity);
        signed.unwrap_or_else(|error| panic!("{error}"))
    }

    /// Any claims, signed (or not) as `alg` says: for expired, forged and malformed tokens.
    ///
    /// # Panics
    ///
    /// If the crypto library fails to sign, which leaves a test nothing to do.
    pub fn sign_claims(&self, claims: &Value, alg: TestAlg) -> String {
        let rs256 = |header: &Value| self.signer.sign_jwt(header, claims).unwrap_or_else(|error| panic!("{error}"));
        match alg {
            TestAlg::Rs256 => rs256(&wix_header()),
            TestAlg::Header(header) => rs256(&header),
            TestAlg::Unsigned => format!("{}.", signing_input(&json!({"alg": "none"}), claims)),
            TestAlg::Hs256(secret) => {
                let input = signing_input(&json!({"alg": "HS256", "typ": "JWT"}), claims);
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret)
                    .unwrap_or_else(|_| panic!("HMAC accepts keys of any length"));
                mac.update(input.as_bytes());
                format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
            }
        }
    }
}

/// The `*.json` files of a fixture folder, sorted by name (so test order is stable).
pub fn fixture_files(dir: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|error| with_path(dir, error))? {
        let path = entry.map_err(|error| with_path(dir, error))?.path();
        if path.is_file() && path.extension().is_some_and(|extension| extension == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a Velo fixture, `<VeloHandler>.<n>.json` holding the event object a Velo
/// handler receives: the handler name and the raw bytes, as a site forwards them
/// (`Dispatcher::velo(&name, &bytes, ..)`, or `POST /velo/{name}`).
pub fn velo_fixture(path: impl AsRef<Path>) -> io::Result<(String, Vec<u8>)> {
    read_fixture(path.as_ref())
}

/// Reads a webhook fixture, `<eventType>.<n>.json` holding a domain-event body (the
/// innermost `data` of Wix's JWT): the eventType and the body, ready for
/// [`TestSigner::sign_webhook`].
pub fn webhook_fixture(path: impl AsRef<Path>) -> io::Result<(String, Value)> {
    let path = path.as_ref();
    let (event_type, bytes) = read_fixture(path)?;
    let body = serde_json::from_slice(&bytes)
        .map_err(|error| with_path(path, io::Error::new(io::ErrorKind::InvalidData, error)))?;
    Ok((event_type, body))
}

/// The event name from the file name, and the file's bytes.
fn read_fixture(path: &Path) -> io::Result<(String, Vec<u8>)> {
    let name = fixture_event_name(path)?;
    let bytes = std::fs::read(path).map_err(|error| with_path(path, error))?;
    Ok((name, bytes))
}

/// `wix.contacts.v4.contact_created.2.json` -> `wix.contacts.v4.contact_created`: the
/// file name less `.json` and less the `.<n>` that numbers several examples of one event.
fn fixture_event_name(path: &Path) -> io::Result<String> {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.strip_suffix(".json"))
        .map(|stem| match stem.rsplit_once('.') {
            Some((event, counter)) if !counter.is_empty() && counter.bytes().all(|byte| byte.is_ascii_digit()) => event,
            _ => stem,
        })
        .filter(|event| !event.is_empty());
    name.map(str::to_owned).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: a fixture is named <event>.<n>.json or <event>.json", path.display()),
        )
    })
}

/// Names the file in an I/O error, which otherwise says only "No such file or directory".
fn with_path(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::{layers, WebhookError, WebhookKey};
    use std::sync::OnceLock;

    fn signer() -> &'static TestSigner {
        static SIGNER: OnceLock<TestSigner> = OnceLock::new();
        SIGNER.get_or_init(TestSigner::generate)
    }

    fn body() -> Value {
        json!({
            "id": "evt-1",
            "entityFqdn": "wix.contacts.v4.contact",
            "slug": "created",
            "entityId": "c-1",
            "createdEvent": {"entity": {"id": "c-1", "info": {"name": {"first": "Ann"}}}},
        })
    }

    #[test]
    fn public_key_is_an_spki_pem() {
        let pem = signer().public_key_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMII"));
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
    }

    #[test]
    fn round_trip_through_open() {
        let key = WebhookKey::from_pem(signer().public_key_pem()).unwrap();
        let identity = json!({"identityType": "MEMBER", "memberId": "m-1"});
        let jwt = signer().sign_webhook("wix.contacts.v4.contact_created", "inst-1", &body(), Some(&identity));
        let delivery = layers::open(jwt.as_bytes(), &key).unwrap();
        assert_eq!(delivery.body_value().unwrap(), body());
        assert_eq!(delivery.event_type, "wix.contacts.v4.contact_created");
        assert_eq!(delivery.wrapper.instance_id.as_deref(), Some("inst-1"));
        assert_eq!(delivery.wrapper.identity, Some(identity));
        assert_eq!(delivery.wrapper.account_info, None);
    }

    #[test]
    fn layers_are_stringified_like_wix() {
        let jwt = signer().sign_webhook("t", "i", &body(), Some(&json!({"identityType": "APP"})));
        let claims_part = jwt.split('.').nth(1).unwrap();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_part).unwrap()).unwrap();
        let exp = claims["exp"].as_u64().unwrap();
        let iat = claims["iat"].as_u64().unwrap();
        assert_eq!(exp - iat, WEBHOOK_VALIDITY_SECS);
        let wrapper: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        assert!(wrapper["data"].is_string());
        assert!(wrapper["identity"].is_string());
    }

    #[test]
    fn expired_webhook_is_rejected() {
        let key = WebhookKey::from_pem(signer().public_key_pem()).unwrap();
        let claims = webhook_claims("t", "i", &body(), None, 1_000, 2_000);
        let jwt = signer().sign_claims(&claims, TestAlg::Rs256);
        assert!(matches!(layers::open(jwt.as_bytes(), &key), Err(WebhookError::Expired)));
    }

    #[test]
    fn unsigned_token_has_empty_signature() {
        let jwt = signer().sign_claims(&json!({}), TestAlg::Unsigned);
        assert!(jwt.ends_with('.'));
        assert_eq!(jwt.matches('.').count(), 2);
    }

    #[test]
    fn webhook_fixture_gives_event_type_and_body() {
        // Written here rather than read from the repository's fixtures, which the
        // published package does not hold.
        let dir = std::env::temp_dir().join(format!("wix-events-testing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("wix.contacts.v4.contact_deleted.1.json");
        std::fs::write(&path, body().to_string()).unwrap();
        let (event_type, read) = webhook_fixture(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(event_type, "wix.contacts.v4.contact_deleted");
        assert_eq!(read, body());
    }

    #[test]
    fn fixture_names() {
        let name = |file: &str| fixture_event_name(Path::new(file)).ok();
        assert_eq!(name("dir/wixCrm_onContactCreated.1.json").as_deref(), Some("wixCrm_onContactCreated"));
        assert_eq!(name("wix.contacts.v4.contact_created.12.json").as_deref(), Some("wix.contacts.v4.contact_created"));
        assert_eq!(name("wix.events.v2.policy_created.json").as_deref(), Some("wix.events.v2.policy_created"));
        assert_eq!(name("wixCrm_onContactCreated.json").as_deref(), Some("wixCrm_onContactCreated"));
        assert_eq!(name("notes.txt"), None);
        assert_eq!(name(".json"), None);
    }

    #[test]
    fn missing_fixture_names_the_file() {
        let error = velo_fixture("no/such/wixCrm_onContactCreated.1.json").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
        assert!(error.to_string().starts_with("no/such/wixCrm_onContactCreated.1.json: "), "{error}");
    }

    #[test]
    fn now_is_after_2020() {
        assert!(now() > 1_577_836_800);
    }
}
