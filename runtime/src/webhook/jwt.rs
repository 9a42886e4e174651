//! The outer webhook layer: the request body is a compact JWT signed by Wix with RS256.
//!
//! The header is checked by hand before any cryptography, so that `alg: none`, HS256
//! (the classic "public key as HMAC secret" forgery) and anything else are refused with a
//! message naming the algorithm; `jsonwebtoken` then verifies the signature and `exp`.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::WebhookError;

/// How far past `exp` a token is still accepted, for clock skew between Wix and us.
const CLOCK_SKEW_LEEWAY_SECS: u64 = 60;

/// The app's webhook public key, parsed once at start-up and reused for every request.
#[derive(Clone)]
pub struct WebhookKey {
    key: DecodingKey,
}

impl std::fmt::Debug for WebhookKey {
    // `DecodingKey` would print the key bytes; they are public but only noise in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookKey").field("algorithm", &"RS256").finish_non_exhaustive()
    }
}

/// Why a webhook public key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key text is empty (an unset environment variable, typically).
    #[error("webhook public key is empty; copy it from the app dashboard (Webhooks → Get Public Key)")]
    Empty,
    /// The text is neither a PEM nor base64 of one.
    #[error("webhook public key is neither a PEM (-----BEGIN PUBLIC KEY-----) nor base64 of one: {reason}")]
    NotPem {
        /// What failed while reading it.
        reason: String,
    },
    /// A private key was given where the app's public key belongs.
    #[error("webhook public key is a private key ({label}); use the app's public key from the app dashboard")]
    PrivateKey {
        /// The PEM label, e.g. `PRIVATE KEY`.
        label: String,
    },
    /// A PEM of another kind (a certificate, say) was given.
    #[error("webhook public key has PEM label {label}; expected PUBLIC KEY")]
    NotPublicKey {
        /// The PEM label found.
        label: String,
    },
    /// The PEM holds a public key, but not an RSA one usable for RS256.
    #[error("webhook public key is not an RSA public key: {reason}")]
    NotRsa {
        /// The parser's complaint.
        reason: String,
    },
}

impl WebhookKey {
    /// Loads the app's public key as Wix's app dashboard gives it: an SPKI PEM
    /// (`-----BEGIN PUBLIC KEY-----`), or that PEM base64-encoded on one line.
    ///
    /// Like Wix's SDK, text without a line break is taken as base64 of the PEM. Beyond the
    /// SDK, a PEM squeezed onto one line (with literal `\n` escapes, as `.env` files hold
    /// it, or with none at all) is accepted too.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        let pem = if text.contains("-----BEGIN") { text.replace("\\n", "\n") } else { decode_base64_pem(text)? };
        let (label, der_base64) = split_pem(&pem)?;
        match label {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
            label if label.contains("PRIVATE") => return Err(KeyError::PrivateKey { label: label.to_owned() }),
            label => return Err(KeyError::NotPublicKey { label: label.to_owned() }),
        }
        // Re-wrapped canonically, so that only the key itself can fail below.
        let canonical = wrap_pem(label, &der_base64);
        let key = DecodingKey::from_rsa_pem(canonical.as_bytes())
            .map_err(|error| KeyError::NotRsa { reason: error.to_string() })?;

        Ok(Self { key })
    }

    /// Verifies a compact JWT and returns its claims.
    ///
    /// Rejects any algorithm but RS256 (checked on the header before the signature), a
    /// signature that does not match this key, and a missing or past `exp`. The claims
    /// are parsed once, after the signature holds: they carry the whole event, and
    /// `jsonwebtoken::decode` would parse them twice.
    pub fn verify(&self, token: &str) -> Result<Map<String, Value>, WebhookError> {
        // A trailing newline from a proxy or a test file is not part of the token.
        let token = token.trim();
        check_header(token)?;
        let (message, signature) = token.rsplit_once('.').ok_or_else(|| WebhookError::Malformed {
            reason: "expected three dot-separated parts (header.claims.signature)".to_owned(),
        })?;
        let valid = jsonwebtoken::crypto::verify(signature, message.as_bytes(), &self.key, Algorithm::RS256)
            .map_err(webhook_error)?;
        if !valid {
            return Err(WebhookError::Signature);
        }
        let claims = message.split_once('.').map(|(_, claims)| claims).unwrap_or_default();
        let claims = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|error| WebhookError::Malformed { reason: format!("the claims are not base64url ({error})") })?;
        let claims: Map<String, Value> = serde_json::from_slice(&claims).map_err(|error| WebhookError::Claims {
            layer: "claims",
            reason: format!("not a JSON object ({error})"),
        })?;
        check_expiry(&claims)?;
        Ok(claims)
    }
}

