//! The client against `ipgate-sandbox`'s Innography emulation (real HTTP on 127.0.0.1), whose
//! request log shows what arrived and whose fault rules play the misbehaving server.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use innography_client::{Api, Client, Config, Error, Method, Request, Response};
use innography_hmac::{Accept, Algorithm, ApiVersion, Credentials, Quality, Secret, content_md5};
use ipgate_http::RetryPolicy;
use support::{ACCOUNT, CASES, PATCH, SECRET, TestServer, Ticking, USER, start};

fn config(base: &str, secret: &str) -> Config {
    let mut c = Config::new(
        base,
        Credentials::new(USER, Secret::new(secret)).expect("creds"),
    );
    c.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    };
    c
}

fn client(cfg: Config) -> Client {
    let http = ipgate_http::client_builder("test")
        .no_proxy()
        .build()
        .expect("http");
    Client::with_http_client(cfg, http).expect("client")
}

fn pinned(base: &str) -> Config {
    let mut c = config(base, SECRET);
    c.versions.insert(Api::Cases, ApiVersion::new(0, 6));
    c.versions.insert(Api::PrivatePair, ApiVersion::new(0, 5));
    c
}

/// A client of `srv` with the versions pinned (`pinned`).
fn pinned_client(srv: &TestServer) -> Client {
    client(pinned(&srv.base))
}

/// The Cases lookup `CASES` by a fresh pinned client of `srv`.
async fn get_cases(srv: &TestServer) -> Result<Response, Error> {
    pinned_client(srv).get(Api::Cases, CASES).await
}

/// Captures log output of the current thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);
impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let me = self.clone();
        let sub = tracing_subscriber::fmt()
            .with_writer(move || me.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish();
        tracing::subscriber::set_default(sub)
    }
}

#[tokio::test]
async fn pinned_get_is_signed_versioned_and_verified() {
    let srv = start(0).await;
    let logs = Logs::default();
    let _g = logs.install();
    let resp = get_cases(&srv).await.expect("ok");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.version(), Some(ApiVersion::new(0, 6)));
    assert_eq!(resp.patch(), Some(PATCH));
    let json: serde_json::Value = resp.json().expect("json");
    assert_eq!(json["result"]["ip_id"], "US-1234567-B2");
    assert!(srv.seen()[0].headers["authorization"].contains(&format!("username=\"{USER}\"")));
    let seen = &srv.seen()[0];
    assert_eq!(
        seen.headers["accept"],
        "application/vnd.innography+json; version=0.6"
    );
    assert_eq!(seen.headers["content-md5"], "11FxOYiYfpMxmANj4kGJzg==");
    assert!(!seen.headers.contains_key("content-type"));
    assert!(seen.body.is_empty());
    assert!(
        !logs.text().contains("no version pinned"),
        "{}",
        logs.text()
    );
}

#[tokio::test]
async fn post_json_sends_exactly_the_bytes_it_hashed() {
    let srv = start(0).await;
    let body = serde_json::json!({"data": "sample", "name": "Müller – 日本"});
    let resp = pinned_client(&srv)
        .post_json(Api::PrivatePair, ACCOUNT, &body)
        .await
        .expect("ok");
    assert_eq!(resp.version(), Some(ApiVersion::new(0, 5)));
    assert_eq!(
        resp.json::<serde_json::Value>().expect("json")["result"]["username"],
        USER
    );
    let seen = &srv.seen()[0];
    let expected = serde_json::to_vec(&body).expect("json");
    assert_eq!(seen.body, expected);
    assert_eq!(seen.headers["content-md5"], content_md5(&expected));
    assert_eq!(seen.headers["content-type"], "application/json");
}

