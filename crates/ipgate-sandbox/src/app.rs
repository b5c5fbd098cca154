//! The shared state of a running sandbox, the router, and the fault-injection layer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use hws_client::wire::{self, ErrorDocument};
use ipgate_base::clock::Clock;

use crate::config::SandboxConfig;
use crate::faults::{FaultKind, Faults, Route};
use crate::lifecycle::Lifecycle;
use crate::store::Store;

/// The base URLs of a running sandbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Urls {
    /// `http(s)://127.0.0.1:PORT`.
    pub base: String,
    /// The OIDC issuer (`…/am/oauth2`).
    pub issuer: String,
    /// The token endpoint (`…/am/oauth2/access_token`), the `aud` of client assertions.
    pub token_endpoint: String,
    /// The HWS base URL (`…/webservices/api/v1`).
    pub hws: String,
    /// The Innography base URL (`…/innography`).
    pub innography: String,
}

impl Urls {
    pub(crate) fn new(base: &str, cfg: &SandboxConfig) -> Self {
        let issuer = format!("{base}{}", cfg.issuer_path);
        Urls {
            base: base.to_owned(),
            token_endpoint: format!("{issuer}/access_token"),
            issuer,
            hws: format!("{base}{}", cfg.hws_path),
            innography: format!("{base}{}", cfg.innography_path),
        }
    }
}

/// One request the sandbox answered, as the admin API lists it (for tests that count attempts or
/// check what a client sent). Never holds a secret: of `Authorization` only the scheme is kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RequestRecord {
    /// Order of arrival (1, 2, ...).
    pub seq: u64,
    /// When it arrived (sandbox clock, ms since the epoch).
    pub at_ms: i64,
    /// Method.
    pub method: String,
    /// Path and query as sent.
    pub target: String,
    /// The fault route it belongs to (`ping`, `submit`, `cases`, ...).
    pub route: String,
    /// The status answered; `None` when the connection was reset instead.
    pub status: Option<u16>,
    /// The `Authorization` scheme (`Bearer`, `hmac`), if any.
    pub auth_scheme: Option<String>,
    /// Selected request headers: accept, content-type, content-length, content-md5, date,
    /// user-agent, range, if-range, if-none-match; on Innography routes also `authorization`
    /// (an HMAC signature, which does not reveal the secret; Bearer tokens are never kept).
    pub headers: std::collections::BTreeMap<String, String>,
    /// On Innography routes, the request body (up to 1 MiB), base64 in JSON.
    #[serde(serialize_with = "ser_body", skip_serializing_if = "Option::is_none")]
    pub body: Option<Vec<u8>>,
}

fn ser_body<S: serde::Serializer>(body: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine as _;
    match body {
        Some(b) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(b)),
        None => s.serialize_none(),
    }
}

/// Bodies kept by the request log (Innography routes only).
const LOGGED_BODY_MAX: usize = 1 << 20;

/// The most recent requests (at most [`RequestLog::CAPACITY`]).
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    items: Mutex<std::collections::VecDeque<RequestRecord>>,
    seq: std::sync::atomic::AtomicU64,
}

impl RequestLog {
    pub const CAPACITY: usize = 10_000;
    const HEADERS: [&'static str; 9] = [
        "accept",
        "content-type",
        "content-length",
        "content-md5",
        "date",
        "user-agent",
        "range",
        "if-range",
        "if-none-match",
    ];

    fn push(&self, mut rec: RequestRecord) {
        rec.seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let mut items = self
            .items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if items.len() >= Self::CAPACITY {
            items.pop_front();
        }
        items.push_back(rec);
    }

    pub fn list(&self) -> Vec<RequestRecord> {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.items
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// A token the sandbox issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedToken {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: u64,
}

/// Everything the handlers share.
pub(crate) struct App {
    pub cfg: SandboxConfig,
    pub urls: Urls,
    pub store: Store,
    pub faults: Faults,
    pub lifecycle: Lifecycle,
    /// Issued tokens by SHA-256 (hex) of the token.
    pub tokens: RwLock<HashMap<String, IssuedToken>>,
    pub replay: wipo_oidc::ReplayCache,
    /// Last accepted Cases request per consumer.
    pub cases_last: Mutex<HashMap<String, SystemTime>>,
    /// Publications already laid out.
    pub publications: crate::publish::PublicationCache,
    /// What was asked.
    pub requests: RequestLog,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn clock(&self) -> &dyn Clock {
        self.cfg.clock.as_ref()
    }