/// `exp` is required, a number of seconds since the epoch, and not in the past beyond
/// the allowed clock skew.
fn check_expiry(claims: &Map<String, Value>) -> Result<(), WebhookError> {
    let claim_error = |reason: &str| WebhookError::Claims { layer: "claims", reason: reason.to_owned() };
    let exp = match claims.get("exp") {
        None => return Err(claim_error("required claim `exp` is missing")),
        Some(exp) => exp.as_f64().ok_or_else(|| claim_error("claim `exp` has the wrong type"))?,
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|since| since.as_secs_f64());
    // A clock before 1970 is a broken machine; treat every token as expired then.
    let now = now.unwrap_or(f64::INFINITY);
    if exp + (CLOCK_SKEW_LEEWAY_SECS as f64) < now {
        Err(WebhookError::Expired)
    } else {
        Ok(())
    }
}

fn decode_base64_pem(text: &str) -> Result<String, KeyError> {
    let compact: String = text.split_ascii_whitespace().collect();
    let bytes = STANDARD
        .decode(compact.as_bytes())
        .map_err(|error| KeyError::NotPem { reason: format!("no -----BEGIN line, and not base64 ({error})") })?;
    let pem = String::from_utf8(bytes)
        .map_err(|_| KeyError::NotPem { reason: "its base64 does not decode to text".to_owned() })?;
    if pem.contains("-----BEGIN") {
        Ok(pem)
    } else {
        Err(KeyError::NotPem { reason: "its base64 decodes to text without a -----BEGIN line".to_owned() })
    }
}

/// The label and the base64 body (whitespace removed) of the first PEM block.
fn split_pem(pem: &str) -> Result<(&str, String), KeyError> {
    let not_pem = |reason: &str| KeyError::NotPem { reason: reason.to_owned() };
    let (_, rest) = pem.split_once("-----BEGIN ").ok_or_else(|| not_pem("no -----BEGIN line"))?;
    let (label, rest) = rest.split_once("-----").ok_or_else(|| not_pem("unterminated -----BEGIN line"))?;
    let end = format!("-----END {label}-----");
    let (body, _) = rest.split_once(&end).ok_or_else(|| not_pem(&format!("no {end} line")))?;
    let body: String = body.split_whitespace().collect();
    if body.is_empty() {
        return Err(not_pem("the PEM block is empty"));
    }
    Ok((label, body))
}

fn wrap_pem(label: &str, body: &str) -> String {
    let mut pem = format!("-----BEGIN {label}-----\n");
    // Bodies are base64, hence ASCII: splitting bytes keeps whole characters.
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// Refuses anything but `alg: RS256` before the token reaches the crypto library.
fn check_header(token: &str) -> Result<(), WebhookError> {
    let malformed = |reason: String| WebhookError::Malformed { reason };
    let mut parts = token.split('.');
    let (Some(header), Some(_claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("expected three dot-separated parts (header.claims.signature)".to_owned()));
    };
    let header =
        URL_SAFE_NO_PAD.decode(header).map_err(|error| malformed(format!("the header is not base64url ({error})")))?;
    let header: Value =
        serde_json::from_slice(&header).map_err(|error| malformed(format!("the header is not JSON ({error})")))?;
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => Ok(()),
        Some(Value::String(alg)) => Err(WebhookError::Algorithm { found: alg.clone() }),
        Some(other) => Err(WebhookError::Algorithm { found: other.to_string() }),
        None => Err(WebhookError::Algorithm { found: "<missing>".to_owned() }),
    }
}

