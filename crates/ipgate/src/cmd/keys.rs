//! `ipgate keys`: make and inspect the ES256 key pair and certificate used to log in to WIPO
//! (replaces Appendix A of the HWS guide). The work is done by `wipo_oidc`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use wipo_oidc::cert::{self, CertificateInfo};
use wipo_oidc::{
    Clock as _, EcPublicKey, KeyError, KeyFormat, LoadOptions, PemObject, SigningKey, SystemClock,
};
use zeroize::Zeroizing;

use crate::Context;
use crate::config::non_empty_env;
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// File names written by `keys generate`, as in WIPO's Appendix A.
pub const PRIVATE_KEY_FILE: &str = "hague4offices_private.pem";
/// Public key file name.
pub const PUBLIC_KEY_FILE: &str = "hague4offices_public.pem";
/// Certificate file name (the file sent to WIPO).
pub const CERTIFICATE_FILE: &str = "es256_cert.pem";

/// Arguments of `ipgate keys`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeysCommand {
    /// Generate a P-256 key pair and the self-signed X.509 certificate to send to WIPO.
    ///
    /// Writes hague4offices_private.pem (mode 0600, keep it secret), hague4offices_public.pem and
    /// es256_cert.pem (CN "NAME private_key_jwt authentication"; send this one to
    /// hague.it@wipo.int), and prints the certificate's SHA-256 fingerprint and the key's RFC 7638
    /// JWK thumbprint.
    Generate(GenerateArgs),
    /// Show what a PEM file holds (private key, public key or certificate): type, curve,
    /// fingerprints. Never prints private material. An encrypted key needs IPGATE_KEY_PASSPHRASE.
    Inspect(InspectArgs),
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Client name for the certificate subject, e.g. the office's short name.
    #[arg(long, value_name = "NAME")]
    client_name: String,
    /// Directory to write the files to (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Certificate validity in days.
    #[arg(long, value_name = "DAYS", default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=36500))]
    days: u32,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// PEM file: private key (SEC1 or PKCS#8), public key or certificate.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Read a private key file even if group or others may read it.
    #[arg(long)]
    allow_insecure_key_permissions: bool,
}

/// Runs `ipgate keys`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        KeysCommand::Generate(a) => generate(a, ctx.output),
        KeysCommand::Inspect(a) => inspect(a, ctx.output),
    }
}

/// Maps a key error to the CLI's exit codes and hints.
pub(crate) fn key_error(err: KeyError) -> CliError {
    let code = match &err {
        KeyError::Io { .. } => ExitCode::Io,
        _ => ExitCode::Config,
    };
    let hint = match &err {
        KeyError::InsecurePermissions { path, .. } => Some(format!(
            "run `chmod 600 {}`; to accept it anyway (not recommended) use --allow-insecure-key-permissions or allow_insecure_key_permissions = true in the profile",
            path.display()
        )),
        KeyError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => Some(
            "check the file name (in the config file a relative path is taken from the config file's directory and `~/` is the home directory; in IPGATE_KEY_FILE and flags, from the current directory)"
                .to_string(),
        ),
        KeyError::PassphraseRequired { .. } => Some(
            "put the key's passphrase in the environment variable IPGATE_KEY_PASSPHRASE"
                .to_string(),
        ),
        _ => err.hint(),
    };
    let mut e = CliError::new(code, err.to_string());
    if let Some(h) = hint {
        e = e.with_hint(h);
    }
    e
}

/// `Tue, 24 Nov 2026 08:00:00 GMT`.
pub(crate) fn http_date(unix: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(unix))
}

/// A file written next to its final path, not yet in place. Removed on drop unless placed.
struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    placed: bool,
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

fn already_exists(path: &Path) -> CliError {
    CliError::new(
        ExitCode::Io,
        format!("{} already exists; not overwriting it", path.display()),
    )
    .with_hint("choose another --out directory, or pass --force to replace the files")
}

