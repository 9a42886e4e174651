//! Authenticates Velo events forwarded by a site to this backend.
//!
//! A site's `backend/events.js` (or a Wix CLI app's event extension) forwards each event
//! over HTTP. Velo gives it no Wix signature to pass on, so the sender signs the request
//! itself with a secret shared with this backend, in one header:
//!
//! ```text
//! x-wix-events-signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]
//! ```
//!
//! `v1` is the lowercase hex HMAC-SHA256, keyed with the secret, of the bytes
//! [`signed_payload`] builds: `"{t}.{velo_handler}.{body}"`, the decimal timestamp, a dot,
//! the Velo handler name the request is posted to (`wixCrm_onContactCreated`), a dot, and
//! the exact body bytes.
//!
//! Why each part is signed: the body alone let a captured `ContactCreated` delivery be
//! posted to `/velo/wixCrm_onContactDeleted` and handled as a deletion (and the genuine
//! delivery then dropped as a duplicate of its id), and let any captured delivery be
//! replayed forever once the deduplication store had forgotten its id. With the handler
//! name signed, a body is only valid for the route it was sent to; with the timestamp
//! signed and checked against a tolerance (default [`DEFAULT_TOLERANCE`]), a capture is
//! only valid for minutes, a window the in-memory deduplication covers.
//!
//! Several `v1` values may be sent, and several secrets accepted ([`VeloSecret::also_accept`]),
//! so that the secret can be rotated without downtime: the service accepts the old and the
//! new secret while the site switches over.

use std::sync::Arc;
use std::time::Duration;

use hmac::{KeyInit as _, Mac as _};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The request header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-wix-events-signature";

/// How far a signature's timestamp may be from this backend's clock, either way, by
/// default: five minutes, enough for clock skew and Velo's own delays, short enough that
/// a replay must come while the deduplication store still remembers the event id.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Length of an HMAC-SHA256 tag in bytes.
const TAG_LEN: usize = 32;

/// At most this many `v1` values are checked, so that a header cannot make the check
/// arbitrarily expensive. Rotation needs two.
const MAX_SIGNATURES: usize = 8;

/// A clock returning Unix seconds; injectable so that tests can move time.
type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The bytes that are MACed: `"{timestamp}.{velo_handler}.{body}"`.
///
/// Velo handler names are identifiers (`wixCrm_onContactCreated`) and the timestamp is
/// decimal digits, so neither can contain a dot and the three parts cannot be confused.
pub fn signed_payload(timestamp: i64, velo_handler: &str, body: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(24 + velo_handler.len() + body.len());
    payload.extend_from_slice(timestamp.to_string().as_bytes());
    payload.push(b'.');
    payload.extend_from_slice(velo_handler.as_bytes());
    payload.push(b'.');
    payload.extend_from_slice(body);
    payload
}

/// The secret(s) shared between the Velo site and this backend, with the tolerance and
/// clock the timestamp is checked against.
#[derive(Clone)]
pub struct VeloSecret {
    /// The first one signs; all are accepted.
    keys: Vec<Vec<u8>>,
    tolerance: Duration,
    clock: Clock,
}

impl std::fmt::Debug for VeloSecret {
    // Never print the secrets: Debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VeloSecret({} secret(s), tolerance {:?})", self.keys.len(), self.tolerance)
    }
}

/// Why a forwarded Velo event was not accepted as coming from the site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VeloAuthError {
    /// The request has no `x-wix-events-signature` header.
    #[error("missing {SIGNATURE_HEADER} header: the site must sign forwarded events")]
    Missing,
    /// The header is not `t=<unix seconds>,v1=<64 hex digits>[,v1=...]`.
    #[error("malformed {SIGNATURE_HEADER} header: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No signature matches: another secret, an altered body or timestamp, or a body
    /// signed for another Velo handler.
    #[error(
        "{SIGNATURE_HEADER} does not match (wrong secret, altered body or timestamp, or signed for another handler)"
    )]
    Mismatch,
    /// The signature is genuine but older than the tolerance: a replay, or a slow clock
    /// on the site.
    #[error(
        "{SIGNATURE_HEADER} timestamp is {age_secs} s old, beyond the tolerance of {tolerance_secs} s (a replay?)"
    )]
    Expired {
        /// How old the timestamp is, in seconds.
        age_secs: u64,
        /// The tolerance in seconds.
        tolerance_secs: u64,
    },
    /// The signature is genuine but its timestamp is ahead of this backend's clock by
    /// more than the tolerance.
    #[error(
        "{SIGNATURE_HEADER} timestamp is {ahead_secs} s in the future, beyond the tolerance of {tolerance_secs} s"
    )]
    Future {
        /// How far ahead the timestamp is, in seconds.
        ahead_secs: u64,
        /// The tolerance in seconds.
        tolerance_secs: u64,
    },
}

