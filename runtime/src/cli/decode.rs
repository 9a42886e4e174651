//! `wix-events decode`: a payload decoded as the dispatcher decodes it, printed as the
//! Velo event object.

use std::io::Read;
use std::path::PathBuf;

use crate::decode::Strict;
use crate::event_set::EventSet;
use crate::webhook::{self, WebhookDelivery, WebhookKey};

#[derive(clap::Args)]
pub(super) struct DecodeArgs {
    /// Velo handler name (the file is a Velo event object) or webhook eventType (the file
    /// is a webhook domain-event body).
    #[arg(long, required_unless_present = "jwt", conflicts_with = "jwt")]
    event: Option<String>,
    /// The file is a webhook request body (a JWT): verify it with --public-key and unwrap it.
    #[arg(long, requires = "public_key")]
    jwt: bool,
    /// The app's public key: a PEM file, or a file holding the base64-encoded PEM.
    #[arg(long, value_name = "KEY.pem")]
    public_key: Option<PathBuf>,
    /// Also fail on fields the schema does not declare, naming them.
    #[arg(long)]
    strict: bool,
    /// Payload file, or `-` for standard input.
    file: PathBuf,
}

/// Decodes the payload `args` name; the text to print, or what went wrong.
pub(super) fn run<E: EventSet + serde::Serialize>(args: &DecodeArgs, stdin: &mut dyn Read) -> Result<String, String> {
    let input = read_input(&args.file, stdin)?;
    if args.jwt {
        let key_path = args.public_key.as_ref().ok_or("--jwt needs --public-key")?;
        let key_text = std::fs::read_to_string(key_path).map_err(|error| format!("{}: {error}", key_path.display()))?;
        let key = WebhookKey::from_pem(&key_text).map_err(|error| format!("{}: {error}", key_path.display()))?;
        let delivery = webhook::open(input.trim_ascii(), &key).map_err(|error| error.to_string())?;
        let event: E = webhook_event(delivery, args.strict)?;
        let info = event.info();
        return Ok(format!("{} ({})\n{}", info.velo_handler, info.event_type, to_json(&event)?));
    }
    let name = args.event.as_deref().ok_or("give --event NAME or --jwt")?;
    // The dispatcher's own paths: a webhook body as `Dispatcher::webhook` decodes it once
    // unwrapped, a Velo event object as `Dispatcher::velo` does.
    let event: E = if E::by_event_type(name).is_some() {
        let text =
            std::str::from_utf8(&input).map_err(|error| format!("{}: not UTF-8: {error}", args.file.display()))?;
        let delivery =
            WebhookDelivery::from_body(name, text).map_err(|error| format!("{}: {error}", args.file.display()))?;
        webhook_event(delivery, args.strict)?
    } else if args.strict {
        E::decode(name, Strict(input.as_slice())).map_err(|error| error.to_string())?
    } else {
        E::decode(name, input.as_slice()).map_err(|error| error.to_string())?
    };
    to_json(&event)
}

fn webhook_event<E: EventSet>(delivery: WebhookDelivery, strict: bool) -> Result<E, String> {
    let decoded = if strict { delivery.into_strict_event() } else { delivery.into_event() };
    decoded.map_err(|error| error.to_string())
}

fn to_json<E: serde::Serialize>(event: &E) -> Result<String, String> {
    serde_json::to_string_pretty(event).map_err(|error| error.to_string())
}

fn read_input(file: &PathBuf, stdin: &mut dyn Read) -> Result<Vec<u8>, String> {
    if file.as_os_str() == "-" {
        let mut input = Vec::new();
        stdin.read_to_end(&mut input).map_err(|error| format!("stdin: {error}"))?;
        Ok(input)
    } else {
        std::fs::read(file).map_err(|error| format!("{}: {error}", file.display()))
    }
}
