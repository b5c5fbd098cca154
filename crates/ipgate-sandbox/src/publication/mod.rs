//! The ZIP that `GET /publication/bulletin/{weekId}` and
//! `GET /publication/copy/confidential/{weekId}` return: a week's Hague bulletin, or the
//! confidential copies for one examining office, generated as they stream.
//!
//! # What is in it
//!
//! One `dgn:HagueIBToOfficeTransaction` XML (WIPO ST.96 V6_0) at the top of the archive, plus one
//! folder per international registration named after its IRN without the slash (`DM/201234` →
//! `DM201234/`), like WIPO's bulletin image archives (hws-facts §6.1), holding every file the XML
//! references. Every `com:FileName` is the file's exact path in the archive.
//!
//! * [`PublicationKind::Bulletin`]: a `dgn:HagueBulletin` (header with bulletin number `YYYY/WW`,
//!   publication date = Friday of the ISO week, counts by category) whose
//!   `dgn:HagueBulletinTransactionBag` holds, in this order, a `dgn:HagueRegistrationBag` (the
//!   designs the sandbox registered that week first, then the synthetic ones), then synthetic
//!   renewals, refusals and grants of protection (each grant with a one-page PDF statement in its
//!   IRN's folder).
//! * [`PublicationKind::ConfidentialCopies`]: a `dgn:HagueIBToOfficeBag` for one receiving office
//!   (header with `com:ReceivingOfficeCode`, `com:RecordNotificationDate` = Friday of the week,
//!   category `Office copy`) whose `dgn:HagueOfficeCopyBag` holds the registrations designating
//!   that office: the sandbox's own (those whose [`RegisteredDesign::designated`] names it) and
//!   synthetic ones (which always designate it).
//!
//! Views are JPEGs (64x64 baseline greyscale, made in code) or the bytes the sandbox was given
//! ([`Design::views`], JPEG or PNG). The synthetic corpus comes from the `tools/gen-bulletin.py`
//! record shapes and is a function of (seed, week, kind) only. The XML is valid against WIPO's
//! official `HagueIBToOfficeTransaction_V6_0.xsd` and reads with `st96::stream::IbToOfficeReader`
//! and `hague_package::IbPackage` (tests/publication.rs checks all three).
//!
//! # Bytes, length, ETag, ranges
//!
//! Entries are stored (not deflated) with their sizes and CRC-32 in the local headers, so the
//! archive's length is known before its first byte. [`Publication::new`] makes every record and
//! file once (the counting pass: CPU proportional to the size, memory constant apart from 12 bytes
//! per file and one checkpoint per 32 records) and keeps only that; the bytes are made again on
//! every read, identically: same spec, same bytes, same [`Publication::etag`] (a strong validator,
//! RFC 9110 §8.8.1, from a SHA-256 of the spec and of every entry's length and CRC-32).
//! [`Publication::stream_range`] starts at the checkpoint before the range: a range in the middle
//! of a 500 MB bulletin costs at most 32 records of waste, not the bytes before it.
//!
//! # Serving it with axum (for the HWS routes)
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use ipgate_sandbox::publication::{CorpusSize, Publication, PublicationKind, PublicationSpec};
//! let spec = PublicationSpec {
//!     kind: PublicationKind::Bulletin,
//!     iso_year: 2026,
//!     iso_week: 47,
//!     seed: 1,
//!     corpus: CorpusSize::Records(20),
//!     registered: Vec::new(),
//! };
//! // The counting pass is CPU work: build off the async threads, and cache the result per
//! // (kind, office, week) while the week's content does not change (it is cheap to clone).
//! let publication = tokio::task::spawn_blocking(move || Publication::new(&spec)).await??;
//! let (len, etag) = (publication.len(), publication.etag().to_owned());
//! // `Range: bytes=100-` → 206 with `Content-Range: bytes 100-{len-1}/{len}`.
//! let body = publication.stream_range(100, len - 1)?; // impl Stream<Item = io::Result<Bytes>>
//! // axum::body::Body::from_stream(body), with `ETag: {etag}`, `Accept-Ranges: bytes`,
//! // `Content-Type: application/zip`, `Content-Length`.
//! # let _ = (body, etag); Ok(()) }
//! ```
//!
//! Ranges are checked by [`Publication::reader`] / [`Publication::stream_range`]
//! ([`PublicationError::Range`] → 416 with `Content-Range: bytes */{len}`); parsing the `Range`
//! and `If-Range` headers is the route's job.

