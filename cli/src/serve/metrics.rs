//! The monitor's counters, and their Prometheus text (exposition format 0.0.4), written
//! small: a handful of counters with labels, one gauge and one histogram.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Each metric: its name, type and help line, in the order `/metrics` lists them.
const METRICS: &[(&str, &str, &str)] = &[
    (
        "aep_webhook_deliveries_total",
        "counter",
        "Webhook POST requests, by the status answered.",
    ),
    (
        "aep_webhook_events_total",
        "counter",
        "Events of authentic deliveries, by kind and whether they were new or duplicates.",
    ),
    (
        "aep_webhook_refusals_total",
        "counter",
        "Webhook requests refused, by the check that failed.",
    ),
    (
        "aep_webhook_handling_seconds",
        "histogram",
        "Time from a webhook request's body read to its answer.",
    ),
    (
        "aep_journal_events_total",
        "counter",
        "Journal events, by kind and whether they were new or duplicates.",
    ),
    (
        "aep_journal_pages_total",
        "counter",
        "Journal pages handled.",
    ),
    (
        "aep_journal_errors_total",
        "counter",
        "Journal polls that failed.",
    ),
    (
        "aep_journal_lag_seconds",
        "gauge",
        "Age of the newest event handed over from the journal (0 when caught up).",
    ),
    (
        "aep_flow_runs_total",
        "counter",
        "Runs that ended, by flow and outcome: each run once.",
    ),
    (
        "aep_flow_run_records_total",
        "counter",
        "Records of runs, by flow and kind: a later state adds only its difference.",
    ),
    (
        "aep_pages_sent_total",
        "counter",
        "Pages (--notify) delivered: the URL answered 2xx.",
    ),
    (
        "aep_pages_failed_total",
        "counter",
        "Page deliveries that failed (each is retried with backoff).",
    ),
    (
        "aep_pages_dropped_total",
        "counter",
        "Pages given up on after 24 hours of failed deliveries.",
    ),
    (
        "aep_store_errors_total",
        "counter",
        "Store calls that failed or timed out, by operation.",
    ),
];

/// The handling-time buckets, in seconds (Adobe waits 10 s).
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The monitor's metrics: shared by the webhook, the journal task and the admin port.
#[derive(Debug, Default)]
pub struct Metrics {
    samples: Mutex<Samples>,
}

#[derive(Debug, Default)]
struct Samples {
    /// (metric, labels as written) -> value.
    counters: BTreeMap<(&'static str, String), f64>,
    journal_lag: Option<f64>,
    /// Count per bucket (not cumulative), then the count above the last bucket.
    handling: [u64; BUCKETS.len() + 1],
    handling_sum: f64,
}

impl Metrics {
    fn samples(&self) -> std::sync::MutexGuard<'_, Samples> {
        self.samples
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds `delta` to the counter `name` with `labels`.
    pub fn add(&self, name: &'static str, labels: &[(&str, &str)], delta: u64) {
        if delta == 0 {
            return;
        }
        *self
            .samples()
            .counters
            .entry((name, label_text(labels)))
            .or_default() += delta as f64;
    }

    /// One more in the counter `name` with `labels`.
    pub fn count(&self, name: &'static str, labels: &[(&str, &str)]) {
        self.add(name, labels, 1);
    }

    /// How long a webhook request took.
    pub fn handling_time(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        let mut samples = self.samples();
        samples.handling[bucket] += 1;
        samples.handling_sum += seconds;
    }

    /// The journal's lag now.
    pub fn journal_lag(&self, lag: Duration) {
        self.samples().journal_lag = Some(lag.as_secs_f64());
    }

    /// Everything, as Prometheus text.
    pub fn render(&self) -> String {
        let samples = self.samples();
        let mut text = String::new();
        for (name, kind, help) in METRICS {
            let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
            match *name {
                "aep_webhook_handling_seconds" => samples.write_histogram(&mut text, name),
                "aep_journal_lag_seconds" => {
                    if let Some(lag) = samples.journal_lag {
                        let _ = writeln!(text, "{name} {lag}");
                    }
                }
                _ => {
                    for ((metric, labels), value) in &samples.counters {
                        if metric == name {
                            let _ = writeln!(text, "{name}{labels} {value}");
                        }
                    }
                }
            }
        }
        text
    }
}

impl Samples {
    fn write_histogram(&self, text: &mut String, name: &str) {
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&self.handling) {
            cumulative += count;
            let _ = writeln!(text, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.handling[BUCKETS.len()];
        let _ = writeln!(text, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(text, "{name}_sum {}", self.handling_sum);
        let _ = writeln!(text, "{name}_count {cumulative}");
    }
}

/// `{a="x",b="y"}` with values escaped as the format says (backslash, quote, newline).
fn label_text(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let mut text = String::from("{");
    for (index, (name, value)) in labels.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(name);
        text.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '"' => text.push_str("\\\""),
                '\n' => text.push_str("\\n"),
                c => text.push(c),
            }
        }
        text.push('"');
    }
    text.push('}');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_histogram_and_escaped_labels_render_as_prometheus_text() {
        let metrics = Metrics::default();
        metrics.count("aep_webhook_deliveries_total", &[("status", "200")]);
        metrics.add(
            "aep_flow_run_records_total",
            &[("flow_id", "a\"b\\c\nd"), ("kind", "input")],
            7,
        );
        metrics.handling_time(Duration::from_millis(3));
        metrics.handling_time(Duration::from_secs(60));
        let text = metrics.render();
        assert!(
            text.contains("aep_webhook_deliveries_total{status=\"200\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains(r#"aep_flow_run_records_total{flow_id="a\"b\\c\nd",kind="input"} 7"#),
            "{text}"
        );
        assert!(text.contains("aep_webhook_handling_seconds_bucket{le=\"0.0025\"} 0\n"));
        assert!(text.contains("aep_webhook_handling_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("aep_webhook_handling_seconds_bucket{le=\"10\"} 1\n"));
        assert!(text.contains("aep_webhook_handling_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("aep_webhook_handling_seconds_count 2\n"));
        assert!(text.contains("# TYPE aep_journal_lag_seconds gauge\n"));
    }
}
