//! The one verdict policy: which of st96's strict typed reader and WIPO's schema (`xsd-schema`)
//! judge a document, used by `package validate`/`build`, `hague submit` and `st96 check`.
//!
//! * A document st96's model was generated for — its root is one of [`MODEL_ROOTS`] and the
//!   schema that would judge it is WIPO's [`MODEL_VERSION`] schema: it declares `V6_0`, or it
//!   declares another version whose own schema is not installed, so that WIPO's `V6_0` schema
//!   would judge it with its fixed `com:st96Version` relaxed (`XSD005`) — is read with st96's
//!   strict typed reader first. If the reader accepts it, that is the verdict: the schema is
//!   neither compiled nor run, and the report says so ([`XsdStatus::ModelProven`]). If it refuses
//!   it, the schema runs as before, so the user gets the schema's findings (cvc codes, lines).
//!   So does a document using a construct where st96's reader is more lenient than the schema
//!   ([`Unproven`]: `xs:ID` attributes, IPOASIS tables, MathML), until st96 checks them.
//! * Any other document (another version whose schema is installed, no declared version, a root
//!   st96 has no model for), and every document with [`SchemaMode::Always`]: the schema runs, and
//!   the typed reader too.
//!
//! Why the typed verdict may stand for the schema's: issue 13 allows it "as long as the
//! differential tests prove the verdicts equal". `tests/differential.rs` judges thousands of
//! mutants of every shared sample, generated and rich bulletins (the streaming reader) and the
//! Annex VII application with this policy ([`check_document`]) and with `xsd-schema` alone, and
//! fails on any document this policy accepts and the schema refuses, except the documented
//! differences where `xsd-schema` departs from XSD and XML 1.0 and libxml2 agrees with st96
//! (`tests/differential/judge.rs`). The converse cannot happen: when the typed reader refuses,
//! the verdict is the schema's.
//!
//! [`MODEL_VERSION`]: st96::detect::MODEL_VERSION

use std::io::BufRead;
use std::path::PathBuf;

use st96::detect::{Detected, DocumentKind, MODEL_VERSION};

use crate::PackageError;
use crate::report::XsdStatus;
use crate::schemas::{self, Resolved, SchemaRun};
use crate::validate::Schemas;

/// The roots whose typed verdict is proven equal to the schema's (the roots st96 is generated
/// for that the differential tests cover).
pub const MODEL_ROOTS: &[&str] = &[
    "HagueOfficeToIBTransaction",
    "HagueIBToOfficeTransaction",
    "DesignApplication",
];

/// When WIPO's schema runs next to st96's typed reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SchemaMode {
    /// Only when needed: not for a document st96's model accepts and whose verdict is proven
    /// equal to the schema's (see the module documentation). The default.
    #[default]
    WhenNeeded,
    /// Always, even when st96's model accepted the document (`--always-xsd`).
    Always,
}

/// What st96's typed reader said, as far as the policy is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typed {
    /// It read the document.
    Valid,
    /// It read the document, but the document uses a construct where the differential tests
    /// found st96's reader more lenient than the schema ([`Unproven`]): the schema runs.
    ValidUnproven,
    /// It refused the document's content: the schema's findings are wanted.
    Invalid,
    /// It refused the input itself (a guard: DOCTYPE, malformed XML, too deep) or could not read
    /// it: the schema would only repeat that, and does not run.
    Refused,
    /// It did not read the document (no model, too large to read whole): the schema runs.
    NotRun,
}

/// Watches the bytes of a document as st96's typed reader reads them, for the constructs where
/// st96's reader is more lenient than WIPO's schema: an `id` attribute (`xs:ID`: the schema
/// refuses a value used twice, st96 does not check; found by the differential tests on mutants
/// of `crates/st96/tests/data/rich-mixed-bulletin.xml`), an `IPOASISTable` and MathML (st96
/// keeps their content as opaque XML, checked for well-formedness only; docs/st96-versions.md).
/// A document with any of them is judged by the schema. The match is on bytes, so it errs on
/// the side of running the schema (e.g. `id=` in text).
#[derive(Debug, Clone, Default)]
pub struct Unproven(std::sync::Arc<std::sync::atomic::AtomicBool>);

/// The byte patterns [`Unproven`] looks for.
const UNPROVEN_TABLE: &[u8] = b"IPOASISTable";
/// MathML's namespace, declared wherever MathML is used.
const UNPROVEN_MATHML: &[u8] = b"/1998/Math/MathML";

