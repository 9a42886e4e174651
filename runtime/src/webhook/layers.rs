//! The layers inside a verified webhook JWT, each one stringified JSON:
//!
//! ```text
//! claims            {data: "<string>", iat, exp}
//! claims.data       {eventType, instanceId, data: "<string>", identity?: "<string>", accountInfo?}
//! claims.data.data  the domain-event body (see `domain_event`)
//! ```
//!
//! Parsed as Wix's SDK parses them (`parseJWT`), with two tolerances the docs call for:
//! `identity` (and the inner `data`) may be given as an object instead of a string.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::domain_event::{self, DomainEventError};
use super::jwt::WebhookKey;
use super::rest_body::RestBody;
use super::shape::WrapperFields;
use super::{json_type, WebhookError};
use crate::decode::Strict;
use crate::error::DecodeError;
use crate::event_info::WebhookBody;
use crate::event_set::EventSet;

/// A verified and unwrapped webhook: the event's name, its context, and the REST body.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    /// `<entityFqdn>_<slug>`, e.g. `wix.contacts.v4.contact_created`: picks the handler.
    pub event_type: String,
    /// The wrapper's context (`instanceId`, `identity`, `accountInfo`), which joins the
    /// event's `metadata`.
    pub wrapper: WrapperFields,
    /// The domain-event body (`{id, entityFqdn, slug, ..., createdEvent | ...}`) as sent:
    /// JSON text, checked to be an object.
    pub body: Box<RawValue>,
    /// Unix seconds until which the token that carried this delivery still verifies (its
    /// `exp` plus the clock leeway): a replay of it is accepted until then, so its event
    /// id must be remembered that long. `None` for a body that came without a token.
    pub replayable_until: Option<i64>,
}

impl WebhookDelivery {
    /// A delivery of a domain-event body alone (no JWT, no wrapper context), as the REST
    /// reference documents it: for tools and tests that decode documented examples
    /// through the same path as the dispatcher.
    pub fn from_body(event_type: &str, body: &str) -> Result<Self, WebhookError> {
        let body = RawValue::from_string(body.trim().to_owned())
            .map_err(|error| claims_error("claims.data.data", format!("not JSON: {error}")))?;
        if !body.get().starts_with('{') {
            return Err(claims_error("claims.data.data", format!("expected a JSON object, got {}", raw_type(&body))));
        }
        Ok(Self { event_type: event_type.to_owned(), wrapper: WrapperFields::default(), body, replayable_until: None })
    }

