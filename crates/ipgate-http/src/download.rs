//! Streaming downloads that never leave a partial file at the target path, hash on the way, and
//! resume after an interruption.
//!
//! The body goes to `<target>.part` in the target's directory while SHA-256 is computed over it;
//! the part file is fsynced and renamed to the target ([`ipgate_base::fs::AtomicFile`]), so the
//! target holds the old file or the whole new one, never a piece.
//!
//! Resuming follows RFC 9110 §14 (range requests) and §13.1.5 (`If-Range`): when the server gave a
//! strong `ETag`, the part file is kept with a small sidecar `<target>.part.meta` naming the URL
//! and the ETag, so a later attempt, or a later process, asks for `Range: bytes=N-` with
//! `If-Range: <etag>`. A `206` with the matching `Content-Range` continues the part file; a `200`
//! (the entity changed, or the server ignores ranges) or a changed ETag starts again from byte 0.
//! Without a strong ETag nothing is kept for resuming (a weak or missing validator cannot prove
//! that the bytes on disk and the bytes to come belong to the same entity).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipgate_base::clock::{Clock, SystemClock};
use ipgate_base::fs::{AtomicFile, AtomicWriteError, FileMode};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, ETAG, HeaderValue, IF_RANGE, RANGE};
use tokio::io::AsyncReadExt as _;

use crate::retry::RetryPolicy;
use crate::send::{SendError, send};

/// At most this much of an error answer's body is kept in [`DownloadError::Status`].
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// Why a download failed. The target path is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The temporary (part) file next to the target could not be created, written, synced or
    /// renamed.
    #[error("{0}; check that the directory exists, is writable and has space")]
    File(#[from] AtomicWriteError),
    /// The part file or its resume sidecar could not be read or written.
    #[error("cannot {action} {}: {source}; check that the directory is writable", path.display())]
    Io {
        /// What we tried to do.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The request could not be sent (after the retries the policy allows).
    #[error(transparent)]
    Send(#[from] SendError),
    /// The server answered with a status other than 200 or 206 (after retries, for retryable ones).
    #[error("the server answered {} for {}", .0.status, .0.url)]
    Status(Box<ErrorAnswer>),
    /// The body stream failed part way, on the last attempt allowed.
    #[error(
        "the download broke off after {received} bytes ({attempts} attempt(s)): {source}; run it again to resume"
    )]
    Body {
        /// Bytes of the entity on disk when it broke off (in the part file if it can be resumed).
        received: u64,
        /// Attempts made.
        attempts: u32,
        /// The error.
        #[source]
        source: reqwest::Error,
    },
    /// The complete body failed the caller's [`DownloadOptions::verify`] check (e.g. a
    /// publication that is not a complete ZIP); the part file was removed, the target untouched.
    #[error("the downloaded {size} bytes were refused before being put at {}: {detail}", dest.display())]
    Refused {
        /// The target, where nothing was put.
        dest: PathBuf,
        /// Bytes received.
        size: u64,
        /// What the check found.
        detail: String,
    },
    /// Fewer or more bytes than the server announced.
    #[error("the server announced {expected} bytes but sent {received}; try again")]
    LengthMismatch {
        /// The announced length of the whole entity.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// Another download (in this or another process) is writing the same target right now.
    #[error("{} is being downloaded by another process (its part file {} is locked); wait for it to finish", dest.display(), part.display())]
    Busy {
        /// The target.
        dest: PathBuf,
        /// The locked part file.
        part: PathBuf,
    },
    /// A `206 Partial Content` whose `Content-Range` is not the range asked for, on every attempt.
    #[error(
        "the server answered a range request with `Content-Range: {content_range}`, not the range asked for (from byte {asked_from})"
    )]
    BadContentRange {
        /// The header as received.
        content_range: String,
        /// The first byte asked for.
        asked_from: u64,
    },
}

