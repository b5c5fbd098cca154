//! Deterministic package building: sorted entries, fixed timestamps and permissions, XML and PDF
//! deflated, JPEG (and PNG, GIF) stored. The same inputs always give the same bytes.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use ipgate_base::fs::{AtomicFile, AtomicWriteError, FileMode};
use serde::Serialize;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::report::Report;
use crate::safety::check_name;
use crate::sniff::FileKind;
use crate::validate::{DirSource, Options, referenced, validate_source};
use crate::{PackageError, xmlread};

/// Options of [`build`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// How to validate before writing.
    pub validation: Options,
    /// Write the package even if validation finds errors.
    pub allow_invalid: bool,
    /// Write nothing unless WIPO's schema ran (for the declared version or the nearest one).
    pub require_schema: bool,
}

/// One entry written to the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuiltEntry {
    /// Name inside the ZIP.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `true` if stored uncompressed (images), `false` if deflated.
    pub stored: bool,
}

/// What [`build`] did.
#[derive(Debug, Clone, Serialize)]
pub struct BuildOutcome {
    /// Validation of the inputs.
    pub report: Report,
    /// Whether the package was written (`false`: invalid and not `allow_invalid`).
    pub written: bool,
    /// The package path.
    pub output: PathBuf,
    /// SHA-256 of the package, hex, when written.
    pub sha256: Option<String>,
    /// The entries, in archive order.
    pub entries: Vec<BuiltEntry>,
}

fn rel_name(base: &Path, p: &Path) -> Result<String, PackageError> {
    let rel = p.strip_prefix(base).map_err(|_| {
        PackageError::Input(format!("{} is outside {}", p.display(), base.display()))
    })?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(
                s.to_str()
                    .ok_or_else(|| {
                        PackageError::Input(format!(
                            "{} has a name that is not UTF-8; rename it",
                            p.display()
                        ))
                    })?
                    .to_owned(),
            ),
            _ => {
                return Err(PackageError::Input(format!(
                    "{} is not a plain relative path",
                    p.display()
                )));
            }
        }
    }
    Ok(parts.join("/"))
}

fn walk_dir(
    base: &Path,
    dir: &Path,
    skip: Option<&Path>,
    out: &mut BTreeMap<String, (PathBuf, u64)>,
) -> Result<(), PackageError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| PackageError::io("list", dir, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| PackageError::io("list", dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if skip.is_some_and(|s| s == p) {
            continue;
        }
        let meta = fs::symlink_metadata(&p).map_err(|e| PackageError::io("inspect", &p, e))?;
        if meta.file_type().is_symlink() {
            return Err(PackageError::Input(format!(
                "{} is a symbolic link; packages hold real files only: copy the file in its place",
                p.display()
            )));
        }
        if meta.is_dir() {
            walk_dir(base, &p, skip, out)?;
        } else if meta.is_file() {
            let name = rel_name(base, &p)?;
            check_name(name.as_bytes()).map_err(|(_, why)| PackageError::Input(why))?;
            out.insert(name, (p, meta.len()));
        }
    }
    Ok(())
}

/// The files a build would put in the package, by entry name.
fn collect(
    input: &Path,
    output: &Path,
    opts: &Options,
) -> Result<BTreeMap<String, (PathBuf, u64)>, PackageError> {
    let meta = fs::metadata(input).map_err(|e| PackageError::io("read", input, e))?;
    let mut files = BTreeMap::new();
    if meta.is_dir() {
        let out_abs = output.canonicalize().ok();
        walk_dir(
            input,
            input,
            out_abs.as_deref().or(Some(output)),
            &mut files,
        )?;
        return Ok(files);
    }
    let base = input.parent().unwrap_or(Path::new("."));
    let xml_name = input
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| PackageError::Input(format!("{} has no UTF-8 file name", input.display())))?
        .to_owned();
    files.insert(xml_name, (input.to_path_buf(), meta.len()));
    let reader = BufReader::new(File::open(input).map_err(|e| PackageError::io("open", input, e))?);
    // A document the scanner refuses is still packaged alone: validation reports why.
    if let Ok(doc) = xmlread::scan_office(reader, opts.limits.max_xml_depth) {
        for (name, _, _) in referenced(&doc) {
            if check_name(name.as_bytes()).is_err() {
                continue;
            }
            let p = base.join(&name);
            match fs::symlink_metadata(&p) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(PackageError::Input(format!(
                        "{} is a symbolic link; packages hold real files only: copy the file in its place",
                        p.display()
                    )));
                }
                Ok(m) if m.is_file() => {
                    files.insert(name, (p, m.len()));
                }
                _ => {
                    // Include a file that differs only in letter case, so validation can say so
                    // (PKG007) instead of reporting it missing.
                    if let Some((real, meta)) = case_variant(base, &name) {
                        files.insert(real, meta);
                    }
                }
            }
        }
    }
    Ok(files)
}

