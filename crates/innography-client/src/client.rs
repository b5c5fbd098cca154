//! The client proper.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use innography_hmac::{
    Accept, Algorithm, ApiVersion, Credentials, ResponseType, Signer, parse_content_type,
    parse_offered_versions,
};
use ipgate_http::{Clock, RateLimit, RateLimitKey, RateLimiter, RetryPolicy, SystemClock};
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::Api;
use crate::error::Error;

/// Skew between the server's `Date` and ours from which a warning is logged (the signature window
/// is 300 s either way).
pub const CLOCK_SKEW_WARNING: Duration = Duration::from_secs(120);

/// The version [`Client::versions`] asks for to make the server list what it offers (a version
/// no server provides, so the answer is `300 Multiple Choices`).
pub const PROBE_VERSION: ApiVersion = ApiVersion::new(0, 0);

const BODY_SNIPPET: usize = 2000;

/// Client settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL, e.g. `https://api.innography.com` (may carry a path prefix).
    pub base_url: String,
    /// Username and secret.
    pub credentials: Credentials,
    /// `hmac-sha1` (documented default) or `hmac-sha256`.
    pub algorithm: Algorithm,
    /// Pinned version per API.
    pub versions: BTreeMap<Api, ApiVersion>,
    /// Rate limit per API, overriding [`Api::default_rate_limit`].
    pub rate_limits: BTreeMap<Api, RateLimit>,
    /// Directory of the cross-process rate-limit state; `None` disables rate limiting.
    pub rate_limit_dir: Option<PathBuf>,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// `User-Agent` header.
    pub user_agent: String,
}

impl Config {
    /// Defaults: `hmac-sha1`, no pinned versions, documented rate limits (but no state directory:
    /// set [`Config::rate_limit_dir`] to enable them), default retries.
    pub fn new(base_url: impl Into<String>, credentials: Credentials) -> Self {
        Self {
            base_url: base_url.into(),
            credentials,
            algorithm: Algorithm::HmacSha1,
            versions: BTreeMap::new(),
            rate_limits: BTreeMap::new(),
            rate_limit_dir: None,
            retry: RetryPolicy::default(),
            user_agent: concat!("ipgate-innography-client/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

/// A request: method, API, path (with query) and optional exact body bytes.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// The API (selects the pinned version and the rate limit).
    pub api: Api,
    /// Path and query, starting with `/`, appended to the base URL.
    pub path: String,
    /// The exact body bytes; `None` sends no body and signs the MD5 of `[]`.
    pub body: Option<Bytes>,
    /// Overrides the pinned version (e.g. fallbacks with q-values).
    pub accept: Option<Accept>,
}

impl Request {
    /// A request without a body.
    pub fn new(method: Method, api: Api, path: impl Into<String>) -> Self {
        Self {
            method,
            api,
            path: path.into(),
            body: None,
            accept: None,
        }
    }

    /// Sets the exact body bytes (JSON).
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Serialises `value` once as the JSON body.
    pub fn with_json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| Error::Request(format!("cannot serialise the JSON body: {e}")))?;
        Ok(self.with_body(bytes))
    }

    /// Asks for these versions instead of the pinned one.
    pub fn with_accept(mut self, accept: Accept) -> Self {
        self.accept = Some(accept);
        self
    }
}

/// A fully signed request, as it would be sent (for `--dry-run`). `Display` renders it as HTTP.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// Method.
    pub method: Method,
    /// Full URL.
    pub url: Url,
    /// Headers in sending order (without `Host`, which the transport adds; with the
    /// `Content-Length` it derives from the body).
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes (empty for none).
    pub body: Bytes,
}

impl fmt::Display for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut target = self.url.path().to_string();
        if let Some(q) = self.url.query() {
            target.push('?');
            target.push_str(q);
        }
        writeln!(f, "{} {target} HTTP/1.1", self.method)?;
        if let Some(host) = self.url.host_str() {
            match self.url.port() {
                Some(p) => writeln!(f, "Host: {host}:{p}")?,
                None => writeln!(f, "Host: {host}")?,
            }
        }
        for (n, v) in &self.headers {
            writeln!(f, "{n}: {v}")?;
        }
        writeln!(f)?;
        f.write_str(&String::from_utf8_lossy(&self.body))
    }
}

