//! The records of a publication and the files they reference: the designs the sandbox registered
//! and a seeded synthetic corpus. The record shapes are those of `tools/gen-bulletin.py` (checked
//! there against the official V6_0 schema with lxml) and of `crates/st96/tests/data/ib_office_bag.xml`.
//!
//! Every record is made from its own random stream, keyed by (seed, week, kind, index), so any
//! record can be made without making the ones before it: what lets a `Range` request start in the
//! middle of a bulletin without generating it from the start.

use std::io::Write;

use bytes::Bytes;
use time::{Date, Duration};

use super::media;
use super::rng::Rng;
use super::vocab::*;
use super::{RegisteredDesign, date_text};

pub(crate) const COM_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Common";
pub(crate) const DGN_NS: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Design";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
const SCHEMA_LOCATION: &str = "http://www.wipo.int/standards/XMLSchema/ST96/Design https://www.wipo.int/standards/XMLSchema/ST96/V6_0/Design/Flatten/HagueIBToOfficeTransaction_V6_0.xsd";

/// Record kinds, in the order of their bags in the schema's `HagueBulletinTransactionBagType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Registration,
    Renewal,
    Refusal,
    GrantProtection,
}

impl Kind {
    pub(crate) fn bag(self) -> &'static str {
        match self {
            Self::Registration => "HagueRegistrationBag",
            Self::Renewal => "HagueRenewalBag",
            Self::Refusal => "HagueRefusalBag",
            Self::GrantProtection => "HagueGrantProtectionBag",
        }
    }

    /// `dgn:HagueBulletinTransactionCategory` of the kind.
    pub(crate) fn category(self) -> &'static str {
        match self {
            Self::Registration => "Registration",
            Self::Renewal => "Renewal",
            Self::Refusal => "Refusal",
            Self::GrantProtection => "Grant protection",
        }
    }

    fn tag(self) -> u64 {
        match self {
            Self::Registration => 1,
            Self::Renewal => 2,
            Self::Refusal => 3,
            Self::GrantProtection => 4,
        }
    }
}

/// How a referenced file's bytes are made.
#[derive(Debug, Clone)]
pub(crate) enum FileContent {
    /// A generated JPEG from the stream keyed by `key`, padded to `pad` bytes.
    Jpeg { key: u64, pad: usize },
    /// A generated one-page PDF showing `title`.
    Pdf { title: String },
    /// Bytes given by the caller (a view of a registered design).
    Given(Bytes),
}

/// One file of the archive, referenced by a record.
#[derive(Debug, Clone)]
pub(crate) struct FileRef {
    /// Path in the archive, `IRNFOLDER/NAME`; the same text is the record's `com:FileName`.
    pub(crate) name: String,
    pub(crate) content: FileContent,
}

impl FileRef {
    /// Appends the file's bytes to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        match &self.content {
            FileContent::Jpeg { key, pad } => media::jpeg(&mut Rng::keyed(&[*key]), *pad, out),
            FileContent::Pdf { title } => hague_package::pdf::write_one_page(out, title),
            FileContent::Given(b) => out.extend_from_slice(b),
        }
    }
}

/// Where a record's XML goes: formatting is skipped when only its files are wanted (the
/// random draws happen either way, so the files are the same).
pub(crate) struct XmlSink {
    pub(crate) buf: Vec<u8>,
    pub(crate) on: bool,
}

macro_rules! x {
    ($s:expr, $($arg:tt)*) => {
        if $s.on {
            // Writing to a Vec cannot fail.
            let _ = write!($s.buf, $($arg)*);
        }
    };
}

/// Escapes text for element content and attribute values.
pub(crate) struct Esc<'a>(pub(crate) &'a str);

impl std::fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut last = 0;
        for (i, c) in self.0.char_indices() {
            let rep = match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                _ => continue,
            };
            f.write_str(&self.0[last..i])?;
            f.write_str(rep)?;
            last = i + c.len_utf8();
        }
        f.write_str(&self.0[last..])
    }
}

