//! The TLS settings of the HTTPS client (feature `fetch`): which roots it trusts, and the
//! rustls crypto provider it runs on.
//!
//! rustls 0.23.48 deprecates `rustls::crypto::ring::default_provider` (ring has no
//! post-quantum key exchange; rustls 0.24 moves the provider to the `rustls-ring` crate).
//! The crate verifies signatures on ring already, so it keeps TLS on ring too: the provider
//! is put together here from rustls's public ring parts (its cipher suites and key exchange
//! groups) and webpki's ring signature algorithms, which is what that function returned.
//! An application that installed a process-default provider (`CryptoProvider::install_default`,
//! aws-lc-rs for post-quantum key exchange, say) gets that one instead.

use std::sync::Arc;

use rustls::crypto::{CryptoProvider, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::SigningKey;
use rustls::{RootCertStore, SignatureScheme};
use webpki::ring as algs;

/// A root certificate given to [`HttpsClient::with_root_pem`](super::HttpsClient::with_root_pem)
/// or [`with_root_der`](super::HttpsClient::with_root_der) that cannot be used: not PEM,
/// no certificate in it, or a certificate that does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unusable root certificate: {reason}")]
pub struct InvalidRoot {
    /// What is wrong with it (which certificate of a PEM bundle, and why).
    pub reason: String,
}

/// Adds the certificates of a PEM text (one or a bundle) to `roots`.
pub(crate) fn add_pem(roots: &mut RootCertStore, pem: &str) -> Result<(), InvalidRoot> {
    let mut added = 0;
    for (index, certificate) in CertificateDer::pem_slice_iter(pem.as_bytes()).enumerate() {
        let certificate = certificate.map_err(|error| InvalidRoot {
            reason: format!("PEM certificate {}: {error}", index + 1),
        })?;
        add_der(roots, certificate.as_ref()).map_err(|InvalidRoot { reason }| InvalidRoot {
            reason: format!("PEM certificate {}: {reason}", index + 1),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(InvalidRoot {
            reason: "no `-----BEGIN CERTIFICATE-----` in the PEM text".to_owned(),
        });
    }
    Ok(())
}

/// Adds one DER certificate to `roots`.
pub(crate) fn add_der(roots: &mut RootCertStore, der: &[u8]) -> Result<(), InvalidRoot> {
    roots
        .add(CertificateDer::from(der.to_vec()))
        .map_err(|error| InvalidRoot {
            reason: error.to_string(),
        })
}

/// The Mozilla roots of `webpki-roots`.
pub(crate) fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// A client configuration trusting `roots`, on the process-default provider when the
/// application installed one and it offers the safe protocol versions, else on ring.
pub(crate) fn client_config(roots: RootCertStore) -> Arc<rustls::ClientConfig> {
    let installed = CryptoProvider::get_default().and_then(|provider| {
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .ok()
    });
    let builder = match installed {
        Some(builder) => builder,
        None => rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
            .with_safe_default_protocol_versions()
            // The ring suites cover both TLS 1.2 and 1.3: this cannot fail.
            .unwrap_or_else(|_| unreachable!("ring offers TLS 1.2 and 1.3")),
    };
    Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
}

/// rustls's ring provider, as `rustls::crypto::ring::default_provider` made it.
fn ring_provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: rustls::crypto::ring::DEFAULT_CIPHER_SUITES.to_vec(),
        kx_groups: rustls::crypto::ring::DEFAULT_KX_GROUPS.to_vec(),
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &Ring,
        key_provider: &Ring,
    }
}

/// Randomness and private keys from ring (a client without a certificate loads none).
#[derive(Debug)]
struct Ring;

impl SecureRandom for Ring {
    fn fill(&self, buf: &mut [u8]) -> Result<(), rustls::crypto::GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf)
            .map_err(|_| rustls::crypto::GetRandomFailed)
    }
}

impl KeyProvider for Ring {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        rustls::crypto::ring::sign::any_supported_type(&key_der)
    }
}

/// The certificate signature algorithms webpki verifies on ring, and the TLS signature
/// schemes each serves: rustls's table for its ring provider.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ED25519,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
        algs::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
    ],
    mapping: &[
        // For TLS 1.2 the curve is not fixed by the scheme; for TLS 1.3 it is.
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[algs::ECDSA_P384_SHA384, algs::ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[algs::ECDSA_P256_SHA256, algs::ECDSA_P384_SHA256],
        ),
        (SignatureScheme::ED25519, &[algs::ED25519]),
        (
            SignatureScheme::RSA_PSS_SHA512,
            &[algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            &[algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            &[algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[algs::RSA_PKCS1_2048_8192_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[algs::RSA_PKCS1_2048_8192_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[algs::RSA_PKCS1_2048_8192_SHA256],
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pem_without_a_certificate_or_with_a_broken_one_is_an_error() {
        let mut roots = RootCertStore::empty();
        let error = add_pem(&mut roots, "no PEM here").unwrap_err();
        assert!(
            error.reason.contains("no `-----BEGIN CERTIFICATE-----`"),
            "{error}"
        );
        let broken = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let error = add_pem(&mut roots, broken).unwrap_err();
        assert!(error.reason.starts_with("PEM certificate 1: "), "{error}");
        assert!(roots.is_empty());
    }

    #[test]
    fn the_ring_provider_offers_both_protocol_versions() {
        let provider = ring_provider();
        assert!(provider
            .cipher_suites
            .iter()
            .any(|suite| suite.tls13().is_some()));
        assert!(provider
            .cipher_suites
            .iter()
            .any(|suite| suite.tls13().is_none()));
        assert_eq!(provider.kx_groups.len(), 3);
        let config = client_config(RootCertStore::empty());
        assert!(config.crypto_provider().cipher_suites.len() >= 2);
    }
}
