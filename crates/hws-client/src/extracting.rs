//! A publication downloaded and extracted at the same time: the bytes go to the part file (with
//! SHA-256, resumable, as [`HwsClient::bulletin`] does it) and, as they arrive, to
//! [`hague_package::StreamExtract`], which extracts them on its own thread and renames the
//! directory into place only once the download is complete and its archive checks out.

use std::io::{self, Read};
use std::path::Path;

use bytes::Bytes;
use hague_package::{Finished, Limits, PackageError, StreamExtract};
use ipgate_http::{ProgressFn, Tee};
use tokio::sync::mpsc;

use crate::client::{Downloaded, HwsClient};
use crate::error::{HwsError, Operation};
use crate::week::WeekId;

/// Chunks in flight between the download and the extraction (a few MiB at most; a slower
/// extraction slows the download instead of filling memory).
const IN_FLIGHT: usize = 32;

/// Which publication [`HwsClient::publication_extracted`] downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicationRequest {
    /// `GET /publication/bulletin/{weekId}`.
    Bulletin,
    /// `GET /publication/copy/confidential/{weekId}` (examining offices).
    ConfidentialCopy,
}

/// A downloaded publication and its extraction.
#[derive(Debug)]
pub struct DownloadedExtracted {
    /// The download (complete, hashed): record it in the journal whatever the extraction said.
    pub downloaded: Downloaded,
    /// The extraction (the directory exists only when this is `Ok`).
    pub extracted: Result<Finished, PackageError>,
}

/// The tee's receiving end as a blocking reader: the entity's bytes from byte 0, in order. A body
/// that does not start at byte 0 (a resumed download) or starts again (a retry) is an error: the
/// stream extraction gives up and the completed file is extracted instead.
struct TeeReader {
    rx: mpsc::Receiver<Tee>,
    current: Bytes,
    started: bool,
}

impl Read for TeeReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Tee::Chunk(b)) => self.current = b,
                Some(Tee::Start { offset }) if offset == 0 && !self.started => {
                    self.started = true;
                }
                Some(Tee::Start { offset }) => {
                    return Err(io::Error::other(format!(
                        "the download (re)started at byte {offset}; extracting the file once complete"
                    )));
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

impl HwsClient {
    /// Downloads a publication to `dest` as [`bulletin`](Self::bulletin) does (resumable part
    /// file, SHA-256) and extracts it into the new directory `dir` while it arrives, with the
    /// safety rules and result of [`hague_package::extract`]: the directory appears only when
    /// the download is complete and the archive passed every check. A download resumed from an
    /// earlier attempt is extracted from the completed file instead.
    ///
    /// `Err` when the download failed (nothing extracted); otherwise the download and, apart, the
    /// extraction's result.
    pub async fn publication_extracted(
        &self,
        which: PublicationRequest,
        week: WeekId,
        dest: &Path,
        dir: &Path,
        limits: &Limits,
        progress: Option<ProgressFn>,
    ) -> Result<DownloadedExtracted, HwsError> {
        let operation = match which {
            PublicationRequest::Bulletin => Operation::Bulletin,
            PublicationRequest::ConfidentialCopy => Operation::ConfidentialCopy,
        };
        let (tx, rx) = mpsc::channel(IN_FLIGHT);
        let reader = TeeReader {
            rx,
            current: Bytes::new(),
            started: false,
        };
        // The directory is checked (and its temporary twin made) before any byte is fetched.
        let extraction = match StreamExtract::start(reader, dir, limits) {
            Ok(x) => x,
            Err(e) => {
                let downloaded = self.download(operation, week, dest, progress, None).await?;
                return Ok(DownloadedExtracted {
                    downloaded,
                    extracted: Err(e),
                });
            }
        };
        let result = self
            .download(operation, week, dest, progress, Some(tx))
            .await;
        // `tx` is gone with the download: the extraction thread reads to the end and stops.
        let downloaded = result?;
        let archive = downloaded.path.clone();
        let extracted = tokio::task::spawn_blocking(move || extraction.finish(&archive))
            .await
            .unwrap_or_else(|e| {
                Err(PackageError::Input(format!(
                    "the extraction task failed: {e}"
                )))
            });
        Ok(DownloadedExtracted {
            downloaded,
            extracted,
        })
    }
}
