//! [`Journal`]: the SQLite file and every operation on it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ipgate_base::clock::{Clock, SystemClock};
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior, params};

use crate::error::JournalError;
use crate::model::{
    FailureReason, NewPublication, Publication, PublicationKind, Resolution, ServerUpdate,
    Sha256Hex, Submission, SubmissionEvent, SubmissionId, SubmissionMeta, SubmissionState,
};
use crate::schema;

/// How long an operation waits for another process's write to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Proof that [`Journal::begin_submission`] recorded a package as `sending`: only with it may the
/// caller POST the package, and it must be handed back to [`Journal::complete`],
/// [`Journal::fail`] or [`Journal::mark_unknown`] once the POST has an outcome.
///
/// Dropping it without doing so leaves the submission `sending`, which is exactly what a crash
/// does: the package is then refused until an operator [resolves](Journal::resolve) it.
#[derive(Debug)]
#[must_use = "hand the ticket back with complete, fail or mark_unknown; dropped, it leaves the submission `sending`"]
pub struct SubmissionTicket {
    id: SubmissionId,
    sha256: Sha256Hex,
}

impl SubmissionTicket {
    /// The submission's number.
    pub fn id(&self) -> SubmissionId {
        self.id
    }

    /// The package's SHA-256.
    pub fn sha256(&self) -> &Sha256Hex {
        &self.sha256
    }
}

/// The submission journal: one SQLite file (WAL mode, synchronous writes) shared safely by every
/// ipgate process of the user.
///
/// Write-ahead protocol for `POST /request` (see the crate docs for a full example):
/// [`begin_submission`](Self::begin_submission) records `sending` *before* the request and refuses
/// a package already on file; the outcome is then recorded with [`complete`](Self::complete)
/// (import id), [`fail`](Self::fail) (certainly not filed) or [`mark_unknown`](Self::mark_unknown)
/// (the answer was lost). A submission left `sending` or `unknown` is never resent automatically.
///
/// `Journal` is `Send + Sync`: share one behind an `Arc` between tasks. It holds no secret.
pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

pub(crate) fn sql_error(path: &Path, action: &'static str, e: rusqlite::Error) -> JournalError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        match f.code {
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                return JournalError::Corrupt {
                    path: path.to_path_buf(),
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                };
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return JournalError::Busy {
                    path: path.to_path_buf(),
                    timeout_secs: BUSY_TIMEOUT.as_secs(),
                };
            }
            _ => {}
        }
    }
    JournalError::Sqlite {
        path: path.to_path_buf(),
        action,
        source: e,
    }
}

fn to_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn from_ms(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn check_week(week: &str) -> Result<(), JournalError> {
    if week.len() == 6 && week.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(JournalError::InvalidWeek {
            value: week.chars().take(40).collect(),
        })
    }
}

fn path_text(path: &Path) -> Result<&str, JournalError> {
    path.to_str().ok_or_else(|| JournalError::NonUtf8Path {
        path: path.to_path_buf(),
    })
}

const SUBMISSION_COLUMNS: &str = "id, package_sha256, package_size, transaction_type, office_reference, irn, \
     package_path, state, failure_kind, failure_detail, failure_http_status, unknown_detail, import_id, srn, \
     server_status, server_final, forced, pid, created_at_ms, updated_at_ms";

/// A row as stored; converted to [`Submission`] after the query so bad values become typed errors.
struct RawSubmission {
    id: i64,
    sha256: String,
    size: i64,
    transaction_type: Option<String>,
    office_reference: Option<String>,
    irn: Option<String>,
    package_path: Option<String>,
    state: String,
    failure_kind: Option<String>,
    failure_detail: Option<String>,
    failure_http_status: Option<i64>,
    unknown_detail: Option<String>,
    import_id: Option<String>,
    srn: Option<String>,
    server_status: Option<String>,
    server_final: bool,
    forced: bool,
    pid: i64,
    created_at_ms: i64,
    updated_at_ms: i64,
}

