//! `ipgate keys`: make and inspect the ES256 key pair and certificate used to log in to WIPO
//! (replaces Appendix A of the HWS guide). The work is done by `wipo_oidc`.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use wipo_oidc::appendix_a::{self, AppendixAError, CertificateReport, PemReport, PublicKeyReport};
use wipo_oidc::{Clock as _, KeyError, KeyFormat, LoadOptions, SystemClock};
use zeroize::Zeroizing;

use crate::Context;
use crate::config::non_empty_env;
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

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
        KeyError::ForeignOwner { .. } => err.hint().map(|h| format!(
            "{h}; to accept it anyway (not recommended) use --allow-insecure-key-permissions or allow_insecure_key_permissions = true in the profile"
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

/// Maps an Appendix A generation error to the CLI's exit codes and hints.
fn appendix_a_error(err: AppendixAError) -> CliError {
    match err {
        AppendixAError::Key(k) => key_error(k),
        AppendixAError::EmptyClientName => {
            CliError::new(ExitCode::Usage, "--client-name must not be empty")
                .with_hint("use the office's short name, e.g. --client-name DAS")
        }
        e @ AppendixAError::ClientNameTooLong { .. } => {
            CliError::new(ExitCode::Usage, format!("--client-name: {e}"))
                .with_hint("use a shorter name, e.g. the office's short name")
        }
        e @ AppendixAError::AlreadyExists { .. } => CliError::new(ExitCode::Io, e.to_string())
            .with_hint("choose another --out directory, or pass --force to replace the files"),
        AppendixAError::Write(e) => CliError::new(ExitCode::Io, e.to_string())
            .with_hint("check that the --out directory is writable and the disk is not full"),
    }
}

fn generate(a: GenerateArgs, output: OutputFormat) -> CliResult {
    let result = appendix_a::generate(
        &a.out,
        &a.client_name,
        SystemClock.now_unix(),
        a.days,
        a.force,
    )
    .map_err(appendix_a_error)?;
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

fn inspect(a: InspectArgs, output: OutputFormat) -> CliResult {
    let options = LoadOptions {
        passphrase: non_empty_env("IPGATE_KEY_PASSPHRASE").map(Zeroizing::new),
        allow_insecure_permissions: a.allow_insecure_key_permissions,
    };
    let report =
        appendix_a::inspect(&a.file, &options, SystemClock.now_unix()).map_err(key_error)?;
    match output {
        OutputFormat::Json => print_json(&report),
        OutputFormat::Human => {
            print_human(&report);
            Ok(())
        }
    }
}

fn print_public(k: &PublicKeyReport) {
    crate::outln!("curve:           {}", k.curve);
    crate::outln!("JWK thumbprint:  {}", k.jwk_thumbprint);
    crate::outln!("SPKI SHA-256:    {}", k.spki_sha256_fingerprint);
}

fn print_human(report: &PemReport) {
    match report {
        PemReport::PrivateKey {
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
        PemReport::PublicKey { file, public_key } => {
            crate::outln!("file:            {}", file.display());
            crate::outln!("type:            EC public key (BEGIN PUBLIC KEY)");
            print_public(public_key);
        }
        PemReport::Certificate(CertificateReport {
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
        }) => {
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
