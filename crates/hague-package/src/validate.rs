//! Validation of office-to-IB packages: the archive's safety, the XML against WIPO's schema, and
//! the Hague rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::report::{Finding, Location, Report, Severity, TypedModelStatus, XsdStatus};
use crate::rules::RuleId;
use crate::safety::{self, CappedReader, Limits, RawEntry};
use crate::sniff::{self, Dimensions, FileKind};
use crate::verdict::{Plan, SchemaMode, Typed};
use crate::xmlread::{self, NS_DESIGN, OfficeDoc, Transaction, XmlStop};
use crate::{PackageError, dates, st3, structure};

/// Limits on design views (hws-facts.md §3.1). Defaults: JPEG only, 2 MB, 1890 pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLimits {
    /// Formats accepted for `dgn:View` files.
    pub formats: Vec<FileKind>,
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Largest width or height, in pixels.
    pub max_pixels: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        Self {
            formats: vec![FileKind::Jpeg],
            max_bytes: 2 * 1024 * 1024,
            max_pixels: 1890,
        }
    }
}

/// Where schema files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schemas {
    /// Look for `<Root>_<version>.xsd` in these directories (see [`crate::find_schema`]).
    Dirs(Vec<PathBuf>),
    /// Do not validate against a schema (the built-in checks still run).
    Off,
}

/// Everything validation can be told.
#[derive(Debug, Clone)]
pub struct Options {
    /// Archive and XML limits.
    pub limits: Limits,
    /// Design-view limits.
    pub images: ImageLimits,
    /// Schema files.
    pub schemas: Schemas,
    /// When WIPO's schema runs next to st96's typed reader ([`crate::verdict`]). Default: only
    /// when needed.
    pub schema_mode: SchemaMode,
    /// Read every entry to its end to check its CRC (what `unzip -t` does). On by default.
    pub verify_integrity: bool,
    /// Told as [`validate_package`] reads the archive's entries (a progress bar for a long
    /// validation). Default none.
    pub progress: Option<ReadProgress>,
}

/// What [`validate_package`] tells as it reads: the entry, the bytes of it read so far in this
/// pass, and its size. An entry may be read more than once (the schema, the typed model, the
/// integrity check), each pass from 0.
#[derive(Clone)]
pub struct ReadProgress(Arc<ReadProgressFn>);

/// The callback of a [`ReadProgress`]: `(entry, read, size)`.
type ReadProgressFn = dyn Fn(&str, u64, u64) + Send + Sync;

impl ReadProgress {
    /// A callback `(entry, read, size)`.
    pub fn new(f: impl Fn(&str, u64, u64) + Send + Sync + 'static) -> Self {
        ReadProgress(Arc::new(f))
    }
}

impl std::fmt::Debug for ReadProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadProgress(..)")
    }
}

/// A reader of one entry that reports each read to a [`ReadProgress`].
struct Reporting<R> {
    inner: R,
    entry: String,
    read: u64,
    size: u64,
    progress: ReadProgress,
}

impl<R: Read> Read for Reporting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        (self.progress.0)(&self.entry, self.read, self.size);
        Ok(n)
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            images: ImageLimits::default(),
            schemas: Schemas::Off,
            schema_mode: SchemaMode::default(),
            verify_integrity: true,
            progress: None,
        }
    }
}

/// Hague's accepted `com:st96Version` values (hws-facts.md §3 rule 8).
pub const ACCEPTED_VERSIONS: &[&str] = &["V7_0", "V4_0", "V3_2T1"];

/// Why Hague would refuse a package declaring `declared` as its `com:st96Version`, or `None` when
/// it is one Hague accepts ([`ACCEPTED_VERSIONS`]; hws-facts.md §3 rule 8, §5). The one check
/// `package validate`, `package build` and `hague submit` apply (rule `PKG005`).
pub fn hague_version_problem(declared: Option<&str>) -> Option<String> {
    match declared {
        None => Some(
            "the root has no com:st96Version attribute; Hague needs one: add com:st96Version=\"V7_0\""
                .to_owned(),
        ),
        Some(v) if !ACCEPTED_VERSIONS.contains(&v) => Some(format!(
            "declared st96Version {v:?} is not one Hague accepts ({}); Hague refuses it: write com:st96Version=\"V7_0\"",
            ACCEPTED_VERSIONS.join(", ")
        )),
        Some(_) => None,
    }
}

