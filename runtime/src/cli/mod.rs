//! The `wix-events` tool: decode Wix event payloads from the command line, as a service
//! would, sign webhook bodies as Wix does, and scaffold the Wix side. Generic over the
//! event set; the generated crate's binary runs [`main`]`::<Event>()`.
//!
//! ```text
//! wix-events decode --event wixCrm_onContactCreated [--strict] [--format compact] event.json
//! wix-events decode --event wix.contacts.v4.contact_created [--strict] body.json
//! wix-events decode --jwt --public-key KEY.pem [--at UNIX_SECS] [--strict] request-body.jwt
//! wix-events keygen --out-dir DIR
//! wix-events sign --key DIR/private.pem --event-type wix.contacts.v4.contact_created body.json
//! wix-events scaffold velo --url URL (--all | --area A | --module M | --event NAME)... [--out FILE]
//! wix-events scaffold cli-app --dir APP --url URL (--all | --area A | --module M | --event NAME)...
//! ```
//!
//! Standard output carries only the result (JSON for `decode`, the token for `sign`);
//! everything else goes to standard error. Exit codes: [`EXIT_OK`], [`EXIT_REJECTED`],
//! [`EXIT_USAGE`], [`EXIT_IO`]. A closed standard output (`| head`) ends the tool quietly.
//! `cargo xtask decode ...` runs `decode`.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::event_set::EventSet;

mod decode;
mod scaffold;
mod sign;

/// Exit code: the command did what it was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: the payload or token was rejected (does not decode, forged, expired, not
/// JSON); the message names why. `scaffold` also exits with it when it left out
/// something asked for.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code: the command line is wrong (unknown option or event name, unusable key,
/// an output file that exists already).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a file could not be read or written, or the crypto library failed.
pub const EXIT_IO: u8 = 3;

#[derive(Parser)]
#[command(name = "wix-events", version, about = "Decode Wix backend event payloads and scaffold the Wix side")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a payload and print it re-encoded as the Velo event object (JSON only).
    Decode(decode::DecodeArgs),
    /// Make an RSA key pair standing in for an app's webhook key (private.pem, public.pem).
    Keygen(sign::KeygenArgs),
    /// Sign a webhook body as Wix does, printing the JWT a receiver gets as request body.
    Sign(sign::SignArgs),
    /// Generate the Wix side: a Velo site's backend/events.js or a Wix CLI app's event
    /// extensions, forwarding events to the service.
    Scaffold(scaffold::ScaffoldArgs),
}

/// Runs the tool over the events of `E` with the process's arguments and standard
/// streams, and returns its exit code.
pub fn main<E: EventSet + serde::Serialize>() -> ExitCode {
    let code =
        run::<E>(std::env::args_os(), &mut std::io::stdin().lock(), &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}

/// Runs the tool over the events of `E`: `args` as on a command line (the program name
/// first), input read from `stdin` when a file is `-`. Returns the exit code
/// ([`EXIT_OK`], [`EXIT_REJECTED`], [`EXIT_USAGE`], [`EXIT_IO`]).
pub fn run<E: EventSet + serde::Serialize>(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let Cli { command } = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are answers, written to stdout; usage errors to stderr.
            let rendered = error.render();
            let _ = if error.use_stderr() { write!(stderr, "{rendered}") } else { write!(stdout, "{rendered}") };
            return u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE);
        }
    };
    let result = match command {
        Command::Decode(args) => decode::run::<E>(&args, stdin),
        Command::Sign(args) => sign::sign::<E>(&args, stdin),
        Command::Keygen(args) => match sign::keygen(&args) {
            Ok(note) => {
                let _ = writeln!(stderr, "{note}");
                return EXIT_OK;
            }
            Err(failure) => Err(failure),
        },
        Command::Scaffold(args) => return scaffold::run::<E>(&args, stdout, stderr),
    };
    match result {
        Ok(output) => print(&output, stdout, stderr),
        Err(failure) => {
            let _ = writeln!(stderr, "error: {}", failure.message);
            failure.code
        }
    }
}

/// Writes the result and a newline. A closed pipe (`| head`) is not an error worth a
/// message: what was written so far is what the reader wanted.
fn print(output: &str, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match writeln!(stdout, "{output}").and_then(|()| stdout.flush()) {
        Ok(()) => EXIT_OK,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(error) => {
            let _ = writeln!(stderr, "error: writing the output: {error}");
            EXIT_IO
        }
    }
}

/// Why a command failed: the message for stderr and the exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// The payload or token was rejected.
    fn rejected(message: impl std::fmt::Display) -> Self {
        Self { code: EXIT_REJECTED, message: message.to_string() }
    }

    /// The command line asked for something impossible.
    fn usage(message: impl std::fmt::Display) -> Self {
        Self { code: EXIT_USAGE, message: message.to_string() }
    }

    /// A file could not be read or written.
    fn io(path: &std::path::Path, error: std::io::Error) -> Self {
        Self { code: EXIT_IO, message: format!("{}: {error}", path.display()) }
    }

    /// The crypto library failed.
    fn io_message(message: impl std::fmt::Display) -> Self {
        Self { code: EXIT_IO, message: message.to_string() }
    }
}
