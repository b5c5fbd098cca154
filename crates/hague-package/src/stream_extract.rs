//! Extracting an IB → office package while its bytes arrive (a download), instead of after.
//!
//! [`StreamExtract::start`] reads the archive from any [`Read`] (a download's bytes as they come)
//! on a thread of its own: local headers in order, each entry written under the temporary
//! directory that [`extract`] would use ([`AtomicDir`]), its CRC-32 and SHA-256 computed on the
//! way. The XML's records are read (the same guards and typed model as [`extract`]) from the
//! extracted XML on another thread as soon as it is complete, while the images still arrive.
//! [`StreamExtract::finish`] is given the completed file (the same bytes, e.g. once the download's
//! SHA-256 is known): it checks the central directory with the same safety rules as [`extract`]
//! ([`check_entries`]), requires every entry the stream saw to be the one the central directory
//! names (same order, name, method, sizes and CRC-32, none more, none less), and only then renames
//! the directory into place.
//!
//! Whenever the stream cannot be extracted as it comes (it did not start at byte 0, e.g. a resumed
//! download; a data descriptor instead of sizes; anything unexpected or unsafe), `finish` removes
//! what was written and runs [`extract`] on the completed file: the verdict and the result are
//! always those of [`extract`], the stream only saves the second pass.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use ipgate_base::fs::AtomicDir;

use crate::PackageError;
use crate::build::hex;
use crate::ib::{ExtractOutcome, SUMS_FILE, atomic_error, extract, read_error, safe_join};
use crate::ibread::{self, IbHeader};
use crate::safety::{
    CappedReader, Limits, apply_zip64_sizes, check_entries, check_name, le16, le32,
    read_central_directory,
};

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;

/// What the entries' headers said, in order (name, method, CRC-32, sizes), as one SHA-256 and a
/// count: the stream's local headers and the central directory must give the same. Constant
/// memory, whatever the number of entries (a bulletin has tens of thousands).
struct EntryDigest {
    ctx: ring::digest::Context,
    count: u64,
}

impl EntryDigest {
    fn new() -> Self {
        Self {
            ctx: ring::digest::Context::new(&ring::digest::SHA256),
            count: 0,
        }
    }

    fn add(&mut self, name: &[u8], method: u16, crc32: u32, compressed_size: u64, size: u64) {
        self.ctx.update(&(name.len() as u64).to_le_bytes());
        self.ctx.update(name);
        self.ctx.update(&method.to_le_bytes());
        self.ctx.update(&crc32.to_le_bytes());
        self.ctx.update(&compressed_size.to_le_bytes());
        self.ctx.update(&size.to_le_bytes());
        self.count += 1;
    }

    fn finish(self) -> (u64, Vec<u8>) {
        (self.count, self.ctx.finish().as_ref().to_vec())
    }
}

/// The XML's records, read on a thread of their own.
type RecordsJob = JoinHandle<Result<(IbHeader, BTreeMap<String, u64>), st96::Error>>;

/// What the stream extracted, waiting for the central directory's verdict.
struct Streamed {
    dir: AtomicDir,
    locals: EntryDigest,
    files: u64,
    bytes: u64,
    /// `(name, sha256)` of every regular file.
    sums: Vec<(Box<str>, [u8; 32])>,
    /// The XML entry's name and the job reading its records.
    xml: Option<(String, RecordsJob)>,
    xml_count: usize,
}

/// Why the stream was not extracted as it came (the completed file is extracted instead).
#[derive(Debug)]
struct NotStreamed(String);

/// What [`StreamExtract::finish`] did.
#[derive(Debug)]
pub struct Finished {
    /// What was extracted (as [`extract`] reports it).
    pub outcome: ExtractOutcome,
    /// `true`: extracted from the stream as it came; `false`: from the completed file (the stream
    /// did not start at byte 0, or could not be extracted as it came).
    pub from_stream: bool,
}

/// An extraction running while the archive's bytes arrive. See the module documentation.
pub struct StreamExtract {
    target: PathBuf,
    limits: Limits,
    worker: JoinHandle<Result<Streamed, NotStreamed>>,
}

impl std::fmt::Debug for StreamExtract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamExtract")
            .field("target", &self.target)
            .finish()
    }
}

