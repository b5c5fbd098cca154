use super::*;

fn id<T: FromStr<Err = IdError>>(s: &str) -> T {
    s.parse().expect("valid id")
}

fn samples_import() -> Vec<ImportStatus> {
    vec![
        ImportStatus {
            import_id: id("IMP-0001"),
            state: ImportState::Pending,
        },
        ImportStatus {
            import_id: id("IMP-0002"),
            state: ImportState::Imported {
                srn: id("SR2026000123"),
            },
        },
        ImportStatus {
            import_id: id("IMP-0003"),
            state: ImportState::Rejected {
                reasons: vec![
                    RejectionReason {
                        rule: "one-xml".into(),
                        message: "the package holds 2 XML files <a> & <b>".into(),
                        location: Some("a.xml".into()),
                    },
                    RejectionReason {
                        rule: "xsd".into(),
                        message: "bad".into(),
                        location: None,
                    },
                ],
            },
        },
    ]
}

#[test]
fn import_status_round_trips() {
    for doc in samples_import() {
        let xml = doc.to_xml();
        assert_eq!(ImportStatus::from_xml(xml.as_bytes()).expect(&xml), doc);
    }
}

#[test]
fn service_request_status_round_trips_every_status() {
    let mut all = ServiceRequestStatusCategory::KNOWN.to_vec();
    all.push(ServiceRequestStatusCategory::Other("Suspended".into()));
    for status in all {
        let doc = ServiceRequestStatus {
            request_id: "970000123".into(),
            status: status.clone(),
            srn: id("SR1"),
            irn: Some("DM/212345".into()),
            expected_publication_date: parse_date("2026-12-11"),
        };
        let xml = doc.to_xml();
        assert_eq!(
            ServiceRequestStatus::from_xml(xml.as_bytes()).expect(&xml),
            doc
        );
    }
    let bare = ServiceRequestStatus {
        request_id: "1".into(),
        status: ServiceRequestStatusCategory::Processing,
        srn: id("SR1"),
        irn: None,
        expected_publication_date: None,
    };
    assert_eq!(
        ServiceRequestStatus::from_xml(bare.to_xml().as_bytes()).expect("ok"),
        bare
    );
}

#[test]
fn status_categories() {
    let Ok(p) = "Pending Regularization".parse::<ServiceRequestStatusCategory>();
    assert_eq!(p, ServiceRequestStatusCategory::PendingRegularization);
    assert!(!p.is_final());
    assert!(ServiceRequestStatusCategory::Cancelled.is_final());
    let Ok(o) = "Whatever".parse::<ServiceRequestStatusCategory>();
    assert_eq!(o, ServiceRequestStatusCategory::Other("Whatever".into()));
    assert!(!o.is_final());
}

#[test]
fn hello_and_error_round_trip() {
    for h in [
        HelloMessage::for_name(Some("office")),
        HelloMessage::for_name(None),
    ] {
        assert_eq!(
            HelloMessage::from_xml(h.to_xml().as_bytes()).expect("ok"),
            h
        );
    }
    assert_eq!(HelloMessage::for_name(Some("x")).message, "Hello x");
    for e in [
        ErrorDocument {
            code: "NotFound".into(),
            message: "no import IMP-9".into(),
            hint: Some("check".into()),
        },
        ErrorDocument {
            code: "InternalError".into(),
            message: "boom".into(),
            hint: None,
        },
    ] {
        assert_eq!(
            ErrorDocument::from_xml(e.to_xml().as_bytes()).expect("ok"),
            e
        );
    }
}

const HDR: &str = r#"xmlns:hws="urn:ipgate:hws:1" xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common""#;

fn import(body: &str) -> Result<ImportStatus, WireError> {
    ImportStatus::from_xml(format!("<hws:ImportStatus {HDR}>{body}</hws:ImportStatus>").as_bytes())
}

