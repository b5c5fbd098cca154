//! Stable rule ids. Each id is documented in `docs/package-rules.md`; ids are never reused.

use serde::Serialize;

use crate::report::Severity;

macro_rules! rules {
    ($( $(#[$doc:meta])* $name:ident = $id:literal, $sev:ident, $title:literal; )*) => {
        /// A rule checked on packages. `Display` and JSON give the stable id (`PKG006`, `ZIP001`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum RuleId {
            $( $(#[$doc])* $name, )*
        }

        impl RuleId {
            /// Every rule, in id order.
            pub const ALL: &'static [RuleId] = &[ $( RuleId::$name, )* ];

            /// The stable id, e.g. `PKG006`.
            pub fn id(self) -> &'static str {
                match self { $( RuleId::$name => $id, )* }
            }

            /// The default severity of a finding under this rule.
            pub fn severity(self) -> Severity {
                match self { $( RuleId::$name => Severity::$sev, )* }
            }

            /// One-line description.
            pub fn title(self) -> &'static str {
                match self { $( RuleId::$name => $title, )* }
            }

            /// Looks a rule up by its id.
            pub fn from_id(id: &str) -> Option<RuleId> {
                match id { $( $id => Some(RuleId::$name), )* _ => None }
            }
        }
    };
}

rules! {
    /// The package holds no XML file, or more than one.
    ExactlyOneXml = "PKG001", Error, "exactly one XML file in the package";
    /// The root is not `dgn:HagueOfficeToIBTransaction`.
    RootElement = "PKG002", Error, "root element is dgn:HagueOfficeToIBTransaction";
    /// `com:TransactionTotalQuantity` is not 1.
    TransactionTotal = "PKG003", Error, "TransactionTotalQuantity is 1";
    /// `dgn:HagueOfficeToIBBag` does not hold exactly one transaction.
    OneTransaction = "PKG004", Error, "HagueOfficeToIBBag holds exactly one transaction";
    /// `com:st96Version` missing, or not a version Hague accepts.
    Version = "PKG005", Error, "declared st96Version is one Hague accepts (V7_0, V4_0, V3_2T1)";
    /// A referenced file is not in the package.
    MissingFile = "PKG006", Error, "every referenced file exists at its exact relative path";
    /// A referenced file exists only with another letter case.
    FileCase = "PKG007", Error, "referenced paths match the package case-sensitively";
    /// A file of the package is referenced by no element.
    UnreferencedFile = "PKG008", Warning, "every file of the package is referenced";
    /// A supporting document has no `com:DocumentKindCategory`.
    MissingKind = "PKG009", Error, "every supporting document has a DocumentKindCategory";
    /// The document kind does not fit the transaction type.
    KindMismatch = "PKG010", Error, "DocumentKindCategory fits the transaction type";
    /// The document kind is not one Hague documents.
    UnknownKind = "PKG011", Warning, "DocumentKindCategory is a value Hague documents";
    /// A decision does not carry exactly one supporting document.
    DecisionDocuments = "PKG012", Error, "a decision carries exactly one supporting document";
    /// A file's content does not match its declared format.
    FormatMismatch = "PKG013", Error, "file contents match the declared format (magic number)";
    /// A design view is in a format Hague does not accept.
    ImageFormat = "PKG014", Error, "design views are in an accepted image format";
    /// A design view is larger than the byte limit.
    ImageBytes = "PKG015", Warning, "design views are within the file-size limit";
    /// A design view is wider or higher than the pixel limit.
    ImagePixels = "PKG016", Warning, "design views are within the pixel limit";
    /// An image header cannot be read.
    ImageHeader = "PKG017", Error, "image headers are readable";
    /// `dgn:DesignTotalQuantity` differs from the number of designs.
    DesignCount = "PKG018", Error, "DesignTotalQuantity equals the number of designs";
    /// `dgn:ViewTotalQuantity` differs from the number of views.
    ViewCount = "PKG019", Error, "ViewTotalQuantity equals the number of views";
    /// An office or country code is not a WIPO ST.3 code.
    OfficeCode = "PKG020", Error, "office and country codes are WIPO ST.3 codes";
    /// A date is not a real calendar date.
    InvalidDate = "PKG021", Error, "dates are real calendar dates";
    /// A referenced file name is not a safe relative path.
    UnsafeReference = "PKG022", Error, "referenced file names are safe relative paths";
    /// A supporting document has no `com:FileName`.
    MissingFileName = "PKG023", Error, "every supporting document names its file";
    /// A required element of the transaction is missing (built-in check, used when no schema is available).
    RequiredElement = "PKG024", Error, "required elements of the transaction are present (built-in)";
    /// The XML is not valid against WIPO's schema.
    SchemaInvalid = "XSD001", Error, "the XML is valid against the official ST.96 schema";
    /// The XML is not well-formed.
    NotWellFormed = "XSD002", Error, "the XML is well-formed";
    /// No schema file for the declared version: only built-in checks ran.
    SchemaUnavailable = "XSD003", Warning, "a schema for the declared version is available";
    /// `st96`'s typed model (generated from the V6_0 schemas) refuses the XML.
    TypedModel = "XSD004", Error, "the XML reads with st96's typed ST.96 model";
    /// The declared version's schema is not installed: the nearest installed one ran, relaxed.
    SchemaNearest = "XSD005", Warning, "the schema of the declared version is installed";
    /// A folder of an IB-to-office package is named after no international registration of its XML.
    IbFolder = "IB001", Error, "image folders are named after an IRN of the XML";
    /// A record references a file outside the folder of its international registration.
    IbFileOutsideFolder = "IB002", Warning, "a record's files are in the folder of its IRN";
    /// The XML carries a DOCTYPE or entity declarations.
    Doctype = "XML001", Error, "no DOCTYPE or entity declarations in XML";
    /// The XML is nested deeper than the limit.
    XmlDepth = "XML002", Error, "XML nesting within the depth limit";
    /// A record of a streamed IB-to-office XML is longer than the record limit.
    XmlRecordSize = "XML003", Error, "each record of a streamed XML within the record size limit";
    /// An entry name contains a `..` segment.
    ZipTraversal = "ZIP001", Error, "no '..' segments in entry names";
    /// An entry name is absolute.
    ZipAbsolute = "ZIP002", Error, "no absolute entry names";
    /// An entry name contains a backslash.
    ZipBackslash = "ZIP003", Error, "no backslashes in entry names";
    /// An entry name starts with a drive letter.
    ZipDrive = "ZIP004", Error, "no drive letters in entry names";
    /// An entry is a symbolic link.
    ZipSymlink = "ZIP005", Error, "no symbolic links";
    /// Two entries have the same name.
    ZipDuplicate = "ZIP006", Error, "no duplicate entry names";
    /// Two entry names differ only in letter case.
    ZipCaseCollision = "ZIP007", Error, "no entry names that differ only in case";
    /// An entry is encrypted.
    ZipEncrypted = "ZIP008", Error, "no encrypted entries";
    /// Too many entries.
    ZipTooManyEntries = "ZIP009", Error, "number of entries within the limit";
    /// The uncompressed total is too large.
    ZipTooLarge = "ZIP010", Error, "total uncompressed size within the limit";
    /// An entry's compression ratio is suspicious (ZIP bomb).
    ZipRatio = "ZIP011", Error, "compression ratio within the limit";
    /// An entry name is not valid UTF-8.
    ZipNameEncoding = "ZIP012", Error, "entry names are UTF-8";
    /// The archive is not a readable ZIP file, or an entry is corrupt.
    ZipCorrupt = "ZIP013", Error, "the archive is a readable, intact ZIP file";
    /// An entry uses a compression method other than stored or deflated.
    ZipMethod = "ZIP014", Error, "entries are stored or deflated";
    /// An entry name is empty, has empty segments or control characters.
    ZipBadName = "ZIP015", Error, "entry names are well-formed";
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}
