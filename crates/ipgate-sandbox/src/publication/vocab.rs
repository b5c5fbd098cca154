//! The synthetic corpus's vocabulary: names, places, products and the enumeration values it
//! draws from. Every code is a member of its V6_0 enumeration (WIPOST3CodeType,
//! ISOCountryCodeType, ISOLanguageCodeType, ...), as in `tools/gen-bulletin.py`, whose output is
//! checked against the official schema with lxml; tests/publication.rs checks ours with
//! hague-package's validator.

pub(crate) const DESIGNATED: &[&str] = &[
    "EM", "US", "JP", "KR", "CH", "CN", "GB", "CA", "MX", "SG", "TR", "NO", "RU", "IL", "MA", "TN",
    "UA", "RS", "MK", "ME", "MD", "AM", "AZ", "GE", "KH", "VN", "BR", "ID",
];
pub(crate) const OFFICES: &[&str] = &[
    "US", "JP", "KR", "CN", "MX", "RU", "IL", "TR", "SY", "VN", "EM", "GB",
];
pub(crate) const COUNTRIES: &[(&str, &str, &str)] = &[
    ("CH", "Genève", "1211"),
    ("DE", "München", "80331"),
    ("FR", "Paris", "75008"),
    ("IT", "Milano", "20121"),
    ("US", "New York", "10001"),
    ("JP", "Tokyo", "100-0001"),
    ("KR", "Seoul", "04524"),
    ("ES", "Madrid", "28001"),
    ("NL", "Eindhoven", "5611"),
    ("SE", "Stockholm", "111 22"),
    ("DK", "København", "1050"),
    ("CN", "Shenzhen", "518000"),
];
/// The Hague filing languages (Common Regulations, Rule 6(1)).
pub(crate) const LANGUAGES: &[&str] = &["en", "fr", "es"];
pub(crate) const FIRST: &[&str] = &[
    "Anna", "Jean", "María", "Kenji", "Ji-woo", "Lars", "Giulia", "Pierre", "Sofía", "Hans",
    "Ingrid", "Chen", "Olivia", "Mateo", "Amélie", "Björn",
];
pub(crate) const LAST: &[&str] = &[
    "Müller",
    "Dupont",
    "García",
    "Tanaka",
    "Kim",
    "Andersen",
    "Rossi",
    "Lefèvre",
    "Smith",
    "Nakamura",
    "Schmidt",
    "Larsen",
    "Martínez",
    "Wang",
    "O'Brien",
    "Novák",
];
pub(crate) const ORG_A: &[&str] = &[
    "Nordic", "Alpine", "Pacific", "Atlas", "Helvetia", "Orion", "Lumen", "Vega", "Delta",
    "Aurora", "Zenith", "Borealis",
];
pub(crate) const ORG_B: &[&str] = &[
    "Design",
    "Furniture",
    "Lighting",
    "Textiles",
    "Electronics",
    "Motors",
    "Tools",
    "Optics",
];
pub(crate) const ORG_C: &[&str] = &[
    "AG", "GmbH", "S.A.", "Ltd.", "Inc.", "S.p.A.", "K.K.", "& Co. KG", "B.V.", "AB",
];
pub(crate) const STREETS: &[&str] = &[
    "Rue du Rhône",
    "Hauptstraße",
    "Via Roma",
    "Main Street",
    "Calle Mayor",
    "Kungsgatan",
    "Chome-1-2 Marunouchi",
    "Strandvejen",
];
/// (Locarno class, subclass, product indication).
pub(crate) const PRODUCTS: &[(&str, &str, &str)] = &[
    ("06", "01", "Chairs"),
    ("06", "03", "Tables"),
    ("26", "05", "Lamps"),
    ("14", "03", "Mobile phones"),
    ("12", "08", "Motor cars"),
    ("10", "02", "Watches"),
    ("07", "02", "Cooking pots"),
    ("02", "04", "Footwear"),
    ("09", "01", "Bottles"),
    ("21", "01", "Toys"),
    ("11", "01", "Jewellery"),
    ("03", "01", "Handbags"),
    ("14", "04", "Graphical user interfaces"),
    ("25", "02", "Prefabricated building parts"),
];
pub(crate) const VIEW_TYPES: &[&str] = &[
    "Perspective",
    "Front",
    "Back",
    "Top",
    "Bottom",
    "Left",
    "Right",
];
pub(crate) const GROUNDS: &[&str] = &[
    "Lack of novelty",
    "Insufficient disclosure",
    "Conflicting application or registration",
    "Public order",
    "Other",
];
pub(crate) const ACTS: &[&str] = &["Act1999", "Act1960"];
