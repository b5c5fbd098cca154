//! XSD validation against WIPO's official ST.96 root schemas with `xsd-schema` (streaming).
//!
//! Each root schema file is compiled once per thread and kept for the life of the process (the
//! compiled set and its validator are intentionally leaked: a handful of schema files at most).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use xsd_schema::compiler::inspect::{AuthoredKind, AuthoredNode};
use xsd_schema::validation::{
    DriveWithError, SchemaValidator, ValidationError, ValidationEventHandler, ValidationFlags,
    ValidationSink, ValidationWarning, drive_quick_xml_with,
};
use xsd_schema::xml::ParseLimits;
use xsd_schema::{LoaderChain, SchemaLoader, SchemaSet, SchemaSetBuilder, TypeKey};

use crate::lines::{LineReader, Lines};
use crate::report::{Finding, Location};
use crate::rules::RuleId;

/// Why a schema could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The schema file did not compile.
    #[error(
        "cannot compile the schema {path}: {message}; check that it is an unmodified WIPO file (reinstall with `ipgate schemas install DIR|ZIP`)"
    )]
    Compile {
        /// The root schema file.
        path: PathBuf,
        /// What the compiler said.
        message: String,
    },
    /// The schema refers to files that are missing.
    #[error(
        "the schema {path} refers to files that could not be read ({missing}); install the complete WIPO schema folder"
    )]
    Incomplete {
        /// The root schema file.
        path: PathBuf,
        /// The missing locations.
        missing: String,
    },
}

type Compiled = (&'static SchemaSet, &'static SchemaValidator<'static>);

thread_local! {
    /// Compiled schemas by (canonical root file, relaxed).
    static CACHE: RefCell<HashMap<(PathBuf, bool), Compiled>> = RefCell::new(HashMap::new());
}

/// Loads schema files like `xsd-schema`'s default chain, but drops the `fixed` value of the
/// `st96Version` attribute declaration (in `Common_<VERSION>.xsd`), so a document declaring
/// another ST.96 version can be validated against the nearest installed one. Nothing else changes.
#[derive(Debug)]
struct RelaxingLoader(LoaderChain);

impl SchemaLoader for RelaxingLoader {
    fn load(&self, location: &str) -> xsd_schema::SchemaResult<String> {
        let text = self.0.load(location)?;
        Ok(relax_st96_version(text))
    }

    fn can_load(&self, location: &str) -> bool {
        self.0.can_load(location)
    }
}

/// Removes ` fixed="..."` from the `<xsd:attribute name="st96Version" ...>` start tag.
fn relax_st96_version(text: String) -> String {
    let Some(at) = text.find("name=\"st96Version\"") else {
        return text;
    };
    let tag_start = text[..at].rfind('<').unwrap_or(at);
    let tag_end = text[at..].find('>').map_or(text.len(), |e| at + e);
    let tag = &text[tag_start..tag_end];
    let Some(f) = tag.find(" fixed=\"") else {
        return text;
    };
    let value_end = tag[f + 8..].find('"').map_or(tag.len(), |e| f + 8 + e + 1);
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..tag_start + f]);
    out.push_str(&text[tag_start + value_end..]);
    out
}

/// `true` if `version` looks like an ST.96 version token (`V7_0`, `V3_2T1`...), safe in a file name.
pub fn is_version_token(version: &str) -> bool {
    let b = version.as_bytes();
    b.len() >= 2
        && b.len() <= 16
        && b[0] == b'V'
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Finds `<root>_<version>.xsd` under the given directories: `DIR/<version>/`, `DIR/`, then anywhere
/// up to four folders deep (WIPO's zips nest their files). Returns the file, or the places searched.
pub fn find_schema(dirs: &[PathBuf], root: &str, version: &str) -> Result<PathBuf, Vec<String>> {
    let mut searched = Vec::new();
    if !is_version_token(version) || !root.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(searched);
    }
    let file = format!("{root}_{version}.xsd");
    for dir in dirs {
        for cand in [dir.join(version).join(&file), dir.join(&file)] {
            if cand.is_file() {
                return Ok(cand);
            }
        }
        if let Some(found) = search(dir, &file, 4) {
            return Ok(found);
        }
        searched.push(dir.display().to_string());
    }
    Err(searched)
}