    pub fn now_ms(&self) -> i64 {
        self.clock()
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }

    /// Which fault route a request is, or `None` for the sandbox's own routes.
    pub fn classify(&self, method: &Method, path: &str) -> Option<Route> {
        if path.starts_with("/_sandbox") {
            return None;
        }
        let cfg = &self.cfg;
        if let Some(rest) = path.strip_prefix(cfg.issuer_path.as_str()) {
            return Some(if rest == "/access_token" {
                Route::Token
            } else {
                Route::Discovery
            });
        }
        if let Some(rest) = path.strip_prefix(cfg.hws_path.as_str()) {
            return Some(if rest.starts_with("/pingMe") {
                Route::Ping
            } else if rest == "/request" && method == Method::POST {
                Route::Submit
            } else if rest.starts_with("/request/import/") {
                Route::ImportStatus
            } else if rest.starts_with("/publication/bulletin/") {
                Route::Bulletin
            } else if rest.starts_with("/publication/copy/confidential/") {
                Route::Confidential
            } else {
                Route::RequestStatus
            });
        }
        if let Some(rest) = path.strip_prefix(cfg.innography_path.as_str()) {
            return Some(if rest.starts_with("/cases") {
                Route::Cases
            } else if rest.starts_with("/private-pair/account") {
                Route::Account
            } else {
                Route::Innography
            });
        }
        Some(Route::All)
    }
}

pub(crate) type Shared = Arc<App>;

/// Marks a response that must not be sent: the connection is reset instead (see `net`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AbortConnection;

pub(crate) fn abort() -> Response {
    let mut r = Response::new(Body::empty());
    r.extensions_mut().insert(AbortConnection);
    r
}

/// An HWS error document.
pub(crate) fn hws_error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    hint: Option<&str>,
) -> Response {
    let doc = ErrorDocument {
        code: code.into(),
        message: message.into(),
        hint: hint.map(str::to_owned),
    };
    xml(status, doc.to_xml())
}

/// An XML answer.
pub(crate) fn xml(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, wire::CONTENT_TYPE)], body).into_response()
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// The answer to a status fault, shaped like the route's normal errors.
fn fault_response(route: Route, status: StatusCode, retry_after: Option<u64>) -> Response {
    let msg = format!("injected fault: {}", status);
    let mut resp = match route {
        Route::Token | Route::Discovery => json(
            status,
            &serde_json::json!({"error": if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE { "temporarily_unavailable" } else { "server_error" }, "error_description": msg}),
        ),
        Route::Innography | Route::Cases | Route::Account => json(
            status,
            &serde_json::json!({"status": "error", "message": msg}),
        ),
        _ => {
            let code = match status {
                StatusCode::TOO_MANY_REQUESTS => wire::error_codes::TOO_MANY_REQUESTS,
                StatusCode::INTERNAL_SERVER_ERROR => wire::error_codes::INTERNAL_ERROR,
                _ => wire::error_codes::UNAVAILABLE,
            };
            hws_error(status, code, msg, Some("retry later"))
        }
    };
    if let Some(s) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    resp
}

