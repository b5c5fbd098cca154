//! [`TokenSource`]: a cached, single-flight access-token provider.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::assertion::{AssertionSigner, Audience, DEFAULT_LIFETIME_SECS};
use crate::cache::TokenCache;
use crate::client::{
    AccessToken, ClientError, check_issuer, check_url, discover, network_error, request_token,
};
use crate::clock::{Clock, SystemClock};
use crate::key::SigningKey;

/// Token requests made for one token at most (the first and two repeats after transient failures).
const TOKEN_ATTEMPTS: u32 = 3;
/// The pause before a repeated token request, times the attempt number.
const TOKEN_RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(200);

/// Where the token endpoint comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Discover it from `{issuer}/.well-known/openid-configuration`.
    Discover {
        /// Issuer identifier, e.g. `https://logindev.wipo.int/am/oauth2`.
        issuer: String,
    },
    /// Use this token endpoint directly (no discovery).
    Direct {
        /// Token endpoint, e.g. `https://logindev.wipo.int:443/am/oauth2/access_token`.
        token_endpoint: String,
        /// Issuer, if known (needed only for [`Audience::Issuer`] and the cache key).
        issuer: Option<String>,
    },
}

/// Settings of a [`TokenSource`].
#[derive(Debug, Clone)]
pub struct TokenSourceConfig {
    /// Where the token endpoint is.
    pub endpoint: Endpoint,
    /// Client id assigned by WIPO.
    pub client_id: String,
    /// Space-separated scopes, if any.
    pub scope: Option<String>,
    /// Assertion audience (default: the token endpoint as published).
    pub audience: Audience,
    /// Key id for the assertion header.
    pub kid: Option<String>,
    /// Assertion lifetime, seconds (default 60, at most 300).
    pub assertion_lifetime_secs: u64,
    /// Refresh this long before expiry (default 60 s)...
    pub refresh_margin_secs: u64,
    /// ...plus a random 0..=jitter seconds (default 30 s), so many processes do not refresh together.
    pub refresh_jitter_secs: u64,
    /// Tokens shared with later processes through files (default: none, memory only).
    pub disk_cache: Option<TokenCache>,
}

impl TokenSourceConfig {
    /// Defaults for `client_id` at `endpoint`.
    pub fn new(endpoint: Endpoint, client_id: impl Into<String>) -> Self {
        Self {
            endpoint,
            client_id: client_id.into(),
            scope: None,
            audience: Audience::TokenEndpoint,
            kid: None,
            assertion_lifetime_secs: DEFAULT_LIFETIME_SECS,
            refresh_margin_secs: 60,
            refresh_jitter_secs: 30,
            disk_cache: None,
        }
    }

    /// Keeps tokens in `cache` too: a token still fresh there is used instead of asking the
    /// token endpoint, and every new token is written there. Typical use:
    /// `config.with_disk_cache(TokenCache::user_default()?)`.
    pub fn with_disk_cache(mut self, cache: TokenCache) -> Self {
        self.disk_cache = Some(cache);
        self
    }

    /// Sets the scope.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

/// What tokens are cached under: one token per (issuer, client id, scope).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey {
    /// Issuer (or the token endpoint when no issuer is configured).
    pub issuer: String,
    /// Client id.
    pub client_id: String,
    /// Scope as requested (empty when none).
    pub scope: String,
}

