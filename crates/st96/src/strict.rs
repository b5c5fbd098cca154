//! What makes the typed reader's verdict the schema's: strict versions of the helpers the
//! generated deserializers call, the reader they read through, and the checks of an element's
//! declaration that their structure does not carry.
//!
//! xsd-parser-types 0.2.1 is lenient where XML Schema is not. The generator
//! (`tools/st96-codegen`, `postprocess.rs`) routes the generated code here instead:
//!
//! - [`element_local_name`], [`attribute_local_name`], [`init_start_tag_deserializer`]: a name
//!   matches only in its own namespace. xsd-parser-types matched an element or attribute in *no*
//!   namespace wherever an ST.96 one was wanted, and resolved element names without the default
//!   namespace;
//! - [`read_attrib`]: attribute values are read as the schema reads them: white space collapsed
//!   for types that collapse it (`xs:token` and the built-ins; see [`parse_simple`]), `xs:boolean`
//!   only as `true`, `false`, `1`, `0` (xsd-parser-types also took `yes`, `TRUE`, ...);
//! - every generated simple type collapses white space before its facets are checked
//!   ([`collapse_bytes`]);
//! - [`CoalescingReader`]: character data reaches the deserializers as XML Schema sees it: text,
//!   entity and character references form one text, and a CDATA section of white space is white
//!   space (xsd-parser-types dropped references between elements, so `&amp;` in element-only
//!   content passed);
//! - [`check_declarations`]: after the deserializer accepted a document, the rules that depend on
//!   an element's declaration rather than on the structure: no attributes on an element of a
//!   simple type, `xsi:nil` (no ST.96 element is nillable), `xsi:type` (only the declared type),
//!   `xsi:schemaLocation` (pairs of URIs), the lexical spaces of `xs:boolean` and
//!   `xs:positiveInteger` content.
//!
//! The fast path ([`crate::fast`]) makes the same checks inline, or gives up and lets this path
//! decide.

use std::any::TypeId;
use std::borrow::Cow;

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;
use xsd_parser_types::quick_xml::{
    DeserializeBytes, DeserializeHelper, Deserializer, DeserializerArtifact, DeserializerEvent,
    DeserializerOutput, DeserializerResult, Error, ErrorKind, WithDeserializer, XmlReader,
    XmlReaderSync,
};

use crate::detect::{COMMON_NS, DESIGN_NS, XSI_NS};

/// XML white space: space, tab, line feed, carriage return (XML 1.0 §2.3 `S`).
#[inline]
pub fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// XSD's `whiteSpace="collapse"`: runs of white space become one space, and leading and trailing
/// white space goes. Borrows when there is nothing to change.
pub fn collapse_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    let trimmed = trim(bytes);
    let needs = trimmed
        .windows(2)
        .any(|w| is_xml_space(w[0]) && (w[0] != b' ' || is_xml_space(w[1])))
        || trimmed
            .last()
            .is_some_and(|&b| b != b' ' && is_xml_space(b));
    if !needs {
        return Cow::Borrowed(trimmed);
    }
    let mut out = Vec::with_capacity(trimmed.len());
    let mut space = false;
    for &b in trimmed {
        if is_xml_space(b) {
            space = true;
        } else {
            if space {
                out.push(b' ');
                space = false;
            }
            out.push(b);
        }
    }
    Cow::Owned(out)
}

/// [`collapse_bytes`] for text.
pub fn collapse(s: &str) -> Cow<'_, str> {
    match collapse_bytes(s.as_bytes()) {
        // `b` is `s` trimmed of ASCII white space, so it starts and ends on character
        // boundaries: slice `s` instead of checking the UTF-8 again.
        Cow::Borrowed(b) => {
            let from = (b.as_ptr() as usize).wrapping_sub(s.as_ptr() as usize);
            Cow::Borrowed(
                s.get(from..from.wrapping_add(b.len()))
                    .unwrap_or_else(|| std::str::from_utf8(b).unwrap_or(s)),
            )
        }
        Cow::Owned(b) => Cow::Owned(String::from_utf8(b).unwrap_or_else(|_| s.to_owned())),
    }
}