/// The folder of an IRN: its letters and digits (`DM/201234` → `DM201234`), like the IRN-named
/// folders of WIPO's bulletin image archives and `hague_package::IbPackage::irn_folder`.
pub(crate) fn irn_folder(irn: &str) -> String {
    irn.chars().filter(char::is_ascii_alphanumeric).collect()
}

fn days_before(d: Date, n: i64) -> Date {
    d.checked_sub(Duration::days(n)).unwrap_or(d)
}

fn days_after(d: Date, n: i64) -> Date {
    d.checked_add(Duration::days(n)).unwrap_or(d)
}

/// Five years after `d` (29 February → 1 March), the Hague term of protection (Article 17).
pub(crate) fn five_years_after(d: Date) -> Date {
    d.replace_year(d.year() + 5)
        .or_else(|_| Date::from_calendar_date(d.year() + 5, time::Month::March, 1))
        .unwrap_or(d)
}

/// What a publication is made from, apart from its size.
#[derive(Debug)]
pub(crate) struct Corpus {
    pub(crate) seed: u64,
    pub(crate) year: i32,
    pub(crate) week: u8,
    /// Friday of the week: the bulletin's publication date, the copies' notification date.
    pub(crate) date: Date,
    /// Receiving office of confidential copies; `None` for a bulletin.
    pub(crate) office: Option<String>,
    /// Registered designs first in the registration bag (already filtered for the office).
    pub(crate) registered: Vec<RegisteredDesign>,
    /// Size of generated JPEGs (0: natural size).
    pub(crate) image_pad: usize,
}

impl Corpus {
    fn week_key(&self) -> u64 {
        (self.year as u64) * 100 + u64::from(self.week)
    }

    fn rng(&self, kind: Kind, index: u64, extra: u64) -> Rng {
        Rng::keyed(&[self.seed, self.week_key(), kind.tag(), index, extra])
    }

    fn record_id(&self, kind: Kind, index: u64) -> String {
        format!("{:04}{:02}{}{:07}", self.year, self.week, kind.tag(), index)
    }

    /// The IRN of synthetic registration `n`: `DM/8YYWWNNNNN`, ten digits, so never one of the
    /// six-digit numbers the sandbox gives (and unique to its week).
    fn synthetic_irn(&self, n: u64) -> String {
        format!(
            "DM/8{:02}{:02}{:05}",
            self.year.rem_euclid(100),
            self.week,
            n
        )
    }