/// An error answer, kept for callers that turn it into a typed error (e.g. HWS's error document).
#[derive(Debug, Clone)]
pub struct ErrorAnswer {
    /// The status.
    pub status: StatusCode,
    /// The URL.
    pub url: String,
    /// The answer's headers (e.g. `WWW-Authenticate`, `Retry-After`).
    pub headers: reqwest::header::HeaderMap,
    /// The start of the answer's body (at most [`MAX_ERROR_BODY`] bytes).
    pub body: Vec<u8>,
}

/// How far a download is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the entity on disk so far (including bytes from an earlier, resumed attempt).
    pub received: u64,
    /// The entity's size, when the server said.
    pub total: Option<u64>,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Where the file is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its content, lower-case hex.
    pub sha256: String,
    /// Bytes taken over from an earlier interrupted download (0 when it started from scratch).
    pub resumed_from: u64,
    /// Requests made (1 when nothing went wrong).
    pub attempts: u32,
}

/// A progress callback: called after every chunk written.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// What a [`DownloadOptions::tee`] receives: the entity's bytes in order, as they are written,
/// for work done while the download runs (e.g. extracting an archive as it arrives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tee {
    /// A response's body starts, at byte `offset` of the entity: 0 for the whole entity, more for
    /// a resumed download (the bytes before it are in the part file, not sent). A second `Start`
    /// means the body started again (a retry): what was sent before it is to be dropped.
    Start {
        /// The first byte of the entity that follows.
        offset: u64,
    },
    /// The next bytes.
    Chunk(bytes::Bytes),
}

/// Settings of [`download`].
#[derive(Clone)]
pub struct DownloadOptions {
    /// Retries: of the request (as [`send`] does it) and of a body that broke off (resumed when
    /// possible), each counted against `max_attempts`.
    pub retry: RetryPolicy,
    /// Time for `Retry-After` dates.
    pub clock: Arc<dyn Clock>,
    /// Called after each chunk.
    pub progress: Option<ProgressFn>,
    /// Who may read the file.
    pub mode: FileMode,
    /// Keep an interrupted download for a later call to resume (default true).
    pub resume: bool,
    /// Also sends the bytes here, in order, as they are written (bounded channel: a slow
    /// receiver slows the download, memory stays flat). A receiver that goes away stops the
    /// sending, not the download.
    pub tee: Option<tokio::sync::mpsc::Sender<Tee>>,
    /// Checks the complete file (its temporary path) before it is renamed into place; an `Err`
    /// removes it and ends in [`DownloadError::Refused`], so a body that is complete by its
    /// length but not what was asked for (an HTML page, a cut-off archive) never appears at the
    /// target, not even for a moment.
    pub verify: Option<VerifyFn>,
}

/// A check of a complete download before it is put in place: `Err` says what is wrong.
pub type VerifyFn = Arc<dyn Fn(&Path) -> Result<(), String> + Send + Sync>;

impl Default for DownloadOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            progress: None,
            mode: FileMode::Public,
            resume: true,
            tee: None,
            verify: None,
        }
    }
}

impl std::fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("retry", &self.retry)
            .field("clock", &self.clock)
            .field("progress", &self.progress.is_some())
            .field("mode", &self.mode)
            .field("resume", &self.resume)
            .field("tee", &self.tee.is_some())
            .field("verify", &self.verify.is_some())
            .finish()
    }
}

impl DownloadOptions {
    /// Sets the progress callback.
    pub fn with_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// `<target>.part`: where the body is written before the rename.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// `<target>.part.meta`: the URL and ETag the part file belongs to.
pub fn sidecar_path(dest: &Path) -> PathBuf {
    let mut name = dest.as_os_str().to_owned();
    name.push(".part.meta");
    PathBuf::from(name)
}

/// What the sidecar records.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Validator {
    url: String,
    etag: String,
}

const SIDECAR_MAGIC: &str = "ipgate-download 1";

fn read_sidecar(path: &Path) -> Option<Validator> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != SIDECAR_MAGIC {
        return None;
    }
    let url = lines.next()?.strip_prefix("url ")?.to_string();
    let etag = lines.next()?.strip_prefix("etag ")?.to_string();
    Some(Validator { url, etag })
}

