//! Input guards shared by every ST.96 reader of the project.
//!
//! ST.96 documents never need a document type declaration: the standard is defined by XML Schemas,
//! and WIPO's documents carry none. A `<!DOCTYPE ...>` can however declare entities that expand to
//! huge amounts of text ("billion laughs") or read local files, and deep nesting can exhaust the
//! stack of recursive readers. So every reader of the project refuses, **always**:
//!
//! - any `<!DOCTYPE ...>` ([`GuardError::Doctype`]), and any entity declaration inside one
//!   ([`GuardError::EntityDeclaration`]);
//! - any reference to an entity other than the five predefined ones (`&lt;` `&gt;` `&amp;`
//!   `&apos;` `&quot;`) and character references such as `&#x394;` ([`GuardError::UnknownEntity`]);
//! - element nesting deeper than [`Limits::max_depth`] ([`GuardError::TooDeep`]);
//! - in the streaming readers, a record (or the part of the document before the first one) of
//!   more than [`Limits::max_record_bytes`] ([`GuardError::RecordTooLarge`]): a huge text node,
//!   attribute or CDATA section is refused after that many bytes instead of being buffered whole;
//! - anything that is not well-formed XML 1.0 ([`GuardError::Malformed`]), including what
//!   `quick_xml` alone lets through: bytes that are not UTF-8, characters XML forbids (U+0000,
//!   U+0007, U+0019, U+001A, U+FFFE, ... raw or as `&#x7;`), a malformed or misplaced XML
//!   declaration, `--` inside a comment, processing instructions named `xml` or not named at all,
//!   element and attribute names that are not XML names, repeated attributes, `<` or a stray `&`
//!   in attribute values, reserved namespace declarations, `]]>` in text, and anything but
//!   white space, comments and processing instructions outside the root element.
//!
//! Two ways to use them:
//!
//! - [`check_input`] checks a whole document held in memory in one pass (no allocation per event),
//!   with exact line and column numbers;
//! - [`Guard`] is fed the events of your own `quick_xml` reader one at a time, for streaming
//!   readers that never hold the whole document.
//!
//! ```
//! use st96::detect::guard::{check_input, GuardError, Limits};
//!
//! let evil = b"<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<x>&a;</x>";
//! let err = check_input(evil, &Limits::default()).unwrap_err();
//! assert!(matches!(err, GuardError::EntityDeclaration { ref name, .. } if name == "a"));
//! assert_eq!(err.location().line, 2);
//!
//! let fine = b"<com:A xmlns:com=\"urn:x\"><com:B>1 &lt; 2</com:B></com:A>";
//! let summary = check_input(fine, &Limits::default()).unwrap();
//! assert_eq!(summary.max_depth, 2);
//! ```

use std::fmt;

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::wellformed;

/// The UTF-8 byte order mark. `quick_xml` skips it and does not count it in its positions.
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Limits applied by the input guards.
///
/// ```
/// use st96::detect::guard::Limits;
/// let strict = Limits { max_depth: 64, ..Limits::default() };
/// assert_eq!(Limits::default().max_depth, Limits::DEFAULT_MAX_DEPTH);
/// # let _ = strict;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest allowed element nesting; the root element is at depth 1. WIPO's Hague bulletins
    /// nest about 15 levels and MathML content a few dozen more, so the default
    /// ([`Limits::DEFAULT_MAX_DEPTH`]) leaves ample room while keeping recursive readers safe.
    pub max_depth: usize,
    /// How many bytes [`crate::detect::detect_reader`] reads at most before it must have seen the
    /// root start tag (XML declaration, comments and processing instructions included).
    pub max_prolog_bytes: u64,
    /// How many bytes one record may span in the streaming readers ([`crate::stream`]), and the
    /// part of the document before the first record. Each record is held whole while it is
    /// parsed, so this bounds their memory whatever the input: a 1 GB text node is refused
    /// after this many bytes, not buffered. The schema-richest records WIPO's schema allows are
    /// well under 1 MB; the default ([`Limits::DEFAULT_MAX_RECORD_BYTES`]) leaves room.
    pub max_record_bytes: u64,
}

