//! Authenticates Velo events forwarded by a site to this backend.
//!
//! A site's `backend/events.js` forwards each event over HTTP. Velo gives it no Wix
//! signature to pass on, so the site signs the raw body itself with a secret shared with
//! this backend: HMAC-SHA256, sent as `x-wix-events-signature: sha256=<lowercase hex>`.

use hmac::{KeyInit as _, Mac as _};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The request header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-wix-events-signature";

/// The scheme prefix of the header value, naming the MAC, so it can change later.
const SCHEME: &str = "sha256=";

/// Length of an HMAC-SHA256 tag in bytes.
const TAG_LEN: usize = 32;

/// The secret shared between the Velo site and this backend.
#[derive(Clone)]
pub struct VeloSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for VeloSecret {
    // Never print the secret: Debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VeloSecret(..)")
    }
}

/// Why a forwarded Velo event was not accepted as coming from the site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VeloAuthError {
    /// The request has no `x-wix-events-signature` header.
    #[error("missing {SIGNATURE_HEADER} header: the site must sign forwarded events")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("malformed {SIGNATURE_HEADER} header: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The signature does not match the body: another secret, or an altered body.
    #[error("{SIGNATURE_HEADER} does not match the body (wrong secret, or the body was altered)")]
    Mismatch,
}

impl VeloSecret {
    /// Wraps the shared secret (any bytes; use at least 32 random ones).
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self { key: secret.as_ref().to_vec() }
    }

    /// The header value for `body`: `sha256=<lowercase hex>`. What the site computes.
    pub fn sign(&self, body: &[u8]) -> String {
        let tag = self.mac(body).finalize().into_bytes();
        let mut value = String::with_capacity(SCHEME.len() + 2 * TAG_LEN);
        value.push_str(SCHEME);
        for byte in tag.iter() {
            value.push(HEX_DIGITS[usize::from(byte >> 4)]);
            value.push(HEX_DIGITS[usize::from(byte & 0x0f)]);
        }
        value
    }

    /// Checks the header value against the raw body, in constant time.
    pub fn verify(&self, body: &[u8], header_value: Option<&str>) -> Result<(), VeloAuthError> {
        let header_value = header_value.ok_or(VeloAuthError::Missing)?;
        let tag = parse_header(header_value.trim())?;
        self.mac(body).verify_slice(&tag).map_err(|_| VeloAuthError::Mismatch)
    }

    fn mac(&self, body: &[u8]) -> HmacSha256 {
        // HMAC takes keys of any length (long ones are hashed), so this cannot fail; the
        // fallback keeps the function total without a panic path.
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
        mac.update(body);
        mac
    }
}

const HEX_DIGITS: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];

fn parse_header(value: &str) -> Result<[u8; TAG_LEN], VeloAuthError> {
    let malformed = |reason| VeloAuthError::Malformed { reason };
    let hex = value.strip_prefix(SCHEME).ok_or(malformed("expected `sha256=<hex>`"))?;
    if hex.len() != 2 * TAG_LEN {
        return Err(malformed("expected 64 hex digits after `sha256=`"));
    }
    let mut tag = [0u8; TAG_LEN];
    for (byte, pair) in tag.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let high = hex_value(pair[0]).ok_or(malformed("not a hex digit"))?;
        let low = hex_value(pair[1]).ok_or(malformed("not a hex digit"))?;
        *byte = (high << 4) | low;
    }
    Ok(tag)
}

/// Upper case is accepted too: only the value matters, and some tools print it so.
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"metadata":{"id":"e-1"},"entity":{"_id":"c-1"}}"#;

    #[test]
    fn sign_matches_rfc_4231_test_case_2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?".
        let secret = VeloSecret::new("Jefe");
        assert_eq!(
            secret.sign(b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_own_signature() {
        let secret = VeloSecret::new(b"s3cret-s3cret-s3cret-s3cret-s3cret");
        let header = secret.sign(BODY);
        assert_eq!(secret.verify(BODY, Some(&header)), Ok(()));
        assert_eq!(secret.verify(BODY, Some(&format!(" {header}\r\n"))), Ok(()));
        assert_eq!(secret.verify(BODY, Some(&header.to_uppercase().replace("SHA256=", "sha256="))), Ok(()));
    }

    #[test]
    fn missing_header() {
        let secret = VeloSecret::new("k");
        assert_eq!(secret.verify(BODY, None), Err(VeloAuthError::Missing));
    }

    #[test]
    fn malformed_headers() {
        let secret = VeloSecret::new("k");
        let good_hex = &secret.sign(BODY)[SCHEME.len()..];
        let cases = [
            good_hex.to_owned(),
            format!("sha1={good_hex}"),
            "sha256=".to_owned(),
            format!("sha256={}", &good_hex[..62]),
            format!("sha256={good_hex}00"),
            format!("sha256=zz{}", &good_hex[2..]),
            format!("sha256=é{}", &good_hex[2..]),
        ];
        for header in cases {
            assert!(matches!(secret.verify(BODY, Some(&header)), Err(VeloAuthError::Malformed { .. })), "{header}");
        }
    }

    #[test]
    fn wrong_secret_or_altered_body_is_a_mismatch() {
        let header = VeloSecret::new("one").sign(BODY);
        assert_eq!(VeloSecret::new("two").verify(BODY, Some(&header)), Err(VeloAuthError::Mismatch));
        let secret = VeloSecret::new("one");
        assert_eq!(secret.verify(b"{}", Some(&header)), Err(VeloAuthError::Mismatch));
    }

    #[test]
    fn empty_and_long_secrets_work() {
        for key in [Vec::new(), vec![7u8; 200]] {
            let secret = VeloSecret::new(&key);
            let header = secret.sign(BODY);
            assert_eq!(secret.verify(BODY, Some(&header)), Ok(()));
        }
    }

    #[test]
    fn errors_read_well_and_debug_hides_the_secret() {
        assert_eq!(
            VeloAuthError::Missing.to_string(),
            "missing x-wix-events-signature header: the site must sign forwarded events"
        );
        assert_eq!(format!("{:?}", VeloSecret::new("hunter2")), "VeloSecret(..)");
    }
}
