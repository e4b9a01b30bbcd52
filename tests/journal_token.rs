//! The IMS client-credentials token provider (feature `fetch`) against a local token
//! endpoint over TLS (tests/support/journal_server.rs): the form sent, the cache, renewal
//! before expiry, garbage and 401 answers, and no secret in `Debug` or error text.
#![cfg(feature = "fetch")]

use std::sync::Arc;

use aep_flow_run::journal::{
    ImsCredentials, ImsTokenProvider, JournalConsumer, JournalError, Polled, TokenProvider,
};
use url::Url;

#[path = "support/journal_server.rs"]
mod journal_server;
#[path = "support/test_tls.rs"]
mod test_tls;

use journal_server::{
    fixture_entries, secs, start, Reply, Server, TestClock, JOURNAL_URL, TOKEN_URL,
};

const SECRET: &str = "p8e-S3cr3t-never-shown";

fn provider(server: &Server, clock: &Arc<TestClock>) -> ImsTokenProvider {
    ImsTokenProvider::new(ImsCredentials::new(
        "my-client-id",
        SECRET,
        "adobeio_api,openid",
    ))
    .with_endpoint(Url::parse(TOKEN_URL).unwrap())
    .with_client(server.client())
    .with_clock(clock.clone())
}

fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[tokio::test]
async fn tokens_are_asked_for_cached_and_renewed_before_they_expire() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    let tokens = provider(&server, &clock);
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-1");
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-1");
    {
        let state = server.state();
        assert_eq!(state.token_requests.len(), 1);
        let request = &state.token_requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/ims/token/v3");
        assert_eq!(
            request.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(request.header("host"), Some("ims-na1.adobelogin.com"));
        assert_eq!(
            form(&request.body),
            [
                ("grant_type".to_owned(), "client_credentials".to_owned()),
                ("client_id".to_owned(), "my-client-id".to_owned()),
                ("client_secret".to_owned(), SECRET.to_owned()),
                ("scope".to_owned(), "adobeio_api,openid".to_owned()),
            ]
        );
    }
    // 86 399 s of life, renewed an hour before the end: still cached after 22 h 59 min...
    clock.advance(secs(86_399 - 3_600 - 1));
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-1");
    // ... and renewed from then on.
    clock.advance(secs(1));
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-2");
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-2");
    // A token the journal refused is dropped.
    tokens.invalidate();
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-3");
    assert_eq!(server.state().token_requests.len(), 3);

    // No secret in Debug, the token's included.
    let debug = format!("{tokens:?} {:?}", tokens.token().await.unwrap());
    assert!(
        !debug.contains(SECRET) && !debug.contains("tok-3"),
        "{debug}"
    );
    assert!(
        debug.contains("my-client-id") && debug.contains("<redacted>"),
        "{debug}"
    );
}