impl VeloSecret {
    /// Wraps the shared secret (any bytes; use at least 32 random ones), with the default
    /// tolerance and the system clock.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self { keys: vec![secret.as_ref().to_vec()], tolerance: DEFAULT_TOLERANCE, clock: Arc::new(system_now) }
    }

    /// Also accepts signatures made with `secret` (the previous or the next one while the
    /// secret is rotated). [`Self::sign`] keeps signing with the first.
    pub fn also_accept(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.keys.push(secret.as_ref().to_vec());
        self
    }

    /// How far a timestamp may be from the clock, either way ([`DEFAULT_TOLERANCE`]).
    pub fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// Reads the time (Unix seconds) from `clock` instead of the system clock, for tests.
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The tolerance in use.
    pub fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// The header value for `body` posted to `velo_handler`, timestamped now (by this
    /// secret's clock): what the site computes.
    pub fn sign(&self, velo_handler: &str, body: &[u8]) -> String {
        self.sign_at((self.clock)(), velo_handler, body)
    }

    /// The header value with an explicit timestamp, signed with the first secret.
    pub fn sign_at(&self, timestamp: i64, velo_handler: &str, body: &[u8]) -> String {
        let key = self.keys.first().map(Vec::as_slice).unwrap_or_default();
        let tag = mac(key, &signed_payload(timestamp, velo_handler, body)).finalize().into_bytes();
        let mut value = format!("t={timestamp},v1=");
        for byte in tag.iter() {
            value.push(HEX_DIGITS[usize::from(byte >> 4)]);
            value.push(HEX_DIGITS[usize::from(byte & 0x0f)]);
        }
        value
    }

    /// Checks the header value against the Velo handler name the request was posted to
    /// and the raw body: some `v1` must match under some secret (compared in constant
    /// time), and then the timestamp must be within the tolerance of the clock.
    pub fn verify(&self, velo_handler: &str, body: &[u8], header_value: Option<&str>) -> Result<(), VeloAuthError> {
        self.verify_until(velo_handler, body, header_value).map(|_| ())
    }

    /// [`verify`](Self::verify), returning until when (Unix seconds) this same signature
    /// would still be accepted: its timestamp plus the tolerance. A deduplication store
    /// must remember the event id at least that long.
    pub fn verify_until(
        &self,
        velo_handler: &str,
        body: &[u8],
        header_value: Option<&str>,
    ) -> Result<i64, VeloAuthError> {
        let header_value = header_value.ok_or(VeloAuthError::Missing)?;
        let header = parse_header(header_value.trim())?;
        let payload = signed_payload(header.timestamp, velo_handler, body);
        // Every pair is tried; `verify_slice` compares in constant time, and which pair
        // matched (if any) is all that leaks, which reveals nothing about a secret.
        let genuine =
            self.keys.iter().any(|key| header.tags.iter().any(|tag| mac(key, &payload).verify_slice(tag).is_ok()));
        if !genuine {
            return Err(VeloAuthError::Mismatch);
        }
        // The timestamp is judged only once it is known to be the sender's: a forger's
        // header gets "mismatch", never a hint about the clock.
        let now = (self.clock)();
        let tolerance_secs = self.tolerance.as_secs();
        let age = i128::from(now) - i128::from(header.timestamp);
        let as_secs = |value: i128| u64::try_from(value.unsigned_abs()).unwrap_or(u64::MAX);
        if age > i128::from(tolerance_secs) {
            return Err(VeloAuthError::Expired { age_secs: as_secs(age), tolerance_secs });
        }
        if -age > i128::from(tolerance_secs) {
            return Err(VeloAuthError::Future { ahead_secs: as_secs(age), tolerance_secs });
        }
        Ok(header.timestamp.saturating_add(i64::try_from(tolerance_secs).unwrap_or(i64::MAX)))
    }
}

/// Unix seconds from the system clock; a clock before 1970 reads as 0, which every
/// recent timestamp then exceeds, so signatures are refused as "future" rather than
/// accepted.
fn system_now() -> i64 {
    crate::dedupe::unix_now()
}

fn mac(key: &[u8], payload: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail; the
    // fallback keeps the function total without a panic path.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(payload);
    mac
}

const HEX_DIGITS: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'];

/// A parsed header: its timestamp and the tags to try.
struct Header {
    timestamp: i64,
    tags: Vec<[u8; TAG_LEN]>,
}

