//! `wix-events decode`: a payload decoded as the dispatcher decodes it, printed as the
//! Velo event object. Only that JSON goes to stdout, so the output pipes into `jq`.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::Failure;
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
    /// Check the token's time claims as if the clock read this many seconds since the
    /// epoch (a token saved earlier, such as the sample in examples/webhook/).
    #[arg(long, value_name = "UNIX_SECS", requires = "jwt")]
    at: Option<u64>,
    /// Also fail on fields the schema does not declare, naming them.
    #[arg(long)]
    strict: bool,
    /// How the JSON is printed: `pretty` (indented) or `compact` (one line).
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    format: Format,
    /// Payload file, or `-` for standard input.
    file: PathBuf,
}

/// How `decode` prints its JSON.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// Indented, one field a line.
    Pretty,
    /// One line.
    Compact,
}

/// Decodes the payload `args` name; the JSON to print, or what went wrong.
pub(super) fn run<E: EventSet + serde::Serialize>(args: &DecodeArgs, stdin: &mut dyn Read) -> Result<String, Failure> {
    let input = read_input(&args.file, stdin)?;
    let event: E = if args.jwt {
        let key_path = args.public_key.as_ref().ok_or_else(|| Failure::usage("--jwt needs --public-key"))?;
        let key_text = std::fs::read_to_string(key_path).map_err(|error| Failure::io(key_path, error))?;
        let key = WebhookKey::from_pem(&key_text)
            .map_err(|error| Failure::usage(format!("{}: {error}", key_path.display())))?;
        let token = input.trim_ascii();
        let delivery = match args.at {
            Some(at) => webhook::layers::open_at(token, &key, at),
            None => webhook::open(token, &key),
        };
        webhook_event(delivery.map_err(Failure::rejected)?, args.strict)?
    } else {
        let name = args.event.as_deref().ok_or_else(|| Failure::usage("give --event NAME or --jwt"))?;
        if E::by_event_type(name).is_none() && E::by_velo_handler(name).is_none() {
            return Err(Failure::usage(E::unknown_event(name)));
        }
        // The dispatcher's own paths: a webhook body as `Dispatcher::webhook` decodes it
        // once unwrapped, a Velo event object as `Dispatcher::velo` does.
        if E::by_event_type(name).is_some() {
            let text = std::str::from_utf8(&input)
                .map_err(|error| Failure::rejected(format!("{}: not UTF-8: {error}", args.file.display())))?;
            let delivery = WebhookDelivery::from_body(name, text)
                .map_err(|error| Failure::rejected(format!("{}: {error}", args.file.display())))?;
            webhook_event(delivery, args.strict)?
        } else if args.strict {
            E::decode(name, Strict(input.as_slice())).map_err(Failure::rejected)?
        } else {
            E::decode(name, input.as_slice()).map_err(Failure::rejected)?
        }
    };
    let json = match args.format {
        Format::Pretty => serde_json::to_string_pretty(&event),
        Format::Compact => serde_json::to_string(&event),
    };
    json.map_err(Failure::rejected)
}

fn webhook_event<E: EventSet>(delivery: WebhookDelivery, strict: bool) -> Result<E, Failure> {
    let decoded = if strict { delivery.into_strict_event() } else { delivery.into_event() };
    decoded.map_err(Failure::rejected)
}

fn read_input(file: &Path, stdin: &mut dyn Read) -> Result<Vec<u8>, Failure> {
    if file.as_os_str() == "-" {
        let mut input = Vec::new();
        stdin.read_to_end(&mut input).map_err(|error| Failure::io(Path::new("stdin"), error))?;
        Ok(input)
    } else {
        std::fs::read(file).map_err(|error| Failure::io(file, error))
    }
}
