//! What every event is called in each dialect: the type of a catalogue entry, and the
//! look-ups over a catalogue.
//!
//! The entries themselves are generated (the generated crate's `CATALOGUE`, also
//! [`crate::event_set::EventSet::CATALOGUE`]); this module holds their type and the look-ups.

/// One event of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// Velo handler name (`wixCrm_onContactCreated`), the name the dispatcher routes on.
    pub velo_handler: &'static str,
    /// SDK registration (`contacts.onContactCreated`): the namespace exported by
    /// [`Self::sdk_package`] and its event function. `None` when the SDK registers no
    /// handler for the event (it arrives as a webhook or in Velo only).
    pub sdk: Option<&'static str>,
    /// npm package exporting [`Self::sdk`]'s namespace (`@wix/crm`), when `sdk` is set.
    pub sdk_package: Option<&'static str>,
    /// Webhook eventType (`wix.contacts.v4.contact_created`).
    pub event_type: &'static str,
    /// Rust payload type, from the crate root (`crm::contacts::ContactCreated`).
    pub payload_type: &'static str,
    /// Schema module (`crm.contacts`).
    pub module: &'static str,
    /// Cargo feature that compiles it.
    pub feature: &'static str,
    /// Envelope shape.
    pub envelope: Envelope,
    /// Whether Wix documents a Velo handler (otherwise it arrives only as a webhook).
    pub velo_documented: bool,
}

/// Shape of an event object in the Velo/SDK dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `{metadata, entity}`.
    Entity,
    /// `{metadata, data}`.
    Data,
    /// `{metadata}`.
    MetadataOnly,
}

/// The entry with this Velo handler name.
pub fn by_velo_handler(catalogue: &'static [EventInfo], name: &str) -> Option<&'static EventInfo> {
    catalogue.iter().find(|info| info.velo_handler == name)
}

/// The entry with this webhook eventType.
pub fn by_event_type(catalogue: &'static [EventInfo], event_type: &str) -> Option<&'static EventInfo> {
    catalogue.iter().find(|info| info.event_type == event_type)
}

/// The known Velo handler name or eventType closest to `name`, if close enough to be a typo.
pub fn suggest(catalogue: &'static [EventInfo], name: &str) -> Option<&'static str> {
    let limit = (name.len() / 3).max(2);
    catalogue
        .iter()
        .flat_map(|info| [info.velo_handler, info.event_type])
        .map(|known| (strsim::levenshtein(&name.to_lowercase(), &known.to_lowercase()), known))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, known)| known)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(velo_handler: &'static str, event_type: &'static str) -> EventInfo {
        EventInfo {
            velo_handler,
            sdk: None,
            sdk_package: None,
            event_type,
            payload_type: "x::Y",
            module: "x",
            feature: "x",
            envelope: Envelope::Entity,
            velo_documented: true,
        }
    }

    static CATALOGUE: std::sync::LazyLock<&'static [EventInfo]> = std::sync::LazyLock::new(|| {
        Box::leak(Box::new([
            entry("wixCrm_onContactCreated", "wix.contacts.v4.contact_created"),
            entry("wixCrm_onContactDeleted", "wix.contacts.v4.contact_deleted"),
        ]))
    });

    #[test]
    fn every_entry_is_found_by_both_names() {
        for info in *CATALOGUE {
            assert_eq!(by_velo_handler(&CATALOGUE, info.velo_handler), Some(info));
            assert_eq!(by_event_type(&CATALOGUE, info.event_type), Some(info));
        }
        assert_eq!(by_velo_handler(&CATALOGUE, "wix.contacts.v4.contact_created"), None);
    }

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(suggest(&CATALOGUE, "wixCrm_OnContactCreated"), Some("wixCrm_onContactCreated"));
        assert_eq!(suggest(&CATALOGUE, "wix.contacts.v4.contact_delete"), Some("wix.contacts.v4.contact_deleted"));
        assert_eq!(suggest(&CATALOGUE, "completely different"), None);
    }
}
