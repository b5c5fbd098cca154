//! The Innography fault matrix (issue 14), table-driven like `hws-client`'s: the routes the client
//! calls (`GET /cases/documents`, `GET` and `POST /private-pair/account`) against every fault the
//! sandbox injects, each row with its expected outcome written down. A failing row names itself.
//!
//! Expected outcomes, in short (the client's documented policy, README):
//! - idempotent GETs recover from a single reset (before or after the server acted), 500, 502,
//!   503 with `Retry-After` (waited), 429 with `Retry-After` (waited), a truncated body and a slow
//!   body; a fault that persists ends in its typed error after the policy's attempts;
//! - a POST is never sent again once it may have reached the server (reset, 5xx, truncated
//!   answer): one attempt and a typed error; only a 429 (not processed) is retried;
//! - a refused signature (wrong secret, a Date outside the 5-minute window) is a 401, never retried;
//! - every attempt is signed afresh: each one the sandbox logged carries its own `Date` and an
//!   `Authorization` that verifies against that `Date` and the body sent.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use innography_client::{Api, Client, Config, Error, Method, Request};
use innography_hmac::{ApiVersion, Credentials, Secret, Verifier, VerifyRequest};
use ipgate_http::{Clock, RetryPolicy, SendError};
use ipgate_sandbox::RequestRecord;
use support::{ACCOUNT, CASES, SECRET, TestServer, Ticking, USER};

const MAX_ATTEMPTS: u32 = 3;

/// The sandbox as Innography (`support::start_with`, consumer `USER`/`SECRET`); `cases_interval` is
/// its own Cases limit (zero: off, so that the rows see only the injected faults).
async fn start(cases_interval: Duration) -> TestServer {
    support::start_with(|config| {
        let mut config = config.with_seed(14);
        config.cases_interval = cases_interval;
        config
    })
    .await
}

/// The client's configuration for the sandbox `env`: signed with `secret`, versions pinned, quick
/// retries.
fn matrix_config(env: &TestServer, secret: &str) -> Config {
    let mut c = Config::new(
        &env.base,
        Credentials::new(USER, Secret::new(secret)).expect("creds"),
    );
    c.versions.insert(Api::Cases, ApiVersion::new(0, 6));
    c.versions.insert(Api::PrivatePair, ApiVersion::new(0, 6));
    c.retry = RetryPolicy {
        max_attempts: MAX_ATTEMPTS,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
    };
    c
}

fn matrix_client(config: Config, clock: Arc<dyn Clock>) -> Client {
    let http = ipgate_http::client_builder("fault-matrix")
        .no_proxy()
        .build()
        .expect("http");
    Client::with_http_client(config, http)
        .expect("client")
        .with_clock(clock)
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Call {
    /// `GET /cases/documents?ipId=...` (Cases, 1 query/second).
    CasesGet,
    /// `GET /private-pair/account`.
    AccountGet,
    /// `POST /private-pair/account` with a JSON body.
    AccountPost,
}

impl Call {
    fn route(self) -> &'static str {
        match self {
            Call::CasesGet => "cases",
            Call::AccountGet | Call::AccountPost => "account",
        }
    }

    fn request(self) -> Request {
        match self {
            Call::CasesGet => Request::new(Method::GET, Api::Cases, CASES),
            Call::AccountGet => Request::new(Method::GET, Api::PrivatePair, ACCOUNT),
            Call::AccountPost => Request::new(Method::POST, Api::PrivatePair, ACCOUNT)
                .with_json(&serde_json::json!({"data": "sample"}))
                .expect("json"),
        }
    }
}

/// The typed error a failing row expects.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// `Error::Send(SendError::Transport)`: the connection failed.
    Transport,
    /// `Error::Status` with this status.
    Status(u16),
    /// `Error::RateLimited` with this `Retry-After`.
    RateLimited(u64),
    /// `Error::Body`: the answer broke off.
    Body,
    /// `Error::Unauthorized` (401).
    Unauthorized,
}

fn kind_of(e: &Error) -> Option<Kind> {
    Some(match e {
        Error::Send(SendError::Transport { .. }) => Kind::Transport,
        Error::Status { status, .. } => Kind::Status(*status),
        Error::RateLimited {
            retry_after_secs: Some(s),
        } => Kind::RateLimited(*s),
        Error::Body(_) => Kind::Body,
        Error::Unauthorized { status: 401, .. } => Kind::Unauthorized,
        _ => return None,
    })
}

/// What a row expects: the outcome, how many attempts reach the sandbox, and whether the
/// attempts must be at least a second apart (a `Retry-After: 1` honoured).
#[derive(Clone, Copy, Debug)]
enum Outcome {
    Recovers,
    Fails(Kind),
}

#[derive(Clone, Debug)]
struct Row {
    call: Call,
    /// The fault rule, `{route}` replaced by the call's route.
    fault: &'static str,
    outcome: Outcome,
    attempts: usize,
    waits_retry_after: bool,
}

