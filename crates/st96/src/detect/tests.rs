#![allow(clippy::unwrap_used)]

use std::io::BufReader;

use quick_xml::events::Event;
use quick_xml::reader::NsReader;

use super::guard::{Guard, GuardError, Limits, Location, check_input};
use super::*;

const HAGUE_V7_ROOT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- a leading comment
     over two lines -->
<dgn:HagueOfficeToIBTransaction com:st96Version="V7_0" xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common" xmlns:dgn="http://www.wipo.int/standards/XMLSchema/ST96/Design" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.wipo.int/standards/XMLSchema/ST96/Design https://www.wipo.int/standards/XMLSchema/ST96/V7_0/Design/Flatten/HagueOfficeToIBTransaction_V7_0.xsd">
  <dgn:HagueOfficeTransactionHeader/>
</dgn:HagueOfficeToIBTransaction>
"#;

fn refused(err: DetectError) -> GuardError {
    match err {
        DetectError::Refused(e) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn prefixed_root_with_v7_version_warns() {
    let d = detect(HAGUE_V7_ROOT.as_bytes()).unwrap();
    assert_eq!(d.kind, DocumentKind::HagueOfficeToIBTransaction);
    assert_eq!(d.root, "HagueOfficeToIBTransaction");
    assert_eq!(d.prefix.as_deref(), Some("dgn"));
    assert_eq!(d.qualified_root(), "dgn:HagueOfficeToIBTransaction");
    assert_eq!(d.namespace, DESIGN_NS);
    assert_eq!(d.st96_version.as_deref(), Some("V7_0"));
    assert_eq!(d.ipo_version, None);
    assert!(
        d.schema_location
            .as_deref()
            .unwrap()
            .ends_with("HagueOfficeToIBTransaction_V7_0.xsd")
    );
    assert_eq!(d.encoding.as_deref(), Some("UTF-8"));
    assert!(!d.bom);
    assert_eq!(d.model_version, "V6_0");
    assert_eq!((d.location.line, d.location.column), (4, 1));
    assert_eq!(d.namespaces.len(), 3);
    assert!(
        d.namespaces
            .contains(&(Some("com".into()), COMMON_NS.into()))
    );
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(
        d.warnings[0].to_string(),
        "declares V7_0; parsed with the V6_0 model"
    );
}

#[test]
fn default_namespace_root_without_prefix() {
    let xml = br#"<DesignApplication xmlns="http://www.wipo.int/standards/XMLSchema/ST96/Design"
        xmlns:c="http://www.wipo.int/standards/XMLSchema/ST96/Common"
        c:st96Version="V6_0" c:ipoVersion="Office 2.1"><x/></DesignApplication>"#;
    let d = detect(xml).unwrap();
    assert_eq!(d.kind, DocumentKind::DesignApplication);
    assert_eq!(d.prefix, None);
    assert_eq!(d.qualified_root(), "DesignApplication");
    // The version is found through whatever prefix binds the Common namespace.
    assert_eq!(d.st96_version.as_deref(), Some("V6_0"));
    assert_eq!(d.ipo_version.as_deref(), Some("Office 2.1"));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert_eq!(d.namespaces[0], (None, DESIGN_NS.to_owned()));
}

#[test]
fn version_attribute_in_another_namespace_is_not_the_st96_version() {
    let xml =
        br#"<dgn:DesignApplication xmlns:dgn="http://www.wipo.int/standards/XMLSchema/ST96/Design"
        xmlns:com="urn:not-common" com:st96Version="V6_0" st96Version="V6_0"/>"#;
    let d = detect(xml).unwrap();
    assert_eq!(d.st96_version, None);
    assert_eq!(d.warnings, vec![Warning::VersionMissing { model: "V6_0" }]);
    assert!(d.warnings[0].to_string().contains("com:st96Version"));
}

#[test]
fn missing_version_is_reported() {
    let xml = br#"<tmk:TrademarkApplication xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"/>"#;
    let d = detect(xml).unwrap();
    assert_eq!(d.kind, DocumentKind::TrademarkApplication);
    assert_eq!(d.st96_version, None);
    assert_eq!(d.warnings, vec![Warning::VersionMissing { model: "V6_0" }]);
}

#[test]
fn bom_comments_and_processing_instructions_before_the_root() {
    let mut xml = b"\xEF\xBB\xBF".to_vec();
    xml.extend_from_slice(
        br#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<?xml-stylesheet type="text/xsl" href="bulletin.xsl"?>
<!-- comment -->

  <dgn:HagueIBToOfficeTransaction xmlns:dgn="http://www.wipo.int/standards/XMLSchema/ST96/Design" xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common" com:st96Version="V6_0">"#,
    );
    // Only the root start tag is present: detect must not need more.
    let d = detect(&xml).unwrap();
    assert!(d.bom);
    assert_eq!(d.kind, DocumentKind::HagueIBToOfficeTransaction);
    assert_eq!(d.encoding.as_deref(), Some("utf-8"));
    assert!(d.warnings.is_empty());
    assert_eq!((d.location.line, d.location.column), (5, 3));
}

#[test]
fn reads_only_up_to_the_root_start_tag() {
    // Everything after the root start tag is garbage; detect still succeeds.
    let xml = br#"<pat:PatentPublication xmlns:pat="http://www.wipo.int/standards/XMLSchema/ST96/Patent" xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common" com:st96Version="V4_0"></wrong><<<"#;
    let d = detect(xml).unwrap();
    assert_eq!(d.kind, DocumentKind::PatentPublication);
    assert_eq!(
        d.warnings[0].to_string(),
        "declares V4_0; parsed with the V6_0 model"
    );
}

#[test]
fn unknown_st96_root_is_other() {
    let xml = br#"<dgn:Design xmlns:dgn="http://www.wipo.int/standards/XMLSchema/ST96/Design"/>"#;
    let d = detect(xml).unwrap();
    assert_eq!(d.kind, DocumentKind::Other);
    assert_eq!(d.kind.to_string(), "Other");
    assert_eq!(d.root, "Design");
}

#[test]
fn same_local_name_in_different_namespaces() {
    let dgn = br#"<TransactionData xmlns="http://www.wipo.int/standards/XMLSchema/ST96/Design"/>"#;
    let tmk =
        br#"<TransactionData xmlns="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"/>"#;
    assert_eq!(
        detect(dgn).unwrap().kind,
        DocumentKind::DesignTransactionData
    );
    assert_eq!(
        detect(tmk).unwrap().kind,
        DocumentKind::TrademarkTransactionData
    );
}

#[test]
fn kinds_round_trip_through_their_names() {
    for &kind in DocumentKind::ALL {
        let (ns, root) = (kind.namespace().unwrap(), kind.root_name().unwrap());
        assert_eq!(DocumentKind::from_root(ns, root), kind, "{kind}");
    }
    assert_eq!(DocumentKind::ALL.len(), 28);
}

#[test]
fn root_outside_st96_namespaces_is_not_st96() {
    let err = detect(br#"<html xmlns="http://www.w3.org/1999/xhtml"/>"#).unwrap_err();
    assert!(
        matches!(&err, DetectError::NotSt96 { namespace: Some(ns), .. } if ns == "http://www.w3.org/1999/xhtml")
    );
    assert!(err.to_string().contains("not an ST.96 document"));
    let err = detect(b"<Bulletin/>").unwrap_err();
    assert!(matches!(
        &err,
        DetectError::NotSt96 {
            namespace: None,
            ..
        }
    ));
    assert!(err.to_string().contains("in no namespace"), "{err}");
}

#[test]
fn undeclared_prefix_is_named() {
    let err = detect(b"\n<dgn:HagueBulletin/>").unwrap_err();
    match &err {
        DetectError::UndeclaredPrefix {
            prefix, location, ..
        } => {
            assert_eq!(prefix, "dgn");
            assert_eq!(location.line, 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("xmlns:dgn="));
}

#[test]
fn doctype_before_root_is_refused_with_its_position() {
    let xml = b"<?xml version=\"1.0\"?>\n  <!DOCTYPE dgn:X SYSTEM \"x.dtd\">\n<dgn:X/>";
    let e = refused(detect(xml).unwrap_err());
    assert!(matches!(e, GuardError::Doctype { .. }));
    assert_eq!((e.location().line, e.location().column), (2, 3));
    assert!(e.to_string().contains("remove the <!DOCTYPE"));
}

#[test]
fn entity_declaration_is_refused_by_detect() {
    let xml = b"<!DOCTYPE x [\n <!ENTITY % p \"x\">\n]><x/>";
    let e = refused(detect(xml).unwrap_err());
    assert!(
        matches!(e, GuardError::EntityDeclaration { ref name, .. } if name == "%p"),
        "{e:?}"
    );
}

#[test]
fn no_root_element() {
    for xml in [
        &b""[..],
        b"<?xml version=\"1.0\"?>\n<!-- only a comment -->\n",
    ] {
        let err = detect(xml).unwrap_err();
        assert!(matches!(err, DetectError::NoRoot { .. }), "{err:?}");
    }
}

#[test]
fn text_before_root_is_malformed() {
    let e = refused(detect(b"hello <x/>").unwrap_err());
    assert!(matches!(e, GuardError::Malformed { .. }));
}

#[test]
fn utf16_is_refused_with_a_fix() {
    let err = detect(b"\xFF\xFE<\0x\0/\0>\0").unwrap_err();
    assert!(matches!(
        err,
        DetectError::UnsupportedEncoding {
            encoding: "UTF-16LE"
        }
    ));
    assert!(err.to_string().contains("iconv"));
}

#[test]
fn non_utf8_declaration_warns() {
    let xml = br#"<?xml version="1.0" encoding="ISO-8859-1"?><x xmlns="http://www.wipo.int/standards/XMLSchema/ST96/Design" xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common" com:st96Version="V6_0"/>"#;
    let d = detect(xml).unwrap();
    assert_eq!(
        d.warnings,
        vec![Warning::NotUtf8 {
            declared: "ISO-8859-1".into()
        }]
    );
}

#[test]
fn long_prolog_is_cut_off() {
    let mut xml = b"<!--".to_vec();
    xml.extend(std::iter::repeat_n(b'x', 4000));
    xml.extend_from_slice(
        b"--><dgn:X xmlns:dgn=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\"/>",
    );
    let limits = Limits {
        max_prolog_bytes: 1000,
        ..Limits::default()
    };
    let err = detect_reader(&xml[..], &limits).unwrap_err();
    assert!(
        matches!(err, DetectError::NoRoot { ref reason, .. } if reason.contains("1000")),
        "{err:?}"
    );
    // With the default limit the same document is fine.
    assert!(detect(&xml).is_ok());
}

#[test]
fn detect_reader_works_on_small_buffers() {
    let reader = BufReader::with_capacity(7, HAGUE_V7_ROOT.as_bytes());
    let d = detect_reader(reader, &Limits::default()).unwrap();
    assert_eq!(d.kind, DocumentKind::HagueOfficeToIBTransaction);
}

#[test]
fn io_errors_are_reported_as_io() {
    struct Failing;
    impl std::io::Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk on fire"))
        }
    }
    let err = detect_reader(BufReader::new(Failing), &Limits::default()).unwrap_err();
    assert!(matches!(err, DetectError::Io(_)), "{err:?}");
    assert!(err.to_string().contains("disk on fire"));
}

// ---- guards ---------------------------------------------------------------------------------

#[test]
fn check_input_accepts_plain_st96() {
    let s = check_input(HAGUE_V7_ROOT.as_bytes(), &Limits::default()).unwrap();
    assert_eq!(s.elements, 2);
    assert_eq!(s.max_depth, 2);
}

#[test]
fn check_input_refuses_doctype_without_entities() {
    let xml = b"<?xml version=\"1.0\"?>\n<!DOCTYPE x SYSTEM \"file:///etc/passwd\">\n<x/>";
    let e = check_input(xml, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        GuardError::Doctype {
            location: Location {
                offset: 22,
                line: 2,
                column: 1
            }
        }
    );
}

#[test]
fn check_input_refuses_billion_laughs() {
    let xml = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<lolz>&lol2;</lolz>"#;
    let e = check_input(xml, &Limits::default()).unwrap_err();
    assert!(matches!(e, GuardError::EntityDeclaration { ref name, .. } if name == "lol"));
    assert_eq!(e.location().line, 2);
    assert!(
        e.to_string()
            .starts_with("line 2, column 1: entity declaration `lol` refused")
    );
}

#[test]
fn check_input_refuses_undeclared_entity_reference() {
    let xml = b"<a>\n  x &amp; &#x394; &#916; &nbsp;</a>";
    let e = check_input(xml, &Limits::default()).unwrap_err();
    assert_eq!(
        e,
        GuardError::UnknownEntity {
            name: "nbsp".into(),
            location: Location {
                offset: 29,
                line: 2,
                column: 26
            }
        }
    );
}

#[test]
fn check_input_refuses_bad_character_reference() {
    let e = check_input(b"<a>&#0;</a>", &Limits::default()).unwrap_err();
    assert!(matches!(e, GuardError::Malformed { .. }), "{e:?}");
}

#[test]
fn depth_limit_is_exact() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert_eq!(
        check_input(b"<a><b><c/></b></a>", &limits)
            .unwrap()
            .max_depth,
        3
    );
    assert_eq!(
        check_input(b"<a><b><c></c></b></a>", &limits)
            .unwrap()
            .max_depth,
        3
    );
    for xml in [
        &b"<a><b><c><d/></c></b></a>"[..],
        b"<a><b><c>\n<d></d></c></b></a>",
    ] {
        let e = check_input(xml, &limits).unwrap_err();
        assert!(
            matches!(e, GuardError::TooDeep { ref element, depth: 4, limit: 3, .. } if element == "d"),
            "{e:?}"
        );
    }
}

#[test]
fn default_depth_limit_refuses_deep_nesting() {
    let n = Limits::DEFAULT_MAX_DEPTH + 1;
    let mut xml = "<e>".repeat(n);
    xml.push_str(&"</e>".repeat(n));
    let e = check_input(xml.as_bytes(), &Limits::default()).unwrap_err();
    assert!(matches!(e, GuardError::TooDeep { depth, .. } if depth == n));
    let ok = "<e>".repeat(n - 1) + &"</e>".repeat(n - 1);
    assert!(check_input(ok.as_bytes(), &Limits::default()).is_ok());
}

#[test]
fn malformed_input_is_located() {
    let e = check_input(b"<a>\n<b>\n</a>", &Limits::default()).unwrap_err();
    assert!(matches!(e, GuardError::Malformed { .. }));
    assert_eq!(e.location().line, 3);
    let e = check_input(b"<a><b></b>", &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("truncated"), "{e}");
    let e = check_input(b"<!-- nothing -->", &Limits::default()).unwrap_err();
    assert!(e.to_string().contains("no root element"), "{e}");
}

#[test]
fn locations_after_a_bom_ignore_the_bom() {
    let xml = b"\xEF\xBB\xBF<a>\n <!DOCTYPE a>";
    let e = check_input(xml, &Limits::default()).unwrap_err();
    // A DOCTYPE inside an element is not well-formed; either way it is refused on line 2.
    assert_eq!(e.location().line, 2);
    assert_eq!(e.location().column, 2);
}

/// The streaming guard, fed by a namespace-aware buffered reader, finds the same positions as
/// `check_input` on a document spread over many lines (attributes, comments, CDATA, PIs, text).
#[test]
fn streaming_guard_positions_match_check_input() {
    let xml = "<?xml version=\"1.0\"\n encoding=\"UTF-8\"?>\n<!-- c\nc -->\n<r xmlns=\"urn:x\"\n a=\"1\">\n <?pi\n x?>\n <s><![CDATA[\n\n]]>text\nmore &amp; &lt;\n <t>\n  <u\n   b=\"2\"/>\n </t></s>\n <v><w/></v>\n</r>\n";
    let limits = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let exact = check_input(xml.as_bytes(), &limits).unwrap_err();
    assert!(matches!(exact, GuardError::TooDeep { ref element, .. } if element == "t"));

    let mut reader = NsReader::from_reader(BufReader::with_capacity(5, xml.as_bytes()));
    let mut guard = Guard::new(limits);
    let mut buf = Vec::new();
    let streamed = loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).unwrap();
        assert!(
            !matches!(event, Event::Eof),
            "guard missed the deep element"
        );
        if let Err(e) = guard.check(&event, reader.buffer_position()) {
            break e;
        }
    };
    assert_eq!(streamed, exact);
    assert_eq!((exact.location().line, exact.location().column), (13, 2));

    // And with a larger limit, the whole document passes and the counters are right.
    let mut reader = NsReader::from_reader(xml.as_bytes());
    let mut guard = Guard::new(Limits::default());
    loop {
        let event = reader.read_event().unwrap();
        guard.check(&event, reader.buffer_position()).unwrap();
        if matches!(event, Event::Eof) {
            break;
        }
    }
    assert_eq!(guard.elements(), 6);
    assert_eq!(guard.max_depth_seen(), 4);
    assert_eq!(guard.depth(), 0);
    // Location of the final position: after the last newline.
    assert_eq!(guard.location_at(guard.position()).line, 19);
}

