//! The embedded sandbox: what `ipgate hague` talks to when no profile says otherwise.
//!
//! `ipgate-sandbox` runs in this process on an ephemeral port of 127.0.0.1, with its state in
//! `DATA_DIR/sandbox` (so consecutive runs see each other's submissions), and a client of
//! its own made on first use: an ES256 key and certificate under `DATA_DIR/sandbox/client` (key
//! 0600), registered with the sandbox as an examining office. Nothing here is ever used for a
//! profile that names a WIPO or HWS setting.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipgate_base::fs::FileMode;
use ipgate_sandbox::{ClientRegistration, Sandbox, SandboxConfig, Timing};
use wipo_oidc::{Clock as _, SigningKey, SystemClock, TokenSource};

use wipo_oidc::appendix_a::{CERTIFICATE_FILE, PRIVATE_KEY_FILE};

use crate::cmd::keys::key_error;
use crate::exit::{CliError, CliResult, ExitCode};

/// The client id the embedded sandbox registers for this machine.
pub const CLIENT_ID: &str = "ipgate-local";
/// The Innography username the embedded sandbox registers for this machine.
pub const INNOGRAPHY_USER: &str = "ipgate-local";
/// The office code of this machine's sandbox client (ST.3 `XX`: no real office).
pub const OFFICE_CODE: &str = "XX";
/// The line every command prints on stderr when it uses the embedded sandbox.
pub const BANNER: &str = "SANDBOX";

/// How fast the embedded sandbox processes imports: a registration takes about two seconds
/// (nominal 2 s import + 6 s registration, four times faster). `ipgate demo` goes faster still.
pub const DEFAULT_SPEED: f64 = 4.0;

/// A running embedded sandbox and where its files are.
#[derive(Debug)]
pub struct Embedded {
    /// The server (stopped on drop).
    pub sandbox: Sandbox,
    /// `DATA_DIR/sandbox`.
    pub dir: PathBuf,
}

fn dirs_error(e: ipgate_base::dirs::DirsError) -> CliError {
    CliError::config(e.to_string())
        .with_hint("set IPGATE_DATA_DIR (or HOME) to a directory ipgate may write to")
}

/// `DATA_DIR/sandbox`: the sandbox's state (`ipgate_sandbox::default_state_dir`, which `ipgate
/// sandbox serve` also uses without `--state`), with this machine's client and journal beside it.
pub fn sandbox_dir() -> CliResult<PathBuf> {
    ipgate_sandbox::default_state_dir().map_err(dirs_error)
}

/// The embedded sandbox's journal: its own, never a real profile's.
pub fn journal_path() -> CliResult<PathBuf> {
    Ok(sandbox_dir()?.join("journal.sqlite"))
}

impl Embedded {
    /// Starts the sandbox with state in `DATA_DIR/sandbox`; `speed` as in
    /// [`Timing::speed`].
    pub fn start(speed: f64) -> CliResult<Embedded> {
        let dir = sandbox_dir()?;
        ipgate_base::fs::create_private_dir_all(&dir).map_err(|e| {
            CliError::new(
                ExitCode::Io,
                format!("cannot create {}: {e}", dir.display()),
            )
            .with_hint("set IPGATE_DATA_DIR to a directory ipgate may write to")
        })?;
        let mut config = SandboxConfig::new(&dir).with_timing(Timing {
            speed,
            ..Timing::default()
        });
        config.schema_dirs = crate::cmd::hague::schema_dirs(&[]);
        let sandbox = Sandbox::start(config).map_err(|e| {
            CliError::new(
                ExitCode::Internal,
                format!("cannot start the embedded sandbox: {e}"),
            )
            .with_hint(format!(
                "its state is in {}; move it aside to start afresh",
                dir.display()
            ))
        })?;
        Ok(Embedded { sandbox, dir })
    }

    /// `DATA_DIR/sandbox/client`: the key and certificate of this machine's sandbox client.
    pub fn client_dir(&self) -> PathBuf {
        self.dir.join("client")
    }

    /// The private key file.
    pub fn key_file(&self) -> PathBuf {
        self.client_dir().join(PRIVATE_KEY_FILE)
    }

    /// Makes the key and certificate on first use and registers the client (idempotent).
    pub fn ensure_client(&self) -> CliResult {
        self.ensure_keys()?;
        self.register()
    }

    /// Makes the key (0600) and certificate unless they exist; returns whether it made them.
    pub fn ensure_keys(&self) -> CliResult<bool> {
        make_keys(&self.client_dir())
    }

