//! Validation of office-to-IB packages: every shared sample, and one generated bad package per
//! rule and per safety check.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use hague_package::{
    Limits, Options, Report, RuleId, SchemaMode, Schemas, Severity, XsdStatus, validate_package,
};

fn with_xsd() -> Options {
    Options {
        schemas: Schemas::Dirs(vec![schemas()]),
        ..Options::default()
    }
}

/// WIPO's schema runs even where st96's typed verdict would stand for it (`--always-xsd`).
fn always_xsd() -> Options {
    Options {
        schema_mode: SchemaMode::Always,
        ..with_xsd()
    }
}

fn no_xsd() -> Options {
    Options::default()
}

fn check(path: &Path, opts: &Options) -> Report {
    validate_package(path, opts).unwrap()
}

fn errors(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn every_v7_sample_is_valid_against_the_nearest_schema_and_the_rules() {
    // Hague asks for V7_0; only V6_0 is installed: validated against it, st96Version relaxed.
    // By default the typed V6_0 model's verdict stands for that schema's (it accepts them); with
    // SchemaMode::Always the schema runs too.
    let dir = tempfile::tempdir().unwrap();
    for (name, opts) in SAMPLES
        .iter()
        .flat_map(|n| [(n, with_xsd()), (n, always_xsd())])
    {
        let p = package(dir.path(), name, &sample(name, false));
        let r = check(&p, &opts);
        assert!(r.is_valid(), "{name}: {:#?}", errors(&r));
        match opts.schema_mode {
            SchemaMode::WhenNeeded => assert!(
                matches!(&r.xsd, XsdStatus::ModelProven { model_version, declared, schema: Some(_) }
                    if model_version == "V6_0" && declared == "V7_0"),
                "{name}: {:?}",
                r.xsd
            ),
            SchemaMode::Always => assert!(
                matches!(&r.xsd, XsdStatus::ValidatedNearest { schema_version, declared, .. }
                    if schema_version == "V6_0" && declared == "V7_0"),
                "{name}: {:?}",
                r.xsd
            ),
        }
        assert!(r.xsd.ran(), "the schema's verdict is known");
        let note = r
            .findings
            .iter()
            .find(|f| f.rule == RuleId::SchemaNearest)
            .unwrap();
        assert_eq!(note.severity, Severity::Warning);
        assert!(
            note.message.contains("V7_0") && note.message.contains("V6_0"),
            "{note}"
        );
        assert!(!r.has(RuleId::Version), "V7_0 is accepted");
    }
}

#[test]
fn v6_samples_match_the_v6_schema_but_hague_refuses_the_version() {
    let dir = tempfile::tempdir().unwrap();
    for (name, opts) in SAMPLES
        .iter()
        .flat_map(|n| [(n, with_xsd()), (n, always_xsd())])
    {
        let p = package(dir.path(), name, &sample(name, true));
        let r = check(&p, &opts);
        let want = match opts.schema_mode {
            SchemaMode::WhenNeeded => {
                matches!(&r.xsd, XsdStatus::ModelProven { declared, .. } if declared == "V6_0")
            }
            SchemaMode::Always => matches!(r.xsd, XsdStatus::Validated { .. }),
        };
        assert!(want, "{name}: {:?}", r.xsd);
        assert!(!r.has(RuleId::SchemaInvalid), "{name}: {:#?}", errors(&r));
        expect(&r, RuleId::Version);
        assert_eq!(errors(&r).len(), 1, "{name}: {:#?}", errors(&r));
    }
}

#[test]
fn xsd_and_built_in_checks_agree_on_the_samples() {
    // The schema says valid, and so do the built-in content models (schema off).
    let dir = tempfile::tempdir().unwrap();
    for name in SAMPLES {
        let p = package(dir.path(), name, &sample(name, false));
        let a = check(&p, &with_xsd());
        let b = check(&p, &no_xsd());
        assert_eq!(a.is_valid(), b.is_valid(), "{name}");
        assert!(!b.has(RuleId::RequiredElement), "{name}");
    }
}

// ---- one bad package per rule --------------------------------------------------------------------

struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// refusal_total with `edit` applied to its XML, and its files (possibly replaced).
    fn refusal(
        &self,
        edit: impl Fn(String) -> String,
        files: Option<Vec<(String, Vec<u8>)>>,
    ) -> PathBuf {
        let xml = edit(sample("refusal_total.xml", false));
        let mut entries = vec![("refusal.xml".to_owned(), xml.into_bytes())];
        entries.extend(files.unwrap_or_else(|| vec![("refusal.pdf".into(), pdf())]));
        let p = self.dir.path().join("case.zip");
        zip_of(&p, &entries);
        p
    }

    fn application(&self, edit: impl Fn(String) -> String, view: Vec<u8>) -> PathBuf {
        let xml = edit(sample("indirect_application_minimal.xml", false));
        let entries = vec![
            ("app.xml".to_owned(), xml.into_bytes()),
            ("designs/1.1.jpg".to_owned(), view),
            ("docs/dm1.pdf".to_owned(), pdf()),
        ];
        let p = self.dir.path().join("app.zip");
        zip_of(&p, &entries);
        p
    }
}

