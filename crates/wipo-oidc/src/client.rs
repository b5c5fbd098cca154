//! OpenID Connect discovery and the OAuth 2.0 client-credentials token request with
//! `private_key_jwt` client authentication (RFC 6749 §4.4, RFC 7523, OpenID Discovery 1.0).

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

use crate::assertion::{AssertionError, CLIENT_ASSERTION_TYPE};
use crate::key::KeyError;

/// Lifetime assumed for a token whose response has no `expires_in` (seconds).
pub const DEFAULT_TOKEN_LIFETIME_SECS: u64 = 300;

/// Broad class of a [`ClientError`], for mapping to exit codes or retry decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Our configuration is wrong (URL, key, client id format).
    Config,
    /// The server refused our credentials or address.
    Auth,
    /// The network failed; retrying later may help.
    Network,
    /// The server answered with something unusable.
    Remote,
}

/// Errors of discovery, token requests and the token source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A configured URL is not usable.
    #[error("{what} {url:?} is not a usable URL: {reason}")]
    InvalidUrl {
        /// Which setting.
        what: &'static str,
        /// The value.
        url: String,
        /// Why.
        reason: String,
    },
    /// The connection failed.
    #[error("cannot reach {url}: {detail}")]
    Network {
        /// What we tried to reach.
        url: String,
        /// reqwest's description, with causes.
        detail: String,
    },
    /// Unexpected HTTP status.
    #[error("{what} at {url} answered HTTP {status}: {body}")]
    HttpStatus {
        /// `discovery` or `token request`.
        what: &'static str,
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The body is not what the standard says.
    #[error("{what} at {url} returned an invalid response: {detail}")]
    BadResponse {
        /// `discovery` or `token request`.
        what: &'static str,
        /// The URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// Discovery returned another issuer than the one configured.
    #[error(
        "the provider at {url} says its issuer is {found:?}, but {expected:?} is configured; they must be equal byte for byte (OpenID Discovery §4.3)"
    )]
    IssuerMismatch {
        /// The discovery URL.
        url: String,
        /// Configured issuer.
        expected: String,
        /// Issuer in the document.
        found: String,
    },
    /// The token endpoint answered with an OAuth error (RFC 6749 §5.2).
    #[error("the token endpoint refused the request (HTTP {status}): {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth {
        /// HTTP status.
        status: u16,
        /// The `error` code, e.g. `invalid_client`.
        error: String,
        /// `error_description`.
        description: Option<String>,
    },
    /// HTTP 403 without an OAuth error body: typically the source address is not allowed.
    #[error("{url} answered HTTP 403 Forbidden: {body}")]
    Forbidden {
        /// The URL.
        url: String,
        /// The start of the body.
        body: String,
    },
    /// The token is not a Bearer token.
    #[error("the token endpoint issued a {found:?} token; only Bearer tokens are supported")]
    TokenType {
        /// The `token_type` found.
        found: String,
    },
    /// Building the assertion failed.
    #[error(transparent)]
    Assertion(#[from] AssertionError),
    /// The key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl ClientError {
    /// Broad class of the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidUrl { .. } | Self::Assertion(_) | Self::Key(_) => ErrorKind::Config,
            Self::IssuerMismatch { .. } => ErrorKind::Config,
            Self::Network { .. } => ErrorKind::Network,
            Self::OAuth { .. } | Self::Forbidden { .. } => ErrorKind::Auth,
            Self::HttpStatus { status: 401, .. } => ErrorKind::Auth,
            Self::HttpStatus { .. } | Self::BadResponse { .. } | Self::TokenType { .. } => {
                ErrorKind::Remote
            }
        }
    }

    /// Whether a token request that failed this way may be repeated at once (with a new
    /// assertion): the connection failed, or the provider answered 429 or a 5xx (RFC 6749 §5.2's
    /// `temporarily_unavailable`/`server_error`). A client-credentials token request has no side
    /// effect a repeat could double; each attempt signs a new assertion, so WIPO's `jti` replay
    /// check is never tripped.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Network { .. } => true,
            Self::OAuth { status, .. } | Self::HttpStatus { status, .. } => {
                *status == 429 || (500..600).contains(status)
            }
            _ => false,
        }
    }

    /// How to fix it, when known.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::OAuth { error, status, .. } => Some(match error.as_str() {
                "invalid_client" => invalid_client_hint(),
                "invalid_scope" => "request the scope WIPO communicated for this client id".to_string(),
                "unauthorized_client" => "this client may not use the client_credentials grant; ask WIPO (hague.it@wipo.int) to enable it".to_string(),
                "invalid_grant" | "invalid_request" => "the token request was rejected as malformed; check the audience setting (default: the token endpoint exactly as published) and report this to the ipgate maintainers".to_string(),
                "unsupported_grant_type" => "the provider does not offer the client_credentials grant to this client; ask its operator (for WIPO: hague.it@wipo.int) to enable it".to_string(),
                "temporarily_unavailable" | "server_error" => "the provider has a temporary problem; try again later".to_string(),
                _ if *status == 403 => forbidden_hint(),
                _ => "the provider refused the request; its error_description (above) says why".to_string(),
            }),
            Self::Forbidden { .. } => Some(forbidden_hint()),
            Self::HttpStatus { status: 401, .. } => Some(invalid_client_hint()),
            Self::HttpStatus {
                what: "discovery",
                status: 404 | 410,
                ..
            } => Some(
                "check the issuer: the discovery document is fetched from the issuer followed by /.well-known/openid-configuration (for WIPO e.g. https://logindev.wipo.int/am/oauth2); or configure the token endpoint directly"
                    .to_string(),
            ),
            Self::HttpStatus {
                status: 404 | 405 | 410,
                ..
            } => Some(
                "check the token endpoint URL (use the one the provider's discovery document publishes)"
                    .to_string(),
            ),
            Self::HttpStatus { status: 300..=399, .. } => Some(
                "the server redirects; redirects are not followed (they would carry the client assertion elsewhere): configure the final URL"
                    .to_string(),
            ),
            Self::HttpStatus { status: 429 | 500..=599, .. } => Some(
                "the server is overloaded or failing; try again later".to_string(),
            ),
            Self::HttpStatus { .. } | Self::BadResponse { .. } => Some(
                "check that the URL is the provider's (an OpenID provider or OAuth token endpoint), not a web page or proxy"
                    .to_string(),
            ),
            Self::InvalidUrl { .. } => Some(
                "use an absolute https URL, e.g. https://logindev.wipo.int/am/oauth2 (plain http only to 127.0.0.1 or localhost)"
                    .to_string(),
            ),
            Self::TokenType { .. } => Some(
                "the provider must issue Bearer tokens (RFC 6750) for this client; ask its operator".to_string(),
            ),
            Self::Assertion(AssertionError::IssuerAudienceWithoutIssuer) => Some(
                "configure the issuer, or leave the audience at its default (the token endpoint)".to_string(),
            ),
            Self::IssuerMismatch { found, .. } => Some(format!(
                "configure the issuer exactly as the provider publishes it ({found:?}), including any trailing slash"
            )),
            Self::Network { .. } => Some(
                "check the network, proxy settings (HTTPS_PROXY/NO_PROXY) and that the host name is right"
                    .to_string(),
            ),
            Self::Key(e) => e.hint(),
            _ => None,
        }
    }
}

