//! `IbToOfficeReader`: both choices of `dgn:HagueIBToOfficeTransaction` stream record by record
//! and equal the whole-document parse. The office-bag document (`tests/data/ib_office_bag.xml`,
//! hand-made because `tools/gen-bulletin.py` writes bulletins only) is checked against WIPO's
//! schema in `hague-package`'s `xsd_agrees_with_typed_model` test.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "512"]

mod common;

use std::io::BufReader;
use std::path::{Path, PathBuf};

use st96::Root;
use st96::stream::{
    BulletinReader, IbToOfficeHeader, IbToOfficeReader, IbToOfficeRecord, OfficeCopyRecord,
};
use st96::v6::hague::dgn::{
    HagueIbToOfficeBagContent382Type as OfficeBagContent, HagueIbToOfficeTransaction,
    HagueIbToOfficeTransactionTypeContent as Content, HagueOfficeCopyBagTypeContent as CopyBag,
};

fn office_bag() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ib_office_bag.xml")
}

/// The records of the whole-document parse, in document order.
fn expected_office_records(doc: &HagueIbToOfficeTransaction) -> Vec<IbToOfficeRecord> {
    let Content::HagueIbToOfficeBag(bag) = &doc.content else {
        panic!("not an office bag")
    };
    let mut out = Vec::new();
    for part in &bag.content_382 {
        match part {
            OfficeBagContent::HagueOfficeCopyBag(copies) => {
                for c in &copies.content {
                    match c {
                        CopyBag::HagueRegistrationBag(b) => {
                            out.extend(b.hague_registration.iter().cloned().map(|r| {
                                IbToOfficeRecord::OfficeCopy(OfficeCopyRecord::Registration(
                                    Box::new(r),
                                ))
                            }))
                        }
                        CopyBag::HagueSecondPartFeeNotPaidBag(b) => {
                            out.extend(b.hague_second_part_fee_not_paid.iter().cloned().map(|r| {
                                IbToOfficeRecord::OfficeCopy(
                                    OfficeCopyRecord::SecondPartFeeNotPaid(Box::new(r)),
                                )
                            }))
                        }
                        other => panic!("unexpected office-copy bag {other:?}"),
                    }
                }
            }
            OfficeBagContent::HagueAcknowledgementReceiptBag(b) => out.extend(
                b.hague_acknowledgement_receipt
                    .iter()
                    .cloned()
                    .map(|r| IbToOfficeRecord::AcknowledgementReceipt(Box::new(r))),
            ),
            OfficeBagContent::HagueIrregularityNotificationBag(b) => out.extend(
                b.hague_irregularity_notification
                    .iter()
                    .cloned()
                    .map(|r| IbToOfficeRecord::IrregularityNotification(Box::new(r))),
            ),
        }
    }
    out
}

#[test]
fn office_bag_streams_every_kind_like_the_whole_document() {
    let bytes = std::fs::read(office_bag()).unwrap();
    let whole = HagueIbToOfficeTransaction::from_xml(&bytes).unwrap();
    let expected = expected_office_records(&whole.value);
    assert_eq!(expected.len(), 4);

    let mut reader =
        IbToOfficeReader::new(BufReader::new(std::fs::File::open(office_bag()).unwrap())).unwrap();
    let IbToOfficeHeader::Office(header) = reader.header() else {
        panic!("header of a bulletin: {:?}", reader.header())
    };
    let Content::HagueIbToOfficeBag(bag) = &whole.value.content else {
        unreachable!()
    };
    assert_eq!(**header, bag.hague_ib_transaction_header);
    assert_eq!(reader.header().content_name(), "dgn:HagueIBToOfficeBag");
    let mut streamed = Vec::new();
    let mut lines = Vec::new();
    #[allow(clippy::while_let_on_iterator)] // record_location() needs `reader` between items
    while let Some(r) = reader.next() {
        streamed.push(r.unwrap());
        lines.push(reader.record_location().unwrap().line);
    }
    assert_eq!(streamed, expected);
    let names: Vec<_> = streamed
        .iter()
        .map(IbToOfficeRecord::element_name)
        .collect();
    assert_eq!(
        names,
        [
            "dgn:HagueRegistration",
            "dgn:HagueSecondPartFeeNotPaid",
            "dgn:HagueAcknowledgementReceipt",
            "dgn:HagueIrregularityNotification"
        ]
    );
    assert_eq!(streamed[2].bag_name(), "dgn:HagueAcknowledgementReceiptBag");
    // Record locations point at the start tags.
    let text = String::from_utf8(bytes).unwrap();
    for (line, name) in lines.iter().zip(&names) {
        let l = text.lines().nth(*line as usize - 1).unwrap();
        assert!(l.contains(&format!("<{name}>")), "line {line}: {l}");
    }
}

