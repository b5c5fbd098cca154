//! Status answers, `track` and `history`: ask HWS, record in the journal, print.

use hague_journal::{Publication, PublicationKind, Submission, SubmissionEvent, SubmissionState};
use hws_client::wire::{
    ImportId, ImportState, ImportStatus, ServiceRequestNumber, ServiceRequestStatus,
};
use serde::Serialize;

use super::env::{HwsEnv, unix_secs};
use crate::exit::{CliError, CliResult};
use crate::output::Records;

/// `ipgate hague ping`.
pub async fn ping(env: &HwsEnv, name: &str) -> CliResult {
    let hello = env
        .client()?
        .ping(Some(name))
        .await
        .map_err(|e| env.hws_error(e))?;
    #[derive(Serialize)]
    struct Out<'a> {
        base_url: &'a str,
        name: Option<&'a str>,
        message: &'a str,
    }
    let out = Out {
        base_url: env.base_url(),
        name: hello.name.as_deref(),
        message: &hello.message,
    };
    env.emit(&out, || {
        crate::outln!("{} (from {})", out.message, out.base_url);
    })
}

/// The JSON form of an import status.
#[derive(Serialize)]
pub struct ImportJson<'a> {
    pub import_id: &'a str,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srn: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasons: Option<&'a [hws_client::wire::RejectionReason]>,
}

impl<'a> ImportJson<'a> {
    pub fn of(s: &'a ImportStatus) -> Self {
        ImportJson {
            import_id: s.import_id.as_str(),
            status: s.state.category(),
            srn: match &s.state {
                ImportState::Imported { srn } => Some(srn.as_str()),
                _ => None,
            },
            reasons: match &s.state {
                ImportState::Rejected { reasons } => Some(reasons),
                _ => None,
            },
        }
    }

    pub fn print_human(&self) {
        crate::outln!("import ID:  {}", self.import_id);
        crate::outln!("status:     {}", self.status);
        if let Some(srn) = self.srn {
            crate::outln!("SRN:        {srn}");
        }
        for r in self.reasons.unwrap_or_default() {
            match &r.location {
                Some(l) => crate::outln!("  [{}] {} ({l})", r.rule, r.message),
                None => crate::outln!("  [{}] {}", r.rule, r.message),
            }
        }
    }
}

/// The JSON form of a service request status.
#[derive(Serialize)]
pub struct RequestJson<'a> {
    pub srn: &'a str,
    pub request_id: &'a str,
    pub status: &'a str,
    #[serde(rename = "final")]
    pub is_final: bool,
    pub irn: Option<&'a str>,
    pub expected_publication_date: Option<String>,
}

impl<'a> RequestJson<'a> {
    pub fn of(s: &'a ServiceRequestStatus) -> Self {
        RequestJson {
            srn: s.srn.as_str(),
            request_id: &s.request_id,
            status: s.status.as_str(),
            is_final: s.status.is_final(),
            irn: s.irn.as_deref(),
            expected_publication_date: s
                .expected_publication_date
                .map(hws_client::wire::format_date),
        }
    }

    pub fn print_human(&self) {
        crate::outln!("SRN:        {}", self.srn);
        crate::outln!("request ID: {}", self.request_id);
        crate::outln!(
            "status:     {}{}",
            self.status,
            if self.is_final { " (final)" } else { "" }
        );
        if let Some(irn) = self.irn {
            crate::outln!("IRN:        {irn}");
        }
        if let Some(d) = &self.expected_publication_date {
            crate::outln!("expected publication: {d}");
        }
    }
}

/// `ipgate hague import-status ID`: asks HWS and records the answer in the journal when the import
/// is one of ours.
pub async fn import_status(env: &HwsEnv, id: &ImportId) -> CliResult {
    let status = env
        .client()?
        .import_status(id)
        .await
        .map_err(|e| env.hws_error(e))?;
    env.record_import(&status);
    let out = ImportJson::of(&status);
    env.emit(&out, || out.print_human())
}

/// `ipgate hague status SRN`.
pub async fn request_status(env: &HwsEnv, srn: &ServiceRequestNumber) -> CliResult {
    let status = env
        .client()?
        .request_status(srn)
        .await
        .map_err(|e| env.hws_error(e))?;
    env.record_request(&status);
    let out = RequestJson::of(&status);
    env.emit(&out, || out.print_human())
}

