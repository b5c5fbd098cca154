//! `Options::progress`: validation tells, entry by entry, how far it has read.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use hague_package::{Options, ReadProgress, validate_package};

#[test]
fn validation_reports_each_entry_it_reads_up_to_its_size() {
    let t = tempfile::tempdir().unwrap();
    let xml = sample("refusal_total.xml", false);
    let pkg = package(t.path(), "refusal_total.xml", &xml);
    let seen: Arc<Mutex<Vec<(String, u64, u64)>>> = Arc::default();
    let log = seen.clone();
    let opts = Options {
        progress: Some(ReadProgress::new(move |entry, read, size| {
            log.lock().unwrap().push((entry.to_owned(), read, size));
        })),
        ..Options::default()
    };
    let report = validate_package(&pkg, &opts).unwrap();
    assert!(report.is_valid(), "{report:?}");
    let seen = seen.lock().unwrap();
    let xml_reads: Vec<_> = seen
        .iter()
        .filter(|(e, _, _)| e == "refusal_total.xml")
        .collect();
    assert!(!xml_reads.is_empty(), "{seen:?}");
    assert!(
        xml_reads
            .iter()
            .all(|(_, read, size)| *size == xml.len() as u64 && read <= size),
        "{seen:?}"
    );
    // Some pass read the XML to its end, and every other file was read too.
    assert!(
        xml_reads.iter().any(|(_, read, size)| read == size),
        "{seen:?}"
    );
    for (name, _) in files_for(&xml) {
        assert!(seen.iter().any(|(e, _, _)| *e == name), "{name}: {seen:?}");
    }
    // Without a callback nothing changes.
    assert_eq!(
        validate_package(&pkg, &Options::default())
            .unwrap()
            .errors(),
        report.errors()
    );
}
