//! `aep-flow-run journal` (the built binary) run against the local journal and token endpoint
//! (tests/support/journal_server.rs): catching up, one line per event, the position kept in a
//! file between runs, `--json`, and a credential IMS refuses.

use std::path::PathBuf;
use std::process::Output;

use serde_json::{json, Value};

#[path = "../../tests/support/journal_server.rs"]
mod journal_server;
#[path = "../../tests/support/test_tls.rs"]
mod test_tls;

use journal_server::{
    fixture_entries, start, Reply, Server, IMS_HOST, JOURNAL_HOST, JOURNAL_URL, TOKEN_URL,
};

async fn run(server: &Server, dir: &std::path::Path, args: &[&str]) -> Output {
    let root = dir.join("root.der");
    std::fs::write(&root, server.root_der()).unwrap();
    let resolve = format!("{JOURNAL_HOST}={0},{IMS_HOST}={0}", server.address);
    tokio::process::Command::new(env!("CARGO_BIN_EXE_aep-flow-run"))
        .args(["journal", JOURNAL_URL])
        .args(args)
        .env("AIO_CLIENT_ID", "my-client-id")
        .env("AIO_CLIENT_SECRET", "s3cret-of-the-test")
        .env("AIO_ORG_ID", "ORG@AdobeOrg")
        .env("AIO_IMS_URL", TOKEN_URL)
        .env("AIO_CA_DER", &root)
        .env("AIO_RESOLVE", resolve)
        .env_remove("AIO_SCOPES")
        .output()
        .await
        .unwrap()
}

fn temporary_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("aep-journal-example-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries() -> Vec<(String, Value)> {
    let mut entries = fixture_entries("fixtures/edge-cases/journal-page.json");
    entries.extend(fixture_entries(
        "fixtures/events/journal-aem-asset-created-two-events.json",
    ));
    let repeat = entries[0].1.clone();
    entries.push(("rabbit:a1b2c3d4.7".to_owned(), repeat));
    entries
}

#[tokio::test]
async fn catches_up_prints_one_line_per_event_and_resumes_from_its_checkpoint() {
    let server = start(entries()).await;
    let dir = temporary_dir("lines");
    let checkpoint = dir.join("position");
    let checkpoint_arg = checkpoint.to_str().unwrap();
    let output = run(
        &server,
        &dir,
        &["--limit", "2", "--checkpoint", checkpoint_arg],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0],
        "rabbit:a1b2c3d4.0  flow run sources_flow_run_success: SUCCESS  run 933cf9f4-cf01-4d75-bcf9-f4cf010d750a  flow 1c6f1047-dcaf-48fe-af10-47dcaf08feaf  errors 0  event aec55616-1715-487f-8044-ba648cc8ffee"
    );
    assert!(
        lines[1].starts_with("rabbit:a1b2c3d4.1  flow run sources_flow_run_failed: FAILED"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("camel:") && lines[2].contains("  other "),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("moose:"), "{}", lines[3]);
    assert!(stderr.contains("caught up, 4 new events"), "{stderr}");
    // The position, by journal, in the file FileCheckpoint keeps.
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(saved, json!({ JOURNAL_URL: "rabbit:a1b2c3d4.7" }));
    // The request carried the credential's token, client id and organisation.
    {
        let state = server.state();
        assert_eq!(state.token_requests.len(), 1);
        assert!(!stderr.contains("s3cret"));
        let first = &state.journal_requests[0];
        assert_eq!(first.header("authorization"), Some("Bearer tok-1"));
        assert_eq!(first.header("x-api-key"), Some("my-client-id"));
        assert_eq!(first.header("x-ims-org-id"), Some("ORG@AdobeOrg"));
    }

    // A second run starts after the saved position: nothing new.
    server.take_sinces();
    let output = run(
        &server,
        &dir,
        &["--limit", "2", "--checkpoint", checkpoint_arg, "--json"],
    )
    .await;
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("caught up, 0 new events"));
    assert_eq!(server.take_sinces(), [Some("rabbit:a1b2c3d4.7".to_owned())]);

    // JSON lines, from a seek.
    let output = run(
        &server,
        &dir,
        &["--seek", "-PT2H", "--limit", "10", "--json"],
    )
    .await;
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        (
            &lines[0]["position"],
            &lines[0]["kind"],
            &lines[0]["eventId"]
        ),
        (
            &json!("rabbit:a1b2c3d4.0"),
            &json!("flow_run"),
            &json!("aec55616-1715-487f-8044-ba648cc8ffee")
        )
    );
    assert_eq!(
        lines[0]["event"]["run"]["id"], "933cf9f4-cf01-4d75-bcf9-f4cf010d750a",
        "{}",
        lines[0]
    );
    assert_eq!(lines[2]["kind"], "other");
    assert_eq!(
        lines[2]["event"]["@id"],
        "urn:oeid:aem:199e85da-dd54-4966-95ba-13cf544964dc"
    );
    let targets: Vec<String> = server.state().journal_requests[..]
        .iter()
        .map(|seen| seen.target.clone())
        .collect();
    assert_eq!(
        targets,
        [
            "/events/organizations/o/integrations/i/r?seek=-PT2H&limit=10",
            "/events/organizations/o/integrations/i/r?since=rabbit%3Aa1b2c3d4.7&limit=10"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_refused_credential_or_an_expired_position_ends_with_a_message() {
    let server = start(entries()).await;
    let dir = temporary_dir("errors");
    server.token_fault(Reply::new(401, r#"{"error": "invalid_client"}"#));
    let output = run(&server, &dir, &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        format!("journal: access token unavailable from {TOKEN_URL}: status 401: invalid_client")
    );
    assert!(!stderr.contains("s3cret"));

    server.state().expired.push("rabbit:old".to_owned());
    let output = run(&server, &dir, &["--since", "rabbit:old"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("journal position rabbit:old has expired"),
        "{stderr}"
    );
    assert!(stderr.contains("--latest, or --seek"), "{stderr}");

    let output = run(&server, &dir, &["--since", "a", "--seek", "-PT1H"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("cannot be combined with another start"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
