//! Invalid documents: each is rejected with a message naming the problem (and where it is).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use st96::Root;
use st96::v6::hague::dgn::{HagueIbToOfficeTransaction, HagueOfficeToIbTransaction};

/// A valid V6_0 Office-to-IB refusal (the `refusal_partial.xml` sample, version adjusted).
fn base() -> String {
    let p = common::samples_dir().join("hague/refusal_partial.xml");
    common::as_v6(&std::fs::read_to_string(p).unwrap())
}

fn edit(from: &str, to: &str) -> String {
    let b = base();
    assert!(b.contains(from), "base sample lacks {from:?}");
    b.replacen(from, to, 1)
}

/// Parses `xml` and checks the error mentions every needle (case-insensitive) and has a line.
fn rejects(xml: &str, needles: &[&str]) -> String {
    let err = match HagueOfficeToIbTransaction::from_xml_str(xml) {
        Ok(_) => panic!("accepted an invalid document; expected an error naming {needles:?}"),
        Err(e) => e,
    };
    let msg = err.to_string();
    for n in needles {
        assert!(
            msg.to_lowercase().contains(&n.to_lowercase()),
            "error {msg:?} does not mention {n:?}"
        );
    }
    assert!(err.location().is_some(), "no location in {msg:?}");
    assert!(msg.contains("line "), "no line/column in {msg:?}");
    msg
}

#[test]
fn base_is_valid() {
    HagueOfficeToIbTransaction::from_xml_str(&base()).unwrap();
}

#[test]
fn missing_required_element() {
    rejects(
        &edit(
            "<com:TransactionTotalQuantity>1</com:TransactionTotalQuantity>",
            "",
        ),
        &["TransactionTotalQuantity", "missing"],
    );
}

#[test]
fn wrong_order() {
    rejects(
        &edit(
            "<com:OfficeReferenceIdentifier>OFFICE-REF-0001</com:OfficeReferenceIdentifier>\n      <com:DecisionDate>2025-01-10</com:DecisionDate>",
            "<com:DecisionDate>2025-01-10</com:DecisionDate>\n      <com:OfficeReferenceIdentifier>OFFICE-REF-0001</com:OfficeReferenceIdentifier>",
        ),
        &["OfficeReferenceIdentifier", "not allowed here", "order"],
    );
}

#[test]
fn bad_enumeration() {
    rejects(
        &edit(
            "<com:DocumentFormatCategory>PDF</com:DocumentFormatCategory>",
            "<com:DocumentFormatCategory>DOCX-ISH</com:DocumentFormatCategory>",
        ),
        &["DOCX-ISH", "allowed"],
    );
}

#[test]
fn pattern_violation() {
    // com:DASAccessCode must be four letters or digits.
    let p = common::samples_dir().join("hague/indirect_application_minimal.xml");
    let xml = common::as_v6(&std::fs::read_to_string(p).unwrap());
    let priority = "<dgn:PriorityBag><dgn:Priority><com:PriorityCountryCode>FR</com:PriorityCountryCode>\
        <com:PriorityApplicationFilingDate>2024-07-01</com:PriorityApplicationFilingDate>\
        <com:DASAccessCode>AB-1</com:DASAccessCode></dgn:Priority></dgn:PriorityBag>\n          <dgn:ViewBag>";
    let ok = xml.replacen("<dgn:ViewBag>", &priority.replace("AB-1", "AB12"), 1);
    HagueOfficeToIbTransaction::from_xml_str(&ok).unwrap();
    rejects(
        &xml.replacen("<dgn:ViewBag>", priority, 1),
        &["AB-1", "pattern"],
    );
}

#[test]
fn bad_date() {
    rejects(
        &edit(
            "<com:RequestDate>2025-01-15</com:RequestDate>",
            "<com:RequestDate>2025-02-30</com:RequestDate>",
        ),
        &["2025-02-30"],
    );
}

#[test]
fn date_in_wrong_format() {
    rejects(
        &edit(
            "<com:DecisionDate>2025-01-10</com:DecisionDate>",
            "<com:DecisionDate>10/01/2025</com:DecisionDate>",
        ),
        &["10/01/2025"],
    );
}

#[test]
fn unknown_element() {
    rejects(
        &edit(
            "<com:RequestDate>",
            "<com:FavouriteColour>blue</com:FavouriteColour><com:RequestDate>",
        ),
        &["com:FavouriteColour", "not allowed here"],
    );
}