/// The fault-injection layer: decides per request (seeded), delays, answers or resets instead of
/// the handler, or mangles the handler's answer.
pub(crate) async fn fault_layer(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let Some(route) = app.classify(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let mut rec = RequestRecord {
        seq: 0,
        at_ms: app.now_ms(),
        method: req.method().to_string(),
        target: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned()),
        route: route.name().to_owned(),
        status: None,
        auth_scheme: req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_whitespace().next())
            .map(str::to_owned),
        body: None,
        headers: RequestLog::HEADERS
            .iter()
            .filter_map(|h| {
                Some((
                    (*h).to_owned(),
                    req.headers().get(*h)?.to_str().ok()?.to_owned(),
                ))
            })
            .collect(),
    };
    let innography = matches!(route, Route::Innography | Route::Cases | Route::Account);
    let req = if innography {
        if let Some(v) = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            && v.trim_start().to_ascii_lowercase().starts_with("hmac")
        {
            rec.headers.insert("authorization".into(), v.to_owned());
        }
        let small = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_none_or(|n| n <= LOGGED_BODY_MAX);
        if small {
            let (parts, body) = req.into_parts();
            match axum::body::to_bytes(body, LOGGED_BODY_MAX).await {
                Ok(bytes) => {
                    rec.body = Some(bytes.to_vec());
                    Request::from_parts(parts, Body::from(bytes))
                }
                Err(_) => {
                    let resp = json(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &serde_json::json!({"status": "error", "message": "the request body is larger than 1 MiB"}),
                    );
                    rec.status = Some(resp.status().as_u16());
                    app.requests.push(rec);
                    return resp;
                }
            }
        } else {
            req
        }
    } else {
        req
    };
    let resp = answer(&app, route, req, next).await;
    if resp.extensions().get::<AbortConnection>().is_none() {
        rec.status = Some(resp.status().as_u16());
    }
    app.requests.push(rec);
    resp
}

async fn answer(app: &Shared, route: Route, req: Request, next: Next) -> Response {
    let d = app.faults.decide(route);
    if d.before.is_some() || d.after.is_some() || !d.delay.is_zero() {
        tracing::info!(route = route.name(), before = ?d.before, after = ?d.after, delay_ms = d.delay.as_millis() as u64, "fault injected");
    }
    if !d.delay.is_zero() {
        tokio::time::sleep(d.delay).await;
    }
    match d.before {
        Some(FaultKind::ResetBefore | FaultKind::Down) => return abort(),
        Some(FaultKind::Status500) => {
            return fault_response(route, StatusCode::INTERNAL_SERVER_ERROR, None);
        }
        Some(FaultKind::Status502 { retry_after }) => {
            return fault_response(route, StatusCode::BAD_GATEWAY, retry_after);
        }
        Some(FaultKind::Status503 { retry_after }) => {
            return fault_response(route, StatusCode::SERVICE_UNAVAILABLE, retry_after);
        }
        Some(FaultKind::TooManyRequests { retry_after }) => {
            return fault_response(route, StatusCode::TOO_MANY_REQUESTS, Some(retry_after));
        }
        Some(FaultKind::Redirect) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            r.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static(crate::faults::REDIRECT_LOCATION),
            );
            return r;
        }
        _ => {}
    }
    let resp = next.run(req).await;
    match d.after {
        Some(FaultKind::ResetAfter) => abort(),
        Some(FaultKind::Truncate { bytes }) => truncate(resp, bytes),
        Some(FaultKind::Overlong { bytes }) => overlong(resp, bytes),
        Some(FaultKind::NotXml) => not_xml(resp),
        Some(FaultKind::Slow { bytes_per_sec }) => slow(resp, bytes_per_sec),
        Some(FaultKind::Version { major, minor }) => {
            other_version(resp, major, minor, app.cfg.innography_versions.patch)
        }
        _ => resp,
    }
}

