//! The publication routes: `GET /publication/bulletin/{weekId}` and
//! `GET /publication/copy/confidential/{weekId}` (HWS document), serving what
//! [`crate::publication`] generates, with `Range`, `If-Range`, `ETag` and `If-None-Match`.
//!
//! Calendar: every week from [`crate::SandboxConfig::corpus_start`] to last week has an issue;
//! the current week's issue appears on Friday at 11:00 UTC ("typically Fridays at noon CET"), or
//! earlier when published through the admin API. A week's issue holds the registrations the
//! sandbox made up to that moment whose publication week it is, so once out it never changes and
//! repeated downloads are byte-identical.

// Handlers answer early with a finished `Response` as the error of their helpers: boxing it would
// allocate on every refusal for nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::io::Read;
use std::path::Path as FsPath;
use std::sync::Mutex;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use hws_client::WeekId;
use hws_client::wire::{ServiceRequestStatusCategory, error_codes as codes};

use crate::app::{Shared, hws_error};
use crate::hws::ClientId;
use crate::lifecycle::{date, publication_ms};
use crate::publication::{
    CorpusSize, Design, Holder, Publication, PublicationKind, PublicationSpec, RegisteredDesign,
};

/// Parsed publications, by what their bytes depend on (cheap to clone; the counting pass is not).
#[derive(Debug, Default)]
pub(crate) struct PublicationCache(Mutex<HashMap<PublicationKey, Publication>>);

/// What a publication's bytes depend on besides the configuration: its kind, its week and the
/// IRNs the sandbox registered for it.
type PublicationKey = (PublicationKind, WeekId, Vec<String>);

impl PublicationCache {
    /// Forgets every publication (after a reset or a forced status).
    pub fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// The contracting parties every sandbox registration designates (our choice: the EU, Japan, the
/// Republic of Korea and the United States, so each of those examining offices gets its copy).
pub const DESIGNATED: [&str; 4] = ["EM", "JP", "KR", "US"];

pub(crate) async fn bulletin(
    State(app): State<Shared>,
    Path(week): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(app, &week, PublicationKind::Bulletin, &headers).await
}

pub(crate) async fn confidential(
    State(app): State<Shared>,
    Extension(client): Extension<ClientId>,
    Path(week): Path<String>,
    headers: HeaderMap,
) -> Response {
    let rec = match app.store.client(&client.0) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return hws_error(
                StatusCode::FORBIDDEN,
                codes::FORBIDDEN,
                "the client is no longer registered",
                None,
            );
        }
        Err(e) => return internal(e),
    };
    if !rec.examining_office {
        return hws_error(
            StatusCode::FORBIDDEN,
            codes::FORBIDDEN,
            format!(
                "client {} is not registered as an examining office; confidential copies are for examining offices only",
                rec.client_id
            ),
            Some("register the client with --examining-office"),
        );
    }
    serve(
        app,
        &week,
        PublicationKind::ConfidentialCopies {
            receiving_office: rec.office_code,
        },
        &headers,
    )
    .await
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "publication failure");
    hws_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        codes::INTERNAL_ERROR,
        "the sandbox failed; see its log",
        None,
    )
}

/// The moment the week's issue appeared, or the 404 saying why there is none.
fn issue_moment(app: &Shared, week: WeekId) -> Result<i64, Response> {
    let now = app.now_ms();
    let none = |why: String| {
        Err(hws_error(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            why,
            None,
        ))
    };
    if week.is_future(date(now)) {
        return none(format!("week {week} is in the future: no issue yet"));
    }
    if week < app.cfg.corpus_start {
        return none(format!(
            "no issue for week {week}: this sandbox's publications start at week {}",
            app.cfg.corpus_start
        ));
    }
    let scheduled = publication_ms(week);
    let forced = app
        .store
        .published_at(&week.to_string())
        .map_err(internal)?;
    let moment = forced.map_or(scheduled, |f| f.min(scheduled));
    if now < moment {
        return none(format!(
            "the issue of week {week} is not out yet (Friday 11:00 UTC, or publish it now through the admin API)"
        ));
    }
    Ok(moment)
}

