//! Client for WIPO's Hague Web Services (HWS).
//!
//! [`wire`] holds the one definition of the HWS wire format (shared with `ipgate-sandbox`, which
//! depends on this crate, never the other way round); [`week`] the `yyyyww` week id.
//!
//! The transport is [`HwsClient`]: `ping`, `submit` (`submit_with_progress` reports the upload
//! chunk by chunk), `import_status`, `request_status`, `bulletin`, `confidential_copy` (each
//! `_with_progress` too), `wait_for_srn`, `wait_until_final`, authenticated through a
//! [`wipo_oidc::TokenSource`] (one token for all concurrent calls; a 401 refreshes once and
//! retries once). Base URL, path templates, timeouts and an extra CA file are in [`HwsConfig`]
//! (WIPO's API guide is not public: hws-facts §1.2). Errors ([`HwsError`]) say what to do
//! ([`HwsError::hint`]) and, for an upload, whether WIPO may have received it
//! ([`HwsError::delivery`]).
//!
//! `POST /request` files a legal decision and is never repeated automatically. Send packages with
//! [`submit_journaled`] (or [`submit_journaled_with_progress`]), which records the submission in
//! a [`hague_journal::Journal`] before the POST and its outcome after; [`refresh_submission`] is
//! one step of `track`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use hague_journal::{Journal, SubmissionMeta};
//! use hws_client::{HwsClient, HwsConfig, PollPolicy, submit_journaled};
//! use wipo_oidc::{Endpoint, LoadOptions, SigningKey, TokenSource, TokenSourceConfig};
//!
//! let key = SigningKey::load("hague4offices_private.pem".as_ref(), &LoadOptions::default())?;
//! let login = TokenSourceConfig::new(
//!     Endpoint::Discover { issuer: "http://127.0.0.1:8080/am/oauth2".into() },
//!     "office-client",
//! )
//! .with_scope("hws");
//! let tokens = TokenSource::new(wipo_oidc::http_client("ipgate")?, login, Arc::new(key))?;
//! let client = HwsClient::new(HwsConfig::new("http://127.0.0.1:8080/webservices/api/v1"), tokens)?;
//! let journal = Journal::open("journal.sqlite".as_ref())?;
//!
//! let package = bytes::Bytes::from(std::fs::read("refusal.zip")?);
//! let sent = submit_journaled(&client, &journal, package, &SubmissionMeta::default(), false).await?;
//! let srn = client.wait_for_srn(&sent.status.import_id, &PollPolicy::default(), |_| {}).await?;
//! let done = client.wait_until_final(&srn, &PollPolicy::default(), |_| {}).await?;
//! println!("{}: {} {:?}", srn, done.status, done.irn);
//! # Ok(()) }
//! ```

mod client;
mod config;
mod error;
mod extracting;
mod journaled;
pub mod week;
pub mod wire;

pub use client::{Downloaded, HwsClient, MAX_DOCUMENT_BYTES, PACKAGE_CONTENT_TYPE, http_client};
pub use config::{
    HwsConfig, IMPORT_ID_PLACEHOLDER, PathTemplates, PollPolicy, SRN_PLACEHOLDER, WEEK_PLACEHOLDER,
};
pub use error::{ConfigError, Delivery, HwsError, Operation};
pub use extracting::{DownloadedExtracted, PublicationRequest};
pub use journaled::{
    HashedPackage, JournaledSubmission, RefreshError, Refreshed, SubmitError, import_update,
    refresh_submission, request_update, submit_journaled, submit_journaled_with_progress,
};
pub use week::{WeekId, WeekIdError};
