//! Arbitrary webhook requests, shared by the `webhook` fuzz target and its stable replay:
//! every receiving entry point must answer any request with a value, never a panic.

use aep_flow_run::webhook::{
    challenge_response, next_link, public_key_url, validation_request, DeliveryHeaders,
    JournalPage, Receiver, Verifier,
};
use arbitrary::{Arbitrary, Unstructured};

/// The key the verifier trusts, at a path the headers may name.
const KEY_PATH: &str = "/e2e/pub-key-1.pem";
const KEY_PEM: &str = include_str!("../../fixtures/webhook/keys/e2e/pub-key-1.pem");

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
        let body = u.arbitrary::<Vec<u8>>()?;
        Ok(Request {
            method,
            query,
            headers,
            body,
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
        let pairs: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let mut verifier = Verifier::new("client_id1");
        verifier
            .add_public_key_pem(KEY_PATH, KEY_PEM)
            .expect("the fixture key is valid");
        let _ = verifier.verify(&self.body, pairs.iter().copied());
        let _ = DeliveryHeaders::from_pairs(pairs.iter().copied());
        let _ = challenge_response(&self.query);
        let _ = validation_request(&self.body);
        let _ = public_key_url(&self.query);
        let _ = JournalPage::parse(&self.body);
        if let Ok(base) =
            url::Url::parse("https://events.adobe.io/events/organizations/o/integrations/i/r")
        {
            let _ = next_link(&self.query, &base);
        }
        let mut receiver = Receiver::new(verifier);
        let reception =
            receiver.handle(&self.method, &self.query, pairs.iter().copied(), &self.body);
        assert!((200..600).contains(&reception.response.status));
    }
}
