//! The `wix-events` tool (`decode`, `keygen`, `sign`) over this crate's events, run
//! in-process through `cli::run` with the arguments and streams a shell would give it.

use std::path::{Path, PathBuf};

use wix_backend_events::{cli, Event};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
}

/// What one run of the tool gave.
struct Output {
    code: u8,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Output {
    fn success(&self) -> bool {
        self.code == 0
    }
}

fn run_with_stdin(args: &[&str], mut stdin: &[u8]) -> Output {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let argv = ["wix-events", "decode"].iter().chain(args);
    let code = cli::run::<Event>(argv, &mut stdin, &mut stdout, &mut stderr);
    Output { code, stdout, stderr }
}

fn decode(args: &[&str]) -> Output {
    run_with_stdin(args, b"")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn decodes_a_velo_example_and_prints_it_unchanged() {
    let path = fixture("velo/wixContacts_onLabelDeleted.1.json");
    let output = decode(&["--event", "wixContacts_onLabelDeleted", "--strict", path.to_str().unwrap()]);
    assert!(output.success(), "{}", text(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let original: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(printed, original);
}

#[test]
fn decodes_a_webhook_body_into_the_velo_form() {
    let path = fixture("webhook/wix.contacts.v4.label_deleted.1.json");
    let output = decode(&["--event", "wix.contacts.v4.label_deleted", "--strict", path.to_str().unwrap()]);
    assert!(output.success(), "{}", text(&output.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(printed["metadata"]["id"].is_string(), "{printed}");
    assert!(printed.get("deletedEvent").is_none(), "{printed}");
}

#[test]
fn reads_standard_input() {
    let output = run_with_stdin(&["--event", "wixContacts_onLabelDeleted", "-"], br#"{"metadata": {"id": "x"}}"#);
    assert!(output.success());
    assert!(text(&output.stdout).contains("\"id\": \"x\""));
}

#[test]
fn a_bad_payload_fails_with_its_json_path() {
    let input = std::env::temp_dir().join(format!("wix-events-cli-{}.json", std::process::id()));
    std::fs::write(
        &input,
        br#"{"metadata": {"id": "e"}, "entity": {"info": {"emails": [{"email": "a"}, {"tag": 5}]}}}"#,
    )
    .unwrap();
    let output = decode(&["--event", "wixCrm_onContactCreated", input.to_str().unwrap()]);
    std::fs::remove_file(&input).unwrap();
    assert_eq!(output.code, 1);
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: wixCrm_onContactCreated: entity.info.emails[1].tag: "), "{stderr}");
}

#[test]
fn strict_names_undeclared_fields() {
    let input = std::env::temp_dir().join(format!("wix-events-cli-strict-{}.json", std::process::id()));
    std::fs::write(&input, br#"{"metadata": {"id": "e", "surprise": true}}"#).unwrap();
    let lenient = decode(&["--event", "wixContacts_onLabelDeleted", input.to_str().unwrap()]);
    let strict = decode(&["--event", "wixContacts_onLabelDeleted", "--strict", input.to_str().unwrap()]);
    std::fs::remove_file(&input).unwrap();
    assert!(lenient.success() || cfg!(feature = "strict"));
    assert_eq!(strict.code, 1);
    assert!(text(&strict.stderr).contains("metadata.surprise"), "{}", text(&strict.stderr));
}

#[test]
fn compact_format_prints_one_line_of_the_same_json() {
    let path = fixture("velo/wixContacts_onLabelDeleted.1.json");
    let path = path.to_str().unwrap();
    let pretty = decode(&["--event", "wixContacts_onLabelDeleted", path]);
    let compact = decode(&["--event", "wixContacts_onLabelDeleted", "--format", "compact", path]);
    assert!(compact.success(), "{}", text(&compact.stderr));
    assert_eq!(text(&compact.stdout).lines().count(), 1, "{}", text(&compact.stdout));
    assert!(text(&pretty.stdout).lines().count() > 1);
    let parse = |output: &Output| serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap();
    assert_eq!(parse(&compact), parse(&pretty));
}

/// A reader that has gone away: every write fails as a closed pipe does.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let path = fixture("velo/wixContacts_onLabelDeleted.1.json");
    let argv = ["wix-events", "decode", "--event", "wixContacts_onLabelDeleted", path.to_str().unwrap()];
    let mut stderr = Vec::new();
    let code = cli::run::<Event>(argv, &mut &b""[..], &mut ClosedPipe, &mut stderr);
    assert_eq!(code, cli::EXIT_OK);
    assert_eq!(text(&stderr), "");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let output = decode(&["--event", "wixContacts_onLabelDeleted", "no/such/file.json"]);
    assert_eq!(output.code, cli::EXIT_IO);
    assert!(text(&output.stderr).starts_with("error: no/such/file.json: "), "{}", text(&output.stderr));
    assert!(output.stdout.is_empty());
}

#[test]
fn an_unknown_event_gets_a_did_you_mean() {
    let path = fixture("velo/wixContacts_onLabelDeleted.1.json");
    let output = decode(&["--event", "wixContacts_onLabelDelete", path.to_str().unwrap()]);
    assert_eq!(output.code, cli::EXIT_USAGE);
    assert_eq!(
        text(&output.stderr).trim(),
        "error: unknown event `wixContacts_onLabelDelete`; did you mean `wixContacts_onLabelDeleted`?"
    );
}

mod jwt {
    use super::*;
    use wix_backend_events::testing::{now, webhook_claims, TestAlg, TestSigner};

    /// Writes the signed body and the public key (base64-encoded, as Wix's dashboard
    /// gives it) to temporary files and runs `decode --jwt`.
    fn decode_jwt(signer: &TestSigner, token: &str, tag: &str) -> Output {
        let dir = std::env::temp_dir().join(format!("wix-events-cli-jwt-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key.pem");
        use base64::Engine as _;
        std::fs::write(&key, base64::engine::general_purpose::STANDARD.encode(signer.public_key_pem())).unwrap();
        let body = dir.join("body.jwt");
        std::fs::write(&body, token).unwrap();
        let output = decode(&["--jwt", "--public-key", key.to_str().unwrap(), body.to_str().unwrap()]);
        std::fs::remove_dir_all(&dir).unwrap();
        output
    }

    fn contact_created_body() -> serde_json::Value {
        let path = fixture("webhook/wix.contacts.v4.contact_created.1.json");
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn verifies_unwraps_and_prints_the_event() {
        let signer = TestSigner::generate();
        let token = signer.sign_webhook("wix.contacts.v4.contact_created", "instance-1", &contact_created_body(), None);
        let output = decode_jwt(&signer, &token, "ok");
        assert!(output.success(), "{}", text(&output.stderr));
        // Only the event, as JSON: the output pipes into `jq`.
        let event: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(event["metadata"]["instanceId"], "instance-1");
        assert_eq!(event["metadata"]["id"], contact_created_body()["id"]);
        assert!(event["entity"]["_id"].is_string(), "{event}");
    }

    #[test]
    fn rejects_forged_and_expired_tokens_naming_the_problem() {
        let signer = TestSigner::generate();
        let other = TestSigner::generate();
        let body = contact_created_body();
        let forged = other.sign_webhook("wix.contacts.v4.contact_created", "i", &body, None);
        let claims = |exp| webhook_claims("wix.contacts.v4.contact_created", "i", &body, None, now() - 7200, exp);
        let expired = signer.sign_claims(&claims(now() - 3600), TestAlg::Rs256);
        let unsigned = signer.sign_claims(&claims(now() + 3600), TestAlg::Unsigned);
        for (tag, token, expected) in [
            ("forged", forged.as_str(), "signature does not match"),
            ("expired", expired.as_str(), "expired"),
            ("none", unsigned.as_str(), "algorithm"),
            ("truncated", &forged[..forged.len() / 2], "JWT"),
        ] {
            let output = decode_jwt(&signer, token, tag);
            assert_eq!(output.code, 1, "{tag}");
            let stderr = text(&output.stderr);
            assert!(stderr.contains(expected), "{tag}: {stderr}");
            assert!(output.stdout.is_empty(), "{tag}: printed an event");
        }
    }
}

/// `keygen`, then `sign`, then `decode --jwt`: the webhook path with the tool alone.
mod sign {
    use super::*;

    fn tool(args: &[&str]) -> Output {
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let argv = std::iter::once("wix-events").chain(args.iter().copied());
        let code = cli::run::<Event>(argv, &mut &b""[..], &mut stdout, &mut stderr);
        Output { code, stdout, stderr }
    }

    #[test]
    fn a_signed_body_decodes_with_the_public_key_only_at_its_time() {
        let dir = std::env::temp_dir().join(format!("wix-events-cli-sign-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let dir_text = dir.to_str().unwrap();
        let keygen = tool(&["keygen", "--out-dir", dir_text]);
        assert!(keygen.success(), "{}", text(&keygen.stderr));
        assert!(keygen.stdout.is_empty(), "keygen prints no keys");
        let again = tool(&["keygen", "--out-dir", dir_text]);
        assert_eq!(again.code, cli::EXIT_USAGE, "an existing key must not be overwritten");

        let private = dir.join("private.pem");
        let body = fixture("webhook/wix.contacts.v4.contact_created.1.json");
        let iat = "1700000000";
        let sign = |event_type: &str| {
            let key = private.to_str().unwrap();
            tool(&["sign", "--key", key, "--event-type", event_type, "--iat", iat, body.to_str().unwrap()])
        };
        let signed = sign("wix.contacts.v4.contact_created");
        assert!(signed.success(), "{}", text(&signed.stderr));
        let token = dir.join("body.jwt");
        std::fs::write(&token, &signed.stdout).unwrap();
        assert_eq!(sign("wix.contacts.v4.contact_create").code, cli::EXIT_USAGE);

        let public = dir.join("public.pem");
        let decode_at = |at: Option<&str>| {
            let mut args = vec!["decode", "--jwt", "--public-key", public.to_str().unwrap()];
            if let Some(at) = at {
                args.extend(["--at", at]);
            }
            args.push(token.to_str().unwrap());
            tool(&args)
        };
        let decoded = decode_at(Some(iat));
        let expired = decode_at(None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(decoded.success(), "{}", text(&decoded.stderr));
        let event: serde_json::Value = serde_json::from_slice(&decoded.stdout).unwrap();
        assert_eq!(event["metadata"]["instanceId"], "00000000-0000-0000-0000-000000000000");
        assert_eq!(expired.code, cli::EXIT_REJECTED);
        assert!(text(&expired.stderr).contains("expired"), "{}", text(&expired.stderr));
    }

    #[test]
    fn the_shipped_sample_verifies_at_its_issue_time() {
        let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/webhook");
        let command = std::fs::read_to_string(sample.join("README.md")).unwrap();
        let at = command.split("--at ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap();
        let public = sample.join("public.pem");
        let token = sample.join("contact_created.jwt");
        let decoded =
            tool(&["decode", "--jwt", "--public-key", public.to_str().unwrap(), "--at", at, token.to_str().unwrap()]);
        assert!(decoded.success(), "{}", text(&decoded.stderr));
        let event: serde_json::Value = serde_json::from_slice(&decoded.stdout).unwrap();
        assert!(event["entity"]["_id"].is_string(), "{event}");
    }
}
