//! Tables the generator and the runtime each keep, held equal: the generator emits code
//! that relies on the runtime agreeing with it.

use wix_backend_events::event_info::Envelope;
use wix_backend_events::wire::sdk_keys::SDK_RENAMES;

#[test]
fn the_sdk_rename_table_is_the_same_in_generator_and_runtime() {
    assert_eq!(codegen::model::SDK_RENAMES, SDK_RENAMES);
}

#[test]
fn every_envelope_the_generator_names_exists_in_the_runtime() {
    // The catalogue is emitted as `Envelope::<as_str>`; compare the names with the runtime's
    // variants through their Debug names, which are the variant names.
    let runtime: Vec<String> = [Envelope::Entity, Envelope::Data, Envelope::MetadataOnly]
        .iter()
        .map(|envelope| format!("{envelope:?}"))
        .collect();
    let generator: Vec<&str> =
        [codegen::model::Envelope::Entity, codegen::model::Envelope::Data, codegen::model::Envelope::MetadataOnly]
            .iter()
            .map(|envelope| envelope.as_str())
            .collect();
    assert_eq!(generator, runtime);
}
