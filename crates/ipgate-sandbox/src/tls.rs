//! `--tls`: a generated certificate authority and a server certificate for `localhost` and
//! `127.0.0.1` signed by it, kept in `STATE/tls/` so a restart keeps the CA the client trusts.
//! The client is given `STATE/tls/ca.pem` (its "extra CA file"), so its TLS path is the real one:
//! no switch that turns verification off.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipgate_base::fs::{FileMode, write_atomic};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::pem::PemObject};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Certificate generation failed.
    #[error("cannot generate the sandbox's TLS certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ipgate_base::fs::AtomicWriteError,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}; remove the tls folder of the state directory to make new files", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The stored certificate or key is damaged, or rustls refused them.
    #[error("the sandbox's TLS files in {} are unusable ({message}); remove that folder to make new ones", dir.display())]
    Unusable {
        /// The folder.
        dir: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The CA file clients pass as their extra trust anchor.
pub const CA_FILE: &str = "ca.pem";

fn write(path: &Path, text: &str, mode: FileMode) -> Result<(), TlsError> {
    write_atomic(path, text.as_bytes(), mode).map_err(|source| TlsError::Write {
        path: path.to_owned(),
        source,
    })
}

fn generate(dir: &Path) -> Result<(), TlsError> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "ipgate sandbox CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "ipgate sandbox");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let leaf_cert = leaf.signed_by(&key, &ca_cert, &ca_key)?;
    // The key first: a crash leaves no certificate without its key.
    write(
        &dir.join("server-key.pem"),
        &key.serialize_pem(),
        FileMode::Private,
    )?;
    write(
        &dir.join("server-cert.pem"),
        &leaf_cert.pem(),
        FileMode::Public,
    )?;
    write(&dir.join(CA_FILE), &ca_cert.pem(), FileMode::Public)?;
    Ok(())
}

/// Makes (once) and loads the TLS files in `dir`; returns the acceptor and the CA file.
pub(crate) fn acceptor(dir: &Path) -> Result<(TlsAcceptor, PathBuf), TlsError> {
    ipgate_base::fs::create_private_dir_all(dir).map_err(|source| TlsError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let ca = dir.join(CA_FILE);
    if !ca.is_file()
        || !dir.join("server-key.pem").is_file()
        || !dir.join("server-cert.pem").is_file()
    {
        generate(dir)?;
    }
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read(&p).map_err(|source| TlsError::Read { path: p, source })
    };
    let unusable = |message: String| TlsError::Unusable {
        dir: dir.to_owned(),
        message,
    };
    let cert = rustls::pki_types::CertificateDer::from_pem_slice(&read("server-cert.pem")?)
        .map_err(|e| unusable(e.to_string()))?;
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(&read("server-key.pem")?)
        .map_err(|e| unusable(e.to_string()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| unusable(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .map_err(|e| unusable(e.to_string()))?;
    Ok((TlsAcceptor::from(Arc::new(config)), ca))
}
