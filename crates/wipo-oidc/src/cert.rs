//! Self-signed X.509 certificates: the file an office sends to WIPO to register its public key
//! (Appendix A of the HWS guide), and reading such certificates back.

use spki::der::Decode;

use crate::key::{EcPublicKey, KeyError, SigningKey, colon_hex};

/// The subject common name WIPO's Appendix A uses: `"<client name> private_key_jwt authentication"`.
pub fn wipo_common_name(client_name: &str) -> String {
    format!("{client_name} private_key_jwt authentication")
}

/// A freshly made certificate.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// `BEGIN CERTIFICATE` PEM, the file to send to WIPO.
    pub pem: String,
    /// The DER encoding.
    pub der: Vec<u8>,
    /// SHA-256 of the DER, colon-separated upper-case hex (as `openssl x509 -fingerprint -sha256`).
    pub sha256_fingerprint: String,
}

/// Makes a self-signed certificate for `key`, subject `CN=<common_name>`, valid from `not_before_unix`
/// for `validity_days` days, with a random positive 16-byte serial. Signed ECDSA-SHA256 by ring.
///
/// ```
/// use wipo_oidc::{SigningKey, cert};
/// let key = SigningKey::generate().unwrap();
/// let c = cert::self_signed_certificate(&key, &cert::wipo_common_name("DAS"), 1_700_000_000, 365).unwrap();
/// assert!(c.pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// ```
pub fn self_signed_certificate(
    key: &SigningKey,
    common_name: &str,
    not_before_unix: u64,
    validity_days: u32,
) -> Result<NewCertificate, KeyError> {
    let chars = common_name.chars().count();
    if chars == 0 || chars > 64 {
        return Err(KeyError::Certificate(format!(
            "the common name must be 1 to 64 characters (X.520 upper bound), found {chars}"
        )));
    }
    if validity_days == 0 {
        return Err(KeyError::Certificate(
            "validity must be at least 1 day".into(),
        ));
    }
    let pkcs8 = key.to_pkcs8_der()?;
    let pair = rcgen::KeyPair::try_from(pkcs8.as_slice())
        .map_err(|e| KeyError::Certificate(format!("rcgen refused the key: {e}")))?;
    let mut params = rcgen::CertificateParams::default();
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, common_name);
    params.distinguished_name = dn;
    let start = i64::try_from(not_before_unix)
        .map_err(|_| KeyError::Certificate("start time out of range".into()))?;
    params.not_before = time::OffsetDateTime::from_unix_timestamp(start)
        .map_err(|e| KeyError::Certificate(format!("start time out of range: {e}")))?;
    params.not_after = params
        .not_before
        .checked_add(time::Duration::days(i64::from(validity_days)))
        .filter(|end| end.year() <= 9999)
        .ok_or_else(|| {
            KeyError::Certificate(format!(
                "a validity of {validity_days} days ends after the year 9999, which X.509 cannot express; choose fewer days"
            ))
        })?;
    let mut serial = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut serial)
        .map_err(|_| KeyError::Certificate("no randomness for the serial number".into()))?;
    serial[0] &= 0x7f;
    serial[0] |= 0x40; // positive and full length
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let cert = params
        .self_signed(&pair)
        .map_err(|e| KeyError::Certificate(e.to_string()))?;
    let der = cert.der().to_vec();
    Ok(NewCertificate {
        pem: cert.pem(),
        sha256_fingerprint: colon_hex(ring::digest::digest(&ring::digest::SHA256, &der).as_ref()),
        der,
    })
}

/// What a certificate says, as far as key registration is concerned.
#[derive(Debug, Clone)]
pub struct CertificateInfo {
    /// Subject, RFC 4514 string (e.g. `CN=DAS private_key_jwt authentication`).
    pub subject: String,
    /// Issuer, RFC 4514 string (equal to the subject when self-signed).
    pub issuer: String,
    /// Serial number, colon hex.
    pub serial: String,
    /// Start of validity, Unix seconds.
    pub not_before: u64,
    /// End of validity, Unix seconds.
    pub not_after: u64,
    /// SHA-256 of the DER, colon hex.
    pub sha256_fingerprint: String,
    /// The certified P-256 public key.
    pub public_key: EcPublicKey,
}

/// Reads a `BEGIN CERTIFICATE` PEM holding an EC P-256 key.
pub fn parse_certificate_pem(pem: &str) -> Result<CertificateInfo, KeyError> {
    let (label, der) = crate::key::decode_pem(pem.as_bytes(), "certificate")?;
    if label != "CERTIFICATE" {
        return Err(KeyError::UnexpectedPemLabel {
            source_name: "certificate".into(),
            found: label,
            expected: "`CERTIFICATE`",
        });
    }
    parse_certificate_der(&der)
}

/// Reads a DER certificate holding an EC P-256 key.
pub fn parse_certificate_der(der: &[u8]) -> Result<CertificateInfo, KeyError> {
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| KeyError::Malformed {
        source_name: "certificate".into(),
        what: "X.509 certificate",
        detail: e.to_string(),
    })?;
    let tbs = &cert.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    let public_key = EcPublicKey::from_spki_parts(
        &spki.algorithm.oid,
        spki.algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<spki::ObjectIdentifier>().ok()),
        spki.subject_public_key.raw_bytes(),
        "certificate",
    )?;
    Ok(CertificateInfo {
        subject: tbs.subject.to_string(),
        issuer: tbs.issuer.to_string(),
        serial: colon_hex(tbs.serial_number.as_bytes()),
        not_before: tbs.validity.not_before.to_unix_duration().as_secs(),
        not_after: tbs.validity.not_after.to_unix_duration().as_secs(),
        sha256_fingerprint: colon_hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
        public_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_inputs_are_errors_not_panics() {
        let key = SigningKey::generate().expect("key");
        let cn = wipo_common_name("DAS");
        for (start, days) in [
            (1_700_000_000, u32::MAX),
            (1_700_000_000, 0),
            (u64::MAX, 1),
            (253_402_300_000, 1), // year 9999 ends in between
        ] {
            let err = self_signed_certificate(&key, &cn, start, days).expect_err("out of range");
            assert!(matches!(err, KeyError::Certificate(_)), "{err}");
        }
        assert!(self_signed_certificate(&key, &"x".repeat(65), 1_700_000_000, 1).is_err());
        assert!(self_signed_certificate(&key, "", 1_700_000_000, 1).is_err());
        // 64 characters (not bytes) is the limit.
        let c = self_signed_certificate(&key, &"é".repeat(64), 1_700_000_000, 36_500)
            .expect("64 characters, 100 years");
        let info = parse_certificate_der(&c.der).expect("parse");
        assert_eq!(info.not_after - info.not_before, 36_500 * 86_400);
        assert_eq!(info.public_key, *key.public_key());
    }
}
