//! Property tests (proptest) of the HWS response documents (`hws_client::wire`; fuzzed too, in
//! `fuzz-parsers/`): any bytes given to the four strict readers end in a document or a typed
//! error, never a panic; the documents the writers produce (what the sandbox sends) read back to the
//! same values. Modest case counts: the suite stays fast.

use hws_client::wire::{
    ErrorDocument, HelloMessage, ImportState, ImportStatus, RejectionReason, ServiceRequestStatus,
};
use proptest::prelude::*;

/// `xs:token` text: words of XML characters (markup characters included, they must be escaped)
/// separated by single spaces, as the readers collapse whitespace.
fn token_text() -> impl Strategy<Value = String> {
    proptest::collection::vec("[!-~é€\u{4e2d}\u{10348}]{1,12}", 1..6).prop_map(|w| w.join(" "))
}

fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9_-]{0,30}"
}

fn reason() -> impl Strategy<Value = RejectionReason> {
    (
        "[A-Za-z0-9_-]{1,12}",
        token_text(),
        proptest::option::of(token_text()),
    )
        .prop_map(|(rule, message, location)| RejectionReason {
            rule,
            message,
            location,
        })
}

fn import_status() -> impl Strategy<Value = ImportStatus> {
    let state = prop_oneof![
        Just(ImportState::Pending),
        id().prop_map(|s| ImportState::Imported {
            srn: s.parse().expect("srn")
        }),
        proptest::collection::vec(reason(), 1..4)
            .prop_map(|reasons| ImportState::Rejected { reasons }),
    ];
    (id(), state).prop_map(|(i, state)| ImportStatus {
        import_id: i.parse().expect("import id"),
        state,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_never_panic_the_readers(
        data in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            "<hws:[A-Za-z]{1,20}( xmlns:hws=\"urn:ipgate:hws:1\")?>([<>/&;a-zA-Z: \"=]{0,80})(</hws:[A-Za-z]{1,20}>)?"
                .prop_map(String::into_bytes),
        ],
    ) {
        let _ = ImportStatus::from_xml(&data);
        let _ = ServiceRequestStatus::from_xml(&data);
        let _ = HelloMessage::from_xml(&data);
        let _ = ErrorDocument::from_xml(&data);
    }

    #[test]
    fn import_statuses_read_back(doc in import_status()) {
        let xml = doc.to_xml();
        let back = ImportStatus::from_xml(xml.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        prop_assert_eq!(back, doc);
    }

    #[test]
    fn error_documents_read_back(
        code in "[A-Za-z]{1,20}",
        message in token_text(),
        hint in proptest::option::of(token_text()),
    ) {
        let doc = ErrorDocument { code, message, hint };
        let xml = doc.to_xml();
        let back = ErrorDocument::from_xml(xml.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        prop_assert_eq!(back, doc);
    }

    #[test]
    fn hello_messages_read_back(name in proptest::option::of(token_text()), message in token_text()) {
        let doc = HelloMessage { name, message };
        let xml = doc.to_xml();
        let back = HelloMessage::from_xml(xml.as_bytes())
            .map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        prop_assert_eq!(back, doc);
    }
}