fn parse_header(value: &str) -> Result<Header, VeloAuthError> {
    let malformed = |reason| VeloAuthError::Malformed { reason };
    if value.starts_with("sha256=") {
        // The scheme before timestamps and handler names were signed: say how to fix it.
        return Err(malformed(
            "`sha256=` signs the body only and is no longer accepted; regenerate backend/events.js with `wix-events scaffold velo`",
        ));
    }
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in value.split(',') {
        let (key, item) = part.trim().split_once('=').ok_or(malformed("expected `t=<unix seconds>,v1=<hex>`"))?;
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(malformed("more than one `t=`"));
                }
                // Digits only: `i64::from_str` would also take a sign.
                if item.is_empty() || item.len() > 18 || !item.bytes().all(|byte| byte.is_ascii_digit()) {
                    return Err(malformed("`t=` must be Unix seconds"));
                }
                timestamp = Some(item.parse::<i64>().map_err(|_| malformed("`t=` must be Unix seconds"))?);
            }
            "v1" => {
                if tags.len() == MAX_SIGNATURES {
                    return Err(malformed("too many `v1=` signatures"));
                }
                tags.push(parse_tag(item).ok_or(malformed("`v1=` must be 64 hex digits"))?);
            }
            // Other schemes (a future `v2`) are skipped, so that a sender can add one
            // before every receiver understands it.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(malformed("no `t=` timestamp"))?;
    if tags.is_empty() {
        return Err(malformed("no `v1=` signature"));
    }
    Ok(Header { timestamp, tags })
}