impl Unproven {
    /// `true` once a construct the proof does not cover was seen.
    pub fn seen(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Looks for the constructs in `bytes` (a whole document, or any part of it).
    pub fn scan(&self, bytes: &[u8]) {
        if !self.seen() && has_unproven(bytes) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// `input`, watched as it is read.
    pub fn watch<R: std::io::Read>(&self, input: R) -> Watched<R> {
        Watched {
            inner: input,
            tail: Vec::with_capacity(2 * TAIL),
            unproven: self.clone(),
        }
    }
}

/// Bytes kept from the end of one read to find a pattern split between two reads.
const TAIL: usize = 16;

fn has_unproven(bytes: &[u8]) -> bool {
    if memchr::memmem::find(bytes, UNPROVEN_TABLE).is_some()
        || memchr::memmem::find(bytes, UNPROVEN_MATHML).is_some()
    {
        return true;
    }
    // An attribute whose local name is `id`: ` id=`, `:id=`, with white space before `=`.
    memchr::memmem::find_iter(bytes, b"id").any(|at| {
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let prefixed = matches!(before, Some(b':' | b' ' | b'\t' | b'\n' | b'\r'));
        prefixed
            && bytes[at + 2..]
                .iter()
                .find(|c| !c.is_ascii_whitespace())
                // At the end of the bytes seen: perhaps, so yes.
                .is_none_or(|&c| c == b'=')
    })
}

/// A reader watched by [`Unproven`].
#[derive(Debug)]
pub struct Watched<R> {
    inner: R,
    tail: Vec<u8>,
    unproven: Unproven,
}

impl<R: std::io::Read> std::io::Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 && !self.unproven.seen() {
            let got = &buf[..n];
            self.unproven.scan(got);
            // Across the boundary with the previous read.
            self.tail.extend_from_slice(&got[..n.min(TAIL)]);
            self.unproven.scan(&self.tail);
            // Keep the last TAIL bytes read, whatever the size of the reads.
            if n >= TAIL {
                self.tail.clear();
                self.tail.extend_from_slice(&got[n - TAIL..]);
            } else {
                let excess = self.tail.len().saturating_sub(TAIL);
                self.tail.drain(..excess);
            }
        }
        Ok(n)
    }
}

/// The decision for one document, made before anything is read: [`Plan::new`].
#[derive(Debug, Clone)]
pub struct Plan {
    dirs: Option<Vec<PathBuf>>,
    mode: SchemaMode,
    root: String,
    declared: Option<String>,
    resolved: Option<Resolved>,
    /// The schema file the typed verdict stands for (when installed), when it may stand.
    proof: Option<Option<PathBuf>>,
}

impl Plan {
    /// The plan for a document with root `root` (local name) declaring `declared`, with the
    /// schemas `schemas` and the mode `mode`. Reads no document and compiles no schema: it only
    /// looks up which schema file would judge the document ([`schemas::resolve`]).
    pub fn new(schemas: &Schemas, mode: SchemaMode, root: &str, declared: Option<&str>) -> Self {
        let dirs = match schemas {
            Schemas::Dirs(d) => Some(d.clone()),
            Schemas::Off => None,
        };
        let resolved = dirs.as_deref().map(|d| schemas::resolve(d, root, declared));
        let proof = match (&resolved, declared) {
            _ if !MODEL_ROOTS.contains(&root) => None,
            (None, _) => None,
            (Some(Resolved::Exact { schema }), Some(v)) if v == MODEL_VERSION => {
                Some(Some(schema.clone()))
            }
            (Some(_), Some(v)) if v == MODEL_VERSION => Some(None),
            (
                Some(Resolved::Nearest {
                    schema,
                    schema_version,
                    ..
                }),
                Some(v),
            ) if schema_version == MODEL_VERSION && crate::xsd::is_version_token(v) => {
                Some(Some(schema.clone()))
            }
            _ => None,
        };
        Self {
            dirs,
            mode,
            root: root.to_owned(),
            declared: declared.map(str::to_owned),
            resolved,
            proof,
        }
    }

    /// `true` when st96's typed verdict decides alone if it accepts the document (the schema
    /// then never starts); `false` when the schema runs whatever the typed reader says (or
    /// not at all, with [`Schemas::Off`]).
    pub fn typed_first(&self) -> bool {
        self.mode == SchemaMode::WhenNeeded && self.proof.is_some()
    }

