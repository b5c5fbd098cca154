//! Errors of the client.

use innography_hmac::ApiVersion;

/// Everything that can go wrong with a request. Messages name the problem and the fix; secrets
/// never appear in them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// The request path or body is unusable.
    #[error("{0}")]
    Request(String),
    /// Sending failed (network, rate-limit state).
    #[error(transparent)]
    Send(#[from] ipgate_http::SendError),
    /// `300 Multiple Choices`: the server cannot serve the requested version.
    #[error(
        "the server cannot serve `{requested}`; it offers {}; pin one of those (api_versions in the profile or --api-version)",
        list(offered)
    )]
    MultipleChoices {
        /// The `Accept` header sent.
        requested: String,
        /// The versions offered in the 300 body.
        offered: Vec<ApiVersion>,
    },
    /// 401/403: the credentials or the signature were refused.
    #[error("the server refused the credentials ({status}): {message}; check the username, the secret and the algorithm{}", skew_hint(*clock_skew_secs))]
    Unauthorized {
        /// 401 or 403.
        status: u16,
        /// The server's message (truncated).
        message: String,
        /// Server time minus ours, when the server sent a `Date`.
        clock_skew_secs: Option<i64>,
    },
    /// 429 after the retries allowed.
    #[error("rate limited by the server (429){} and the retries allowed are used up; wait before trying again, and lower the rate limit configured for this API if it keeps happening", retry_hint(*retry_after_secs))]
    RateLimited {
        /// What `Retry-After` asked for, in seconds.
        retry_after_secs: Option<u64>,
    },
    /// A redirect, which is never followed.
    #[error(
        "the server answered {status} redirecting {}; redirects are not followed: fix the base URL (or the path)",
        redirect_target(location)
    )]
    Redirect {
        /// The 3xx status.
        status: u16,
        /// The `Location` header.
        location: String,
    },
    /// Any other unsuccessful status.
    #[error("the server answered {status}: {body}; {}", status_hint(*status))]
    Status {
        /// The status code.
        status: u16,
        /// The body (truncated).
        body: String,
    },
    /// The response body could not be read or decoded.
    #[error("cannot read the response: {0}")]
    Body(String),
    /// A streamed download failed.
    #[error(transparent)]
    Download(#[from] ipgate_http::DownloadError),
}

fn list(v: &[ApiVersion]) -> String {
    if v.is_empty() {
        return "no version we could read".into();
    }
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn skew_hint(skew: Option<i64>) -> String {
    match skew {
        Some(s) if s.unsigned_abs() >= 240 => {
            format!(
                ", and the clock: ours is {s} s off the server's (signatures expire after 300 s)"
            )
        }
        _ => String::new(),
    }
}

fn status_hint(status: u16) -> &'static str {
    match status {
        404 => "check the path (and the API's version: endpoints differ between versions)",
        400..=499 => "check the method, path, query and body against the API's documentation",
        500..=599 => {
            "the server failed; try again later (idempotent requests were already retried)"
        }
        _ => "this status is unexpected; check the base URL points at the Innography API",
    }
}

fn redirect_target(location: &str) -> String {
    if location.is_empty() {
        "without saying where (no Location)".into()
    } else {
        format!("to `{}`", location.chars().take(200).collect::<String>())
    }
}

fn retry_hint(secs: Option<u64>) -> String {
    secs.map(|s| format!(", server asks to retry after {s} s"))
        .unwrap_or_default()
}
