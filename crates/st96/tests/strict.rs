//! The typed reader's verdict is the schema's (issue 11): one test per kind of difference once
//! found between st96 and WIPO's schema, each on the fast path and on the deserializer path (forced
//! by a comment inside a value, which the fast path does not read), and for the well-formedness
//! rules of XML 1.0 that `quick_xml` alone does not check. Errors name the line and the problem.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "512"]

mod common;

use st96::Root;
use st96::v6::hague::dgn::{HagueIbToOfficeTransaction, HagueOfficeToIbTransaction};

/// A valid V6_0 refusal (the `refusal_partial.xml` sample, version adjusted).
fn base() -> String {
    let p = common::samples_dir().join("hague/refusal_partial.xml");
    common::as_v6(&std::fs::read_to_string(p).unwrap())
}

/// The indirect application sample (it has booleans).
fn application() -> String {
    let p = common::samples_dir().join("hague/indirect_application_minimal.xml");
    common::as_v6(&std::fs::read_to_string(p).unwrap())
}

fn edit(doc: &str, from: &str, to: &str) -> String {
    assert!(doc.contains(from), "document lacks {from:?}");
    doc.replacen(from, to, 1)
}

/// The same document with a comment inside the first office code: valid, but the fast path gives
/// up on it, so the whole document is read by the deserializer path.
fn slow(xml: &str) -> String {
    edit(
        xml,
        "<com:IPOfficeCode>KR</com:IPOfficeCode>",
        "<com:IPOfficeCode>K<!-- slow path -->R</com:IPOfficeCode>",
    )
}

fn parse(xml: &[u8]) -> Result<(), st96::Error> {
    HagueOfficeToIbTransaction::from_xml(xml).map(drop)
}

/// Both paths refuse `xml`, with an error holding every needle and a line.
fn rejects(xml: &str, needles: &[&str]) {
    for (path, doc) in [("fast", xml.to_owned()), ("deserializer", slow(xml))] {
        let err = match parse(doc.as_bytes()) {
            Ok(()) => panic!("{path} path accepted an invalid document; expected {needles:?}"),
            Err(e) => e,
        };
        let msg = err.to_string();
        for n in needles {
            assert!(
                msg.to_lowercase().contains(&n.to_lowercase()),
                "{path}: error {msg:?} does not mention {n:?}"
            );
        }
        assert!(msg.contains("line "), "{path}: no line/column in {msg:?}");
    }
}

/// Both paths accept `xml`.
fn accepts(xml: &str) {
    for (path, doc) in [("fast", xml.to_owned()), ("deserializer", slow(xml))] {
        if let Err(e) = parse(doc.as_bytes()) {
            panic!("{path} path refused a valid document: {e}");
        }
    }
}

/// Refused as not well-formed (by the input guards, before any typed reading).
fn malformed(bytes: &[u8], needle: &str) {
    let err = parse(bytes).expect_err("accepted XML that is not well-formed");
    let msg = err.to_string();
    assert!(
        matches!(err, st96::Error::Refused(_)),
        "not refused by the guards: {msg}"
    );
    assert!(msg.contains("not well-formed"), "{msg}");
    assert!(
        msg.to_lowercase().contains(&needle.to_lowercase()),
        "{msg:?} does not mention {needle:?}"
    );
    assert!(msg.contains("line "), "{msg}");
}

#[test]
fn the_bases_are_valid_on_both_paths() {
    accepts(&base());
    accepts(&application().replace("<com:IPOfficeCode>EM", "<com:IPOfficeCode>KR"));
}

#[test]
fn boolean_only_true_false_1_0() {
    let app = application();
    let with = |v: &str| {
        edit(
            &app,
            "<dgn:ImmediatePublicationIndicator>false<",
            &format!("<dgn:ImmediatePublicationIndicator>{v}<"),
        )
    };
    for bad in ["TRUE", "yes", "no", "False", "maybe", ""] {
        let xml = with(bad);
        let err = parse(xml.as_bytes()).expect_err(bad).to_string();
        assert!(err.contains("line "), "{err}");
        assert!(
            err.contains(&format!("`{bad}`")) && err.contains("dgn:HagueApplication"),
            "{bad}: {err}"
        );
    }
    for good in ["true", "1", "0", " false ", "\n\ttrue\n"] {
        parse(with(good).as_bytes()).unwrap_or_else(|e| panic!("{good:?}: {e}"));
    }
}

