//! `ipgate auth`: log in to WIPO with OAuth2 client credentials and `private_key_jwt`
//! (the work is done by `wipo_oidc`).
//!
//! Settings, lowest to highest precedence: the profile's `[profiles.NAME.wipo]` section, the
//! environment (`IPGATE_ISSUER`, `IPGATE_TOKEN_ENDPOINT`, `IPGATE_CLIENT_ID`, `IPGATE_KEY_FILE`,
//! `IPGATE_SCOPE`, `IPGATE_KEY_ID`, `IPGATE_AUDIENCE`, `IPGATE_ASSERTION_LIFETIME`), then flags.
//! The key passphrase comes only from `IPGATE_KEY_PASSPHRASE`; no secret is ever a flag value.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use wipo_oidc::{
    Audience, ClientError, Clock as _, Endpoint, ErrorKind, LoadOptions, SigningKey, SystemClock,
    TokenCache, TokenSource, TokenSourceConfig,
};
use zeroize::Zeroizing;

use crate::Context;
use crate::cmd::keys::{http_date, key_error};
use crate::config::{WipoSettings, non_empty_env};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// Arguments of `ipgate auth`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuthCommand {
    /// Print a fresh signed client assertion (a JWT valid for about a minute), for debugging.
    Assertion {
        #[command(flatten)]
        wipo: WipoFlags,
        /// Also show the decoded header and claims.
        #[arg(long)]
        decode: bool,
    },
    /// Get an access token and show its type, scope and expiry (the token itself only with
    /// --show-token). Tokens are cached in a 0600 file in the cache directory until shortly
    /// before they expire.
    Token {
        #[command(flatten)]
        wipo: WipoFlags,
        /// Print the access token itself.
        #[arg(long)]
        show_token: bool,
        /// Ignore any cached token and request a new one (the new one is cached).
        #[arg(long)]
        refresh: bool,
        /// Neither read nor write the token cache.
        #[arg(long)]
        no_cache: bool,
    },
    /// Fetch the issuer's OpenID discovery document and show the token endpoint.
    Discover {
        #[command(flatten)]
        wipo: WipoFlags,
    },
}

/// Settings that override the profile; each also comes from its environment variable (clap's
/// `env`, the one place the variable is named). None is a secret.
#[derive(Debug, Default, Clone, clap::Args)]
pub(crate) struct WipoFlags {
    /// OpenID issuer, e.g. https://logindev.wipo.int/am/oauth2
    #[arg(long, value_name = "URL", env = "IPGATE_ISSUER")]
    pub(crate) issuer: Option<String>,
    /// Token endpoint; skips discovery
    #[arg(long, value_name = "URL", env = "IPGATE_TOKEN_ENDPOINT")]
    pub(crate) token_endpoint: Option<String>,
    /// Client id assigned by WIPO
    #[arg(long, value_name = "ID", env = "IPGATE_CLIENT_ID")]
    pub(crate) client_id: Option<String>,
    /// Private key file (SEC1 or PKCS#8 PEM; passphrase in IPGATE_KEY_PASSPHRASE)
    #[arg(long, value_name = "PATH", env = "IPGATE_KEY_FILE")]
    pub(crate) key_file: Option<PathBuf>,
    /// Space-separated scopes
    #[arg(long, value_name = "SCOPE", env = "IPGATE_SCOPE")]
    pub(crate) scope: Option<String>,
    /// Key id for the assertion header
    #[arg(long, value_name = "KID", env = "IPGATE_KEY_ID")]
    pub(crate) kid: Option<String>,
    /// Assertion audience: token-endpoint (default), issuer, or a literal URL
    #[arg(long, value_name = "AUD", env = "IPGATE_AUDIENCE")]
    pub(crate) audience: Option<String>,
    /// Assertion lifetime in seconds, 1 to 300 (default 60)
    #[arg(long, value_name = "SECS", env = "IPGATE_ASSERTION_LIFETIME")]
    pub(crate) assertion_lifetime: Option<String>,
    /// Accept a key file readable by group or others (not recommended).
    #[arg(long)]
    allow_insecure_key_permissions: bool,
}

/// Settings after merging profile, environment and flags.
#[derive(Debug)]
struct Settings {
    endpoint: Endpoint,
    client_id: String,
    key_file: PathBuf,
    scope: Option<String>,
    kid: Option<String>,
    audience: Audience,
    lifetime: u64,
    allow_insecure: bool,
}