    /// The domain-event body as a JSON value.
    pub fn body_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(self.body.get())
    }

    /// The Velo/SDK envelope of a domain event (see [`domain_event::to_velo_envelope`]).
    pub fn into_velo_envelope(self) -> Result<Value, DomainEventError> {
        self.velo_envelope(WebhookBody::DomainEvent)
    }

    /// The envelope, built from the body's text: nothing of the delivery is consumed.
    fn velo_envelope(&self, kind: WebhookBody) -> Result<Value, DomainEventError> {
        let invalid = |source| DomainEventError::InvalidJson { field: "body", source };
        // A `Value` keeps the last of a repeated key; the Velo path refuses it, so this does.
        super::unique_keys::check(self.body.get()).map_err(invalid)?;
        let body = self.body_value().map_err(invalid)?;
        match kind {
            WebhookBody::DomainEvent => domain_event::to_velo_envelope(body, Some(&self.event_type), &self.wrapper),
            WebhookBody::Plain => domain_event::plain_to_velo_envelope(body, Some(&self.event_type), &self.wrapper),
        }
    }

    /// The typed event: what its Velo handler would receive.
    ///
    /// The body is decoded straight from its text when it has the usual shape
    /// ([`direct_event`](Self::direct_event)); otherwise, and whenever that fails, through
    /// [`envelope_event`](Self::envelope_event), whose error is the one reported.
    pub fn into_event<E: EventSet>(self) -> Result<E, DecodeError> {
        self.decode(false)
    }

    /// [`into_event`](Self::into_event), failing also on fields the schema does not declare
    /// and naming them all (what [`crate::decode::Strict`] does for Velo events).
    pub fn into_strict_event<E: EventSet>(self) -> Result<E, DecodeError> {
        self.decode(true)
    }

    fn decode<E: EventSet>(self, strict: bool) -> Result<E, DecodeError> {
        // Strict decoding is for tests and tools, not for speed: it takes the reference
        // path, so the fast path is compiled for one decoder per payload type, not two.
        let direct = match strict {
            true => None,
            false => self.direct_event(),
        };
        match direct {
            Some(event) => Ok(event),
            None => self.through_envelope(strict),
        }
    }

    /// The fast path alone: the event decoded straight from the REST text, then the
    /// SDK's renames applied to undeclared keys; `None` for any body it does not take
    /// (an unknown eventType, an unusual shape, any decoding error). Whatever it returns
    /// equals what [`envelope_event`](Self::envelope_event) returns for the same delivery
    /// (the tests and a fuzz target hold the two paths to it), but for one case: a key
    /// repeated inside a part of the body the schema does not declare, which this path
    /// skips unread, as Velo events are decoded, while the reference path refuses every
    /// repeated key.
    pub fn direct_event<E: EventSet>(&self) -> Option<E> {
        // Only domain events have the shape the fast path reads.
        let info = E::by_event_type(&self.event_type).filter(|info| info.webhook_body == WebhookBody::DomainEvent)?;
        let input = RestBody { event_type: &self.event_type, wrapper: &self.wrapper, body: &self.body };
        E::decode(info.velo_handler, input).ok()
    }

    /// The reference path alone: the body turned into the Velo envelope as a
    /// `serde_json::Value`, exactly as Wix's SDK does, then decoded.
    pub fn envelope_event<E: EventSet>(&self) -> Result<E, DecodeError> {
        self.through_envelope(false)
    }

    fn through_envelope<E: EventSet>(&self, strict: bool) -> Result<E, DecodeError> {
        let Some(info) = E::by_event_type(&self.event_type) else {
            return Err(E::unknown_event(&self.event_type));
        };
        let envelope = self.velo_envelope(info.webhook_body)?;
        match strict {
            true => E::decode(info.velo_handler, Strict(envelope)),
            false => E::decode(info.velo_handler, envelope),
        }
    }
}

/// Verifies a webhook request body (the raw JWT) with the app's key and unwraps it.
///
/// Nothing of the payload is trusted before the signature and `exp` have been checked.
pub fn open(body: &[u8], key: &WebhookKey) -> Result<WebhookDelivery, WebhookError> {
    from_claims(&key.verify(token_text(body)?)?)
}

/// [`open`] as if the clock read `at` (seconds since the epoch), for a token saved
/// earlier; a server calls [`open`].
pub fn open_at(body: &[u8], key: &WebhookKey, at: u64) -> Result<WebhookDelivery, WebhookError> {
    from_claims(&key.verify_at(token_text(body)?, at)?)
}

fn token_text(body: &[u8]) -> Result<&str, WebhookError> {
    std::str::from_utf8(body)
        .map_err(|error| WebhookError::Malformed { reason: format!("the request body is not UTF-8 ({error})") })
}

/// The middle layer (`claims.data`), each field as sent, with its `data` (the body) read
/// as `D`: a `String` in the usual case, else raw JSON text.
#[derive(Deserialize)]
#[serde(bound(deserialize = "D: BodyField<'de>"))]
struct Wrapper<D> {
    #[serde(rename = "eventType", default)]
    event_type: Option<Value>,
    #[serde(rename = "instanceId", default)]
    instance_id: Option<Value>,
    #[serde(default = "Option::default", deserialize_with = "BodyField::read")]
    data: Option<D>,
    #[serde(default)]
    identity: Option<Value>,
    #[serde(rename = "accountInfo", default)]
    account_info: Option<Value>,
}

