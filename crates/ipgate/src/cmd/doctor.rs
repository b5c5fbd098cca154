//! `ipgate doctor`: checks the setup an operator depends on, each with pass/warn/fail and the fix
//! (as `brew doctor` and `flutter doctor` do). The checks call the library crates (`wipo_oidc`
//! for keys, certificates, discovery and tokens; `hws_client` for `pingMe`; `hague_package` for
//! schemas; `hague_journal` for the journal); this module only orders them and prints.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::Context;
use crate::cmd::auth::WipoFlags;
use crate::cmd::hague::{HwsEnv, HwsFlags};
use crate::config::{Profile, non_empty_env};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::outln;
use crate::output::{OutputFormat, print_json};

/// A certificate closer than this to its end is a warning.
const CERT_WARN_DAYS: u64 = 30;
/// Clock skew that is a warning: assertions carry `iat`/`exp` judged by the server's clock.
const SKEW_WARN_SECS: u64 = 30;
/// Clock skew that fails: past WIPO's longest assertion lifetime (300 s, 4 min to be safe), the
/// server refuses every assertion.
const SKEW_FAIL_SECS: u64 = 240;
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Arguments of `ipgate doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    Warn,
    Fail,
    /// Not run: an earlier check failed or the setting is not used.
    Skip,
}

/// One check's result.
#[derive(Debug, Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

#[derive(Default)]
struct Report {
    checks: Vec<Check>,
}

impl Report {
    fn add(
        &mut self,
        name: &'static str,
        status: Status,
        detail: impl Into<String>,
        fix: Option<String>,
    ) {
        self.checks.push(Check {
            name,
            status,
            detail: detail.into(),
            fix,
        });
    }
    fn pass(&mut self, name: &'static str, detail: impl Into<String>) {
        self.add(name, Status::Pass, detail, None);
    }
    fn warn(&mut self, name: &'static str, detail: impl Into<String>, fix: impl Into<String>) {
        self.add(name, Status::Warn, detail, Some(fix.into()));
    }
    fn fail(&mut self, name: &'static str, detail: impl Into<String>, fix: impl Into<String>) {
        self.add(name, Status::Fail, detail, Some(fix.into()));
    }
    fn skip(&mut self, name: &'static str, detail: impl Into<String>) {
        self.add(name, Status::Skip, detail, None);
    }
    fn error(&mut self, name: &'static str, e: CliError) {
        let fix = e.hint.unwrap_or_else(|| "see the message".into());
        self.fail(name, e.message, fix);
    }
}

/// The login and HWS settings after the environment.
struct Login {
    issuer: Option<String>,
    token_endpoint: Option<String>,
    key_file: Option<PathBuf>,
    hws_base: Option<String>,
    ca_file: Option<PathBuf>,
}

fn login(profile: &Profile) -> CliResult<Login> {
    let env = WipoFlags::from_env()?;
    let ne = |v: Option<String>| v.filter(|v| !v.is_empty());
    Ok(Login {
        issuer: ne(env.issuer).or_else(|| profile.wipo.issuer.clone()),
        token_endpoint: ne(env.token_endpoint).or_else(|| profile.wipo.token_endpoint.clone()),
        key_file: env
            .key_file
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| profile.wipo.key_file.clone()),
        // `IPGATE_HWS_*` are in the profile already (`HwsFlags::apply` in `run`).
        hws_base: profile.hws.base_url.clone(),
        ca_file: profile.hws.ca_file.clone(),
    })
}

/// Runs `ipgate doctor`.
pub async fn run(_args: Args, ctx: &Context) -> CliResult {
    let mut r = Report::default();
    let hws = HwsFlags::from_env();
    match (ctx.profile(), hws) {
        (Err(e), _) | (_, Err(e)) => r.error("config", e),
        (Ok(profile), Ok(hws)) => checks(&mut r, ctx, &hws, &hws.apply(profile)).await,
    }
    let failed = r.checks.iter().filter(|c| c.status == Status::Fail).count();
    let warned = r.checks.iter().filter(|c| c.status == Status::Warn).count();
    #[derive(Serialize)]
    struct Out<'a> {
        ok: bool,
        failed: usize,
        warned: usize,
        checks: &'a [Check],
    }
    if ctx.output == OutputFormat::Human {
        for c in &r.checks {
            let tag = match c.status {
                Status::Pass => "pass",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
                Status::Skip => "skip",
            };
            outln!("[{tag}] {}: {}", c.name, c.detail);
            if let Some(fix) = &c.fix {
                outln!("       fix: {fix}");
            }
        }
        outln!(
            "{} checks: {failed} failed, {warned} warnings",
            r.checks.len()
        );
    } else {
        print_json(&Out {
            ok: failed == 0,
            failed,
            warned,
            checks: &r.checks,
        })?;
    }
    if failed > 0 {
        return Err(CliError::new(
            ExitCode::Invalid,
            format!("{failed} doctor check(s) failed"),
        )
        .with_hint(
            "apply the fix printed under each failed check, then run `ipgate doctor` again",
        ));
    }
    Ok(())
}

async fn checks(r: &mut Report, ctx: &Context, hws: &HwsFlags, profile: &Profile) {
    let path = crate::config::config_path(ctx.config_path.as_deref());
    let sandbox = crate::cmd::hague::is_unconfigured(profile);
    let login = match login(profile) {
        Ok(l) => l,
        Err(e) => return r.error("config", e),
    };
    if sandbox {
        r.warn(
            "config",
            format!(
                "no WIPO or HWS setting in profile `{}` ({}): ipgate uses the embedded SANDBOX",
                ctx.profile_name,
                path.map_or("no config file".into(), |p| p.display().to_string())
            ),
            "`ipgate config init`, then fill in what WIPO gave you",
        );
    } else {
        let mut missing = Vec::new();
        if login.issuer.is_none() && login.token_endpoint.is_none() {
            missing.push("wipo.issuer (IPGATE_ISSUER)");
        }
        if profile.wipo.client_id.is_none() && non_empty_env("IPGATE_CLIENT_ID").is_none() {
            missing.push("wipo.client_id (IPGATE_CLIENT_ID)");
        }
        if login.key_file.is_none() {
            missing.push("wipo.key_file (IPGATE_KEY_FILE)");
        }
        if login.hws_base.is_none() {
            missing.push("hws.base_url (IPGATE_HWS_BASE_URL)");
        }
        if missing.is_empty() {
            r.pass(
                "config",
                format!(
                    "profile `{}` has the login and HWS settings",
                    ctx.profile_name
                ),
            );
        } else {
            r.fail(
                "config",
                format!(
                    "profile `{}` lacks {}",
                    ctx.profile_name,
                    missing.join(", ")
                ),
                "set them in the config file (`ipgate config show` lists every setting)",
            );
        }
        check_key(r, login.key_file.as_deref());
        for (name, url) in [("issuer", &login.issuer), ("hws", &login.hws_base)] {
            if let Some(url) = url {
                check_reachable(r, name, url).await;
            }
        }
        if let Some(issuer) = &login.issuer {
            check_issuer(r, issuer, login.ca_file.as_deref()).await;
        } else {
            r.skip("discovery", "token endpoint set: no discovery");
        }
        match crate::cmd::auth::profile_token_source(profile.wipo.clone(), login.ca_file.as_deref())
        {
            Err(e) => r.error("token", e),
            Ok(tokens) => match tokens.token().await {
                Ok(_) => r.pass("token", "WIPO's login issued an access token"),
                Err(e) => r.fail(
                    "token",
                    e.to_string(),
                    e.hint()
                        .unwrap_or_else(|| "check the login settings".into()),
                ),
            },
        }
    }
    match HwsEnv::open(ctx, hws).await {
        Err(e) => r.error("pingMe", e),
        Ok(env) => {
            match env.client() {
                Err(e) => r.error("pingMe", e),
                Ok(client) => match client.ping(Some("ipgate-doctor")).await {
                    Ok(hello) => r.pass("pingMe", format!("{}: {}", env.base_url(), hello.message)),
                    Err(e) => r.error("pingMe", env.hws_error(e)),
                },
            }
            check_journal(r, &env);
        }
    }
    if !sandbox {
        check_innography(r, profile).await;
    }
    check_schemas(r);
}

/// Innography: a signed versions call (credentials and reachability), when a username is set.
async fn check_innography(r: &mut Report, profile: &Profile) {
    let settings = match crate::cmd::innography::InnographyFlags::from_env() {
        Ok(flags) => flags.apply(profile.innography.clone()),
        Err(e) => return r.error("innography", e),
    };
    if settings.username.is_none() {
        return r.skip("innography", "no Innography username configured");
    }
    let api = settings
        .api_versions
        .keys()
        .next()
        .cloned()
        .unwrap_or_else(|| "cases".to_string());
    match crate::cmd::innography::offered_versions(&settings, &api).await {
        Ok(v) => r.pass(
            "innography",
            format!(
                "credentials accepted; {api} versions offered: {}",
                v.join(", ")
            ),
        ),
        Err(e) => r.error("innography", e),
    }
}

fn check_key(r: &mut Report, key_file: Option<&Path>) {
    let Some(key_file) = key_file else {
        return r.skip("key", "no key file configured");
    };
    let options = wipo_oidc::LoadOptions {
        passphrase: non_empty_env("IPGATE_KEY_PASSPHRASE").map(zeroize::Zeroizing::new),
        allow_insecure_permissions: false,
    };
    if let Err(e) = wipo_oidc::SigningKey::load(key_file, &options) {
        return r.error("key", crate::cmd::keys::key_error(e));
    }
    r.pass(
        "key",
        format!(
            "{}: P-256 private key, readable by you only",
            key_file.display()
        ),
    );
    let cert = key_file
        .parent()
        .unwrap_or(Path::new("."))
        .join(wipo_oidc::appendix_a::CERTIFICATE_FILE);
    if !cert.exists() {
        return r.warn(
            "certificate",
            format!("no {} next to the key", cert.display()),
            "keep the certificate registered with WIPO next to the key (`ipgate keys generate` writes both)",
        );
    }
    let now = ipgate_base::clock::unix_secs(SystemTime::now());
    match wipo_oidc::appendix_a::check_certificate(key_file, &cert, &options, now) {
        Err(e) => r.error("certificate", crate::cmd::keys::key_error(e)),
        Ok(c) if !c.matches_key => r.fail(
            "certificate",
            format!(
                "{} certifies another key than {}",
                cert.display(),
                key_file.display()
            ),
            "use the certificate made with this key, or register a new one with WIPO",
        ),
        Ok(c) if c.certificate.expired => r.fail(
            "certificate",
            format!("{} has expired", cert.display()),
            "make a new key and certificate (`ipgate keys generate`) and register it with WIPO",
        ),
        Ok(c) if c.days_left < CERT_WARN_DAYS => r.warn(
            "certificate",
            format!("{} expires in {} days", cert.display(), c.days_left),
            "make a new certificate and register it with WIPO before it expires",
        ),
        Ok(c) => r.pass(
            "certificate",
            format!(
                "{} matches the key, valid for {} more days",
                cert.display(),
                c.days_left
            ),
        ),
    }
}

/// The verdict on a clock `skew_secs` away from the server's.
fn skew_status(skew_secs: u64) -> Status {
    if skew_secs >= SKEW_FAIL_SECS {
        Status::Fail
    } else if skew_secs >= SKEW_WARN_SECS {
        Status::Warn
    } else {
        Status::Pass
    }
}

/// `host` and `port` of an http(s) URL.
fn host_port(url: &str) -> Option<(String, u16, bool)> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else {
        (false, url.strip_prefix("http://")?)
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(port) => (h, port),
            Err(_) => (authority, if tls { 443 } else { 80 }),
        },
        _ => (authority, if tls { 443 } else { 80 }),
    };
    Some((host.trim_matches(['[', ']']).to_string(), port, tls))
}

async fn check_reachable(r: &mut Report, name: &'static str, url: &str) {
    let check: &'static str = if name == "issuer" {
        "reach issuer"
    } else {
        "reach hws"
    };
    let Some((host, port, tls)) = host_port(url) else {
        return r.fail(
            check,
            format!("{url} is not an http(s) URL"),
            "set the URL WIPO gave you",
        );
    };
    let addrs: Vec<_> = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(a) => a.collect(),
        Err(e) => {
            return r.fail(
                check,
                format!("DNS: cannot resolve {host}: {e}"),
                "check the host name and this machine's DNS",
            );
        }
    };
    let Some(addr) = addrs.first() else {
        return r.fail(
            check,
            format!("DNS: {host} has no address"),
            "check the host name",
        );
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {
            if tls {
                r.pass(
                    check,
                    format!("{host}:{port} resolves and accepts connections (HTTPS)"),
                );
            } else {
                r.warn(
                    check,
                    format!("{host}:{port} accepts connections, but over plain HTTP (no TLS)"),
                    "WIPO's services are HTTPS; plain HTTP is only for the local sandbox",
                );
            }
        }
        Ok(Err(e)) => r.fail(
            check,
            format!("TCP: {addr}: {e}"),
            "check the URL, a firewall or the proxy",
        ),
        Err(_) => r.fail(
            check,
            format!("TCP: {addr}: no answer in {} s", CONNECT_TIMEOUT.as_secs()),
            "check a firewall or the proxy",
        ),
    }
}

/// Discovery (which also proves TLS) and the clock skew from the answer's `Date`.
async fn check_issuer(r: &mut Report, issuer: &str, ca_file: Option<&Path>) {
    let ua = concat!("ipgate/", env!("CARGO_PKG_VERSION"));
    let http = match ca_file {
        None => wipo_oidc::http_client(ua).map_err(|e| e.to_string()),
        Some(ca) => ipgate_http::ClientOptions::new(ua)
            .with_extra_ca_file(ca)
            .builder()
            .and_then(|b| b.build().map_err(ipgate_http::ClientBuildError::Build))
            .map_err(|e| e.to_string()),
    };
    let http = match http {
        Ok(h) => h,
        Err(e) => return r.fail("discovery", e, "check ca_file in [profiles.NAME.hws]"),
    };
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    match http.get(&url).send().await {
        Err(e) => r.fail(
            "clock",
            format!("no answer from {url}: {e}"),
            "fix reachability first",
        ),
        Ok(resp) => {
            let date = resp
                .headers()
                .get("date")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok());
            match date {
                None => r.warn(
                    "clock",
                    "the issuer sent no Date header",
                    "check this machine's clock against NTP",
                ),
                Some(server) => {
                    let now = SystemTime::now();
                    let skew = now
                        .duration_since(server)
                        .or_else(|_| server.duration_since(now))
                        .unwrap_or_default()
                        .as_secs();
                    let detail = format!("{skew} s from the issuer's clock");
                    match skew_status(skew) {
                        Status::Fail => r.fail("clock", detail, "synchronise this machine's clock (NTP): WIPO refuses assertions this far off"),
                        Status::Warn => r.warn("clock", detail, "synchronise this machine's clock (NTP)"),
                        _ => r.pass("clock", detail),
                    }
                }
            }
        }
    }
    match wipo_oidc::discover(&http, issuer).await {
        Ok(meta) => r.pass(
            "discovery",
            format!("token endpoint {}", meta.token_endpoint),
        ),
        Err(e) => r.fail(
            "discovery",
            e.to_string(),
            e.hint().unwrap_or_else(|| "check the issuer URL".into()),
        ),
    }
}

fn check_journal(r: &mut Report, env: &HwsEnv) {
    match env.journal().left_sending() {
        Err(e) => r.error("journal", crate::cmd::hague::journal_error(e)),
        Ok(rows) if rows.is_empty() => r.pass("journal", "readable; no submission left `sending`"),
        Ok(rows) => r.warn(
            "journal",
            format!("{} submission(s) left `sending` by an interrupted run", rows.len()),
            "ask WIPO whether they arrived, then `ipgate hague resolve N --received ID | --not-received NOTE` (`ipgate hague track` lists them)",
        ),
    }
}

fn check_schemas(r: &mut Report) {
    let search = hague_package::schemas::default_search_path(&[]);
    let installed: Vec<_> = search
        .dirs
        .iter()
        .flat_map(|d| hague_package::schemas::list(d))
        .filter(|l| l.verified == Some(true))
        .map(|l| l.version)
        .collect();
    let wanted: Vec<_> = hague_package::schemas::manifests()
        .into_iter()
        .map(|m| m.version)
        .collect();
    let missing: Vec<_> = wanted
        .iter()
        .filter(|v| !installed.iter().any(|i| i == *v))
        .collect();
    if missing.is_empty() {
        r.pass(
            "schemas",
            format!("WIPO's schemas installed and intact: {}", wanted.join(", ")),
        );
    } else {
        r.warn(
            "schemas",
            format!("WIPO's schemas not installed for {missing:?}: validation runs ipgate's built-in checks only"),
            "`ipgate schemas install DIR|ZIP` with WIPO's ST.96 schema package",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_warns_at_30_s_and_fails_at_4_min() {
        assert_eq!(skew_status(0), Status::Pass);
        assert_eq!(skew_status(29), Status::Pass);
        assert_eq!(skew_status(30), Status::Warn);
        assert_eq!(skew_status(239), Status::Warn);
        assert_eq!(skew_status(240), Status::Fail);
    }

    #[test]
    fn host_port_reads_what_the_reachability_check_dials() {
        assert_eq!(
            host_port("https://logindev.wipo.int/am/oauth2"),
            Some(("logindev.wipo.int".into(), 443, true))
        );
        assert_eq!(
            host_port("http://127.0.0.1:8080/x"),
            Some(("127.0.0.1".into(), 8080, false))
        );
        assert_eq!(
            host_port("http://[::1]:9/x"),
            Some(("::1".into(), 9, false))
        );
        assert_eq!(host_port("http://[::1]/x"), Some(("::1".into(), 80, false)));
        assert_eq!(host_port("ftp://x"), None);
    }
}
