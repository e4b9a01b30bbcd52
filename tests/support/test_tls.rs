//! A private root and a TLS acceptor, so that a test server on 127.0.0.1 passes for Adobe's
//! hosts with a client that trusts that root.
#![allow(dead_code)]
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub struct TestTls {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub root: CertificateDer<'static>,
    /// The root, PEM.
    pub root_pem: String,
}

/// A new root, and a certificate it signs for `hosts`.
pub fn for_hosts(hosts: &[&str]) -> TestTls {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let names = hosts
        .iter()
        .map(|host| host.to_string())
        .collect::<Vec<_>>();
    let leaf = rcgen::CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    // The process-default provider: ring, the only one the test build's rustls features name.
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    TestTls {
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        root: ca.der().clone(),
        root_pem: ca.pem(),
    }
}