fn expect(r: &Report, rule: RuleId) {
    assert!(
        r.has(rule),
        "expected {rule}, got {:#?}",
        r.findings.iter().map(|f| f.to_string()).collect::<Vec<_>>()
    );
    let f = r.findings.iter().find(|f| f.rule == rule).unwrap();
    assert!(!f.message.is_empty());
    if rule.severity() == Severity::Error {
        assert!(!r.is_valid(), "{rule} makes the package invalid");
    }
}

#[test]
fn pkg001_no_xml_and_two_xml() {
    let c = Case::new();
    let p = c.dir.path().join("a.zip");
    zip_of(&p, &[("refusal.pdf".into(), pdf())]);
    expect(&check(&p, &no_xsd()), RuleId::ExactlyOneXml);
    let xml = sample("refusal_total.xml", false).into_bytes();
    zip_of(
        &p,
        &[
            ("a.xml".into(), xml.clone()),
            ("b.XML".into(), xml),
            ("refusal.pdf".into(), pdf()),
        ],
    );
    expect(&check(&p, &no_xsd()), RuleId::ExactlyOneXml);
}

#[test]
fn pkg002_wrong_root() {
    let c = Case::new();
    // (An IB-to-office root is another kind of package, checked by its own rules: ib_validate.rs.)
    let p = c.refusal(
        |x| x.replace("HagueOfficeToIBTransaction", "DesignTransaction"),
        None,
    );
    expect(&check(&p, &no_xsd()), RuleId::RootElement);
}

#[test]
fn pkg003_transaction_total_not_one() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            x.replace(
                "<com:TransactionTotalQuantity>1<",
                "<com:TransactionTotalQuantity>2<",
            )
        },
        None,
    );
    expect(&check(&p, &no_xsd()), RuleId::TransactionTotal);
}

#[test]
fn pkg004_two_transactions() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            let start = x.find("<dgn:HagueRefusalRequest>").unwrap();
            let end =
                x.find("</dgn:HagueRefusalRequest>").unwrap() + "</dgn:HagueRefusalRequest>".len();
            let tx = x[start..end].to_owned();
            format!("{}{}{}", &x[..end], tx, &x[end..])
        },
        None,
    );
    let r = check(&p, &with_xsd());
    expect(&r, RuleId::OneTransaction);
}

#[test]
fn pkg005_version_not_accepted_or_missing() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace("com:st96Version=\"V7_0\"", "com:st96Version=\"V5_0\""),
        None,
    );
    let r = check(&p, &no_xsd());
    expect(&r, RuleId::Version);
    assert_eq!(
        r.findings
            .iter()
            .find(|f| f.rule == RuleId::Version)
            .unwrap()
            .severity,
        Severity::Error,
        "Hague refuses a version it does not accept"
    );
    let p = c.refusal(|x| x.replace("com:st96Version=\"V7_0\"", ""), None);
    let r = check(&p, &no_xsd());
    expect(&r, RuleId::Version);
    assert!(!r.is_valid(), "a missing version is an error");
}

#[test]
fn pkg006_missing_file() {
    let c = Case::new();
    let p = c.refusal(|x| x, Some(vec![]));
    let r = check(&p, &no_xsd());
    expect(&r, RuleId::MissingFile);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::MissingFile)
        .unwrap();
    assert!(f.location.line.is_some_and(|l| l > 1), "{f}");
}

#[test]
fn pkg007_case_mismatch() {
    let c = Case::new();
    let p = c.refusal(|x| x, Some(vec![("Refusal.pdf".into(), pdf())]));
    expect(&check(&p, &no_xsd()), RuleId::FileCase);
}

#[test]
fn pkg008_unreferenced_file_is_warned() {
    let c = Case::new();
    let p = c.refusal(
        |x| x,
        Some(vec![
            ("refusal.pdf".into(), pdf()),
            ("extra/notes.pdf".into(), pdf()),
        ]),
    );
    let r = check(&p, &no_xsd());
    expect(&r, RuleId::UnreferencedFile);
    assert!(r.is_valid());
}

