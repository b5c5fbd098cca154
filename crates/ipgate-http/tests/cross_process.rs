//! Two processes share one rate limit through the state directory. The test binary re-executes
//! itself twice as children; each child sends requests through the limiter to a loopback server
//! that records arrival times.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Reply, Seen, Server};
use ipgate_http::{RateLimit, RateLimitKey, RateLimiter, RetryPolicy, SystemClock, send};

const CHILD_URL: &str = "IPGATE_HTTP_TEST_CHILD_URL";
const CHILD_DIR: &str = "IPGATE_HTTP_TEST_CHILD_DIR";
const INTERVAL: Duration = Duration::from_millis(400);
const PER_CHILD: usize = 3;

async fn child(url: String, dir: String) {
    let limiter = RateLimiter::new(dir).expect("limiter");
    let key = RateLimitKey::new("cases", "obiwan");
    let client = ipgate_http::client_builder("child")
        .no_proxy()
        .build()
        .expect("client");
    for _ in 0..PER_CHILD {
        let sent = send(
            &client,
            &RetryPolicy::none(),
            Some((&limiter, &key, RateLimit::every(INTERVAL))),
            &SystemClock,
            |_| client.get(&url),
        )
        .await
        .expect("sent");
        assert_eq!(sent.response.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_the_limit() {
    if let (Ok(url), Ok(dir)) = (std::env::var(CHILD_URL), std::env::var(CHILD_DIR)) {
        child(url, dir).await;
        return;
    }
    let server = Server::start(|_req: &Seen, _i: usize| Reply::new("200 OK").body("ok"));
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test exe");
    let spawn = || {
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--exact",
            "two_processes_share_the_limit",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_URL, server.url("/hit"))
        .env(CHILD_DIR, dir.path());
        tokio::task::spawn_blocking(move || cmd.output().expect("run child"))
    };
    let (a, b) = (spawn(), spawn());
    for out in [a.await.expect("join"), b.await.expect("join")] {
        assert!(
            out.status.success(),
            "child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut times = server.arrivals("/hit");
    times.sort();
    assert_eq!(times.len(), 2 * PER_CHILD, "every request arrived");
    // Arrivals differ from send times by each request's own latency; allow for that jitter.
    let tolerance = Duration::from_millis(100);
    for w in times.windows(2) {
        assert!(
            w[1] - w[0] + tolerance >= INTERVAL,
            "gaps too short: {:?}",
            gaps(&times)
        );
    }
    let span = times[times.len() - 1] - times[0];
    assert!(
        span + tolerance >= INTERVAL * (2 * PER_CHILD as u32 - 1),
        "{span:?}"
    );
}

fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}
