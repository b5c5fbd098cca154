//! [`HwsError`]: every way an HWS call can fail, each telling the operator what to do.

use std::path::PathBuf;
use std::time::Duration;

use crate::wire::{ErrorDocument, RejectionReason, WireError};

/// Which HWS operation failed (for messages and exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GET /pingMe`.
    Ping,
    /// `POST /request`.
    Submit,
    /// `GET /request/import/{importId}`.
    ImportStatus,
    /// `GET /request/{serviceRequestId}`.
    RequestStatus,
    /// `GET /publication/bulletin/{weekId}`.
    Bulletin,
    /// `GET /publication/copy/confidential/{weekId}`.
    ConfidentialCopy,
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ping => "pingMe",
            Self::Submit => "the package upload (POST /request)",
            Self::ImportStatus => "the import status request",
            Self::RequestStatus => "the service-request status request",
            Self::Bulletin => "the bulletin download",
            Self::ConfidentialCopy => "the confidential-copy download",
        })
    }
}

/// Whether a `POST /request` that failed may have reached WIPO. Decides what the journal records:
/// `failed` (resend allowed) or `unknown` (never resent automatically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Certainly not sent: the connection was never established, or the request could not be built.
    NotSent,
    /// The request may have arrived and been acted on, but no usable answer came back.
    MaybeReceived,
    /// The server answered (its answer says what happened).
    Answered,
}