mod corpus;
mod layout;
mod media;
mod rng;
mod vocab;
mod zipfmt;

use std::io;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use time::{Date, Weekday};

pub use layout::PublicationReader;

use corpus::Kind;
use layout::{Layout, LayoutError, Quota};
use vocab::LANGUAGES;

/// Version of the generator's output. Bump it whenever a change alters the bytes made from the
/// same spec: it is part of every ETag, so a resumed download never mixes two versions.
pub const GENERATOR_VERSION: u32 = 1;

/// Most bytes in a chunk [`Publication::stream_range`] yields (slices of what was made, not
/// copies, so some are shorter).
pub const CHUNK: usize = 1024 * 1024;

/// Size of each synthetic JPEG when the corpus is sized in bytes ([`CorpusSize::TargetBytes`]),
/// so that images, not XML, make most of a big bulletin, as in WIPO's (and the entry count stays
/// well under `hague_package::Limits::max_entries`): about 28,000 files for 500 MB.
pub const IMAGE_BYTES_AT_SIZE: usize = 24 * 1024;

/// Which publication of a week.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PublicationKind {
    /// The International Designs Bulletin (`GET /publication/bulletin/{weekId}`).
    Bulletin,
    /// Confidential copies for one examining office
    /// (`GET /publication/copy/confidential/{weekId}`, Hague Agreement 1999 Act, Article 10(5)).
    ConfidentialCopies {
        /// The office's WIPO ST.3 code (`com:ReceivingOfficeCode`), e.g. `US`, `JP`, `KR`.
        receiving_office: String,
    },
}

/// How much synthetic content to add to the sandbox's own registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorpusSize {
    /// None: only [`PublicationSpec::registered`] (an empty week is then
    /// [`PublicationError::Empty`]).
    None,
    /// `n` synthetic registrations (images of natural size, ~300-600 bytes), and in a bulletin
    /// `max(1, n / 10)` renewals, refusals and grants of protection (none when `n` is 0).
    Records(u32),
    /// Synthetic records until the archive holds at least this many bytes (85 % registrations,
    /// 5 % each other kind in a bulletin), with [`IMAGE_BYTES_AT_SIZE`]-byte images: bulletins of
    /// hundreds of MB for benchmarks.
    TargetBytes(u64),
}

/// Everything a publication's bytes depend on: same spec, same bytes.
#[derive(Debug, Clone)]
pub struct PublicationSpec {
    /// Bulletin or confidential copies.
    pub kind: PublicationKind,
    /// ISO 8601 week-numbering year of the `weekId` (`yyyy`).
    pub iso_year: i32,
    /// ISO week of the `weekId` (`ww`, 1..=52 or 53).
    pub iso_week: u8,
    /// Seed of the synthetic corpus (the sandbox's seed).
    pub seed: u64,
    /// Size of the synthetic corpus.
    pub corpus: CorpusSize,
    /// What the sandbox registered that week, published first, in this order. Their IRNs must
    /// differ from each other; synthetic IRNs are `DM/8YYWWNNNNN` (ten digits), so six-digit
    /// sandbox IRNs never collide with them.
    pub registered: Vec<RegisteredDesign>,
}