#[test]
fn pkg009_missing_kind() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            x.replace(
                "<com:DocumentKindCategory>REFUSAL_DECISION</com:DocumentKindCategory>",
                "",
            )
        },
        None,
    );
    expect(&check(&p, &with_xsd()), RuleId::MissingKind);
}

#[test]
fn pkg010_kind_does_not_fit() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            x.replace(
                ">REFUSAL_DECISION<",
                ">GRANT_OF_PROTECTION_NO_PRIOR_REFUSAL<",
            )
        },
        None,
    );
    expect(&check(&p, &with_xsd()), RuleId::KindMismatch);
}

#[test]
fn pkg011_unknown_kind_is_warned() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace(">REFUSAL_DECISION<", ">REFUSAL_LETTER<"),
        None,
    );
    let r = check(&p, &with_xsd());
    expect(&r, RuleId::UnknownKind);
    assert!(r.is_valid());
}

#[test]
fn pkg012_decision_with_two_documents() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            x.replace(
                "</com:DocumentIncluded>",
                "</com:DocumentIncluded><com:DocumentIncluded><com:DocumentName>Annex</com:DocumentName><com:FileName>annex.pdf</com:FileName><com:DocumentFormatCategory>PDF</com:DocumentFormatCategory><com:DocumentKindCategory>REFUSAL_DECISION</com:DocumentKindCategory></com:DocumentIncluded>",
            )
        },
        Some(vec![("refusal.pdf".into(), pdf()), ("annex.pdf".into(), pdf())]),
    );
    expect(&check(&p, &with_xsd()), RuleId::DecisionDocuments);
}

#[test]
fn pkg013_content_does_not_match_format() {
    let c = Case::new();
    let p = c.refusal(|x| x, Some(vec![("refusal.pdf".into(), jpeg(10, 10))]));
    expect(&check(&p, &with_xsd()), RuleId::FormatMismatch);
}

#[test]
fn pkg014_view_in_png() {
    let c = Case::new();
    let p = c.application(|x| x.replace(">JPEG<", ">PNG<"), png(100, 100));
    let r = check(&p, &with_xsd());
    expect(&r, RuleId::ImageFormat);
    // Allowed when configured.
    let mut o = with_xsd();
    o.images.formats.push(hague_package::FileKind::Png);
    assert!(!check(&p, &o).has(RuleId::ImageFormat));
}

#[test]
fn pkg015_view_too_large() {
    let c = Case::new();
    let p = c.application(|x| x, jpeg(100, 100));
    let mut o = with_xsd();
    o.images.max_bytes = 20;
    expect(&check(&p, &o), RuleId::ImageBytes);
    assert!(!check(&p, &with_xsd()).has(RuleId::ImageBytes));
}

#[test]
fn pkg016_view_too_many_pixels() {
    let c = Case::new();
    let p = c.application(|x| x, jpeg(2000, 100));
    expect(&check(&p, &with_xsd()), RuleId::ImagePixels);
    let mut o = with_xsd();
    o.images.max_pixels = 2000;
    assert!(!check(&p, &o).has(RuleId::ImagePixels));
}

#[test]
fn pkg017_unreadable_jpeg_header() {
    let c = Case::new();
    let p = c.application(|x| x, vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 1, 2, 3]);
    expect(&check(&p, &with_xsd()), RuleId::ImageHeader);
}

#[test]
fn pkg018_design_count() {
    let c = Case::new();
    let p = c.application(
        |x| x.replace("<dgn:DesignTotalQuantity>1<", "<dgn:DesignTotalQuantity>2<"),
        jpeg(100, 100),
    );
    expect(&check(&p, &with_xsd()), RuleId::DesignCount);
}

#[test]
fn pkg019_view_count() {
    let c = Case::new();
    let p = c.application(
        |x| x.replace("<dgn:ViewTotalQuantity>1<", "<dgn:ViewTotalQuantity>3<"),
        jpeg(100, 100),
    );
    expect(&check(&p, &with_xsd()), RuleId::ViewCount);
}

#[test]
fn pkg020_office_code() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace("<com:IPOfficeCode>KR<", "<com:IPOfficeCode>ZZ<"),
        None,
    );
    expect(&check(&p, &with_xsd()), RuleId::OfficeCode);
}

#[test]
fn pkg021_date_not_real() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            x.replace(
                "<com:DecisionDate>2025-01-10<",
                "<com:DecisionDate>2025-02-30<",
            )
        },
        None,
    );
    expect(&check(&p, &no_xsd()), RuleId::InvalidDate);
}

