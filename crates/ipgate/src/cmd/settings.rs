//! `ipgate config init` and `ipgate config show`: write a commented settings template, and show the
//! settings a command would use and where each came from (the aws CLI's `configure` and
//! `configure list`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::Context;
use crate::cmd::auth::WipoFlags;
use crate::cmd::hague::HwsFlags;
use crate::cmd::innography::InnographyFlags;
use crate::config::{self, Profile, non_empty_env};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::outln;
use crate::output::{OutputFormat, print_json};

/// Arguments of `ipgate config`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ConfigCommand {
    /// Write a commented settings template (WIPO login, HWS, Innography) for the profile named by
    /// --profile, readable by you only (0600). Never replaces an existing file without --force.
    Init {
        /// Replace an existing config file.
        #[arg(long)]
        force: bool,
    },
    /// Show the settings of the profile as commands resolve them, and where each value came from
    /// (file, environment, default); secrets are never shown.
    Show,
}

/// Runs `ipgate config`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        ConfigCommand::Init { force } => init(ctx, force),
        ConfigCommand::Show => show(ctx),
    }
}

/// The template for profile `name`: every table present (so `--profile NAME` finds the profile),
/// every setting commented out with what it means and its environment variable. A profile left
/// like this is still the embedded sandbox; uncommenting a WIPO or HWS setting makes it real.
fn template(name: &str) -> String {
    format!(
        r#"# ipgate settings (docs/cli.md "Settings"). Environment variables override this file and
# flags override both. Secrets never go here: the key and the Innography secret live in their
# own files, readable by you only (chmod 600). Relative paths are relative to this file.
#
# A profile with no WIPO and no HWS setting is the embedded sandbox (`ipgate demo`); set the
# values WIPO gave you to use the real services. Check with `ipgate doctor`/`ipgate config show`.

# WIPO's login (OAuth2 client credentials with private_key_jwt), used by HWS.
[profiles.{name}.wipo]
# issuer = "https://logindev.wipo.int/am/oauth2"         # IPGATE_ISSUER
# token_endpoint = "https://.../access_token"             # IPGATE_TOKEN_ENDPOINT (skips discovery)
# client_id = "CLIENT-ID-FROM-WIPO"                       # IPGATE_CLIENT_ID
# key_file = "hague4offices_private.pem"                  # IPGATE_KEY_FILE (`ipgate keys generate`)
# scope = "das-api/das-access"                            # IPGATE_SCOPE
# kid = "KEY-ID"                                          # IPGATE_KEY_ID, when WIPO asks for one
# audience = "token-endpoint"                             # IPGATE_AUDIENCE: token-endpoint, issuer or a URL
# assertion_lifetime_secs = 60                            # IPGATE_ASSERTION_LIFETIME (1 to 300)

# WIPO Hague Web Services.
[profiles.{name}.hws]
# base_url = "https://HWS-HOST/webservices/api/v1"        # IPGATE_HWS_BASE_URL
# ca_file = "extra-ca.pem"                                # IPGATE_HWS_CA_FILE: an extra CA, never "no verification"
# connect_timeout_secs = 15
# read_timeout_secs = 60
# wait_timeout_secs = 3600                                # longest `hague submit --wait`
# journal = "journal.sqlite"                              # default: the data directory
# download_concurrency = 4                                # weeks `hague bulletin sync` fetches at once

# The Innography API (HMAC-signed requests).
[profiles.{name}.innography]
# base_url = "https://api.innography.com"                 # INNOGRAPHY_BASE_URL
# username = "USERNAME"                                   # INNOGRAPHY_USERNAME
# secret_file = "innography.secret"                       # INNOGRAPHY_SECRET_FILE (or the secret in INNOGRAPHY_SECRET)
# algorithm = "hmac-sha1"                                 # or "hmac-sha256"
# api_versions = {{ cases = "0.6" }}                       # pin every API you use
# rate_limits = {{ cases = 1.0 }}                          # requests per second, shared by all processes
"#
    )
}

