//! Seeded property tests of `parse_retry_after` (RFC 9110 §10.2.3; a cargo-fuzz target for it is
//! in `fuzz-parsers/`): delay-seconds give that delay, an HTTP-date that many seconds ahead gives
//! that delay, a past date gives zero, and random text never panics. The seed is in every failure.

use std::time::{Duration, SystemTime};

use ipgate_http::parse_retry_after;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

const SEED: u64 = 0x2e7_0014;

#[test]
fn seconds_dates_and_junk() {
    let mut rng = Rng(SEED);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
    for case in 0..5000 {
        let secs = rng.next() % 1_000_000;
        assert_eq!(
            parse_retry_after(&format!(" {secs} "), now),
            Some(Duration::from_secs(secs)),
            "seed {SEED:#x} case {case}"
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(secs));
        assert_eq!(
            parse_retry_after(&date, now),
            Some(Duration::from_secs(secs)),
            "seed {SEED:#x} case {case}: {date}"
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(secs + 1));
        assert_eq!(
            parse_retry_after(&past, now),
            Some(Duration::ZERO),
            "{past}"
        );
        // Random printable text: Some or None, never a panic; digits-only is always Some.
        let len = (rng.next() % 40) as usize;
        let text: String = (0..len)
            .map(|_| char::from(b' ' + (rng.next() % 95) as u8))
            .collect();
        let got = parse_retry_after(&text, now);
        if !text.trim().is_empty() && text.trim().bytes().all(|b| b.is_ascii_digit()) {
            assert!(got.is_some(), "seed {SEED:#x} case {case}: {text:?}");
        }
    }
    // Longer than u64 seconds: saturates instead of failing.
    assert_eq!(
        parse_retry_after("99999999999999999999999", now),
        Some(Duration::from_secs(u64::MAX))
    );
}
