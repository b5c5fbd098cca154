//! Streaming a Hague bulletin record by record, in flat memory.
//!
//! [`IbToOfficeReader`] reads any `dgn:HagueIBToOfficeTransaction` the same way: a bulletin, or
//! a `dgn:HagueIBToOfficeBag` (office copies, i.e. confidential copies, acknowledgement receipts
//! and irregularity notifications), yielding [`IbToOfficeRecord`]s.
//!
//! A `dgn:HagueIBToOfficeTransaction` carrying a `dgn:HagueBulletin` can hold hundreds of
//! megabytes of records. [`BulletinReader`] reads it from any [`BufRead`] and yields one typed
//! [`BulletinRecord`] at a time (`dgn:HagueRegistration`, `dgn:HagueRefusal`, ...), so memory
//! stays flat whatever the file size.
//!
//! The readers read ahead: the calling thread captures records in batches (up to 64 records or
//! 64 KiB of XML) while parser threads (one per core, at most two) turn the previous batches
//! into typed values; at most two batches per parser thread are in flight, so memory is a few
//! hundred KiB of XML plus their typed values (or the largest record, if bigger). Records come
//! back in document order, and a problem found while reading ahead is returned only after every
//! record before it. Dropping a reader stops its parser threads.
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{PrefixDeclaration, QName};
use quick_xml::reader::Reader;

use crate::detect::guard::Budget;
use crate::detect::{self, DESIGN_NS, Guard, GuardError, Limits, Location, Warning};
use crate::document::{Error, PARSE_STACK_BYTES};
use crate::v6::hague::dgn;

/// A record enum (one variant per record element), the record element expected in each bag,
/// and the parse of one captured record: for the bulletin and for the office-copy bag.
macro_rules! record_kinds {
    (
        $(#[$doc:meta])*
        $kind:ident, $of_bag:ident, $parse:ident;
        $( $variant:ident => ($bag:literal, $elem:literal, $ty:ident), )*
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum $kind {
            $(
                #[doc = concat!("`dgn:", $elem, "` (inside `dgn:", $bag, "`).")]
                $variant(Box<dgn::$ty>),
            )*
        }

        impl $kind {
            /// The record's element name, e.g. `dgn:HagueRegistration`.
            pub fn element_name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => concat!("dgn:", $elem), )*
                }
            }
        }

        /// The record element expected inside bag `bag` (local names).
        fn $of_bag(bag: &[u8]) -> Option<&'static str> {
            match bag {
                $( x if x == $bag.as_bytes() => Some($elem), )*
                _ => None,
            }
        }

        /// Reads a captured record (the typed parse and the fixed-value check), located in `xml`.
        fn $parse(name: &str, xml: &[u8]) -> Result<$kind, Error> {
            match name {
                $( $elem => Ok($kind::$variant(Box::new(crate::fast::read_checked::<dgn::$ty>(xml, true)?))), )*
                _ => Err(crate::document::invalid(
                    xml,
                    &xsd_parser_types::quick_xml::Error::custom(UnknownRecord(name.to_owned())),
                )),
            }
        }
    };
}

record_kinds! {
    /// One record of a Hague bulletin, typed.
    BulletinRecord, record_of_bag, parse_record;
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

/// Reads a Hague bulletin record by record. See the [module documentation](self).
///
/// A thin wrapper over [`IbToOfficeReader`] that accepts only a `dgn:HagueBulletin` and yields
/// its records as [`BulletinRecord`]s.
pub struct BulletinReader<R: BufRead> {
    inner: IbToOfficeReader<R>,
    header: dgn::HagueBulletinTransactionHeaderType,
}

impl<R: BufRead> std::fmt::Debug for BulletinReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulletinReader")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> BulletinReader<R> {
    /// Opens a bulletin: checks the root (`dgn:HagueIBToOfficeTransaction` with a
    /// `dgn:HagueBulletin`) and its declared version, and reads the bulletin header.
    ///
    /// # Errors
    /// [`Error`] naming the problem and its line/column: not a bulletin, refused input (DOCTYPE,
    /// entities, depth), malformed XML, invalid header.
    pub fn new(input: R) -> Result<Self, Error> {
        let inner = IbToOfficeReader::open(input, Limits::default(), true)?;
        let header = match inner.header() {
            IbToOfficeHeader::Bulletin(h) => (**h).clone(),
            IbToOfficeHeader::Office(_) => {
                return Err(Error::Internal(
                    "the bulletin reader opened a document that is not a bulletin".into(),
                ));
            }
        };
        Ok(Self { inner, header })
    }

    /// The bulletin header (`dgn:HagueBulletinTransactionHeader`).
    pub fn header(&self) -> &dgn::HagueBulletinTransactionHeaderType {
        &self.header
    }

    /// The declared `com:st96Version`.
    pub fn declared_version(&self) -> Option<&str> {
        self.inner.declared_version()
    }

    /// Warnings about the document (e.g. a declared version other than the model's).
    pub fn warnings(&self) -> &[Warning] {
        self.inner.warnings()
    }

    /// Number of records returned so far.
    pub fn records_read(&self) -> u64 {
        self.inner.records_read()
    }
}

