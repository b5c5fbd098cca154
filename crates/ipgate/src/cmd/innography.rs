//! `ipgate innography`: signed requests to the Innography API and version discovery.
//!
//! Settings: `[profiles.NAME.innography]` in the config file, overridden by `INNOGRAPHY_BASE_URL`,
//! `INNOGRAPHY_USERNAME`, and the secret from `INNOGRAPHY_SECRET` or the file named by
//! `INNOGRAPHY_SECRET_FILE` / `secret_file` (refused when group- or other-readable, like ssh).
//! The secret is never a flag value and never logged.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::SystemTime;

use innography_client::{Api, Client, Config, Error, Method, Request, SignedRequest};
use innography_hmac::{Accept, Algorithm, ApiVersion, Credentials, Secret};
use ipgate_http::{RateLimit, SendError};
use serde_json::json;

use crate::Context;
use crate::config::{self, InnographySettings, non_empty_env};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// The documented production server, used when neither the profile nor `INNOGRAPHY_BASE_URL` sets one.
pub(crate) const DEFAULT_BASE_URL: &str = "https://api.innography.com";

/// Arguments of `ipgate innography`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    flags: InnographyFlags,
    #[command(subcommand)]
    command: Command,
}

/// Settings that override the profile's `[profiles.NAME.innography]`; each also comes from its
/// environment variable (clap's `env`). The secret is never a flag: `INNOGRAPHY_SECRET` or the file.
#[derive(Debug, Default, Clone, clap::Args)]
pub(crate) struct InnographyFlags {
    /// Base URL of the API server (default https://api.innography.com)
    #[arg(long, global = true, value_name = "URL", env = "INNOGRAPHY_BASE_URL")]
    pub(crate) base_url: Option<String>,
    /// HMAC username
    #[arg(long, global = true, value_name = "NAME", env = "INNOGRAPHY_USERNAME")]
    pub(crate) username: Option<String>,
    /// File holding the HMAC secret (refused when group- or other-readable)
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "INNOGRAPHY_SECRET_FILE"
    )]
    pub(crate) secret_file: Option<PathBuf>,
}

impl InnographyFlags {
    /// The settings from the environment alone (no command line), for commands without these
    /// flags (`ipgate config show`, `ipgate doctor`).
    pub(crate) fn from_env() -> CliResult<Self> {
        use clap::{Args as _, FromArgMatches as _};
        let cmd = Self::augment_args(clap::Command::new("ipgate"));
        cmd.try_get_matches_from(["ipgate"])
            .and_then(|m| Self::from_arg_matches(&m))
            .map_err(|e| CliError::config(format!("cannot read the INNOGRAPHY_* settings: {e}")))
    }

    /// `settings` with every flag or variable that is set (and not empty) put over it.
    pub(crate) fn apply(self, mut settings: InnographySettings) -> InnographySettings {
        if let Some(v) = self.base_url.filter(|v| !v.is_empty()) {
            settings.base_url = Some(v);
        }
        if let Some(v) = self.username.filter(|v| !v.is_empty()) {
            settings.username = Some(v);
        }
        if let Some(v) = self.secret_file.filter(|v| !v.as_os_str().is_empty()) {
            settings.secret_file = Some(v);
        }
        settings
    }
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Send an HMAC-signed request to any API path and print the response body.
    Request(RequestArgs),
    /// List the versions the server offers for an API (from its 300 Multiple Choices answer).
    Versions(VersionsArgs),
}

#[derive(Debug, clap::Args)]
struct RequestArgs {
    /// HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD.
    method: String,
    /// Path and query appended to the base URL, e.g. /cases/documents?ipId=US-1234567-B2.
    path: String,
    /// API (cases, data-validation, portfolioiq, private-pair, veritas, ids, etl). Default: the
    /// first segment of PATH.
    #[arg(long)]
    api: Option<String>,
    /// Version(s) to ask for, overriding the profile's pin: `0.6`, or fallbacks in order with
    /// optional q-values: `0.6,0.5,0.4;q=0.9`.
    #[arg(long = "api-version", value_name = "VERSIONS")]
    api_version: Option<String>,
    /// JSON body, sent byte for byte: `@FILE`, `@-` for stdin, or the JSON text itself.
    #[arg(long, value_name = "@FILE|JSON")]
    data: Option<String>,
    /// Print the exact request with all headers, and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Use this Date (IMF-fixdate GMT, e.g. "Thu, 12 Jan 2017 16:17:39 GMT") instead of now.
    #[arg(long, value_name = "HTTP-DATE")]
    date: Option<String>,
    /// Stream the response body into FILE (written atomically) instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct VersionsArgs {
    /// API (cases, data-validation, portfolioiq, private-pair, veritas, ids, etl).
    #[arg(long)]
    api: String,
    /// Path to probe (default `/<api>`).
    #[arg(long)]
    path: Option<String>,
}

