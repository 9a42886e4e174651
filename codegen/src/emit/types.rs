//! Rust items for schema types: structs, string enums, field types and doc comments.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ident::ident;
use crate::model::{Enum, Field, Struct, Ty};

/// `#[doc]` attributes for a text, one per line so that prettyplease prints `///` lines.
pub fn doc_attrs(text: &str) -> TokenStream {
    let lines = doc_lines(text).into_iter().map(|line| quote! { #[doc = #line] });
    quote! { #(#lines)* }
}

/// The lines of a doc text as `#[doc]` values (a space before non-empty lines), with the
/// lazy continuations of Wix's Markdown made explicit: a line that continues a list item
/// is indented under it, one that continues a quote gets its `>`. Rustdoc renders both
/// forms alike; clippy (`doc_lazy_continuation`) asks for the explicit one.
pub fn doc_lines(text: &str) -> Vec<String> {
    /// What a non-blank line continues.
    enum Block {
        Paragraph,
        ListItem(usize),
        Quote,
        Code,
    }
    let mut block = Block::Paragraph;
    let mut out = Vec::new();
    for line in text.trim_end().lines() {
        let trimmed = line.trim_start();
        let fence = trimmed.starts_with("```");
        let line = match block {
            Block::Code => {
                if fence {
                    block = Block::Paragraph;
                }
                line.to_owned()
            }
            _ if fence => {
                block = Block::Code;
                line.to_owned()
            }
            _ if trimmed.is_empty() => {
                block = Block::Paragraph;
                String::new()
            }
            _ if trimmed.starts_with('>') => {
                block = Block::Quote;
                line.to_owned()
            }
            _ if list_marker_width(line).is_some() => {
                block = Block::ListItem(list_marker_width(line).unwrap_or(2));
                line.to_owned()
            }
            Block::ListItem(width) if line.len() == trimmed.len() => format!("{}{line}", " ".repeat(width)),
            Block::Quote => format!("> {line}"),
            _ => line.to_owned(),
        };
        out.push(if line.is_empty() { line } else { format!(" {line}") });
    }
    out
}

/// The width of a list item's marker (`- `, `* `, `12. `) at the start of a line.
fn list_marker_width(line: &str) -> Option<usize> {
    if ["- ", "* ", "+ "].iter().any(|marker| line.starts_with(marker)) {
        return Some(2);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && line[digits..].starts_with(". ")).then_some(digits + 2)
}

/// Joins doc paragraphs, skipping empty ones.
pub fn paragraphs<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    parts.into_iter().flatten().map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join("\n\n")
}

/// The Rust type of a field type, seen from module `from`.
pub fn ty_tokens(ty: &Ty, from: &[String]) -> TokenStream {
    match ty {
        Ty::String => quote! { String },
        Ty::Bool => quote! { bool },
        Ty::Integer => quote! { i64 },
        Ty::Int64 => quote! { ::wix_events_runtime::wire::Int64 },
        Ty::Float => quote! { f64 },
        Ty::Timestamp => quote! { ::wix_events_runtime::wire::Timestamp },
        Ty::Json => quote! { serde_json::Value },
        Ty::Image => quote! { ::wix_events_runtime::wire::Image },
        Ty::PageUrl => quote! { ::wix_events_runtime::wire::PageUrl },
        Ty::List(inner) => {
            let inner = ty_tokens(inner, from);
            quote! { Vec<#inner> }
        }
        Ty::ItemsList(inner) => {
            let inner = ty_tokens(inner, from);
            quote! { ::wix_events_runtime::wire::ItemsList<#inner> }
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(inner, from);
            quote! { std::collections::BTreeMap<String, #inner> }
        }
        Ty::ItemsMap(inner) => {
            let inner = ty_tokens(inner, from);
            quote! { ::wix_events_runtime::wire::ItemsMap<#inner> }
        }
        Ty::Named(reference) => {
            let name = format_ident!("{}", reference.name);
            if reference.module == from {
                quote! { #name }
            } else {
                let module = super::crates::module_path(&reference.module, from);
                quote! { #module :: #name }
            }
        }
    }
}

/// One struct field with its serde attributes.
///
/// A field declared under an SDK name also accepts its REST name. (Undeclared keys,
/// inside `json` and maps, are renamed after decoding: see [`sdk_keys_tokens`].)
pub fn field_tokens(field: &Field, from: &[String]) -> TokenStream {
    let aliases = field_aliases(field);
    let doc = doc_attrs(&field_doc(field, &aliases));
    let name = ident(&field.rust);
    let mut ty = ty_tokens(&field.ty, from);
    if field.boxed {
        ty = quote! { Box<#ty> };
    }
    let mut serde = Vec::new();
    // Serde names a field after its identifier minus `r#`; `self` becomes `self_`, so
    // compare the emitted identifier, not the Rust name, with the wire name.
    let emitted = name.to_string();
    if emitted.trim_start_matches("r#") != field.wire {
        let wire = &field.wire;
        serde.push(quote! { rename = #wire });
    }
    for alias in &aliases {
        serde.push(quote! { alias = #alias });
    }
    if !field.required {
        serde.push(quote! { default, skip_serializing_if = "Option::is_none" });
        ty = quote! { Option<#ty> };
    }
    let serde = (!serde.is_empty()).then(|| quote! { #[serde(#(#serde),*)] });
    quote! {
        #doc
        #serde
        pub #name: #ty,
    }
}

/// The schema's aliases, plus the REST name of an entity field declared under its SDK name.
fn field_aliases(field: &Field) -> Vec<&str> {
    let mut aliases: Vec<&str> = field.aliases.iter().map(String::as_str).collect();
    if let Some(rest) = field.rest_name.as_deref() {
        if !aliases.contains(&rest) {
            aliases.push(rest);
        }
    }
    aliases
}

fn field_doc(field: &Field, aliases: &[&str]) -> String {
    let fallback = format!("`{}` on the wire.", field.wire);
    let format = field.format.as_ref().map(|format| format!("Format: {format}."));
    let deprecated = field.deprecated.then_some("Deprecated by Wix.");
    let aliases = (!aliases.is_empty()).then(|| {
        let names: Vec<String> = aliases.iter().map(|alias| format!("`{alias}`")).collect();
        format!("Also accepted as {} when decoding.", names.join(", "))
    });
    paragraphs([Some(field.doc.as_deref().unwrap_or(&fallback)), format.as_deref(), deprecated, aliases.as_deref()])
}

/// The derives and attributes every generated struct carries.
pub fn struct_attrs(with_default: bool) -> TokenStream {
    let default = with_default.then(|| quote! { Default, });
    quote! {
        #[derive(Debug, Clone, PartialEq, #default serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "strict", serde(deny_unknown_fields))]
    }
}

/// A schema struct.
pub fn struct_tokens(decl: &Struct, from: &[String]) -> TokenStream {
    let doc = doc_attrs(decl.doc.as_deref().unwrap_or(&format!("`{}` as Wix sends it.", decl.name)));
    let attrs = struct_attrs(decl.derives_default);
    let name = format_ident!("{}", decl.name);
    let fields = decl.fields.iter().map(|field| field_tokens(field, from));
    let sdk_keys = sdk_keys_tokens(&name, &decl.fields);
    quote! {
        #doc
        #attrs
        pub struct #name {
            #(#fields)*
        }

        #sdk_keys
    }
}

/// `SdkKeys` for a generated type: after a webhook's REST body is decoded directly, the
/// keys no schema declares are renamed as Wix's SDK renames them. The impl calls
/// `rename_sdk_keys` on those of `fields` that the SDK renames and that can hold such
/// keys (`json`, maps) or lead to a type that can; with none, the trait's no-op default
/// stays.
pub fn sdk_keys_tokens(name: &proc_macro2::Ident, fields: &[Field]) -> TokenStream {
    let walked: Vec<_> = fields
        .iter()
        .filter(|field| field.renamed_by_sdk && may_hold_free_keys(&field.ty))
        .map(|field| ident(&field.rust))
        .collect();
    if walked.is_empty() {
        return quote! { impl ::wix_events_runtime::wire::sdk_keys::SdkKeys for #name {} };
    }
    quote! {
        impl ::wix_events_runtime::wire::sdk_keys::SdkKeys for #name {
            fn rename_sdk_keys(&mut self) {
                #( ::wix_events_runtime::wire::sdk_keys::SdkKeys::rename_sdk_keys(&mut self.#walked); )*
            }
        }
    }
}

/// Whether a value of `ty` may hold undeclared keys: `json` and maps do, and a named
/// type may (its own impl decides).
fn may_hold_free_keys(ty: &Ty) -> bool {
    match ty {
        Ty::Named(_) => true,
        Ty::List(inner) | Ty::ItemsList(inner) => may_hold_free_keys(inner),
        other => other.holds_free_keys(),
    }
}

/// A string enum with its `Unknown(String)` fallback and wire conversions.
pub fn enum_tokens(decl: &Enum) -> TokenStream {
    let doc = doc_attrs(&paragraphs([
        decl.doc.as_deref(),
        Some("Values this version does not list decode into `Unknown` and encode back unchanged."),
    ]));
    let name = format_ident!("{}", decl.name);
    let variants: Vec<_> = decl.values.iter().map(|value| format_ident!("{}", value.variant)).collect();
    let wires: Vec<&str> = decl.values.iter().map(|value| value.wire.as_str()).collect();
    let docs = decl.values.iter().map(|value| {
        let wire = format!("`{}`", value.wire);
        doc_attrs(&paragraphs([Some(wire.as_str()), value.doc.as_deref()]))
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #( #docs #variants, )*
            /// A value not listed in the schema, kept as sent.
            Unknown(String),
        }

        impl ::wix_events_runtime::wire::WireEnum for #name {
            fn from_wire(value: &str) -> Self {
                match value {
                    #( #wires => Self::#variants, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            fn as_wire(&self) -> &str {
                match self {
                    #( Self::#variants => #wires, )*
                    Self::Unknown(value) => value,
                }
            }
        }

        ::wix_events_runtime::wire::wire_enum_serde!(#name);

        impl ::wix_events_runtime::wire::sdk_keys::SdkKeys for #name {}
    }
}

#[cfg(test)]
mod tests {
    use super::doc_lines;

    #[test]
    fn lazy_continuations_become_explicit() {
        let text = "Specify:\n- __A__: one.\nmore of A.\n12. B\nmore of B.\n\nAfter.\n> Note.\n<br>\nStill the note.\n\n```\n- code\nnot a list\n```";
        let expected = [
            " Specify:",
            " - __A__: one.",
            "   more of A.",
            " 12. B",
            "     more of B.",
            "",
            " After.",
            " > Note.",
            " > <br>",
            " > Still the note.",
            "",
            " ```",
            " - code",
            " not a list",
            " ```",
        ];
        assert_eq!(doc_lines(text), expected);
    }
}
