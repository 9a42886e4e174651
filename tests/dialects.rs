//! Payload shapes that Wix's reference notes describe (shared/wix/EVENTS.md section 1 and
//! WEBHOOKS.md section 6) but whose documented examples are cut short in every copy we
//! have: the 2024 `wix-crm-v2` contact events with bare lists, a flat `extendedFields`
//! map, `formattedPhone`, `address.formatted` and an activity type the SDK enum lacks.
//! The payload below is written for this test from that description; it is not a Wix example.

use wix_backend_events::decode::Strict;
use wix_backend_events::Event;

const VELO_2024_CONTACT_UPDATED: &str = r#"{
  "metadata": {
    "id": "7bdca23b-a89c-48a1-be76-6dcf46fc4edb",
    "entityId": "beeb8dc1-93d6-49f3-9389-18a9997f554f",
    "eventTime": "2024-01-10T11:28:27.479909037Z",
    "triggeredByAnonymizeRequest": false,
    "originatedFrom": "merge"
  },
  "entity": {
    "_id": "beeb8dc1-93d6-49f3-9389-18a9997f554f",
    "revision": 3,
    "source": { "sourceType": "ADMIN" },
    "_createdDate": "2024-01-10T11:20:00.000Z",
    "_updatedDate": "2024-01-10T11:28:27.466Z",
    "lastActivity": { "activityDate": "2024-01-10T11:28:27.466Z", "activityType": "CONTACT_UPDATED" },
    "primaryInfo": { "email": "g@example.com", "phone": "+1 555-0100" },
    "info": {
      "name": { "first": "Gene", "last": "Lopez" },
      "emails": [ { "_id": "5bdcce4a-37c2-46ed-b49c-d562c6e3c4ce", "tag": "HOME", "email": "g@example.com", "primary": true } ],
      "phones": [ { "_id": "1fa4ad8a-4ea4-4ff5-a3e3-d1a0f3a0d5a0", "tag": "MOBILE", "countryCode": "US", "phone": "555-0100", "e164Phone": "+15550100", "formattedPhone": "+1 555-0100", "primary": true } ],
      "addresses": [ { "_id": "2e5a8b9e-dc3c-4d8c-a1a5-d1f0a3f4d5a1", "tag": "HOME", "address": { "formatted": "1 Main St, New York, NY, USA", "city": "New York", "subdivision": "US-NY", "country": "US", "postalCode": "10001", "addressLine1": "1 Main St" } } ],
      "labelKeys": ["custom.vip"],
      "extendedFields": { "contacts.displayByFirstName": "Gene Lopez", "custom.event-we-met-at": "Expo" }
    },
    "primaryEmail": { "email": "g@example.com", "subscriptionStatus": "NOT_SET", "deliverabilityStatus": "NOT_SET" },
    "primaryPhone": { "countryCode": "US", "e164Phone": "+15550100", "formattedPhone": "+1 555-0100", "subscriptionStatus": "NO_SUBSCRIPTION_STATUS", "phone": "555-0100" }
  }
}"#;

#[test]
fn the_2024_velo_contact_shape_decodes_strictly_and_round_trips() {
    let event = Event::decode("wixCrm_onContactUpdated", Strict(VELO_2024_CONTACT_UPDATED)).unwrap();
    let Event::WixCrmOnContactUpdated(updated) = &event else { panic!("wrong variant: {event:?}") };
    let info = updated.entity.info.as_ref().unwrap();
    assert!(!info.emails.as_ref().unwrap().wrapped, "bare list kept bare");
    assert_eq!(info.extended_fields.as_ref().unwrap().get("custom.event-we-met-at").unwrap(), "Expo");
    assert_eq!(updated.metadata.originated_from.as_deref(), Some("merge"));
    let original: serde_json::Value = serde_json::from_str(VELO_2024_CONTACT_UPDATED).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap(), original);
}

#[test]
fn the_same_contact_wrapped_as_the_sdk_types_it_decodes_too() {
    let mut wrapped: serde_json::Value = serde_json::from_str(VELO_2024_CONTACT_UPDATED).unwrap();
    let info = &mut wrapped["entity"]["info"];
    for list in ["emails", "phones", "addresses", "labelKeys", "extendedFields"] {
        info[list] = serde_json::json!({ "items": info[list].take() });
    }
    let event = Event::decode("wixCrm_onContactUpdated", Strict(wrapped.clone())).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap(), wrapped);
}