/// What `track` found for one submission.
#[derive(Serialize)]
struct Tracked {
    submission: u64,
    state: &'static str,
    import_id: Option<String>,
    srn: Option<String>,
    status: Option<String>,
    #[serde(rename = "final")]
    is_final: bool,
    /// For `sending`/`unknown`: what the operator must do (never resent automatically).
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `ipgate hague track`: refreshes every open submission, one request each.
pub async fn track(env: &HwsEnv) -> CliResult {
    let open = env
        .journal()
        .open_submissions()
        .map_err(super::env::journal_error)?;
    let mut rows = Records::new("open");
    for s in open {
        let mut row = Tracked {
            submission: s.id.0.unsigned_abs(),
            state: s.state.as_str(),
            import_id: s.import_id.clone(),
            srn: s.srn.clone(),
            status: s.server_status.clone(),
            is_final: s.server_final,
            action: None,
            error: None,
        };
        match s.state {
            SubmissionState::Sending | SubmissionState::Unknown => {
                row.action = Some(unresolved_action(&s));
            }
            SubmissionState::Sent => {
                if let Err(e) = refresh(env, &s, &mut row).await {
                    row.error = Some(e.message);
                }
            }
            SubmissionState::Failed => {}
        }
        rows.push(row)?;
    }
    #[derive(Serialize)]
    struct Out<'a> {
        open: &'a [Tracked],
    }
    let rows = rows.kept();
    env.emit_streamed(&Out { open: rows }, &["open"], || {
        if rows.is_empty() {
            crate::outln!("nothing to track: every submission in the journal is final");
        }
        for r in rows {
            crate::outln!(
                "#{:<4} {:<8} import {:<20} SRN {:<14} {}{}",
                r.submission,
                r.state,
                r.import_id.as_deref().unwrap_or("-"),
                r.srn.as_deref().unwrap_or("-"),
                r.status.as_deref().unwrap_or("-"),
                if r.is_final { " (final)" } else { "" }
            );
            if let Some(a) = &r.action {
                crate::outln!("       {a}");
            }
            if let Some(e) = &r.error {
                crate::outln!("       could not ask HWS: {e}");
            }
        }
    })
}

async fn refresh(env: &HwsEnv, s: &Submission, row: &mut Tracked) -> CliResult {
    use hws_client::{RefreshError, Refreshed};
    let now = match hws_client::refresh_submission(env.client()?, env.journal(), s).await {
        Ok(Refreshed::Updated(u) | Refreshed::NeedsNothing(u)) => u,
        Err(RefreshError::Hws(e)) => return Err(env.hws_error(e)),
        Err(RefreshError::Journal(e)) => return Err(super::env::journal_error(e)),
        Err(e @ RefreshError::BadId { .. }) => return Err(CliError::internal(e.to_string())),
    };
    row.srn = now.srn;
    row.status = now.server_status;
    row.is_final = now.server_final;
    Ok(())
}

/// What to tell the operator about a submission whose POST may or may not have reached WIPO.
pub fn unresolved_action(s: &Submission) -> String {
    if s.state == SubmissionState::Sending && s.pid != std::process::id() && process_alive(s.pid) {
        return format!(
            "submission #{} is being sent right now by process {} (or was, by a process that has \
             since reused that number): wait for it to finish, then look again with `ipgate hague track`",
            s.id.0, s.pid
        );
    }
    let what = match s.state {
        SubmissionState::Sending => {
            "was being sent when ipgate stopped (crash or kill) and has no recorded answer"
        }
        _ => "was sent but its answer was lost",
    };
    let id = s.id.0;
    format!(
        "submission #{id} {what}: WIPO may or may not have it, so ipgate never resends it by itself. \
         Check with WIPO (hague.it@wipo.int) whether a package with SHA-256 {}{} arrived, then: \
         if it did, `ipgate hague resolve {id} --received IMPORT_ID` (track then follows it); if it \
         did not, `ipgate hague resolve {id} --not-received NOTE` and send it again (or at once: \
         `ipgate hague submit PKG --force`).",
        s.package_sha256.as_str(),
        s.meta
            .office_reference
            .as_deref()
            .map(|r| format!(" (office reference {r})"))
            .unwrap_or_default()
    )
}

/// Whether process `pid` exists (Linux: `/proc/PID`; elsewhere unknown, so `false`: the message
/// then says what to do after a crash, which is also right for a process still running).
fn process_alive(pid: u32) -> bool {
    cfg!(target_os = "linux") && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[derive(Serialize)]
struct SubmissionJson<'a> {
    id: i64,
    state: &'static str,
    package_sha256: &'a str,
    package_size: u64,
    package: Option<String>,
    transaction_type: Option<&'a str>,
    office_reference: Option<&'a str>,
    irn: Option<&'a str>,
    import_id: Option<&'a str>,
    srn: Option<&'a str>,
    server_status: Option<&'a str>,
    server_final: bool,
    failure: Option<String>,
    forced: bool,
    created_at: u64,
    updated_at: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<EventJson>>,
}

#[derive(Serialize)]
struct EventJson {
    at: u64,
    state: &'static str,
    server_status: Option<String>,
    detail: String,
}

fn event_json(e: SubmissionEvent) -> EventJson {
    EventJson {
        at: unix_secs(e.at),
        state: e.state.as_str(),
        server_status: e.server_status,
        detail: e.detail,
    }
}

#[derive(Serialize)]
struct PublicationJson<'a> {
    week: &'a str,
    kind: &'static str,
    sha256: &'a str,
    size: u64,
    path: String,
    downloaded_at: u64,
}

