//! Helpers for tests: sign webhook bodies exactly as Wix does, with a key made locally,
//! and build the broken tokens (expired, `alg: none`, HS256, ...) a server must refuse.
//!
//! ```
//! use wix_backend_events::testing::TestSigner;
//! use wix_backend_events::webhook::{layers, WebhookKey};
//! use serde_json::json;
//!
//! let signer = TestSigner::generate();
//! let key = WebhookKey::from_pem(signer.public_key_pem()).unwrap();
//! let body = json!({"id": "e-1", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted",
//!                   "deletedEvent": {}});
//! let jwt = signer.sign_webhook("wix.contacts.v4.contact_deleted", "inst-1", &body, None);
//! let delivery = layers::open(jwt.as_bytes(), &key).unwrap();
//! assert_eq!(delivery.body, body);
//! ```

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use serde_json::{json, Value};

/// How long tokens from [`TestSigner::sign_webhook`] stay valid: the span of the sample
/// token in Wix's docs (`exp - iat` = 300,000 s, about 3.5 days).
pub const WEBHOOK_VALIDITY_SECS: u64 = 300_000;

/// A locally generated RSA-2048 key pair standing in for Wix's webhook signing key.
pub struct TestSigner {
    key_pair: KeyPair,
    public_key_pem: String,
}

impl std::fmt::Debug for TestSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestSigner")
            .field("public_key_pem", &self.public_key_pem)
            .finish_non_exhaustive()
    }
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
        let key_pair = KeyPair::generate(KeySize::Rsa2048)
            .unwrap_or_else(|_| panic!("aws-lc-rs could not generate an RSA-2048 key pair"));
        let spki = key_pair
            .public_key()
            .as_der()
            .unwrap_or_else(|_| panic!("aws-lc-rs could not encode the RSA public key"));
        let public_key_pem = pem("PUBLIC KEY", spki.as_ref());
        Self {
            key_pair,
            public_key_pem,
        }
    }

    /// The public key as an SPKI PEM, the form Wix's app dashboard shows.
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// A JWT as Wix posts it for a webhook: claims `{data, iat, exp}` where `data` is the
    /// stringified `{eventType, instanceId, data, identity?}` and its `data` and `identity`
    /// are stringified in turn. Valid for [`WEBHOOK_VALIDITY_SECS`] from now.
    pub fn sign_webhook(
        &self,
        event_type: &str,
        instance_id: &str,
        body: &Value,
        identity: Option<&Value>,
    ) -> String {
        let iat = now();
        let claims = webhook_claims(
            event_type,
            instance_id,
            body,
            identity,
            iat,
            iat + WEBHOOK_VALIDITY_SECS,
        );
        self.sign_claims(&claims, TestAlg::Rs256)
    }

    /// Any claims, signed (or not) as `alg` says: for expired, forged and malformed tokens.
    ///
    /// # Panics
    ///
    /// If the crypto library fails to sign, which leaves a test nothing to do.
    pub fn sign_claims(&self, claims: &Value, alg: TestAlg) -> String {
        let header = match &alg {
            // The header shape of the sample token in Wix's docs.
            TestAlg::Rs256 => json!({"kid": "test-key", "alg": "RS256"}),
            TestAlg::Unsigned => json!({"alg": "none"}),
            TestAlg::Hs256(_) => json!({"alg": "HS256", "typ": "JWT"}),
            TestAlg::Header(header) => header.clone(),
        };
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match alg {
            TestAlg::Unsigned => Vec::new(),
            TestAlg::Hs256(secret) => {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret)
                    .unwrap_or_else(|_| panic!("HMAC accepts keys of any length"));
                mac.update(signing_input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            TestAlg::Rs256 | TestAlg::Header(_) => self.rs256(signing_input.as_bytes()),
        };
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    fn rs256(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .unwrap_or_else(|_| panic!("aws-lc-rs could not sign with RS256"));
        signature
    }
}

/// The claims of a webhook JWT, with the two inner layers stringified as Wix does.
/// Pair with [`TestSigner::sign_claims`] to choose `iat`/`exp` (an expired token, say).
pub fn webhook_claims(
    event_type: &str,
    instance_id: &str,
    body: &Value,
    identity: Option<&Value>,
    iat: u64,
    exp: u64,
) -> Value {
    let mut wrapper = json!({
        "eventType": event_type,
        "instanceId": instance_id,
        "data": body.to_string(),
    });
    if let Some(identity) = identity {
        wrapper["identity"] = Value::String(identity.to_string());
    }
    json!({"data": wrapper.to_string(), "iat": iat, "exp": exp})
}

/// Seconds since the Unix epoch, for `iat` and `exp`.
pub fn now() -> u64 {
    // A clock before 1970 is a broken test machine; 0 then makes tokens look expired.
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
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
        let jwt = signer().sign_webhook(
            "wix.contacts.v4.contact_created",
            "inst-1",
            &body(),
            Some(&identity),
        );
        let delivery = layers::open(jwt.as_bytes(), &key).unwrap();
        assert_eq!(delivery.body, body());
        assert_eq!(delivery.event_type, "wix.contacts.v4.contact_created");
        assert_eq!(delivery.instance_id.as_deref(), Some("inst-1"));
        assert_eq!(delivery.identity, Some(identity));
        assert_eq!(delivery.account_info, None);
    }

    #[test]
    fn layers_are_stringified_like_wix() {
        let jwt = signer().sign_webhook("t", "i", &body(), Some(&json!({"identityType": "APP"})));
        let claims_part = jwt.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims_part).unwrap()).unwrap();
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
        assert!(matches!(
            layers::open(jwt.as_bytes(), &key),
            Err(WebhookError::Expired)
        ));
    }

    #[test]
    fn unsigned_token_has_empty_signature() {
        let jwt = signer().sign_claims(&json!({}), TestAlg::Unsigned);
        assert!(jwt.ends_with('.'));
        assert_eq!(jwt.matches('.').count(), 2);
    }

    #[test]
    fn now_is_after_2020() {
        assert!(now() > 1_577_836_800);
    }
}
