//! Type expressions of the schema language: `string`, `list<T>`, `crm.contacts.Contact`.
//!
//! Every expression parses into a known [`TypeExpr`] or is a [`ParseError`] that
//! lowering reports at the expression's location: nothing falls back to `json`.

use crate::diagnostic::{did_you_mean, Diagnostic, Location};

/// A parsed, not yet resolved, type expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A built-in scalar (`string`, `int64`, ...).
    Scalar(Scalar),
    /// `wrapper<inner>`.
    Wrapped(Wrapper, Box<TypeExpr>),
    /// A named type, optionally qualified by a module path.
    Named {
        /// Module path, empty for a type of the same file.
        module: Vec<String>,
        /// Type name.
        name: String,
    },
}

/// The built-in scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `string`: a JSON string.
    String,
    /// `bool`: a JSON boolean.
    Bool,
    /// `integer`: a JSON integer.
    Integer,
    /// `int64`: a 64-bit integer sent as a JSON string.
    Int64,
    /// `float`: a JSON number.
    Float,
    /// `timestamp`: an RFC 3339 timestamp string.
    Timestamp,
    /// `json`: any JSON.
    Json,
    /// `image`: a Wix image, a string or a REST object.
    Image,
    /// `page_url`: a page URL, a string or a REST object.
    PageUrl,
}

impl Scalar {
    /// Every scalar, in the order the schema language documents them.
    pub const ALL: [Scalar; 9] = [
        Scalar::String,
        Scalar::Bool,
        Scalar::Integer,
        Scalar::Int64,
        Scalar::Float,
        Scalar::Timestamp,
        Scalar::Json,
        Scalar::Image,
        Scalar::PageUrl,
    ];

    /// The name a schema writes (`int64`).
    pub fn name(self) -> &'static str {
        match self {
            Scalar::String => "string",
            Scalar::Bool => "bool",
            Scalar::Integer => "integer",
            Scalar::Int64 => "int64",
            Scalar::Float => "float",
            Scalar::Timestamp => "timestamp",
            Scalar::Json => "json",
            Scalar::Image => "image",
            Scalar::PageUrl => "page_url",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scalar| scalar.name() == name)
    }
}

/// The generic wrappers: `wrapper<T>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrapper {
    /// `list<T>`: a JSON array.
    List,
    /// `items_list<T>`: `{items: [...]}` or a bare array.
    ItemsList,
    /// `map<T>`: a JSON object with string keys.
    Map,
    /// `items_map<T>`: `{items: {...}}` or a flat object.
    ItemsMap,
}

impl Wrapper {
    /// Every wrapper.
    pub const ALL: [Wrapper; 4] = [Wrapper::List, Wrapper::ItemsList, Wrapper::Map, Wrapper::ItemsMap];

    /// The name a schema writes (`items_list`).
    pub fn name(self) -> &'static str {
        match self {
            Wrapper::List => "list",
            Wrapper::ItemsList => "items_list",
            Wrapper::Map => "map",
            Wrapper::ItemsMap => "items_map",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|wrapper| wrapper.name() == name)
    }
}

/// Why an expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// A suggestion.
    pub hint: Option<String>,
}

impl ParseError {
    /// The diagnostic for this error, at the expression's location.
    pub fn at(self, location: Location) -> Diagnostic {
        Diagnostic { location, message: self.message, hint: self.hint }
    }
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
        let Some(wrapper) = Wrapper::from_name(head) else {
            let names = Wrapper::ALL.map(Wrapper::name);
            let hint = did_you_mean(head, names)
                .map(|close| format!("did you mean `{close}<...>`?"))
                .unwrap_or_else(|| format!("the generic types are {}", names.join(", ")));
            return Err(error(format!("unknown generic type `{head}`"), Some(&hint)));
        };
        return Ok(TypeExpr::Wrapped(wrapper, Box::new(parse(inner)?)));
    }
    if text.contains('>') {
        return Err(error(format!("`{text}` has a `>` without `<`"), None));
    }
    if let Some(scalar) = Scalar::from_name(text) {
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
                Wrapper::List,
                Box::new(TypeExpr::Wrapped(
                    Wrapper::ItemsMap,
                    Box::new(TypeExpr::Named { module: vec!["crm".into(), "contacts".into()], name: "Contact".into() })
                ))
            ))
        );
        assert_eq!(parse(" int64 "), Ok(TypeExpr::Scalar(Scalar::Int64)));
    }

    /// Each built-in parses to its own variant: two variants sharing a name would make
    /// one of them unreachable.
    #[test]
    fn every_builtin_parses_to_its_own_variant() {
        for scalar in Scalar::ALL {
            assert_eq!(parse(scalar.name()), Ok(TypeExpr::Scalar(scalar)));
        }
        for wrapper in Wrapper::ALL {
            let text = format!("{}<string>", wrapper.name());
            assert_eq!(parse(&text), Ok(TypeExpr::Wrapped(wrapper, Box::new(TypeExpr::Scalar(Scalar::String)))));
        }
    }

    #[test]
    fn reports_malformed_expressions() {
        assert!(parse("list<string").unwrap_err().message.contains("unclosed"));
        assert_eq!(parse("lst<string>").unwrap_err().hint.as_deref(), Some("did you mean `list<...>`?"));
        assert!(parse("a b").is_err());
        assert!(parse("").is_err());
        // Not a scalar: a name like any other, which lowering then resolves (or reports).
        assert_eq!(parse("Json"), Ok(TypeExpr::Named { module: Vec::new(), name: "Json".into() }));
    }
}