fn write_sidecar(path: &Path, v: &Validator) -> Result<(), DownloadError> {
    let text = format!("{SIDECAR_MAGIC}\nurl {}\netag {}\n", v.url, v.etag);
    ipgate_base::fs::write_atomic(path, text.as_bytes(), FileMode::Private)?;
    Ok(())
}

fn remove_quietly(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove a stale download file");
    }
}

/// Gives a partial download up for good: removes the part file and its sidecar (nothing is left
/// to resume).
fn abandon(file: AtomicFile, sidecar: &Path) {
    let _ = file.discard();
    remove_quietly(sidecar);
}

/// The check of a complete body: `total` (the announced length of the whole entity, when the
/// server gave one) against the bytes `received`.
fn check_length(total: Option<u64>, received: u64) -> Result<(), DownloadError> {
    match total {
        Some(expected) if expected != received => {
            Err(DownloadError::LengthMismatch { expected, received })
        }
        _ => Ok(()),
    }
}

/// A strong entity tag (`"abc"`), the only kind `If-Range` may carry (RFC 9110 §13.1.5).
fn strong_etag(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let v = headers.get(ETAG)?.to_str().ok()?.trim();
    (v.starts_with('"') && v.ends_with('"') && v.len() >= 2).then(|| v.to_string())
}

/// `bytes START-END/TOTAL` (TOTAL may be `*`).
fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    (start <= end && total.is_none_or(|t| end < t)).then_some((start, end, total))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The part file's bytes fed into a fresh SHA-256 context (to continue a resumed download's hash).
async fn hash_existing(path: &Path, len: u64) -> Result<ring::digest::Context, DownloadError> {
    let io = |source| DownloadError::Io {
        action: "read the partial download",
        path: path.to_path_buf(),
        source,
    };
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut f = tokio::fs::File::open(path).await.map_err(io)?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let n = f.read(&mut buf[..want]).await.map_err(io)?;
        if n == 0 {
            return Err(io(std::io::Error::from(std::io::ErrorKind::UnexpectedEof)));
        }
        ctx.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(ctx)
}

/// How one attempt's body ended.
enum BodyEnd {
    Complete,
    Broken(reqwest::Error),
}

/// Streams `response`'s body to the end of `file`, hashing, reporting progress and sending the
/// bytes to `tee` (dropped when its receiver is gone).
async fn stream_body(
    response: &mut reqwest::Response,
    file: &AtomicFile,
    ctx: &mut ring::digest::Context,
    received: &mut u64,
    total: Option<u64>,
    progress: Option<&ProgressFn>,
    tee: &mut Option<tokio::sync::mpsc::Sender<Tee>>,
) -> Result<BodyEnd, DownloadError> {
    if let Some(tx) = tee.as_ref()
        && tx.send(Tee::Start { offset: *received }).await.is_err()
    {
        *tee = None;
    }
    let std_file = file
        .as_file()
        .try_clone()
        .map_err(|e| DownloadError::File(file.write_error(e)))?;
    let write_err = |e| DownloadError::File(file.write_error(e));
    let mut out = BatchWriter::new(std_file, std::mem::replace(ctx, fresh_sha256()));
    let end = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                *received += chunk.len() as u64;
                if let Some(p) = progress {
                    p(Progress {
                        received: *received,
                        total,
                    });
                }
                if let Some(tx) = tee.as_ref()
                    && tx.send(Tee::Chunk(chunk.clone())).await.is_err()
                {
                    *tee = None;
                }
                // A write error shows at the next batch (a resume starts from the file's length).
                out.push(chunk).await.map_err(write_err)?;
            }
            Ok(None) => break BodyEnd::Complete,
            Err(e) => break BodyEnd::Broken(e),
        }
    };
    *ctx = out.finish().await.map_err(write_err)?;
    Ok(end)
}

fn fresh_sha256() -> ring::digest::Context {
    ring::digest::Context::new(&ring::digest::SHA256)
}

/// Bytes gathered before a write (network chunks are kilobytes; one trip to the blocking pool per
/// batch).
const BATCH: usize = 1 << 20;