/// Leading and trailing XML white space removed.
pub fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_xml_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_xml_space(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

/// [`trim`] for text.
pub fn trim_str(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

/// Why a built-in value is outside its lexical space.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid xs:{kind}: expected {expected}")]
pub struct BuiltinError {
    /// The XSD type (`boolean`, `positiveInteger`, ...).
    pub kind: &'static str,
    /// The value as written.
    pub value: String,
    /// What the type allows.
    pub expected: &'static str,
}

/// Checks an `xs:boolean` (after white space collapse): `true`, `false`, `1` or `0` only.
///
/// # Errors
/// [`BuiltinError`] for anything else (`TRUE`, `yes`, ...).
pub fn check_boolean(value: &[u8]) -> Result<bool, BuiltinError> {
    match trim(value) {
        b"true" | b"1" => Ok(true),
        b"false" | b"0" => Ok(false),
        _ => Err(BuiltinError {
            kind: "boolean",
            value: String::from_utf8_lossy(value).into_owned(),
            expected: "true, false, 1 or 0",
        }),
    }
}

/// Checks an `xs:positiveInteger` (after white space collapse): digits with an optional `+`,
/// not zero.
///
/// # Errors
/// [`BuiltinError`] for zero, a sign `-`, or anything but digits.
pub fn check_positive(value: &[u8]) -> Result<(), BuiltinError> {
    let v = trim(value);
    let digits = v.strip_prefix(b"+").unwrap_or(v);
    if !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && digits.iter().any(|&b| b != b'0')
    {
        Ok(())
    } else {
        Err(BuiltinError {
            kind: "positiveInteger",
            value: String::from_utf8_lossy(value).into_owned(),
            expected: "a whole number of at least 1 (for example 5)",
        })
    }
}

/// Parses a simple value as the schema reads it. `T` is a generated simple type (which collapses
/// white space itself), `String` (kept as written), `bool` (only `true`, `false`, `1`, `0`) or an
/// integer (white space collapsed; `-0` is zero).
///
/// # Errors
/// The value is outside the type's lexical space or facets.
pub fn parse_simple<T: DeserializeBytes + 'static>(
    helper: &mut DeserializeHelper,
    value: &str,
) -> Result<T, Error> {
    let id = TypeId::of::<T>();
    if id == TypeId::of::<String>() {
        return T::deserialize_str(helper, value);
    }
    if id == TypeId::of::<bool>() {
        check_boolean(value.as_bytes()).map_err(Error::custom)?;
    }
    let v = collapse(value);
    if id == TypeId::of::<usize>() || id == TypeId::of::<u64>() || id == TypeId::of::<i64>() {
        // Rust's integers refuse `-0` and `-00`, which XSD reads as zero.
        if let Some(zeros) = v.strip_prefix('-')
            && !zeros.is_empty()
            && zeros.bytes().all(|b| b == b'0')
        {
            return T::deserialize_str(helper, "0");
        }
    }
    T::deserialize_str(helper, &v)
}

/// The local name of element `name` if it is in namespace `ns` (the default namespace applies).
pub fn element_local_name<'a>(
    helper: &DeserializeHelper,
    name: QName<'a>,
    ns: &[u8],
) -> Option<&'a [u8]> {
    match helper.resolve(name, false) {
        (ResolveResult::Bound(x), local) if x.0 == ns => Some(local.into_inner()),
        _ => None,
    }
}

/// The local name of attribute `name` if it is in namespace `ns` (ST.96 attributes are
/// qualified: an unprefixed attribute is in no namespace).
pub fn attribute_local_name<'a>(
    helper: &DeserializeHelper,
    name: QName<'a>,
    ns: &[u8],
) -> Option<&'a [u8]> {
    match helper.resolve(name, true) {
        (ResolveResult::Bound(x), local) if x.0 == ns => Some(local.into_inner()),
        _ => None,
    }
}

