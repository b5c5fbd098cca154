//! st96's streaming readers on arbitrary input: never panic, and agree with the whole-document
//! reader on whether the document is valid.
#![no_main]
#![recursion_limit = "512"]

use libfuzzer_sys::fuzz_target;
use st96::Root;
use st96::stream::{BulletinReader, IbToOfficeReader};
use st96::v6::design::dgn;

fuzz_target!(|data: &[u8]| {
    let streamed = IbToOfficeReader::new(data).and_then(|r| r.collect::<Result<Vec<_>, _>>());
    let whole = dgn::HagueIbToOfficeTransaction::from_xml(data);
    assert_eq!(
        streamed.is_ok(),
        whole.is_ok(),
        "streamed {:?} vs whole {:?}",
        streamed.as_ref().map(Vec::len),
        whole.as_ref().map(drop)
    );
    if let Ok(records) = &streamed {
        assert_eq!(records.len() as u64 > 0, true, "a valid document has records");
    }
    // The bulletin-only reader: a subset of the same documents.
    let bulletin = BulletinReader::new(data).and_then(|r| r.collect::<Result<Vec<_>, _>>());
    if bulletin.is_ok() {
        assert!(streamed.is_ok(), "BulletinReader accepted what IbToOfficeReader refused");
    }
});
