//! A faithful local emulator of WIPO's Hague Web Services, WIPO's OIDC login (FAPI 1.0
//! `private_key_jwt`) and the Innography API.
//!
//! No office can develop against WIPO's production service, so this is the server every
//! integration test and the CLI's embedded default talk to. It is as strict as the real services
//! are documented to be (`docs/sandbox.md` says what is known and what is our choice):
//!
//! * **WIPO login** under `/am/oauth2`: discovery, a token endpoint checking client assertions with
//!   [`wipo_oidc::verify`] (ES256, `iss` = `sub` = a registered client, `aud` = the token endpoint,
//!   short `exp`, `jti` never replayed), registered scopes and caller addresses, RFC 6749 errors.
//! * **HWS** under `/webservices/api/v1`: every route behind a Bearer token; `POST /request` checks
//!   the package with `hague-package` and answers an import ID; imports and service requests move
//!   on a simulated, seeded clock; bulletins and confidential copies stream from
//!   [`publication`], with `Range` and `ETag`. Response documents are [`hws_client::wire`]'s.
//! * **Innography** under `/innography`: HMAC checked with `innography-hmac`, version negotiation,
//!   the Cases API's 1 request/second.
//! * **Faults** ([`faults`]): seeded, per route, changeable while running.
//! * **State** in a directory (SQLite, WAL), so restarts and CLI runs see each other's work;
//!   `GET /_sandbox/health` and a loopback-only admin API ([`admin`](crate#admin-api)).
//!
//! ```no_run
//! use ipgate_sandbox::{ClientRegistration, Sandbox, SandboxConfig};
//! let sandbox = Sandbox::start(SandboxConfig::new("/tmp/sandbox-state"))?;
//! sandbox.register_client(&ClientRegistration::new("office-1", std::fs::read_to_string("es256_cert.pem")?))?;
//! println!("issuer {}\nhws {}\ninnography {}", sandbox.urls().issuer, sandbox.urls().hws, sandbox.urls().innography);
//! // ... the sandbox stops when dropped.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Admin API
//! See the `admin` module documentation in `docs/sandbox.md`: reset, list received packages,
//! force a service request's status, publish a week now, read and replace the fault rules.

mod admin;
mod app;
pub mod config;
mod date;
pub mod faults;
mod hws;
mod innography;
pub mod lifecycle;
mod net;
mod oidc;
pub mod publication;
mod publish;
mod register;
pub mod store;
mod tls;
pub mod wan;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;

pub use app::{RequestRecord, Urls};
pub use config::{DEFAULT_HWS_SCOPE, InnographyVersions, SandboxConfig, Timing};
pub use faults::{FaultKind, FaultRule, FaultSpec, FaultSpecError, Route};
pub use register::{
    ClientRegistration, ConsumerSecret, RegisterError, register_client,
    register_innography_consumer,
};
pub use store::StoreError;
pub use tls::{CA_FILE, TlsError};

/// The state directory the CLI's sandbox uses unless told otherwise: `<data dir>/sandbox`
/// (`$IPGATE_DATA_DIR`, else `$XDG_DATA_HOME/ipgate`, else `~/.local/share/ipgate`).
pub fn default_state_dir() -> Result<PathBuf, ipgate_base::dirs::DirsError> {
    ipgate_base::dirs::data_dir().map(|d| d.join("sandbox"))
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The state could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}; choose another port (0 picks a free one)")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime or its thread could not be started.
    #[error("cannot start the sandbox's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// A running sandbox. It serves on its own threads (its own tokio runtime), so it works the same
