//! Profiles, settings files and the user's directories.
//!
//! Settings come, from lowest to highest precedence, from the profile in the config file, from
//! environment variables and from flags. Secrets are never flag values: they come from files or
//! environment variables only.
//!
//! The config file is TOML, at `--config PATH`, `$IPGATE_CONFIG`, or
//! `$XDG_CONFIG_HOME/ipgate/config.toml` (default `~/.config/ipgate/config.toml`):
//!
//! ```toml
//! [profiles.default.wipo]
//! issuer = "https://logindev.wipo.int/am/oauth2"
//! client_id = "das-api-auth"
//! key_file = "/etc/ipgate/hague4offices_private.pem"
//! scope = "das-api/das-access"
//!
//! [profiles.default.innography]
//! base_url = "https://api.innography.com"
//! username = "obiwan"
//! secret_file = "/etc/ipgate/innography.secret"
//!
//! [profiles.default.hws]
//! base_url = "https://hws.example.wipo.int/webservices/api/v1"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::exit::{CliError, CliResult};

/// The whole config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Named profiles; `default` is used unless `--profile` or `IPGATE_PROFILE` says otherwise.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One profile: the settings for each service.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// WIPO OpenID Connect login (used by HWS).
    #[serde(default)]
    pub wipo: WipoSettings,
    /// Innography API.
    #[serde(default)]
    pub innography: InnographySettings,
    /// WIPO Hague Web Services.
    #[serde(default)]
    pub hws: HwsSettings,
}

/// `[profiles.NAME.hws]`: WIPO Hague Web Services. WIPO's HWS API guide is not public
/// (`/work/shared/spec/hws-facts.md` §1.2, §9), so the base URL and every path are settings.
///
/// A profile with no `hws` and no `wipo` setting at all (and no `IPGATE_HWS_*`/`IPGATE_ISSUER`/
/// `IPGATE_TOKEN_ENDPOINT` in the environment) is the embedded sandbox: `ipgate hague` then starts
/// `ipgate-sandbox` in-process. A profile with any of them set is real and never falls back.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HwsSettings {
    /// Base URL ending in `/webservices/api/v1` or wherever WIPO puts it (`IPGATE_HWS_BASE_URL`).
    pub base_url: Option<String>,
    /// Extra CA certificates (PEM) trusted for HWS and its login, e.g. the sandbox's `--tls` CA
    /// (`IPGATE_HWS_CA_FILE`); relative to the config file. Verification is never turned off.
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for a connection (default 15).
    pub connect_timeout_secs: Option<u64>,
    /// Seconds to wait for each read of an answer (default 60).
    pub read_timeout_secs: Option<u64>,
    /// Longest `submit --wait` waits for a final status, in seconds (default 3600).
    pub wait_timeout_secs: Option<u64>,
    /// The submission journal (SQLite); default `DATA_DIR/journal.sqlite` for the `default`
    /// profile, `DATA_DIR/journal-NAME.sqlite` for profile NAME. Relative to the config file.
    pub journal: Option<PathBuf>,
    /// Weeks `bulletin sync` downloads at the same time (default 2, at most 8).
    pub download_concurrency: Option<usize>,
    /// Path templates, relative to `base_url`; each defaults to the HWS document's path.
    #[serde(default)]
    pub paths: HwsPaths,
}

/// `[profiles.NAME.hws.paths]`: where each HWS operation lives under the base URL. Placeholders:
/// `{importId}`, `{serviceRequestId}`, `{weekId}`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HwsPaths {
    /// `POST` a package (default `/request`).
    pub submit: Option<String>,
    /// Import status (default `/request/import/{importId}`).
    pub import_status: Option<String>,
    /// Service request status (default `/request/{serviceRequestId}`).
    pub request_status: Option<String>,
    /// A week's bulletin (default `/publication/bulletin/{weekId}`).
    pub bulletin: Option<String>,
    /// A week's confidential copies (default `/publication/copy/confidential/{weekId}`).
    pub confidential_copy: Option<String>,
    /// The authenticated hello (default `/pingMe`).
    pub ping: Option<String>,
}

