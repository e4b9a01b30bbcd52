//! Raw bytes through all three parse functions, checking they agree and round-trip.
#![no_main]

#[path = "../../tests/support/checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|body: &[u8]| checks::check_body(body));
