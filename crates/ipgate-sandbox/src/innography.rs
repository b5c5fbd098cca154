//! The Innography API, emulated (base path `/innography`): HMAC authentication checked with
//! `innography-hmac`'s verifier (5-minute window, `Content-MD5` equal to the body), per-API
//! version negotiation (order and q-values, `300 Multiple Choices`), `Content-Type` with version
//! and patch, the Cases API's 1 request/second per consumer, and deterministic answers for
//! `/private-pair/account` and a Cases lookup by IP ID (`/cases/documents?ipId=...`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use innography_hmac::{
    Secret, Selection, Verifier, VerifyRequest, content_type_for, multiple_choices_body,
    select_version,
};

use crate::app::Shared;
use crate::faults::splitmix64;

pub(crate) fn routes() -> Router<Shared> {
    Router::new().fallback(handle)
}

fn error(app: &Shared, status: StatusCode, message: &str) -> Response {
    let mut r = crate::app::json(
        status,
        &serde_json::json!({"status": "error", "message": message}),
    );
    if let Ok(v) = HeaderValue::from_str(&innography_hmac::format_date(app.clock().now())) {
        r.headers_mut().insert(header::DATE, v);
    }
    r
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let q = uri.query()?;
    crate::oidc::parse_form(q.as_bytes())?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

async fn handle(
    State(app): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let now = app.clock().now();
    let req = VerifyRequest {
        authorization: h(header::AUTHORIZATION),
        date: h(header::DATE),
        content_md5: headers.get("content-md5").and_then(|v| v.to_str().ok()),
        body: &body,
    };
    let verified =
        match Verifier::new().verify(&req, now, |user| match app.store.consumer_secret(user) {
            Ok(s) => s.map(Secret::new),
            Err(e) => {
                tracing::error!(error = %e, "cannot read consumers");
                None
            }
        }) {
            Ok(v) => v,
            Err(e) => return error(&app, StatusCode::UNAUTHORIZED, &e.to_string()),
        };
    let path = uri.path().trim_start_matches('/');
    let slug = path.split('/').next().unwrap_or("");
    let Some(offered) = app.cfg.innography_versions.offered(slug) else {
        return error(&app, StatusCode::NOT_FOUND, &format!("no API {slug:?}"));
    };
    let version = match select_version(h(header::ACCEPT), offered) {
        Selection::Version(v) => v,
        Selection::MultipleChoices => {
            let mut r =
                (StatusCode::MULTIPLE_CHOICES, multiple_choices_body(offered)).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            return r;
        }
    };
    let user = verified.username;
    let answer = match (slug, path) {
        ("private-pair", "private-pair/account")
            if method == Method::GET || method == Method::POST =>
        {
            let h = splitmix64(
                app.cfg.seed ^ user.bytes().fold(0u64, |a, b| splitmix64(a ^ u64::from(b))),
            );
            serde_json::json!({
                "status": "success",
                "result": {
                    "username": user,
                    "customer_number": 10_000 + (h % 90_000),
                    "queues": ["pair-documents", "pair-status"],
                    "active": true,
                }
            })
        }
        ("cases", "cases/documents") if method == Method::GET => {
            let Some(ip_id) = query_param(&uri, "ipId").filter(|s| !s.is_empty()) else {
                return error(
                    &app,
                    StatusCode::BAD_REQUEST,
                    "the ipId query parameter is required, e.g. ?ipId=US-1234567-B2",
                );
            };
            let last_ok = {
                let mut last = app
                    .cases_last
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let interval = app.cfg.cases_interval;
                match last
                    .get(&user)
                    .and_then(|t| now.duration_since(*t).ok().map(|d| (d, *t)))
                {
                    Some((since, _)) if since < interval => Err(interval - since),
                    _ => {
                        last.insert(user.clone(), now);
                        Ok(())
                    }
                }
            };
            if let Err(wait) = last_ok {
                let mut r = error(
                    &app,
                    StatusCode::TOO_MANY_REQUESTS,
                    "the Cases API allows 1 query/second per consumer",
                );
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
                return r;
            }
            cases_answer(app.cfg.seed, &ip_id)
        }
        _ => {
            return error(
                &app,
                StatusCode::NOT_FOUND,
                &format!(
                    "no endpoint /{path} (this sandbox answers /private-pair/account and /cases/documents?ipId=...)"
                ),
            );
        }
    };
    let mut r = (StatusCode::OK, answer.to_string()).into_response();
    if let Ok(v) = HeaderValue::from_str(&content_type_for(
        version,
        Some(app.cfg.innography_versions.patch),
    )) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&innography_hmac::format_date(now)) {
        r.headers_mut().insert(header::DATE, v);
    }
    r
}

/// The public documents of an IP ID: a function of the seed and the IP ID only.
fn cases_answer(seed: u64, ip_id: &str) -> serde_json::Value {
    let mut h = ip_id
        .bytes()
        .fold(splitmix64(seed), |a, b| splitmix64(a ^ u64::from(b)));
    let kinds = [
        "Application",
        "Search report",
        "Office action",
        "Response",
        "Grant",
    ];
    let n = 1 + (h % 4) as usize;
    let docs: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            h = splitmix64(h);
            let day = 1 + (h % 28);
            let month = 1 + ((h >> 8) % 12);
            serde_json::json!({
                "document_id": format!("{ip_id}-D{:02}", i + 1),
                "kind": kinds[i % kinds.len()],
                "date": format!("20{:02}-{month:02}-{day:02}", 15 + (h >> 16) % 10),
                "pages": 1 + (h >> 24) % 40,
            })
        })
        .collect();
    serde_json::json!({"status": "success", "result": {"ip_id": ip_id, "documents": docs}})
}
