//! Sending with retries and rate limiting.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;

use crate::ratelimit::{RateLimit, RateLimitError, RateLimitKey, RateLimiter};
use crate::retry::{RetryPolicy, is_idempotent, parse_retry_after};
use ipgate_base::clock::Clock;

/// Why [`send`] gave up without a response.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The request could not be built (bad URL or header).
    #[error("cannot build the request: {0}; check the base URL and the path")]
    Build(#[source] reqwest::Error),
    /// The network failed on the last attempt.
    #[error(
        "{}{} after {attempts} attempt(s): {}; check the server address, your network and proxy settings",
        describe(source),
        source.url().map(|u| format!(" {u}")).unwrap_or_default(),
        causes(source)
    )]
    Transport {
        /// Attempts made.
        attempts: u32,
        /// The last error.
        #[source]
        source: reqwest::Error,
    },
    /// The rate limiter failed.
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
}

fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "request timed out:"
    } else if e.is_connect() {
        "cannot connect to"
    } else {
        "request failed:"
    }
}

/// The causes under a reqwest error, innermost last (`tcp connect error: Connection refused (os
/// error 111)`): reqwest's own message only says "error sending request".
fn causes(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = std::error::Error::source(e);
    while let Some(c) = cur {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = c.source();
    }
    if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    }
}

/// A response and how many attempts it took.
#[derive(Debug)]
pub struct Sent {
    /// The final response (which may still be an error status: the caller interprets it).
    pub response: reqwest::Response,
    /// Attempts made, at least 1.
    pub attempts: u32,
}

/// Sends a request built by `build(attempt)` (attempt counts from 1; rebuild and re-sign every
/// time), waiting for the rate limiter first when `limit` is given, and retrying as `policy` says.
///
/// Retries: connection errors and 5xx on idempotent methods (jittered backoff, or the delay a 503's
/// `Retry-After` asks for); 429 on every method, after the delay its `Retry-After` asks for (also
/// recorded in the rate limiter so other processes wait) or with backoff when it has none. Other
/// statuses, including 3xx, are returned as they are.
pub async fn send<F>(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    limit: Option<(&RateLimiter, &RateLimitKey, RateLimit)>,
    clock: &dyn Clock,
    mut build: F,
) -> Result<Sent, SendError>
where
    F: FnMut(u32) -> reqwest::RequestBuilder,
{
    let max = policy.max_attempts.max(1);
    let mut attempt = 1;
    loop {
        if let Some((limiter, key, rate)) = limit {
            limiter.acquire(key, rate).await?;
        }
        let request = build(attempt).build().map_err(SendError::Build)?;
        let method = request.method().clone();
        let idempotent = is_idempotent(&method);
        let url = request.url().clone();
        let delay = match client.execute(request).await {
            Err(source) => {
                if !idempotent || attempt >= max {
                    return Err(SendError::Transport {
                        attempts: attempt,
                        source,
                    });
                }
                let d = policy.jittered_backoff(attempt);
                tracing::warn!(%method, url = %url, attempt, error = %causes(&source), retry_in_ms = d.as_millis() as u64, "request failed; retrying");
                d
            }
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, clock.now()));
                // 429 means the request was not processed, so it is retried whatever the method;
                // a 503 is a 5xx like any other: idempotent methods only.
                let throttled = status == StatusCode::TOO_MANY_REQUESTS
                    || (status == StatusCode::SERVICE_UNAVAILABLE
                        && retry_after.is_some()
                        && idempotent);
                let delay = if throttled {
                    match retry_after {
                        Some(d) if d > policy.max_retry_after => {
                            tracing::warn!(%status, url = %url, retry_after_s = d.as_secs(), "server asks to wait longer than we are willing to; giving up");
                            None
                        }
                        Some(d) => {
                            if let Some((limiter, key, _)) = limit
                                && let Some(until) = clock.now().checked_add(d)
                            {
                                limiter.defer_until(key, until).await?;
                            }
                            Some(d)
                        }
                        None => Some(policy.jittered_backoff(attempt)),
                    }
                } else if status.is_server_error() && idempotent {
                    Some(policy.jittered_backoff(attempt))
                } else {
                    None
                };
                match delay {
                    Some(d) if attempt < max => {
                        tracing::warn!(%method, url = %url, %status, attempt, retry_in_ms = d.as_millis() as u64, "retrying");
                        d
                    }
                    _ => {
                        return Ok(Sent {
                            response,
                            attempts: attempt,
                        });
                    }
                }
            }
        };
        if delay > Duration::ZERO {
            tokio::time::sleep(delay).await;
        }
        attempt += 1;
    }
}
