//! The key files of Appendix A of WIPO's HWS guide ("Generating the key pair and the certificate"),
//! made in one step, and a report of what a PEM file holds (what `ipgate keys generate` and
//! `ipgate keys inspect` show).
//!
//! Appendix A has an office run three `openssl` commands that write
//! [`PRIVATE_KEY_FILE`], [`PUBLIC_KEY_FILE`] and [`CERTIFICATE_FILE`] (subject
//! `CN=<client name> private_key_jwt authentication`) and send the certificate to WIPO
//! (hague.it@wipo.int). [`generate`] writes the same three files.

use std::path::{Path, PathBuf};

use ipgate_base::fs::{AtomicFile, AtomicWriteError, FileMode};
use serde::Serialize;

use crate::cert::{self, CertificateInfo};
use crate::key::{EcPublicKey, Jwk, KeyError, KeyFormat, LoadOptions, PemObject, SigningKey};

/// The private key file name of Appendix A (SEC1 PEM, mode 0600; never sent to anyone).
pub const PRIVATE_KEY_FILE: &str = "hague4offices_private.pem";
/// The public key file name of Appendix A (SPKI PEM).
pub const PUBLIC_KEY_FILE: &str = "hague4offices_public.pem";
/// The certificate file name of Appendix A (the file sent to WIPO).
pub const CERTIFICATE_FILE: &str = "es256_cert.pem";

/// Why [`generate`] wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum AppendixAError {
    /// The client name is empty.
    #[error("the client name must not be empty")]
    EmptyClientName,
    /// The client name does not fit the certificate's common name (X.520: 64 characters).
    #[error(
        "the client name is {chars} characters; at most {max} fit in the certificate's common name \"NAME private_key_jwt authentication\" (64 characters in all)"
    )]
    ClientNameTooLong {
        /// Characters given.
        chars: usize,
        /// Characters allowed.
        max: usize,
    },
    /// One of the files is there already and `overwrite` was not given.
    #[error("{} already exists; not overwriting it", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// Key or certificate generation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Writing a file failed (the files written by this call were removed again).
    #[error(transparent)]
    Write(AtomicWriteError),
}

impl From<AtomicWriteError> for AppendixAError {
    fn from(e: AtomicWriteError) -> Self {
        match e {
            AtomicWriteError::AlreadyExists { path } => Self::AlreadyExists { path },
            other => Self::Write(other),
        }
    }
}

/// The files [`generate`] wrote and what to tell WIPO about them.
#[derive(Debug, Clone, Serialize)]
pub struct GeneratedFiles {
    /// The private key (0600).
    pub private_key: PathBuf,
    /// The public key.
    pub public_key: PathBuf,
    /// The certificate to send to WIPO.
    pub certificate: PathBuf,
    /// The certificate's subject (RFC 4514).
    pub subject: String,
    /// Start of validity, Unix seconds.
    pub not_before: u64,
    /// End of validity, Unix seconds.
    pub not_after: u64,
    /// SHA-256 of the certificate, colon hex (as `openssl x509 -fingerprint -sha256`).
    pub certificate_sha256_fingerprint: String,
    /// RFC 7638 JWK thumbprint of the public key.
    pub jwk_thumbprint: String,
}

/// The longest client name that fits the certificate's common name.
pub fn max_client_name_chars() -> usize {
    64 - cert::wipo_common_name("").chars().count()
}

