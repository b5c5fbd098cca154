//! Every fault kind, seen from a client over real HTTP on 127.0.0.1, and the reproducibility of
//! probabilistic rules under a seed.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use ipgate_sandbox::FaultSpec;
use reqwest::Method;
use support::{Env, grant_form, refusal};

fn spec(s: &str) -> FaultSpec {
    s.parse().expect("valid spec")
}

async fn received(env: &Env) -> usize {
    env.admin(Method::GET, "/received", None).await.1["received"]
        .as_array()
        .expect("list")
        .len()
}

/// Sends a raw request and reads until the peer closes; returns what was read and the error that
/// ended the read, if any.
fn raw(env: &Env, path: &str, token: &str) -> (Vec<u8>, Option<std::io::ErrorKind>) {
    let addr = env.sb().addr();
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e.kind())),
        }
    }
}

/// The bulletin of week 2026-48: its HWS path, and its path on the request line.
const BULLETIN: &str = "/publication/bulletin/202648";
const BULLETIN_RAW: &str = "/webservices/api/v1/publication/bulletin/202648";

/// A raw answer split after its head (the blank line that ends the headers).
fn split_head(got: &[u8]) -> (&[u8], &[u8]) {
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").expect("head") + 4;
    got.split_at(head_end)
}

/// Sets the fault `fault`, then sends a valid package to `POST /request`: the client must get no
/// answer.
async fn submit_unanswered(env: &Env, token: &str, fault: &str) {
    env.sb().set_faults(spec(fault));
    let r = env.submit_request(token, refusal(|x| x)).send().await;
    assert!(r.is_err(), "the client must not get an answer");
}

#[tokio::test]
async fn reset_before_means_nothing_was_done() {
    let env = Env::start();
    let token = env.token().await;
    submit_unanswered(&env, &token, "submit=reset-before").await;
    assert_eq!(received(&env).await, 0);
    // a raw client sees a reset (RST), not a clean close
    env.sb().set_faults(spec("ping=reset-before"));
    let (got, err) = raw(&env, "/webservices/api/v1/pingMe", &token);
    assert!(got.is_empty());
    assert_eq!(err, Some(std::io::ErrorKind::ConnectionReset));
}

#[tokio::test]
async fn reset_after_means_the_package_was_recorded() {
    let env = Env::start();
    let token = env.token().await;
    submit_unanswered(&env, &token, "submit=reset-after").await;
    assert_eq!(
        received(&env).await,
        1,
        "the package was recorded although the client never heard"
    );
    // other routes are untouched
    assert_eq!(env.get("/pingMe", &token).await.status(), 200);
}

#[tokio::test]
async fn status_faults_with_retry_after() {
    let env = Env::start();
    let token = env.token().await;
    for (rule, status, retry) in [
        ("ping=500", 500, None),
        ("ping=502", 502, None),
        ("ping=502:3", 502, Some("3")),
        ("ping=503:7", 503, Some("7")),
        ("ping=429", 429, Some("1")),
        ("ping=429:2", 429, Some("2")),
    ] {
        env.sb().set_faults(spec(rule));
        let r = env.get("/pingMe", &token).await;
        assert_eq!(r.status().as_u16(), status, "{rule}");
        assert_eq!(
            r.headers()
                .get("retry-after")
                .map(|v| v.to_str().expect("s")),
            retry,
            "{rule}"
        );
        let body = r.text().await.expect("body");
        support::assert_schema_valid(&body);
    }
    // the token endpoint answers in OAuth's shape
    env.sb().set_faults(spec("token=503:4"));
    let r = env
        .token_response(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "4");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["error"], "temporarily_unavailable");
    // Innography answers in its shape
    env.sb().set_faults(spec("innography=500"));
    let r = env
        .http
        .get(format!("{}/cases/documents", env.sb().urls().innography))
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 500);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["status"], "error");
}

#[tokio::test]
async fn token_endpoint_down() {
    let env = Env::start();
    env.sb().set_faults(spec("token=down"));
    let a = env.assertion("office-1");
    let r = env
        .http
        .post(&env.sb().urls().token_endpoint)
        .form(&grant_form(&a, None))
        .send()
        .await;
    assert!(r.is_err());
    // discovery still answers
    let r = env
        .http
        .get(format!(
            "{}/.well-known/openid-configuration",
            env.sb().urls().issuer
        ))
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 200);
    env.sb().set_faults(FaultSpec::default());
    env.token().await;
}

