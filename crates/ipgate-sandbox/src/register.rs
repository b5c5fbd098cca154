//! Registrations: what WIPO does with an office's certificate and access form (HWS document,
//! "Key pair generation and client ID provisioning": generate the client ID, link the public key,
//! whitelist the IP address, authorise the scopes), and what Innography does when it hands a
//! consumer its username and secret. Written to the state directory, so a running sandbox sees
//! them at the next request.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;

use wipo_oidc::cert::CertificateInfo;

use crate::store::{ClientRecord, Store, StoreError};

/// A client to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRegistration {
    /// The client ID (WIPO generates it; here the caller chooses).
    pub client_id: String,
    /// The X.509 certificate PEM (`es256_cert.pem` of Appendix A).
    pub cert_pem: String,
    /// Scopes it may request (default: the sandbox's HWS scope).
    pub scopes: Vec<String>,
    /// Addresses it may call the token endpoint from (default: `127.0.0.1` and `::1`).
    pub allowed_ips: Vec<IpAddr>,
    /// May download confidential copies.
    pub examining_office: bool,
    /// The office's WIPO ST.3 code (default `US`): the receiving office of its confidential copies.
    pub office_code: String,
}

impl ClientRegistration {
    /// A registration with the defaults above.
    pub fn new(client_id: impl Into<String>, cert_pem: impl Into<String>) -> Self {
        ClientRegistration {
            client_id: client_id.into(),
            cert_pem: cert_pem.into(),
            scopes: vec![crate::config::DEFAULT_HWS_SCOPE.to_owned()],
            allowed_ips: vec![
                IpAddr::from([127, 0, 0, 1]),
                IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
            ],
            examining_office: false,
            office_code: "US".into(),
        }
    }
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The client ID is unusable.
    #[error("the client ID {0:?} must be 1 to 128 visible ASCII characters (no spaces)")]
    ClientId(String),
    /// The certificate is not an X.509 certificate with an EC P-256 key.
    #[error(
        "the certificate is not usable: {0}; send the es256_cert.pem made with `ipgate keys` or Appendix A's openssl commands"
    )]
    Certificate(#[source] wipo_oidc::KeyError),
    /// A scope with spaces or control characters, or none at all.
    #[error(
        "the scope {0:?} is not a scope token (RFC 6749 section 3.3: visible ASCII, no spaces, no quotes or backslashes)"
    )]
    Scope(String),
    /// No scope.
    #[error("a client needs at least one scope")]
    NoScope,
    /// No address.
    #[error("a client needs at least one allowed IP address")]
    NoAddress,
    /// The office code is not two capital letters.
    #[error("the office code {0:?} is not a WIPO ST.3 code (two capital letters, e.g. US)")]
    OfficeCode(String),
    /// The username is unusable.
    #[error(
        "the Innography username {0:?} must be 1 to 128 visible ASCII characters without quotes or backslashes"
    )]
    Username(String),
    /// The secret is unusable.
    #[error("the Innography secret must be 16 to 256 visible ASCII characters")]
    Secret,
    /// The state could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness.
    #[error("the system random generator failed")]
    Random,
}

fn visible(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

pub(crate) fn put_client(
    store: &Store,
    reg: &ClientRegistration,
) -> Result<CertificateInfo, RegisterError> {
    if !visible(&reg.client_id, 128) {
        return Err(RegisterError::ClientId(reg.client_id.clone()));
    }
    let info = wipo_oidc::cert::parse_certificate_pem(&reg.cert_pem)
        .map_err(RegisterError::Certificate)?;
    if reg.scopes.is_empty() {
        return Err(RegisterError::NoScope);
    }
    if let Some(bad) = reg
        .scopes
        .iter()
        .find(|s| !visible(s, 256) || s.contains(['"', '\\']))
    {
        return Err(RegisterError::Scope(bad.clone()));
    }
    if reg.allowed_ips.is_empty() {
        return Err(RegisterError::NoAddress);
    }
    if reg.office_code.len() != 2 || !reg.office_code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(RegisterError::OfficeCode(reg.office_code.clone()));
    }
    store.put_client(&ClientRecord {
        client_id: reg.client_id.clone(),
        cert_pem: reg.cert_pem.clone(),
        scopes: reg.scopes.clone(),
        allowed_ips: reg
            .allowed_ips
            .iter()
            .map(|ip| ip.to_canonical().to_string())
            .collect(),
        examining_office: reg.examining_office,
        office_code: reg.office_code.clone(),
    })?;
    tracing::info!(client = %reg.client_id, subject = %info.subject, "client registered");
    Ok(info)
}

/// An Innography secret, shown once. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsumerSecret(String);

impl ConsumerSecret {
    /// The secret (print it once, or hand it to the client).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConsumerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsumerSecret(..)")
    }
}

pub(crate) fn put_consumer(
    store: &Store,
    username: &str,
    secret: Option<&str>,
) -> Result<ConsumerSecret, RegisterError> {
    if !visible(username, 128) || username.contains(['"', '\\']) {
        return Err(RegisterError::Username(username.to_owned()));
    }
    let secret = match secret {
        Some(s) => {
            let s = s.trim();
            if !visible(s, 256) || s.len() < 16 {
                return Err(RegisterError::Secret);
            }
            s.to_owned()
        }
        None => {
            // 16 random bytes as 32 hex digits, the shape of the documented sample secret.
            let mut raw = [0u8; 16];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut raw)
                .map_err(|_| RegisterError::Random)?;
            crate::oidc::hex(&raw)
        }
    };
    store.put_consumer(username, secret.as_bytes())?;
    tracing::info!(username, "Innography consumer registered");
    Ok(ConsumerSecret(secret))
}

/// Registers a client in the state directory `state_dir` (a running sandbox on it sees it at its
/// next token request). Returns what the certificate says.
pub fn register_client(
    state_dir: &Path,
    reg: &ClientRegistration,
) -> Result<CertificateInfo, RegisterError> {
    put_client(&Store::open(state_dir)?, reg)
}

/// Registers an Innography consumer in `state_dir`, with `secret` or a generated one; returns the
/// secret.
pub fn register_innography_consumer(
    state_dir: &Path,
    username: &str,
    secret: Option<&str>,
) -> Result<ConsumerSecret, RegisterError> {
    put_consumer(&Store::open(state_dir)?, username, secret)
}
