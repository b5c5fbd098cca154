//! The Innography `Authorization` header parser: any text, no panic (the format/parse round trip
//! is a property test: crates/innography-hmac/tests/properties.rs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = innography_hmac::parse_authorization(s);
    }
});
