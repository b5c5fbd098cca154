//! Detect a document's root, namespace and declared ST.96 version without a full parse, and the
//! input guards every ST.96 reader applies ([`guard`]).
//!
//! [`detect`] reads only up to the root start tag: the XML declaration, leading comments and
//! processing instructions, and the root's attributes. It never reads the rest of the document,
//! so it costs the same on a 2 KB transaction and a 2 GB bulletin ([`detect_reader`] takes any
//! `BufRead`).
//!
//! ```
//! use st96::detect::{detect, DocumentKind, Warning};
//!
//! let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
//! <dgn:HagueOfficeToIBTransaction com:st96Version="V7_0"
//!     xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common"
//!     xmlns:dgn="http://www.wipo.int/standards/XMLSchema/ST96/Design">
//!   <dgn:HagueOfficeTransactionHeader/>
//! </dgn:HagueOfficeToIBTransaction>"#;
//! let found = detect(xml)?;
//! assert_eq!(found.kind, DocumentKind::HagueOfficeToIBTransaction);
//! assert_eq!(found.root, "HagueOfficeToIBTransaction");
//! assert_eq!(found.prefix.as_deref(), Some("dgn"));
//! assert_eq!(found.st96_version.as_deref(), Some("V7_0"));
//! assert_eq!(
//!     found.warnings,
//!     vec![Warning::VersionDiffers { declared: "V7_0".into(), model: "V6_0" }]
//! );
//! assert_eq!(found.warnings[0].to_string(), "declares V7_0; parsed with the V6_0 model");
//! # Ok::<(), st96::detect::DetectError>(())
//! ```

pub mod guard;
mod wellformed;

use std::fmt;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub use guard::{Guard, GuardError, Limits, Location, check_input};

/// The ST.96 version of the generated models. Documents that declare another version are read
/// with these models and get a [`Warning::VersionDiffers`].
pub const MODEL_VERSION: &str = "V6_0";

/// Prefix shared by every ST.96 namespace URI.
pub const ST96_NAMESPACE_PREFIX: &str = "http://www.wipo.int/standards/XMLSchema/ST96/";
/// ST.96 Common namespace (`com:`), which holds `st96Version` and `ipoVersion`.
pub const COMMON_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Common";
/// ST.96 Design namespace (`dgn:`).
pub const DESIGN_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Design";
/// ST.96 Trademark namespace (`tmk:`).
pub const TRADEMARK_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark";
/// ST.96 Patent namespace (`pat:`).
pub const PATENT_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Patent";
/// ST.96 Geographical Indication namespace (`gin:`).
pub const GI_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/GeographicalIndication";
/// ST.96 Copyright namespace (`cpy:`).
pub const COPYRIGHT_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Copyright";
/// XML Schema instance namespace (`xsi:`), which holds `schemaLocation`.
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

macro_rules! document_kinds {
    ($( $(#[$doc:meta])* $variant:ident => ($ns:ident, $root:literal), )*) => {
        /// The document roots of WIPO's ST.96 V6_0 schema package, identified by namespace and
        /// local name of the root element.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DocumentKind {
            $( $(#[$doc])* $variant, )*
            /// A root in an ST.96 namespace that is not one of the known document roots.
            Other,
        }

        impl DocumentKind {
            /// Every known kind (without [`DocumentKind::Other`]).
            pub const ALL: &'static [DocumentKind] = &[$(DocumentKind::$variant,)*];

            /// The kind of the root `local_name` in `namespace`.
            ///
            /// ```
            /// use st96::detect::{DocumentKind, DESIGN_NS};
            /// assert_eq!(
            ///     DocumentKind::from_root(DESIGN_NS, "DesignApplication"),
            ///     DocumentKind::DesignApplication
            /// );
            /// assert_eq!(DocumentKind::from_root(DESIGN_NS, "Design"), DocumentKind::Other);
            /// ```
            pub fn from_root(namespace: &str, local_name: &str) -> Self {
                match (namespace, local_name) {
                    $( ($ns, $root) => DocumentKind::$variant, )*
                    _ => DocumentKind::Other,
                }
            }

            /// The root element's local name (`None` for [`DocumentKind::Other`]).
            pub fn root_name(self) -> Option<&'static str> {
                match self {
                    $( DocumentKind::$variant => Some($root), )*
                    DocumentKind::Other => None,
                }
            }

            /// The root element's namespace URI (`None` for [`DocumentKind::Other`]).
            pub fn namespace(self) -> Option<&'static str> {
                match self {
                    $( DocumentKind::$variant => Some($ns), )*
                    DocumentKind::Other => None,
                }
            }

            /// A stable name for output (`"HagueIBToOfficeTransaction"`, ..., `"Other"`).
            pub fn name(self) -> &'static str {
                match self {
                    $( DocumentKind::$variant => stringify!($variant), )*
                    DocumentKind::Other => "Other",
                }
            }
        }
    };
}