/// Writes and hashes a body on tokio's blocking pool, one batch at a time, while the next batch
/// arrives: the network's chunks are written as they came (no copy into a buffer), and SHA-256
/// runs beside the network reads instead of between them.
struct BatchWriter {
    batch: Vec<bytes::Bytes>,
    batch_len: usize,
    /// The file and hash when no batch is being written.
    idle: Option<(std::fs::File, ring::digest::Context)>,
    /// The batch being written; gives the file and hash back.
    busy: Option<tokio::task::JoinHandle<WriteDone>>,
}

type WriteDone = (std::fs::File, ring::digest::Context, std::io::Result<()>);

impl BatchWriter {
    fn new(file: std::fs::File, ctx: ring::digest::Context) -> Self {
        Self {
            batch: Vec::new(),
            batch_len: 0,
            idle: Some((file, ctx)),
            busy: None,
        }
    }

    async fn push(&mut self, chunk: bytes::Bytes) -> std::io::Result<()> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= BATCH {
            self.send().await?;
        }
        Ok(())
    }

    /// Waits for the batch being written, if any.
    async fn settle(&mut self) -> std::io::Result<()> {
        if let Some(job) = self.busy.take() {
            let (file, ctx, result) = job.await.map_err(std::io::Error::other)?;
            self.idle = Some((file, ctx));
            result?;
        }
        Ok(())
    }

    /// Hands the gathered chunks to the blocking pool (after the batch before them is written).
    async fn send(&mut self) -> std::io::Result<()> {
        self.settle().await?;
        let Some((mut file, mut ctx)) = self.idle.take() else {
            return Err(std::io::Error::other("the download writer was lost"));
        };
        let batch = std::mem::take(&mut self.batch);
        self.batch_len = 0;
        self.busy = Some(tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let mut result = Ok(());
            for chunk in &batch {
                if let Err(e) = file.write_all(chunk) {
                    result = Err(e);
                    break;
                }
                ctx.update(chunk);
            }
            (file, ctx, result)
        }));
        Ok(())
    }

    /// Writes what is left and returns the hash of everything written.
    async fn finish(mut self) -> std::io::Result<ring::digest::Context> {
        if !self.batch.is_empty() {
            self.send().await?;
        }
        self.settle().await?;
        self.idle
            .take()
            .map(|(_, ctx)| ctx)
            .ok_or_else(|| std::io::Error::other("the download writer was lost"))
    }
}

/// Fsyncs and renames `file` into place on the blocking pool.
async fn commit(file: AtomicFile) -> Result<(), DownloadError> {
    let path = file.final_path().to_path_buf();
    tokio::task::spawn_blocking(move || file.commit())
        .await
        .map_err(|e| DownloadError::Io {
            action: "finish (the writer task failed) writing",
            path,
            source: std::io::Error::other(e.to_string()),
        })??;
    Ok(())
}

/// The start of an error answer's body.
async fn error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ERROR_BODY - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    body
}