#[test]
fn wrong_root() {
    let msg = rejects(
        &base().replace(
            "dgn:HagueOfficeToIBTransaction",
            "dgn:HagueIBToOfficeTransaction",
        ),
        &[
            "dgn:HagueOfficeToIBTransaction",
            "HagueIBToOfficeTransaction",
            "root",
        ],
    );
    assert!(msg.contains("inspect"), "{msg}");
    // and the other way round
    let err = HagueIbToOfficeTransaction::from_xml_str(&base()).unwrap_err();
    assert!(
        err.to_string().contains("dgn:HagueIBToOfficeTransaction"),
        "{err}"
    );
}

#[test]
fn empty_required_bag() {
    rejects(
        &edit(
            "<dgn:DesignIdentifier>1</dgn:DesignIdentifier>\n          <dgn:DesignIdentifier>3</dgn:DesignIdentifier>",
            "",
        ),
        &["DesignIdentifier", "at least 1"],
    );
}

#[test]
fn both_branches_of_a_choice() {
    // dgn:AffectedDesign is a choice: all designs, or a list of designs.
    rejects(
        &edit(
            "<dgn:DesignIdentifierBag>",
            "<dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator><dgn:DesignIdentifierBag>",
        ),
        &["DesignIdentifierBag", "not allowed here", "choice"],
    );
}

#[test]
fn doctype_refused() {
    let xml = base().replacen(
        "<dgn:HagueOfficeToIBTransaction",
        "<!DOCTYPE dgn:HagueOfficeToIBTransaction>\n<dgn:HagueOfficeToIBTransaction",
        1,
    );
    rejects(&xml, &["DOCTYPE"]);
}

#[test]
fn entity_declaration_refused() {
    let xml = base()
        .replacen(
            "<dgn:HagueOfficeToIBTransaction",
            "<!DOCTYPE x [<!ENTITY lol \"lol\">]>\n<dgn:HagueOfficeToIBTransaction",
            1,
        )
        .replacen("OFFICE-REF-0001", "&lol;", 1);
    rejects(&xml, &["DOCTYPE"]);
}

#[test]
fn excessive_depth_refused() {
    let deep = format!("{}x{}", "<com:B>".repeat(400), "</com:B>".repeat(400));
    rejects(&edit("The design lacks novelty", &deep), &["depth"]);
}

#[test]
fn st96_version_must_be_a_version() {
    rejects(
        &edit("com:st96Version=\"V6_0\"", "com:st96Version=\"FOO\""),
        &["st96Version", "FOO", "V6_0"],
    );
}

#[test]
fn st96_version_is_required() {
    rejects(
        &edit("com:st96Version=\"V6_0\" ", ""),
        &["st96Version", "missing"],
    );
}

#[test]
fn unexpected_attribute() {
    rejects(
        &edit(
            "<dgn:HagueOfficeTransactionHeader>",
            "<dgn:HagueOfficeTransactionHeader com:colour=\"red\">",
        ),
        &["com:colour", "not allowed"],
    );
}

#[test]
fn not_a_number() {
    rejects(
        &edit(
            "<com:TransactionTotalQuantity>1</com:TransactionTotalQuantity>",
            "<com:TransactionTotalQuantity>one</com:TransactionTotalQuantity>",
        ),
        &["one"],
    );
}

#[test]
fn duplicate_element() {
    rejects(
        &edit(
            "<com:DecisionDate>2025-01-10</com:DecisionDate>",
            "<com:DecisionDate>2025-01-10</com:DecisionDate><com:DecisionDate>2025-01-11</com:DecisionDate>",
        ),
        &["DecisionDate"],
    );
}

#[test]
fn text_in_element_only_content() {
    rejects(
        &edit(
            "<dgn:HagueOfficeToIBBag>",
            "<dgn:HagueOfficeToIBBag>stray words",
        ),
        &["stray words", "not allowed"],
    );
}

#[test]
fn malformed_xml() {
    rejects(
        &edit("</com:RequestDate>", "</com:RequestDat>"),
        &["RequestDat"],
    );
}

#[test]
fn truncated_document() {
    let b = base();
    let cut = &b[..b.len() - 60];
    rejects(cut, &[]);
}

#[test]
fn not_an_st96_namespace() {
    rejects(
        &base().replace(
            "xmlns:dgn=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\"",
            "xmlns:dgn=\"urn:example:not-st96\"",
        ),
        &["not in an ST.96 namespace"],
    );
}

#[test]
fn bad_boolean() {
    let p = common::samples_dir().join("hague/indirect_application_minimal.xml");
    let xml = common::as_v6(&std::fs::read_to_string(p).unwrap());
    rejects(
        &xml.replacen(
            "<dgn:ImmediatePublicationIndicator>false<",
            "<dgn:ImmediatePublicationIndicator>nope<",
            1,
        ),
        &["nope"],
    );
}