fn invalid_client_hint() -> String {
    "check (1) the client id is the one WIPO assigned, (2) the certificate registered with WIPO was made from this private key (compare the JWK thumbprint of `ipgate keys inspect KEY` and `ipgate keys inspect CERT`), (3) this machine's clock is right (the assertion lives 60 s)".to_string()
}

fn forbidden_hint() -> String {
    "the request was refused before authentication: this machine's public IP address is probably not on WIPO's allow-list; ask hague.it@wipo.int to add it".to_string()
}

pub(crate) fn network_error(url: &str, e: &reqwest::Error) -> ClientError {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    ClientError::Network {
        url: url.to_string(),
        detail,
    }
}

/// A reqwest client builder with sensible defaults for talking to an identity provider: 10 s connect
/// timeout, 30 s overall timeout, the given user agent, system proxy settings, rustls with the
/// platform's root certificates, and redirects NOT followed (a token request must reach the
/// configured endpoint; a redirect would carry the client assertion elsewhere).
pub fn http_client_builder(user_agent: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
}

/// [`http_client_builder`], built.
pub fn http_client(user_agent: &str) -> Result<reqwest::Client, ClientError> {
    http_client_builder(user_agent)
        .build()
        .map_err(|e| network_error("(client setup)", &e))
}

/// Checks that `url` is absolute `https`, or `http` to a loopback address (for local tests and
/// emulators). Returns the parsed URL.
pub fn check_url(what: &'static str, url: &str) -> Result<reqwest::Url, ClientError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| ClientError::InvalidUrl {
        what,
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    let loopback = parsed.host_str().is_some_and(|h| {
        h.eq_ignore_ascii_case("localhost")
            || h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    });
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ClientError::InvalidUrl {
                what,
                url: url.to_string(),
                reason: "plain http is only allowed to loopback addresses; use https".into(),
            });
        }
        other => {
            return Err(ClientError::InvalidUrl {
                what,
                url: url.to_string(),
                reason: format!("scheme {other:?} is not https"),
            });
        }
    }
    if parsed.fragment().is_some() {
        return Err(ClientError::InvalidUrl {
            what,
            url: url.to_string(),
            reason: "a fragment (#...) is not allowed".into(),
        });
    }
    Ok(parsed)
}

