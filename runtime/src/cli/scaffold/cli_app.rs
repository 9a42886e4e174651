//! `wix-events scaffold cli-app`: backend event extensions of a Wix CLI app.
//!
//! Per event, in `src/extensions/backend/events/<event-name>/`:
//! - `<event-name>.ts` registers the SDK event (`contacts.onContactCreated` from
//!   `@wix/crm`) with a handler forwarding the event object to the service;
//! - `<event-name>.extension.ts` declares the extension with `extensions.event({ id,
//!   source })` from `@wix/astro/builders`, `id` a UUID v4 derived from the app and the
//!   event, so that it is static and the same on every run;
//!
//! and each extension is registered in `src/extensions.ts` with `.use(event<Name>)`.
//! The signing and posting shared by all handlers is one file, `src/wix-events/forward.ts`.
//!
//! Nothing of the user's is overwritten: an existing file with other content, or another
//! handler of the same SDK event anywhere under `src/` (Wix allows one per event per app),
//! is reported and the event skipped; registration adds missing lines only.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use super::select::Selection;
use super::{js_string, shown, write_file, ForwardArgs, Report, GENERATED_MARKER, TOOL_VERSION};
use crate::event_info::EventInfo;

/// Where event extensions live, relative to the app's root.
const EVENTS_DIR: &str = "src/extensions/backend/events";
/// The shared forwarder, relative to the app's root.
const FORWARD_FILE: &str = "src/wix-events/forward.ts";
/// The app's extension registry, relative to the app's root.
const REGISTRY_FILE: &str = "src/extensions.ts";

#[derive(clap::Args, Debug)]
pub(super) struct CliAppArgs {
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    forward: ForwardArgs,
    /// The app's root directory (where `src/` and `wix.config.json` are).
    #[arg(long, value_name = "APP")]
    dir: PathBuf,
    /// What the extension ids are derived from. Default: `appId` of the app's
    /// wix.config.json, else `name` of its package.json, else the directory's name.
    #[arg(long, value_name = "ID")]
    app_id: Option<String>,
}

/// Why a CLI app cannot register a handler for an event.
fn unsupported(info: &EventInfo) -> Option<&'static str> {
    match (info.sdk, info.sdk_package) {
        (Some(_), Some(_)) => None,
        _ => Some("the JavaScript SDK registers no handler for it (it arrives as an app webhook or in Velo only)"),
    }
}

/// One event's extension: names and paths.
struct Extension {
    info: &'static EventInfo,
    /// Folder and file stem (`contact-created`).
    name: String,
    /// Export of the `.extension.ts` (`eventContactCreated`).
    export: String,
    /// SDK namespace (`contacts`) and event function (`onContactCreated`).
    namespace: &'static str,
    function: &'static str,
    package: &'static str,
}

impl Extension {
    fn folder(&self) -> String {
        format!("{EVENTS_DIR}/{}", self.name)
    }
    fn handler_file(&self) -> String {
        format!("{}/{}.ts", self.folder(), self.name)
    }
    fn extension_file(&self) -> String {
        format!("{}/{}.extension.ts", self.folder(), self.name)
    }
}