fn init(ctx: &Context, force: bool) -> CliResult {
    let path = config::config_path(ctx.config_path.as_deref()).ok_or_else(|| {
        CliError::config("no place for the config file: no home or config directory is known")
            .with_hint("pass --config PATH or set IPGATE_CONFIG, HOME or XDG_CONFIG_HOME")
    })?;
    let exists_error = || {
        CliError::config(format!("{} exists already; left as it is", path.display())).with_hint(
            "edit it, pass --force to replace it with the template, or --config PATH to write another file",
        )
    };
    if !force && path.exists() {
        return Err(exists_error());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        ipgate_base::fs::create_private_dir_all(dir)
            .map_err(|e| CliError::new(ExitCode::Io, e.to_string()))?;
    }
    let text = template(&ctx.profile_name);
    let write = || -> Result<(), ipgate_base::fs::AtomicWriteError> {
        use ipgate_base::fs::{AtomicFile, FileMode};
        let mut file = AtomicFile::create(&path, FileMode::Private)?;
        file.write_all(text.as_bytes())
            .map_err(|e| file.write_error(e))?;
        if force {
            file.commit()
        } else {
            file.commit_new()
        }
    };
    match write() {
        Ok(()) => {}
        Err(ipgate_base::fs::AtomicWriteError::AlreadyExists { .. }) => return Err(exists_error()),
        Err(e) => {
            return Err(CliError::new(ExitCode::Io, e.to_string())
                .with_hint("pass --config PATH to write the file somewhere you may write"));
        }
    }
    match ctx.output {
        OutputFormat::Human => {
            outln!(
                "wrote {} (profile `{}`, mode 0600); fill in the values WIPO and Innography gave you, then run `ipgate doctor`",
                path.display(),
                ctx.profile_name
            );
        }
        _ => print_json(&serde_json::json!({
            "path": path,
            "profile": ctx.profile_name,
            "mode": "0600",
        }))?,
    }
    Ok(())
}

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Source {
    /// The config file's profile.
    File,
    /// An environment variable (named next to it).
    Environment,
    /// A flag on the command line.
    Flag,
    /// ipgate's default.
    Default,
    /// Not set anywhere, no default.
    Unset,
}

/// One resolved setting.
#[derive(Debug, Serialize)]
struct Setting {
    /// `section.key` as in the config file.
    key: String,
    /// The value; `(set, not shown)` for a secret; absent when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    source: Source,
    /// The environment variable that sets it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    env: Option<&'static str>,
}

/// Builds one row: the environment beats the file, the file beats the default.
fn row(
    key: &str,
    env: Option<&'static str>,
    from_env: Option<String>,
    from_file: Option<String>,
    default: Option<String>,
) -> Setting {
    let (value, source) = match (from_env, from_file, default) {
        (Some(v), _, _) => (Some(v), Source::Environment),
        (None, Some(v), _) => (Some(v), Source::File),
        (None, None, Some(v)) => (Some(v), Source::Default),
        (None, None, None) => (None, Source::Unset),
    };
    Setting {
        key: key.to_string(),
        value,
        source,
        env,
    }
}

fn path_str(p: Option<PathBuf>) -> Option<String> {
    p.map(|p| p.display().to_string())
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.is_empty())
}

