//! Rust items for events: payload structs, the handler trait, and the catalogue with
//! the `Event` enum and the dispatch table. One table (the catalogue) drives them all.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::types::{doc_attrs, field_tokens, paragraphs, sdk_keys_tokens, struct_attrs};
use crate::ident::ident;
use crate::model::{Catalogue, Event, Maturity, Module, COMMON};

/// The lines every event's docs carry: its names in all three dialects.
pub fn names_doc(module: &Module, event: &Event) -> String {
    let velo = if event.velo_documented {
        format!("- Velo handler: `{}` (in `backend/events.js`)", event.velo_handler)
    } else {
        format!(
            "- Velo handler: `{}` (name only; Wix documents no Velo handler, the event arrives as a webhook)",
            event.velo_handler
        )
    };
    let sdk = match (&event.sdk, &module.sdk) {
        (Some(export), Some(sdk)) => format!("- SDK: `{export}` from `{}`", sdk.package),
        (None, Some(_)) => "- SDK: none (the JavaScript SDK registers no handler for it)".to_owned(),
        _ => format!("- SDK: `{}`", event.handler),
    };
    let webhook = format!("- Webhook eventType: `{}`", event.event_type);
    let feature = module.feature().map(|feature| format!("\n- Cargo feature: `{feature}`")).unwrap_or_default();
    let maturity = match event.maturity {
        Maturity::Stable => "",
        Maturity::Preview => "\n- Maturity: preview; Wix may still change this event.",
        Maturity::Deprecated => "\n- Maturity: deprecated by Wix.",
    };
    format!("{velo}\n{sdk}\n{webhook}{feature}{maturity}")
}

fn feature_cfg(module: &Module) -> Option<TokenStream> {
    module.feature().map(|feature| quote! { #[cfg(feature = #feature)] })
}

/// The payload struct of an event and its `EventPayload` impl.
pub fn payload_tokens(module: &Module, event: &Event) -> TokenStream {
    let doc = doc_attrs(&paragraphs([event.doc.as_deref(), Some(&names_doc(module, event))]));
    let attrs = struct_attrs(event.derives_default);
    let name = format_ident!("{}", event.name);
    let fields = event.fields.iter().map(|field| field_tokens(field, &module.path));
    let velo = &event.velo_handler;
    let event_type = &event.event_type;
    let sdk_keys = sdk_keys_tokens(&name, &event.fields);
    let common = super::crates::module_path(&[COMMON.to_owned()], &module.path);
    quote! {
        #doc
        #attrs
        pub struct #name {
            #(#fields)*
        }

        #sdk_keys

        impl ::wix_events_runtime::EventPayload for #name {
            const VELO_HANDLER: &'static str = #velo;
            const EVENT_TYPE: &'static str = #event_type;
            type Metadata = #common::EventMetadata;

            fn metadata(&self) -> &#common::EventMetadata {
                &self.metadata
            }

            fn decode(source: ::wix_events_runtime::decode::Source<'_>) -> Result<Box<Self>, ::wix_events_runtime::DecodeError> {
                source.decode(Self::VELO_HANDLER).map(Box::new)
            }
        }
    }
}

fn payload_path(module: &Module, event: &Event) -> TokenStream {
    let path = module.path.iter().map(|segment| ident(segment));
    let name = format_ident!("{}", event.name);
    quote! { crate:: #(#path::)* #name }
}

/// The handler trait: one async method per event, named after its Velo handler.
pub fn handler_trait(catalogue: &Catalogue) -> TokenStream {
    let methods = catalogue.events().map(|(module, event)| {
        let doc = doc_attrs(&paragraphs([event.doc.as_deref(), Some(&names_doc(module, event))]));
        let cfg = feature_cfg(module);
        let method = ident(&event.method);
        let payload = payload_path(module, event);
        quote! {
            #doc
            #cfg
            fn #method(&self, event: #payload) -> impl std::future::Future<Output = crate::HandlerResult> + Send {
                let _ = event;
                std::future::ready(Err(crate::HandlerError::NotSubscribed))
            }
        }
    });
    let all_events = handle_all(catalogue);
    quote! {
        /// What a service does with each Wix event. Implement the methods for the events
        /// you subscribe to; the others answer [`crate::HandlerError::NotSubscribed`].
        ///
        /// Method names mirror the Velo handler names of `backend/events.js`
        /// (`wixCrm_onContactCreated` -> `wix_crm_on_contact_created`).
        pub trait Handler: Send + Sync {
            #(#methods)*
        }

        #all_events
    }
}

