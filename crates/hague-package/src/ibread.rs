//! Reading the records of an IB-to-office XML with `st96`'s typed streaming
//! ([`st96::stream::IbToOfficeReader`]): one typed record at a time, memory flat whatever the
//! file size. Each record is summarised as a [`Record`] (kind, bag, IRN, record id, files).

use std::io::BufRead;

use st96::stream::{
    BulletinRecord, IbToOfficeHeader, IbToOfficeReader, IbToOfficeRecord, OfficeCopyRecord,
};
use st96::v6::hague::com::{DocumentIncludedBagType, IdentifierType};
use st96::v6::hague::dgn;

/// One record of an IB-to-office document (a registration, a refusal, a confidential copy, ...).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Record {
    /// Element name of the record, e.g. `HagueRegistration`.
    pub kind: String,
    /// The bag it sits in, e.g. `HagueRegistrationBag`.
    pub bag: String,
    /// The record's international registration number (the first one for records naming
    /// several; the resulting registration for a merger).
    pub irn: Option<String>,
    /// `com:RecordIdentifier`, when present.
    pub record_id: Option<String>,
    /// The files the record references: every view's `com:FileName` and
    /// `com:ThumbnailFileName` in its `dgn:HagueDesignBag`, and the `com:FileName` of its own
    /// supporting documents (`com:DocumentIncludedBag`).
    pub files: Vec<String>,
    /// Line of the record's start tag.
    pub line: u64,
    /// The typed record, as read by `st96` (not serialised).
    #[serde(skip)]
    pub typed: Option<Box<IbToOfficeRecord>>,
}

/// Header facts of an IB-to-office document.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IbHeader {
    /// Root element (`HagueIBToOfficeTransaction`).
    pub root: String,
    /// `HagueBulletin` or `HagueIBToOfficeBag`.
    pub content: Option<String>,
    /// Declared `com:st96Version`.
    pub version: Option<String>,
    /// `dgn:HagueBulletinNumber`, for a bulletin.
    pub bulletin_number: Option<String>,
    /// `com:PublicationDate` (bulletin) or `com:RecordNotificationDate` (office bag) of the header.
    pub date: Option<String>,
    /// `com:ReceivingOfficeCode`, for an office bag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving_office: Option<String>,
}

/// A field that may hold a text value.
trait Text {
    fn text(&self) -> Option<&str>;
}

impl Text for String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Text for IdentifierType {
    fn text(&self) -> Option<&str> {
        Some(&self.content)
    }
}

impl Text for st96::v6::hague::com::InternationalRegistrationNumberBagType {
    fn text(&self) -> Option<&str> {
        self.international_registration_number
            .first()
            .map(String::as_str)
    }
}

impl<T: Text> Text for Option<T> {
    fn text(&self) -> Option<&str> {
        self.as_ref().and_then(Text::text)
    }
}

/// A field that references files.
trait Files {
    fn files(&self, out: &mut Vec<String>);
}

impl Files for dgn::HagueDesignBagType {
    fn files(&self, out: &mut Vec<String>) {
        for design in &self.hague_design {
            for view in &design.view_bag.view {
                out.push(view.file_name.clone());
                out.extend(view.thumbnail_file_name.iter().cloned());
            }
        }
    }
}

impl Files for DocumentIncludedBagType {
    fn files(&self, out: &mut Vec<String>) {
        out.extend(
            self.document_included
                .iter()
                .filter_map(|d| d.file_name.clone()),
        );
    }
}

impl<T: Files> Files for Option<T> {
    fn files(&self, out: &mut Vec<String>) {
        if let Some(x) = self {
            x.files(out);
        }
    }
}

/// Summary of one typed record: (IRN, record id, files).
trait Summary {
    fn summary(&self) -> (Option<&str>, Option<&str>, Vec<String>);
}