impl Limits {
    /// Default for [`Limits::max_depth`].
    pub const DEFAULT_MAX_DEPTH: usize = 256;
    /// Default for [`Limits::max_prolog_bytes`]: 1 MiB.
    pub const DEFAULT_MAX_PROLOG_BYTES: u64 = 1 << 20;
    /// Default for [`Limits::max_record_bytes`]: 16 MiB.
    pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 << 20;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_prolog_bytes: Self::DEFAULT_MAX_PROLOG_BYTES,
            max_record_bytes: Self::DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

/// A position in the input: byte offset (counted from the first byte after a UTF-8 byte order
/// mark, like `quick_xml` counts), 1-based line and 1-based column (in bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    /// Byte offset from the start of the document (after a byte order mark, if any).
    pub offset: u64,
    /// Line number, starting at 1.
    pub line: u64,
    /// Column number in bytes, starting at 1.
    pub column: u64,
}

impl Location {
    /// The location of byte `offset` of `bytes`. `offset` is a `quick_xml` position: when `bytes`
    /// starts with a UTF-8 byte order mark, the mark is not counted.
    ///
    /// ```
    /// use st96::detect::guard::Location;
    /// let loc = Location::in_bytes(b"<a>\n  <b/>\n</a>", 6);
    /// assert_eq!((loc.line, loc.column), (2, 3));
    /// ```
    pub fn in_bytes(bytes: &[u8], offset: u64) -> Self {
        let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        let end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(body.len());
        let before = &body[..end];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        Self {
            offset,
            line,
            column: (end - line_start) as u64 + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why an input was refused. Every variant carries the [`Location`] of the offending markup, and
/// its message names the problem and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// The document has a `<!DOCTYPE ...>` declaration.
    #[error(
        "{location}: a <!DOCTYPE> declaration is not allowed in ST.96 input (ST.96 is defined by \
         XML Schemas; document type declarations are always refused for safety); remove the \
         <!DOCTYPE ...> declaration"
    )]
    Doctype {
        /// Where the declaration starts.
        location: Location,
    },
    /// The document declares an entity (`<!ENTITY name ...>` inside a `<!DOCTYPE>`).
    #[error(
        "{location}: entity declaration `{name}` refused (entity declarations are always refused: \
         they allow entity expansion attacks); remove the <!DOCTYPE ...> with its <!ENTITY ...> \
         declarations and write the text or a character reference such as &#x394; instead"
    )]
    EntityDeclaration {
        /// Name of the first declared entity (with a leading `%` for a parameter entity).
        name: String,
        /// Where the `<!DOCTYPE` that holds it starts.
        location: Location,
    },
    /// The document references an entity that is neither predefined nor a character reference.
    #[error(
        "{location}: reference to undeclared entity `&{name};` (only &lt; &gt; &amp; &apos; \
         &quot; and character references are allowed); replace it with the character itself or a \
         character reference such as &#x394;"
    )]
    UnknownEntity {
        /// The entity name, without `&` and `;`.
        name: String,
        /// Where the reference starts.
        location: Location,
    },
    /// Elements are nested deeper than [`Limits::max_depth`].
    #[error(
        "{location}: element <{element}> is nested {depth} levels deep, more than the limit of \
         {limit}; ST.96 documents are much flatter, so check the input (or raise Limits::max_depth \
         if the document is genuine)"
    )]
    TooDeep {
        /// Qualified name of the element that crossed the limit.
        element: String,
        /// Its depth (the root is at depth 1).
        depth: usize,
        /// The limit in force.
        limit: usize,
        /// Where its start tag begins.
        location: Location,
    },
    /// A record spans more than [`Limits::max_record_bytes`] (streaming readers only).
    #[error(
        "{location}: the record that starts here is longer than the limit of {limit} bytes (or \
         holds a text, attribute or CDATA section that long); it was refused without being read \
         whole. ST.96 records are far smaller, so check the input (or raise \
         Limits::max_record_bytes if the document is genuine)"
    )]
    RecordTooLarge {
        /// The limit in force.
        limit: u64,
        /// Where the record starts (or the document, before the first record).
        location: Location,
    },
    /// The input is not well-formed XML.
    #[error("{location}: the input is not well-formed XML: {message}; fix the XML syntax there")]
    Malformed {
        /// What the XML reader reported.
        message: String,
        /// Where the problem was found.
        location: Location,
    },
}

impl GuardError {
    /// Where the problem is.
    pub fn location(&self) -> Location {
        match self {
            Self::Doctype { location }
            | Self::EntityDeclaration { location, .. }
            | Self::UnknownEntity { location, .. }
            | Self::TooDeep { location, .. }
            | Self::RecordTooLarge { location, .. }
            | Self::Malformed { location, .. } => *location,
        }
    }

