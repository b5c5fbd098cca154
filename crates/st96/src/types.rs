//! Hand-written value types used by the generated models.
//!
//! - [`Decimal`], [`Date`], [`DateTime`], [`GYear`]: XSD built-ins that keep the exact text of
//!   the document (so `160.70` stays `160.70` on a round trip) and are validated when read.
//! - [`OpaqueXml`]: MathML formulas and OASIS tables, kept as the original bytes instead of
//!   typed models (typed MathML alone would be 70 % of the generated code).

use std::borrow::Cow;
use std::fmt;

use xsd_parser_types::quick_xml::{
    BytesText, DeserializeBytes, DeserializeHelper, Deserializer, DeserializerArtifact,
    DeserializerEvent, DeserializerOutput, DeserializerResult, Error, ErrorKind, Event,
    SerializeBytes, SerializeHelper, Serializer, WithDeserializer, WithDeserializerFromBytes,
    WithSerializeToBytes, WithSerializer,
};

/// Why a lexical value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid xs:{kind}: {reason}")]
pub struct LexicalError {
    /// The XSD type name (`decimal`, `date`, ...).
    pub kind: &'static str,
    /// The offending text.
    pub value: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

fn lex_err(kind: &'static str, value: &str, reason: impl Into<String>) -> LexicalError {
    LexicalError {
        kind,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

macro_rules! text_type {
    ($(#[$m:meta])* $name:ident, $kind:literal, $check:path) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates `s` and keeps it verbatim.
            ///
            /// # Errors
            /// [`LexicalError`] naming what is wrong with `s`.
            pub fn new(s: impl Into<String>) -> Result<Self, LexicalError> {
                let s = s.into();
                $check(&s)?;
                Ok(Self(s))
            }

            /// The text exactly as it appears in the document.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = LexicalError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl DeserializeBytes for $name {
            fn deserialize_bytes(
                _helper: &mut DeserializeHelper,
                bytes: &[u8],
            ) -> Result<Self, Error> {
                let s = std::str::from_utf8(crate::strict::trim(bytes))
                    .map_err(|e| Error::from(ErrorKind::from(e)))?;
                // XML white space only (a no-break space is part of the value, and wrong).
                Self::new(s).map_err(Error::custom)
            }
        }
        impl WithDeserializerFromBytes for $name {}

        impl SerializeBytes for $name {
            fn serialize_bytes(
                &self,
                _helper: &mut SerializeHelper,
            ) -> Result<Option<Cow<'_, str>>, Error> {
                Ok(Some(Cow::Borrowed(&self.0)))
            }
        }
        impl WithSerializeToBytes for $name {}
    };
}

text_type!(
    /// An `xs:decimal`, kept as written (`160.70` stays `160.70`).
    ///
    /// ```
    /// let d: st96::types::Decimal = "160.70".parse().unwrap();
    /// assert_eq!(d.as_str(), "160.70");
    /// assert_eq!(d.to_f64(), 160.7);
    /// assert!("1,5".parse::<st96::types::Decimal>().is_err());
    /// ```
    Decimal,
    "decimal",
    check_decimal
);
text_type!(
    /// An `xs:date` (`YYYY-MM-DD` with an optional time zone), checked for a real calendar day.
    ///
    /// ```
    /// let d: st96::types::Date = "2024-02-29".parse().unwrap();
    /// assert_eq!((d.year(), d.month(), d.day()), (2024, 2, 29));
    /// assert!("2023-02-29".parse::<st96::types::Date>().is_err());
    /// ```
    Date,
    "date",
    check_date
);
text_type!(
    /// An `xs:dateTime` (`YYYY-MM-DDThh:mm:ss[.fff][zone]`).
    ///
    /// ```
    /// let d: st96::types::DateTime = "2024-05-01T10:00:00Z".parse().unwrap();
    /// assert_eq!(d.date().as_str(), "2024-05-01");
    /// ```
    DateTime,
    "dateTime",
    check_date_time
);
text_type!(
    /// An `xs:gYear` (`YYYY` with an optional time zone).
    GYear,
    "gYear",
    check_g_year
);

text_type!(
    /// An `xs:gYearMonth` (`YYYY-MM` with an optional time zone).
    GYearMonth,
    "gYearMonth",
    check_g_year_month
);

impl Decimal {
    /// The value as `f64` (may lose precision; the text is the authoritative value).
    #[must_use]
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl Date {
    /// The year (may be negative per XSD).
    #[must_use]
    pub fn year(&self) -> i64 {
        parse_ymd(&self.0).map_or(0, |(y, _, _, _)| y)
    }
    /// The month, 1–12.
    #[must_use]
    pub fn month(&self) -> u32 {
        parse_ymd(&self.0).map_or(0, |(_, m, _, _)| m)
    }
    /// The day of the month, 1–31.
    #[must_use]
    pub fn day(&self) -> u32 {
        parse_ymd(&self.0).map_or(0, |(_, _, d, _)| d)
    }
}

impl DateTime {
    /// The date part.
    #[must_use]
    pub fn date(&self) -> Date {
        let end = self.0.find('T').unwrap_or(self.0.len());
        Date(self.0[..end].to_owned())
    }
}

fn check_decimal(s: &str) -> Result<(), LexicalError> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return Err(lex_err(
            "decimal",
            s,
            "expected digits with an optional sign and one `.` (for example 160.70)",
        ));
    }
    Ok(())
}

/// Parses `[-]YYYY-MM-DD` and returns (year, month, day, rest).
fn parse_ymd(s: &str) -> Option<(i64, u32, u32, &str)> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let ylen = body.bytes().take_while(u8::is_ascii_digit).count();
    if !year_ok(&body[..ylen]) {
        return None;
    }
    let year: i64 = body[..ylen].parse().ok()?;
    let rest = body[ylen..].strip_prefix('-')?;
    let month = two_digits(rest)?;
    let rest = rest[2..].strip_prefix('-')?;
    let day = two_digits(rest)?;
    let year = if neg { -year } else { year };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some((year, month, day, &rest[2..]))
}

