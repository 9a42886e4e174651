//! JSDoc blocks (`/** ... */`) split into the description and their `@tags`.

use std::collections::BTreeMap;

/// A parsed JSDoc block.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct JsDoc {
    /// Text before the first tag, lines joined with `\n`, trimmed.
    pub description: String,
    /// Tags by name without `@`; a repeated tag keeps its first value.
    pub tags: BTreeMap<String, String>,
}

/// Parses the full text of a block comment including its delimiters.
pub fn parse(comment: &str) -> JsDoc {
    let body = comment.trim().trim_start_matches("/**").trim_end_matches("*/");
    let mut doc = JsDoc::default();
    let mut description = Vec::new();
    let mut in_tags = false;
    for line in body.lines() {
        let line = line.trim().trim_start_matches('*').trim();
        if let Some(tag) = line.strip_prefix('@') {
            in_tags = true;
            let (name, value) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
            doc.tags.entry(name.to_owned()).or_insert_with(|| value.trim().to_owned());
        } else if !in_tags {
            description.push(line);
        }
    }
    doc.description = description.join("\n").trim().to_owned();
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_description_and_tags() {
        let doc = parse("/**\n * Order ID.\n * Second line.\n * @format GUID\n * @readonly\n */");
        assert_eq!(doc.description, "Order ID.\nSecond line.");
        assert_eq!(doc.tags.get("format").map(String::as_str), Some("GUID"));
        assert_eq!(doc.tags.get("readonly").map(String::as_str), Some(""));
    }
}
