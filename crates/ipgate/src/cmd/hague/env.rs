//! What every `ipgate hague` command runs with: the HWS client (of the profile, or of the embedded
//! sandbox), the journal, and the output (which says SANDBOX whenever it is one).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use hague_journal::{Journal, JournalError, ServerUpdate};
use hws_client::wire::{ImportStatus, ServiceRequestStatus};
use hws_client::{HwsClient, HwsConfig, HwsError};
use serde::Serialize;

use super::embedded::{self, Embedded};
use crate::Context;
use crate::config::{HwsSettings, Profile, non_empty_env};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_document};

/// Default longest `submit --wait`.
const DEFAULT_WAIT: Duration = Duration::from_secs(3600);
/// Default weeks downloaded at once by `bulletin sync`. WIPO documents no limit on parallel
/// downloads; 4 connections, as a browser opens 6 to one host, hide most of a distant server's
/// round trips and per-connection rate (docs/benchmarks.md: 20 weeks over an emulated WAN take
/// 0.5x a sequential curl loop with 2, 0.27x with 4). `--concurrency` and
/// `download_concurrency` change it.
pub(crate) const DEFAULT_CONCURRENCY: usize = 4;

/// Environment variables that make a profile real (and so never the sandbox), besides the HWS
/// ones ([`HwsFlags`], applied to the profile before it is asked).
const REAL_ENV: [&str; 4] = [
    "IPGATE_ISSUER",
    "IPGATE_TOKEN_ENDPOINT",
    "IPGATE_CLIENT_ID",
    "IPGATE_KEY_FILE",
];

/// The client, the journal and the output of one `ipgate hague` run.
#[derive(Debug)]
pub struct HwsEnv {
    output: OutputFormat,
    sandbox: Option<Embedded>,
    sandbox_journal_only: bool,
    client: Option<HwsClient>,
    base_url: String,
    journal: Journal,
    /// Longest `submit --wait`.
    pub wait_timeout: Duration,
    /// Weeks `bulletin sync` downloads at once.
    pub concurrency: usize,
}

/// Where HWS is, over the profile's `[hws]`: options of `ipgate hague` (any subcommand), each also
/// read from its environment variable by clap (`env`, shown in `--help`). Precedence: flag, then
/// environment, then the config file. An empty value counts as unset.
#[derive(Debug, Default, Clone, clap::Args)]
#[command(next_help_heading = "HWS options")]
pub struct HwsFlags {
    /// HWS base URL, over the profile's hws.base_url
    #[arg(
        long = "hws-base-url",
        global = true,
        value_name = "URL",
        env = "IPGATE_HWS_BASE_URL"
    )]
    pub base_url: Option<String>,
    /// Extra CA certificates (PEM) trusted for HWS and its login, over the profile's hws.ca_file
    #[arg(
        long = "hws-ca-file",
        global = true,
        value_name = "PATH",
        env = "IPGATE_HWS_CA_FILE",
        value_parser = crate::config::path_or_empty()
    )]
    pub ca_file: Option<PathBuf>,
}

impl HwsFlags {
    /// The values from the environment alone (no command line): for commands without these
    /// flags (`ipgate doctor`, `ipgate config show`), read by the same clap definition.
    pub fn from_env() -> CliResult<Self> {
        use clap::{Args as _, FromArgMatches as _};
        let cmd = Self::augment_args(clap::Command::new("ipgate"));
        cmd.try_get_matches_from(["ipgate"])
            .and_then(|m| Self::from_arg_matches(&m))
            .map_err(|e| CliError::config(format!("cannot read the IPGATE_HWS_* settings: {e}")))
    }

    /// `profile` with these values over its `[hws]` table.
    pub fn apply(&self, mut profile: Profile) -> Profile {
        if let Some(url) = self.base_url.as_ref().filter(|u| !u.is_empty()) {
            profile.hws.base_url = Some(url.clone());
        }
        if let Some(ca) = self.ca_file.as_ref().filter(|p| !p.as_os_str().is_empty()) {
            profile.hws.ca_file = Some(ca.clone());
        }
        profile
    }
}

/// Whether the profile (with [`HwsFlags`] applied, and the environment) names no WIPO or HWS
/// setting at all.
pub fn is_unconfigured(profile: &Profile) -> bool {
    profile.hws.is_empty()
        && profile.wipo.is_empty()
        && REAL_ENV.iter().all(|v| non_empty_env(v).is_none())
}

fn journal_path(ctx: &Context, hws: &HwsSettings) -> CliResult<PathBuf> {
    if let Some(p) = &hws.journal {
        return Ok(p.clone());
    }
    let data = ipgate_base::dirs::data_dir().map_err(|e| {
        CliError::config(e.to_string())
            .with_hint("set IPGATE_DATA_DIR, or `journal` in the profile's [profiles.NAME.hws]")
    })?;
    Ok(if ctx.profile_name == "default" {
        data.join("journal.sqlite")
    } else {
        data.join(format!("journal-{}.sqlite", ctx.profile_name))
    })
}