#[test]
fn child_in_no_namespace_or_another_namespace() {
    let date = "<com:DecisionDate>2025-01-10</com:DecisionDate>";
    rejects(
        &edit(&base(), date, "<DecisionDate>2025-01-10</DecisionDate>"),
        &["DecisionDate", "not allowed here"],
    );
    rejects(
        &edit(
            &base(),
            date,
            "<dgn:DecisionDate>2025-01-10</dgn:DecisionDate>",
        ),
        &["dgn:DecisionDate", "not allowed here"],
    );
    rejects(
        &edit(
            &base(),
            date,
            "<q:DecisionDate xmlns:q=\"urn:other\">2025-01-10</q:DecisionDate>",
        ),
        &["q:DecisionDate"],
    );
    // The same element through a default namespace declaration is the same element.
    accepts(&edit(
        &base(),
        date,
        "<DecisionDate xmlns=\"http://www.wipo.int/standards/XMLSchema/ST96/Common\">2025-01-10</DecisionDate>",
    ));
}

#[test]
fn attribute_in_no_namespace() {
    rejects(
        &edit(&base(), "com:languageCode=\"en\"", "languageCode=\"en\""),
        &["languageCode", "not allowed"],
    );
}

#[test]
fn undeclared_attributes() {
    // On a complex-typed element.
    rejects(
        &edit(
            &base(),
            "<dgn:HagueRefusalRequest>",
            "<dgn:HagueRefusalRequest com:foo=\"1\">",
        ),
        &["com:foo", "not allowed"],
    );
    // On a simple-typed element (which has no attributes at all).
    rejects(
        &edit(
            &base(),
            "<com:DecisionDate>",
            "<com:DecisionDate com:sequenceNumber=\"1\">",
        ),
        &["com:sequenceNumber", "simple type"],
    );
    rejects(
        &edit(&base(), "<com:FileName>", "<com:FileName foo=\"1\">"),
        &["foo", "not allowed"],
    );
    // A declared attribute on an element that does not declare it.
    rejects(
        &edit(
            &base(),
            "<dgn:DecisionGroundsCategory>",
            "<dgn:DecisionGroundsCategory com:languageCode=\"en\">",
        ),
        &["com:languageCode", "not allowed"],
    );
}

#[test]
fn token_attribute_and_value_white_space_collapses() {
    accepts(&edit(
        &base(),
        "com:languageCode=\"en\"",
        "com:languageCode=\" en \"",
    ));
    accepts(&edit(
        &base(),
        "com:languageCode=\"en\"",
        "com:languageCode=\"\ten\n\"",
    ));
    accepts(&edit(
        &base(),
        ">Lack of novelty<",
        ">\n  Lack  of\tnovelty <",
    ));
    accepts(&edit(
        &base(),
        "com:st96Version=\"V6_0\"",
        "com:st96Version=\" V6_0 \"",
    ));
    // A no-break space is not white space.
    rejects(
        &edit(&base(), ">Lack of novelty<", ">Lack of novelty\u{a0}<"),
        &["Lack of novelty"],
    );
}

#[test]
fn xsi_attributes() {
    let date = "<com:DecisionDate>";
    rejects(
        &edit(&base(), date, "<com:DecisionDate xsi:nil=\"false\">"),
        &["xsi:nil", "nillable"],
    );
    rejects(
        &edit(
            &base(),
            date,
            "<com:DecisionDate xsi:type=\"com:TextType\">",
        ),
        &["xsi:type", "com:DateType"],
    );
    // The declared type itself, or a member of its union, is allowed.
    accepts(&edit(
        &base(),
        date,
        "<com:DecisionDate xsi:type=\"com:DateType\">",
    ));
    accepts(&edit(
        &base(),
        date,
        "<com:DecisionDate xsi:type=\"xsd:date\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">",
    ));
    rejects(
        &edit(&base(), ".xsd\">", ".xsd urn:odd\">"),
        &["schemaLocation", "pairs"],
    );
}

#[test]
fn dates_times_and_zones() {
    let with = |v: &str| {
        edit(
            &base(),
            "<com:DecisionDate>2025-01-10<",
            &format!("<com:DecisionDate>{v}<"),
        )
    };
    for good in [
        "2025-01-10Z",
        "2025-01-10+14:00",
        "2025-01-10-05:30",
        "2025",
        "2025-01",
        "2024-02-29",
    ] {
        accepts(&with(good));
    }
    for bad in [
        "2025-01-10+14:01",
        "2025-01-10+15:00",
        "0000-01-10",
        "2023-02-29",
        "2025-1-10",
        "25-01-10",
    ] {
        rejects(&with(bad), &[bad]);
    }
}

#[test]
fn integers_and_their_ranges() {
    let with = |v: &str| {
        edit(
            &base(),
            "<com:TransactionTotalQuantity>1<",
            &format!("<com:TransactionTotalQuantity>{v}<"),
        )
    };
    for good in ["+1", "007", " 3 ", "-0"] {
        accepts(&with(good));
    }
    for bad in ["-1", "1.0", "1e3", "one", ""] {
        rejects(&with(bad), &["dgn:HagueOfficeTransactionHeader"]);
    }
}

