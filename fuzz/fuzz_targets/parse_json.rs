//! Corpus payloads edited at the JSON level (see `tests/support/mutate.rs`), so that the
//! fuzzer spends its time inside well-formed envelopes and runs rather than on syntax.
#![no_main]

#[path = "../../tests/support/checks.rs"]
mod checks;
#[path = "../../tests/support/mutate.rs"]
mod mutate;

libfuzzer_sys::fuzz_target!(|mutation: mutate::Mutation| checks::check_body(&mutation.body()));
