//! Regression suite for the XSD validator (`xsd-schema` is young): documents whose verdict we know
//! (checked with lxml when the samples were made), each with the constraint the schema must report.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::*;
use hague_package::{RuleId, validate_xml};

fn run(schema: &Path, xml: &str) -> Vec<String> {
    let out = validate_xml(schema, xml.as_bytes(), "doc.xml", 256, 100).unwrap();
    out.findings
        .iter()
        .map(|f| format!("{} {}", f.rule, f.message))
        .collect()
}

#[test]
fn office_to_ib_documents() {
    let schema = schemas().join("V6_0/HagueOfficeToIBTransaction_V6_0.xsd");
    for name in SAMPLES {
        let f = run(&schema, &sample(name, true));
        assert!(f.is_empty(), "{name} must be valid: {f:#?}");
    }
    let refusal = sample("refusal_total.xml", true);
    let app = sample("indirect_application_minimal.xml", true);
    // (description, document, text that the finding must contain)
    let cases: Vec<(&str, String, &str)> = vec![
        ("fixed st96Version", sample("refusal_total.xml", false), "cvc-attribute"),
        ("month 13", refusal.replace(">2025-01-10<", ">2025-13-10<"), "cvc-"),
        ("30 February", refusal.replace(">2025-01-10<", ">2025-02-30<"), "cvc-"),
        ("undeclared element", refusal.replace("<dgn:AffectedDesign>", "<dgn:Bogus/><dgn:AffectedDesign>"), "cvc-complex-type.2.4"),
        ("required element missing", refusal.replace("<com:DecisionDate>2025-01-10</com:DecisionDate>", ""), "cvc-complex-type.2.4"),
        (
            "elements out of order",
            refusal.replace(
                "<com:OfficeReferenceIdentifier>OFFICE-REF-0001</com:OfficeReferenceIdentifier>\n      <com:DecisionDate>2025-01-10</com:DecisionDate>",
                "<com:DecisionDate>2025-01-10</com:DecisionDate>\n      <com:OfficeReferenceIdentifier>OFFICE-REF-0001</com:OfficeReferenceIdentifier>",
            ),
            "cvc-complex-type.2.4",
        ),
        ("enumeration", refusal.replace(">Lack of novelty<", ">Too ugly<"), "cvc-"),
        ("non-integer quantity", refusal.replace("<com:TransactionTotalQuantity>1<", "<com:TransactionTotalQuantity>one<"), "cvc-"),
        ("boolean", app.replace("<dgn:ImmediatePublicationIndicator>false<", "<dgn:ImmediatePublicationIndicator>maybe<"), "cvc-"),
        ("undeclared attribute", refusal.replace("<dgn:HagueRefusalRequest>", "<dgn:HagueRefusalRequest foo=\"1\">"), "cvc-"),
        ("wrong namespace", refusal.replace("<com:DecisionDate>2025-01-10</com:DecisionDate>", "<dgn:DecisionDate>2025-01-10</dgn:DecisionDate>"), "cvc-"),
        ("empty bag", refusal.replace(
            &refusal[refusal.find("<com:DocumentIncluded>").unwrap()..refusal.find("</com:DocumentIncludedBag>").unwrap()],
            "",
        ), "cvc-complex-type.2.4"),
        ("two roots", format!("{refusal}<x/>"), "XSD002"),
        ("DOCTYPE", refusal.replacen("<dgn:HagueOfficeToIBTransaction", "<!DOCTYPE d>\n<dgn:HagueOfficeToIBTransaction", 1), "XML001"),
    ];
    for (what, xml, want) in cases {
        let f = run(&schema, &xml);
        assert!(
            f.iter().any(|m| m.contains(want)),
            "{what}: expected {want}, got {f:#?}"
        );
    }
}

#[test]
fn content_model_errors_say_what_was_expected_anywhere() {
    let schema = schemas().join("V6_0/HagueOfficeToIBTransaction_V6_0.xsd");
    let xml = sample("refusal_total.xml", true).replace(
        "<com:DocumentName>Notification of refusal</com:DocumentName>",
        "",
    );
    let out = validate_xml(&schema, xml.as_bytes(), "doc.xml", 256, 100).unwrap();
    let f = out
        .findings
        .iter()
        .find(|f| f.expected.is_some())
        .unwrap_or_else(|| panic!("{:#?}", out.findings));
    let exp = f.expected.as_deref().unwrap();
    assert!(exp.starts_with("DocumentName, FileName?"), "{exp}");
    assert!(
        f.location
            .path
            .as_deref()
            .unwrap()
            .ends_with("DocumentIncluded"),
        "{f}"
    );
    // Reported where the unexpected <com:FileName> starts.
    let line = xml
        .lines()
        .position(|l| l.contains("<com:FileName>"))
        .unwrap() as u64
        + 1;
    assert_eq!(f.location.line, Some(line), "{f}");
    let col = xml
        .lines()
        .nth(line as usize - 1)
        .unwrap()
        .find('<')
        .unwrap() as u64
        + 1;
    assert_eq!(f.location.column, Some(col), "{f}");
}

#[test]
fn ib_to_office_bulletin_from_the_generator_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("b.xml");
    let st = std::process::Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", "30", "--out", xml.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(st.success());
    let schema = schemas().join("V6_0/HagueIBToOfficeTransaction_V6_0.xsd");
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(run(&schema, &text).is_empty());
    let broken = text.replacen("<com:PublicationDate>", "<com:PublicationDate>x", 1);
    let f = run(&schema, &broken);
    assert!(f.iter().any(|m| m.starts_with("XSD001")), "{f:#?}");
}

#[test]
fn annex_vii_examples_are_valid_against_their_roots() {
    for (file, schema) in [
        (
            "DesignApplication_Example.xml",
            "DesignApplication_V6_0.xsd",
        ),
        (
            "TrademarkApplication_Example.xml",
            "TrademarkApplication_V6_0.xsd",
        ),
        (
            "PatentPublication_Example.xml",
            "PatentPublication_V6_0.xsd",
        ),
        ("GIApplication_Example.xml", "GIApplication_V6_0.xsd"),
    ] {
        let schema = schemas().join("V6_0").join(schema);
        let text = std::fs::read_to_string(samples().join("../annex-vii").join(file)).unwrap();
        let f = run(&schema, &text);
        assert!(f.is_empty(), "{file}: {f:#?}");
    }
    assert_eq!(RuleId::SchemaInvalid.id(), "XSD001");
}