    /// `true` when WIPO's schema surely reads the document (it may also when
    /// [`Plan::typed_first`] and the typed reader refuses it).
    pub fn schema_surely_runs(&self) -> bool {
        !self.typed_first() && self.schema_found()
    }

    /// `true` when a schema file for the document was found (it runs when the policy needs it).
    fn schema_found(&self) -> bool {
        matches!(
            self.resolved,
            Some(Resolved::Exact { .. } | Resolved::Nearest { .. })
        )
    }

    /// `true` when the typed read may stop as soon as it meets an [`Unproven`] construct: the
    /// typed verdict would not stand, and the schema that then judges the document is there.
    pub fn stop_typed_when_unproven(&self) -> bool {
        self.typed_first() && self.schema_found()
    }

    /// The status when the typed verdict stands for the schema's.
    fn proven(&self, file: &str) -> SchemaRun {
        let declared = self.declared.clone().unwrap_or_default();
        let schema = self.proof.clone().flatten();
        let findings = if declared == MODEL_VERSION {
            Vec::new()
        } else {
            vec![schemas::nearest_note(&declared, MODEL_VERSION, file)]
        };
        SchemaRun {
            status: XsdStatus::ModelProven {
                model_version: MODEL_VERSION.to_owned(),
                schema: schema.map(|s| s.display().to_string()),
                declared,
            },
            findings,
            dropped: 0,
        }
    }

    fn not_run(&self) -> SchemaRun {
        SchemaRun {
            status: if self.dirs.is_none() {
                XsdStatus::Skipped
            } else {
                XsdStatus::NotRun
            },
            findings: Vec::new(),
            dropped: 0,
        }
    }

    /// Runs WIPO's schema (compiling it on first use), or says why not.
    fn schema<R: BufRead>(
        &self,
        open: impl FnOnce() -> std::io::Result<R>,
        file: &str,
        max_depth: usize,
        max_findings: usize,
    ) -> Result<SchemaRun, PackageError> {
        match &self.resolved {
            None => Ok(self.not_run()),
            Some(resolved) => schemas::validate_resolved(
                resolved.clone(),
                &self.root,
                self.declared.as_deref(),
                open,
                file,
                max_depth,
                max_findings,
            ),
        }
    }

    /// The status for a typed verdict, if it settles the schema's too (`None`: run the schema).
    fn settled(&self, typed: Typed, file: &str) -> Option<SchemaRun> {
        match typed {
            Typed::Valid if self.typed_first() => Some(self.proven(file)),
            Typed::Refused => Some(self.not_run()),
            _ => None,
        }
    }

    /// Runs the plan, one step after the other: `typed` (st96's typed reader, which gives its
    /// own result `T` and what it means for the policy), then, unless that settles it, WIPO's
    /// schema over the reader `open` gives. Both get `ctx` (the package the XML is read from).
    pub fn run<C, T>(
        &self,
        ctx: &mut C,
        typed: impl FnOnce(&mut C) -> Result<(T, Typed), PackageError>,
        open: impl for<'a> FnOnce(&'a mut C) -> std::io::Result<Box<dyn BufRead + 'a>>,
        file: &str,
        max_depth: usize,
        max_findings: usize,
    ) -> Result<(T, SchemaRun), PackageError> {
        let (t, verdict) = typed(ctx)?;
        let run = match self.settled(verdict, file) {
            Some(run) => run,
            None => self.schema(|| open(ctx), file, max_depth, max_findings)?,
        };
        Ok((t, run))
    }
}

/// What st96's strict typed reader said about one document ([`read_document`]).
#[derive(Debug)]
pub struct TypedRead {
    /// The document kind whose model read it (`HagueIBToOfficeTransaction`...).
    pub kind: &'static str,
    /// The declared `com:st96Version`, if any.
    pub declared_version: Option<String>,
    /// Records read, for a document read record by record (IB-to-office).
    pub records: Option<u64>,
    /// What is worth telling (e.g. a declared version other than the model's).
    pub warnings: Vec<String>,
    /// The first problem, if it refused the document.
    pub error: Option<st96::Error>,
    /// The document uses a construct the proof does not cover ([`Unproven`]).
    pub unproven: bool,
    /// The reader stopped early, after [`TypedRead::records`] records, because the document
    /// uses such a construct and WIPO's schema judges it ([`read_document`]): `error` is
    /// then about the records read so far.
    pub stopped: bool,
}