#[test]
fn positive_integers_refuse_zero() {
    let path = common::bulletin(3, &[]);
    let xml = std::fs::read_to_string(path).unwrap();
    let at = xml.find("<dgn:RenewalPeriod>").expect("a renewal period");
    let end = at + xml[at..].find("</dgn:RenewalPeriod>").unwrap();
    let zero = format!("{}<dgn:RenewalPeriod>0{}", &xml[..at], &xml[end..]);
    let err = HagueIbToOfficeTransaction::from_xml_str(&zero)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("positiveInteger") || err.contains("RenewalPeriod"),
        "{err}"
    );
    let streamed = st96::stream::IbToOfficeReader::new(zero.as_bytes())
        .and_then(|r| r.collect::<Result<Vec<_>, _>>());
    assert!(streamed.is_err());
    let plus = format!("{}<dgn:RenewalPeriod>+05{}", &xml[..at], &xml[end..]);
    HagueIbToOfficeTransaction::from_xml_str(&plus).unwrap();
}

#[test]
fn fixed_and_default_values() {
    let total = base().replace(
        "<dgn:DesignIdentifierBag>\n          <dgn:DesignIdentifier>1</dgn:DesignIdentifier>\n          <dgn:DesignIdentifier>3</dgn:DesignIdentifier>\n        </dgn:DesignIdentifierBag>",
        "<dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator>",
    );
    accepts(&total);
    // An empty element takes its fixed value.
    accepts(&total.replace(
        "<dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator>",
        "<dgn:AllDesignsIndicator/>",
    ));
    accepts(&total.replace(
        ">true</dgn:AllDesignsIndicator>",
        "></dgn:AllDesignsIndicator>",
    ));
    rejects(
        &total.replace(
            ">true</dgn:AllDesignsIndicator>",
            ">false</dgn:AllDesignsIndicator>",
        ),
        &["AllDesignsIndicator", "`true`"],
    );
    // White space is content: not the fixed value, and not a boolean.
    rejects(
        &total.replace(
            ">true</dgn:AllDesignsIndicator>",
            "> </dgn:AllDesignsIndicator>",
        ),
        &["value", "dgn:AffectedDesign"],
    );
}

#[test]
fn occurrence_counts_and_choices() {
    let qty = "<com:TransactionTotalQuantity>1</com:TransactionTotalQuantity>";
    rejects(
        &edit(&base(), qty, &format!("{qty}{qty}")),
        &["TransactionTotalQuantity"],
    );
    // Both branches of a choice.
    rejects(
        &edit(
            &base(),
            "</dgn:DesignIdentifierBag>",
            "</dgn:DesignIdentifierBag><dgn:AllDesignsIndicator>true</dgn:AllDesignsIndicator>",
        ),
        &["AllDesignsIndicator", "not allowed here"],
    );
}

#[test]
fn character_data_between_elements() {
    let at = "<com:DecisionDate>";
    rejects(&edit(&base(), at, &format!("&amp;{at}")), &["not allowed"]);
    rejects(&edit(&base(), at, &format!("&#65;{at}")), &["not allowed"]);
    rejects(
        &edit(&base(), at, &format!("<![CDATA[x]]>{at}")),
        &["not allowed"],
    );
    // White space, however written, is white space.
    accepts(&edit(&base(), at, &format!("&#32;&#10;{at}")));
    accepts(&edit(&base(), at, &format!("<![CDATA[ ]]>{at}")));
}

#[test]
fn well_formedness_bytes_and_characters() {
    let b = base();
    let inside = |ins: &[u8]| {
        let at = b.find("OFFICE-REF").unwrap() + 3;
        let mut v = b.as_bytes()[..at].to_vec();
        v.extend_from_slice(ins);
        v.extend_from_slice(&b.as_bytes()[at..]);
        v
    };
    malformed(&inside(b"\xFF"), "UTF-8");
    malformed(&inside(b"\xC3("), "UTF-8");
    malformed(&inside(b"\xED\xA0\x80"), "UTF-8");
    for (c, name) in [
        (0x00u8, "U+0000"),
        (0x07, "U+0007"),
        (0x19, "U+0019"),
        (0x1A, "U+001A"),
    ] {
        malformed(&inside(&[c]), name);
    }
    malformed(&inside("\u{FFFE}".as_bytes()), "U+FFFE");
    malformed(&inside(b"&#x7;"), "&#x7;");
    malformed(&inside(b"&#0;"), "&#0;");
    malformed(&inside(b"&#xFFFF;"), "&#xFFFF;");
    malformed(&inside(b"a ]]> b"), "]]>");
    // Allowed characters stay allowed.
    parse(&inside("\t\u{a0}\u{394}\u{1F600}&#x394;".as_bytes())).unwrap();
}