    fn location_mut(&mut self) -> &mut Location {
        match self {
            Self::Doctype { location }
            | Self::EntityDeclaration { location, .. }
            | Self::UnknownEntity { location, .. }
            | Self::TooDeep { location, .. }
            | Self::RecordTooLarge { location, .. }
            | Self::Malformed { location, .. } => location,
        }
    }

    /// Replaces the location by the exact one computed from the whole input.
    pub(crate) fn relocate_in(mut self, bytes: &[u8]) -> Self {
        let offset = self.location().offset;
        *self.location_mut() = Location::in_bytes(bytes, offset);
        self
    }
}

/// A byte budget between the input and a streaming `quick_xml` reader: it hands out at most
/// `limit` bytes after each [`Budget::restart`], then fails the read. `quick_xml` buffers a text
/// node, a tag or a CDATA section whole, so this is what keeps a 1 GB text node from being
/// buffered: the reader stops at the limit, and [`Budget::is_spent`] tells the caller why.
///
/// It also checks the characters of every byte handed out, a large piece at a time
/// ([`wellformed::scan_chars`]), so that the [`Guard`] need not check them event by event:
/// [`Budget::clean`] tells how far the input is known to hold only UTF-8 XML characters.
pub(crate) struct Budget<R> {
    inner: R,
    limit: u64,
    used: u64,
    /// Bytes consumed from the start of the input.
    consumed: u64,
    chars: CharScan,
}

/// The character check of a stream, fed each piece of the input once, as the reader's buffer
/// fills (so in large pieces, ahead of the events).
#[derive(Debug, Default)]
struct CharScan {
    /// Bytes from the start of the stream known to be UTF-8 XML characters.
    clean: u64,
    /// A problem was seen at or after `clean` (or the input could not be looked at): `clean`
    /// stays where it is, and the guard checks every event from there on.
    stopped: bool,
    /// The stream starts with a UTF-8 byte order mark (which `quick_xml` does not count).
    bom: bool,
    /// The start of a UTF-8 sequence cut at the end of the last piece (it follows `clean`).
    carry: [u8; 4],
    carry_len: usize,
}

impl CharScan {
    /// Bytes fed so far.
    fn seen(&self) -> u64 {
        self.clean + self.carry_len as u64
    }

    /// Checks the next piece of the stream (it starts at [`CharScan::seen`]).
    fn feed(&mut self, mut data: &[u8]) {
        if self.stopped || data.is_empty() {
            return;
        }
        if self.seen() == 0 {
            if data.starts_with(UTF8_BOM) {
                self.bom = true;
            } else if UTF8_BOM.starts_with(data) {
                // Too short to tell; the guard checks every event.
                self.stopped = true;
                return;
            }
        }
        if self.carry_len > 0 {
            let want = match self.carry[0] {
                0xF0..=0xF7 => 4,
                0xE0..=0xEF => 3,
                _ => 2,
            };
            let take = (want - self.carry_len).min(data.len());
            self.carry[self.carry_len..self.carry_len + take].copy_from_slice(&data[..take]);
            self.carry_len += take;
            data = &data[take..];
            if self.carry_len < want {
                return;
            }
            if wellformed::check_chars(&self.carry[..want]).is_err() {
                self.stopped = true;
                return;
            }
            self.clean += want as u64;
            self.carry_len = 0;
        }
        match wellformed::scan_chars(data) {
            wellformed::Scan::Clean(n) => {
                self.clean += n as u64;
                let rest = &data[n..];
                if rest.len() >= self.carry.len() {
                    self.stopped = true;
                } else {
                    self.carry[..rest.len()].copy_from_slice(rest);
                    self.carry_len = rest.len();
                }
            }
            wellformed::Scan::Problem => self.stopped = true,
        }
    }
}

impl<R: std::io::BufRead> Budget<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            limit,
            used: 0,
            consumed: 0,
            chars: CharScan::default(),
        }
    }

    /// Up to where (a `quick_xml` position: a byte order mark not counted) the input is known
    /// to hold only UTF-8 XML characters.
    pub(crate) fn clean_position(&self) -> u64 {
        let bom = if self.chars.bom {
            UTF8_BOM.len() as u64
        } else {
            0
        };
        self.chars.clean.saturating_sub(bom)
    }

    /// Starts a new budget (at the start of each record).
    pub(crate) fn restart(&mut self) {
        self.used = 0;
    }

    /// Whether the last failed read was this budget's doing.
    pub(crate) fn is_spent(&self) -> bool {
        self.used >= self.limit
    }

    /// The limit in force.
    pub(crate) fn limit(&self) -> u64 {
        self.limit
    }
}

