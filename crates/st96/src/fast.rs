//! The fast path: recursive-descent readers generated next to the models.
//!
//! xsd-parser's deserializers are push state machines: every XML event walks down the chain of
//! nested deserializers, so an event costs time in proportion to its depth. For the records of a
//! bulletin that made typed reading ~20× slower than reading the XML itself. `tools/st96-codegen`
//! therefore also generates, for every complex type it can, a recursive-descent reader
//! ([`FastParse`] for element types, [`FastGroup`] for the sequence and choice groups that live
//! inline in their parent), driven by this module's [`FastReader`].
//!
//! The fast path is an accelerator, never the judge: it accepts only documents it reads
//! completely and exactly as the generated deserializer would (the same element order and
//! occurrence bounds, the same attribute set, the same simple-type parsing via
//! `DeserializeBytes`; in mixed content the same text before, between and after the child
//! elements, [`MixedOf`]). On anything else — an unexpected element or attribute, text where none
//! belongs, comments inside mixed content, a type it was not generated for (`xs:any`, MathML),
//! opaque XML the deserializer's reader would change, a value its simple type rejects — it gives up with [`Bail`], and the caller reads the
//! same bytes again with the generated deserializer, which produces the result or the error.
//! Tests check that both paths agree on every sample and on generated bulletins.

use std::borrow::Cow;

use quick_xml::events::attributes::{Attribute, Attributes};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;
use xsd_parser_types::quick_xml::{DeserializeBytes, DeserializeHelper};

use crate::detect::{COMMON_NS, DESIGN_NS, XSI_NS};

/// The MathML namespace of the schemas' `math` element.
const MATHML_NS: &str = "http://www.w3.org/1998/Math/MathML3";

/// The fast path gave up; read the input with the generated deserializer instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

/// Result of a fast-path step.
pub type Fast<T> = Result<T, Bail>;

/// The namespaces the generated readers compare element and attribute names against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    /// No namespace (unprefixed, no default namespace in scope).
    None,
    /// `http://www.wipo.int/standards/XMLSchema/ST96/Common`.
    Com,
    /// `http://www.wipo.int/standards/XMLSchema/ST96/Design`.
    Dgn,
    /// `http://www.w3.org/2001/XMLSchema-instance`.
    Xsi,
    /// `http://www.w3.org/1998/Math/MathML3` (the namespace of `math`, kept as opaque XML).
    MathMl,
    /// Any other namespace, or an unbound prefix.
    Other,
}

impl Ns {
    fn of(resolved: &ResolveResult<'_>) -> Self {
        match resolved {
            ResolveResult::Unbound => Self::None,
            ResolveResult::Bound(ns) => match ns.as_ref() {
                n if n == COMMON_NS.as_bytes() => Self::Com,
                n if n == DESIGN_NS.as_bytes() => Self::Dgn,
                n if n == XSI_NS.as_bytes() => Self::Xsi,
                n if n == MATHML_NS.as_bytes() => Self::MathMl,
                _ => Self::Other,
            },
            ResolveResult::Unknown(_) => Self::Other,
        }
    }
}

/// An element start read by the [`FastReader`]: its namespace, its tag and whether it is empty
/// (`<x/>`, so no content and no end tag follow).
#[derive(Debug)]
pub struct Child<'a> {
    /// Namespace of the element name.
    pub ns: Ns,
    /// The start tag.
    pub start: BytesStart<'a>,
    /// `true` for `<x/>`.
    pub empty: bool,
}

impl Child<'_> {
    /// Whether this is element `local` in namespace `ns`.
    #[inline]
    pub fn is(&self, ns: Ns, local: &[u8]) -> bool {
        self.ns == ns && self.start.local_name().as_ref() == local
    }
}

/// Inside opaque XML, what to look at in the event after a start tag (see
/// [`FastReader::opaque`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Watch {
    /// An element with a default or fixed value: its end tag right away means no content.
    default: bool,
    /// An element of an integer type: text `-0` becomes `0`.
    integer: bool,
}

/// Reads one element (and everything inside it) from bytes, for the generated readers.
pub struct FastReader<'a> {
    reader: NsReader<&'a [u8]>,
    /// Passed to the simple types' `DeserializeBytes` (they do not use its namespace state).
    pub helper: DeserializeHelper,
    /// Elements met whose local name is one of [`crate::checks::FIXED_ELEMENTS`] (in any
    /// namespace, anywhere, opaque XML included).
    fixed_seen: u32,
    /// Of those, the ones read as simple values whose value the schema's fixed value allows.
    fixed_ok: u32,
    /// Whether attributes are read with quick-xml's check for repeated names (off when the
    /// input guard, [`crate::detect::Guard`], has already refused them).
    attribute_checks: bool,
}