/// Makes a P-256 key pair and a self-signed certificate for `client_name` valid from `now_unix`
/// for `days` days, and writes the three Appendix A files into `dir` (created if missing) as a
/// set: all are staged first, then put in place; if any step fails, the files this call put in
/// place are removed again. Without `overwrite` an existing file is never replaced, not even one
/// that appears during the call.
pub fn generate(
    dir: &Path,
    client_name: &str,
    now_unix: u64,
    days: u32,
    overwrite: bool,
) -> Result<GeneratedFiles, AppendixAError> {
    let name = client_name.trim();
    if name.is_empty() {
        return Err(AppendixAError::EmptyClientName);
    }
    let max = max_client_name_chars();
    let chars = name.chars().count();
    if chars > max {
        return Err(AppendixAError::ClientNameTooLong { chars, max });
    }
    std::fs::create_dir_all(dir).map_err(|source| AtomicWriteError::CreateDir {
        dir: dir.to_path_buf(),
        source,
    })?;
    let private_path = dir.join(PRIVATE_KEY_FILE);
    let public_path = dir.join(PUBLIC_KEY_FILE);
    let cert_path = dir.join(CERTIFICATE_FILE);
    if !overwrite {
        for p in [&private_path, &public_path, &cert_path] {
            if p.exists() {
                return Err(AppendixAError::AlreadyExists { path: p.clone() });
            }
        }
    }
    let key = SigningKey::generate()?;
    let certificate =
        cert::self_signed_certificate(&key, &cert::wipo_common_name(name), now_unix, days)?;
    let private_pem = key.to_sec1_pem()?;
    let public_pem = key.public_key().to_spki_pem()?;
    write_set(
        &[
            (&private_path, private_pem.as_bytes(), FileMode::Private),
            (&public_path, public_pem.as_bytes(), FileMode::Public),
            (&cert_path, certificate.pem.as_bytes(), FileMode::Public),
        ],
        overwrite,
    )?;
    let info = cert::parse_certificate_der(&certificate.der)?;
    Ok(GeneratedFiles {
        private_key: private_path,
        public_key: public_path,
        certificate: cert_path,
        subject: info.subject,
        not_before: info.not_before,
        not_after: info.not_after,
        certificate_sha256_fingerprint: certificate.sha256_fingerprint,
        jwk_thumbprint: key.public_key().jwk_thumbprint(),
    })
}

/// Writes files as a set (see [`generate`]).
fn write_set(files: &[(&PathBuf, &[u8], FileMode)], overwrite: bool) -> Result<(), AppendixAError> {
    use std::io::Write as _;
    let mut staged = Vec::with_capacity(files.len());
    for (path, data, mode) in files {
        let mut f = AtomicFile::create(path, *mode)?;
        f.write_all(data).map_err(|e| f.write_error(e))?;
        staged.push(f);
    }
    let mut placed: Vec<PathBuf> = Vec::new();
    for f in staged {
        let path = f.final_path().to_path_buf();
        let result = if overwrite {
            f.commit()
        } else {
            f.commit_new()
        };
        if let Err(e) = result {
            for p in &placed {
                let _ = std::fs::remove_file(p);
            }
            return Err(e.into());
        }
        placed.push(path);
    }
    Ok(())
}

/// A public key as the reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct PublicKeyReport {
    /// Always P-256.
    pub curve: &'static str,
    /// RFC 7638 JWK thumbprint (what WIPO's registration and `kid` values are compared by).
    pub jwk_thumbprint: String,
    /// SHA-256 of the SubjectPublicKeyInfo DER, colon hex.
    pub spki_sha256_fingerprint: String,
    /// The key as a JWK (public members only).
    pub jwk: Jwk,
}

impl PublicKeyReport {
    /// The report of `key`.
    pub fn of(key: &EcPublicKey) -> Result<Self, KeyError> {
        Ok(Self {
            curve: "P-256 (prime256v1)",
            jwk_thumbprint: key.jwk_thumbprint(),
            spki_sha256_fingerprint: key.spki_sha256_fingerprint()?,
            jwk: key.to_jwk(),
        })
    }
}

/// What a PEM file holds. Never private material.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PemReport {
    /// A private key (its public part is reported).
    PrivateKey {
        /// The file.
        file: PathBuf,
        /// SEC1, PKCS#8 or encrypted PKCS#8.
        format: KeyFormat,
        /// The file's permission bits, `0600` (Unix only).
        #[serde(skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        /// Its public key.
        public_key: PublicKeyReport,
    },
    /// A public key.
    PublicKey {
        /// The file.
        file: PathBuf,
        /// The key.
        public_key: PublicKeyReport,
    },
    /// A certificate.
    Certificate(CertificateReport),
}