/// from synchronous code, `#[tokio::test]` or the CLI; dropping it stops it and waits for it.
pub struct Sandbox {
    app: Arc<app::App>,
    addr: SocketAddr,
    ca_file: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("addr", &self.addr)
            .field("urls", &self.app.urls)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Opens the state, binds `config.addr`, and serves until dropped.
    pub fn start(config: SandboxConfig) -> Result<Sandbox, StartError> {
        let store = store::Store::open(&config.state_dir)?;
        let std_listener =
            std::net::TcpListener::bind(config.addr).map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = std_listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        std_listener
            .set_nonblocking(true)
            .map_err(StartError::Runtime)?;
        let (tls, ca_file) = if config.tls {
            let (acceptor, ca) = tls::acceptor(&config.state_dir.join("tls"))?;
            (Some(acceptor), Some(ca))
        } else {
            (None, None)
        };
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            match addr.ip() {
                std::net::IpAddr::V4(ip) => ip.to_string(),
                std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            }
        };
        let base = format!(
            "{}://{host}:{}",
            if tls.is_some() { "https" } else { "http" },
            addr.port()
        );
        let urls = Urls::new(&base, &config);
        let now = config.clock.now_unix();
        let tokens: HashMap<String, app::IssuedToken> = store
            .live_tokens(now)?
            .into_iter()
            .map(|(sha, client_id, scope, expires_at)| {
                (
                    sha,
                    app::IssuedToken {
                        client_id,
                        scopes: scope.split(' ').map(str::to_owned).collect(),
                        expires_at,
                    },
                )
            })
            .collect();
        let app = Arc::new(app::App {
            lifecycle: lifecycle::Lifecycle::new(config.seed, config.timing.clone()),
            faults: faults::Faults::new(config.faults.clone(), config.seed),
            urls,
            store,
            tokens: RwLock::new(tokens),
            replay: wipo_oidc::ReplayCache::new(100_000),
            cases_last: Mutex::new(HashMap::new()),
            publications: publish::PublicationCache::default(),
            requests: app::RequestLog::default(),
            cfg: config,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(app.cfg.worker_threads.max(1))
            .thread_name("ipgate-sandbox")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        let (shutdown, rx) = watch::channel(false);
        let router = app::router(app.clone());
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(StartError::Runtime)?
        };
        let thread = std::thread::Builder::new()
            .name("ipgate-sandbox-main".into())
            .spawn(move || {
                runtime.block_on(net::serve(listener, router, tls, rx));
                runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .map_err(StartError::Runtime)?;
        tracing::info!(addr = %addr, seed = app.cfg.seed, faults = %app.faults.spec(), "sandbox started");
        Ok(Sandbox {
            app,
            addr,
            ca_file,
            shutdown,
            thread: Some(thread),
        })
    }

    /// The base URLs.
    pub fn urls(&self) -> &Urls {
        &self.app.urls
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// With TLS: the CA certificate file clients must trust.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The seed (print it: every generated value and injected fault follows from it).
    pub fn seed(&self) -> u64 {
        self.app.cfg.seed
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        self.app.store.dir()
    }

    /// Registers a client (see [`register_client`]).
    pub fn register_client(
        &self,
        reg: &ClientRegistration,
    ) -> Result<wipo_oidc::cert::CertificateInfo, RegisterError> {
        register::put_client(&self.app.store, reg)
    }

    /// Registers an Innography consumer (see [`register_innography_consumer`]).
    pub fn register_innography_consumer(
        &self,
        username: &str,
        secret: Option<&str>,
    ) -> Result<ConsumerSecret, RegisterError> {
        register::put_consumer(&self.app.store, username, secret)
    }

    /// Replaces the fault rules (the admin API's `PUT /_sandbox/admin/faults`).
    pub fn set_faults(&self, spec: FaultSpec) {
        self.app.faults.set(spec);
    }

    /// The most recent requests answered (at most 10,000), oldest first: what tests count and
    /// inspect instead of a hand-made server (`GET /_sandbox/admin/requests`).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.app.requests.list()
    }

    /// The fault rules in force.
    pub fn faults(&self) -> FaultSpec {
        self.app.faults.spec()
    }

    /// Stops serving and waits for open connections (at most a few seconds).
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the sandbox thread panicked");
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop_inner();
    }
}