/// [`check_url`] for an issuer identifier, which in addition has no query (OpenID Discovery §2,
/// RFC 8414 §2).
pub(crate) fn check_issuer(issuer: &str) -> Result<reqwest::Url, ClientError> {
    let parsed = check_url("issuer", issuer)?;
    if parsed.query().is_some() {
        return Err(ClientError::InvalidUrl {
            what: "issuer",
            url: issuer.to_string(),
            reason: "an issuer identifier has no query (?...) part".into(),
        });
    }
    Ok(parsed)
}

/// The discovery document URL: the issuer with any terminating `/` removed, then
/// `/.well-known/openid-configuration` appended (OpenID Discovery §4; not an RFC 3986 join, which
/// would drop a path such as `/am/oauth2`).
///
/// ```
/// assert_eq!(
///     wipo_oidc::discovery_url("https://logindev.wipo.int/am/oauth2"),
///     "https://logindev.wipo.int/am/oauth2/.well-known/openid-configuration"
/// );
/// ```
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.strip_suffix('/').unwrap_or(issuer)
    )
}

/// The parts of the provider metadata this crate uses (OpenID Discovery §3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProviderMetadata {
    /// Issuer identifier; equal to the configured issuer.
    pub issuer: String,
    /// Token endpoint, used as published (also as the assertion audience).
    pub token_endpoint: String,
    /// JWKS URI.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// Client authentication methods the token endpoint supports.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Signing algorithms accepted for `private_key_jwt`.
    #[serde(default)]
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    /// Grant types.
    #[serde(default)]
    pub grant_types_supported: Option<Vec<String>>,
}

fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "(empty body)".to_string();
    }
    let mut end = trimmed.len().min(300);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    let mut s = trimmed[..end].replace(['\n', '\r'], " ");
    if end < trimmed.len() {
        s.push_str("...");
    }
    s
}