/// An international registration the sandbox made (from a package it accepted), as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredDesign {
    /// International registration number, e.g. `DM/000123` (ASCII letters, digits and `/`).
    pub irn: String,
    /// `com:InternationalRegistrationDate`; the expiry date is five years later (Article 17).
    pub registration_date: Date,
    /// `com:InternationalFilingDate` (also the fee calculation date).
    pub filing_date: Date,
    /// `com:FilingLanguageCode`: `en`, `fr` or `es` (Common Regulations, Rule 6(1)).
    pub filing_language: String,
    /// The (first) holder.
    pub holder: Holder,
    /// Designated contracting parties (WIPO ST.3 codes), at least one; a confidential copy for an
    /// office holds the registration only if its code is here.
    pub designated: Vec<String>,
    /// The designs, 1 to 100 (Article 5(4), Rule 7(7)).
    pub designs: Vec<Design>,
}

/// The holder of a [`RegisteredDesign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Name (`com:OrganizationStandardName` or `com:PersonFullName`).
    pub name: String,
    /// `true` for an organisation, `false` for a natural person.
    pub organization: bool,
    /// `dgn:ApplicantContractingParty`: WIPO ST.3 code of the contracting party the holder
    /// qualifies through, e.g. `CH` or `EM`.
    pub contracting_party: String,
}

/// One design of a [`RegisteredDesign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Design {
    /// Indication of the product (`com:ProductDescriptionText`, in the filing language).
    pub product: String,
    /// Locarno class, 1..=32.
    pub locarno_class: u8,
    /// Locarno subclass, 0..=99.
    pub locarno_subclass: u8,
    /// The views as filed, JPEG or PNG bytes, in order; published as
    /// `IRNFOLDER/IRNFOLDER_Dnnn_Vvv.jpg` (or `.png`). None: one generated JPEG view.
    pub views: Vec<Bytes>,
}

impl Design {
    /// `true` if `bytes` can be a published view: a JPEG or PNG (by its signature) of at most
    /// 64 MiB (`dgn:ViewFileFormatCategory` `JPEG` or `PNG`). Filter views with it before
    /// [`Publication::new`], which refuses others ([`DesignProblem::View`]).
    pub fn accepts_view(bytes: &[u8]) -> bool {
        media::view_format(bytes).is_some() && bytes.len() <= MAX_VIEW_BYTES
    }
}

/// Largest view [`Design::accepts_view`] accepts.
const MAX_VIEW_BYTES: usize = 64 << 20;

/// What is wrong with a [`RegisteredDesign`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DesignProblem {
    /// The IRN is empty, too long or has characters other than ASCII letters, digits and `/`.
    #[error("the IRN must be 1 to 32 ASCII letters, digits and '/', with at least one digit")]
    Irn,
    /// Two registered designs have the same IRN (or the same folder name).
    #[error("another registered design of the week has the same IRN folder")]
    DuplicateIrn,
    /// The filing language is not a Hague language.
    #[error("filing language {0:?} is not en, fr or es")]
    Language(String),
    /// The holder's contracting party is not a WIPO ST.3 code.
    #[error("holder's contracting party {0:?} is not a WIPO ST.3 code")]
    ContractingParty(String),
    /// A designated party is not a WIPO ST.3 code.
    #[error("designated party {0:?} is not a WIPO ST.3 code")]
    Designated(String),
    /// No designated party.
    #[error("no designated contracting party")]
    NoDesignation,
    /// Not 1 to 100 designs.
    #[error("{0} designs; a registration holds 1 to 100")]
    DesignCount(usize),
    /// A text is empty or holds characters XML 1.0 cannot carry.
    #[error("the {0} is empty or holds control characters")]
    Text(&'static str),
    /// The Locarno class or subclass is out of range.
    #[error("Locarno {class}.{subclass} is not a class 1-32 with a subclass 0-99")]
    Locarno {
        /// The class given.
        class: u8,
        /// The subclass given.
        subclass: u8,
    },
    /// A view is neither JPEG nor PNG, or larger than 64 MiB.
    #[error("view {view} of design {design} is not a JPEG or PNG of at most 64 MiB")]
    View {
        /// Design number (from 1).
        design: usize,
        /// View number (from 1).
        view: usize,
    },
}

