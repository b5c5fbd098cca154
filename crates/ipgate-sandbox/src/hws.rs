//! Hague Web Services, emulated (base path `/webservices/api/v1`): `pingMe`, `POST /request`,
//! the import and service-request statuses, and the publication downloads. Every route requires a
//! Bearer token for the HWS scope ("secure authentication is required on every endpoint").

use std::path::PathBuf;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use hws_client::wire::{
    HelloMessage, ImportId, ImportState, ImportStatus, ServiceRequestNumber, ServiceRequestStatus,
    error_codes as codes,
};

use crate::app::{Shared, hws_error, xml};
use crate::faults::splitmix64;
use crate::oidc::{check_bearer, hex};
use crate::store::{ImportRecord, SrRecord, StoredReason};

/// The authenticated client of a request.
#[derive(Debug, Clone)]
pub(crate) struct ClientId(pub String);

pub(crate) fn routes(app: Shared) -> Router<Shared> {
    Router::new()
        .route("/pingMe", get(ping))
        .route("/request", post(submit).layer(DefaultBodyLimit::disable()))
        .route("/request/import/{import_id}", get(import_status))
        .route("/request/{srn}", get(request_status))
        .route(
            "/publication/bulletin/{week}",
            get(crate::publish::bulletin),
        )
        .route(
            "/publication/copy/confidential/{week}",
            get(crate::publish::confidential),
        )
        .fallback(|| async {
            hws_error(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                "no such HWS route",
                Some("see docs/sandbox.md for the routes"),
            )
        })
        .method_not_allowed_fallback(|| async {
            hws_error(
                StatusCode::METHOD_NOT_ALLOWED,
                codes::BAD_REQUEST,
                "method not allowed on this HWS route",
                None,
            )
        })
        .layer(axum::middleware::from_fn_with_state(app, bearer_layer))
}

async fn bearer_layer(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    match check_bearer(&app, req.headers(), &app.cfg.hws_scope) {
        Ok(client) => {
            req.extensions_mut().insert(ClientId(client));
            next.run(req).await
        }
        Err(e) => e.response(),
    }
}

#[derive(Debug, serde::Deserialize)]
struct PingQuery {
    name: Option<String>,
}

async fn ping(Query(q): Query<PingQuery>) -> Response {
    xml(
        StatusCode::OK,
        HelloMessage::for_name(q.name.as_deref()).to_xml(),
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "sandbox failure");
    hws_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        codes::INTERNAL_ERROR,
        "the sandbox failed; see its log",
        None,
    )
}

/// The one file of a `multipart/form-data` body (RFC 7578), when there is exactly one part with a
/// file name.
fn multipart_file(content_type: &str, body: &[u8]) -> Result<Bytes, &'static str> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or("the multipart Content-Type has no boundary")?;
    let delim = format!("--{boundary}");
    let find = |hay: &[u8], from: usize, needle: &[u8]| -> Option<usize> {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|i| i + from)
    };
    let mut pos =
        find(body, 0, delim.as_bytes()).ok_or("the multipart body has no boundary line")?;
    let mut files = Vec::new();
    loop {
        pos += delim.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        let head_start = pos + 2; // CRLF after the boundary
        let head_end =
            find(body, head_start, b"\r\n\r\n").ok_or("a multipart part has no header end")?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]).to_ascii_lowercase();
        let data_start = head_end + 4;
        let next = find(body, data_start, format!("\r\n{delim}").as_bytes())
            .ok_or("the multipart body is not closed")?;
        if head.contains("filename=") {
            files.push(Bytes::copy_from_slice(&body[data_start..next]));
        }
        pos = next + 2;
    }
    match files.len() {
        1 => Ok(files.swap_remove(0)),
        0 => Err("the multipart body holds no file part"),
        _ => Err("the multipart body holds more than one file; send one package per request"),
    }
}

async fn submit(State(app): State<Shared>, req: Request) -> Response {
    let client = req
        .extensions()
        .get::<ClientId>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/zip" && media != "multipart/form-data" {
        return hws_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            codes::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "POST /request takes the package as application/zip (or one file in multipart/form-data), not {media:?}"
            ),
            Some("send the ZIP file as the body with Content-Type: application/zip"),
        );
    }
    let limit = app.cfg.max_upload_bytes;
    let body = match axum::body::to_bytes(req.into_body(), limit).await {
        Ok(b) => b,
        Err(_) => {
            return hws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                codes::PAYLOAD_TOO_LARGE,
                format!("the upload is larger than the {limit} bytes this server takes"),
                Some("check the package: design images are limited to 2 MB each"),
            );
        }
    };
    let package = if media == "multipart/form-data" {
        match multipart_file(&content_type, &body) {
            Ok(b) => b,
            Err(m) => return hws_error(StatusCode::BAD_REQUEST, codes::INVALID_UPLOAD, m, None),
        }
    } else {
        body
    };
    if package.is_empty() {
        return hws_error(
            StatusCode::BAD_REQUEST,
            codes::INVALID_UPLOAD,
            "the upload is empty",
            Some("send the package ZIP as the body"),
        );
    }
    match accept_package(&app, &client, package).await {
        Ok(rec) => {
            let id: ImportId = match rec.import_id.parse() {
                Ok(id) => id,
                Err(e) => return internal(e),
            };
            let doc = ImportStatus {
                import_id: id,
                state: ImportState::Pending,
            };
            let mut r = xml(StatusCode::ACCEPTED, doc.to_xml());
            if let Ok(v) = HeaderValue::from_str(&format!(
                "{}/request/import/{}",
                app.urls.hws, rec.import_id
            )) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Err(r) => r,
    }
}