impl<R: std::io::BufRead> std::io::Read for Budget<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Budget<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let left = self.limit.saturating_sub(self.used);
        let available = self.inner.fill_buf()?;
        // Check the characters of what is new in the buffer (everything consumed was fed).
        let seen = self.chars.seen();
        if !self.chars.stopped && seen < self.consumed + available.len() as u64 {
            match usize::try_from(seen - self.consumed)
                .ok()
                .and_then(|from| available.get(from..))
            {
                Some(new) => self.chars.feed(new),
                None => self.chars.stopped = true,
            }
        }
        // Nearly always the whole buffer fits in the budget.
        if available.len() as u64 <= left {
            return Ok(available);
        }
        if left == 0 {
            return Err(std::io::Error::other(format!(
                "more than {} bytes in one record",
                self.limit
            )));
        }
        // `left` is below the buffer's length here, so it fits in a `usize`.
        let n = usize::try_from(left).map_or(available.len(), |left| left.min(available.len()));
        Ok(&available[..n])
    }

    fn consume(&mut self, amount: usize) {
        self.used = self.used.saturating_add(amount as u64);
        self.consumed = self.consumed.saturating_add(amount as u64);
        if self.chars.seen() < self.consumed {
            // Bytes consumed without being fed (not expected: they come from `fill_buf`).
            self.chars.stopped = true;
        }
        self.inner.consume(amount);
    }
}

/// A streaming guard: feed it every event of your `quick_xml` reader, in document order.
///
/// It tracks the element depth and the line and column of each event, and refuses DOCTYPE,
/// entity declarations, unknown entity references and excessive nesting. It keeps no per-event
/// state besides counters, so memory stays flat on any input size.
///
/// Line numbers are exact as long as the reader does not trim text (`quick_xml`'s default);
/// newlines inside the whitespace of an end tag (`</a\n>`) are not seen. Use [`check_input`] when
/// the whole document is in memory to get exact positions in every case.
///
/// ```
/// use quick_xml::events::Event;
/// use quick_xml::reader::Reader;
/// use st96::detect::guard::{Guard, GuardError, Limits};
///
/// let xml = "<a>\n <b>\n  <c/>\n </b>\n</a>";
/// let mut reader = Reader::from_str(xml);
/// let mut guard = Guard::new(Limits { max_depth: 2, ..Limits::default() });
/// let err = loop {
///     let event = reader.read_event().unwrap();
///     if let Err(e) = guard.check(&event, reader.buffer_position()) {
///         break e;
///     }
///     if matches!(event, Event::Eof) {
///         unreachable!("the guard must refuse <c/>");
///     }
/// };
/// assert!(matches!(err, GuardError::TooDeep { depth: 3, .. }));
/// assert_eq!((err.location().line, err.location().column), (3, 3));
/// ```
#[derive(Debug, Clone)]
pub struct Guard {
    limits: Limits,
    /// Whether each event's bytes are checked for UTF-8 and XML characters ([`check_input`]
    /// checks the whole input at once instead).
    check_chars: bool,
    /// Whether an event was seen (the XML declaration must come first).
    started: bool,
    /// Whether the root element has ended (nothing but misc may follow).
    root_done: bool,
    depth: usize,
    max_depth_seen: usize,
    elements: u64,
    /// End offset of the previous event = start offset of the next one.
    position: u64,
    /// Line number at `position`.
    line: u64,
    /// Offset of the first byte of the line that contains `position`.
    line_start: u64,
    /// Events that end at or before this offset hold only UTF-8 XML characters (checked ahead
    /// by the caller, see [`Guard::set_clean_until`]).
    clean_until: u64,
    /// Element and attribute names already checked.
    names: NameCache,
}

/// Names already found to be XML names (a document repeats a few hundred names throughout): a
/// small two-way cache, so that most names cost one comparison instead of a check of each
/// byte. A slot holds a name of up to [`NameCache::LONGEST`] bytes (its length first).
#[derive(Clone)]
struct NameCache {
    slots: Box<[[u8; NameCache::LONGEST + 1]]>,
}