fn search(dir: &Path, file: &str, depth: u32) -> Option<PathBuf> {
    if depth == 0 {
        return None;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir).ok()?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in &entries {
        let p = e.path();
        if e.file_name().to_str() == Some(file) && p.is_file() {
            return Some(p);
        }
    }
    for e in entries {
        if e.file_type().is_ok_and(|t| t.is_dir())
            && let Some(f) = search(&e.path(), file, depth - 1)
        {
            return Some(f);
        }
    }
    None
}

fn compiled(path: &Path, relaxed: bool) -> Result<Compiled, SchemaError> {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if let Some(v) = CACHE.with(|c| c.borrow().get(&(key.clone(), relaxed)).copied()) {
        return Ok(v);
    }
    let started = std::time::Instant::now();
    let location = key.to_string_lossy().into_owned();
    let compile_err = |e: &dyn std::fmt::Display| SchemaError::Compile {
        path: key.clone(),
        message: e.to_string(),
    };
    let builder = if relaxed {
        SchemaSetBuilder::with_loader(Box::new(RelaxingLoader(LoaderChain::with_defaults())))
    } else {
        SchemaSetBuilder::new()
    };
    let compiled = builder
        .add("", &location)
        .map_err(|e| compile_err(&e))?
        .compile()
        .map_err(|e| compile_err(&e))?;
    let failures = compiled.directive_failures();
    if !failures.is_empty() {
        let missing = failures
            .iter()
            .map(|f| f.schema_location().unwrap_or("?").to_owned())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(SchemaError::Incomplete { path: key, missing });
    }
    let set: &'static SchemaSet = Box::leak(Box::new(compiled.into_schema_set()));
    let flags = ValidationFlags::default() & !ValidationFlags::BUILD_PSVI_TYPED_VALUES;
    let validator: &'static SchemaValidator<'static> =
        Box::leak(Box::new(SchemaValidator::new(set, flags)));
    tracing::debug!(schema = %key.display(), relaxed, elapsed = ?started.elapsed(), "compiled schema");
    CACHE.with(|c| c.borrow_mut().insert((key, relaxed), (set, validator)));
    Ok((set, validator))
}

/// Compiles (or fetches from the cache) the schema at `path`, so later validations start at once.
pub fn preload(path: &Path) -> Result<(), SchemaError> {
    compiled(path, false).map(|_| ())
}

struct Shared {
    validator: &'static SchemaValidator<'static>,
    /// Governing type of each open element (innermost last).
    types: RefCell<Vec<Option<TypeKey>>>,
    lines: Lines,
    offset: Cell<u64>,
    findings: RefCell<Vec<Finding>>,
    dropped: Cell<u64>,
    max: usize,
    file: String,
}

impl Shared {
    fn location(&self, path: Option<String>) -> Location {
        let (line, column) = self.lines.locate(self.offset.get());
        Location {
            file: Some(self.file.clone()),
            line: Some(line),
            column: Some(column),
            path,
        }
    }

    /// Moves to byte `pos`, dropping the newlines before it: memory stays flat whatever the size
    /// of the document (only the newlines of the read-ahead window are kept).
    fn advance(&self, pos: u64) {
        self.offset.set(pos);
        let _ = self.lines.locate(pos);
    }

    fn push(&self, f: Finding) {
        let mut v = self.findings.borrow_mut();
        if v.len() >= self.max {
            self.dropped.set(self.dropped.get() + 1);
        } else {
            v.push(f);
        }
    }
}

struct Sink(Rc<Shared>);

impl ValidationSink for Sink {
    fn on_error(&mut self, error: ValidationError) {
        let path = error.element_path().map(str::to_owned);
        let expected = if error.constraint.starts_with("cvc-complex-type.2.4") {
            self.0
                .expected_here()
                .or_else(|| expected_for(&error, path.as_deref()))
        } else {
            None
        };
        let mut f = Finding::new(
            RuleId::SchemaInvalid,
            format!("[{}] {}", error.constraint, error.message),
            self.0.location(path),
        );
        f.expected = expected;
        self.0.push(f);
    }

