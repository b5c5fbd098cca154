//! The records the journal keeps: submissions with their status history, and publications.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::SystemTime;

use crate::error::JournalError;

/// A package's SHA-256, lower-case hex: the journal's key for "the same package".
///
/// Two packages are the same filing when their bytes are the same, whatever their file names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// The digest of `bytes`.
    pub fn digest(bytes: &[u8]) -> Self {
        let d = ring::digest::digest(&ring::digest::SHA256, bytes);
        Self(d.as_ref().iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Parses 64 hex digits (either case; stored lower-case).
    pub fn parse(value: &str) -> Result<Self, JournalError> {
        if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(value.to_ascii_lowercase()))
        } else {
            Err(JournalError::InvalidSha256 {
                value: value.chars().take(80).collect(),
            })
        }
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Sha256Hex {
    type Err = JournalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A submission's number in the journal (1, 2, ...), stable for the journal's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubmissionId(pub i64);

impl fmt::Display for SubmissionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a submission stands on our side of the wire.
///
/// ```text
/// begin ──► Sending ──► Sent      (import id known; server status follows)
///              │    ├─► Failed    (certainly not filed: refused before sending, or rejected by HWS)
///              │    └─► Unknown   (the answer was lost: WIPO may have it)
///              └── (crash: stays Sending; treated like Unknown)
/// ```
/// `Sending` and `Unknown` are never resent automatically: an operator checks with WIPO and records
/// the outcome with [`Journal::resolve`](crate::Journal::resolve).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubmissionState {
    /// Recorded before the POST; no answer recorded yet.
    Sending,
    /// HWS answered with an import id.
    Sent,
    /// Certainly not filed (see [`FailureReason`]).
    Failed,
    /// The POST may have reached WIPO but its answer was lost.
    Unknown,
}

impl SubmissionState {
    /// The word stored in the database and shown to operators.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    /// Whether a submission in this state blocks sending the same package again without force:
    /// everything but `Failed` (which was certainly not filed).
    pub fn blocks_resend(self) -> bool {
        !matches!(self, Self::Failed)
    }
}

impl fmt::Display for SubmissionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a submission certainly did not produce a filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The request never reached the server (refused locally, connection refused before sending,
    /// token could not be obtained).
    NotSent {
        /// What happened.
        detail: String,
    },
    /// HWS answered and refused the package (no import id was issued).
    RejectedByServer {
        /// The HTTP status, if the refusal came as one.
        http_status: Option<u16>,
        /// The server's reasons, one per entry.
        reasons: Vec<String>,
    },
    /// An operator checked with WIPO and confirmed it was not received (after `sending`/`unknown`).
    ConfirmedNotReceived {
        /// The operator's note.
        note: String,
    },
}

impl FailureReason {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::NotSent { .. } => "not_sent",
            Self::RejectedByServer { .. } => "rejected_by_server",
            Self::ConfirmedNotReceived { .. } => "confirmed_not_received",
        }
    }

    /// The stored detail: the text, or the reasons as a JSON array.
    pub(crate) fn detail(&self) -> String {
        match self {
            Self::NotSent { detail } => detail.clone(),
            Self::ConfirmedNotReceived { note } => note.clone(),
            Self::RejectedByServer { reasons, .. } => {
                serde_json::to_string(reasons).unwrap_or_default()
            }
        }
    }

    pub(crate) fn from_columns(
        kind: &str,
        detail: String,
        http_status: Option<u16>,
    ) -> Option<Self> {
        Some(match kind {
            "not_sent" => Self::NotSent { detail },
            "confirmed_not_received" => Self::ConfirmedNotReceived { note: detail },
            "rejected_by_server" => Self::RejectedByServer {
                http_status,
                reasons: serde_json::from_str(&detail).ok()?,
            },
            _ => return None,
        })
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSent { detail } => write!(f, "not sent: {detail}"),
            Self::ConfirmedNotReceived { note } => {
                write!(f, "confirmed not received by WIPO: {note}")
            }
            Self::RejectedByServer {
                http_status,
                reasons,
            } => {
                f.write_str("rejected by HWS")?;
                if let Some(s) = http_status {
                    write!(f, " (HTTP {s})")?;
                }
                if !reasons.is_empty() {
                    write!(f, ": {}", reasons.join("; "))?;
                }
                Ok(())
            }
        }
    }
}

/// What the caller knows about a package before sending it (all optional: the journal's key is the
/// SHA-256). Fill them from the package's XML so `history` can show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmissionMeta {
    /// The transaction's main tag or category, e.g. `HagueRefusalRequest`.
    pub transaction_type: Option<String>,
    /// `com:OfficeReferenceIdentifier`, the office's own reference.
    pub office_reference: Option<String>,
    /// `com:InternationalRegistrationNumber`, e.g. `DM/200000`.
    pub irn: Option<String>,
    /// The package file sent, for the record.
    pub package_path: Option<PathBuf>,
}

