//! Client for the Innography API, on top of [`innography_hmac`] (signing, versions) and
//! [`ipgate_http`] (retries, rate limits, downloads). Transport: reqwest with rustls on ring.
//!
//! - Generic requests to any API path ([`Client::get`], [`Client::post_json`], [`Client::send`]);
//!   the body is serialised once and the same bytes are hashed and sent; every attempt is signed
//!   anew (signatures expire after 5 minutes).
//! - Versions pinned per API ([`Config::versions`]); an unpinned request is allowed but logs a
//!   warning that production use must pin one. `300 Multiple Choices` becomes
//!   [`Error::MultipleChoices`] listing the offered versions; it is never followed or retried, and
//!   no redirect is followed.
//! - Rate limits per API and consumer (default: the documented 1 query/second for Cases, with a
//!   10 % margin: [`CASES_INTERVAL`]), shared
//!   across processes through a state directory; 429 with `Retry-After` honoured for every API;
//!   retries with jittered backoff for connection errors and 5xx on idempotent methods.
//! - Clock check: the server's `Date` is compared with ours; a warning is logged when the skew
//!   approaches the 5-minute window ([`CLOCK_SKEW_WARNING`]).
//!
//! ```no_run
//! use innography_client::{Api, Client, Config};
//! use innography_hmac::{ApiVersion, Credentials, Secret};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let creds = Credentials::new("obiwan", Secret::new(std::env::var("INNOGRAPHY_SECRET")?))?;
//! let mut config = Config::new("https://api.innography.com", creds);
//! config.versions.insert(Api::Cases, ApiVersion::new(0, 6));
//! config.rate_limit_dir = Some("/home/me/.cache/ipgate/innography-ratelimit".into());
//! let client = Client::new(config)?;
//! let resp = client.get(Api::Cases, "/cases/documents?ipId=US-1234567-B2").await?;
//! println!("{} (version {:?})", resp.status, resp.version());
//! # Ok(())
//! # }
//! ```

mod api;
mod client;
mod error;

pub use api::{Api, CASES_INTERVAL, UnknownApi};
pub use client::{
    CLOCK_SKEW_WARNING, Client, Config, PROBE_VERSION, Request, Response, SignedRequest,
};
pub use error::Error;
pub use reqwest::Method;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
