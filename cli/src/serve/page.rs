//! The status page (`/` on the admin port): every flow with its latest run, failing flows
//! first, the firing alerts on top, and the last runs of each flow as a small chart. Plain
//! server-rendered HTML: no script, no external asset, refreshing itself. Everything that
//! came from outside (names, ids, codes, messages) is escaped.

use std::fmt::Write as _;

use aep_flow_run::store::{AlertSummary, FlowRuns, PageRules, RunSummary};
use aep_flow_run::{ErrorCode, Outcome};

/// How often the page reloads itself, in seconds.
const REFRESH_SECS: u32 = 30;

/// What the page shows, read from the store.
pub struct StatusPage<'a> {
    pub flows: &'a [FlowRuns],
    pub alerts: &'a [AlertSummary],
    /// What counts as failing: what pages.
    pub rules: PageRules,
    /// Now, epoch milliseconds.
    pub now: i64,
}

impl StatusPage<'_> {
    /// The whole document.
    pub fn render(&self) -> String {
        let flows = self.ordered();
        let failing = flows.iter().filter(|(_, failing)| *failing).count();
        let mut html = String::with_capacity(4096 + 2048 * flows.len());
        let title = match failing {
            0 => "all flows fine".to_owned(),
            n => format!("{n} failing"),
        };
        let _ = write!(
            html,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"{REFRESH_SECS}\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · aep-flow-run</title><style>{STYLE}</style></head><body>\n"
        );
        self.header(&mut html, flows.len(), failing);
        self.alerts_section(&mut html);
        self.flows_table(&mut html, &flows);
        html.push_str("</body></html>\n");
        html
    }

    /// Flows failing first, then by latest activity (the store's order), with whether each
    /// fails.
    fn ordered(&self) -> Vec<(&FlowRuns, bool)> {
        let mut flows: Vec<(&FlowRuns, bool)> = self
            .flows
            .iter()
            .filter_map(|flow| Some((flow, self.rules.is_alarming(flow.runs.first()?))))
            .collect();
        flows.sort_by_key(|(_, failing)| !*failing);
        flows
    }

    fn header(&self, html: &mut String, flows: usize, failing: usize) {
        let state = match failing {
            0 => "<span class=\"ok\">all fine</span>".to_owned(),
            n => format!("<span class=\"bad\">{n} failing</span>"),
        };
        let alerts = match self.alerts.len() {
            0 => String::new(),
            n => format!(
                " · <span class=\"bad\">{n} alert{} firing</span>",
                plural(n)
            ),
        };
        let _ = writeln!(
            html,
            "<header><h1>aep-flow-run</h1><p>{state} · {flows} flow{}{alerts} · \
             as of {} (refreshes every {REFRESH_SECS} s)</p></header>",
            plural(flows),
            time_text(self.now),
        );
    }

    fn alerts_section(&self, html: &mut String) {
        if self.alerts.is_empty() {
            return;
        }
        html.push_str(
            "<section class=\"alerts\" aria-labelledby=\"alerts\"><h2 id=\"alerts\">Alerts firing</h2><ul>\n",
        );
        for alert in self.alerts {
            let optional = |label: &str, value: Option<&str>| {
                value.map_or_else(String::new, |v| format!(" · {label}{}", escape(v)))
            };
            let _ = writeln!(
                html,
                "<li><strong>{}</strong> on flow <code>{}</code>{}{} · since {}{}</li>",
                escape(alert.name.as_deref().unwrap_or("(unnamed alert)")),
                escape(alert.flow_id.as_deref().unwrap_or("-")),
                optional("severity ", alert.severity.as_deref()),
                optional("run ", alert.flow_run_id.as_deref()),
                time_text(alert.created_at.unwrap_or(alert.seen_at)),
                alert
                    .message
                    .as_deref()
                    .map_or_else(String::new, |m| format!("<br>{}", escape(m))),
            );
        }
        html.push_str("</ul></section>\n");
    }

    fn flows_table(&self, html: &mut String, flows: &[(&FlowRuns, bool)]) {
        if flows.is_empty() {
            html.push_str("<p>No flow run seen yet.</p>\n");
            return;
        }
        html.push_str(
            "<table><caption>Flows, failing first, then by latest activity</caption>\n<thead><tr>\
             <th scope=\"col\">Flow</th><th scope=\"col\">Latest run</th><th scope=\"col\">When</th>\
             <th scope=\"col\">Duration</th><th scope=\"col\" class=\"n\">In</th>\
             <th scope=\"col\" class=\"n\">Out</th><th scope=\"col\" class=\"n\">Failed</th>\
             <th scope=\"col\">Errors</th><th scope=\"col\">Last 20 runs (oldest to newest)</th>\
             </tr></thead><tbody>\n",
        );
        for (flow, failing) in flows {
            self.flow_row(html, flow, *failing);
        }
        html.push_str("</tbody></table>\n");
    }

    fn flow_row(&self, html: &mut String, flow: &FlowRuns, failing: bool) {
        let latest = &flow.runs[0];
        let name = latest.flow_name.as_deref().unwrap_or("");
        let id = if flow.flow_id.is_empty() {
            "(no flow id)"
        } else {
            flow.flow_id.as_str()
        };
        let heading = match name {
            "" => format!("<code>{}</code>", escape(id)),
            name => format!(
                "{}<br><code class=\"id\">{}</code>",
                escape(name),
                escape(id)
            ),
        };
        let _ = writeln!(
            html,
            "<tr class=\"{}\"><th scope=\"row\">{heading}</th>\
             <td><span class=\"badge {}\">{}</span><br><code class=\"id\">{}</code></td>\
             <td>{}<br><small>{}</small></td><td>{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td>\
             <td>{}</td><td>{}</td></tr>",
            if failing { "failing" } else { "fine" },
            latest.outcome_name(),
            outcome_label(latest.outcome),
            escape(&latest.run_id),
            ago(self.now, latest.activity()),
            time_text(latest.activity()),
            duration_text(latest),
            count(latest.input_records),
            count(latest.output_records),
            if latest.failed_records.unwrap_or(0) > 0 {
                " bad"
            } else {
                ""
            },
            count(latest.failed_records),
            errors_list(&latest.error_codes),
            chart(&flow.runs),
        );
    }
}

