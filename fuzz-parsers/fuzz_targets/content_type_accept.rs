//! The Innography `Content-Type` parser and the `Accept` negotiation: any text, no panic.
#![no_main]
use innography_hmac::ApiVersion;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = innography_hmac::parse_content_type(s);
        let offered = [ApiVersion::new(0, 6), ApiVersion::new(0, 7), ApiVersion::new(1, 0)];
        let _ = innography_hmac::select_version(Some(s), &offered);
        let _ = innography_hmac::parse_offered_versions(s.split(','));
    }
});
