//! Property tests (proptest) of the `Retry-After` parser (RFC 9110 §10.2.3: delay-seconds or an
//! HTTP-date; fuzzed too, in `fuzz-parsers/`): seconds, future and past dates read back, digits
//! beyond `u64` saturate, and any text is `Some` or `None`, never a panic. Modest case counts.

use std::time::{Duration, SystemTime};

use ipgate_http::parse_retry_after;
use proptest::prelude::*;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn delay_seconds_read_back(secs in any::<u64>(), pad in "[ \t]{0,3}") {
        prop_assert_eq!(
            parse_retry_after(&format!("{pad}{secs}{pad}"), now()),
            Some(Duration::from_secs(secs))
        );
    }

    #[test]
    fn digits_beyond_u64_saturate(digits in "[1-9][0-9]{20,40}") {
        prop_assert_eq!(parse_retry_after(&digits, now()), Some(Duration::from_secs(u64::MAX)));
    }

    #[test]
    fn http_dates_read_back(secs in 0u64..100_000_000) {
        let future = httpdate::fmt_http_date(now() + Duration::from_secs(secs));
        prop_assert_eq!(parse_retry_after(&future, now()), Some(Duration::from_secs(secs)));
        let past = httpdate::fmt_http_date(now() - Duration::from_secs(secs + 1));
        prop_assert_eq!(parse_retry_after(&past, now()), Some(Duration::ZERO));
    }

    #[test]
    fn any_text_never_panics(
        text in prop_oneof![
            "[ -~]{0,60}",
            "(Mon|Tue|Sun|Xyz), [0-9]{1,3} (Jan|Feb|Dec|Foo) [0-9]{1,6} [0-9:]{0,10} (GMT|UTC)?",
            any::<String>(),
        ],
    ) {
        let got = parse_retry_after(&text, now());
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            prop_assert!(got.is_some(), "{:?}", text);
        }
    }
}