/// Records the package, checks it with `hague-package` (the same rules and schemas as the
/// client), and makes its service request when it is valid.
async fn accept_package(
    app: &Shared,
    client: &str,
    package: Bytes,
) -> Result<ImportRecord, Response> {
    let sha = hex(ring::digest::digest(&ring::digest::SHA256, &package).as_ref());
    let seq = app.store.next("import").map_err(internal)?;
    let import_id = format!(
        "IMP-{seq:06}-{:04X}",
        splitmix64(app.cfg.seed ^ seq as u64) & 0xFFFF
    );
    let dir = app.store.packages_dir();
    let path: PathBuf = dir.join(format!("{import_id}.zip"));
    let received_ms = app.now_ms();
    let size = package.len() as i64;
    let schema_dirs = app.cfg.schema_dirs.clone();
    let p2 = path.clone();
    let report = tokio::task::spawn_blocking(move || {
        ipgate_base::fs::create_private_dir_all(&dir).map_err(|e| e.to_string())?;
        ipgate_base::fs::write_atomic(&p2, &package, ipgate_base::fs::FileMode::Private)
            .map_err(|e| e.to_string())?;
        let opts = hague_package::Options {
            schemas: if schema_dirs.is_empty() {
                hague_package::Schemas::Off
            } else {
                hague_package::Schemas::Dirs(schema_dirs)
            },
            ..hague_package::Options::default()
        };
        hague_package::validate_package(&p2, &opts).map_err(|e| e.to_string())
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let reasons: Vec<StoredReason> = report
        .findings
        .iter()
        .filter(|f| f.severity == hague_package::Severity::Error)
        .map(|f| {
            let loc = f.location.to_string();
            StoredReason {
                rule: f.rule.to_string(),
                message: f.message.clone(),
                location: (!loc.is_empty()).then_some(loc),
            }
        })
        .collect();
    let valid = report.is_valid() && reasons.is_empty();
    let mut reasons = reasons;
    if !valid && reasons.is_empty() {
        // Errors past hague-package's finding cap: say so rather than send an empty bag.
        reasons.push(StoredReason {
            rule: "findings-truncated".into(),
            message: format!(
                "{} more findings were dropped; validate the package locally to see them all",
                report.truncated
            ),
            location: None,
        });
    }
    let sr = if valid {
        let n = app.store.next("service-request").map_err(internal)?;
        Some(SrRecord {
            srn: format!("SR{n:08}"),
            import_id: import_id.clone(),
            record_id: (970_000_000 + n).to_string(),
            irn: format!("DM/{:06}", 200_000 + n),
            forced: None,
        })
    } else {
        None
    };
    let mut rec = ImportRecord {
        seq,
        import_id,
        client_id: client.to_owned(),
        sha256: sha,
        size,
        received_ms,
        valid,
        reasons,
        duplicate_of: None, // set by put_import, atomically with the insert
        srn: sr.as_ref().map(|s| s.srn.clone()),
    };
    app.store
        .put_import(&mut rec, sr.as_ref())
        .map_err(internal)?;
    tracing::info!(import = %rec.import_id, client, valid, duplicate_of = ?rec.duplicate_of, "package received");
    Ok(rec)
}

async fn import_status(State(app): State<Shared>, Path(raw): Path<String>) -> Response {
    let id: ImportId = match raw.parse() {
        Ok(id) => id,
        Err(e) => {
            return hws_error(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                format!("{raw:?} is not an import ID: {e}"),
                None,
            );
        }
    };
    let rec = match app.store.import(id.as_str()) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return hws_error(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                format!("no import {id}"),
                Some("use the import ID that POST /request answered"),
            );
        }
        Err(e) => return internal(e),
    };
    let state = app.lifecycle.import_state(&rec, app.now_ms());
    xml(
        StatusCode::OK,
        ImportStatus {
            import_id: id,
            state,
        }
        .to_xml(),
    )
}

async fn request_status(
    State(app): State<Shared>,
    Path(raw): Path<String>,
    _h: HeaderMap,
) -> Response {
    let srn: ServiceRequestNumber = match raw.parse() {
        Ok(s) => s,
        Err(e) => {
            return hws_error(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                format!("{raw:?} is not a service request number: {e}"),
                None,
            );
        }
    };
    let not_found = || {
        hws_error(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("no service request {srn}"),
            Some("use the SRN that GET /request/import/{importId} answered once imported"),
        )
    };
    let sr = match app.store.service_request(srn.as_str()) {
        Ok(Some(sr)) => sr,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    let rec = match app.store.import(&sr.import_id) {
        Ok(Some(r)) => r,
        Ok(None) => return not_found(),
        Err(e) => return internal(e),
    };
    let Some(view) = app.lifecycle.sr_view(&sr, &rec, app.now_ms()) else {
        return not_found();
    };
    let doc = ServiceRequestStatus {
        request_id: sr.record_id,
        status: view.status,
        srn,
        irn: view.irn,
        expected_publication_date: view.publication_week.map(|w| w.friday()),
    };
    xml(StatusCode::OK, doc.to_xml())
}

#[cfg(test)]
mod tests {
    use super::multipart_file;

    #[test]
    fn multipart_one_file() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.zip\"\r\nContent-Type: application/zip\r\n\r\nPK\x03\x04data\r\n--XyZ--\r\n";
        let got = multipart_file("multipart/form-data; boundary=XyZ", body).expect("one file");
        assert_eq!(&got[..], b"PK\x03\x04data");
        assert!(multipart_file("multipart/form-data", body).is_err());
        let two = b"--b\r\nContent-Disposition: form-data; name=\"a\"; filename=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"b\"; filename=\"b\"\r\n\r\n2\r\n--b--\r\n";
        assert!(multipart_file("multipart/form-data; boundary=b", two).is_err());
        let none = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n";
        assert!(multipart_file("multipart/form-data; boundary=b", none).is_err());
    }
}