#[test]
fn bulletin_streams_like_bulletin_reader() {
    let path = common::bulletin(6, &[]);
    let old: Vec<_> = BulletinReader::new(BufReader::new(std::fs::File::open(&path).unwrap()))
        .unwrap()
        .map(Result::unwrap)
        .map(IbToOfficeRecord::Bulletin)
        .collect();
    let mut reader =
        IbToOfficeReader::new(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert!(matches!(reader.header(), IbToOfficeHeader::Bulletin(_)));
    let new: Vec<_> = (&mut reader).map(Result::unwrap).collect();
    assert_eq!(new, old);
    assert_eq!(reader.records_read(), old.len() as u64);
    assert!(old.len() > 6);
}

#[test]
fn tiny_buffer_same_records() {
    let a: Vec<_> =
        IbToOfficeReader::new(BufReader::new(std::fs::File::open(office_bag()).unwrap()))
            .unwrap()
            .map(Result::unwrap)
            .collect();
    let b: Vec<_> = IbToOfficeReader::new(BufReader::with_capacity(
        5,
        std::fs::File::open(office_bag()).unwrap(),
    ))
    .unwrap()
    .map(Result::unwrap)
    .collect();
    assert_eq!(a, b);
}

#[test]
fn invalid_office_documents_are_refused_with_path() {
    let xml = std::fs::read_to_string(office_bag()).unwrap();
    // A bag the office bag cannot hold.
    let bad = xml.replace(
        "dgn:HagueAcknowledgementReceiptBag>",
        "dgn:HagueRenewalBag>",
    );
    let err = IbToOfficeReader::new(bad.as_bytes())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(err.to_string().contains("dgn:HagueRenewalBag"), "{err}");
    assert!(err.to_string().contains("dgn:HagueIBToOfficeBag"), "{err}");
    // A record bag the office-copy bag cannot hold.
    let bad = xml
        .replace(
            "<dgn:HagueSecondPartFeeNotPaidBag>",
            "<dgn:HagueRefusalBag>",
        )
        .replace(
            "</dgn:HagueSecondPartFeeNotPaidBag>",
            "</dgn:HagueRefusalBag>",
        );
    let err = IbToOfficeReader::new(bad.as_bytes())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(err.to_string().contains("dgn:HagueRefusalBag"), "{err}");
    // An invalid value inside a record: the typed parse fails with the record path and line.
    let at = xml.find("Grant protection").unwrap();
    let line = xml[..at].matches('\n').count() as u64 + 1;
    let bad = xml.replacen("Grant protection", "Grant protektion", 1);
    let mut reader = IbToOfficeReader::new(bad.as_bytes()).unwrap();
    assert!(reader.next().unwrap().is_ok());
    assert!(reader.next().unwrap().is_ok());
    let err = reader.next().unwrap().unwrap_err();
    assert!(
        err.to_string()
            .contains("dgn:HagueAcknowledgementReceiptBag/dgn:HagueAcknowledgementReceipt"),
        "{err}"
    );
    assert_eq!(err.location().unwrap().line, line, "{err}");
    assert!(reader.next().is_none());
    // A broken header.
    let bad = xml.replacen(
        "<com:ReceivingOfficeCode>EM<",
        "<com:ReceivingOfficeCode>E-M<",
        1,
    );
    assert!(IbToOfficeReader::new(bad.as_bytes()).is_err());
    // A DOCTYPE.
    let bad = xml.replacen(
        "<dgn:HagueIBToOfficeTransaction",
        "<!DOCTYPE x [<!ENTITY e \"e\">]><dgn:HagueIBToOfficeTransaction",
        1,
    );
    let err = IbToOfficeReader::new(bad.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("DOCTYPE"), "{err}");
    // Something after the bags.
    let bad = xml.replace(
        "</dgn:HagueIBToOfficeBag>",
        "</dgn:HagueIBToOfficeBag><dgn:HagueBulletin/>",
    );
    let err = IbToOfficeReader::new(bad.as_bytes())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(err.to_string().contains("dgn:HagueBulletin"), "{err}");
}
