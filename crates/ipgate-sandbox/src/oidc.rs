//! WIPO's login, emulated: OpenID discovery and a token endpoint taking FAPI 1.0
//! `private_key_jwt` client assertions (HWS document, "Authentication to HWS" and Appendix C;
//! hws-facts §7.2), plus the Bearer check every HWS route makes.
//!
//! Errors follow RFC 6749 §5.2: `invalid_request` (400), `invalid_client` (401: unknown client,
//! bad signature, wrong algorithm or audience), `invalid_grant` (400: an expired, replayed,
//! not-yet-valid or too long-lived assertion), `invalid_scope` (400), `unsupported_grant_type`
//! (400). A caller outside the client's registered addresses is refused like a network allow-list
//! refuses it ("the request must come from the whitelisted IP", HWS document; "network
//! access-control", hws-facts §7.2): 403 with a plain HTML page and no OAuth error, which clients
//! read as "not on the allow-list" rather than as an OAuth refusal.

// Handlers answer early with a finished `Response` as the error of their helpers: boxing it would
// allocate on every refusal for nothing.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use wipo_oidc::{ClientRegistry, VerifyError, VerifyPolicy};

use crate::app::{IssuedToken, Shared, json};

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/connect/jwk_uri", get(jwks))
        .route("/access_token", post(token))
}

async fn discovery(State(app): State<Shared>) -> Response {
    let u = &app.urls;
    json(
        StatusCode::OK,
        &serde_json::json!({
            "issuer": u.issuer,
            "token_endpoint": u.token_endpoint,
            "jwks_uri": format!("{}/connect/jwk_uri", u.issuer),
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "scopes_supported": app.store.clients().map(|cs| {
                let mut s: Vec<String> = cs.into_iter().flat_map(|c| c.scopes).collect();
                s.sort();
                s.dedup();
                s
            }).unwrap_or_default(),
        }),
    )
}

/// Our access tokens are opaque (WIPO's are RS256 JWTs, but a client must not read them), so the
/// key set is empty.
async fn jwks() -> Response {
    json(StatusCode::OK, &serde_json::json!({"keys": []}))
}

fn oauth_error(status: StatusCode, error: &str, description: impl Into<String>) -> Response {
    let mut r = json(
        status,
        &serde_json::json!({"error": error, "error_description": description.into()}),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"wipo\""),
        );
    }
    r
}

/// `application/x-www-form-urlencoded` parsing (HTML's algorithm): `+` is a space, `%XX` a byte.
pub(crate) fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    fn decode(s: &[u8]) -> Option<String> {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = s.get(i + 1..i + 3)?;
                    let v = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                    out.push(v);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = match p.iter().position(|b| *b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &p[p.len()..]),
            };
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// The allow-list's refusal: 403, an HTML page, no OAuth error.
fn blocked() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<html><body><h1>403 Forbidden</h1>Request blocked: this address is not on the client's allow-list (register it with --allow-ip).</body></html>",
    )
        .into_response()
}

fn is_grant_error(e: &VerifyError) -> bool {
    matches!(
        e,
        VerifyError::Expired { .. }
            | VerifyError::LifetimeTooLong { .. }
            | VerifyError::IssuedInFuture { .. }
            | VerifyError::NotYetValid { .. }
            | VerifyError::Replay { .. }
    )
}

