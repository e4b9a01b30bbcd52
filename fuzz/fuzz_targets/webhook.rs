//! Arbitrary requests through the webhook receiver, verifier and header, challenge, key-path
//! and journal parsers (see `tests/support/webhook_input.rs`).
#![no_main]

#[path = "../../tests/support/webhook_input.rs"]
mod webhook_input;

libfuzzer_sys::fuzz_target!(|request: webhook_input::Request| request.check());
