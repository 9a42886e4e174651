//! Which catalogue events a scaffold is for: by name, module, area, or all of them,
//! keeping only those the target can receive.

use crate::event_info::EventInfo;

/// The events to scaffold. Options add up; at least one is needed.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct Selection {
    /// A Velo handler name (`wixCrm_onContactCreated`) or webhook eventType; repeatable.
    #[arg(long = "event", value_name = "NAME")]
    pub(crate) events: Vec<String>,
    /// Every event of a schema module (`crm.contacts`); repeatable.
    #[arg(long = "module", value_name = "MODULE")]
    pub(crate) modules: Vec<String>,
    /// Every event of a Wix area (`crm`, `events`, `members`); repeatable.
    #[arg(long = "area", value_name = "AREA")]
    pub(crate) areas: Vec<String>,
    /// Every event the target can receive.
    #[arg(long)]
    pub(crate) all: bool,
}

/// The events picked, in catalogue order, and those a group option matched but the
/// target cannot receive (reported, not an error).
pub(crate) struct Selected {
    pub(crate) events: Vec<&'static EventInfo>,
    pub(crate) skipped: Vec<(&'static EventInfo, &'static str)>,
}

impl Selection {
    /// The options as they are written on a command line, in a fixed order, for the
    /// "regenerate with" line of generated headers.
    pub(crate) fn command_line(&self) -> String {
        let mut parts = Vec::new();
        if self.all {
            parts.push("--all".to_owned());
        }
        for (flag, values) in [("--area", &self.areas), ("--module", &self.modules), ("--event", &self.events)] {
            let mut sorted = values.clone();
            sorted.sort();
            sorted.dedup();
            parts.extend(sorted.into_iter().map(|value| format!("{flag} {value}")));
        }
        parts.join(" ")
    }

    /// Resolves the selection over `catalogue`. `unsupported` says why the target cannot
    /// receive an event, or `None` when it can. An event named explicitly that the
    /// target cannot receive is an error; one matched by a group is skipped.
    pub(crate) fn resolve(
        &self,
        catalogue: &'static [EventInfo],
        unsupported: impl Fn(&EventInfo) -> Option<&'static str>,
    ) -> Result<Selected, String> {
        if !self.all && self.events.is_empty() && self.modules.is_empty() && self.areas.is_empty() {
            return Err("choose events with --event NAME, --module MODULE, --area AREA or --all".to_owned());
        }
        let mut errors = Vec::new();
        for module in &self.modules {
            if !catalogue.iter().any(|info| info.module == module) {
                errors.push(format!("unknown module `{module}`; known: {}", known(catalogue, |info| info.module)));
            }
        }
        for area in &self.areas {
            if !catalogue.iter().any(|info| info.feature == area) {
                errors.push(format!("unknown area `{area}`; known: {}", known(catalogue, |info| info.feature)));
            }
        }
        let mut named = Vec::new();
        for name in &self.events {
            let found = crate::event_info::by_velo_handler(catalogue, name)
                .or_else(|| crate::event_info::by_event_type(catalogue, name));
            match found {
                Some(info) => match unsupported(info) {
                    Some(reason) => errors.push(format!("`{}`: {reason}", info.velo_handler)),
                    None => named.push(info.velo_handler),
                },
                None => errors.push(crate::error::DecodeError::unknown_event(name, catalogue).to_string()),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        let mut selected = Selected { events: Vec::new(), skipped: Vec::new() };
        for info in catalogue {
            if named.contains(&info.velo_handler) {
                selected.events.push(info);
                continue;
            }
            let in_group = self.all
                || self.modules.iter().any(|module| module == info.module)
                || self.areas.iter().any(|area| area == info.feature);
            if !in_group {
                continue;
            }
            match unsupported(info) {
                Some(reason) => selected.skipped.push((info, reason)),
                None => selected.events.push(info),
            }
        }
        if selected.events.is_empty() {
            return Err("the selection holds no event this target can receive".to_owned());
        }
        Ok(selected)
    }
}

/// The distinct values of `field` over the catalogue, for "known: ..." hints.
fn known(catalogue: &[EventInfo], field: impl Fn(&EventInfo) -> &'static str) -> String {
    let mut values: Vec<&str> = catalogue.iter().map(field).collect();
    values.sort_unstable();
    values.dedup();
    values.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_info::Envelope;

    fn entry(velo_handler: &'static str, module: &'static str, velo_documented: bool) -> EventInfo {
        EventInfo {
            velo_handler,
            sdk: None,
            sdk_package: None,
            event_type: "x.y_z",
            payload_type: "x::Y",
            module,
            feature: "crm",
            envelope: Envelope::Entity,
            velo_documented,
            webhook_body: crate::event_info::WebhookBody::DomainEvent,
        }
    }

    static CATALOGUE: std::sync::LazyLock<&'static [EventInfo]> = std::sync::LazyLock::new(|| {
        Box::leak(Box::new([
            entry("wixCrm_onContactCreated", "crm.contacts", true),
            entry("wixCrm_onContactSubmitted", "crm.contacts", false),
            entry("wixContacts_onLabelCreated", "crm.labels", true),
        ]))
    });

    fn velo_only(info: &EventInfo) -> Option<&'static str> {
        (!info.velo_documented).then_some("webhook only")
    }

    fn names(selected: &Selected) -> Vec<&str> {
        selected.events.iter().map(|info| info.velo_handler).collect()
    }

    #[test]
    fn groups_skip_what_the_target_cannot_receive_and_names_must_fit() {
        let all = Selection { all: true, ..Selection::default() }.resolve(&CATALOGUE, velo_only).unwrap();
        assert_eq!(names(&all), ["wixCrm_onContactCreated", "wixContacts_onLabelCreated"]);
        assert_eq!(all.skipped.len(), 1);
        let module = Selection { modules: vec!["crm.labels".into()], ..Selection::default() };
        assert_eq!(names(&module.resolve(&CATALOGUE, velo_only).unwrap()), ["wixContacts_onLabelCreated"]);
        let named = Selection { events: vec!["wixCrm_onContactSubmitted".into()], ..Selection::default() };
        let error = named.resolve(&CATALOGUE, velo_only).err().unwrap();
        assert!(error.contains("webhook only"), "{error}");
    }

    #[test]
    fn unknown_names_and_empty_selections_are_errors() {
        let typo = Selection { events: vec!["wixCrm_onContactCreatd".into()], ..Selection::default() };
        let error = typo.resolve(&CATALOGUE, velo_only).err().unwrap();
        assert!(error.contains("did you mean `wixCrm_onContactCreated`"), "{error}");
        let area = Selection { areas: vec!["crn".into()], ..Selection::default() };
        assert!(area.resolve(&CATALOGUE, velo_only).err().unwrap().contains("known: crm"));
        assert!(Selection::default().resolve(&CATALOGUE, velo_only).is_err());
    }

    #[test]
    fn the_command_line_is_canonical() {
        let selection = Selection {
            events: vec!["b".into(), "a".into(), "a".into()],
            areas: vec!["crm".into()],
            all: true,
            ..Selection::default()
        };
        assert_eq!(selection.command_line(), "--all --area crm --event a --event b");
    }
}
