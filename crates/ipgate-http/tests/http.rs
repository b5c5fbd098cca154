//! Retries, Retry-After, redirects and downloads over real HTTP on 127.0.0.1, against the
//! scripted loopback server of `common`.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{Reply, Seen, Server, closed_addr};
use ipgate_http::{
    DownloadError, RateLimit, RateLimitKey, RateLimiter, RetryPolicy, SendError, SystemClock,
    download_to_file, send,
};

/// The scripted answers, by path `/{case}`; `nth_on_path` counts the requests to each case.
fn handler(req: &Seen, _index: usize) -> Reply {
    let n = req.nth_on_path;
    let case = req.path.strip_prefix('/').unwrap_or(&req.path);
    let retry_after = |status, v: String| Reply::new(status).header("Retry-After", v);
    match case {
        "flaky" if n <= 2 => Reply::new("500 Internal Server Error"),
        "always500" => Reply::new("502 Bad Gateway"),
        "throttle-secs" if n == 1 => retry_after("429 Too Many Requests", "1".into()),
        "throttle-date" if n == 1 => {
            let at = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            retry_after("503 Service Unavailable", at)
        }
        "throttle-long" => retry_after("429 Too Many Requests", "3600".into()),
        "throttle-bare" if n == 1 => Reply::new("429 Too Many Requests"),
        "redirect" => Reply::new("302 Found").header("Location", "/ok"),
        "big" => Reply::new("200 OK")
            .header("Content-Type", "application/octet-stream")
            .body(vec![b'z'; 1 << 20]),
        _ => Reply::new("200 OK")
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(format!("{} {n}", req.method)),
    }
}

fn server() -> (String, Server) {
    let server = Server::start(handler);
    (server.base.clone(), server)
}

fn client() -> reqwest::Client {
    ipgate_http::client_builder("ipgate-http-test")
        .no_proxy()
        .build()
        .expect("client")
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
    }
}

fn hits(h: &Server, case: &str) -> usize {
    h.hits(&format!("/{case}"))
}

#[tokio::test]
async fn get_is_retried_on_5xx_until_success_and_rebuilt_each_time() {
    let (base, h) = server();
    let c = client();
    let mut built = Vec::new();
    let sent = send(&c, &fast(), None, &SystemClock, |attempt| {
        built.push(attempt);
        c.get(format!("{base}/flaky"))
    })
    .await
    .expect("sent");
    assert_eq!(sent.response.status(), 200);
    assert_eq!(sent.attempts, 3);
    assert_eq!(built, vec![1, 2, 3]);
    assert_eq!(hits(&h, "flaky"), 3);
}

#[tokio::test]
async fn post_is_not_retried_on_5xx() {
    let (base, h) = server();
    let c = client();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.post(format!("{base}/flaky")).body("{}")
    })
    .await
    .expect("sent");
    assert_eq!(sent.response.status(), 500);
    assert_eq!(sent.attempts, 1);
    assert_eq!(hits(&h, "flaky"), 1);
}

#[tokio::test]
async fn retries_stop_at_max_attempts() {
    let (base, h) = server();
    let c = client();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.get(format!("{base}/always500"))
    })
    .await
    .expect("sent");
    assert_eq!(sent.response.status(), 502);
    assert_eq!(sent.attempts, 4);
    assert_eq!(hits(&h, "always500"), 4);
}

#[tokio::test]
async fn retry_after_seconds_is_honoured_even_for_post() {
    let (base, h) = server();
    let c = client();
    let start = Instant::now();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.post(format!("{base}/throttle-secs")).body("{}")
    })
    .await
    .expect("sent");
    assert_eq!(sent.response.status(), 200);
    assert_eq!(sent.attempts, 2);
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(hits(&h, "throttle-secs"), 2);
}

#[tokio::test]
async fn retry_after_http_date_on_503_is_honoured_and_recorded_in_the_limiter() {
    let (base, _h) = server();
    let c = client();
    let dir = tempfile::tempdir().expect("tempdir");
    let limiter = RateLimiter::new(dir.path()).expect("limiter");
    let key = RateLimitKey::new("test", "me");
    let rate = RateLimit::every(Duration::from_millis(1));
    let start = Instant::now();
    let wall = SystemTime::now();
    let sent = send(
        &c,
        &fast(),
        Some((&limiter, &key, rate)),
        &SystemClock,
        |_| c.get(format!("{base}/throttle-date")),
    )
    .await
    .expect("sent");
    assert_eq!(sent.response.status(), 200);
    assert_eq!(sent.attempts, 2);
    // The date has one-second resolution: we waited between 1 and 2 seconds.
    let waited = start.elapsed();
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    // Other processes see the server's wish: the shared state was pushed past it.
    let state = std::fs::read_to_string(dir.path().join("rl_test_me.state")).expect("state");
    let tat: u128 = state.trim().parse().expect("nanos");
    let asked =
        wall.duration_since(SystemTime::UNIX_EPOCH).expect("epoch") + Duration::from_millis(900);
    assert!(
        tat >= asked.as_nanos(),
        "state {tat} < {}",
        asked.as_nanos()
    );
}