#[tokio::test]
async fn sha256_is_accepted_by_the_server() {
    let srv = start(0).await;
    let mut cfg = pinned(&srv.base);
    cfg.algorithm = Algorithm::HmacSha256;
    let resp = client(cfg).get(Api::Cases, CASES).await.expect("ok");
    assert_eq!(resp.status, 200);
    assert!(srv.seen()[0].headers["authorization"].contains(r#"algorithm="hmac-sha256""#));
}

#[tokio::test]
async fn unpinned_request_warns_and_gets_the_latest_version() {
    let srv = start(0).await;
    let logs = Logs::default();
    let _g = logs.install();
    let resp = client(config(&srv.base, SECRET))
        .get(Api::Cases, CASES)
        .await
        .expect("ok");
    assert_eq!(resp.version(), Some(ApiVersion::new(0, 7)));
    assert_eq!(
        srv.seen()[0].headers["accept"],
        "application/vnd.innography+json"
    );
    let text = logs.text();
    assert!(
        text.contains("no version pinned for the cases API"),
        "{text}"
    );
    assert!(text.contains("production use must pin one"), "{text}");
}

#[tokio::test]
async fn a_server_ignoring_the_pin_is_warned_about() {
    let srv = start(0).await;
    let logs = Logs::default();
    let _g = logs.install();
    let c = pinned_client(&srv);
    srv.faults("cases=version:0.7#1");
    let resp = c.get(Api::Cases, CASES).await.expect("ok");
    assert_eq!(resp.version(), Some(ApiVersion::new(0, 7)));
    let text = logs.text();
    assert!(
        text.contains("with version 0.7 although we asked for 0.6"),
        "{text}"
    );
    // Answers with the pinned version are not warned about.
    c.get(Api::Cases, CASES).await.expect("ok");
    assert_eq!(logs.text().matches("although we asked").count(), 1);
}

#[tokio::test]
async fn fallbacks_with_q_values_pick_the_best_offered() {
    let srv = start(0).await;
    let accept = Accept::version(ApiVersion::new(0, 9))
        .or_q(ApiVersion::new(0, 6), Quality::new(0.5).expect("q"))
        .or_q(ApiVersion::new(0, 7), Quality::new(0.8).expect("q"));
    let req = Request::new(Method::GET, Api::Cases, CASES).with_accept(accept);
    let resp = pinned_client(&srv).send(&req).await.expect("ok");
    assert_eq!(resp.version(), Some(ApiVersion::new(0, 7)));
}

#[tokio::test]
async fn multiple_choices_is_a_typed_error_and_never_retried() {
    let srv = start(0).await;
    let mut cfg = pinned(&srv.base);
    cfg.versions.insert(Api::Cases, ApiVersion::new(0, 9));
    let err = client(cfg).get(Api::Cases, CASES).await.expect_err("300");
    match &err {
        Error::MultipleChoices { requested, offered } => {
            assert_eq!(requested, "application/vnd.innography+json; version=0.9");
            assert_eq!(offered, &vec![ApiVersion::new(0, 6), ApiVersion::new(0, 7)]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("0.6, 0.7"), "{err}");
    assert_eq!(srv.seen().len(), 1, "300 is neither retried nor followed");
}

#[tokio::test]
async fn versions_lists_what_the_server_offers() {
    let srv = start(0).await;
    let c = pinned_client(&srv);
    assert_eq!(
        c.versions(Api::PrivatePair, None).await.expect("versions"),
        vec![ApiVersion::new(0, 5), ApiVersion::new(0, 6)]
    );
    assert_eq!(srv.seen()[0].path, "/private-pair");
    assert_eq!(
        srv.seen()[0].headers["accept"],
        "application/vnd.innography+json; version=0.0"
    );
}

#[tokio::test]
async fn wrong_secret_is_unauthorized_with_the_servers_reason() {
    let srv = start(0).await;
    let mut cfg = config(&srv.base, "wrong-secret");
    cfg.versions.insert(Api::Cases, ApiVersion::new(0, 6));
    let err = client(cfg).get(Api::Cases, CASES).await.expect_err("401");
    match &err {
        Error::Unauthorized {
            status, message, ..
        } => {
            assert_eq!(*status, 401);
            assert!(message.contains("signature does not match"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.to_string().contains("wrong-secret"));
    assert_eq!(srv.hits("/cases/documents"), 1, "401 is not retried");
}

/// Header lines of a rendered request (`Name: value` up to the blank line), names lower-cased.
fn header_lines(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .next()
        .unwrap_or("")
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn the_dry_run_is_exactly_what_is_sent() {
    let srv = start(0).await;
    let now = SystemTime::now();
    let c = pinned_client(&srv).with_clock(Arc::new(ipgate_http::ManualClock::new(now)));
    let requests = [
        Request::new(Method::GET, Api::Cases, CASES),
        Request::new(Method::POST, Api::PrivatePair, ACCOUNT),
        Request::new(Method::POST, Api::PrivatePair, ACCOUNT)
            .with_body(&br#"{"data":"sample"}"#[..]),
        Request::new(Method::POST, Api::PrivatePair, ACCOUNT)
            .with_body(&b"[1, 2]"[..])
            .with_accept(Accept::version(ApiVersion::new(0, 6))),
    ];
    for (i, req) in requests.iter().enumerate() {
        let dry = c.sign_request(req, now).expect("signed");
        let text = dry.to_string();
        c.send(req).await.expect("sent");
        let seen = srv.seen().get(i).cloned().expect("seen");
        let line = format!("{} {} HTTP/1.1", seen.method, seen.target);
        assert_eq!(text.lines().next(), Some(line.as_str()), "{text}");
        // The sandbox logs these headers (not Host or Connection, which reqwest adds).
        let mut want: Vec<(String, String)> = header_lines(&text)
            .into_iter()
            .filter(|(n, _)| {
                seen.headers.contains_key(n)
                    || !matches!(n.as_str(), "host" | "connection" | "content-length")
            })
            .collect();
        want.sort();
        let mut got: Vec<(String, String)> = seen
            .headers
            .into_iter()
            .filter(|(n, _)| n != "content-length" || want.iter().any(|(w, _)| w == n))
            .collect();
        got.sort();
        assert_eq!(
            got, want,
            "request {i}: headers sent differ from the dry run"
        );
        assert_eq!(seen.body, dry.body, "request {i}: body");
        assert!(text.ends_with(&format!("\n\n{}", String::from_utf8_lossy(&dry.body))));
    }
}

#[tokio::test]
async fn configured_rate_limits_override_the_defaults() {
    let srv = start(0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = pinned(&srv.base);
    cfg.rate_limit_dir = Some(dir.path().to_path_buf());
    cfg.rate_limits.insert(
        Api::PrivatePair,
        ipgate_http::RateLimit::every(Duration::from_millis(500)),
    );
    cfg.rate_limits.insert(
        Api::Cases,
        ipgate_http::RateLimit::per_second(50.0).expect("rate"),
    );
    let c = client(cfg);
    for _ in 0..3 {
        c.get(Api::PrivatePair, ACCOUNT).await.expect("ok");
    }
    for _ in 0..3 {
        c.get(Api::Cases, CASES).await.expect("ok");
    }
    let seen = srv.seen();
    for w in seen[..3].windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(450), "{gap:?}");
    }
    // Cases at 50/s instead of the default 1/s.
    assert!(seen[5].at - seen[3].at < Duration::from_millis(900));
}

#[tokio::test]
async fn every_attempt_is_signed_anew() {
    let srv = start(0).await;
    let clock = Arc::new(Ticking::new(2));
    let c = pinned_client(&srv).with_clock(clock);
    srv.faults("cases=503#1");
    let resp = c.get(Api::Cases, CASES).await.expect("ok after retry");
    assert_eq!(resp.attempts, 2);
    let seen = srv.seen();
    assert_eq!(seen.len(), 2);
    assert_ne!(seen[0].headers["date"], seen[1].headers["date"]);
    assert_ne!(
        seen[0].headers["authorization"],
        seen[1].headers["authorization"]
    );
}

#[tokio::test]
async fn post_is_not_retried_on_5xx() {
    let srv = start(0).await;
    srv.faults("cases=503#1");
    let err = pinned_client(&srv)
        .send(&Request::new(Method::POST, Api::Cases, CASES))
        .await
        .expect_err("503");
    assert!(matches!(err, Error::Status { status: 503, .. }), "{err:?}");
    assert_eq!(srv.hits("/cases/documents"), 1);
}

#[tokio::test]
async fn retry_after_is_honoured_for_post() {
    let srv = start(0).await;
    srv.faults("account=429:1#1");
    let start = std::time::Instant::now();
    let resp = pinned_client(&srv)
        .post_json(Api::PrivatePair, ACCOUNT, &serde_json::json!({}))
        .await
        .expect("ok after 429");
    assert_eq!(resp.attempts, 2);
    assert!(start.elapsed() >= Duration::from_secs(1));
    let seen = srv.seen();
    assert!(seen[1].at - seen[0].at >= Duration::from_millis(900));
}

#[tokio::test]
async fn persistent_429_ends_as_a_typed_error_after_the_allowed_attempts() {
    let srv = start(0).await;
    srv.faults("innography=429:0");
    let err = pinned_client(&srv)
        .get(Api::Veritas, "/veritas/always-throttled")
        .await
        .expect_err("429");
    assert!(
        matches!(
            err,
            Error::RateLimited {
                retry_after_secs: Some(0)
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("wait before trying again"),
        "{err}"
    );
    assert_eq!(srv.hits("/veritas/always-throttled"), 3);
}

#[tokio::test]
async fn cases_are_limited_to_one_per_second_by_default() {
    let srv = start(0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = pinned(&srv.base);
    cfg.rate_limit_dir = Some(dir.path().to_path_buf());
    let c = client(cfg);
    for _ in 0..3 {
        c.get(Api::Cases, CASES).await.expect("ok");
    }
    // Another API is not limited by default.
    for _ in 0..3 {
        c.get(Api::PrivatePair, ACCOUNT).await.expect("ok");
    }
    let seen = srv.seen();
    for w in seen[..3].windows(2) {
        assert!(
            w[1].at - w[0].at >= Duration::from_millis(900),
            "{:?}",
            w[1].at - w[0].at
        );
    }
    assert!(seen[5].at - seen[3].at < Duration::from_millis(900));
}

#[tokio::test]
async fn clock_skew_is_measured_and_warned_about() {
    let srv = start(200).await;
    let logs = Logs::default();
    let _g = logs.install();
    let resp = get_cases(&srv).await.expect("ok");
    let skew = resp.clock_skew_secs.expect("skew");
    assert!((198..=201).contains(&skew), "{skew}");
    assert!(logs.text().contains("s off ours"), "{}", logs.text());

    let srv = start(400).await;
    let err = get_cases(&srv).await.expect_err("expired");
    let text = err.to_string();
    assert!(
        text.contains("in the future") || text.contains("old"),
        "{text}"
    );
    assert!(text.contains("clock"), "{text}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let srv = start(0).await;
    srv.faults("cases=redirect");
    let err = get_cases(&srv).await.expect_err("302");
    assert!(
        matches!(&err, Error::Redirect { status: 302, location } if location == "https://elsewhere.invalid/"),
        "{err:?}"
    );
}

#[tokio::test]
async fn download_streams_into_place() {
    let srv = start(0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("documents.json");
    let (n, ct) = pinned_client(&srv)
        .download(&Request::new(Method::GET, Api::Cases, CASES), &dest)
        .await
        .expect("download");
    assert!(n > 0);
    assert_eq!(ct.and_then(|t| t.version), Some(ApiVersion::new(0, 6)));
    assert_eq!(std::fs::metadata(&dest).expect("file").len(), n);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&dest).expect("read")).expect("json");
    assert_eq!(v["result"]["ip_id"], "US-1234567-B2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_holds_back_other_clients_sharing_the_state() {
    let srv = start(0).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = pinned(&srv.base);
    cfg.rate_limit_dir = Some(dir.path().to_path_buf());
    let (a, b) = (client(cfg.clone()), client(cfg));
    srv.faults("account=429:1#1");
    let first = tokio::spawn(async move {
        a.post_json(Api::PrivatePair, ACCOUNT, &serde_json::json!({}))
            .await
            .map(|r| r.attempts)
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    b.get(Api::PrivatePair, ACCOUNT).await.expect("ok");
    assert_eq!(first.await.expect("join").expect("ok"), 2);
    let seen = srv.seen();
    let throttled = seen.iter().find(|s| s.method == "POST").expect("hit");
    let other = seen.iter().find(|s| s.method == "GET").expect("hit");
    assert!(
        other.at - throttled.at >= Duration::from_millis(950),
        "the other client did not wait for Retry-After: {:?}",
        other.at - throttled.at
    );
}