/// Starts the deserializer of `T` if `event` starts element `name` in namespace `ns` (`None`:
/// in no namespace); otherwise hands the event back.
///
/// # Errors
/// The deserializer's.
pub fn init_start_tag_deserializer<'a, T: WithDeserializer>(
    helper: &mut DeserializeHelper,
    event: Event<'a>,
    ns: Option<&[u8]>,
    name: &[u8],
    allow_any: bool,
) -> DeserializerResult<'a, T> {
    let matches = match &event {
        Event::Start(x) | Event::Empty(x) => match (helper.resolve(x.name(), false), ns) {
            ((ResolveResult::Bound(found), local), Some(ns)) => {
                found.0 == ns && local.as_ref() == name
            }
            ((ResolveResult::Unbound, local), None) => local.as_ref() == name,
            _ => false,
        },
        _ => false,
    };
    if matches {
        <T as WithDeserializer>::Deserializer::init(helper, event)
    } else {
        Ok(DeserializerOutput {
            artifact: DeserializerArtifact::None,
            event: DeserializerEvent::Continue(event),
            allow_any,
        })
    }
}

/// Reads attribute value `value` (raw) into `store`, as the schema reads it ([`parse_simple`]).
///
/// # Errors
/// A repeated attribute, a bad escape, or a value outside the type.
pub fn read_attrib<T: DeserializeBytes + 'static>(
    helper: &mut DeserializeHelper,
    store: &mut Option<T>,
    name: &'static [u8],
    value: &[u8],
) -> Result<(), Error> {
    if store.is_some() {
        return Err(ErrorKind::DuplicateAttribute(name.into()).into());
    }
    let value = std::str::from_utf8(value).map_err(|e| Error::from(ErrorKind::from(e)))?;
    let value = quick_xml::escape::unescape(value).map_err(|e| Error::from(ErrorKind::from(e)))?;
    *store = Some(parse_simple(helper, &normalize_attribute(&value))?);
    Ok(())
}

/// Attribute-value normalization (XML 1.0 §3.3.3): each tab, line feed or carriage return
/// written literally becomes a space (the unescaped value keeps references' characters, which
/// only matters for `xs:string` values holding `&#9;`).
fn normalize_attribute(value: &str) -> Cow<'_, str> {
    // One pass without an early exit (it vectorises): any control character (XML allows only
    // tab, line feed and carriage return) sends the value to the replacement.
    if value.bytes().fold(false, |any, b| any | (b < 0x20)) {
        Cow::Owned(value.replace(['\t', '\n', '\r'], " "))
    } else {
        Cow::Borrowed(value)
    }
}

/// Namespace of a generated element or type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Space {
    /// ST.96 Common.
    Com,
    /// ST.96 Design.
    Dgn,
    /// XML Schema (built-in types).
    Xsd,
}

impl Space {
    /// The namespace URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Com => COMMON_NS,
            Self::Dgn => DESIGN_NS,
            Self::Xsd => "http://www.w3.org/2001/XMLSchema",
        }
    }

    fn of(uri: &[u8]) -> Option<Self> {
        [Self::Com, Self::Dgn, Self::Xsd]
            .into_iter()
            .find(|s| s.uri().as_bytes() == uri)
    }
}

/// A global element declaration of the schemas (generated: `st96::v6::elements::ELEMENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementDecl {
    /// Local name.
    pub name: &'static str,
    /// Namespace.
    pub space: Space,
    /// Namespace of the declared type.
    pub type_space: Space,
    /// Local name of the declared type.
    pub type_name: &'static str,
    /// Whether the type is simple (no attributes, no child elements).
    pub simple: bool,
    /// When the type is a union: its member types as the schema writes them
    /// (`xsd:string com:DocumentNameCategoryType`), which `xsi:type` may name.
    pub members: &'static str,
    /// The element's `default` or `fixed` value, which an element with no content at all has.
    pub value: Option<&'static str>,
}