/// Every setting of `profile` with its source.
fn resolve(profile: &Profile, journal_default: Option<String>) -> CliResult<Vec<Setting>> {
    let w = WipoFlags::from_env()?;
    let h = HwsFlags::from_env()?;
    let i = InnographyFlags::from_env()?;
    let fw = &profile.wipo;
    let fh = &profile.hws;
    let fi = &profile.innography;
    let secret = |name: &str| non_empty_env(name).map(|_| "(set, not shown)".to_string());
    let mut rows = vec![
        row(
            "wipo.issuer",
            Some("IPGATE_ISSUER"),
            non_empty(w.issuer),
            fw.issuer.clone(),
            None,
        ),
        row(
            "wipo.token_endpoint",
            Some("IPGATE_TOKEN_ENDPOINT"),
            non_empty(w.token_endpoint),
            fw.token_endpoint.clone(),
            Some("(from the issuer's discovery document)".into()),
        ),
        row(
            "wipo.client_id",
            Some("IPGATE_CLIENT_ID"),
            non_empty(w.client_id),
            fw.client_id.clone(),
            None,
        ),
        row(
            "wipo.key_file",
            Some("IPGATE_KEY_FILE"),
            path_str(w.key_file.filter(|p| !p.as_os_str().is_empty())),
            path_str(fw.key_file.clone()),
            None,
        ),
        row(
            "wipo.key_passphrase",
            Some("IPGATE_KEY_PASSPHRASE"),
            secret("IPGATE_KEY_PASSPHRASE"),
            None,
            None,
        ),
        row(
            "wipo.scope",
            Some("IPGATE_SCOPE"),
            non_empty(w.scope),
            fw.scope.clone(),
            None,
        ),
        row(
            "wipo.kid",
            Some("IPGATE_KEY_ID"),
            non_empty(w.kid),
            fw.kid.clone(),
            None,
        ),
        row(
            "wipo.audience",
            Some("IPGATE_AUDIENCE"),
            non_empty(w.audience),
            fw.audience.clone(),
            Some("token-endpoint".into()),
        ),
        row(
            "wipo.assertion_lifetime_secs",
            Some("IPGATE_ASSERTION_LIFETIME"),
            non_empty(w.assertion_lifetime),
            fw.assertion_lifetime_secs.map(|s| s.to_string()),
            Some(wipo_oidc::assertion::DEFAULT_LIFETIME_SECS.to_string()),
        ),
        row(
            "hws.base_url",
            Some("IPGATE_HWS_BASE_URL"),
            non_empty(h.base_url),
            fh.base_url.clone(),
            None,
        ),
        row(
            "hws.ca_file",
            Some("IPGATE_HWS_CA_FILE"),
            path_str(h.ca_file.filter(|p| !p.as_os_str().is_empty())),
            path_str(fh.ca_file.clone()),
            None,
        ),
        row(
            "hws.connect_timeout_secs",
            None,
            None,
            fh.connect_timeout_secs.map(|s| s.to_string()),
            Some("15".into()),
        ),
        row(
            "hws.read_timeout_secs",
            None,
            None,
            fh.read_timeout_secs.map(|s| s.to_string()),
            Some("60".into()),
        ),
        row(
            "hws.wait_timeout_secs",
            None,
            None,
            fh.wait_timeout_secs.map(|s| s.to_string()),
            Some("3600".into()),
        ),
        row(
            "hws.journal",
            None,
            None,
            path_str(fh.journal.clone()),
            journal_default,
        ),
        row(
            "hws.download_concurrency",
            None,
            None,
            fh.download_concurrency.map(|s| s.to_string()),
            Some(crate::cmd::hague::DEFAULT_CONCURRENCY.to_string()),
        ),
        row(
            "innography.base_url",
            Some("INNOGRAPHY_BASE_URL"),
            non_empty(i.base_url),
            fi.base_url.clone(),
            Some(crate::cmd::innography::DEFAULT_BASE_URL.into()),
        ),
        row(
            "innography.username",
            Some("INNOGRAPHY_USERNAME"),
            non_empty(i.username),
            fi.username.clone(),
            None,
        ),
        row(
            "innography.secret_file",
            Some("INNOGRAPHY_SECRET_FILE"),
            path_str(i.secret_file.filter(|p| !p.as_os_str().is_empty())),
            path_str(fi.secret_file.clone()),
            None,
        ),
        row(
            "innography.secret",
            Some("INNOGRAPHY_SECRET"),
            secret("INNOGRAPHY_SECRET"),
            None,
            None,
        ),
        row(
            "innography.algorithm",
            None,
            None,
            fi.algorithm.clone(),
            Some("hmac-sha1".into()),
        ),
    ];
    for (api, version) in &fi.api_versions {
        rows.push(row(
            &format!("innography.api_versions.{api}"),
            None,
            None,
            Some(version.clone()),
            None,
        ));
    }
    for (api, rate) in &fi.rate_limits {
        rows.push(row(
            &format!("innography.rate_limits.{api}"),
            None,
            None,
            Some(rate.to_string()),
            None,
        ));
    }
    Ok(rows)
}