impl std::fmt::Debug for FastReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FastReader").finish_non_exhaustive()
    }
}

impl<'a> FastReader<'a> {
    /// A reader over a standalone element (its start tag declares the namespaces it uses).
    pub fn new(xml: &'a [u8]) -> Self {
        let mut reader = NsReader::from_reader(xml);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Self {
            reader,
            helper: DeserializeHelper::default(),
            fixed_seen: 0,
            fixed_ok: 0,
            attribute_checks: true,
        }
    }

    /// The attributes of element `el`, for the generated readers.
    #[inline]
    pub fn attributes<'e>(&self, el: &'e Child<'_>) -> Attributes<'e> {
        let mut attributes = el.start.attributes();
        attributes.with_checks(self.attribute_checks);
        attributes
    }

    /// Counts an element whose local name is that of a fixed element (see
    /// [`FastReader::fixed_values_checked`]).
    #[inline]
    fn note(&mut self, start: &BytesStart<'_>) {
        if crate::checks::fixed_local_name(start.local_name().as_ref()).is_some() {
            self.fixed_seen += 1;
        }
    }

    /// Whether every element named like one of [`crate::checks::FIXED_ELEMENTS`] was read as a
    /// simple value that its fixed value allows, so that
    /// [`crate::checks::fixed_element_values`] has nothing to report on this input (when the
    /// fast path read it whole).
    fn fixed_values_checked(&self) -> bool {
        self.fixed_seen == self.fixed_ok
    }