fn parse_tag(hex: &str) -> Option<[u8; TAG_LEN]> {
    if hex.len() != 2 * TAG_LEN {
        return None;
    }
    let mut tag = [0u8; TAG_LEN];
    for (byte, pair) in tag.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        *byte = (hex_value(pair[0])? << 4) | hex_value(pair[1])?;
    }
    Some(tag)
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
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    const BODY: &[u8] = br#"{"metadata":{"id":"e-1"},"entity":{"_id":"c-1"}}"#;
    const HANDLER: &str = "wixCrm_onContactCreated";
    const NOW: i64 = 1_700_000_000;

    /// A secret whose clock reads `NOW + offset`.
    fn at(secret: &str, offset: i64) -> VeloSecret {
        VeloSecret::new(secret).with_clock(move || NOW + offset)
    }

    #[test]
    fn signs_the_documented_string() {
        // HMAC-SHA256("Jefe", "1700000000.wixCrm_onContactCreated.what do ya want for nothing?"),
        // computed independently with `openssl dgst -sha256 -hmac Jefe`.
        let secret = at("Jefe", 0);
        assert_eq!(
            secret.sign(HANDLER, b"what do ya want for nothing?"),
            "t=1700000000,v1=a9d63902a2f36646e5a096e2ea9571dd19d58cbf88772b99eb23fbd7337574cd"
        );
        assert_eq!(signed_payload(7, "h", b"{}"), b"7.h.{}");
    }

    #[test]
    fn verify_accepts_own_signature_with_whitespace_and_upper_case() {
        let secret = at("s3cret-s3cret-s3cret-s3cret-s3cret", 0);
        let header = secret.sign(HANDLER, BODY);
        assert_eq!(secret.verify(HANDLER, BODY, Some(&header)), Ok(()));
        assert_eq!(secret.verify(HANDLER, BODY, Some(&format!(" {header}\r\n"))), Ok(()));
        let upper = header.replace(",v1=", ",V1=").to_uppercase().replace(",V1=", ",v1=").replace("T=", "t=");
        assert_eq!(secret.verify(HANDLER, BODY, Some(&upper)), Ok(()));
        assert_eq!(secret.verify(HANDLER, BODY, Some(&header.replace(',', " , "))), Ok(()));
    }

    #[test]
    fn a_body_signed_for_another_handler_is_refused() {
        let secret = at("k", 0);
        let header = secret.sign("wixCrm_onContactCreated", BODY);
        assert_eq!(secret.verify("wixCrm_onContactDeleted", BODY, Some(&header)), Err(VeloAuthError::Mismatch));
    }

    #[test]
    fn stale_and_future_timestamps_are_refused_beyond_the_tolerance() {
        let offset = Arc::new(AtomicI64::new(0));
        let clock = Arc::clone(&offset);
        let secret = VeloSecret::new("k").with_clock(move || NOW + clock.load(Ordering::SeqCst));
        let header = secret.sign(HANDLER, BODY);
        for (shift, expected) in [
            (0, Ok(())),
            (300, Ok(())),
            (-300, Ok(())),
            (301, Err(VeloAuthError::Expired { age_secs: 301, tolerance_secs: 300 })),
            (-301, Err(VeloAuthError::Future { ahead_secs: 301, tolerance_secs: 300 })),
            (86_400 * 365, Err(VeloAuthError::Expired { age_secs: 86_400 * 365, tolerance_secs: 300 })),
        ] {
            offset.store(shift, Ordering::SeqCst);
            assert_eq!(secret.verify(HANDLER, BODY, Some(&header)), expected, "clock moved by {shift} s");
        }
        let strict = secret.clone().with_tolerance(Duration::from_secs(10));
        offset.store(11, Ordering::SeqCst);
        assert_eq!(
            strict.verify(HANDLER, BODY, Some(&header)),
            Err(VeloAuthError::Expired { age_secs: 11, tolerance_secs: 10 })
        );
    }

    #[test]
    fn a_forged_stale_header_is_a_mismatch_not_a_clock_hint() {
        let header = at("other", -10_000).sign(HANDLER, BODY);
        assert_eq!(at("k", 0).verify(HANDLER, BODY, Some(&header)), Err(VeloAuthError::Mismatch));
    }

    #[test]
    fn rotation_accepts_every_configured_secret_and_every_v1() {
        let rotating = at("new", 0).also_accept("old");
        let by_old = at("old", 0).sign(HANDLER, BODY);
        let by_new = at("new", 0).sign(HANDLER, BODY);
        assert_eq!(rotating.verify(HANDLER, BODY, Some(&by_old)), Ok(()));
        assert_eq!(rotating.verify(HANDLER, BODY, Some(&by_new)), Ok(()));
        assert_eq!(rotating.sign(HANDLER, BODY), by_new, "the first secret signs");
        // A sender signing with both during the switch: one matching v1 is enough.
        let unknown = at("unknown", 0).sign(HANDLER, BODY);
        let (_, unknown_tag) = unknown.split_once(",v1=").unwrap();
        let both = format!("{by_old},v1={unknown_tag}");
        assert_eq!(at("old", 0).verify(HANDLER, BODY, Some(&both)), Ok(()));
        assert_eq!(at("new", 0).verify(HANDLER, BODY, Some(&unknown)), Err(VeloAuthError::Mismatch));
    }

    #[test]
    fn missing_header() {
        assert_eq!(at("k", 0).verify(HANDLER, BODY, None), Err(VeloAuthError::Missing));
    }

    #[test]
    fn malformed_headers() {
        let secret = at("k", 0);
        let good = secret.sign(HANDLER, BODY);
        let (_, hex) = good.split_once(",v1=").unwrap();
        let too_many = std::iter::repeat_n(format!("v1={hex}"), MAX_SIGNATURES + 1).collect::<Vec<_>>().join(",");
        let cases = [
            hex.to_owned(),
            format!("sha256={hex}"),
            format!("v1={hex}"),
            format!("t={NOW}"),
            format!("t={NOW},v1="),
            format!("t={NOW},v1={}", &hex[..62]),
            format!("t={NOW},v1={hex}00"),
            format!("t={NOW},v1=zz{}", &hex[2..]),
            format!("t={NOW},v1=é{}", &hex[2..]),
            format!("t=-{NOW},v1={hex}"),
            format!("t=+{NOW},v1={hex}"),
            format!("t=,v1={hex}"),
            format!("t=99999999999999999999,v1={hex}"),
            format!("t={NOW},t={NOW},v1={hex}"),
            format!("t={NOW};v1={hex}"),
            format!("t={NOW},{too_many}"),
            String::new(),
        ];
        for header in cases {
            assert!(
                matches!(secret.verify(HANDLER, BODY, Some(&header)), Err(VeloAuthError::Malformed { .. })),
                "{header}"
            );
        }
        // Unknown schemes next to v1 are skipped.
        assert_eq!(secret.verify(HANDLER, BODY, Some(&format!("{good},v2=abc"))), Ok(()));
    }

    #[test]
    fn wrong_secret_or_altered_body_or_timestamp_is_a_mismatch() {
        let header = at("one", 0).sign(HANDLER, BODY);
        assert_eq!(at("two", 0).verify(HANDLER, BODY, Some(&header)), Err(VeloAuthError::Mismatch));
        assert_eq!(at("one", 0).verify(HANDLER, b"{}", Some(&header)), Err(VeloAuthError::Mismatch));
        let shifted = header.replacen(&format!("t={NOW}"), &format!("t={}", NOW + 1), 1);
        assert_eq!(at("one", 0).verify(HANDLER, BODY, Some(&shifted)), Err(VeloAuthError::Mismatch));
    }

    #[test]
    fn empty_and_long_secrets_work() {
        for key in [Vec::new(), vec![7u8; 200]] {
            let secret = VeloSecret::new(&key);
            let header = secret.sign(HANDLER, BODY);
            assert_eq!(secret.verify(HANDLER, BODY, Some(&header)), Ok(()));
        }
    }

    #[test]
    fn errors_read_well_and_debug_hides_the_secret() {
        assert_eq!(
            VeloAuthError::Missing.to_string(),
            "missing x-wix-events-signature header: the site must sign forwarded events"
        );
        let debug = format!("{:?}", VeloSecret::new("hunter2").also_accept("hunter3"));
        assert!(!debug.contains("hunter"), "{debug}");
        assert_eq!(debug, "VeloSecret(2 secret(s), tolerance 300s)");
    }
}