/// Labels an Innography answer with another version than the one negotiated (a server ignoring
/// the client's pin).
fn other_version(mut resp: Response, major: u32, minor: u32, patch: u32) -> Response {
    let innography = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(innography_hmac::MEDIA_TYPE));
    if innography
        && let Ok(v) = HeaderValue::from_str(&innography_hmac::content_type_for(
            innography_hmac::ApiVersion::new(major, minor),
            Some(patch),
        ))
    {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

fn body_len(resp: &Response) -> Option<u64> {
    if let Some(v) = resp.headers().get(header::CONTENT_LENGTH) {
        return v.to_str().ok().and_then(|s| s.parse().ok());
    }
    axum::body::HttpBody::size_hint(resp.body()).exact()
}

/// Announces the full length, sends `keep` bytes (default half), then fails the body so the
/// connection closes mid-answer.
fn truncate(resp: Response, keep: Option<u64>) -> Response {
    let Some(len) = body_len(&resp) else {
        return resp;
    };
    let keep = keep.unwrap_or(len / 2).min(len.saturating_sub(1));
    let (mut parts, body) = resp.into_parts();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    // The kept bytes end the stream first; the error comes after a pause, so hyper has flushed
    // them to the socket before it aborts the connection (an error in the same poll would drop
    // what was still in its write buffer, and the client would see fewer bytes than announced
    // here, sometimes none).
    let stream = body.into_data_stream().scan(keep, |left, chunk| {
        let item = match chunk {
            Err(e) => Some(Err(std::io::Error::other(e))),
            Ok(_) if *left == 0 => None,
            Ok(chunk) => {
                let take = (chunk.len() as u64).min(*left);
                *left -= take;
                Some(Ok(chunk.slice(..take as usize)))
            }
        };
        std::future::ready(item)
    });
    let stream = stream.chain(futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err::<bytes::Bytes, _>(std::io::Error::other("injected fault: truncated body"))
    }));
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Announces a `Content-Length` `extra` bytes (default half) shorter than the body, and closes
/// the connection after the answer. hyper, like any HTTP/1.1 stack, writes only the announced
/// bytes: a client sees a body that looks complete and is a prefix of the file, which is what a
/// server (or a cache) whose file is longer than the length it announced looks like on the wire.
fn overlong(resp: Response, extra: Option<u64>) -> Response {
    let Some(len) = body_len(&resp) else {
        return resp;
    };
    let extra = extra.unwrap_or(len / 2).min(len);
    let (mut parts, body) = resp.into_parts();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len - extra));
    parts
        .headers
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    Response::from_parts(parts, body)
}

/// What a proxy in front of HWS answers when HWS is not there: HTML, whatever was asked.
const NOT_XML_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.<br>Please try again later.</p></body></html>\n";

/// Replaces the body by an HTML page, keeping the status and the `Content-Type` (a status
/// document that is not XML although it says so).
fn not_xml(resp: Response) -> Response {
    let (mut parts, _) = resp.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ETAG);
    parts.headers.remove(header::CONTENT_RANGE);
    Response::from_parts(parts, Body::from(NOT_XML_PAGE))
}

/// Sends the body at `bps` bytes per second, in tenth-of-a-second slices.
fn slow(resp: Response, bps: u64) -> Response {
    let len = body_len(&resp);
    let (mut parts, body) = resp.into_parts();
    if let Some(len) = len {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let slice = (bps / 10).max(1) as usize;
    let tick = Duration::from_secs_f64(slice as f64 / bps as f64);
    let stream = body
        .into_data_stream()
        .map(move |chunk| {
            let pieces: Vec<Result<bytes::Bytes, axum::Error>> = match chunk {
                Ok(c) => (0..c.len())
                    .step_by(slice)
                    .map(|i| Ok(c.slice(i..(i + slice).min(c.len()))))
                    .collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(pieces)
        })
        .flatten()
        .then(move |piece| async move {
            tokio::time::sleep(tick).await;
            piece
        });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The whole router: OIDC, HWS, Innography, the sandbox's own routes, and the fault layer.
pub(crate) fn router(app: Shared) -> Router {
    let cfg = &app.cfg;
    Router::new()
        .nest(&cfg.issuer_path, crate::oidc::routes())
        .nest(&cfg.hws_path, crate::hws::routes(app.clone()))
        .nest(&cfg.innography_path, crate::innography::routes())
        .nest("/_sandbox", crate::admin::routes())
        .fallback(|| async {
            hws_error(
                StatusCode::NOT_FOUND,
                wire::error_codes::NOT_FOUND,
                "no such route on this sandbox",
                Some("see docs/sandbox.md for the routes"),
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            fault_layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            crate::date::date_layer,
        ))
        .with_state(app)
}