fn two_digits(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit() {
        Some(u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0'))
    } else {
        None
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn check_zone(z: &str) -> bool {
    if z.is_empty() || z == "Z" {
        return true;
    }
    let Some(body) = z.strip_prefix(['+', '-']) else {
        return false;
    };
    let b = body.as_bytes();
    let (h, m) = (
        two_digits(body),
        two_digits(body.get(3..).unwrap_or_default()),
    );
    b.len() == 5
        && b[2] == b':'
        && matches!((h, m), (Some(h), Some(m)) if (h < 14 && m <= 59) || (h == 14 && m == 0))
}

fn check_date(s: &str) -> Result<(), LexicalError> {
    match parse_ymd(s) {
        Some((_, _, _, zone)) if check_zone(zone) => Ok(()),
        _ => Err(lex_err(
            "date",
            s,
            "expected a real calendar day as YYYY-MM-DD (for example 2024-05-01)",
        )),
    }
}

fn check_date_time(s: &str) -> Result<(), LexicalError> {
    let bad = || {
        lex_err(
            "dateTime",
            s,
            "expected YYYY-MM-DDThh:mm:ss with optional fraction and zone (for example \
             2024-05-01T10:00:00Z)",
        )
    };
    let (_, _, _, rest) = parse_ymd(s).ok_or_else(bad)?;
    let t = rest.strip_prefix('T').ok_or_else(bad)?;
    let b = t.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return Err(bad());
    }
    let (h, m, sec) = (
        two_digits(t).ok_or_else(bad)?,
        two_digits(&t[3..]).ok_or_else(bad)?,
        two_digits(&t[6..]).ok_or_else(bad)?,
    );
    let mut rest = &t[8..];
    if let Some(f) = rest.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        rest = &f[n..];
    }
    let midnight_24 = h == 24 && m == 0 && sec == 0;
    if (h > 23 && !midnight_24) || m > 59 || sec > 59 || !check_zone(rest) {
        return Err(bad());
    }
    Ok(())
}

fn check_g_year_month(s: &str) -> Result<(), LexicalError> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let n = body.bytes().take_while(u8::is_ascii_digit).count();
    let ok = year_ok(&body[..n])
        && body[n..].strip_prefix('-').is_some_and(|rest| {
            two_digits(rest).is_some_and(|m| (1..=12).contains(&m)) && check_zone(&rest[2..])
        });
    if ok {
        Ok(())
    } else {
        Err(lex_err(
            "gYearMonth",
            s,
            "expected YYYY-MM (for example 2024-05)",
        ))
    }
}

/// A year as XSD writes it: at least four digits, no leading zero beyond four, and (as every
/// validator measured here: libxml2, xsd-schema, Python xmlschema) within a 64-bit integer.
/// Year 0000 is refused, as XSD 1.0 (which WIPO's schemas are written for) and those
/// validators do.
fn year_ok(digits: &str) -> bool {
    digits.len() >= 4
        && (digits.len() == 4 || !digits.starts_with('0'))
        && digits.parse::<i64>().is_ok_and(|y| y != 0)
}

fn check_g_year(s: &str) -> Result<(), LexicalError> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let n = body.bytes().take_while(u8::is_ascii_digit).count();
    if !year_ok(&body[..n]) || !check_zone(&body[n..]) {
        return Err(lex_err(
            "gYear",
            s,
            "expected a four-digit year (for example 2024)",
        ));
    }
    Ok(())
}

/// An XML element kept verbatim: a MathML `math` formula or an OASIS `com:IPOASISTable`.
///
/// The text is the element exactly as it appeared in the document, from `<` to its end tag,
/// character references such as `&#x394;` included. Namespace prefixes inside refer to the
/// declarations in scope in the document (usually on its root element).
///
/// ```
/// let x = st96::types::OpaqueXml::new("<m:math><m:mi>&#x394;</m:mi></m:math>");
/// assert!(x.as_str().contains("&#x394;"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct OpaqueXml(String);