#[tokio::test]
async fn a_token_endpoint_answering_garbage_or_401_is_a_typed_error() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    let tokens = provider(&server, &clock);
    let cases = [
        (
            Reply::new(200, "<html>maintenance</html>"),
            JournalError::Token {
                endpoint: TOKEN_URL.to_owned(),
                status: None,
                reason: "no usable token: the body is no JSON token response".to_owned(),
            },
        ),
        (
            Reply::new(200, r#"{"token_type": "bearer", "expires_in": 86399}"#),
            JournalError::Token {
                endpoint: TOKEN_URL.to_owned(),
                status: None,
                reason: "no usable token: no `access_token`".to_owned(),
            },
        ),
        (
            Reply::new(200, r#"{"access_token": "t", "expires_in": 0}"#),
            JournalError::Token {
                endpoint: TOKEN_URL.to_owned(),
                status: None,
                reason: "no usable token: no positive `expires_in`".to_owned(),
            },
        ),
        (
            Reply::new(200, r#"{"access_token": "a\nb", "expires_in": 60}"#),
            JournalError::Token {
                endpoint: TOKEN_URL.to_owned(),
                status: None,
                reason: "no usable token: the `access_token` holds characters a header cannot"
                    .to_owned(),
            },
        ),
        (
            Reply::new(
                401,
                r#"{"error": "invalid_client", "error_description": "invalid client_secret parameter"}"#,
            ),
            JournalError::Token {
                endpoint: TOKEN_URL.to_owned(),
                status: Some(401),
                reason: "invalid_client: invalid client_secret parameter".to_owned(),
            },
        ),
        (
            // Not IMS's error shape: not echoed (an endpoint might echo the form).
            Reply::new(503, "busy"),
            JournalError::Token {
                endpoint: TOKEN_URL.to_owned(),
                status: Some(503),
                reason: "no IMS error in the answer (4 bytes)".to_owned(),
            },
        ),
    ];
    for (reply, expected) in cases {
        server.token_fault(reply);
        let error = tokens.token().await.unwrap_err();
        assert_eq!(error, expected);
        assert!(!error.to_string().contains(SECRET));
    }
    assert_eq!(
        JournalError::Token {
            endpoint: TOKEN_URL.to_owned(),
            status: Some(401),
            reason: "invalid_client: invalid client_secret parameter".to_owned(),
        }
        .to_string(),
        format!("access token unavailable from {TOKEN_URL}: status 401: invalid_client: invalid client_secret parameter")
    );
    // A failure is not cached: the endpoint answering again gives a token.
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-1");
    // Only https endpoints.
    let plain = provider(&server, &clock)
        .with_endpoint(Url::parse("http://ims-na1.adobelogin.com/ims/token/v3").unwrap());
    assert!(matches!(
        plain.token().await,
        Err(JournalError::Token { status: None, reason, .. }) if reason == "only https URLs without credentials are fetched"
    ));
}

#[tokio::test]
async fn the_journal_renews_a_refused_token_once() {
    let server = start(fixture_entries("fixtures/edge-cases/journal-page.json")).await;
    server.state().reject_first_token = true;
    let clock = TestClock::new();
    let mut consumer = JournalConsumer::new(
        Url::parse(JOURNAL_URL).unwrap(),
        "my-client-id",
        provider(&server, &clock),
    )
    .unwrap()
    .with_client(server.client())
    .with_clock(clock.clone());
    let Polled::Page(page) = consumer.poll().await.unwrap() else {
        panic!("a page")
    };
    assert_eq!(page.events.len(), 2);
    let auth: Vec<String> = server
        .state()
        .journal_requests
        .iter()
        .map(|seen| seen.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(auth, ["Bearer tok-1", "Bearer tok-2"]);

    // A token endpoint that refuses the credential stops the consumer with a typed error.
    server.token_fault(Reply::new(401, r#"{"error": "invalid_client"}"#));
    server.journal_fault(Reply::new(401, "expired token"));
    consumer.complete(&page).await.unwrap();
    let error = consumer.poll().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("access token unavailable from {TOKEN_URL}: status 401: invalid_client")
    );
    assert_eq!(consumer.position(), Some("rabbit:a1b2c3d4.1"));
}

#[tokio::test]
async fn callers_at_the_same_time_share_one_token_request() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    let tokens = Arc::new(provider(&server, &clock));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let tokens = tokens.clone();
        tasks.push(tokio::spawn(async move {
            tokens.token().await.unwrap().secret().to_owned()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), "tok-1");
    }
    assert_eq!(server.state().token_requests.len(), 1);
}

#[tokio::test]
async fn a_short_lived_token_is_renewed_at_half_its_life() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    let tokens = provider(&server, &clock);
    server.token_fault(Reply::new(
        200,
        r#"{"access_token": "short", "token_type": "bearer", "expires_in": "600"}"#,
    ));
    assert_eq!(tokens.token().await.unwrap().secret(), "short");
    clock.advance(secs(299));
    assert_eq!(tokens.token().await.unwrap().secret(), "short");
    clock.advance(secs(1));
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-1");
}

/// Issue #28, finding 10: on 3f6dca2 a refusal whose body was no IMS error was kept as the
/// start of the body, so an endpoint that echoes the form put the client secret in the
/// error.
#[tokio::test]
async fn finding_10_a_token_error_never_holds_the_client_secret() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    let echoed_form = format!(
        "grant_type=client_credentials&client_id=my-client-id&client_secret={SECRET}&scope=x"
    );
    server.token_fault(Reply::new(400, echoed_form));
    server.token_fault(Reply::new(
        401,
        serde_json::json!({"error": "invalid_client",
            "error_description": format!("client_secret={SECRET} is wrong")})
        .to_string(),
    ));
    let tokens = provider(&server, &clock);
    for expected in [
        "status 400: no IMS error in the answer",
        "status 401: invalid_client: client_secret=<redacted> is wrong",
    ] {
        let error = tokens.token().await.unwrap_err();
        let (text, debug) = (error.to_string(), format!("{error:?}"));
        assert!(text.contains(expected), "{text}");
        for shown in [text, debug] {
            assert!(!shown.contains("S3cr3t"), "{shown}");
        }
    }
}

/// Issue #28, finding 7: on 3f6dca2 `expires_in: 18446744073709551615` panicked the
/// provider (`SystemTime + Duration`); a token is now used at most a day.
#[tokio::test]
async fn finding_7_an_endless_expires_in_is_a_day_not_a_panic() {
    let server = start(Vec::new()).await;
    let clock = TestClock::new();
    server.token_fault(Reply::new(
        200,
        r#"{"access_token": "tok-forever", "token_type": "bearer", "expires_in": 18446744073709551615}"#,
    ));
    let tokens = provider(&server, &clock);
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-forever");
    clock.advance(secs(22 * 3600));
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-forever");
    // Renewed an hour before the day is over.
    clock.advance(secs(3600 + 1));
    assert_eq!(tokens.token().await.unwrap().secret(), "tok-1");
}
