//! `wix-events keygen` and `wix-events sign`: a key pair standing in for an app's, and
//! webhook request bodies signed with it as Wix signs them, to try the webhook path
//! (`decode --jwt`, a receiver) without Wix.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::Failure;
use crate::event_set::EventSet;
use crate::signing::WebhookSigner;

/// File names `keygen` writes, and the README refers to.
const PRIVATE_KEY_FILE: &str = "private.pem";
const PUBLIC_KEY_FILE: &str = "public.pem";

#[derive(clap::Args)]
pub(super) struct KeygenArgs {
    /// Folder to write private.pem and public.pem into (created when missing; existing
    /// key files are never overwritten).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,
}

#[derive(clap::Args)]
pub(super) struct SignArgs {
    /// The private key from `wix-events keygen` (PKCS#8 PEM).
    #[arg(long, value_name = "private.pem")]
    key: PathBuf,
    /// The webhook eventType, e.g. wix.contacts.v4.contact_created.
    #[arg(long, value_name = "EVENT_TYPE")]
    event_type: String,
    /// The site instance the webhook is sent for.
    #[arg(long, value_name = "ID", default_value = "00000000-0000-0000-0000-000000000000")]
    instance_id: String,
    /// Issue time (`iat`), seconds since the epoch; now by default. The token expires
    /// 300,000 s later, as Wix's do.
    #[arg(long, value_name = "UNIX_SECS")]
    iat: Option<u64>,
    /// The webhook's domain-event body (JSON), or `-` for standard input.
    body: PathBuf,
}

/// Writes a fresh key pair; the lines to print on stderr (where the keys went).
pub(super) fn keygen(args: &KeygenArgs) -> Result<String, Failure> {
    let private_path = args.out_dir.join(PRIVATE_KEY_FILE);
    let public_path = args.out_dir.join(PUBLIC_KEY_FILE);
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(Failure::usage(format!("{} exists already; choose another --out-dir", path.display())));
        }
    }
    std::fs::create_dir_all(&args.out_dir).map_err(|error| Failure::io(&args.out_dir, error))?;
    let signer = WebhookSigner::generate().map_err(Failure::io_message)?;
    let private_pem = signer.private_key_pem().map_err(Failure::io_message)?;
    write_private(&private_path, &private_pem)?;
    std::fs::write(&public_path, signer.public_key_pem()).map_err(|error| Failure::io(&public_path, error))?;
    Ok(format!(
        "wrote {} (keep it to yourself) and {} (what a receiver verifies with)",
        private_path.display(),
        public_path.display()
    ))
}

/// The private key, readable by its owner only where the platform says so.
fn write_private(path: &Path, pem: &str) -> Result<(), Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|error| Failure::io(path, error))?;
    file.write_all(pem.as_bytes()).map_err(|error| Failure::io(path, error))
}

/// Signs the body as a webhook of `--event-type`; the token to print.
pub(super) fn sign<E: EventSet>(args: &SignArgs, stdin: &mut dyn Read) -> Result<String, Failure> {
    if E::by_event_type(&args.event_type).is_none() {
        return Err(Failure::usage(E::unknown_event(&args.event_type)));
    }
    let key_text = std::fs::read_to_string(&args.key).map_err(|error| Failure::io(&args.key, error))?;
    let signer = WebhookSigner::from_private_key_pem(&key_text)
        .map_err(|error| Failure::usage(format!("{}: {error}", args.key.display())))?;
    let mut text = Vec::new();
    if args.body.as_os_str() == "-" {
        stdin.read_to_end(&mut text).map_err(|error| Failure::io(Path::new("stdin"), error))?;
    } else {
        text = std::fs::read(&args.body).map_err(|error| Failure::io(&args.body, error))?;
    }
    let body: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|error| Failure::rejected(format!("{}: not JSON: {error}", args.body.display())))?;
    let iat = args.iat.unwrap_or_else(crate::signing::now);
    signer.sign_webhook_at(&args.event_type, &args.instance_id, &body, None, iat).map_err(Failure::io_message)
}
