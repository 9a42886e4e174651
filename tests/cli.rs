//! The `wix-events decode` tool over this crate's events, run in-process through
//! `cli::run` with the arguments and streams a shell would give it.

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
fn an_unknown_event_gets_a_did_you_mean() {
    let path = fixture("velo/wixContacts_onLabelDeleted.1.json");
    let output = decode(&["--event", "wixContacts_onLabelDelete", path.to_str().unwrap()]);
    assert_eq!(output.code, 1);
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
        let stdout = text(&output.stdout);
        let (name, json) = stdout.split_once('\n').unwrap();
        assert_eq!(name, "wixCrm_onContactCreated (wix.contacts.v4.contact_created)");
        let event: serde_json::Value = serde_json::from_str(json).unwrap();
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