/// `HandleAll`: a handler made of one async function that gets every event as an
/// `Event`, for services (and tests) that prefer one `match` over one method per event.
fn handle_all(catalogue: &Catalogue) -> TokenStream {
    let methods = catalogue.events().map(|(module, event)| {
        let cfg = feature_cfg(module);
        let method = ident(&event.method);
        let payload = payload_path(module, event);
        let variant = format_ident!("{}", event.variant);
        quote! {
            #cfg
            fn #method(&self, event: #payload) -> impl std::future::Future<Output = crate::HandlerResult> + Send {
                (self.0)(crate::Event::#variant(Box::new(event)))
            }
        }
    });
    quote! {
        /// A [`Handler`] that calls one async function with every event, as an [`crate::Event`].
        ///
        /// ```
        /// # use wix_backend_events::{Event, HandleAll, HandlerError};
        /// let handler = HandleAll(|event: Event| async move {
        ///     match event {
        ///         Event::WixContactsOnLabelDeleted(deleted) => println!("{:?}", deleted.metadata.entity_id),
        ///         _ => return Err(HandlerError::NotSubscribed),
        ///     }
        ///     Ok(())
        /// });
        /// # let _ = wix_backend_events::dispatch::Dispatcher::new(handler);
        /// ```
        pub struct HandleAll<F>(pub F);

        impl<F, Fut> Handler for HandleAll<F>
        where
            F: Fn(crate::Event) -> Fut + Send + Sync,
            Fut: std::future::Future<Output = crate::HandlerResult> + Send,
        {
            #(#methods)*
        }
    }
}