pub(super) fn run(catalogue: &'static [EventInfo], args: &CliAppArgs) -> Result<Report, String> {
    let (url, secret_name) = args.forward.validated()?;
    let selected = args.selection.resolve(catalogue, unsupported)?;
    if !args.dir.is_dir() {
        return Err(format!("--dir {}: not a directory (the app's root)", args.dir.display()));
    }
    let (app_id, app_id_source) = app_identity(&args.dir, args.app_id.as_deref())?;
    let command = format!(
        "wix-events scaffold cli-app --dir . {} {}",
        args.forward.command_line(),
        args.selection.command_line()
    );
    let extensions = extensions(catalogue);
    let sources = read_sources(&args.dir.join("src"));

    let mut report = Report::default();
    report.line(format!("extension ids derived from {app_id_source} {}", js_string(&app_id)));
    report.skipped(&selected.skipped);

    let forward_path = args.dir.join(FORWARD_FILE);
    match write_file(&forward_path, &forward_ts(&url, &secret_name, &command), true) {
        Ok(written) => report.line(format!("{} {FORWARD_FILE}", written.verb())),
        Err(None) => {
            return Err(format!("{FORWARD_FILE} exists and was not written by wix-events; move it away and re-run"));
        }
        Err(Some(error)) => return Err(error),
    }

    let mut to_register = Vec::new();
    for info in &selected.events {
        let Some(extension) = extensions.iter().find(|extension| extension.info.velo_handler == info.velo_handler)
        else {
            continue;
        };
        let ours = [extension.handler_file(), extension.extension_file()];
        if let Some(other) = other_handler(&sources, extension, &ours) {
            report.warnings.push(format!(
                "skipped {}: {} already handles {}.{} (Wix allows one handler per event per app); not overwritten",
                info.velo_handler, other, extension.namespace, extension.function
            ));
            continue;
        }
        let files = [
            (extension.handler_file(), handler_ts(extension, &command)),
            (extension.extension_file(), extension_ts(extension, &app_id, &command)),
        ];
        let mut complete = true;
        for (relative, content) in files {
            match write_file(&args.dir.join(&relative), &content, false) {
                Ok(written) => report.line(format!("{} {relative}", written.verb())),
                Err(None) => {
                    complete = false;
                    report.warnings.push(format!(
                        "{relative} exists with other content (an extension of your own for {}?); not overwritten. \
                         Delete it to regenerate",
                        info.velo_handler
                    ));
                }
                Err(Some(error)) => return Err(error),
            }
        }
        if complete {
            to_register.push(extension);
        }
    }

    let registry_path = args.dir.join(REGISTRY_FILE);
    let existing = match std::fs::read_to_string(&registry_path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(format!("{}: {error}", shown(&args.dir, &registry_path).display())),
    };
    let entries: Vec<(String, String)> = to_register
        .iter()
        .map(|extension| {
            (extension.export.clone(), format!("./extensions/backend/events/{0}/{0}.extension", extension.name))
        })
        .collect();
    match register(existing.as_deref(), &entries) {
        Ok((text, added)) => {
            // The user's file is edited in place: only lines were added to it.
            if existing.as_deref() != Some(text.as_str()) {
                std::fs::write(&registry_path, &text).map_err(|error| format!("{REGISTRY_FILE}: {error}"))?;
            }
            if added.is_empty() {
                report.line(format!("unchanged {REGISTRY_FILE} (every extension already registered)"));
            }
            for export in added {
                report.line(format!("registered {export} in {REGISTRY_FILE}"));
            }
        }
        Err(message) => report.warnings.push(format!("{REGISTRY_FILE}: {message}")),
    }
    Ok(report)
}

/// The extension of every event the SDK registers, named over the whole catalogue so
/// that a name never depends on which events were selected.
fn extensions(catalogue: &'static [EventInfo]) -> Vec<Extension> {
    let registered: Vec<(&'static EventInfo, &'static str, &'static str, &'static str)> = catalogue
        .iter()
        .filter_map(|info| {
            let (namespace, function) = info.sdk?.split_once('.')?;
            Some((info, namespace, function, info.sdk_package?))
        })
        .collect();
    // The shortest name that is unique over the catalogue: the function alone
    // (`contact-created`); with its namespace when two namespaces export it
    // (`badges.onBadgeCreated`, `badgesV2.onBadgeCreated`); with its package too when two
    // packages have that namespace (`orders.onOrderCanceled` of `@wix/ecom` and of
    // `@wix/pricing-plans`).
    let names = |level: usize, namespace: &str, function: &str, package: &str| {
        let base = kebab(function.strip_prefix("on").unwrap_or(function));
        let package = package.rsplit('/').next().unwrap_or(package);
        match level {
            0 => base,
            1 => format!("{}-{base}", kebab(namespace)),
            _ => format!("{package}-{}-{base}", kebab(namespace)),
        }
    };
    registered
        .iter()
        .map(|&(info, namespace, function, package)| {
            let unique = |level: usize| {
                let name = names(level, namespace, function, package);
                let same = registered.iter().filter(|(_, ns, f, p)| names(level, ns, f, p) == name).count();
                (same == 1).then_some(name)
            };
            let name = (0..2).find_map(unique).unwrap_or_else(|| names(2, namespace, function, package));
            let export = format!("event{}", name.split('-').map(capitalized).collect::<String>());
            Extension { info, name, export, namespace, function, package }
        })
        .collect()
}