document_kinds! {
    /// `dgn:HagueOfficeToIBTransaction`: an office's transaction to the International Bureau.
    HagueOfficeToIBTransaction => (DESIGN_NS, "HagueOfficeToIBTransaction"),
    /// `dgn:HagueIBToOfficeTransaction`: the weekly bulletin or notifications from the IB.
    HagueIBToOfficeTransaction => (DESIGN_NS, "HagueIBToOfficeTransaction"),
    /// `dgn:DesignApplication`.
    DesignApplication => (DESIGN_NS, "DesignApplication"),
    /// `dgn:DesignApplicationBag`.
    DesignApplicationBag => (DESIGN_NS, "DesignApplicationBag"),
    /// `dgn:DesignTransaction`.
    DesignTransaction => (DESIGN_NS, "DesignTransaction"),
    /// `dgn:DesignTransactionBody`.
    DesignTransactionBody => (DESIGN_NS, "DesignTransactionBody"),
    /// `dgn:TransactionData`.
    DesignTransactionData => (DESIGN_NS, "TransactionData"),
    /// `dgn:TransactionContentBag`.
    DesignTransactionContentBag => (DESIGN_NS, "TransactionContentBag"),
    /// `tmk:TrademarkApplication`.
    TrademarkApplication => (TRADEMARK_NS, "TrademarkApplication"),
    /// `tmk:TrademarkTransaction`.
    TrademarkTransaction => (TRADEMARK_NS, "TrademarkTransaction"),
    /// `tmk:TrademarkTransactionBody`.
    TrademarkTransactionBody => (TRADEMARK_NS, "TrademarkTransactionBody"),
    /// `tmk:TransactionData`.
    TrademarkTransactionData => (TRADEMARK_NS, "TransactionData"),
    /// `tmk:TransactionContentBag`.
    TrademarkTransactionContentBag => (TRADEMARK_NS, "TransactionContentBag"),
    /// `tmk:MadridOfficeToIBTransaction`.
    MadridOfficeToIBTransaction => (TRADEMARK_NS, "MadridOfficeToIBTransaction"),
    /// `tmk:MadridIBToOfficeTransaction`.
    MadridIBToOfficeTransaction => (TRADEMARK_NS, "MadridIBToOfficeTransaction"),
    /// `pat:PatentPublication`.
    PatentPublication => (PATENT_NS, "PatentPublication"),
    /// `pat:PatentLegalStatusData`.
    PatentLegalStatusData => (PATENT_NS, "PatentLegalStatusData"),
    /// `pat:BibliographicData`.
    BibliographicData => (PATENT_NS, "BibliographicData"),
    /// `pat:SPCBibliographicData`.
    SpcBibliographicData => (PATENT_NS, "SPCBibliographicData"),
    /// `pat:ApplicationBody`.
    ApplicationBody => (PATENT_NS, "ApplicationBody"),
    /// `pat:ExaminationReport`.
    ExaminationReport => (PATENT_NS, "ExaminationReport"),
    /// `pat:SearchReport`.
    SearchReport => (PATENT_NS, "SearchReport"),
    /// `gin:GIApplication`.
    GiApplication => (GI_NS, "GIApplication"),
    /// `gin:GITransaction`.
    GiTransaction => (GI_NS, "GITransaction"),
    /// `gin:GITransactionBody`.
    GiTransactionBody => (GI_NS, "GITransactionBody"),
    /// `gin:TransactionData`.
    GiTransactionData => (GI_NS, "TransactionData"),
    /// `gin:TransactionContentBag`.
    GiTransactionContentBag => (GI_NS, "TransactionContentBag"),
    /// `cpy:CopyrightOrphanWork`.
    CopyrightOrphanWork => (COPYRIGHT_NS, "CopyrightOrphanWork"),
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Something worth telling the user about a document that is nevertheless read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The document declares another ST.96 version than the models'; it is read with the models'
    /// version.
    VersionDiffers {
        /// The declared `com:st96Version`, e.g. `V7_0`.
        declared: String,
        /// The version of the models used, [`MODEL_VERSION`].
        model: &'static str,
    },
    /// The root has no `com:st96Version` (every ST.96 root requires it).
    VersionMissing {
        /// The version of the models used, [`MODEL_VERSION`].
        model: &'static str,
    },
    /// The XML declaration names an encoding other than UTF-8; the bytes are read as UTF-8.
    NotUtf8 {
        /// The declared encoding.
        declared: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VersionDiffers { declared, model } => {
                write!(f, "declares {declared}; parsed with the {model} model")
            }
            Self::VersionMissing { model } => write!(
                f,
                "declares no com:st96Version (required on every ST.96 root); parsed with the \
                 {model} model; add com:st96Version=\"{model}\" to the root element"
            ),
            Self::NotUtf8 { declared } => write!(
                f,
                "declares encoding \"{declared}\"; ST.96 documents are UTF-8 and are read as \
                 UTF-8; convert the file to UTF-8 and declare encoding=\"UTF-8\""
            ),
        }
    }
}

