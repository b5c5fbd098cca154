//! Reading and writing whole ST.96 documents: [`Root`], [`Document`] and [`Error`].
//!
//! Reading a document runs, in order: the input guards of [`crate::detect`] (DOCTYPE and entity
//! declarations refused, nesting depth limited, well-formedness), the root check (name and
//! namespace), the `com:st96Version` check, then the generated typed parse (in a thread with a
//! large stack, since the deepest ST.96 types need more than the default 2 MiB), whose gaps are
//! closed by [`crate::checks`].

use std::io::{Read, Write};

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesStart, Event};
use xsd_parser_types::quick_xml::{ErrorKind, WithDeserializer, WithSerializer};

use crate::detect::{self, DetectError, GuardError, Limits, Location, Warning};

/// Stack size of the parsing thread. The generated deserializers keep one frame per open
/// element; the deepest Hague types overflow the default 2 MiB test-thread stack.
pub const PARSE_STACK_BYTES: usize = 64 << 20;

/// A document root generated from the schemas (e.g. `dgn:HagueOfficeToIBTransaction`).
///
/// Every method has a default: `T::from_xml(bytes)` parses, `doc.to_xml()` writes.
///
/// Moving these values to another thread (or holding them across an `.await` in a `Send` future)
/// makes rustc prove `Send` through the deeply nested Common types; a crate doing so needs
/// `#![recursion_limit = "512"]`. Parsing itself needs nothing of the caller.
pub trait Root: WithDeserializer + WithSerializer + crate::fast::FastParse + Sized {
    /// Local name of the root element, e.g. `HagueOfficeToIBTransaction`.
    const LOCAL_NAME: &'static str;
    /// Namespace URI of the root element.
    const NAMESPACE: &'static str;
    /// Qualified name with the standard prefix, e.g. `dgn:HagueOfficeToIBTransaction`.
    const QNAME: &'static str;

    /// The declared `com:st96Version` attribute.
    fn st96_version(&self) -> &str;

    /// Typed parse of a document that already passed the guards (implemented in this crate, where
    /// the `Send` proof for the big-stack thread compiles).
    #[doc(hidden)]
    fn parse_checked(bytes: &[u8]) -> Result<Self, Error>;

    /// Parses a whole document from bytes. See [`Document::from_bytes`].
    ///
    /// # Errors
    /// [`Error`] naming the problem, its element path and line/column.
    fn from_xml(bytes: &[u8]) -> Result<Document<Self>, Error> {
        Document::from_bytes(bytes)
    }

    /// Parses a whole document from a string.
    ///
    /// # Errors
    /// As [`Root::from_xml`].
    fn from_xml_str(xml: &str) -> Result<Document<Self>, Error> {
        Document::from_bytes(xml.as_bytes())
    }

    /// Reads everything from `reader`, then parses it.
    ///
    /// # Errors
    /// [`Error::Io`] if reading fails, otherwise as [`Root::from_xml`].
    fn from_xml_reader<R: Read>(reader: R) -> Result<Document<Self>, Error> {
        Document::from_reader(reader)
    }

    /// Writes this value as a document with the XML declaration and the standard `com:`/`dgn:`
    /// namespace declarations.
    ///
    /// # Errors
    /// [`Error::Write`] if a value cannot be serialized.
    fn to_xml(&self) -> Result<String, Error> {
        let mut out = Vec::new();
        write_document(self, &[], &mut out)?;
        String::from_utf8(out).map_err(|e| Error::Write(e.to_string()))
    }
}

/// A parsed document: the typed root plus what a round trip must keep (the root's namespace
/// declarations and `xsi:schemaLocation`, in their original order) and the warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Document<T> {
    /// The typed root element.
    pub value: T,
    /// Attributes of the root start tag as written (raw, still escaped), in order.
    root_attributes: Vec<(String, String)>,
    /// The declared `com:st96Version`, if any.
    pub declared_version: Option<String>,
    /// Things worth telling the user, e.g. a declared version other than the model's.
    pub warnings: Vec<Warning>,
}

