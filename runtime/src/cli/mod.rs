//! The `wix-events` tool: decode Wix event payloads from the command line, as a service
//! would. Generic over the event set; the generated crate's binary runs
//! [`main`]`::<Event>()`.
//!
//! ```text
//! wix-events decode --event wixCrm_onContactCreated [--strict] event.json
//! wix-events decode --event wix.contacts.v4.contact_created [--strict] body.json
//! wix-events decode --jwt --public-key KEY.pem [--strict] request-body.jwt
//! wix-events scaffold velo --url URL (--all | --area A | --module M | --event NAME)... [--out FILE]
//! wix-events scaffold cli-app --dir APP --url URL (--all | --area A | --module M | --event NAME)...
//! ```
//! `cargo xtask decode ...` runs this tool.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::event_set::EventSet;

mod decode;
mod scaffold;

#[derive(Parser)]
#[command(name = "wix-events", version, about = "Decode Wix backend event payloads and scaffold the Wix side")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a payload and print it re-encoded as the Velo event object.
    Decode(decode::DecodeArgs),
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
/// first), input read from `stdin` when the file is `-`. Returns the exit code: 0 when the
/// event decoded, 1 when it did not, 2 for a usage error.
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
            return u8::try_from(error.exit_code()).unwrap_or(2);
        }
    };
    let args = match command {
        Command::Decode(args) => args,
        Command::Scaffold(args) => return scaffold::run::<E>(&args, stdout, stderr),
    };
    let result = decode::run::<E>(&args, stdin);
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