impl ElementDecl {
    /// Whether `xsi:type` may name type `local` in `space`: the declared type, or a member of
    /// its union (XSD's Type Derivation OK (Simple) 2.2.4). Types derived from these further
    /// are not followed (ST.96 never substitutes types).
    fn allows_type(&self, space: Space, local: &[u8]) -> bool {
        (space == self.type_space && local == self.type_name.as_bytes())
            || self.members.split_ascii_whitespace().any(|m| {
                let (p, l) = m.split_once(':').unwrap_or(("", m));
                let s = match p {
                    "com" => Space::Com,
                    "dgn" => Space::Dgn,
                    _ => Space::Xsd,
                };
                s == space && l.as_bytes() == local
            })
    }
}

/// The declaration of element `local` in `space`.
pub fn declaration(space: Space, local: &[u8]) -> Option<&'static ElementDecl> {
    let table = crate::v6::elements::ELEMENTS;
    table
        .binary_search_by(|d| (d.name.as_bytes(), d.space).cmp(&(local, space)))
        .ok()
        .map(|i| &table[i])
}

/// Whether `raw` (an `xsi:schemaLocation` value as written) is pairs of URIs (namespace,
/// location), split at XML white space once references are resolved (`&#9;` separates too).
pub fn schema_location_pairs(raw: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(raw) else {
        return false;
    };
    let Ok(value) = quick_xml::escape::unescape(text) else {
        return false;
    };
    value
        .as_bytes()
        .split(|&b| is_xml_space(b))
        .filter(|t| !t.is_empty())
        .count()
        % 2
        == 0
}

/// Appends the character a reference (`&name;`, without `&` and `;`) stands for; unknown
/// references are kept as written (so that the value fails its check).
pub(crate) fn push_reference(out: &mut Vec<u8>, name: &[u8]) {
    let c = match name {
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"amp" => Some('&'),
        b"apos" => Some('\''),
        b"quot" => Some('"'),
        _ => {
            let num = name.strip_prefix(b"#");
            num.and_then(|n| match n.strip_prefix(b"x") {
                Some(h) => std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok()),
                None => std::str::from_utf8(n).ok().and_then(|d| d.parse().ok()),
            })
            .and_then(char::from_u32)
        }
    };
    match c {
        Some(c) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        None => {
            out.push(b'&');
            out.extend_from_slice(name);
            out.push(b';');
        }
    }
}

/// Checks the `xsi:` attributes of element `decl` (`start`, resolved by `reader`): `xsi:nil` is
/// refused (no ST.96 element is nillable), `xsi:type` must name the declared type,
/// `xsi:schemaLocation` must hold pairs; any other attribute of a simple-typed element is
/// refused. `decl` is `None` for the document root as seen by [`check_root_attributes`].
fn check_start(
    reader: &NsReader<&[u8]>,
    start: &BytesStart<'_>,
    decl: Option<&ElementDecl>,
) -> Result<(), String> {
    for attr in start.attributes().with_checks(false) {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let (ns, local) = reader.resolve_attribute(attr.key);
        let is_xsi = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == XSI_NS.as_bytes());
        let shown = String::from_utf8_lossy(key);
        match (is_xsi, local.as_ref()) {
            (true, b"nil") => {
                return Err(format!(
                    "attribute {shown} is not allowed: no ST.96 element is nillable; remove it"
                ));
            }
            (true, b"type") => {
                let want = decl.map(|d| (d.type_space, d.type_name));
                let value = trim(&attr.value);
                let (tns, tlocal) = reader.resolve_element(QName(value));
                let found = match tns {
                    ResolveResult::Bound(n) => Space::of(n.as_ref()),
                    _ => None,
                };
                let allowed = match (decl, found) {
                    (Some(d), Some(s)) => d.allows_type(s, tlocal.as_ref()),
                    _ => false,
                };
                if !allowed {
                    return Err(format!(
                        "{shown}=\"{}\" is not allowed here: ST.96 uses no type substitution, so \
                         xsi:type may only name the element's declared type{}; remove it",
                        String::from_utf8_lossy(&attr.value),
                        want.map(|(s, n)| format!(
                            " ({}:{n})",
                            match s {
                                Space::Com => "com",
                                Space::Dgn => "dgn",
                                Space::Xsd => "xsd",
                            }
                        ))
                        .unwrap_or_default()
                    ));
                }
            }
            (true, b"schemaLocation") if !schema_location_pairs(&attr.value) => {
                return Err(format!(
                    "{shown} must hold pairs of URIs (a namespace, then the location of its \
                     schema); correct the value"
                ));
            }
            (true, b"schemaLocation" | b"noNamespaceSchemaLocation") => {}
            _ if decl.is_some_and(|d| d.simple) => {
                return Err(format!(
                    "attribute {shown} is not allowed here: the element has a simple type, \
                     which has no attributes; remove it"
                ));
            }
            // Other attributes of complex-typed elements: checked by their deserializers.
            _ => {}
        }
    }
    Ok(())
}