#[test]
fn pkg022_unsafe_reference() {
    let c = Case::new();
    let p = c.refusal(|x| x.replace(">refusal.pdf<", ">../refusal.pdf<"), None);
    expect(&check(&p, &with_xsd()), RuleId::UnsafeReference);
}

#[test]
fn pkg023_document_without_file_name() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace("<com:FileName>refusal.pdf</com:FileName>", ""),
        Some(vec![]),
    );
    expect(&check(&p, &with_xsd()), RuleId::MissingFileName);
}

#[test]
fn pkg024_built_in_required_element() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace("<com:DecisionDate>2025-01-10</com:DecisionDate>", ""),
        None,
    );
    let r = check(&p, &no_xsd());
    expect(&r, RuleId::RequiredElement);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::RequiredElement)
        .unwrap();
    assert!(
        f.expected.as_deref().unwrap().contains("DecisionDate"),
        "{f}"
    );
    // The schema finds the same problem.
    let r = check(&p, &with_xsd());
    expect(&r, RuleId::SchemaInvalid);
}

#[test]
fn xsd001_schema_error_with_line_column_path_and_expected() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace("<dgn:AffectedDesign>", "<dgn:Bogus/><dgn:AffectedDesign>"),
        None,
    );
    let r = check(&p, &with_xsd());
    expect(&r, RuleId::SchemaInvalid);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::SchemaInvalid && f.expected.is_some())
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(f.location.line, Some(19), "{f}");
    assert!(f.location.column.is_some());
    assert!(
        f.location
            .path
            .as_deref()
            .unwrap()
            .ends_with("HagueRefusalRequest"),
        "{f}"
    );
    assert!(
        f.expected.as_deref().unwrap().contains("AffectedDesign"),
        "{f}"
    );
}

#[test]
fn xsd002_not_well_formed() {
    let c = Case::new();
    let p = c.refusal(
        |x| x.replace("</com:DecisionDate>", "</com:DecisionDat>"),
        None,
    );
    expect(&check(&p, &with_xsd()), RuleId::NotWellFormed);
    expect(&check(&p, &no_xsd()), RuleId::NotWellFormed);
}

#[test]
fn xsd003_schema_unavailable_is_reported() {
    let c = Case::new();
    let p = c.refusal(|x| x, None);
    let none = Options {
        schemas: Schemas::Dirs(vec![c.dir.path().join("no-schemas")]),
        ..Options::default()
    };
    let r = check(&p, &none);
    expect(&r, RuleId::SchemaUnavailable);
    assert!(r.is_valid());
    assert!(
        r.xsd
            .verdict(true)
            .starts_with("valid by ipgate's built-in checks; WIPO's schema was not run")
    );
    assert!(matches!(r.xsd, XsdStatus::SchemaUnavailable { .. }));
}

#[test]
fn xml001_doctype_and_entities_refused() {
    let c = Case::new();
    let p = c.refusal(
        |x| {
            x.replace(
                "<dgn:HagueOfficeToIBTransaction ",
                "<!DOCTYPE x [<!ENTITY a \"b\">]>\n<dgn:HagueOfficeToIBTransaction ",
            )
        },
        None,
    );
    expect(&check(&p, &with_xsd()), RuleId::Doctype);
    expect(&check(&p, &no_xsd()), RuleId::Doctype);
}

#[test]
fn xml002_depth_limit() {
    let c = Case::new();
    let p = c.refusal(|x| x, None);
    let mut o = with_xsd();
    o.limits.max_xml_depth = 3;
    expect(&check(&p, &o), RuleId::XmlDepth);
    let mut o = no_xsd();
    o.limits.max_xml_depth = 3;
    expect(&check(&p, &o), RuleId::XmlDepth);
}

// ---- one malicious archive per safety check -----------------------------------------------------

fn raw_case(entries: &[Raw], limits: Option<Limits>) -> Report {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("evil.zip");
    raw_zip(&p, entries);
    let mut o = no_xsd();
    if let Some(l) = limits {
        o.limits = l;
    }
    check(&p, &o)
}

fn xml_entry() -> Raw {
    Raw::new(
        b"refusal.xml",
        sample("refusal_total.xml", false).as_bytes(),
    )
}

#[test]
fn zip001_traversal() {
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"../../etc/passwd", b"x")], None),
        RuleId::ZipTraversal,
    );
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"docs/../../x", b"x")], None),
        RuleId::ZipTraversal,
    );
}

#[test]
fn zip002_absolute() {
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"/tmp/x.pdf", b"x")], None),
        RuleId::ZipAbsolute,
    );
}