#[test]
fn error_names_the_element_path() {
    let msg = rejects(
        &edit(
            "<com:DocumentFormatCategory>PDF</com:DocumentFormatCategory>",
            "<com:DocumentFormatCategory>BAD</com:DocumentFormatCategory>",
        ),
        &["BAD"],
    );
    assert!(
        msg.contains("dgn:HagueOfficeToIBTransaction/dgn:HagueOfficeToIBBag"),
        "path missing in {msg}"
    );
    assert!(msg.contains("line 3"), "line missing in {msg}");
}

/// A total refusal: `dgn:AffectedDesign` holds `<dgn:AllDesignsIndicator>true</...>`.
fn total_refusal() -> String {
    let p = common::samples_dir().join("hague/refusal_total.xml");
    common::as_v6(&std::fs::read_to_string(p).unwrap())
}

const ALL_DESIGNS_TRUE: &str = "<dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator>";

#[test]
fn fixed_element_value() {
    // dgn:AllDesignsIndicator is declared fixed="true": `false` is a valid boolean, not the
    // fixed value.
    let xml = total_refusal();
    assert!(xml.contains(ALL_DESIGNS_TRUE));
    let line = xml[..xml.find(ALL_DESIGNS_TRUE).unwrap()]
        .matches('\n')
        .count()
        + 1;
    let msg = rejects(
        &xml.replacen(
            ALL_DESIGNS_TRUE,
            "<dgn:AllDesignsIndicator>false</dgn:AllDesignsIndicator>",
            1,
        ),
        &[
            "dgn:HagueOfficeToIBTransaction/dgn:HagueOfficeToIBBag/dgn:HagueRefusalRequest/\
             dgn:AffectedDesign/dgn:AllDesignsIndicator",
            "`false`",
            "fixes its value to `true`",
            "dgn:DesignIdentifierBag",
        ],
    );
    assert!(msg.contains(&format!("line {line}")), "{msg}");
    // Other spellings of the fixed value are the fixed value.
    for same in ["1", " true\n"] {
        let ok = xml.replacen(
            ALL_DESIGNS_TRUE,
            &format!("<dgn:AllDesignsIndicator>{same}</dgn:AllDesignsIndicator>"),
            1,
        );
        HagueOfficeToIbTransaction::from_xml_str(&ok).unwrap_or_else(|e| panic!("{same:?}: {e}"));
    }
    // `0` is `false`, whatever the prefix.
    rejects(
        &xml.replacen(
            ALL_DESIGNS_TRUE,
            "<d:AllDesignsIndicator xmlns:d=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\">0</d:AllDesignsIndicator>",
            1,
        ),
        &["`0`", "`true`", "d:AllDesignsIndicator"],
    );
}

#[test]
fn fixed_element_value_in_a_bulletin_record() {
    // The same check on a whole IB-to-office document, on a record deep inside a bulletin.
    let out = common::bulletin(3, &[]);
    let xml = std::fs::read_to_string(&out).unwrap();
    HagueIbToOfficeTransaction::from_xml_str(&xml).unwrap();
    let at = xml
        .find(ALL_DESIGNS_TRUE)
        .expect("the generated refusal affects all designs");
    let line = xml[..at].matches('\n').count() + 1;
    let broken = xml.replacen(
        ALL_DESIGNS_TRUE,
        "<dgn:AllDesignsIndicator>false</dgn:AllDesignsIndicator>",
        1,
    );
    let err = HagueIbToOfficeTransaction::from_xml_str(&broken).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("dgn:HagueRefusal/") && msg.contains("/dgn:AllDesignsIndicator"),
        "{msg}"
    );
    assert!(msg.contains("`true`"), "{msg}");
    assert_eq!(err.location().unwrap().line, line as u64, "{msg}");

    // Streaming: the records before the refusal, then the same error at the same place.
    let mut reader = st96::stream::BulletinReader::new(broken.as_bytes()).unwrap();
    let before = xml[..at].matches("<dgn:HagueRefusal>").count()
        + xml[..at].matches("<dgn:HagueRegistration>").count()
        + xml[..at].matches("<dgn:HagueRenewal>").count();
    for _ in 0..before - 1 {
        reader.next().unwrap().unwrap();
    }
    let err = reader.next().unwrap().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("dgn:HagueBulletinTransactionBag/dgn:HagueRefusalBag/dgn:HagueRefusal/")
            && msg.contains("/dgn:AllDesignsIndicator"),
        "{msg}"
    );
    assert!(msg.contains("`false`") && msg.contains("`true`"), "{msg}");
    assert_eq!(err.location().unwrap().line, line as u64, "{msg}");
    assert!(reader.next().is_none());
}
