//! Recipes for the everyday tasks, each a tested example.
//!
//! # Page on-call for failed runs, partial ingestion and firing alerts
//!
//! [`parse_events`](crate::parse_events) takes any delivery body, so one loop sees runs and
//! alerts alike. [`Notification::outcome`](crate::Notification::outcome) lets a failure said
//! by either the event code or the status win, and
//! [`distinct_errors`](crate::Notification::distinct_errors) names each problem once. Adobe's
//! alerts about a run (run started, succeeded, failed) carry the run, so they come as
//! `Event::FlowRun`; threshold alerts (a delay, an error rate) come as `Event::Alert`.
//!
//! ```
//! use aep_flow_run::{parse_events, Event, Outcome};
//!
//! # let body = std::fs::read("fixtures/adobe-docs/alert-run-sources-failure.json")?;
//! let mut pages = Vec::new();
//! for event in parse_events(&body)? {
//!     match event {
//!         Event::FlowRun(run) => match run.outcome() {
//!             Outcome::Failed | Outcome::PartialSuccess => {
//!                 let problems: Vec<String> = run
//!                     .distinct_errors()
//!                     .iter()
//!                     .map(|p| format!("{} x{}", p.error.code, p.occurrences()))
//!                     .collect();
//!                 pages.push(format!(
//!                     "flow {} run {}: {:?}, {} failed records: {}",
//!                     run.run.flow_id.as_deref().unwrap_or("?"),
//!                     run.run.id.as_deref().unwrap_or("?"),
//!                     run.outcome(),
//!                     run.failed_records().map_or("?".into(), |n| n.to_string()),
//!                     problems.join(", "),
//!                 ));
//!             }
//!             _ => {}
//!         },
//!         Event::Alert(alert) if alert.is_firing() => {
//!             pages.push(format!("{}: {}", alert.name.as_deref().unwrap_or("alert"),
//!                 alert.message.as_deref().unwrap_or("")));
//!         }
//!         _ => {}
//!     }
//! }
//! assert_eq!(
//!     pages,
//!     ["flow c0cb4b5b-367f-4946-a6cc-f7ccfe005b89 run f0b809c5-603d-4d6e-9600-977cb2e277b4: \
//!       Failed, ? failed records: CONNECTOR-1001-500 x2, 2200 x3"]
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Sum records over a journal backfill
//!
//! Adobe writes `-1` for a count it does not know. [`CountTotal`](crate::CountTotal) adds the
//! known ones and says how many were unknown or absent, so a total never silently leaves part
//! of the backfill out.
//!
//! ```
//! use aep_flow_run::{parse_events, CountTotal, Event};
//!
//! let page = std::fs::read("fixtures/edge-cases/journal-page.json")?;
//! let events = parse_events(&page)?;
//! let input: CountTotal = events
//!     .iter()
//!     .filter_map(Event::as_flow_run)
//!     .map(|n| n.run.metrics.record_summary.input_record_count.as_ref())
//!     .collect();
//! assert_eq!(input.known, 100);
//! assert!(!input.is_complete());
//! assert_eq!(input.to_string(), "100 (1 absent)");
//! // Where to resume: the last position handled.
//! assert_eq!(events.last().and_then(Event::journal_position), Some("rabbit:a1b2c3d4.1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Store events and read them back
//!
//! An event serialises to the wire element it came in, envelope included; reading that text
//! with [`parse_events`](crate::parse_events) (or `serde_json`) gives back an equal event, so
//! a queue or a table of JSON lines loses nothing.
//!
//! ```
//! use aep_flow_run::{parse_events, Event};
//!
//! let batch = std::fs::read("fixtures/edge-cases/batch-mixed-shapes.json")?;
//! let events = parse_events(&batch)?;
//! let lines: Vec<String> = events
//!     .iter()
//!     .map(serde_json::to_string)
//!     .collect::<Result<_, _>>()?;
//! for (line, event) in lines.iter().zip(&events) {
//!     assert_eq!(&parse_events(line.as_bytes())?, std::slice::from_ref(event));
//!     let through_serde: Event = serde_json::from_str(line)?;
//!     assert_eq!(&through_serde, event);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! An event read from a journal page keeps its journal position, so it writes back as a
//! journal page of that one event, `{"events": [{"position", "event": ...}]}`, and reads back
//! with its position. A store that wants the event as a webhook delivers it takes the
//! entry's `event`, and gives up the position.
//!
//! ```
//! use aep_flow_run::{parse_events, Event};
//!
//! let page = std::fs::read("fixtures/edge-cases/journal-page.json")?;
//! let first = parse_events(&page)?.remove(0);
//! let line: serde_json::Value = serde_json::to_value(&first)?;
//! assert_eq!(line["events"][0]["position"], "rabbit:a1b2c3d4.0");
//! assert_eq!(parse_events(line.to_string().as_bytes())?, [first.clone()]);
//!
//! // The delivery element alone: the same event, without its position.
//! let element = line["events"][0]["event"].to_string();
//! let delivered: Event = serde_json::from_str(&element)?;
//! assert_eq!(delivered.event_id(), first.event_id());
//! assert_eq!((delivered.journal_position(), first.journal_position()), (None, Some("rabbit:a1b2c3d4.0")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Fetch Adobe's public keys
//!
//! `webhook::DirKeySource` serves them from a directory laid out by key path (a file per
//! key, replaced when Adobe rotates them). With the `fetch` feature,
//! `webhook::HttpsKeySource` fetches them over HTTPS from `https://static.adobeioevents.com`
//! only. Any other HTTP client plugs in through `webhook::KeySource`; the receiver fetches
//! each key path once however many deliveries wait for it, only for a request that passed
//! every other check, and keeps keys 24 hours. The `Url` it is given is the one the crate
//! re-exports: no `url` version to match. Set your organisation too: alerts and message
//! lists name no recipient, only it.
//!
//! ```
//! # #[cfg(feature = "webhook")]
//! # {
//! use aep_flow_run::url::Url;
//! use aep_flow_run::webhook::{KeyFetchSettings, KeySource, Receiver, Verifier};
//! use aep_flow_run::{BoxError, BoxFuture};
//!
//! /// Your HTTP client: GET the URL, give the PEM text.
//! struct MyClient;
//!
//! impl KeySource for MyClient {
//!     fn fetch<'a>(&'a self, url: &'a Url) -> BoxFuture<'a, Result<String, BoxError>> {
//!         Box::pin(async move { Err(format!("no network in this example: {url}").into()) })
//!     }
//! }
//!
//! let verifier = Verifier::new("my-client-id").with_organization("MY-ORG@AdobeOrg");
//! let receiver = Receiver::new(verifier).with_key_source(MyClient, KeyFetchSettings::default());
//! # let _ = receiver;
//! # }
//! ```
