//! Reading the facts the Hague rules need from an office-to-IB XML (and its root, via
//! `st96::detect`): streaming with quick-xml, one event at a time, never the whole document in
//! memory. The guards refuse a DOCTYPE (and so any entity declaration) and nesting past a depth
//! limit.
//!
//! This walk stays on quick-xml (rather than `st96`'s typed parse) because the rules need what a
//! typed model drops or refuses: the line and column of each value (every finding is located),
//! the raw text of invalid values (a month 13 must become a PKG020 finding, not a parse failure
//! that hides every other finding), and documents the V6_0 model cannot type (declared V7_0/V4_0,
//! schema-invalid packages still checked against every rule). IB-to-office records are read with
//! `st96::stream` (see `ibread`).

use std::io::BufRead;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use crate::lines::{LineReader, Lines};

/// ST.96 Design namespace.
pub(crate) const NS_DESIGN: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Design";
/// ST.96 Common namespace.
pub(crate) const NS_COMMON: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Common";

/// Longest text kept for one element (longer values are cut; none of the values we read is long).
const MAX_TEXT: usize = 4096;

/// Where something is in the XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: u64,
    pub column: u64,
    pub path: String,
}

/// An element's text with its position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Text {
    pub value: String,
    pub pos: Pos,
}

/// Why reading stopped.
#[derive(Debug)]
pub(crate) enum XmlStop {
    Doctype(Pos),
    Depth(Pos, usize),
    NotWellFormed(String, Pos),
}

/// A supporting document (`com:DocumentIncluded`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Document {
    pub name: Option<String>,
    pub file_name: Option<Text>,
    pub format: Option<String>,
    pub kind: Option<Text>,
    pub pos: Pos,
}

/// A design view (`dgn:View`).
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    pub file_name: Option<Text>,
    pub thumbnail: Option<Text>,
    pub format: Option<String>,
}

/// A design (`dgn:HagueDesign`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Design {
    pub view_total: Option<Text>,
    pub views: usize,
}

/// One child of `dgn:HagueOfficeToIBBag`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Transaction {
    pub tag: String,
    pub pos: Pos,
    pub prior_refusal: bool,
    pub irn: Option<String>,
    pub office_ref: Option<String>,
    pub generic_category: Option<Text>,
    pub documents: Vec<Document>,
    pub views: Vec<View>,
    pub designs: Vec<Design>,
    pub design_total: Option<Text>,
    pub view_total: Option<Text>,
    pub children: Vec<String>,
}

/// What the rules need from an office-to-IB document.
#[derive(Debug, Clone, Default)]
pub(crate) struct OfficeDoc {
    pub root_ns: Option<String>,
    pub root: String,
    pub root_pos: Pos,
    pub version: Option<String>,
    pub total_quantity: Option<Text>,
    pub bag_seen: bool,
    pub transactions: Vec<Transaction>,
    pub codes: Vec<Text>,
    pub dates: Vec<Text>,
}

struct Frame {
    local: String,
    pos: Pos,
    text: Option<String>,
}

/// Events the walker hands to a consumer.
pub(crate) trait Visitor {
    /// An element opened; `stack` holds it last. Return `true` to collect its text.
    fn start(
        &mut self,
        stack: &[String],
        pos: &Pos,
        attrs: &[(Option<String>, String, String)],
    ) -> bool;
    /// An element closed (still last in `stack`), with its text if collected.
    fn end(&mut self, stack: &[String], pos: &Pos, text: Option<String>);
    /// The root element's namespace.
    fn root_namespace(&mut self, _ns: Option<String>) {}
}