impl WipoFlags {
    /// The settings from the environment alone (no command line): clap reads each variable named
    /// by `env` above, so commands without these flags (`ipgate hague`, `ipgate doctor`) see the
    /// same variables as `ipgate auth`.
    pub(crate) fn from_env() -> CliResult<Self> {
        use clap::{Args as _, FromArgMatches as _};
        let cmd = Self::augment_args(clap::Command::new("ipgate"));
        cmd.try_get_matches_from(["ipgate"])
            .and_then(|m| Self::from_arg_matches(&m))
            .map_err(|e| CliError::config(format!("cannot read the IPGATE_* login settings: {e}")))
    }
}

/// The first set value: flag or environment (clap gives them in that order), then the profile. An
/// empty value counts as unset, as an empty environment variable did before clap read them.
fn pick<T: AsRef<std::ffi::OsStr>>(flag_or_env: Option<T>, profile: Option<T>) -> Option<T> {
    flag_or_env.filter(|v| !v.as_ref().is_empty()).or(profile)
}

fn missing(what: &str, key: &str, env: &str, flag: &str) -> CliError {
    CliError::config(format!("no {what} configured")).with_hint(format!(
        "set `{key}` in the profile's [profiles.NAME.wipo] section, the environment variable {env}, or {flag}"
    ))
}

fn resolve(flags: WipoFlags, profile: WipoSettings) -> CliResult<Settings> {
    let issuer = pick(flags.issuer, profile.issuer);
    let token_endpoint = pick(flags.token_endpoint, profile.token_endpoint);
    let endpoint = match (token_endpoint, issuer) {
        (Some(token_endpoint), issuer) => Endpoint::Direct {
            token_endpoint,
            issuer,
        },
        (None, Some(issuer)) => Endpoint::Discover { issuer },
        (None, None) => {
            return Err(CliError::config("no issuer or token endpoint configured").with_hint(
                "set `issuer` (e.g. https://logindev.wipo.int/am/oauth2) in the profile's [profiles.NAME.wipo] section, IPGATE_ISSUER or --issuer; or a token endpoint with IPGATE_TOKEN_ENDPOINT / --token-endpoint",
            ));
        }
    };
    let client_id = pick(flags.client_id, profile.client_id)
        .ok_or_else(|| missing("client id", "client_id", "IPGATE_CLIENT_ID", "--client-id"))?;
    let key_file = pick(flags.key_file, profile.key_file).ok_or_else(|| {
        missing(
            "private key file",
            "key_file",
            "IPGATE_KEY_FILE",
            "--key-file",
        )
    })?;
    let scope = pick(flags.scope, profile.scope);
    let kid = pick(flags.kid, profile.kid);
    let audience = match pick(flags.audience, profile.audience) {
        None => Audience::TokenEndpoint,
        Some(a) => a.parse().map_err(|e: wipo_oidc::AssertionError| {
            CliError::config(e.to_string()).with_hint(
                "set the audience (--audience, IPGATE_AUDIENCE or `audience` in the profile) to `token-endpoint` (the default), `issuer` or a URL",
            )
        })?,
    };
    let flag_lifetime = match flags.assertion_lifetime.filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
            CliError::config(format!(
                "assertion lifetime {v:?} (--assertion-lifetime or IPGATE_ASSERTION_LIFETIME) is not a whole number of seconds"
            ))
            .with_hint(
                "set it to a number from 1 to 300 (e.g. 60), or unset it for the default of 60",
            )
        })?),
    };
    let lifetime = flag_lifetime
        .or(profile.assertion_lifetime_secs)
        .unwrap_or(wipo_oidc::assertion::DEFAULT_LIFETIME_SECS);
    if lifetime == 0 || lifetime > wipo_oidc::assertion::MAX_LIFETIME_SECS {
        return Err(CliError::config(format!(
            "assertion lifetime {lifetime} s is out of range; choose 1 to {} s",
            wipo_oidc::assertion::MAX_LIFETIME_SECS
        ))
        .with_hint(
            "FAPI servers refuse long-lived assertions: use the default (60 s) or at most 300 s (--assertion-lifetime, IPGATE_ASSERTION_LIFETIME or `assertion_lifetime_secs` in the profile)",
        ));
    }
    Ok(Settings {
        endpoint,
        client_id,
        key_file,
        scope,
        kid,
        audience,
        lifetime,
        allow_insecure: flags.allow_insecure_key_permissions
            || profile.allow_insecure_key_permissions.unwrap_or(false),
    })
}

