//! The `wix-events` tool: decode Wix event payloads from the command line, as a service
//! would. Generic over the event set; the generated crate's binary runs
//! [`main`]`::<Event>()`.
//!
//! ```text
//! wix-events decode --event wixCrm_onContactCreated [--strict] event.json
//! wix-events decode --event wix.contacts.v4.contact_created [--strict] body.json
//! wix-events decode --jwt --public-key KEY.pem [--strict] request-body.jwt
//! ```
//! `cargo xtask decode ...` runs this tool.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use crate::decode::Strict;
use crate::webhook::{self, WebhookDelivery, WebhookKey};
use crate::EventSet;
use clap::{Parser, Subcommand};

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

/// Runs the tool over the events of `E` with the process's arguments and standard
/// streams, and returns its exit code.
pub fn main<E: EventSet + serde::Serialize>() -> ExitCode {
    let code =
        run::<E>(std::env::args_os(), &mut std::io::stdin().lock(), &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}

/// Runs the tool over the events of `E`: `args` as on a command line (the program name
/// first), input read from `stdin` when the file is `-`. Returns the exit code: 0 when the
/// event decoded, 1 when it did not, 2 for a usage error.
pub fn run<E: EventSet + serde::Serialize>(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let Cli { command: Command::Decode(args) } = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are answers, written to stdout; usage errors to stderr.
            let rendered = error.render();
            let _ = if error.use_stderr() { write!(stderr, "{rendered}") } else { write!(stdout, "{rendered}") };
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    let result = decode::<E>(&args, stdin);
    // A closed pipe (`| head`) is not an error worth a message; anything written so far
    // is what the reader wanted.
    match result {
        Ok(output) => match writeln!(stdout, "{output}") {
            Ok(()) => 0,
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Err(error) => {
                let _ = writeln!(stderr, "error: writing the output: {error}");
                1
            }
        },
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            1
        }
    }
}

fn decode<E: EventSet + serde::Serialize>(args: &DecodeArgs, stdin: &mut dyn Read) -> Result<String, String> {
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
