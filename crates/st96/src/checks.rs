//! Checks the generated deserializers do not make on their own (xsd-parser 1.5.2 gaps), called
//! from the generated code and from [`crate::document`].

use xsd_parser_types::quick_xml::{DeserializeHelper, Error};

/// Why an occurrence check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OccursError {
    /// Fewer elements than `minOccurs`.
    #[error(
        "<{element}> occurs {found} time(s) here but the schema requires at least {min}; add the \
         missing <{element}> element(s)"
    )]
    TooFew {
        /// Local name of the repeated element.
        element: &'static str,
        /// `minOccurs`.
        min: usize,
        /// How many were found.
        found: usize,
    },
    /// More elements than `maxOccurs`.
    #[error(
        "<{element}> occurs {found} time(s) here but the schema allows at most {max}; remove the \
         extra <{element}> element(s)"
    )]
    TooMany {
        /// Local name of the repeated element.
        element: &'static str,
        /// `maxOccurs`.
        max: usize,
        /// How many were found.
        found: usize,
    },
}

/// Replacement for `DeserializeHelper::finish_vec` (whose bounds check never fires in
/// xsd-parser-types 0.2.1): enforces `minOccurs` and `maxOccurs` of a repeated element.
///
/// # Errors
/// [`OccursError`] (wrapped in the deserializer's error) when a bound is violated.
#[doc(hidden)]
pub fn finish_vec<T>(
    _helper: &DeserializeHelper,
    element: &'static str,
    min: usize,
    max: Option<usize>,
    value: Vec<T>,
) -> Result<Vec<T>, Error> {
    let found = value.len();
    if found < min {
        return Err(Error::custom(OccursError::TooFew {
            element,
            min,
            found,
        }));
    }
    if let Some(max) = max
        && found > max
    {
        return Err(Error::custom(OccursError::TooMany {
            element,
            max,
            found,
        }));
    }
    Ok(value)
}

/// An element whose value the schema fixes (`<xsd:element name="..." fixed="...">`): the
/// generated deserializers read its value but do not compare it with the fixed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedElement {
    /// Namespace URI of the element.
    pub namespace: &'static str,
    /// Qualified name with the standard prefix, e.g. `dgn:AllDesignsIndicator`.
    pub qname: &'static str,
    /// The fixed value, as the schema writes it.
    pub value: &'static str,
    /// Other lexical forms of the same value (`1` for the boolean `true`).
    pub same_value: &'static [&'static str],
    /// What to write instead of another value.
    pub fix: &'static str,
}

impl FixedElement {
    /// Local name, e.g. `AllDesignsIndicator`.
    pub fn local_name(&self) -> &'static str {
        self.qname
            .split_once(':')
            .map_or(self.qname, |(_, local)| local)
    }
}

/// Every element with a `fixed` value reachable from the generated roots (features `hague` and
/// `design`).
///
/// Derived from WIPO's V6_0 schemas the generator reads (`Common_V6_0.xsd`, `Design_V6_0.xsd` and
/// the root files `HagueOfficeToIBTransaction`, `HagueIBToOfficeTransaction`,
/// `DesignApplication`, `DesignTransaction`) with `grep 'fixed=' FILE | grep '<xsd:element'`;
/// the only other `fixed` there is the `com:st96Version` attribute, checked by
/// [`crate::document`]. The test `crates/st96/tests/fixed_values.rs` re-derives the list from
/// the installed schemas and fails if this table misses one.
pub const FIXED_ELEMENTS: &[FixedElement] = &[
    FixedElement {
        namespace: crate::detect::DESIGN_NS,
        qname: "dgn:AllDesignsIndicator",
        value: "true",
        same_value: &["1"],
        fix: "write true, its only value; to affect only some of the designs, list them in \
              <dgn:DesignIdentifierBag> instead",
    },
    FixedElement {
        namespace: crate::detect::DESIGN_NS,
        qname: "dgn:TransactionCancelledIndicator",
        value: "true",
        same_value: &["1"],
        fix: "write true, its only value; when the transaction is not cancelled, give \
              <dgn:HagueCorrectedElementBag> and <dgn:HagueCorrectContent> instead",
    },
];