/// Maps a `wipo_oidc` client error to the CLI's exit codes and hints.
fn client_error(err: ClientError) -> CliError {
    if let ClientError::Key(k) = err {
        return key_error(k);
    }
    let code = match err.kind() {
        ErrorKind::Config => ExitCode::Config,
        ErrorKind::Auth => ExitCode::Auth,
        ErrorKind::Network => ExitCode::Network,
        ErrorKind::Remote => ExitCode::Remote,
    };
    let hint = err.hint();
    let mut e = CliError::new(code, err.to_string());
    if let Some(h) = hint {
        e = e.with_hint(h);
    }
    e
}

/// The token source for `settings`; with `disk_cache`, tokens are shared with later runs through
/// the user's token cache (`wipo_oidc::TokenCache::user_default`), or not at all when there is no
/// cache directory (with a warning: the cache only saves token requests).
fn token_source(settings: &Settings, disk_cache: bool) -> CliResult<TokenSource> {
    token_source_trusting(settings, disk_cache, None)
}

/// [`token_source`], also trusting the CA certificates in `extra_ca` (PEM) for the login's TLS.
fn token_source_trusting(
    settings: &Settings,
    disk_cache: bool,
    extra_ca: Option<&std::path::Path>,
) -> CliResult<TokenSource> {
    let options = LoadOptions {
        passphrase: non_empty_env("IPGATE_KEY_PASSPHRASE").map(Zeroizing::new),
        allow_insecure_permissions: settings.allow_insecure,
    };
    let key = SigningKey::load(&settings.key_file, &options).map_err(key_error)?;
    let mut config = TokenSourceConfig::new(settings.endpoint.clone(), settings.client_id.clone());
    config.scope = settings.scope.clone();
    config.kid = settings.kid.clone();
    config.audience = settings.audience.clone();
    config.assertion_lifetime_secs = settings.lifetime;
    if disk_cache {
        match TokenCache::user_default() {
            Ok(cache) => config = config.with_disk_cache(cache),
            Err(e) => tracing::warn!("{e}; tokens are not cached between runs"),
        }
    }
    let user_agent = concat!("ipgate/", env!("CARGO_PKG_VERSION"));
    let http = match extra_ca {
        None => wipo_oidc::http_client(user_agent).map_err(client_error)?,
        Some(ca) => ipgate_http::ClientOptions::new(user_agent)
            .with_extra_ca_file(ca)
            .builder()
            .and_then(|b| b.build().map_err(ipgate_http::ClientBuildError::Build))
            .map_err(|e| {
                CliError::config(e.to_string()).with_hint(
                    "point ca_file in [profiles.NAME.hws] at a PEM file of CA certificates",
                )
            })?,
    };
    TokenSource::new(http, config, Arc::new(key)).map_err(client_error)
}

/// The token source of a profile's `[profiles.NAME.wipo]` settings with the environment, as
/// `ipgate auth token` makes it (tokens shared through the disk cache): what `ipgate hague` uses,
/// trusting `extra_ca` too (the HWS profile's `ca_file`, e.g. the sandbox's `--tls` CA).
pub(crate) fn profile_token_source(
    profile: WipoSettings,
    extra_ca: Option<&std::path::Path>,
) -> CliResult<TokenSource> {
    token_source_trusting(&resolve(WipoFlags::from_env()?, profile)?, true, extra_ca)
}

/// Runs `ipgate auth`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        AuthCommand::Assertion { wipo, decode } => {
            let settings = resolve(wipo, ctx.profile()?.wipo)?;
            assertion(&settings, decode, ctx.output).await
        }
        AuthCommand::Token {
            wipo,
            show_token,
            refresh,
            no_cache,
        } => {
            let settings = resolve(wipo, ctx.profile()?.wipo)?;
            token(&settings, show_token, refresh, no_cache, ctx.output).await
        }
        AuthCommand::Discover { wipo } => {
            let settings = resolve_discover(wipo, ctx.profile()?.wipo)?;
            discover(&settings, ctx.output).await
        }
    }
}

fn resolve_discover(flags: WipoFlags, profile: WipoSettings) -> CliResult<String> {
    pick(flags.issuer, profile.issuer)
        .ok_or_else(|| missing("issuer", "issuer", "IPGATE_ISSUER", "--issuer"))
}