/// The distinct error codes, each with its documented meaning when known.
fn errors_list(codes: &[String]) -> String {
    if codes.is_empty() {
        return "<span class=\"none\">none</span>".to_owned();
    }
    let mut list = String::from("<ul class=\"errors\">");
    for code in codes {
        let meaning = code
            .parse::<ErrorCode>()
            .ok()
            .and_then(|code| code.description());
        let _ = write!(
            list,
            "<li><code class=\"err\">{}</code>{}</li>",
            escape(code),
            meaning.map_or_else(String::new, |m| format!(" <small>{}</small>", escape(m)))
        );
    }
    list.push_str("</ul>");
    list
}

/// The last runs as bars, oldest on the left and the latest always at the right edge:
/// height by records read, colour by outcome, the failed share in red on top. Each bar's
/// title says what it shows.
fn chart(runs: &[RunSummary]) -> String {
    const BAR: usize = 8;
    const HEIGHT: u64 = 36;
    let most = runs
        .iter()
        .filter_map(|run| run.input_records)
        .max()
        .unwrap_or(0)
        .max(1);
    let failed = runs
        .iter()
        .filter(|run| run.outcome == Outcome::Failed)
        .count();
    let mut svg = format!(
        "<svg class=\"chart\" width=\"{}\" height=\"{HEIGHT}\" viewBox=\"0 0 {} {HEIGHT}\" role=\"img\" \
         aria-label=\"{} runs, {failed} failed\">",
        20 * BAR,
        20 * BAR,
        runs.len()
    );
    let first_slot = 20usize.saturating_sub(runs.len());
    for (slot, run) in runs.iter().rev().enumerate() {
        let slot = first_slot + slot;
        let input = run.input_records.unwrap_or(0);
        let height = (input * (HEIGHT - 4) / most).max(4);
        let failed_height = match input {
            0 => 0,
            _ => (run.failed_records.unwrap_or(0).min(input) * height / input)
                .max(u64::from(run.failed_records.unwrap_or(0) > 0) * 2),
        };
        let x = slot * BAR;
        let _ = write!(
            svg,
            "<g><title>{}: {}, {}/{}/{} in/out/failed, {}</title>\
             <rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{height}\" class=\"{}\"/>",
            escape(&run.run_id),
            outcome_label(run.outcome),
            count(run.input_records),
            count(run.output_records),
            count(run.failed_records),
            time_text(run.activity()),
            HEIGHT - height,
            BAR - 2,
            run.outcome_name(),
        );
        if failed_height > 0 {
            let _ = write!(
                svg,
                "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{failed_height}\" class=\"failed\"/>",
                HEIGHT - height,
                BAR - 2
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "SUCCESS",
        Outcome::PartialSuccess => "PARTIAL",
        Outcome::Failed => "FAILED",
        Outcome::Pending => "RUNNING",
        _ => "UNKNOWN",
    }
}

fn count(count: Option<u64>) -> String {
    count.map_or_else(|| "–".to_owned(), |n| n.to_string())
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Now, in epoch milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Epoch milliseconds as `2026-12-07 03:04:05 UTC`.
fn time_text(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis).map_or_else(
        || "?".to_owned(),
        |time| time.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// How long ago, roughly: `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`.
fn ago(now: i64, then: i64) -> String {
    let secs = now.saturating_sub(then) / 1000;
    match secs {
        ..=-1 => "in the future".to_owned(),
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=172_799 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// From the run's start to its end, when both are known.
fn duration_text(run: &RunSummary) -> String {
    let (Some(started), Some(completed)) = (run.started_at, run.completed_at) else {
        return "–".to_owned();
    };
    let secs = completed.saturating_sub(started).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

const STYLE: &str = "\
body{font:14px/1.35 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 16px 16px;color:#1f2328;background:#fff}\
header{display:flex;align-items:baseline;gap:16px;border-bottom:1px solid #d0d7de}\
h1{font-size:18px;margin:10px 0}header p{margin:0;color:#57606a;font-size:15px}\
header .bad{background:#cf222e;color:#fff;padding:1px 8px;border-radius:4px}\
.bad{color:#cf222e;font-weight:700}.ok{color:#1a7f37;font-weight:700}\
.alerts{background:#ffebe9;border:2px solid #cf222e;border-radius:6px;padding:6px 12px;margin:12px 0}\
.alerts h2{font-size:15px;margin:2px 0;color:#a40e26}.alerts ul{margin:4px 0;padding-left:18px}\
table{border-collapse:collapse;width:100%;margin-top:12px}\
caption{text-align:left;font-weight:600;padding:4px 0;color:#57606a}\
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid #d8dee4}\
thead th{background:#f6f8fa;font-size:12px;text-transform:uppercase;color:#57606a}\
th[scope=row]{font-weight:600;max-width:260px;word-break:break-all}\
tr.failing{background:#fff5f5}tr.failing th[scope=row]{border-left:5px solid #cf222e}\
tr.fine th[scope=row]{border-left:5px solid #2da44e}\
.n{text-align:right;font-variant-numeric:tabular-nums}td.bad{color:#cf222e}\
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}code.id{color:#57606a;font-size:11px}\
code.err{color:#a40e26;font-weight:700}small{color:#57606a}\
.errors{margin:0;padding-left:16px;max-width:420px}.none{color:#8c959f}\
.badge{display:inline-block;font-weight:700;font-size:12px;padding:1px 6px;border-radius:4px;color:#fff}\
.badge.failed{background:#cf222e}.badge.partial_success{background:#bf8700}\
.badge.success{background:#1a7f37}.badge.pending,.badge.unknown{background:#6e7781}\
svg.chart{background:#f6f8fa;border-radius:3px}\
rect.success{fill:#2da44e}rect.partial_success{fill:#d4a72c}rect.failed{fill:#cf222e}\
rect.pending,rect.unknown{fill:#8c959f}\
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_outside_is_escaped() {
        assert_eq!(
            escape(r#"<script>alert('x')</script> & "q""#),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(ago(10_000, 5_000), "5 s ago");
        assert_eq!(ago(7_200_000, 0), "2 h ago");
    }
}