#[test]
fn zip003_backslash() {
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"..\\x.pdf", b"x")], None),
        RuleId::ZipBackslash,
    );
}

#[test]
fn zip004_drive_letter() {
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"C:/x.pdf", b"x")], None),
        RuleId::ZipDrive,
    );
}

#[test]
fn zip005_symlink() {
    let mut l = Raw::new(b"refusal.pdf", b"/etc/passwd");
    l.ext_attrs = 0o120777 << 16;
    expect(&raw_case(&[xml_entry(), l], None), RuleId::ZipSymlink);
}

#[test]
fn zip006_duplicate() {
    expect(
        &raw_case(
            &[
                xml_entry(),
                Raw::new(b"refusal.pdf", &pdf()),
                Raw::new(b"refusal.pdf", b"x"),
            ],
            None,
        ),
        RuleId::ZipDuplicate,
    );
}

#[test]
fn zip007_case_collision() {
    expect(
        &raw_case(
            &[
                xml_entry(),
                Raw::new(b"refusal.pdf", &pdf()),
                Raw::new(b"REFUSAL.pdf", &pdf()),
            ],
            None,
        ),
        RuleId::ZipCaseCollision,
    );
}

#[test]
fn zip008_encrypted() {
    let mut e = Raw::new(b"refusal.pdf", &pdf());
    e.flags = 1;
    expect(&raw_case(&[xml_entry(), e], None), RuleId::ZipEncrypted);
}

#[test]
fn zip009_too_many_entries() {
    let l = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    expect(
        &raw_case(
            &[
                xml_entry(),
                Raw::new(b"a.pdf", &pdf()),
                Raw::new(b"b.pdf", &pdf()),
            ],
            Some(l),
        ),
        RuleId::ZipTooManyEntries,
    );
}

#[test]
fn zip010_total_size() {
    let l = Limits {
        max_total_bytes: 1000,
        ..Limits::default()
    };
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"refusal.pdf", &pdf())], Some(l)),
        RuleId::ZipTooLarge,
    );
    // A lie in the central directory does not help: the actual bytes are counted too.
    let mut big = Raw::new(b"refusal.pdf", &vec![b'%'; 5000]);
    big.declared_size = Some(10);
    let r = raw_case(&[xml_entry(), big], None);
    expect(&r, RuleId::ZipCorrupt);
}

#[test]
fn zip011_compression_ratio_bomb() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.zip");
    zip_of(
        &p,
        &[
            (
                "refusal.xml".into(),
                sample("refusal_total.xml", false).into_bytes(),
            ),
            ("refusal.pdf".into(), vec![0u8; 4 * 1024 * 1024]),
        ],
    );
    expect(&check(&p, &no_xsd()), RuleId::ZipRatio);
}

#[test]
fn zip012_non_utf8_name() {
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"caf\xe9.pdf", b"x")], None),
        RuleId::ZipNameEncoding,
    );
}

#[test]
fn zip013_corrupt_archive_and_crc() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("junk.zip");
    std::fs::write(&p, b"this is not a zip file at all, not even close").unwrap();
    expect(&check(&p, &no_xsd()), RuleId::ZipCorrupt);
    // A flipped byte in stored data fails the CRC check.
    raw_zip(&p, &[xml_entry(), Raw::new(b"refusal.pdf", &pdf())]);
    let mut bytes = std::fs::read(&p).unwrap();
    let at = bytes.windows(8).position(|w| w == b"%PDF-1.4").unwrap() + 20;
    bytes[at] ^= 0xFF;
    std::fs::write(&p, bytes).unwrap();
    expect(&check(&p, &no_xsd()), RuleId::ZipCorrupt);
}

#[test]
fn zip014_compression_method() {
    let mut e = Raw::new(b"refusal.pdf", &pdf());
    e.method = 12;
    expect(&raw_case(&[xml_entry(), e], None), RuleId::ZipMethod);
}

#[test]
fn zip015_bad_name() {
    expect(
        &raw_case(&[xml_entry(), Raw::new(b"docs//x.pdf", b"x")], None),
        RuleId::ZipBadName,
    );
}

#[test]
fn every_rule_is_documented() {
    let doc = std::fs::read_to_string(repo().join("docs/package-rules.md")).unwrap();
    for r in RuleId::ALL {
        assert!(
            doc.contains(&format!("`{}`", r.id())),
            "{} missing from docs/package-rules.md",
            r.id()
        );
        assert_eq!(RuleId::from_id(r.id()), Some(*r));
    }
}
