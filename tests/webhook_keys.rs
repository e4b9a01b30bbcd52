//! `public_key_url`: Adobe's key host and nothing else.
#![cfg(feature = "webhook")]

use aep_flow_run::webhook::{public_key_url, Verifier, WebhookError};

#[test]
fn plain_key_paths_join_adobes_host() {
    for path in [
        "/prod/keys/pub-key-voy5XEbWmT.pem",
        "/junit/pub-key-1.pem",
        "/stage/keys/a_b~c-d.e.pem",
        "/x",
    ] {
        let url = public_key_url(path).unwrap_or_else(|error| panic!("{path}: {error}"));
        assert_eq!(
            url.as_str(),
            format!("https://static.adobeioevents.com{path}")
        );
        assert_eq!(url.host_str(), Some("static.adobeioevents.com"));
        assert_eq!(url.scheme(), "https");
        assert_eq!(url.port(), None);
    }
}

#[test]
fn every_way_out_is_refused() {
    let long = format!("/{}", "a".repeat(600));
    let refused = [
        // Another host through the authority: string concatenation would reach evil.com.
        "@evil.com/x.pem",
        "@evil.com",
        ":pass@evil.com/x.pem",
        ".evil.com/x.pem",
        "/@evil.com/x.pem",
        // Protocol-relative and backslash forms.
        "//evil.com",
        "//evil.com/x.pem",
        "\\\\evil.com\\x.pem",
        "/\\evil.com/x.pem",
        "\\/evil.com/x.pem",
        // Dot segments, raw and percent-encoded.
        "/..",
        "/../x.pem",
        "/keys/../../x.pem",
        "/keys/./x.pem",
        "/.",
        "/%2e%2e/x.pem",
        "/%2E%2E/x.pem",
        "/keys%2f..%2fx.pem",
        // Absolute URLs.
        "https://evil.com/x.pem",
        "http://static.adobeioevents.com/x.pem",
        "https://static.adobeioevents.com/x.pem",
        "file:///etc/passwd",
        "javascript:alert(1)",
        // Port, query, fragment.
        ":8443/x.pem",
        "/x.pem?a=b",
        "/x.pem#frag",
        // Whitespace and control characters.
        " /x.pem",
        "/x.pem ",
        "/x .pem",
        "/x.pem\n",
        "/x.pem\r\nHost: evil.com",
        "/x\t.pem",
        "/x\0.pem",
        "/x\u{7f}.pem",
        "/x\u{85}.pem",
        "/x\u{a0}.pem",
        // Not ASCII, empty segments, relative, empty, too long.
        "/ké.pem",
        "/ｅvil.pem",
        "/keys//x.pem",
        "/keys/",
        "/",
        "x.pem",
        "",
        &long,
    ];
    for path in refused {
        match public_key_url(path) {
            Err(WebhookError::InvalidKeyPath { .. }) => {}
            other => panic!("{path:?} gave {other:?}"),
        }
    }
}

#[test]
fn refused_paths_are_never_registered_nor_listed_for_fetching() {
    let pem = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/webhook/keys/e2e/pub-key-1.pem"),
    )
    .unwrap();
    let mut verifier = Verifier::new("me");
    assert!(matches!(
        verifier.add_public_key_pem("@evil.com/x.pem", &pem),
        Err(WebhookError::InvalidKeyPath { .. })
    ));
    // Signatures of a 2048-bit key's length (256 bytes): a pair that could verify.
    let signature = format!("{}==", "A".repeat(342));
    let headers = [
        ("x-adobe-digital-signature-1", signature.as_str()),
        ("x-adobe-digital-signature-2", signature.as_str()),
        ("x-adobe-public-key1-path", "@evil.com/x.pem"),
        ("x-adobe-public-key2-path", "/prod/keys/k2.pem"),
    ];
    let urls = verifier.missing_keys(headers, std::time::SystemTime::now());
    assert_eq!(urls.len(), 1);
    assert_eq!(
        urls[0].as_str(),
        "https://static.adobeioevents.com/prod/keys/k2.pem"
    );
}