/// Elements whose content is kept as opaque XML (their content is not checked).
fn is_opaque(ns: &ResolveResult<'_>, local: &[u8]) -> bool {
    match ns {
        ResolveResult::Bound(n) => {
            (n.as_ref() == b"http://www.w3.org/1998/Math/MathML3" && local == b"math")
                || (n.as_ref() == COMMON_NS.as_bytes() && local == b"IPOASISTable")
        }
        _ => false,
    }
}

fn at_position(mut e: Error, at: u64) -> Error {
    e.position = Some(at);
    e
}

fn located(message: String, at: u64, path: &[String]) -> Error {
    let mut e = Error::custom(DeclarationError(message));
    e.position = Some(at);
    e.elements = Some(path.to_vec());
    e
}

/// A rule of an element's declaration that the document breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeclarationError(pub String);

/// Checks what the generated deserializers do not (see the [module documentation](self)) in
/// `xml`, a standalone element the deserializer accepted: attributes of simple-typed elements,
/// `xsi:nil`, `xsi:type`, `xsi:schemaLocation`, and `xs:boolean` and `xs:positiveInteger`
/// content. The root's own attributes are included.
///
/// # Errors
/// The first problem, with its position and element path.
pub fn check_declarations(xml: &[u8]) -> Result<(), Error> {
    let mut reader = NsReader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    let mut opaque = 0usize;
    // The open simple element whose text is checked: its declared type and where it starts.
    let mut value: Option<(&'static str, u64, Vec<u8>, &'static str)> = None;
    loop {
        let at = reader.buffer_position();
        let (ns, ev) = reader
            .read_resolved_event()
            .map_err(|e| at_position(Error::from(e), at))?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let empty = matches!(ev, Event::Empty(_));
                if opaque > 0 {
                    opaque += usize::from(!empty);
                    continue;
                }
                path.push(String::from_utf8_lossy(s.name().as_ref()).into_owned());
                let local = s.local_name();
                if is_opaque(&ns, local.as_ref()) {
                    opaque = usize::from(!empty);
                    if empty {
                        path.pop();
                    }
                    continue;
                }
                let space = match &ns {
                    ResolveResult::Bound(n) => Space::of(n.as_ref()),
                    _ => None,
                };
                // The outermost element is read as the caller's type whatever its name (the
                // callers check the root's name), so its declaration is not looked up.
                let decl = space
                    .filter(|_| path.len() > 1)
                    .and_then(|s| declaration(s, local.as_ref()));
                check_start(&reader, s, decl).map_err(|m| located(m, at, &path))?;
                let checked = decl
                    .filter(|d| d.type_space == Space::Xsd)
                    .map(|d| d.type_name)
                    .filter(|t| matches!(*t, "boolean" | "positiveInteger"));
                let default = decl.and_then(|d| d.value).unwrap_or_default();
                if empty {
                    if let Some(t) = checked {
                        check_builtin(t, default.as_bytes()).map_err(|m| located(m, at, &path))?;
                    }
                    path.pop();
                } else {
                    value = checked.map(|t| (t, at, Vec::new(), default));
                }
            }
            Event::End(_) => {
                if opaque > 0 {
                    opaque -= 1;
                    if opaque == 0 {
                        path.pop();
                    }
                    continue;
                }
                if let Some((t, start, text, default)) = value.take() {
                    // No content at all: the default or fixed value (the text of an element
                    // holding only a comment is empty too, close enough).
                    let text = if text.is_empty() {
                        default.as_bytes()
                    } else {
                        &text
                    };
                    check_builtin(t, text).map_err(|m| located(m, start, &path))?;
                }
                path.pop();
            }
            Event::Text(t) => {
                if let Some((_, _, text, _)) = &mut value {
                    text.extend_from_slice(&t);
                }
            }
            Event::CData(c) => {
                if let Some((_, _, text, _)) = &mut value {
                    text.extend_from_slice(&c);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, text, _)) = &mut value {
                    push_reference(text, &r);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

fn check_builtin(type_name: &str, text: &[u8]) -> Result<(), String> {
    let r = match type_name {
        "boolean" => check_boolean(text).map(drop),
        "positiveInteger" => check_positive(text),
        _ => Ok(()),
    };
    r.map_err(|e| format!("{e}; correct the value"))
}

/// Checks the root start tag's attributes the root's deserializer does not: `xsi:nil`,
/// `xsi:type` and `xsi:schemaLocation` (see [`check_declarations`], which does it for every
/// element, this one included). For readers that look at the root start tag alone (streaming).
///
/// # Errors
/// The problem, as text.
pub fn check_root_attributes(start_tag: &[u8]) -> Result<(), String> {
    // A standalone copy of the start tag, so that its own declarations resolve.
    let mut xml = Vec::with_capacity(start_tag.len() + 3);
    xml.push(b'<');
    xml.extend_from_slice(start_tag);
    xml.extend_from_slice(b"/>");
    let mut reader = NsReader::from_reader(xml.as_slice());
    match reader.read_resolved_event() {
        Ok((ns, Event::Empty(s))) => {
            let space = match &ns {
                ResolveResult::Bound(n) => Space::of(n.as_ref()),
                _ => None,
            };
            let decl = space.and_then(|sp| declaration(sp, s.local_name().as_ref()));
            check_start(&reader, &s, decl)
        }
        Ok(_) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// The reader the generated deserializers read through: a `quick_xml` reader whose character
/// data is presented as XML Schema sees it. Consecutive text and references become one text
/// event (references kept as written, except character references to white space, which become
/// that white space); a CDATA section holding only white space becomes text.
pub struct CoalescingReader<'a> {
    inner: NsReader<&'a [u8]>,
    /// Events read ahead (gathering text) or made (a default value), to return first.
    pending: std::collections::VecDeque<Event<'a>>,
    /// The element just started is an `xs:nonNegativeInteger`: its text `-0` is zero.
    integer: bool,
}

impl std::fmt::Debug for CoalescingReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoalescingReader").finish_non_exhaustive()
    }
}

impl<'a> CoalescingReader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            inner: NsReader::from_reader(bytes),
            pending: std::collections::VecDeque::new(),
            integer: false,
        }
    }

    fn next_raw(&mut self) -> Result<Event<'a>, Error> {
        match self.pending.pop_front() {
            Some(e) => Ok(e),
            None => {
                let ev = self.inner.read_event().map_err(Error::from)?;
                self.fill_default(ev)
            }
        }
    }

    /// An element with a `default` or `fixed` value and no content at all has that value (XSD
    /// cvc-elt.5.1): it is presented as the element holding the value.
    fn fill_default(&mut self, ev: Event<'a>) -> Result<Event<'a>, Error> {
        let (start, empty) = match &ev {
            Event::Start(s) => (s, false),
            Event::Empty(s) => (s, true),
            _ => return Ok(ev),
        };
        let (ns, local) = self.inner.resolve_element(start.name());
        let space = match ns {
            ResolveResult::Bound(n) => Space::of(n.as_ref()),
            _ => None,
        };
        let decl = space.and_then(|sp| declaration(sp, local.as_ref()));
        self.integer = decl.is_some_and(|d| {
            d.type_space == Space::Xsd && matches!(d.type_name, "nonNegativeInteger" | "integer")
        });
        let Some(value) = decl.and_then(|d| d.value) else {
            return Ok(ev);
        };
        let end = quick_xml::events::BytesEnd::new(
            String::from_utf8_lossy(start.name().as_ref()).into_owned(),
        );
        if empty {
            let Event::Empty(s) = ev else { return Ok(ev) };
            self.pending.push_back(Event::Text(BytesText::new(value)));
            self.pending.push_back(Event::End(end));
            return Ok(Event::Start(s));
        }
        let next = self.inner.read_event().map_err(Error::from)?;
        if matches!(next, Event::End(_)) {
            self.pending.push_back(Event::Text(BytesText::new(value)));
        }
        self.pending.push_back(next);
        Ok(ev)
    }
}