/// Runs `ipgate innography`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    let settings = args.flags.apply(ctx.profile()?.innography);
    match args.command {
        Command::Request(a) => request(a, &settings, ctx).await,
        Command::Versions(a) => versions(a, &settings, ctx).await,
    }
}

async fn request(args: RequestArgs, settings: &InnographySettings, ctx: &Context) -> CliResult {
    let method = Method::from_bytes(args.method.to_ascii_uppercase().as_bytes()).map_err(|_| {
        CliError::new(
            ExitCode::Usage,
            format!("`{}` is not an HTTP method", args.method),
        )
        .with_hint("use GET, POST, PUT, PATCH, DELETE or HEAD")
    })?;
    let api = match &args.api {
        Some(name) => parse_api(name)?,
        None => Api::from_path(&args.path).ok_or_else(|| {
            CliError::new(
                ExitCode::Usage,
                format!("cannot tell the API from the path `{}`", args.path),
            )
            .with_hint("pass --api NAME (cases, data-validation, portfolioiq, private-pair, veritas, ids, etl)")
        })?,
    };
    let date = args.date.as_deref().map(parse_date).transpose()?;
    let mut req = Request::new(method, api, args.path.clone());
    if let Some(data) = &args.data {
        req = req.with_body(read_data(data)?);
    }
    if let Some(v) = &args.api_version {
        req = req.with_accept(parse_accept(v)?);
    }
    let base = base_url(settings);
    let client = build_client(settings, &base, !args.dry_run)?;
    let client = match date {
        Some(d) => client.with_clock(Arc::new(ipgate_base::clock::ManualClock::new(d))),
        None => client,
    };
    if args.dry_run {
        let signed = client
            .sign_request(&req, date.unwrap_or_else(SystemTime::now))
            .map_err(|e| map_error(e, &base))?;
        return print_dry_run(&signed, ctx.output);
    }
    if let Some(out) = &args.out {
        let (n, ct) = client
            .download(&req, out)
            .await
            .map_err(|e| map_error(e, &base))?;
        let version = ct.as_ref().and_then(|t| t.version).map(|v| v.to_string());
        return match ctx.output {
            OutputFormat::Json => print_json(&json!({
                "file": out, "bytes": n, "version": version,
                "patch": ct.as_ref().and_then(|t| t.patch),
            })),
            OutputFormat::Human => {
                crate::outln!("wrote {n} bytes to {}", out.display());
                Ok(())
            }
        };
    }
    let resp = client.send(&req).await.map_err(|e| map_error(e, &base))?;
    tracing::info!(
        status = resp.status,
        version = ?resp.version().map(|v| v.to_string()),
        patch = ?resp.patch(),
        attempts = resp.attempts,
        "response"
    );
    match ctx.output {
        OutputFormat::Json => {
            let body = serde_json::from_slice::<serde_json::Value>(&resp.body)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&resp.body)));
            print_json(&json!({
                "status": resp.status,
                "version": resp.version().map(|v| v.to_string()),
                "patch": resp.patch(),
                "attempts": resp.attempts,
                "clock_skew_secs": resp.clock_skew_secs,
                "body": body,
            }))
        }
        OutputFormat::Human => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&resp.body)
                .and_then(|()| {
                    if resp.body.last().is_some_and(|b| *b != b'\n') {
                        out.write_all(b"\n")
                    } else {
                        Ok(())
                    }
                })
                .map_err(|e| CliError::new(ExitCode::Io, format!("cannot write to stdout: {e}")))
        }
    }
}

/// The versions the server offers for `api`: a signed request, so it also proves the credentials
/// (what `ipgate doctor` checks).
pub(crate) async fn offered_versions(
    settings: &InnographySettings,
    api: &str,
) -> CliResult<Vec<String>> {
    let api = parse_api(api)?;
    let base = base_url(settings);
    let client = build_client(settings, &base, true)?;
    let offered = client
        .versions(api, None)
        .await
        .map_err(|e| map_error(e, &base))?;
    Ok(offered.iter().map(ToString::to_string).collect())
}

async fn versions(args: VersionsArgs, settings: &InnographySettings, ctx: &Context) -> CliResult {
    let api = parse_api(&args.api)?;
    let base = base_url(settings);
    let client = build_client(settings, &base, true)?;
    let offered = client
        .versions(api, args.path.as_deref())
        .await
        .map_err(|e| map_error(e, &base))?;
    let list: Vec<String> = offered.iter().map(ToString::to_string).collect();
    match ctx.output {
        OutputFormat::Json => print_json(&json!({"api": api.slug(), "versions": list})),
        OutputFormat::Human => {
            if list.is_empty() {
                crate::outln!("{}: the server listed no versions", api.slug());
            } else {
                crate::outln!("{}: {}", api.slug(), list.join(", "));
            }
            Ok(())
        }
    }
}

