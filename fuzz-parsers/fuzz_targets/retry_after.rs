//! `Retry-After` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date): any text, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, SystemTime};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let _ = ipgate_http::parse_retry_after(s, now);
    }
});