impl<R: BufRead> Iterator for BulletinReader<R> {
    type Item = Result<BulletinRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| match r? {
            IbToOfficeRecord::Bulletin(record) => Ok(record),
            other => Err(Error::Internal(format!(
                "the bulletin reader met {}, which no bulletin holds",
                other.element_name()
            ))),
        })
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

/// Stands in for the header until [`IbToOfficeReader::new`] has read it.
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

// ---------------------------------------------------------------------------------------------
// Any IB-to-office transaction: a bulletin or an office bag (confidential copies,
// acknowledgement receipts, irregularity notifications).
// ---------------------------------------------------------------------------------------------

record_kinds! {
    /// One record of a `dgn:HagueOfficeCopyBag` (a copy sent to a designated office before
    /// publication, i.e. a confidential copy, or after it), typed.
    OfficeCopyRecord, office_copy_record_of_bag, parse_office_copy;

    Registration => ("HagueRegistrationBag", "HagueRegistration", HagueRegistrationType),
    OwnershipChange => ("HagueOwnershipChangeBag", "HagueOwnershipChange", HagueOwnershipChangeType),
    Merger => ("HagueMergerBag", "HagueMerger", HagueMergerType),
    HolderNameAddressChange => ("HagueHolderNameAddressChangeBag", "HagueHolderNameAddressChange", HagueHolderNameAddressChangeType),
    CreatorNameAddressChange => ("HagueCreatorNameAddressChangeBag", "HagueCreatorNameAddressChange", HagueCreatorNameAddressChangeType),
    Renunciation => ("HagueRenunciationBag", "HagueRenunciation", HagueRenunciationType),
    Limitation => ("HagueLimitationBag", "HagueLimitation", HagueLimitationType),
    Correction => ("HagueCorrectionBag", "HagueCorrection", HagueCorrectionType),
    SecondPartFeePaid => ("HagueSecondPartFeePaidBag", "HagueSecondPartFeePaid", HagueSecondPartFeePaidType),
    SecondPartFeeNotPaid => ("HagueSecondPartFeeNotPaidBag", "HagueSecondPartFeeNotPaid", HagueSecondPartFeeNotPaidType),
    PublicationCancellation => ("HaguePublicationCancellationBag", "HaguePublicationCancellation", HaguePublicationCancellationType),
}

/// One record of a `dgn:HagueIBToOfficeTransaction`, typed: a bulletin record, or one of the
/// three kinds of a `dgn:HagueIBToOfficeBag`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IbToOfficeRecord {
    /// A record of a `dgn:HagueBulletin`.
    Bulletin(BulletinRecord),
    /// A record of a `dgn:HagueOfficeCopyBag` (confidential or post-publication copy).
    OfficeCopy(OfficeCopyRecord),
    /// `dgn:HagueAcknowledgementReceipt` (inside `dgn:HagueAcknowledgementReceiptBag`).
    AcknowledgementReceipt(Box<dgn::HagueAcknowledgementReceiptType>),
    /// `dgn:HagueIrregularityNotification` (inside `dgn:HagueIrregularityNotificationBag`).
    IrregularityNotification(Box<dgn::HagueIrregularityNotificationType>),
}

impl IbToOfficeRecord {
    /// The record's element name, e.g. `dgn:HagueRegistration`.
    pub fn element_name(&self) -> &'static str {
        match self {
            Self::Bulletin(r) => r.element_name(),
            Self::OfficeCopy(r) => r.element_name(),
            Self::AcknowledgementReceipt(_) => "dgn:HagueAcknowledgementReceipt",
            Self::IrregularityNotification(_) => "dgn:HagueIrregularityNotification",
        }
    }

    /// The element name of the bag holding the record, e.g. `dgn:HagueRegistrationBag` (every
    /// Hague record bag is named after its record).
    pub fn bag_name(&self) -> String {
        format!("{}Bag", self.element_name())
    }
}

/// The header of an IB-to-office transaction.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum IbToOfficeHeader {
    /// `dgn:HagueBulletinTransactionHeader` of a bulletin.
    Bulletin(Box<dgn::HagueBulletinTransactionHeaderType>),
    /// `dgn:HagueIBTransactionHeader` of a `dgn:HagueIBToOfficeBag`.
    Office(Box<dgn::HagueIbTransactionHeaderType>),
}

impl IbToOfficeHeader {
    /// Element name of the root's child: `dgn:HagueBulletin` or `dgn:HagueIBToOfficeBag`.
    pub fn content_name(&self) -> &'static str {
        match self {
            Self::Bulletin(_) => "dgn:HagueBulletin",
            Self::Office(_) => "dgn:HagueIBToOfficeBag",
        }
    }
}

/// Which part of the document a record bag belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Bulletin,
    OfficeCopy,
    Acknowledgement,
    Irregularity,
}

