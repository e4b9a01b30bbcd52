//! `aep-flow-run inspect` run as a user runs it: the built binary, a file or standard input.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn inspect(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aep-flow-run"))
        .arg("inspect")
        .args(args)
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

#[test]
fn a_run_list_prints_every_typed_error_with_its_meaning() {
    let output = inspect(
        &["fixtures/adobe-docs/api-runs-sources-success-with-errors.json"],
        None,
    );
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("PARTIAL SUCCESS"), "{text}");
    assert!(text.contains("run       9830305a-985f-47d0-b030-5a985fd7d004"));
    assert!(text.contains("records   in 100   out 99   failed 1"));
    assert!(text.contains("CONNECTOR-2001-500  Error occurred at promotion activity."));
    assert!(text.contains(
        "meaning: Error while copied data is processed to Platform (parsing, validation or transformation)."
    ));
    assert!(text.contains("INGEST error 1212 (status 400)"));
}

#[test]
fn json_lines_from_standard_input() {
    let body = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fixtures/adobe-docs/message-list-sources-flow-run-failed.json"),
    )
    .unwrap();
    let output = inspect(&["--json", "-"], Some(&body));
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["eventCode"], "sources_flow_run_failed");
}

#[test]
fn bytes_that_are_not_json_exit_non_zero_saying_where() {
    let output = inspect(&["-"], Some(b"{\"x\": \n"));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        "inspect: invalid JSON at line 2, column 0: EOF while parsing a value"
    );
}