#[test]
fn strict_errors_name_the_problem() {
    // wrong root
    let e = ImportStatus::from_xml(HelloMessage::for_name(None).to_xml().as_bytes())
        .expect_err("must fail");
    assert!(
        matches!(e, WireError::WrongRoot { expected: "hws:ImportStatus", ref found } if found == "hws:HelloMessage"),
        "{e}"
    );
    // missing category
    let e = import("<hws:ImportIdentifier>A1</hws:ImportIdentifier>").expect_err("must fail");
    assert!(
        matches!(e, WireError::MissingElement { ref element, .. } if element == "hws:ImportStatusCategory"),
        "{e}"
    );
    // bad category
    let e = import("<hws:ImportIdentifier>A1</hws:ImportIdentifier><hws:ImportStatusCategory>Done</hws:ImportStatusCategory>").expect_err("must fail");
    assert!(
        matches!(e, WireError::InvalidValue { ref value, .. } if value == "Done"),
        "{e}"
    );
    // imported without SRN
    let e = import("<hws:ImportIdentifier>A1</hws:ImportIdentifier><hws:ImportStatusCategory>Imported</hws:ImportStatusCategory>").expect_err("must fail");
    assert!(
        matches!(e, WireError::MissingElement { ref element, .. } if element == "hws:ServiceRequestNumber"),
        "{e}"
    );
    // pending with an SRN: unexpected element
    let e = import("<hws:ImportIdentifier>A1</hws:ImportIdentifier><hws:ImportStatusCategory>Pending</hws:ImportStatusCategory><hws:ServiceRequestNumber>S</hws:ServiceRequestNumber>").expect_err("must fail");
    assert!(
        matches!(e, WireError::UnexpectedElement { ref found, .. } if found == "hws:ServiceRequestNumber"),
        "{e}"
    );
    // rejected with an empty bag
    let e = import("<hws:ImportIdentifier>A1</hws:ImportIdentifier><hws:ImportStatusCategory>Rejected</hws:ImportStatusCategory><hws:RejectionReasonBag/>").expect_err("must fail");
    assert!(
        matches!(e, WireError::MissingElement { ref element, .. } if element == "hws:RejectionReason"),
        "{e}"
    );
    // id unsafe in a path
    let e = import("<hws:ImportIdentifier>../etc</hws:ImportIdentifier><hws:ImportStatusCategory>Pending</hws:ImportStatusCategory>").expect_err("must fail");
    assert!(matches!(e, WireError::InvalidValue { .. }), "{e}");
    // empty id
    let e = import("<hws:ImportIdentifier> </hws:ImportIdentifier><hws:ImportStatusCategory>Pending</hws:ImportStatusCategory>").expect_err("must fail");
    assert!(matches!(e, WireError::EmptyValue { .. }), "{e}");
    // wrong namespace on a child
    let e = import("<com:ImportIdentifier>A1</com:ImportIdentifier>").expect_err("must fail");
    assert!(
        matches!(e, WireError::UnexpectedElement { ref found, .. } if found == "com:ImportIdentifier"),
        "{e}"
    );
    // text in a container
    let e = import("oops<hws:ImportIdentifier>A1</hws:ImportIdentifier><hws:ImportStatusCategory>Pending</hws:ImportStatusCategory>").expect_err("must fail");
    assert!(matches!(e, WireError::UnexpectedText { .. }), "{e}");
    // attribute
    let e = ImportStatus::from_xml(format!("<hws:ImportStatus {HDR} x=\"1\"/>").as_bytes())
        .expect_err("must fail");
    assert!(matches!(e, WireError::UnexpectedAttribute { .. }), "{e}");
    // DOCTYPE
    let e = ImportStatus::from_xml(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x/>").expect_err("must fail");
    assert_eq!(e, WireError::DocType);
    // not XML / empty / trailing / not UTF-8 / unknown prefix / mismatched tags
    assert_eq!(
        ImportStatus::from_xml(b"").expect_err("must fail"),
        WireError::NoRoot
    );
    assert!(matches!(
        ImportStatus::from_xml(b"{\"json\":1}").expect_err("must fail"),
        WireError::ContentAfterRoot { .. }
    ));
    assert!(matches!(
        ImportStatus::from_xml(
            format!("<hws:ImportStatus {HDR}></hws:ImportStatus><x/>").as_bytes()
        )
        .expect_err("must fail"),
        WireError::ContentAfterRoot { .. }
    ));
    assert!(matches!(
        ImportStatus::from_xml(b"<a>\xff</a>").expect_err("must fail"),
        WireError::NotUtf8 { .. }
    ));
    assert!(matches!(
        ImportStatus::from_xml(b"<q:a/>").expect_err("must fail"),
        WireError::UnknownPrefix { .. }
    ));
    assert!(matches!(
        ImportStatus::from_xml(b"<a><b></a>").expect_err("must fail"),
        WireError::Xml { .. }
    ));
    assert!(matches!(
        ImportStatus::from_xml(b"<a>").expect_err("must fail"),
        WireError::Xml { .. }
    ));
    let big = vec![b' '; xml::MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(
        ImportStatus::from_xml(&big).expect_err("must fail"),
        WireError::TooLarge { .. }
    ));
}

#[test]
fn entities_and_whitespace_are_read() {
    let doc = ErrorDocument::from_xml(
        format!("<?xml version=\"1.0\"?><!-- c --><hws:Error {HDR}>\n  <hws:ErrorCode> NotFound </hws:ErrorCode>\n  <hws:ErrorMessage>a &amp; b &#x41;<![CDATA[<c>]]></hws:ErrorMessage>\n</hws:Error>\n").as_bytes(),
    )
    .expect("ok");
    assert_eq!(doc.code, "NotFound");
    assert_eq!(doc.message, "a & b A<c>");
    let e = ErrorDocument::from_xml(
        format!("<hws:Error {HDR}><hws:ErrorCode>&bogus;</hws:ErrorCode></hws:Error>").as_bytes(),
    )
    .expect_err("must fail");
    assert!(matches!(e, WireError::Xml { .. }), "{e}");
}

#[test]
fn bad_dates_are_refused() {
    for d in [
        "2026-02-30",
        "2026-1-01",
        "26-01-01",
        "2026-01-01Z",
        "２０２６-01-01",
    ] {
        assert_eq!(parse_date(d), None, "{d}");
    }
    let xml = format!(
        "<hws:ServiceRequestStatus {HDR}><com:RecordIdentifier>1</com:RecordIdentifier><hws:ServiceRequestStatusCategory>Registered</hws:ServiceRequestStatusCategory><hws:ServiceRequestNumber>S1</hws:ServiceRequestNumber><hws:ExpectedPublicationDate>2026-13-01</hws:ExpectedPublicationDate></hws:ServiceRequestStatus>"
    );
    let e = ServiceRequestStatus::from_xml(xml.as_bytes()).expect_err("must fail");
    assert!(matches!(e, WireError::InvalidValue { .. }), "{e}");
}

#[test]
fn ids_are_path_safe() {
    assert!("IMP-1_a".parse::<ImportId>().is_ok());
    assert_eq!("".parse::<ImportId>(), Err(IdError::Empty));
    assert!(matches!(
        "-a".parse::<ImportId>(),
        Err(IdError::BadChar {
            found: '-',
            position: 0
        })
    ));
    assert!(matches!(
        "a/b".parse::<ServiceRequestNumber>(),
        Err(IdError::BadChar { found: '/', .. })
    ));
    assert!(matches!(
        "a.b".parse::<ServiceRequestNumber>(),
        Err(IdError::BadChar { .. })
    ));
    assert!(matches!(
        "a".repeat(65).parse::<ImportId>(),
        Err(IdError::TooLong { len: 65 })
    ));
}