/// What [`detect`] found at the start of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Detected {
    /// Local name of the root element, e.g. `HagueIBToOfficeTransaction`.
    pub root: String,
    /// Prefix of the root element as written (`Some("dgn")`), `None` with a default namespace.
    pub prefix: Option<String>,
    /// Namespace URI of the root element (always an ST.96 namespace).
    pub namespace: String,
    /// The known document kind, or [`DocumentKind::Other`].
    pub kind: DocumentKind,
    /// Declared `com:st96Version`, e.g. `V6_0`, if present.
    pub st96_version: Option<String>,
    /// Declared `com:ipoVersion` (the office's own schema version), if present.
    pub ipo_version: Option<String>,
    /// Declared `xsi:schemaLocation`, if present.
    pub schema_location: Option<String>,
    /// Encoding named in the XML declaration, if any.
    pub encoding: Option<String>,
    /// Whether the input starts with a UTF-8 byte order mark.
    pub bom: bool,
    /// Namespace declarations on the root element: (prefix, URI); prefix `None` for `xmlns=`.
    pub namespaces: Vec<(Option<String>, String)>,
    /// Version of the models the document is read with ([`MODEL_VERSION`]).
    pub model_version: &'static str,
    /// Where the root start tag begins.
    pub location: Location,
    /// Things the user should know (version differences, encoding).
    pub warnings: Vec<Warning>,
}

impl Detected {
    /// The root's qualified name as written, e.g. `dgn:HagueIBToOfficeTransaction`.
    pub fn qualified_root(&self) -> String {
        match &self.prefix {
            Some(p) => format!("{p}:{}", self.root),
            None => self.root.clone(),
        }
    }
}

/// Why [`detect`] could not report an ST.96 document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// Reading the input failed.
    #[error("cannot read the input: {0}; check that the file exists and is readable")]
    Io(#[from] std::io::Error),
    /// The input was refused by the input guards (DOCTYPE, entities, ...) or is not well-formed
    /// before the root start tag.
    #[error(transparent)]
    Refused(#[from] GuardError),
    /// The input is UTF-16 or UTF-32 (detected by its byte order mark).
    #[error(
        "the input is encoded as {encoding}; ST.96 documents are UTF-8: convert the file to UTF-8 \
         (e.g. `iconv -f {encoding} -t UTF-8`)"
    )]
    UnsupportedEncoding {
        /// The encoding named by the byte order mark.
        encoding: &'static str,
    },
    /// No root start tag was found.
    #[error(
        "{location}: no root element found ({reason}); an ST.96 document needs a root element such \
         as <dgn:HagueIBToOfficeTransaction ...>"
    )]
    NoRoot {
        /// Why: end of input, or prolog longer than [`Limits::max_prolog_bytes`].
        reason: String,
        /// Where reading stopped.
        location: Location,
    },
    /// The root element is not in an ST.96 namespace.
    #[error(
        "{location}: the root element <{root}> is {}, not in an ST.96 namespace ({ST96_NAMESPACE_PREFIX}...); \
         this is not an ST.96 document (declare the namespace, e.g. \
         xmlns:dgn=\"{DESIGN_NS}\")",
        match namespace { Some(ns) => format!("in namespace \"{ns}\""), None => "in no namespace".to_owned() }
    )]
    NotSt96 {
        /// The root's qualified name as written.
        root: String,
        /// Its namespace, if any.
        namespace: Option<String>,
        /// Where the root start tag begins.
        location: Location,
    },
    /// The root uses a prefix that is not declared.
    #[error(
        "{location}: the prefix `{prefix}` of <{root}> is not declared; add \
         xmlns:{prefix}=\"...\" with the ST.96 namespace URI to the root element"
    )]
    UndeclaredPrefix {
        /// The undeclared prefix.
        prefix: String,
        /// The root's qualified name as written.
        root: String,
        /// Where the root start tag begins.
        location: Location,
    },
}