    /// The XML document's head, up to and including the opening of the records' container.
    /// `counts` are the records by kind, in bag order.
    pub(crate) fn head(&self, counts: &[(Kind, u64)]) -> String {
        let total: u64 = counts.iter().map(|(_, n)| n).sum();
        let mut s = String::new();
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.push_str(&format!(
            "<!-- Synthetic Hague publication made by ipgate-sandbox (seed {}). Not WIPO data. -->\n",
            self.seed
        ));
        s.push_str(&format!(
            "<dgn:HagueIBToOfficeTransaction com:st96Version=\"V6_0\" xmlns:com=\"{COM_NS}\" \
             xmlns:dgn=\"{DGN_NS}\" xmlns:xsi=\"{XSI_NS}\" xsi:schemaLocation=\"{SCHEMA_LOCATION}\">\n"
        ));
        let date = date_text(self.date);
        match &self.office {
            None => {
                s.push_str("  <dgn:HagueBulletin>\n    <dgn:HagueBulletinTransactionHeader>\n");
                s.push_str(&format!(
                    "      <dgn:HagueBulletinNumber>{:04}/{:02}</dgn:HagueBulletinNumber>\n",
                    self.year, self.week
                ));
                s.push_str(&format!(
                    "      <com:PublicationDate>{date}</com:PublicationDate>\n"
                ));
                s.push_str(&format!(
                    "      <com:TransactionTotalQuantity>{total}</com:TransactionTotalQuantity>\n"
                ));
                s.push_str("      <dgn:HagueBulletinTransactionCountBag>\n");
                for (kind, n) in counts.iter().filter(|(_, n)| *n > 0) {
                    s.push_str(&format!(
                        "        <dgn:HagueBulletinTransactionCount>\n          \
                         <dgn:HagueBulletinTransactionCategory>{}</dgn:HagueBulletinTransactionCategory>\n          \
                         <com:TransactionTotalQuantity>{n}</com:TransactionTotalQuantity>\n        \
                         </dgn:HagueBulletinTransactionCount>\n",
                        kind.category()
                    ));
                }
                s.push_str("      </dgn:HagueBulletinTransactionCountBag>\n");
                s.push_str("    </dgn:HagueBulletinTransactionHeader>\n");
                s.push_str("    <dgn:HagueBulletinTransactionBag>\n");
            }
            Some(office) => {
                s.push_str("  <dgn:HagueIBToOfficeBag>\n    <dgn:HagueIBTransactionHeader>\n");
                s.push_str(&format!(
                    "      <com:ReceivingOfficeCode>{}</com:ReceivingOfficeCode>\n",
                    Esc(office)
                ));
                s.push_str(&format!(
                    "      <com:RecordNotificationDate>{date}</com:RecordNotificationDate>\n"
                ));
                s.push_str(&format!(
                    "      <com:TransactionTotalQuantity>{total}</com:TransactionTotalQuantity>\n"
                ));
                s.push_str(&format!(
                    "      <dgn:HagueIBTransactionCountBag>\n        <dgn:HagueIBTransactionCount>\n          \
                     <dgn:HagueIBTransactionCategory>Office copy</dgn:HagueIBTransactionCategory>\n          \
                     <com:TransactionTotalQuantity>{total}</com:TransactionTotalQuantity>\n        \
                     </dgn:HagueIBTransactionCount>\n      </dgn:HagueIBTransactionCountBag>\n"
                ));
                s.push_str("    </dgn:HagueIBTransactionHeader>\n");
                s.push_str("    <dgn:HagueOfficeCopyBag>\n");
            }
        }
        s
    }