async fn token(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
        .unwrap_or(false);
    if !form_type {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the token request must be application/x-www-form-urlencoded (RFC 6749 section 4.4.2)",
        );
    }
    let Some(params) = parse_form(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the form body is not valid URL encoding",
        );
    };
    let get = |name: &str| -> Result<Option<String>, Response> {
        let mut it = params.iter().filter(|(k, _)| k == name);
        let first = it.next().map(|(_, v)| v.clone());
        if it.next().is_some() {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!("the parameter {name} is repeated (RFC 6749 section 3.2)"),
            ));
        }
        Ok(first)
    };
    macro_rules! param {
        ($n:expr) => {
            match get($n) {
                Ok(v) => v,
                Err(r) => return r,
            }
        };
    }
    let grant_type = param!("grant_type");
    let assertion_type = param!("client_assertion_type");
    let assertion = param!("client_assertion");
    let scope = param!("scope");
    match grant_type.as_deref() {
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing",
            );
        }
        Some("client_credentials") => {}
        Some(other) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported; use client_credentials"),
            );
        }
    }
    let (Some(assertion_type), Some(assertion)) = (assertion_type, assertion) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required: send client_assertion_type and client_assertion (private_key_jwt)",
        );
    };
    if assertion_type != wipo_oidc::CLIENT_ASSERTION_TYPE {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!(
                "client_assertion_type must be {}",
                wipo_oidc::CLIENT_ASSERTION_TYPE
            ),
        );
    }
    let clients = match app.store.clients() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot read clients");
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the sandbox state cannot be read",
            );
        }
    };
    let mut registry = ClientRegistry::new();
    for c in &clients {
        if let Err(e) = registry.register_certificate_pem(&c.client_id, &c.cert_pem, None) {
            tracing::warn!(client = %c.client_id, error = %e, "registered certificate unreadable");
        }
    }
    let policy = VerifyPolicy::new(app.urls.token_endpoint.clone());
    let now = app.clock().now_unix();
    let verified = match wipo_oidc::verify(&assertion, &registry, &policy, &app.replay, now) {
        Ok(v) => v,
        Err(e) => {
            let (status, code) = if matches!(e, VerifyError::ReplayCacheFull { .. }) {
                (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable")
            } else if is_grant_error(&e) {
                (StatusCode::BAD_REQUEST, "invalid_grant")
            } else {
                (StatusCode::UNAUTHORIZED, "invalid_client")
            };
            return oauth_error(status, code, e.to_string());
        }
    };
    let Some(client) = clients
        .into_iter()
        .find(|c| c.client_id == verified.client_id)
    else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the client is not registered",
        );
    };
    let ip = peer.ip().to_canonical().to_string();
    if !client.allowed_ips.contains(&ip) {
        tracing::info!(client = %client.client_id, %ip, "token request from an address not registered for the client");
        return blocked();
    }
    let scopes: Vec<String> = match scope.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => client.scopes.clone(),
        Some(s) => s
            .split(' ')
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    if let Some(bad) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!(
                "client {} is not registered for the scope {bad:?}",
                client.client_id
            ),
        );
    }
    let mut raw = [0u8; 32];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut raw).is_err() {
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "no randomness available",
        );
    }
    let access_token = URL_SAFE_NO_PAD.encode(raw);
    let sha = token_sha(&access_token);
    let lifetime = app.cfg.token_lifetime.as_secs();
    let expires_at = now + lifetime;
    let scope_s = scopes.join(" ");
    if let Err(e) = app
        .store
        .put_token(&sha, &client.client_id, &scope_s, expires_at)
    {
        tracing::error!(error = %e, "cannot record a token");
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the sandbox state cannot be written",
        );
    }
    app.tokens
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(
            sha,
            IssuedToken {
                client_id: client.client_id.clone(),
                scopes,
                expires_at,
            },
        );
    tracing::info!(client = %client.client_id, scope = %scope_s, "token issued");
    let mut r = json(
        StatusCode::OK,
        &serde_json::json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope_s,
        }),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// SHA-256 (hex) of a token: the key tokens are stored under, so the state never holds one.
pub(crate) fn token_sha(token: &str) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Why a Bearer token was refused (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    Missing,
    Malformed,
    Unknown,
    Expired,
    Scope,
}

/// The client behind a valid Bearer token with `scope`.
pub(crate) fn check_bearer(
    app: &Shared,
    headers: &HeaderMap,
    scope: &str,
) -> Result<String, BearerError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(BearerError::Missing)?;
    let value = value.to_str().map_err(|_| BearerError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))
    {
        return Err(BearerError::Malformed);
    }
    let sha = token_sha(token);
    let tokens = app
        .tokens
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let t = tokens.get(&sha).ok_or(BearerError::Unknown)?;
    if app.clock().now_unix() >= t.expires_at {
        return Err(BearerError::Expired);
    }
    if !t.scopes.iter().any(|s| s == scope) {
        return Err(BearerError::Scope);
    }
    Ok(t.client_id.clone())
}

impl BearerError {
    /// 401 with `WWW-Authenticate: Bearer` and an HWS error document.
    pub(crate) fn response(self) -> Response {
        let (err, msg, hint) = match self {
            BearerError::Missing => (
                None,
                "no access token: send Authorization: Bearer <token>",
                "get a token from the token endpoint first",
            ),
            BearerError::Malformed => (
                Some("invalid_request"),
                "the Authorization header is not `Bearer <token>`",
                "send Authorization: Bearer <token>",
            ),
            BearerError::Unknown => (
                Some("invalid_token"),
                "the access token is unknown or was revoked",
                "get a new token",
            ),
            BearerError::Expired => (
                Some("invalid_token"),
                "the access token has expired",
                "get a new token",
            ),
            BearerError::Scope => (
                Some("insufficient_scope"),
                "the access token was not issued for this API's scope",
                "request a token with the HWS scope",
            ),
        };
        let challenge = match err {
            None => "Bearer realm=\"hws\"".to_owned(),
            Some(e) => format!("Bearer realm=\"hws\", error=\"{e}\""),
        };
        let mut r = crate::app::hws_error(
            StatusCode::UNAUTHORIZED,
            hws_client::wire::error_codes::UNAUTHORIZED,
            msg,
            Some(hint),
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        r.into_response()
    }
}