impl FixedElement {
    /// Whether `value` (trimmed of XML white space) is one the schema allows: empty (the
    /// element then takes its fixed value), the fixed value or another form of it.
    pub(crate) fn allows(&self, value: &str) -> bool {
        value.is_empty() || value == self.value || self.same_value.contains(&value)
    }
}

/// The entry of [`FIXED_ELEMENTS`] with local name `local`, if any.
#[inline]
pub(crate) fn fixed_local_name(local: &[u8]) -> Option<&'static FixedElement> {
    FIXED_ELEMENTS.iter().find(|f| {
        let q = f.qname.as_bytes();
        q.len() > local.len() && q.ends_with(local) && q[q.len() - local.len() - 1] == b':'
    })
}

/// Checks the value of every element of [`FIXED_ELEMENTS`] in `bytes`, a document (or a
/// captured record) that the typed parse accepted.
///
/// Cheap when none occurs (a substring search); otherwise one namespace-resolving pass.
///
/// # Errors
/// [`crate::Error::Invalid`] naming the element path, the value found, the fixed value and the
/// fix, located in `bytes`.
pub(crate) fn fixed_element_values(bytes: &[u8]) -> Result<(), crate::Error> {
    let present = match std::str::from_utf8(bytes) {
        Ok(text) => FIXED_ELEMENTS.iter().any(|f| text.contains(f.local_name())),
        // Not UTF-8 (the typed parse would have refused it): check the slow way.
        Err(_) => true,
    };
    if !present {
        return Ok(());
    }
    check_fixed_events(bytes)
}

fn check_fixed_events(bytes: &[u8]) -> Result<(), crate::Error> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;

    // One pass without allocating per element: names are resolved for the candidates only, and
    // the element path is worked out again when there is something to report.
    let mut reader = quick_xml::reader::NsReader::from_reader(bytes);
    // The fixed element being read: its entry, where it starts, its text so far.
    let mut open: Option<(&'static FixedElement, u64, String)> = None;
    let malformed = |e: quick_xml::Error, at: u64| crate::Error::Invalid {
        message: format!("{e}; fix the XML"),
        path: "the document".into(),
        location: crate::detect::Location::in_bytes(bytes, at),
    };
    loop {
        let start = reader.buffer_position();
        let ev = match reader.read_event() {
            Ok(x) => x,
            Err(e) => {
                let at = reader.error_position();
                return Err(malformed(e, at));
            }
        };
        match ev {
            Event::Start(s) => {
                let local = s.local_name();
                open = FIXED_ELEMENTS
                    .iter()
                    .find(|f| local.as_ref() == f.local_name().as_bytes())
                    .filter(|f| {
                        matches!(reader.resolve_element(s.name()).0,
                            ResolveResult::Bound(n) if n.as_ref() == f.namespace.as_bytes())
                    })
                    .map(|f| (f, start, String::new()));
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = &mut open {
                    text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::CData(c) => {
                if let Some((_, _, text)) = &mut open {
                    text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, text)) = &mut open {
                    let mut resolved = Vec::new();
                    crate::strict::push_reference(&mut resolved, &r);
                    text.push_str(&String::from_utf8_lossy(&resolved));
                }
            }
            Event::End(_) => {
                if let Some((fixed, at, text)) = open.take() {
                    // xs:boolean collapses whitespace; an empty element takes the fixed value.
                    let value = text.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\r'));
                    if !fixed.allows(value) {
                        return Err(crate::Error::Invalid {
                            message: format!(
                                "<{q}> holds `{value}` but the schema fixes its value to `{v}`; \
                                 {fix}",
                                q = fixed.qname,
                                v = fixed.value,
                                fix = fixed.fix,
                            ),
                            path: element_path(bytes, at),
                            location: crate::detect::Location::in_bytes(bytes, at),
                        });
                    }
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The path (`a/b/c`, qualified names as written) of the element whose start tag is at byte
/// `at` of `bytes`, that element included.
fn element_path(bytes: &[u8], at: u64) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::reader::Reader::from_reader(bytes);
    let mut path: Vec<String> = Vec::new();
    loop {
        let start = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(s)) => {
                path.push(String::from_utf8_lossy(s.name().as_ref()).into_owned());
                if start >= at {
                    break;
                }
            }
            Ok(Event::End(_)) => {
                path.pop();
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    path.join("/")
}