impl DetectError {
    /// Where the problem is, when it is in the document.
    pub fn location(&self) -> Option<Location> {
        match self {
            Self::Io(_) | Self::UnsupportedEncoding { .. } => None,
            Self::Refused(e) => Some(e.location()),
            Self::NoRoot { location, .. }
            | Self::NotSt96 { location, .. }
            | Self::UndeclaredPrefix { location, .. } => Some(*location),
        }
    }
}

/// Detects the root element, namespace and declared versions of an ST.96 document held in
/// memory, reading only up to the root start tag. See the [module documentation](self).
pub fn detect(bytes: &[u8]) -> Result<Detected, DetectError> {
    detect_reader(bytes, &Limits::default())
}

/// Like [`detect`], from any buffered reader (e.g. a `BufReader<File>`), with explicit limits.
/// Reads at most [`Limits::max_prolog_bytes`] plus the root start tag.
///
/// ```no_run
/// use std::{fs::File, io::BufReader};
/// use st96::detect::{detect_reader, Limits};
///
/// let file = BufReader::new(File::open("bulletin.xml")?);
/// let found = detect_reader(file, &Limits::default())?;
/// println!("{} ({})", found.qualified_root(), found.kind);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn detect_reader<R: BufRead>(mut input: R, limits: &Limits) -> Result<Detected, DetectError> {
    let head = input.fill_buf()?;
    let bom = head.starts_with(guard::UTF8_BOM);
    if let Some(encoding) = utf16_or_32(head) {
        return Err(DetectError::UnsupportedEncoding { encoding });
    }
    // The root start tag may be long (many namespace declarations): allow up to 1 MiB past the
    // prolog limit for it.
    let budget = limits.max_prolog_bytes.saturating_add(1 << 20);
    let mut reader = NsReader::from_reader(input.take(budget));
    let mut guard = Guard::new(limits.clone());
    let mut buf = Vec::new();
    let mut encoding = None;
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(quick_xml::Error::Io(io)) => {
                return Err(DetectError::Io(std::io::Error::new(
                    io.kind(),
                    io.to_string(),
                )));
            }
            Err(_) if reader.buffer_position() >= limits.max_prolog_bytes => {
                return Err(prolog_too_long(limits, guard.location_at(guard.position())));
            }
            Err(err) => return Err(guard.malformed(&err, reader.error_position()).into()),
        };
        let start = guard.location_at(guard.position());
        guard.check(&event, reader.buffer_position())?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                return root_info(&reader, &e, start, bom, encoding);
            }
            Event::Decl(d) => {
                encoding = match d.encoding() {
                    Some(Ok(enc)) => Some(String::from_utf8_lossy(&enc).into_owned()),
                    Some(Err(err)) => {
                        return Err(GuardError::Malformed {
                            message: format!("bad XML declaration: {err}"),
                            location: start,
                        }
                        .into());
                    }
                    None => None,
                };
            }
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => {
                if reader.buffer_position() >= limits.max_prolog_bytes {
                    return Err(prolog_too_long(limits, start));
                }
                return Err(DetectError::NoRoot {
                    reason: "the input ends before any element".to_owned(),
                    location: start,
                });
            }
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) | Event::End(_) => {
                return Err(GuardError::Malformed {
                    message: "text or markup before the root element".to_owned(),
                    location: start,
                }
                .into());
            }
            Event::DocType(_) => {
                // The guard refuses every DOCTYPE before we get here.
                return Err(GuardError::Doctype { location: start }.into());
            }
        }
        if reader.buffer_position() > limits.max_prolog_bytes {
            return Err(prolog_too_long(limits, start));
        }
    }
}

fn prolog_too_long(limits: &Limits, location: Location) -> DetectError {
    DetectError::NoRoot {
        reason: format!(
            "nothing but prolog in the first {} bytes; raise Limits::max_prolog_bytes if that is \
             genuine",
            limits.max_prolog_bytes
        ),
        location,
    }
}

