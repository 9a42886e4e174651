//! `wix-events scaffold velo`: a Velo site's complete `backend/events.js`.
//!
//! Velo calls an exported function of `backend/events.js` by its exact name
//! (`wixCrm_onContactCreated`) for each backend event, so the file holds one such
//! function per chosen event. Each forwards the event object to the service's
//! `POST /velo/<name>`, signed over the timestamp, the name and the body
//! ([`crate::velo_auth`]), and throws on a network error or a non-2xx answer so that
//! the failure shows in the site's logs.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::select::Selection;
use super::{js_string, write_file, ForwardArgs, Report, GENERATED_MARKER, TOOL_VERSION};
use crate::event_info::EventInfo;

#[derive(clap::Args, Debug)]
pub(super) struct VeloArgs {
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    forward: ForwardArgs,
    /// Write the file here (`backend/events.js`, or `src/backend/events.js` in a site's
    /// Git repository) instead of printing it. An existing file not written by this tool
    /// is never replaced.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Why Velo cannot call a handler for an event.
fn unsupported(info: &EventInfo) -> Option<&'static str> {
    (!info.velo_documented).then_some("Wix documents no Velo handler for it (it arrives only as an app webhook)")
}

pub(super) fn run(catalogue: &'static [EventInfo], args: &VeloArgs) -> Result<Report, String> {
    let (url, secret_name) = args.forward.validated()?;
    let selected = args.selection.resolve(catalogue, unsupported)?;
    let command = format!("wix-events scaffold velo {} {}", args.forward.command_line(), args.selection.command_line());
    let content = events_js(&selected.events, &url, &secret_name, &command);
    let mut report = Report::default();
    report.skipped(&selected.skipped);
    let Some(out) = &args.out else {
        // Printed for pasting into the site's code editor; the notes go to stderr.
        report.text = content;
        return Ok(report);
    };
    match write_file(out, &content, true) {
        Ok(written) => {
            report.line(format!("{} {} ({} events)", written.verb(), out.display(), selected.events.len()));
        }
        Err(None) => {
            return Err(format!(
                "{} exists and was not written by wix-events: it may hold your own handlers. Run without --out to \
                 print the generated file and merge it by hand (Velo allows one function per handler name)",
                out.display()
            ));
        }
        Err(Some(error)) => return Err(error),
    }
    Ok(report)
}

/// The file's text: header, the shared `forward` function, one export per event.
fn events_js(events: &[&EventInfo], url: &str, secret_name: &str, command: &str) -> String {
    let mut js = String::new();
    let _ = write!(
        js,
        "\
// {GENERATED_MARKER} {TOOL_VERSION} (`wix-events scaffold velo`). Do not edit: regenerate with
//   {command}
//
// Forwards this site's backend events to the Rust service, which hands each one, typed,
// to the handler method named after it. Every request carries
//   x-wix-events-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<handler>.<body>\">
// keyed with the secret stored in the Secrets Manager as {secret_name}; the service refuses
// a wrong signature, a body signed for another handler, and a timestamp more than five
// minutes off. A failed forward throws, so it appears in the site's logs.
import {{ fetch }} from \"wix-fetch\";
import {{ getSecret }} from \"wix-secrets-backend\";
import {{ createHmac }} from \"crypto\";

const SERVICE_URL = {url};
const SECRET_NAME = {secret_name_literal};

async function forward(handler, event) {{
  // Sign exactly the bytes that are sent.
  const body = JSON.stringify(event);
  const secret = await getSecret(SECRET_NAME);
  if (!secret) {{
    throw new Error(`wix-events: the secret ${{SECRET_NAME}} is missing from the Secrets Manager`);
  }}
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac(\"sha256\", secret).update(`${{timestamp}}.${{handler}}.${{body}}`).digest(\"hex\");
  let response;
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
    throw new Error(`wix-events: forwarding ${{handler}} failed: ${{error && error.message ? error.message : error}}`);
  }}
  if (!response.ok) {{
    const detail = await response.text().catch(() => \"\");
    throw new Error(`wix-events: forwarding ${{handler}} failed: HTTP ${{response.status}} ${{detail.slice(0, 300)}}`);
  }}
}}
",
        url = js_string(url),
        secret_name_literal = js_string(secret_name),
    );
    for info in events {
        let handler = info.velo_handler;
        let _ = write!(
            js,
            "\n// {handler} -> Rust {payload}\nexport function {handler}(event) {{\n  return forward({name}, event);\n}}\n",
            payload = info.payload_type,
            name = js_string(handler),
        );
    }
    js
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_info::Envelope;

    const CREATED: EventInfo = EventInfo {
        velo_handler: "wixCrm_onContactCreated",
        sdk: Some("contacts.onContactCreated"),
        sdk_package: Some("@wix/crm"),
        event_type: "wix.contacts.v4.contact_created",
        payload_type: "crm::contacts::ContactCreated",
        module: "crm.contacts",
        feature: "crm",
        envelope: Envelope::Entity,
        velo_documented: true,
        webhook_body: crate::event_info::WebhookBody::DomainEvent,
    };

    #[test]
    fn one_export_per_event_named_as_velo_calls_it() {
        let js = events_js(&[&CREATED], "https://svc.example.com", "wixEventsSecret", "wix-events scaffold velo --all");
        assert!(js.starts_with("// @generated by wix-events "), "{js}");
        assert!(js.contains("//   wix-events scaffold velo --all\n"), "{js}");
        assert!(js.contains("export function wixCrm_onContactCreated(event) {\n  return forward(\"wixCrm_onContactCreated\", event);\n}"));
        assert!(js.contains("const SERVICE_URL = \"https://svc.example.com\";"));
        assert!(js.contains("`${timestamp}.${handler}.${body}`"), "signs the documented string");
        assert_eq!(
            js,
            events_js(&[&CREATED], "https://svc.example.com", "wixEventsSecret", "wix-events scaffold velo --all")
        );
    }
}