async fn discover(issuer: &str, output: OutputFormat) -> CliResult {
    let http = wipo_oidc::http_client(concat!("ipgate/", env!("CARGO_PKG_VERSION")))
        .map_err(client_error)?;
    let meta = wipo_oidc::discover(&http, issuer)
        .await
        .map_err(client_error)?;
    #[derive(Serialize)]
    struct Out<'a> {
        issuer: &'a str,
        discovery_url: String,
        token_endpoint: &'a str,
        jwks_uri: Option<&'a str>,
        token_endpoint_auth_methods_supported: Option<&'a [String]>,
        token_endpoint_auth_signing_alg_values_supported: Option<&'a [String]>,
    }
    let out = Out {
        issuer: &meta.issuer,
        discovery_url: wipo_oidc::discovery_url(issuer),
        token_endpoint: &meta.token_endpoint,
        jwks_uri: meta.jwks_uri.as_deref(),
        token_endpoint_auth_methods_supported: meta
            .token_endpoint_auth_methods_supported
            .as_deref(),
        token_endpoint_auth_signing_alg_values_supported: meta
            .token_endpoint_auth_signing_alg_values_supported
            .as_deref(),
    };
    match output {
        OutputFormat::Json => print_json(&out),
        OutputFormat::Human => {
            crate::outln!("issuer:          {}", out.issuer);
            crate::outln!("token endpoint:  {}", out.token_endpoint);
            if let Some(j) = out.jwks_uri {
                crate::outln!("jwks uri:        {j}");
            }
            if let Some(m) = out.token_endpoint_auth_methods_supported {
                crate::outln!("auth methods:    {}", m.join(", "));
            }
            if let Some(a) = out.token_endpoint_auth_signing_alg_values_supported {
                crate::outln!("signing algs:    {}", a.join(", "));
            }
            Ok(())
        }
    }
}

async fn assertion(settings: &Settings, decode: bool, output: OutputFormat) -> CliResult {
    let ts = token_source(settings, false)?;
    let jwt = ts.assertion().await.map_err(client_error)?;
    let decoded = if decode || output == OutputFormat::Json {
        Some(
            wipo_oidc::assertion::decode_unverified(&jwt)
                .map_err(|e| CliError::internal(format!("cannot decode our own assertion: {e}")))?,
        )
    } else {
        None
    };
    match output {
        OutputFormat::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                assertion: &'a str,
                header: Option<&'a wipo_oidc::assertion::Header>,
                claims: Option<&'a wipo_oidc::assertion::Claims>,
            }
            print_json(&Out {
                assertion: &jwt,
                header: decoded.as_ref().map(|d| &d.0),
                claims: decoded.as_ref().map(|d| &d.1),
            })
        }
        OutputFormat::Human => {
            crate::outln!("{jwt}");
            if let Some((header, claims)) = decoded {
                let pretty = |v: serde_json::Result<String>| {
                    v.map_err(|e| CliError::internal(format!("cannot print JSON: {e}")))
                };
                crate::outln!("header: {}", pretty(serde_json::to_string_pretty(&header))?);
                crate::outln!("claims: {}", pretty(serde_json::to_string_pretty(&claims))?);
            }
            Ok(())
        }
    }
}

async fn token(
    settings: &Settings,
    show_token: bool,
    refresh: bool,
    no_cache: bool,
    output: OutputFormat,
) -> CliResult {
    let ts = token_source(settings, !no_cache)?;
    let token = if refresh {
        ts.renew().await
    } else {
        ts.token().await
    }
    .map_err(client_error)?;
    let from_cache = ts.token_requests() == 0;
    let now = SystemClock.now_unix();
    let source = if from_cache {
        "cache".to_string()
    } else {
        ts.token_endpoint().await.map_err(client_error)?
    };
    #[derive(Serialize)]
    struct Out<'a> {
        source: &'a str,
        token_type: &'a str,
        scope: Option<&'a str>,
        expires_at: u64,
        expires_in: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        access_token: Option<&'a str>,
    }
    let out = Out {
        source: &source,
        token_type: token.token_type(),
        scope: token.scope(),
        expires_at: token.expires_at(),
        expires_in: token.expires_at().saturating_sub(now),
        access_token: show_token.then(|| token.secret()),
    };
    match output {
        OutputFormat::Json => print_json(&out),
        OutputFormat::Human => {
            crate::outln!(
                "token:    {} (from {})",
                if from_cache { "cached" } else { "new" },
                out.source
            );
            crate::outln!("type:     {}", out.token_type);
            crate::outln!("scope:    {}", out.scope.unwrap_or("(none)"));
            crate::outln!(
                "expires:  {} (in {} min {} s)",
                http_date(out.expires_at),
                out.expires_in / 60,
                out.expires_in % 60
            );
            if let Some(t) = out.access_token {
                crate::outln!("access_token: {t}");
            } else {
                crate::outln!("(use --show-token to print the token itself)");
            }
            Ok(())
        }
    }
}