/// Largest discovery document or token response read (bytes). Real ones are a few KiB.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// Reads a response body as text, refusing one larger than [`MAX_RESPONSE_BYTES`] rather than
/// holding whatever a broken or hostile server sends in memory.
async fn read_body(
    mut resp: reqwest::Response,
    url: &str,
    what: &'static str,
) -> Result<String, ClientError> {
    let too_large = || ClientError::BadResponse {
        what,
        url: url.to_string(),
        detail: format!("the response is larger than {MAX_RESPONSE_BYTES} bytes"),
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| network_error(url, &e))? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Fetches and checks the provider's discovery document.
pub async fn discover(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<ProviderMetadata, ClientError> {
    check_issuer(issuer)?;
    let url = discovery_url(issuer);
    let parsed = check_url("discovery URL", &url)?;
    tracing::debug!(%url, "OpenID discovery");
    let resp = http
        .get(parsed)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| network_error(&url, &e))?;
    let status = resp.status();
    let body = read_body(resp, &url, "discovery").await?;
    if status == reqwest::StatusCode::FORBIDDEN {
        return Err(ClientError::Forbidden {
            url,
            body: excerpt(&body),
        });
    }
    if status != reqwest::StatusCode::OK {
        return Err(ClientError::HttpStatus {
            what: "discovery",
            url,
            status: status.as_u16(),
            body: excerpt(&body),
        });
    }
    let meta: ProviderMetadata =
        serde_json::from_str(&body).map_err(|e| ClientError::BadResponse {
            what: "discovery",
            url: url.clone(),
            detail: format!("not an OpenID provider configuration: {e}"),
        })?;
    if meta.issuer != issuer {
        return Err(ClientError::IssuerMismatch {
            url,
            expected: issuer.to_string(),
            found: meta.issuer,
        });
    }
    check_url("token_endpoint", &meta.token_endpoint).map_err(|e| ClientError::BadResponse {
        what: "discovery",
        url: url.clone(),
        detail: e.to_string(),
    })?;
    if let Some(methods) = &meta.token_endpoint_auth_methods_supported
        && !methods.iter().any(|m| m == "private_key_jwt")
    {
        tracing::warn!(
            ?methods,
            "provider does not list private_key_jwt among its token endpoint auth methods"
        );
    }
    if let Some(algs) = &meta.token_endpoint_auth_signing_alg_values_supported
        && !algs.iter().any(|a| a == "ES256")
    {
        tracing::warn!(
            ?algs,
            "provider does not list ES256 among its token endpoint signing algorithms"
        );
    }
    Ok(meta)
}

struct TokenInner {
    /// Wiped from memory when the last clone of the token is dropped.
    secret: zeroize::Zeroizing<String>,
    token_type: String,
    scope: Option<String>,
    obtained_at: u64,
    expires_at: u64,
}

/// An access token. Cheap to clone; Debug and Display never show the token itself.
#[derive(Clone)]
pub struct AccessToken(Arc<TokenInner>);

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"<redacted>")
            .field("token_type", &self.0.token_type)
            .field("scope", &self.0.scope)
            .field("obtained_at", &self.0.obtained_at)
            .field("expires_at", &self.0.expires_at)
            .finish()
    }
}

impl AccessToken {
    /// A token (e.g. read back from a cache file).
    pub fn new(
        secret: impl Into<String>,
        token_type: impl Into<String>,
        scope: Option<String>,
        obtained_at: u64,
        expires_at: u64,
    ) -> Self {
        Self(Arc::new(TokenInner {
            secret: zeroize::Zeroizing::new(secret.into()),
            token_type: token_type.into(),
            scope,
            obtained_at,
            expires_at,
        }))
    }

    /// The token value, for the `Authorization: Bearer` header. Do not log it.
    pub fn secret(&self) -> &str {
        &self.0.secret
    }

    /// `token_type` as issued (`Bearer`).
    pub fn token_type(&self) -> &str {
        &self.0.token_type
    }

    /// Granted scope (the requested one when the server did not say, RFC 6749 §5.1).
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// When it was obtained, Unix seconds.
    pub fn obtained_at(&self) -> u64 {
        self.0.obtained_at
    }

