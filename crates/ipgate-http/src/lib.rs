//! Generic HTTP plumbing shared by ipgate's API clients (Innography now, HWS later). Nothing here
//! knows about a particular API.
//!
//! - [`RetryPolicy`] and [`send`]: retries for connection errors and 5xx on idempotent methods,
//!   jittered exponential backoff; `Retry-After` (seconds or HTTP-date) honoured on 429 for every
//!   method and on 503 for idempotent ones. The request is rebuilt for every attempt (so it can be
//!   signed anew).
//! - [`RateLimiter`]: limits per `(api, consumer)` shared by every process on the machine through
//!   a lock-guarded state file in a directory the caller chooses.
//! - [`download_to_file`]: streams a response body into a temporary file next to the target and
//!   renames it into place, so the target path never holds a partial file.
//! - [`Clock`]: injected time.

mod clock;
mod download;
mod ratelimit;
mod retry;
mod send;

pub use clock::{Clock, SystemClock};
pub use download::{DownloadError, download_to_file};
pub use ratelimit::{RateLimit, RateLimitError, RateLimitKey, RateLimiter};
pub use retry::{RetryPolicy, is_idempotent, parse_retry_after};
pub use send::{SendError, Sent, send};

/// A `reqwest::ClientBuilder` with ipgate's defaults: redirects never followed, a connect timeout
/// of 15 s and a read timeout of 60 s (no overall timeout, so large downloads can stream).
pub fn client_builder(user_agent: &str) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(std::time::Duration::from_secs(15))
        .read_timeout(std::time::Duration::from_secs(60))
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
