//! Generic HTTP plumbing shared by ipgate's API clients (Innography now, HWS later). Nothing here
//! knows about a particular API.
//!
//! - [`RetryPolicy`] and [`send`]: retries for connection errors and 5xx on idempotent methods,
//!   jittered exponential backoff; `Retry-After` (seconds or HTTP-date) honoured on 429 for every
//!   method and on 503 for idempotent ones. The request is rebuilt for every attempt (so it can be
//!   signed anew).
//! - [`RateLimiter`]: limits per `(api, consumer)` shared by every process on the machine through
//!   a lock-guarded state file in a directory the caller chooses.
//! - [`download`]: streams a GET into `<target>.part` next to the target with SHA-256 computed on
//!   the way, fsyncs and renames it into place (never a partial file at the target), resumes an
//!   interrupted download with `Range` + `If-Range` when the server gave a strong `ETag`, reports
//!   progress, and can hand the bytes on as they come ([`Tee`]); [`download_to_file`] does the same for a response already received (no resume).
//! - [`ClientOptions`]: rustls with ring, an optional extra CA file, connect and read timeouts; no
//!   switch that turns certificate verification off.
//! - [`Clock`]: injected time, the workspace's one clock ([`ipgate_base::clock`]).

mod client;
mod download;
mod ratelimit;
mod retry;
mod send;

pub use client::{ClientBuildError, ClientOptions};
pub use download::{
    DownloadError, DownloadOptions, Downloaded, ErrorAnswer, MAX_ERROR_BODY, Progress, ProgressFn,
    Tee, download, download_to_file, part_path, sidecar_path,
};
pub use ipgate_base::clock::{Clock, ManualClock, SystemClock};
pub use ratelimit::{RateLimit, RateLimitError, RateLimitKey, RateLimiter};
pub use retry::{RetryPolicy, is_idempotent, parse_retry_after};
pub use send::{SendError, Sent, send};

/// A `reqwest::ClientBuilder` with ipgate's defaults ([`ClientOptions::new`]): rustls, redirects
/// never followed, a connect timeout of 15 s and a read timeout of 60 s (no overall timeout, so
/// large downloads can stream).
pub fn client_builder(user_agent: &str) -> reqwest::ClientBuilder {
    let o = ClientOptions::new(user_agent);
    reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(o.connect_timeout)
        .read_timeout(o.read_timeout)
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
