//! The `Date` header of every answer, optionally off by a fixed offset: a server whose clock is
//! wrong, for testing clients that judge their own clock by the server's (`ipgate doctor`).
//!
//! Only the header is off: the sandbox's own checks (token and assertion times, HMAC dates,
//! lifecycles) keep its clock, so everything else still works while the client sees the skew.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::app::Shared;

/// Sets `Date` to the sandbox's clock plus [`crate::config::SandboxConfig::date_offset_secs`]
/// (when it is not 0; otherwise the server's own `Date` stays).
pub(crate) async fn date_layer(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let offset = app.cfg.date_offset_secs;
    if offset != 0 {
        let now = app.clock().now();
        let shift = Duration::from_secs(offset.unsigned_abs());
        let at = if offset > 0 {
            now.checked_add(shift)
        } else {
            now.checked_sub(shift)
        };
        if let Some(at) = at
            && let Ok(v) = HeaderValue::from_str(&innography_hmac::format_date(at))
        {
            response.headers_mut().insert(header::DATE, v);
        }
    }
    response
}