    fn on_warning(&mut self, warning: ValidationWarning) {
        tracing::debug!(code = warning.code, message = %warning.message, "schema warning");
    }
}

impl Shared {
    /// The content model of the innermost open element, written compactly.
    fn expected_here(&self) -> Option<String> {
        let key = match self.types.borrow().last() {
            Some(Some(TypeKey::Complex(k))) => *k,
            _ => return None,
        };
        let report = self.validator.describe_content_model(key)?;
        let parts: Vec<String> = report
            .authored
            .sections
            .iter()
            .filter_map(|s| s.root.as_ref())
            .map(|n| render(n, true))
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn local(name: &str) -> &str {
    name.rsplit_once('}').map_or(name, |(_, l)| l)
}

fn occurs(n: &AuthoredNode) -> String {
    match (n.min_occurs, n.max_occurs) {
        (1, Some(1)) => String::new(),
        (0, Some(1)) => "?".into(),
        (0, None) => "*".into(),
        (1, None) => "+".into(),
        (a, None) => format!("{{{a},}}"),
        (a, Some(b)) => format!("{{{a},{b}}}"),
    }
}

/// `A, B?, (C | D)+` from an authored particle tree.
fn render(n: &AuthoredNode, top: bool) -> String {
    let kids = |sep: &str| {
        n.children
            .iter()
            .map(|c| render(c, false))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let body = match &n.kind {
        AuthoredKind::Element(e) => return format!("{}{}", local(&e.name), occurs(n)),
        AuthoredKind::Wildcard(_) => return format!("any{}", occurs(n)),
        AuthoredKind::Sequence | AuthoredKind::GroupRef(_) => kids(", "),
        AuthoredKind::Choice => kids(" | "),
        AuthoredKind::All => format!("all of {}", kids(", ")),
    };
    let occ = occurs(n);
    if top && occ.is_empty() {
        body
    } else {
        format!("({body}){occ}")
    }
}

fn expected_for(error: &ValidationError, path: Option<&str>) -> Option<String> {
    if !error.constraint.starts_with("cvc-complex-type.2.4") {
        return None;
    }
    let path = path?;
    // The parent whose content is wrong: the error's path (incomplete content) or its parent.
    for tag in path.rsplit('/').take(2) {
        if let Some(m) = crate::structure::model(tag) {
            return Some(format!(
                "<{tag}> content, in order: {}",
                crate::structure::describe(m)
            ));
        }
    }
    None
}

struct Handler(Rc<Shared>);

#[derive(Debug)]
struct Refused;

impl ValidationEventHandler for Handler {
    type Error = Refused;

    fn after_element(
        &mut self,
        _view: xsd_schema::validation::ElementStartView<'_>,
        info: &xsd_schema::validation::SchemaInfo,
    ) -> Result<(), Refused> {
        self.0.types.borrow_mut().push(info.schema_type);
        Ok(())
    }

    fn after_end_element(
        &mut self,
        _info: &xsd_schema::validation::EndElementInfo,
        _depth: usize,
    ) -> Result<(), Refused> {
        self.0.types.borrow_mut().pop();
        Ok(())
    }

    fn on_element_start_offset(&mut self, byte_pos: usize) -> Result<(), Refused> {
        self.0.advance(byte_pos as u64);
        Ok(())
    }

    fn on_element_end_offset(&mut self, byte_pos: usize) -> Result<(), Refused> {
        self.0.advance(byte_pos as u64);
        Ok(())
    }

    fn on_doctype(
        &mut self,
        _doctype: xsd_schema::validation::DoctypeView<'_>,
    ) -> Result<(), Refused> {
        Err(Refused)
    }
}

/// Findings of one XSD validation run, and how many were dropped past the cap.
#[derive(Debug)]
pub struct XsdOutcome {
    /// Schema errors (`XSD001`), well-formedness (`XSD002`) and guard (`XML001`/`XML002`) findings.
    pub findings: Vec<Finding>,
    /// Findings dropped past the cap.
    pub dropped: u64,
}

/// Validates the XML read from `reader` against the root schema at `schema`, streaming.
/// `file` names the document in findings; `max_depth` bounds nesting; at most `max_findings` kept.
pub fn validate_xml<R: BufRead>(
    schema: &Path,
    reader: R,
    file: &str,
    max_depth: usize,
    max_findings: usize,
) -> Result<XsdOutcome, SchemaError> {
    validate_xml_with(schema, false, reader, file, max_depth, max_findings)
}

/// [`validate_xml`], with the schema's fixed `com:st96Version` relaxed when `relaxed` (for a
/// document declaring a version whose schema is not installed; see [`crate::schemas::resolve`]).
pub fn validate_xml_with<R: BufRead>(
    schema: &Path,
    relaxed: bool,
    reader: R,
    file: &str,
    max_depth: usize,
    max_findings: usize,
) -> Result<XsdOutcome, SchemaError> {
    let (set, validator) = compiled(schema, relaxed)?;
    let (counted, lines) = LineReader::new(reader);
    let shared = Rc::new(Shared {
        validator,
        types: RefCell::new(Vec::new()),
        lines,
        offset: Cell::new(0),
        findings: RefCell::new(Vec::new()),
        dropped: Cell::new(0),
        max: max_findings,
        file: file.to_owned(),
    });
    let mut runtime = validator.start_run(Sink(shared.clone()));
    runtime.set_parse_limits(
        ParseLimits::none()
            .with_max_depth(max_depth)
            .with_max_name_bytes(4096),
    );
    let mut handler = Handler(shared.clone());
    let result = drive_quick_xml_with(counted, &mut runtime, set, &mut handler);
    let end = match &result {
        Ok(_) => runtime.end_validation().err(),
        Err(_) => None,
    };
    drop(runtime);
    match result {
        Ok(_) => {
            if let Some(e) = end {
                shared.push(Finding::new(RuleId::SchemaInvalid, e.to_string(), shared.location(None)));
            }
        }
        Err(DriveWithError::Hook(Refused)) => shared.push(Finding::new(
            RuleId::Doctype,
            "the XML has a DOCTYPE declaration; remove it (ST.96 documents never need one, and entity declarations are refused)",
            shared.location(None),
        )),
        Err(DriveWithError::LimitExceeded(e)) => shared.push(Finding::new(
            RuleId::XmlDepth,
            format!("{e}; flatten the document or raise the depth limit"),
            shared.location(None),
        )),
        Err(DriveWithError::NotWellFormed(e)) => {
            let (line, column) = shared.lines.locate(e.position());
            shared.push(Finding::new(
                RuleId::NotWellFormed,
                format!("the XML is not well-formed: {}", e.message()),
                Location {
                    file: Some(file.to_owned()),
                    line: Some(line),
                    column: Some(column),
                    path: None,
                },
            ))
        }
        Err(DriveWithError::Io(e)) => shared.push(Finding::new(
            RuleId::NotWellFormed,
            format!("the XML could not be read: {e}"),
            shared.location(None),
        )),
        Err(e) => shared.push(Finding::new(RuleId::NotWellFormed, e.to_string(), shared.location(None))),
    }
    let findings = shared.findings.take();
    Ok(XsdOutcome {
        findings,
        dropped: shared.dropped.get(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn relaxing_drops_only_the_fixed_version() {
        let text = r#"<a/><xsd:attribute name="st96Version" type="xsd:token" fixed="V6_0">
<xsd:annotation/></xsd:attribute><xsd:attribute name="x" fixed="y"/>"#;
        let out = super::relax_st96_version(text.to_owned());
        assert_eq!(
            out,
            r#"<a/><xsd:attribute name="st96Version" type="xsd:token">
<xsd:annotation/></xsd:attribute><xsd:attribute name="x" fixed="y"/>"#
        );
        assert_eq!(super::relax_st96_version("<b/>".into()), "<b/>");
    }
}