/// `ContactCreated` -> `contact-created`, `badgesV2` -> `badges-v2`.
fn kebab(camel: &str) -> String {
    let mut out = String::new();
    for (index, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// The identity extension ids are derived from, and where it came from.
fn app_identity(dir: &Path, given: Option<&str>) -> Result<(String, &'static str), String> {
    if let Some(id) = given {
        return Ok((id.to_owned(), "--app-id"));
    }
    for (file, key, source) in
        [("wix.config.json", "appId", "appId of wix.config.json"), ("package.json", "name", "name of package.json")]
    {
        let path = dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| format!("{}: {error}", path.display()))?;
        if let Some(value) = json.get(key).and_then(serde_json::Value::as_str).filter(|value| !value.is_empty()) {
            return Ok((value.to_owned(), source));
        }
    }
    let canonical = dir.canonicalize().map_err(|error| format!("{}: {error}", dir.display()))?;
    let name = canonical.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((name, "the directory name"))
}

/// A UUID in version 4 format whose bits come from SHA-256 of the app and the event, not
/// from a random source: the same app and event always get the same id, so regenerating
/// changes nothing, and different apps or events get different ids.
fn extension_id(app_id: &str, velo_handler: &str) -> String {
    let digest = sha2::Sha256::digest(format!("wix-events cli-app extension\0{app_id}\0{velo_handler}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// The app's source files (TypeScript and JavaScript under `src/`), path and text.
fn read_sources(src: &Path) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "node_modules" {
                    pending.push(path);
                }
            } else if [".ts", ".tsx", ".js", ".jsx", ".mjs", ".mts"].iter().any(|ext| name.ends_with(ext)) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    let relative = path.strip_prefix(src.parent().unwrap_or(src)).unwrap_or(&path);
                    files.push((relative.to_string_lossy().replace('\\', "/"), text));
                }
            }
        }
    }
    files.sort();
    files
}

/// Another file under `src/` that registers the same SDK event: it mentions the event
/// function as a word and imports the package, and is none of this event's own files.
fn other_handler(sources: &[(String, String)], extension: &Extension, ours: &[String]) -> Option<String> {
    sources
        .iter()
        .filter(|(path, _)| !ours.contains(path))
        .find(|(_, text)| {
            // The call itself (`plans.onPlanCreated`): the namespace alone also matches
            // inside a package name (`@wix/pricing-plans` holds the word `plans`).
            has_word(text, &format!("{}.{}", extension.namespace, extension.function))
                && (text.contains(&format!("\"{}", extension.package))
                    || text.contains(&format!("'{}", extension.package)))
        })
        .map(|(path, _)| path.clone())
}

fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// `src/extensions.ts` with every `(export, import path)` registered: a missing import
/// and a missing `.use(export)` are added; nothing is removed or reordered. Returns the
/// text and the exports added, or why the file cannot be edited safely.
fn register(existing: Option<&str>, entries: &[(String, String)]) -> Result<(String, Vec<String>), String> {
    let Some(existing) = existing else {
        let mut text = String::from(
            "// The app's extensions. `wix-events scaffold cli-app` adds its backend event extensions\n\
             // here; lines of your own are kept.\nimport { app } from \"@wix/astro/builders\";\n",
        );
        for (export, path) in entries {
            let _ = writeln!(text, "import {{ {export} }} from {};", js_string(path));
        }
        text.push_str("\nexport default app()");
        for (export, _) in entries {
            let _ = write!(text, "\n  .use({export})");
        }
        text.push_str(";\n");
        return Ok((text, entries.iter().map(|(export, _)| export.clone()).collect()));
    };
    let mut text = existing.to_owned();
    let mut added = Vec::new();
    for (export, path) in entries {
        if is_used(&text, export) {
            continue;
        }
        let import = format!("import {{ {export} }} from {};\n", js_string(path));
        let imported = text.lines().any(|line| line.trim_start().starts_with("import") && has_word(line, export));
        let use_at = use_insertion_point(&text).ok_or_else(|| {
            format!(
                "found no `app()` or `.use(...)` to extend; add `{}` and `.use({export})` yourself",
                import.trim_end()
            )
        })?;
        text.insert_str(use_at, &format!("\n  .use({export})"));
        if !imported {
            let import_at = import_insertion_point(&text);
            text.insert_str(import_at, &import);
        }
        added.push(export.clone());
    }
    Ok((text, added))
}

