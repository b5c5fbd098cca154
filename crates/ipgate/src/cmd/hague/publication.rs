//! Bulletins and confidential copies: one week, or every missing week of a range.

use std::path::{Path, PathBuf};

use futures_util::StreamExt as _;
use hague_journal::PublicationKind;
use hws_client::WeekId;
use serde::Serialize;

use super::env::{HwsEnv, journal_error};
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::Records;

/// What is downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The weekly International Designs Bulletin.
    Bulletin,
    /// Confidential copies (examining offices).
    ConfidentialCopy,
}

impl Kind {
    fn file_stem(self, week: WeekId) -> String {
        match self {
            Kind::Bulletin => format!("bulletin-{week}"),
            Kind::ConfidentialCopy => format!("confidential-{week}"),
        }
    }

    fn journal_kind(self) -> PublicationKind {
        match self {
            Kind::Bulletin => PublicationKind::Bulletin,
            Kind::ConfidentialCopy => PublicationKind::ConfidentialCopy,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Bulletin => "bulletin",
            Kind::ConfidentialCopy => "confidential copy",
        }
    }
}

/// One downloaded week.
#[derive(Debug, Serialize)]
pub struct Downloaded {
    /// `yyyyww`.
    pub week: String,
    /// `bulletin` or `confidential_copy`.
    pub kind: &'static str,
    /// The ZIP.
    pub path: String,
    /// Its size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// Bytes that were already there from an interrupted download (0: a fresh download).
    pub resumed_from: u64,
    /// Where it was extracted, with `--extract`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extracted: Option<Extracted>,
}

/// The result of `--extract`.
#[derive(Debug, Serialize)]
pub struct Extracted {
    /// The new directory.
    pub dir: String,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// The SHA-256 list.
    pub sums_file: String,
    /// The XML document(s) extracted.
    pub xml: Vec<String>,
}

fn create_out_dir(out: &Path) -> CliResult {
    std::fs::create_dir_all(out).map_err(|e| CliError::io("create directory", out, &e))
}

/// Downloads `week` of `kind` into `out/<stem>.zip` and records it in the journal.
pub async fn fetch(env: &HwsEnv, kind: Kind, week: WeekId, out: &Path) -> CliResult<Downloaded> {
    fetch_and_extract(env, kind, week, out, None, None).await
}

/// [`fetch`], reporting progress to `progress`; with `extract_to`, the ZIP is also extracted into
/// that new directory while it downloads (`HwsClient::publication_extracted`: same checks and
/// result as `extract`).
async fn fetch_and_extract(
    env: &HwsEnv,
    kind: Kind,
    week: WeekId,
    out: &Path,
    progress: Option<ipgate_http::ProgressFn>,
    extract_to: Option<&Path>,
) -> CliResult<Downloaded> {
    let path = out.join(format!("{}.zip", kind.file_stem(week)));
    let client = env.client()?;
    let (d, extracted) = if let Some(dir) = extract_to {
        let which = match kind {
            Kind::Bulletin => hws_client::PublicationRequest::Bulletin,
            Kind::ConfidentialCopy => hws_client::PublicationRequest::ConfidentialCopy,
        };
        let both = client
            .publication_extracted(
                which,
                week,
                &path,
                dir,
                &hague_package::Limits::default(),
                progress,
            )
            .await
            .map_err(|e| env.hws_error(e))?;
        (both.downloaded, Some(both.extracted))
    } else {
        let d = match (kind, progress) {
            (Kind::Bulletin, None) => client.bulletin(week, &path).await,
            (Kind::Bulletin, Some(p)) => client.bulletin_with_progress(week, &path, p).await,
            (Kind::ConfidentialCopy, None) => client.confidential_copy(week, &path).await,
            (Kind::ConfidentialCopy, Some(p)) => {
                client.confidential_copy_with_progress(week, &path, p).await
            }
        }
        .map_err(|e| env.hws_error(e))?;
        (d, None)
    };
    let mut record = d.to_publication(kind.journal_kind());
    record.path = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    env.journal()
        .record_publication(&record)
        .map_err(journal_error)?;
    let extracted = match extracted {
        Some(x) => Some(extracted_summary(
            x.map_err(crate::cmd::package::map_err)?.outcome,
        )),
        None => None,
    };
    Ok(Downloaded {
        week: week.to_string(),
        kind: kind.journal_kind().as_str(),
        path: path.display().to_string(),
        size: d.size,
        sha256: d.sha256.as_str().to_string(),
        resumed_from: d.resumed_from,
        extracted,
    })
}