/// How the wrapper's `data` field is read.
trait BodyField<'de>: Sized {
    fn read<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Option<Self>, De::Error>;
}

/// A string, as the SDK sends it: unescaped as it is read, in the wrapper's one pass.
impl<'de> BodyField<'de> for String {
    fn read<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Option<Self>, De::Error> {
        String::deserialize(deserializer).map(Some)
    }
}

/// Anything, as raw text; `null` is kept, to be reported as such.
impl<'de> BodyField<'de> for &'de RawValue {
    fn read<De: serde::Deserializer<'de>>(deserializer: De) -> Result<Option<Self>, De::Error> {
        <&RawValue>::deserialize(deserializer).map(Some)
    }
}

impl<D> Wrapper<D> {
    /// The body, and the wrapper's other fields.
    fn split(self) -> (Option<D>, Wrapper<()>) {
        let Self { event_type, instance_id, data, identity, account_info } = self;
        (data, Wrapper { event_type, instance_id, data: None, identity, account_info })
    }
}

/// Unwraps the claims of an already verified webhook JWT.
///
/// Public for tools that verify the token themselves; a server should call [`open`].
pub fn from_claims(claims: &Map<String, Value>) -> Result<WebhookDelivery, WebhookError> {
    // The SDK insists on a string here (`typeof decoded.data === "string"`).
    let wrapper_text = match claims.get("data") {
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(claims_error("claims", format!("`data` must be a string of JSON, got {}", json_type(other))))
        }
        None => return Err(claims_error("claims", "`data` is missing".to_owned())),
    };
    let (body, wrapper) = wrapper_parts(wrapper_text)?;
    if !body.get().starts_with('{') {
        return Err(claims_error("claims.data.data", format!("expected a JSON object, got {}", raw_type(&body))));
    }

    let event_type = match wrapper.event_type {
        Some(Value::String(event_type)) if !event_type.is_empty() => event_type,
        // Not seen from Wix, but the body names the event too, so it is not lost.
        None => serde_json::from_str(body.get()).ok().and_then(|body| domain_event::event_type_of(&body)).ok_or_else(
            || {
                claims_error(
                    "claims.data",
                    "`eventType` is missing, and the body has no entityFqdn and slug".to_owned(),
                )
            },
        )?,
        Some(other) => {
            return Err(claims_error(
                "claims.data",
                format!("`eventType` must be a non-empty string, got {}", describe(&other)),
            ))
        }
    };
    let instance_id = match wrapper.instance_id {
        Some(Value::String(id)) => Some(id),
        None => None,
        Some(other) => {
            return Err(claims_error(
                "claims.data",
                format!("`instanceId` must be a string, got {}", json_type(&other)),
            ))
        }
    };
    let identity = stringified_object(wrapper.identity, "claims.data.identity")?;
    let account_info = stringified_object(wrapper.account_info, "claims.data.accountInfo")?;

    let replayable_until = super::jwt::replayable_until(claims);
    Ok(WebhookDelivery {
        event_type,
        wrapper: WrapperFields { instance_id, identity, account_info },
        body,
        replayable_until,
    })
}

/// The body of the middle layer, and its other fields. Its `data` is read as a string
/// in the same pass as the rest; any other shape (an inline object, or a wrapper that does
/// not parse that way) is read again as raw JSON, which takes the object or says what is
/// wrong.
fn wrapper_parts(wrapper_text: &str) -> Result<(Box<RawValue>, Wrapper<()>), WebhookError> {
    let invalid_body = |error| claims_error("claims.data.data", format!("invalid JSON: {error}"));
    if let Ok((Some(text), wrapper)) = serde_json::from_str::<Wrapper<String>>(wrapper_text).map(Wrapper::split) {
        return Ok((RawValue::from_string(text).map_err(invalid_body)?, wrapper));
    }
    let (data, wrapper) = serde_json::from_str::<Wrapper<&RawValue>>(wrapper_text)
        .map_err(|error| wrapper_error(wrapper_text, error))?
        .split();
    let body = match data {
        Some(text) if text.get().starts_with('"') => {
            let text: String = serde_json::from_str(text.get())
                .map_err(|error| claims_error("claims.data", format!("invalid `data` string: {error}")))?;
            RawValue::from_string(text).map_err(invalid_body)?
        }
        Some(object) if object.get().starts_with('{') => object.to_owned(),
        Some(other) => {
            return Err(claims_error(
                "claims.data",
                format!("`data` must be a string of JSON, got {}", raw_type(other)),
            ))
        }
        None => return Err(claims_error("claims.data", "`data` is missing".to_owned())),
    };
    Ok((body, wrapper))
}

