//! Fetching a package: `npm pack` (the ordinary npm client) into the ignored cache, a
//! check of the tarball against the manifest's integrity, and the files the importer reads.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use sha2::{Digest, Sha512};

use crate::manifest::Package;

/// The package's files the importer reads, by path inside the package (`build/cjs/index.js`).
pub type Files = BTreeMap<String, String>;

/// Tarball of `package` from the cache, or from npm when absent; integrity-checked.
pub fn fetch(root: &Path, package: &Package) -> Result<Files, String> {
    let cache = root.join(crate::CACHE_DIR);
    std::fs::create_dir_all(&cache).map_err(|error| format!("{}: {error}", cache.display()))?;
    let file = format!("{}-{}.tgz", package.name.trim_start_matches('@').replace('/', "-"), package.version);
    let tarball = cache.join(&file);
    if !tarball.exists() {
        let spec = format!("{}@{}", package.name, package.version);
        let status = Command::new("npm")
            .args(["pack", &spec, "--silent", "--pack-destination"])
            .arg(&cache)
            // npm prints the tarball's name; the caller reports what matters.
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|error| format!("npm pack {spec}: {error} (is npm installed?)"))?;
        if !status.success() {
            return Err(format!("npm pack {spec} failed ({status})"));
        }
    }
    let bytes = std::fs::read(&tarball).map_err(|error| format!("{}: {error}", tarball.display()))?;
    verify(&bytes, &package.integrity).map_err(|error| format!("{}: {error}", tarball.display()))?;
    unpack(&bytes).map_err(|error| format!("{}: {error}", tarball.display()))
}

/// The registry's latest version of `name` and its tarball's integrity (`npm view`).
pub fn latest(name: &str) -> Result<(String, String), String> {
    let output = Command::new("npm")
        .args(["view", name, "version", "dist.integrity", "--json"])
        .output()
        .map_err(|error| format!("npm view {name}: {error} (is npm installed?)"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("npm view {name} failed ({}): {}", output.status, stderr.trim()));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: BTreeMap<String, String> =
        serde_json::from_str(&text).map_err(|error| format!("npm view {name}: unexpected answer ({error}): {text}"))?;
    match (fields.get("version"), fields.get("dist.integrity")) {
        (Some(version), Some(integrity)) => Ok((version.clone(), integrity.clone())),
        _ => Err(format!("npm view {name}: no version or integrity in {text}")),
    }
}

/// Checks bytes against an npm integrity string (`sha512-<base64>`).
pub fn verify(bytes: &[u8], integrity: &str) -> Result<(), String> {
    let expected = integrity.strip_prefix("sha512-").ok_or("integrity is not sha512")?;
    let actual = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes));
    match actual == expected {
        true => Ok(()),
        false => Err(format!("integrity mismatch: manifest {integrity}, tarball sha512-{actual}")),
    }
}

/// The text files of interest in a `.tgz`: package.json and the cjs build (public and
/// internal), or, in packages of the older bundled layout, the typings bundle and the
/// modules' public JS.
pub fn unpack(bytes: &[u8]) -> Result<Files, String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = Files::new();
    for entry in archive.entries().map_err(|error| error.to_string())? {
        let mut entry = entry.map_err(|error| error.to_string())?;
        let path = entry.path().map_err(|error| error.to_string())?.to_string_lossy().into_owned();
        // npm tarballs put everything under `package/`.
        let Some(inner) = path.strip_prefix("package/") else { continue };
        if !wanted(inner) {
            continue;
        }
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(|error| format!("{inner}: {error}"))?;
        files.insert(inner.to_owned(), text);
    }
    Ok(files)
}

fn wanted(path: &str) -> bool {
    path == "package.json"
        || path == "build/cjs/index.js"
        || path == crate::snapshot::BUNDLED_TYPINGS
        || (path.starts_with(crate::snapshot::BUNDLED_JS_DIR) && path.ends_with(".public.js"))
        || ((path.starts_with("build/cjs/") || path.starts_with("build/internal/cjs/"))
            && path.ends_with(".d.ts")
            && !path.ends_with("meta.d.ts"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_checked() {
        // sha512 of the empty input.
        let empty = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
        assert!(verify(b"", empty).is_ok());
        assert!(verify(b"x", empty).is_err());
    }
}