/// Refuses to extract over an existing directory (checked before downloading anything).
fn check_extract_dir(dir: &Path) -> CliResult {
    if dir.exists() {
        return Err(CliError::new(
            ExitCode::Io,
            format!("{} already exists; not extracting over it", dir.display()),
        )
        .with_hint("remove or rename that directory to extract again"));
    }
    Ok(())
}

/// Extracts `zip` safely into the new directory `dir` (with a SHA256SUMS list).
pub fn extract(zip: &Path, dir: &Path) -> CliResult<Extracted> {
    check_extract_dir(dir)?;
    let outcome = hague_package::extract(zip, dir, &hague_package::Limits::default())
        .map_err(crate::cmd::package::map_err)?;
    Ok(extracted_summary(outcome))
}

/// What `--extract` reports about an extraction.
fn extracted_summary(outcome: hague_package::ExtractOutcome) -> Extracted {
    let dir = &outcome.target;
    let mut xml = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("xml")) {
                xml.push(p.display().to_string());
            }
        }
    }
    xml.sort();
    Extracted {
        dir: outcome.target.display().to_string(),
        files: outcome.files,
        bytes: outcome.bytes,
        sums_file: outcome.sums_file.display().to_string(),
        xml,
    }
}

/// `ipgate hague bulletin WEEK` / `ipgate hague confidential-copy WEEK`.
pub async fn download_one(
    env: &HwsEnv,
    kind: Kind,
    week: WeekId,
    out: &Path,
    with_extract: bool,
) -> CliResult {
    create_out_dir(out)?;
    let bar = crate::progress::enabled(env.output())
        .then(|| crate::progress::Bar::bytes(format!("{} {week}", kind.name())));
    // With --extract the ZIP is extracted while it downloads (from the completed file when the
    // download resumed an earlier one); the directory must not exist yet.
    let extract_to = with_extract.then(|| out.join(kind.file_stem(week)));
    if let Some(dir) = &extract_to {
        check_extract_dir(dir)?;
    }
    let d = fetch_and_extract(
        env,
        kind,
        week,
        out,
        bar.as_ref().map(|b| b.callback()),
        extract_to.as_deref(),
    )
    .await;
    if let Some(bar) = &bar {
        bar.finish();
    }
    let d = d?;
    env.emit(&d, || {
        crate::outln!(
            "{} {}: {} ({} bytes, sha256 {}){}",
            kind.name(),
            d.week,
            d.path,
            d.size,
            d.sha256,
            if d.resumed_from > 0 {
                format!(", resumed after {} bytes", d.resumed_from)
            } else {
                String::new()
            }
        );
        if let Some(x) = &d.extracted {
            crate::outln!(
                "extracted {} files ({} bytes) to {}; SHA-256 list in {}",
                x.files,
                x.bytes,
                x.dir,
                x.sums_file
            );
            for f in &x.xml {
                crate::outln!("  check it with: ipgate st96 check {f}");
            }
        }
    })
}

/// The weeks `from..=to`.
pub fn weeks(from: WeekId, to: WeekId) -> Vec<WeekId> {
    let mut out = Vec::new();
    let mut w = Some(from);
    while let Some(week) = w
        && week <= to
    {
        out.push(week);
        w = week.next();
    }
    out
}

/// Whether `week` is already downloaded into `path` (recorded in the journal with the size the
/// file has now).
fn have(env: &HwsEnv, week: WeekId, path: &Path) -> bool {
    let Ok(Some(p)) = env
        .journal()
        .publication(&week.to_string(), PublicationKind::Bulletin)
    else {
        return false;
    };
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    p.path == abs && std::fs::metadata(path).is_ok_and(|m| m.len() == p.size)
}

#[derive(Serialize)]
struct Skipped {
    week: String,
    path: String,
}

#[derive(Serialize)]
struct Missing {
    week: String,
}

#[derive(Serialize)]
struct Failed {
    week: String,
    error: String,
    exit_code: u8,
}