/// A character reference to XML white space, as that character.
pub(crate) fn whitespace_char_ref(name: &[u8]) -> Option<u8> {
    match name {
        b"#32" | b"#x20" | b"#X20" => Some(b' '),
        b"#9" | b"#x9" | b"#x09" => Some(b'\t'),
        b"#10" | b"#xA" | b"#xa" | b"#x0A" | b"#x0a" => Some(b'\n'),
        b"#13" | b"#xD" | b"#xd" | b"#x0D" | b"#x0d" => Some(b'\r'),
        _ => None,
    }
}

/// A text or reference event as escaped text (`None` for other events).
fn as_text<'e>(event: &'e Event<'_>) -> Option<Cow<'e, [u8]>> {
    match event {
        Event::Text(t) => Some(Cow::Borrowed(t.as_ref())),
        Event::GeneralRef(r) => Some(match whitespace_char_ref(r) {
            Some(ws) => Cow::Owned(vec![ws]),
            None => {
                let mut v = Vec::with_capacity(r.len() + 2);
                v.push(b'&');
                v.extend_from_slice(r);
                v.push(b';');
                Cow::Owned(v)
            }
        }),
        Event::CData(c) if c.iter().all(|&b| is_xml_space(b)) => Some(Cow::Borrowed(c.as_ref())),
        _ => None,
    }
}

