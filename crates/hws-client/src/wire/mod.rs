//! The HWS wire format: the response documents of Hague Web Services, defined once.
//!
//! WIPO's "HWS API guide" is not public (hws-facts §1.2, §9): the HWS document says only that the
//! service-request status answer is "an ST.96 payload" carrying the Request ID, the processing
//! status, the SRN, the IRN and, when relevant, the expected publication date, and that `pingMe`
//! answers a hello message in `application/xml`. Everything else here is **our choice**, written
//! down in `docs/sandbox.md` and in the extension schema `xsd/ipgate-hws-v1.xsd`: ST.96-shaped
//! XML documents in our own namespace [`HWS_NS`], reusing ST.96 Common elements where one fits
//! (`com:InternationalRegistrationNumber`, `com:RecordIdentifier`). `ipgate-sandbox` sends exactly
//! these documents and `hws-client` reads them; the sandbox's tests validate every document it sends
//! against the schema.
//!
//! The readers are strict: the root, the order of elements and every value are checked, unknown
//! elements and attributes are refused, and each error names the element concerned. Only the
//! service-request status is open-ended ([`ServiceRequestStatusCategory::Other`]), because WIPO
//! documents six values and may add more.

mod xml;

use std::fmt;
use std::str::FromStr;

use time::{Date, Month};

use xml::{Writer, container, token};

/// Our namespace for the HWS response documents (version 1 of our extension schema).
pub const HWS_NS: &str = "urn:ipgate:hws:1";
/// WIPO's ST.96 Common namespace (the reused elements).
pub const COM_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Common";
/// The file name of the extension schema, under the repository's `xsd/` folder.
pub const SCHEMA_FILE: &str = "ipgate-hws-v1.xsd";
/// The media type of every response document (the HWS document's `pingMe` answer is
/// `application/xml`).
pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// Why a response document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Not well-formed XML.
    #[error("the response is not well-formed XML (byte {position}): {message}")]
    Xml {
        /// Byte offset where the reader stopped.
        position: u64,
        /// What the XML reader said.
        message: String,
    },
    /// Not UTF-8.
    #[error("the response is not UTF-8 (invalid byte at offset {position})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        position: usize,
    },
    /// Larger than any HWS status document.
    #[error(
        "the response document has {len} bytes, more than the {max} an HWS status document may have"
    )]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than any HWS document.
    #[error("the response document nests elements deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// A `<!DOCTYPE>`: never part of these documents (and the door to entity expansion attacks).
    #[error("the response document has a DOCTYPE declaration, which HWS documents never carry")]
    DocType,
    /// No element at all.
    #[error("the response has no XML element")]
    NoRoot,
    /// Something after the root element, or text outside it.
    #[error("the response has content after its root element (byte {position})")]
    ContentAfterRoot {
        /// Where.
        position: u64,
    },
    /// A namespace prefix that is not declared.
    #[error("the namespace prefix {prefix:?} is not declared")]
    UnknownPrefix {
        /// The prefix.
        prefix: String,
    },
    /// Not the document that was expected.
    #[error("expected a {expected} document, found the root element {found}")]
    WrongRoot {
        /// The expected root (`hws:ImportStatus`...).
        expected: &'static str,
        /// The root found.
        found: String,
    },
    /// An element where another was expected.
    #[error("in {parent}: found {found}, expected {expected}")]
    UnexpectedElement {
        /// The parent element.
        parent: String,
        /// The element found.
        found: String,
        /// What the schema allows there.
        expected: String,
    },
    /// A required element is missing.
    #[error("in {parent}: the required element {element} is missing")]
    MissingElement {
        /// The parent element.
        parent: String,
        /// The missing element.
        element: String,
    },
    /// An attribute the schema does not define.
    #[error(
        "the element {element} has the attribute {attribute}, which the schema does not define"
    )]
    UnexpectedAttribute {
        /// The element.
        element: String,
        /// The attribute's local name.
        attribute: String,
    },
    /// Character data in an element that holds only elements.
    #[error("the element {element} holds text where only elements are allowed")]
    UnexpectedText {
        /// The element.
        element: String,
    },
    /// A leaf element with no value.
    #[error("the element {element} is empty")]
    EmptyValue {
        /// The element.
        element: String,
    },
    /// A value the schema does not allow.
    #[error("the element {element} has the value {value:?}: {reason}")]
    InvalidValue {
        /// The element.
        element: String,
        /// The value, as found.
        value: String,
        /// Why it is refused.
        reason: String,
    },
}

