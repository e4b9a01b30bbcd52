//! Reading an RSA public key from PEM: SubjectPublicKeyInfo (`BEGIN PUBLIC KEY`) or PKCS#1
//! (`BEGIN RSA PUBLIC KEY`), down to the PKCS#1 `RSAPublicKey` DER that `ring` verifies with.
//!
//! A few lines of DER reading, so that no ASN.1 crate is needed: the key is checked here
//! (RSA, modulus size, public exponent) and verified by `ring`, which parses the DER again
//! strictly.

use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// Standard base64, padded or not: a PEM body, and a delivery's signature headers.
pub(crate) const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `1.2.840.113549.1.1.1` (rsaEncryption), DER-encoded with its tag and length.
const RSA_ENCRYPTION_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const NULL: u8 = 0x05;

/// An RSA public key: its PKCS#1 `RSAPublicKey` DER and its modulus size.
pub(crate) struct RsaPublicKeyDer {
    pub(crate) pkcs1: Vec<u8>,
    pub(crate) bits: usize,
}

/// Reads a PEM public key; the error says what is wrong.
pub(crate) fn read_public_key(pem: &str) -> Result<RsaPublicKeyDer, String> {
    let (label, der) = decode_pem(pem)?;
    let pkcs1 = match label {
        "PUBLIC KEY" => spki_to_pkcs1(&der).ok_or("not an RSA SubjectPublicKeyInfo")?,
        "RSA PUBLIC KEY" => der.as_slice(),
        other => return Err(format!("PEM label {other:?} is no public key")),
    };
    let bits = check_pkcs1(pkcs1)?;
    Ok(RsaPublicKeyDer {
        pkcs1: pkcs1.to_vec(),
        bits,
    })
}

/// The label and the decoded body of the first PEM block.
fn decode_pem(pem: &str) -> Result<(&str, Vec<u8>), String> {
    let pem = pem.trim();
    let rest = pem
        .strip_prefix("-----BEGIN ")
        .ok_or("no `-----BEGIN` line")?;
    let (label, rest) = rest.split_once("-----").ok_or("malformed BEGIN line")?;
    let end = format!("-----END {label}-----");
    let (body, _) = rest.split_once(&end).ok_or("no matching END line")?;
    let text: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = BASE64
        .decode(text.as_bytes())
        .map_err(|_| "PEM body is not base64")?;
    Ok((label, der))
}

/// One DER element: (tag, content, what follows). Definite lengths of up to 3 bytes only.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 3 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        rest = &rest[count..];
        length
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

/// The `RSAPublicKey` inside a SubjectPublicKeyInfo whose algorithm is rsaEncryption.
fn spki_to_pkcs1(der: &[u8]) -> Option<&[u8]> {
    let (SEQUENCE, spki, []) = element(der)? else {
        return None;
    };
    let (SEQUENCE, algorithm, rest) = element(spki)? else {
        return None;
    };
    let parameters = algorithm.strip_prefix(RSA_ENCRYPTION_OID)?;
    if !(parameters.is_empty() || parameters == [NULL, 0]) {
        return None;
    }
    let (BIT_STRING, bits, []) = element(rest)? else {
        return None;
    };
    bits.strip_prefix(&[0])
}

/// Checks an `RSAPublicKey` (`SEQUENCE { modulus INTEGER, publicExponent INTEGER }`): a
/// positive modulus of 2048 to 4096 bits, an odd public exponent of at least 3 and below
/// 2^33 (as `ring` requires). Gives the modulus size in bits.
fn check_pkcs1(der: &[u8]) -> Result<usize, String> {
    let malformed = || "malformed RSAPublicKey".to_owned();
    let (SEQUENCE, key, []) = element(der).ok_or_else(malformed)? else {
        return Err(malformed());
    };
    let (INTEGER, modulus, rest) = element(key).ok_or_else(malformed)? else {
        return Err(malformed());
    };
    let (INTEGER, exponent, []) = element(rest).ok_or_else(malformed)? else {
        return Err(malformed());
    };
    let modulus = positive_integer(modulus).ok_or_else(malformed)?;
    let exponent = positive_integer(exponent).ok_or_else(malformed)?;
    let bits = modulus.len() * 8 - modulus[0].leading_zeros() as usize;
    if bits < 2048 {
        return Err(format!("{bits}-bit key; at least 2048 bits required"));
    }
    if bits > 4096 {
        return Err(format!("{bits}-bit key; at most 4096 bits accepted"));
    }
    let exponent_value = if exponent.len() <= 5 {
        exponent
            .iter()
            .fold(0u64, |value, &byte| (value << 8) | u64::from(byte))
    } else {
        u64::MAX
    };
    if !(3..1 << 33).contains(&exponent_value) || exponent_value % 2 == 0 {
        return Err("public exponent must be odd, at least 3 and below 2^33".to_owned());
    }
    Ok(bits)
}

/// The magnitude of a DER INTEGER that must be positive, without its sign byte.
fn positive_integer(content: &[u8]) -> Option<&[u8]> {
    let (&first, _) = content.split_first()?;
    if first & 0x80 != 0 {
        return None;
    }
    let magnitude = if first == 0 { &content[1..] } else { content };
    match magnitude.first() {
        Some(&lead) if lead != 0 => Some(magnitude),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_and_refusals() {
        assert_eq!(
            element(&[0x02, 0x01, 0x05]),
            Some((0x02, &[5u8][..], &[][..]))
        );
        assert_eq!(element(&[0x04, 0x81, 0x01, 0x07, 0xff]).unwrap().1, [7]);
        // Indefinite length, a length past the end, more than 3 length bytes.
        assert_eq!(element(&[0x30, 0x80, 0, 0]), None);
        assert_eq!(element(&[0x04, 0x02, 0x01]), None);
        assert_eq!(element(&[0x04, 0x84, 0, 0, 0, 1, 0]), None);
        assert_eq!(positive_integer(&[0x00, 0x80]), Some(&[0x80u8][..]));
        assert_eq!(positive_integer(&[0x80]), None);
        assert_eq!(positive_integer(&[0x00]), None);
        assert!(read_public_key("").is_err());
        assert!(
            read_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").is_err()
        );
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
        assert!(read_public_key(private)
            .err()
            .unwrap()
            .contains("no public key"));
    }
}
