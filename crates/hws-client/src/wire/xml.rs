//! A strict, small reader and writer for the HWS response documents.
//!
//! The documents are a few hundred bytes, so the reader builds a tiny element tree first (namespaces
//! resolved by quick-xml's `NsReader`) and the typed readers walk it in schema order, which gives
//! errors that name the element and what was expected instead of a position in a byte stream.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{COM_NS, HWS_NS, WireError};

/// Documents larger than this are refused before parsing: every HWS status document is far
/// smaller, and a server that sends megabytes is not speaking this format.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// Deeper nesting than this is refused (our deepest document has depth 4).
const MAX_DEPTH: usize = 16;

const XSI_NS: &[u8] = b"http://www.w3.org/2001/XMLSchema-instance";

/// One element: its namespace, local name, element children and character data.
#[derive(Debug)]
pub(crate) struct Elem {
    pub ns: String,
    pub name: String,
    pub children: Vec<Elem>,
    pub text: String,
}

impl Elem {
    /// `{namespace}local` for messages.
    pub fn qname(&self) -> String {
        qname(&self.ns, &self.name)
    }

    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }
}

pub(crate) fn qname(ns: &str, name: &str) -> String {
    match ns {
        HWS_NS => format!("hws:{name}"),
        COM_NS => format!("com:{name}"),
        "" => name.to_owned(),
        other => format!("{{{other}}}{name}"),
    }
}

fn xml_err(reader: &NsReader<&[u8]>, source: quick_xml::Error) -> WireError {
    WireError::Xml {
        position: reader.buffer_position(),
        message: source.to_string(),
    }
}

/// Parses a whole document into its root element.
pub(crate) fn parse(input: &[u8]) -> Result<Elem, WireError> {
    if input.len() > MAX_DOCUMENT_BYTES {
        return Err(WireError::TooLarge {
            len: input.len(),
            max: MAX_DOCUMENT_BYTES,
        });
    }
    let text = std::str::from_utf8(input).map_err(|e| WireError::NotUtf8 {
        position: e.valid_up_to(),
    })?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    reader.config_mut().expand_empty_elements = true;

    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    loop {
        let pos = reader.buffer_position();
        let (resolved, event) = match reader.read_resolved_event() {
            Ok(pair) => pair,
            Err(e) => {
                return Err(WireError::Xml {
                    position: pos,
                    message: e.to_string(),
                });
            }
        };
        match event {
            Event::Start(start) => {
                if root.is_some() {
                    return Err(WireError::ContentAfterRoot { position: pos });
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(WireError::TooDeep { max: MAX_DEPTH });
                }
                let ns = match resolved {
                    ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(prefix) => {
                        return Err(WireError::UnknownPrefix {
                            prefix: String::from_utf8_lossy(&prefix).into_owned(),
                        });
                    }
                };
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| xml_err(&reader, e.into()))?;
                    let key = attr.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (attr_ns, local) = reader.resolve_attribute(key);
                    if matches!(attr_ns, ResolveResult::Bound(ns) if ns.as_ref() == XSI_NS) {
                        continue;
                    }
                    return Err(WireError::UnexpectedAttribute {
                        element: qname(&ns, &name),
                        attribute: String::from_utf8_lossy(local.as_ref()).into_owned(),
                    });
                }
                stack.push(Elem {
                    ns,
                    name,
                    children: Vec::new(),
                    text: String::new(),
                });
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(WireError::Xml {
                        position: pos,
                        message: "end tag without a start tag".into(),
                    });
                };
                if !done.children.is_empty() && !done.text.trim().is_empty() {
                    return Err(WireError::UnexpectedText {
                        element: done.qname(),
                    });
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                let decoded = t.decode().map_err(|e| xml_err(&reader, e.into()))?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&decoded),
                    None if decoded.trim().is_empty() => {}
                    None => return Err(WireError::ContentAfterRoot { position: pos }),
                }
            }
            Event::GeneralRef(r) => {
                let Some(top) = stack.last_mut() else {
                    return Err(WireError::ContentAfterRoot { position: pos });
                };
                let resolved =
                    if let Some(ch) = r.resolve_char_ref().map_err(|e| xml_err(&reader, e))? {
                        ch.to_string()
                    } else {
                        let name = r.decode().map_err(|e| xml_err(&reader, e.into()))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(WireError::Xml {
                                    position: pos,
                                    message: format!("unknown entity &{name};"),
                                });
                            }
                        }
                    };
                top.text.push_str(&resolved);
            }
            Event::CData(c) => {
                let Some(top) = stack.last_mut() else {
                    return Err(WireError::ContentAfterRoot { position: pos });
                };
                let decoded = c.decode().map_err(|e| xml_err(&reader, e.into()))?;
                top.text.push_str(&decoded);
            }
            Event::DocType(_) => return Err(WireError::DocType),
            Event::Empty(_) => {
                // expand_empty_elements turns these into Start + End.
                return Err(WireError::Xml {
                    position: pos,
                    message: "unexpected empty tag".into(),
                });
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(WireError::Xml {
            position: reader.buffer_position(),
            message: "the document ends inside an element".into(),
        });
    }
    root.ok_or(WireError::NoRoot)
}