impl<T: Root> Document<T> {
    /// Wraps a value built in code; it is written with the standard namespace declarations.
    pub fn new(value: T) -> Self {
        let declared_version = Some(value.st96_version().to_owned());
        Self {
            value,
            root_attributes: Vec::new(),
            declared_version,
            warnings: Vec::new(),
        }
    }

    /// Parses a whole document held in memory.
    ///
    /// # Errors
    /// - [`Error::Refused`]: DOCTYPE/entity declarations, excessive depth, malformed XML;
    /// - [`Error::Detect`], [`Error::WrongRoot`]: not this kind of document;
    /// - [`Error::BadVersion`]: `com:st96Version` is not an ST.96 version;
    /// - [`Error::Invalid`]: the content does not match the schema (path and line/column).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let limits = Limits::default();
        detect::check_input(bytes, &limits)?;
        let found = detect::detect(bytes)?;
        if found.namespace != T::NAMESPACE || found.root != T::LOCAL_NAME {
            return Err(Error::WrongRoot {
                expected: T::QNAME,
                found: format!("{} (namespace {})", found.qualified_root(), found.namespace),
                location: found.location,
            });
        }
        if let Some(v) = &found.st96_version
            && !is_version_like(v)
        {
            return Err(Error::BadVersion {
                found: v.clone(),
                model: detect::MODEL_VERSION,
                location: found.location,
            });
        }
        let value = T::parse_checked(bytes)?;
        Ok(Self {
            value,
            root_attributes: root_attributes(bytes)?,
            declared_version: found.st96_version,
            warnings: found.warnings,
        })
    }

    /// Parses a whole document from a string.
    ///
    /// # Errors
    /// As [`Document::from_bytes`].
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(xml: &str) -> Result<Self, Error> {
        Self::from_bytes(xml.as_bytes())
    }

    /// Reads everything from `reader`, then parses it.
    ///
    /// # Errors
    /// [`Error::Io`] if reading fails, otherwise as [`Document::from_bytes`].
    pub fn from_reader<R: Read>(mut reader: R) -> Result<Self, Error> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes)?;
        Self::from_bytes(&bytes)
    }

    /// Writes the document: XML declaration, then the root with its original namespace
    /// declarations and `xsi:schemaLocation` (or the standard ones for a new document).
    ///
    /// # Errors
    /// [`Error::Write`] if a value cannot be serialized.
    pub fn to_xml(&self) -> Result<String, Error> {
        String::from_utf8(self.to_xml_bytes()?).map_err(|e| Error::Write(e.to_string()))
    }

    /// Like [`Document::to_xml`], as bytes.
    ///
    /// # Errors
    /// As [`Document::to_xml`].
    pub fn to_xml_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        write_document(&self.value, &self.root_attributes, &mut out)?;
        Ok(out)
    }

    /// Like [`Document::to_xml`], into any writer.
    ///
    /// # Errors
    /// [`Error::Io`] if writing fails, otherwise as [`Document::to_xml`].
    pub fn write_xml<W: Write>(&self, mut writer: W) -> Result<(), Error> {
        writer.write_all(&self.to_xml_bytes()?)?;
        Ok(())
    }

    /// The declared `xsi:schemaLocation`, if any.
    pub fn schema_location(&self) -> Option<&str> {
        self.root_attributes
            .iter()
            .find(|(k, _)| k.ends_with(":schemaLocation"))
            .map(|(_, v)| v.as_str())
    }

    /// Namespace declarations of the root as written: (`xmlns` or `xmlns:p`, URI).
    pub fn namespace_declarations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.root_attributes
            .iter()
            .filter(|(k, _)| k == "xmlns" || k.starts_with("xmlns:"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Why a document could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing failed.
    #[error("cannot read or write the document: {0}; check the path and permissions")]
    Io(#[from] std::io::Error),
    /// The input guards refused the document (DOCTYPE, entities, depth, malformed XML).
    #[error(transparent)]
    Refused(#[from] GuardError),
    /// The document's root could not be identified.
    #[error(transparent)]
    Detect(#[from] DetectError),
    /// The root is another element than the one asked for.
    #[error(
        "{location}: the root element is {found}, but <{expected}> was expected; use the type \
         matching the document (`ipgate st96 inspect FILE` shows what it is)"
    )]
    WrongRoot {
        /// The expected root, e.g. `dgn:HagueOfficeToIBTransaction`.
        expected: &'static str,
        /// The root found, with its namespace.
        found: String,
        /// Where the root starts.
        location: Location,
    },
    /// `com:st96Version` holds something that is not an ST.96 version.
    #[error(
        "{location}: com:st96Version=\"{found}\" is not an ST.96 version (the {model} schema fixes \
         it to \"{model}\"; the Hague System also accepts V7_0 and V4_0); write \
         com:st96Version=\"{model}\""
    )]
    BadVersion {
        /// The declared value.
        found: String,
        /// The models' version.
        model: &'static str,
        /// Where the root starts.
        location: Location,
    },
    /// The content does not match the schema.
    #[error("{location}: {message} (in {path})")]
    Invalid {
        /// What is wrong and how to fix it.
        message: String,
        /// Element path, e.g. `dgn:HagueOfficeToIBTransaction/dgn:HagueOfficeToIBBag`.
        path: String,
        /// Where the parser was when it noticed.
        location: Location,
    },
    /// A value could not be written.
    #[error(
        "cannot write the document: {0}; check the values set in code (e.g. a CDATA end `]]>` in text)"
    )]
    Write(String),
    /// The parser failed unexpectedly.
    #[error("internal error while parsing: {0}; please report it together with the document")]
    Internal(String),
}