/// Downloads the entity `build` asks for (a GET, rebuilt for every attempt: add authentication
/// there) to `dest`, resuming an earlier interrupted download of the same URL and ETag, and
/// retrying as `options.retry` allows. See the module documentation for the resume rules.
///
/// On success `dest` holds the whole entity and the part file and sidecar are gone. On failure
/// `dest` is untouched; the part file and sidecar stay only when a later call can resume them.
pub async fn download<F>(
    client: &reqwest::Client,
    dest: &Path,
    options: &DownloadOptions,
    mut build: F,
) -> Result<Downloaded, DownloadError>
where
    F: FnMut(u32) -> reqwest::RequestBuilder,
{
    let part = part_path(dest);
    let sidecar = sidecar_path(dest);
    let max = options.retry.max_attempts.max(1);
    let progress = options.progress.as_ref();
    let mut tee = options.tee.clone();
    let mut attempts: u32 = 0;
    let mut resumed_from: Option<u64> = None;
    // After a confusing answer to a range request, ask for the whole entity.
    let mut no_range = false;
    loop {
        let (mut file, mut have) = AtomicFile::resumable(&part, dest, options.mode)?;
        // One writer per target: an advisory lock on the part file, held until it is renamed or
        // dropped (released by the kernel if the process dies).
        match file.as_file().try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(DownloadError::Busy {
                    dest: dest.to_path_buf(),
                    part,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(DownloadError::Io {
                    action: "lock",
                    path: part,
                    source: e,
                });
            }
        }
        let url = build(attempts + 1)
            .build()
            .map_err(SendError::Build)?
            .url()
            .to_string();
        let validator = read_sidecar(&sidecar).filter(|v| v.url == url);
        let range_from = match (&validator, have) {
            (Some(v), n) if n > 0 && options.resume && !no_range => Some((n, v.etag.clone())),
            _ => None,
        };
        if range_from.is_none() && have > 0 {
            file.truncate()?;
            have = 0;
        }
        let asked = range_from.as_ref().map(|(n, _)| *n);
        let sent = send(client, &options.retry, None, options.clock.as_ref(), |a| {
            let req = build(attempts + a);
            match &range_from {
                Some((n, etag)) => {
                    let mut req = req.header(RANGE, format!("bytes={n}-"));
                    if let Ok(v) = HeaderValue::from_str(etag) {
                        req = req.header(IF_RANGE, v);
                    }
                    req
                }
                None => req,
            }
        })
        .await?;
        attempts += sent.attempts;
        let mut response = sent.response;
        let status = response.status();
        let (offset, total) = match (status, asked) {
            (StatusCode::PARTIAL_CONTENT, Some(from)) => {
                let cr = response
                    .headers()
                    .get(CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let etag_now = strong_etag(response.headers());
                let expected_etag = range_from.as_ref().map(|(_, e)| e.clone());
                match parse_content_range(&cr) {
                    Some((start, _, total)) if start == from && etag_now == expected_etag => {
                        (from, total)
                    }
                    _ => {
                        tracing::warn!(url = %url, content_range = %cr, "the server answered the range request with another range or entity; starting again from byte 0");
                        drop(response);
                        if attempts >= max {
                            abandon(file, &sidecar);
                            return Err(DownloadError::BadContentRange {
                                content_range: cr,
                                asked_from: from,
                            });
                        }
                        no_range = true;
                        continue;
                    }
                }
            }
            (StatusCode::OK, _) => {
                if have > 0 {
                    tracing::info!(url = %url, "the server sent the whole file (it changed, or it ignores ranges); starting again from byte 0");
                    file.truncate()?;
                }
                (0, response.content_length())
            }
            (StatusCode::RANGE_NOT_SATISFIABLE, Some(_)) if attempts < max => {
                tracing::warn!(url = %url, "the server cannot serve the rest of the partial download; starting again from byte 0");
                drop(response);
                no_range = true;
                continue;
            }
            _ => {
                let headers = response.headers().clone();
                let body = error_body(response).await;
                if validator.is_none() {
                    let _ = file.discard();
                }
                return Err(DownloadError::Status(Box::new(ErrorAnswer {
                    status,
                    url,
                    headers,
                    body,
                })));
            }
        };
        // From here the part file holds `offset` bytes of the entity the response continues.
        let etag = strong_etag(response.headers());
        if offset == 0 {
            match (&etag, options.resume) {
                (Some(etag), true) => write_sidecar(
                    &sidecar,
                    &Validator {
                        url: url.clone(),
                        etag: etag.clone(),
                    },
                )?,
                _ => remove_quietly(&sidecar),
            }
        } else if resumed_from.is_none() {
            resumed_from = Some(offset);
        }
        let mut ctx = if offset > 0 {
            hash_existing(&part, offset).await?
        } else {
            ring::digest::Context::new(&ring::digest::SHA256)
        };
        let mut received = offset;
        if let Some(p) = progress {
            p(Progress { received, total });
        }
        match stream_body(
            &mut response,
            &file,
            &mut ctx,
            &mut received,
            total,
            progress,
            &mut tee,
        )
        .await?
        {
            BodyEnd::Complete => {
                if let Err(e) = check_length(total, received) {
                    abandon(file, &sidecar);
                    return Err(e);
                }
                if let Some(verify) = &options.verify {
                    let verify = Arc::clone(verify);
                    let part = file.temp_path().to_path_buf();
                    let verdict = tokio::task::spawn_blocking(move || verify(&part))
                        .await
                        .unwrap_or_else(|e| Err(format!("the check failed: {e}")));
                    if let Err(detail) = verdict {
                        abandon(file, &sidecar);
                        return Err(DownloadError::Refused {
                            dest: dest.to_path_buf(),
                            size: received,
                            detail,
                        });
                    }
                }
                commit(file).await?;
                remove_quietly(&sidecar);
                return Ok(Downloaded {
                    path: dest.to_path_buf(),
                    size: received,
                    sha256: hex(ctx.finish().as_ref()),
                    resumed_from: resumed_from.unwrap_or(0),
                    attempts,
                });
            }
            BodyEnd::Broken(source) => {
                let resumable = options.resume && etag.is_some();
                if attempts >= max {
                    if !resumable {
                        abandon(file, &sidecar);
                    }
                    return Err(DownloadError::Body {
                        received,
                        attempts,
                        source,
                    });
                }
                let delay = options.retry.jittered_backoff(attempts);
                tracing::warn!(url = %url, received, attempt = attempts, retry_in_ms = delay.as_millis() as u64, resumable, "download broke off; retrying");
                drop(file);
                tokio::time::sleep(delay).await;
                no_range = !resumable;
            }
        }
    }
}

/// Streams an already received response's body into `dest` (a temporary file in the same
/// directory, renamed into place), computing SHA-256 on the way and checking `Content-Length`.
/// No resuming: use [`download`] for that. On any error the temporary file is removed and `dest`
/// is left as it was.
pub async fn download_to_file(
    mut response: reqwest::Response,
    dest: &Path,
) -> Result<Downloaded, DownloadError> {
    let file = AtomicFile::create(dest, FileMode::Public)?;
    let total = response.content_length();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut received = 0;
    match stream_body(
        &mut response,
        &file,
        &mut ctx,
        &mut received,
        total,
        None,
        &mut None,
    )
    .await?
    {
        BodyEnd::Broken(source) => Err(DownloadError::Body {
            received,
            attempts: 1,
            source,
        }),
        BodyEnd::Complete => {
            check_length(total, received)?;
            commit(file).await?;
            Ok(Downloaded {
                path: dest.to_path_buf(),
                size: received,
                sha256: hex(ctx.finish().as_ref()),
                resumed_from: 0,
                attempts: 1,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parsing() {
        assert_eq!(
            parse_content_range("bytes 100-199/200"),
            Some((100, 199, Some(200)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, 0, None)));
        assert_eq!(parse_content_range("bytes 100-99/200"), None);
        assert_eq!(parse_content_range("bytes 100-200/200"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes */200"), None);
    }

    #[test]
    fn only_strong_etags_validate_a_resume() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(ETAG, HeaderValue::from_static("\"v1\""));
        assert_eq!(strong_etag(&h).as_deref(), Some("\"v1\""));
        h.insert(ETAG, HeaderValue::from_static("W/\"v1\""));
        assert_eq!(strong_etag(&h), None);
        h.insert(ETAG, HeaderValue::from_static("v1"));
        assert_eq!(strong_etag(&h), None);
    }

    #[test]
    fn sidecar_round_trip_and_damage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("b.zip");
        let side = sidecar_path(&dest);
        assert!(side.ends_with("b.zip.part.meta"));
        assert!(part_path(&dest).ends_with("b.zip.part"));
        let v = Validator {
            url: "http://127.0.0.1:1/x".into(),
            etag: "\"a b\"".into(),
        };
        write_sidecar(&side, &v).expect("write");
        assert_eq!(read_sidecar(&side), Some(v));
        std::fs::write(&side, "something else\n").expect("write");
        assert_eq!(read_sidecar(&side), None);
    }
}