/// One submission as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// Its number.
    pub id: SubmissionId,
    /// The package's SHA-256.
    pub package_sha256: Sha256Hex,
    /// Size of the package in bytes.
    pub package_size: u64,
    /// What the caller told [`Journal::begin_submission`](crate::Journal::begin_submission).
    pub meta: SubmissionMeta,
    /// Our side's state.
    pub state: SubmissionState,
    /// Why it failed, when `state` is `Failed`.
    pub failure: Option<FailureReason>,
    /// Detail recorded with `Unknown` (what was lost).
    pub unknown_detail: Option<String>,
    /// HWS's import id, once known.
    pub import_id: Option<String>,
    /// The Service Request Number, once the import status gave one.
    pub srn: Option<String>,
    /// The last status HWS reported (import or service-request status), verbatim.
    pub server_status: Option<String>,
    /// Whether `server_status` is final (registered, rejected, abandoned...): nothing left to track.
    pub server_final: bool,
    /// Whether it was begun with force although the package was already on file.
    pub forced: bool,
    /// The process that began it (to tell a crash from a send still in progress).
    pub pid: u32,
    /// When it was begun.
    pub created_at: SystemTime,
    /// When it last changed.
    pub updated_at: SystemTime,
}

impl Submission {
    /// Whether `track` still has something to follow: an answer that may exist (`Sending`,
    /// `Unknown`) or a sent submission whose server status is not final yet.
    pub fn is_open(&self) -> bool {
        match self.state {
            SubmissionState::Sending | SubmissionState::Unknown => true,
            SubmissionState::Sent => !self.server_final,
            SubmissionState::Failed => false,
        }
    }
}

/// One line of a submission's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionEvent {
    /// When.
    pub at: SystemTime,
    /// The state after the event.
    pub state: SubmissionState,
    /// The server status after the event, if any.
    pub server_status: Option<String>,
    /// What happened, in words (`begun`, `import id X`, `SRN Y`, the failure...).
    pub detail: String,
}

/// What an operator found out about a submission left `Sending` or `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// WIPO has it, under this import id: the submission becomes `Sent`.
    Received {
        /// The import id WIPO gave.
        import_id: String,
    },
    /// WIPO confirms it never arrived: the submission becomes `Failed`, and the package may be sent
    /// again without force.
    NotReceived {
        /// The operator's note (who confirmed, when).
        note: String,
    },
}

/// A status answer from HWS, to record with [`Journal::record_server_status`](crate::Journal::record_server_status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerUpdate {
    /// The status as HWS wrote it (e.g. `Processing`, `Registered`).
    pub status: String,
    /// Whether nothing more will change (the caller's classification).
    pub is_final: bool,
    /// The SRN, if the answer carried one.
    pub srn: Option<String>,
    /// The IRN, if the answer carried one.
    pub irn: Option<String>,
    /// Anything else worth keeping (reasons of a rejection, expected publication date).
    pub detail: Option<String>,
}

/// What was downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PublicationKind {
    /// The weekly International Designs Bulletin.
    Bulletin,
    /// Confidential copies for an examining office.
    ConfidentialCopy,
}

impl PublicationKind {
    /// The word stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bulletin => "bulletin",
            Self::ConfidentialCopy => "confidential_copy",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "bulletin" => Self::Bulletin,
            "confidential_copy" => Self::ConfidentialCopy,
            _ => return None,
        })
    }
}

impl fmt::Display for PublicationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bulletin => "bulletin",
            Self::ConfidentialCopy => "confidential copy",
        })
    }
}

/// A download to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPublication {
    /// The week, `yyyyww` (the caller validated it as a `hws_client::WeekId`; the journal only
    /// checks it is six digits).
    pub week: String,
    /// Bulletin or confidential copy.
    pub kind: PublicationKind,
    /// SHA-256 of the file.
    pub sha256: Sha256Hex,
    /// Its size in bytes.
    pub size: u64,
    /// Where it was written.
    pub path: PathBuf,
}

/// A recorded download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// Row id.
    pub id: i64,
    /// `yyyyww`.
    pub week: String,
    /// Bulletin or confidential copy.
    pub kind: PublicationKind,
    /// SHA-256 of the file.
    pub sha256: Sha256Hex,
    /// Size in bytes.
    pub size: u64,
    /// Where it was written.
    pub path: PathBuf,
    /// When it was recorded.
    pub downloaded_at: SystemTime,
}