/// Why a string is not an identifier usable in an HWS path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Empty.
    #[error("the identifier is empty")]
    Empty,
    /// Longer than [`MAX_ID_LEN`].
    #[error("the identifier has {len} characters, more than {MAX_ID_LEN}")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A character outside `A-Z a-z 0-9 - _` (or a first character that is not a letter or digit).
    #[error(
        "the identifier has {found:?} at position {position}; identifiers are letters, digits, '-' and '_', starting with a letter or digit"
    )]
    BadChar {
        /// The character.
        found: char,
        /// Its position.
        position: usize,
    },
}

/// The longest import ID or SRN accepted.
pub const MAX_ID_LEN: usize = 64;

fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let len = s.chars().count();
    if len > MAX_ID_LEN {
        return Err(IdError::TooLong { len });
    }
    for (position, c) in s.chars().enumerate() {
        let ok = c.is_ascii_alphanumeric() || (position > 0 && (c == '-' || c == '_'));
        if !ok {
            return Err(IdError::BadChar { found: c, position });
        }
    }
    Ok(())
}

macro_rules! path_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Letters, digits, `-` and `_` only (at most [`MAX_ID_LEN`]), so the value is safe as one
        /// URL path segment; the schema's `hws:IdentifierType` says the same.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The identifier as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                check_id(s)?;
                Ok($name(s.to_owned()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

path_id!(
    /// The import ID `POST /request` answers with ("an import ID per package is returned on
    /// success", HWS document), used in `GET /request/import/{importId}`.
    ImportId
);
path_id!(
    /// The Service Request Number the IB gives an imported package, used in
    /// `GET /request/{serviceRequestId}`.
    ServiceRequestNumber
);

fn id_value<T: FromStr<Err = IdError>>(e: &xml::Elem) -> Result<T, WireError> {
    let v = token(e)?;
    v.parse().map_err(|err: IdError| WireError::InvalidValue {
        element: e.qname(),
        value: v,
        reason: err.to_string(),
    })
}

fn root<'a>(
    doc: &'a xml::Elem,
    name: &'static str,
    shown: &'static str,
) -> Result<&'a xml::Elem, WireError> {
    if doc.is(HWS_NS, name) {
        Ok(doc)
    } else {
        Err(WireError::WrongRoot {
            expected: shown,
            found: doc.qname(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Import status

/// Where an imported package stands (`hws:ImportStatusCategory`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportState {
    /// Received, not yet imported ("received and will be processed by the IB").
    Pending,
    /// Imported into the Hague system: a service request exists.
    Imported {
        /// Its Service Request Number.
        srn: ServiceRequestNumber,
    },
    /// Refused: the package could not be imported. At least one reason.
    Rejected {
        /// Why, rule by rule.
        reasons: Vec<RejectionReason>,
    },
}

impl ImportState {
    /// The category name on the wire.
    pub fn category(&self) -> &'static str {
        match self {
            ImportState::Pending => "Pending",
            ImportState::Imported { .. } => "Imported",
            ImportState::Rejected { .. } => "Rejected",
        }
    }

    /// `true` once the import will not change any more.
    pub fn is_final(&self) -> bool {
        !matches!(self, ImportState::Pending)
    }
}

/// One reason a package was rejected (`hws:RejectionReason`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectionReason {
    /// The rule broken (e.g. `hague-package`'s rule id such as `one-xml`, or `xsd`).
    pub rule: String,
    /// What is wrong, for a person.
    pub message: String,
    /// Where in the package (a ZIP entry, `file.xml:12:5`...), when known.
    pub location: Option<String>,
}

/// The answer to `POST /request` and to `GET /request/import/{importId}` (`hws:ImportStatus`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStatus {
    /// The import ID.
    pub import_id: ImportId,
    /// Where the import stands.
    pub state: ImportState,
}

impl ImportStatus {
    const ROOT: &'static str = "hws:ImportStatus";

    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Self::ROOT);
        w.leaf("hws:ImportIdentifier", self.import_id.as_str());
        w.leaf("hws:ImportStatusCategory", self.state.category());
        match &self.state {
            ImportState::Pending => {}
            ImportState::Imported { srn } => w.leaf("hws:ServiceRequestNumber", srn.as_str()),
            ImportState::Rejected { reasons } => {
                w.open("hws:RejectionReasonBag");
                for r in reasons {
                    w.open("hws:RejectionReason");
                    w.leaf("hws:RuleIdentifier", &r.rule);
                    w.leaf("hws:ReasonText", &r.message);
                    if let Some(loc) = &r.location {
                        w.leaf("hws:Location", loc);
                    }
                    w.close("hws:RejectionReason");
                }
                w.close("hws:RejectionReasonBag");
            }
        }
        w.finish(Self::ROOT)
    }

    /// Reads the document strictly.
    pub fn from_xml(input: &[u8]) -> Result<Self, WireError> {
        let doc = xml::parse(input)?;
        let r = root(&doc, "ImportStatus", Self::ROOT)?;
        let mut c = container(r)?;
        let import_id = id_value(c.required(HWS_NS, "ImportIdentifier")?)?;
        let cat_el = c.required(HWS_NS, "ImportStatusCategory")?;
        let cat = token(cat_el)?;
        let state = match cat.as_str() {
            "Pending" => ImportState::Pending,
            "Imported" => ImportState::Imported {
                srn: id_value(c.required(HWS_NS, "ServiceRequestNumber")?)?,
            },
            "Rejected" => {
                let bag = c.required(HWS_NS, "RejectionReasonBag")?;
                let mut bc = container(bag)?;
                let mut reasons = Vec::new();
                for item in bc.repeated(HWS_NS, "RejectionReason") {
                    let mut ic = container(item)?;
                    let rule = token(ic.required(HWS_NS, "RuleIdentifier")?)?;
                    let message = token(ic.required(HWS_NS, "ReasonText")?)?;
                    let location = ic.optional(HWS_NS, "Location").map(token).transpose()?;
                    ic.end()?;
                    reasons.push(RejectionReason {
                        rule,
                        message,
                        location,
                    });
                }
                if reasons.is_empty() {
                    return Err(WireError::MissingElement {
                        parent: bag.qname(),
                        element: "hws:RejectionReason".into(),
                    });
                }
                bc.end()?;
                ImportState::Rejected { reasons }
            }
            _ => {
                return Err(WireError::InvalidValue {
                    element: cat_el.qname(),
                    value: cat,
                    reason: "expected Pending, Imported or Rejected".into(),
                });
            }
        };
        c.end()?;
        Ok(ImportStatus { import_id, state })
    }
}