impl OpaqueXml {
    /// Wraps an already serialized element (written out unchanged).
    #[must_use]
    pub fn new(xml: impl Into<String>) -> Self {
        Self(xml.into())
    }

    /// The element's original XML.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OpaqueXml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpaqueXml({:?})", self.0)
    }
}

/// Collects the events of one element back into its source text.
#[derive(Debug)]
pub struct OpaqueXmlDeserializer {
    xml: String,
    depth: usize,
}

fn push_utf8(out: &mut String, bytes: &[u8]) -> Result<(), Error> {
    out.push_str(std::str::from_utf8(bytes).map_err(|e| Error::from(ErrorKind::from(e)))?);
    Ok(())
}

impl WithDeserializer for OpaqueXml {
    type Deserializer = OpaqueXmlDeserializer;
}

impl<'de> Deserializer<'de, OpaqueXml> for OpaqueXmlDeserializer {
    fn init(
        _helper: &mut DeserializeHelper,
        event: Event<'de>,
    ) -> DeserializerResult<'de, OpaqueXml> {
        let mut xml = String::new();
        match event {
            Event::Start(s) => {
                xml.push('<');
                push_utf8(&mut xml, &s)?;
                xml.push('>');
                Ok(DeserializerOutput {
                    artifact: DeserializerArtifact::Deserializer(Self { xml, depth: 1 }),
                    event: DeserializerEvent::None,
                    allow_any: false,
                })
            }
            Event::Empty(s) => {
                xml.push('<');
                push_utf8(&mut xml, &s)?;
                xml.push_str("/>");
                Ok(DeserializerOutput {
                    artifact: DeserializerArtifact::Data(OpaqueXml(xml)),
                    event: DeserializerEvent::None,
                    allow_any: false,
                })
            }
            event => Ok(DeserializerOutput {
                artifact: DeserializerArtifact::None,
                event: DeserializerEvent::Continue(event),
                allow_any: false,
            }),
        }
    }

    fn next(
        mut self,
        _helper: &mut DeserializeHelper,
        event: Event<'de>,
    ) -> DeserializerResult<'de, OpaqueXml> {
        match &event {
            Event::Start(s) => {
                self.xml.push('<');
                push_utf8(&mut self.xml, s)?;
                self.xml.push('>');
                self.depth += 1;
            }
            Event::Empty(s) => {
                self.xml.push('<');
                push_utf8(&mut self.xml, s)?;
                self.xml.push_str("/>");
            }
            Event::End(e) => {
                self.xml.push_str("</");
                push_utf8(&mut self.xml, e)?;
                self.xml.push('>');
                self.depth -= 1;
                if self.depth == 0 {
                    return Ok(DeserializerOutput {
                        artifact: DeserializerArtifact::Data(OpaqueXml(self.xml)),
                        event: DeserializerEvent::None,
                        allow_any: false,
                    });
                }
            }
            Event::Text(t) => push_utf8(&mut self.xml, t)?,
            Event::GeneralRef(r) => {
                self.xml.push('&');
                push_utf8(&mut self.xml, r)?;
                self.xml.push(';');
            }
            Event::CData(c) => {
                self.xml.push_str("<![CDATA[");
                push_utf8(&mut self.xml, c)?;
                self.xml.push_str("]]>");
            }
            Event::Comment(c) => {
                self.xml.push_str("<!--");
                push_utf8(&mut self.xml, c)?;
                self.xml.push_str("-->");
            }
            Event::PI(p) => {
                self.xml.push_str("<?");
                push_utf8(&mut self.xml, p)?;
                self.xml.push_str("?>");
            }
            Event::Eof => {
                return Err(ErrorKind::UnexpectedEoF.into());
            }
            Event::Decl(_) | Event::DocType(_) => {
                return Err(ErrorKind::UnexpectedEvent(event.into_owned()).into());
            }
        }
        Ok(DeserializerOutput {
            artifact: DeserializerArtifact::Deserializer(self),
            event: DeserializerEvent::None,
            allow_any: false,
        })
    }

    fn finish(self, _helper: &mut DeserializeHelper) -> Result<OpaqueXml, Error> {
        Err(ErrorKind::UnexpectedEoF.into())
    }
}

/// Writes the stored element unchanged.
#[derive(Debug)]
pub struct OpaqueXmlSerializer<'ser> {
    value: Option<&'ser OpaqueXml>,
}

impl WithSerializer for OpaqueXml {
    type Serializer<'x> = OpaqueXmlSerializer<'x>;

    fn serializer<'ser>(
        &'ser self,
        _name: Option<&'ser str>,
        _is_root: bool,
    ) -> Result<Self::Serializer<'ser>, Error> {
        Ok(OpaqueXmlSerializer { value: Some(self) })
    }
}

impl<'ser> Serializer<'ser> for OpaqueXmlSerializer<'ser> {
    fn next(&mut self, _helper: &mut SerializeHelper) -> Option<Result<Event<'ser>, Error>> {
        let v = self.value.take()?;
        Some(Ok(Event::Text(BytesText::from_escaped(v.0.as_str()))))
    }
}
