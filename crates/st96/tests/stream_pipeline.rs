//! The streaming reader reads ahead (records are captured in batches on the caller's thread and
//! parsed on a worker thread): order, counts, locations and errors must be exactly those of a
//! record-by-record read, whatever the number of records in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![recursion_limit = "512"]

mod common;

use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use st96::stream::{BulletinReader, BulletinRecord, IbToOfficeReader};

/// 1-based line of byte `at` of `text`.
fn line_of(text: &str, at: usize) -> u64 {
    text[..at].matches('\n').count() as u64 + 1
}

/// Byte offset of the start tag of the `n`-th (0-based) `dgn:HagueRegistration`.
fn registration_at(xml: &str, n: usize) -> usize {
    xml.match_indices("<dgn:HagueRegistration>")
        .nth(n)
        .map(|(at, _)| at)
        .expect("the bulletin has that many registrations")
}

/// Reads `xml` to the end, checking each record's location against its start tag in the text;
/// returns the records (in order) and the error that ended the iteration, if any.
fn read_all(xml: &str) -> (Vec<BulletinRecord>, Option<st96::Error>) {
    let mut reader = BulletinReader::new(xml.as_bytes()).unwrap();
    let mut inner_locations = Vec::new();
    let mut records = Vec::new();
    let mut error = None;
    while let Some(item) = reader.next() {
        match item {
            Ok(r) => {
                records.push(r);
                assert_eq!(reader.records_read(), records.len() as u64);
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    assert!(reader.next().is_none(), "iteration ends after an error");
    // Locations, checked with the lower-level reader over the same text.
    let mut ib = IbToOfficeReader::new(xml.as_bytes()).unwrap();
    let mut cursor = 0;
    while let Some(Ok(r)) = ib.next() {
        let loc = ib.record_location().expect("a location for each record");
        let tag = format!("<{}>", r.element_name());
        let at = cursor + xml[cursor..].find(&tag).expect("the record's start tag");
        assert_eq!(
            loc.line,
            line_of(xml, at),
            "line of record {}",
            ib.records_read()
        );
        cursor = at + 1;
        inner_locations.push(loc);
    }
    assert_eq!(inner_locations.len(), records.len());
    assert!(
        inner_locations
            .windows(2)
            .all(|w| w[0].offset < w[1].offset)
    );
    (records, error)
}

fn irn(r: &BulletinRecord) -> Option<String> {
    match r {
        BulletinRecord::Registration(x) => Some(x.international_registration_number.clone()),
        _ => None,
    }
}

/// Far more records than the batches in flight hold (64 records or 64 KiB each, three in
/// flight): all come back, in document order, equal to the whole-document parse.
#[test]
fn many_records_stream_in_order() {
    let path = common::bulletin(400, &[]);
    let xml = std::fs::read_to_string(&path).unwrap();
    let expected = common::whole_bulletin_records(xml.as_bytes());
    assert_eq!(expected.iter().filter_map(irn).count(), 400);
    assert!(expected.len() > 400, "other records too");
    let (streamed, error) = read_all(&xml);
    assert!(error.is_none(), "{error:?}");
    let names = |v: &[BulletinRecord]| -> Vec<(&'static str, Option<String>)> {
        v.iter().map(|r| (r.element_name(), irn(r))).collect()
    };
    assert_eq!(names(&streamed), names(&expected));
    assert_eq!(streamed, expected);
    // IRNs in the generated bulletin are distinct, so the comparison above checks the order.
    let mut irns: Vec<_> = streamed.iter().filter_map(irn).collect();
    irns.sort();
    irns.dedup();
    assert_eq!(irns.len(), 400);
}

/// Cases where record `n` (0-based) is broken: the reader returns exactly `n` records, then the
/// error (on `line`), then nothing.
fn expect_error_after(xml: &str, n: usize, needles: &[&str], line: u64) {
    let (records, error) = read_all(xml);
    assert_eq!(records.len(), n, "records before the error");
    let err = error.expect("an error after the good records");
    let msg = err.to_string();
    for needle in needles {
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    }
    assert_eq!(err.location().expect("a location").line, line, "{msg}");
    // The good records are the first `n` of the intact document.
    static INTACT: OnceLock<Vec<BulletinRecord>> = OnceLock::new();
    let intact = INTACT.get_or_init(|| {
        common::whole_bulletin_records(
            std::fs::read_to_string(common::bulletin(200, &[]))
                .unwrap()
                .as_bytes(),
        )
    });
    assert_eq!(records[..], intact[..n]);
}

#[test]
fn structure_error_found_ahead_comes_after_the_records_before_it() {
    let xml = std::fs::read_to_string(common::bulletin(200, &[])).unwrap();
    for n in [0, 1, 63, 64, 65, 150] {
        let at = registration_at(&xml, n);
        let mut broken = xml.clone();
        broken.insert_str(at, "<dgn:Stray/>");
        expect_error_after(
            &broken,
            n,
            &["dgn:Stray", "dgn:HagueRegistrationBag"],
            line_of(&broken, at),
        );
    }
}

#[test]
fn malformed_xml_found_ahead_comes_after_the_records_before_it() {
    let xml = std::fs::read_to_string(common::bulletin(200, &[])).unwrap();
    let n = 120;
    let at = registration_at(&xml, n);
    let end = at + xml[at..].find("</dgn:HolderBag>").unwrap();
    let mut broken = xml.clone();
    broken.replace_range(end..end + "</dgn:HolderBag>".len(), "</dgn:HolderBog>");
    expect_error_after(&broken, n, &["HolderBog"], line_of(&broken, end));
}

#[test]
fn truncated_file_found_ahead_comes_after_the_records_before_it() {
    let xml = std::fs::read_to_string(common::bulletin(200, &[])).unwrap();
    let n = 170;
    let at = registration_at(&xml, n);
    // Cut before a start tag inside the record, so the XML read so far is well-formed.
    let cut = at + xml[at..].find("<dgn:HolderBag>").unwrap();
    let truncated = &xml[..cut];
    expect_error_after(
        truncated,
        n,
        &["truncated"],
        line_of(truncated, truncated.len()),
    );
}

#[test]
fn invalid_record_far_ahead_comes_after_the_records_before_it() {
    let xml = std::fs::read_to_string(common::bulletin(200, &[])).unwrap();
    let n = 130;
    let at = registration_at(&xml, n);
    let date_at = at + xml[at..].find("Date>").unwrap() + 5;
    let mut broken = xml.clone();
    broken.replace_range(date_at..date_at + 10, "2026-13-45");
    let (records, error) = read_all(&broken);
    assert_eq!(records.len(), n);
    let err = error.unwrap();
    let msg = err.to_string();
    assert!(msg.contains("2026-13-45"), "{msg}");
    assert!(
        msg.contains(
            "dgn:HagueBulletinTransactionBag/dgn:HagueRegistrationBag/dgn:HagueRegistration"
        ),
        "{msg}"
    );
    assert_eq!(err.location().unwrap().line, line_of(&broken, date_at));

    // The failed record counts as read, and is where `record_location` points.
    let mut reader = IbToOfficeReader::new(broken.as_bytes()).unwrap();
    for _ in 0..n {
        reader.next().unwrap().unwrap();
    }
    assert!(reader.next().unwrap().is_err());
    assert_eq!(reader.records_read(), n as u64 + 1);
    assert_eq!(reader.record_location().unwrap().line, line_of(&broken, at));
    assert!(reader.next().is_none());
}

/// Runs `f` on a thread and fails the test if it has not finished in a minute (a hang).
fn finishes(what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{what}: did not finish (hang)"));
}

#[test]
fn dropping_the_reader_early_does_not_hang() {
    let path = common::bulletin(400, &[]);
    for take in [0usize, 1, 10, 100] {
        let path = path.clone();
        finishes(&format!("drop after {take} records"), move || {
            let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
            let mut reader = BulletinReader::new(file).unwrap();
            for _ in 0..take {
                reader.next().unwrap().unwrap();
            }
            drop(reader);
        });
    }
    // Dropped after an error, with batches still in flight.
    let xml = std::fs::read_to_string(&path).unwrap();
    let at = registration_at(&xml, 2);
    let date_at = at + xml[at..].find("Date>").unwrap() + 5;
    let mut broken = xml.clone();
    broken.replace_range(date_at..date_at + 10, "2026-13-45");
    finishes("drop after an error", move || {
        let mut reader = BulletinReader::new(std::io::Cursor::new(broken)).unwrap();
        assert!(reader.next().unwrap().is_ok());
        assert!(reader.next().unwrap().is_ok());
        assert!(reader.next().unwrap().is_err());
        drop(reader);
    });
}