/// Walks the element children of one parent in schema order.
pub(crate) struct Children<'a> {
    parent: String,
    items: &'a [Elem],
    next: usize,
}

impl<'a> Children<'a> {
    pub fn of(parent: &'a Elem) -> Self {
        Children {
            parent: parent.qname(),
            items: &parent.children,
            next: 0,
        }
    }

    /// The next child if it is `ns:name`.
    pub fn optional(&mut self, ns: &str, name: &str) -> Option<&'a Elem> {
        let e = self.items.get(self.next)?;
        if e.is(ns, name) {
            self.next += 1;
            Some(e)
        } else {
            None
        }
    }

    /// The next child, which must be `ns:name`.
    pub fn required(&mut self, ns: &str, name: &str) -> Result<&'a Elem, WireError> {
        match self.items.get(self.next) {
            Some(e) if e.is(ns, name) => {
                self.next += 1;
                Ok(e)
            }
            Some(e) => Err(WireError::UnexpectedElement {
                parent: self.parent.clone(),
                found: e.qname(),
                expected: qname(ns, name),
            }),
            None => Err(WireError::MissingElement {
                parent: self.parent.clone(),
                element: qname(ns, name),
            }),
        }
    }

    /// Every following child named `ns:name`.
    pub fn repeated(&mut self, ns: &str, name: &str) -> Vec<&'a Elem> {
        let mut out = Vec::new();
        while let Some(e) = self.optional(ns, name) {
            out.push(e);
        }
        out
    }

    /// No child may follow.
    pub fn end(self) -> Result<(), WireError> {
        match self.items.get(self.next) {
            Some(e) => Err(WireError::UnexpectedElement {
                parent: self.parent,
                found: e.qname(),
                expected: "the end of the element".into(),
            }),
            None => Ok(()),
        }
    }
}

/// Requires a container element to hold no character data.
pub(crate) fn container(e: &Elem) -> Result<Children<'_>, WireError> {
    if !e.text.trim().is_empty() {
        return Err(WireError::UnexpectedText { element: e.qname() });
    }
    Ok(Children::of(e))
}

/// The whitespace-collapsed text of a leaf element (`xs:token` semantics), non-empty.
pub(crate) fn token(e: &Elem) -> Result<String, WireError> {
    if !e.children.is_empty() {
        return Err(WireError::UnexpectedElement {
            parent: e.qname(),
            found: e.children[0].qname(),
            expected: "text only".into(),
        });
    }
    let collapsed = e.text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return Err(WireError::EmptyValue { element: e.qname() });
    }
    Ok(collapsed)
}

/// Writes the documents: one root, namespaces declared once on it, text escaped.
pub(crate) struct Writer {
    out: String,
}

impl Writer {
    pub fn new(root: &str) -> Self {
        let mut out = String::with_capacity(512);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push('<');
        out.push_str(root);
        out.push_str(" xmlns:hws=\"");
        out.push_str(HWS_NS);
        out.push_str("\" xmlns:com=\"");
        out.push_str(COM_NS);
        out.push_str("\">");
        Writer { out }
    }

    pub fn leaf(&mut self, name: &str, text: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&quick_xml::escape::escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out.push('\n');
        self.out
    }
}