/// What the sandbox registered for `week`'s issue up to `moment`, oldest first.
fn registered_for(
    app: &Shared,
    week: WeekId,
    moment: i64,
) -> Result<Vec<(String, i64, i64, std::path::PathBuf)>, Response> {
    let mut out = Vec::new();
    for sr in app.store.service_requests().map_err(internal)? {
        let Some(rec) = app.store.import(&sr.import_id).map_err(internal)? else {
            continue;
        };
        let Some(view) = app.lifecycle.sr_view(&sr, &rec, moment) else {
            continue;
        };
        if view.status != ServiceRequestStatusCategory::Registered
            || view.publication_week != Some(week)
        {
            continue;
        }
        let Some(reg) = view.registered_ms else {
            continue;
        };
        out.push((
            sr.irn.clone(),
            reg,
            rec.received_ms,
            app.store
                .packages_dir()
                .join(format!("{}.zip", rec.import_id)),
        ));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

/// The published form of a package the sandbox registered: its views (JPEG or PNG files the
/// package's XML references as `dgn:View`) as one design; the holder and product are the
/// sandbox's (our choice: reading every bibliographic field of every transaction type is not
/// what the sandbox is for).
fn design_from_package(
    irn: &str,
    registered_ms: i64,
    received_ms: i64,
    package: &FsPath,
) -> RegisteredDesign {
    let mut views = Vec::new();
    let limits = hague_package::Limits::default();
    if let Ok(insp) = hague_package::inspect(package, &limits)
        && let Ok(file) = std::fs::File::open(package)
        && let Ok(mut zip) = zip::ZipArchive::new(file)
    {
        for f in insp.files.iter().filter(|f| f.role == "view").take(10) {
            if let Ok(mut entry) = zip.by_name(&f.name) {
                let mut buf = Vec::new();
                if entry.by_ref().take(4 << 20).read_to_end(&mut buf).is_ok() {
                    views.push(Bytes::from(buf));
                }
            }
        }
    }
    RegisteredDesign {
        irn: irn.to_owned(),
        registration_date: date(registered_ms),
        filing_date: date(received_ms),
        filing_language: "en".into(),
        holder: Holder {
            name: "Sandbox Holder".into(),
            organization: true,
            contracting_party: "CH".into(),
        },
        designated: DESIGNATED.iter().map(|s| (*s).to_owned()).collect(),
        designs: vec![Design {
            product: "Design filed through the sandbox".into(),
            locarno_class: 32,
            locarno_subclass: 0,
            views,
        }],
    }
}

async fn publication(
    app: &Shared,
    week: WeekId,
    kind: PublicationKind,
) -> Result<Publication, Response> {
    let moment = issue_moment(app, week)?;
    let regs = registered_for(app, week, moment)?;
    let key = (
        kind.clone(),
        week,
        regs.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
    );
    if let Some(p) = app
        .publications
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&key)
    {
        return Ok(p.clone());
    }
    let corpus = match app.cfg.publication_size {
        Some(bytes) => CorpusSize::TargetBytes(bytes),
        None => CorpusSize::Records(app.cfg.corpus_records),
    };
    let seed = app.cfg.seed;
    let built = tokio::task::spawn_blocking(move || {
        let registered = regs
            .iter()
            .map(|(irn, reg, rcv, path)| design_from_package(irn, *reg, *rcv, path))
            .collect();
        let spec = PublicationSpec {
            kind,
            iso_year: week.year(),
            iso_week: week.week(),
            seed,
            corpus,
            registered,
        };
        Publication::new(&spec)
    })
    .await
    .map_err(internal)?;
    let p = match built {
        Ok(p) => p,
        Err(crate::publication::PublicationError::Empty) => {
            return Err(hws_error(
                StatusCode::NOT_FOUND,
                codes::NOT_FOUND,
                format!("week {week} has nothing to publish"),
                None,
            ));
        }
        Err(e) => return Err(internal(e)),
    };
    let mut cache = app
        .publications
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if cache.len() >= 64 {
        cache.clear();
    }
    cache.insert(key, p.clone());
    Ok(p)
}

/// A single `bytes=` range (RFC 9110 §14.1.2): `Ok(None)` to ignore the header (absent, several
/// ranges, another unit), `Err(())` when unsatisfiable.
fn parse_range(value: Option<&str>, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(v) = value else { return Ok(None) };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let num = |s: &str| s.trim().parse::<u64>().ok();
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (true, false) => {
            let n = num(b).ok_or(())?;
            if n == 0 || len == 0 {
                return Err(());
            }
            Ok(Some((len.saturating_sub(n), len - 1)))
        }
        (false, _) => {
            let start = num(a).ok_or(())?;
            let end = if b.trim().is_empty() {
                len.saturating_sub(1)
            } else {
                num(b).ok_or(())?.min(len.saturating_sub(1))
            };
            if start >= len || start > end {
                return Err(());
            }
            Ok(Some((start, end)))
        }
        (true, true) => Err(()),
    }
}