/// An open container of the record area.
#[derive(Debug, Clone, Copy)]
enum Open {
    /// `dgn:HagueBulletinTransactionBag`: holds the bulletin's record bags.
    BulletinBag,
    /// `dgn:HagueIBToOfficeBag` (after its header): holds the three bag kinds.
    OfficeBag,
    /// `dgn:HagueOfficeCopyBag`: holds the office-copy record bags.
    OfficeCopyBag,
    /// A record bag: holds `record` elements only.
    Records(Section, &'static str),
}

/// Reads a captured record: the typed parse, then what it does not check itself (fixed element
/// values), as a whole-document read does; errors are located in `xml`.
fn parse_ib_record(section: Section, name: &str, xml: &[u8]) -> Result<IbToOfficeRecord, Error> {
    match section {
        Section::Bulletin => parse_record(name, xml).map(IbToOfficeRecord::Bulletin),
        Section::OfficeCopy => parse_office_copy(name, xml).map(IbToOfficeRecord::OfficeCopy),
        Section::Acknowledgement => {
            crate::fast::read_checked::<dgn::HagueAcknowledgementReceiptType>(xml, true)
                .map(|r| IbToOfficeRecord::AcknowledgementReceipt(Box::new(r)))
        }
        Section::Irregularity => {
            crate::fast::read_checked::<dgn::HagueIrregularityNotificationType>(xml, true)
                .map(|r| IbToOfficeRecord::IrregularityNotification(Box::new(r)))
        }
    }
}

/// Most records in one batch.
const BATCH_RECORDS: usize = 64;
/// A batch is sent once it holds this many bytes of XML (or [`BATCH_RECORDS`] records).
const BATCH_BYTES: usize = 64 << 10;
/// Most batches per parser thread between the reading thread and the parser threads (sent and
/// not yet returned): with the batch being returned, peak memory is a few batches per parser
/// thread whatever the file size.
const BATCHES_PER_PARSER: usize = 2;
/// Most parser threads of one reader (fewer on a machine with fewer cores). With the fast path
/// the capture on the calling thread is about as slow as the typed parse; a second parser thread
/// still gains ~10 % on a 50 MB bulletin, and much more when records take the slow path.
const MAX_PARSERS: usize = 2;

/// A record captured on the reading thread, waiting for (or done with) its typed parse.
#[derive(Debug)]
struct Captured {
    section: Section,
    name: &'static str,
    /// The record's standalone XML inside [`Batch::bytes`].
    range: std::ops::Range<usize>,
    /// Where its start tag is in the file.
    start: Location,
    /// Path of the bag holding it (for error messages).
    outer: Arc<str>,
}

/// Records captured one after the other on the reading thread, parsed together on the parser
/// thread, then returned with their results (and the buffers, which are reused).
#[derive(Debug, Default)]
struct Batch {
    bytes: Vec<u8>,
    records: Vec<Captured>,
    /// Results of `records`, in order; the parser stops at the first error, since the iterator
    /// ends there.
    results: std::collections::VecDeque<Result<IbToOfficeRecord, Error>>,
    /// Records of this batch already returned by the iterator.
    taken: usize,
}

impl Batch {
    fn is_full(&self) -> bool {
        self.records.len() >= BATCH_RECORDS || self.bytes.len() >= BATCH_BYTES
    }

    /// Empties the batch for reuse, letting go of a buffer an unusually large record grew.
    fn recycle(&mut self) {
        self.bytes.clear();
        if self.bytes.capacity() > 4 * BATCH_BYTES {
            self.bytes = Vec::with_capacity(2 * BATCH_BYTES);
        }
        self.records.clear();
        self.results.clear();
        self.taken = 0;
    }