/// A certificate as the reports show it: what matters for registering it with WIPO.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateReport {
    /// The file.
    pub file: PathBuf,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Subject equals issuer (what Appendix A makes).
    pub self_signed: bool,
    /// Serial number, colon hex.
    pub serial: String,
    /// Start of validity, Unix seconds.
    pub not_before: u64,
    /// End of validity, Unix seconds.
    pub not_after: u64,
    /// Past `not_after` at the time of the report.
    pub expired: bool,
    /// SHA-256 of the DER, colon hex.
    pub sha256_fingerprint: String,
    /// The certified key.
    pub public_key: PublicKeyReport,
}

impl CertificateReport {
    /// The report of certificate `c` read from `file`, judged at `now_unix`.
    pub fn new(file: PathBuf, c: CertificateInfo, now_unix: u64) -> Result<Self, KeyError> {
        Ok(Self {
            file,
            self_signed: c.subject == c.issuer,
            expired: now_unix > c.not_after,
            public_key: PublicKeyReport::of(&c.public_key)?,
            subject: c.subject,
            issuer: c.issuer,
            serial: c.serial,
            not_before: c.not_before,
            not_after: c.not_after,
            sha256_fingerprint: c.sha256_fingerprint,
        })
    }
}

/// Reads `path` (private key, public key or certificate) and reports what it holds, judging
/// certificate expiry at `now_unix`. A private key file is subject to the secret-file check.
pub fn inspect(path: &Path, options: &LoadOptions, now_unix: u64) -> Result<PemReport, KeyError> {
    Ok(match crate::key::load_pem_file(path, options)? {
        PemObject::PrivateKey(key) => PemReport::PrivateKey {
            mode: file_mode(path),
            format: key.format(),
            public_key: PublicKeyReport::of(key.public_key())?,
            file: path.to_path_buf(),
        },
        PemObject::PublicKey(k) => PemReport::PublicKey {
            public_key: PublicKeyReport::of(&k)?,
            file: path.to_path_buf(),
        },
        PemObject::Certificate(c) => {
            PemReport::Certificate(CertificateReport::new(path.to_path_buf(), c, now_unix)?)
        }
    })
}

/// How a certificate stands against the private key it should certify: what a health check
/// (`ipgate doctor`) reports before WIPO's login refuses the client. WIPO registers the
/// certificate (Appendix A), so a key that no longer matches it, or a certificate past its end,
/// means every assertion is refused.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateCheck {
    /// The certificate.
    pub certificate: CertificateReport,
    /// The certificate certifies the key's public half (same RFC 7638 thumbprint).
    pub matches_key: bool,
    /// Whole days from `now_unix` to `not_after` (0 when expired).
    pub days_left: u64,
}

/// Reads the private key at `key_path` and the certificate at `cert_path` and checks that one
/// certifies the other, judging validity at `now_unix`. The key file is subject to the
/// secret-file check; a file holding something else than named is
/// [`KeyError::UnexpectedPemLabel`].
pub fn check_certificate(
    key_path: &Path,
    cert_path: &Path,
    options: &LoadOptions,
    now_unix: u64,
) -> Result<CertificateCheck, KeyError> {
    let key = match inspect(key_path, options, now_unix)? {
        PemReport::PrivateKey { public_key, .. } => public_key,
        _ => {
            return Err(KeyError::UnexpectedPemLabel {
                source_name: key_path.display().to_string(),
                found: "public key or certificate".into(),
                expected: "`EC PRIVATE KEY` or `PRIVATE KEY`",
            });
        }
    };
    let certificate = match inspect(cert_path, options, now_unix)? {
        PemReport::Certificate(c) => c,
        _ => {
            return Err(KeyError::UnexpectedPemLabel {
                source_name: cert_path.display().to_string(),
                found: "key".into(),
                expected: "`CERTIFICATE`",
            });
        }
    };
    Ok(CertificateCheck {
        matches_key: certificate.public_key.jwk_thumbprint == key.jwk_thumbprint,
        days_left: certificate.not_after.saturating_sub(now_unix) / 86_400,
        certificate,
    })
}