/// A successful (2xx) response, body read.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Parsed `Content-Type` (version, patch), when there is one.
    pub content_type: Option<ResponseType>,
    /// All headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// Attempts it took.
    pub attempts: u32,
    /// Server `Date` minus our clock, in seconds, when the server sent a `Date`.
    pub clock_skew_secs: Option<i64>,
}

impl Response {
    /// The API version the server answered with.
    pub fn version(&self) -> Option<ApiVersion> {
        self.content_type.as_ref().and_then(|t| t.version)
    }

    /// The patch the server runs, if it says.
    pub fn patch(&self) -> Option<u32> {
        self.content_type.as_ref().and_then(|t| t.patch)
    }

    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::Body(format!(
                "the body is not the JSON expected: {e}; check the API version you asked for (Content-Type: {})",
                self.headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                    .map_or("none", |(_, v)| v.as_str())
            ))
        })
    }
}

/// The Innography client. Cheap to share (`&Client` across tasks).
pub struct Client {
    base: Url,
    config: Config,
    signer: Signer,
    http: reqwest::Client,
    limiter: Option<RateLimiter>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("signer", &self.signer)
            .field("versions", &self.config.versions)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with ipgate's HTTP defaults (rustls on ring, redirects never followed).
    pub fn new(config: Config) -> Result<Self, Error> {
        let http = ipgate_http::client_builder(&config.user_agent)
            .build()
            .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
        Self::with_http_client(config, http)
    }

