//! The outer webhook layer: the request body is a compact JWT signed by Wix with RS256.
//!
//! The header is checked by hand before any cryptography, so that `alg: none`, HS256
//! (the classic "public key as HMAC secret" forgery) and anything else are refused with a
//! message naming the algorithm; the signature is then verified with aws-lc-rs against a
//! key parsed once at start-up (parsing it per request cost as much as the RSA check
//! itself), and the time claims (`exp`, `nbf`, `iat`) are checked last.

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::WebhookError;

/// How far past `exp`, or before `nbf` and `iat`, a token is still accepted, for clock
/// skew between Wix and us.
const CLOCK_SKEW_LEEWAY_SECS: f64 = 60.0;

/// The longest a token may stay valid from now. Wix's tokens live 300,000 s (about 3.5
/// days, the span of the sample token in its docs); a token claiming more (`exp: 1e308`)
/// would never expire, so it is refused.
pub const MAX_TOKEN_LIFETIME_SECS: f64 = 30.0 * 24.0 * 3600.0;

/// The app's webhook public key, parsed once at start-up and reused for every request.
#[derive(Clone)]
pub struct WebhookKey {
    key: ParsedPublicKey,
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
        let der = STANDARD
            .decode(der_base64.as_bytes())
            .map_err(|error| KeyError::NotPem { reason: format!("the PEM body is not base64 ({error})") })?;
        // SPKI (`PUBLIC KEY`) and PKCS#1 (`RSA PUBLIC KEY`) DER are both accepted here.
        let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der)
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
        self.verify_at_secs(token, now())
    }

    /// [`WebhookKey::verify`] as if the clock read `at` (seconds since the epoch): to check
    /// a token saved earlier, such as a sample in the docs, at the time it was issued.
    pub fn verify_at(&self, token: &str, at: u64) -> Result<Map<String, Value>, WebhookError> {
        // Seconds since the epoch fit an f64 exactly until the year 285 million.
        self.verify_at_secs(token, at as f64)
    }

    fn verify_at_secs(&self, token: &str, now: f64) -> Result<Map<String, Value>, WebhookError> {
        // A trailing newline from a proxy or a test file is not part of the token.
        let token = token.trim();
        check_header(token)?;
        let (message, signature) = token.rsplit_once('.').ok_or_else(|| WebhookError::Malformed {
            reason: "expected three dot-separated parts (header.claims.signature)".to_owned(),
        })?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|error| WebhookError::Malformed { reason: format!("the signature is not base64url ({error})") })?;
        self.key.verify_sig(message.as_bytes(), &signature).map_err(|_| WebhookError::Signature)?;
        let claims = message.split_once('.').map(|(_, claims)| claims).unwrap_or_default();
        let claims = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|error| WebhookError::Malformed { reason: format!("the claims are not base64url ({error})") })?;
        let claims: Map<String, Value> = serde_json::from_slice(&claims).map_err(|error| WebhookError::Claims {
            layer: "claims",
            reason: format!("not a JSON object ({error})"),
        })?;
        check_time_claims(&claims, now)?;
        Ok(claims)
    }
}

/// Seconds since the epoch; a clock before 1970 is a broken machine, and every token
/// then counts as expired.
fn now() -> f64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map(|since| since.as_secs_f64()).unwrap_or(f64::INFINITY)
}

/// The time claims, against `now` (seconds since the epoch):
/// - `exp` is required, a finite number, not in the past beyond the allowed skew, and not
///   further ahead than [`MAX_TOKEN_LIFETIME_SECS`];
/// - `nbf`, when present, is not in the future beyond the skew;
/// - `iat`, when present, is not in the future beyond the skew.
fn check_time_claims(claims: &Map<String, Value>, now: f64) -> Result<(), WebhookError> {
    let claim_error = |reason: String| WebhookError::Claims { layer: "claims", reason };
    let time = |name: &str| -> Result<Option<f64>, WebhookError> {
        match claims.get(name) {
            None => Ok(None),
            Some(value) => match value.as_f64().filter(|seconds| seconds.is_finite()) {
                Some(seconds) => Ok(Some(seconds)),
                None => Err(claim_error(format!("claim `{name}` has the wrong type"))),
            },
        }
    };
    let exp = time("exp")?.ok_or_else(|| claim_error("required claim `exp` is missing".to_owned()))?;
    if exp + CLOCK_SKEW_LEEWAY_SECS < now {
        return Err(WebhookError::Expired);
    }
    if exp > now + MAX_TOKEN_LIFETIME_SECS {
        return Err(WebhookError::NotYetValid { reason: "its exp claim lies too far in the future" });
    }
    if time("nbf")?.is_some_and(|nbf| nbf > now + CLOCK_SKEW_LEEWAY_SECS) {
        return Err(WebhookError::NotYetValid { reason: "its nbf claim is in the future" });
    }
    if time("iat")?.is_some_and(|iat| iat > now + CLOCK_SKEW_LEEWAY_SECS) {
        return Err(WebhookError::NotYetValid { reason: "its iat claim is in the future" });
    }
    Ok(())
}

/// Unix seconds until which a token with these claims verifies: `exp` plus the clock
/// leeway, rounded up; `None` without a usable `exp` (which [`WebhookKey::verify`] refuses).
pub(crate) fn replayable_until(claims: &Map<String, Value>) -> Option<i64> {
    let exp = claims.get("exp")?.as_f64().filter(|exp| exp.is_finite())?;
    // Saturating float-to-int conversion; verified tokens have a bounded `exp` anyway.
    Some((exp + CLOCK_SKEW_LEEWAY_SECS).ceil() as i64)
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
    fn rejects_tokens_not_valid_yet_or_never_expiring() {
        let now = crate::testing::now() as i64;
        let cases = [
            ("nbf in the future", json!({"data": "{}", "exp": now + 600, "nbf": now + 300}), "nbf"),
            ("iat in the future", json!({"data": "{}", "exp": now + 600, "iat": now + 300}), "iat"),
            ("exp never ends", json!({"data": "{}", "exp": 1e308}), "too far"),
        ];
        for (case, claims, expected) in cases {
            let token = signer().sign_claims(&claims, TestAlg::Rs256);
            match key().verify(&token) {
                Err(WebhookError::NotYetValid { reason }) => assert!(reason.contains(expected), "{case}: {reason}"),
                other => panic!("{case}: {other:?}"),
            }
        }
    }

    #[test]
    fn time_claims_within_the_skew_or_the_lifetime_pass() {
        let now = crate::testing::now() as f64;
        let claims = |extra: Value| {
            let mut claims = Map::new();
            claims.insert("exp".into(), json!(now + 300_000.0));
            if let Value::Object(extra) = extra {
                claims.extend(extra);
            }
            claims
        };
        assert!(check_time_claims(&claims(json!({"nbf": now + 30.0, "iat": now + 30.0})), now).is_ok());
        assert!(check_time_claims(&claims(json!({"nbf": now - 5.0, "iat": now - 5.0})), now).is_ok());
        let lifetime = claims(json!({"exp": now + MAX_TOKEN_LIFETIME_SECS - 1.0}));
        assert!(check_time_claims(&lifetime, now).is_ok());
        let not_a_number = claims(json!({"nbf": "soon"}));
        assert!(matches!(check_time_claims(&not_a_number, now), Err(WebhookError::Claims { .. })));
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
