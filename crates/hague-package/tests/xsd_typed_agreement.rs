//! The XSD validator (`xsd-schema` over WIPO's schemas) and `st96`'s typed model (generated from
//! the same V6_0 schemas) agree on the shared samples and on invalid variants of them. Where they
//! legitimately differ, the case says why (`Differs`), and the difference itself is asserted, so
//! a change on either side shows up here.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "512"]

mod common;

use common::*;
use hague_package::validate_xml;
use st96::Root;
use st96::stream::IbToOfficeReader;

/// Which document type (root schema + typed root) a case is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    OfficeToIb,
    IbToOffice,
    DesignApplication,
}

impl Kind {
    fn schema(self) -> std::path::PathBuf {
        schemas().join("V6_0").join(match self {
            Kind::OfficeToIb => "HagueOfficeToIBTransaction_V6_0.xsd",
            Kind::IbToOffice => "HagueIBToOfficeTransaction_V6_0.xsd",
            Kind::DesignApplication => "DesignApplication_V6_0.xsd",
        })
    }

    /// The typed model's verdict: `Ok` or its error message.
    fn typed(self, xml: &str) -> Result<(), String> {
        let bytes = xml.as_bytes();
        match self {
            Kind::OfficeToIb => st96::v6::hague::dgn::HagueOfficeToIbTransaction::from_xml(bytes)
                .map(drop)
                .map_err(|e| e.to_string()),
            Kind::IbToOffice => {
                // Both the whole-document parse and the streaming reader must agree.
                let whole = st96::v6::hague::dgn::HagueIbToOfficeTransaction::from_xml(bytes)
                    .map(drop)
                    .map_err(|e| e.to_string());
                let streamed = IbToOfficeReader::new(bytes)
                    .and_then(|r| r.collect::<Result<Vec<_>, _>>())
                    .map(drop)
                    .map_err(|e| e.to_string());
                assert_eq!(
                    whole.is_ok(),
                    streamed.is_ok(),
                    "whole {whole:?} vs streamed {streamed:?}"
                );
                whole
            }
            Kind::DesignApplication => st96::v6::design::dgn::DesignApplication::from_xml(bytes)
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }

    fn xsd(self, xml: &str) -> Result<(), String> {
        let out = validate_xml(&self.schema(), xml.as_bytes(), "doc.xml", 256, 100).unwrap();
        if out.findings.is_empty() {
            Ok(())
        } else {
            Err(out
                .findings
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
}

/// What both sides must say.
#[derive(Debug)]
enum Expect {
    Valid,
    Invalid,
    /// The verdicts differ for a documented reason: (XSD valid?, typed valid?, why).
    Differs(bool, bool, &'static str),
}

struct Case {
    name: String,
    kind: Kind,
    xml: String,
    expect: Expect,
}

fn case(name: impl Into<String>, kind: Kind, xml: String, expect: Expect) -> Case {
    Case {
        name: name.into(),
        kind,
        xml,
        expect,
    }
}

fn bulletin_xml() -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bulletin.xml");
    let st = std::process::Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", "8", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    std::fs::read_to_string(out).unwrap()
}

fn office_bag_xml() -> String {
    std::fs::read_to_string(repo().join("crates/st96/tests/data/ib_office_bag.xml")).unwrap()
}

fn cut(xml: &str, from: &str, to: &str) -> String {
    let a = xml.find(from).unwrap();
    let b = a + xml[a..].find(to).unwrap() + to.len();
    format!("{}{}", &xml[..a], &xml[b..])
}

fn cases() -> Vec<Case> {
    use Expect::*;
    use Kind::*;
    let mut out = Vec::new();
    // Every whole shared sample, declared V6_0.
    for name in SAMPLES {
        out.push(case(*name, OfficeToIb, sample(name, true), Valid));
    }
    let design =
        std::fs::read_to_string(samples().join("../annex-vii/DesignApplication_Example.xml"))
            .unwrap();
    out.push(case(
        "annex-vii DesignApplication",
        DesignApplication,
        design.clone(),
        Valid,
    ));
    let bulletin = bulletin_xml();
    out.push(case(
        "generated bulletin",
        IbToOffice,
        bulletin.clone(),
        Valid,
    ));
    let bag = office_bag_xml();
    out.push(case(
        "office bag (confidential copy, receipt, irregularity)",
        IbToOffice,
        bag.clone(),
        Valid,
    ));

    // Invalid variants.
    let refusal = sample("refusal_total.xml", true);
    let app = sample("indirect_application_minimal.xml", true);
    out.push(case("declared V7_0 (fixed V6_0 in the schema)", OfficeToIb, sample("refusal_total.xml", false), Differs(false, true,
        "the V6_0 schema fixes com:st96Version to V6_0; st96 reads any version-like value with a warning, \
         because Hague accepts V7_0/V4_0 documents and the model serves them as far as they overlap")));
    out.push(case(
        "month 13",
        OfficeToIb,
        refusal.replace(">2025-01-10<", ">2025-13-10<"),
        Invalid,
    ));
    out.push(case(
        "30 February",
        OfficeToIb,
        refusal.replace(">2025-01-10<", ">2025-02-30<"),
        Invalid,
    ));
    out.push(case(
        "undeclared element",
        OfficeToIb,
        refusal.replace("<dgn:AffectedDesign>", "<dgn:Bogus/><dgn:AffectedDesign>"),
        Invalid,
    ));
    out.push(case(
        "required element missing",
        OfficeToIb,
        refusal.replace("<com:DecisionDate>2025-01-10</com:DecisionDate>", ""),
        Invalid,
    ));
    out.push(case("elements out of order", OfficeToIb, refusal.replace(
        "<com:OfficeReferenceIdentifier>OFFICE-REF-0001</com:OfficeReferenceIdentifier>\n      <com:DecisionDate>2025-01-10</com:DecisionDate>",
        "<com:DecisionDate>2025-01-10</com:DecisionDate>\n      <com:OfficeReferenceIdentifier>OFFICE-REF-0001</com:OfficeReferenceIdentifier>",
    ), Invalid));
    out.push(case(
        "enumeration",
        OfficeToIb,
        refusal.replace(">Lack of novelty<", ">Too ugly<"),
        Invalid,
    ));
    out.push(case(
        "non-integer quantity",
        OfficeToIb,
        refusal.replace(
            "<com:TransactionTotalQuantity>1<",
            "<com:TransactionTotalQuantity>one<",
        ),
        Invalid,
    ));
    out.push(case(
        "boolean",
        OfficeToIb,
        app.replace(
            "<dgn:ImmediatePublicationIndicator>false<",
            "<dgn:ImmediatePublicationIndicator>maybe<",
        ),
        Invalid,
    ));
    out.push(case(
        "undeclared attribute",
        OfficeToIb,
        refusal.replace(
            "<dgn:HagueRefusalRequest>",
            "<dgn:HagueRefusalRequest foo=\"1\">",
        ),
        Invalid,
    ));
    out.push(case(
        "wrong namespace",
        OfficeToIb,
        refusal.replace(
            "<com:DecisionDate>2025-01-10</com:DecisionDate>",
            "<dgn:DecisionDate>2025-01-10</dgn:DecisionDate>",
        ),
        Invalid,
    ));
    out.push(case(
        "empty bag",
        OfficeToIb,
        cut(
            &refusal,
            "<com:DocumentIncluded>",
            "</com:DocumentIncluded>",
        ),
        Invalid,
    ));
    out.push(case(
        "ST.3 code",
        OfficeToIb,
        refusal.replacen("<com:IPOfficeCode>", "<com:IPOfficeCode>X", 1),
        Invalid,
    ));
    out.push(case(
        "DesignApplication: status enumeration",
        DesignApplication,
        design.replace(
            ">Registered</dgn:DesignCurrentStatusCategory>",
            ">Sleeping</dgn:DesignCurrentStatusCategory>",
        ),
        Invalid,
    ));
    out.push(case(
        "DesignApplication: date",
        DesignApplication,
        design.replace(">2034-01-29<", ">2034-01-32<"),
        Invalid,
    ));
    out.push(case(
        "bulletin: registration without IRN",
        IbToOffice,
        cut(
            &bulletin,
            "<com:InternationalRegistrationNumber>",
            "</com:InternationalRegistrationNumber>",
        ),
        Invalid,
    ));
    out.push(case(
        "bulletin: bad date in a record",
        IbToOffice,
        {
            let at = bulletin.find("<dgn:HagueRenewal>").unwrap();
            let d = at + bulletin[at..].find("Date>").unwrap() + 5;
            let mut b = bulletin.clone();
            b.replace_range(d..d + 10, "2026-02-30");
            b
        },
        Invalid,
    ));
    out.push(case(
        "bulletin: unknown bag",
        IbToOffice,
        bulletin.replace("dgn:HagueRenewalBag>", "dgn:HagueRenewBag>"),
        Invalid,
    ));
    out.push(case(
        "office bag: receipt category",
        IbToOffice,
        bag.replacen("Grant protection", "Grant protektion", 1),
        Invalid,
    ));
    out.push(case(
        "office bag: renewal in the office-copy bag",
        IbToOffice,
        bag.replace(
            "<dgn:HagueSecondPartFeeNotPaidBag>",
            "<dgn:HagueRenewalBag>",
        )
        .replace(
            "</dgn:HagueSecondPartFeeNotPaidBag>",
            "</dgn:HagueRenewalBag>",
        ),
        Invalid,
    ));
    out.push(case(
        "office bag: header without date",
        IbToOffice,
        cut(
            &bag,
            "<com:RecordNotificationDate>",
            "</com:RecordNotificationDate>",
        ),
        Invalid,
    ));
    out.push(case(
        "office bag: irregularity without documents",
        IbToOffice,
        cut(
            &bag,
            "        <com:DocumentIncludedBag>",
            "</com:DocumentIncludedBag>",
        ),
        Invalid,
    ));
    out.push(case(
        "office bag: empty receipt bag",
        IbToOffice,
        cut(
            &bag,
            "<dgn:HagueAcknowledgementReceipt>",
            "</dgn:HagueAcknowledgementReceipt>",
        ),
        Invalid,
    ));
    out.push(case(
        "office bag: empty office-copy bag",
        IbToOffice,
        cut(
            &bag,
            "<dgn:HagueRegistrationBag>",
            "</dgn:HagueSecondPartFeeNotPaidBag>",
        ),
        Invalid,
    ));
    out
}

#[test]
fn xsd_agrees_with_typed_model() {
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for c in cases() {
        let xsd = c.kind.xsd(&c.xml);
        let typed = c.kind.typed(&c.xml);
        let (want_xsd, want_typed) = match c.expect {
            Expect::Valid => (true, true),
            Expect::Invalid => (false, false),
            Expect::Differs(x, t, why) => {
                assert!(!why.is_empty());
                assert_ne!(x, t, "{}: Differs must differ", c.name);
                (x, t)
            }
        };
        report.push(format!(
            "{:<55} xsd={:<7} typed={:<7}",
            c.name,
            if xsd.is_ok() { "valid" } else { "invalid" },
            if typed.is_ok() { "valid" } else { "invalid" }
        ));
        if xsd.is_ok() != want_xsd || typed.is_ok() != want_typed {
            failures.push(format!(
                "{} ({:?}): expected xsd valid={want_xsd}, typed valid={want_typed}\n  xsd: {xsd:?}\n  typed: {typed:?}",
                c.name, c.kind
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(report.len() >= 30, "{} cases", report.len());
}

#[test]
fn validate_package_notes_the_typed_model() {
    use hague_package::{Options, Schemas, TypedModelStatus, validate_package};
    let t = tempfile::tempdir().unwrap();
    let xml = sample("refusal_total.xml", true);
    let zip = t.path().join("p.zip");
    let mut files = vec![("refusal.xml".to_owned(), xml.clone().into_bytes())];
    files.extend(files_for(&xml));
    zip_of(&zip, &files);
    let opts = |s: Schemas| Options {
        schemas: s,
        ..Options::default()
    };
    let r = validate_package(&zip, &opts(Schemas::Dirs(vec![schemas()]))).unwrap();
    assert_eq!(r.typed_model, TypedModelStatus::Valid, "{:#?}", r.findings);
    // No schema: the typed model is the fallback and an invalid V6_0 document is an error.
    let bad = xml.replace("<dgn:AffectedDesign>", "<dgn:Bogus/><dgn:AffectedDesign>");
    let mut files = vec![("refusal.xml".to_owned(), bad.into_bytes())];
    files.extend(files_for(&xml));
    zip_of(&zip, &files);
    let r = validate_package(&zip, &opts(Schemas::Dirs(vec![t.path().join("none")]))).unwrap();
    assert!(matches!(r.typed_model, TypedModelStatus::Invalid { .. }));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule.id() == "XSD004")
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(f.severity, hague_package::Severity::Error);
    assert!(f.location.line.is_some(), "{f}");
    assert!(!r.is_valid());
    // With the schema, the schema's finding is enough: no duplicate.
    let r = validate_package(&zip, &opts(Schemas::Dirs(vec![schemas()]))).unwrap();
    assert!(r.findings.iter().any(|f| f.rule.id() == "XSD001"));
    assert!(!r.findings.iter().any(|f| f.rule.id() == "XSD004"));
    assert!(matches!(r.typed_model, TypedModelStatus::Invalid { .. }));
}