/// Why the middle layer did not parse: not JSON, not an object, or a field that is.
fn wrapper_error(text: &str, error: serde_json::Error) -> WebhookError {
    match serde_json::from_str::<Value>(text) {
        Err(syntax) => claims_error("claims.data", format!("invalid JSON: {syntax}")),
        Ok(value) if !value.is_object() => {
            claims_error("claims.data", format!("expected a JSON object, got {}", json_type(&value)))
        }
        Ok(_) => claims_error("claims.data", error.to_string()),
    }
}

/// The JSON type of raw JSON text, from its first character.
fn raw_type(value: &RawValue) -> &'static str {
    match value.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// An optional object sent as stringified JSON (the docs' template draws `identity` as an
/// object while saying it is a string, so both are accepted). Absent, `null` and `""`
/// mean "not sent", as the SDK's truthiness test treats them.
fn stringified_object(value: Option<Value>, layer: &'static str) -> Result<Option<Value>, WebhookError> {
    let value = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) if text.is_empty() => return Ok(None),
        Some(Value::String(text)) => parse_json(layer, &text)?,
        Some(value) => value,
    };
    match value {
        Value::Object(_) => Ok(Some(value)),
        other => Err(claims_error(layer, format!("expected a JSON object, got {}", json_type(&other)))),
    }
}

fn parse_json(layer: &'static str, text: &str) -> Result<Value, WebhookError> {
    serde_json::from_str(text).map_err(|error| claims_error(layer, format!("invalid JSON: {error}")))
}