    /// Registers the certificate with the sandbox's login as this machine's client (an examining
    /// office, from 127.0.0.1), as WIPO does with the certificate an office sends. Idempotent.
    pub fn register(&self) -> CliResult {
        let cert_path = self.client_dir().join(CERTIFICATE_FILE);
        let cert = std::fs::read_to_string(&cert_path)
            .map_err(|e| CliError::io("read", &cert_path, &e))?;
        let mut reg = ClientRegistration::new(CLIENT_ID, cert);
        reg.examining_office = true;
        reg.office_code = OFFICE_CODE.to_string();
        self.sandbox.register_client(&reg).map(|_| ()).map_err(|e| {
            CliError::new(
                ExitCode::Internal,
                format!("cannot register the sandbox client: {e}"),
            )
        })
    }

    /// This machine's Innography consumer on the sandbox: the secret made on first use (0600,
    /// `DATA_DIR/sandbox/client/innography.secret`) and registered.
    pub fn innography_credentials(&self) -> CliResult<innography_hmac::Credentials> {
        let path = self.client_dir().join("innography.secret");
        if !path.is_file() {
            let mut raw = [0u8; 16];
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut raw)
                .map_err(|_| CliError::internal("the system random generator failed"))?;
            let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            ipgate_base::fs::write_atomic(&path, hex.as_bytes(), FileMode::Private).map_err(
                |e| {
                    CliError::new(
                        ExitCode::Io,
                        format!("cannot write {}: {e}", path.display()),
                    )
                },
            )?;
        }
        ipgate_base::fs::check_secret_file(&path).map_err(|e| CliError::config(e.to_string()))?;
        let secret = zeroize::Zeroizing::new(
            std::fs::read_to_string(&path).map_err(|e| CliError::io("read", &path, &e))?,
        );
        let secret = secret.trim();
        self.sandbox
            .register_innography_consumer(INNOGRAPHY_USER, Some(secret))
            .map_err(|e| {
                CliError::new(
                    ExitCode::Internal,
                    format!("cannot register the sandbox's Innography consumer: {e}"),
                )
            })?;
        innography_hmac::Credentials::new(
            INNOGRAPHY_USER,
            innography_hmac::Secret::new(secret.as_bytes().to_vec()),
        )
        .map_err(|e| CliError::internal(e.to_string()))
    }

    /// A token source for the registered client.
    pub fn token_source(&self) -> CliResult<TokenSource> {
        let key = SigningKey::load(&self.key_file(), &wipo_oidc::LoadOptions::default())
            .map_err(key_error)?;
        let mut config = wipo_oidc::TokenSourceConfig::new(
            wipo_oidc::Endpoint::Discover {
                issuer: self.sandbox.urls().issuer.clone(),
            },
            CLIENT_ID.to_string(),
        );
        config.scope = Some(ipgate_sandbox::DEFAULT_HWS_SCOPE.to_string());
        let http = wipo_oidc::http_client(concat!("ipgate/", env!("CARGO_PKG_VERSION")))
            .map_err(|e| CliError::internal(format!("cannot make an HTTP client: {e}")))?;
        TokenSource::new(http, config, Arc::new(key))
            .map_err(|e| CliError::internal(format!("cannot make a token source: {e}")))
    }

    /// The stderr line that says, before anything else, that this is not WIPO.
    pub fn banner(&self) -> String {
        format!(
            "{BANNER}: no HWS profile is configured, so this is the embedded sandbox at {} \
             (state in {}); nothing is sent to WIPO. Configure [profiles.NAME.hws] to use WIPO.",
            self.sandbox.urls().hws,
            self.dir.display()
        )
    }
}

/// Makes the three Appendix A files in `dir` (key 0600) unless the key and certificate exist
/// (`wipo_oidc::appendix_a::generate`, as `ipgate keys generate`). Returns whether it made them.
fn make_keys(dir: &Path) -> CliResult<bool> {
    if dir.join(PRIVATE_KEY_FILE).is_file() && dir.join(CERTIFICATE_FILE).is_file() {
        return Ok(false);
    }
    ipgate_base::fs::create_private_dir_all(dir).map_err(|e| {
        CliError::new(
            ExitCode::Io,
            format!("cannot create {}: {e}", dir.display()),
        )
    })?;
    wipo_oidc::appendix_a::generate(dir, "ipgate sandbox", SystemClock.now_unix(), 3650, true)
        .map_err(|e| {
            CliError::new(
                ExitCode::Io,
                format!(
                    "cannot make the sandbox client's key in {}: {e}",
                    dir.display()
                ),
            )
        })?;
    Ok(true)
}