/// Document kinds Hague documents (hws-facts.md §4.2).
pub const KNOWN_KINDS: &[&str] = &[
    "INTERNATIONAL_DESIGN_APPLICATION",
    "POWER_OF_ATTORNEY",
    "MISCELLANEOUS",
    "REPRODUCTION_SHEETS",
    "GRANT_OF_PROTECTION_NO_PRIOR_REFUSAL",
    "GRANT_OF_PROTECTION_AFTER_REFUSAL",
    "REFUSAL_DECISION",
    "REFUSAL_OWNERSHIP_CHANGE",
    "REFUSAL_WITHDRAWAL_CHANGE",
    "DIVISION",
    "REFUSAL_CORRECTION",
    "REFUSAL_WITHDRAWAL_CORRECTION",
    "INVALIDATION",
];

const APPLICATION_KINDS: &[&str] = &[
    "INTERNATIONAL_DESIGN_APPLICATION",
    "POWER_OF_ATTORNEY",
    "MISCELLANEOUS",
    "REPRODUCTION_SHEETS",
];

/// The kinds a transaction's documents may have (`None`: not documented, anything goes) and
/// whether it is a decision that carries exactly one document.
fn kinds_for(tx: &Transaction) -> (Option<Vec<&'static str>>, DocCount) {
    let cat = tx.generic_category.as_ref().map(|t| t.value.as_str());
    match tx.tag.as_str() {
        "HagueApplication" => (Some(APPLICATION_KINDS.to_vec()), DocCount::Any),
        "HagueGrantProtectionRequest" if tx.prior_refusal => (
            Some(vec!["GRANT_OF_PROTECTION_AFTER_REFUSAL"]),
            DocCount::ExactlyOne,
        ),
        "HagueGrantProtectionRequest" => (
            Some(vec!["GRANT_OF_PROTECTION_NO_PRIOR_REFUSAL"]),
            DocCount::ExactlyOne,
        ),
        "HagueRefusalRequest" => (Some(vec!["REFUSAL_DECISION"]), DocCount::ExactlyOne),
        "HagueDivision" => (Some(vec!["DIVISION"]), DocCount::ExactlyOne),
        "HagueInvalidationRequest" => (Some(vec!["INVALIDATION"]), DocCount::ExactlyOne),
        "HagueGenericOfficeCommunication" => match cat {
            Some("Application") => (Some(APPLICATION_KINDS.to_vec()), DocCount::Any),
            Some("Grant protection") => (
                Some(vec![
                    "GRANT_OF_PROTECTION_NO_PRIOR_REFUSAL",
                    "GRANT_OF_PROTECTION_AFTER_REFUSAL",
                ]),
                DocCount::ExactlyOne,
            ),
            Some("Refusal") => (Some(vec!["REFUSAL_DECISION"]), DocCount::ExactlyOne),
            Some("Refusal owner change") => {
                (Some(vec!["REFUSAL_OWNERSHIP_CHANGE"]), DocCount::ExactlyOne)
            }
            Some("Refusal withdrawal owner change") => (
                Some(vec!["REFUSAL_WITHDRAWAL_CHANGE"]),
                DocCount::ExactlyOne,
            ),
            Some("Division") => (Some(vec!["DIVISION"]), DocCount::ExactlyOne),
            Some("Refusal correction") => (Some(vec!["REFUSAL_CORRECTION"]), DocCount::ExactlyOne),
            Some("Refusal correction withdrawal") => (
                Some(vec!["REFUSAL_WITHDRAWAL_CORRECTION"]),
                DocCount::ExactlyOne,
            ),
            Some("Invalidation") => (Some(vec!["INVALIDATION"]), DocCount::ExactlyOne),
            _ => (None, DocCount::AtMostOne),
        },
        _ => (None, DocCount::AtMostOne),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocCount {
    Any,
    ExactlyOne,
    AtMostOne,
}

/// What we learnt about one file of the package while reading it.
#[derive(Debug, Clone)]
pub(crate) struct FileFacts {
    pub kind: FileKind,
    pub size: u64,
    pub dims: Option<Result<Dimensions, String>>,
}

/// The files of a package, wherever they are.
pub(crate) trait Source {
    /// Regular files: name and (decompressed) size, sorted by name.
    fn files(&self) -> Vec<(String, u64)>;
    /// Opens a file for reading.
    fn open(&mut self, name: &str) -> io::Result<Box<dyn Read + '_>>;
}

/// A ZIP archive whose central directory passed the safety checks.
pub(crate) struct ZipSource {
    pub archive: zip::ZipArchive<BufReader<File>>,
    pub index: BTreeMap<String, (usize, u64)>,
    pub max_total: u64,
    /// Told of every read ([`Options::progress`]).
    pub progress: Option<ReadProgress>,
}

impl ZipSource {
    pub(crate) fn open_path(
        path: &Path,
        entries: &[RawEntry],
        limits: &Limits,
    ) -> Result<Self, PackageError> {
        let file = File::open(path).map_err(|e| PackageError::io("open", path, e))?;
        let archive =
            zip::ZipArchive::new(BufReader::with_capacity(256 * 1024, file)).map_err(|e| {
                PackageError::Corrupt {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                }
            })?;
        let mut index = BTreeMap::new();
        for e in entries {
            if !e.is_dir()
                && let Ok(name) = std::str::from_utf8(&e.name_raw)
            {
                index.insert(name.to_owned(), (e.index, e.size));
            }
        }
        Ok(Self {
            archive,
            index,
            max_total: limits.max_total_bytes,
            progress: None,
        })
    }
}

impl Source for ZipSource {
    fn files(&self) -> Vec<(String, u64)> {
        self.index
            .iter()
            .map(|(k, (_, s))| (k.clone(), *s))
            .collect()
    }

    fn open(&mut self, name: &str) -> io::Result<Box<dyn Read + '_>> {
        let (idx, size) = *self
            .index
            .get(name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no entry {name:?}")))?;
        let f = self.archive.by_index(idx).map_err(io::Error::other)?;
        let capped = CappedReader {
            inner: f,
            remaining: size.min(self.max_total),
        };
        Ok(match &self.progress {
            None => Box::new(capped),
            Some(p) => Box::new(Reporting {
                inner: capped,
                entry: name.to_owned(),
                read: 0,
                size,
                progress: p.clone(),
            }),
        })
    }
}

/// Files on disk, by package name.
pub(crate) struct DirSource {
    pub files: BTreeMap<String, (PathBuf, u64)>,
}

impl Source for DirSource {
    fn files(&self) -> Vec<(String, u64)> {
        self.files
            .iter()
            .map(|(k, (_, s))| (k.clone(), *s))
            .collect()
    }

    fn open(&mut self, name: &str) -> io::Result<Box<dyn Read + '_>> {
        let (p, _) = self
            .files
            .get(name)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no file {name:?}")))?;
        Ok(Box::new(File::open(p)?))
    }
}

/// Reads the central directory of `path` and applies the safety checks.
pub(crate) fn scan_archive(
    path: &Path,
    limits: &Limits,
) -> Result<(Vec<RawEntry>, Vec<Finding>), PackageError> {
    let mut f = File::open(path).map_err(|e| PackageError::io("open", path, e))?;
    match safety::read_central_directory(&mut f, limits.max_entries) {
        Ok((entries, declared)) => {
            let findings = safety::check_entries(&entries, declared, limits);
            Ok((entries, findings))
        }
        Err(safety::CentralDirError::Io(e)) => Err(PackageError::io("read", path, e)),
        Err(safety::CentralDirError::Malformed(m)) => Ok((
            Vec::new(),
            vec![Finding::new(
                RuleId::ZipCorrupt,
                format!("{m}; the file is not a ZIP archive or is truncated: rebuild it"),
                Location::file(path.display().to_string()),
            )],
        )),
    }
}

/// Validates the ZIP package at `path`.
///
/// I/O errors on the file itself are `Err`; everything wrong with the package is a finding.
///
/// ```no_run
/// let report = hague_package::validate_package(std::path::Path::new("refusal.zip"), &Default::default())?;
/// for f in &report.findings { println!("{f}"); }
/// # Ok::<(), hague_package::PackageError>(())
/// ```
pub fn validate_package(path: &Path, opts: &Options) -> Result<Report, PackageError> {
    let mut report = Report::new(path.display().to_string());
    let (entries, findings) = scan_archive(path, &opts.limits)?;
    let refused = !findings.is_empty();
    for f in findings {
        report.push(f, opts.limits.max_findings);
    }
    if refused {
        return Ok(report);
    }
    let mut src = match ZipSource::open_path(path, &entries, &opts.limits) {
        Ok(s) => s,
        Err(PackageError::Corrupt { message, .. }) => {
            report.push(
                Finding::new(
                    RuleId::ZipCorrupt,
                    format!("the archive cannot be read: {message}; rebuild it"),
                    Location::default(),
                ),
                opts.limits.max_findings,
            );
            return Ok(report);
        }
        Err(e) => return Err(e),
    };
    src.progress = opts.progress.clone();
    validate_source(&mut src, opts, &mut report)?;
    Ok(report)
}

fn is_xml_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case("xml"))
}