fn publication_json(p: &Publication) -> PublicationJson<'_> {
    PublicationJson {
        week: &p.week,
        kind: p.kind.as_str(),
        sha256: p.sha256.as_str(),
        size: p.size,
        path: p.path.display().to_string(),
        downloaded_at: unix_secs(p.downloaded_at),
    }
}

/// The JSON form of a journal row, with its events when asked.
fn submission_json(s: &Submission, events: Option<Vec<SubmissionEvent>>) -> SubmissionJson<'_> {
    SubmissionJson {
        id: s.id.0,
        state: s.state.as_str(),
        package_sha256: s.package_sha256.as_str(),
        package_size: s.package_size,
        package: s
            .meta
            .package_path
            .as_ref()
            .map(|p| p.display().to_string()),
        transaction_type: s.meta.transaction_type.as_deref(),
        office_reference: s.meta.office_reference.as_deref(),
        irn: s.meta.irn.as_deref(),
        import_id: s.import_id.as_deref(),
        srn: s.srn.as_deref(),
        server_status: s.server_status.as_deref(),
        server_final: s.server_final,
        failure: s.failure.as_ref().map(ToString::to_string),
        forced: s.forced,
        created_at: unix_secs(s.created_at),
        updated_at: unix_secs(s.updated_at),
        events: events.map(|ev| ev.into_iter().map(event_json).collect()),
    }
}

/// `ipgate hague history`: the journal, newest first. With `--output ndjson` each submission is
/// written as it is read (with its events), then each publication, then the summary.
pub fn history(env: &HwsEnv, limit: Option<usize>, with_events: bool) -> CliResult {
    let journal = env.journal();
    let jerr = super::env::journal_error;
    let subs = journal.history(limit).map_err(jerr)?;
    let mut rows = Records::new("submissions");
    for s in &subs {
        let events = if with_events {
            Some(journal.events(s.id).map_err(jerr)?)
        } else {
            None
        };
        rows.push(submission_json(s, events))?;
    }
    let mut publications = journal
        .publications(PublicationKind::Bulletin)
        .map_err(jerr)?;
    publications.extend(
        journal
            .publications(PublicationKind::ConfidentialCopy)
            .map_err(jerr)?,
    );
    let mut pubs = Records::new("publications");
    for p in &publications {
        pubs.push(publication_json(p))?;
    }
    #[derive(Serialize)]
    struct Out<'a> {
        journal: String,
        submissions: &'a [SubmissionJson<'a>],
        publications: &'a [PublicationJson<'a>],
    }
    let (rows, pubs) = (rows.kept(), pubs.kept());
    let out = Out {
        journal: journal.path().display().to_string(),
        submissions: rows,
        publications: pubs,
    };
    env.emit_streamed(&out, &["submissions", "publications"], || {
        crate::outln!("journal: {}", out.journal);
        if rows.is_empty() {
            crate::outln!("no submissions yet");
        }
        for r in rows {
            crate::outln!(
                "#{:<4} {}  {:<8} {:<24} ref {:<18} import {:<20} SRN {:<14} {}",
                r.id,
                iso_time(r.created_at),
                r.state,
                r.transaction_type.unwrap_or("-"),
                r.office_reference.unwrap_or("-"),
                r.import_id.unwrap_or("-"),
                r.srn.unwrap_or("-"),
                r.server_status.unwrap_or("-"),
            );
            if let Some(f) = &r.failure {
                crate::outln!("       {f}");
            }
            for e in r.events.iter().flatten() {
                crate::outln!("       {}  {:<8} {}", iso_time(e.at), e.state, e.detail);
            }
        }
        if !pubs.is_empty() {
            crate::outln!("publications:");
            for p in pubs {
                crate::outln!(
                    "  {} {:<17} {:>12} bytes  {}",
                    p.week,
                    p.kind,
                    p.size,
                    p.path
                );
            }
        }
    })
}

/// `2026-12-05 23:30:00Z`.
pub fn iso_time(unix: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(i64::try_from(unix).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `ipgate hague resolve N --received ID | --not-received NOTE`.
pub fn resolve(
    env: &HwsEnv,
    id: hague_journal::SubmissionId,
    resolution: &hague_journal::Resolution,
) -> CliResult {
    let s = env
        .journal()
        .resolve(id, resolution)
        .map_err(super::env::journal_error)?;
    #[derive(Serialize)]
    struct Out<'a> {
        submission: i64,
        state: &'static str,
        import_id: Option<&'a str>,
    }
    let out = Out {
        submission: s.id.0,
        state: s.state.as_str(),
        import_id: s.import_id.as_deref(),
    };
    env.emit(&out, || match out.import_id {
        Some(i) => crate::outln!(
            "submission #{} is now sent, import ID {i}; follow it with `ipgate hague track`",
            out.submission
        ),
        None => crate::outln!(
            "submission #{} is now failed (confirmed not received); the package may be sent again",
            out.submission
        ),
    })
}
