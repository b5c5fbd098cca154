//! Resumable downloads over real HTTP on 127.0.0.1, against the scripted loopback server of
//! `common` so a test can cut a connection after an exact number of bytes, change the entity and
//! its ETag, or ignore `Range`; and the same server behind TLS with a self-signed certificate
//! trusted through the extra CA file.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Reply, Seen, Server};
use ipgate_http::{
    ClientBuildError, ClientOptions, DownloadError, DownloadOptions, Progress, RetryPolicy,
    download, part_path, sidecar_path,
};

/// Deterministic non-repeating test content.
fn entity(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serves `body` with `etag` as RFC 9110 says: a `Range: bytes=N-` with a matching `If-Range`
/// gets a 206, anything else the whole entity.
fn serve(body: &[u8], etag: &str, req: &Seen) -> Reply {
    let from = req
        .header("range")
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    match from {
        Some(n) if req.header("if-range") == Some(etag) && n < body.len() => Reply {
            status: "206 Partial Content",
            headers: vec![
                ("ETag".into(), etag.into()),
                (
                    "Content-Range".into(),
                    format!("bytes {n}-{}/{}", body.len() - 1, body.len()),
                ),
            ],
            body: body[n..].to_vec(),
            cut_after: None,
        },
        _ => Reply {
            status: "200 OK",
            headers: vec![("ETag".into(), etag.into())],
            body: body.to_vec(),
            cut_after: None,
        },
    }
}

fn client() -> reqwest::Client {
    ClientOptions::new("ipgate-http-test")
        .builder()
        .expect("builder")
        .no_proxy()
        .build()
        .expect("client")
}

fn options(max_attempts: u32) -> DownloadOptions {
    DownloadOptions {
        retry: RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            ..RetryPolicy::default()
        },
        ..DownloadOptions::default()
    }
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_cut_connection_resumes_with_range_and_if_range_and_reports_progress() {
    let body = Arc::new(entity(300_000, 1));
    let b = body.clone();
    let server = Server::start(move |req: &Seen, i: usize| {
        let r = serve(&b, "\"v1\"", req);
        if i == 0 { r.cut(100_000) } else { r }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("bulletin-202601.zip");
    let seen_progress: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = seen_progress.clone();
    let opts = options(3).with_progress(move |p| log.lock().expect("p").push(p));
    let url = format!("{}/bulletin", server.base);
    let c = client();
    let done = download(&c, &dest, &opts, |_| c.get(&url))
        .await
        .expect("download");
    assert_eq!(done.size, 300_000);
    assert_eq!(done.sha256, sha256_hex(&body));
    assert_eq!(done.resumed_from, 100_000);
    assert_eq!(done.attempts, 2);
    assert_eq!(std::fs::read(&dest).expect("read"), *body);
    assert_eq!(names(dir.path()), vec!["bulletin-202601.zip".to_string()]);

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("range"), None);
    assert_eq!(seen[1].header("range"), Some("bytes=100000-"));
    assert_eq!(seen[1].header("if-range"), Some("\"v1\""));

    let p = seen_progress.lock().expect("p").clone();
    assert!(
        p.windows(2)
            .all(|w| w[0].received <= w[1].received || w[1].received == 100_000),
        "{p:?}"
    );
    assert!(p.iter().all(|x| x.total == Some(300_000)), "{p:?}");
    assert_eq!(
        p.last(),
        Some(&Progress {
            received: 300_000,
            total: Some(300_000)
        })
    );
    assert!(
        p.iter().any(|x| x.received == 100_000),
        "the resumed start is reported: {p:?}"
    );
}

#[tokio::test]
async fn a_later_call_resumes_what_an_earlier_one_left_and_the_target_never_holds_a_piece() {
    let body = Arc::new(entity(200_000, 2));
    let b = body.clone();
    let server = Server::start(move |req: &Seen, i: usize| {
        let r = serve(&b, "\"abc\"", req);
        if i == 0 { r.cut(64_000) } else { r }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("copy.zip");
    std::fs::write(&dest, b"the previous file").expect("old");
    let url = format!("{}/copy", server.base);
    let c = client();
    let err = download(&c, &dest, &options(1), |_| c.get(&url))
        .await
        .expect_err("cut, no retries allowed");
    assert!(
        matches!(
            err,
            DownloadError::Body {
                received: 64_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&dest).expect("old"), b"the previous file");
    assert_eq!(
        std::fs::metadata(part_path(&dest)).expect("part").len(),
        64_000
    );
    let meta = std::fs::read_to_string(sidecar_path(&dest)).expect("sidecar");
    assert!(meta.contains(&url) && meta.contains("\"abc\""), "{meta}");

    // A new call (as a new process would) continues from byte 64000.
    let done = download(&c, &dest, &options(1), |_| c.get(&url))
        .await
        .expect("resumed");
    assert_eq!(done.resumed_from, 64_000);
    assert_eq!(done.sha256, sha256_hex(&body));
    assert_eq!(std::fs::read(&dest).expect("read"), *body);
    assert_eq!(server.seen()[1].header("range"), Some("bytes=64000-"));
    assert_eq!(names(dir.path()), vec!["copy.zip".to_string()]);
}

#[tokio::test]
async fn a_changed_etag_starts_again_from_zero() {
    let old = Arc::new(entity(150_000, 3));
    let new = Arc::new(entity(120_000, 4));
    let (o, n) = (old.clone(), new.clone());
    let server = Server::start(move |req: &Seen, i: usize| {
        if i == 0 {
            serve(&o, "\"old\"", req).cut(50_000)
        } else {
            // The entity was replaced: If-Range "old" does not match, so the whole new one comes.
            serve(&n, "\"new\"", req)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("b.zip");
    let url = format!("{}/b", server.base);
    let c = client();
    download(&c, &dest, &options(1), |_| c.get(&url))
        .await
        .expect_err("cut");
    let done = download(&c, &dest, &options(1), |_| c.get(&url))
        .await
        .expect("restarted");
    assert_eq!(done.resumed_from, 0);
    assert_eq!(done.size, 120_000);
    assert_eq!(done.sha256, sha256_hex(&new));
    assert_eq!(std::fs::read(&dest).expect("read"), *new);
    let seen = server.seen();
    assert_eq!(seen[1].header("if-range"), Some("\"old\""));
    assert_eq!(names(dir.path()), vec!["b.zip".to_string()]);
}

#[tokio::test]
async fn a_200_answer_to_a_range_request_restarts_and_so_does_a_wrong_content_range() {
    // A server that ignores Range altogether.
    let body = Arc::new(entity(90_000, 5));
    let b = body.clone();
    let server = Server::start(move |_req: &Seen, i: usize| {
        let r = Reply {
            status: "200 OK",
            headers: vec![("ETag".into(), "\"e\"".into())],
            body: b.to_vec(),
            cut_after: None,
        };
        if i == 0 { r.cut(30_000) } else { r }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("x.bin");
    let url = format!("{}/x", server.base);
    let c = client();
    let done = download(&c, &dest, &options(2), |_| c.get(&url))
        .await
        .expect("download");
    assert_eq!(server.seen()[1].header("range"), Some("bytes=30000-"));
    assert_eq!(done.resumed_from, 0);
    assert_eq!(done.sha256, sha256_hex(&body));
    assert_eq!(std::fs::read(&dest).expect("read"), *body);

    // A server that answers 206 but for another range: the download starts over without Range.
    let body = Arc::new(entity(80_000, 6));
    let b = body.clone();
    let server = Server::start(move |req: &Seen, i: usize| match i {
        0 => serve(&b, "\"e\"", req).cut(20_000),
        1 => Reply {
            status: "206 Partial Content",
            headers: vec![
                ("ETag".into(), "\"e\"".into()),
                ("Content-Range".into(), "bytes 0-79999/80000".into()),
            ],
            body: b.to_vec(),
            cut_after: None,
        },
        _ => serve(&b, "\"e\"", req),
    });
    let dest = dir.path().join("y.bin");
    let url = format!("{}/y", server.base);
    let done = download(&c, &dest, &options(3), |_| c.get(&url))
        .await
        .expect("download");
    assert_eq!(done.sha256, sha256_hex(&body));
    assert_eq!(done.resumed_from, 0);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[1].header("range"), Some("bytes=20000-"));
    assert_eq!(
        seen[2].header("range"),
        None,
        "the third request asks for everything"
    );
    assert_eq!(
        names(dir.path()),
        vec!["x.bin".to_string(), "y.bin".to_string()]
    );
}

#[tokio::test]
async fn failures_leave_nothing_at_the_final_path() {
    let server = Server::start(move |req: &Seen, _i: usize| {
        if req.path == "/missing" {
            Reply {
                status: "404 Not Found",
                headers: vec![("Content-Type".into(), "application/xml".into())],
                body: b"<Error><code>404</code></Error>".to_vec(),
                cut_after: None,
            }
        } else {
            // No ETag: nothing can be resumed, so nothing is kept.
            Reply::new("200 OK").body(vec![7u8; 50_000]).cut(10_000)
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let c = client();
    let dest = dir.path().join("missing.zip");
    let url = format!("{}/missing", server.base);
    let err = download(&c, &dest, &options(2), |_| c.get(&url))
        .await
        .expect_err("404");
    match err {
        DownloadError::Status(answer) => {
            assert_eq!(answer.status, reqwest::StatusCode::NOT_FOUND);
            assert_eq!(answer.body, b"<Error><code>404</code></Error>");
        }
        other => panic!("{other:?}"),
    }
    let dest = dir.path().join("noetag.zip");
    let url = format!("{}/noetag", server.base);
    let err = download(&c, &dest, &options(2), |_| c.get(&url))
        .await
        .expect_err("cut twice");
    assert!(
        matches!(err, DownloadError::Body { attempts: 2, .. }),
        "{err:?}"
    );
    // Without an ETag the retry asked for everything again (no Range).
    assert!(server.seen().iter().all(|s| s.header("range").is_none()));
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

/// A complete body that the caller's check refuses (here: not starting with the expected
/// bytes) never appears at the target, not even for a moment: the check runs on the part file.
#[tokio::test]
async fn a_body_the_check_refuses_is_never_put_in_place() {
    let body = entity(40_000, 3);
    let served = body.clone();
    let server = Server::start(move |req: &Seen, _i: usize| serve(&served, "\"v1\"", req));
    let dir = tempfile::tempdir().expect("tempdir");
    let c = client();
    let dest = dir.path().join("bulletin.zip");
    let url = format!("{}/b", server.base);
    let checked = Arc::new(Mutex::new(Vec::new()));
    let mut opts = options(1);
    let seen = Arc::clone(&checked);
    opts.verify = Some(Arc::new(move |path: &std::path::Path| {
        seen.lock().expect("lock").push(path.to_path_buf());
        let head = std::fs::read(path).map_err(|e| e.to_string())?;
        if head.starts_with(b"PK") {
            Ok(())
        } else {
            Err("not a ZIP (no PK signature)".to_owned())
        }
    }));
    let err = download(&c, &dest, &opts, |_| c.get(&url))
        .await
        .expect_err("refused");
    match &err {
        DownloadError::Refused { size, detail, .. } => {
            assert_eq!(*size, body.len() as u64);
            assert!(detail.contains("no PK signature"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    let checked = checked.lock().expect("lock").clone();
    assert_eq!(checked.len(), 1);
    assert_ne!(
        checked[0], dest,
        "the check saw the part file, not the target"
    );
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    // Accepted: the same body is put in place.
    opts.verify = Some(Arc::new(|_: &std::path::Path| Ok(())));
    let done = download(&c, &dest, &opts, |_| c.get(&url))
        .await
        .expect("accepted");
    assert_eq!(done.sha256, sha256_hex(&body));
    assert_eq!(std::fs::read(&dest).expect("target"), body);
}

#[tokio::test]
async fn a_target_being_downloaded_elsewhere_is_refused_not_mixed() {
    let server = Server::start(move |req: &Seen, _i: usize| serve(b"content", "\"c\"", req));
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("w.zip");
    // Another process holds the part file's lock (as a running download does).
    let other = std::fs::File::create(part_path(&dest)).expect("part");
    other.lock().expect("lock");
    let c = client();
    let url = format!("{}/w", server.base);
    let err = download(&c, &dest, &options(1), |_| c.get(&url))
        .await
        .expect_err("busy");
    assert!(matches!(err, DownloadError::Busy { .. }), "{err:?}");
    assert!(server.seen().is_empty(), "nothing was requested");
    assert!(!dest.exists());
    drop(other);
    let done = download(&c, &dest, &options(1), |_| c.get(&url))
        .await
        .expect("free again");
    assert_eq!(std::fs::read(&done.path).expect("read"), b"content");
}

#[tokio::test]
async fn an_extra_ca_file_trusts_a_self_signed_server_and_nothing_else_does() {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("cert");
    let cert_pem = ck.cert.pem();
    let cert_der = ck.cert.der().clone();
    let key_der =
        rustls::pki_types::PrivateKeyDer::try_from(ck.key_pair.serialize_der()).expect("key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key_der)
        .expect("server config");
    let server = Server::start_tls(Arc::new(config), |_req: &Seen, _i: usize| {
        Reply::new("200 OK")
            .header("ETag", "\"t\"")
            .body(b"hello".to_vec())
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &cert_pem).expect("ca");
    let url = server.url("/hello");

    let trusting = ClientOptions::new("t")
        .with_extra_ca_file(&ca)
        .builder()
        .expect("builder")
        .no_proxy()
        .build()
        .expect("client");
    let dest = dir.path().join("hello.txt");
    let done = download(&trusting, &dest, &options(1), |_| trusting.get(&url))
        .await
        .expect("TLS download");
    assert_eq!(std::fs::read(&dest).expect("read"), b"hello");
    assert_eq!(done.sha256, sha256_hex(b"hello"));

    // Without the CA the same server is refused: verification is never off.
    let plain = ClientOptions::new("t")
        .builder()
        .expect("builder")
        .no_proxy()
        .build()
        .expect("client");
    let err = download(&plain, &dir.path().join("no.txt"), &options(1), |_| {
        plain.get(&url)
    })
    .await
    .expect_err("untrusted certificate");
    assert!(matches!(err, DownloadError::Send(_)), "{err:?}");
    assert!(!dir.path().join("no.txt").exists());

    // A CA file that holds no certificate is an error naming the file.
    let bad = dir.path().join("bad.pem");
    std::fs::write(&bad, "not a certificate").expect("bad");
    let err = ClientOptions::new("t")
        .with_extra_ca_file(&bad)
        .build()
        .expect_err("bad CA");
    assert!(matches!(err, ClientBuildError::BadCa { .. }), "{err:?}");
    assert!(err.to_string().contains("bad.pem"), "{err}");
}