/// Whether `.use(export)` is in the text (any spacing).
fn is_used(text: &str, export: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains(&format!(".use({export})"))
}

/// Just after the last `.use(...)` call, or after `app()` when there is none.
fn use_insertion_point(text: &str) -> Option<usize> {
    if let Some(start) = text.rfind(".use(") {
        let mut depth = 0usize;
        for (offset, c) in text[start + 4..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(start + 4 + offset + 1);
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    text.find("app()").map(|at| at + "app()".len())
}

/// The start of the line after the last import statement (after a leading comment block
/// when there is no import).
fn import_insertion_point(text: &str) -> usize {
    let mut offset = 0;
    let mut after_imports = None;
    let mut in_import = false;
    let mut leading_comments_end = 0;
    let mut seen_code = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with("import ") || trimmed.starts_with("import{") {
            in_import = true;
        }
        if !seen_code && (trimmed.starts_with("//") || trimmed.is_empty()) {
            leading_comments_end = offset + line.len();
        } else {
            seen_code = true;
        }
        offset += line.len();
        if in_import && (trimmed.ends_with(';') || trimmed.contains(" from ")) {
            in_import = false;
            after_imports = Some(offset);
        }
    }
    after_imports.unwrap_or(leading_comments_end)
}

/// `src/wix-events/forward.ts`: signs and posts one event object.
fn forward_ts(url: &str, secret_name: &str, command: &str) -> String {
    format!(
        "\
// {GENERATED_MARKER} {TOOL_VERSION} (`wix-events scaffold cli-app`). Do not edit: regenerate,
// from the app's root, with
//   {command}
//
// Forwards an SDK event object to the Rust service's POST /velo/<handler>, where it is
// handed, typed, to the handler method named after it. The request carries
//   x-wix-events-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<handler>.<body>\">
// keyed with the secret named {secret_name} in the site's Secrets Manager (read with
// elevated permissions: the app needs the permission to read secrets). The service
// refuses a wrong signature, a body signed for another handler, and a timestamp more than
// five minutes off. A failed forward throws, so it appears in the app's logs.
import {{ auth }} from \"@wix/essentials\";
import {{ secrets }} from \"@wix/secrets\";

const SERVICE_URL = {url};
const SECRET_NAME = {secret_name_literal};

const encoder = new TextEncoder();

async function sign(secret: string, message: string): Promise<string> {{
  // Web Crypto: available in Wix's backend runtime and in Node, no package needed.
  const key = await crypto.subtle.importKey(
    \"raw\",
    encoder.encode(secret),
    {{ name: \"HMAC\", hash: \"SHA-256\" }},
    false,
    [\"sign\"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign(\"HMAC\", key, encoder.encode(message)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, \"0\")).join(\"\");
}}

/** Posts `event` to the service as the Velo handler `handler` receives it. */
export async function forward(handler: string, event: unknown): Promise<void> {{
  // Sign exactly the bytes that are sent.
  const body = JSON.stringify(event);
  const {{ value: secret }} = await auth.elevate(secrets.getSecretValue)(SECRET_NAME);
  if (!secret) {{
    throw new Error(`wix-events: the secret ${{SECRET_NAME}} is missing from the Secrets Manager`);
  }}
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = await sign(secret, `${{timestamp}}.${{handler}}.${{body}}`);
  let response: Response;
  try {{
    response = await fetch(`${{SERVICE_URL}}/velo/${{handler}}`, {{
      method: \"POST\",
      headers: {{
        \"content-type\": \"application/json\",
        \"x-wix-events-signature\": `t=${{timestamp}},v1=${{signature}}`,
      }},
      body,
    }});
  }} catch (error) {{
    throw new Error(`wix-events: forwarding ${{handler}} failed: ${{error instanceof Error ? error.message : String(error)}}`);
  }}
  if (!response.ok) {{
    const detail = await response.text().catch(() => \"\");
    throw new Error(`wix-events: forwarding ${{handler}} failed: HTTP ${{response.status}} ${{detail.slice(0, 300)}}`);
  }}
}}
",
        url = js_string(url),
        secret_name_literal = js_string(secret_name),
    )
}

/// `<event-name>.ts`: registers the SDK event with a forwarding handler.
fn handler_ts(extension: &Extension, command: &str) -> String {
    let info = extension.info;
    format!(
        "\
// {GENERATED_MARKER} {TOOL_VERSION} (`wix-events scaffold cli-app`). Regenerate, from the
// app's root, with
//   {command}
// {sdk} ({package}) -> POST /velo/{velo} -> Rust {payload}
import {{ {namespace} }} from {package_literal};
import {{ forward }} from \"../../../../wix-events/forward\";

{namespace}.{function}(async (event) => {{
  await forward({velo_literal}, event);
}});
",
        sdk = info.sdk.unwrap_or_default(),
        package = extension.package,
        velo = info.velo_handler,
        payload = info.payload_type,
        namespace = extension.namespace,
        function = extension.function,
        package_literal = js_string(extension.package),
        velo_literal = js_string(info.velo_handler),
    )
}

/// `<event-name>.extension.ts`: the extension's declaration, with its static id.
fn extension_ts(extension: &Extension, app_id: &str, command: &str) -> String {
    format!(
        "\
// {GENERATED_MARKER} {TOOL_VERSION} (`wix-events scaffold cli-app`). Regenerate, from the
// app's root, with
//   {command}
// The id is derived from the app and the event: the same on every run.
import {{ extensions }} from \"@wix/astro/builders\";

export const {export} = extensions.event({{
  id: {id},
  source: {source},
}});
",
        export = extension.export,
        id = js_string(&extension_id(app_id, extension.info.velo_handler)),
        source = js_string(&format!("./extensions/backend/events/{0}/{0}.ts", extension.name)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_info::Envelope;

    fn entry(velo_handler: &'static str, sdk: &'static str) -> EventInfo {
        EventInfo {
            velo_handler,
            sdk: Some(sdk),
            sdk_package: Some("@wix/members"),
            event_type: "x.y_z",
            payload_type: "x::Y",
            module: "members.badges",
            feature: "members",
            envelope: Envelope::Entity,
            velo_documented: true,
            webhook_body: crate::event_info::WebhookBody::DomainEvent,
        }
    }

    #[test]
    fn names_are_kebab_case_and_clashes_take_the_namespace() {
        let catalogue: &'static [EventInfo] = Box::leak(Box::new([
            entry("wixBadges_onBadgeCreated", "badges.onBadgeCreated"),
            entry("wixBadgesV4_onBadgeCreated", "badgesV2.onBadgeCreated"),
            entry("wixCrm_onContactCreated", "contacts.onContactCreated"),
        ]));
        let names: Vec<(String, String)> =
            extensions(catalogue).into_iter().map(|extension| (extension.name, extension.export)).collect();
        assert_eq!(
            names,
            [
                ("badges-badge-created".to_owned(), "eventBadgesBadgeCreated".to_owned()),
                ("badges-v2-badge-created".to_owned(), "eventBadgesV2BadgeCreated".to_owned()),
                ("contact-created".to_owned(), "eventContactCreated".to_owned()),
            ]
        );
    }

    #[test]
    fn a_namespace_in_two_packages_takes_the_package() {
        let in_package = |velo_handler, package| EventInfo {
            sdk_package: Some(package),
            ..entry(velo_handler, "orders.onOrderCanceled")
        };
        let catalogue: &'static [EventInfo] = Box::leak(Box::new([
            in_package("wixEcom_onOrderCanceled", "@wix/ecom"),
            in_package("wixPricingPlans_onOrderCanceled", "@wix/pricing-plans"),
            entry("wixCrm_onContactCreated", "contacts.onContactCreated"),
        ]));
        let names: Vec<String> = extensions(catalogue).into_iter().map(|extension| extension.export).collect();
        assert_eq!(
            names,
            ["eventEcomOrdersOrderCanceled", "eventPricingPlansOrdersOrderCanceled", "eventContactCreated"]
        );
    }

    #[test]
    fn ids_are_v4_uuids_stable_per_app_and_event() {
        let id = extension_id("app-1", "wixCrm_onContactCreated");
        assert_eq!(id, extension_id("app-1", "wixCrm_onContactCreated"));
        assert_ne!(id, extension_id("app-2", "wixCrm_onContactCreated"));
        assert_ne!(id, extension_id("app-1", "wixCrm_onContactDeleted"));
        let groups: Vec<&str> = id.split('-').collect();
        assert_eq!(groups.iter().map(|group| group.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(groups[2].starts_with('4'), "{id}");
        assert!(matches!(groups[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'), "{id}");
        assert!(id.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    fn entries(exports: &[&str]) -> Vec<(String, String)> {
        exports.iter().map(|export| (export.to_string(), format!("./x/{export}"))).collect()
    }

    #[test]
    fn registration_adds_only_what_is_missing_and_keeps_the_users_lines() {
        let existing = "import { app } from \"@wix/astro/builders\";\nimport { myPage } from \"./pages/my\";\n\n\
                        export default app()\n  .use(myPage)\n  .use(eventContactCreated);\n";
        let (text, added) =
            register(Some(existing), &entries(&["eventContactCreated", "eventContactDeleted"])).unwrap();
        assert_eq!(added, ["eventContactDeleted"]);
        assert_eq!(
            text,
            "import { app } from \"@wix/astro/builders\";\nimport { myPage } from \"./pages/my\";\n\
             import { eventContactDeleted } from \"./x/eventContactDeleted\";\n\n\
             export default app()\n  .use(myPage)\n  .use(eventContactCreated)\n  .use(eventContactDeleted);\n"
        );
        let (again, added) = register(Some(&text), &entries(&["eventContactCreated", "eventContactDeleted"])).unwrap();
        assert_eq!((again.as_str(), added.len()), (text.as_str(), 0), "idempotent");
    }

    #[test]
    fn registration_creates_the_file_or_explains_what_to_add() {
        let (text, added) = register(None, &entries(&["eventA"])).unwrap();
        assert_eq!(added, ["eventA"]);
        assert!(text.contains("import { eventA } from \"./x/eventA\";\n\nexport default app()\n  .use(eventA);\n"));
        let (text, _) = register(
            Some("import { app } from \"@wix/astro/builders\";\nexport default app();\n"),
            &entries(&["eventA"]),
        )
        .unwrap();
        assert!(text.ends_with("export default app()\n  .use(eventA);\n"), "{text}");
        let error = register(Some("export default something;\n"), &entries(&["eventA"])).err().unwrap();
        assert!(error.contains(".use(eventA)"), "{error}");
    }

    #[test]
    fn another_handler_of_the_same_event_is_found() {
        let catalogue: &'static [EventInfo] =
            Box::leak(Box::new([entry("wixCrm_onContactCreated", "contacts.onContactCreated")]));
        let extension = &extensions(catalogue)[0];
        let mine = "import { contacts } from \"@wix/members\";\ncontacts.onContactCreated(async () => {});\n";
        let unrelated = "import { contacts } from \"@wix/members\";\ncontacts.onContactCreatedLater(() => {});\n";
        // Another namespace of a package whose name holds the word (`@wix/pricing-plans`).
        let sibling =
            "import { contactsV3 } from \"@wix/members\";\n// contacts\ncontactsV3.onContactCreated(() => {});\n";
        let sources = vec![
            ("src/a.ts".to_owned(), unrelated.to_owned()),
            ("src/c.ts".to_owned(), sibling.to_owned()),
            ("src/b.ts".to_owned(), mine.to_owned()),
        ];
        assert_eq!(other_handler(&sources, extension, &[]), Some("src/b.ts".to_owned()));
        assert_eq!(other_handler(&sources, extension, &["src/b.ts".to_owned()]), None);
    }
}