impl TypedRead {
    /// The reader refused `found`'s document (or could not read it) with `error`, before any
    /// record was read.
    fn failed(found: &Detected, error: st96::Error, unproven: bool) -> Self {
        Self {
            kind: found.kind.name(),
            declared_version: found.st96_version.clone(),
            records: None,
            warnings: Vec::new(),
            error: Some(error),
            unproven,
            stopped: false,
        }
    }

    /// What this means for the policy.
    pub fn typed(&self) -> Typed {
        match &self.error {
            None if self.unproven => Typed::ValidUnproven,
            None => Typed::Valid,
            Some(st96::Error::Refused(_) | st96::Error::Detect(_) | st96::Error::Io(_)) => {
                Typed::Refused
            }
            Some(_) => Typed::Invalid,
        }
    }
}

/// Reads one XML document (not a package) with st96's strict typed reader for the kind `found`
/// names: an IB-to-office document (bulletin, office copy) record by record, with flat memory;
/// others whole. `None` when st96 has no model for the kind.
///
/// With `stop_when_unproven` a record-by-record read stops at the first record after an
/// [`Unproven`] construct was seen ([`TypedRead::stopped`]): WIPO's schema judges such a
/// document, so reading the rest with st96's reader would only double the work (on
/// WIPO-schema-rich bulletins, `com:id` attributes are everywhere).
pub fn read_document<R: BufRead>(
    found: &Detected,
    input: R,
    stop_when_unproven: bool,
) -> Option<TypedRead> {
    let kind = found.kind.name();
    let unproven = Unproven::default();
    if found.kind == DocumentKind::HagueIBToOfficeTransaction {
        let input = std::io::BufReader::with_capacity(256 * 1024, unproven.watch(input));
        let mut reader = match st96::stream::IbToOfficeReader::new(input) {
            Ok(r) => r,
            Err(e) => {
                return Some(TypedRead::failed(found, e, unproven.seen()));
            }
        };
        let mut error = None;
        let mut stopped = false;
        for record in reader.by_ref() {
            if let Err(e) = record {
                error = Some(e);
                break;
            }
            if stop_when_unproven && unproven.seen() {
                stopped = true;
                break;
            }
        }
        return Some(TypedRead {
            kind,
            declared_version: reader
                .declared_version()
                .map(str::to_owned)
                .or_else(|| found.st96_version.clone()),
            records: Some(reader.records_read()),
            warnings: reader.warnings().iter().map(ToString::to_string).collect(),
            error,
            unproven: unproven.seen(),
            stopped,
        });
    }
    if !st96::by_kind::kinds_with_model().contains(&found.kind) {
        return None;
    }
    let mut bytes = Vec::new();
    let mut input = input;
    if let Err(e) = input.read_to_end(&mut bytes) {
        return Some(TypedRead::failed(found, st96::Error::Io(e), false));
    }
    unproven.scan(&bytes);
    let parsed = st96::by_kind::parse_by_kind(&bytes, found)?;
    Some(match parsed {
        Ok(p) => TypedRead {
            kind,
            declared_version: p.declared_version.or_else(|| found.st96_version.clone()),
            records: None,
            warnings: p.warnings.iter().map(ToString::to_string).collect(),
            error: None,
            unproven: unproven.seen(),
            stopped: false,
        },
        Err(e) => TypedRead::failed(found, e, unproven.seen()),
    })
}

/// The verdict of [`check_document`]: the typed reader's and the schema's (run, proven or not
/// run, with its findings).
#[derive(Debug)]
pub struct DocumentVerdict {
    /// st96's typed reader; `None` when st96 has no model for the document's kind.
    pub typed: Option<TypedRead>,
    /// WIPO's schema.
    pub schema: SchemaRun,
}

impl DocumentVerdict {
    /// WIPO's schema's verdict, run or proven: `Some(true)` when it ran and found no error, or
    /// when st96's typed verdict stood for it; `None` when it did not run. What the
    /// differential tests compare with the schema run alone.
    pub fn schema_verdict(&self) -> Option<bool> {
        self.schema.status.ran().then(|| {
            !self
                .schema
                .findings
                .iter()
                .any(|f| f.severity == crate::Severity::Error)
        })
    }

    /// The policy's verdict: valid when the typed reader accepted the document and the schema
    /// (when it ran) found no error.
    pub fn is_valid(&self) -> bool {
        self.typed.as_ref().is_some_and(|t| t.error.is_none())
            && !self
                .schema
                .findings
                .iter()
                .any(|f| f.severity == crate::Severity::Error)
    }
}

