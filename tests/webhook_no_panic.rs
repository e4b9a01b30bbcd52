//! No input makes the webhook helpers panic: arbitrary bytes and strings, generated
//! deterministically (a fixed-seed xorshift), through every entry point that reads request
//! data.
#![cfg(feature = "webhook")]

use std::time::SystemTime;

use aep_flow_run::journal::{next_link, read_journal_response};
use aep_flow_run::webhook::{
    challenge_response, public_key_url, validation_request, DeliveryHeaders, Receiver, Verifier,
};
use url::Url;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Bytes biased towards JSON, URL and header syntax.
    fn bytes(&mut self, max_len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"{}[]\":,;<>=@/\\.%?#&+ \t\r\n0123456789abcdefxyz_-~\x00\x7f\xc3\xa9\xff";
        const WORDS: &[&str] = &[
            "\"recipient_client_id\"",
            "\"recipientclientid\"",
            "\"validationUrl\"",
            "\"events\"",
            "\"_page\"",
            "\"event\"",
            "\"metrics\"",
            "rel=\"next\"",
            "challenge=",
            "https://",
            "null",
            "\"me\"",
        ];
        let len = (self.next() % (max_len as u64 + 1)) as usize;
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            if self.next() & 3 == 0 {
                out.extend_from_slice(
                    WORDS[(self.next() % WORDS.len() as u64) as usize].as_bytes(),
                );
            } else {
                out.push(ALPHABET[(self.next() % ALPHABET.len() as u64) as usize]);
            }
        }
        out
    }

    fn text(&mut self, max_len: usize) -> String {
        String::from_utf8_lossy(&self.bytes(max_len)).into_owned()
    }
}

/// The in-memory store answers at once: no runtime needed.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    match future
        .as_mut()
        .poll(&mut std::task::Context::from_waker(waker))
    {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => unreachable!("the memory store never waits"),
    }
}

#[test]
fn arbitrary_input_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base = Url::parse("https://events.example/journal/r").unwrap();
    let receiver = Receiver::new(Verifier::new("me"));
    for _ in 0..3000 {
        let body = rng.bytes(200);
        let text = rng.text(80);
        let _ = public_key_url(&text);
        let _ = challenge_response(&text);
        let _ = next_link(&text, &base);
        let _ = validation_request(&body).map(|request| request.url());
        let _ = read_journal_response(200, Some(&text), &base, &body, "me");
        let value = rng.text(40);
        let headers = [
            ("x-adobe-digital-signature-1", value.as_str()),
            ("x-adobe-digital-signature-2", text.as_str()),
            ("x-adobe-public-key1-path", text.as_str()),
            ("x-adobe-public-key2-path", "/k/2.pem"),
            ("x-adobe-retry-count", value.as_str()),
        ];
        let _ = DeliveryHeaders::from_pairs(headers);
        let _ = receiver.verifier().verify(&body, headers);
        let _ = receiver.verifier().missing_keys(headers, SystemTime::now());
        let _ = block_on(receiver.handle("POST", &text, headers, &body));
        let _ = block_on(receiver.handle("GET", &text, [], &body));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let verifier = Verifier::new("me");
    assert!(validation_request(deep.as_bytes()).is_none());
    let base = Url::parse("https://events.example/journal/r").unwrap();
    assert!(read_journal_response(200, None, &base, deep.as_bytes(), "me").is_err());
    let headers = [
        ("x-adobe-digital-signature-1", "AAAA"),
        ("x-adobe-digital-signature-2", "AAAA"),
        ("x-adobe-public-key1-path", "/k/1.pem"),
        ("x-adobe-public-key2-path", "/k/2.pem"),
    ];
    assert!(verifier.verify(deep.as_bytes(), headers).is_err());
}