impl CacheKey {
    /// A short stable file-name-safe id: hex SHA-256 prefix of the three parts.
    pub fn file_stem(&self) -> String {
        let mut input = Vec::new();
        for part in [&self.issuer, &self.client_id, &self.scope] {
            input.extend_from_slice(&(part.len() as u64).to_be_bytes());
            input.extend_from_slice(part.as_bytes());
        }
        let d = ring::digest::digest(&ring::digest::SHA256, &input);
        d.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

struct Cached {
    token: AccessToken,
    refresh_at: u64,
}

struct Resolved {
    token_endpoint: String,
    signer: AssertionSigner,
}

struct Inner {
    http: reqwest::Client,
    config: TokenSourceConfig,
    key: Arc<SigningKey>,
    clock: Arc<dyn Clock>,
    current: RwLock<Option<Cached>>,
    resolved: tokio::sync::Mutex<Option<Arc<Resolved>>>,
    requests: AtomicU64,
}

/// Gets access tokens and caches them until shortly before expiry.
///
/// * one token per [`CacheKey`] (issuer, client id, scope);
/// * refreshed `refresh_margin_secs` plus a random jitter before expiry (at most half the lifetime);
/// * concurrent callers share one token request (single flight);
/// * [`TokenSource::invalidate`] drops a token the API refused (HTTP 401), and
///   [`TokenSource::send`] does that and retries once by itself;
/// * if a refresh fails while the old token is still valid, the old token is returned.
///
/// Clones share the cache.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("config", &self.inner.config)
            .field("key", &self.inner.key)
            .field("token_requests", &self.token_requests())
            .finish()
    }
}

fn random_below_or_equal(max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    let mut b = [0u8; 8];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).is_err() {
        return max / 2;
    }
    u64::from_le_bytes(b) % (max + 1)
}

impl TokenSource {
    /// A token source using `http` for all requests (pass a client configured with your proxy,
    /// timeouts and TLS roots), signing with `key`, reading time from the system clock.
    pub fn new(
        http: reqwest::Client,
        config: TokenSourceConfig,
        key: Arc<SigningKey>,
    ) -> Result<Self, ClientError> {
        Self::with_clock(http, config, key, Arc::new(SystemClock))
    }

