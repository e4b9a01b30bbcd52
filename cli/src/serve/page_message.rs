//! What a page says: a Slack-compatible message (`text`, and `blocks` for clients that show
//! them) about one flow's pages, from the outbox.

use aep_flow_run::store::{OwedPage, PageKind, PagesDue};
use aep_flow_run::ErrorCode;
use serde_json::{json, Value};

/// The message for a flow's pages due: the latest page in full, how many more alarms came
/// since the last page, and the link to the status page.
pub fn compose(due: &PagesDue, status_page: &str) -> Value {
    let Some(latest) = due.pages.last() else {
        return json!({"text": "aep-flow-run: no page"});
    };
    let alarms = due
        .pages
        .iter()
        .filter(|page| page.kind != PageKind::Recovered)
        .count();
    let mut lines = vec![headline(latest)];
    lines.extend(details(latest));
    let more = match latest.kind {
        PageKind::Recovered => alarms,
        _ => alarms.saturating_sub(1),
    };
    if more > 0 {
        let what = if more == 1 { "failure" } else { "failures" };
        lines.push(format!(
            "{more} more {what} of this flow since the last page."
        ));
    }
    let body = lines.join("\n");
    let link = format!("<{}|Status page>", escape(status_page));
    json!({
        "text": format!("{body}\n{link}"),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": link}]},
        ],
    })
}

/// The first line: what happened, to which flow.
fn headline(page: &OwedPage) -> String {
    let flow = flow_name(page);
    match (page.kind, &page.run, &page.alert) {
        (PageKind::Recovered, Some(run), _) => format!(
            ":white_check_mark: *RECOVERED* flow *{flow}*: run `{}` {}",
            escape(&run.run_id),
            run.outcome_name()
        ),
        (PageKind::Alert, _, Some(alert)) => format!(
            ":rotating_light: *ALERT FIRING* {} on flow *{flow}*",
            escape(alert.name.as_deref().unwrap_or("(unnamed alert)"))
        ),
        (_, Some(run), _) => format!(
            ":rotating_light: *FAILED* flow *{flow}*: run `{}` {}",
            escape(&run.run_id),
            run.outcome_name()
        ),
        _ => format!(":rotating_light: flow *{flow}*"),
    }
}

/// The lines under it: records and error codes of a run, the message of an alert.
fn details(page: &OwedPage) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(run) = &page.run {
        let count = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
        lines.push(format!(
            "Records in/out/failed: {}/{}/{}",
            count(run.input_records),
            count(run.output_records),
            count(run.failed_records)
        ));
        for code in &run.error_codes {
            lines.push(
                match code.parse::<ErrorCode>().ok().and_then(|c| c.description()) {
                    Some(meaning) => format!("Error `{}`: {meaning}", escape(code)),
                    None => format!("Error `{}`", escape(code)),
                },
            );
        }
    }
    if let Some(message) = page
        .alert
        .as_ref()
        .and_then(|alert| alert.message.as_deref())
    {
        lines.push(escape(message));
    }
    lines
}

/// The flow's name when the event gave it, else its id.
fn flow_name(page: &OwedPage) -> String {
    let name = page.run.as_ref().and_then(|run| run.flow_name.as_deref());
    let id = page.flow_id.as_str();
    escape(name.unwrap_or(if id.is_empty() { "(no flow)" } else { id }))
}

/// Slack's three control characters, escaped: text from outside never becomes a link or
/// a mention.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