    /// Parses every record (on the parser thread), stopping at the first error or when `stop`
    /// is set.
    fn parse(&mut self, stop: &AtomicBool) {
        for rec in &self.records {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let xml = self.bytes.get(rec.range.clone()).unwrap_or_default();
            let result = parse_ib_record(rec.section, rec.name, xml)
                .map_err(|e| relocate(e, rec.start, &rec.outer));
            let failed = result.is_err();
            self.results.push_back(result);
            if failed {
                return;
            }
        }
    }
}

/// Parses batches of records on a thread with a large stack (the record types are deep), while
/// the reading thread captures the next ones.
struct IbWorker {
    /// `None` once dropping (closing the channel ends the thread).
    jobs: Option<mpsc::Sender<Batch>>,
    done: mpsc::Receiver<Batch>,
    /// Asks the thread to stop between records (set when the reader is dropped).
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl IbWorker {
    fn start() -> Result<Self, Error> {
        let (jobs, job_rx) = mpsc::channel::<Batch>();
        let (done_tx, done) = mpsc::channel::<Batch>();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_worker = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("st96-ib-records".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn(move || {
                for mut batch in job_rx {
                    batch.parse(&stop_worker);
                    if stop_worker.load(Ordering::Relaxed) || done_tx.send(batch).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self {
            jobs: Some(jobs),
            done,
            stop,
            thread: Some(thread),
        })
    }

    fn lost() -> Error {
        Error::Internal("the record parser thread stopped (a panic)".into())
    }

    /// Hands a batch to the parser thread without waiting.
    fn send(&self, batch: Batch) -> Result<(), Error> {
        self.jobs
            .as_ref()
            .ok_or_else(Self::lost)?
            .send(batch)
            .map_err(|_| Self::lost())
    }

    /// Waits for the oldest batch sent (batches come back in the order sent).
    fn recv(&self) -> Result<Batch, Error> {
        self.done.recv().map_err(|_| Self::lost())
    }
}

impl Drop for IbWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            // The thread ends after the record it is parsing; a panic was already reported as
            // `Error::Internal` by `recv`.
            let _ = thread.join();
        }
    }
}

/// What ends the record area, found while reading ahead: returned once every record before it
/// has been returned.
#[derive(Debug)]
enum Tail {
    /// The document ended properly.
    End,
    /// A problem found while capturing (malformed XML, empty bag, truncated file, ...).
    Error(Error),
}

/// A namespace declaration: the prefix (`None` for the default namespace) and the URI as written.
type Binding = (Option<Vec<u8>>, Vec<u8>);

/// Reads any `dgn:HagueIBToOfficeTransaction` record by record, in flat memory: a bulletin
/// (`dgn:HagueBulletin`, like [`BulletinReader`]) or an office bag (`dgn:HagueIBToOfficeBag`:
/// office copies, i.e. confidential copies, acknowledgement receipts and irregularity
/// notifications). The same guards and error locations as [`BulletinReader`] apply.
///
/// ```no_run
/// use std::{fs::File, io::BufReader};
/// use st96::stream::{IbToOfficeReader, IbToOfficeRecord, OfficeCopyRecord};
///
/// let mut reader = IbToOfficeReader::new(BufReader::new(File::open("copies.xml")?))?;
/// println!("{}", reader.header().content_name());
/// for record in &mut reader {
///     match record? {
///         IbToOfficeRecord::OfficeCopy(OfficeCopyRecord::Registration(r)) => {
///             println!("confidential copy of {}", r.international_registration_number)
///         }
///         other => println!("{}", other.element_name()),
///     }
/// }
/// # Ok::<(), st96::Error>(())
/// ```
pub struct IbToOfficeReader<R: BufRead> {
    /// The input, through a budget of [`Limits::max_record_bytes`] restarted at each record.
    /// A plain reader: names are resolved here for the few structural elements only
    /// ([`IbToOfficeReader::namespace`]), the records' own by the parser threads.
    reader: Reader<Budget<R>>,
    buf: Vec<u8>,
    guard: Guard,
    /// Names of the open elements (qualified, as written).
    path: Vec<String>,
    /// Namespace declarations of the open elements, raw (`xmlns:p="uri"`), one list per depth.
    decls: Vec<Vec<u8>>,
    /// The same declarations, one list per depth.
    scopes: Vec<Vec<Binding>>,
    /// Open containers of the record area (innermost last).
    open: Vec<Open>,
    /// Children seen so far in each open container (aligned with `open`); none is allowed empty.
    filled: Vec<u64>,
    /// Depth of the path when the record area opened.
    area_depth: usize,
    header: IbToOfficeHeader,
    declared_version: Option<String>,
    warnings: Vec<Warning>,
    record_location: Option<Location>,
    /// Where the record being captured starts (the document's start before the first record),
    /// for [`GuardError::RecordTooLarge`].
    record_start: Location,
    /// The batch whose records are being returned.
    ready: Option<Batch>,
    /// Empty batches, for reuse.
    spare: Vec<Batch>,
    /// Batches sent to the parser threads, and received back.
    sent: usize,
    received: usize,
    /// What ended the record area while reading ahead, once found.
    tail: Option<Tail>,
    /// Path of the open bag, shared by its captured records (cleared when the path changes).
    outer: Option<Arc<str>>,
    /// Parser threads; batch `i` goes to `workers[i % workers.len()]`, so batches come back in
    /// the order sent.
    workers: Vec<IbWorker>,
    records: u64,
    finished: bool,
    /// Refuse anything but a `dgn:HagueBulletin` (for [`BulletinReader`]).
    bulletin_only: bool,
}

impl<R: BufRead> std::fmt::Debug for IbToOfficeReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IbToOfficeReader")
            .field("path", &self.path)
            .field("records", &self.records)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<R: BufRead> IbToOfficeReader<R> {
    /// Opens an IB-to-office transaction: checks the root and its declared version and reads the
    /// header of whichever content it holds (bulletin or office bag).
    ///
    /// # Errors
    /// [`Error`] naming the problem and its line/column: another root, refused input (DOCTYPE,
    /// entities, depth), malformed XML, invalid header.
    pub fn new(input: R) -> Result<Self, Error> {
        Self::with_limits(input, Limits::default())
    }

    /// Like [`IbToOfficeReader::new`], with other input limits (e.g. a lower nesting depth).
    ///
    /// # Errors
    /// As [`IbToOfficeReader::new`].
    pub fn with_limits(input: R, limits: Limits) -> Result<Self, Error> {
        Self::open(input, limits, false)
    }

    /// Opens the document; with `bulletin_only`, anything but a bulletin is refused.
    fn open(input: R, limits: Limits, bulletin_only: bool) -> Result<Self, Error> {
        let mut this = Self {
            reader: Reader::from_reader(Budget::new(input, limits.max_record_bytes)),
            buf: Vec::with_capacity(64 << 10),
            guard: Guard::new(limits),
            path: Vec::new(),
            decls: Vec::new(),
            scopes: Vec::new(),
            open: Vec::new(),
            filled: Vec::new(),
            area_depth: 0,
            header: IbToOfficeHeader::Bulletin(Box::new(placeholder_header()?)),
            declared_version: None,
            warnings: Vec::new(),
            record_location: None,
            record_start: Location {
                offset: 0,
                line: 1,
                column: 1,
            },
            ready: None,
            spare: Vec::new(),
            sent: 0,
            received: 0,
            tail: None,
            outer: None,
            workers: {
                let n = std::thread::available_parallelism()
                    .map_or(1, std::num::NonZeroUsize::get)
                    .clamp(1, MAX_PARSERS);
                (0..n)
                    .map(|_| IbWorker::start())
                    .collect::<Result<_, _>>()?
            },
            records: 0,
            finished: false,
            bulletin_only,
        };
        this.open_document()?;
        Ok(this)
    }

    /// The header: a bulletin's or an office bag's.
    pub fn header(&self) -> &IbToOfficeHeader {
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

    /// Where the start tag of the record returned last is.
    pub fn record_location(&self) -> Option<Location> {
        self.record_location
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

    fn next_event(&mut self) -> Result<Event<'static>, Error> {
        self.read_guarded().map(Event::into_owned)
    }

    /// The next event, borrowed from the read buffer, after the input guards.
    fn read_guarded(&mut self) -> Result<Event<'_>, Error> {
        self.buf.clear();
        let ev = match self.reader.read_event_into(&mut self.buf) {
            Ok(ev) => ev,
            Err(e) => {
                let budget = self.reader.get_ref();
                if budget.is_spent() {
                    return Err(Error::Refused(GuardError::RecordTooLarge {
                        limit: budget.limit(),
                        location: self.record_start,
                    }));
                }
                return Err(Error::Refused(
                    self.guard.malformed(&e, self.reader.error_position()),
                ));
            }
        };
        // The budget checks the characters of the input as it is read, ahead of the events.
        let clean = self.reader.get_ref().clean_position();
        self.guard.set_clean_until(clean);
        self.guard
            .check(&ev, self.reader.buffer_position())
            .map_err(Error::Refused)?;
        Ok(ev)
    }

    /// The namespace (URI as written) of `name`, an element name when `element` (unprefixed:
    /// the default namespace) or an attribute name (unprefixed: none), on start tag `start`:
    /// bound by `start` itself or by the open elements, as a namespace-resolving reader would
    /// resolve it.
    fn namespace<'s>(
        &'s self,
        start: &'s BytesStart<'_>,
        name: QName<'_>,
        element: bool,
    ) -> Option<std::borrow::Cow<'s, [u8]>> {
        let prefix = match name.prefix() {
            Some(p) => Some(p.into_inner()),
            None if element => None,
            None => return None,
        };
        if prefix == Some(b"xml".as_slice()) {
            return Some(std::borrow::Cow::Borrowed(
                b"http://www.w3.org/XML/1998/namespace".as_slice(),
            ));
        }
        let mut found = None;
        for a in start.attributes().with_checks(false).flatten() {
            let declared = match a.key.as_namespace_binding() {
                Some(PrefixDeclaration::Default) => None,
                Some(PrefixDeclaration::Named(p)) => Some(p),
                None => continue,
            };
            if declared == prefix {
                // The last declaration wins, as in quick-xml's resolver.
                found = Some(a.value);
            }
        }
        let uri = match found {
            Some(v) => v,
            None => self
                .scopes
                .iter()
                .rev()
                .flatten()
                .find(|(p, _)| p.as_deref() == prefix)
                .map(|(_, uri)| std::borrow::Cow::Borrowed(uri.as_slice()))?,
        };
        // `xmlns=""` undeclares the default namespace.
        (!uri.is_empty()).then_some(uri)
    }