impl HwsSettings {
    /// Whether anything at all is set (a set profile is real and never becomes the sandbox).
    pub fn is_empty(&self) -> bool {
        let p = &self.paths;
        self.base_url.is_none()
            && self.ca_file.is_none()
            && self.connect_timeout_secs.is_none()
            && self.read_timeout_secs.is_none()
            && self.wait_timeout_secs.is_none()
            && self.journal.is_none()
            && self.download_concurrency.is_none()
            && p.submit.is_none()
            && p.import_status.is_none()
            && p.request_status.is_none()
            && p.bulletin.is_none()
            && p.confidential_copy.is_none()
            && p.ping.is_none()
    }
}

impl WipoSettings {
    /// Whether anything at all is set.
    pub fn is_empty(&self) -> bool {
        self.issuer.is_none()
            && self.token_endpoint.is_none()
            && self.client_id.is_none()
            && self.key_file.is_none()
            && self.scope.is_none()
            && self.kid.is_none()
            && self.audience.is_none()
            && self.assertion_lifetime_secs.is_none()
            && self.allow_insecure_key_permissions.is_none()
    }
}

/// `[profiles.NAME.wipo]`: WIPO OIDC client settings. Environment variables override each field.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WipoSettings {
    /// OpenID issuer, e.g. `https://logindev.wipo.int/am/oauth2` (`IPGATE_ISSUER`).
    pub issuer: Option<String>,
    /// Token endpoint; when set, discovery is skipped (`IPGATE_TOKEN_ENDPOINT`).
    pub token_endpoint: Option<String>,
    /// Client id assigned by WIPO (`IPGATE_CLIENT_ID`).
    pub client_id: Option<String>,
    /// Path of the private key, SEC1 or PKCS#8 PEM (`IPGATE_KEY_FILE`); relative to the config file.
    pub key_file: Option<PathBuf>,
    /// Space-separated scopes (`IPGATE_SCOPE`).
    pub scope: Option<String>,
    /// Key id put in the assertion header, when WIPO asks for one (`IPGATE_KEY_ID`).
    pub kid: Option<String>,
    /// Audience of the assertion: `token-endpoint` (default), `issuer`, or a literal URL (`IPGATE_AUDIENCE`).
    pub audience: Option<String>,
    /// Lifetime of the assertion in seconds (default 60, at most 300; `IPGATE_ASSERTION_LIFETIME`).
    pub assertion_lifetime_secs: Option<u64>,
    /// Accept a key file readable by group or others (not recommended; also `--allow-insecure-key-permissions`).
    pub allow_insecure_key_permissions: Option<bool>,
}

/// `[profiles.NAME.innography]`: Innography API settings.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InnographySettings {
    /// Base URL of the API server (`INNOGRAPHY_BASE_URL`).
    pub base_url: Option<String>,
    /// HMAC username (`INNOGRAPHY_USERNAME`).
    pub username: Option<String>,
    /// File holding the HMAC secret (`INNOGRAPHY_SECRET_FILE`; or the secret itself in `INNOGRAPHY_SECRET`).
    pub secret_file: Option<PathBuf>,
    /// `hmac-sha1` (default, as documented) or `hmac-sha256`.
    pub algorithm: Option<String>,
    /// Pinned version per API, e.g. `cases = "0.6"`. Keys: `cases`, `data-validation`,
    /// `portfolioiq`, `private-pair`, `veritas`, `ids`, `etl`. Unpinned APIs get the server's latest
    /// version, with a warning (pin every API you use in production).
    #[serde(default)]
    pub api_versions: BTreeMap<String, String>,
    /// Requests per second per API and username, shared by all processes on this machine (state in
    /// the cache directory), e.g. `cases = 1.0` (the documented limit and the default for Cases;
    /// other APIs are unlimited unless set here).
    #[serde(default)]
    pub rate_limits: BTreeMap<String, f64>,
}

/// Where the config file is: `explicit` (`--config`, or `IPGATE_CONFIG` read by clap), else the
/// user's config directory.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    ipgate_base::dirs::config_dir()
        .ok()
        .map(|d| d.join("config.toml"))
}

/// The user's cache directory for ipgate ([`ipgate_base::dirs::cache_dir`]: `$IPGATE_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/ipgate`, else `~/.cache/ipgate`). Token caches and rate-limit state live
/// here.
pub fn cache_dir() -> CliResult<PathBuf> {
    ipgate_base::dirs::cache_dir().map_err(|e| {
        CliError::config(e.to_string())
            .with_hint(format!("set {} to a directory ipgate may write to", e.fix))
    })
}