/// The config file and the profile: from a flag, the environment or the default.
fn where_from(ctx: &Context, path: Option<&Path>) -> Vec<Setting> {
    // clap read --config over IPGATE_CONFIG and --profile over IPGATE_PROFILE, and said which.
    let source = |given: crate::Given| match given {
        crate::Given::Flag => Source::Flag,
        crate::Given::Environment => Source::Environment,
        crate::Given::Default => Source::Default,
    };
    let file_source = source(ctx.sources.config);
    let profile_source = source(ctx.sources.profile);
    vec![
        Setting {
            key: "config_file".into(),
            value: path.map(|p| p.display().to_string()),
            source: if path.is_some() {
                file_source
            } else {
                Source::Unset
            },
            env: Some("IPGATE_CONFIG"),
        },
        Setting {
            key: "profile".into(),
            value: Some(ctx.profile_name.clone()),
            source: profile_source,
            env: Some("IPGATE_PROFILE"),
        },
    ]
}

/// The default journal path of this profile (as `ipgate hague` picks it).
fn journal_default(profile_name: &str) -> Option<String> {
    let data = ipgate_base::dirs::data_dir().ok()?;
    let file = if profile_name == "default" {
        "journal.sqlite".to_string()
    } else {
        format!("journal-{profile_name}.sqlite")
    };
    Some(data.join(file).display().to_string())
}

fn show(ctx: &Context) -> CliResult {
    let path = config::config_path(ctx.config_path.as_deref());
    let exists = path.as_deref().is_some_and(Path::exists);
    let profile = ctx.profile()?;
    let sandbox = crate::cmd::hague::is_unconfigured(&HwsFlags::from_env()?.apply(profile.clone()));
    let mut settings = where_from(ctx, path.as_deref());
    settings.extend(resolve(&profile, journal_default(&ctx.profile_name))?);
    #[derive(Serialize)]
    struct Out<'a> {
        config_file: Option<&'a Path>,
        config_file_exists: bool,
        profile: &'a str,
        /// True when `ipgate hague` would use the embedded sandbox (nothing WIPO or HWS set).
        sandbox: bool,
        settings: &'a [Setting],
    }
    if ctx.output != OutputFormat::Human {
        return print_json(&Out {
            config_file: path.as_deref(),
            config_file_exists: exists,
            profile: &ctx.profile_name,
            sandbox,
            settings: &settings,
        });
    }
    match &path {
        Some(p) if exists => outln!("config file: {}", p.display()),
        Some(p) => outln!(
            "config file: {} (not there: `ipgate config init` writes one)",
            p.display()
        ),
        None => outln!("config file: none (no home or config directory)"),
    }
    outln!("profile: {}", ctx.profile_name);
    if sandbox {
        outln!("mode: SANDBOX (no WIPO or HWS setting: `ipgate hague` uses the embedded sandbox)");
    } else {
        outln!("mode: real (WIPO/HWS settings present: never the sandbox)");
    }
    let width = settings.iter().map(|s| s.key.len()).max().unwrap_or(0);
    for s in &settings {
        let source = match (s.source, s.env) {
            (Source::Environment, Some(env)) => format!("environment {env}"),
            (Source::File, _) => "file".to_string(),
            (Source::Default, _) => "default".to_string(),
            (Source::Flag, _) => "flag".to_string(),
            (Source::Unset, Some(env)) => format!("unset; file or {env}"),
            (Source::Unset, None) | (Source::Environment, None) => "unset".to_string(),
        };
        let value = s.value.as_deref().unwrap_or("-");
        outln!("{:width$}  {value}  ({source})", s.key);
    }
    Ok(())
}