    /// A client using `http` (build it with [`ipgate_http::client_builder`] so redirects are not
    /// followed; tests add `.no_proxy()`).
    pub fn with_http_client(config: Config, http: reqwest::Client) -> Result<Self, Error> {
        let base = Url::parse(config.base_url.trim_end_matches('/')).map_err(|e| {
            Error::Config(format!(
                "base URL `{}` is not a URL ({e}); set e.g. https://api.innography.com",
                config.base_url
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::Config(format!(
                "base URL `{}` must be http(s)://host[:port][/prefix]; set e.g. https://api.innography.com",
                config.base_url
            )));
        }
        let limiter = match &config.rate_limit_dir {
            Some(dir) => Some(RateLimiter::new(dir).map_err(|e| Error::Config(e.to_string()))?),
            None => None,
        };
        Ok(Self {
            base,
            signer: Signer::new(&config.credentials, config.algorithm),
            config,
            http,
            limiter,
            clock: Arc::new(SystemClock),
        })
    }

    /// Uses `clock` for the signed `Date` and the skew check. Waiting (rate limits, `Retry-After`)
    /// always uses the real clock, which every process shares.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The `Accept` header for `req`: its override, else the pinned version, else (with a warning)
    /// the unversioned vendor type, which gets the server's latest version.
    pub fn accept_for(&self, req: &Request) -> String {
        if let Some(a) = &req.accept {
            return a.to_string();
        }
        match self.config.versions.get(&req.api) {
            Some(v) => Accept::version(*v).to_string(),
            None => {
                tracing::warn!(
                    api = %req.api,
                    "no version pinned for the {} API: the server answers with its latest version, which can change under you; production use must pin one (api_versions.{} = \"X.Y\" in the profile, or --api-version)",
                    req.api,
                    req.api
                );
                Accept::latest().to_string()
            }
        }
    }

    fn url_for(&self, path: &str) -> Result<Url, Error> {
        if !path.starts_with('/') || path.starts_with("//") || path.contains(['\r', '\n', ' ', '#'])
        {
            return Err(Error::Request(format!(
                "path `{}` must start with a single `/` and contain no spaces, fragments or line breaks, e.g. /cases/documents?ipId=X",
                path.chars().take(80).collect::<String>()
            )));
        }
        let joined = format!("{}{}", self.base.as_str().trim_end_matches('/'), path);
        Url::parse(&joined)
            .map_err(|e| Error::Request(format!("path `{path}` does not make a URL: {e}")))
    }

    fn headers_for(
        &self,
        req: &Request,
        accept: &str,
        at: SystemTime,
    ) -> Vec<(&'static str, String)> {
        let body: &[u8] = req.body.as_deref().unwrap_or_default();
        let signed = self.signer.sign(at, body);
        let mut headers = vec![("Accept", accept.to_string())];
        if req.body.is_some() || matches!(req.method, Method::POST | Method::PUT | Method::PATCH) {
            headers.push(("Content-Type", "application/json".into()));
        }
        headers.push(("Date", signed.date));
        headers.push(("Content-MD5", signed.content_md5));
        headers.push(("Authorization", signed.authorization));
        // Set on every request (not only as the HTTP client's default) so that a dry run shows
        // exactly what is sent, whichever `reqwest::Client` the caller supplied.
        headers.push(("User-Agent", self.config.user_agent.clone()));
        headers
    }

    /// Signs `req` as if sent at `at`, without sending it (dry run).
    pub fn sign_request(&self, req: &Request, at: SystemTime) -> Result<SignedRequest, Error> {
        let url = self.url_for(&req.path)?;
        let accept = self.accept_for(req);
        let mut headers = self.headers_for(req, &accept, at);
        // The transport adds it from the body; shown so the dry run is the whole request.
        if let Some(body) = &req.body {
            headers.push(("Content-Length", body.len().to_string()));
        }
        Ok(SignedRequest {
            method: req.method.clone(),
            url,
            headers,
            body: req.body.clone().unwrap_or_default(),
        })
    }

    /// `GET path` on `api`.
    pub async fn get(&self, api: Api, path: &str) -> Result<Response, Error> {
        self.send(&Request::new(Method::GET, api, path)).await
    }

    /// `POST path` on `api` with `body` serialised once as JSON.
    pub async fn post_json<T: Serialize + ?Sized>(
        &self,
        api: Api,
        path: &str,
        body: &T,
    ) -> Result<Response, Error> {
        self.send(&Request::new(Method::POST, api, path).with_json(body)?)
            .await
    }

    /// Sends `req` and reads the body. Non-2xx statuses are errors. An answer that breaks off
    /// mid-body is asked again for idempotent methods, like a failed connection, within the retry
    /// policy's attempts (counted together); a POST never is (the server may have acted on it).
    pub async fn send(&self, req: &Request) -> Result<Response, Error> {
        let max = self.config.retry.max_attempts.max(1);
        let mut used = 0;
        loop {
            let policy = RetryPolicy {
                max_attempts: max - used,
                ..self.config.retry.clone()
            };
            let (resp, attempts, skew) = self.execute(req, &policy).await?;
            used += attempts;
            let status = resp.status().as_u16();
            let headers = header_list(resp.headers());
            let content_type = content_type_of(resp.headers());
            match resp.bytes().await {
                Ok(body) => {
                    self.check_version(req, content_type.as_ref());
                    return Ok(Response {
                        status,
                        content_type,
                        headers,
                        body,
                        attempts: used,
                        clock_skew_secs: skew,
                    });
                }
                Err(e) if ipgate_http::is_idempotent(&req.method) && used < max => {
                    let delay = self.config.retry.jittered_backoff(used);
                    tracing::warn!(
                        method = %req.method,
                        api = %req.api,
                        attempt = used,
                        retry_in_ms = delay.as_millis() as u64,
                        "the answer broke off: {e}; asking again"
                    );
                    tokio::time::sleep(delay).await;
                }
                Err(e) => {
                    return Err(Error::Body(format!(
                        "the body broke off after {used} attempt(s): {e}; try again{}",
                        if ipgate_http::is_idempotent(&req.method) {
                            ""
                        } else {
                            " (a POST is not repeated automatically: the server may have acted on it)"
                        }
                    )));
                }
            }
        }
    }

    /// Sends `req` and streams a 2xx body into `dest` (a temporary file renamed into place).
    /// Returns the bytes written and the parsed `Content-Type`.
    pub async fn download(
        &self,
        req: &Request,
        dest: &Path,
    ) -> Result<(u64, Option<ResponseType>), Error> {
        let (resp, _, _) = self.execute(req, &self.config.retry).await?;
        let ct = content_type_of(resp.headers());
        self.check_version(req, ct.as_ref());
        let done = ipgate_http::download_to_file(resp, dest).await?;
        Ok((done.size, ct))
    }

    /// What versions the server offers for `api`: asks for [`PROBE_VERSION`] on `path` (default
    /// `/<api>`) and reads the `300 Multiple Choices` body.
    pub async fn versions(&self, api: Api, path: Option<&str>) -> Result<Vec<ApiVersion>, Error> {
        let path = path.map_or_else(|| format!("/{}", api.slug()), str::to_string);
        let req = Request::new(Method::GET, api, path).with_accept(Accept::version(PROBE_VERSION));
        match self.send(&req).await {
            Err(Error::MultipleChoices { offered, .. }) => Ok(offered),
            Ok(resp) => Ok(resp.version().into_iter().collect()),
            Err(e) => Err(e),
        }
    }

    /// Sends with signing per attempt, rate limit and retries; maps non-2xx statuses to errors.
    async fn execute(
        &self,
        req: &Request,
        policy: &RetryPolicy,
    ) -> Result<(reqwest::Response, u32, Option<i64>), Error> {
        let url = self.url_for(&req.path)?;
        let accept = self.accept_for(req);
        let key = RateLimitKey::new(
            format!("innography-{}", req.api.slug()),
            self.config.credentials.username(),
        );
        // APIs without a limit still go through the limiter with a zero interval, so that a
        // server's `Retry-After` recorded by one process holds back the others too.
        let rate = self
            .config
            .rate_limits
            .get(&req.api)
            .copied()
            .or_else(|| req.api.default_rate_limit())
            .unwrap_or(RateLimit::every(Duration::ZERO));
        let limit = self.limiter.as_ref().map(|l| (l, &key, rate));
        let body = req.body.clone().unwrap_or_default();
        let sent = ipgate_http::send(&self.http, policy, limit, &SystemClock, |_| {
            let mut b = self.http.request(req.method.clone(), url.clone());
            for (n, v) in self.headers_for(req, &accept, self.clock.now()) {
                b = b.header(n, v);
            }
            if req.body.is_some() {
                b = b.body(body.clone());
            }
            b
        })
        .await?;
        let resp = sent.response;
        let skew = self.check_clock(resp.headers());
        let status = resp.status();
        if status.is_success() {
            return Ok((resp, sent.attempts, skew));
        }
        Err(self.status_error(resp, accept, skew).await)
    }

    /// Warns when the server answered with a version we did not ask for (a server ignoring the
    /// pin would otherwise go unnoticed until the data no longer parses).
    fn check_version(&self, req: &Request, ct: Option<&ResponseType>) {
        let Some(got) = ct.and_then(|t| t.version) else {
            return;
        };
        let asked: Vec<ApiVersion> = match &req.accept {
            Some(a) => a.versions().collect(),
            None => self
                .config
                .versions
                .get(&req.api)
                .copied()
                .into_iter()
                .collect(),
        };
        // `versions` asks for the probe version on purpose; any answer is news, not a problem.
        if !asked.is_empty() && !asked.contains(&got) && asked != [PROBE_VERSION] {
            let asked: Vec<String> = asked.iter().map(ToString::to_string).collect();
            tracing::warn!(
                api = %req.api,
                "the server answered {} with version {got} although we asked for {}; check the base URL and the pinned version",
                req.path.chars().take(80).collect::<String>(),
                asked.join(", ")
            );
        }
    }

    fn check_clock(&self, headers: &HeaderMap) -> Option<i64> {
        let server = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())?;
        let ours = self.clock.now();
        let skew = match server.duration_since(ours) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        };
        if skew.unsigned_abs() >= CLOCK_SKEW_WARNING.as_secs() {
            tracing::warn!(
                skew_secs = skew,
                "the server's clock is {skew} s off ours; signatures are refused beyond 300 s: synchronise this machine's clock (NTP)"
            );
        }
        Some(skew)
    }

