//! `ipgate hague submit`: validate locally, record in the journal, send once, optionally wait.

use std::path::Path;
use std::time::Duration;

use hague_journal::{JournalError, Sha256Hex, SubmissionMeta, SubmissionState};
use hague_package::{Options, Report, SchemaMode, Schemas};
use hws_client::wire::{ImportState, ImportStatus, ServiceRequestStatus};
use serde::Serialize;

use super::SubmitArgs;
use super::env::{HwsEnv, journal_error};
use super::show::{ImportJson, RequestJson, unresolved_action};
use crate::exit::{CliError, CliResult, ExitCode};

/// The local validation: the same rules (and schema lookup) as `ipgate package validate`, with
/// its progress bar on a terminal, and the default schema mode.
pub fn validate(
    package: &Path,
    schema_dirs: Vec<std::path::PathBuf>,
    output: crate::output::OutputFormat,
) -> CliResult<Report> {
    validate_with(package, schema_dirs, SchemaMode::default(), output)
}

/// [`validate`] with a schema mode (`--always-xsd`).
pub fn validate_with(
    package: &Path,
    schema_dirs: Vec<std::path::PathBuf>,
    schema_mode: SchemaMode,
    output: crate::output::OutputFormat,
) -> CliResult<Report> {
    let mut options = Options {
        schemas: Schemas::Dirs(schema_dirs),
        schema_mode,
        ..Options::default()
    };
    crate::cmd::package::validate_with_bar(package, &mut options, output)
}

/// What the package says about itself, for the journal.
pub fn meta(package: &Path) -> SubmissionMeta {
    let ins = hague_package::inspect(package, &hague_package::Limits::default()).ok();
    SubmissionMeta {
        transaction_type: ins.as_ref().and_then(|i| i.transaction.clone()),
        office_reference: ins.as_ref().and_then(|i| i.office_reference.clone()),
        irn: ins.as_ref().and_then(|i| i.irn.clone()),
        package_path: Some(std::path::absolute(package).unwrap_or_else(|_| package.to_path_buf())),
    }
}

/// What `submit` prints.
#[derive(Serialize)]
struct Out<'a> {
    submission: i64,
    package: String,
    package_sha256: &'a str,
    transaction_type: Option<&'a str>,
    office_reference: Option<&'a str>,
    import_id: &'a str,
    import_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    srn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(rename = "final")]
    is_final: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    irn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expected_publication_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasons: Option<&'a [hws_client::wire::RejectionReason]>,
    xsd: String,
}

/// `ipgate hague submit PKG [--wait] [--force]`.
pub async fn submit(env: &HwsEnv, a: SubmitArgs) -> CliResult {
    warn_left_sending(env, None);
    // The validation (st96's typed model, or WIPO's schema when it is needed: compiling it
    // takes ~0.3 s) and reading, hashing and inspecting the package for the journal run at the
    // same time.
    let (report, read) = std::thread::scope(|s| {
        let read = s.spawn(|| {
            std::fs::read(&a.package).map(|bytes| {
                let package = hws_client::HashedPackage::new(bytes::Bytes::from(bytes));
                (package, meta(&a.package))
            })
        });
        let report = validate_with(
            &a.package,
            super::schema_dirs(&a.schemas),
            a.xsd.mode(),
            env.output(),
        );
        (report, read.join())
    });
    let report = report?;
    if !report.is_valid() {
        if env.output() == crate::output::OutputFormat::Human {
            crate::cmd::package::print_report(&report);
        }
        return Err(CliError::new(
            ExitCode::Invalid,
            format!(
                "not sent: {} is not a valid Hague package ({} errors)",
                a.package.display(),
                report.errors()
            ),
        )
        .with_hint(
            "fix the errors listed above (`ipgate package validate` shows them; rule ids in docs/package-rules.md); nothing was sent or recorded",
        ));
    }
    let (package, meta) = read
        .map_err(|_| CliError::new(ExitCode::Internal, "reading the package panicked"))?
        .map_err(|e| CliError::io("read", &a.package, &e))?;
    let bar = crate::progress::enabled(env.output())
        .then(|| crate::progress::Bar::bytes(format!("upload {}", a.package.display())));
    let outcome = hws_client::submit_journaled_with_progress(
        env.client()?,
        env.journal(),
        package,
        &meta,
        a.force,
        bar.as_ref().map(crate::progress::Bar::callback),
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish();
    }
    let (submission, status) = match outcome {
        Ok(done) => (done.submission, done.status),
        Err(e) => return Err(journaled_error(env, e)),
    };
    let mut out = Out {
        submission: submission.id.0,
        package: a.package.display().to_string(),
        package_sha256: submission.package_sha256.as_str(),
        transaction_type: meta.transaction_type.as_deref(),
        office_reference: meta.office_reference.as_deref(),
        import_id: status.import_id.as_str(),
        import_status: status.state.category(),
        srn: None,
        status: None,
        is_final: status.state.is_final() && !matches!(status.state, ImportState::Imported { .. }),
        irn: None,
        expected_publication_date: None,
        reasons: None,
        xsd: crate::cmd::package::xsd_text(&report.xsd),
    };
    let mut import = status.clone();
    let mut request: Option<ServiceRequestStatus> = None;
    if a.wait {
        let timeout = a.wait_timeout.map_or(env.wait_timeout, Duration::from_secs);
        let started = std::time::Instant::now();
        let client = env.client()?;
        if !import.state.is_final() {
            let policy = poll_policy(env, timeout);
            let import_id = import.import_id.clone();
            let waited = client
                .wait_for_srn(&import_id, &policy, |st| {
                    env.record_import(st);
                    import = st.clone();
                })
                .await;
            match waited {
                Ok(_) => {}
                // The rejection is in `import` (recorded): reported below with exit 10.
                Err(hws_client::HwsError::Rejected { .. }) => {}
                Err(e) => return Err(env.hws_error(e)),
            }
        }
        if let ImportState::Imported { srn } = &import.state {
            let policy = poll_policy(env, timeout.saturating_sub(started.elapsed()));
            let st = client
                .wait_until_final(srn, &policy, |st| env.record_request(st))
                .await
                .map_err(|e| env.hws_error(e))?;
            request = Some(st);
        }
    }
    fill(&mut out, &import, request.as_ref());
    let rejected = matches!(import.state, ImportState::Rejected { .. });
    env.emit(&out, || {
        crate::outln!(
            "sent {} as submission #{} (sha256 {})",
            out.package,
            out.submission,
            out.package_sha256
        );
        ImportJson::of(&import).print_human();
        if let Some(r) = &request {
            RequestJson::of(r).print_human();
        }
        if !a.wait && !rejected {
            crate::outln!(
                "follow it with `ipgate hague import-status {}` or `ipgate hague track`",
                out.import_id
            );
        }
    })?;
    if rejected {
        return Err(CliError::new(
            ExitCode::Rejected,
            format!(
                "HWS rejected {} (import {})",
                a.package.display(),
                out.import_id
            ),
        )
        .with_hint("fix the reasons listed and send a corrected package"));
    }
    Ok(())
}

