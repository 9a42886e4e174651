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
    /// What the body of its webhook is.
    pub webhook_body: WebhookBody,
}

/// What a webhook's body (the innermost `data` of its JWT) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookBody {
    /// A domain event: `{id, entityFqdn, slug, entityId, eventTime, createdEvent | ...}`,
    /// whose kind object carries the entity or data. Nearly every event.
    DomainEvent,
    /// The event's data itself (Stores v1, `com.wix.ecommerce.catalog.api.v1.*`). The SDK
    /// hands `{data: <body>, metadata: {instanceId, eventType, identity, accountInfo}}`
    /// to the handler; no event id comes with it.
    Plain,
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

/// The most cells of edit-distance table one [`suggest`] fills, whatever the name. Names
/// come from requests, so the work a suggestion does for one is bounded: about the cost
/// of decoding a small event. Enough for every one-letter typo of Wix's names (tested on
/// the generated catalogue), as the filters in [`suggest`] leave few names to compare.
pub const SUGGESTION_BUDGET: usize = 4096;

/// The known Velo handler name or eventType closest to `name`, if close enough to be a typo
/// (at most a third of its length in edits, compared case-insensitively as ASCII).
///
/// Cheap whatever the name: a name longer than [`crate::error::MAX_EVENT_NAME_LEN`] gets
/// none, candidates whose length or set of characters differs by more than the edits
/// allowed are skipped without comparing them, the others are compared likeliest first
/// and each comparison stops once it cannot beat the best distance so far, and all
/// comparisons together fill at most [`SUGGESTION_BUDGET`] cells (a name that exhausts
/// it gets the best match found by then).
pub fn suggest(catalogue: &'static [EventInfo], name: &str) -> Option<&'static str> {
    suggest_within(catalogue, name).0
}

/// [`suggest`], and the cells it filled.
fn suggest_within(catalogue: &'static [EventInfo], name: &str) -> (Option<&'static str>, usize) {
    let query = name.as_bytes();
    if query.len() > crate::error::MAX_EVENT_NAME_LEN {
        return (None, 0);
    }
    let limit = (query.len() / 3).max(2);
    let query_set = character_set(query);
    // Each edit changes the length by at most one, and each character of one name missing
    // from the other needs its own edit: the larger of the two is a lower bound of the
    // distance, which skips most names at once and orders the rest, likeliest first.
    let sets = character_sets(catalogue);
    let mut candidates: Vec<(usize, &'static str)> = catalogue
        .iter()
        .flat_map(|info| [info.velo_handler, info.event_type])
        .zip(sets.iter())
        .filter(|(known, _)| known.len().abs_diff(query.len()) <= limit)
        .filter_map(|(known, known_set)| {
            let missing = (query_set & !known_set).count_ones().max((known_set & !query_set).count_ones());
            let lower = known.len().abs_diff(query.len()).max(missing as usize);
            (lower <= limit).then_some((lower, known))
        })
        .collect();
    candidates.sort_unstable();
    let mut row = Vec::new();
    let mut filled = 0;
    // Typos are mostly an edit or two: the names are searched within 1 edit, then 2, 4, ...
    // up to the limit, so that the narrow band of a small bound keeps each comparison
    // cheap, and a long name among many similar ones (`..._onResourceTypeUpdated`,
    // `..._onResourceTypeCreated`) does not spend the budget on wide bands first.
    let mut bound = 1;
    loop {
        let mut best: Option<(usize, &'static str)> = None;
        for &(lower, known) in &candidates {
            // Ties go to the name first in byte order, so equal distances are still compared.
            let within = best.map_or(bound, |(distance, _)| distance);
            if lower > within || filled >= SUGGESTION_BUDGET {
                break;
            }
            let distance = bounded_distance(query, known.as_bytes(), within, &mut row, &mut filled);
            if let Some(distance) = distance.filter(|distance| best.is_none_or(|best| (*distance, known) < best)) {
                best = Some((distance, known));
            }
        }
        if best.is_some() || bound >= limit || filled >= SUGGESTION_BUDGET {
            return (best.map(|(_, known)| known), filled);
        }
        bound = (bound * 2).min(limit);
    }
}

/// The [`character_set`] of each Velo handler name and eventType of `catalogue`, in
/// catalogue order. Computed once for the first catalogue asked about (a process routes
/// with one generated table), so that a suggestion does not go over every name's bytes;
/// other catalogues get theirs computed on each call.
fn character_sets(catalogue: &'static [EventInfo]) -> std::borrow::Cow<'static, [u64]> {
    static FIRST: std::sync::OnceLock<(usize, usize, Box<[u64]>)> = std::sync::OnceLock::new();
    let compute = || -> Box<[u64]> {
        catalogue
            .iter()
            .flat_map(|info| [info.velo_handler, info.event_type])
            .map(|name| character_set(name.as_bytes()))
            .collect()
    };
    let key = (catalogue.as_ptr() as usize, catalogue.len());
    let (address, len, sets) = FIRST.get_or_init(|| (key.0, key.1, compute()));
    if (*address, *len) == key {
        std::borrow::Cow::Borrowed(sets)
    } else {
        std::borrow::Cow::Owned(compute().into_vec())
    }
}

/// The characters of an ASCII name as a set of 64 (case folded; other bytes share buckets,
/// which only weakens the bound, never breaks it).
fn character_set(name: &[u8]) -> u64 {
    name.iter().fold(0, |set, byte| set | 1 << (byte.to_ascii_lowercase() % 64))
}

/// The case-insensitive edit distance of `a` and `b` if it is at most `bound`, counting the
/// cells filled in `filled`; `None` once it must be over `bound` or the budget runs out.
///
/// Only the band of cells within `bound` of the diagonal is filled (a path through any
/// other cell costs more than `bound`), row by row in `row`, and a row whose smallest
/// value is over `bound` ends the comparison (later rows never get smaller).
fn bounded_distance(a: &[u8], b: &[u8], bound: usize, row: &mut Vec<usize>, filled: &mut usize) -> Option<usize> {
    // Any value over `bound` stands for "too far"; capping keeps the sums small.
    let far = bound + 1;
    row.clear();
    row.extend((0..=b.len()).map(|j| j.min(far)));
    for (i, left) in (1_usize..).zip(a) {
        let low = i.saturating_sub(bound).max(1);
        let high = (i + bound).min(b.len());
        if low > high {
            return None;
        }
        if *filled + (high - low + 1) > SUGGESTION_BUDGET {
            *filled = SUGGESTION_BUDGET;
            return None;
        }
        *filled += high - low + 1;
        let mut diagonal = row[low - 1];
        row[low - 1] = if low == 1 { i.min(far) } else { far };
        let mut smallest = row[low - 1];
        for j in low..=high {
            let substitution = diagonal + usize::from(!left.eq_ignore_ascii_case(&b[j - 1]));
            diagonal = row[j];
            row[j] = substitution.min(row[j - 1] + 1).min(diagonal + 1).min(far);
            smallest = smallest.min(row[j]);
        }
        if smallest > bound {
            return None;
        }
    }
    row.last().copied().filter(|distance| *distance <= bound)
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
            webhook_body: crate::event_info::WebhookBody::DomainEvent,
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

    /// The reference: every candidate compared in full (`strsim`), the closest within a
    /// third of the name's length, ties to the first in byte order.
    fn reference(catalogue: &'static [EventInfo], name: &str) -> Option<&'static str> {
        let limit = (name.len() / 3).max(2);
        catalogue
            .iter()
            .flat_map(|info| [info.velo_handler, info.event_type])
            .map(|known| (strsim::levenshtein(&name.to_ascii_lowercase(), &known.to_ascii_lowercase()), known))
            .filter(|(distance, _)| *distance <= limit)
            .min()
            .map(|(_, known)| known)
    }

    /// A catalogue shaped like Wix's: ~100 events in families sharing prefixes.
    static LARGE: std::sync::LazyLock<&'static [EventInfo]> = std::sync::LazyLock::new(|| {
        let mut entries = Vec::new();
        for (prefix, fqdn) in
            [("wixCrm", "wix.contacts.v4"), ("wixEcom", "wix.ecom.v1"), ("wixEventsV3", "wix.events.v3")]
        {
            for noun in ["Contact", "Label", "Order", "Cart", "Checkout", "Event", "Guest", "Badge", "Member"] {
                for verb in ["Created", "Updated", "Deleted", "Merged"] {
                    let handler: &'static str = Box::leak(format!("{prefix}_on{noun}{verb}").into_boxed_str());
                    let event_type: &'static str =
                        Box::leak(format!("{fqdn}.{}_{}", noun.to_lowercase(), verb.to_lowercase()).into_boxed_str());
                    entries.push(entry(handler, event_type));
                }
            }
        }
        Box::leak(entries.into_boxed_slice())
    });

    #[test]
    fn typos_of_every_name_get_the_same_suggestion_as_a_full_comparison() {
        let mut checked = 0;
        for known in LARGE.iter().flat_map(|info| [info.velo_handler, info.event_type]) {
            let bytes = known.as_bytes();
            for at in [0, bytes.len() / 2, bytes.len() - 1] {
                let mut deleted = bytes.to_vec();
                deleted.remove(at);
                let mut changed = bytes.to_vec();
                changed[at] = if changed[at] == b'x' { b'y' } else { b'x' };
                let mut doubled = bytes.to_vec();
                doubled.insert(at, bytes[at]);
                let upper = known.to_ascii_uppercase().into_bytes();
                for typo in [deleted, changed, doubled, upper] {
                    let typo = String::from_utf8(typo).unwrap();
                    assert_eq!(suggest(&LARGE, &typo), reference(&LARGE, &typo), "{typo}");
                    assert!(suggest(&LARGE, &typo).is_some(), "{typo}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000);
    }

    #[test]
    fn any_name_fills_at_most_the_budget() {
        // Random names of every accepted length, and near misses padded with random letters.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let letters = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.";
        let mut most = 0;
        for length in 1..=crate::error::MAX_EVENT_NAME_LEN + 8 {
            for near in [false, true] {
                let mut name: Vec<u8> = if near { b"wixCrm_onContactCreated".to_vec() } else { Vec::new() };
                name.truncate(length);
                while name.len() < length {
                    name.push(letters[(random() % letters.len() as u64) as usize]);
                }
                let name = String::from_utf8(name).unwrap();
                let (suggestion, filled) = suggest_within(&LARGE, &name);
                assert!(filled <= SUGGESTION_BUDGET, "{name}: {filled} cells");
                most = most.max(filled);
                if let Some(suggestion) = suggestion {
                    let distance = strsim::levenshtein(&name.to_ascii_lowercase(), &suggestion.to_ascii_lowercase());
                    assert!(distance <= (name.len() / 3).max(2), "{name}: {suggestion} is {distance} edits away");
                }
            }
        }
        // The full comparison of one 128-byte name with this catalogue: about 600,000 cells.
        assert!(most <= SUGGESTION_BUDGET);
    }
}