    fn is_design(&self, start: &BytesStart<'_>) -> bool {
        self.namespace(start, start.name(), true)
            .is_some_and(|ns| ns.as_ref() == DESIGN_NS.as_bytes())
    }

    /// Checks the attributes of a structural element (the root, the bulletin or office bag,
    /// the record bags): namespace declarations, `xsi:schemaLocation` (pairs of URIs),
    /// `xsi:noNamespaceSchemaLocation`, and the Common attributes in `allowed` only.
    fn check_attributes(
        &self,
        start: &quick_xml::events::BytesStart<'_>,
        allowed: &[&[u8]],
    ) -> Result<(), Error> {
        if start
            .attributes_raw()
            .iter()
            .all(|&b| crate::strict::is_xml_space(b))
        {
            return Ok(());
        }
        for a in start.attributes().with_checks(false).flatten() {
            let key = a.key.as_ref();
            if key == b"xmlns" || key.starts_with(b"xmlns:") {
                continue;
            }
            let ns = self.namespace(start, a.key, false);
            let ns: &[u8] = ns.as_deref().unwrap_or_default();
            let ok = match (ns, a.key.local_name().as_ref()) {
                (n, b"schemaLocation") if n == detect::XSI_NS.as_bytes() => {
                    crate::strict::schema_location_pairs(&a.value)
                }
                (n, b"noNamespaceSchemaLocation") if n == detect::XSI_NS.as_bytes() => true,
                (n, l) if n == detect::COMMON_NS.as_bytes() => allowed.contains(&l),
                _ => false,
            };
            if !ok {
                return Err(self.invalid(format!(
                    "attribute {}=\"{}\" is not allowed on <{}>; remove it",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(&a.value),
                    String::from_utf8_lossy(start.name().as_ref())
                )));
            }
        }
        Ok(())
    }

