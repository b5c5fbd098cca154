//! File-based signing test vectors (one directory per case under `tests/vectors/`), in the style of
//! the AWS SigV4 test suite. Every intermediate stage is asserted for every case: the Date value,
//! Content-MD5, string to sign, signature, Authorization header, the whole signed request, and
//! that the verifier accepts the signed request (and rejects it with a wrong secret).
//!
//! The expected files are written by `tests/vectors/generate.py`, an independent Python
//! implementation; the two `doc-*` cases are the examples of the Innography documentation.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use innography_hmac::{
    Algorithm, Credentials, Secret, Signer, Verifier, VerifyError, VerifyRequest, content_md5,
    format_date, parse_authorization, string_to_sign,
};

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

fn parse_request(bytes: &[u8]) -> Request {
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .expect("request.txt has a blank line after the headers");
    let head = std::str::from_utf8(&bytes[..split]).expect("utf-8 head");
    Request {
        head: head.split('\n').map(str::to_string).collect(),
        body: bytes[split + 2..].to_vec(),
    }
}

fn render(head: &[String], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in head {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.head.iter().skip(1).find_map(|l| {
        let (n, v) = l.split_once(": ")?;
        n.eq_ignore_ascii_case(name).then_some(v)
    })
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
}

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("vectors dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_vector_reproduces_every_stage() {
    let dirs = case_dirs();
    assert!(
        dirs.len() >= 9,
        "expected at least 9 vector cases, found {}",
        dirs.len()
    );
    let mut seen_doc = 0;
    for dir in &dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        let ctx: serde_json::Value =
            serde_json::from_slice(&read(dir, "context.json")).expect("context.json");
        let user = ctx["username"].as_str().expect("username");
        let secret = ctx["secret"].as_str().expect("secret");
        let alg = Algorithm::from_name(ctx["algorithm"].as_str().expect("algorithm"))
            .expect("known algorithm");
        let date = SystemTime::UNIX_EPOCH
            + Duration::from_secs(ctx["unix_time"].as_u64().expect("unix_time"));
        let request = parse_request(&read(dir, "request.txt"));
        let want_sts = String::from_utf8(read(dir, "string-to-sign.txt")).expect("utf-8");
        let want_sig = String::from_utf8(read(dir, "signature.txt")).expect("utf-8");
        let want_signed = read(dir, "signed-request.txt");

        // Stage 1: the Date value.
        assert_eq!(
            format_date(date),
            ctx["date"].as_str().expect("date"),
            "{name}: date"
        );
        // Stage 2: Content-MD5 of the exact body bytes.
        let md5 = content_md5(&request.body);
        assert_eq!(
            want_sts.split_once("Content-MD5: ").map(|(_, m)| m),
            Some(md5.as_str()),
            "{name}: content-md5"
        );
        // Stage 3: string to sign.
        assert_eq!(
            string_to_sign(&format_date(date), &md5),
            want_sts,
            "{name}: string to sign"
        );
        // Stage 4 and 5: signature and header, via the Signer.
        let creds = Credentials::new(user, Secret::new(secret)).expect("credentials");
        let signed = Signer::new(&creds, alg).sign(date, &request.body);
        assert_eq!(
            signed.string_to_sign(),
            want_sts,
            "{name}: signer string to sign"
        );
        assert_eq!(signed.signature(), want_sig, "{name}: signature");
        assert_eq!(signed.date, ctx["date"].as_str().expect("date"));
        assert_eq!(signed.content_md5, md5);
        // Stage 6: the signed request, byte for byte.
        let mut head = request.head.clone();
        head.push(format!("Date: {}", signed.date));
        head.push(format!("Content-MD5: {}", signed.content_md5));
        head.push(format!("Authorization: {}", signed.authorization));
        assert_eq!(
            String::from_utf8_lossy(&render(&head, &request.body)),
            String::from_utf8_lossy(&want_signed),
            "{name}: signed request"
        );
        // Stage 7: the verifier accepts the file's signed request at the edge of the window...
        let signed_req = parse_request(&want_signed);
        let auth = header(&signed_req, "Authorization").expect("authorization");
        let parsed = parse_authorization(auth).expect("parses");
        assert_eq!(parsed.username, user, "{name}: parsed username");
        assert_eq!(parsed.algorithm, alg);
        let vr = VerifyRequest {
            authorization: Some(auth),
            date: header(&signed_req, "Date"),
            content_md5: header(&signed_req, "Content-MD5"),
            body: &signed_req.body,
        };
        for now in [
            date,
            date + Duration::from_secs(300),
            date - Duration::from_secs(300),
        ] {
            let ok = Verifier::new()
                .verify(&vr, now, |u| (u == user).then(|| Secret::new(secret)))
                .unwrap_or_else(|e| panic!("{name}: verify: {e}"));
            assert_eq!(ok.username, user);
            assert_eq!(ok.algorithm, alg);
        }
        // ...and rejects it with another secret.
        let err = Verifier::new()
            .verify(&vr, date, |_| Some(Secret::new("not-the-secret")))
            .expect_err("wrong secret");
        assert_eq!(err, VerifyError::SignatureMismatch, "{name}");
        if name.starts_with("doc-") {
            seen_doc += 1;
        }
    }
    assert_eq!(seen_doc, 2, "both documentation examples are vector cases");
}

#[test]
fn document_examples_are_exact() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    assert_eq!(
        String::from_utf8(read(&dir.join("doc-post-no-data"), "signature.txt")).expect("utf-8"),
        "33K74OzzqvrSXsQ5RWw91EH4rJs="
    );
    assert_eq!(
        String::from_utf8(read(&dir.join("doc-post-data-sample"), "signature.txt")).expect("utf-8"),
        "2zS0VJJ6YipaXDU3IcerHJZdpP8="
    );
    let body = parse_request(&read(&dir.join("doc-post-data-sample"), "request.txt")).body;
    assert_eq!(body, br#"{"data":"sample"}"#);
    assert_eq!(content_md5(&body), "kumW7r4Mo58KzBliGOerdA==");
}