impl NameCache {
    const LONGEST: usize = 47;
    const SLOTS: usize = 1024;

    fn new() -> Self {
        Self {
            slots: vec![[0u8; Self::LONGEST + 1]; Self::SLOTS].into_boxed_slice(),
        }
    }

    /// The first of the two slots of a name: a hash of its length and of a few of its bytes.
    #[inline]
    fn slot_of(name: &[u8]) -> usize {
        let len = name.len();
        let at = |i: usize| usize::from(name[i]);
        let hash = len
            .wrapping_mul(31)
            .wrapping_add(at(0).wrapping_mul(7))
            .wrapping_add(at(len / 2).wrapping_mul(131))
            .wrapping_add(at(len - 1).wrapping_mul(1031));
        (hash % (Self::SLOTS / 2)) * 2
    }

    /// [`wellformed::check_qname`], remembering the names that pass.
    fn check(&mut self, name: &[u8]) -> Result<(), String> {
        let len = name.len();
        if len == 0 || len > Self::LONGEST {
            return wellformed::check_qname(name);
        }
        // Two slots per hash (the names of a schema are many enough for collisions to be
        // common): the newest name in the first, the one it pushed out in the second.
        let set = Self::slot_of(name);
        let held =
            |slot: &[u8; Self::LONGEST + 1]| usize::from(slot[0]) == len && &slot[1..=len] == name;
        if held(&self.slots[set]) || held(&self.slots[set + 1]) {
            return Ok(());
        }
        wellformed::check_qname(name)?;
        self.slots[set + 1] = self.slots[set];
        let slot = &mut self.slots[set];
        slot[0] = len as u8;
        slot[1..=len].copy_from_slice(name);
        Ok(())
    }
}

impl fmt::Debug for NameCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let used = self.slots.iter().filter(|s| s[0] != 0).count();
        f.debug_struct("NameCache").field("names", &used).finish()
    }
}