/// Why a publication cannot be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicationError {
    /// The year and week are not an ISO 8601 week.
    #[error("{year}-W{week:02} is not an ISO 8601 week")]
    Week {
        /// The year given.
        year: i32,
        /// The week given.
        week: u8,
    },
    /// The receiving office of confidential copies is not a WIPO ST.3 code.
    #[error("receiving office {0:?} is not a WIPO ST.3 code")]
    Office(String),
    /// A registered design cannot be published as given.
    #[error("registered design {irn:?} cannot be published: {problem}")]
    Design {
        /// Its IRN, as given.
        irn: String,
        /// What is wrong.
        problem: DesignProblem,
    },
    /// Nothing to publish: no registered design (for this office) and no synthetic corpus.
    #[error("the publication would hold no record")]
    Empty,
    /// A byte range outside the archive (HTTP 416, RFC 9110 §15.5.17).
    #[error("bytes {start}-{end} are not within the {len} bytes of the publication")]
    Range {
        /// First byte asked.
        start: u64,
        /// Last byte asked (inclusive).
        end: u64,
        /// Length of the publication.
        len: u64,
    },
    /// A file of more than 4 GiB.
    #[error("file {0} is larger than 4 GiB")]
    FileTooLarge(String),
}

/// `YYYY-MM-DD`.
pub(crate) fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// What a publication holds (for logs, the admin API and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Records by `dgn:HagueBulletinTransactionCategory` (`Registration`, `Renewal`, `Refusal`,
    /// `Grant protection`; confidential copies count as `Registration`).
    pub records: Vec<(&'static str, u64)>,
    /// Referenced files (images and PDFs).
    pub files: u64,
    /// Name of the XML entry.
    pub xml_name: String,
    /// Length of the XML.
    pub xml_len: u64,
}

/// A week's publication, ready to stream any number of times. Cheap to clone (shared).
#[derive(Clone)]
pub struct Publication {
    layout: Arc<Layout>,
    etag: Arc<str>,
    file_name: Arc<str>,
}