fn stop_finding(stop: XmlStop, file: &str) -> Finding {
    let loc = |p: xmlread::Pos| Location::xml(file, p.line, p.column, p.path);
    match stop {
        XmlStop::Doctype(p) => Finding::new(
            RuleId::Doctype,
            "the XML has a DOCTYPE declaration; remove it (ST.96 documents never need one, and entity declarations are refused)",
            loc(p),
        ),
        XmlStop::Depth(p, max) => Finding::new(
            RuleId::XmlDepth,
            format!(
                "the XML nests deeper than {max} elements; flatten it or raise the depth limit"
            ),
            loc(p),
        ),
        XmlStop::NotWellFormed(m, p) => Finding::new(
            RuleId::NotWellFormed,
            format!("the XML is not well-formed: {m}; fix the markup"),
            loc(p),
        ),
    }
}

/// Validates any source of files as an office-to-IB package.
pub(crate) fn validate_source<S: Source>(
    src: &mut S,
    opts: &Options,
    report: &mut Report,
) -> Result<(), PackageError> {
    let max = opts.limits.max_findings;
    let files = src.files();
    let xmls: Vec<&String> = files
        .iter()
        .map(|(n, _)| n)
        .filter(|n| is_xml_name(n))
        .collect();
    if xmls.len() != 1 {
        let msg = if xmls.is_empty() {
            "the package holds no XML file; add the ST.96 XML of the transaction".to_owned()
        } else {
            format!(
                "the package holds {} XML files ({}); a package carries exactly one ST.96 XML: send one transaction per package",
                xmls.len(),
                xmls.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        report.push(
            Finding::new(RuleId::ExactlyOneXml, msg, Location::default()),
            max,
        );
    }
    let Some(xml_name) = xmls.first().map(|s| (*s).clone()) else {
        report.xsd = XsdStatus::NotRun;
        integrity_pass(src, &files, opts, report, None)?;
        return Ok(());
    };

    let root = match src.open(&xml_name) {
        Ok(r) => xmlread::detect_root(BufReader::new(r), opts.limits.max_xml_depth),
        Err(e) => return Err(PackageError::io_entry(&xml_name, e)),
    };
    let info = match root {
        Ok(info) => info,
        Err(stop) => {
            report.push(stop_finding(stop, &xml_name), max);
            integrity_pass(src, &files, opts, report, None)?;
            return Ok(());
        }
    };
    report.root = Some(info.local.clone());

    // 1. st96's typed reader and WIPO's schema, by the one policy (`crate::verdict`): for a
    //    document the typed model was generated for, the typed reader first, and the schema
    //    (streaming) only when it refuses the XML; for others, both.
    let plan = Plan::new(
        &opts.schemas,
        opts.schema_mode,
        &info.local,
        info.version.as_deref(),
    );
    let size = files
        .iter()
        .find(|(n, _)| *n == xml_name)
        .map_or(0, |(_, s)| *s);
    let package = report.package.clone();
    let (pass, run) = plan.run(
        src,
        |src| {
            Ok(match info.local.as_str() {
                // IB-to-office packages (bulletins, confidential copies) have rules of their
                // own; reading their records is the typed verdict.
                "HagueIBToOfficeTransaction" => {
                    let pass = crate::ibcheck::read(src, &xml_name, &files, opts, &package)?;
                    let typed = match (pass.complete(), pass.unproven()) {
                        (true, false) => Typed::Valid,
                        (true, true) => Typed::ValidUnproven,
                        (false, _) => Typed::Invalid,
                    };
                    (TypedPass::Ib(pass), typed)
                }
                "HagueOfficeToIBTransaction" => {
                    let (read, unproven) = typed_read(src, &xml_name, size)?;
                    let typed = match &read {
                        None => Typed::NotRun,
                        Some(Ok(())) if unproven => Typed::ValidUnproven,
                        Some(Ok(())) => Typed::Valid,
                        Some(Err(_)) => Typed::Invalid,
                    };
                    (TypedPass::Office(read), typed)
                }
                _ => (TypedPass::None, Typed::NotRun),
            })
        },
        |src| {
            src.open(&xml_name)
                .map(|r| Box::new(BufReader::with_capacity(64 * 1024, r)) as Box<dyn BufRead>)
        },
        &xml_name,
        opts.limits.max_xml_depth,
        max,
    )?;
    let stopped = run.findings.iter().any(|f| {
        matches!(
            f.rule,
            RuleId::NotWellFormed | RuleId::Doctype | RuleId::XmlDepth
        )
    });
    for f in run.findings {
        report.push(f, max);
    }
    report.truncated += run.dropped;
    report.xsd = run.status;
    if stopped {
        integrity_pass(src, &files, opts, report, None)?;
        return Ok(());
    }

    // 2. The typed verdict in the report (a second opinion next to the schema's when it ran).
    match pass {
        TypedPass::Ib(pass) => {
            integrity_pass(src, &files, opts, report, None)?;
            return crate::ibcheck::finish(pass, &files, opts, report);
        }
        TypedPass::Office(read) => record_typed(read, &xml_name, opts, report),
        TypedPass::None => {}
    }

    // 3. The facts the Hague rules need (streaming, guarded).
    let doc = {
        let reader = src
            .open(&xml_name)
            .map_err(|e| PackageError::io_entry(&xml_name, e))?;
        xmlread::scan_office(
            BufReader::with_capacity(64 * 1024, reader),
            opts.limits.max_xml_depth,
        )
    };
    let doc = match doc {
        Ok(d) => d,
        Err(stop) => {
            report.push(stop_finding(stop, &xml_name), max);
            integrity_pass(src, &files, opts, report, None)?;
            return Ok(());
        }
    };
    let schema_ran = report.xsd.ran();
    let facts = integrity_pass(src, &files, opts, report, Some(&doc))?;
    for f in hague_rules(&doc, &xml_name, &files, &facts, opts, schema_ran) {
        report.push(f, max);
    }
    Ok(())
}

/// Largest XML the typed check reads whole (an office-to-IB XML holds one transaction; its
/// files are separate entries).
const TYPED_CHECK_MAX_BYTES: u64 = 16 << 20;

/// What st96's typed reader read of the package's XML, by direction.
enum TypedPass {
    Ib(crate::ibcheck::Pass),
    /// `None`: too large to read whole.
    Office(Option<Result<(), st96::Error>>),
    None,
}

/// Reads the office-to-IB XML whole with `st96`'s strict typed model (`None` when it is larger
/// than [`TYPED_CHECK_MAX_BYTES`]), and whether it uses a construct the proof of the verdict
/// policy does not cover ([`crate::verdict::Unproven`]).
fn typed_read<S: Source>(
    src: &mut S,
    xml_name: &str,
    size: u64,
) -> Result<(Option<Result<(), st96::Error>>, bool), PackageError> {
    use st96::Root;
    if size > TYPED_CHECK_MAX_BYTES {
        return Ok((None, false));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    src.open(xml_name)
        .and_then(|r| {
            CappedReader {
                inner: r,
                remaining: TYPED_CHECK_MAX_BYTES,
            }
            .read_to_end(&mut bytes)
        })
        .map_err(|e| PackageError::io_entry(xml_name, e))?;
    let unproven = crate::verdict::Unproven::default();
    unproven.scan(&bytes);
    Ok((
        Some(st96::v6::hague::dgn::HagueOfficeToIbTransaction::from_xml(&bytes).map(drop)),
        unproven.seen(),
    ))
}

/// Records the typed verdict. When the schema ran, a disagreement (schema valid, model not) is
/// a warning; when no schema was available, the model is the fallback check and its refusal an
/// error, whatever the declared version (the verdict then rests on the built-in checks alone,
/// and says so).
fn record_typed(
    read: Option<Result<(), st96::Error>>,
    xml_name: &str,
    opts: &Options,
    report: &mut Report,
) {
    match read {
        None => report.typed_model = TypedModelStatus::NotRun,
        Some(Ok(())) => report.typed_model = TypedModelStatus::Valid,
        Some(Err(e)) => {
            let message = e.to_string();
            report.typed_model = TypedModelStatus::Invalid {
                message: message.clone(),
            };
            let severity = match &report.xsd {
                x if x.ran() && report.has(RuleId::SchemaInvalid) => None,
                x if x.ran() => Some(Severity::Warning),
                // No schema ran: the built-in checks are the verdict, whatever the version.
                _ => Some(Severity::Error),
            };
            if let Some(severity) = severity {
                let (line, column, path) = match &e {
                    st96::Error::Invalid { path, location, .. } => {
                        (location.line, location.column, path.clone())
                    }
                    other => other
                        .location()
                        .map_or((0, 0, String::new()), |l| (l.line, l.column, String::new())),
                };
                let location = if line > 0 {
                    Location::xml(xml_name, line, column, path)
                } else {
                    Location::file(xml_name)
                };
                report.push(
                    Finding::new(
                        RuleId::TypedModel,
                        format!(
                            "st96's typed ST.96 {} model refuses the XML: {message}",
                            st96::detect::MODEL_VERSION
                        ),
                        location,
                    )
                    .with_severity(severity),
                    opts.limits.max_findings,
                );
            }
        }
    }
}

/// Names of the files the XML references, with the role of each.
pub(crate) fn referenced(doc: &OfficeDoc) -> Vec<(String, &'static str, xmlread::Pos)> {
    let mut out = Vec::new();
    for tx in &doc.transactions {
        for d in &tx.documents {
            if let Some(f) = &d.file_name {
                out.push((f.value.clone(), "document", f.pos.clone()));
            }
        }
        for v in &tx.views {
            if let Some(f) = &v.file_name {
                out.push((f.value.clone(), "view", f.pos.clone()));
            }
            if let Some(f) = &v.thumbnail {
                out.push((f.value.clone(), "thumbnail", f.pos.clone()));
            }
        }
    }
    out
}

/// Reads every file once: kind from the magic number, image dimensions from the header, and (for
/// archives, when asked) the rest to its end so the CRC is checked.
fn integrity_pass<S: Source>(
    src: &mut S,
    files: &[(String, u64)],
    opts: &Options,
    report: &mut Report,
    doc: Option<&OfficeDoc>,
) -> Result<HashMap<String, FileFacts>, PackageError> {
    let views: BTreeSet<String> = doc
        .map(|d| {
            referenced(d)
                .into_iter()
                .filter(|(_, role, _)| *role == "view" || *role == "thumbnail")
                .map(|(n, _, _)| n)
                .collect()
        })
        .unwrap_or_default();
    let mut facts = HashMap::new();
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 256 * 1024];
    for (name, size) in files {
        let reader = match src.open(name) {
            Ok(r) => r,
            Err(e) => {
                report.push(
                    Finding::new(
                        RuleId::ZipCorrupt,
                        format!("entry {name:?} cannot be read: {e}; rebuild the archive"),
                        Location::file(name.clone()),
                    ),
                    opts.limits.max_findings,
                );
                continue;
            }
        };
        let mut r = BufReader::with_capacity(64 * 1024, reader);
        let result: io::Result<FileFacts> = (|| {
            let head = r.fill_buf()?;
            let kind = FileKind::sniff(head);
            let dims = if views.contains(name) {
                match kind {
                    FileKind::Jpeg => {
                        Some(sniff::jpeg_dimensions(&mut r).map_err(|e| e.to_string()))
                    }
                    FileKind::Png => Some(sniff::png_dimensions(&mut r).map_err(|e| e.to_string())),
                    _ => None,
                }
            } else {
                None
            };
            if opts.verify_integrity {
                loop {
                    let n = r.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    total += n as u64;
                    if total > opts.limits.max_total_bytes {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "the archive decompresses to more than the size limit",
                        ));
                    }
                }
            }
            Ok(FileFacts {
                kind,
                size: *size,
                dims,
            })
        })();
        match result {
            Ok(f) => {
                facts.insert(name.clone(), f);
            }
            Err(e) => report.push(
                Finding::new(
                    RuleId::ZipCorrupt,
                    format!("entry {name:?} is damaged: {e}; rebuild the archive"),
                    Location::file(name.clone()),
                ),
                opts.limits.max_findings,
            ),
        }
    }
    Ok(facts)
}