/// Maps a journal failure to the CLI's exit codes, with the journal's hint.
pub fn journal_error(e: JournalError) -> CliError {
    let code = match &e {
        JournalError::AlreadySubmitted(_) => ExitCode::AlreadySubmitted,
        JournalError::CreateDir { .. } | JournalError::Open { .. } => ExitCode::Io,
        JournalError::Busy { .. } => ExitCode::Io,
        _ => ExitCode::Io,
    };
    let hint = e.hint();
    let mut err = CliError::new(code, e.to_string());
    if let Some(h) = hint {
        err = err.with_hint(h);
    }
    err
}

/// Seconds since the Unix epoch.
pub fn unix_secs(t: SystemTime) -> u64 {
    ipgate_base::clock::unix_secs(t)
}

impl HwsEnv {
    /// The profile's HWS, or the embedded sandbox when nothing is configured: client and journal.
    pub async fn open(ctx: &Context, flags: &HwsFlags) -> CliResult<HwsEnv> {
        let profile = flags.apply(ctx.profile()?);
        if is_unconfigured(&profile) {
            let sandbox = Embedded::start(embedded::DEFAULT_SPEED)?;
            eprintln!("{}", sandbox.banner());
            let env = Self::on_sandbox(sandbox, ctx.output)?;
            return Ok(env);
        }
        let hws = &profile.hws;
        // Flags and the environment are already over the file ([`HwsFlags::apply`]).
        let base_url = hws.base_url.clone().ok_or_else(|| {
                CliError::config(format!(
                    "profile `{}` has WIPO settings but no HWS base URL",
                    ctx.profile_name
                ))
            .with_hint(
                "set `base_url` in [profiles.NAME.hws] or IPGATE_HWS_BASE_URL to the HWS base URL WIPO gave you (see docs/operator-guide.md); a configured profile never falls back to the sandbox",
            )
        })?;
        let ca_file = hws.ca_file.clone();
        let tokens =
            crate::cmd::auth::profile_token_source(profile.wipo.clone(), ca_file.as_deref())?;
        let config = hws_config(&base_url, hws, ca_file);
        let client = HwsClient::new(config, tokens).map_err(hws_error)?;
        let journal = Journal::open(&journal_path(ctx, hws)?).map_err(journal_error)?;
        Ok(HwsEnv {
            output: ctx.output,
            sandbox: None,
            sandbox_journal_only: false,
            client: Some(client),
            base_url,
            journal,
            wait_timeout: hws
                .wait_timeout_secs
                .map_or(DEFAULT_WAIT, Duration::from_secs),
            concurrency: hws
                .download_concurrency
                .unwrap_or(DEFAULT_CONCURRENCY)
                .clamp(1, 8),
        })
    }