// ---------------------------------------------------------------------------------------------
// Service request status

/// The processing status of a service request (`hws:ServiceRequestStatusCategory`): the six values
/// the HWS document lists, and any other value WIPO may add, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ServiceRequestStatusCategory {
    /// `Undefined`.
    Undefined,
    /// `Processing`.
    Processing,
    /// `Pending Regularization` (an irregularity to be remedied).
    PendingRegularization,
    /// `Registered`.
    Registered,
    /// `Abandoned`.
    Abandoned,
    /// `Cancelled`.
    Cancelled,
    /// A value not in the HWS document (forward compatibility).
    Other(String),
}

impl ServiceRequestStatusCategory {
    /// The six documented values, in the HWS document's order.
    pub const KNOWN: [ServiceRequestStatusCategory; 6] = [
        ServiceRequestStatusCategory::Undefined,
        ServiceRequestStatusCategory::Processing,
        ServiceRequestStatusCategory::PendingRegularization,
        ServiceRequestStatusCategory::Registered,
        ServiceRequestStatusCategory::Abandoned,
        ServiceRequestStatusCategory::Cancelled,
    ];

    /// The value on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ServiceRequestStatusCategory::Undefined => "Undefined",
            ServiceRequestStatusCategory::Processing => "Processing",
            ServiceRequestStatusCategory::PendingRegularization => "Pending Regularization",
            ServiceRequestStatusCategory::Registered => "Registered",
            ServiceRequestStatusCategory::Abandoned => "Abandoned",
            ServiceRequestStatusCategory::Cancelled => "Cancelled",
            ServiceRequestStatusCategory::Other(s) => s,
        }
    }

    /// `true` for the statuses that end a service request (Registered, Abandoned, Cancelled).
    /// An unknown value is not final: a client keeps asking (with its own overall timeout).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ServiceRequestStatusCategory::Registered
                | ServiceRequestStatusCategory::Abandoned
                | ServiceRequestStatusCategory::Cancelled
        )
    }
}