impl Guard {
    /// A guard with the given limits, positioned at the start of the document.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            check_chars: true,
            started: false,
            root_done: false,
            depth: 0,
            max_depth_seen: 0,
            elements: 0,
            position: 0,
            line: 1,
            line_start: 0,
            clean_until: 0,
            names: NameCache::new(),
        }
    }

    /// Tells the guard that the input up to `offset` (a `quick_xml` position) holds only UTF-8
    /// XML characters, checked by the caller, so that events ending there need no character
    /// check of their own.
    pub(crate) fn set_clean_until(&mut self, offset: u64) {
        self.clean_until = offset;
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Current element depth (0 outside the root element).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Deepest nesting seen so far.
    pub fn max_depth_seen(&self) -> usize {
        self.max_depth_seen
    }

    /// Offset where the next event starts (the end of the last event checked).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Number of elements (start tags and empty-element tags) seen so far.
    pub fn elements(&self) -> u64 {
        self.elements
    }

    /// Checks one event. `end_offset` is the reader's `buffer_position()` right after it returned
    /// the event; the event is taken to start where the previous one ended.
    ///
    /// Returns an error for a refused construct; the caller must then stop reading.
    pub fn check(&mut self, event: &Event<'_>, end_offset: u64) -> Result<(), GuardError> {
        let start = self.position;
        let location = self.location_at(start);
        let malformed = |message: String| GuardError::Malformed { message, location };
        let first = !std::mem::replace(&mut self.started, true);
        if self.check_chars
            && end_offset > self.clean_until
            && let Some(bytes) = event_bytes(event)
            && let Err((at, message)) = wellformed::check_chars(bytes)
        {
            // The event's content starts after its markup (`<`, `<!--`, ...).
            let offset = start + markup_len(event) + at as u64;
            return Err(GuardError::Malformed {
                message,
                location: self.location_at(offset),
            });
        }
        match event {
            Event::Start(e) | Event::Empty(e) => {
                if self.root_done {
                    return Err(malformed(
                        "a second element after the root element (a document has exactly one \
                         root element)"
                            .into(),
                    ));
                }
                self.names.check(e.name().as_ref()).map_err(malformed)?;
                check_attributes(e, &mut self.names).map_err(malformed)?;
                if matches!(event, Event::Empty(_)) && self.depth == 0 {
                    self.root_done = true;
                }
                let depth = self.depth + 1;
                if depth > self.limits.max_depth {
                    return Err(GuardError::TooDeep {
                        element: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                        depth,
                        limit: self.limits.max_depth,
                        location,
                    });
                }
                self.elements += 1;
                self.max_depth_seen = self.max_depth_seen.max(depth);
                if matches!(event, Event::Start(_)) {
                    self.depth = depth;
                }
                self.advance(start + 1, e);
            }
            Event::End(e) => {
                self.depth = self.depth.saturating_sub(1);
                if self.depth == 0 {
                    self.root_done = true;
                }
                self.advance(start + 2, e);
            }
            Event::Text(e) => {
                if self.depth == 0 {
                    if let Some(at) = e.iter().position(|&b| !wellformed::is_xml_space(b)) {
                        return Err(GuardError::Malformed {
                            message: "text outside the root element (only white space, comments \
                                      and processing instructions may come before or after it)"
                                .into(),
                            location: self.location_at(start + at as u64),
                        });
                    }
                } else if memchr::memchr(b']', e).is_some()
                    && memchr::memmem::find(e, b"]]>").is_some()
                {
                    return Err(malformed(
                        "`]]>` in text (XML 1.0 §2.4); write `]]&gt;`".into(),
                    ));
                }
                self.advance(start, e);
            }
            Event::CData(e) => {
                if self.depth == 0 {
                    return Err(malformed("a CDATA section outside the root element".into()));
                }
                self.advance(start + 9, e);
            }
            Event::Comment(e) => {
                wellformed::check_comment(e).map_err(malformed)?;
                self.advance(start + 4, e);
            }
            Event::PI(e) => {
                wellformed::check_pi(e).map_err(malformed)?;
                self.advance(start + 2, e);
            }
            Event::Decl(e) => {
                if !first || start != 0 {
                    return Err(malformed(
                        "an XML declaration that is not at the very start of the document \
                         (nothing, not even white space, may come before `<?xml`)"
                            .into(),
                    ));
                }
                wellformed::check_decl(e).map_err(malformed)?;
                self.advance(start + 2, e);
            }
            Event::DocType(e) => {
                return Err(match entity_declared(e) {
                    Some(name) => GuardError::EntityDeclaration { name, location },
                    None => GuardError::Doctype { location },
                });
            }
            Event::GeneralRef(e) => {
                if self.depth == 0 {
                    return Err(malformed("a reference outside the root element".into()));
                }
                if e.is_char_ref() {
                    wellformed::check_reference(e).map_err(malformed)?;
                } else if !matches!(e.as_ref(), b"lt" | b"gt" | b"amp" | b"apos" | b"quot") {
                    return Err(GuardError::UnknownEntity {
                        name: String::from_utf8_lossy(e.as_ref()).into_owned(),
                        location,
                    });
                }
            }
            Event::Eof => {}
        }
        self.position = end_offset.max(self.position);
        Ok(())
    }

    /// The location of `offset`, which must not lie before the end of the last event checked
    /// (use it for the reader's `error_position()` after a `quick_xml` error).
    pub fn location_at(&self, offset: u64) -> Location {
        Location {
            offset,
            line: self.line,
            column: offset.saturating_sub(self.line_start) + 1,
        }
    }

    /// Turns a `quick_xml` error into [`GuardError::Malformed`] located at `error_position`
    /// (the reader's `error_position()`).
    pub fn malformed(&self, error: &quick_xml::Error, error_position: u64) -> GuardError {
        GuardError::Malformed {
            message: error.to_string(),
            location: self.location_at(error_position),
        }
    }

    /// Counts the newlines of `content`, which starts at `content_offset`.
    fn advance(&mut self, content_offset: u64, content: &[u8]) {
        // Most events hold no newline at all, and most that do hold one: the last newline
        // is looked for from the end (`memchr`'s vector search, much cheaper per call than the
        // standard library's), then the newlines before it are counted.
        let Some(last) = memchr::memrchr(b'\n', content) else {
            return;
        };
        let newlines = 1 + memchr::memchr_iter(b'\n', &content[..last]).count();
        self.line += newlines as u64;
        self.line_start = content_offset + last as u64 + 1;
    }
}

/// The bytes of an event that hold characters (to check for UTF-8 and XML characters).
fn event_bytes<'e>(event: &'e Event<'_>) -> Option<&'e [u8]> {
    match event {
        Event::Start(e) | Event::Empty(e) => Some(e),
        Event::End(e) => Some(e),
        Event::Text(e) => Some(e),
        Event::CData(e) => Some(e),
        Event::Comment(e) => Some(e),
        Event::PI(e) => Some(e),
        Event::Decl(e) => Some(e),
        Event::DocType(e) => Some(e),
        Event::GeneralRef(e) => Some(e),
        Event::Eof => None,
    }
}

