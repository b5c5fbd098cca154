//! The Innography server of these tests: `ipgate-sandbox` on 127.0.0.1 (its Innography emulation
//! checks HMAC with `innography-hmac`'s verifier and negotiates versions with its selector), with
//! its request log standing in for a hand-made server's record of what arrived.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use ipgate_http::Clock;
use ipgate_sandbox::{FaultSpec, RequestRecord, Sandbox, SandboxConfig};

pub const USER: &str = "obiwan";
pub const SECRET: &str = "74f43da743aa47c3a90a9c5ef493bc8d";
/// A Cases lookup the sandbox answers.
pub const CASES: &str = "/cases/documents?ipId=US-1234567-B2";
/// The Private PAIR endpoint the sandbox answers.
pub const ACCOUNT: &str = "/private-pair/account";
/// The `patch` the sandbox sends.
pub const PATCH: u32 = 17;

/// One request as the sandbox logged it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path below the Innography base path, without the query.
    pub path: String,
    /// Path and query as on the request line (with the base path).
    pub target: String,
    /// Logged headers (accept, content-type, content-length, content-md5, date, user-agent,
    /// authorization, ...).
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// Arrival, on the sandbox's clock (ms precision).
    pub at: Duration,
}

/// The sandbox's clock, `offset` seconds from ours.
#[derive(Debug)]
struct Offset(i64);

impl Clock for Offset {
    fn now(&self) -> SystemTime {
        let d = Duration::from_secs(self.0.unsigned_abs());
        if self.0 >= 0 {
            SystemTime::now() + d
        } else {
            SystemTime::now() - d
        }
    }
}

/// A clock that starts now and moves `step_secs` forward on every reading, so that two attempts
/// never share a `Date` (with the real clock, retries 10 ms apart would sign the same second twice,
/// and equal signatures could not tell "signed again" from "resent as it was").
#[derive(Debug)]
pub struct Ticking {
    start: SystemTime,
    step_secs: u64,
    readings: AtomicU64,
}

impl Ticking {
    pub fn new(step_secs: u64) -> Self {
        Self {
            start: SystemTime::now(),
            step_secs,
            readings: AtomicU64::new(0),
        }
    }
}

impl Clock for Ticking {
    fn now(&self) -> SystemTime {
        let n = self.readings.fetch_add(1, Ordering::SeqCst);
        self.start + Duration::from_secs(self.step_secs * n)
    }
}

pub struct TestServer {
    /// The Innography base URL.
    pub base: String,
    pub sandbox: Sandbox,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn seen(&self) -> Vec<Seen> {
        let prefix = self
            .base
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        self.sandbox
            .requests()
            .into_iter()
            .map(|r| {
                let below = r.target.strip_prefix(prefix.as_str()).unwrap_or(&r.target);
                Seen {
                    method: r.method,
                    path: below.split('?').next().unwrap_or("").to_owned(),
                    target: r.target.clone(),
                    headers: r.headers.into_iter().collect(),
                    body: r.body.unwrap_or_default(),
                    at: Duration::from_millis(r.at_ms.max(0) as u64),
                }
            })
            .collect()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    /// The requests logged after sequence number `after`, as the sandbox recorded them.
    pub fn since(&self, after: u64) -> Vec<RequestRecord> {
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.seq > after)
            .collect()
    }

    /// The sequence number of the last request logged (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.sandbox.requests().last().map_or(0, |r| r.seq)
    }

    /// Fault rules (`docs/sandbox.md`), e.g. `cases=503#1`.
    pub fn faults(&self, spec: &str) {
        self.sandbox
            .set_faults(spec.parse::<FaultSpec>().expect("fault spec"));
    }
}

/// A sandbox whose clock is `clock_offset_secs` from ours, with the consumer `USER`/`SECRET`. The
/// sandbox's own Cases limit is off: these tests check the client's.
pub async fn start(clock_offset_secs: i64) -> TestServer {
    start_with(|config| {
        let mut config = config.with_clock(Arc::new(Offset(clock_offset_secs)));
        config.cases_interval = Duration::ZERO;
        config
    })
    .await
}

/// A sandbox with its state in a temporary directory, its configuration adjusted by `configure`,
/// and the consumer `USER`/`SECRET` registered.
pub async fn start_with(configure: impl FnOnce(SandboxConfig) -> SandboxConfig) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = configure(SandboxConfig::new(dir.path().join("state")));
    let sandbox = tokio::task::spawn_blocking(move || Sandbox::start(config))
        .await
        .expect("join")
        .expect("sandbox starts");
    sandbox
        .register_innography_consumer(USER, Some(SECRET))
        .expect("consumer");
    TestServer {
        base: sandbox.urls().innography.clone(),
        sandbox,
        _dir: dir,
    }
}