#[test]
fn streaming_guard_refuses_doctype_and_entities() {
    let xml = "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><r>&e;</r>";
    let mut reader = NsReader::from_str(xml);
    let mut guard = Guard::new(Limits::default());
    let event = reader.read_event().unwrap();
    let e = guard.check(&event, reader.buffer_position()).unwrap_err();
    assert!(matches!(e, GuardError::EntityDeclaration { ref name, .. } if name == "e"));

    let mut reader = NsReader::from_str("<r>&e;</r>");
    let mut guard = Guard::new(Limits::default());
    let err = loop {
        let event = reader.read_event().unwrap();
        if let Err(e) = guard.check(&event, reader.buffer_position()) {
            break e;
        }
    };
    assert_eq!(
        err,
        GuardError::UnknownEntity {
            name: "e".into(),
            location: Location {
                offset: 3,
                line: 1,
                column: 4
            }
        }
    );
}

#[test]
fn guard_turns_reader_errors_into_located_malformed_errors() {
    let mut reader = NsReader::from_str("<a>\n</b>");
    let mut guard = Guard::new(Limits::default());
    let err = loop {
        match reader.read_event() {
            Ok(event) => guard.check(&event, reader.buffer_position()).unwrap(),
            Err(e) => break guard.malformed(&e, reader.error_position()),
        }
    };
    assert!(matches!(err, GuardError::Malformed { .. }));
    assert_eq!(err.location().line, 2);
}