/// `ipgate hague bulletin sync --from WEEK [--to WEEK]`: every week not yet downloaded, a few at
/// a time; an interrupted run is resumed by running it again.
pub async fn sync(
    env: &HwsEnv,
    from: WeekId,
    to: WeekId,
    out: &Path,
    concurrency: Option<u16>,
) -> CliResult {
    create_out_dir(out)?;
    // Each week is a record the moment it is known (`--output ndjson` streams it): the weeks
    // already here first, then each download as it finishes.
    let mut skipped = Records::new("skipped");
    let mut downloaded = Records::new("downloaded");
    let mut missing = Records::new("missing");
    let mut failed = Records::new("failed");
    let mut wanted = Vec::new();
    for week in weeks(from, to) {
        let path: PathBuf = out.join(format!("{}.zip", Kind::Bulletin.file_stem(week)));
        if have(env, week, &path) {
            skipped.push(Skipped {
                week: week.to_string(),
                path: path.display().to_string(),
            })?;
        } else {
            wanted.push(week);
        }
    }
    let n = concurrency.map_or(env.concurrency, usize::from).max(1);
    let bar = crate::progress::enabled(env.output())
        .then(|| crate::progress::Bar::items("bulletin sync".into(), wanted.len() as u64, "weeks"));
    let bar = &bar;
    let mut results = futures_util::stream::iter(wanted)
        .map(|week| async move {
            let r = fetch(env, Kind::Bulletin, week, out).await;
            if let Some(bar) = bar {
                bar.inc();
            }
            (week, r)
        })
        .buffer_unordered(n);
    let mut first_failure = None;
    while let Some((week, r)) = results.next().await {
        match r {
            Ok(d) => downloaded.push(d)?,
            Err(e) if e.code == ExitCode::NotFound => missing.push(Missing {
                week: week.to_string(),
            })?,
            Err(e) => {
                // The exit code is the earliest failed week's, whatever order they finish in.
                if first_failure.is_none_or(|(w, _)| week < w) {
                    first_failure = Some((week, e.code));
                }
                failed.push(Failed {
                    week: week.to_string(),
                    error: e.message,
                    exit_code: e.code.code(),
                })?;
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish();
    }
    downloaded.kept_mut().sort_by(|a, b| a.week.cmp(&b.week));
    missing.kept_mut().sort_by(|a, b| a.week.cmp(&b.week));
    failed.kept_mut().sort_by(|a, b| a.week.cmp(&b.week));
    let missing_weeks: Vec<&str> = missing.kept().iter().map(|m| m.week.as_str()).collect();
    #[derive(Serialize)]
    struct Out<'a> {
        from: String,
        to: String,
        out: String,
        downloaded: &'a [Downloaded],
        skipped: &'a [Skipped],
        missing: &'a [&'a str],
        failed: &'a [Failed],
    }
    let o = Out {
        from: from.to_string(),
        to: to.to_string(),
        out: out.display().to_string(),
        downloaded: downloaded.kept(),
        skipped: skipped.kept(),
        missing: &missing_weeks,
        failed: failed.kept(),
    };
    let streamed = [
        skipped.list(),
        downloaded.list(),
        missing.list(),
        failed.list(),
    ];
    env.emit_streamed(&o, &streamed, || {
        // One line per week, in week order.
        let mut lines: Vec<(&str, String)> = Vec::new();
        for d in downloaded.kept() {
            let resumed = if d.resumed_from > 0 {
                format!(", resumed after {} bytes", d.resumed_from)
            } else {
                String::new()
            };
            lines.push((
                &d.week,
                format!("downloaded    {} ({} bytes){resumed}", d.path, d.size),
            ));
        }
        for s in skipped.kept() {
            lines.push((&s.week, format!("already here  {}", s.path)));
        }
        for m in &missing_weeks {
            lines.push((m, "no issue published (HWS: not found)".to_string()));
        }
        for f in failed.kept() {
            lines.push((&f.week, format!("FAILED        {}", f.error)));
        }
        lines.sort_by(|x, y| x.0.cmp(y.0));
        for (week, line) in &lines {
            crate::outln!("{week}  {line}");
        }
        crate::outln!(
            "{} downloaded, {} already here, {} without an issue, {} failed",
            downloaded.count(),
            skipped.count(),
            missing.count(),
            failed.count()
        );
    })?;
    if let Some((_, code)) = first_failure {
        return Err(CliError::new(
            code,
            format!(
                "{} of {} weeks failed",
                failed.count(),
                failed.count() + downloaded.count()
            ),
        )
        .with_hint(
            "run the same command again: finished weeks are skipped and partial downloads resume",
        ));
    }
    Ok(())
}
