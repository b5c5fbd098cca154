//! The verifier rejects malformed and forged requests, each with its own error variant.

use std::collections::HashSet;
use std::mem::discriminant;
use std::time::{Duration, SystemTime};

use innography_hmac::{Secret, Verifier, VerifyError, VerifyRequest};

const SECRET: &str = "74f43da743aa47c3a90a9c5ef493bc8d";
const DATE: &str = "Thu, 12 Jan 2017 16:17:39 GMT";
const MD5: &str = "kumW7r4Mo58KzBliGOerdA==";
const BODY: &[u8] = br#"{"data":"sample"}"#;
const SIG: &str = "2zS0VJJ6YipaXDU3IcerHJZdpP8=";

type Expect = fn(&VerifyError) -> bool;

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_484_237_859)
}

fn auth(username: &str, alg: &str, headers: &str, sig: &str) -> String {
    format!(
        r#"hmac username="{username}", algorithm="{alg}", headers="{headers}", signature="{sig}""#
    )
}

fn check(
    authorization: Option<&str>,
    date: Option<&str>,
    md5: Option<&str>,
    body: &[u8],
    at: SystemTime,
) -> Result<String, VerifyError> {
    let req = VerifyRequest {
        authorization,
        date,
        content_md5: md5,
        body,
    };
    Verifier::new()
        .verify(&req, at, |u| (u == "obiwan").then(|| Secret::new(SECRET)))
        .map(|v| v.username)
}

#[test]
fn the_valid_request_passes() {
    let a = auth("obiwan", "hmac-sha1", "Date Content-MD5", SIG);
    assert_eq!(
        check(Some(&a), Some(DATE), Some(MD5), BODY, now()),
        Ok("obiwan".into())
    );
}

