//! Streaming downloads that never leave a partial file at the target path.

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;

/// Why a download failed. The target path is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The temporary file next to the target could not be created, written or renamed.
    #[error("cannot {action} {}: {source}; check that the directory exists and is writable", path.display())]
    Io {
        /// What we tried to do.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The body stream failed part way.
    #[error("the download broke off after {received} bytes: {source}; try again")]
    Body {
        /// Bytes received before the failure.
        received: u64,
        /// The error.
        #[source]
        source: reqwest::Error,
    },
    /// Fewer or more bytes than `Content-Length` announced.
    #[error("the server announced {expected} bytes but sent {received}; try again")]
    LengthMismatch {
        /// `Content-Length`.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
}

/// Streams `response`'s body into a temporary file in `dest`'s directory, syncs it, and renames it
/// to `dest` (replacing an existing file). Returns the number of bytes written. On any error the
/// temporary file is removed and `dest` is left as it was.
pub async fn download_to_file(
    mut response: reqwest::Response,
    dest: &Path,
) -> Result<u64, DownloadError> {
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| DownloadError::Io {
            action,
            path,
            source,
        }
    };
    let tmp = tempfile::Builder::new()
        .prefix(".ipgate-download-")
        .suffix(".part")
        .tempfile_in(&dir)
        .map_err(io("create a temporary file in", &dir))?;
    let std_file = tmp.as_file().try_clone().map_err(io("open", tmp.path()))?;
    let mut file = tokio::fs::File::from_std(std_file);
    let expected = response.content_length();
    let mut received: u64 = 0;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                file.write_all(&chunk)
                    .await
                    .map_err(io("write", tmp.path()))?;
                received += chunk.len() as u64;
            }
            Ok(None) => break,
            Err(source) => return Err(DownloadError::Body { received, source }),
        }
    }
    if let Some(expected) = expected
        && expected != received
    {
        return Err(DownloadError::LengthMismatch { expected, received });
    }
    file.flush().await.map_err(io("write", tmp.path()))?;
    file.sync_all().await.map_err(io("sync", tmp.path()))?;
    drop(file);
    tmp.persist(dest).map_err(|e| DownloadError::Io {
        action: "rename the download to",
        path: dest.to_path_buf(),
        source: e.error,
    })?;
    Ok(received)
}
