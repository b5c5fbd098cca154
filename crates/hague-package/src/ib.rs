//! IB → office packages (bulletins, confidential copies): one ST.96 XML plus image folders named by
//! international registration number (`DM/201234` → `DM201234/`). Streams records and images; never
//! loads the archive or the XML whole.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use ipgate_base::fs::{AtomicDir, AtomicWriteError};
use serde::Serialize;

use crate::PackageError;
use crate::build::hex;
use crate::ibread::{self, IbHeader, Record};
use crate::report::{Finding, Location};
use crate::rules::RuleId;
use crate::safety::{CappedReader, Limits, RawEntry};
use crate::validate::{Source, ZipSource, scan_archive};

/// An IB-to-office package whose archive passed the safety checks.
pub struct IbPackage {
    path: PathBuf,
    src: ZipSource,
    entries: Vec<RawEntry>,
    xml: String,
    limits: Limits,
}

impl std::fmt::Debug for IbPackage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IbPackage")
            .field("path", &self.path)
            .field("xml", &self.xml)
            .field("entries", &self.entries.len())
            .finish()
    }
}

/// Maps an error of `st96`'s streaming reader to a refusal with one located finding.
pub(crate) fn read_error(path: &Path, xml: &str, err: st96::Error) -> PackageError {
    use st96::detect::GuardError;
    let loc = |l: Option<st96::detect::Location>, p: &str| match l {
        Some(l) => Location::xml(xml, l.line, l.column, p.to_owned()),
        None => Location::file(xml),
    };
    let (rule, message, location) = match err {
        st96::Error::Io(e) => return PackageError::io_entry(xml, e),
        st96::Error::Refused(g) => {
            let rule = match g {
                GuardError::Doctype { .. } | GuardError::EntityDeclaration { .. } => {
                    RuleId::Doctype
                }
                GuardError::TooDeep { .. } => RuleId::XmlDepth,
                GuardError::RecordTooLarge { .. } => RuleId::XmlRecordSize,
                _ => RuleId::NotWellFormed,
            };
            let l = g.location();
            (rule, g.to_string(), loc(Some(l), ""))
        }
        st96::Error::Invalid {
            message,
            path,
            location,
        } => (
            RuleId::SchemaInvalid,
            format!(
                "{message}; the XML does not match the ST.96 model of dgn:HagueIBToOfficeTransaction"
            ),
            loc(Some(location), &path),
        ),
        other => {
            let l = other.location();
            (RuleId::SchemaInvalid, other.to_string(), loc(l, ""))
        }
    };
    PackageError::Unsafe {
        path: path.to_path_buf(),
        findings: vec![Finding::new(rule, message, location)],
    }
}

/// The folder name of an IRN: its letters and digits (`DM/201234` → `DM201234`).
///
/// ```
/// assert_eq!(hague_package::IbPackage::irn_folder("DM/201234"), "DM201234");
/// ```
impl IbPackage {
    /// Opens `path`, refusing it (with every safety finding) if the archive is unsafe or does not
    /// hold exactly one XML file.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self, PackageError> {
        let (entries, findings) = scan_archive(path, limits)?;
        if !findings.is_empty() {
            return Err(PackageError::Unsafe {
                path: path.to_path_buf(),
                findings,
            });
        }
        let src = ZipSource::open_path(path, &entries, limits)?;
        let xmls: Vec<String> = src
            .index
            .keys()
            .filter(|n| {
                n.rsplit_once('.')
                    .is_some_and(|(_, e)| e.eq_ignore_ascii_case("xml"))
            })
            .cloned()
            .collect();
        let [xml] = xmls.as_slice() else {
            return Err(PackageError::Input(format!(
                "{} holds {} XML files; a bulletin or confidential copy holds exactly one",
                path.display(),
                xmls.len()
            )));
        };
        Ok(Self {
            path: path.to_path_buf(),
            xml: xml.clone(),
            src,
            entries,
            limits: limits.clone(),
        })
    }

    /// The folder name of an IRN (see the type-level example).
    pub fn irn_folder(irn: &str) -> String {
        irn.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
    }

    /// Name of the XML entry.
    pub fn xml_name(&self) -> &str {
        &self.xml
    }

    /// Every regular file: name and size, sorted by name.
    pub fn files(&self) -> Vec<(String, u64)> {
        self.src.files()
    }

    /// Streams the records of the XML to `sink`, one typed record at a time (return `false` to
    /// read no further), with `st96`'s streaming reader ([`st96::stream::IbToOfficeReader`]):
    /// bulletins and office bags (confidential copies, acknowledgement receipts, irregularity
    /// notifications). Returns the header facts. The XML passes the DOCTYPE/entity and depth
    /// guards; a record that does not match the ST.96 model stops the reading with an `XSD001`
    /// finding at its line.
    pub fn records<F: FnMut(Record) -> bool>(
        &mut self,
        mut sink: F,
    ) -> Result<IbHeader, PackageError> {
        let xml = self.xml.clone();
        let reader = self
            .src
            .open(&xml)
            .map_err(|e| PackageError::io_entry(&xml, e))?;
        ibread::stream_records(
            BufReader::with_capacity(64 * 1024, reader),
            self.limits.max_xml_depth,
            &mut sink,
        )
        .map_err(|e| read_error(&self.path, &xml, e))
    }

    /// Files in the folder of `irn`, sorted by name.
    pub fn images_for(&self, irn: &str) -> Vec<String> {
        let folder = Self::irn_folder(irn);
        self.src
            .index
            .keys()
            .filter(|n| {
                n.rsplit_once('/')
                    .map(|(dir, _)| dir.rsplit('/').next() == Some(folder.as_str()))
                    .unwrap_or(false)
            })
            .cloned()
            .collect()
    }

    /// Image folders and their files, by folder name.
    pub fn folders(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for n in self.src.index.keys() {
            if let Some((dir, _)) = n.rsplit_once('/') {
                let last = dir.rsplit('/').next().unwrap_or(dir);
                out.entry(last.to_owned()).or_default().push(n.clone());
            }
        }
        out
    }

    /// Opens one file of the package for streaming.
    pub fn open_file(&mut self, name: &str) -> Result<Box<dyn Read + '_>, PackageError> {
        self.src
            .open(name)
            .map_err(|e| PackageError::io_entry(name, e))
    }
}

