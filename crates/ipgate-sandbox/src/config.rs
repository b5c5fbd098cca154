//! What a sandbox is started with.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hws_client::WeekId;
use innography_hmac::ApiVersion;
use ipgate_base::clock::{Clock, SystemClock};

use crate::faults::FaultSpec;

/// The scope the sandbox's HWS routes require unless configured otherwise. WIPO's HWS scope name
/// is unknown (hws-facts §7.1; DAS uses `das-api/das-access`), so ours follows DAS's shape.
pub const DEFAULT_HWS_SCOPE: &str = "hague-api/hws-access";

/// How fast simulated work happens. Durations are nominal; each import gets a deterministic
/// jitter of up to ±25 % from the seed and its import ID, and everything is divided by `speed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// From `POST /request` to imported (or rejected). Default 2 s.
    pub import: Duration,
    /// From imported to registered. Default 6 s.
    pub registration: Duration,
    /// Simulated seconds per real second (default 1; tests use e.g. 100 to make a registration
    /// happen in well under a second). Must be positive.
    pub speed: f64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            import: Duration::from_secs(2),
            registration: Duration::from_secs(6),
            speed: 1.0,
        }
    }
}

/// The versions each Innography API offers (`/innography/{slug}/...`), newest last, with the
/// patch number sent in `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InnographyVersions {
    /// `(api slug, offered versions)`.
    pub apis: Vec<(String, Vec<ApiVersion>)>,
    /// The `patch` parameter of every response's `Content-Type`.
    pub patch: u32,
}

impl Default for InnographyVersions {
    fn default() -> Self {
        let v = |a, b| ApiVersion::new(a, b);
        InnographyVersions {
            apis: vec![
                ("cases".into(), vec![v(0, 6), v(0, 7)]),
                ("data-validation".into(), vec![v(0, 7)]),
                ("portfolioiq".into(), vec![v(1, 0)]),
                ("private-pair".into(), vec![v(0, 5), v(0, 6)]),
                ("veritas".into(), vec![v(0, 3)]),
                ("ids".into(), vec![v(0, 1)]),
                ("etl".into(), vec![v(0, 1)]),
            ],
            patch: 17,
        }
    }
}

impl InnographyVersions {
    /// The versions offered for `slug`, if it is an API.
    pub fn offered(&self, slug: &str) -> Option<&[ApiVersion]> {
        self.apis
            .iter()
            .find(|(s, _)| s == slug)
            .map(|(_, v)| v.as_slice())
    }
}

/// Everything [`crate::Sandbox::start`] needs. Build with [`SandboxConfig::new`] and the `with_*`
/// methods.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen (port 0: any free port). Default `127.0.0.1:0`.
    pub addr: SocketAddr,
    /// The state directory (created, private): the SQLite database, received packages, the TLS files.
    pub state_dir: PathBuf,
    /// The seed of every generated value (ids, jitter, faults, the synthetic corpus).
    pub seed: u64,
    /// Serve HTTPS with a generated certificate (CA file written to `state_dir/tls/ca.pem`).
    pub tls: bool,
    /// The clock "now" comes from (tokens, HMAC dates, rate limits, lifecycle, publication weeks).
    pub clock: Arc<dyn Clock>,
    /// Lifetime of issued access tokens (WIPO: about one hour). Default 3600 s.
    pub token_lifetime: Duration,
    /// Scope required by the HWS routes.
    pub hws_scope: String,
    /// Path of the issuer (WIPO: `/am/oauth2`).
    pub issuer_path: String,
    /// Base path of HWS (the HWS document: `/webservices/api/{version}`).
    pub hws_path: String,
    /// Base path of the Innography emulation.
    pub innography_path: String,
    /// Versions per Innography API.
    pub innography_versions: InnographyVersions,
    /// Minimum interval between two Cases requests of one consumer (documented: 1 query/second).
    pub cases_interval: Duration,
    /// Simulated processing times.
    pub timing: Timing,
    /// Folders holding WIPO's ST.96 schemas for checking uploaded packages (as `hague-package`
    /// searches them). Empty: the schema check is skipped and every import says so in its log.
    pub schema_dirs: Vec<PathBuf>,
    /// Largest accepted upload, bytes (413 beyond). Default 128 MiB.
    pub max_upload_bytes: usize,
    /// Initial fault rules.
    pub faults: FaultSpec,
    /// Seconds added to the `Date` header of every answer (negative: behind): a server with a
    /// wrong clock, as clients see it. The sandbox's own checks keep its clock. Default 0.
    pub date_offset_secs: i64,
    /// The first week with a bulletin.
    pub corpus_start: WeekId,
    /// Synthetic records per weekly issue (besides what the sandbox registered that week).
    pub corpus_records: u32,
    /// Target size of each issue, bytes (`None`: as small as the records make it). Benchmarks use
    /// hundreds of MB; the bytes are generated as they stream.
    pub publication_size: Option<u64>,
    /// Worker threads of the sandbox's own runtime. Default 2.
    pub worker_threads: usize,
    /// An emulated wide-area network for publication downloads ([`crate::wan`]). Default: none.
    pub wan: crate::wan::Wan,
}

impl SandboxConfig {
    /// Defaults, with state in `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_dir: state_dir.into(),
            seed: 1,
            tls: false,
            clock: Arc::new(SystemClock),
            token_lifetime: Duration::from_secs(3600),
            hws_scope: DEFAULT_HWS_SCOPE.into(),
            issuer_path: "/am/oauth2".into(),
            hws_path: "/webservices/api/v1".into(),
            innography_path: "/innography".into(),
            innography_versions: InnographyVersions::default(),
            cases_interval: Duration::from_secs(1),
            timing: Timing::default(),
            schema_dirs: Vec::new(),
            max_upload_bytes: 128 << 20,
            faults: FaultSpec::default(),
            date_offset_secs: 0,
            corpus_start: WeekId::new(2024, 1).unwrap_or_else(|_| WeekId::current(time::Date::MIN)),
            corpus_records: 3,
            publication_size: None,
            worker_threads: 2,
            wan: crate::wan::Wan::default(),
        }
    }

    /// Listen on `addr`.
    pub fn with_addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Use `seed`.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Serve HTTPS.
    pub fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Use `clock` for "now".
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Issue tokens valid `lifetime`.
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Simulated processing times.
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Check uploads against the schemas in `dirs`.
    pub fn with_schema_dirs(mut self, dirs: Vec<PathBuf>) -> Self {
        self.schema_dirs = dirs;
        self
    }

    /// Send a `Date` header `secs` seconds off the sandbox's clock ([`Self::date_offset_secs`]).
    pub fn with_date_offset(mut self, secs: i64) -> Self {
        self.date_offset_secs = secs;
        self
    }

    /// Start with these fault rules.
    pub fn with_faults(mut self, faults: FaultSpec) -> Self {
        self.faults = faults;
        self
    }

    /// Target size of each publication.
    pub fn with_publication_size(mut self, size: Option<u64>) -> Self {
        self.publication_size = size;
        self
    }

    /// Serve publication downloads over an emulated wide-area network.
    pub fn with_wan(mut self, wan: crate::wan::Wan) -> Self {
        self.wan = wan;
        self
    }
}