impl XmlReader for CoalescingReader<'_> {
    fn extend_error(&self, error: Error) -> Error {
        at_position(error, self.inner.buffer_position())
    }
}

impl<'a> XmlReaderSync<'a> for CoalescingReader<'a> {
    fn read_event(&mut self) -> Result<Event<'a>, Error> {
        let first = self.next_raw()?;
        let integer = match first {
            Event::Text(_) => std::mem::take(&mut self.integer),
            Event::Start(_) => false,
            _ => {
                self.integer = false;
                false
            }
        };
        let Some(text) = as_text(&first).map(Cow::into_owned) else {
            return Ok(first);
        };
        let mut joined: Option<Vec<u8>> = None;
        loop {
            let next = self.next_raw()?;
            match as_text(&next) {
                Some(more) => joined
                    .get_or_insert_with(|| text.clone())
                    .extend_from_slice(&more),
                None => {
                    self.pending.push_front(next);
                    break;
                }
            }
        }
        let mut bytes = joined.unwrap_or(text);
        if integer {
            // `-0` (any number of zeros) is zero, which Rust's integers do not read.
            let v = trim(&bytes);
            if v.len() > 1 && v[0] == b'-' && v[1..].iter().all(|&b| b == b'0') {
                bytes = b"0".to_vec();
            }
        }
        // Raw text stays raw; the deserializers unescape it.
        match (first, bytes) {
            (Event::Text(t), b) if b.as_slice() == t.as_ref() => Ok(Event::Text(t)),
            (_, b) => Ok(Event::Text(BytesText::from_escaped(
                String::from_utf8(b).map_err(|e| Error::from(ErrorKind::from(e.utf8_error())))?,
            ))),
        }
    }
}