    /// When it expires, Unix seconds.
    pub fn expires_at(&self) -> u64 {
        self.0.expires_at
    }

    /// Whether `other` is the same token value.
    pub fn same_secret(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.secret == other.0.secret
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    #[serde(default, deserialize_with = "number_or_numeric_string")]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// RFC 6749 says `expires_in` is a number; a few servers send it as a string of digits. Accept both.
fn number_or_numeric_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Num(u64),
        Str(String),
    }
    match Option::<N>::deserialize(d)? {
        None => Ok(None),
        Some(N::Num(n)) => Ok(Some(n)),
        Some(N::Str(s)) => s.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom("expires_in is neither a number nor a string of digits")
        }),
    }
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Requests a token: POST `grant_type=client_credentials`, `scope`, `client_assertion_type` and
/// `client_assertion` form-encoded to `token_endpoint`. `now` is the time the request is made
/// (for `expires_at`).
pub async fn request_token(
    http: &reqwest::Client,
    token_endpoint: &str,
    scope: Option<&str>,
    assertion: &str,
    now: u64,
) -> Result<AccessToken, ClientError> {
    let url = check_url("token endpoint", token_endpoint)?;
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
    form.push(("client_assertion", assertion));
    tracing::debug!(token_endpoint, ?scope, "token request");
    let resp = http
        .post(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| network_error(token_endpoint, &e))?;
    let status = resp.status();
    let body = read_body(resp, token_endpoint, "token request").await?;
    if !status.is_success() {
        if let Ok(err) = serde_json::from_str::<OAuthErrorBody>(&body) {
            return Err(ClientError::OAuth {
                status: status.as_u16(),
                error: err.error,
                description: err.error_description,
            });
        }
        if status == reqwest::StatusCode::FORBIDDEN {
            return Err(ClientError::Forbidden {
                url: token_endpoint.to_string(),
                body: excerpt(&body),
            });
        }
        return Err(ClientError::HttpStatus {
            what: "token request",
            url: token_endpoint.to_string(),
            status: status.as_u16(),
            body: excerpt(&body),
        });
    }
    let parsed: TokenResponse =
        serde_json::from_str(&body).map_err(|e| ClientError::BadResponse {
            what: "token request",
            url: token_endpoint.to_string(),
            // serde's message names the field, never the token value
            detail: format!("not an OAuth token response: {e}"),
        })?;
    if parsed.access_token.is_empty() {
        return Err(ClientError::BadResponse {
            what: "token request",
            url: token_endpoint.to_string(),
            detail: "access_token is empty".into(),
        });
    }
    if !parsed.token_type.eq_ignore_ascii_case("bearer") {
        return Err(ClientError::TokenType {
            found: parsed.token_type,
        });
    }
    let lifetime = parsed.expires_in.unwrap_or_else(|| {
        tracing::debug!(
            "token response has no expires_in; assuming {DEFAULT_TOKEN_LIFETIME_SECS} s"
        );
        DEFAULT_TOKEN_LIFETIME_SECS
    });
    let scope = parsed.scope.or_else(|| scope.map(str::to_string));
    Ok(AccessToken::new(
        parsed.access_token,
        parsed.token_type,
        scope,
        now,
        now.saturating_add(lifetime),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_https_except_loopback() {
        for ok in [
            "https://logindev.wipo.int:443/am/oauth2/access_token",
            "http://127.0.0.1:8080/t",
            "http://[::1]/t",
            "http://localhost:1/t",
        ] {
            check_url("x", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        assert!(check_issuer("https://logindev.wipo.int/am/oauth2").is_ok());
        assert!(matches!(
            check_issuer("https://logindev.wipo.int/am/oauth2?realm=x"),
            Err(ClientError::InvalidUrl { reason, .. }) if reason.contains("query")
        ));
        // A token endpoint may have a query (RFC 6749 §3.2).
        assert!(check_url("token endpoint", "https://h/t?realm=x").is_ok());
        for bad in [
            "http://logindev.wipo.int/am/oauth2",
            "http://127.0.0.1.example/t",
            "ftp://h/t",
            "https://h/t#frag",
            "/relative",
        ] {
            assert!(
                matches!(check_url("x", bad), Err(ClientError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn body_excerpts_are_short_single_line_and_utf8_safe() {
        assert_eq!(excerpt("  "), "(empty body)");
        assert_eq!(excerpt("a\nb"), "a b");
        let long = "é".repeat(400);
        let e = excerpt(&long);
        assert!(e.ends_with("...") && e.len() <= 303, "{}", e.len());
    }

    #[test]
    fn token_responses_parse_expires_in_as_number_or_digits() {
        let parse = |j: &str| serde_json::from_str::<TokenResponse>(j).map(|t| t.expires_in);
        let base = r#""access_token":"a","token_type":"Bearer""#;
        assert_eq!(
            parse(&format!("{{{base},\"expires_in\":3599}}")).expect("n"),
            Some(3599)
        );
        assert_eq!(
            parse(&format!("{{{base},\"expires_in\":\"3599\"}}")).expect("s"),
            Some(3599)
        );
        assert_eq!(parse(&format!("{{{base}}}")).expect("absent"), None);
        assert!(parse(&format!("{{{base},\"expires_in\":\"soon\"}}")).is_err());
        assert!(parse(&format!("{{{base},\"expires_in\":-1}}")).is_err());
    }

    #[test]
    fn every_server_or_setting_error_has_a_hint() {
        let status = |what: &'static str, status: u16| ClientError::HttpStatus {
            what,
            url: "u".into(),
            status,
            body: "b".into(),
        };
        let cases = [
            (status("token request", 401), "client id"),
            (
                ClientError::OAuth {
                    status: 400,
                    error: "unsupported_grant_type".into(),
                    description: None,
                },
                "client_credentials",
            ),
            (
                ClientError::OAuth {
                    status: 503,
                    error: "temporarily_unavailable".into(),
                    description: None,
                },
                "try again later",
            ),
            (
                ClientError::OAuth {
                    status: 400,
                    error: "something_new".into(),
                    description: Some("why".into()),
                },
                "error_description",
            ),
            (
                status("discovery", 404),
                "/.well-known/openid-configuration",
            ),
            (status("token request", 404), "token endpoint URL"),
            (status("token request", 307), "redirects"),
            (status("token request", 503), "try again later"),
            (status("token request", 418), "provider's"),
            (
                ClientError::BadResponse {
                    what: "discovery",
                    url: "u".into(),
                    detail: "d".into(),
                },
                "provider's",
            ),
            (
                ClientError::InvalidUrl {
                    what: "issuer",
                    url: "u".into(),
                    reason: "r".into(),
                },
                "https",
            ),
            (
                ClientError::TokenType {
                    found: "MAC".into(),
                },
                "Bearer",
            ),
            (
                ClientError::Assertion(AssertionError::IssuerAudienceWithoutIssuer),
                "issuer",
            ),
        ];
        for (err, needle) in cases {
            let hint = err.hint().unwrap_or_else(|| panic!("no hint for {err}"));
            assert!(hint.contains(needle), "{err}: {hint}");
        }
    }

    #[test]
    fn oauth_error_hints_name_the_likely_causes() {
        let e = ClientError::OAuth {
            status: 401,
            error: "invalid_client".into(),
            description: None,
        };
        let h = e.hint().expect("hint");
        assert!(h.contains("client id") && h.contains("certificate") && h.contains("clock"));
        let e = ClientError::Forbidden {
            url: "u".into(),
            body: "b".into(),
        };
        assert!(e.hint().expect("hint").contains("allow-list"));
        assert_eq!(e.kind(), ErrorKind::Auth);
    }
}