    /// Like [`TokenSource::new`] with an injected clock.
    pub fn with_clock(
        http: reqwest::Client,
        config: TokenSourceConfig,
        key: Arc<SigningKey>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ClientError> {
        match &config.endpoint {
            Endpoint::Discover { issuer } => {
                check_issuer(issuer)?;
            }
            Endpoint::Direct {
                token_endpoint,
                issuer,
            } => {
                check_url("token endpoint", token_endpoint)?;
                if let Some(i) = issuer {
                    check_issuer(i)?;
                }
            }
        }
        if config.client_id.is_empty() {
            return Err(crate::AssertionError::EmptyClientId.into());
        }
        if config.assertion_lifetime_secs == 0
            || config.assertion_lifetime_secs > crate::assertion::MAX_LIFETIME_SECS
        {
            return Err(crate::AssertionError::Lifetime(config.assertion_lifetime_secs).into());
        }
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                key,
                clock,
                current: RwLock::new(None),
                resolved: tokio::sync::Mutex::new(None),
                requests: AtomicU64::new(0),
            }),
        })
    }

    /// The cache key of this source.
    pub fn cache_key(&self) -> CacheKey {
        let c = &self.inner.config;
        let issuer = match &c.endpoint {
            Endpoint::Discover { issuer } => issuer.clone(),
            Endpoint::Direct {
                issuer: Some(issuer),
                ..
            } => issuer.clone(),
            Endpoint::Direct { token_endpoint, .. } => token_endpoint.clone(),
        };
        CacheKey {
            issuer,
            client_id: c.client_id.clone(),
            scope: c.scope.clone().unwrap_or_default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &TokenSourceConfig {
        &self.inner.config
    }

    /// How many token requests this source (and its clones) has sent.
    pub fn token_requests(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    fn fresh(&self, now: u64) -> Option<AccessToken> {
        let guard = self.inner.current.read().ok()?;
        match guard.as_ref() {
            Some(c) if now < c.refresh_at => Some(c.token.clone()),
            _ => None,
        }
    }

    fn refresh_at(&self, token: &AccessToken) -> u64 {
        let c = &self.inner.config;
        let lifetime = token.expires_at().saturating_sub(token.obtained_at());
        let margin = (c.refresh_margin_secs + random_below_or_equal(c.refresh_jitter_secs))
            .min(lifetime / 2);
        token.expires_at().saturating_sub(margin)
    }

    /// Puts a token obtained earlier (e.g. from a cache file) into the cache. Ignored if it is
    /// already due for refresh.
    pub fn seed(&self, token: AccessToken) {
        let refresh_at = self.refresh_at(&token);
        if self.inner.clock.now_unix() >= refresh_at {
            return;
        }
        if let Ok(mut g) = self.inner.current.write() {
            *g = Some(Cached { token, refresh_at });
        }
    }

    /// The cached token, if any, even if due for refresh.
    pub fn cached(&self) -> Option<AccessToken> {
        self.inner
            .current
            .read()
            .ok()
            .and_then(|g| g.as_ref().map(|c| c.token.clone()))
    }

    /// Drops `token` from the cache if it is the cached one (call after the API answered 401).
    pub fn invalidate(&self, token: &AccessToken) {
        if let Ok(mut g) = self.inner.current.write()
            && g.as_ref().is_some_and(|c| c.token.same_secret(token))
        {
            tracing::debug!("access token invalidated");
            *g = None;
        }
        if let Some(cache) = &self.inner.config.disk_cache {
            cache.forget(&self.cache_key(), token);
        }
    }

    /// A fresh token from the disk cache, if one is configured and holds one (it is then also
    /// kept in memory).
    fn disk_token(&self, now: u64) -> Option<AccessToken> {
        let cache = self.inner.config.disk_cache.as_ref()?;
        let token = cache.load(&self.cache_key())?;
        self.seed(token);
        let fresh = self.fresh(now);
        if fresh.is_some() {
            tracing::debug!("access token taken from the disk cache");
        }
        fresh
    }

    async fn resolved(&self) -> Result<Arc<Resolved>, ClientError> {
        let mut guard = self.inner.resolved.lock().await;
        if let Some(r) = guard.as_ref() {
            return Ok(r.clone());
        }
        let c = &self.inner.config;
        let (issuer, token_endpoint) = match &c.endpoint {
            Endpoint::Discover { issuer } => {
                let meta = discover(&self.inner.http, issuer).await?;
                (Some(issuer.clone()), meta.token_endpoint)
            }
            Endpoint::Direct {
                token_endpoint,
                issuer,
            } => (issuer.clone(), token_endpoint.clone()),
        };
        let audience = c.audience.resolve(issuer.as_deref(), &token_endpoint)?;
        let signer = AssertionSigner::new(self.inner.key.clone(), c.client_id.clone(), audience)?
            .with_kid(c.kid.clone())
            .with_lifetime(c.assertion_lifetime_secs)?
            .with_clock(self.inner.clock.clone());
        let r = Arc::new(Resolved {
            token_endpoint,
            signer,
        });
        *guard = Some(r.clone());
        Ok(r)
    }

    /// The token endpoint (discovering it first if needed).
    pub async fn token_endpoint(&self) -> Result<String, ClientError> {
        Ok(self.resolved().await?.token_endpoint.clone())
    }

    /// A fresh client assertion for the token endpoint (discovering it first if needed).
    pub async fn assertion(&self) -> Result<String, ClientError> {
        Ok(self.resolved().await?.signer.sign()?)
    }

    /// A valid access token: the cached one (in memory, then on disk), or a new one. Concurrent
    /// callers wait for a single token request.
    pub async fn token(&self) -> Result<AccessToken, ClientError> {
        let now = self.inner.clock.now_unix();
        if let Some(t) = self.fresh(now).or_else(|| self.disk_token(now)) {
            return Ok(t);
        }
        self.request_new(false).await
    }

    /// A new access token from the token endpoint, whatever the caches hold (`ipgate auth token
    /// --refresh`); it replaces the cached ones.
    pub async fn renew(&self) -> Result<AccessToken, ClientError> {
        self.request_new(true).await
    }

    async fn request_new(&self, force: bool) -> Result<AccessToken, ClientError> {
        let resolved = self.resolved().await?;
        // Single flight: hold the resolver lock while fetching; late callers find the new token.
        let _flight = self.inner.resolved.lock().await;
        let now = self.inner.clock.now_unix();
        if !force && let Some(t) = self.fresh(now).or_else(|| self.disk_token(now)) {
            return Ok(t);
        }
        // A transient failure (reset, 429, 5xx) is tried again a few times, each attempt with a
        // freshly signed assertion (a new `jti`).
        let mut attempt = 1u32;
        let result = loop {
            let result = async {
                let assertion = resolved.signer.sign()?;
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                request_token(
                    &self.inner.http,
                    &resolved.token_endpoint,
                    self.inner.config.scope.as_deref(),
                    &assertion,
                    self.inner.clock.now_unix(),
                )
                .await
            }
            .await;
            match result {
                Err(e) if e.is_transient() && attempt < TOKEN_ATTEMPTS => {
                    let delay = TOKEN_RETRY_DELAY * attempt;
                    tracing::warn!(error = %e, attempt, retry_in_ms = delay.as_millis() as u64, "token request failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => break other,
            }
        };
        match result {
            Ok(token) => {
                let refresh_at = self.refresh_at(&token);
                if let Ok(mut g) = self.inner.current.write() {
                    *g = Some(Cached {
                        token: token.clone(),
                        refresh_at,
                    });
                }
                if let Some(cache) = &self.inner.config.disk_cache
                    && let Err(e) = cache.store(&self.cache_key(), &token)
                {
                    tracing::warn!(error = %e, "token not cached on disk; the next run asks for a new one");
                }
                tracing::debug!(expires_at = token.expires_at(), "access token obtained");
                Ok(token)
            }
            Err(e) => {
                if !force
                    && let Some(old) = self.cached()
                    && now < old.expires_at()
                {
                    tracing::warn!(error = %e, "token refresh failed; using the still valid token");
                    return Ok(old);
                }
                Err(e)
            }
        }
    }

    /// Sends the request built by `build` with `Authorization: Bearer`; on HTTP 401 invalidates the
    /// token and retries once with a new one. `build` is called once per attempt.
    pub async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let token = self.token().await?;
        let resp = build()
            .bearer_auth(token.secret())
            .send()
            .await
            .map_err(|e| network_error(e.url().map_or("", |u| u.as_str()), &e))?;
        if resp.status() != reqwest::StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        tracing::debug!("API answered 401; retrying once with a new token");
        self.invalidate(&token);
        let token = self.token().await?;
        build()
            .bearer_auth(token.secret())
            .send()
            .await
            .map_err(|e| network_error(e.url().map_or("", |u| u.as_str()), &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: &str, c: &str, s: &str) -> CacheKey {
        CacheKey {
            issuer: i.into(),
            client_id: c.into(),
            scope: s.into(),
        }
    }

    #[test]
    fn refresh_time_has_margin_plus_random_jitter_within_bounds() {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let key = Arc::new(SigningKey::generate().expect("key"));
        let mut config = TokenSourceConfig::new(
            Endpoint::Direct {
                token_endpoint: "https://login.example/t".into(),
                issuer: None,
            },
            "c",
        );
        config.refresh_margin_secs = 60;
        config.refresh_jitter_secs = 30;
        let ts = TokenSource::new(http, config, key).expect("source");
        let token = AccessToken::new("t", "Bearer", None, 10_000, 13_600);
        let times: std::collections::BTreeSet<u64> =
            (0..200).map(|_| ts.refresh_at(&token)).collect();
        let (first, last) = (*times.first().expect("some"), *times.last().expect("some"));
        assert!(first >= 13_600 - 90 && last <= 13_600 - 60, "{times:?}");
        // 200 draws from 31 values: all equal only if the jitter is not random at all.
        assert!(times.len() > 5, "no jitter: {times:?}");

        // A short token: margin and jitter together at most half its lifetime.
        let short = AccessToken::new("s", "Bearer", None, 10_000, 10_040);
        assert!((0..50).all(|_| ts.refresh_at(&short) == 10_020));
    }

    #[test]
    fn cache_file_stems_are_stable_and_unambiguous() {
        let a = key("https://i", "ab", "c");
        assert_eq!(a.file_stem(), a.clone().file_stem());
        assert_eq!(a.file_stem().len(), 24);
        assert!(a.file_stem().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.file_stem(), key("https://i", "a", "bc").file_stem());
        assert_ne!(a.file_stem(), key("https://j", "ab", "c").file_stem());
        assert_ne!(a.file_stem(), key("https://i", "ab", "").file_stem());
    }
}