    /// Character data between elements of the record area: white space only (written as text,
    /// a white-space character reference or a CDATA section of white space).
    fn between_elements(&self, ev: &Event<'_>) -> Result<(), Error> {
        let fine = match ev {
            Event::Text(t) => t.iter().all(|&b| crate::strict::is_xml_space(b)),
            Event::CData(c) => c.iter().all(|&b| crate::strict::is_xml_space(b)),
            Event::GeneralRef(r) => matches!(
                r.as_ref(),
                b"#32"
                    | b"#x20"
                    | b"#9"
                    | b"#x9"
                    | b"#10"
                    | b"#xA"
                    | b"#xa"
                    | b"#13"
                    | b"#xD"
                    | b"#xd"
            ),
            _ => true,
        };
        if fine {
            Ok(())
        } else {
            Err(self.invalid(format!(
                "character data {:?} is not allowed here (the element holds elements only); \
                 remove it",
                match ev {
                    Event::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    Event::CData(c) => format!("<![CDATA[{}]]>", String::from_utf8_lossy(c)),
                    Event::GeneralRef(r) => format!("&{};", String::from_utf8_lossy(r)),
                    _ => String::new(),
                }
            )))
        }
    }

    fn push(&mut self, start: &quick_xml::events::BytesStart<'_>) {
        self.path
            .push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
        let mut decls = Vec::new();
        let mut scope = Vec::new();
        for a in start.attributes().with_checks(false).flatten() {
            if let Some(binding) = a.key.as_namespace_binding() {
                decls.push(b' ');
                decls.extend_from_slice(a.key.as_ref());
                decls.extend_from_slice(b"=\"");
                decls.extend_from_slice(&a.value);
                decls.push(b'"');
                let prefix = match binding {
                    PrefixDeclaration::Default => None,
                    PrefixDeclaration::Named(p) => Some(p.to_vec()),
                };
                scope.push((prefix, a.value.into_owned()));
            }
        }
        self.decls.push(decls);
        self.scopes.push(scope);
    }