impl Error {
    /// Where in the document the problem is, when known.
    pub fn location(&self) -> Option<Location> {
        match self {
            Self::Refused(e) => Some(e.location()),
            Self::Detect(e) => e.location(),
            Self::WrongRoot { location, .. }
            | Self::BadVersion { location, .. }
            | Self::Invalid { location, .. } => Some(*location),
            Self::Io(_) | Self::Write(_) | Self::Internal(_) => None,
        }
    }
}

/// `V6_0`, `V7_0`, `V4_0`, `V3_2T1`, ...: anything else in `com:st96Version` is refused.
pub(crate) fn is_version_like(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('V') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('_') else {
        return false;
    };
    let minor = minor.split_once('T').map_or(minor, |(m, t)| {
        if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
            m
        } else {
            ""
        }
    });
    !major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit())
}

/// Runs `f` on a thread with [`PARSE_STACK_BYTES`] of stack, turning a panic into
/// [`Error::Internal`].
pub(crate) fn with_big_stack<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R, Error> {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .name("st96-parse".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(s, f)?;
        handle.join().map_err(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            Error::Internal(msg)
        })
    })
}

pub(crate) fn parse_in_big_stack<T: Root + Send>(bytes: &[u8]) -> Result<T, Error> {
    with_big_stack(|| crate::fast::read_checked::<T>(bytes, false))?
}

/// Converts a generated-code error into [`Error::Invalid`], locating it in `bytes`.
pub(crate) fn invalid(bytes: &[u8], e: &xsd_parser_types::quick_xml::Error) -> Error {
    let location = Location::in_bytes(bytes, e.position.unwrap_or(0));
    let path = e.elements.as_ref().map(|v| v.join("/")).unwrap_or_default();
    Error::Invalid {
        message: describe(&e.kind),
        path: if path.is_empty() {
            "the document".into()
        } else {
            path
        },
        location,
    }
}