/// Length of the markup before an event's content (`<`, `</`, `<!--`, ...).
fn markup_len(event: &Event<'_>) -> u64 {
    match event {
        Event::Start(_) | Event::Empty(_) | Event::GeneralRef(_) => 1,
        Event::End(_) | Event::PI(_) | Event::Decl(_) => 2,
        Event::Comment(_) => 4,
        Event::CData(_) | Event::DocType(_) => 9,
        Event::Text(_) | Event::Eof => 0,
    }
}

/// Checks the attributes of a start tag: well-formed (quoted, separated, not repeated), XML
/// names, values without `<` or stray `&`, and namespace declarations that XML allows.
fn check_attributes(
    e: &quick_xml::events::BytesStart<'_>,
    names: &mut NameCache,
) -> Result<(), String> {
    if e.attributes_raw()
        .iter()
        .all(|&b| wellformed::is_xml_space(b) || b == b'/')
    {
        return Ok(());
    }
    // Duplicates are looked for here rather than by quick_xml's checks, which allocate per tag.
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut first: [&[u8]; 8] = [&[]; 8];
    for (n, attr) in e.attributes().with_checks(false).enumerate() {
        let attr = attr.map_err(|err| format!("malformed attribute: {err}"))?;
        let key: &[u8] = attr.key.into_inner();
        if first[..n.min(8)].contains(&key) || keys.contains(&key) {
            return Err(format!(
                "attribute {} appears twice in one tag",
                String::from_utf8_lossy(key)
            ));
        }
        if n < 8 {
            first[n] = key;
        } else {
            keys.push(key);
        }
        names.check(key)?;
        wellformed::check_attribute_value(&attr.value)?;
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            wellformed::check_namespace_declaration(key, &attr.value)?;
        }
    }
    Ok(())
}

/// The name of the first `<!ENTITY` declared in a DOCTYPE's text, if any.
fn entity_declared(doctype: &[u8]) -> Option<String> {
    const MARK: &[u8] = b"<!ENTITY";
    let at = doctype.windows(MARK.len()).position(|w| w == MARK)?;
    let rest = &doctype[at + MARK.len()..];
    let mut words = rest
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or_default();
    let name = if first == b"%" {
        let next = words.next().unwrap_or_default();
        format!("%{}", String::from_utf8_lossy(next))
    } else {
        String::from_utf8_lossy(first).into_owned()
    };
    Some(name)
}

/// What [`check_input`] saw in an accepted document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputSummary {
    /// Number of elements.
    pub elements: u64,
    /// Deepest element nesting (the root is at depth 1).
    pub max_depth: usize,
}

/// Checks a whole document held in memory against the input guards (and for well-formedness) in
/// one pass, before any other reader touches it.
///
/// Errors carry exact line and column numbers. See the [module documentation](self) for what is
/// refused.
pub fn check_input(bytes: &[u8], limits: &Limits) -> Result<InputSummary, GuardError> {
    // Characters first, over the whole input at once (faster than per event).
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if let Err((at, message)) = wellformed::check_chars(body) {
        return Err(GuardError::Malformed {
            message,
            location: Location::in_bytes(bytes, at as u64),
        });
    }
    let mut reader = Reader::from_reader(bytes);
    let mut guard = Guard::new(limits.clone());
    guard.check_chars = false;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                return Err(guard
                    .malformed(&err, reader.error_position())
                    .relocate_in(bytes));
            }
        };
        let eof = matches!(event, Event::Eof);
        guard
            .check(&event, reader.buffer_position())
            .map_err(|e| e.relocate_in(bytes))?;
        if eof {
            break;
        }
    }
    if guard.elements() == 0 || guard.depth() > 0 {
        let message = if guard.elements() == 0 {
            "the document has no root element"
        } else {
            "the document ends before its elements are closed (truncated input?)"
        };
        return Err(GuardError::Malformed {
            message: message.to_owned(),
            location: Location::in_bytes(bytes, reader.buffer_position()),
        });
    }
    Ok(InputSummary {
        elements: guard.elements(),
        max_depth: guard.max_depth_seen(),
    })
}