/// How `--wait` polls: quickly on the sandbox, gently on WIPO.
fn poll_policy(env: &HwsEnv, timeout: Duration) -> hws_client::PollPolicy {
    let mut p = hws_client::PollPolicy {
        timeout,
        ..hws_client::PollPolicy::default()
    };
    if env.is_sandbox() {
        p.initial_interval = Duration::from_millis(200);
        p.max_interval = Duration::from_secs(2);
    }
    p
}

fn fill(out: &mut Out<'_>, import: &ImportStatus, request: Option<&ServiceRequestStatus>) {
    out.import_status = import.state.category();
    match &import.state {
        ImportState::Imported { srn } => out.srn = Some(srn.to_string()),
        ImportState::Rejected { .. } => out.is_final = true,
        ImportState::Pending => {}
    }
    if let Some(r) = request {
        out.status = Some(r.status.as_str().to_string());
        out.is_final = r.status.is_final();
        out.irn = r.irn.clone();
        out.expected_publication_date = r
            .expected_publication_date
            .map(hws_client::wire::format_date);
    }
}

/// Maps a failed journaled submit to the CLI's exit codes, with what to do.
pub fn journaled_error(env: &HwsEnv, e: hws_client::SubmitError) -> CliError {
    use hws_client::SubmitError as E;
    match e {
        E::Journal(JournalError::AlreadySubmitted(previous)) => already_submitted(&previous),
        E::Journal(e) => journal_error(e),
        E::Hws { error, submission } => {
            let mut err = env.hws_error(error);
            if submission.state == SubmissionState::Unknown {
                err = err.with_hint(unresolved_action(&submission));
            }
            err
        }
        e @ E::NotRecorded { .. } => {
            let hint = e.hint();
            let mut err = CliError::new(ExitCode::Io, e.to_string());
            if let Some(h) = hint {
                err = err.with_hint(h);
            }
            err
        }
    }
}

/// The refusal of a package already in the journal, with the earlier submission and what to do.
fn already_submitted(previous: &hague_journal::Submission) -> CliError {
    let msg = JournalError::AlreadySubmitted(Box::new(previous.clone())).to_string();
    let hint = match previous.state {
        SubmissionState::Sending | SubmissionState::Unknown => unresolved_action(previous),
        _ => format!(
            "follow the earlier submission (`ipgate hague import-status {}` or `ipgate hague track`); \
             send it again with --force only if it must be filed twice",
            previous.import_id.as_deref().unwrap_or("ID")
        ),
    };
    CliError::new(ExitCode::AlreadySubmitted, format!("not sent: {msg}")).with_hint(hint)
}

/// Says on stderr which submissions an interrupted run left `sending` (other than `except`).
pub fn warn_left_sending(env: &HwsEnv, except: Option<&Sha256Hex>) {
    match env.journal().left_sending() {
        Ok(left) => {
            for s in left.iter().filter(|s| Some(&s.package_sha256) != except) {
                if s.pid == std::process::id() {
                    continue;
                }
                eprintln!("warning: {}", unresolved_action(s));
            }
        }
        Err(e) => tracing::warn!("cannot read the journal: {e}"),
    }
}
