//! Arbitrary webhook requests, shared by the `webhook` fuzz target and its stable replay:
//! every receiving entry point must answer any request with a value, never a panic.

use std::future::Future;
use std::task::{Context, Poll, Waker};

use aep_flow_run::journal::{next_link, read_journal_response};
use aep_flow_run::webhook::{
    challenge_response, public_key_url, validation_request, DeliveryHeaders, Receiver, Verifier,
};
use arbitrary::{Arbitrary, Unstructured};

#[path = "webhook_sign.rs"]
mod webhook_sign;

/// The key the verifier trusts, at a path the headers may name.
const KEY_PATH: &str = "/e2e/pub-key-1.pem";
const KEY_PEM: &str = include_str!("../../fixtures/webhook/keys/e2e/pub-key-1.pem");
/// Its private half (test use only), to sign some bodies so that the checks after the
/// signature (recipient, organisation, journal page, batch size, parsing, deduplication)
/// see arbitrary input too.
const PRIVATE_PEM: &str = include_str!("../../fixtures/webhook/private/test-key-1.pem");

/// Header names the receiver reads, so arbitrary headers hit them often.
const NAMES: &[&str] = &[
    "x-adobe-digital-signature-1",
    "x-adobe-digital-signature-2",
    "x-adobe-public-key1-path",
    "x-adobe-public-key2-path",
    "x-adobe-event-id",
    "x-adobe-retry-count",
    "x-adobe-delivery-id",
    "x-adobe-event-code",
    "X-Adobe-Provider",
    "x-request-id",
    "content-type",
];

/// One request.
#[derive(Debug)]
pub struct Request {
    method: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the body is signed with the trusted key (signature 1, key 1).
    signed: bool,
    /// Whether the verifier checks an organisation.
    organization: bool,
}

impl<'a> Arbitrary<'a> for Request {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let method = u.choose(&["GET", "POST", "PUT", "get"])?.to_string();
        let query = u.arbitrary()?;
        let mut headers = Vec::new();
        for _ in 0..u.int_in_range(0..=8)? {
            let name = if u.arbitrary()? {
                u.choose(NAMES)?.to_string()
            } else {
                u.arbitrary()?
            };
            let value = if u.ratio(1, 4)? {
                KEY_PATH.to_owned()
            } else {
                u.arbitrary()?
            };
            headers.push((name, value));
        }
        let signed = u.ratio(1, 2)?;
        let organization = u.arbitrary()?;
        let body = u.arbitrary::<Vec<u8>>()?;
        Ok(Request {
            method,
            query,
            headers,
            body,
            signed,
            organization,
        })
    }
}

impl Request {
    /// Reads a request the way the fuzz target does.
    pub fn from_bytes(bytes: &[u8]) -> Option<Request> {
        Request::arbitrary_take_rest(Unstructured::new(bytes)).ok()
    }

    /// Sends the request through every receiving entry point.
    pub fn check(&self) {
        let mut headers = self.headers.clone();
        if self.signed {
            headers.retain(|(name, _)| {
                !name
                    .to_ascii_lowercase()
                    .starts_with("x-adobe-digital-signature")
                    && !name.to_ascii_lowercase().starts_with("x-adobe-public-key")
            });
            headers.extend([
                (
                    "x-adobe-digital-signature-1".to_owned(),
                    webhook_sign::sign_with_pem(PRIVATE_PEM, &self.body),
                ),
                ("x-adobe-digital-signature-2".to_owned(), "AAAA".to_owned()),
                ("x-adobe-public-key1-path".to_owned(), KEY_PATH.to_owned()),
                ("x-adobe-public-key2-path".to_owned(), KEY_PATH.to_owned()),
            ]);
        }
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let mut verifier = Verifier::new("client_id1");
        if self.organization {
            verifier = verifier.with_organization("O@AdobeOrg");
        }
        verifier
            .add_public_key_pem(KEY_PATH, KEY_PEM)
            .expect("the fixture key is valid");
        let _ = verifier.verify(&self.body, pairs.iter().copied());
        let _ = DeliveryHeaders::from_pairs(pairs.iter().copied());
        let _ = challenge_response(&self.query);
        let _ = validation_request(&self.body);
        let _ = public_key_url(&self.query);
        if let Ok(base) =
            url::Url::parse("https://events.adobe.io/events/organizations/o/integrations/i/r")
        {
            let _ = next_link(&self.query, &base);
            let _ = read_journal_response(200, Some(&self.query), &base, &self.body, "client_id1");
        }
        let receiver = Receiver::new(verifier);
        // The whole path: the in-memory store answers at once, so one poll finishes it.
        let mut handling = std::pin::pin!(receiver.handle(
            &self.method,
            &self.query,
            pairs.iter().copied(),
            &self.body
        ));
        let Poll::Ready(reception) = handling
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("the in-memory store never waits");
        };
        assert!((200..600).contains(&reception.status));
        if let aep_flow_run::webhook::Received::Delivery { events, .. } = &reception.received {
            assert_eq!(reception.status, 200);
            assert!(events.iter().all(|e| e.key.as_str().len() <= 128 + 80));
        }
    }
}
