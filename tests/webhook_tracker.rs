//! `RunTracker` and `Deduplicator`: at-least-once, unordered delivery made safe.
#![cfg(feature = "webhook")]

use std::time::{Duration, SystemTime};

use aep_flow_run::store::{Claim, Deduplicator, RunChange, RunTracker};
use aep_flow_run::{parse_runs, FlowRun, Status};

fn state(updated_at: u64, etag: &str, status: &str) -> FlowRun {
    let body = format!(
        r#"{{"id": "run-1", "updatedAt": {updated_at}, "etag": "{etag}", "metrics": {{"statusSummary": {{"status": "{status}"}}}}}}"#
    );
    parse_runs(body.as_bytes()).unwrap().remove(0)
}

fn permutations(items: &[usize]) -> Vec<Vec<usize>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        let mut rest = items.to_vec();
        rest.remove(i);
        for mut tail in permutations(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

#[test]
fn any_arrival_order_ends_on_the_newest_state() {
    let states = [
        state(1_700_000_000_000, "a", "inProgress"),
        state(1_700_000_030_000, "b", "inProgress"),
        // Same time as the next: the etag breaks the tie.
        state(1_700_000_060_000, "c", "success"),
        state(1_700_000_060_000, "d", "success"),
    ];
    for order in permutations(&[0, 1, 2, 3]) {
        let mut runs = RunTracker::new(16);
        let mut newest_so_far: Option<usize> = None;
        for &i in &order {
            let change = runs.observe(&states[i]);
            match newest_so_far {
                None => assert_eq!(change, RunChange::New),
                Some(kept) if i < kept => assert_eq!(change, RunChange::Stale, "{order:?}"),
                Some(_) => assert!(
                    matches!(change, RunChange::Updated | RunChange::StatusChanged { .. }),
                    "{order:?}: {change:?}"
                ),
            }
            newest_so_far = Some(newest_so_far.map_or(i, |kept| kept.max(i)));
            // Every redelivery of the kept state is a duplicate.
            assert_eq!(
                runs.observe(&states[newest_so_far.unwrap()]),
                RunChange::Duplicate
            );
        }
        assert_eq!(runs.get("run-1"), Some(&states[3]), "{order:?}");
    }
}

#[test]
fn status_changes_are_reported() {
    let mut runs = RunTracker::default();
    runs.observe(&state(1_700_000_000_000, "a", "inProgress"));
    assert_eq!(
        runs.observe(&state(1_700_000_060_000, "b", "failed")),
        RunChange::StatusChanged {
            from: Some(Status::InProgress),
            to: Some(Status::Failed)
        }
    );
    assert_eq!(
        runs.remove("run-1").unwrap().status(),
        Some(&Status::Failed)
    );
    assert!(runs.is_empty());
}

#[test]
fn deduplicator_window_and_capacity() {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let lease = Duration::from_secs(60);
    let keep = Duration::from_secs(25 * 3600);
    let mut seen = Deduplicator::default();
    assert_eq!(seen.claim_at("e1", lease, start), Claim::Claimed);
    seen.complete_at("e1", keep, start);
    // Adobe retries for 24 hours: a retry a day later is still a duplicate.
    let day_later = start + Duration::from_secs(24 * 3600);
    assert_eq!(seen.claim_at("e1", lease, day_later), Claim::Done);
    assert!(seen.contains("e1", day_later));
    let too_late = start + Duration::from_secs(26 * 3600);
    assert_eq!(seen.claim_at("e1", lease, too_late), Claim::Claimed);

    let mut small = Deduplicator::new(1000);
    for i in 0..100_000u32 {
        small.complete_at(&i.to_string(), lease, start);
    }
    assert_eq!(small.len(), 1000);
    assert!(small.contains("99999", start) && !small.contains("0", start));
}

/// Issue 33: the tracker kept the run alone, so a failure said only by the event code was
/// read back as an unknown outcome, and the runs kept could not be listed.
#[test]
fn the_tracker_keeps_each_run_with_its_event_code_and_lists_them() {
    use aep_flow_run::{parse_notification, EventCode, Outcome};
    // A CloudEvent whose type says the run failed; the run itself says nothing.
    let failed = parse_notification(
        br#"{"specversion": "1.0", "type": "sources_flow_run_failed", "id": "ev-1",
             "source": "urn:x", "time": "2024-05-01T10:00:00Z",
             "data": {"id": "run-9", "updatedAt": 1714557600000, "metrics": {}}}"#,
    )
    .unwrap();
    assert_eq!(failed.outcome(), Outcome::Failed);
    let mut runs = RunTracker::new(16);
    assert_eq!(runs.observe_notification(&failed), RunChange::New);
    runs.observe(&state(1_700_000_000_000, "a", "success"));

    let kept = runs.notification("run-9").unwrap();
    assert_eq!(kept.event_code, EventCode::FlowRunFailure);
    assert_eq!(kept.outcome(), Outcome::Failed);
    assert_eq!(kept.event_id.as_deref(), Some("ev-1"));
    let mut listed: Vec<(String, Outcome)> = (&runs)
        .into_iter()
        .map(|kept| (kept.run.id.clone().unwrap(), kept.outcome()))
        .collect();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        listed,
        [
            ("run-1".to_owned(), Outcome::Success),
            ("run-9".to_owned(), Outcome::Failed),
        ]
    );
    assert_eq!(runs.iter().count(), runs.len());

    // A newer state replaces the code with its own; an older one changes nothing.
    let recovered = parse_notification(
        br#"{"specversion": "1.0", "type": "sources_flow_run_success", "id": "ev-2",
             "source": "urn:x", "time": "2024-05-01T10:05:00Z",
             "data": {"id": "run-9", "updatedAt": 1714557900000, "metrics": {}}}"#,
    )
    .unwrap();
    assert_eq!(runs.observe_notification(&recovered), RunChange::Updated);
    assert_eq!(runs.observe_notification(&failed), RunChange::Stale);
    assert_eq!(
        runs.notification("run-9").unwrap().outcome(),
        Outcome::Success
    );
}