fn row(
    call: Call,
    fault: &'static str,
    outcome: Outcome,
    attempts: usize,
    waits_retry_after: bool,
) -> Row {
    Row {
        call,
        fault,
        outcome,
        attempts,
        waits_retry_after,
    }
}

/// The rows of an idempotent GET.
fn get_rows(call: Call) -> Vec<Row> {
    use Kind::*;
    use Outcome::*;
    let n = MAX_ATTEMPTS as usize;
    vec![
        // Once: recovered on the second attempt.
        row(call, "reset-before#1", Recovers, 2, false),
        row(call, "reset-after#1", Recovers, 2, false),
        row(call, "500#1", Recovers, 2, false),
        // 502 is retried with backoff (`Retry-After` is defined for 503 and 429, not 502).
        row(call, "502:1#1", Recovers, 2, false),
        row(call, "503:1#1", Recovers, 2, true),
        row(call, "429:1#1", Recovers, 2, true),
        row(call, "truncate#1", Recovers, 2, false),
        row(call, "slow:500", Recovers, 1, false),
        row(call, "latency:300", Recovers, 1, false),
        // Persistent: the typed error after the policy's attempts.
        row(call, "reset-before", Fails(Transport), n, false),
        row(call, "reset-after", Fails(Transport), n, false),
        row(call, "500", Fails(Status(500)), n, false),
        row(call, "502", Fails(Status(502)), n, false),
        row(call, "503:1", Fails(Status(503)), n, true),
        row(call, "429:1", Fails(RateLimited(1)), n, true),
        row(call, "truncate", Fails(Body), n, false),
        // A `Retry-After` past `max_retry_after` (5 s) is not waited for: given up at once.
        row(call, "429:30", Fails(RateLimited(30)), 1, false),
    ]
}

/// The rows of the POST: never sent again once it may have reached the server.
fn post_rows() -> Vec<Row> {
    use Kind::*;
    use Outcome::*;
    let c = Call::AccountPost;
    vec![
        row(c, "reset-before#1", Fails(Transport), 1, false),
        row(c, "reset-after#1", Fails(Transport), 1, false),
        row(c, "500#1", Fails(Status(500)), 1, false),
        row(c, "502:1#1", Fails(Status(502)), 1, false),
        row(c, "503:1#1", Fails(Status(503)), 1, false),
        // 429: the server did not process it, so it is sent again after `Retry-After`.
        row(c, "429:1#1", Recovers, 2, true),
        row(
            c,
            "429:1",
            Fails(RateLimited(1)),
            MAX_ATTEMPTS as usize,
            true,
        ),
        row(c, "truncate#1", Fails(Body), 1, false),
        row(c, "slow:500", Recovers, 1, false),
        row(c, "latency:300", Recovers, 1, false),
    ]
}

/// Checks that every logged attempt carries its own `Date` and a signature that verifies against
/// that `Date`, the body the sandbox received and the consumer's secret.
fn signed_afresh(attempts: &[RequestRecord]) -> Result<(), String> {
    let mut dates = std::collections::HashSet::new();
    let mut signatures = std::collections::HashSet::new();
    for a in attempts {
        let date = a.headers.get("date").ok_or("an attempt without Date")?;
        let auth = a
            .headers
            .get("authorization")
            .ok_or("an attempt without Authorization")?;
        let at = httpdate::parse_http_date(date).map_err(|e| format!("Date {date:?}: {e}"))?;
        let body = a.body.clone().unwrap_or_default();
        Verifier::new()
            .verify(
                &VerifyRequest {
                    authorization: Some(auth),
                    date: Some(date),
                    content_md5: a.headers.get("content-md5").map(String::as_str),
                    body: &body,
                },
                at,
                |u| (u == USER).then(|| Secret::new(SECRET)),
            )
            .map_err(|e| format!("attempt {} does not verify: {e}", a.seq))?;
        if !dates.insert(date.clone()) || !signatures.insert(auth.clone()) {
            return Err(format!("attempt {} reuses a Date or signature", a.seq));
        }
    }
    Ok(())
}

