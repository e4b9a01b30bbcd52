//! Signing test deliveries with the test key pairs of `fixtures/webhook/private` (test use
//! only), as Adobe signs deliveries: base64 RSA PKCS#1 v1.5 SHA-256 over the raw body.
#![allow(dead_code)]

use std::path::Path;

use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

/// The key paths under which the test public keys are registered.
pub const KEY_1_PATH: &str = "/e2e/pub-key-1.pem";
pub const KEY_2_PATH: &str = "/e2e/pub-key-2.pem";

/// A verifier for deliveries to `client_id` that holds both test public keys.
pub fn test_verifier(client_id: &str) -> aep_flow_run::webhook::Verifier {
    let mut verifier = aep_flow_run::webhook::Verifier::new(client_id);
    for (path, file) in [
        (KEY_1_PATH, "keys/e2e/pub-key-1.pem"),
        (KEY_2_PATH, "keys/e2e/pub-key-2.pem"),
    ] {
        verifier
            .add_public_key_pem(path, &fixture(file))
            .expect("the test keys are valid");
    }
    verifier
}

/// The repository's root, from the library's tests or the CLI's (`cli/`).
pub fn repository() -> &'static Path {
    let package = Path::new(env!("CARGO_MANIFEST_DIR"));
    if package.join("fixtures").is_dir() {
        package
    } else {
        package.parent().expect("cli/ is in the repository")
    }
}

/// A file of `fixtures/webhook`.
pub fn fixture(path: &str) -> String {
    let file = repository().join("fixtures/webhook").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|error| panic!("{}: {error}", file.display()))
}

/// The key pair of a PKCS#8 PEM private key.
pub fn key_pair(pem: &str) -> RsaKeyPair {
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64");
    RsaKeyPair::from_pkcs8(&der).expect("an RSA PKCS#8 private key")
}

/// Base64 signature of `body` with test key `1` or `2`.
pub fn sign(key: u8, body: &[u8]) -> String {
    sign_with_pem(&fixture(&format!("private/test-key-{key}.pem")), body)
}

/// Base64 signature of `body` with a PKCS#8 PEM private key.
pub fn sign_with_pem(pem: &str, body: &[u8]) -> String {
    let pair = key_pair(pem);
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        body,
        &mut signature,
    )
    .expect("signing");
    base64::engine::general_purpose::STANDARD.encode(signature)
}

/// The four signature headers, as Adobe sends them, for a body signed with both keys.
pub fn signed_headers(body: &[u8]) -> Vec<(String, String)> {
    vec![
        ("x-adobe-digital-signature-1".into(), sign(1, body)),
        ("x-adobe-digital-signature-2".into(), sign(2, body)),
        ("x-adobe-public-key1-path".into(), KEY_1_PATH.into()),
        ("x-adobe-public-key2-path".into(), KEY_2_PATH.into()),
    ]
}

/// Name-value pairs borrowed from owned headers.
pub fn pairs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}
