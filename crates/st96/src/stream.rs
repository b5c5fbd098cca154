//! Streaming a Hague bulletin record by record, in flat memory.
//!
//! A `dgn:HagueIBToOfficeTransaction` carrying a `dgn:HagueBulletin` can hold hundreds of
//! megabytes of records. [`BulletinReader`] reads it from any [`BufRead`] and yields one typed
//! [`BulletinRecord`] at a time (`dgn:HagueRegistration`, `dgn:HagueRefusal`, ...), so memory
//! stays at the size of the largest record whatever the file size.
//!
//! The same input guards as a whole-document read apply (DOCTYPE and entity declarations
//! refused, nesting depth limited), and errors carry the element path and line/column.
//!
//! ```no_run
//! use std::{fs::File, io::BufReader};
//! use st96::stream::{BulletinReader, BulletinRecord};
//!
//! let mut reader = BulletinReader::new(BufReader::new(File::open("bulletin.xml")?))?;
//! println!("bulletin {}", reader.header().hague_bulletin_number);
//! for record in &mut reader {
//!     match record? {
//!         BulletinRecord::Registration(r) => println!("registration {:?}", r.international_registration_number),
//!         other => println!("{}", other.element_name()),
//!     }
//! }
//! # Ok::<(), st96::Error>(())
//! ```

use std::io::BufRead;
use std::sync::mpsc;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use xsd_parser_types::quick_xml::{DeserializeSync, SliceReader, XmlReader};

use crate::detect::{self, DESIGN_NS, Guard, Limits, Location, Warning};
use crate::document::{Error, PARSE_STACK_BYTES};
use crate::v6::hague::dgn;

macro_rules! records {
    ($( $variant:ident => ($bag:literal, $elem:literal, $ty:ident), )*) => {
        /// One record of a Hague bulletin, typed.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum BulletinRecord {
            $(
                #[doc = concat!("`dgn:", $elem, "` (inside `dgn:", $bag, "`).")]
                $variant(Box<dgn::$ty>),
            )*
        }

        impl BulletinRecord {
            /// The record's element name, e.g. `dgn:HagueRegistration`.
            pub fn element_name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => concat!("dgn:", $elem), )*
                }
            }
        }

        /// The record element expected inside bag `bag` (local names).
        fn record_of_bag(bag: &[u8]) -> Option<&'static str> {
            match bag {
                $( x if x == $bag.as_bytes() => Some($elem), )*
                _ => None,
            }
        }

        fn parse_record(name: &str, xml: &[u8]) -> Result<BulletinRecord, xsd_parser_types::quick_xml::Error> {
            let mut reader = SliceReader::from_bytes(xml).with_error_info();
            match name {
                $( $elem => Ok(BulletinRecord::$variant(Box::new(dgn::$ty::deserialize(&mut reader)?))), )*
                _ => Err(xsd_parser_types::quick_xml::Error::custom(UnknownRecord(name.to_owned()))),
            }
        }
    };
}

records! {
    Registration => ("HagueRegistrationBag", "HagueRegistration", HagueRegistrationType),
    Renewal => ("HagueRenewalBag", "HagueRenewal", HagueRenewalType),
    Expiration => ("HagueExpirationBag", "HagueExpiration", HagueExpirationType),
    OwnershipChange => ("HagueOwnershipChangeBag", "HagueOwnershipChange", HagueOwnershipChangeType),
    OwnershipChangeRefusal => ("HagueOwnershipChangeRefusalBag", "HagueOwnershipChangeRefusal", HagueOwnershipChangeRefusalType),
    OwnershipChangeRefusalWithdrawal => ("HagueOwnershipChangeRefusalWithdrawalBag", "HagueOwnershipChangeRefusalWithdrawal", HagueOwnershipChangeRefusalWithdrawalType),
    Merger => ("HagueMergerBag", "HagueMerger", HagueMergerType),
    HolderNameAddressChange => ("HagueHolderNameAddressChangeBag", "HagueHolderNameAddressChange", HagueHolderNameAddressChangeType),
    CreatorNameAddressChange => ("HagueCreatorNameAddressChangeBag", "HagueCreatorNameAddressChange", HagueCreatorNameAddressChangeType),
    Renunciation => ("HagueRenunciationBag", "HagueRenunciation", HagueRenunciationType),
    Limitation => ("HagueLimitationBag", "HagueLimitation", HagueLimitationType),
    Refusal => ("HagueRefusalBag", "HagueRefusal", HagueRefusalType),
    RefusalWithdrawal => ("HagueRefusalWithdrawalBag", "HagueRefusalWithdrawal", HagueRefusalWithdrawalType),
    GrantProtection => ("HagueGrantProtectionBag", "HagueGrantProtection", HagueGrantProtectionType),
    Invalidation => ("HagueInvalidationBag", "HagueInvalidation", HagueInvalidationType),
    CancellationNonPayment => ("HagueCancellationNonPaymentBag", "HagueCancellationNonPayment", HagueCancellationNonPaymentType),
    Correction => ("HagueCorrectionBag", "HagueCorrection", HagueCorrectionType),
    CorrectionRefusal => ("HagueCorrectionRefusalBag", "HagueCorrectionRefusal", HagueCorrectionRefusalType),
    CorrectionRefusalWithdrawal => ("HagueCorrectionRefusalWithdrawalBag", "HagueCorrectionRefusalWithdrawal", HagueCorrectionRefusalWithdrawalType),
}