async fn run_row(env: &TestServer, r: &Row) -> Result<(), String> {
    let spec = format!("{}={}", r.call.route(), r.fault);
    let clock = Arc::new(Ticking::new(1));
    let client = matrix_client(matrix_config(env, SECRET), clock);
    let before = env.last_seq();
    env.faults(&spec);
    let got = client.send(&r.call.request()).await;
    env.faults("");
    let seen = env.since(before);
    let mut problems = Vec::new();
    match (r.outcome, &got) {
        (Outcome::Recovers, Ok(resp)) => {
            if resp.attempts as usize != r.attempts {
                problems.push(format!("Response::attempts {}", resp.attempts));
            }
            let json: serde_json::Value = resp.json().map_err(|e| format!("{e}"))?;
            if json["status"] != "success" {
                problems.push(format!("body {json}"));
            }
        }
        (Outcome::Fails(kind), Err(e)) if kind_of(e) == Some(kind) => {}
        _ => problems.push(format!("got {got:?}")),
    }
    if seen.len() != r.attempts {
        problems.push(format!(
            "{} attempts reached the sandbox, expected {}",
            seen.len(),
            r.attempts
        ));
    }
    if let Err(e) = signed_afresh(&seen) {
        problems.push(e);
    }
    if r.waits_retry_after {
        for w in seen.windows(2) {
            if w[1].at_ms - w[0].at_ms < 1000 {
                problems.push(format!(
                    "Retry-After: 1 not waited: attempts {} ms apart",
                    w[1].at_ms - w[0].at_ms
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{:?} with {spec}: expected {:?} in {} attempt(s): {}",
            r.call,
            r.outcome,
            r.attempts,
            problems.join("; ")
        ))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_innography_route_under_every_fault() {
    let env = start(Duration::ZERO).await;
    let rows: Vec<Row> = get_rows(Call::CasesGet)
        .into_iter()
        .chain(get_rows(Call::AccountGet))
        .chain(post_rows())
        .collect();
    let mut failures = Vec::new();
    for r in &rows {
        if let Err(e) = run_row(&env, r).await {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// HMAC has no token to refresh: a refused signature is final. Rows: a wrong secret, and a `Date`
/// 10 minutes behind (outside the 5-minute window, the clock hint in the message), on each call;
/// one attempt each, never retried.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_signature_is_a_401_and_never_retried() {
    #[derive(Debug)]
    struct Behind;
    impl Clock for Behind {
        fn now(&self) -> SystemTime {
            SystemTime::now() - Duration::from_secs(600)
        }
    }
    let env = start(Duration::ZERO).await;
    let mut failures = Vec::new();
    let mut rows = 0;
    for call in [Call::CasesGet, Call::AccountGet, Call::AccountPost] {
        for (what, secret, clock) in [
            (
                "wrong secret",
                "0123456789abcdef0123456789abcdef",
                Arc::new(ipgate_http::SystemClock) as Arc<dyn Clock>,
            ),
            ("Date 10 min behind", SECRET, Arc::new(Behind)),
        ] {
            rows += 1;
            let client = matrix_client(matrix_config(&env, secret), clock);
            let before = env.last_seq();
            let got = client.send(&call.request()).await;
            let seen = env.since(before);
            let ok = match &got {
                Err(Error::Unauthorized {
                    status: 401,
                    message,
                    clock_skew_secs,
                }) => {
                    seen.len() == 1
                        && seen[0].status == Some(401)
                        && match what {
                            "wrong secret" => message.contains("signature does not match"),
                            // Our clock is 600 s behind the server's `Date`, and the message says so.
                            _ => {
                                clock_skew_secs.is_some_and(|s| (595..=605).contains(&s))
                                    && got
                                        .as_ref()
                                        .err()
                                        .is_some_and(|e| e.to_string().contains("the clock"))
                            }
                        }
                }
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "{call:?} with {what}: expected one 401 attempt, got {} attempt(s): {got:?}",
                    seen.len()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Innography's own limit (1 Cases query/second per consumer), with the real clock: without the
/// client's limiter the second query is answered 429 with `Retry-After: 1` by the sandbox itself,
/// waited for and sent again signed at a later second; with the limiter (the documented default,
/// `Config::rate_limit_dir`) the server never has to refuse one.
#[tokio::test(flavor = "multi_thread")]
async fn the_cases_limit_of_one_per_second_is_honoured() {
    let env = start(Duration::from_secs(1)).await;
    let clock: Arc<dyn Clock> = Arc::new(ipgate_http::SystemClock);

    // No limiter: the server's 429 is honoured.
    let client = matrix_client(matrix_config(&env, SECRET), clock.clone());
    let first = client.get(Api::Cases, CASES).await.expect("first query");
    assert_eq!(first.attempts, 1);
    let before = env.last_seq();
    let second = client.get(Api::Cases, CASES).await.expect("second query");
    let seen = env.since(before);
    assert_eq!(second.attempts, 2, "{seen:?}");
    assert_eq!(
        seen.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(429), Some(200)]
    );
    assert!(seen[1].at_ms - seen[0].at_ms >= 1000, "{seen:?}");
    signed_afresh(&seen).expect("each attempt signed at its own second");

    // The client's limiter at its default (`CASES_INTERVAL`: 1/s with a margin, since slots
    // exactly 1 s apart can arrive a few ms closer and were refused about half of the time):
    // three queries, no 429 (another consumer, so that the queries above play no part).
    env.sandbox
        .register_innography_consumer("quigon", Some(SECRET))
        .expect("consumer");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = matrix_config(&env, SECRET);
    cfg.credentials = Credentials::new("quigon", Secret::new(SECRET)).expect("creds");
    cfg.rate_limit_dir = Some(dir.path().to_path_buf());
    let client = matrix_client(cfg, clock);
    let before = env.last_seq();
    for _ in 0..3 {
        let r = client.get(Api::Cases, CASES).await.expect("query");
        assert_eq!(r.attempts, 1);
    }
    let seen = env.since(before);
    assert_eq!(
        seen.iter().map(|r| r.status).collect::<Vec<_>>(),
        [Some(200), Some(200), Some(200)],
        "{seen:?}"
    );
}