fn element_name(ev: &Event<'_>) -> Option<String> {
    match ev {
        Event::Start(s) | Event::Empty(s) => {
            Some(String::from_utf8_lossy(s.name().as_ref()).into())
        }
        Event::End(e) => Some(String::from_utf8_lossy(e.name().as_ref()).into()),
        _ => None,
    }
}

/// `RawByteStr` displays with quotes; names read better without.
fn unquote(v: &impl std::fmt::Display) -> String {
    let s = v.to_string();
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .map_or(s.clone(), str::to_owned)
}

/// Rewords the generated code's errors: the problem and the fix.
fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::UnexpectedEvent(ev) => match (ev, element_name(ev)) {
            (Event::Start(_) | Event::Empty(_), Some(name)) => format!(
                "element <{name}> is not allowed here: it is unknown, out of order, or a second \
                 branch of a choice; check the element order required by the schema"
            ),
            (Event::End(_), Some(name)) => format!(
                "</{name}> ends the element while required content is missing; add the missing \
                 child elements"
            ),
            (Event::Text(t), _) => format!(
                "text {:?} is not allowed here; remove it or move it into an element",
                String::from_utf8_lossy(t.as_ref())
            ),
            (Event::CData(t), _) => format!(
                "character data <![CDATA[{}]]> is not allowed here (the element holds elements \
                 only); remove it",
                String::from_utf8_lossy(t.as_ref())
            ),
            _ => format!("unexpected {ev:?}; remove it"),
        },
        ErrorKind::MissingElement(name) => {
            format!("required element <{}> is missing; add it", unquote(name))
        }
        ErrorKind::MissingAttribute(name) => {
            format!("required attribute {} is missing; add it", unquote(name))
        }
        ErrorKind::UnexpectedAttribute(name) => {
            format!("attribute {} is not allowed here; remove it", unquote(name))
        }
        ErrorKind::DuplicateElement(name) => format!(
            "element <{}> appears more than once where only one is allowed; remove the extra one",
            unquote(name)
        ),
        ErrorKind::DuplicateAttribute(name) => {
            format!("attribute {} appears twice; keep one", unquote(name))
        }
        ErrorKind::UnknownOrInvalidValue(v) => format!(
            "value `{}` is not one of the values the schema allows here (enumeration); use an \
             allowed code",
            unquote(v)
        ),
        ErrorKind::InvalidValue(v, why) => {
            format!(
                "value `{}` is invalid: {why}; correct the value",
                unquote(v)
            )
        }
        ErrorKind::InvalidData(v) => format!("value `{}` is invalid here; correct it", unquote(v)),
        ErrorKind::MissingContent => {
            "the element has no content but the schema requires some; add its content".into()
        }
        ErrorKind::InvalidUnion(u) => {
            let reasons: Vec<String> = u
                .to_string()
                .split("- ")
                .map(|r| {
                    r.trim()
                        .trim_start_matches("Custom Error: message=")
                        .to_owned()
                })
                .filter(|r| !r.is_empty())
                .collect();
            format!(
                "value matches none of the allowed forms: {}; correct it",
                reasons.join("; or ")
            )
        }
        ErrorKind::Custom(e) => format!("{e}"),
        ErrorKind::UnexpectedEoF => {
            "the document ends before the root element is closed; the file may be truncated".into()
        }
        other => format!("{other}; correct the document"),
    }
}

/// The attributes of the root start tag, raw.
fn root_attributes(bytes: &[u8]) -> Result<Vec<(String, String)>, Error> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| Error::Internal(format!("re-reading the root start tag: {e}")))?;
        match ev {
            Event::Start(s) | Event::Empty(s) => {
                let mut out = Vec::new();
                for a in s.attributes().with_checks(false) {
                    let a = a.map_err(|e| Error::Internal(format!("root attribute: {e}")))?;
                    out.push((
                        String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                        String::from_utf8_lossy(&a.value).into_owned(),
                    ));
                }
                return Ok(out);
            }
            Event::Eof => return Ok(Vec::new()),
            _ => {}
        }
    }
}

