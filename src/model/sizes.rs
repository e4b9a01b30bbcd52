//! How much room the model's values take inline: an `Event` is held once per element of a
//! body, so its size is the floor of what a body of small runs costs (DESIGN.md: the events of
//! a body never hold more than `serde_json::Value` of it).

use std::mem::size_of;

use super::{
    Activity, Alert, Event, FlowRun, MessageInfo, Metrics, Notification, OtherEvent, RecordSummary,
    StatusSummary,
};

#[test]
fn inline_sizes_stay_small() {
    let sizes = [
        ("Event", size_of::<Event>(), 544),
        ("Notification", size_of::<Notification>(), 544),
        ("FlowRun", size_of::<FlowRun>(), 400),
        ("Metrics", size_of::<Metrics>(), 232),
        ("Activity", size_of::<Activity>(), 168),
        ("StatusSummary", size_of::<StatusSummary>(), 176),
        ("RecordSummary", size_of::<RecordSummary>(), 264),
        ("MessageInfo", size_of::<MessageInfo>(), 216),
        ("Alert", size_of::<Alert>(), 528),
        ("OtherEvent", size_of::<OtherEvent>(), 128),
    ];
    let report: Vec<String> = sizes
        .iter()
        .map(|(name, size, bound)| format!("{name}: {size} bytes (at most {bound})"))
        .collect();
    for (name, size, bound) in sizes {
        assert!(size <= bound, "{name} grew: {}", report.join("\n"));
    }
}