async fn serve(
    app: Shared,
    raw_week: &str,
    kind: PublicationKind,
    headers: &HeaderMap,
) -> Response {
    let week: WeekId = match raw_week.parse() {
        Ok(w) => w,
        Err(e) => {
            return hws_error(
                StatusCode::BAD_REQUEST,
                codes::BAD_REQUEST,
                e.to_string(),
                Some("weekId is yyyyww, an ISO year and week such as 202614"),
            );
        }
    };
    let p = match publication(&app, week, kind).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let len = p.len();
    let etag = p.etag().to_owned();
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok());
    let mut builder = Response::builder()
        .header(header::ETAG, etag.as_str())
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", p.file_name()),
        );
    if let Some(inm) = h(header::IF_NONE_MATCH)
        && inm.split(',').any(|t| t.trim() == etag || t.trim() == "*")
    {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(internal);
    }
    let if_range_ok = h(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
    let range = if if_range_ok {
        parse_range(h(header::RANGE), len)
    } else {
        Ok(None)
    };
    let (status, start, end) = match range {
        Ok(None) => (StatusCode::OK, 0, len - 1),
        Ok(Some((s, e))) => {
            builder = builder.header(header::CONTENT_RANGE, format!("bytes {s}-{e}/{len}"));
            (StatusCode::PARTIAL_CONTENT, s, e)
        }
        Err(()) => {
            let mut r = hws_error(
                StatusCode::RANGE_NOT_SATISFIABLE,
                codes::RANGE_NOT_SATISFIABLE,
                format!("the range is outside the {len} bytes of this publication"),
                None,
            );
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let stream = match p.stream_range(start, end) {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let wan = app.cfg.wan;
    if !wan.latency.is_zero() {
        tokio::time::sleep(wan.latency).await;
    }
    let body = match wan.bytes_per_connection {
        Some(rate) => Body::from_stream(crate::wan::pace(stream, rate)),
        None => Body::from_stream(stream),
    };
    builder
        .status(status)
        .header(header::CONTENT_LENGTH, end - start + 1)
        .body(body)
        .unwrap_or_else(internal)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-4"), 10), Ok(Some((0, 4))));
        assert_eq!(parse_range(Some("bytes=5-"), 10), Ok(Some((5, 9))));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Ok(Some((7, 9))));
        assert_eq!(parse_range(Some("bytes=5-100"), 10), Ok(Some((5, 9))));
        assert_eq!(parse_range(Some("bytes=10-"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=-0"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=4-2"), 10), Err(()));
        assert_eq!(parse_range(Some("bytes=0-1,3-4"), 10), Ok(None));
        assert_eq!(parse_range(Some("items=0-1"), 10), Ok(None));
    }
}