/// A setting that cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL.
    #[error("the HWS base URL is not usable: {0}")]
    BaseUrl(#[source] wipo_oidc::ClientError),
    /// A path template.
    #[error("the HWS path template {name} = {template:?} is not usable: {reason}")]
    PathTemplate {
        /// Which template.
        name: &'static str,
        /// Its value.
        template: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built (CA file unreadable or without certificates, TLS
    /// backend).
    #[error(transparent)]
    Client(#[from] ipgate_http::ClientBuildError),
}

/// Why an HWS call failed.
///
/// [`HwsError::hint`] says what to do; [`HwsError::delivery`] says, for a failed upload, whether
/// WIPO may have received it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HwsError {
    /// The client is misconfigured.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No access token could be obtained from WIPO's login (nothing was sent to HWS).
    #[error("cannot get an access token for HWS: {0}")]
    Token(#[source] wipo_oidc::ClientError),
    /// HWS refused the token, even a fresh one (HTTP 401 twice).
    #[error("HWS refused the access token for {operation} (HTTP 401){}", doc_suffix(.error))]
    Unauthorized {
        /// The operation.
        operation: Operation,
        /// The server's error document, if it sent one.
        error: Option<ErrorDocument>,
    },
    /// HWS says this client may not do this (HTTP 403), e.g. confidential copies for an office
    /// that is not an examining office.
    #[error("HWS forbids {operation} to this client (HTTP 403){}", doc_suffix(.error))]
    Forbidden {
        /// The operation.
        operation: Operation,
        /// The server's error document, if it sent one.
        error: Option<ErrorDocument>,
    },
    /// No such import id, SRN or issue (HTTP 404).
    #[error("HWS has no {what} {id} (HTTP 404){}", doc_suffix(.error))]
    NotFound {
        /// `import`, `service request`, `bulletin for week`, ...
        what: &'static str,
        /// The id asked for.
        id: String,
        /// The server's error document, if it sent one.
        error: Option<ErrorDocument>,
    },
    /// HWS refused the package: it will not be imported. No import id was issued (when the refusal
    /// came with the upload's answer) or the import was rejected (when it came later).
    #[error("HWS rejected the package (HTTP {http_status}): {}", reasons_text(.reasons))]
    Rejected {
        /// The HTTP status of the answer.
        http_status: u16,
        /// The server's reasons, rule by rule.
        reasons: Vec<RejectionReason>,
    },
    /// The request was refused as malformed (HTTP 400 or another 4xx not covered above).
    #[error("HWS refused {operation} (HTTP {status}){}", doc_suffix(.error))]
    BadRequest {
        /// The operation.
        operation: Operation,
        /// The status.
        status: u16,
        /// The server's error document, if it sent one.
        error: Option<ErrorDocument>,
    },
    /// Too many requests (HTTP 429), after the retries allowed.
    #[error("HWS is rate-limiting {operation} (HTTP 429){}", retry_after.map(|d| format!("; it asks to wait {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The operation.
        operation: Operation,
        /// How long the server asked to wait.
        retry_after: Option<Duration>,
    },
    /// HWS failed (HTTP 5xx), after the retries allowed. For an upload, WIPO may have received it.
    #[error("HWS failed during {operation} (HTTP {status}){}", doc_suffix(.error))]
    Server {
        /// The operation.
        operation: Operation,
        /// The status.
        status: u16,
        /// The server's error document, if it sent one.
        error: Option<ErrorDocument>,
    },
    /// The network failed. `delivery` tells, for an upload, whether it may have arrived.
    #[error("{}{operation} failed on the network ({detail})", match .delivery { Delivery::MaybeReceived if matches!(.operation, Operation::Submit) => "the package may have reached WIPO: ", Delivery::NotSent if matches!(.operation, Operation::Submit) => "the package was not sent: ", _ => "" })]
    Network {
        /// The operation.
        operation: Operation,
        /// Whether the request may have arrived.
        delivery: Delivery,
        /// What failed, with causes.
        detail: String,
    },
    /// An HTTP status no HWS operation answers with (e.g. a redirect, which is never followed).
    #[error("HWS answered {operation} with the unexpected HTTP status {status}")]
    UnexpectedStatus {
        /// The operation.
        operation: Operation,
        /// The status.
        status: u16,
    },
    /// The answer could not be read (not the document the operation returns).
    #[error(
        "HWS answered {operation} with HTTP {status} and a document that cannot be read: {source}"
    )]
    BadResponse {
        /// The operation.
        operation: Operation,
        /// The status.
        status: u16,
        /// What is wrong with it.
        source: WireError,
    },
    /// The answer was larger than any status document may be.
    #[error("HWS answered {operation} with more than {limit} bytes; not an HWS status document")]
    ResponseTooLarge {
        /// The operation.
        operation: Operation,
        /// The limit.
        limit: usize,
    },
    /// The week is in the future: no issue can exist yet (refused before any request).
    #[error("week {week} is in the future (this week is {current}); no issue exists yet")]
    FutureWeek {
        /// The week asked for.
        week: crate::WeekId,
        /// The current week.
        current: crate::WeekId,
    },
    /// The package file could not be read (nothing was sent).
    #[error("cannot read the package {}: {source}", path.display())]
    ReadPackage {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A download failed; the target file is untouched.
    #[error("{operation} failed: {source}")]
    Download {
        /// The operation.
        operation: Operation,
        /// What failed.
        source: ipgate_http::DownloadError,
    },
    /// A publication arrived whole as far as HTTP tells (as many bytes as announced) but is not a
    /// complete ZIP: its central directory is missing or unreadable (a server announcing less than
    /// the file, or another document sent as the ZIP). The file is not kept.
    #[error(
        "{operation} got {size} bytes that are not a complete ZIP ({detail}); the file was not kept"
    )]
    NotAZip {
        /// The operation.
        operation: Operation,
        /// Bytes received.
        size: u64,
        /// What the ZIP reader said.
        detail: String,
    },
    /// A wait ran out before the awaited status.
    #[error("gave up waiting for {what} of {id} after {} s; last status: {last_status}", waited.as_secs())]
    WaitTimeout {
        /// `the SRN` or `a final status`.
        what: &'static str,
        /// The import id or SRN.
        id: String,
        /// The last status seen.
        last_status: String,
        /// How long we waited.
        waited: Duration,
    },
}

fn doc_suffix(doc: &Option<ErrorDocument>) -> String {
    match doc {
        Some(d) => format!(": {} ({})", d.message, d.code),
        None => String::new(),
    }
}