/// The catalogue: `EventInfo` per event, the `Event` enum, decoding by name and dispatch.
pub fn catalogue(catalogue: &Catalogue) -> TokenStream {
    let events: Vec<(&Module, &Event)> = catalogue.events().collect();
    let cfgs: Vec<Option<TokenStream>> = events.iter().map(|(module, _)| feature_cfg(module)).collect();
    let variants: Vec<_> = events.iter().map(|(_, event)| format_ident!("{}", event.variant)).collect();
    let consts: Vec<_> = events
        .iter()
        .map(|(_, event)| format_ident!("{}", crate::ident::snake_case(&event.variant).to_uppercase()))
        .collect();
    let payloads: Vec<_> = events.iter().map(|(module, event)| payload_path(module, event)).collect();
    let methods: Vec<_> = events.iter().map(|(_, event)| ident(&event.method)).collect();
    let velo_names: Vec<&str> = events.iter().map(|(_, event)| event.velo_handler.as_str()).collect();

    let infos = events.iter().zip(&consts).map(|((module, event), name)| {
        let velo = &event.velo_handler;
        let sdk = match &event.sdk {
            Some(sdk) => quote! { Some(#sdk) },
            None => quote! { None },
        };
        // The npm package only where the SDK registers the event: scaffolds import it.
        let sdk_package = match (&event.sdk, &module.sdk) {
            (Some(_), Some(origin)) => {
                let package = &origin.package;
                quote! { Some(#package) }
            }
            _ => quote! { None },
        };
        let event_type = &event.event_type;
        let payload = format!("{}::{}", module.path.join("::"), event.name);
        let module_name = module.dotted();
        let feature = module.feature().unwrap_or_default();
        let envelope = format_ident!("{}", event.envelope.as_str());
        let documented = event.velo_documented;
        let webhook_body = match event.domain {
            true => quote! { WebhookBody::DomainEvent },
            false => quote! { WebhookBody::Plain },
        };
        let doc = doc_attrs(&format!("Catalogue entry of `{velo}`."));
        quote! {
            #doc
            pub const #name: EventInfo = EventInfo {
                velo_handler: #velo,
                sdk: #sdk,
                sdk_package: #sdk_package,
                event_type: #event_type,
                payload_type: #payload,
                module: #module_name,
                feature: #feature,
                envelope: Envelope::#envelope,
                velo_documented: #documented,
                webhook_body: #webhook_body,
            };
        }
    });
    let variant_docs =
        events.iter().map(|(_, event)| doc_attrs(&format!("`{}` / `{}`.", event.velo_handler, event.event_type)));
    let disabled = events.iter().filter_map(|(module, event)| {
        let feature = module.feature()?;
        let velo = &event.velo_handler;
        Some(quote! { #[cfg(not(feature = #feature))] #velo => Err(DecodeError::FeatureDisabled { event: #velo, feature: #feature }), })
    });

    quote! {
        use crate::event_info::{Envelope, EventInfo, WebhookBody};
        use crate::error::DecodeError;
        use crate::decode::{Input, Source};

        /// Every event compiled into this crate (its module's cargo feature is on), in
        /// schema order. Decoding still knows the names of the others, and refuses them
        /// with `DecodeError::FeatureDisabled` naming the feature.
        pub static CATALOGUE: &[EventInfo] = &[ #( #cfgs info::#consts, )* ];

        /// Catalogue entries by event, usable in `const` contexts.
        pub mod info {
            use super::*;
            #( #infos )*
        }

        /// One decoded event of any kind. Payloads are boxed: they are large (a contact
        /// is kilobytes) and an `Event` moves through every layer of dispatch.
        ///
        /// Non-exhaustive: variants are behind cargo features, which unify across a build,
        /// so another crate may add variants to the one a `match` was written against.
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        #[serde(untagged)]
        #[non_exhaustive]
        pub enum Event {
            #( #variant_docs #cfgs #variants(Box<#payloads>), )*
        }

        impl Event {
            /// The catalogue entry of this event.
            pub fn info(&self) -> &'static EventInfo {
                match *self {
                    #( #cfgs Self::#variants(_) => &info::#consts, )*
                }
            }

            /// The metadata every event carries (its `id` is the deduplication key).
            pub fn metadata(&self) -> &crate::common::EventMetadata {
                match *self {
                    #( #cfgs Self::#variants(ref event) => &event.metadata, )*
                }
            }

            /// Decodes a Velo event object (`{metadata, entity}`, ...) for the named handler.
            /// An unknown name's error suggests the closest known one.
            pub fn decode<I: Input>(velo_handler: &str, input: I) -> Result<Self, DecodeError> {
                input
                    .with_source(|source| Self::decode_source(velo_handler, source))
                    .map_err(|error| error.with_suggestion(CATALOGUE))
            }

            // Not generic, and each payload decodes through its own `EventPayload::decode`,
            // so its decoders are compiled once, in its area's crate, and not in every
            // crate that decodes (see `Source`).
            fn decode_source(velo_handler: &str, source: Source<'_>) -> Result<Self, DecodeError> {
                match velo_handler {
                    #( #cfgs #velo_names => <#payloads as crate::EventPayload>::decode(source).map(Self::#variants), )*
                    #( #disabled )*
                    other => {
                        drop(source);
                        Err(DecodeError::unknown_event_unsuggested(other))
                    }
                }
            }
        }

        /// Calls `visitor.visit::<T>()` with `T` the payload type of the event whose Velo
        /// handler name is given: generic code per payload type, chosen at run time.
        pub fn visit_payload_type<V: crate::PayloadTypeVisitor>(velo_handler: &str, visitor: V) -> Option<V::Output> {
            match velo_handler {
                #( #cfgs #velo_names => Some(visitor.visit::<#payloads>()), )*
                _ => {
                    drop(visitor);
                    None
                }
            }
        }

        impl crate::EventSet for Event {
            const CATALOGUE: &'static [EventInfo] = CATALOGUE;

            fn decode<I: Input>(velo_handler: &str, input: I) -> Result<Self, DecodeError> {
                input.with_source(|source| Event::decode_source(velo_handler, source))
            }

            fn info(&self) -> &'static EventInfo {
                Event::info(self)
            }

            fn event_id(&self) -> Option<&str> {
                self.metadata().id.as_deref()
            }
        }

        /// Every [`crate::Handler`] receives `Event`s: the dispatch table.
        impl<H: crate::Handler + ?Sized> crate::Route<H> for Event {
            async fn route(self, handler: &H) -> crate::HandlerResult {
                // With every area compiled out there is no arm that uses the handler.
                let _ = &handler;
                match self {
                    #( #cfgs Event::#variants(event) => handler.#methods(*event).await, )*
                }
            }
        }
    }
}