    /// The XML document's tail, closing what [`Corpus::head`] opened.
    pub(crate) fn tail(&self) -> &'static str {
        match self.office {
            None => {
                "    </dgn:HagueBulletinTransactionBag>\n  </dgn:HagueBulletin>\n</dgn:HagueIBToOfficeTransaction>\n"
            }
            Some(_) => {
                "    </dgn:HagueOfficeCopyBag>\n  </dgn:HagueIBToOfficeBag>\n</dgn:HagueIBToOfficeTransaction>\n"
            }
        }
    }

    /// Opening and closing tags of a kind's bag.
    pub(crate) fn bag_open(kind: Kind) -> String {
        format!("      <dgn:{}>\n", kind.bag())
    }

    pub(crate) fn bag_close(kind: Kind) -> String {
        format!("      </dgn:{}>\n", kind.bag())
    }

    /// Record `index` of `kind`: its XML to `sink`, its files to `files`.
    pub(crate) fn record(
        &self,
        kind: Kind,
        index: u64,
        sink: &mut XmlSink,
        files: &mut Vec<FileRef>,
    ) {
        let r = self.registered.len() as u64;
        match kind {
            Kind::Registration if index < r => {
                self.registered_design(&self.registered[index as usize], index, sink, files)
            }
            Kind::Registration => self.registration(index, index - r, sink, files),
            Kind::Renewal => self.renewal(index, sink),
            Kind::Refusal => self.refusal(index, sink),
            Kind::GrantProtection => self.grant(index, sink, files),
        }
    }

    fn person(r: &mut Rng) -> String {
        format!("{} {}", r.pick(FIRST), r.pick(LAST))
    }

    fn organisation(r: &mut Rng) -> String {
        format!("{} {} {}", r.pick(ORG_A), r.pick(ORG_B), r.pick(ORG_C))
    }

    /// An IRN registered in an earlier week (six digits, below the sandbox's range).
    fn earlier_irn(r: &mut Rng) -> String {
        format!("DM/{}", r.range(100_000, 199_999))
    }

    fn designated(&self, r: &mut Rng, s: &mut XmlSink, ind: &str) {
        let k = r.range(1, 8) as usize;
        let mut codes: Vec<&str> = r
            .sample_sorted(DESIGNATED.len(), k)
            .into_iter()
            .map(|i| DESIGNATED[i])
            .collect();
        if let Some(office) = &self.office
            && !codes.contains(&office.as_str())
        {
            codes.push(office.as_str());
            codes.sort_unstable();
        }
        x!(s, "{ind}<dgn:DesignatedCountryBag>\n");
        for code in codes {
            let act = r.pick(ACTS);
            x!(
                s,
                "{ind}  <dgn:DesignatedCountry>\n{ind}    <com:DesignatedCountryCode>{}</com:DesignatedCountryCode>\n\
                 {ind}    <dgn:HagueAgreementActCategory>{act}</dgn:HagueAgreementActCategory>\n{ind}  </dgn:DesignatedCountry>\n",
                Esc(code)
            );
        }
        x!(s, "{ind}</dgn:DesignatedCountryBag>\n");
    }

    fn affected(r: &mut Rng, designs: usize, s: &mut XmlSink, ind: &str) {
        if designs <= 1 || r.chance(50) {
            x!(
                s,
                "{ind}<dgn:AffectedDesign>\n{ind}  <dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator>\n{ind}</dgn:AffectedDesign>\n"
            );
            return;
        }
        let k = r.range(1, designs as i64 - 1) as usize;
        let picked = r.sample_sorted(designs, k);
        x!(
            s,
            "{ind}<dgn:AffectedDesign>\n{ind}  <dgn:DesignIdentifierBag>\n"
        );
        for i in picked {
            x!(
                s,
                "{ind}    <dgn:DesignIdentifier>{}</dgn:DesignIdentifier>\n",
                i + 1
            );
        }
        x!(
            s,
            "{ind}  </dgn:DesignIdentifierBag>\n{ind}</dgn:AffectedDesign>\n"
        );
    }

    fn holder(s: &mut XmlSink, ind: &str, seq: usize, party: &str, organisation: bool, name: &str) {
        x!(
            s,
            "{ind}<dgn:Holder com:sequenceNumber=\"{seq}\">\n{ind}  <dgn:ApplicantContractingParty>{}</dgn:ApplicantContractingParty>\n\
             {ind}  <com:Contact>\n{ind}    <com:Name>\n",
            Esc(party)
        );
        if organisation {
            x!(
                s,
                "{ind}      <com:OrganizationName>\n{ind}        <com:OrganizationStandardName>{}</com:OrganizationStandardName>\n{ind}      </com:OrganizationName>\n",
                Esc(name)
            );
        } else {
            x!(
                s,
                "{ind}      <com:PersonName>\n{ind}        <com:PersonFullName>{}</com:PersonFullName>\n{ind}      </com:PersonName>\n",
                Esc(name)
            );
        }
        x!(s, "{ind}    </com:Name>\n");
    }

    /// One design's opening, classification and product, up to its view bag.
    #[allow(clippy::too_many_arguments)]
    fn design_head(
        s: &mut XmlSink,
        ind: &str,
        number: usize,
        views: usize,
        class: &str,
        subclass: &str,
        lang: &str,
        product: &str,
    ) {
        x!(
            s,
            "{ind}<dgn:HagueDesign>\n{ind}  <dgn:DesignIdentifier>{number}</dgn:DesignIdentifier>\n\
             {ind}  <dgn:ViewTotalQuantity>{views}</dgn:ViewTotalQuantity>\n\
             {ind}  <com:LocarnoClassificationBag>\n{ind}    <com:LocarnoClassificationEdition>15</com:LocarnoClassificationEdition>\n\
             {ind}    <com:LocarnoClassification>\n{ind}      <com:LocarnoClass>{class}</com:LocarnoClass>\n\
             {ind}      <com:LocarnoSubclassBag>\n{ind}        <com:LocarnoSubclass>{subclass}</com:LocarnoSubclass>\n\
             {ind}      </com:LocarnoSubclassBag>\n{ind}    </com:LocarnoClassification>\n{ind}  </com:LocarnoClassificationBag>\n\
             {ind}  <com:ProductDescriptionTextBag>\n{ind}    <com:ProductDescriptionText com:languageCode=\"{lang}\">{}</com:ProductDescriptionText>\n\
             {ind}  </com:ProductDescriptionTextBag>\n",
            Esc(product)
        );
    }

    fn view(s: &mut XmlSink, ind: &str, path: &str, number: usize, v: usize, format: &str) {
        x!(
            s,
            "{ind}  <dgn:View>\n{ind}    <com:FileName>{}</com:FileName>\n\
             {ind}    <dgn:ViewIdentifier>{number}.{v}</dgn:ViewIdentifier>\n\
             {ind}    <dgn:ViewFileFormatCategory>{format}</dgn:ViewFileFormatCategory>\n\
             {ind}    <dgn:ViewTypeCategory>{}</dgn:ViewTypeCategory>\n{ind}  </dgn:View>\n",
            Esc(path),
            VIEW_TYPES[(v - 1) % VIEW_TYPES.len()]
        );
    }

    /// The opening of a registration, from its IRN to its designated countries.
    #[allow(clippy::too_many_arguments)]
    fn registration_head(
        s: &mut XmlSink,
        irn: &str,
        record_id: &str,
        registration: Date,
        filing: Date,
        lang: &str,
    ) {
        let ind = "        ";
        x!(
            s,
            "{ind}<dgn:HagueRegistration>\n{ind}  <com:InternationalRegistrationNumber>{}</com:InternationalRegistrationNumber>\n\
             {ind}  <com:RecordIdentifier>{record_id}</com:RecordIdentifier>\n\
             {ind}  <com:InternationalRegistrationDate>{}</com:InternationalRegistrationDate>\n\
             {ind}  <com:InternationalFilingDate>{}</com:InternationalFilingDate>\n\
             {ind}  <com:FeeCalculationDate>{}</com:FeeCalculationDate>\n\
             {ind}  <com:FilingLanguageCode>{lang}</com:FilingLanguageCode>\n",
            Esc(irn),
            date_text(registration),
            date_text(filing),
            date_text(filing)
        );
    }

    fn registration(&self, index: u64, n: u64, s: &mut XmlSink, files: &mut Vec<FileRef>) {
        let r = &mut self.rng(Kind::Registration, index, 0);
        let ind = "        ";
        let irn = self.synthetic_irn(n);
        let folder = irn_folder(&irn);
        let filing = days_before(self.date, r.range(30, 400));
        let registration = days_after(filing, r.range(0, 20));
        let lang = *r.pick(LANGUAGES);
        let designs = *r.pick(&[1usize, 1, 1, 2, 2, 3, 4]);
        Self::registration_head(
            s,
            &irn,
            &self.record_id(Kind::Registration, index),
            registration,
            filing,
            lang,
        );
        self.designated(r, s, "          ");
        x!(
            s,
            "{ind}  <com:ExpiryDate>{}</com:ExpiryDate>\n{ind}  <dgn:DesignTotalQuantity>{designs}</dgn:DesignTotalQuantity>\n{ind}  <dgn:HolderBag>\n",
            date_text(five_years_after(registration))
        );
        let holders = *r.pick(&[2usize, 1, 1, 1]);
        for seq in 1..=holders {
            let organisation = r.chance(60);
            let name = if organisation {
                Self::organisation(r)
            } else {
                Self::person(r)
            };
            let (country, city, post) = *r.pick(COUNTRIES);
            let street = *r.pick(STREETS);
            let number = r.range(1, 240);
            let party = *r.pick(&["EM", "CH", "US", "JP", "KR", "CN"]);
            let hind = "            ";
            Self::holder(s, hind, seq, party, organisation, &name);
            x!(
                s,
                "{hind}    <com:PostalAddressBag>\n{hind}      <com:PostalAddress>\n{hind}        <com:PostalStructuredAddress>\n\
                 {hind}          <com:AddressLineText com:sequenceNumber=\"1\">{} {number}</com:AddressLineText>\n\
                 {hind}          <com:CityName>{}</com:CityName>\n{hind}          <com:CountryCode>{country}</com:CountryCode>\n\
                 {hind}          <com:PostalCode>{}</com:PostalCode>\n{hind}        </com:PostalStructuredAddress>\n\
                 {hind}      </com:PostalAddress>\n{hind}    </com:PostalAddressBag>\n{hind}  </com:Contact>\n{hind}</dgn:Holder>\n",
                Esc(street),
                Esc(city),
                Esc(post)
            );
        }
        x!(s, "{ind}  </dgn:HolderBag>\n{ind}  <dgn:HagueDesignBag>\n");
        let dind = "            ";
        for number in 1..=designs {
            let (class, subclass, product) = *r.pick(PRODUCTS);
            let views = r.range(1, 4) as usize;
            Self::design_head(s, dind, number, views, class, subclass, lang, product);
            if r.chance(70) {
                let designer = Self::person(r);
                x!(
                    s,
                    "{dind}  <dgn:DesignerBag>\n{dind}    <dgn:Designer com:sequenceNumber=\"1\">\n{dind}      <com:Contact>\n\
                     {dind}        <com:Name>\n{dind}          <com:PersonName>\n{dind}            <com:PersonFullName>{}</com:PersonFullName>\n\
                     {dind}          </com:PersonName>\n{dind}        </com:Name>\n{dind}      </com:Contact>\n\
                     {dind}    </dgn:Designer>\n{dind}  </dgn:DesignerBag>\n",
                    Esc(&designer)
                );
            }
            x!(s, "{dind}  <dgn:ViewBag>\n");
            for v in 1..=views {
                let path = format!("{folder}/{folder}_D{number:03}_V{v:02}.jpg");
                Self::view(s, &format!("{dind}  "), &path, number, v, "JPEG");
                files.push(FileRef {
                    name: path,
                    content: FileContent::Jpeg {
                        key: r.next_u64(),
                        pad: self.image_pad,
                    },
                });
            }
            x!(s, "{dind}  </dgn:ViewBag>\n{dind}</dgn:HagueDesign>\n");
        }
        x!(
            s,
            "{ind}  </dgn:HagueDesignBag>\n{ind}</dgn:HagueRegistration>\n"
        );
    }

    fn registered_design(
        &self,
        d: &RegisteredDesign,
        index: u64,
        s: &mut XmlSink,
        files: &mut Vec<FileRef>,
    ) {
        let r = &mut self.rng(Kind::Registration, index, 1);
        let ind = "        ";
        let folder = irn_folder(&d.irn);
        Self::registration_head(
            s,
            &d.irn,
            &self.record_id(Kind::Registration, index),
            d.registration_date,
            d.filing_date,
            &d.filing_language,
        );
        x!(s, "{ind}  <dgn:DesignatedCountryBag>\n");
        for code in &d.designated {
            x!(
                s,
                "{ind}    <dgn:DesignatedCountry>\n{ind}      <com:DesignatedCountryCode>{}</com:DesignatedCountryCode>\n\
                 {ind}      <dgn:HagueAgreementActCategory>Act1999</dgn:HagueAgreementActCategory>\n{ind}    </dgn:DesignatedCountry>\n",
                Esc(code)
            );
        }
        x!(
            s,
            "{ind}  </dgn:DesignatedCountryBag>\n{ind}  <com:ExpiryDate>{}</com:ExpiryDate>\n\
             {ind}  <dgn:DesignTotalQuantity>{}</dgn:DesignTotalQuantity>\n{ind}  <dgn:HolderBag>\n",
            date_text(five_years_after(d.registration_date)),
            d.designs.len()
        );
        let hind = "            ";
        Self::holder(
            s,
            hind,
            1,
            &d.holder.contracting_party,
            d.holder.organization,
            &d.holder.name,
        );
        x!(
            s,
            "{hind}  </com:Contact>\n{hind}</dgn:Holder>\n{ind}  </dgn:HolderBag>\n{ind}  <dgn:HagueDesignBag>\n"
        );
        let dind = "            ";
        for (i, design) in d.designs.iter().enumerate() {
            let number = i + 1;
            let views = design.views.len().max(1);
            Self::design_head(
                s,
                dind,
                number,
                views,
                &format!("{:02}", design.locarno_class),
                &format!("{:02}", design.locarno_subclass),
                &d.filing_language,
                &design.product,
            );
            x!(s, "{dind}  <dgn:ViewBag>\n");
            if design.views.is_empty() {
                let path = format!("{folder}/{folder}_D{number:03}_V01.jpg");
                Self::view(s, &format!("{dind}  "), &path, number, 1, "JPEG");
                files.push(FileRef {
                    name: path,
                    content: FileContent::Jpeg {
                        key: r.next_u64(),
                        pad: 0,
                    },
                });
            }
            for (v, bytes) in design.views.iter().enumerate() {
                let v = v + 1;
                let (format, ext) = match media::view_format(bytes) {
                    Some("PNG") => ("PNG", "png"),
                    _ => ("JPEG", "jpg"),
                };
                let path = format!("{folder}/{folder}_D{number:03}_V{v:02}.{ext}");
                Self::view(s, &format!("{dind}  "), &path, number, v, format);
                files.push(FileRef {
                    name: path,
                    content: FileContent::Given(bytes.clone()),
                });
            }
            x!(s, "{dind}  </dgn:ViewBag>\n{dind}</dgn:HagueDesign>\n");
        }
        x!(
            s,
            "{ind}  </dgn:HagueDesignBag>\n{ind}</dgn:HagueRegistration>\n"
        );
    }

    fn renewal(&self, index: u64, s: &mut XmlSink) {
        let r = &mut self.rng(Kind::Renewal, index, 0);
        let ind = "        ";
        let irn = Self::earlier_irn(r);
        let renewal = days_before(self.date, r.range(0, 30));
        let expiry = five_years_after(renewal);
        x!(
            s,
            "{ind}<dgn:HagueRenewal>\n{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n\
             {ind}  <com:RecordIdentifier>{}</com:RecordIdentifier>\n",
            self.record_id(Kind::Renewal, index)
        );
        self.designated(r, s, "          ");
        x!(
            s,
            "{ind}  <com:RenewalDate>{}</com:RenewalDate>\n{ind}  <com:FeeCalculationDate>{}</com:FeeCalculationDate>\n\
             {ind}  <com:ExpiryDate>{}</com:ExpiryDate>\n{ind}  <dgn:RenewalPeriod>5</dgn:RenewalPeriod>\n",
            date_text(renewal),
            date_text(renewal),
            date_text(expiry)
        );
        let designs = r.range(1, 4) as usize;
        Self::affected(r, designs, s, "          ");
        x!(s, "{ind}</dgn:HagueRenewal>\n");
    }

    fn refusal(&self, index: u64, s: &mut XmlSink) {
        let r = &mut self.rng(Kind::Refusal, index, 0);
        let ind = "        ";
        let irn = Self::earlier_irn(r);
        let decision = days_before(self.date, r.range(10, 60));
        let recorded = days_after(decision, r.range(1, 9));
        let office = *r.pick(OFFICES);
        x!(
            s,
            "{ind}<dgn:HagueRefusal>\n{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n\
             {ind}  <com:RecordIdentifier>{}</com:RecordIdentifier>\n\
             {ind}  <com:InternationalRecordingDate>{}</com:InternationalRecordingDate>\n\
             {ind}  <com:RecordNotifyingOfficeCode>{office}</com:RecordNotifyingOfficeCode>\n\
             {ind}  <com:DecisionDate>{}</com:DecisionDate>\n",
            self.record_id(Kind::Refusal, index),
            date_text(recorded),
            date_text(decision)
        );
        let designs = r.range(1, 4) as usize;
        Self::affected(r, designs, s, "          ");
        x!(s, "{ind}  <dgn:DecisionGroundsBag>\n");
        let k = r.range(1, 2) as usize;
        for g in r.sample_sorted(GROUNDS.len(), k) {
            let prior = r.range(10_000, 99_999);
            x!(
                s,
                "{ind}    <dgn:DecisionGrounds>\n{ind}      <dgn:DecisionGroundsText com:languageCode=\"en\">The design lacks \
                 novelty in view of prior design No. {prior}.</dgn:DecisionGroundsText>\n\
                 {ind}      <dgn:DecisionGroundsCategory>{}</dgn:DecisionGroundsCategory>\n{ind}    </dgn:DecisionGrounds>\n",
                GROUNDS[g]
            );
        }
        x!(
            s,
            "{ind}  </dgn:DecisionGroundsBag>\n{ind}</dgn:HagueRefusal>\n"
        );
    }

    fn grant(&self, index: u64, s: &mut XmlSink, files: &mut Vec<FileRef>) {
        let r = &mut self.rng(Kind::GrantProtection, index, 0);
        let ind = "        ";
        let irn = Self::earlier_irn(r);
        let decision = days_before(self.date, r.range(10, 60));
        let recorded = days_after(decision, r.range(1, 9));
        let office = *r.pick(OFFICES);
        let record_id = self.record_id(Kind::GrantProtection, index);
        let folder = irn_folder(&irn);
        let path = format!("{folder}/{folder}_GRANT_{record_id}.pdf");
        x!(
            s,
            "{ind}<dgn:HagueGrantProtection>\n{ind}  <com:InternationalRegistrationNumber>{irn}</com:InternationalRegistrationNumber>\n\
             {ind}  <com:RecordIdentifier>{record_id}</com:RecordIdentifier>\n\
             {ind}  <com:InternationalRecordingDate>{}</com:InternationalRecordingDate>\n\
             {ind}  <com:RecordNotifyingOfficeCode>{office}</com:RecordNotifyingOfficeCode>\n\
             {ind}  <com:DecisionDate>{}</com:DecisionDate>\n{ind}  <com:DecisionEffectiveDate>{}</com:DecisionEffectiveDate>\n",
            date_text(recorded),
            date_text(decision),
            date_text(decision)
        );
        let designs = r.range(1, 4) as usize;
        Self::affected(r, designs, s, "          ");
        x!(
            s,
            "{ind}  <com:DocumentIncludedBag>\n{ind}    <com:DocumentIncluded com:languageCode=\"en\">\n\
             {ind}      <com:DocumentName>Statement of grant of protection</com:DocumentName>\n\
             {ind}      <com:FileName>{path}</com:FileName>\n{ind}      <com:DocumentFormatCategory>PDF</com:DocumentFormatCategory>\n\
             {ind}      <com:DocumentKindCategory>GRANT_OF_PROTECTION_NO_PRIOR_REFUSAL</com:DocumentKindCategory>\n\
             {ind}      <com:DocumentDate>{}</com:DocumentDate>\n{ind}    </com:DocumentIncluded>\n\
             {ind}  </com:DocumentIncludedBag>\n{ind}</dgn:HagueGrantProtection>\n",
            date_text(decision)
        );
        files.push(FileRef {
            name: path,
            content: FileContent::Pdf {
                title: format!("Statement of grant of protection {irn} by {office}"),
            },
        });
    }
}
