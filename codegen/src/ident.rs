//! Names: case conversion and Rust identifiers (keywords become raw identifiers).

use proc_macro2::{Ident, Span};

/// `snake_case` of a wire or schema name: `_createdDate` -> `created_date`,
/// `e164Phone` -> `e164_phone`, `HTTPServer` -> `http_server`, `wixCrm_onX` -> `wix_crm_on_x`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let starts_word = match previous {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if starts_word {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c == '_' || c == '-' || c == '.' || c == ' ' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    collapse_underscores(&out)
}

/// `UpperCamelCase`: `STARTS_IN_1_DAY` -> `StartsIn1Day`, `wixCrm_onX` -> `WixCrmOnX`.
pub fn upper_camel(name: &str) -> String {
    snake_case(name)
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

fn collapse_underscores(text: &str) -> String {
    text.split('_').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("_")
}

/// Whether `name` is usable as a Rust identifier once keywords are made raw.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
}

/// Whether `name` is UpperCamelCase (as type, event and enum names must be).
pub fn is_upper_camel(name: &str) -> bool {
    is_identifier(name) && name.starts_with(|c: char| c.is_ascii_uppercase()) && !name.contains('_')
}

/// Keywords that cannot even be raw identifiers; they get a trailing underscore.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Rust keywords (2021 edition, strict and reserved).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait",
    "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// An identifier token for `name`: `type` -> `r#type`, `self` -> `self_`.
pub fn ident(name: &str) -> Ident {
    if NOT_RAW.contains(&name) {
        Ident::new(&format!("{name}_"), Span::call_site())
    } else if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// The Rust field name of a wire name: snake case without leading underscores.
pub fn field_name(wire: &str) -> String {
    snake_case(wire)
}

/// The Rust variant name of an enum wire value; a leading digit gets a `N` prefix.
pub fn variant_name(wire: &str) -> String {
    let name = upper_camel(wire);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_handles_wire_names() {
        assert_eq!(snake_case("_id"), "id");
        assert_eq!(snake_case("_createdDate"), "created_date");
        assert_eq!(snake_case("e164Phone"), "e164_phone");
        assert_eq!(snake_case("addressLine1"), "address_line1");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("wixBadgesV4_onBadgeCreated"), "wix_badges_v4_on_badge_created");
        assert_eq!(snake_case("STARTS_IN_1_DAY"), "starts_in_1_day");
    }

    #[test]
    fn upper_camel_handles_enum_values_and_handlers() {
        assert_eq!(upper_camel("STARTS_IN_1_DAY"), "StartsIn1Day");
        assert_eq!(upper_camel("UNKNOW_ORDER_STATUS"), "UnknowOrderStatus");
        assert_eq!(upper_camel("wixCrm_onContactCreated"), "WixCrmOnContactCreated");
        assert_eq!(variant_name("1_DAY"), "N1Day");
    }

    #[test]
    fn keywords_become_raw_or_suffixed() {
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("self").to_string(), "self_");
        assert_eq!(ident("name").to_string(), "name");
    }

    #[test]
    fn identifiers_are_checked() {
        assert!(is_identifier("first_name"));
        assert!(!is_identifier("first-name"));
        assert!(!is_identifier("1st"));
        assert!(is_upper_camel("ContactInfo"));
        assert!(!is_upper_camel("contactInfo"));
        assert!(!is_upper_camel("Contact_Info"));
    }
}
