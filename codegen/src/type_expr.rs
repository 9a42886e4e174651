//! Type expressions of the schema language: `string`, `list<T>`, `crm.contacts.Contact`.

/// A parsed, not yet resolved, type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A built-in scalar (`string`, `int64`, ...).
    Scalar(&'static str),
    /// `wrapper<inner>`: one of [`WRAPPERS`].
    Wrapped(&'static str, Box<TypeExpr>),
    /// A named type, optionally qualified by a module path.
    Named {
        /// Module path, empty for a type of the same file.
        module: Vec<String>,
        /// Type name.
        name: String,
    },
}

/// Built-in scalar types.
pub const SCALARS: &[&str] = &["string", "bool", "integer", "int64", "float", "timestamp", "json", "image"];
/// Generic wrappers.
pub const WRAPPERS: &[&str] = &["list", "items_list", "map", "items_map"];

/// Why an expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// A suggestion.
    pub hint: Option<String>,
}

/// Parses a type expression.
pub fn parse(text: &str) -> Result<TypeExpr, ParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(error("empty type", Some("write a type such as `string` or `list<Contact>`")));
    }
    if let Some(open) = text.find('<') {
        let Some(inner) = text[open + 1..].strip_suffix('>') else {
            return Err(error(format!("`{text}` has an unclosed `<`"), Some("close it: `list<Contact>`")));
        };
        let head = text[..open].trim();
        let Some(wrapper) = WRAPPERS.iter().find(|known| **known == head) else {
            let hint = crate::diagnostic::did_you_mean(head, WRAPPERS.iter().copied())
                .map(|close| format!("did you mean `{close}<...>`?"))
                .unwrap_or_else(|| format!("the generic types are {}", WRAPPERS.join(", ")));
            return Err(error(format!("unknown generic type `{head}`"), Some(&hint)));
        };
        return Ok(TypeExpr::Wrapped(wrapper, Box::new(parse(inner)?)));
    }
    if text.contains('>') {
        return Err(error(format!("`{text}` has a `>` without `<`"), None));
    }
    if let Some(scalar) = SCALARS.iter().find(|known| **known == text) {
        return Ok(TypeExpr::Scalar(scalar));
    }
    let mut segments: Vec<&str> = text.split('.').collect();
    let name = segments.pop().unwrap_or_default().to_owned();
    if segments.iter().chain([&name.as_str()]).any(|segment| !crate::ident::is_identifier(segment)) {
        return Err(error(
            format!("`{text}` is not a type expression"),
            Some("names are identifiers such as `Contact` or `crm.contacts.Contact`"),
        ));
    }
    Ok(TypeExpr::Named { module: segments.into_iter().map(str::to_owned).collect(), name })
}

fn error(message: impl Into<String>, hint: Option<&str>) -> ParseError {
    ParseError { message: message.into(), hint: hint.map(str::to_owned) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_wrappers_and_qualified_names() {
        assert_eq!(
            parse("list<items_map<crm.contacts.Contact>>"),
            Ok(TypeExpr::Wrapped(
                "list",
                Box::new(TypeExpr::Wrapped(
                    "items_map",
                    Box::new(TypeExpr::Named { module: vec!["crm".into(), "contacts".into()], name: "Contact".into() })
                ))
            ))
        );
        assert_eq!(parse(" int64 "), Ok(TypeExpr::Scalar("int64")));
    }

    #[test]
    fn reports_malformed_expressions() {
        assert!(parse("list<string").unwrap_err().message.contains("unclosed"));
        assert_eq!(parse("lst<string>").unwrap_err().hint.as_deref(), Some("did you mean `list<...>`?"));
        assert!(parse("a b").is_err());
        assert!(parse("").is_err());
    }
}
