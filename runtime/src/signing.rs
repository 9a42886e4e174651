//! Sign webhook bodies as Wix does, with an RSA key pair made locally: to try the webhook
//! path without Wix (`wix-events keygen` and `wix-events sign`) and to test a service
//! (`testing::TestSigner`).
//!
//! A token from [`WebhookSigner::sign_webhook`] has exactly the shape Wix posts: an RS256
//! JWT with the header `{kid, alg}` and the claims `{data, iat, exp}`, where `data` is the
//! stringified `{eventType, instanceId, data, identity?}` whose `data` and `identity` are
//! stringified in turn. [`crate::webhook::open`] verifies and unwraps it.
//!
//! ```
//! use wix_events_runtime::signing::WebhookSigner;
//! use wix_events_runtime::webhook::{layers, WebhookKey};
//! use serde_json::json;
//!
//! let signer = WebhookSigner::generate().unwrap();
//! let key = WebhookKey::from_pem(signer.public_key_pem()).unwrap();
//! let body = json!({"id": "e-1", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted",
//!                   "deletedEvent": {}});
//! let jwt = signer.sign_webhook("wix.contacts.v4.contact_deleted", "inst-1", &body, None).unwrap();
//! let delivery = layers::open(jwt.as_bytes(), &key).unwrap();
//! assert_eq!(delivery.body_value().unwrap(), body);
//! ```

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{json, Value};

/// How long tokens from [`WebhookSigner::sign_webhook`] stay valid: the span of the sample
/// token in Wix's docs (`exp - iat` = 300,000 s, about 3.5 days).
pub const WEBHOOK_VALIDITY_SECS: u64 = 300_000;

/// Why a key pair could not be made, read or written, or a token not signed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The crypto library could not generate a key pair.
    #[error("could not generate an RSA-2048 key pair")]
    Generate,
    /// The private key text is not a PKCS#8 PEM of an RSA key.
    #[error("the private key is not an RSA PKCS#8 PEM (-----BEGIN PRIVATE KEY-----): {reason}")]
    PrivateKey {
        /// What failed while reading it.
        reason: String,
    },
    /// The crypto library could not encode a key.
    #[error("could not encode the {which} key")]
    Encode {
        /// `public` or `private`.
        which: &'static str,
    },
    /// The crypto library could not sign.
    #[error("could not sign with RS256")]
    Sign,
}

/// An RSA key pair standing in for Wix's webhook signing key.
pub struct WebhookSigner {
    key_pair: KeyPair,
    public_key_pem: String,
}

impl std::fmt::Debug for WebhookSigner {
    // The private key must never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSigner").field("public_key_pem", &self.public_key_pem).finish_non_exhaustive()
    }
}

impl WebhookSigner {
    /// Generates a fresh RSA-2048 key pair (takes a moment in debug builds).
    pub fn generate() -> Result<Self, SigningError> {
        let key_pair = KeyPair::generate(KeySize::Rsa2048).map_err(|_| SigningError::Generate)?;
        Self::from_key_pair(key_pair)
    }

    /// Reads a private key written by [`WebhookSigner::private_key_pem`] (PKCS#8 PEM).
    pub fn from_private_key_pem(text: &str) -> Result<Self, SigningError> {
        let reason = |reason: &str| SigningError::PrivateKey { reason: reason.to_owned() };
        let body = text
            .trim()
            .strip_prefix("-----BEGIN PRIVATE KEY-----")
            .and_then(|rest| rest.split_once("-----END PRIVATE KEY-----"))
            .map(|(body, _)| body.split_whitespace().collect::<String>())
            .ok_or_else(|| reason("no -----BEGIN PRIVATE KEY----- ... -----END PRIVATE KEY----- block"))?;
        let der =
            STANDARD.decode(body.as_bytes()).map_err(|error| reason(&format!("its body is not base64 ({error})")))?;
        let key_pair = KeyPair::from_pkcs8(&der).map_err(|error| reason(&error.to_string()))?;
        Self::from_key_pair(key_pair)
    }