fn claims_error(layer: &'static str, reason: String) -> WebhookError {
    WebhookError::Claims { layer, reason }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{text:?}"),
        other => json_type(other).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{webhook_claims, TestAlg, TestSigner};
    use serde_json::json;
    use std::sync::OnceLock;

    fn signer() -> &'static TestSigner {
        static SIGNER: OnceLock<TestSigner> = OnceLock::new();
        SIGNER.get_or_init(TestSigner::generate)
    }

    fn key() -> WebhookKey {
        WebhookKey::from_pem(signer().public_key_pem()).unwrap()
    }

    fn body() -> Value {
        json!({
            "id": "evt-1",
            "entityFqdn": "wix.contacts.v4.contact",
            "slug": "deleted",
            "entityId": "c-1",
            "deletedEvent": {"movedToTrash": true},
        })
    }

    /// Claims whose `data` is the given wrapper object, stringified.
    fn claims_with(wrapper: Value) -> Map<String, Value> {
        let Value::Object(map) = json!({"data": wrapper.to_string(), "exp": 1}) else { unreachable!() };
        map
    }

    fn error_of(wrapper: Value) -> (&'static str, String) {
        match from_claims(&claims_with(wrapper)) {
            Err(WebhookError::Claims { layer, reason }) => (layer, reason),
            other => panic!("expected a claims error, got {other:?}"),
        }
    }

    #[test]
    fn opens_a_signed_webhook() {
        let identity = json!({"identityType": "WIX_USER", "wixUserId": "u-1"});
        let jwt = signer().sign_webhook("wix.contacts.v4.contact_deleted", "inst-1", &body(), Some(&identity));
        let delivery = open(jwt.as_bytes(), &key()).unwrap();
        assert_eq!(delivery.event_type, "wix.contacts.v4.contact_deleted");
        assert_eq!(delivery.body_value().unwrap(), body());
        assert_eq!(
            delivery.wrapper,
            WrapperFields { instance_id: Some("inst-1".into()), identity: Some(identity), account_info: None }
        );
    }

    #[test]
    fn opens_into_a_velo_envelope() {
        let jwt = signer().sign_webhook("wix.contacts.v4.contact_deleted", "inst-1", &body(), None);
        let envelope = open(jwt.as_bytes(), &key()).unwrap().into_velo_envelope().unwrap();
        assert_eq!(
            envelope,
            json!({"metadata": {
                "instanceId": "inst-1",
                "eventType": "wix.contacts.v4.contact_deleted",
                "id": "evt-1",
                "entityFqdn": "wix.contacts.v4.contact",
                "slug": "deleted",
                "entityId": "c-1",
            }})
        );
    }

    #[test]
    fn signature_is_checked_before_any_layer() {
        let claims = json!({"data": 5, "exp": crate::testing::now() + 60});
        let forged = TestSigner::generate().sign_claims(&claims, TestAlg::Rs256);
        assert!(matches!(open(forged.as_bytes(), &key()), Err(WebhookError::Signature)));
    }

    #[test]
    fn non_utf8_body_is_malformed() {
        assert!(matches!(open(&[0xff, 0xfe], &key()), Err(WebhookError::Malformed { .. })));
    }

    #[test]
    fn claims_data_must_be_a_string() {
        let jwt = signer()
            .sign_claims(&json!({"data": {"eventType": "x"}, "exp": crate::testing::now() + 60}), TestAlg::Rs256);
        let error = open(jwt.as_bytes(), &key()).unwrap_err();
        assert_eq!(error.to_string(), "webhook claims: `data` must be a string of JSON, got an object");
        let Value::Object(no_data) = json!({"exp": 1}) else { unreachable!() };
        assert!(matches!(from_claims(&no_data), Err(WebhookError::Claims { layer: "claims", .. })));
    }

    #[test]
    fn claims_data_must_be_a_json_object() {
        let Value::Object(claims) = json!({"data": "{not json"}) else { unreachable!() };
        let error = from_claims(&claims).unwrap_err();
        assert!(error.to_string().starts_with("webhook claims.data: invalid JSON: "), "{error}");
        let Value::Object(claims) = json!({"data": "[1]"}) else { unreachable!() };
        assert!(matches!(from_claims(&claims), Err(WebhookError::Claims { layer: "claims.data", .. })));
    }

    #[test]
    fn inner_data_is_parsed_and_must_be_an_object() {
        let (layer, reason) = error_of(json!({"eventType": "t", "data": "{oops"}));
        assert_eq!(layer, "claims.data.data");
        assert!(reason.starts_with("invalid JSON: "));
        let (layer, _) = error_of(json!({"eventType": "t", "data": "\"text\""}));
        assert_eq!(layer, "claims.data.data");
        let (layer, reason) = error_of(json!({"eventType": "t", "data": 5}));
        assert_eq!((layer, reason.as_str()), ("claims.data", "`data` must be a string of JSON, got a number"));
        let (layer, reason) = error_of(json!({"eventType": "t"}));
        assert_eq!((layer, reason.as_str()), ("claims.data", "`data` is missing"));
    }

    #[test]
    fn inner_data_of_an_unusual_shape_is_reported_as_before() {
        // The string is read in the wrapper's one pass; these shapes are read again raw.
        let (layer, reason) = error_of(json!({"eventType": "t", "data": null}));
        assert_eq!((layer, reason.as_str()), ("claims.data", "`data` must be a string of JSON, got null"));
        let lone_surrogate = r#"{"eventType": "t", "data": "\ud800"}"#;
        let Value::Object(claims) = json!({ "data": lone_surrogate }) else { unreachable!() };
        let error = from_claims(&claims).unwrap_err().to_string();
        assert!(error.starts_with("webhook claims.data: invalid `data` string: "), "{error}");
        let twice = r#"{"eventType": "t", "data": "{}", "data": "{}"}"#;
        let Value::Object(claims) = json!({ "data": twice }) else { unreachable!() };
        let error = from_claims(&claims).unwrap_err().to_string();
        assert!(error.contains("duplicate field `data`"), "{error}");
    }

    #[test]
    fn inner_data_as_an_object_is_accepted() {
        let claims = claims_with(json!({"eventType": "t", "data": body()}));
        assert_eq!(from_claims(&claims).unwrap().body_value().unwrap(), body());
    }

    #[test]
    fn identity_as_string_or_object_and_empty_means_absent() {
        let identity = json!({"identityType": "ANONYMOUS_VISITOR", "anonymousVisitorId": "v"});
        for sent in [Value::String(identity.to_string()), identity.clone()] {
            let claims = claims_with(json!({"eventType": "t", "data": "{}", "identity": sent}));
            assert_eq!(from_claims(&claims).unwrap().wrapper.identity, Some(identity.clone()));
        }
        for sent in [json!(""), Value::Null] {
            let claims = claims_with(json!({"eventType": "t", "data": "{}", "identity": sent}));
            assert_eq!(from_claims(&claims).unwrap().wrapper.identity, None);
        }
    }

    #[test]
    fn bad_identity_names_its_layer() {
        let (layer, reason) = error_of(json!({"eventType": "t", "data": "{}", "identity": "{x"}));
        assert_eq!(layer, "claims.data.identity");
        assert!(reason.starts_with("invalid JSON"));
        let (layer, reason) = error_of(json!({"eventType": "t", "data": "{}", "identity": 3}));
        assert_eq!((layer, reason.as_str()), ("claims.data.identity", "expected a JSON object, got a number"));
    }

    #[test]
    fn account_info_is_kept() {
        let info = json!({"accountId": "a", "parentAccountId": "p", "siteId": "s"});
        let claims = claims_with(json!({"eventType": "t", "data": "{}", "accountInfo": info}));
        assert_eq!(from_claims(&claims).unwrap().wrapper.account_info, Some(info));
        let (layer, _) = error_of(json!({"eventType": "t", "data": "{}", "accountInfo": [1]}));
        assert_eq!(layer, "claims.data.accountInfo");
    }

    #[test]
    fn event_type_falls_back_to_the_body() {
        let claims = claims_with(json!({"data": body().to_string()}));
        assert_eq!(from_claims(&claims).unwrap().event_type, "wix.contacts.v4.contact_deleted");
        let (layer, reason) = error_of(json!({"data": "{}"}));
        assert_eq!(layer, "claims.data");
        assert!(reason.starts_with("`eventType` is missing"));
        let (_, reason) = error_of(json!({"eventType": 7, "data": "{}"}));
        assert_eq!(reason, "`eventType` must be a non-empty string, got a number");
        let (_, reason) = error_of(json!({"eventType": "", "data": "{}"}));
        assert_eq!(reason, "`eventType` must be a non-empty string, got \"\"");
    }

    #[test]
    fn instance_id_is_optional_but_must_be_a_string() {
        let claims = claims_with(json!({"eventType": "t", "data": "{}"}));
        assert_eq!(from_claims(&claims).unwrap().wrapper.instance_id, None);
        let (_, reason) = error_of(json!({"eventType": "t", "data": "{}", "instanceId": 1}));
        assert_eq!(reason, "`instanceId` must be a string, got a number");
    }

    #[test]
    fn expired_webhook_never_reaches_the_layers() {
        let claims = webhook_claims("t", "i", &body(), None, 10, 20);
        let jwt = signer().sign_claims(&claims, TestAlg::Rs256);
        assert!(matches!(open(jwt.as_bytes(), &key()), Err(WebhookError::Expired)));
    }
}