impl StreamExtract {
    /// Starts extracting the archive read from `source` (from its first byte) into a temporary
    /// directory beside `target`. Refuses a `target` that exists, as [`extract`] does. The
    /// thread ends when `source` ends (or fails, which abandons the stream).
    pub fn start<R: Read + Send + 'static>(
        source: R,
        target: &Path,
        limits: &Limits,
    ) -> Result<Self, PackageError> {
        if fs::symlink_metadata(target).is_ok() {
            return Err(PackageError::Input(format!(
                "{} already exists; extract into a new directory",
                target.display()
            )));
        }
        if target.file_name().is_none() {
            return Err(PackageError::Input(format!(
                "{} names no directory",
                target.display()
            )));
        }
        let dir = AtomicDir::create(target).map_err(|e| atomic_error(target, e))?;
        let thread_limits = limits.clone();
        let worker = std::thread::Builder::new()
            .name("extract-stream".into())
            .spawn(move || {
                let mut source = source;
                // The rest (the central directory) is not read: the source is dropped, and a
                // writer on the other end stops sending (the file has the bytes).
                stream_entries(&mut source, dir, &thread_limits)
            })
            .map_err(|e| PackageError::io("start a thread to extract", target, e))?;
        Ok(Self {
            target: target.to_path_buf(),
            limits: limits.clone(),
            worker,
        })
    }

    /// Finishes once `archive` holds the whole archive (the bytes the stream had): waits for the
    /// stream's end, checks it against the central directory and renames the directory into
    /// place; else extracts `archive` with [`extract`]. Blocks (run it off async threads).
    pub fn finish(self, archive: &Path) -> Result<Finished, PackageError> {
        let from_file = || {
            extract(archive, &self.target, &self.limits).map(|outcome| Finished {
                outcome,
                from_stream: false,
            })
        };
        let streamed = match self.worker.join() {
            Ok(Ok(s)) => s,
            Ok(Err(NotStreamed(why))) => {
                tracing::debug!(archive = %archive.display(), why, "not extracted as it arrived; extracting the file");
                return from_file();
            }
            Err(_) => {
                tracing::warn!(archive = %archive.display(), "the extraction thread panicked; extracting the file");
                return from_file();
            }
        };
        match settle(archive, &self.target, &self.limits, streamed)? {
            Some(outcome) => Ok(Finished {
                outcome,
                from_stream: true,
            }),
            None => {
                tracing::debug!(archive = %archive.display(), "the stream does not match the file's central directory; extracting the file");
                from_file()
            }
        }
    }
}

/// Checks the streamed entries against `archive`'s central directory and the XML's records, and
/// commits. `Ok(None)`: the stream does not match the file (extract the file instead); the
/// temporary directory is gone by then.
fn settle(
    archive: &Path,
    target: &Path,
    limits: &Limits,
    s: Streamed,
) -> Result<Option<ExtractOutcome>, PackageError> {
    // The records first (usually done long before: the XML comes first), so that their reader's
    // memory is gone before the central directory is read.
    let Some((xml, job)) = s.xml else {
        return Ok(None);
    };
    let Ok(records) = job.join() else {
        return Ok(None);
    };
    let mut file = File::open(archive).map_err(|e| PackageError::io("open", archive, e))?;
    let Ok((entries, declared)) = read_central_directory(&mut file, limits.max_entries) else {
        return Ok(None);
    };
    let mut cd = EntryDigest::new();
    for e in &entries {
        cd.add(&e.name_raw, e.method, e.crc32, e.compressed_size, e.size);
    }
    let same = cd.finish() == s.locals.finish();
    if !same || !check_entries(&entries, declared, limits).is_empty() || s.xml_count != 1 {
        // Unsafe, inconsistent, or not one XML: `extract` says which, as it always has.
        return Ok(None);
    }
    drop(entries);
    // The archive is safe: now the XML's verdict (as `extract` gives it, after the safety's).
    let (header, records) = records.map_err(|e| read_error(archive, &xml, e))?;
    let mut sums = s.sums;
    sums.sort_unstable();
    let sums_path = s.dir.path().join(SUMS_FILE);
    let write = |path: &Path| -> io::Result<()> {
        let mut w = BufWriter::new(File::create(path)?);
        for (name, sha) in &sums {
            writeln!(w, "{}  {name}", hex(sha))?;
        }
        w.flush()
    };
    write(&sums_path).map_err(|e| PackageError::io("write", &sums_path, e))?;
    s.dir.commit().map_err(|e| atomic_error(target, e))?;
    Ok(Some(ExtractOutcome {
        target: target.to_path_buf(),
        files: s.files,
        bytes: s.bytes,
        sums_file: target.join(SUMS_FILE),
        header,
        records,
    }))
}

fn stop(why: impl Into<String>) -> NotStreamed {
    NotStreamed(why.into())
}

fn io_stop(what: &str, e: io::Error) -> NotStreamed {
    NotStreamed(format!("{what}: {e}"))
}