    /// An environment on a started embedded sandbox (first use: keys made, client registered).
    pub fn on_sandbox(sandbox: Embedded, output: OutputFormat) -> CliResult<HwsEnv> {
        sandbox.ensure_client()?;
        let tokens = sandbox.token_source()?;
        let base_url = sandbox.sandbox.urls().hws.clone();
        let config = hws_config(&base_url, &HwsSettings::default(), None);
        let client = HwsClient::new(config, tokens).map_err(hws_error)?;
        let journal = Journal::open(&embedded::journal_path()?).map_err(journal_error)?;
        Ok(HwsEnv {
            output,
            sandbox: Some(sandbox),
            sandbox_journal_only: false,
            client: Some(client),
            base_url,
            journal,
            wait_timeout: DEFAULT_WAIT,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }

    /// The journal only (for `history`): no server is started or asked.
    pub fn open_journal_only(ctx: &Context, flags: &HwsFlags) -> CliResult<HwsEnv> {
        let profile = flags.apply(ctx.profile()?);
        let unconfigured = is_unconfigured(&profile);
        let path = if unconfigured {
            eprintln!(
                "{}: no HWS profile is configured, so this is the embedded sandbox's journal; nothing was sent to WIPO.",
                embedded::BANNER
            );
            embedded::journal_path()?
        } else {
            journal_path(ctx, &profile.hws)?
        };
        let journal = Journal::open(&path).map_err(journal_error)?;
        Ok(HwsEnv {
            output: ctx.output,
            sandbox: None,
            sandbox_journal_only: unconfigured,
            client: None,
            base_url: profile.hws.base_url.unwrap_or_default(),
            journal,
            wait_timeout: DEFAULT_WAIT,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }

    /// Whether this is the sandbox (embedded), not WIPO.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some() || self.sandbox_journal_only
    }

    /// The embedded sandbox, when this is one.
    pub fn sandbox(&self) -> Option<&Embedded> {
        self.sandbox.as_ref()
    }

    /// The HWS client.
    pub fn client(&self) -> CliResult<&HwsClient> {
        self.client
            .as_ref()
            .ok_or_else(|| CliError::internal("this command was opened without an HWS client"))
    }

    /// The HWS base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The output format.
    pub fn output(&self) -> OutputFormat {
        self.output
    }

    /// Prints `value` as JSON (with `"sandbox"`) or runs `human`.
    pub fn emit<T: Serialize>(&self, value: &T, human: impl FnOnce()) -> CliResult {
        self.emit_streamed(value, &[], human)
    }

    /// [`emit`](Self::emit) for a result some of whose lists were streamed record by record
    /// ([`crate::output::Records`]): with `--output ndjson` those fields are left out of the
    /// summary line.
    pub fn emit_streamed<T: Serialize>(
        &self,
        value: &T,
        streamed: &[&str],
        human: impl FnOnce(),
    ) -> CliResult {
        match self.output {
            OutputFormat::Json => {
                #[derive(Serialize)]
                struct Envelope<'a, T> {
                    sandbox: bool,
                    #[serde(flatten)]
                    body: &'a T,
                }
                print_document(
                    &Envelope {
                        sandbox: self.is_sandbox(),
                        body: value,
                    },
                    streamed,
                )
            }
            OutputFormat::Human => {
                human();
                Ok(())
            }
        }
    }

    /// Maps an HWS failure to the CLI's exit codes, saying SANDBOX when it is one.
    pub fn hws_error(&self, e: HwsError) -> CliError {
        let mut err = hws_error(e);
        if self.is_sandbox() {
            err.message = format!("{} (embedded sandbox)", err.message);
        }
        err
    }

    /// Records an import status answer in the journal, when the import is one of ours. A failure
    /// to record is a warning: the answer itself was obtained.
    pub fn record_import(&self, s: &ImportStatus) {
        self.record(
            self.journal.submission_by_import_id(s.import_id.as_str()),
            &hws_client::import_update(s),
        );
    }

    /// Records a service request status answer in the journal, when the request is one of ours.
    pub fn record_request(&self, s: &ServiceRequestStatus) {
        self.record(
            self.journal.submission_by_srn(s.srn.as_str()),
            &hws_client::request_update(s),
        );
    }

    fn record(
        &self,
        found: Result<Option<hague_journal::Submission>, JournalError>,
        update: &ServerUpdate,
    ) {
        match found {
            Ok(Some(sub)) if sub.state == hague_journal::SubmissionState::Sent => {
                if let Err(e) = self.journal.record_server_status(sub.id, update) {
                    tracing::warn!("cannot record the status in the journal: {e}");
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot read the journal: {e}"),
        }
    }
}

fn hws_config(base_url: &str, hws: &HwsSettings, ca_file: Option<PathBuf>) -> HwsConfig {
    let mut config = HwsConfig::new(base_url);
    let p = &hws.paths;
    let paths = &mut config.paths;
    for (slot, value) in [
        (&mut paths.submit, &p.submit),
        (&mut paths.import_status, &p.import_status),
        (&mut paths.request_status, &p.request_status),
        (&mut paths.bulletin, &p.bulletin),
        (&mut paths.confidential_copy, &p.confidential_copy),
        (&mut paths.ping, &p.ping),
    ] {
        if let Some(v) = value {
            *slot = v.clone();
        }
    }
    if let Some(s) = hws.connect_timeout_secs {
        config.connect_timeout = Duration::from_secs(s);
    }
    if let Some(s) = hws.read_timeout_secs {
        config.read_timeout = Duration::from_secs(s);
    }
    config.ca_file = ca_file;
    config.user_agent = concat!("ipgate/", env!("CARGO_PKG_VERSION")).to_string();
    config
}

/// Maps an HWS failure to the CLI's exit codes and hints.
pub fn hws_error(e: HwsError) -> CliError {
    let code = match &e {
        HwsError::Config(_) => ExitCode::Config,
        HwsError::Token(t) => match t.kind() {
            wipo_oidc::ErrorKind::Config => ExitCode::Config,
            wipo_oidc::ErrorKind::Auth => ExitCode::Auth,
            wipo_oidc::ErrorKind::Network => ExitCode::Network,
            wipo_oidc::ErrorKind::Remote => ExitCode::Remote,
        },
        HwsError::Unauthorized { .. } | HwsError::Forbidden { .. } => ExitCode::Auth,
        HwsError::NotFound { .. } => ExitCode::NotFound,
        HwsError::Rejected { .. } => ExitCode::Rejected,
        HwsError::RateLimited { .. } => ExitCode::RateLimited,
        HwsError::Server { .. } => ExitCode::Server,
        HwsError::Network { .. } | HwsError::Download { .. } => ExitCode::Network,
        HwsError::FutureWeek { .. } => ExitCode::Usage,
        HwsError::ReadPackage { .. } => ExitCode::Io,
        HwsError::WaitTimeout { .. } => ExitCode::StillPending,
        _ => ExitCode::Remote,
    };
    let hint = e.hint();
    let mut err = CliError::new(code, e.to_string());
    if let Some(h) = hint {
        err = err.with_hint(h);
    }
    err
}