    fn from_key_pair(key_pair: KeyPair) -> Result<Self, SigningError> {
        let spki = key_pair.public_key().as_der().map_err(|_| SigningError::Encode { which: "public" })?;
        let public_key_pem = pem("PUBLIC KEY", spki.as_ref());
        Ok(Self { key_pair, public_key_pem })
    }

    /// The public key as an SPKI PEM, the form Wix's app dashboard shows.
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    /// The private key as a PKCS#8 PEM, for [`WebhookSigner::from_private_key_pem`].
    pub fn private_key_pem(&self) -> Result<String, SigningError> {
        let der = self.key_pair.as_der().map_err(|_| SigningError::Encode { which: "private" })?;
        Ok(pem("PRIVATE KEY", der.as_ref()))
    }

    /// A JWT as Wix posts it for a webhook, issued now and valid for
    /// [`WEBHOOK_VALIDITY_SECS`].
    pub fn sign_webhook(
        &self,
        event_type: &str,
        instance_id: &str,
        body: &Value,
        identity: Option<&Value>,
    ) -> Result<String, SigningError> {
        self.sign_webhook_at(event_type, instance_id, body, identity, now())
    }

    /// A JWT as Wix posts it for a webhook, issued at `iat` (seconds since the epoch) and
    /// valid for [`WEBHOOK_VALIDITY_SECS`].
    pub fn sign_webhook_at(
        &self,
        event_type: &str,
        instance_id: &str,
        body: &Value,
        identity: Option<&Value>,
        iat: u64,
    ) -> Result<String, SigningError> {
        let claims = webhook_claims(event_type, instance_id, body, identity, iat, iat + WEBHOOK_VALIDITY_SECS);
        self.sign_jwt(&wix_header(), &claims)
    }

    /// Any header and claims, signed with RS256 whatever the header's `alg` says.
    pub fn sign_jwt(&self, header: &Value, claims: &Value) -> Result<String, SigningError> {
        let signing_input = signing_input(header, claims);
        let signature = self.sign_rs256(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `message`.
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let mut signature = vec![0; self.key_pair.public_modulus_len()];
        self.key_pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut signature)
            .map_err(|_| SigningError::Sign)?;
        Ok(signature)
    }
}

/// The header of Wix's sample token: `{kid, alg: RS256}`.
pub fn wix_header() -> Value {
    json!({"kid": "test-key", "alg": "RS256"})
}

/// `base64url(header).base64url(claims)`, the part of a JWT its signature covers.
pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// The claims of a webhook JWT, with the two inner layers stringified as Wix does.
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
    // A clock before 1970 is a broken machine; 0 then makes tokens look expired.
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// A PEM block: the label, and the DER in base64 lines of 64 characters.
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

    /// RSA key generation is slow in debug builds: one signer for all tests.
    fn signer() -> &'static WebhookSigner {
        static SIGNER: OnceLock<WebhookSigner> = OnceLock::new();
        SIGNER.get_or_init(|| WebhookSigner::generate().unwrap())
    }

    #[test]
    fn private_key_round_trips_through_pem() {
        let pem = signer().private_key_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let again = WebhookSigner::from_private_key_pem(&pem).unwrap();
        assert_eq!(again.public_key_pem(), signer().public_key_pem());
    }

    #[test]
    fn public_key_is_refused_as_private_key() {
        let error = WebhookSigner::from_private_key_pem(signer().public_key_pem()).unwrap_err();
        assert!(matches!(error, SigningError::PrivateKey { .. }), "{error}");
    }

    #[test]
    fn token_signed_in_the_past_verifies_only_then() {
        let key = WebhookKey::from_pem(signer().public_key_pem()).unwrap();
        let body = json!({"id": "e-1", "entityFqdn": "wix.contacts.v4.contact", "slug": "deleted", "deletedEvent": {}});
        let iat = 1_700_000_000;
        let jwt = signer().sign_webhook_at("wix.contacts.v4.contact_deleted", "i-1", &body, None, iat).unwrap();
        assert!(matches!(layers::open(jwt.as_bytes(), &key), Err(WebhookError::Expired)));
        let delivery = layers::open_at(jwt.as_bytes(), &key, iat).unwrap();
        assert_eq!(delivery.body_value().unwrap(), body);
    }
}
