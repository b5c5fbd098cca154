//! Building the HTTP client: rustls with ring (no OpenSSL), the system's roots plus an optional
//! extra CA file, configurable timeouts, redirects never followed. There is deliberately no
//! setting that turns certificate verification off: a test or private server gets its CA added
//! with [`ClientOptions::extra_ca_file`] instead.

use std::path::PathBuf;
use std::time::Duration;

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientBuildError {
    /// The CA file could not be read.
    #[error("cannot read the CA file {}: {source}", path.display())]
    ReadCa {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The CA file holds no usable PEM certificate.
    #[error("the CA file {} holds no PEM certificate (`-----BEGIN CERTIFICATE-----`): {detail}", path.display())]
    BadCa {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// reqwest refused the settings (TLS backend initialisation).
    #[error("cannot build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// Settings of the HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for each read; there is no overall timeout, so large downloads can stream.
    pub read_timeout: Duration,
    /// PEM file of extra CA certificates trusted besides the system's (e.g. the sandbox's CA or a
    /// private server's), one or more `BEGIN CERTIFICATE` blocks.
    pub extra_ca_file: Option<PathBuf>,
}

impl ClientOptions {
    /// Defaults: connect timeout 15 s, read timeout 60 s, no extra CA.
    pub fn new(user_agent: impl Into<String>) -> Self {
        Self {
            user_agent: user_agent.into(),
            connect_timeout: Duration::from_secs(15),
            read_timeout: Duration::from_secs(60),
            extra_ca_file: None,
        }
    }

    /// Sets the extra CA file.
    pub fn with_extra_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.extra_ca_file = Some(path.into());
        self
    }

    /// A `reqwest::ClientBuilder` with these settings, to add e.g. a proxy before building.
    pub fn builder(&self) -> Result<reqwest::ClientBuilder, ClientBuildError> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(&self.user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout);
        if let Some(path) = &self.extra_ca_file {
            let pem = std::fs::read(path).map_err(|source| ClientBuildError::ReadCa {
                path: path.clone(),
                source,
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ClientBuildError::BadCa {
                    path: path.clone(),
                    detail: e.to_string(),
                }
            })?;
            if certs.is_empty() {
                return Err(ClientBuildError::BadCa {
                    path: path.clone(),
                    detail: "no certificate found".into(),
                });
            }
            for c in certs {
                b = b.add_root_certificate(c);
            }
        }
        Ok(b)
    }

    /// The client.
    pub fn build(&self) -> Result<reqwest::Client, ClientBuildError> {
        self.builder()?.build().map_err(ClientBuildError::Build)
    }
}