#[tokio::test]
async fn post_is_not_retried_on_503_even_with_retry_after() {
    let (base, h) = server();
    let c = client();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.post(format!("{base}/throttle-date")).body("{}")
    })
    .await
    .expect("sent");
    assert_eq!((sent.response.status().as_u16(), sent.attempts), (503, 1));
    assert_eq!(hits(&h, "throttle-date"), 1);
}

#[tokio::test]
async fn bare_429_is_retried_with_backoff_and_long_retry_after_is_not_waited_for() {
    let (base, h) = server();
    let c = client();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.post(format!("{base}/throttle-bare"))
    })
    .await
    .expect("sent");
    assert_eq!((sent.response.status().as_u16(), sent.attempts), (200, 2));
    let start = Instant::now();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.get(format!("{base}/throttle-long"))
    })
    .await
    .expect("sent");
    assert_eq!((sent.response.status().as_u16(), sent.attempts), (429, 1));
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(hits(&h, "throttle-long"), 1);
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let (base, h) = server();
    let c = client();
    let sent = send(&c, &fast(), None, &SystemClock, |_| {
        c.get(format!("{base}/redirect"))
    })
    .await
    .expect("sent");
    assert_eq!(sent.response.status(), 302);
    assert_eq!(hits(&h, "ok"), 0);
}

#[tokio::test]
async fn connection_errors_are_retried_for_get_only() {
    let addr = closed_addr();
    let c = client();
    let err = send(&c, &fast(), None, &SystemClock, |_| {
        c.get(format!("http://{addr}/x"))
    })
    .await
    .expect_err("refused");
    match &err {
        SendError::Transport { attempts, source } => {
            assert_eq!(*attempts, 4);
            assert!(source.is_connect());
        }
        other => panic!("unexpected {other:?}"),
    }
    // The message names the address and the root cause, not just "error sending request".
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "cannot connect to http://{addr}/x after 4 attempt(s)"
        )),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
    assert!(text.contains("check the server address"), "{text}");
    let err = send(&c, &fast(), None, &SystemClock, |_| {
        c.post(format!("http://{addr}/x"))
    })
    .await
    .expect_err("refused");
    assert!(
        matches!(err, SendError::Transport { attempts: 1, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn in_process_limiter_spaces_concurrent_requests() {
    // The server records when each request arrives.
    let (base, server) = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let limiter = RateLimiter::new(dir.path()).expect("limiter");
    let c = client();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (c, limiter, base) = (c.clone(), limiter.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let key = RateLimitKey::new("cases", "obiwan");
            send(
                &c,
                &RetryPolicy::none(),
                Some((&limiter, &key, RateLimit::per_second(5.0).expect("rate"))),
                &SystemClock,
                |_| c.get(format!("{base}/limited")),
            )
            .await
            .map(|s| s.response.status())
        }));
    }
    for t in tasks {
        assert_eq!(t.await.expect("join").expect("sent"), 200);
    }
    let mut times = server.arrivals("/limited");
    times.sort();
    assert_eq!(times.len(), 4);
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(150),
            "{:?}",
            times.windows(2).map(|w| w[1] - w[0]).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn download_streams_to_the_final_path() {
    let (base, _h) = server();
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("big.bin");
    std::fs::write(&dest, b"old").expect("old");
    let resp = client()
        .get(format!("{base}/big"))
        .send()
        .await
        .expect("resp");
    let done = download_to_file(resp, &dest).await.expect("download");
    assert_eq!(done.size, 1 << 20);
    let digest = ring::digest::digest(&ring::digest::SHA256, &vec![b'z'; 1 << 20]);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(done.sha256, hex);
    let data = std::fs::read(&dest).expect("read");
    assert_eq!(data.len(), 1 << 20);
    assert!(data.iter().all(|&b| b == b'z'));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
}

#[tokio::test]
async fn broken_download_leaves_no_file() {
    // Announces 1000 bytes, sends 13 and closes.
    let mut announced = b"only a little".to_vec();
    announced.resize(1000, 0);
    let server = Server::start(move |_req: &Seen, _i: usize| {
        Reply::new("200 OK").body(announced.clone()).cut(13)
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("doc.zip");
    let resp = client().get(server.url("/")).send().await.expect("resp");
    let err = download_to_file(resp, &dest).await.expect_err("truncated");
    assert!(
        matches!(
            err,
            DownloadError::Body { .. } | DownloadError::LengthMismatch { .. }
        ),
        "{err:?}"
    );
    assert!(!dest.exists());
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}