macro_rules! summary {
    ($( $ty:ident: $irn:ident, [$($files:ident),*]; )*) => {
        $(
            impl Summary for dgn::$ty {
                fn summary(&self) -> (Option<&str>, Option<&str>, Vec<String>) {
                    #[allow(unused_mut)]
                    let mut files = Vec::new();
                    $( self.$files.files(&mut files); )*
                    (self.$irn.text(), self.record_identifier.text(), files)
                }
            }
        )*
    };
}

summary! {
    HagueRegistrationType: international_registration_number, [hague_design_bag, document_included_bag];
    HagueRenewalType: international_registration_number, [];
    HagueExpirationType: international_registration_number, [];
    HagueOwnershipChangeType: international_registration_number_bag, [document_included_bag];
    HagueOwnershipChangeRefusalType: international_registration_number, [];
    HagueOwnershipChangeRefusalWithdrawalType: international_registration_number, [];
    HagueMergerType: merge_to_international_registration_number, [];
    HagueHolderNameAddressChangeType: international_registration_number_bag, [document_included_bag];
    HagueCreatorNameAddressChangeType: international_registration_number_bag, [document_included_bag];
    HagueRenunciationType: international_registration_number_bag, [];
    HagueLimitationType: international_registration_number_bag, [];
    HagueRefusalType: international_registration_number, [];
    HagueRefusalWithdrawalType: international_registration_number, [];
    HagueGrantProtectionType: international_registration_number, [document_included_bag];
    HagueInvalidationType: international_registration_number, [];
    HagueCancellationNonPaymentType: international_registration_number, [];
    HagueCorrectionType: international_registration_number, [];
    HagueCorrectionRefusalType: international_registration_number, [];
    HagueCorrectionRefusalWithdrawalType: international_registration_number, [];
    HagueSecondPartFeePaidType: international_registration_number, [hague_design_bag];
    HagueSecondPartFeeNotPaidType: international_registration_number, [];
    HaguePublicationCancellationType: international_registration_number, [];
    HagueAcknowledgementReceiptType: international_registration_number, [];
}

impl Summary for dgn::HagueIrregularityNotificationType {
    fn summary(&self) -> (Option<&str>, Option<&str>, Vec<String>) {
        use dgn::HagueIrregularityNotificationContent392Type as Ids;
        use dgn::HagueIrregularityNotificationContent396Type as Body;
        let irn = match &self.content_392 {
            Ids::Content393(x) => x.international_registration_number.text(),
            Ids::Content394(x) => x.international_registration_number.text(),
            Ids::Content395(x) => x.international_registration_number.text(),
        };
        let mut files = Vec::new();
        match &self.content_396 {
            Body::Content397(x) => x.document_included_bag.files(&mut files),
            Body::Content398(x) => x.document_included_bag.files(&mut files),
        }
        (irn, self.record_identifier.text(), files)
    }
}

fn summarise(r: &IbToOfficeRecord) -> (Option<&str>, Option<&str>, Vec<String>) {
    use BulletinRecord as B;
    use OfficeCopyRecord as C;
    match r {
        IbToOfficeRecord::Bulletin(b) => match b {
            B::Registration(x) => x.summary(),
            B::Renewal(x) => x.summary(),
            B::Expiration(x) => x.summary(),
            B::OwnershipChange(x) => x.summary(),
            B::OwnershipChangeRefusal(x) => x.summary(),
            B::OwnershipChangeRefusalWithdrawal(x) => x.summary(),
            B::Merger(x) => x.summary(),
            B::HolderNameAddressChange(x) => x.summary(),
            B::CreatorNameAddressChange(x) => x.summary(),
            B::Renunciation(x) => x.summary(),
            B::Limitation(x) => x.summary(),
            B::Refusal(x) => x.summary(),
            B::RefusalWithdrawal(x) => x.summary(),
            B::GrantProtection(x) => x.summary(),
            B::Invalidation(x) => x.summary(),
            B::CancellationNonPayment(x) => x.summary(),
            B::Correction(x) => x.summary(),
            B::CorrectionRefusal(x) => x.summary(),
            B::CorrectionRefusalWithdrawal(x) => x.summary(),
            _ => (None, None, Vec::new()),
        },
        IbToOfficeRecord::OfficeCopy(c) => match c {
            C::Registration(x) => x.summary(),
            C::OwnershipChange(x) => x.summary(),
            C::Merger(x) => x.summary(),
            C::HolderNameAddressChange(x) => x.summary(),
            C::CreatorNameAddressChange(x) => x.summary(),
            C::Renunciation(x) => x.summary(),
            C::Limitation(x) => x.summary(),
            C::Correction(x) => x.summary(),
            C::SecondPartFeePaid(x) => x.summary(),
            C::SecondPartFeeNotPaid(x) => x.summary(),
            C::PublicationCancellation(x) => x.summary(),
            _ => (None, None, Vec::new()),
        },
        IbToOfficeRecord::AcknowledgementReceipt(x) => x.summary(),
        IbToOfficeRecord::IrregularityNotification(x) => x.summary(),
        _ => (None, None, Vec::new()),
    }
}

fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

/// The summary of a typed record read at `line`.
pub(crate) fn record_of(typed: IbToOfficeRecord, line: u64) -> Record {
    let (irn, record_id, files) = summarise(&typed);
    let (irn, record_id) = (irn.map(str::to_owned), record_id.map(str::to_owned));
    Record {
        kind: local(typed.element_name()).to_owned(),
        bag: local(&typed.bag_name()).to_owned(),
        irn,
        record_id,
        files,
        line,
        typed: Some(Box::new(typed)),
    }
}

fn header_of<R: BufRead>(reader: &IbToOfficeReader<R>) -> IbHeader {
    let h = reader.header();
    let mut out = IbHeader {
        root: "HagueIBToOfficeTransaction".to_owned(),
        content: Some(local(h.content_name()).to_owned()),
        version: reader.declared_version().map(str::to_owned),
        ..IbHeader::default()
    };
    match h {
        IbToOfficeHeader::Bulletin(b) => {
            out.bulletin_number = Some(b.hague_bulletin_number.clone());
            out.date = Some(date_text(&b.publication_date));
        }
        IbToOfficeHeader::Office(o) => {
            out.date = Some(date_text(&o.record_notification_date));
            out.receiving_office = Some(st3_text(&o.receiving_office_code));
        }
        _ => {}
    }
    out
}

fn date_text(d: &st96::v6::hague::com::DateType) -> String {
    use st96::v6::hague::com::DateType;
    match d {
        DateType::Date(x) => x.to_string(),
        DateType::GYear(x) => x.to_string(),
        DateType::GYearMonth(x) => x.to_string(),
    }
}

fn st3_text(c: &st96::v6::hague::com::ExtendedWipost3CodeType) -> String {
    use st96::v6::hague::com::ExtendedWipost3CodeType as C;
    match c {
        // The generated variants are the codes in title case (`Em` for EM).
        C::Wipost3CodeType(x) => format!("{x:?}").to_ascii_uppercase(),
        C::WipoFormerSt3CodeType(x) => format!("{x:?}").to_ascii_uppercase(),
    }
}

/// Streams the records of an IB-to-office document to `sink` (return `false` to read no
/// further). The st96 input guards apply, with nesting limited to `max_depth`.
pub(crate) fn stream_records<R: BufRead, F: FnMut(Record) -> bool>(
    input: R,
    max_depth: usize,
    sink: &mut F,
) -> Result<IbHeader, st96::Error> {
    let limits = st96::detect::Limits {
        max_depth,
        ..st96::detect::Limits::default()
    };
    let mut reader = IbToOfficeReader::with_limits(input, limits)?;
    let header = header_of(&reader);
    while let Some(next) = reader.next() {
        let typed = next?;
        let line = reader.record_location().map_or(0, |l| l.line);
        if !sink(record_of(typed, line)) {
            break;
        }
    }
    Ok(header)
}
