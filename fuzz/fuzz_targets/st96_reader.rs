//! st96's whole-document reader on arbitrary input: never panics, and a document it accepts is
//! written back as one it accepts again, with the same value.
#![no_main]
#![recursion_limit = "512"]

use libfuzzer_sys::fuzz_target;
use st96::Root;
use st96::v6::design::dgn;

fn round_trip<T: Root + PartialEq + std::fmt::Debug>(data: &[u8]) {
    let _ = st96::detect::detect(data);
    let _ = st96::detect::check_input(data, &st96::detect::Limits::default());
    if let Ok(doc) = T::from_xml(data) {
        let xml = doc.to_xml().expect("an accepted document can be written");
        let again = T::from_xml(xml.as_bytes())
            .unwrap_or_else(|e| panic!("written document refused: {e}\n{xml}"));
        assert_eq!(doc.value, again.value, "round trip changed the value\n{xml}");
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<dgn::HagueOfficeToIbTransaction>(data);
    round_trip::<dgn::HagueIbToOfficeTransaction>(data);
    round_trip::<dgn::DesignApplication>(data);
    round_trip::<dgn::DesignTransaction>(data);
});
