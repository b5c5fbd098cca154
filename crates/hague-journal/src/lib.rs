//! The submission journal: a write-ahead record, in one SQLite file, of every package sent to WIPO
//! Hague Web Services and of every publication downloaded.
//!
//! `POST /request` files a legal decision. HWS documents no idempotency key and no duplicate
//! detection (hws-facts §8), so a package sent twice may be filed twice. The journal prevents it:
//!
//! 1. [`Journal::begin_submission`] records the package (by SHA-256) as `sending` **before** the
//!    POST, in a write transaction that first checks the package is not already on file. Of two
//!    processes beginning the same package at the same moment, exactly one gets a
//!    [`SubmissionTicket`]; the other gets [`JournalError::AlreadySubmitted`] with the earlier
//!    submission (its state, import id, SRN).
//! 2. After the POST the ticket is handed back: [`Journal::complete`] (HWS gave an import id),
//!    [`Journal::fail`] (certainly not filed), or [`Journal::mark_unknown`] (the request may have
//!    arrived but the answer was lost).
//! 3. A crash between 1 and 2 leaves the submission `sending`. Neither `sending` nor `unknown` is
//!    ever resent automatically: [`Journal::open_submissions`] lists them, an operator checks
//!    with WIPO and records the outcome with [`Journal::resolve`]; or sends again deliberately
//!    with `force`.
//!
//! Status answers polled later ([`Journal::record_server_status`]) and downloaded bulletins and
//! confidential copies ([`Journal::record_publication`]) are recorded too, for `track`, `history`
//! and `bulletin sync`. The journal holds no secret (no tokens, no keys).
//!
//! The file is in WAL mode with synchronous commits and a 30 s busy timeout, so any number of
//! ipgate processes may share it. `hws_client::submit_journaled` runs the whole protocol; use the
//! journal directly only for queries and operator resolutions:
//!
//! ```no_run
//! use hague_journal::{FailureReason, Journal, Sha256Hex, SubmissionMeta};
//!
//! let journal = Journal::open("/home/office/.local/share/ipgate/journal.sqlite".as_ref())?;
//! let package = std::fs::read("refusal.zip")?;
//! let meta = SubmissionMeta { office_reference: Some("REF-1".into()), ..Default::default() };
//! let ticket = journal.begin_submission(&Sha256Hex::digest(&package), package.len() as u64, &meta, false)?;
//! // ... POST the package; then exactly one of:
//! let done = journal.complete(ticket, "IMP-42")?;
//! println!("submission #{} sent, import id {:?}", done.id, done.import_id);
//! for s in journal.open_submissions()? {
//!     println!("#{} {} {:?}", s.id, s.state, s.server_status);
//! }
//! # let _ = FailureReason::NotSent { detail: String::new() };
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod journal;
mod model;
mod schema;

pub use error::JournalError;
pub use journal::{BUSY_TIMEOUT, Journal, SubmissionTicket};
pub use model::{
    FailureReason, NewPublication, Publication, PublicationKind, Resolution, ServerUpdate,
    Sha256Hex, Submission, SubmissionEvent, SubmissionId, SubmissionMeta, SubmissionState,
};
pub use schema::SCHEMA_VERSION;
