//! Property tests (proptest) of the parsers an Innography server and client read untrusted text
//! with (issue 14; the same parsers are fuzzed in `fuzz-parsers/`): the `Authorization` header,
//! `Content-Type`, `Accept` selection and the offered-versions list. Never a panic; what the writers
//! produce parses back to the same values. Case counts are modest so the suite stays fast; a
//! failure prints the minimal input proptest shrank it to.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use innography_hmac::{
    Algorithm, ApiVersion, MEDIA_TYPE, ResponseType, Selection, content_type_for,
    format_authorization, multiple_choices_body, parse_authorization, parse_content_type,
    parse_offered_versions, select_version,
};
use proptest::prelude::*;

fn algorithm() -> impl Strategy<Value = (Algorithm, usize)> {
    prop_oneof![
        Just((Algorithm::HmacSha1, 20)),
        Just((Algorithm::HmacSha256, 32))
    ]
}

fn version() -> impl Strategy<Value = ApiVersion> {
    prop_oneof![(0u32..100, 0u32..100), (any::<u32>(), any::<u32>())]
        .prop_map(|(a, b)| ApiVersion::new(a, b))
}

/// Text made of what headers are made of, with the characters that delimit them over-represented.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ \t,=\"\\\\\r\nhmacusernamealgorithmheaderssignature;/+._0-9a-zA-Z\u{0}é-]{0,120}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn formatted_authorization_headers_parse_back(
        username in "[ -~]{1,40}".prop_filter("not blank", |u| !u.trim().is_empty()),
        (algorithm, len) in algorithm(),
        seed in any::<[u8; 32]>(),
    ) {
        let username = username.trim().to_owned();
        let signature = seed[..len].to_vec();
        let header = format_authorization(&username, algorithm, &STANDARD.encode(&signature));
        let parsed = parse_authorization(&header).map_err(|e| TestCaseError::fail(format!("{header:?}: {e}")))?;
        prop_assert_eq!(parsed.username, username);
        prop_assert_eq!(parsed.algorithm, algorithm);
        prop_assert_eq!(parsed.signature, signature);
    }

    #[test]
    fn any_text_never_panics_the_header_parsers(text in header_text()) {
        let offered = [ApiVersion::new(0, 6), ApiVersion::new(0, 7)];
        let _ = parse_content_type(&text);
        let _ = select_version(Some(&text), &offered);
        let _ = parse_offered_versions(text.split(','));
        if let Ok(h) = parse_authorization(&text) {
            let n = match h.algorithm {
                Algorithm::HmacSha1 => 20,
                Algorithm::HmacSha256 => 32,
            };
            prop_assert_eq!(h.signature.len(), n, "{:?}", text);
        }
    }

    #[test]
    fn a_mutated_authorization_header_never_panics(
        edits in proptest::collection::vec((0usize..200, any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut b = format_authorization("obiwan", Algorithm::HmacSha1, &STANDARD.encode([7u8; 20])).into_bytes();
        for (at, byte, op) in edits {
            let i = at % (b.len() + 1);
            match op {
                0 if i < b.len() => { b.remove(i); }
                1 => b.insert(i, byte),
                _ if i < b.len() => b[i] = byte,
                _ => b.truncate(i),
            }
        }
        let text = String::from_utf8_lossy(&b);
        let _ = parse_authorization(&text);
    }

    #[test]
    fn content_types_parse_back(v in version(), patch in proptest::option::of(any::<u32>())) {
        let written = content_type_for(v, patch);
        prop_assert_eq!(
            parse_content_type(&written).map_err(|e| TestCaseError::fail(e.to_string()))?,
            ResponseType { media_type: MEDIA_TYPE.to_owned(), version: Some(v), patch }
        );
    }

    #[test]
    fn an_offered_version_asked_for_is_selected(
        offered in proptest::collection::vec(version(), 1..5),
        pick in any::<prop::sample::Index>(),
        q in 1u32..=1000,
    ) {
        let v = offered[pick.index(offered.len())];
        let accept = format!("{MEDIA_TYPE}; version={v}; q={}", f64::from(q) / 1000.0);
        prop_assert_eq!(select_version(Some(&accept), &offered), Selection::Version(v));
        // The 300 Multiple Choices body a server writes lists them back.
        // (sorted, without duplicates).
        let body: serde_json::Value = serde_json::from_str(&multiple_choices_body(&offered))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let entries: Vec<&str> = body["result"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e.as_str()).collect())
            .unwrap_or_default();
        let mut expected = offered.clone();
        expected.sort();
        expected.dedup();
        prop_assert_eq!(
            parse_offered_versions(entries).map_err(|e| TestCaseError::fail(e.to_string()))?,
            expected
        );
    }
}

/// The case the properties found (kept also in `properties.proptest-regressions`): a 10-digit
/// patch, which `content_type_for` writes, must read back.
#[test]
fn a_ten_digit_patch_reads_back() {
    for patch in [1_000_000_000, u32::MAX] {
        let v = ApiVersion::new(0, 0);
        assert_eq!(
            parse_content_type(&content_type_for(v, Some(patch))).map(|t| t.patch),
            Ok(Some(patch))
        );
    }
    assert!(parse_content_type(&format!("{MEDIA_TYPE}; version=0.6; patch=4294967296")).is_err());
}
