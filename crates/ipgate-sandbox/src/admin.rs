//! The sandbox's own routes under `/_sandbox`: `GET /_sandbox/health` for anyone, and the admin
//! API, which answers loopback callers only (403 otherwise):
//!
//! | route | effect |
//! |---|---|
//! | `POST /_sandbox/admin/reset[?registrations=true]` | forget imports, service requests, tokens, published weeks (and clients and consumers) |
//! | `GET /_sandbox/admin/received` | every package received, with its SHA-256, duplicate, state now |
//! | `GET /_sandbox/admin/clients` | registered clients and Innography consumers (no secrets) |
//! | `GET /_sandbox/admin/requests[?route=cases]` | the most recent requests (method, target, route, status, selected headers) |
//! | `POST /_sandbox/admin/requests/{srn}/status` body `{"status":"Abandoned"}` | force a service request's status |
//! | `POST /_sandbox/admin/publish/{weekId}` | publish that week's issue now |
//! | `GET` / `PUT /_sandbox/admin/faults` (body: a fault spec) | read or replace the fault rules |

use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use hws_client::WeekId;
use hws_client::wire::ServiceRequestStatusCategory;
use serde_json::json;

use crate::app::{Shared, json as json_resp};
use crate::faults::FaultSpec;

pub(crate) fn routes() -> Router<Shared> {
    let admin = Router::new()
        .route("/reset", post(reset))
        .route("/received", get(received))
        .route("/clients", get(clients))
        .route("/requests", get(requests))
        .route("/requests/{srn}/status", post(force_status))
        .route("/publish/{week}", post(publish))
        .route("/faults", get(get_faults).put(put_faults))
        .layer(axum::middleware::from_fn(loopback_only));
    Router::new()
        .route("/health", get(health))
        .nest("/admin", admin)
}

fn err(status: StatusCode, message: impl Into<String>) -> Response {
    json_resp(status, &json!({"error": message.into()}))
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if peer.ip().to_canonical().is_loopback() {
        next.run(req).await
    } else {
        err(
            StatusCode::FORBIDDEN,
            "the admin API answers loopback callers only",
        )
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    err(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

async fn health(State(app): State<Shared>) -> Response {
    json_resp(
        StatusCode::OK,
        &json!({
            "status": "ok",
            "seed": app.cfg.seed,
            "tls": app.cfg.tls,
            "urls": app.urls,
            "faults": app.faults.spec().to_string(),
        }),
    )
}

#[derive(Debug, serde::Deserialize)]
struct ResetQuery {
    #[serde(default)]
    registrations: bool,
}

async fn reset(State(app): State<Shared>, Query(q): Query<ResetQuery>) -> Response {
    if let Err(e) = app.store.reset(q.registrations) {
        return internal(e);
    }
    app.tokens
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    app.cases_last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clear();
    app.publications.clear();
    app.requests.clear();
    tracing::info!(registrations = q.registrations, "sandbox reset");
    json_resp(
        StatusCode::OK,
        &json!({"reset": true, "registrations": q.registrations}),
    )
}

async fn received(State(app): State<Shared>) -> Response {
    let imports = match app.store.imports() {
        Ok(i) => i,
        Err(e) => return internal(e),
    };
    let now = app.now_ms();
    let mut out = Vec::new();
    for rec in imports {
        let state = app.lifecycle.import_state(&rec, now);
        let sr = match &rec.srn {
            Some(srn) => match app.store.service_request(srn) {
                Ok(Some(sr)) => app.lifecycle.sr_view(&sr, &rec, now).map(|v| {
                    json!({"srn": srn, "record_id": sr.record_id, "status": v.status, "irn": v.irn,
                           "publication_week": v.publication_week})
                }),
                Ok(None) => None,
                Err(e) => return internal(e),
            },
            None => None,
        };
        out.push(json!({
            "import_id": rec.import_id,
            "client_id": rec.client_id,
            "sha256": rec.sha256,
            "size": rec.size,
            "received_ms": rec.received_ms,
            "valid": rec.valid,
            "duplicate_of": rec.duplicate_of,
            "import_status": state.category(),
            "reasons": rec.reasons,
            "service_request": sr,
        }));
    }
    json_resp(StatusCode::OK, &json!({"received": out}))
}

async fn clients(State(app): State<Shared>) -> Response {
    let (clients, consumers) = match (app.store.clients(), app.store.consumers()) {
        (Ok(c), Ok(u)) => (c, u),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let clients: Vec<_> = clients
        .into_iter()
        .map(|c| {
            json!({"client_id": c.client_id, "scopes": c.scopes, "allowed_ips": c.allowed_ips,
                   "examining_office": c.examining_office, "office_code": c.office_code})
        })
        .collect();
    json_resp(
        StatusCode::OK,
        &json!({"clients": clients, "innography_consumers": consumers}),
    )
}

#[derive(Debug, serde::Deserialize)]
struct RequestsQuery {
    route: Option<String>,
}

async fn requests(State(app): State<Shared>, Query(q): Query<RequestsQuery>) -> Response {
    let list: Vec<_> = app
        .requests
        .list()
        .into_iter()
        .filter(|r| q.route.as_deref().is_none_or(|want| r.route == want))
        .collect();
    json_resp(StatusCode::OK, &json!({"requests": list}))
}

#[derive(Debug, serde::Deserialize)]
struct ForceBody {
    status: String,
}

async fn force_status(State(app): State<Shared>, Path(srn): Path<String>, body: Bytes) -> Response {
    let Ok(b) = serde_json::from_slice::<ForceBody>(&body) else {
        return err(
            StatusCode::BAD_REQUEST,
            "the body must be JSON {\"status\": \"Registered\"}",
        );
    };
    let status = b.status.trim();
    let Ok(parsed) = status.parse::<ServiceRequestStatusCategory>();
    if status.is_empty() {
        return err(StatusCode::BAD_REQUEST, "the status is empty");
    }
    match app.store.force_status(&srn, parsed.as_str(), app.now_ms()) {
        Ok(true) => {
            app.publications.clear();
            json_resp(StatusCode::OK, &json!({"srn": srn, "status": parsed}))
        }
        Ok(false) => err(StatusCode::NOT_FOUND, format!("no service request {srn}")),
        Err(e) => internal(e),
    }
}

async fn publish(State(app): State<Shared>, Path(week): Path<String>) -> Response {
    let w: WeekId = match week.parse() {
        Ok(w) => w,
        Err(e) => return err(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let now = app.now_ms();
    if w.is_future(crate::lifecycle::date(now)) {
        return err(
            StatusCode::BAD_REQUEST,
            format!("week {w} is in the future; only the current or a past week can be published"),
        );
    }
    match app.store.publish(&w.to_string(), now) {
        Ok(()) => json_resp(StatusCode::OK, &json!({"published": w})),
        Err(e) => internal(e),
    }
}

async fn get_faults(State(app): State<Shared>) -> Response {
    json_resp(
        StatusCode::OK,
        &json!({"faults": app.faults.spec().to_string(), "seed": app.cfg.seed}),
    )
}

async fn put_faults(State(app): State<Shared>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match text.trim().parse::<FaultSpec>() {
        Ok(spec) => {
            app.faults.set(spec);
            tracing::info!(faults = %app.faults.spec(), "fault rules replaced");
            json_resp(
                StatusCode::OK,
                &json!({"faults": app.faults.spec().to_string(), "seed": app.cfg.seed}),
            )
        }
        Err(e) => err(StatusCode::BAD_REQUEST, e.to_string()),
    }
}
