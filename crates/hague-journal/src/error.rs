//! [`JournalError`]: everything that can go wrong with the journal, each with what to do.

use std::path::PathBuf;

use crate::model::{Submission, SubmissionId, SubmissionState};

/// Why a journal operation failed.
///
/// [`JournalError::hint`] says what the operator can do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The directory that should hold the journal could not be created.
    #[error("cannot create the journal directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file could not be opened as an SQLite database (permissions, missing directory).
    #[error("cannot open the journal {}: {source}", path.display())]
    Open {
        /// The journal file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// The file is not an SQLite database, or SQLite found it damaged.
    #[error("the journal {} is damaged or not an SQLite database: {detail}", path.display())]
    Corrupt {
        /// The journal file.
        path: PathBuf,
        /// SQLite's description.
        detail: String,
    },
    /// The file is an SQLite database, but not an ipgate journal (tables but no version table).
    #[error("{} is an SQLite database but not an ipgate journal", path.display())]
    NotAJournal {
        /// The file.
        path: PathBuf,
    },
    /// The journal was written by a newer ipgate whose schema this version does not know.
    #[error("the journal {} has schema version {found}; this ipgate understands up to {supported}", path.display())]
    NewerSchema {
        /// The journal file.
        path: PathBuf,
        /// Version in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },
    /// Another process held the journal locked longer than the busy timeout.
    #[error("the journal {} stayed locked by another process for more than {timeout_secs} s", path.display())]
    Busy {
        /// The journal file.
        path: PathBuf,
        /// The busy timeout that ran out.
        timeout_secs: u64,
    },
    /// The package was already submitted (or its submission may have reached WIPO): sending it
    /// again could file the same decision twice.
    #[error("{}", duplicate_message(.0))]
    AlreadySubmitted(Box<Submission>),
    /// Not a SHA-256 in lower- or upper-case hex (64 digits).
    #[error("{value:?} is not a SHA-256 digest (64 hexadecimal digits)")]
    InvalidSha256 {
        /// The value given.
        value: String,
    },
    /// Not a week id of six digits (`yyyyww`).
    #[error("{value:?} is not a week id (yyyyww, six digits)")]
    InvalidWeek {
        /// The value given.
        value: String,
    },
    /// A path that is not valid UTF-8 (the journal stores paths as text).
    #[error("the path {} is not valid UTF-8; the journal stores paths as text", path.display())]
    NonUtf8Path {
        /// The path.
        path: PathBuf,
    },
    /// No submission has this id.
    #[error("the journal has no submission #{0}")]
    NoSuchSubmission(SubmissionId),
    /// The submission is not in the state this operation needs (e.g. completing a ticket whose
    /// submission an operator already resolved).
    #[error("submission #{id} is {state}, but this operation needs it {expected}")]
    WrongState {
        /// The submission.
        id: SubmissionId,
        /// Its state now.
        state: SubmissionState,
        /// The state the operation needs.
        expected: &'static str,
    },
    /// A stored row holds a value this version cannot read (edited by hand, or a newer writer).
    #[error("the journal {} holds an unreadable value in {column}: {value:?}", path.display())]
    BadValue {
        /// The journal file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// The value found.
        value: String,
    },
    /// Any other SQLite failure (disk full, I/O error).
    #[error("journal {} failed to {action}: {source}", path.display())]
    Sqlite {
        /// The journal file.
        path: PathBuf,
        /// What we were doing.
        action: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}

fn duplicate_message(previous: &Submission) -> String {
    let mut m = format!(
        "package {} is already in the journal: submission #{} ({}",
        previous.package_sha256, previous.id, previous.state
    );
    if let Some(id) = &previous.import_id {
        m.push_str(&format!(", import id {id}"));
    }
    if let Some(srn) = &previous.srn {
        m.push_str(&format!(", SRN {srn}"));
    }
    m.push_str(&format!(
        ", begun {})",
        httpdate::fmt_http_date(previous.created_at)
    ));
    m.push_str(match previous.state {
        SubmissionState::Sending => {
            "; it was being sent and no answer was recorded (a crash or another process sending it now): WIPO may have received it"
        }
        SubmissionState::Unknown => "; its answer was lost: WIPO may have received it",
        _ => "",
    });
    m
}

impl JournalError {
    /// What the operator can do, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::CreateDir { .. } | Self::Open { .. } => {
                "check that the directory exists and that you may write to it".into()
            }
            Self::Corrupt { path, .. } | Self::NotAJournal { path } => format!(
                "move {} aside (keep it: it records what was sent) and run again to start a new journal; \
                 check with WIPO before re-sending anything it listed",
                path.display()
            ),
            Self::NewerSchema { .. } => "use the newer ipgate that wrote this journal".into(),
            Self::Busy { .. } => "another ipgate is using the journal; try again when it has finished".into(),
            Self::AlreadySubmitted(previous) => match previous.state {
                SubmissionState::Sending | SubmissionState::Unknown => format!(
                    "check with WIPO whether submission #{} arrived (its import status, or ask hague.it@wipo.int \
                     quoting the package SHA-256), record the outcome, and only then send it again, deliberately (force)",
                    previous.id
                ),
                _ => "follow the earlier submission instead; send the package again only deliberately (force) \
                      if it must be filed twice"
                    .into(),
            },
            Self::WrongState { .. } => "list the submission's history to see who changed it".into(),
            Self::BadValue { .. } => "the journal was changed outside ipgate; restore it from a backup".into(),
            _ => return None,
        })
    }
}
