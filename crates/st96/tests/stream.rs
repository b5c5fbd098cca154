//! Streaming a bulletin made by `tools/gen-bulletin.py`, compared with the whole-document parse.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "512"]

mod common;

use std::io::BufReader;

use st96::Root;
use st96::stream::{BulletinReader, BulletinRecord};
use st96::v6::hague::dgn::{HagueIbToOfficeTransaction, HagueIbToOfficeTransactionTypeContent};

#[test]
fn streamed_records_equal_the_whole_document() {
    let path = common::bulletin(20, &[]);
    let bytes = std::fs::read(&path).unwrap();
    let expected = common::whole_bulletin_records(&bytes);
    assert_eq!(expected.len(), 20 + 3 * 2);
    let whole = HagueIbToOfficeTransaction::from_xml(&bytes).unwrap();
    let HagueIbToOfficeTransactionTypeContent::HagueBulletin(b) = &whole.value.content else {
        panic!("not a bulletin");
    };

    let mut reader =
        BulletinReader::new(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert_eq!(reader.header(), &b.hague_bulletin_transaction_header);
    assert!(reader.warnings().is_empty());
    let streamed: Vec<BulletinRecord> = (&mut reader).map(Result::unwrap).collect();
    assert_eq!(streamed, expected);
    assert_eq!(reader.records_read(), 26);
    assert_eq!(streamed[0].element_name(), "dgn:HagueRegistration");
}

#[test]
fn tiny_read_buffer_gives_the_same_records() {
    let path = common::bulletin(5, &[]);
    let big: Vec<_> = BulletinReader::new(BufReader::new(std::fs::File::open(&path).unwrap()))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let small: Vec<_> = BulletinReader::new(BufReader::with_capacity(
        7,
        std::fs::File::open(&path).unwrap(),
    ))
    .unwrap()
    .map(Result::unwrap)
    .collect();
    assert_eq!(big, small);
}

#[test]
fn declared_v7_streams_with_a_warning() {
    let path = common::bulletin(2, &["--st96-version", "V7_0"]);
    let reader = BulletinReader::new(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    assert_eq!(reader.declared_version(), Some("V7_0"));
    assert_eq!(reader.warnings().len(), 1);
    assert!(reader.warnings()[0].to_string().contains("V7_0"));
    assert_eq!(reader.count(), 2 + 3);
}

#[test]
fn invalid_record_is_reported_with_path_and_line() {
    let path = common::bulletin(3, &[]);
    let xml = std::fs::read_to_string(&path).unwrap();
    // Break the second registration's first date.
    let first = xml.find("<dgn:HagueRegistration>").unwrap();
    let second = first + 1 + xml[first + 1..].find("<dgn:HagueRegistration>").unwrap();
    let date_at = second + xml[second..].find("Date>").unwrap() + 5;
    let mut broken = xml.clone();
    broken.replace_range(date_at..date_at + 10, "2026-13-45");
    let line = broken[..date_at].matches('\n').count() as u64 + 1;
    let mut reader = BulletinReader::new(broken.as_bytes()).unwrap();
    assert!(reader.next().unwrap().is_ok());
    let err = reader.next().unwrap().unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("2026-13-45"), "{msg}");
    assert!(
        msg.contains(
            "dgn:HagueBulletinTransactionBag/dgn:HagueRegistrationBag/dgn:HagueRegistration"
        ),
        "{msg}"
    );
    let loc = err.location().unwrap();
    assert!(
        loc.line >= line.saturating_sub(1) && loc.line <= line + 1,
        "{loc:?} vs {line}"
    );
    assert!(reader.next().is_none(), "iteration stops after an error");
}

#[test]
fn refuses_doctype_and_non_bulletins() {
    let path = common::bulletin(1, &[]);
    let xml = std::fs::read_to_string(&path).unwrap();
    let with_doctype = xml.replacen(
        "<dgn:HagueIBToOfficeTransaction",
        "<!DOCTYPE x [<!ENTITY e \"e\">]><dgn:HagueIBToOfficeTransaction",
        1,
    );
    let err = BulletinReader::new(with_doctype.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("DOCTYPE"), "{err}");

    let sample = common::samples_dir().join("hague/refusal_total.xml");
    let err =
        BulletinReader::new(BufReader::new(std::fs::File::open(sample).unwrap())).unwrap_err();
    assert!(
        err.to_string().contains("dgn:HagueIBToOfficeTransaction"),
        "{err}"
    );
}

#[test]
fn whole_bulletin_round_trips() {
    let path = common::bulletin(4, &[]);
    let bytes = std::fs::read(&path).unwrap();
    let doc = HagueIbToOfficeTransaction::from_xml(&bytes).unwrap();
    let out = doc.to_xml().unwrap();
    assert_eq!(common::canonical(&bytes), common::canonical(out.as_bytes()));
    assert_eq!(
        HagueIbToOfficeTransaction::from_xml_str(&out)
            .unwrap()
            .value,
        doc.value
    );
}