fn utf16_or_32(head: &[u8]) -> Option<&'static str> {
    match head {
        [0x00, 0x00, 0xFE, 0xFF, ..] => Some("UTF-32BE"),
        [0xFF, 0xFE, 0x00, 0x00, ..] => Some("UTF-32LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16BE"),
        [0xFF, 0xFE, ..] => Some("UTF-16LE"),
        [0x00, b'<', ..] => Some("UTF-16BE"),
        [b'<', 0x00, ..] => Some("UTF-16LE"),
        _ => None,
    }
}

fn root_info<R>(
    reader: &NsReader<R>,
    start: &BytesStart<'_>,
    location: Location,
    bom: bool,
    encoding: Option<String>,
) -> Result<Detected, DetectError> {
    let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let prefix = start
        .name()
        .prefix()
        .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned());
    let (resolved, local) = reader.resolve_element(start.name());
    let root = String::from_utf8_lossy(local.as_ref()).into_owned();
    let namespace = match resolved {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        ResolveResult::Unbound => {
            return Err(DetectError::NotSt96 {
                root: qname,
                namespace: None,
                location,
            });
        }
        ResolveResult::Unknown(p) => {
            return Err(DetectError::UndeclaredPrefix {
                prefix: String::from_utf8_lossy(&p).into_owned(),
                root: qname,
                location,
            });
        }
    };
    if !namespace.starts_with(ST96_NAMESPACE_PREFIX) {
        return Err(DetectError::NotSt96 {
            root: qname,
            namespace: Some(namespace),
            location,
        });
    }

    let mut st96_version = None;
    let mut ipo_version = None;
    let mut schema_location = None;
    let mut namespaces = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|err| GuardError::Malformed {
            message: format!("bad attribute on the root element: {err}"),
            location,
        })?;
        let value = attr
            .decode_and_unescape_value(reader.decoder())
            .map_err(|err| GuardError::Malformed {
                message: format!("bad attribute value on the root element: {err}"),
                location,
            })?
            .into_owned();
        let key = attr.key;
        if key.as_ref() == b"xmlns" {
            namespaces.push((None, value));
            continue;
        }
        if let Some(p) = key.as_ref().strip_prefix(b"xmlns:") {
            namespaces.push((Some(String::from_utf8_lossy(p).into_owned()), value));
            continue;
        }
        let (ns, local) = reader.resolve_attribute(key);
        let ns = match ns {
            ResolveResult::Bound(ns) => ns.0,
            ResolveResult::Unbound => continue,
            ResolveResult::Unknown(p) => {
                return Err(DetectError::UndeclaredPrefix {
                    prefix: String::from_utf8_lossy(&p).into_owned(),
                    root: qname,
                    location,
                });
            }
        };
        match (ns, local.as_ref()) {
            // Both are xs:token: white space collapses.
            (ns, b"st96Version") if ns == COMMON_NS.as_bytes() => {
                st96_version = Some(crate::strict::collapse(&value).into_owned());
            }
            (ns, b"ipoVersion") if ns == COMMON_NS.as_bytes() => {
                ipo_version = Some(crate::strict::collapse(&value).into_owned());
            }
            (ns, b"schemaLocation") if ns == XSI_NS.as_bytes() => schema_location = Some(value),
            _ => {}
        }
    }

    let mut warnings = Vec::new();
    match &st96_version {
        Some(v) if v == MODEL_VERSION => {}
        Some(v) => warnings.push(Warning::VersionDiffers {
            declared: v.clone(),
            model: MODEL_VERSION,
        }),
        None => warnings.push(Warning::VersionMissing {
            model: MODEL_VERSION,
        }),
    }
    if let Some(enc) = &encoding
        && !enc.eq_ignore_ascii_case("UTF-8")
        && !enc.eq_ignore_ascii_case("UTF8")
    {
        warnings.push(Warning::NotUtf8 {
            declared: enc.clone(),
        });
    }
    let kind = DocumentKind::from_root(&namespace, &root);
    Ok(Detected {
        root,
        prefix,
        namespace,
        kind,
        st96_version,
        ipo_version,
        schema_location,
        encoding,
        bom,
        namespaces,
        model_version: MODEL_VERSION,
        location,
        warnings,
    })
}

#[cfg(test)]
mod tests;