    async fn status_error(
        &self,
        resp: reqwest::Response,
        accept: String,
        skew: Option<i64>,
    ) -> Error {
        let status = resp.status();
        let location = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| ipgate_http::parse_retry_after(v, SystemTime::now()))
            .map(|d| d.as_secs());
        let body = resp.bytes().await.unwrap_or_default();
        let snippet = || {
            let text = String::from_utf8_lossy(&body);
            let mut s: String = text.chars().take(BODY_SNIPPET).collect();
            if text.chars().count() > BODY_SNIPPET {
                s.push_str("...");
            }
            s
        };
        match status {
            StatusCode::MULTIPLE_CHOICES => Error::MultipleChoices {
                requested: accept,
                offered: offered_from_body(&body),
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::Unauthorized {
                status: status.as_u16(),
                message: snippet(),
                clock_skew_secs: skew,
            },
            StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
                retry_after_secs: retry_after,
            },
            s if s.is_redirection() => Error::Redirect {
                status: s.as_u16(),
                location,
            },
            s => Error::Status {
                status: s.as_u16(),
                body: snippet(),
            },
        }
    }
}

fn content_type_of(headers: &HeaderMap) -> Option<ResponseType> {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| match parse_content_type(v) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        })
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Reads the offered versions from a 300 body (`{"result": ["Content-Type: ...;version=0.6", ...]}`).
fn offered_from_body(body: &[u8]) -> Vec<ApiVersion> {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        tracing::warn!("the 300 Multiple Choices body is not JSON");
        return Vec::new();
    };
    let entries: Vec<&str> = json
        .get("result")
        .and_then(|r| r.as_array())
        .map(|a| a.iter().filter_map(|e| e.as_str()).collect())
        .unwrap_or_default();
    match parse_offered_versions(entries) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("{e}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use innography_hmac::Secret;

    fn client() -> Client {
        let creds = Credentials::new("obiwan", Secret::new("74f43da743aa47c3a90a9c5ef493bc8d"))
            .expect("creds");
        Client::new(Config::new("https://api.innography.com/", creds)).expect("client")
    }

    #[test]
    fn dry_run_reproduces_the_documents_examples() {
        let c = client();
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_484_237_859);
        let mut req = Request::new(Method::POST, Api::PrivatePair, "/private-pair/account");
        req.accept = Some(Accept::version(ApiVersion::new(0, 6)));
        let signed = c.sign_request(&req, at).expect("signed");
        let text = signed.to_string();
        assert!(
            text.starts_with("POST /private-pair/account HTTP/1.1\nHost: api.innography.com\n"),
            "{text}"
        );
        assert!(text.contains("\nContent-Type: application/json\n"));
        assert!(text.contains(
            "\nDate: Thu, 12 Jan 2017 16:17:39 GMT\nContent-MD5: 11FxOYiYfpMxmANj4kGJzg==\n"
        ));
        assert!(
            text.contains(r#"signature="33K74OzzqvrSXsQ5RWw91EH4rJs=""#),
            "{text}"
        );
        let req = req.with_body(&br#"{"data":"sample"}"#[..]);
        let text = c.sign_request(&req, at).expect("signed").to_string();
        assert!(text.contains("Content-MD5: kumW7r4Mo58KzBliGOerdA=="));
        assert!(text.contains(r#"signature="2zS0VJJ6YipaXDU3IcerHJZdpP8=""#));
        assert!(text.ends_with("\n\n{\"data\":\"sample\"}"));
        assert!(!format!("{c:?}").contains("74f43da7"));
    }

    #[test]
    fn bad_paths_and_base_urls_are_refused() {
        let c = client();
        for p in ["cases", "//evil.example/x", "/a b", "/a\nb"] {
            assert!(matches!(c.url_for(p), Err(Error::Request(_))), "{p}");
        }
        assert_eq!(
            c.url_for("/cases/x?y=1").expect("url").as_str(),
            "https://api.innography.com/cases/x?y=1"
        );
        let creds = Credentials::new("u", Secret::new("s")).expect("creds");
        assert!(Client::new(Config::new("ftp://x", creds.clone())).is_err());
        assert!(Client::new(Config::new("not a url", creds)).is_err());
    }

    #[test]
    fn offered_versions_from_the_documents_body() {
        let body = br#"{"status":"error","message":"Multiple Choices","result":["Content-Type: application/vnd.innography+json;version=0.6","Content-Type: application/vnd.innography+json;version=0.7"]}"#;
        assert_eq!(
            offered_from_body(body),
            vec![ApiVersion::new(0, 6), ApiVersion::new(0, 7)]
        );
        assert!(offered_from_body(b"<html>").is_empty());
    }
}