impl RawSubmission {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            sha256: r.get(1)?,
            size: r.get(2)?,
            transaction_type: r.get(3)?,
            office_reference: r.get(4)?,
            irn: r.get(5)?,
            package_path: r.get(6)?,
            state: r.get(7)?,
            failure_kind: r.get(8)?,
            failure_detail: r.get(9)?,
            failure_http_status: r.get(10)?,
            unknown_detail: r.get(11)?,
            import_id: r.get(12)?,
            srn: r.get(13)?,
            server_status: r.get(14)?,
            server_final: r.get(15)?,
            forced: r.get(16)?,
            pid: r.get(17)?,
            created_at_ms: r.get(18)?,
            updated_at_ms: r.get(19)?,
        })
    }

    fn into_submission(self, path: &Path) -> Result<Submission, JournalError> {
        let bad = |column: &'static str, value: String| JournalError::BadValue {
            path: path.to_path_buf(),
            column,
            value,
        };
        let state = SubmissionState::parse(&self.state)
            .ok_or_else(|| bad("submissions.state", self.state.clone()))?;
        let package_sha256 = Sha256Hex::parse(&self.sha256)
            .map_err(|_| bad("submissions.package_sha256", self.sha256.clone()))?;
        let failure = match &self.failure_kind {
            None => None,
            Some(kind) => Some(
                FailureReason::from_columns(
                    kind,
                    self.failure_detail.clone().unwrap_or_default(),
                    self.failure_http_status.and_then(|s| u16::try_from(s).ok()),
                )
                .ok_or_else(|| bad("submissions.failure_kind", kind.clone()))?,
            ),
        };
        Ok(Submission {
            id: SubmissionId(self.id),
            package_sha256,
            package_size: u64::try_from(self.size).unwrap_or(0),
            meta: SubmissionMeta {
                transaction_type: self.transaction_type,
                office_reference: self.office_reference,
                irn: self.irn,
                package_path: self.package_path.map(PathBuf::from),
            },
            state,
            failure,
            unknown_detail: self.unknown_detail,
            import_id: self.import_id,
            srn: self.srn,
            server_status: self.server_status,
            server_final: self.server_final,
            forced: self.forced,
            pid: u32::try_from(self.pid).unwrap_or(0),
            created_at: from_ms(self.created_at_ms),
            updated_at: from_ms(self.updated_at_ms),
        })
    }
}