/// The namespace declarations every document we write carries.
pub const STANDARD_NAMESPACES: &[(&str, &str)] = &[
    ("xmlns:com", detect::COMMON_NS),
    ("xmlns:dgn", detect::DESIGN_NS),
];

/// Merges the generated root start tag with the original attributes: original attributes keep
/// their order and raw value, except those the model owns (e.g. `com:st96Version`), which take
/// the model's value; the standard `com:`/`dgn:` declarations are added when missing; other
/// generated namespace declarations are dropped (they are not used by the content).
fn merge_root(
    generated: &BytesStart<'_>,
    original: &[(String, String)],
) -> Result<BytesStart<'static>, Error> {
    let name = String::from_utf8_lossy(generated.name().as_ref()).into_owned();
    let mut gen_attrs: Vec<(String, String)> = Vec::new();
    for a in generated.attributes().with_checks(false) {
        let a = a.map_err(|e| Error::Write(e.to_string()))?;
        gen_attrs.push((
            String::from_utf8_lossy(a.key.as_ref()).into_owned(),
            String::from_utf8_lossy(&a.value).into_owned(),
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in original {
        let is_ns = k == "xmlns" || k.starts_with("xmlns:");
        match gen_attrs.iter().find(|(gk, _)| gk == k) {
            Some((_, gv)) if !is_ns => out.push((k.clone(), gv.clone())),
            _ => out.push((k.clone(), v.clone())),
        }
    }
    let has = |out: &[(String, String)], k: &str| out.iter().any(|(ok, _)| ok == k);
    let mut extra_ns: Vec<(String, String)> = Vec::new();
    for (k, v) in STANDARD_NAMESPACES {
        if !has(&out, k) {
            extra_ns.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    // New declarations go first (as WIPO writes them), before attributes.
    let insert_at = out
        .iter()
        .position(|(k, _)| !(k == "xmlns" || k.starts_with("xmlns:")))
        .unwrap_or(out.len());
    for (i, kv) in extra_ns.into_iter().enumerate() {
        out.insert(insert_at + i, kv);
    }
    for (k, v) in gen_attrs {
        let is_ns = k == "xmlns" || k.starts_with("xmlns:");
        if !is_ns && !has(&out, &k) {
            out.push((k, v));
        }
    }
    let mut start = BytesStart::new(name);
    for (k, v) in &out {
        start.push_attribute(Attribute::from((k.as_bytes(), v.as_bytes())));
    }
    Ok(start)
}

pub(crate) fn write_document<T: Root, W: Write>(
    value: &T,
    original: &[(String, String)],
    out: W,
) -> Result<(), Error> {
    let mut writer = Writer::new(out);
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(|e| Error::Write(e.to_string()))?;
    writer.get_mut().write_all(b"\n").map_err(Error::Io)?;
    write_element(value, T::QNAME, Some(original), &mut writer)
}

/// Writes `value` as element `qname`; with `root_attrs`, the start tag is merged as a root.
pub(crate) fn write_element<T: WithSerializer, W: Write>(
    value: &T,
    qname: &str,
    root_attrs: Option<&[(String, String)]>,
    writer: &mut Writer<W>,
) -> Result<(), Error> {
    let ser = value
        .serializer(Some(qname), root_attrs.is_some())
        .map_err(|e| Error::Write(e.to_string()))?;
    let mut first = root_attrs;
    for ev in xsd_parser_types::quick_xml::Serializer::into_iter(ser) {
        let ev = ev.map_err(|e| Error::Write(e.to_string()))?;
        let ev = match (first.take(), ev) {
            (Some(orig), Event::Start(s)) => Event::Start(merge_root(&s, orig)?),
            (Some(orig), Event::Empty(s)) => Event::Empty(merge_root(&s, orig)?),
            (_, ev) => ev,
        };
        writer
            .write_event(ev)
            .map_err(|e| Error::Write(e.to_string()))?;
    }
    Ok(())
}
