//! The event catalogue as data: what every event is called in each dialect.
//!
//! The entries themselves are generated ([`crate::CATALOGUE`]); this module holds their
//! type and the look-ups.

/// One event of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventInfo {
    /// Velo handler name (`wixCrm_onContactCreated`), the name the dispatcher routes on.
    pub velo_handler: &'static str,
    /// SDK registration (`contacts.onContactCreated`).
    pub sdk: Option<&'static str>,
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
pub fn by_velo_handler(name: &str) -> Option<&'static EventInfo> {
    crate::CATALOGUE.iter().find(|info| info.velo_handler == name)
}

/// The entry with this webhook eventType.
pub fn by_event_type(event_type: &str) -> Option<&'static EventInfo> {
    crate::CATALOGUE.iter().find(|info| info.event_type == event_type)
}

/// The known Velo handler name or eventType closest to `name`, if close enough to be a typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    let limit = (name.len() / 3).max(2);
    crate::CATALOGUE
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

    #[test]
    fn every_entry_is_found_by_both_names() {
        assert!(!crate::CATALOGUE.is_empty());
        for info in crate::CATALOGUE {
            assert_eq!(by_velo_handler(info.velo_handler), Some(info));
            assert_eq!(by_event_type(info.event_type), Some(info));
        }
    }

    #[test]
    fn suggests_the_closest_name() {
        let Some(info) = crate::CATALOGUE.first() else { return };
        let typo = info.velo_handler.replacen("on", "On", 1);
        assert_eq!(suggest(&typo), Some(info.velo_handler));
        assert_eq!(suggest("completely different"), None);
    }
}