fn loc(file: &str, p: &xmlread::Pos) -> Location {
    Location::xml(file, p.line, p.column, p.path.clone())
}

fn parse_count(t: &xmlread::Text) -> Option<u64> {
    t.value.trim().parse().ok()
}

/// The Hague rules over the facts of the XML and the files.
fn hague_rules(
    doc: &OfficeDoc,
    xml: &str,
    files: &[(String, u64)],
    facts: &HashMap<String, FileFacts>,
    opts: &Options,
    schema_ran: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let root_loc = loc(xml, &doc.root_pos);
    if doc.root != "HagueOfficeToIBTransaction" || doc.root_ns.as_deref() != Some(NS_DESIGN) {
        out.push(Finding::new(
            RuleId::RootElement,
            format!(
                "the root element is {{{}}}{}; a package sent to Hague carries a dgn:HagueOfficeToIBTransaction ({NS_DESIGN})",
                doc.root_ns.as_deref().unwrap_or(""),
                doc.root
            ),
            root_loc.clone(),
        ));
        return out;
    }
    if let Some(problem) = hague_version_problem(doc.version.as_deref()) {
        out.push(Finding::new(RuleId::Version, problem, root_loc.clone()));
    }
    match &doc.total_quantity {
        Some(t) if t.value.trim() == "1" => {}
        Some(t) => out.push(Finding::new(
            RuleId::TransactionTotal,
            format!(
                "com:TransactionTotalQuantity is {:?}; an HWS package carries one transaction, so it must be 1",
                t.value
            ),
            loc(xml, &t.pos),
        )),
        None => out.push(Finding::new(
            RuleId::TransactionTotal,
            "dgn:HagueOfficeTransactionHeader has no com:TransactionTotalQuantity; add it with the value 1",
            root_loc.clone(),
        )),
    }
    if doc.transactions.len() != 1 {
        out.push(Finding::new(
            RuleId::OneTransaction,
            format!(
                "dgn:HagueOfficeToIBBag holds {} transactions ({}); send exactly one per package",
                doc.transactions.len(),
                doc.transactions
                    .iter()
                    .map(|t| t.tag.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            root_loc.clone(),
        ));
    }
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    let folded: HashMap<String, &str> = files
        .iter()
        .map(|(n, _)| (n.to_lowercase(), n.as_str()))
        .collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    used.insert(xml.to_owned());

    for tx in &doc.transactions {
        let tx_loc = loc(xml, &tx.pos);
        if !schema_ran {
            match structure::model(&tx.tag) {
                Some(m) => {
                    for p in structure::check(&tx.tag, m, &tx.children) {
                        let mut f = Finding::new(
                            RuleId::RequiredElement,
                            format!("{p} (built-in check)"),
                            tx_loc.clone(),
                        );
                        f.expected = Some(format!("in order: {}", structure::describe(m)));
                        out.push(f);
                    }
                }
                None => out.push(Finding::new(
                    RuleId::RequiredElement,
                    format!(
                        "<{}> is not a transaction Hague accepts from offices (built-in check)",
                        tx.tag
                    ),
                    tx_loc.clone(),
                )),
            }
        }
        let (allowed, count_rule) = kinds_for(tx);
        for d in &tx.documents {
            let dloc = loc(xml, &d.pos);
            if d.file_name.is_none() {
                out.push(Finding::new(
                    RuleId::MissingFileName,
                    format!(
                        "supporting document {:?} has no com:FileName; add the relative path of its PDF",
                        d.name.as_deref().unwrap_or("?")
                    ),
                    dloc.clone(),
                ));
            }
            match &d.kind {
                None => out.push(Finding::new(
                    RuleId::MissingKind,
                    format!(
                        "supporting document {:?} has no com:DocumentKindCategory; without it Hague cannot record the transaction automatically: add one{}",
                        d.name.as_deref().unwrap_or("?"),
                        allowed.as_ref().map(|a| format!(" ({})", a.join(" or "))).unwrap_or_default()
                    ),
                    dloc.clone(),
                )),
                Some(k) => {
                    let kv = k.value.as_str();
                    if !KNOWN_KINDS.contains(&kv) {
                        out.push(Finding::new(
                            RuleId::UnknownKind,
                            format!("com:DocumentKindCategory {kv:?} is not a value Hague documents; check the spelling"),
                            loc(xml, &k.pos),
                        ));
                    } else if let Some(a) = &allowed
                        && !a.contains(&kv) {
                            out.push(Finding::new(
                                RuleId::KindMismatch,
                                format!(
                                    "com:DocumentKindCategory {kv:?} does not fit a {}{}; use {}",
                                    tx.tag,
                                    tx.generic_category
                                        .as_ref()
                                        .map(|c| format!(" of category {:?}", c.value))
                                        .unwrap_or_default(),
                                    a.join(" or ")
                                ),
                                loc(xml, &k.pos),
                            ));
                        }
                }
            }
        }
        let n = tx.documents.len();
        match count_rule {
            DocCount::ExactlyOne if n != 1 => out.push(Finding::new(
                RuleId::DecisionDocuments,
                format!(
                    "a {} decision carries exactly one supporting document; this one has {n}",
                    tx.tag
                ),
                tx_loc.clone(),
            )),
            DocCount::AtMostOne if n > 1 => out.push(Finding::new(
                RuleId::DecisionDocuments,
                format!(
                    "a {} carries at most one supporting document; this one has {n}",
                    tx.tag
                ),
                tx_loc.clone(),
            )),
            _ => {}
        }
        // Counts.
        if let Some(t) = &tx.design_total
            && parse_count(t) != Some(tx.designs.len() as u64)
        {
            out.push(Finding::new(
                    RuleId::DesignCount,
                    format!(
                        "dgn:DesignTotalQuantity is {:?} but the application has {} designs; make them agree",
                        t.value,
                        tx.designs.len()
                    ),
                    loc(xml, &t.pos),
                ));
        }
        if let Some(t) = &tx.view_total
            && parse_count(t) != Some(tx.views.len() as u64)
        {
            out.push(Finding::new(
                    RuleId::ViewCount,
                    format!(
                        "dgn:ViewTotalQuantity is {:?} but the application has {} views; make them agree",
                        t.value,
                        tx.views.len()
                    ),
                    loc(xml, &t.pos),
                ));
        }
        for d in &tx.designs {
            if let Some(t) = &d.view_total
                && parse_count(t) != Some(d.views as u64)
            {
                out.push(Finding::new(
                        RuleId::ViewCount,
                        format!(
                            "the design's dgn:ViewTotalQuantity is {:?} but it has {} views; make them agree",
                            t.value, d.views
                        ),
                        loc(xml, &t.pos),
                    ));
            }
        }
        // Referenced files: present, formats, images.
        let mut declared: Vec<(&xmlread::Text, Option<&String>, bool)> = Vec::new();
        for d in &tx.documents {
            if let Some(f) = &d.file_name {
                declared.push((f, d.format.as_ref(), false));
            }
        }
        for v in &tx.views {
            if let Some(f) = &v.file_name {
                declared.push((f, v.format.as_ref(), true));
            }
            if let Some(f) = &v.thumbnail {
                declared.push((f, None, false));
            }
        }
        for (f, format, is_view) in declared {
            let name = f.value.as_str();
            let floc = loc(xml, &f.pos);
            if let Err((_, why)) = safety::check_name(name.as_bytes()) {
                out.push(Finding::new(
                    RuleId::UnsafeReference,
                    format!("referenced file {name:?} is not a safe relative path: {why}"),
                    floc,
                ));
                continue;
            }
            if !names.contains(name) {
                if let Some(real) = folded.get(&name.to_lowercase()) {
                    used.insert((*real).to_owned());
                    out.push(Finding::new(
                        RuleId::FileCase,
                        format!(
                            "referenced file {name:?} is in the package only as {real:?}; paths are case-sensitive: make the XML and the file name agree"
                        ),
                        floc,
                    ));
                } else {
                    out.push(Finding::new(
                        RuleId::MissingFile,
                        format!("referenced file {name:?} is not in the package; add it at exactly this relative path"),
                        floc,
                    ));
                }
                continue;
            }
            used.insert(name.to_owned());
            let Some(fact) = facts.get(name) else {
                continue;
            };
            let want = format
                .and_then(|c| FileKind::from_category(c))
                .or_else(|| FileKind::from_extension(name));
            if let Some(want) = want
                && fact.kind != want
            {
                out.push(Finding::new(
                        RuleId::FormatMismatch,
                        format!(
                            "{name:?} is declared as {} but its content is {}; export the file in the declared format or correct the declaration",
                            want.as_str(),
                            fact.kind.as_str()
                        ),
                        floc.clone(),
                    ));
                continue;
            }
            if is_view {
                if !opts.images.formats.contains(&fact.kind) {
                    out.push(Finding::new(
                        RuleId::ImageFormat,
                        format!(
                            "design view {name:?} is {}; Hague accepts {} for views: convert it",
                            fact.kind.as_str(),
                            opts.images
                                .formats
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        floc.clone(),
                    ));
                }
                if fact.size > opts.images.max_bytes {
                    out.push(Finding::new(
                        RuleId::ImageBytes,
                        format!(
                            "design view {name:?} has {} bytes, more than the limit of {}; compress it",
                            fact.size, opts.images.max_bytes
                        ),
                        floc.clone(),
                    ));
                }
                match &fact.dims {
                    Some(Ok(d)) if d.width > opts.images.max_pixels || d.height > opts.images.max_pixels => {
                        out.push(Finding::new(
                            RuleId::ImagePixels,
                            format!(
                                "design view {name:?} is {}x{} pixels, more than {} on a side; scale it down",
                                d.width, d.height, opts.images.max_pixels
                            ),
                            floc.clone(),
                        ))
                    }
                    Some(Err(e)) => out.push(Finding::new(
                        RuleId::ImageHeader,
                        format!("the header of design view {name:?} cannot be read: {e}; re-export the image"),
                        floc.clone(),
                    )),
                    _ => {}
                }
            }
        }
    }
    for c in &doc.codes {
        if !st3::is_st3_code(&c.value) {
            out.push(Finding::new(
                RuleId::OfficeCode,
                format!("{:?} is not a WIPO ST.3 code; use the two-letter upper-case code (e.g. KR, EM, WO)", c.value),
                loc(xml, &c.pos),
            ));
        }
    }
    for d in &doc.dates {
        if !dates::is_real_date(&d.value) {
            out.push(Finding::new(
                RuleId::InvalidDate,
                format!("{:?} is not a real date; write it as YYYY-MM-DD", d.value),
                loc(xml, &d.pos),
            ));
        }
    }
    for (name, _) in files {
        if !used.contains(name) {
            out.push(Finding::new(
                RuleId::UnreferencedFile,
                format!(
                    "{name:?} is referenced by no element of the XML; remove it or reference it"
                ),
                Location::file(name.clone()),
            ));
        }
    }
    out
}
