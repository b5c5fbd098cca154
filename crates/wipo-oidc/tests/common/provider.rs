//! A small OpenID provider on 127.0.0.1: discovery, a client-credentials token endpoint that checks
//! `private_key_jwt` assertions with `wipo_oidc::Verifier`, and one protected API route.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use wipo_oidc::{ClientRegistry, Clock, Verifier, VerifyPolicy};

/// What the provider knows and counts.
pub struct ProviderState {
    pub issuer: String,
    pub token_endpoint: String,
    pub verifier: Verifier,
    pub clock: Arc<dyn Clock>,
    pub allowed_scopes: Vec<String>,
    pub token_requests: AtomicUsize,
    pub discovery_requests: AtomicUsize,
    pub api_requests: AtomicUsize,
    pub token_delay_ms: AtomicU64,
    pub expires_in: AtomicU64,
    /// Simulates WIPO refusing a source address that is not on its allow-list.
    pub forbid: AtomicBool,
    /// Publishes this issuer in discovery instead of the real one.
    pub issuer_override: Mutex<Option<String>>,
    /// Publishes this token endpoint in discovery instead of the real one.
    pub token_endpoint_override: Mutex<Option<String>>,
    pub issued: Mutex<HashMap<String, u64>>,
    pub last_form: Mutex<Option<HashMap<String, String>>>,
    pub last_error: Mutex<Option<String>>,
}

/// A running provider.
pub struct Provider {
    pub base: String,
    pub state: Arc<ProviderState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Provider {
    /// Starts a provider with issuer `{base}/am/oauth2` and token endpoint
    /// `{base}/am/oauth2/access_token`, accepting `registry`'s clients and `scopes`.
    pub async fn start(registry: ClientRegistry, scopes: &[&str], clock: Arc<dyn Clock>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let base = format!("http://127.0.0.1:{}", addr.port());
        let issuer = format!("{base}/am/oauth2");
        let token_endpoint = format!("{base}/am/oauth2/access_token");
        let verifier = Verifier::new(registry, VerifyPolicy::new(&token_endpoint), clock.clone());
        let state = Arc::new(ProviderState {
            issuer,
            token_endpoint,
            verifier,
            clock,
            allowed_scopes: scopes.iter().map(|s| s.to_string()).collect(),
            token_requests: AtomicUsize::new(0),
            discovery_requests: AtomicUsize::new(0),
            api_requests: AtomicUsize::new(0),
            token_delay_ms: AtomicU64::new(0),
            expires_in: AtomicU64::new(3599),
            forbid: AtomicBool::new(false),
            issuer_override: Mutex::new(None),
            token_endpoint_override: Mutex::new(None),
            issued: Mutex::new(HashMap::new()),
            last_form: Mutex::new(None),
            last_error: Mutex::new(None),
        });
        let app = Router::new()
            .route(
                "/am/oauth2/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/am/oauth2/access_token", post(token))
            .route("/api/ping", get(ping))
            .route("/moved/access_token", post(moved))
            .route("/api/never", get(never))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, state, task }
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    pub fn token_endpoint(&self) -> &str {
        &self.state.token_endpoint
    }

    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::SeqCst)
    }

    /// Forgets every issued token, so the API answers 401.
    pub fn revoke_all(&self) {
        self.state.issued.lock().expect("lock").clear();
    }
}

async fn discovery(State(s): State<Arc<ProviderState>>) -> Response {
    s.discovery_requests.fetch_add(1, Ordering::SeqCst);
    let issuer = s
        .issuer_override
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or_else(|| s.issuer.clone());
    let token_endpoint = s
        .token_endpoint_override
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or_else(|| s.token_endpoint.clone());
    Json(json!({
        "issuer": issuer,
        "token_endpoint": token_endpoint,
        "jwks_uri": format!("{}/connect/jwk_uri", s.issuer),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
    }))
    .into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(
    State(s): State<Arc<ProviderState>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    s.token_requests.fetch_add(1, Ordering::SeqCst);
    *s.last_form.lock().expect("lock") = Some(form.clone());
    let delay = s.token_delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if s.forbid.load(Ordering::SeqCst) {
        return (
            StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>",
        )
            .into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "client_credentials only",
        );
    }
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "private_key_jwt required",
        );
    }
    let Some(assertion) = form.get("client_assertion") else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no client_assertion",
        );
    };
    let verified = match s.verifier.verify(assertion) {
        Ok(v) => v,
        Err(e) => {
            *s.last_error.lock().expect("lock") = Some(format!("{e:?}"));
            return oauth_error(StatusCode::UNAUTHORIZED, e.oauth_error(), &e.to_string());
        }
    };
    let scope = form.get("scope").cloned().unwrap_or_default();
    if !scope
        .split(' ')
        .all(|sc| s.allowed_scopes.iter().any(|a| a == sc))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope not allowed for this client",
        );
    }
    let expires_in = s.expires_in.load(Ordering::SeqCst);
    let token = format!(
        "at-{}-{}",
        verified.client_id,
        uuid::Uuid::new_v4().simple()
    );
    s.issued
        .lock()
        .expect("lock")
        .insert(token.clone(), s.clock.now_unix() + expires_in);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": scope,
        })),
    )
        .into_response()
}

async fn ping(State(s): State<Arc<ProviderState>>, headers: HeaderMap) -> Response {
    s.api_requests.fetch_add(1, Ordering::SeqCst);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let valid = token.is_some_and(|t| {
        s.issued
            .lock()
            .expect("lock")
            .get(t)
            .is_some_and(|exp| *exp > s.clock.now_unix())
    });
    if valid {
        (StatusCode::OK, "pong").into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "",
        )
            .into_response()
    }
}

/// A token endpoint that moved: 307 to the real one (clients must not follow it).
async fn moved(State(s): State<Arc<ProviderState>>) -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, s.token_endpoint.clone())],
        "",
    )
        .into_response()
}

/// An API route that refuses every token.
async fn never(State(s): State<Arc<ProviderState>>) -> Response {
    s.api_requests.fetch_add(1, Ordering::SeqCst);
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        "",
    )
        .into_response()
}