impl FromStr for ServiceRequestStatusCategory {
    type Err = std::convert::Infallible;

    /// Never fails: an unknown value becomes [`ServiceRequestStatusCategory::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or_else(|| ServiceRequestStatusCategory::Other(s.to_owned())))
    }
}

impl fmt::Display for ServiceRequestStatusCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ServiceRequestStatusCategory {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The answer to `GET /request/{serviceRequestId}` (`hws:ServiceRequestStatus`): "Request ID,
/// processing status, SRN, IRN and, when relevant, the expected publication date" (HWS document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRequestStatus {
    /// The Request ID: the IB's record identifier for the transaction (`com:RecordIdentifier`, as in
    /// ST.96's `HagueAcknowledgementReceipt`).
    pub request_id: String,
    /// The processing status.
    pub status: ServiceRequestStatusCategory,
    /// The Service Request Number.
    pub srn: ServiceRequestNumber,
    /// The International Registration Number (`com:InternationalRegistrationNumber`, e.g.
    /// `DM/212345`), once there is one.
    pub irn: Option<String>,
    /// When the registration is expected in the Bulletin, when relevant.
    pub expected_publication_date: Option<Date>,
}

impl ServiceRequestStatus {
    const ROOT: &'static str = "hws:ServiceRequestStatus";

    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Self::ROOT);
        w.leaf("com:RecordIdentifier", &self.request_id);
        w.leaf("hws:ServiceRequestStatusCategory", self.status.as_str());
        w.leaf("hws:ServiceRequestNumber", self.srn.as_str());
        if let Some(irn) = &self.irn {
            w.leaf("com:InternationalRegistrationNumber", irn);
        }
        if let Some(d) = self.expected_publication_date {
            w.leaf("hws:ExpectedPublicationDate", &format_date(d));
        }
        w.finish(Self::ROOT)
    }

    /// Reads the document strictly (an unknown status value is kept, not refused).
    pub fn from_xml(input: &[u8]) -> Result<Self, WireError> {
        let doc = xml::parse(input)?;
        let r = root(&doc, "ServiceRequestStatus", Self::ROOT)?;
        let mut c = container(r)?;
        let request_id = token(c.required(COM_NS, "RecordIdentifier")?)?;
        let status_text = token(c.required(HWS_NS, "ServiceRequestStatusCategory")?)?;
        let Ok(status) = status_text.parse();
        let srn = id_value(c.required(HWS_NS, "ServiceRequestNumber")?)?;
        let irn = c
            .optional(COM_NS, "InternationalRegistrationNumber")
            .map(token)
            .transpose()?;
        let expected_publication_date = match c.optional(HWS_NS, "ExpectedPublicationDate") {
            Some(e) => {
                let v = token(e)?;
                Some(parse_date(&v).ok_or_else(|| WireError::InvalidValue {
                    element: e.qname(),
                    value: v.clone(),
                    reason: "expected a date YYYY-MM-DD".into(),
                })?)
            }
            None => None,
        };
        c.end()?;
        Ok(ServiceRequestStatus {
            request_id,
            status,
            srn,
            irn,
            expected_publication_date,
        })
    }
}

/// `YYYY-MM-DD` (`xs:date` without a time zone).
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Reads `YYYY-MM-DD` (four-digit year, as `xs:date` without a time zone).
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

// ---------------------------------------------------------------------------------------------
// pingMe