/// Writes `data` to a new temporary file in `path`'s directory, created with `mode` (Unix) so a
/// private key is never readable by others, not even for a moment.
fn stage(path: &Path, data: &[u8], mode: u32) -> CliResult<Staged> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = dir.join(format!(
        ".{file_name}.tmp-{}-{nanos:09}",
        std::process::id()
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut staged = Staged {
        tmp,
        path: path.to_path_buf(),
        placed: false,
    };
    let mut f = match opts.open(&staged.tmp) {
        Ok(f) => f,
        Err(e) => {
            // Nothing was created: nothing to remove.
            staged.placed = true;
            return Err(CliError::io("write", path, &e));
        }
    };
    f.write_all(data)
        .and_then(|()| f.sync_all())
        .map_err(|e| CliError::io("write", path, &e))?;
    Ok(staged)
}

/// Moves a staged file to its final path. Without `overwrite` an existing file is never replaced,
/// not even one that appeared after an earlier check (a hard link refuses to replace; where the
/// file system has no hard links, a check then rename).
fn place(staged: &mut Staged, overwrite: bool) -> CliResult {
    let path = staged.path.clone();
    if !overwrite {
        match std::fs::hard_link(&staged.tmp, &path) {
            Ok(()) => {
                // The final path is in place; the temporary name goes away on drop.
                return Ok(());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(already_exists(&path));
            }
            Err(_) if path.exists() => return Err(already_exists(&path)),
            Err(_) => {}
        }
    }
    std::fs::rename(&staged.tmp, &path).map_err(|e| CliError::io("write", &path, &e))?;
    staged.placed = true;
    Ok(())
}

/// Writes `data` to `path` atomically (temporary file in the same directory, then rename or link),
/// with `mode` on Unix. Refuses to replace an existing file unless `overwrite`. Readers never see a
/// partial file at `path`.
pub(crate) fn write_file_atomic(path: &Path, data: &[u8], mode: u32, overwrite: bool) -> CliResult {
    if !overwrite && path.exists() {
        return Err(already_exists(path));
    }
    let mut staged = stage(path, data, mode)?;
    place(&mut staged, overwrite)
}

/// Writes several files as a set: all are written to temporary files first, then put in place; if
/// any step fails, the files this call put in place are removed again, so no partial set is left.
fn write_files_atomic(files: &[(&Path, &[u8], u32)], overwrite: bool) -> CliResult {
    if !overwrite {
        for (path, _, _) in files {
            if path.exists() {
                return Err(already_exists(path));
            }
        }
    }
    let mut staged = Vec::with_capacity(files.len());
    for (path, data, mode) in files {
        staged.push(stage(path, data, *mode)?);
    }
    let mut placed: Vec<PathBuf> = Vec::new();
    for s in &mut staged {
        if let Err(e) = place(s, overwrite) {
            for p in &placed {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        placed.push(s.path.clone());
    }
    Ok(())
}

#[derive(Serialize)]
struct Generated {
    private_key: PathBuf,
    public_key: PathBuf,
    certificate: PathBuf,
    subject: String,
    not_before: u64,
    not_after: u64,
    certificate_sha256_fingerprint: String,
    jwk_thumbprint: String,
}

fn generate(a: GenerateArgs, output: OutputFormat) -> CliResult {
    let name = a.client_name.trim();
    if name.is_empty() {
        return Err(
            CliError::new(ExitCode::Usage, "--client-name must not be empty")
                .with_hint("use the office's short name, e.g. --client-name DAS"),
        );
    }
    // X.520 caps a common name at 64 characters, and the name is followed by a fixed suffix.
    let max_name = 64 - cert::wipo_common_name("").chars().count();
    if name.chars().count() > max_name {
        return Err(CliError::new(
            ExitCode::Usage,
            format!(
                "--client-name is {} characters; at most {max_name} fit in the certificate's common name \"NAME private_key_jwt authentication\" (64 characters in all)",
                name.chars().count()
            ),
        )
        .with_hint("use a shorter name, e.g. the office's short name"));
    }
    std::fs::create_dir_all(&a.out).map_err(|e| CliError::io("create directory", &a.out, &e))?;
    let private_path = a.out.join(PRIVATE_KEY_FILE);
    let public_path = a.out.join(PUBLIC_KEY_FILE);
    let cert_path = a.out.join(CERTIFICATE_FILE);
    if !a.force {
        for p in [&private_path, &public_path, &cert_path] {
            if p.exists() {
                return Err(already_exists(p));
            }
        }
    }
    let key = SigningKey::generate().map_err(key_error)?;
    let now = SystemClock.now_unix();
    let subject_cn = cert::wipo_common_name(name);
    let certificate =
        cert::self_signed_certificate(&key, &subject_cn, now, a.days).map_err(key_error)?;
    let private_pem = key.to_sec1_pem().map_err(key_error)?;
    let public_pem = key.public_key().to_spki_pem().map_err(key_error)?;
    write_files_atomic(
        &[
            (&private_path, private_pem.as_bytes(), 0o600),
            (&public_path, public_pem.as_bytes(), 0o644),
            (&cert_path, certificate.pem.as_bytes(), 0o644),
        ],
        a.force,
    )?;
    let info = cert::parse_certificate_der(&certificate.der).map_err(key_error)?;
    let result = Generated {
        private_key: private_path,
        public_key: public_path,
        certificate: cert_path,
        subject: info.subject,
        not_before: info.not_before,
        not_after: info.not_after,
        certificate_sha256_fingerprint: certificate.sha256_fingerprint,
        jwk_thumbprint: key.public_key().jwk_thumbprint(),
    };
    match output {
        OutputFormat::Json => print_json(&result),
        OutputFormat::Human => {
            crate::outln!(
                "private key:  {}  (mode 0600; keep it secret, never send it)",
                result.private_key.display()
            );
            crate::outln!("public key:   {}", result.public_key.display());
            crate::outln!(
                "certificate:  {}  (send this file to WIPO: hague.it@wipo.int)",
                result.certificate.display()
            );
            crate::outln!("subject:      {}", result.subject);
            crate::outln!(
                "valid:        {} to {}",
                http_date(result.not_before),
                http_date(result.not_after)
            );
            crate::outln!(
                "certificate SHA-256 fingerprint: {}",
                result.certificate_sha256_fingerprint
            );
            crate::outln!("JWK thumbprint (RFC 7638):       {}", result.jwk_thumbprint);
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct PublicKeyReport {
    curve: &'static str,
    jwk_thumbprint: String,
    spki_sha256_fingerprint: String,
    jwk: wipo_oidc::Jwk,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Inspection {
    PrivateKey {
        file: PathBuf,
        format: KeyFormat,
        #[serde(skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        public_key: PublicKeyReport,
    },
    PublicKey {
        file: PathBuf,
        public_key: PublicKeyReport,
    },
    Certificate {
        file: PathBuf,
        subject: String,
        issuer: String,
        self_signed: bool,
        serial: String,
        not_before: u64,
        not_after: u64,
        expired: bool,
        sha256_fingerprint: String,
        public_key: PublicKeyReport,
    },
}

fn public_report(k: &EcPublicKey) -> CliResult<PublicKeyReport> {
    Ok(PublicKeyReport {
        curve: "P-256 (prime256v1)",
        jwk_thumbprint: k.jwk_thumbprint(),
        spki_sha256_fingerprint: k.spki_sha256_fingerprint().map_err(key_error)?,
        jwk: k.to_jwk(),
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

fn inspect(a: InspectArgs, output: OutputFormat) -> CliResult {
    let options = LoadOptions {
        passphrase: non_empty_env("IPGATE_KEY_PASSPHRASE").map(Zeroizing::new),
        allow_insecure_permissions: a.allow_insecure_key_permissions,
    };
    let report = match wipo_oidc::load_pem_file(&a.file, &options).map_err(key_error)? {
        PemObject::PrivateKey(key) => Inspection::PrivateKey {
            mode: file_mode(&a.file),
            format: key.format(),
            public_key: public_report(key.public_key())?,
            file: a.file,
        },
        PemObject::PublicKey(k) => Inspection::PublicKey {
            public_key: public_report(&k)?,
            file: a.file,
        },
        PemObject::Certificate(c) => certificate_report(a.file, c)?,
    };
    match output {
        OutputFormat::Json => print_json(&report),
        OutputFormat::Human => {
            print_human(&report);
            Ok(())
        }
    }
}

fn certificate_report(file: PathBuf, c: CertificateInfo) -> CliResult<Inspection> {
    Ok(Inspection::Certificate {
        file,
        self_signed: c.subject == c.issuer,
        expired: SystemClock.now_unix() > c.not_after,
        public_key: public_report(&c.public_key)?,
        subject: c.subject,
        issuer: c.issuer,
        serial: c.serial,
        not_before: c.not_before,
        not_after: c.not_after,
        sha256_fingerprint: c.sha256_fingerprint,
    })
}

fn print_public(k: &PublicKeyReport) {
    crate::outln!("curve:           {}", k.curve);
    crate::outln!("JWK thumbprint:  {}", k.jwk_thumbprint);
    crate::outln!("SPKI SHA-256:    {}", k.spki_sha256_fingerprint);
}

fn print_human(report: &Inspection) {
    match report {
        Inspection::PrivateKey {
            file,
            format,
            mode,
            public_key,
        } => {
            let kind = match format {
                KeyFormat::Sec1 => "EC private key (SEC1, BEGIN EC PRIVATE KEY)",
                KeyFormat::Pkcs8 => "EC private key (PKCS#8, BEGIN PRIVATE KEY)",
                KeyFormat::EncryptedPkcs8 => "EC private key (encrypted PKCS#8)",
                KeyFormat::Generated => "EC private key",
            };
            crate::outln!("file:            {}", file.display());
            crate::outln!("type:            {kind}");
            if let Some(m) = mode {
                crate::outln!("permissions:     {m}");
            }
            print_public(public_key);
        }
        Inspection::PublicKey { file, public_key } => {
            crate::outln!("file:            {}", file.display());
            crate::outln!("type:            EC public key (BEGIN PUBLIC KEY)");
            print_public(public_key);
        }
        Inspection::Certificate {
            file,
            subject,
            issuer,
            self_signed,
            serial,
            not_before,
            not_after,
            expired,
            sha256_fingerprint,
            public_key,
        } => {
            crate::outln!("file:            {}", file.display());
            crate::outln!(
                "type:            X.509 certificate{}",
                if *self_signed { " (self-signed)" } else { "" }
            );
            crate::outln!("subject:         {subject}");
            if !self_signed {
                crate::outln!("issuer:          {issuer}");
            }
            crate::outln!("serial:          {serial}");
            crate::outln!(
                "valid:           {} to {}{}",
                http_date(*not_before),
                http_date(*not_after),
                if *expired { " (EXPIRED)" } else { "" }
            );
            crate::outln!("SHA-256:         {sha256_fingerprint}");
            print_public(public_key);
        }
    }
}
