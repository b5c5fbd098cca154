//! The journal protocol around `POST /request`: record, send once, record the outcome.

use bytes::Bytes;
use hague_journal::{
    FailureReason, Journal, JournalError, ServerUpdate, Sha256Hex, Submission, SubmissionMeta,
    SubmissionState,
};

use crate::client::HwsClient;
use crate::error::{Delivery, HwsError};
use crate::wire::{
    ImportId, ImportState, ImportStatus, ServiceRequestNumber, ServiceRequestStatus,
};

/// A package's bytes with their SHA-256, computed once by [`HashedPackage::new`]: the journal
/// keys submissions by it, and a caller that also shows the digest (the CLI) need not hash a
/// large package a second time on the way to the upload.
///
/// ```
/// let package = hws_client::HashedPackage::new(bytes::Bytes::from_static(b"PK..."));
/// assert_eq!(package.sha256().as_str().len(), 64);
/// ```
#[derive(Debug, Clone)]
pub struct HashedPackage {
    bytes: Bytes,
    sha256: Sha256Hex,
}

impl HashedPackage {
    /// Hashes `bytes`.
    pub fn new(bytes: Bytes) -> Self {
        let sha256 = Sha256Hex::digest(&bytes);
        Self { bytes, sha256 }
    }

    /// The package's SHA-256.
    pub fn sha256(&self) -> &Sha256Hex {
        &self.sha256
    }

    /// The package's size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// `true` for an empty package (never a valid one).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// A package sent and recorded.
#[derive(Debug, Clone)]
pub struct JournaledSubmission {
    /// The journal's record (state `sent`, with the import id and the first server status).
    pub submission: Submission,
    /// HWS's answer to the upload.
    pub status: ImportStatus,
}

/// Why [`submit_journaled`] did not end with a `sent` submission.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The journal refused before anything was sent: the package is already on file
    /// ([`JournalError::AlreadySubmitted`], carrying the earlier submission), or the journal could
    /// not be written. **Nothing was sent.**
    #[error(transparent)]
    Journal(JournalError),
    /// The upload failed; the outcome is recorded in the journal: `failed` when WIPO certainly did
    /// not file it (refused before sending, or rejected by HWS), `unknown` when it may have
    /// (see [`HwsError::delivery`]).
    #[error("{error}")]
    Hws {
        /// What failed.
        error: HwsError,
        /// The journal's record, after the outcome was written.
        submission: Box<Submission>,
    },
    /// HWS answered, but the journal could not record the answer: the submission stays `sending`
    /// in the journal. The import id (if any) is here: note it.
    #[error("{} but the journal could not record it: {journal}", match .import_id { Some(id) => format!("HWS accepted the package under import id {id}"), None => "the upload failed".to_string() })]
    NotRecorded {
        /// The import id HWS gave, when it gave one.
        import_id: Option<ImportId>,
        /// The upload's own error, when it failed.
        upload_error: Option<HwsError>,
        /// The journal failure.
        journal: JournalError,
    },
}

impl SubmitError {
    /// What the operator can do.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Journal(e) => e.hint(),
            Self::Hws { error, .. } => error.hint(),
            Self::NotRecorded {
                import_id: Some(id),
                ..
            } => Some(format!(
                "note import id {id}; record it once the journal works again (resolve the submission as received with that import id)"
            )),
            Self::NotRecorded { .. } => Some(
                "fix the journal (see the error), then resolve the submission left sending".into(),
            ),
        }
    }
}