#[derive(Debug, thiserror::Error)]
#[error("<{0}> is not a Hague bulletin record")]
struct UnknownRecord(String);

type Job = (&'static str, Vec<u8>);
type Done = (
    Vec<u8>,
    Result<BulletinRecord, xsd_parser_types::quick_xml::Error>,
);

/// Parses records on a thread with a large stack (the record types are deep).
struct Worker {
    jobs: mpsc::Sender<Job>,
    done: mpsc::Receiver<Done>,
}

impl Worker {
    fn start() -> Result<Self, Error> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (done_tx, done) = mpsc::channel::<Done>();
        std::thread::Builder::new()
            .name("st96-records".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn(move || {
                for (name, xml) in job_rx {
                    let result = parse_record(name, &xml);
                    if done_tx.send((xml, result)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self { jobs, done })
    }

    fn parse(&self, name: &'static str, xml: Vec<u8>) -> Result<Done, Error> {
        let lost = || Error::Internal("the record parser thread stopped (a panic)".into());
        self.jobs.send((name, xml)).map_err(|_| lost())?;
        self.done.recv().map_err(|_| lost())
    }
}

/// Reads a Hague bulletin record by record. See the [module documentation](self).
pub struct BulletinReader<R: BufRead> {
    reader: NsReader<R>,
    buf: Vec<u8>,
    guard: Guard,
    /// Names of the open elements (qualified, as written).
    path: Vec<String>,
    /// Namespace declarations of the open elements, raw (`xmlns:p="uri"`), one list per depth.
    decls: Vec<Vec<u8>>,
    header: dgn::HagueBulletinTransactionHeaderType,
    declared_version: Option<String>,
    warnings: Vec<Warning>,
    /// The record element expected inside the open bag.
    current_record: Option<&'static str>,
    record_buf: Vec<u8>,
    worker: Worker,
    records: u64,
    finished: bool,
}

impl<R: BufRead> std::fmt::Debug for BulletinReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulletinReader")
            .field("path", &self.path)
            .field("records", &self.records)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// Depth of the bulletin's bags: root(1) / HagueBulletin(2) / HagueBulletinTransactionBag(3) / bag(4).
const BAG_DEPTH: usize = 4;

impl<R: BufRead> BulletinReader<R> {
    /// Opens a bulletin: checks the root (`dgn:HagueIBToOfficeTransaction` with a
    /// `dgn:HagueBulletin`) and its declared version, and reads the bulletin header.
    ///
    /// # Errors
    /// [`Error`] naming the problem and its line/column: not a bulletin, refused input (DOCTYPE,
    /// entities, depth), malformed XML, invalid header.
    pub fn new(input: R) -> Result<Self, Error> {
        let mut this = Self {
            reader: NsReader::from_reader(input),
            buf: Vec::with_capacity(64 << 10),
            guard: Guard::new(Limits::default()),
            path: Vec::new(),
            decls: Vec::new(),
            header: placeholder_header()?,
            declared_version: None,
            warnings: Vec::new(),
            current_record: None,
            record_buf: Vec::new(),
            worker: Worker::start()?,
            records: 0,
            finished: false,
        };
        this.open()?;
        Ok(this)
    }

    /// The bulletin header (`dgn:HagueBulletinTransactionHeader`).
    pub fn header(&self) -> &dgn::HagueBulletinTransactionHeaderType {
        &self.header
    }

    /// The declared `com:st96Version`.
    pub fn declared_version(&self) -> Option<&str> {
        self.declared_version.as_deref()
    }

    /// Warnings about the document (e.g. a declared version other than the model's).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Number of records returned so far.
    pub fn records_read(&self) -> u64 {
        self.records
    }

    fn location(&self) -> Location {
        self.guard.location_at(self.guard.position())
    }

    fn path_string(&self) -> String {
        self.path.join("/")
    }

    fn invalid(&self, message: impl Into<String>) -> Error {
        Error::Invalid {
            message: message.into(),
            path: self.path_string(),
            location: self.location(),
        }
    }

    /// Reads one event; returns (namespace is Design, event) with the guard applied. The
    /// event borrows `self.buf`, so it is returned as an owned copy only for start tags.
    fn next_event(&mut self) -> Result<Event<'static>, Error> {
        self.buf.clear();
        let ev = match self.reader.read_event_into(&mut self.buf) {
            Ok(ev) => ev,
            Err(e) => {
                return Err(Error::Refused(
                    self.guard.malformed(&e, self.reader.error_position()),
                ));
            }
        };
        self.guard
            .check(&ev, self.reader.buffer_position())
            .map_err(Error::Refused)?;
        Ok(ev.into_owned())
    }

    fn is_design(&self, name: quick_xml::name::QName<'_>) -> bool {
        matches!(self.reader.resolve_element(name).0, ResolveResult::Bound(ns) if ns.as_ref() == DESIGN_NS.as_bytes())
    }

    fn push(&mut self, start: &quick_xml::events::BytesStart<'_>) {
        self.path
            .push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
        let mut decls = Vec::new();
        for a in start.attributes().with_checks(false).flatten() {
            if a.key.as_namespace_binding().is_some() {
                decls.push(b' ');
                decls.extend_from_slice(a.key.as_ref());
                decls.extend_from_slice(b"=\"");
                decls.extend_from_slice(&a.value);
                decls.push(b'"');
            }
        }
        self.decls.push(decls);
    }

    fn pop(&mut self) {
        self.path.pop();
        self.decls.pop();
    }

    /// Reads up to the start of `dgn:HagueBulletinTransactionBag`.
    fn open(&mut self) -> Result<(), Error> {
        // Root.
        loop {
            match self.next_event()? {
                Event::Start(s) => {
                    let root_ok = self.is_design(s.name())
                        && s.local_name().as_ref() == b"HagueIBToOfficeTransaction";
                    let loc = self.location();
                    if !root_ok {
                        return Err(Error::WrongRoot {
                            expected: "dgn:HagueIBToOfficeTransaction",
                            found: String::from_utf8_lossy(s.name().as_ref()).into_owned(),
                            location: loc,
                        });
                    }
                    self.read_version(&s)?;
                    self.push(&s);
                    break;
                }
                Event::Empty(s) => {
                    return Err(Error::WrongRoot {
                        expected: "dgn:HagueIBToOfficeTransaction",
                        found: format!(
                            "an empty <{}/>",
                            String::from_utf8_lossy(s.name().as_ref())
                        ),
                        location: self.location(),
                    });
                }
                Event::Eof => return Err(self.invalid("the input holds no root element")),
                _ => {}
            }
        }
        // dgn:HagueBulletin, then its header, then the transaction bag.
        let mut expect = [
            "HagueBulletin",
            "HagueBulletinTransactionHeader",
            "HagueBulletinTransactionBag",
        ]
        .into_iter()
        .peekable();
        while let Some(want) = expect.next() {
            let s = loop {
                match self.next_event()? {
                    Event::Start(s) => break s,
                    Event::Empty(s) => {
                        return Err(self.invalid(format!(
                            "<{}> is empty; a bulletin needs <dgn:{want}> here with content",
                            String::from_utf8_lossy(s.name().as_ref())
                        )));
                    }
                    Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                    Event::Comment(_) | Event::PI(_) | Event::Text(_) => {}
                    Event::End(_) | Event::Eof => {
                        return Err(self.invalid(format!(
                            "<dgn:{want}> is missing; a bulletin needs it here"
                        )));
                    }
                    _ => {}
                }
            };
            if !(self.is_design(s.name()) && s.local_name().as_ref() == want.as_bytes()) {
                let found = String::from_utf8_lossy(s.name().as_ref()).into_owned();
                let hint = if want == "HagueBulletin" {
                    "this is not a bulletin; read other IB-to-office transactions with \
                     HagueIbToOfficeTransaction::from_xml"
                } else {
                    "check the element order of dgn:HagueBulletin"
                };
                return Err(self.invalid(format!(
                    "found <{found}> where <dgn:{want}> was expected; {hint}"
                )));
            }
            if want == "HagueBulletinTransactionHeader" {
                let header_loc = self.location();
                let xml = self.capture(&s)?;
                let header = crate::document::with_big_stack(move || {
                    let mut reader = SliceReader::from_bytes(&xml).with_error_info();
                    dgn::HagueBulletinTransactionHeaderType::deserialize(&mut reader)
                        .map_err(|e| (e, xml.clone()))
                })?;
                let outer = self.path_string();
                self.header = header.map_err(|(e, xml)| {
                    relocate(crate::document::invalid(&xml, &e), header_loc, &outer)
                })?;
            } else {
                self.push(&s);
            }
            let _ = expect.peek();
        }
        Ok(())
    }

    fn read_version(&mut self, root: &quick_xml::events::BytesStart<'_>) -> Result<(), Error> {
        let location = self.location();
        for a in root.attributes().with_checks(false).flatten() {
            let (ns, local) = self.reader.resolve_attribute(a.key);
            if matches!(ns, ResolveResult::Bound(n) if n.as_ref() == detect::COMMON_NS.as_bytes())
                && local.as_ref() == b"st96Version"
            {
                let v = String::from_utf8_lossy(&a.value).into_owned();
                if !crate::document::is_version_like(&v) {
                    return Err(Error::BadVersion {
                        found: v,
                        model: detect::MODEL_VERSION,
                        location,
                    });
                }
                if v != detect::MODEL_VERSION {
                    self.warnings.push(Warning::VersionDiffers {
                        declared: v.clone(),
                        model: detect::MODEL_VERSION,
                    });
                }
                self.declared_version = Some(v);
            }
        }
        if self.declared_version.is_none() {
            return Err(Error::Invalid {
                message: "required attribute com:st96Version is missing; add it".into(),
                path: "dgn:HagueIBToOfficeTransaction".into(),
                location,
            });
        }
        Ok(())
    }

    /// Copies the element that starts with `start` (already read) into a standalone document:
    /// the start tag gets the namespace declarations in scope.
    fn capture(&mut self, start: &quick_xml::events::BytesStart<'_>) -> Result<Vec<u8>, Error> {
        let mut out = std::mem::take(&mut self.record_buf);
        out.clear();
        out.push(b'<');
        out.extend_from_slice(start);
        for d in &self.decls {
            out.extend_from_slice(d);
        }
        out.push(b'>');
        let mut depth = 1usize;
        while depth > 0 {
            let ev = self.next_event()?;
            match &ev {
                Event::Start(s) => {
                    depth += 1;
                    out.push(b'<');
                    out.extend_from_slice(s);
                    out.push(b'>');
                }
                Event::Empty(s) => {
                    out.push(b'<');
                    out.extend_from_slice(s);
                    out.extend_from_slice(b"/>");
                }
                Event::End(e) => {
                    depth -= 1;
                    out.extend_from_slice(b"</");
                    out.extend_from_slice(e);
                    out.push(b'>');
                }
                Event::Text(t) => out.extend_from_slice(t),
                Event::GeneralRef(r) => {
                    out.push(b'&');
                    out.extend_from_slice(r);
                    out.push(b';');
                }
                Event::CData(c) => {
                    out.extend_from_slice(b"<![CDATA[");
                    out.extend_from_slice(c);
                    out.extend_from_slice(b"]]>");
                }
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {}
                Event::Eof => {
                    return Err(self
                        .invalid("the document ends inside a record; the file may be truncated"));
                }
            }
        }
        Ok(out)
    }

    fn next_record(&mut self) -> Result<Option<BulletinRecord>, Error> {
        loop {
            let ev = self.next_event()?;
            let depth = self.path.len();
            match ev {
                Event::Start(s) if depth == BAG_DEPTH - 1 => {
                    let Some(record) = self
                        .is_design(s.name())
                        .then(|| record_of_bag(s.local_name().as_ref()))
                        .flatten()
                    else {
                        return Err(self.invalid(format!(
                            "element <{}> is not allowed in dgn:HagueBulletinTransactionBag; only the record bags (dgn:HagueRegistrationBag, ...) are",
                            String::from_utf8_lossy(s.name().as_ref())
                        )));
                    };
                    self.current_record = Some(record);
                    self.push(&s);
                }
                Event::Start(s) if depth == BAG_DEPTH => {
                    let name = self.current_record.unwrap_or("");
                    if !(self.is_design(s.name()) && s.local_name().as_ref() == name.as_bytes()) {
                        let bag = self.path.last().cloned().unwrap_or_default();
                        return Err(self.invalid(format!(
                            "element <{}> is not allowed in <{bag}>; it holds <dgn:{name}> records only",
                            String::from_utf8_lossy(s.name().as_ref())
                        )));
                    }
                    let start_loc = self.location();
                    let outer = self.path_string();
                    self.path
                        .push(String::from_utf8_lossy(s.name().as_ref()).into_owned());
                    let xml = self.capture(&s)?;
                    let (xml, parsed) = self.worker.parse(name, xml)?;
                    let result = parsed.map_err(|e| {
                        relocate(crate::document::invalid(&xml, &e), start_loc, &outer)
                    });
                    self.record_buf = xml;
                    self.path.pop();
                    self.records += 1;
                    return result.map(Some);
                }
                Event::Empty(s) if depth == BAG_DEPTH - 1 || depth == BAG_DEPTH => {
                    return Err(self.invalid(format!(
                        "<{}> is empty; a bag needs at least one record",
                        String::from_utf8_lossy(s.name().as_ref())
                    )));
                }
                Event::Start(s) | Event::Empty(s) => {
                    return Err(self.invalid(format!(
                        "element <{}> is not allowed here, after dgn:HagueBulletinTransactionBag",
                        String::from_utf8_lossy(s.name().as_ref())
                    )));
                }
                Event::End(_) => {
                    if depth == BAG_DEPTH {
                        self.current_record = None;
                    }
                    self.pop();
                    if self.path.is_empty() {
                        // Root closed: the rest may only be comments and whitespace.
                        loop {
                            match self.next_event()? {
                                Event::Eof => return Ok(None),
                                Event::Start(s) | Event::Empty(s) => {
                                    return Err(self.invalid(format!(
                                        "element <{}> after the root element; a document has one root",
                                        String::from_utf8_lossy(s.name().as_ref())
                                    )));
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Text(t) => {
                    return Err(self.invalid(format!(
                        "text {:?} is not allowed here; remove it",
                        String::from_utf8_lossy(&t)
                    )));
                }
                Event::Eof => {
                    return Err(self.invalid("the document ends before the bulletin is closed; the file may be truncated"));
                }
                _ => {}
            }
        }
    }
}

impl<R: BufRead> Iterator for BulletinReader<R> {
    type Item = Result<BulletinRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.next_record() {
            Ok(Some(r)) => Some(Ok(r)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

/// Moves an error located inside a captured element to the element's place in the file.
fn relocate(err: Error, start: Location, outer: &str) -> Error {
    match err {
        Error::Invalid {
            message,
            path,
            location,
        } => {
            let path = format!("{outer}/{path}");
            let location = if location.line <= 1 {
                start
            } else {
                Location {
                    offset: start.offset,
                    line: start.line + location.line - 1,
                    column: location.column,
                }
            };
            Error::Invalid {
                message,
                path,
                location,
            }
        }
        other => other,
    }
}

/// Stands in for the header until [`BulletinReader::new`] has read it.
fn placeholder_header() -> Result<dgn::HagueBulletinTransactionHeaderType, Error> {
    let year = crate::types::GYear::new("0001").map_err(|e| Error::Internal(e.to_string()))?;
    Ok(dgn::HagueBulletinTransactionHeaderType {
        hague_bulletin_number: String::new(),
        publication_date: crate::v6::hague::com::DateType::GYear(year),
        transaction_total_quantity: 0,
        hague_bulletin_transaction_count_bag: dgn::HagueBulletinTransactionCountBagType {
            hague_bulletin_transaction_count: Vec::new(),
        },
    })
}