/// A regular file whose relative path equals `name` ignoring letter case.
fn case_variant(base: &Path, name: &str) -> Option<(String, (PathBuf, u64))> {
    let mut dir = base.to_path_buf();
    let mut parts = Vec::new();
    for want in name.split('/') {
        let found = fs::read_dir(&dir).ok()?.flatten().find(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(want))
        })?;
        parts.push(found.file_name().to_str()?.to_owned());
        dir = found.path();
    }
    let meta = fs::symlink_metadata(&dir).ok()?;
    meta.is_file().then(|| (parts.join("/"), (dir, meta.len())))
}

fn method_for(path: &Path) -> io::Result<CompressionMethod> {
    let mut head = [0u8; 16];
    let mut f = File::open(path)?;
    let n = f.read(&mut head)?;
    Ok(match FileKind::sniff(&head[..n]) {
        FileKind::Jpeg | FileKind::Png | FileKind::Gif => CompressionMethod::Stored,
        _ => CompressionMethod::Deflated,
    })
}

/// Passes writes through to `inner` while hashing them (SHA-256).
struct HashWriter<W: Write> {
    inner: W,
    ctx: ring::digest::Context,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.ctx.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Builds a package at `output` from an XML file (its referenced files are resolved relative to
/// it) or from a directory (every file in it). Validates first; an invalid package is not written
/// unless `allow_invalid`. The file appears atomically (written beside it, then renamed).
///
/// ```no_run
/// let out = hague_package::build("refusal/refusal.xml".as_ref(), "refusal.zip".as_ref(), &Default::default())?;
/// println!("{} {}", out.written, out.sha256.unwrap_or_default());
/// # Ok::<(), hague_package::PackageError>(())
/// ```
pub fn build(
    input: &Path,
    output: &Path,
    opts: &BuildOptions,
) -> Result<BuildOutcome, PackageError> {
    let mut vopts = opts.validation.clone();
    vopts.verify_integrity = false;
    let files = collect(input, output, &vopts)?;
    let mut src = DirSource { files };
    let mut report = Report::new(input.display().to_string());
    validate_source(&mut src, &vopts, &mut report)?;
    let mut outcome = BuildOutcome {
        report,
        written: false,
        output: output.to_path_buf(),
        sha256: None,
        entries: Vec::new(),
    };
    if (!outcome.report.is_valid() && !opts.allow_invalid)
        || (opts.require_schema && !outcome.report.xsd.ran())
    {
        return Ok(outcome);
    }
    if output.file_name().is_none() {
        return Err(PackageError::Input(format!(
            "{} names no file",
            output.display()
        )));
    }
    let atomic = |e: AtomicWriteError| PackageError::io("write", output, io::Error::other(e));
    // Written beside `output` and renamed into place (removed if anything fails).
    let mut file = AtomicFile::create(output, FileMode::Public).map_err(atomic)?;
    let sha256 = write_zip(&mut file, &src.files, &mut outcome.entries)?;
    file.commit().map_err(atomic)?;
    outcome.sha256 = Some(sha256);
    outcome.written = true;
    Ok(outcome)
}

fn write_zip(
    file: &mut AtomicFile,
    files: &BTreeMap<String, (PathBuf, u64)>,
    entries: &mut Vec<BuiltEntry>,
) -> Result<String, PackageError> {
    let tmp = file.temp_path().to_path_buf();
    let tmp = tmp.as_path();
    // Streaming mode (no seeking back): every byte is hashed once, as it is written.
    let mut zip = ZipWriter::new_stream(HashWriter {
        inner: BufWriter::with_capacity(1024 * 1024, file),
        ctx: ring::digest::Context::new(&ring::digest::SHA256),
    });
    let zerr = |e: zip::result::ZipError| PackageError::io("write", tmp, io::Error::other(e));
    for (name, (path, size)) in files {
        let method = method_for(path).map_err(|e| PackageError::io("read", path, e))?;
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644)
            .large_file(*size >= u64::from(u32::MAX) / 2);
        zip.start_file(name.as_str(), options).map_err(zerr)?;
        let mut src = File::open(path).map_err(|e| PackageError::io("read", path, e))?;
        io::copy(&mut src, &mut zip).map_err(|e| PackageError::io("write", tmp, e))?;
        entries.push(BuiltEntry {
            name: name.clone(),
            size: *size,
            stored: method == CompressionMethod::Stored,
        });
    }
    let mut w = zip.finish().map_err(zerr)?.into_inner();
    w.flush().map_err(|e| PackageError::io("write", tmp, e))?;
    // The buffer is flushed; AtomicFile::commit fsyncs.
    let HashWriter { inner, ctx } = w;
    drop(inner);
    Ok(hex(ctx.finish().as_ref()))
}