/// The journal record of an import status (`Pending`, `Imported` with the SRN, `Rejected` with the
/// reasons; imported or rejected are final for the import step).
pub fn import_update(status: &ImportStatus) -> ServerUpdate {
    let (srn, detail) = match &status.state {
        ImportState::Imported { srn } => (Some(srn.to_string()), None),
        ImportState::Rejected { reasons } => (
            None,
            Some(
                reasons
                    .iter()
                    .map(|r| format!("[{}] {}", r.rule, r.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        ImportState::Pending => (None, None),
    };
    ServerUpdate {
        status: format!("import {}", status.state.category()),
        // Imported is not final for the filing: the service request follows.
        is_final: matches!(status.state, ImportState::Rejected { .. }),
        srn,
        irn: None,
        detail,
    }
}

/// The journal record of a service-request status (final when Registered, Abandoned, Cancelled).
pub fn request_update(status: &ServiceRequestStatus) -> ServerUpdate {
    ServerUpdate {
        status: status.status.to_string(),
        is_final: status.status.is_final(),
        srn: Some(status.srn.to_string()),
        irn: status.irn.clone(),
        detail: status
            .expected_publication_date
            .map(|d| format!("expected publication {}", crate::wire::format_date(d))),
    }
}

/// Sends `package` to HWS under the journal's write-ahead protocol:
///
/// 1. [`Journal::begin_submission`]: recorded `sending` before anything is sent; refused with
///    [`SubmitError::Journal`]`(`[`JournalError::AlreadySubmitted`]`)` if the same bytes are on
///    file (unless `force`).
/// 2. [`HwsClient::submit`]: one POST, never repeated.
/// 3. The outcome: `sent` with the import id (and the first import status), or `failed` /
///    `unknown` as [`HwsError::delivery`] says.
///
/// The journal calls are synchronous SQLite writes (milliseconds; up to the journal's busy
/// timeout when another process holds it).
///
/// ```no_run
/// # async fn demo(client: hws_client::HwsClient) -> Result<(), Box<dyn std::error::Error>> {
/// use hague_journal::{Journal, SubmissionMeta};
/// use hws_client::{submit_journaled, PollPolicy, SubmitError};
/// let journal = Journal::open("journal.sqlite".as_ref())?;
/// let package = bytes::Bytes::from(std::fs::read("refusal.zip")?);
/// match submit_journaled(&client, &journal, package, &SubmissionMeta::default(), false).await {
///     Ok(done) => {
///         let import_id = &done.status.import_id;
///         println!("sent as submission #{}, import id {import_id}", done.submission.id);
///         let srn = client
///             .wait_for_srn(import_id, &PollPolicy::default(), |s| {
///                 let _ = journal.record_server_status(done.submission.id, &hws_client::import_update(s));
///             })
///             .await?;
///         println!("SRN {srn}");
///     }
///     Err(e) => eprintln!("error: {e}\nhint: {}", e.hint().unwrap_or_default()),
/// }
/// # Ok(()) }
/// ```
pub async fn submit_journaled(
    client: &HwsClient,
    journal: &Journal,
    package: Bytes,
    meta: &SubmissionMeta,
    force: bool,
) -> Result<JournaledSubmission, SubmitError> {
    submit_journaled_with_progress(
        client,
        journal,
        HashedPackage::new(package),
        meta,
        force,
        None,
    )
    .await
}

/// [`submit_journaled`] for a package already hashed ([`HashedPackage`]), reporting the upload
/// to `progress` ([`HwsClient::submit_with_progress`]).
pub async fn submit_journaled_with_progress(
    client: &HwsClient,
    journal: &Journal,
    package: HashedPackage,
    meta: &SubmissionMeta,
    force: bool,
    progress: Option<ipgate_http::ProgressFn>,
) -> Result<JournaledSubmission, SubmitError> {
    let HashedPackage {
        bytes: package,
        sha256,
    } = package;
    let ticket = journal
        .begin_submission(&sha256, package.len() as u64, meta, force)
        .map_err(SubmitError::Journal)?;
    let id = ticket.id();
    tracing::info!(submission = id.0, %sha256, "submission recorded as sending; uploading");
    match client.submit_with_progress(package, progress).await {
        Ok(status) => {
            let submission = match journal.complete(ticket, status.import_id.as_str()) {
                Ok(s) => s,
                Err(journal) => {
                    return Err(SubmitError::NotRecorded {
                        import_id: Some(status.import_id),
                        upload_error: None,
                        journal,
                    });
                }
            };
            // The import id is on file; the first status is a nicety that `track` repeats.
            let submission = match journal.record_server_status(id, &import_update(&status)) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(submission = id.0, error = %e, "cannot record the first import status; track will ask again");
                    submission
                }
            };
            Ok(JournaledSubmission { submission, status })
        }
        Err(error) => {
            let recorded = match error.delivery() {
                Delivery::MaybeReceived => journal.mark_unknown(ticket, &error.to_string()),
                Delivery::NotSent => journal.fail(
                    ticket,
                    &FailureReason::NotSent {
                        detail: error.to_string(),
                    },
                ),
                Delivery::Answered => {
                    let reasons = match &error {
                        HwsError::Rejected { reasons, .. } => reasons
                            .iter()
                            .map(|r| format!("[{}] {}", r.rule, r.message))
                            .collect(),
                        other => vec![other.to_string()],
                    };
                    journal.fail(
                        ticket,
                        &FailureReason::RejectedByServer {
                            http_status: error.http_status(),
                            reasons,
                        },
                    )
                }
            };
            match recorded {
                Ok(submission) => Err(SubmitError::Hws {
                    error,
                    submission: Box::new(submission),
                }),
                Err(journal) => Err(SubmitError::NotRecorded {
                    import_id: None,
                    upload_error: Some(error),
                    journal,
                }),
            }
        }
    }
}

/// What [`refresh_submission`] did.
#[derive(Debug)]
pub enum Refreshed {
    /// Asked HWS and recorded its answer (the submission as it is now).
    Updated(Submission),
    /// Nothing to ask: the submission is `sending` or `unknown` (the operator must check with WIPO
    /// and [`resolve`](Journal::resolve) it; it is never resent automatically), `failed`, or final.
    NeedsNothing(Submission),
}

/// Why [`refresh_submission`] failed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// HWS could not be asked.
    #[error(transparent)]
    Hws(#[from] HwsError),
    /// The answer could not be recorded.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The journal holds an import id or SRN that is not a valid identifier.
    #[error("submission #{id} holds the invalid identifier {value:?}")]
    BadId {
        /// The submission.
        id: hague_journal::SubmissionId,
        /// The value.
        value: String,
    },
}

/// One step of `track` for one submission: asks HWS once (the service-request status when the SRN
/// is known, else the import status) and records the answer. `sending`, `unknown`, `failed` and
/// final submissions are returned as they are.
pub async fn refresh_submission(
    client: &HwsClient,
    journal: &Journal,
    submission: &Submission,
) -> Result<Refreshed, RefreshError> {
    if submission.state != SubmissionState::Sent || submission.server_final {
        return Ok(Refreshed::NeedsNothing(submission.clone()));
    }
    let bad = |value: &str| RefreshError::BadId {
        id: submission.id,
        value: value.to_string(),
    };
    if let Some(srn) = &submission.srn {
        let srn: ServiceRequestNumber = srn.parse().map_err(|_| bad(srn))?;
        let status = client.request_status(&srn).await?;
        return Ok(Refreshed::Updated(
            journal.record_server_status(submission.id, &request_update(&status))?,
        ));
    }
    let Some(import_id) = &submission.import_id else {
        return Ok(Refreshed::NeedsNothing(submission.clone()));
    };
    let import_id: ImportId = import_id.parse().map_err(|_| bad(import_id))?;
    let status = client.import_status(&import_id).await?;
    let mut updated = journal.record_server_status(submission.id, &import_update(&status))?;
    if let ImportState::Imported { srn } = &status.state {
        let status = client.request_status(srn).await?;
        updated = journal.record_server_status(submission.id, &request_update(&status))?;
    }
    Ok(Refreshed::Updated(updated))
}
