//! Errors in schema files, located at `file:line:col`, with a hint when one helps.

use std::fmt;

/// A place in a schema file. Lines and columns start at 1.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// Path of the file as given to the generator (`schemas/crm/contacts.yaml`).
    pub file: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

impl Location {
    /// The location of a YAML value in `file`.
    pub fn of<T>(file: &str, spanned: &crate::yaml::Spanned<T>) -> Self {
        Self::at(file, &spanned.referenced)
    }

    /// The location of a YAML position in `file`.
    pub fn at(file: &str, location: &crate::yaml::SourceLocation) -> Self {
        Self { file: file.to_owned(), line: location.line().max(1), column: location.column().max(1) }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One mistake in a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where it is.
    pub location: Location,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something specific to say.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// A diagnostic without a hint.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Self { location, message: message.into(), hint: None }
    }

    /// Adds a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: error: {}", self.location, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// All the mistakes found in one run, sorted by location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Every diagnostic, then a count of the errors found in `place` (`the schemas`).
    pub fn report(&self, place: &str) -> String {
        let mut text = String::new();
        for diagnostic in &self.0 {
            text.push_str(&format!("{diagnostic}\n"));
        }
        let count = self.0.len();
        text.push_str(&format!("{count} error{} in {place}; nothing was written", if count == 1 { "" } else { "s" }));
        text
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report("the schemas"))
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(&name.to_lowercase(), &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["ContactInfo", "Contact", "LabelType"];
        assert_eq!(did_you_mean("ContactInfos", names), Some("ContactInfo"));
        assert_eq!(did_you_mean("contact", names), Some("Contact"));
        assert_eq!(did_you_mean("Zebra", names), None);
    }
}