/// The answer to `GET /pingMe?name=X` (`hws:HelloMessage`): "Hello message with the provided name
/// (nothing if not provided)" (HWS document, Appendix D).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelloMessage {
    /// The `name` query parameter, when given.
    pub name: Option<String>,
    /// The greeting.
    pub message: String,
}

impl HelloMessage {
    const ROOT: &'static str = "hws:HelloMessage";

    /// The greeting the sandbox sends for `name`: `Hello NAME` or `Hello`.
    pub fn for_name(name: Option<&str>) -> Self {
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let message = match &name {
            Some(n) => format!("Hello {n}"),
            None => "Hello".to_owned(),
        };
        HelloMessage { name, message }
    }

    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Self::ROOT);
        if let Some(n) = &self.name {
            w.leaf("hws:Name", n);
        }
        w.leaf("hws:MessageText", &self.message);
        w.finish(Self::ROOT)
    }

    /// Reads the document strictly.
    pub fn from_xml(input: &[u8]) -> Result<Self, WireError> {
        let doc = xml::parse(input)?;
        let r = root(&doc, "HelloMessage", Self::ROOT)?;
        let mut c = container(r)?;
        let name = c.optional(HWS_NS, "Name").map(token).transpose()?;
        let message = token(c.required(HWS_NS, "MessageText")?)?;
        c.end()?;
        Ok(HelloMessage { name, message })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The error codes the sandbox sends in [`ErrorDocument::code`] (our choice; WIPO's are unknown).
pub mod error_codes {
    /// 400: a malformed path parameter (e.g. a week id that is not `yyyyww`).
    pub const BAD_REQUEST: &str = "BadRequest";
    /// 400: the body of `POST /request` is not a ZIP upload.
    pub const INVALID_UPLOAD: &str = "InvalidUpload";
    /// 401: no valid Bearer token.
    pub const UNAUTHORIZED: &str = "Unauthorized";
    /// 403: the client may not use this resource (e.g. confidential copies).
    pub const FORBIDDEN: &str = "Forbidden";
    /// 404: no such import ID, SRN or issue.
    pub const NOT_FOUND: &str = "NotFound";
    /// 413: the upload is larger than the server takes.
    pub const PAYLOAD_TOO_LARGE: &str = "PayloadTooLarge";
    /// 415: the upload has a media type other than `application/zip` or `multipart/form-data`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UnsupportedMediaType";
    /// 416: a `Range` outside the body.
    pub const RANGE_NOT_SATISFIABLE: &str = "RangeNotSatisfiable";
    /// 429: too many requests.
    pub const TOO_MANY_REQUESTS: &str = "TooManyRequests";
    /// 500: the server failed.
    pub const INTERNAL_ERROR: &str = "InternalError";
    /// 502/503: the service is (temporarily) unavailable.
    pub const UNAVAILABLE: &str = "ServiceUnavailable";
}

/// An error answer (`hws:Error`): a code, a message and a hint for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDocument {
    /// A machine-readable code (see [`error_codes`]).
    pub code: String,
    /// What went wrong.
    pub message: String,
    /// What to do about it, when the server knows.
    pub hint: Option<String>,
}

impl ErrorDocument {
    const ROOT: &'static str = "hws:Error";

    /// The XML document.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new(Self::ROOT);
        w.leaf("hws:ErrorCode", &self.code);
        w.leaf("hws:ErrorMessage", &self.message);
        if let Some(h) = &self.hint {
            w.leaf("hws:Hint", h);
        }
        w.finish(Self::ROOT)
    }

    /// Reads the document strictly.
    pub fn from_xml(input: &[u8]) -> Result<Self, WireError> {
        let doc = xml::parse(input)?;
        let r = root(&doc, "Error", Self::ROOT)?;
        let mut c = container(r)?;
        let code = token(c.required(HWS_NS, "ErrorCode")?)?;
        let message = token(c.required(HWS_NS, "ErrorMessage")?)?;
        let hint = c.optional(HWS_NS, "Hint").map(token).transpose()?;
        c.end()?;
        Ok(ErrorDocument {
            code,
            message,
            hint,
        })
    }
}

#[cfg(test)]
mod tests;