fn print_dry_run(signed: &SignedRequest, output: OutputFormat) -> CliResult {
    match output {
        OutputFormat::Json => {
            let headers: Vec<_> = signed
                .headers
                .iter()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect();
            print_json(&json!({
                "method": signed.method.as_str(),
                "url": signed.url.as_str(),
                "headers": headers,
                "body": String::from_utf8_lossy(&signed.body),
            }))
        }
        OutputFormat::Human => {
            let text = signed.to_string();
            if text.ends_with('\n') {
                crate::out!("{text}");
            } else {
                crate::outln!("{text}");
            }
            Ok(())
        }
    }
}

fn parse_api(name: &str) -> CliResult<Api> {
    name.parse::<Api>()
        .map_err(|e| CliError::new(ExitCode::Usage, e.to_string()))
}

fn parse_date(text: &str) -> CliResult<SystemTime> {
    httpdate::parse_http_date(text)
        .ok()
        .filter(|t| innography_hmac::format_date(*t) == text)
        .ok_or_else(|| {
            CliError::new(
                ExitCode::Usage,
                format!("--date `{text}` is not an IMF-fixdate in GMT"),
            )
            .with_hint("write it like \"Thu, 12 Jan 2017 16:17:39 GMT\"")
        })
}

/// `0.6` or `0.6,0.5,0.4;q=0.9` (the short form `innography_hmac::Accept` parses).
fn parse_accept(text: &str) -> CliResult<Accept> {
    text.parse()
        .map_err(|e: innography_hmac::NegotiationError| {
            CliError::new(ExitCode::Usage, format!("--api-version `{text}`: {e}"))
                .with_hint("write a version like 0.6, or fallbacks like 0.6,0.5,0.4;q=0.9")
        })
}

fn read_data(spec: &str) -> CliResult<Vec<u8>> {
    let bytes = if spec == "@-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| {
            CliError::new(
                ExitCode::Io,
                format!("cannot read the body from stdin: {e}"),
            )
        })?;
        buf
    } else if let Some(path) = spec.strip_prefix('@') {
        std::fs::read(path).map_err(|e| CliError::io("read the body file", Path::new(path), &e))?
    } else {
        spec.as_bytes().to_vec()
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
        return Err(
            CliError::new(ExitCode::Usage, format!("--data is not JSON: {e}")).with_hint(
                "pass a JSON document, e.g. --data @body.json or --data '{\"data\":\"sample\"}'",
            ),
        );
    }
    Ok(bytes)
}

/// Reads the secret: `INNOGRAPHY_SECRET`, else the file from `INNOGRAPHY_SECRET_FILE` or the profile.
fn load_secret(settings: &InnographySettings) -> CliResult<Secret> {
    if let Some(s) = non_empty_env("INNOGRAPHY_SECRET") {
        return Ok(Secret::new(s.trim_end_matches(['\r', '\n'])));
    }
    let path = settings
        .secret_file
        .clone()
        .ok_or_else(|| {
            CliError::config("no Innography secret: INNOGRAPHY_SECRET, INNOGRAPHY_SECRET_FILE and the profile's secret_file are all unset")
                .with_hint("put the secret in a file readable only by you (chmod 600) and set secret_file in the profile or INNOGRAPHY_SECRET_FILE")
        })?;
    let unreadable = |e: std::io::Error| {
        CliError::io("read the secret file", &path, &e).with_hint(format!(
            "make {} a file you can read (chmod 600), or point INNOGRAPHY_SECRET_FILE / the profile's secret_file at the right file",
            path.display()
        ))
    };
    // Check the permissions of the file actually opened (no window to swap it in between).
    let mut file = std::fs::File::open(&path).map_err(unreadable)?;
    check_permissions(&path, &file.metadata().map_err(unreadable)?)?;
    let mut text = Vec::new();
    file.read_to_end(&mut text).map_err(unreadable)?;
    let trimmed = text
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(&text[..0], |end| &text[..=end]);
    if trimmed.is_empty() {
        return Err(
            CliError::config(format!("the secret file {} is empty", path.display()))
                .with_hint("write the secret delivered with your username into the file"),
        );
    }
    Ok(Secret::new(trimmed))
}