/// What [`extract`] wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractOutcome {
    /// The new directory.
    pub target: PathBuf,
    /// Regular files written (the SHA-256 list not included).
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// The SHA-256 list (`sha256sum -c` format).
    pub sums_file: PathBuf,
    /// Header of the XML.
    pub header: IbHeader,
    /// Records in the XML, by kind.
    pub records: BTreeMap<String, u64>,
}

/// Name of the SHA-256 list written by [`extract`].
pub const SUMS_FILE: &str = "SHA256SUMS";

/// Extracts the package at `archive` into the new directory `target`, safely: the archive must
/// pass every safety check and its XML the guards; files go to a temporary directory beside
/// `target`, which is renamed into place only when everything is written, with a `SHA256SUMS` list.
pub fn extract(
    archive: &Path,
    target: &Path,
    limits: &Limits,
) -> Result<ExtractOutcome, PackageError> {
    if fs::symlink_metadata(target).is_ok() {
        return Err(PackageError::Input(format!(
            "{} already exists; extract into a new directory",
            target.display()
        )));
    }
    let mut pkg = IbPackage::open(archive, limits)?;
    let mut records: BTreeMap<String, u64> = BTreeMap::new();
    let header = pkg.records(|r| {
        *records.entry(r.kind).or_default() += 1;
        true
    })?;
    if pkg.src.index.contains_key(SUMS_FILE) {
        return Err(PackageError::Input(format!(
            "the archive holds a file named {SUMS_FILE}, which extraction writes itself; extract it with another tool"
        )));
    }
    if target.file_name().is_none() {
        return Err(PackageError::Input(format!(
            "{} names no directory",
            target.display()
        )));
    }
    // Filled under a temporary name beside `target`, renamed into place only when complete (and
    // never over anything that appeared there meanwhile); removed if anything fails.
    let tmp = AtomicDir::create(target).map_err(|e| atomic_error(target, e))?;
    let (files, bytes) = extract_into(&mut pkg, tmp.path(), limits)?;
    tmp.commit().map_err(|e| atomic_error(target, e))?;
    Ok(ExtractOutcome {
        target: target.to_path_buf(),
        files,
        bytes,
        sums_file: target.join(SUMS_FILE),
        header,
        records,
    })
}

/// An `ipgate_base::fs` failure as a package error about `target`.
pub(crate) fn atomic_error(target: &Path, e: AtomicWriteError) -> PackageError {
    match e {
        AtomicWriteError::AlreadyExists { .. } => PackageError::Input(format!(
            "{} already exists; extract into a new directory",
            target.display()
        )),
        other => PackageError::io("write", target, io::Error::other(other)),
    }
}

pub(crate) fn safe_join(base: &Path, name: &str) -> Result<PathBuf, PackageError> {
    let rel = Path::new(name);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err(PackageError::Input(format!(
            "entry {name:?} is not a plain relative path"
        )));
    }
    Ok(base.join(rel))
}

fn extract_into(
    pkg: &mut IbPackage,
    tmp: &Path,
    limits: &Limits,
) -> Result<(u64, u64), PackageError> {
    let mut sums = String::new();
    let mut files = 0u64;
    let mut total = 0u64;
    let dirs: Vec<String> = pkg
        .entries
        .iter()
        .filter(|e| e.is_dir())
        .map(|e| e.name_lossy())
        .collect();
    for d in dirs {
        let p = safe_join(tmp, d.trim_end_matches('/'))?;
        fs::create_dir_all(&p).map_err(|e| PackageError::io("create", &p, e))?;
    }
    let mut buf = vec![0u8; 256 * 1024];
    for (name, size) in pkg.files() {
        let dest = safe_join(tmp, &name)?;
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| PackageError::io("create", dir, e))?;
        }
        let out = File::options()
            .write(true)
            .create_new(true)
            .open(&dest)
            .map_err(|e| PackageError::io("create", &dest, e))?;
        let mut w = BufWriter::with_capacity(256 * 1024, out);
        let reader = pkg.open_file(&name)?;
        let mut r = CappedReader {
            inner: reader,
            remaining: size.min(limits.max_total_bytes.saturating_sub(total)),
        };
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        loop {
            let n = r
                .read(&mut buf)
                .map_err(|e| PackageError::io_entry(&name, e))?;
            if n == 0 {
                break;
            }
            ctx.update(&buf[..n]);
            w.write_all(&buf[..n])
                .map_err(|e| PackageError::io("write", &dest, e))?;
            total += n as u64;
        }
        w.flush().map_err(|e| PackageError::io("write", &dest, e))?;
        files += 1;
        sums.push_str(&format!("{}  {name}\n", hex(ctx.finish().as_ref())));
    }
    let sums_path = tmp.join(SUMS_FILE);
    fs::write(&sums_path, sums.as_bytes()).map_err(|e| PackageError::io("write", &sums_path, e))?;
    let _ = io::stdout;
    Ok((files, total))
}