#[test]
fn malformed_and_forged_requests_are_rejected_with_distinct_errors() {
    let good = auth("obiwan", "hmac-sha1", "Date Content-MD5", SIG);
    let sig256 = "LsW4vNAkB3BwnAprSQrxQZ2G1CHf/JhArBBWLUdty5Y=";
    let headers_cases: Vec<(&str, String, Expect)> = vec![
        ("empty header", String::new(), |e| {
            matches!(e, VerifyError::MissingAuthorization)
        }),
        (
            "basic scheme",
            "Basic b2JpOnNlY3JldA==".into(),
            |e| matches!(e, VerifyError::WrongScheme(s) if s == "Basic"),
        ),
        ("scheme only", "hmac   ".into(), |e| {
            matches!(e, VerifyError::NoParameters)
        }),
        ("leading comma", format!("hmac ,{}", &good[5..]), |e| {
            matches!(e, VerifyError::ExpectedParameterName { .. })
        }),
        ("trailing comma", format!("{good},"), |e| {
            matches!(e, VerifyError::TrailingComma)
        }),
        (
            "no equals",
            r#"hmac username "obiwan""#.into(),
            |e| matches!(e, VerifyError::MissingEquals(n) if n == "username"),
        ),
        (
            "unquoted value",
            good.replace(r#"username="obiwan""#, "username=obiwan"),
            |e| matches!(e, VerifyError::UnquotedValue(n) if n == "username"),
        ),
        (
            "unterminated quote",
            good.trim_end_matches('"').to_string(),
            |e| matches!(e, VerifyError::UnterminatedQuote(n) if n == "signature"),
        ),
        ("bad escape", good.replace("obiwan", r"obi\wan"), |e| {
            matches!(e, VerifyError::InvalidEscape(_))
        }),
        ("control char", good.replace("obiwan", "obi\u{1}wan"), |e| {
            matches!(e, VerifyError::ControlCharacter(_))
        }),
        (
            "missing comma",
            good.replace(r#"", algorithm"#, r#"" algorithm"#),
            |e| matches!(e, VerifyError::ExpectedComma { .. }),
        ),
        (
            "unknown parameter",
            format!(r#"{good}, nonce="1""#),
            |e| matches!(e, VerifyError::UnknownParameter(n) if n == "nonce"),
        ),
        (
            "duplicate parameter",
            format!(r#"{good}, username="vader""#),
            |e| matches!(e, VerifyError::DuplicateParameter("username")),
        ),
        (
            "missing signature",
            r#"hmac username="obiwan", algorithm="hmac-sha1", headers="Date Content-MD5""#.into(),
            |e| matches!(e, VerifyError::MissingParameter("signature")),
        ),
        (
            "empty username",
            auth("", "hmac-sha1", "Date Content-MD5", SIG),
            |e| matches!(e, VerifyError::EmptyUsername),
        ),
        (
            "unknown algorithm",
            auth("obiwan", "hmac-md5", "Date Content-MD5", SIG),
            |e| matches!(e, VerifyError::UnknownAlgorithm(a) if a == "hmac-md5"),
        ),
        (
            "headers reordered",
            auth("obiwan", "hmac-sha1", "Content-MD5 Date", SIG),
            |e| matches!(e, VerifyError::UnsupportedSignedHeaders(_)),
        ),
        (
            "headers extra",
            auth("obiwan", "hmac-sha1", "Date Content-MD5 Host", SIG),
            |e| matches!(e, VerifyError::UnsupportedSignedHeaders(_)),
        ),
        (
            "signature not base64",
            auth("obiwan", "hmac-sha1", "Date Content-MD5", "!!notbase64!!"),
            |e| matches!(e, VerifyError::SignatureNotBase64),
        ),
        (
            "sha256 signature labelled sha1",
            auth("obiwan", "hmac-sha1", "Date Content-MD5", sig256),
            |e| matches!(e, VerifyError::SignatureLength { actual: 32, .. }),
        ),
        (
            "unknown user",
            auth("vader", "hmac-sha1", "Date Content-MD5", SIG),
            |e| matches!(e, VerifyError::UnknownUser(u) if u == "vader"),
        ),
        (
            "forged signature",
            auth(
                "obiwan",
                "hmac-sha1",
                "Date Content-MD5",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
            |e| matches!(e, VerifyError::SignatureMismatch),
        ),
        (
            "sha1 signature relabelled sha256",
            auth("obiwan", "hmac-sha256", "Date Content-MD5", sig256),
            |e| matches!(e, VerifyError::SignatureMismatch),
        ),
    ];
    let mut variants = HashSet::new();
    let mut count = 0;
    for (what, header, expected) in &headers_cases {
        let err = check(Some(header), Some(DATE), Some(MD5), BODY, now()).expect_err(what);
        assert!(expected(&err), "{what}: unexpected {err:?}");
        assert!(!err.to_string().contains(SECRET), "{what}: secret in error");
        variants.insert(discriminant(&err));
        count += 1;
    }

    // Missing/forged parts outside the Authorization header.
    let other: Vec<(&str, Result<String, VerifyError>, Expect)> = vec![
        (
            "no authorization",
            check(None, Some(DATE), Some(MD5), BODY, now()),
            |e| matches!(e, VerifyError::MissingAuthorization),
        ),
        (
            "no date",
            check(Some(&good), None, Some(MD5), BODY, now()),
            |e| matches!(e, VerifyError::MissingDate),
        ),
        (
            "rfc850 date",
            check(
                Some(&good),
                Some("Thursday, 12-Jan-17 16:17:39 GMT"),
                Some(MD5),
                BODY,
                now(),
            ),
            |e| matches!(e, VerifyError::InvalidDate(_)),
        ),
        (
            "non-GMT date",
            check(
                Some(&good),
                Some("Thu, 12 Jan 2017 16:17:39 +0000"),
                Some(MD5),
                BODY,
                now(),
            ),
            |e| matches!(e, VerifyError::InvalidDate(_)),
        ),
        (
            "expired date",
            check(
                Some(&good),
                Some(DATE),
                Some(MD5),
                BODY,
                now() + Duration::from_secs(301),
            ),
            |e| matches!(e, VerifyError::DateExpired { age_secs: 301 }),
        ),
        (
            "future date",
            check(
                Some(&good),
                Some(DATE),
                Some(MD5),
                BODY,
                now() - Duration::from_secs(301),
            ),
            |e| matches!(e, VerifyError::DateInFuture { ahead_secs: 301 }),
        ),
        (
            "no content-md5",
            check(Some(&good), Some(DATE), None, BODY, now()),
            |e| matches!(e, VerifyError::MissingContentMd5),
        ),
        (
            "content-md5 not md5",
            check(Some(&good), Some(DATE), Some("c2hvcnQ="), BODY, now()),
            |e| matches!(e, VerifyError::InvalidContentMd5(_)),
        ),
        (
            "body tampered",
            check(
                Some(&good),
                Some(DATE),
                Some(MD5),
                br#"{"data":"sampl3"}"#,
                now(),
            ),
            |e| matches!(e, VerifyError::ContentMd5Mismatch),
        ),
        (
            "body dropped",
            check(Some(&good), Some(DATE), Some(MD5), b"", now()),
            |e| matches!(e, VerifyError::ContentMd5Mismatch),
        ),
        (
            "date replayed a second later",
            check(
                Some(&good),
                Some("Thu, 12 Jan 2017 16:17:40 GMT"),
                Some(MD5),
                BODY,
                now(),
            ),
            |e| matches!(e, VerifyError::SignatureMismatch),
        ),
    ];
    for (what, result, expected) in &other {
        let err = result.as_ref().expect_err(what);
        assert!(expected(err), "{what}: unexpected {err:?}");
        variants.insert(discriminant(err));
        count += 1;
    }
    assert!(count >= 30, "{count} rejection cases");
    assert_eq!(variants.len(), 28, "distinct error variants exercised");
}