fn reasons_text(reasons: &[RejectionReason]) -> String {
    if reasons.is_empty() {
        return "no reason given".into();
    }
    reasons
        .iter()
        .map(|r| match &r.location {
            Some(l) => format!("[{}] {} ({l})", r.rule, r.message),
            None => format!("[{}] {}", r.rule, r.message),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl HwsError {
    /// For a failed upload: whether WIPO may have received the package. `MaybeReceived` for a
    /// network failure after the connection was made, a 5xx answer (the server may have stored
    /// the package before failing) and an unreadable success answer; `NotSent` when nothing left
    /// this machine; `Answered` when HWS answered with a refusal (nothing was filed).
    pub fn delivery(&self) -> Delivery {
        match self {
            Self::Network { delivery, .. } => *delivery,
            Self::Server { .. } => Delivery::MaybeReceived,
            Self::BadResponse { status, .. } if (200..300).contains(status) => {
                Delivery::MaybeReceived
            }
            Self::ResponseTooLarge { .. } => Delivery::MaybeReceived,
            Self::Config(_)
            | Self::Token(_)
            | Self::ReadPackage { .. }
            | Self::FutureWeek { .. } => Delivery::NotSent,
            _ => Delivery::Answered,
        }
    }

    /// The HTTP status HWS answered with, when it did.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Unauthorized { .. } => Some(401),
            Self::Forbidden { .. } => Some(403),
            Self::NotFound { .. } => Some(404),
            Self::RateLimited { .. } => Some(429),
            Self::Rejected { http_status, .. } => Some(*http_status),
            Self::BadRequest { status, .. }
            | Self::Server { status, .. }
            | Self::BadResponse { status, .. }
            | Self::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// What the operator can do.
    pub fn hint(&self) -> Option<String> {
        let server_hint = |e: &Option<ErrorDocument>| e.as_ref().and_then(|d| d.hint.clone());
        Some(match self {
            Self::Config(ConfigError::Client(_)) => {
                "point ca_file at a readable PEM file of CA certificates (-----BEGIN CERTIFICATE-----)".into()
            }
            Self::Config(_) => "fix the [hws] settings of the profile".into(),
            Self::Token(e) => e
                .hint()
                .unwrap_or_else(|| "check the profile's login settings (issuer, client id, key)".into()),
            Self::Unauthorized { error, .. } => server_hint(error).unwrap_or_else(|| {
                "the token was refused although fresh: check that WIPO registered this client id for HWS and the scope it needs".into()
            }),
            Self::Forbidden { operation, error } => server_hint(error).unwrap_or_else(|| match operation {
                Operation::ConfidentialCopy => "confidential copies are for examining offices only; ask WIPO (hague.it@wipo.int) if your office is one".into(),
                _ => "ask WIPO (hague.it@wipo.int) to allow this client id".into(),
            }),
            Self::NotFound { what, error, .. } => server_hint(error).unwrap_or_else(|| match *what {
                "import" => "check the import id (as printed by submit or listed by history)".into(),
                "service request" => "check the SRN; the import status gives it once the package is imported".into(),
                _ => "no issue was published that week; check the week id (yyyyww)".into(),
            }),
            Self::Rejected { .. } => {
                "fix the package as the reasons say (ipgate package validate shows local checks), then send the corrected package".into()
            }
            Self::BadRequest { error, .. } => server_hint(error)
                .unwrap_or_else(|| "check the path templates and the identifiers given".into()),
            Self::RateLimited { .. } => "wait and try again later".into(),
            Self::Server { operation: Operation::Submit, .. }
            | Self::Network { operation: Operation::Submit, delivery: Delivery::MaybeReceived, .. } => {
                "do not send the package again yet: check with track (or ask hague.it@wipo.int) whether WIPO received it".into()
            }
            Self::BadResponse { operation: Operation::Submit, status, .. } if (200..300).contains(status) => {
                "WIPO probably received the package but its import id could not be read: ask hague.it@wipo.int before sending it again".into()
            }
            Self::Server { .. } => "HWS has a problem; try again later".into(),
            Self::Network { .. } => {
                "check the network, the proxy settings and the base URL; try again".into()
            }
            Self::BadResponse { .. } | Self::ResponseTooLarge { .. } | Self::UnexpectedStatus { .. } => {
                "check the base URL and the path templates: this does not look like HWS".into()
            }
            Self::FutureWeek { .. } => "ask for this week or an earlier one".into(),
            Self::ReadPackage { .. } => "check the package path".into(),
            Self::Download { .. } => "try again; a partial download resumes where it stopped".into(),
            Self::NotAZip { .. } => {
                "try again later; if it persists, tell hague.it@wipo.int (the server sent less than the archive, or something else)".into()
            }
            Self::WaitTimeout { .. } => "check again later (track); nothing is lost by waiting".into(),
        })
    }
}