#[tokio::test]
async fn truncated_slow_and_delayed_bodies() {
    let env = Env::start();
    let token = env.token().await;
    let full = env.get(BULLETIN, &token).await.bytes().await.expect("full");
    // truncated: the length is announced, fewer bytes come, the connection closes
    env.sb().set_faults(spec("bulletin=truncate:1000"));
    let (got, _) = raw(&env, BULLETIN_RAW, &token);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains(&format!("content-length: {}", full.len())),
        "{}",
        &text[..200.min(text.len())]
    );
    assert_eq!(split_head(&got).1.len(), 1000);
    let r = env.get(BULLETIN, &token).await;
    assert!(
        r.bytes().await.is_err(),
        "the client must see a broken body"
    );
    // default: half the body
    env.sb().set_faults(spec("bulletin=truncate"));
    let (got, _) = raw(&env, BULLETIN_RAW, &token);
    assert_eq!(split_head(&got).1.len(), full.len() / 2);
    // slow: the same bytes arrive, in many small reads
    env.sb().set_faults(spec("ping=slow:2000"));
    let r = env.get("/pingMe?name=slow", &token).await;
    assert_eq!(r.status(), 200);
    let mut chunks = 0;
    let mut body = Vec::new();
    let mut r = r;
    while let Some(c) = r.chunk().await.expect("chunk") {
        chunks += 1;
        body.extend_from_slice(&c);
    }
    assert!(chunks > 1, "a slow body comes in slices ({chunks})");
    support::assert_schema_valid(std::str::from_utf8(&body).expect("utf8"));
    // latency with jitter: the answer is unchanged
    env.sb().set_faults(spec("all=latency:30~20"));
    assert_eq!(env.get("/pingMe", &token).await.status(), 200);
}

/// Servers that lie: a body longer than the `Content-Length` announced (only the announced bytes
/// reach the wire, then the connection closes) and an HTML page where a document should be.
#[tokio::test]
async fn overlong_and_not_xml_bodies() {
    let env = Env::start();
    let token = env.token().await;
    let full = env.get(BULLETIN, &token).await.bytes().await.expect("full");
    for (fault, announced) in [
        ("bulletin=overlong:100", full.len() - 100),
        ("bulletin=overlong", full.len() - full.len() / 2),
    ] {
        env.sb().set_faults(spec(fault));
        let (got, _) = raw(&env, BULLETIN_RAW, &token);
        let (head, body) = split_head(&got);
        let head = String::from_utf8_lossy(head).to_ascii_lowercase();
        assert!(
            head.contains(&format!("content-length: {announced}"))
                && head.contains("connection: close"),
            "{fault}: {head}"
        );
        assert_eq!(body, &full[..announced], "{fault}: a prefix of the file");
    }
    // An HTML page with the route's status and content type, for a document and for a ZIP.
    env.sb().set_faults(spec("ping=not-xml;bulletin=not-xml"));
    let r = env.get("/pingMe", &token).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/xml")
    );
    let body = r.text().await.expect("body");
    assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
    let r = env.get(BULLETIN, &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert!(
        r.headers().get("etag").is_none(),
        "no validator for another body"
    );
    assert!(!r.bytes().await.expect("body").starts_with(b"PK"));
    // On POST /request the package is recorded first.
    let before = received(&env).await;
    env.sb().set_faults(spec("submit=not-xml"));
    let r = env.submit(&token, refusal(|x| x)).await;
    assert_eq!(r.status(), 202);
    assert!(r.text().await.expect("body").contains("<html>"));
    assert_eq!(received(&env).await, before + 1);
}

#[tokio::test]
async fn probabilistic_rules_reproduce_under_the_seed() {
    let mut env = Env::start_with(|c| c.with_faults("ping=500@0.5".parse().expect("spec")));
    let token = env.token().await;
    let mut run = Vec::new();
    for _ in 0..24 {
        run.push(env.get("/pingMe", &token).await.status().as_u16());
    }
    assert!(run.contains(&200) && run.contains(&500), "{run:?}");
    env.restart(|c| c.with_faults("ping=500@0.5".parse().expect("spec")));
    let mut again = Vec::new();
    for _ in 0..24 {
        again.push(env.get("/pingMe", &token).await.status().as_u16());
    }
    assert_eq!(run, again, "same seed, same failures");
    env.restart(|c| {
        c.with_seed(43)
            .with_faults("ping=500@0.5".parse().expect("spec"))
    });
    let mut other = Vec::new();
    for _ in 0..24 {
        other.push(env.get("/pingMe", &token).await.status().as_u16());
    }
    assert_ne!(run, other, "another seed, other failures");
    // a counted rule fires that many times only
    env.sb().set_faults(spec("ping=503:1#2"));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(env.get("/pingMe", &token).await.status().as_u16());
    }
    assert_eq!(got, [503, 503, 200, 200]);
    // the admin routes are never faulted
    env.sb().set_faults(spec("all=500"));
    assert_eq!(env.admin(Method::GET, "/faults", None).await.0, 200);
}