/// The one secret-file check (`ipgate_base::fs::check_secret_metadata`) as a CLI error.
fn check_permissions(path: &Path, meta: &std::fs::Metadata) -> CliResult {
    use ipgate_base::fs::SecretFileError;
    ipgate_base::fs::check_secret_metadata(path, meta).map_err(|e| {
        let hint = match &e {
            SecretFileError::Io { .. } | SecretFileError::NotAFile { .. } => {
                let source = match e {
                    SecretFileError::Io { source, .. } => source,
                    _ => std::io::Error::other("not a regular file"),
                };
                return CliError::io("read the secret file", path, &source).with_hint(format!(
                    "make {} a file you can read (chmod 600), or point INNOGRAPHY_SECRET_FILE / the profile's secret_file at the right file",
                    path.display()
                ));
            }
            SecretFileError::OwnedByOtherUser { .. } => format!(
                "copy the secret to a file of your own: install -m 600 {} ~/innography.secret",
                path.display()
            ),
            SecretFileError::GroupOrOtherAccess { .. } => format!("chmod 600 {}", path.display()),
        };
        CliError::config(format!("refusing to use the secret file: {e}")).with_hint(hint)
    })
}

/// The base URL: `--base-url` / `INNOGRAPHY_BASE_URL` / the profile's `base_url` (merged by
/// [`InnographyFlags::apply`]), else production.
fn base_url(settings: &InnographySettings) -> String {
    settings
        .base_url
        .clone()
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string())
}

fn build_client(
    settings: &InnographySettings,
    base_url: &str,
    with_rate_limit_state: bool,
) -> CliResult<Client> {
    let username = settings.username.clone().ok_or_else(|| {
        CliError::config(
            "no Innography username: INNOGRAPHY_USERNAME and the profile's username are unset",
        )
        .with_hint("set username in [profiles.NAME.innography] or INNOGRAPHY_USERNAME")
    })?;
    let credentials = Credentials::new(username, load_secret(settings)?)
        .map_err(|e| CliError::config(e.to_string()))?;
    let mut config = Config::new(base_url.to_string(), credentials);
    if let Some(a) = &settings.algorithm {
        config.algorithm = Algorithm::from_name(a).ok_or_else(|| {
            CliError::config(format!("innography algorithm `{a}` is not supported"))
                .with_hint("set algorithm = \"hmac-sha1\" (default) or \"hmac-sha256\"")
        })?;
    }
    config.versions = parse_map(&settings.api_versions, "api_versions", |v: &String| {
        ApiVersion::from_str(v).map_err(|e| e.to_string())
    })?;
    config.rate_limits = parse_map(&settings.rate_limits, "rate_limits", |r: &f64| {
        RateLimit::per_second(*r).map_err(|e| e.to_string())
    })?;
    if with_rate_limit_state {
        config.rate_limit_dir = Some(config::cache_dir()?.join("innography-ratelimit"));
    }
    config.user_agent = concat!("ipgate/", env!("CARGO_PKG_VERSION")).to_string();
    Client::new(config).map_err(|e| map_error(e, base_url))
}

fn parse_map<V, T>(
    map: &BTreeMap<String, V>,
    what: &str,
    parse: impl Fn(&V) -> Result<T, String>,
) -> CliResult<BTreeMap<Api, T>> {
    map.iter()
        .map(|(k, v)| {
            let api = k
                .parse::<Api>()
                .map_err(|e| CliError::config(format!("innography {what}: {e}")))?;
            let value =
                parse(v).map_err(|e| CliError::config(format!("innography {what}.{k}: {e}")))?;
            Ok((api, value))
        })
        .collect()
}

fn map_error(err: Error, base_url: &str) -> CliError {
    let code = match &err {
        Error::Config(_) => ExitCode::Config,
        Error::Request(_) => ExitCode::Usage,
        Error::Send(SendError::RateLimit(_)) => ExitCode::Io,
        Error::Send(_) | Error::Body(_) => ExitCode::Network,
        Error::Unauthorized { .. } => ExitCode::Auth,
        // As for HWS (docs/cli.md): 429 is 11, a server failure 12, whatever the API.
        Error::RateLimited { .. } => ExitCode::RateLimited,
        Error::Status { status, .. } if *status >= 500 => ExitCode::Server,
        Error::MultipleChoices { .. } | Error::Redirect { .. } | Error::Status { .. } => {
            ExitCode::Remote
        }
        Error::Download(
            ipgate_http::DownloadError::Io { .. } | ipgate_http::DownloadError::File(_),
        ) => ExitCode::Io,
        Error::Download(_) => ExitCode::Network,
    };
    let hint = match &err {
        Error::MultipleChoices { offered, .. } if !offered.is_empty() => Some(format!(
            "retry with --api-version {}",
            offered
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        )),
        Error::RateLimited { .. } => Some(
            "to send less often, set a lower requests-per-second for this API in [profiles.NAME.innography.rate_limits]"
                .to_string(),
        ),
        Error::Send(SendError::Transport { .. }) => Some(format!(
            "the base URL is {base_url} (base_url in the profile, or INNOGRAPHY_BASE_URL); check that the server is up and reachable from here"
        )),
        _ => None,
    };
    let e = CliError::new(code, err.to_string());
    match hint {
        Some(h) => e.with_hint(h),
        None => e,
    }
}