/// Streams `reader` through `visitor`. Guards: no DOCTYPE, depth at most `max_depth`.
pub(crate) fn walk<R: BufRead, V: Visitor>(
    reader: R,
    max_depth: usize,
    visitor: &mut V,
) -> Result<(), XmlStop> {
    let (counted, lines) = LineReader::new(reader);
    let mut r = NsReader::from_reader(counted);
    r.config_mut().expand_empty_elements = true;
    r.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut seen_root = false;
    loop {
        let before = r.buffer_position();
        let (ns, event) = match r.read_resolved_event_into(&mut buf) {
            Ok(x) => x,
            Err(e) => {
                let at = r.error_position();
                return Err(XmlStop::NotWellFormed(
                    e.to_string(),
                    pos_of(&lines, at, &stack),
                ));
            }
        };
        match event {
            Event::DocType(_) => return Err(XmlStop::Doctype(pos_of(&lines, before, &stack))),
            Event::Start(e) => {
                let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if !seen_root {
                    seen_root = true;
                    visitor.root_namespace(match ns {
                        ResolveResult::Bound(n) => {
                            Some(String::from_utf8_lossy(n.as_ref()).into_owned())
                        }
                        _ => None,
                    });
                } else if stack.is_empty() {
                    return Err(XmlStop::NotWellFormed(
                        "more than one root element".into(),
                        pos_of(&lines, before, &stack),
                    ));
                }
                stack.push(local.clone());
                let pos = pos_of(&lines, before, &stack);
                if stack.len() > max_depth {
                    return Err(XmlStop::Depth(pos, max_depth));
                }
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a =
                        a.map_err(|err| XmlStop::NotWellFormed(err.to_string(), pos.clone()))?;
                    let (ans, alocal) = r.resolve_attribute(a.key);
                    let ans = match ans {
                        ResolveResult::Bound(n) => {
                            Some(String::from_utf8_lossy(n.as_ref()).into_owned())
                        }
                        _ => None,
                    };
                    let value = a
                        .decode_and_unescape_value(r.decoder())
                        .map_err(|err| XmlStop::NotWellFormed(err.to_string(), pos.clone()))?
                        .into_owned();
                    attrs.push((
                        ans,
                        String::from_utf8_lossy(alocal.as_ref()).into_owned(),
                        value,
                    ));
                }
                let collect = visitor.start(&stack, &pos, &attrs);
                frames.push(Frame {
                    local,
                    pos,
                    text: collect.then(String::new),
                });
            }
            Event::End(_) => {
                let Some(frame) = frames.pop() else {
                    return Err(XmlStop::NotWellFormed(
                        "unexpected end tag".into(),
                        pos_of(&lines, before, &stack),
                    ));
                };
                visitor.end(&stack, &frame.pos, frame.text.map(|t| t.trim().to_owned()));
                debug_assert_eq!(stack.last(), Some(&frame.local));
                stack.pop();
            }
            Event::Text(t) => {
                if let Some(Some(text)) = frames.last_mut().map(|f| f.text.as_mut()) {
                    let s = t.xml10_content().map_err(|err| {
                        XmlStop::NotWellFormed(err.to_string(), pos_of(&lines, before, &stack))
                    })?;
                    push_text(text, &s);
                }
            }
            Event::CData(t) => {
                if let Some(Some(text)) = frames.last_mut().map(|f| f.text.as_mut()) {
                    push_text(text, &String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(g) => {
                let name = g
                    .decode()
                    .map_err(|err| {
                        XmlStop::NotWellFormed(err.to_string(), pos_of(&lines, before, &stack))
                    })?
                    .into_owned();
                let resolved: String = if let Ok(Some(ch)) = g.resolve_char_ref() {
                    ch.to_string()
                } else if let Some(v) = quick_xml::escape::resolve_xml_entity(&name) {
                    v.to_owned()
                } else {
                    return Err(XmlStop::NotWellFormed(
                        format!("reference to undeclared entity &{name};"),
                        pos_of(&lines, before, &stack),
                    ));
                };
                if let Some(Some(text)) = frames.last_mut().map(|f| f.text.as_mut()) {
                    push_text(text, &resolved);
                }
            }
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(XmlStop::NotWellFormed(
                        format!(
                            "the document ends inside <{}>",
                            stack.last().map(String::as_str).unwrap_or("")
                        ),
                        pos_of(&lines, r.buffer_position(), &stack),
                    ));
                }
                if !seen_root {
                    return Err(XmlStop::NotWellFormed(
                        "no root element".into(),
                        Pos::default(),
                    ));
                }
                return Ok(());
            }
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
        buf.clear();
    }
}

fn push_text(text: &mut String, s: &str) {
    if text.len() < MAX_TEXT {
        text.push_str(s);
    }
}

fn pos_of(lines: &Lines, at: u64, stack: &[String]) -> Pos {
    let (line, column) = lines.locate(at);
    Pos {
        line,
        column,
        path: path_of(stack),
    }
}

pub(crate) fn path_of(stack: &[String]) -> String {
    let mut p = String::new();
    for s in stack {
        p.push('/');
        p.push_str(s);
    }
    p
}

/// Collects [`OfficeDoc`] facts.
#[derive(Default)]
struct OfficeVisitor {
    doc: OfficeDoc,
}

fn is_date_element(local: &str) -> bool {
    local.ends_with("Date") || local.ends_with("DateTime")
}

const CODE_ELEMENTS: &[&str] = &[
    "IPOfficeCode",
    "DesignatedCountryCode",
    "ReceivingOfficeCode",
];

impl Visitor for OfficeVisitor {
    fn root_namespace(&mut self, ns: Option<String>) {
        self.doc.root_ns = ns;
    }

    fn start(
        &mut self,
        stack: &[String],
        pos: &Pos,
        attrs: &[(Option<String>, String, String)],
    ) -> bool {
        let depth = stack.len();
        let local = stack[depth - 1].as_str();
        if depth == 1 {
            self.doc.root = local.to_owned();
            self.doc.root_pos = pos.clone();
            self.doc.version = attrs
                .iter()
                .find(|(ns, name, _)| name == "st96Version" && ns.as_deref() == Some(NS_COMMON))
                .map(|(_, _, v)| v.clone());
            return false;
        }
        if depth == 2 && local == "HagueOfficeToIBBag" {
            self.doc.bag_seen = true;
        }
        if depth == 3 && stack[1] == "HagueOfficeToIBBag" {
            let prior = attrs.iter().any(|(_, name, v)| {
                name == "priorRefusalIndicator" && matches!(v.trim(), "true" | "1")
            });
            self.doc.transactions.push(Transaction {
                tag: local.to_owned(),
                pos: pos.clone(),
                prior_refusal: prior,
                ..Transaction::default()
            });
            return false;
        }
        let in_tx = depth >= 4 && stack[1] == "HagueOfficeToIBBag";
        if in_tx {
            let Some(tx) = self.doc.transactions.last_mut() else {
                return false;
            };
            if depth == 4 {
                tx.children.push(local.to_owned());
            }
            match local {
                "DocumentIncluded" => tx.documents.push(Document {
                    pos: pos.clone(),
                    ..Document::default()
                }),
                "View" => {
                    tx.views.push(View::default());
                    if let Some(d) = tx.designs.last_mut() {
                        d.views += 1;
                    }
                }
                "HagueDesign" => tx.designs.push(Design::default()),
                _ => {}
            }
        }
        let parent = stack
            .get(depth.wrapping_sub(2))
            .map(String::as_str)
            .unwrap_or("");
        is_date_element(local)
            || CODE_ELEMENTS.contains(&local)
            || (depth == 3 && local == "TransactionTotalQuantity")
            || (in_tx
                && (matches!(
                    (parent, local),
                    (
                        "DocumentIncluded",
                        "DocumentName"
                            | "FileName"
                            | "DocumentFormatCategory"
                            | "DocumentKindCategory"
                    ) | (
                        "View",
                        "FileName" | "ThumbnailFileName" | "ViewFileFormatCategory"
                    ) | ("HagueDesign", "ViewTotalQuantity")
                ) || (depth == 4
                    && matches!(
                        local,
                        "InternationalRegistrationNumber"
                            | "OfficeReferenceIdentifier"
                            | "HagueGenericOfficeCommunicationCategory"
                            | "DesignTotalQuantity"
                            | "ViewTotalQuantity"
                    ))))
    }

    fn end(&mut self, stack: &[String], pos: &Pos, text: Option<String>) {
        let Some(value) = text else { return };
        let depth = stack.len();
        let local = stack[depth - 1].as_str();
        let parent = stack
            .get(depth.wrapping_sub(2))
            .map(String::as_str)
            .unwrap_or("");
        let t = Text {
            value: value.clone(),
            pos: pos.clone(),
        };
        if is_date_element(local) {
            self.doc.dates.push(t.clone());
        }
        if CODE_ELEMENTS.contains(&local) {
            self.doc.codes.push(t.clone());
        }
        if depth == 3
            && local == "TransactionTotalQuantity"
            && stack[1] == "HagueOfficeTransactionHeader"
        {
            self.doc.total_quantity = Some(t);
            return;
        }
        if depth < 4 || stack[1] != "HagueOfficeToIBBag" {
            return;
        }
        let Some(tx) = self.doc.transactions.last_mut() else {
            return;
        };
        match (parent, local) {
            ("DocumentIncluded", _) => {
                if let Some(d) = tx.documents.last_mut() {
                    match local {
                        "DocumentName" => d.name = Some(value),
                        "FileName" => d.file_name = Some(t),
                        "DocumentFormatCategory" => d.format = Some(value),
                        "DocumentKindCategory" => d.kind = Some(t),
                        _ => {}
                    }
                }
            }
            ("View", _) => {
                if let Some(v) = tx.views.last_mut() {
                    match local {
                        "FileName" => v.file_name = Some(t),
                        "ThumbnailFileName" => v.thumbnail = Some(t),
                        "ViewFileFormatCategory" => v.format = Some(value),
                        _ => {}
                    }
                }
            }
            ("HagueDesign", "ViewTotalQuantity") => {
                if let Some(d) = tx.designs.last_mut() {
                    d.view_total = Some(t);
                }
            }
            _ if depth == 4 => match local {
                "InternationalRegistrationNumber" => tx.irn = Some(value),
                "OfficeReferenceIdentifier" => tx.office_ref = Some(value),
                "HagueGenericOfficeCommunicationCategory" => tx.generic_category = Some(t),
                "DesignTotalQuantity" => tx.design_total = Some(t),
                "ViewTotalQuantity" => tx.view_total = Some(t),
                _ => {}
            },
            _ => {}
        }
    }
}

/// Reads the facts of an office-to-IB document.
pub(crate) fn scan_office<R: BufRead>(reader: R, max_depth: usize) -> Result<OfficeDoc, XmlStop> {
    let mut v = OfficeVisitor::default();
    walk(reader, max_depth, &mut v)?;
    Ok(v.doc)
}

/// Root element, its namespace and declared version, read from the start of a document only.
#[derive(Debug, Clone, Default)]
pub(crate) struct RootInfo {
    pub local: String,
    pub version: Option<String>,
}

/// Reads only up to the root start tag, with `st96::detect` (which applies the st96 input guards).
pub(crate) fn detect_root<R: BufRead>(reader: R, max_depth: usize) -> Result<RootInfo, XmlStop> {
    use st96::detect::{DetectError, GuardError};
    let limits = st96::detect::Limits {
        max_depth,
        ..st96::detect::Limits::default()
    };
    let at = |l: st96::detect::Location| Pos {
        line: l.line,
        column: l.column,
        path: String::new(),
    };
    match st96::detect::detect_reader(reader, &limits) {
        Ok(d) => Ok(RootInfo {
            local: d.root.clone(),
            version: d.st96_version.clone(),
        }),
        Err(DetectError::Refused(g)) => {
            let pos = at(g.location());
            Err(match g {
                GuardError::Doctype { .. } | GuardError::EntityDeclaration { .. } => {
                    XmlStop::Doctype(pos)
                }
                GuardError::TooDeep { limit, .. } => XmlStop::Depth(pos, limit),
                other => XmlStop::NotWellFormed(other.to_string(), pos),
            })
        }
        Err(DetectError::NotSt96 { root, .. }) => Ok(RootInfo {
            local: root,
            version: None,
        }),
        Err(e) => {
            let pos = e.location().map(at).unwrap_or_default();
            Err(XmlStop::NotWellFormed(e.to_string(), pos))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn refuses_doctype_and_entities() {
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>";
        assert!(matches!(scan_office(xml.as_bytes(), 64), Err(XmlStop::Doctype(p)) if p.line == 2));
    }

    #[test]
    fn refuses_depth() {
        let xml = format!("{}{}", "<a>".repeat(50), "</a>".repeat(50));
        assert!(matches!(
            scan_office(xml.as_bytes(), 20),
            Err(XmlStop::Depth(_, 20))
        ));
        assert!(scan_office(xml.as_bytes(), 50).is_ok());
    }

    #[test]
    fn refuses_undeclared_entity_and_broken_xml() {
        assert!(matches!(
            scan_office("<a>&x;</a>".as_bytes(), 8),
            Err(XmlStop::NotWellFormed(..))
        ));
        assert!(matches!(
            scan_office("<a><b></a>".as_bytes(), 8),
            Err(XmlStop::NotWellFormed(..))
        ));
        assert!(matches!(
            scan_office("<a>".as_bytes(), 8),
            Err(XmlStop::NotWellFormed(..))
        ));
    }
}