/// Loads the profile named `name` from the config file. A missing file at the default location or
/// named by `IPGATE_CONFIG` gives an empty profile; a missing file named with `--config`
/// (`must_exist`), a syntax error or an unknown profile is an error.
pub fn load_profile(path: Option<&Path>, must_exist: bool, name: &str) -> CliResult<Profile> {
    let explicit_path = path.filter(|_| must_exist);
    let Some(path) = config_path(path) else {
        return Ok(Profile::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit_path.is_none() => {
            if name == "default" {
                return Ok(Profile::default());
            }
            return Err(CliError::config(format!(
                "profile `{name}` requested but there is no config file at {}",
                path.display()
            ))
            .with_hint("create the file with a [profiles.NAME] section, or drop --profile"));
        }
        Err(e) => return Err(CliError::io("read config file", &path, &e)),
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        CliError::config(format!("config file {} is not valid: {e}", path.display()))
    })?;
    match file.profiles.get(name) {
        Some(p) => Ok(resolve_paths(p.clone(), path.parent())),
        None if name == "default" => Ok(Profile::default()),
        None => Err(CliError::config(format!(
            "no profile `{name}` in {}; profiles there: {}",
            path.display(),
            if file.profiles.is_empty() {
                "(none)".to_string()
            } else {
                file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        ))
        .with_hint("add a [profiles.NAME.*] section or pick one of the listed profiles")),
    }
}

/// Makes the profile's file paths absolute: `~/x` is under the home directory, and a relative path
/// is relative to the directory of the config file that names it (not to the current directory).
fn resolve_paths(mut profile: Profile, config_dir: Option<&Path>) -> Profile {
    let resolve = |p: &mut Option<PathBuf>| {
        if let Some(path) = p.take() {
            *p = Some(resolve_path(path, config_dir));
        }
    };
    resolve(&mut profile.wipo.key_file);
    resolve(&mut profile.innography.secret_file);
    resolve(&mut profile.hws.ca_file);
    resolve(&mut profile.hws.journal);
    profile
}

fn resolve_path(path: PathBuf, config_dir: Option<&Path>) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = home_dir()
    {
        return home.join(rest);
    }
    match config_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    }
}

/// The value parser of a path option read from an environment variable too: an empty variable is
/// accepted (and then counts as unset) where clap's own path parser refuses it.
pub fn path_or_empty() -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser as _;
    clap::builder::OsStringValueParser::new().map(PathBuf::from)
}

/// The value of an environment variable, ignoring unset and empty ones.
pub fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home_dir() -> Option<PathBuf> {
    ipgate_base::dirs::home_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_named_profile_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[profiles.acc.wipo]\nclient_id = \"das-api-auth\"\n[profiles.acc.innography]\nusername = \"obiwan\"\n",
        )
        .expect("write");
        let p = load_profile(Some(&path), true, "acc").expect("profile");
        assert_eq!(p.wipo.client_id.as_deref(), Some("das-api-auth"));
        assert_eq!(p.innography.username.as_deref(), Some("obiwan"));
        let err = load_profile(Some(&path), true, "prod").expect_err("unknown profile");
        assert!(err.message.contains("acc"), "{}", err.message);

        std::fs::write(
            &path,
            "[profiles.default.wipo]\nkey_file = \"keys/k.pem\"\n[profiles.default.innography]\nsecret_file = \"/etc/s\"\n",
        )
        .expect("write");
        let p = load_profile(Some(&path), true, "default").expect("profile");
        assert_eq!(p.wipo.key_file, Some(dir.path().join("keys/k.pem")));
        assert_eq!(p.innography.secret_file, Some(PathBuf::from("/etc/s")));

        std::fs::write(&path, "[profiles.default.wipo]\nclient_idd = \"x\"\n").expect("write");
        let err = load_profile(Some(&path), true, "default").expect_err("typo");
        assert_eq!(err.code, crate::exit::ExitCode::Config);
        assert!(err.message.contains("client_idd"), "{}", err.message);
    }
}