/// Reads local headers and entries until the central directory, writing them under `dir`.
fn stream_entries<R: Read>(
    source: &mut R,
    dir: AtomicDir,
    limits: &Limits,
) -> Result<Streamed, NotStreamed> {
    let mut s = Streamed {
        dir,
        locals: EntryDigest::new(),
        files: 0,
        bytes: 0,
        sums: Vec::new(),
        xml: None,
        xml_count: 0,
    };
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let mut sig = [0u8; 4];
        source
            .read_exact(&mut sig)
            .map_err(|e| io_stop("read a header", e))?;
        match u32::from_le_bytes(sig) {
            LOCAL_SIG => {}
            CENTRAL_SIG | END_SIG => return Ok(s),
            other => {
                return Err(stop(format!(
                    "signature {other:#010x} where a header was expected"
                )));
            }
        }
        let mut fixed = [0u8; 26];
        source
            .read_exact(&mut fixed)
            .map_err(|e| io_stop("read a local header", e))?;
        let flags = le16(&fixed, 2);
        let method = le16(&fixed, 4);
        let crc32 = le32(&fixed, 10);
        let mut compressed_size = u64::from(le32(&fixed, 14));
        let mut size = u64::from(le32(&fixed, 18));
        let mut name_raw = vec![0u8; usize::from(le16(&fixed, 22))];
        let mut extra = vec![0u8; usize::from(le16(&fixed, 24))];
        source
            .read_exact(&mut name_raw)
            .and_then(|()| source.read_exact(&mut extra))
            .map_err(|e| io_stop("read a local header", e))?;
        apply_zip64_sizes(&extra, &mut size, &mut compressed_size);
        if flags & 0x0008 != 0 {
            return Err(stop("sizes in a data descriptor, not in the local header"));
        }
        if flags & 0x0041 != 0 || (method != 0 && method != 8) {
            return Err(stop("an encrypted entry or an unsupported method"));
        }
        let name = check_name(&name_raw)
            .map_err(|(_, why)| stop(why))?
            .to_owned();
        if name == SUMS_FILE {
            return Err(stop(format!("an entry named {SUMS_FILE}")));
        }
        if s.locals.count >= limits.max_entries {
            return Err(stop("too many entries"));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(stop("the entries are larger than the limit"));
        }
        if size >= limits.ratio_min_bytes && size / compressed_size.max(1) > limits.max_ratio {
            return Err(stop("a compression ratio over the limit"));
        }
        s.locals
            .add(&name_raw, method, crc32, compressed_size, size);
        if name.ends_with('/') {
            if compressed_size != 0 {
                return Err(stop(format!("directory entry {name:?} has content")));
            }
            let p = safe_join(s.dir.path(), name.trim_end_matches('/'))
                .map_err(|e| stop(e.to_string()))?;
            fs::create_dir_all(&p).map_err(|e| io_stop("create a directory", e))?;
            continue;
        }
        let dest = safe_join(s.dir.path(), &name).map_err(|e| stop(e.to_string()))?;
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| io_stop("create a directory", e))?;
        }
        let out = File::options()
            .write(true)
            .create_new(true)
            .open(&dest)
            .map_err(|e| io_stop("create a file", e))?;
        let mut w = BufWriter::with_capacity(256 * 1024, out);
        let mut raw = (&mut *source).take(compressed_size);
        let (sha, written, crc) = {
            let reader: Box<dyn Read + '_> = if method == 8 {
                Box::new(flate2::read::DeflateDecoder::new(&mut raw))
            } else {
                Box::new(&mut raw)
            };
            let mut r = CappedReader {
                inner: reader,
                remaining: size,
            };
            let mut sha = ring::digest::Context::new(&ring::digest::SHA256);
            let mut crc = crc32fast::Hasher::new();
            let mut written = 0u64;
            loop {
                let n = r.read(&mut buf).map_err(|e| io_stop("read an entry", e))?;
                if n == 0 {
                    break;
                }
                sha.update(&buf[..n]);
                crc.update(&buf[..n]);
                w.write_all(&buf[..n])
                    .map_err(|e| io_stop("write a file", e))?;
                written += n as u64;
            }
            (sha, written, crc.finalize())
        };
        if raw.limit() != 0 {
            // Compressed bytes the inflater did not need: not an archive we stream.
            return Err(stop(format!("entry {name:?} has bytes after its data")));
        }
        w.flush().map_err(|e| io_stop("write a file", e))?;
        drop(w);
        if written != size || crc != crc32 {
            return Err(stop(format!(
                "entry {name:?} does not match its header (size or CRC-32)"
            )));
        }
        s.files += 1;
        s.bytes += written;
        let mut digest = [0u8; 32];
        digest.copy_from_slice(sha.finish().as_ref());
        s.sums.push((name.clone().into_boxed_str(), digest));
        if name
            .rsplit_once('.')
            .is_some_and(|(_, e)| e.eq_ignore_ascii_case("xml"))
        {
            s.xml_count += 1;
            if s.xml.is_none() {
                let job = read_records(dest, limits.max_xml_depth)
                    .map_err(|e| io_stop("start a thread to read the XML", e))?;
                s.xml = Some((name.clone(), job));
            }
        }
    }
}

/// Reads the records of the extracted XML at `path` on a thread of its own (the same reading as
/// [`crate::IbPackage::records`]).
fn read_records(path: PathBuf, max_depth: usize) -> io::Result<RecordsJob> {
    std::thread::Builder::new()
        .name("extract-records".into())
        .spawn(move || {
            let file = File::open(&path).map_err(st96::Error::Io)?;
            let mut records: BTreeMap<String, u64> = BTreeMap::new();
            let header = ibread::stream_records(
                BufReader::with_capacity(256 * 1024, file),
                max_depth,
                &mut |r| {
                    *records.entry(r.kind).or_default() += 1;
                    true
                },
            )?;
            Ok((header, records))
        })
}
