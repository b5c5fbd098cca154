//! An in-test Innography server on 127.0.0.1, built on `innography_hmac`'s verifier and version
//! selector.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use innography_hmac::{
    ApiVersion, Secret, Selection, Verifier, VerifyRequest, content_type_for,
    multiple_choices_body, select_version,
};

pub const USER: &str = "obiwan";
pub const SECRET: &str = "74f43da743aa47c3a90a9c5ef493bc8d";

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Path and query, as on the request line.
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
}

#[derive(Debug, Default)]
pub struct Inner {
    pub clock_offset_secs: i64,
    pub seen: Mutex<Vec<Seen>>,
}

#[derive(Debug, Clone)]
pub struct TestServer {
    pub base: String,
    pub inner: Arc<Inner>,
}

impl TestServer {
    pub fn seen(&self) -> Vec<Seen> {
        self.inner
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
}

fn offered(slug: &str) -> Vec<ApiVersion> {
    match slug {
        "cases" => vec![ApiVersion::new(0, 6), ApiVersion::new(0, 7)],
        "private-pair" => vec![ApiVersion::new(0, 5), ApiVersion::new(0, 6)],
        _ => vec![ApiVersion::new(1, 0)],
    }
}

fn server_now(inner: &Inner) -> SystemTime {
    let now = SystemTime::now();
    let off = Duration::from_secs(inner.clock_offset_secs.unsigned_abs());
    if inner.clock_offset_secs >= 0 {
        now + off
    } else {
        now - off
    }
}

fn json_error(status: StatusCode, message: &str, now: SystemTime) -> Response {
    let body = serde_json::json!({"status": "error", "message": message}).to_string();
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::DATE, httpdate::fmt_http_date(now)),
        ],
        body,
    )
        .into_response()
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let path = uri.path().to_string();
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let n = {
        let mut seen = inner.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.push(Seen {
            method: method.to_string(),
            path: path.clone(),
            target: uri
                .path_and_query()
                .map_or_else(|| path.clone(), |pq| pq.as_str().to_string()),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: body.to_vec(),
            at,
        });
        seen.iter().filter(|s| s.path == path).count()
    };
    let now = server_now(&inner);
    let req = VerifyRequest {
        authorization: h(header::AUTHORIZATION),
        date: h(header::DATE),
        content_md5: headers.get("content-md5").and_then(|v| v.to_str().ok()),
        body: &body,
    };
    let verified =
        match Verifier::new().verify(&req, now, |u| (u == USER).then(|| Secret::new(SECRET))) {
            Ok(v) => v,
            Err(e) => return json_error(StatusCode::UNAUTHORIZED, &e.to_string(), now),
        };
    match (path.as_str(), n) {
        ("/cases/flaky", 1) => return json_error(StatusCode::SERVICE_UNAVAILABLE, "busy", now),
        ("/private-pair/throttled", 1) => {
            return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response();
        }
        ("/veritas/always-throttled", _) => {
            return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "0")]).into_response();
        }
        ("/cases/moved", _) => {
            return (
                StatusCode::FOUND,
                [(header::LOCATION, "https://elsewhere.invalid/")],
            )
                .into_response();
        }
        _ => {}
    }
    let slug = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let offered = offered(slug);
    let version = match select_version(h(header::ACCEPT), &offered) {
        Selection::Version(v) => v,
        Selection::MultipleChoices => {
            return (
                StatusCode::MULTIPLE_CHOICES,
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (header::DATE, httpdate::fmt_http_date(now)),
                    // A 300 may name a preferred choice; the client must not follow it.
                    (header::LOCATION, "/cases/preferred-choice".to_string()),
                ],
                multiple_choices_body(&offered),
            )
                .into_response();
        }
    };
    if path == "/cases/ignores-pin" {
        return (
            [(
                header::CONTENT_TYPE,
                content_type_for(ApiVersion::new(0, 7), None),
            )],
            "{}",
        )
            .into_response();
    }
    if path == "/cases/big" {
        return (
            [(header::CONTENT_TYPE, content_type_for(version, Some(3)))],
            vec![b'x'; 300_000],
        )
            .into_response();
    }
    let out = serde_json::json!({
        "user": verified.username,
        "algorithm": verified.algorithm.name(),
        "method": method.as_str(),
        "path": path,
        "version": version.to_string(),
        "body_len": body.len(),
    });
    (
        [
            (header::CONTENT_TYPE, content_type_for(version, Some(3))),
            (header::DATE, httpdate::fmt_http_date(now)),
        ],
        out.to_string(),
    )
        .into_response()
}

pub async fn start(clock_offset_secs: i64) -> TestServer {
    let inner = Arc::new(Inner {
        clock_offset_secs,
        ..Inner::default()
    });
    let app = Router::new().fallback(handle).with_state(inner.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestServer {
        base: format!("http://{addr}"),
        inner,
    }
}