impl Journal {
    /// Opens the journal at `path`, creating it (and its directory) if needed, with the system
    /// clock. The CLI passes `ipgate_base::dirs::data_dir()/journal.sqlite`.
    ///
    /// Errors: [`JournalError::Corrupt`] for a damaged or foreign file, [`JournalError::NotAJournal`]
    /// for another application's database, [`JournalError::NewerSchema`] for a journal written by a
    /// newer ipgate.
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        Self::open_with_clock(path, Arc::new(SystemClock))
    }

    /// Like [`open`](Self::open) with an injected clock (tests use `ManualClock`).
    pub fn open_with_clock(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, JournalError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(|source| JournalError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut conn = Connection::open(path).map_err(|source| JournalError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let err = |action| move |e| sql_error(path, action, e);
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(err("set its busy timeout"))?;
        // WAL: readers never block the writer; FULL: a committed `sending` survives power loss,
        // which is the whole point of writing it before the POST.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err("switch to WAL mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "journal is not in WAL mode (file system without shared memory?)");
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(err("set its pragmas"))?;
        {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(err("lock it to check its layout"))?;
            schema::migrate(&tx, path)?;
            tx.commit().map_err(err("commit its layout"))?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            clock,
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done write: SQLite rolls the open
        // transaction back when it is dropped. The connection stays usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self, action: &'static str) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
        move |e| sql_error(&self.path, action, e)
    }

    fn now_ms(&self) -> i64 {
        to_ms(self.clock.now())
    }

    fn load(
        &self,
        conn: &Connection,
        id: SubmissionId,
    ) -> Result<Option<Submission>, JournalError> {
        let raw = conn
            .query_row(
                &format!("SELECT {SUBMISSION_COLUMNS} FROM submissions WHERE id = ?1"),
                [id.0],
                RawSubmission::from_row,
            )
            .optional()
            .map_err(self.err("read a submission"))?;
        raw.map(|r| r.into_submission(&self.path)).transpose()
    }

    fn query(
        &self,
        conn: &Connection,
        where_clause: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Submission>, JournalError> {
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM submissions {where_clause}");
        let mut stmt = conn.prepare(&sql).map_err(self.err("list submissions"))?;
        let rows = stmt
            .query_map(params, RawSubmission::from_row)
            .map_err(self.err("list submissions"))?;
        let mut out = Vec::new();
        for raw in rows {
            out.push(
                raw.map_err(self.err("list submissions"))?
                    .into_submission(&self.path)?,
            );
        }
        Ok(out)
    }

    fn event(
        &self,
        conn: &Connection,
        id: SubmissionId,
        at_ms: i64,
        state: SubmissionState,
        server_status: Option<&str>,
        detail: &str,
    ) -> Result<(), JournalError> {
        conn.execute(
            "INSERT INTO submission_events (submission_id, at_ms, state, server_status, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.0, at_ms, state.as_str(), server_status, detail],
        )
        .map_err(self.err("record a history line"))?;
        Ok(())
    }

    /// Records the package as `sending`, before the POST. Call it, then POST only if it succeeds.
    ///
    /// Refuses with [`JournalError::AlreadySubmitted`] (carrying the earlier submission: its state,
    /// import id, SRN) when the same SHA-256 is on file in any state but `failed`, unless `force`.
    /// The check and the insert are one write transaction (`BEGIN IMMEDIATE`), so of two processes
    /// beginning the same package at the same moment exactly one gets a ticket.
    pub fn begin_submission(
        &self,
        sha256: &Sha256Hex,
        package_size: u64,
        meta: &SubmissionMeta,
        force: bool,
    ) -> Result<SubmissionTicket, JournalError> {
        let package_path = meta.package_path.as_deref().map(path_text).transpose()?;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.err("lock it to begin a submission"))?;
        let previous = self
            .query(
                &tx,
                "WHERE package_sha256 = ?1 AND state <> 'failed' ORDER BY id DESC LIMIT 1",
                [sha256.as_str()],
            )?
            .into_iter()
            .next();
        if let Some(previous) = &previous
            && !force
        {
            return Err(JournalError::AlreadySubmitted(Box::new(previous.clone())));
        }
        let now = self.now_ms();
        let forced = previous.is_some();
        let inserted = tx.execute(
            "INSERT INTO submissions (package_sha256, package_size, transaction_type, office_reference, irn, \
             package_path, state, forced, pid, created_at_ms, updated_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sending', ?7, ?8, ?9, ?9)",
            params![
                sha256.as_str(),
                i64::try_from(package_size).unwrap_or(i64::MAX),
                meta.transaction_type,
                meta.office_reference,
                meta.irn,
                package_path,
                forced,
                std::process::id(),
                now
            ],
        );
        if let Err(e) = inserted {
            return Err(self.err("record the submission")(e));
        }
        let id = SubmissionId(tx.last_insert_rowid());
        let detail = match &previous {
            Some(p) => format!(
                "begun with force although the package is on file as #{} ({})",
                p.id, p.state
            ),
            None => "begun".to_string(),
        };
        self.event(&tx, id, now, SubmissionState::Sending, None, &detail)?;
        tx.commit()
            .map_err(self.err("commit the submission record"))?;
        if forced {
            tracing::warn!(%sha256, id = id.0, "package sent again with force");
        }
        Ok(SubmissionTicket {
            id,
            sha256: sha256.clone(),
        })
    }

    /// Moves a submission from one of `from` to `to`, setting extra columns, and records `detail`.
    #[allow(clippy::too_many_arguments)]
    fn transition(
        &self,
        id: SubmissionId,
        from: &[SubmissionState],
        expected: &'static str,
        to: SubmissionState,
        set: &str,
        values: &[&dyn rusqlite::ToSql],
        detail: &str,
    ) -> Result<Submission, JournalError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.err("lock it to record an outcome"))?;
        let current = self
            .load(&tx, id)?
            .ok_or(JournalError::NoSuchSubmission(id))?;
        if !from.contains(&current.state) {
            return Err(JournalError::WrongState {
                id,
                state: current.state,
                expected,
            });
        }
        let now = self.now_ms();
        let sql = format!(
            "UPDATE submissions SET state = ?1, updated_at_ms = ?2{set} WHERE id = ?{}",
            values.len() + 3
        );
        let state = to.as_str();
        let mut all: Vec<&dyn rusqlite::ToSql> = vec![&state, &now];
        all.extend_from_slice(values);
        all.push(&id.0);
        tx.execute(&sql, all.as_slice())
            .map_err(self.err("record an outcome"))?;
        self.event(&tx, id, now, to, current.server_status.as_deref(), detail)?;
        let updated = self
            .load(&tx, id)?
            .ok_or(JournalError::NoSuchSubmission(id))?;
        tx.commit().map_err(self.err("commit an outcome"))?;
        Ok(updated)
    }

    /// HWS answered the POST with `import_id`: the submission becomes `sent`.
    pub fn complete(
        &self,
        ticket: SubmissionTicket,
        import_id: &str,
    ) -> Result<Submission, JournalError> {
        self.transition(
            ticket.id,
            &[SubmissionState::Sending],
            "sending",
            SubmissionState::Sent,
            ", import_id = ?3",
            &[&import_id],
            &format!("sent: import id {import_id}"),
        )
    }

    /// The package was certainly not filed (see [`FailureReason`]): the submission becomes
    /// `failed`, and the package may be sent again without force.
    pub fn fail(
        &self,
        ticket: SubmissionTicket,
        reason: &FailureReason,
    ) -> Result<Submission, JournalError> {
        self.fail_id(ticket.id, &[SubmissionState::Sending], "sending", reason)
    }

    fn fail_id(
        &self,
        id: SubmissionId,
        from: &[SubmissionState],
        expected: &'static str,
        reason: &FailureReason,
    ) -> Result<Submission, JournalError> {
        let http_status = match reason {
            FailureReason::RejectedByServer { http_status, .. } => http_status.map(i64::from),
            _ => None,
        };
        self.transition(
            id,
            from,
            expected,
            SubmissionState::Failed,
            ", failure_kind = ?3, failure_detail = ?4, failure_http_status = ?5",
            &[&reason.kind(), &reason.detail(), &http_status],
            &format!("failed: {reason}"),
        )
    }

    /// The POST may have reached WIPO but no usable answer came back (connection reset after
    /// sending, timeout, unreadable answer): the submission becomes `unknown` and blocks the
    /// package until an operator [resolves](Self::resolve) it.
    pub fn mark_unknown(
        &self,
        ticket: SubmissionTicket,
        detail: &str,
    ) -> Result<Submission, JournalError> {
        self.transition(
            ticket.id,
            &[SubmissionState::Sending],
            "sending",
            SubmissionState::Unknown,
            ", unknown_detail = ?3",
            &[&detail],
            &format!("outcome unknown: {detail}"),
        )
    }

    /// Records what an operator found out about a submission left `sending` (a crash) or
    /// `unknown` (a lost answer): WIPO [received](Resolution::Received) it under an import id, or
    /// it [never arrived](Resolution::NotReceived).
    pub fn resolve(
        &self,
        id: SubmissionId,
        resolution: &Resolution,
    ) -> Result<Submission, JournalError> {
        let from = [SubmissionState::Sending, SubmissionState::Unknown];
        match resolution {
            Resolution::Received { import_id } => self.transition(
                id,
                &from,
                "sending or unknown",
                SubmissionState::Sent,
                ", import_id = ?3",
                &[import_id],
                &format!("resolved by the operator: received, import id {import_id}"),
            ),
            Resolution::NotReceived { note } => self.fail_id(
                id,
                &from,
                "sending or unknown",
                &FailureReason::ConfirmedNotReceived { note: note.clone() },
            ),
        }
    }

    /// Records a status answer from HWS for a `sent` submission (import status or service-request
    /// status): the status, whether it is final, and an SRN or IRN it carried (a value already
    /// known is kept when the answer has none). A history line is added only when something
    /// changed, so polling does not fill the history.
    pub fn record_server_status(
        &self,
        id: SubmissionId,
        update: &ServerUpdate,
    ) -> Result<Submission, JournalError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(self.err("lock it to record a status"))?;
        let current = self
            .load(&tx, id)?
            .ok_or(JournalError::NoSuchSubmission(id))?;
        if current.state != SubmissionState::Sent {
            return Err(JournalError::WrongState {
                id,
                state: current.state,
                expected: "sent",
            });
        }
        let srn = update.srn.clone().or_else(|| current.srn.clone());
        let irn = update.irn.clone().or_else(|| current.meta.irn.clone());
        let changed = current.server_status.as_deref() != Some(update.status.as_str())
            || current.server_final != update.is_final
            || srn != current.srn
            || irn != current.meta.irn;
        if !changed {
            return Ok(current);
        }
        let now = self.now_ms();
        tx.execute(
            "UPDATE submissions SET server_status = ?1, server_final = ?2, srn = ?3, irn = ?4, \
             updated_at_ms = ?5 WHERE id = ?6",
            params![update.status, update.is_final, srn, irn, now, id.0],
        )
        .map_err(self.err("record a status"))?;
        let mut detail = format!("server status {}", update.status);
        if update.is_final {
            detail.push_str(" (final)");
        }
        if srn != current.srn
            && let Some(s) = &srn
        {
            detail.push_str(&format!(", SRN {s}"));
        }
        if irn != current.meta.irn
            && let Some(i) = &irn
        {
            detail.push_str(&format!(", IRN {i}"));
        }
        if let Some(d) = &update.detail {
            detail.push_str(&format!(": {d}"));
        }
        self.event(
            &tx,
            id,
            now,
            SubmissionState::Sent,
            Some(&update.status),
            &detail,
        )?;
        let updated = self
            .load(&tx, id)?
            .ok_or(JournalError::NoSuchSubmission(id))?;
        tx.commit().map_err(self.err("commit a status"))?;
        Ok(updated)
    }

    /// One submission.
    pub fn submission(&self, id: SubmissionId) -> Result<Option<Submission>, JournalError> {
        let conn = self.lock();
        self.load(&conn, id)
    }

    /// Every submission of the package with this SHA-256, oldest first.
    pub fn submissions_of_package(
        &self,
        sha256: &Sha256Hex,
    ) -> Result<Vec<Submission>, JournalError> {
        let conn = self.lock();
        self.query(
            &conn,
            "WHERE package_sha256 = ?1 ORDER BY id",
            [sha256.as_str()],
        )
    }

    /// The submission HWS gave this import id (the latest, should a forced resend share it).
    pub fn submission_by_import_id(
        &self,
        import_id: &str,
    ) -> Result<Option<Submission>, JournalError> {
        let conn = self.lock();
        Ok(self
            .query(
                &conn,
                "WHERE import_id = ?1 ORDER BY id DESC LIMIT 1",
                [import_id],
            )?
            .into_iter()
            .next())
    }

    /// The submission with this Service Request Number.
    pub fn submission_by_srn(&self, srn: &str) -> Result<Option<Submission>, JournalError> {
        let conn = self.lock();
        Ok(self
            .query(&conn, "WHERE srn = ?1 ORDER BY id DESC LIMIT 1", [srn])?
            .into_iter()
            .next())
    }

    /// The history: the latest `limit` submissions (all when `None`), newest first.
    pub fn history(&self, limit: Option<usize>) -> Result<Vec<Submission>, JournalError> {
        let conn = self.lock();
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        self.query(&conn, "ORDER BY id DESC LIMIT ?1", [limit])
    }

    /// What `track` follows, oldest first: submissions left `sending` or `unknown` (to be checked
    /// by an operator, never resent automatically) and `sent` ones whose server status is not final.
    pub fn open_submissions(&self) -> Result<Vec<Submission>, JournalError> {
        let conn = self.lock();
        self.query(
            &conn,
            "WHERE state IN ('sending', 'unknown') OR (state = 'sent' AND server_final = 0) ORDER BY id",
            [],
        )
    }

    /// Submissions still `sending`, oldest first: a crash between the journal write and the answer,
    /// or a send in progress in another process ([`Submission::pid`] tells which process began it).
    pub fn left_sending(&self) -> Result<Vec<Submission>, JournalError> {
        let conn = self.lock();
        self.query(&conn, "WHERE state = 'sending' ORDER BY id", [])
    }

    /// A submission's history, oldest first.
    pub fn events(&self, id: SubmissionId) -> Result<Vec<SubmissionEvent>, JournalError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT at_ms, state, server_status, detail FROM submission_events \
                 WHERE submission_id = ?1 ORDER BY id",
            )
            .map_err(self.err("read a submission's history"))?;
        let rows = stmt
            .query_map([id.0], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(self.err("read a submission's history"))?;
        let mut out = Vec::new();
        for row in rows {
            let (at, state, server_status, detail) =
                row.map_err(self.err("read a submission's history"))?;
            let state = SubmissionState::parse(&state).ok_or_else(|| JournalError::BadValue {
                path: self.path.clone(),
                column: "submission_events.state",
                value: state.clone(),
            })?;
            out.push(SubmissionEvent {
                at: from_ms(at),
                state,
                server_status,
                detail,
            });
        }
        Ok(out)
    }

    /// Records a downloaded publication. Downloading the same week and kind to the same path again
    /// replaces the record (new digest, size and time).
    pub fn record_publication(&self, p: &NewPublication) -> Result<Publication, JournalError> {
        check_week(&p.week)?;
        let path = path_text(&p.path)?;
        let now = self.now_ms();
        let conn = self.lock();
        let id: i64 = conn
            .query_row(
                "INSERT INTO publications (week, kind, sha256, size, path, downloaded_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (week, kind, path) DO UPDATE SET sha256 = excluded.sha256, \
                 size = excluded.size, downloaded_at_ms = excluded.downloaded_at_ms \
                 RETURNING id",
                params![
                    p.week,
                    p.kind.as_str(),
                    p.sha256.as_str(),
                    i64::try_from(p.size).unwrap_or(i64::MAX),
                    path,
                    now
                ],
                |r| r.get(0),
            )
            .map_err(self.err("record a publication"))?;
        Ok(Publication {
            id,
            week: p.week.clone(),
            kind: p.kind,
            sha256: p.sha256.clone(),
            size: p.size,
            path: p.path.clone(),
            downloaded_at: from_ms(now),
        })
    }

    fn publications_where(
        &self,
        where_clause: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Publication>, JournalError> {
        let conn = self.lock();
        let sql = format!(
            "SELECT id, week, kind, sha256, size, path, downloaded_at_ms FROM publications {where_clause}"
        );
        let mut stmt = conn.prepare(&sql).map_err(self.err("list publications"))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .map_err(self.err("list publications"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, week, kind, sha, size, path, at) =
                row.map_err(self.err("list publications"))?;
            let bad = |column: &'static str, value: String| JournalError::BadValue {
                path: self.path.clone(),
                column,
                value,
            };
            out.push(Publication {
                id,
                week,
                kind: PublicationKind::parse(&kind)
                    .ok_or_else(|| bad("publications.kind", kind.clone()))?,
                sha256: Sha256Hex::parse(&sha)
                    .map_err(|_| bad("publications.sha256", sha.clone()))?,
                size: u64::try_from(size).unwrap_or(0),
                path: PathBuf::from(path),
                downloaded_at: from_ms(at),
            });
        }
        Ok(out)
    }

    /// The latest record of this week's publication of this kind, if it was downloaded.
    pub fn publication(
        &self,
        week: &str,
        kind: PublicationKind,
    ) -> Result<Option<Publication>, JournalError> {
        check_week(week)?;
        Ok(self
            .publications_where(
                "WHERE week = ?1 AND kind = ?2 ORDER BY downloaded_at_ms DESC, id DESC LIMIT 1",
                params![week, kind.as_str()],
            )?
            .into_iter()
            .next())
    }

    /// Every recorded download of `kind`, by week then time (what `bulletin sync` compares with
    /// the weeks it should have).
    pub fn publications(&self, kind: PublicationKind) -> Result<Vec<Publication>, JournalError> {
        self.publications_where("WHERE kind = ?1 ORDER BY week, id", [kind.as_str()])
    }
}