    /// The next start tag among whitespace, comments and PIs; `want` names what is expected.
    fn next_start(&mut self, want: &str) -> Result<quick_xml::events::BytesStart<'static>, Error> {
        loop {
            match self.next_event()? {
                Event::Start(s) => return Ok(s),
                Event::Empty(s) => {
                    return Err(self.invalid(format!(
                        "<{}> is empty; <{want}> is needed here with content",
                        String::from_utf8_lossy(s.name().as_ref())
                    )));
                }
                Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Event::Text(t) => {
                    return Err(self.invalid(format!(
                        "text {:?} is not allowed here; <{want}> is expected",
                        String::from_utf8_lossy(&t)
                    )));
                }
                Event::End(_) | Event::Eof => {
                    return Err(self.invalid(format!("<{want}> is missing; it is needed here")));
                }
                other => self.between_elements(&other)?,
            }
        }
    }

    /// Reads up to the start of the record area (the bulletin's transaction bag, or the office
    /// bag's first bag).
    fn open_document(&mut self) -> Result<(), Error> {
        let root = loop {
            match self.next_event()? {
                Event::Start(s) => break s,
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
        };
        if !(self.is_design(&root) && root.local_name().as_ref() == b"HagueIBToOfficeTransaction") {
            return Err(Error::WrongRoot {
                expected: "dgn:HagueIBToOfficeTransaction",
                found: String::from_utf8_lossy(root.name().as_ref()).into_owned(),
                location: self.location(),
            });
        }
        self.read_version(&root)?;
        self.check_attributes(&root, &[b"st96Version", b"ipoVersion"])?;
        self.push(&root);

        let content = self.next_start("dgn:HagueBulletin or dgn:HagueIBToOfficeBag")?;
        let local = content.local_name().as_ref().to_vec();
        let is_bulletin = self.is_design(&content) && local == b"HagueBulletin";
        let is_office = self.is_design(&content) && local == b"HagueIBToOfficeBag";
        if self.bulletin_only && !is_bulletin {
            return Err(self.invalid(format!(
                "found <{}> where <dgn:HagueBulletin> was expected; this is not a bulletin; read \
                 other IB-to-office transactions with st96::stream::IbToOfficeReader",
                String::from_utf8_lossy(content.name().as_ref())
            )));
        }
        if !(is_bulletin || is_office) {
            return Err(self.invalid(format!(
                "found <{}> where <dgn:HagueBulletin> or <dgn:HagueIBToOfficeBag> was expected; \
                 a dgn:HagueIBToOfficeTransaction holds one of the two",
                String::from_utf8_lossy(content.name().as_ref())
            )));
        }
        self.check_attributes(&content, &[])?;
        self.push(&content);
        let want = if is_bulletin {
            "HagueBulletinTransactionHeader"
        } else {
            "HagueIBTransactionHeader"
        };
        let head = self.next_start(&format!("dgn:{want}"))?;
        if !(self.is_design(&head) && head.local_name().as_ref() == want.as_bytes()) {
            return Err(self.invalid(format!(
                "found <{}> where <dgn:{want}> was expected; the header comes first",
                String::from_utf8_lossy(head.name().as_ref())
            )));
        }
        let header_loc = self.location();
        let outer = self.path_string();
        let mut xml = Vec::new();
        self.capture(&head, &mut xml)?;
        let parsed = crate::document::with_big_stack(move || {
            let header = if is_bulletin {
                crate::fast::read_or_deserialize::<dgn::HagueBulletinTransactionHeaderType>(&xml)
                    .map(|h| IbToOfficeHeader::Bulletin(Box::new(h)))
            } else {
                crate::fast::read_or_deserialize::<dgn::HagueIbTransactionHeaderType>(&xml)
                    .map(|h| IbToOfficeHeader::Office(Box::new(h)))
            };
            header.map_err(|e| (e, xml.clone()))
        })?;
        self.header = parsed
            .map_err(|(e, xml)| relocate(crate::document::invalid(&xml, &e), header_loc, &outer))?;
        if is_bulletin {
            let bag = self.next_start("dgn:HagueBulletinTransactionBag")?;
            if !(self.is_design(&bag)
                && bag.local_name().as_ref() == b"HagueBulletinTransactionBag")
            {
                return Err(self.invalid(format!(
                    "found <{}> where <dgn:HagueBulletinTransactionBag> was expected; check the \
                     element order of dgn:HagueBulletin",
                    String::from_utf8_lossy(bag.name().as_ref())
                )));
            }
            self.check_attributes(&bag, &[])?;
            self.push(&bag);
            self.open.push(Open::BulletinBag);
            self.filled.push(0);
        } else {
            self.open.push(Open::OfficeBag);
            self.filled.push(0);
        }
        self.area_depth = self.path.len();
        Ok(())
    }

    fn read_version(&mut self, root: &quick_xml::events::BytesStart<'_>) -> Result<(), Error> {
        let location = self.location();
        for a in root.attributes().with_checks(false).flatten() {
            let ns = self.namespace(root, a.key, false);
            if ns.is_some_and(|n| n.as_ref() == detect::COMMON_NS.as_bytes())
                && a.key.local_name().as_ref() == b"st96Version"
            {
                // xs:token: white space collapses.
                let v = crate::strict::collapse(&String::from_utf8_lossy(&a.value)).into_owned();
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

    /// Appends to `out` the element that starts with `start` (already read), as a standalone
    /// document whose start tag carries the namespace declarations in scope.
    fn capture(
        &mut self,
        start: &quick_xml::events::BytesStart<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.record_start = self.location();
        self.reader.get_mut().restart();
        out.push(b'<');
        out.extend_from_slice(start);
        for d in &self.decls {
            out.extend_from_slice(d);
        }
        out.push(b'>');
        let mut depth = 1usize;
        while depth > 0 {
            // Borrowed events (not `next_event`, which makes each event owned): a record's bytes
            // go straight from the read buffer to `out`.
            let ev = self.read_guarded()?;
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
        self.reader.get_mut().restart();
        Ok(())
    }

    /// What a start tag `local` (in the Design namespace or not) opens inside `parent`.
    fn child_of(parent: Open, design: bool, local: &[u8]) -> Option<Open> {
        if !design {
            return None;
        }
        match parent {
            Open::BulletinBag => record_of_bag(local).map(|r| Open::Records(Section::Bulletin, r)),
            Open::OfficeBag => match local {
                b"HagueOfficeCopyBag" => Some(Open::OfficeCopyBag),
                b"HagueAcknowledgementReceiptBag" => Some(Open::Records(
                    Section::Acknowledgement,
                    "HagueAcknowledgementReceipt",
                )),
                b"HagueIrregularityNotificationBag" => Some(Open::Records(
                    Section::Irregularity,
                    "HagueIrregularityNotification",
                )),
                _ => None,
            },
            Open::OfficeCopyBag => {
                office_copy_record_of_bag(local).map(|r| Open::Records(Section::OfficeCopy, r))
            }
            Open::Records(..) => None,
        }
    }

    /// The next record, in document order: from the batch being returned, else from the parser
    /// threads, after topping up the batches in flight; then what ended the record area.
    fn next_record(&mut self) -> Result<Option<IbToOfficeRecord>, Error> {
        loop {
            if let Some(batch) = &mut self.ready {
                if let Some(result) = batch.results.pop_front() {
                    let start = batch.records.get(batch.taken).map(|r| r.start);
                    batch.taken += 1;
                    self.records += 1;
                    self.record_location = start;
                    return result.map(Some);
                }
                if let Some(mut done) = self.ready.take() {
                    done.recycle();
                    self.spare.push(done);
                }
            }
            while self.sent - self.received < BATCHES_PER_PARSER * self.workers.len()
                && self.tail.is_none()
            {
                let mut batch = self.spare.pop().unwrap_or_default();
                while !batch.is_full() {
                    match self.capture_record(&mut batch) {
                        Ok(true) => {}
                        Ok(false) => {
                            self.tail = Some(Tail::End);
                            break;
                        }
                        Err(e) => {
                            self.tail = Some(Tail::Error(e));
                            break;
                        }
                    }
                }
                if batch.records.is_empty() {
                    self.spare.push(batch);
                } else {
                    self.worker(self.sent)?.send(batch)?;
                    self.sent += 1;
                }
            }
            if self.sent == self.received {
                // Every record before the end of the area has been returned.
                return match self.tail.take() {
                    Some(Tail::Error(e)) => Err(e),
                    Some(Tail::End) | None => Ok(None),
                };
            }
            let batch = self.worker(self.received)?.recv()?;
            self.received += 1;
            self.ready = Some(batch);
        }
    }

    /// The parser thread of batch number `n`.
    fn worker(&self, n: usize) -> Result<&IbWorker, Error> {
        self.workers
            .get(n % self.workers.len().max(1))
            .ok_or_else(IbWorker::lost)
    }

    /// Reads up to the next record and appends it to `batch` (`Ok(true)`), or reads to the end
    /// of the document (`Ok(false)`), checking the structure of the record area on the way.
    fn capture_record(&mut self, batch: &mut Batch) -> Result<bool, Error> {
        loop {
            let ev = self.next_event()?;
            match ev {
                Event::Start(s) => {
                    let Some(&parent) = self.open.last() else {
                        return Err(self.invalid(format!(
                            "element <{}> is not allowed here, after the records",
                            String::from_utf8_lossy(s.name().as_ref())
                        )));
                    };
                    let design = self.is_design(&s);
                    if let Some(n) = self.filled.last_mut() {
                        *n += 1;
                        // The schema's maxOccurs of the bag choices (HagueBulletinTransactionBag:
                        // 19, HagueIBToOfficeBag: 3; the others are unbounded).
                        let max = match parent {
                            Open::BulletinBag => Some(19),
                            Open::OfficeBag => Some(3),
                            Open::OfficeCopyBag | Open::Records(..) => None,
                        };
                        if let Some(max) = max
                            && *n > max
                        {
                            let here = self.path.last().cloned().unwrap_or_default();
                            return Err(self.invalid(format!(
                                "<{here}> holds more than {max} bags, the most the schema \
                                 allows; merge bags of the same kind"
                            )));
                        }
                    }
                    if let Open::Records(section, record) = parent {
                        if !(design && s.local_name().as_ref() == record.as_bytes()) {
                            let bag = self.path.last().cloned().unwrap_or_default();
                            return Err(self.invalid(format!(
                                "element <{}> is not allowed in <{bag}>; it holds <dgn:{record}> records only",
                                String::from_utf8_lossy(s.name().as_ref())
                            )));
                        }
                        let start = self.location();
                        let outer = match &self.outer {
                            Some(outer) => Arc::clone(outer),
                            None => {
                                let outer: Arc<str> = self.path_string().into();
                                self.outer = Some(Arc::clone(&outer));
                                outer
                            }
                        };
                        self.path
                            .push(String::from_utf8_lossy(s.name().as_ref()).into_owned());
                        let from = batch.bytes.len();
                        if let Err(e) = self.capture(&s, &mut batch.bytes) {
                            batch.bytes.truncate(from);
                            return Err(e);
                        }
                        self.path.pop();
                        batch.records.push(Captured {
                            section,
                            name: record,
                            range: from..batch.bytes.len(),
                            start,
                            outer,
                        });
                        return Ok(true);
                    }
                    let Some(child) = Self::child_of(parent, design, s.local_name().as_ref())
                    else {
                        let here = self.path.last().cloned().unwrap_or_default();
                        let allowed = match parent {
                            Open::BulletinBag => {
                                "the bulletin's record bags (dgn:HagueRegistrationBag, ...)"
                            }
                            Open::OfficeBag => {
                                "dgn:HagueOfficeCopyBag, dgn:HagueAcknowledgementReceiptBag and dgn:HagueIrregularityNotificationBag"
                            }
                            _ => {
                                "the office-copy record bags (dgn:HagueRegistrationBag, dgn:HagueSecondPartFeePaidBag, ...)"
                            }
                        };
                        return Err(self.invalid(format!(
                            "element <{}> is not allowed in <{here}>; only {allowed} are",
                            String::from_utf8_lossy(s.name().as_ref())
                        )));
                    };
                    self.check_attributes(&s, &[])?;
                    self.push(&s);
                    self.outer = None;
                    self.open.push(child);
                    self.filled.push(0);
                }
                Event::Empty(s) => {
                    return Err(self.invalid(format!(
                        "<{}> is empty or not allowed here; a bag needs at least one record",
                        String::from_utf8_lossy(s.name().as_ref())
                    )));
                }
                Event::End(_) => {
                    // Records are captured whole, so inside the area every end tag closes the
                    // innermost open container.
                    if let Some(open) = self.open.pop()
                        && self.filled.pop() == Some(0)
                    {
                        let what = match open {
                            Open::Records(_, record) => format!("one <dgn:{record}>"),
                            _ => "one bag".to_owned(),
                        };
                        let here = self.path.last().cloned().unwrap_or_default();
                        return Err(
                            self.invalid(format!("<{here}> is empty; it needs at least {what}"))
                        );
                    }
                    self.path.pop();
                    self.decls.pop();
                    self.scopes.pop();
                    self.outer = None;
                    if self.path.is_empty() {
                        // Root closed: the rest may only be comments and whitespace.
                        loop {
                            match self.next_event()? {
                                Event::Eof => return Ok(false),
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
                Event::Eof => {
                    return Err(self.invalid(
                        "the document ends before the transaction is closed; the file may be truncated",
                    ));
                }
                other => self.between_elements(&other)?,
            }
        }
    }
}

impl<R: BufRead> Iterator for IbToOfficeReader<R> {
    type Item = Result<IbToOfficeRecord, Error>;

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