    /// Reads up to the first element (skipping the XML declaration, comments and whitespace).
    ///
    /// # Errors
    /// [`Bail`] if anything else comes first.
    pub fn root(&mut self) -> Fast<Child<'a>> {
        loop {
            match self.reader.read_resolved_event().map_err(|_| Bail)? {
                (ns, Event::Start(start)) => {
                    let ns = Ns::of(&ns);
                    self.note(&start);
                    return Ok(Child {
                        ns,
                        start,
                        empty: false,
                    });
                }
                (ns, Event::Empty(start)) => {
                    let ns = Ns::of(&ns);
                    self.note(&start);
                    return Ok(Child {
                        ns,
                        start,
                        empty: true,
                    });
                }
                (_, Event::Decl(_) | Event::Comment(_)) => {}
                (_, Event::Text(t)) if t.iter().all(u8::is_ascii_whitespace) => {}
                _ => return Err(Bail),
            }
        }
    }

    /// After the root element: only whitespace and comments may follow.
    ///
    /// # Errors
    /// [`Bail`] on anything else.
    pub fn end_of_input(&mut self) -> Fast<()> {
        loop {
            match self.reader.read_event().map_err(|_| Bail)? {
                Event::Eof => return Ok(()),
                Event::Comment(_) => {}
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                _ => return Err(Bail),
            }
        }
    }

    /// The next child element of the element being read, or `None` at its end tag. Whitespace
    /// and comments between elements are skipped; any other text gives up.
    ///
    /// # Errors
    /// [`Bail`] on malformed XML, text, CDATA, entity references or the end of input.
    pub fn next_child(&mut self) -> Fast<Option<Child<'a>>> {
        loop {
            // Names are resolved for start tags only (end tags and text need no namespace).
            match self.reader.read_event().map_err(|_| Bail)? {
                Event::Start(start) => {
                    self.note(&start);
                    let ns = Ns::of(&self.reader.resolve_element(start.name()).0);
                    return Ok(Some(Child {
                        ns,
                        start,
                        empty: false,
                    }));
                }
                Event::Empty(start) => {
                    self.note(&start);
                    let ns = Ns::of(&self.reader.resolve_element(start.name()).0);
                    return Ok(Some(Child {
                        ns,
                        start,
                        empty: true,
                    }));
                }
                Event::End(_) => return Ok(None),
                Event::Comment(_) => {}
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                _ => return Err(Bail),
            }
        }
    }

    /// The first child of `el` (`None` if it is empty or has no child elements).
    ///
    /// # Errors
    /// As [`FastReader::next_child`].
    #[inline]
    pub fn first_child(&mut self, el: &Child<'_>) -> Fast<Option<Child<'a>>> {
        if el.empty {
            Ok(None)
        } else {
            self.next_child()
        }
    }

    /// Checks that `el` has no child elements (whitespace and comments only).
    ///
    /// # Errors
    /// [`Bail`] otherwise.
    #[inline]
    pub fn no_children(&mut self, el: &Child<'_>) -> Fast<()> {
        match self.first_child(el)? {
            None => Ok(()),
            Some(_) => Err(Bail),
        }
    }

    /// The character data of `el` up to its end tag, unescaped and joined (text, entity and
    /// character references, CDATA), as the generated deserializer gathers it; `None` when there
    /// is none at all.
    ///
    /// # Errors
    /// [`Bail`] on child elements, comments (the deserializer splits the text there) or bad
    /// escapes.
    fn character_data(&mut self, el: &Child<'_>) -> Fast<Option<Cow<'a, str>>> {
        if el.empty {
            return Ok(None);
        }
        let mut out: Option<Cow<'a, str>> = None;
        loop {
            let piece = match character_piece(self.reader.read_event().map_err(|_| Bail)?)? {
                Ok(piece) => piece,
                Err(Event::End(_)) => break,
                Err(_) => return Err(Bail),
            };
            out = Some(match out {
                None => piece,
                Some(prev) => Cow::Owned(prev.into_owned() + &piece),
            });
        }
        Ok(out)
    }

    /// In an element of mixed content: the character data up to the next child element or the
    /// end tag (unescaped and joined, not trimmed, as the generated deserializer keeps it;
    /// `None` when there is none at all), and that child (`None` at the end tag).
    ///
    /// # Errors
    /// [`Bail`] on malformed XML, comments and processing instructions (the deserializer splits
    /// the text there), bad escapes or the end of input.
    pub fn mixed_next(&mut self) -> Fast<(Option<xsd_parser_types::xml::Text>, Option<Child<'a>>)> {
        let mut text: Option<String> = None;
        loop {
            let piece = match character_piece(self.reader.read_event().map_err(|_| Bail)?)? {
                Ok(piece) => piece,
                Err(Event::Start(start)) => {
                    self.note(&start);
                    let ns = Ns::of(&self.reader.resolve_element(start.name()).0);
                    let child = Child {
                        ns,
                        start,
                        empty: false,
                    };
                    return Ok((text.map(xsd_parser_types::xml::Text), Some(child)));
                }
                Err(Event::Empty(start)) => {
                    self.note(&start);
                    let ns = Ns::of(&self.reader.resolve_element(start.name()).0);
                    let child = Child {
                        ns,
                        start,
                        empty: true,
                    };
                    return Ok((text.map(xsd_parser_types::xml::Text), Some(child)));
                }
                Err(Event::End(_)) => return Ok((text.map(xsd_parser_types::xml::Text), None)),
                Err(_) => return Err(Bail),
            };
            text.get_or_insert_with(String::new).push_str(&piece);
        }
    }

    /// [`FastReader::mixed_next`] for the start of mixed-content element `el`: the text before
    /// its first child element, and that child.
    ///
    /// # Errors
    /// As [`FastReader::mixed_next`].
    #[inline]
    pub fn mixed_first(
        &mut self,
        el: &Child<'_>,
    ) -> Fast<(Option<xsd_parser_types::xml::Text>, Option<Child<'a>>)> {
        if el.empty {
            Ok((None, None))
        } else {
            self.mixed_next()
        }
    }

    /// Element `el` and everything inside it kept as written ([`crate::types::OpaqueXml`]: IPOASIS
    /// tables and other content the schemas leave unchecked), as the generated deserializer
    /// rebuilds it from the events [`crate::strict::CoalescingReader`] gives.
    ///
    /// # Errors
    /// [`Bail`] on malformed XML, on what that reader changes before the deserializer sees it
    /// (a character reference to white space, a CDATA section of white space, an empty element
    /// of the ST.96 namespaces with a default or fixed value, `-0` in one of an integer type), or
    /// on non-UTF-8 bytes.
    pub fn opaque(&mut self, el: &Child<'_>) -> Fast<crate::types::OpaqueXml> {
        fn push(out: &mut String, bytes: &[u8]) -> Fast<()> {
            out.push_str(std::str::from_utf8(bytes).map_err(|_| Bail)?);
            Ok(())
        }
        let mut watch = self.opaque_start(&el.start, el.empty)?;
        let mut xml = String::with_capacity(256);
        xml.push('<');
        push(&mut xml, &el.start)?;
        if el.empty {
            xml.push_str("/>");
            return Ok(crate::types::OpaqueXml::new(xml));
        }
        xml.push('>');
        let mut depth = 1usize;
        loop {
            let event = self.reader.read_event().map_err(|_| Bail)?;
            // What the deserializer's reader would change right after a start tag.
            let after_start = std::mem::take(&mut watch);
            match &event {
                Event::End(_) if after_start.default => return Err(Bail),
                Event::Text(t)
                    if after_start.integer
                        && t.iter().find(|&&b| !crate::strict::is_xml_space(b)) == Some(&b'-') =>
                {
                    return Err(Bail);
                }
                _ => {}
            }
            match event {
                Event::Start(s) => {
                    self.note(&s);
                    watch = self.opaque_start(&s, false)?;
                    xml.push('<');
                    push(&mut xml, &s)?;
                    xml.push('>');
                    depth += 1;
                }
                Event::Empty(s) => {
                    self.note(&s);
                    self.opaque_start(&s, true)?;
                    xml.push('<');
                    push(&mut xml, &s)?;
                    xml.push_str("/>");
                }
                Event::End(e) => {
                    xml.push_str("</");
                    push(&mut xml, &e)?;
                    xml.push('>');
                    depth -= 1;
                    if depth == 0 {
                        return Ok(crate::types::OpaqueXml::new(xml));
                    }
                }
                Event::Text(t) => push(&mut xml, &t)?,
                Event::GeneralRef(r) => {
                    if crate::strict::whitespace_char_ref(&r).is_some() {
                        return Err(Bail);
                    }
                    xml.push('&');
                    push(&mut xml, &r)?;
                    xml.push(';');
                }
                Event::CData(c) => {
                    if c.iter().all(|&b| crate::strict::is_xml_space(b)) {
                        return Err(Bail);
                    }
                    xml.push_str("<![CDATA[");
                    push(&mut xml, &c)?;
                    xml.push_str("]]>");
                }
                Event::Comment(c) => {
                    xml.push_str("<!--");
                    push(&mut xml, &c)?;
                    xml.push_str("-->");
                }
                Event::PI(p) => {
                    xml.push_str("<?");
                    push(&mut xml, &p)?;
                    xml.push_str("?>");
                }
                Event::Decl(_) | Event::DocType(_) | Event::Eof => return Err(Bail),
            }
        }
    }

    /// For an element start inside opaque XML: what the deserializer's reader does to the event
    /// after it ([`crate::strict::CoalescingReader`]: an element of the ST.96 namespaces with a
    /// default or fixed value and no content gets that value; the text of one of an integer type
    /// that is `-0` becomes `0`). Gives up at once on an empty element with a default.
    fn opaque_start(&self, start: &BytesStart<'_>, empty: bool) -> Fast<Watch> {
        let (ns, local) = self.reader.resolve_element(start.name());
        let space = match Ns::of(&ns) {
            Ns::Com => crate::strict::Space::Com,
            Ns::Dgn => crate::strict::Space::Dgn,
            _ => return Ok(Watch::default()),
        };
        let Some(d) = crate::strict::declaration(space, local.as_ref()) else {
            return Ok(Watch::default());
        };
        if empty && d.value.is_some() {
            return Err(Bail);
        }
        Ok(Watch {
            default: d.value.is_some(),
            integer: d.type_space == crate::strict::Space::Xsd
                && matches!(d.type_name, "nonNegativeInteger" | "integer"),
        })
    }

    /// The text content of `el` (no child elements allowed), unescaped and trimmed of ASCII
    /// whitespace, as the generated deserializer reads simple content.
    ///
    /// # Errors
    /// [`Bail`] on child elements, comments or bad escapes.
    pub fn text(&mut self, el: &Child<'_>) -> Fast<Cow<'a, str>> {
        Ok(match self.character_data(el)? {
            None => Cow::Borrowed(""),
            Some(Cow::Borrowed(s)) => Cow::Borrowed(s.trim_ascii()),
            Some(Cow::Owned(s)) => Cow::Owned(s.trim_ascii().to_owned()),
        })
    }

    /// The text of a mixed-content element that holds text only, as the generated deserializer
    /// keeps it: not trimmed, `None` when there is no text at all.
    ///
    /// # Errors
    /// [`Bail`] on child elements, comments or bad escapes.
    pub fn mixed_text_only(&mut self, el: &Child<'_>) -> Fast<Option<xsd_parser_types::xml::Text>> {
        Ok(self
            .character_data(el)?
            .map(|t| xsd_parser_types::xml::Text(t.into_owned())))
    }

    /// Reads element `el` of a simple type: its text through `T`'s `DeserializeBytes`.
    /// Attributes are not looked at (as in the generated deserializer).
    ///
    /// # Errors
    /// [`Bail`] as [`FastReader::text`], or if `T` rejects the text.
    pub fn simple<T: DeserializeBytes + 'static>(&mut self, el: &Child<'_>) -> Fast<T> {
        self.no_attributes(el)?;
        let text = match self.character_data(el)? {
            Some(t) => t,
            // No content at all: the element's default or fixed value, if it has one.
            None => Cow::Borrowed(self.default_value(el).unwrap_or("")),
        };
        let text = crate::strict::trim_str(&text);
        if el.ns == Ns::Dgn
            && let Some(fixed) = crate::checks::fixed_local_name(el.start.local_name().as_ref())
            && fixed.namespace == DESIGN_NS
            && fixed.allows(text)
        {
            self.fixed_ok += 1;
        }
        crate::strict::parse_simple::<T>(&mut self.helper, text).map_err(|_| Bail)
    }

    /// The `default` or `fixed` value of element `el`'s declaration.
    fn default_value(&self, el: &Child<'_>) -> Option<&'static str> {
        let space = match el.ns {
            Ns::Com => crate::strict::Space::Com,
            Ns::Dgn => crate::strict::Space::Dgn,
            _ => return None,
        };
        crate::strict::declaration(space, el.start.local_name().as_ref()).and_then(|d| d.value)
    }

    /// Like [`FastReader::simple`], for an `xs:positiveInteger` (which the models hold as an
    /// unsigned integer that also takes zero).
    ///
    /// # Errors
    /// [`Bail`] as [`FastReader::simple`], or on zero.
    pub fn simple_positive<T: DeserializeBytes + 'static>(&mut self, el: &Child<'_>) -> Fast<T> {
        self.no_attributes(el)?;
        let text = self.text(el)?;
        crate::strict::check_positive(text.as_bytes()).map_err(|_| Bail)?;
        crate::strict::parse_simple::<T>(&mut self.helper, &text).map_err(|_| Bail)
    }

    /// The text of element `el` of a complex type with simple content (attributes read by the
    /// caller), as [`FastReader::simple`] reads it.
    ///
    /// # Errors
    /// [`Bail`] as [`FastReader::text`], or if `T` rejects the text.
    pub fn simple_content<T: DeserializeBytes + 'static>(
        &mut self,
        el: &Child<'_>,
        positive: bool,
    ) -> Fast<T> {
        let text = self.text(el)?;
        if positive {
            crate::strict::check_positive(text.as_bytes()).map_err(|_| Bail)?;
        }
        crate::strict::parse_simple::<T>(&mut self.helper, &text).map_err(|_| Bail)
    }

    /// Checks that an element of a simple type carries no attributes but namespace declarations
    /// and the `xsi:` ones every element may have.
    ///
    /// # Errors
    /// [`Bail`] otherwise.
    fn no_attributes(&self, el: &Child<'_>) -> Fast<()> {
        if el
            .start
            .attributes_raw()
            .iter()
            .all(|&b| crate::strict::is_xml_space(b))
        {
            return Ok(());
        }
        for attr in self.attributes(el) {
            let attr = attr.map_err(|_| Bail)?;
            if !self.is_ignorable(&attr) {
                return Err(Bail);
            }
        }
        Ok(())
    }

    /// Resolves an attribute name: its namespace and local name.
    #[inline]
    pub fn attr_name<'n>(&self, key: QName<'n>) -> (Ns, &'n [u8]) {
        let (ns, local) = self.reader.resolve_attribute(key);
        (Ns::of(&ns), local.into_inner())
    }

    /// Whether an attribute is one every element may carry: a namespace declaration,
    /// `xsi:schemaLocation` (pairs of URIs) or `xsi:noNamespaceSchemaLocation`. `xsi:type` and
    /// `xsi:nil` are not: the fast path gives up on them and the deserializer path judges them
    /// ([`crate::strict::check_declarations`]).
    #[inline]
    pub fn is_ignorable(&self, attr: &Attribute<'_>) -> bool {
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            return true;
        }
        match self.attr_name(attr.key) {
            (Ns::Xsi, b"schemaLocation") => crate::strict::schema_location_pairs(&attr.value),
            (Ns::Xsi, b"noNamespaceSchemaLocation") => true,
            _ => false,
        }
    }

    /// Reads an attribute value of simple type `T`, into `store` (which must still be empty).
    ///
    /// # Errors
    /// [`Bail`] on a repeated attribute or a value `T` rejects.
    pub fn attr<T: DeserializeBytes + 'static>(
        &mut self,
        store: &mut Option<T>,
        attr: &Attribute<'_>,
    ) -> Fast<()> {
        crate::strict::read_attrib(&mut self.helper, store, b"", &attr.value).map_err(|_| Bail)
    }

    /// Like [`FastReader::attr`], for an `xs:positiveInteger` attribute.
    ///
    /// # Errors
    /// [`Bail`] as [`FastReader::attr`], or on zero.
    pub fn attr_positive<T: DeserializeBytes + 'static>(
        &mut self,
        store: &mut Option<T>,
        attr: &Attribute<'_>,
    ) -> Fast<()> {
        crate::strict::check_positive(&attr.value).map_err(|_| Bail)?;
        self.attr(store, attr)
    }
}

