//! A service built with one module's feature: it compiles the contact-label types and
//! handler methods, not the catalogue, dispatches label events, and refuses the events of
//! modules it left out with an error naming the feature to enable.
//!
//! ```text
//! cargo run -p wix-backend-events --no-default-features --features crm-labels --example one_module
//! ```

use wix_backend_events::crm::labels::LabelCreated;
use wix_backend_events::dispatch::{DispatchError, Dispatcher, Outcome};
use wix_backend_events::{DecodeError, Handler, HandlerResult};

struct Labels;

impl Handler for Labels {
    async fn wix_contacts_on_label_created(&self, event: LabelCreated) -> HandlerResult {
        println!("label created: {:?}", event.entity.display_name);
        Ok(())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let dispatcher = Dispatcher::new(Labels);
    // A documented example: https://dev.wix.com/docs/velo/apis/wix-crm-v2/labels/on-label-created
    let label = br#"{"metadata": {"id": "fee55184-82f3-47ba-bd53-fdbb5c7faf7a", "entityId": "custom.customer-group-3"},
        "entity": {"key": "custom.customer-group-3", "displayName": "Customer Group 3", "labelType": "USER_DEFINED"}}"#;
    let outcome =
        dispatcher.velo("wixContacts_onLabelCreated", label, None).await.map_err(|error| error.to_string())?;
    if outcome != Outcome::Handled {
        return Err(format!("the label event was not handled: {outcome:?}"));
    }
    // A contact event: its module, `crm.contacts`, is compiled in only with its feature.
    let contact = br#"{"metadata": {"id": "e1", "entityId": "c1"}, "entity": {"_id": "c1"}}"#;
    match dispatcher.velo("wixCrm_onContactCreated", contact, None).await {
        Err(DispatchError::Decode(DecodeError::FeatureDisabled { feature, .. })) => {
            println!("wixCrm_onContactCreated needs the feature `{feature}`, which this build leaves out");
            if cfg!(feature = "crm-contacts") || feature != "crm-contacts" {
                return Err(format!("refused for the wrong feature: `{feature}`"));
            }
        }
        // Built with more features (the workspace's default build), the event is known
        // and, without a handler method, skipped as not subscribed.
        Ok(outcome) if cfg!(feature = "crm-contacts") => println!("wixCrm_onContactCreated: {outcome:?}"),
        other => return Err(format!("wixCrm_onContactCreated: unexpected {other:?}")),
    }
    Ok(())
}