fn valid_text(s: &str) -> bool {
    !s.trim().is_empty()
        && s.chars()
            .all(|c| !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

fn check_design(d: &RegisteredDesign) -> Result<(), DesignProblem> {
    let irn_ok = (1..=32).contains(&d.irn.len())
        && d.irn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/')
        && d.irn.bytes().any(|b| b.is_ascii_digit());
    if !irn_ok {
        return Err(DesignProblem::Irn);
    }
    if !LANGUAGES.contains(&d.filing_language.as_str()) {
        return Err(DesignProblem::Language(d.filing_language.clone()));
    }
    if !hague_package::is_st3_code(&d.holder.contracting_party) {
        return Err(DesignProblem::ContractingParty(
            d.holder.contracting_party.clone(),
        ));
    }
    if !valid_text(&d.holder.name) {
        return Err(DesignProblem::Text("holder name"));
    }
    if d.designated.is_empty() {
        return Err(DesignProblem::NoDesignation);
    }
    if let Some(bad) = d.designated.iter().find(|c| !hague_package::is_st3_code(c)) {
        return Err(DesignProblem::Designated(bad.clone()));
    }
    if !(1..=100).contains(&d.designs.len()) {
        return Err(DesignProblem::DesignCount(d.designs.len()));
    }
    for (i, design) in d.designs.iter().enumerate() {
        if !valid_text(&design.product) {
            return Err(DesignProblem::Text("product indication"));
        }
        if !(1..=32).contains(&design.locarno_class) || design.locarno_subclass > 99 {
            return Err(DesignProblem::Locarno {
                class: design.locarno_class,
                subclass: design.locarno_subclass,
            });
        }
        for (v, bytes) in design.views.iter().enumerate() {
            if !Design::accepts_view(bytes) {
                return Err(DesignProblem::View {
                    design: i + 1,
                    view: v + 1,
                });
            }
        }
    }
    Ok(())
}

impl Publication {
    /// Checks `spec` and runs the counting pass (see the module documentation): CPU work
    /// proportional to the publication's size, so call it off the async threads
    /// (`tokio::task::spawn_blocking`) and cache the result.
    pub fn new(spec: &PublicationSpec) -> Result<Self, PublicationError> {
        let week_err = PublicationError::Week {
            year: spec.iso_year,
            week: spec.iso_week,
        };
        if !(1900..=9999).contains(&spec.iso_year) {
            return Err(week_err);
        }
        let date = Date::from_iso_week_date(spec.iso_year, spec.iso_week, Weekday::Friday)
            .map_err(|_| week_err)?;
        let office = match &spec.kind {
            PublicationKind::Bulletin => None,
            PublicationKind::ConfidentialCopies { receiving_office } => {
                if !hague_package::is_st3_code(receiving_office) {
                    return Err(PublicationError::Office(receiving_office.clone()));
                }
                Some(receiving_office.clone())
            }
        };
        let mut folders = std::collections::HashSet::new();
        for d in &spec.registered {
            let problem = check_design(d).err().or_else(|| {
                (!folders.insert(corpus::irn_folder(&d.irn).to_ascii_uppercase()))
                    .then_some(DesignProblem::DuplicateIrn)
            });
            if let Some(problem) = problem {
                return Err(PublicationError::Design {
                    irn: d.irn.clone(),
                    problem,
                });
            }
        }
        let registered: Vec<RegisteredDesign> = spec
            .registered
            .iter()
            .filter(|d| office.as_ref().is_none_or(|o| d.designated.contains(o)))
            .cloned()
            .collect();
        let r = registered.len() as u64;
        let other_kinds = [Kind::Renewal, Kind::Refusal, Kind::GrantProtection];
        let mut quotas = Vec::new();
        let mut image_pad = 0;
        match spec.corpus {
            CorpusSize::None => quotas.push((Kind::Registration, Quota::Count(r))),
            CorpusSize::Records(n) => {
                let n = u64::from(n);
                quotas.push((Kind::Registration, Quota::Count(r + n)));
                if office.is_none() {
                    let others = if n == 0 { 0 } else { (n / 10).max(1) };
                    quotas.extend(other_kinds.map(|k| (k, Quota::Count(others))));
                }
            }
            CorpusSize::TargetBytes(t) => {
                image_pad = IMAGE_BYTES_AT_SIZE;
                if office.is_none() {
                    quotas.push((
                        Kind::Registration,
                        Quota::Bytes {
                            min: r + 1,
                            bytes: t / 100 * 85,
                        },
                    ));
                    quotas.extend(other_kinds.map(|k| {
                        (
                            k,
                            Quota::Bytes {
                                min: 1,
                                bytes: t / 100 * 5,
                            },
                        )
                    }));
                } else {
                    quotas.push((
                        Kind::Registration,
                        Quota::Bytes {
                            min: r + 1,
                            bytes: t,
                        },
                    ));
                }
            }
        }
        let week = format!("{:04}{:02}", spec.iso_year, spec.iso_week);
        let (stem, kind_byte) = match &office {
            None => (format!("bulletin-{week}"), 0u8),
            Some(o) => (format!("confidential-copies-{o}-{week}"), 1u8),
        };
        let mut fingerprint = vec![kind_byte];
        fingerprint.extend_from_slice(office.as_deref().unwrap_or("").as_bytes());
        fingerprint.push(0);
        fingerprint.extend_from_slice(&spec.iso_year.to_le_bytes());
        fingerprint.push(spec.iso_week);
        fingerprint.extend_from_slice(&spec.seed.to_le_bytes());
        let (corpus_tag, corpus_n) = match spec.corpus {
            CorpusSize::None => (0u8, 0u64),
            CorpusSize::Records(n) => (1, u64::from(n)),
            CorpusSize::TargetBytes(n) => (2, n),
        };
        fingerprint.push(corpus_tag);
        fingerprint.extend_from_slice(&corpus_n.to_le_bytes());
        fingerprint.extend_from_slice(&r.to_le_bytes());
        let started = std::time::Instant::now();
        let corpus = corpus::Corpus {
            seed: spec.seed,
            year: spec.iso_year,
            week: spec.iso_week,
            date,
            office,
            registered,
            image_pad,
        };
        let layout = Layout::build(corpus, &quotas, format!("{stem}.xml"), &fingerprint).map_err(
            |e| match e {
                LayoutError::Empty => PublicationError::Empty,
                LayoutError::FileTooLarge(name) => PublicationError::FileTooLarge(name),
            },
        )?;
        let hex: String = layout.digest()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        tracing::debug!(
            name = %stem,
            bytes = layout.total(),
            files = layout.files(),
            elapsed = ?started.elapsed(),
            "publication laid out"
        );
        Ok(Self {
            layout: Arc::new(layout),
            etag: Arc::from(format!("\"{hex}\"")),
            file_name: Arc::from(format!("{stem}.zip")),
        })
    }

    /// Length of the archive in bytes (`Content-Length` of a full response).
    pub fn len(&self) -> u64 {
        self.layout.total()
    }

    /// Always `false`: a publication holds at least one record.
    pub fn is_empty(&self) -> bool {
        self.layout.total() == 0
    }

    /// The strong entity tag, quoted, ready for the `ETag` header (RFC 9110 §8.8.3), e.g.
    /// `"3f2a…"`.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// A file name for `Content-Disposition`: `bulletin-YYYYWW.zip` or
    /// `confidential-copies-OFFICE-YYYYWW.zip`.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// What the publication holds.
    pub fn summary(&self) -> Summary {
        Summary {
            records: self
                .layout
                .counts()
                .into_iter()
                .map(|(k, n)| (k.category(), n))
                .collect(),
            files: self.layout.files(),
            xml_name: self.layout.xml_name().to_owned(),
            xml_len: self.layout.xml_len(),
        }
    }

    fn check_range(&self, start: u64, end_inclusive: u64) -> Result<(), PublicationError> {
        if start > end_inclusive || end_inclusive >= self.len() {
            return Err(PublicationError::Range {
                start,
                end: end_inclusive,
                len: self.len(),
            });
        }
        Ok(())
    }

    /// A blocking reader of bytes `start..=end_inclusive` (implements [`std::io::Read`]).
    pub fn reader(
        &self,
        start: u64,
        end_inclusive: u64,
    ) -> Result<PublicationReader, PublicationError> {
        self.check_range(start, end_inclusive)?;
        Ok(PublicationReader::new(
            self.layout.clone(),
            start,
            end_inclusive + 1,
        ))
    }

    /// Bytes `start..=end_inclusive` as a stream of chunks of at most [`CHUNK`] bytes, each made
    /// on tokio's blocking pool (so poll it inside a tokio runtime); memory stays at about one
    /// chunk plus one record's files. For `axum::body::Body::from_stream`.
    pub fn stream_range(
        &self,
        start: u64,
        end_inclusive: u64,
    ) -> Result<impl Stream<Item = io::Result<Bytes>> + Send + 'static, PublicationError> {
        Ok(chunks(self.reader(start, end_inclusive)?))
    }

    /// The whole archive as a stream (see [`Publication::stream_range`]).
    pub fn stream(&self) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
        // Never empty (`Layout::build` refuses that), so the whole range is valid.
        chunks(PublicationReader::new(self.layout.clone(), 0, self.len()))
    }
}

impl std::fmt::Debug for Publication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publication")
            .field("file_name", &self.file_name)
            .field("len", &self.len())
            .field("etag", &self.etag)
            .finish_non_exhaustive()
    }
}

/// The reader's chunks, each made on tokio's blocking pool.
fn chunks(reader: PublicationReader) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures_util::stream::unfold(Some(reader), |state| async move {
        let mut reader = state?;
        let made = tokio::task::spawn_blocking(move || {
            let chunk = reader.next_chunk(CHUNK);
            (chunk, reader)
        })
        .await;
        match made {
            Ok((Some(chunk), reader)) => Some((Ok(chunk), Some(reader))),
            Ok((None, _)) => None,
            Err(e) => Some((Err(io::Error::other(e)), None)),
        }
    })
}