fn file_mode(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path)
            .ok()
            .map(|m| format!("{:04o}", m.permissions().mode() & 0o7777))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn check_certificate_tells_a_matching_pair_from_a_foreign_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let now = 1_700_000_000;
        let a = generate(&dir.path().join("a"), "A", now, 40, false).expect("generate a");
        let b = generate(&dir.path().join("b"), "B", now, 40, false).expect("generate b");
        let opts = LoadOptions::default();
        let ok = check_certificate(&a.private_key, &a.certificate, &opts, now).expect("check");
        assert!(ok.matches_key);
        assert_eq!(ok.days_left, 40);
        let later = check_certificate(&a.private_key, &a.certificate, &opts, now + 15 * 86_400)
            .expect("check");
        assert_eq!(later.days_left, 25);
        let foreign = check_certificate(&a.private_key, &b.certificate, &opts, now).expect("check");
        assert!(!foreign.matches_key);
        let swapped = check_certificate(&a.certificate, &a.private_key, &opts, now);
        assert!(
            matches!(swapped, Err(KeyError::UnexpectedPemLabel { .. })),
            "{swapped:?}"
        );
    }

    #[test]
    fn generates_the_three_files_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("keys");
        let g = generate(&out, " DAS ", 1_700_000_000, 730, false).expect("generate");
        assert_eq!(g.subject, "CN=DAS private_key_jwt authentication");
        assert_eq!(g.not_after - g.not_before, 730 * 86_400);
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&g.private_key), 0o600);
        let report = inspect(&g.certificate, &LoadOptions::default(), 1_700_000_000).expect("cert");
        let PemReport::Certificate(c) = report else {
            panic!("not a certificate: {report:?}")
        };
        assert!(c.self_signed && !c.expired);
        assert_eq!(c.public_key.jwk_thumbprint, g.jwk_thumbprint);
        let later =
            inspect(&g.certificate, &LoadOptions::default(), g.not_after + 1).expect("cert");
        assert!(matches!(
            later,
            PemReport::Certificate(CertificateReport { expired: true, .. })
        ));
        let key = inspect(&g.private_key, &LoadOptions::default(), 0).expect("key");
        assert!(
            matches!(&key, PemReport::PrivateKey { mode: Some(m), .. } if m == "0600"),
            "{key:?}"
        );

        let before = std::fs::read(&g.private_key).expect("read");
        let err = generate(&out, "DAS", 1_700_000_000, 730, false).expect_err("exists");
        assert!(matches!(err, AppendixAError::AlreadyExists { .. }), "{err}");
        assert_eq!(std::fs::read(&g.private_key).expect("read"), before);
        let again = generate(&out, "DAS", 1_700_000_000, 730, true).expect("overwrite");
        assert_ne!(again.jwk_thumbprint, g.jwk_thumbprint);
        let names: Vec<_> = std::fs::read_dir(&out)
            .expect("dir")
            .map(|e| e.expect("e").file_name())
            .collect();
        assert_eq!(names.len(), 3, "no temporary files left: {names:?}");
    }

    #[test]
    fn client_name_is_checked_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            generate(dir.path(), "  ", 0, 1, false),
            Err(AppendixAError::EmptyClientName)
        ));
        let long = "x".repeat(max_client_name_chars() + 1);
        assert!(matches!(
            generate(dir.path(), &long, 0, 1, false),
            Err(AppendixAError::ClientNameTooLong { .. })
        ));
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