fn webhook_error(error: jsonwebtoken::errors::Error) -> WebhookError {
    match error.kind() {
        ErrorKind::InvalidSignature => WebhookError::Signature,
        ErrorKind::ExpiredSignature => WebhookError::Expired,
        ErrorKind::MissingRequiredClaim(claim) => {
            WebhookError::Claims { layer: "claims", reason: format!("required claim `{claim}` is missing") }
        }
        ErrorKind::InvalidClaimFormat(claim) => {
            WebhookError::Claims { layer: "claims", reason: format!("claim `{claim}` has the wrong type") }
        }
        // The header was parsed above, so a JSON error here is about the claims.
        ErrorKind::Json(json) => {
            WebhookError::Claims { layer: "claims", reason: format!("not a JSON object ({json})") }
        }
        ErrorKind::InvalidAlgorithm => WebhookError::Algorithm { found: "RS256 with a key that is not RSA".to_owned() },
        _ => WebhookError::Malformed { reason: error.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{TestAlg, TestSigner};
    use serde_json::json;
    use std::sync::OnceLock;

    /// RSA key generation is slow in debug builds: one signer for all tests.
    fn signer() -> &'static TestSigner {
        static SIGNER: OnceLock<TestSigner> = OnceLock::new();
        SIGNER.get_or_init(TestSigner::generate)
    }

    fn key() -> WebhookKey {
        WebhookKey::from_pem(signer().public_key_pem()).unwrap()
    }

    fn claims(exp_offset: i64) -> Value {
        let now = crate::testing::now() as i64;
        json!({"data": "{}", "iat": now, "exp": now + exp_offset})
    }

    #[test]
    fn verifies_rs256_and_returns_claims() {
        let token = signer().sign_claims(&claims(300), TestAlg::Rs256);
        let verified = key().verify(&token).unwrap();
        assert_eq!(verified.get("data"), Some(&json!("{}")));
    }

    #[test]
    fn accepts_surrounding_whitespace() {
        let token = signer().sign_claims(&claims(300), TestAlg::Rs256);
        assert!(key().verify(&format!("{token}\n")).is_ok());
    }

    #[test]
    fn rejects_token_signed_by_another_key() {
        let other = TestSigner::generate();
        let token = other.sign_claims(&claims(300), TestAlg::Rs256);
        assert!(matches!(key().verify(&token), Err(WebhookError::Signature)));
    }

    #[test]
    fn rejects_altered_claims() {
        let token = signer().sign_claims(&claims(300), TestAlg::Rs256);
        let forged_claims = URL_SAFE_NO_PAD.encode(br#"{"data":"{\"x\":1}","exp":99999999999}"#);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
        assert!(matches!(key().verify(&forged), Err(WebhookError::Signature)));
    }

    #[test]
    fn rejects_alg_none() {
        let token = signer().sign_claims(&claims(300), TestAlg::Unsigned);
        let error = key().verify(&token).unwrap_err();
        assert!(matches!(&error, WebhookError::Algorithm { found } if found == "none"));
        assert_eq!(error.to_string(), "webhook JWT uses algorithm none; Wix signs webhooks with RS256 only");
    }

    #[test]
    fn rejects_hs256_keyed_with_the_public_key() {
        let secret = signer().public_key_pem().as_bytes().to_vec();
        let token = signer().sign_claims(&claims(300), TestAlg::Hs256(secret));
        assert!(matches!(
            key().verify(&token),
            Err(WebhookError::Algorithm { found }) if found == "HS256"
        ));
    }

    #[test]
    fn rejects_other_and_missing_algorithms() {
        let token = signer().sign_claims(&claims(300), TestAlg::Header(json!({"alg": "RS512"})));
        assert!(matches!(key().verify(&token), Err(WebhookError::Algorithm { found }) if found == "RS512"));
        let token = signer().sign_claims(&claims(300), TestAlg::Header(json!({"typ": "JWT"})));
        assert!(matches!(key().verify(&token), Err(WebhookError::Algorithm { found }) if found == "<missing>"));
    }

    #[test]
    fn rejects_expired_token() {
        let token = signer().sign_claims(&claims(-3600), TestAlg::Rs256);
        let error = key().verify(&token).unwrap_err();
        assert!(matches!(error, WebhookError::Expired), "{error}");
    }

    #[test]
    fn tolerates_small_clock_skew() {
        let token = signer().sign_claims(&claims(-5), TestAlg::Rs256);
        assert!(key().verify(&token).is_ok());
    }

    #[test]
    fn requires_exp() {
        let token = signer().sign_claims(&json!({"data": "{}", "iat": 1}), TestAlg::Rs256);
        let error = key().verify(&token).unwrap_err();
        assert_eq!(error.to_string(), "webhook claims: required claim `exp` is missing");
    }

    #[test]
    fn rejects_exp_of_wrong_type() {
        let token = signer().sign_claims(&json!({"data": "{}", "exp": "soon"}), TestAlg::Rs256);
        assert!(matches!(key().verify(&token), Err(WebhookError::Claims { layer: "claims", .. })));
    }

    #[test]
    fn rejects_claims_that_are_not_an_object() {
        let token = signer().sign_claims(&json!([1, 2]), TestAlg::Rs256);
        assert!(matches!(key().verify(&token), Err(WebhookError::Claims { layer: "claims", .. })));
    }

    #[test]
    fn rejects_malformed_tokens() {
        for token in ["", "abc", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.sig"] {
            let error = key().verify(token).unwrap_err();
            assert!(
                matches!(error, WebhookError::Malformed { .. } | WebhookError::Algorithm { .. }),
                "{token}: {error}"
            );
        }
        let not_json = format!("{}.e30.sig", URL_SAFE_NO_PAD.encode("nope"));
        assert!(matches!(key().verify(&not_json), Err(WebhookError::Malformed { .. })));
    }

    #[test]
    fn rejects_rs256_header_with_garbage_signature() {
        let token = signer().sign_claims(&claims(300), TestAlg::Rs256);
        let (unsigned, _) = token.rsplit_once('.').unwrap();
        let garbage = format!("{unsigned}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]));
        assert!(matches!(key().verify(&garbage), Err(WebhookError::Signature)));
        let not_base64 = format!("{unsigned}.***");
        assert!(key().verify(&not_base64).is_err());
    }

    #[test]
    fn key_from_base64_encoded_pem() {
        let encoded = STANDARD.encode(signer().public_key_pem());
        let key = WebhookKey::from_pem(&encoded).unwrap();
        let token = signer().sign_claims(&claims(300), TestAlg::Rs256);
        assert!(key.verify(&token).is_ok());
    }

    #[test]
    fn key_from_one_line_pem_with_escaped_newlines_or_none() {
        let pem = signer().public_key_pem();
        let token = signer().sign_claims(&claims(300), TestAlg::Rs256);
        for text in [pem.replace('\n', "\\n"), pem.replace('\n', ""), pem.replace('\n', "\r\n")] {
            let key = WebhookKey::from_pem(&text).unwrap();
            assert!(key.verify(&token).is_ok(), "{text}");
        }
    }

    #[test]
    fn key_errors_say_what_is_wrong() {
        assert!(matches!(WebhookKey::from_pem("  \n"), Err(KeyError::Empty)));
        assert!(matches!(WebhookKey::from_pem("not base64 at all!"), Err(KeyError::NotPem { .. })));
        let text_without_pem = STANDARD.encode("hello");
        assert!(matches!(WebhookKey::from_pem(&text_without_pem), Err(KeyError::NotPem { .. })));
        assert!(matches!(
            WebhookKey::from_pem("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"),
            Err(KeyError::PrivateKey { .. })
        ));
        assert!(matches!(
            WebhookKey::from_pem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"),
            Err(KeyError::NotPublicKey { .. })
        ));
        assert!(matches!(WebhookKey::from_pem("-----BEGIN PUBLIC KEY-----\nMIIB\n"), Err(KeyError::NotPem { .. })));
        assert!(matches!(
            WebhookKey::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(KeyError::NotRsa { .. })
        ));
    }

    #[test]
    fn debug_does_not_dump_the_key() {
        assert_eq!(format!("{:?}", key()), "WebhookKey { algorithm: \"RS256\", .. }");
    }
}