/// Judges one XML document (not a package) by the policy of [`Plan`]: `open` gives a fresh
/// reader of it for each pass (the typed read, and the schema when it runs). When both surely
/// run, they run at the same time on two threads (the wall time is the slower of the two);
/// otherwise the typed reader first, and the schema only when it does not settle the verdict.
/// What `ipgate st96 check` runs, and what the differential tests judge.
pub fn check_document<R: BufRead>(
    plan: &Plan,
    found: &Detected,
    open: &(dyn Fn() -> std::io::Result<R> + Sync),
    file: &str,
    max_depth: usize,
    max_findings: usize,
) -> Result<DocumentVerdict, PackageError> {
    let typed = || -> Result<Option<TypedRead>, PackageError> {
        let input = open().map_err(|e| PackageError::io_entry(file, e))?;
        Ok(read_document(found, input, plan.stop_typed_when_unproven()))
    };
    let typed_of = |t: &Option<TypedRead>| t.as_ref().map_or(Typed::NotRun, TypedRead::typed);
    if !plan.schema_surely_runs() {
        let typed = typed()?;
        let schema = match plan.settled(typed_of(&typed), file) {
            Some(run) => run,
            None => plan.schema(open, file, max_depth, max_findings)?,
        };
        return Ok(DocumentVerdict { typed, schema });
    }
    let (typed, schema) = std::thread::scope(|s| {
        let schema = std::thread::Builder::new()
            .name("xsd".into())
            .spawn_scoped(s, || plan.schema(open, file, max_depth, max_findings));
        let typed = typed();
        let schema = match schema {
            Ok(handle) => handle.join().unwrap_or_else(|_| {
                Err(PackageError::Input(
                    "the schema validation thread panicked".to_owned(),
                ))
            }),
            // No thread to be had: validate here, after the typed read.
            Err(_) => plan.schema(open, file, max_depth, max_findings),
        };
        (typed, schema)
    });
    let typed = typed?;
    let schema = match typed_of(&typed) {
        Typed::Refused => plan.not_run(),
        _ => schema?,
    };
    Ok(DocumentVerdict { typed, schema })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Read;

    use super::*;

    fn watched(doc: &[u8], chunk: usize) -> bool {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let u = Unproven::default();
        let mut sink = Vec::new();
        u.watch(Chunks(doc, chunk)).read_to_end(&mut sink).unwrap();
        assert_eq!(sink, doc);
        u.seen()
    }

    #[test]
    fn id_attributes_and_tables_are_seen_whatever_the_reads() {
        for doc in [
            &b"<a com:id=\"N1\"/>"[..],
            b"<a id = 'N1'/>",
            b"<a\n\tid='x'/>",
            b"<x><com:IPOASISTable/></x>",
            b"<x xmlns:m=\"http://www.w3.org/1998/Math/MathML\"/>",
        ] {
            for chunk in 1..doc.len() + 1 {
                assert!(watched(doc, chunk), "{:?} in reads of {chunk}", doc);
            }
        }
        for doc in [
            &b"<a valid=\"1\" bid='2'><Identifier>id</Identifier></a>"[..],
            b"<a><com:IPOASIS/>Table</a>",
        ] {
            for chunk in 1..doc.len() + 1 {
                assert!(!watched(doc, chunk), "{:?} in reads of {chunk}", doc);
            }
        }
    }

    #[test]
    fn the_plan_proves_only_v6_0_or_the_nearest_v6_0_of_a_model_root() {
        let d = tempfile::tempdir().unwrap();
        let v6 = d.path().join("V6_0");
        std::fs::create_dir_all(&v6).unwrap();
        for root in ["HagueIBToOfficeTransaction", "DesignTransaction"] {
            std::fs::write(v6.join(format!("{root}_V6_0.xsd")), "not a schema").unwrap();
        }
        let dirs = Schemas::Dirs(vec![d.path().to_path_buf()]);
        let plan = |root, v, mode| Plan::new(&dirs, mode, root, v);
        let ib = "HagueIBToOfficeTransaction";
        assert!(plan(ib, Some("V6_0"), SchemaMode::WhenNeeded).typed_first());
        assert!(plan(ib, Some("V7_0"), SchemaMode::WhenNeeded).typed_first());
        assert!(!plan(ib, Some("V6_0"), SchemaMode::Always).typed_first());
        assert!(!plan(ib, None, SchemaMode::WhenNeeded).typed_first());
        assert!(!plan(ib, Some("FOO"), SchemaMode::WhenNeeded).typed_first());
        // No model proven for this root.
        assert!(!plan("DesignTransaction", Some("V6_0"), SchemaMode::WhenNeeded).typed_first());
        // V7_0 installed: its own schema judges a V7_0 document.
        let v7 = d.path().join("V7_0");
        std::fs::create_dir_all(&v7).unwrap();
        std::fs::write(v7.join(format!("{ib}_V7_0.xsd")), "not a schema").unwrap();
        assert!(!plan(ib, Some("V7_0"), SchemaMode::WhenNeeded).typed_first());
        assert!(plan(ib, Some("V6_0"), SchemaMode::WhenNeeded).typed_first());
        // --no-xsd: the schema is off, nothing to prove.
        assert!(!Plan::new(&Schemas::Off, SchemaMode::WhenNeeded, ib, Some("V6_0")).typed_first());
    }

    /// A record-by-record read stops soon after an `xs:ID` attribute when the schema judges the
    /// document anyway; the whole read reaches a broken record 1.5 MB further on.
    #[test]
    fn the_typed_read_stops_at_an_unproven_construct_when_asked() {
        let rich = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../st96/tests/data/rich-mixed-bulletin.xml");
        let text = std::fs::read_to_string(rich).unwrap();
        let end = "</dgn:HagueMerger>";
        let first = text.find("<dgn:HagueMerger>").unwrap();
        let first_end = text.find(end).unwrap() + end.len();
        let record = &text[first..first_end];
        assert!(
            record.contains("com:id="),
            "the first record has an xs:ID attribute"
        );
        let copies = 1_500_000 / record.len() + 1;
        let doc = format!(
            "{}{}<dgn:HagueMerger><oops/></dgn:HagueMerger>{}",
            &text[..first_end],
            record.repeat(copies),
            &text[first_end..]
        );
        let found = st96::detect::detect(doc.as_bytes()).unwrap();
        let whole = read_document(&found, doc.as_bytes(), false).unwrap();
        assert!(whole.error.is_some() && !whole.stopped && whole.unproven);
        let until = read_document(&found, doc.as_bytes(), true).unwrap();
        assert!(until.error.is_none(), "{:?}", until.error);
        assert!(until.stopped && until.unproven);
        let read = until.records.unwrap();
        assert!(read < copies as u64 / 2, "{read} of {copies} records read");
        assert_eq!(until.typed(), Typed::ValidUnproven);
    }

    /// The schema file here is not a schema: compiling it fails. A valid V6_0 bulletin is judged
    /// without it (the schema is never compiled); an invalid one reaches it.
    #[test]
    fn the_schema_is_not_compiled_for_a_valid_v6_0_document() {
        let d = tempfile::tempdir().unwrap();
        let v6 = d.path().join("V6_0");
        std::fs::create_dir_all(&v6).unwrap();
        std::fs::write(v6.join("HagueIBToOfficeTransaction_V6_0.xsd"), "<oops").unwrap();
        let dirs = Schemas::Dirs(vec![d.path().to_path_buf()]);
        let bag = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../st96/tests/data/ib_office_bag.xml");
        let xml = std::fs::read(bag).unwrap();
        let judge = |xml: &[u8]| {
            let found = st96::detect::detect(xml).unwrap();
            let plan = Plan::new(
                &dirs,
                SchemaMode::WhenNeeded,
                &found.root,
                found.st96_version.as_deref(),
            );
            let open = || Ok::<_, std::io::Error>(xml);
            check_document(&plan, &found, &open, "bag.xml", 256, 20)
        };
        let v = judge(&xml).unwrap();
        assert!(v.is_valid());
        assert_eq!(v.schema_verdict(), Some(true));
        assert!(
            matches!(&v.schema.status, XsdStatus::ModelProven { schema: Some(s), declared, .. }
                if s.ends_with("HagueIBToOfficeTransaction_V6_0.xsd") && declared == "V6_0"),
            "{:?}",
            v.schema.status
        );
        let text = String::from_utf8(xml).unwrap();
        let broken = text.replacen("</com:RecordIdentifier>", "</com:RecordIdentifier><x/>", 1);
        assert_ne!(broken, text);
        assert!(matches!(
            judge(broken.as_bytes()),
            Err(PackageError::Schema(_))
        ));
    }
}
