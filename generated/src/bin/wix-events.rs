//! `wix-events`: decode Wix event payloads from the command line, as a service would.
//!
//! ```text
//! wix-events decode --event wixCrm_onContactCreated [--strict] event.json
//! wix-events decode --event wix.contacts.v4.contact_created [--strict] body.json
//! wix-events decode --jwt --public-key KEY.pem [--strict] request-body.jwt
//! ```
//! `cargo xtask decode ...` runs this tool.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::Value;
use wix_backend_events::decode::Strict;
use wix_backend_events::webhook::{self, WebhookKey, WrapperFields};
use wix_backend_events::{catalogue, DecodeError, Event};

#[derive(Parser)]
#[command(name = "wix-events", version, about = "Decode Wix backend event payloads")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a payload and print it re-encoded as the Velo event object.
    Decode(DecodeArgs),
}

#[derive(clap::Args)]
struct DecodeArgs {
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

fn main() -> ExitCode {
    let Cli { command: Command::Decode(args) } = Cli::parse();
    match decode(&args) {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn decode(args: &DecodeArgs) -> Result<String, String> {
    let input = read_input(&args.file)?;
    if args.jwt {
        let key_path = args.public_key.as_ref().ok_or("--jwt needs --public-key")?;
        let key_text = std::fs::read_to_string(key_path).map_err(|error| format!("{}: {error}", key_path.display()))?;
        let key = WebhookKey::from_pem(&key_text).map_err(|error| format!("{}: {error}", key_path.display()))?;
        let delivery = webhook::open(input.trim_ascii(), &key).map_err(|error| error.to_string())?;
        let info = catalogue::by_event_type(&delivery.event_type)
            .ok_or_else(|| DecodeError::unknown_event(&delivery.event_type).to_string())?;
        let envelope = delivery.into_velo_envelope().map_err(|error| error.to_string())?;
        let event = decode_value(info.velo_handler, envelope, args.strict)?;
        return Ok(format!("{} ({})\n{}", info.velo_handler, info.event_type, to_json(&event)?));
    }
    let name = args.event.as_deref().ok_or("give --event NAME or --jwt")?;
    let event = if let Some(info) = catalogue::by_event_type(name) {
        let body: Value =
            serde_json::from_slice(&input).map_err(|error| format!("{}: not JSON: {error}", args.file.display()))?;
        let envelope = webhook::domain_event::to_velo_envelope(body, &WrapperFields::default())
            .map_err(|error| error.to_string())?;
        decode_value(info.velo_handler, envelope, args.strict)?
    } else if args.strict {
        Event::decode(name, Strict(input.as_slice())).map_err(|error| error.to_string())?
    } else {
        Event::decode(name, input.as_slice()).map_err(|error| error.to_string())?
    };
    to_json(&event)
}

fn decode_value(velo_handler: &str, envelope: Value, strict: bool) -> Result<Event, String> {
    let decoded =
        if strict { Event::decode(velo_handler, Strict(envelope)) } else { Event::decode(velo_handler, envelope) };
    decoded.map_err(|error| error.to_string())
}

fn to_json(event: &Event) -> Result<String, String> {
    serde_json::to_string_pretty(event).map_err(|error| error.to_string())
}

fn read_input(file: &PathBuf) -> Result<Vec<u8>, String> {
    if file.as_os_str() == "-" {
        let mut input = Vec::new();
        std::io::stdin().read_to_end(&mut input).map_err(|error| format!("stdin: {error}"))?;
        Ok(input)
    } else {
        std::fs::read(file).map_err(|error| format!("{}: {error}", file.display()))
    }
}
