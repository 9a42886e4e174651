//! `import/manifest.toml`: the packages to import, pinned by version and integrity, and
//! the facts about them that no package holds (Velo prefix, SDK export, docs page).

use std::path::Path;

use serde::Deserialize;

/// The whole manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Packages in import order.
    #[serde(rename = "package", default)]
    pub packages: Vec<Package>,
}

/// One npm package and the module it becomes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// npm name (`@wix/auto_sdk_ecom_orders`).
    pub name: String,
    /// Exact version.
    pub version: String,
    /// npm integrity of the tarball (`sha512-<base64>`).
    pub integrity: String,
    /// Target schema module (`ecom.orders`).
    pub module: String,
    /// Module documentation written into the YAML.
    #[serde(default)]
    pub doc: Option<String>,
    /// Wix reference page of the module.
    #[serde(default)]
    pub docs: Option<String>,
    /// Umbrella package and namespace the SDK exports the events from.
    pub sdk: Sdk,
    /// Velo `events.js` prefix, with the page that documents it. Absent when Wix documents
    /// none: the events are then webhook-only and named by [`Package::handler_prefix`].
    #[serde(default)]
    pub velo: Option<Velo>,
    /// Types the typings declare but no SDK event carries, kept in the snapshot for the
    /// events an overlay adds (events Wix documents for Velo or REST only).
    #[serde(default)]
    pub extra_types: Vec<String>,
}

impl Package {
    /// The prefix of the module's handler names: the documented Velo prefix, or else
    /// `wix` + the module path in UpperCamelCase (`stores.products_v3` ->
    /// `wixStoresProductsV3`). Module paths are unique in the manifest, so derived
    /// prefixes are too (and the generator rejects any handler name used twice).
    pub fn handler_prefix(&self) -> String {
        match &self.velo {
            Some(velo) => velo.prefix.clone(),
            None => {
                let mut prefix = String::from("wix");
                for word in self.module.split(['.', '_']) {
                    let mut chars = word.chars();
                    if let Some(first) = chars.next() {
                        prefix.extend(first.to_uppercase());
                        prefix.push_str(chars.as_str());
                    }
                }
                prefix
            }
        }
    }
}

/// SDK export.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sdk {
    /// Umbrella package (`@wix/ecom`).
    pub package: String,
    /// Namespace (`orders`).
    pub export: String,
}

/// Velo prefix and its source.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Velo {
    /// The prefix (`wixEcom`).
    pub prefix: String,
    /// The docs page it was read from.
    pub source: String,
}

/// Reads and validates the manifest.
pub fn read(root: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(root.join(crate::MANIFEST_PATH))
        .map_err(|error| format!("{}: {error}", crate::MANIFEST_PATH))?;
    parse(&text)
}

/// Parses manifest text; errors name the file, line and column.
pub fn parse(text: &str) -> Result<Manifest, String> {
    let manifest: Manifest = toml::from_str(text).map_err(|error| located(crate::MANIFEST_PATH, text, &error))?;
    let mut seen = std::collections::BTreeSet::new();
    for package in &manifest.packages {
        if !seen.insert(package.module.clone()) {
            return Err(format!("{}: module `{}` is imported twice", crate::MANIFEST_PATH, package.module));
        }
        if !package.integrity.starts_with("sha512-") {
            return Err(format!("{}: {}: integrity must be `sha512-...`", crate::MANIFEST_PATH, package.name));
        }
    }
    Ok(manifest)
}

/// The manifest `text` with the package `name` pinned to `version` and `integrity`; the
/// rest of the text (comments, order) unchanged.
pub fn with_pin(text: &str, name: &str, version: &str, integrity: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut in_package = false;
    let mut replaced = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = false;
        } else if trimmed == format!("name = \"{name}\"") {
            in_package = true;
        }
        if in_package && trimmed.starts_with("version = ") {
            out.push_str(&format!("version = \"{version}\"\n"));
            replaced += 1;
        } else if in_package && trimmed.starts_with("integrity = ") {
            out.push_str(&format!("integrity = \"{integrity}\"\n"));
            replaced += 1;
        } else {
            out.push_str(line);
        }
    }
    match replaced {
        2 => Ok(out),
        _ => Err(format!(
            "{}: package `{name}` needs one `version` and one `integrity` line after its `name`",
            crate::MANIFEST_PATH
        )),
    }
}

/// A TOML error as `file:line:col: message`.
pub fn located(file: &str, text: &str, error: &toml::de::Error) -> String {
    let (line, column) = match error.span() {
        Some(span) => line_col(text, span.start),
        None => (1, 1),
    };
    format!("{file}:{line}:{column}: error: {}", error.message())
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_without_a_velo_prefix_get_one_from_their_path() {
        let text = "[[package]]\nname = \"a\"\nversion = \"1\"\nintegrity = \"sha512-x\"\nmodule = \"stores.products_v3\"\nsdk = { package = \"@wix/stores\", export = \"productsV3\" }\n";
        let manifest = parse(text).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(manifest.packages[0].handler_prefix(), "wixStoresProductsV3");
    }

    #[test]
    fn a_new_pin_changes_only_its_package() {
        let text = "# pins\n[[package]]\nname = \"a\"\nversion = \"1\"\nintegrity = \"sha512-x\"\n\n[[package]]\nname = \"b\"\nversion = \"1\"\nintegrity = \"sha512-y\"\n";
        let pinned = with_pin(text, "b", "2", "sha512-z").unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            pinned,
            text.replace("version = \"1\"\nintegrity = \"sha512-y\"", "version = \"2\"\nintegrity = \"sha512-z\"")
        );
        assert!(with_pin(text, "c", "2", "sha512-z").is_err(), "an unknown package is an error");
    }

    #[test]
    fn a_bad_key_is_reported_with_its_line() {
        let error = parse("[[package]]\nname = \"a\"\nbogus = 1\n").err().unwrap_or_default();
        assert!(error.starts_with("import/manifest.toml:3:1: error:"), "{error}");
    }
}