#[test]
fn well_formedness_declaration_comments_pis() {
    let b = base();
    let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    for bad in [
        "<?xml version=\"2.0\"?>",
        "<?xml encoding=\"UTF-8\" version=\"1.0\"?>",
        "<?xml version=\"1.0\" standalone=\"maybe\"?>",
        "<?xml version=\"1.0\"encoding=\"UTF-8\"?>",
        "<?xml?>",
        "<?xml version=\"1.0\" foo=\"bar\"?>",
    ] {
        malformed(edit(&b, decl, bad).as_bytes(), "declaration");
    }
    malformed(
        edit(&b, decl, &format!(" {decl}")).as_bytes(),
        "start of the document",
    );
    malformed(
        edit(&b, decl, &format!("{decl}{decl}")).as_bytes(),
        "start of the document",
    );
    parse(
        edit(
            &b,
            decl,
            "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>",
        )
        .as_bytes(),
    )
    .unwrap();
    parse(edit(&b, decl, "").as_bytes()).unwrap();
    let at = "<dgn:HagueOfficeToIBBag>";
    malformed(
        edit(&b, at, &format!("<!-- a -- b -->{at}")).as_bytes(),
        "--",
    );
    malformed(edit(&b, at, &format!("<!-- a --->{at}")).as_bytes(), "--->");
    malformed(edit(&b, at, &format!("<?xml x?>{at}")).as_bytes(), "<?xml");
    malformed(edit(&b, at, &format!("<?XmL x?>{at}")).as_bytes(), "<?xml");
    malformed(
        edit(&b, at, &format!("<?1pi?>{at}")).as_bytes(),
        "not an XML name",
    );
    parse(edit(&b, at, &format!("<!-- fine - really --><?pi data?>{at}")).as_bytes()).unwrap();
}

#[test]
fn well_formedness_structure_names_attributes() {
    let b = base();
    malformed(format!("{b}<x/>").as_bytes(), "second element");
    malformed(format!("{b}text").as_bytes(), "outside the root");
    malformed(format!("{b}&amp;").as_bytes(), "outside the root");
    parse(format!("{b}\n<!-- after -->\n").as_bytes()).unwrap();
    let at = "<dgn:HagueOfficeToIBBag>";
    malformed(
        edit(&b, at, &format!("<1x/>{at}")).as_bytes(),
        "not an XML name",
    );
    malformed(
        edit(&b, at, &format!("<a:b:c/>{at}")).as_bytes(),
        "not an XML name",
    );
    malformed(
        edit(
            &b,
            "com:languageCode=\"en\"",
            "com:languageCode=\"en\" com:languageCode=\"fr\"",
        )
        .as_bytes(),
        "attribute",
    );
    malformed(
        edit(&b, "com:languageCode=\"en\"", "com:languageCode=\"e<n\"").as_bytes(),
        "<",
    );
    malformed(
        edit(&b, "com:languageCode=\"en\"", "com:languageCode=\"e&n\"").as_bytes(),
        "&",
    );
    malformed(
        edit(
            &b,
            "<dgn:HagueOfficeToIBBag>",
            "<dgn:HagueOfficeToIBBag xmlns:p=\"\">",
        )
        .as_bytes(),
        "undeclared",
    );
}

#[test]
fn streaming_is_as_strict() {
    let path = common::bulletin(3, &[]);
    let xml = std::fs::read_to_string(path).unwrap();
    let streamed = |x: &str| {
        st96::stream::IbToOfficeReader::new(x.as_bytes())
            .and_then(|r| r.collect::<Result<Vec<_>, _>>())
            .map(drop)
    };
    streamed(&xml).unwrap();
    let bag = "<dgn:HagueRegistrationBag>";
    for bad in [
        "<dgn:HagueRegistrationBag com:foo=\"1\">".to_owned(),
        format!("&amp;{bag}"),
        format!("<![CDATA[x]]>{bag}"),
        format!("<!-- a -- b -->{bag}"),
        format!("\u{7}{bag}"),
    ] {
        let doc = xml.replacen(bag, &bad, 1);
        assert!(streamed(&doc).is_err(), "streaming accepted {bad:?}");
        assert!(
            HagueIbToOfficeTransaction::from_xml_str(&doc).is_err(),
            "whole accepted {bad:?}"
        );
    }
    let mut bytes = xml.clone().into_bytes();
    let at = xml.find("<dgn:HagueRegistration>").unwrap() + 200;
    bytes.insert(at, 0xFF);
    let err = st96::stream::IbToOfficeReader::new(bytes.as_slice())
        .and_then(|r| r.collect::<Result<Vec<_>, _>>())
        .unwrap_err()
        .to_string();
    assert!(err.contains("UTF-8") && err.contains("line "), "{err}");
}