/// An element of mixed content as the models hold it: the element's value and the text after it
/// (`xsd_parser_types::xml::Mixed`). The generated readers name the inner type through this.
pub trait MixedOf {
    /// The element's own type.
    type Inner;
    /// The model value of an element and the text that follows it.
    fn wrap(value: Self::Inner, text_after: Option<xsd_parser_types::xml::Text>) -> Self;
}

impl<T> MixedOf for xsd_parser_types::xml::Mixed<T> {
    type Inner = T;
    #[inline]
    fn wrap(value: T, text_after: Option<xsd_parser_types::xml::Text>) -> Self {
        Self { value, text_after }
    }
}

/// A type read from an element of its own (generated for element and complex types).
pub trait FastParse: Sized {
    /// Reads element `el` (its start tag already read) up to and including its end tag.
    ///
    /// # Errors
    /// [`Bail`] whenever the input is not exactly what the type allows.
    fn fast_element<'a>(p: &mut FastReader<'a>, el: Child<'a>) -> Fast<Self>;
}

impl FastParse for crate::types::OpaqueXml {
    fn fast_element<'a>(p: &mut FastReader<'a>, el: Child<'a>) -> Fast<Self> {
        p.opaque(&el)
    }
}

/// A group read inline from its parent's children (generated for sequence and choice groups).
pub trait FastGroup: Sized {
    /// Whether a group can start with element `c`.
    fn fast_starts(c: &Child<'_>) -> bool;

    /// Reads the group, starting at the lookahead `c` (the parent's next child); leaves the
    /// child after the group in `c`.
    ///
    /// # Errors
    /// [`Bail`] whenever the input is not exactly what the group allows.
    fn fast_group<'a>(p: &mut FastReader<'a>, c: &mut Option<Child<'a>>) -> Fast<Self>;
}

/// Reads a standalone element of type `T` from `xml` on the fast path; `None` means: read it
/// with the generated deserializer instead.
pub fn read_element<T: FastParse>(xml: &[u8]) -> Option<T> {
    read_element_or_offset(xml).ok()
}

/// Reads a standalone element of type `T`: on the fast path when it can, otherwise with the
/// generated deserializer (through [`crate::strict::CoalescingReader`], then
/// [`crate::strict::check_declarations`]), which gives the value or the error.
///
/// # Errors
/// The generated deserializer's error.
pub fn read_or_deserialize<T>(xml: &[u8]) -> Result<T, xsd_parser_types::quick_xml::Error>
where
    T: FastParse + xsd_parser_types::quick_xml::WithDeserializer,
{
    if let Some(value) = read_element::<T>(xml) {
        return Ok(value);
    }
    deserialize(xml)
}

/// [`read_or_deserialize`], then the check of the fixed element values
/// ([`crate::checks::fixed_element_values`]), which the fast path makes while it reads (a second
/// pass over `xml` is made only when the fast path gave up or met a fixed element it did not
/// judge). `guarded`: `xml` passed the input guard ([`crate::detect::Guard`], which refuses
/// repeated attributes), so the fast path need not look for them again.
///
/// # Errors
/// The generated deserializer's error located in `xml` ([`crate::document::invalid`]), or the
/// fixed-value check's.
pub(crate) fn read_checked<T>(xml: &[u8], guarded: bool) -> Result<T, crate::Error>
where
    T: FastParse + xsd_parser_types::quick_xml::WithDeserializer,
{
    let mut p = FastReader::new(xml);
    // The guard's reader has already matched every end tag with its start tag, and refused
    // repeated attributes.
    p.attribute_checks = !guarded;
    p.reader.config_mut().check_end_names = !guarded;
    let fast = p
        .root()
        .and_then(|root| T::fast_element(&mut p, root))
        .and_then(|v| p.end_of_input().map(|()| v));
    if let Ok(value) = fast {
        if !p.fixed_values_checked() {
            crate::checks::fixed_element_values(xml)?;
        }
        return Ok(value);
    }
    let value = deserialize(xml).map_err(|e| crate::document::invalid(xml, &e))?;
    crate::checks::fixed_element_values(xml)?;
    Ok(value)
}

/// Reads a standalone element of type `T` with the generated deserializer only (the path
/// [`read_or_deserialize`] falls back to), for tests that compare both paths.
///
/// # Errors
/// The generated deserializer's error, or [`crate::strict::check_declarations`]'.
pub fn deserialize<T>(xml: &[u8]) -> Result<T, xsd_parser_types::quick_xml::Error>
where
    T: xsd_parser_types::quick_xml::WithDeserializer,
{
    use xsd_parser_types::quick_xml::{DeserializeSync, XmlReader};
    let mut reader = crate::strict::CoalescingReader::new(xml).with_error_info();
    let value = T::deserialize(&mut reader)?;
    crate::strict::check_declarations(xml)?;
    Ok(value)
}

/// Like [`read_element`], but on giving up tells the byte offset the reader had reached (where
/// the fast path met something it does not cover), for diagnostics and tests.
///
/// # Errors
/// The offset reached when the fast path gave up.
pub fn read_element_or_offset<T: FastParse>(xml: &[u8]) -> Result<T, u64> {
    let mut p = FastReader::new(xml);
    let value = p
        .root()
        .and_then(|root| T::fast_element(&mut p, root))
        .and_then(|v| p.end_of_input().map(|()| v));
    value.map_err(|Bail| p.reader.buffer_position())
}

/// Checks a repeated element's count against its bounds.
///
/// # Errors
/// [`Bail`] when out of bounds.
#[inline]
pub fn check_count(n: usize, min: usize, max: Option<usize>) -> Fast<()> {
    if n < min || max.is_some_and(|m| n > m) {
        Err(Bail)
    } else {
        Ok(())
    }
}

/// The characters of a text, entity reference or CDATA event, unescaped (`Ok(Ok(..))`); any
/// other event is handed back (`Ok(Err(event))`). [`Bail`] on bad UTF-8 or escapes, and on text
/// quick-xml already copied (the fast path only borrows).
fn character_piece(event: Event<'_>) -> Fast<Result<Cow<'_, str>, Event<'_>>> {
    Ok(Ok(match event {
        Event::Text(t) => match t.into_inner() {
            Cow::Borrowed(b) => {
                let raw = std::str::from_utf8(b).map_err(|_| Bail)?;
                // Text without `&` is what `unescape` hands back as it is; the vector search
                // costs less than its own scan (which looks for `;` too).
                if memchr::memchr(b'&', b).is_none() {
                    Cow::Borrowed(raw)
                } else {
                    quick_xml::escape::unescape(raw).map_err(|_| Bail)?
                }
            }
            Cow::Owned(_) => return Err(Bail),
        },
        Event::GeneralRef(r) => {
            let name = std::str::from_utf8(&r).map_err(|_| Bail)?;
            Cow::Owned(
                quick_xml::escape::unescape(&format!("&{name};"))
                    .map_err(|_| Bail)?
                    .into_owned(),
            )
        }
        Event::CData(c) => Cow::Owned(std::str::from_utf8(&c).map_err(|_| Bail)?.to_owned()),
        other => return Ok(Err(other)),
    }))
}
