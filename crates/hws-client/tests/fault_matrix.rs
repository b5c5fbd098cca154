//! The fault matrix (issue 14): every HWS endpoint and the token endpoint against every fault the
//! sandbox injects, each row with its expected outcome written down. A failing row names itself.
//!
//! Expected outcomes, in short:
//! - idempotent reads (ping, import status, request status, bulletin, confidential copy) recover
//!   from a single reset (before or after the server acted), 500, 502/503 with `Retry-After`, 429
//!   and a token revoked between two calls; a fault that persists ends in the typed error;
//! - the token endpoint (client credentials: no side effect) recovers from single faults too;
//! - `POST /request` is never sent twice: 429 (not processed) and a 401 (not processed) are retried,
//!   anything else after the request left leaves the journal saying "unknown, check with track",
//!   and what the sandbox received is counted.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{meta, now_unix, valid_package};

use hague_journal::{Journal, SubmissionState};
use hws_client::{Delivery, HwsClient, HwsConfig, HwsError, SubmitError, WeekId, submit_journaled};
use ipgate_http::RetryPolicy;
use ipgate_sandbox::{
    ClientRegistration, DEFAULT_HWS_SCOPE, FaultSpec, Sandbox, SandboxConfig, Timing,
};
use wipo_oidc::{Endpoint, SigningKey, TokenSource, TokenSourceConfig};

const CLIENT: &str = "office-1";

struct Env {
    sandbox: Sandbox,
    dir: tempfile::TempDir,
    key: Arc<SigningKey>,
}

fn start() -> Env {
    start_seeded(14)
}

fn start_seeded(seed: u64) -> Env {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = SandboxConfig::new(dir.path().join("sandbox"))
        .with_seed(seed)
        .with_timing(Timing {
            import: Duration::from_secs(2),
            registration: Duration::from_secs(6),
            speed: 400.0,
        });
    let sandbox = Sandbox::start(config).expect("sandbox starts");
    let key = Arc::new(SigningKey::generate().expect("key"));
    let cert = wipo_oidc::cert::self_signed_certificate(&key, "test office", now_unix() - 60, 30)
        .expect("certificate");
    let mut reg = ClientRegistration::new(CLIENT, cert.pem);
    reg.examining_office = true;
    sandbox.register_client(&reg).expect("register");
    Env { sandbox, dir, key }
}

impl Env {
    fn http(&self) -> reqwest::Client {
        ipgate_http::ClientOptions::new("fault-matrix")
            .build()
            .expect("http client")
    }

    fn client(&self) -> HwsClient {
        let tokens = TokenSource::new(
            self.http(),
            TokenSourceConfig::new(
                Endpoint::Discover {
                    issuer: self.sandbox.urls().issuer.clone(),
                },
                CLIENT,
            )
            .with_scope(DEFAULT_HWS_SCOPE),
            self.key.clone(),
        )
        .expect("token source");
        let mut c = HwsConfig::new(self.sandbox.urls().hws.clone());
        c.retry = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(2),
        };
        HwsClient::new(c, tokens).expect("client")
    }

    fn set_faults(&self, spec: &str) {
        self.sandbox
            .set_faults(spec.parse::<FaultSpec>().expect("fault spec"));
    }

    async fn admin(&self, method: reqwest::Method, path: &str) -> serde_json::Value {
        let url = format!("{}/_sandbox/admin/{path}", self.sandbox.urls().base);
        let r = self
            .http()
            .request(method, url)
            .send()
            .await
            .expect("admin");
        r.json().await.unwrap_or(serde_json::Value::Null)
    }

    /// How many packages with this SHA-256 the sandbox received.
    async fn received(&self, sha256: &str) -> usize {
        let v = self.admin(reqwest::Method::GET, "received").await;
        v["received"]
            .as_array()
            .expect("list")
            .iter()
            .filter(|r| r["sha256"].as_str() == Some(sha256))
            .count()
    }
}

#[derive(Clone, Copy, Debug)]
enum Read {
    Ping,
    ImportStatus,
    RequestStatus,
    Bulletin,
    Confidential,
}

/// What a read row expects.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// The call succeeds (after retries or a token refresh).
    Recovers,
    /// The call fails with this error kind and this delivery.
    Fails(Kind, Delivery),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Server(u16),
    RateLimited,
    Network,
    Token,
    Download,
}

fn kind_of(e: &HwsError) -> Option<Kind> {
    Some(match e {
        HwsError::Server { status, .. } => Kind::Server(*status),
        HwsError::RateLimited { .. } => Kind::RateLimited,
        HwsError::Network { .. } => Kind::Network,
        HwsError::Token(_) => Kind::Token,
        HwsError::Download { .. } => Kind::Download,
        _ => return None,
    })
}

/// Faults every read recovers from, with the rule spec for route `r`.
fn recoverable(r: &str) -> Vec<(String, Expect)> {
    [
        "reset-before#1",
        "reset-after#1",
        "500#1",
        "502:1#1",
        "503:1#1",
        "429:1#1",
        "truncate#1",
        "slow:400000",
    ]
    .iter()
    .map(|f| (format!("{r}={f}"), Expect::Recovers))
    .chain(
        [
            "reset-before#1",
            "reset-after#1",
            "500#1",
            "502:1#1",
            "503:1#1",
            "429:1#1",
            "truncate#1",
        ]
        .iter()
        .map(|f| (format!("token={f}"), Expect::Recovers)),
    )
    .chain([
        (
            format!("{r}=500"),
            Expect::Fails(Kind::Server(500), Delivery::MaybeReceived),
        ),
        (
            format!("{r}=503:1"),
            Expect::Fails(Kind::Server(503), Delivery::MaybeReceived),
        ),
        (
            format!("{r}=429:1"),
            Expect::Fails(Kind::RateLimited, Delivery::Answered),
        ),
        (
            format!("{r}=reset-before"),
            Expect::Fails(Kind::Network, Delivery::MaybeReceived),
        ),
        (
            "token=500".to_owned(),
            Expect::Fails(Kind::Token, Delivery::NotSent),
        ),
    ])
    .collect()
}

async fn do_read(
    env: &Env,
    client: &HwsClient,
    op: Read,
    import_id: &hws_client::wire::ImportId,
    row: &str,
) -> Result<(), HwsError> {
    let week: WeekId = "202410".parse().expect("week");
    let out = env
        .dir
        .path()
        .join("out")
        .join(row.replace(['=', ':', '#', '/'], "_"));
    std::fs::create_dir_all(&out).expect("out");
    let dest = out.join("w.zip");
    let r = match op {
        Read::Ping => client.ping(None).await.map(|_| ()),
        Read::ImportStatus => client.import_status(import_id).await.map(|_| ()),
        Read::RequestStatus => match client.request_status(&"SR404".parse().expect("srn")).await {
            // An answer from the server: the call itself got through.
            Err(HwsError::NotFound { .. }) => Ok(()),
            other => other.map(|_| ()),
        },
        Read::Bulletin => client.bulletin(week, &dest).await.map(|_| ()),
        Read::Confidential => client.confidential_copy(week, &dest).await.map(|_| ()),
    };
    if matches!(op, Read::Bulletin | Read::Confidential) {
        // Never a partial file at the final path.
        if r.is_err() {
            assert!(!dest.exists(), "{row}: a partial file at the target");
        } else {
            let bytes = std::fs::read(&dest).expect("read");
            assert_eq!(&bytes[..2], b"PK", "{row}: not a ZIP");
        }
    }
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_and_the_token_endpoint_under_every_fault() {
    let env = start();
    let setup = env.client();
    let mut import_id = setup
        .submit(valid_package("matrix-setup"))
        .await
        .expect("setup submission")
        .import_id;
    let mut failures = Vec::new();
    let mut rows = 0;
    for (op, route) in [
        (Read::Ping, "ping"),
        (Read::ImportStatus, "import-status"),
        (Read::RequestStatus, "request-status"),
        (Read::Bulletin, "bulletin"),
        (Read::Confidential, "confidential"),
    ] {
        for (spec, expect) in recoverable(route) {
            rows += 1;
            let row = format!("{op:?} with {spec}");
            // A fresh client for each row, so that the token endpoint is called.
            let client = env.client();
            env.set_faults(&spec);
            let got = do_read(&env, &client, op, &import_id, &row).await;
            env.set_faults("");
            match (expect, &got) {
                (Expect::Recovers, Ok(())) => {}
                (Expect::Fails(kind, delivery), Err(e))
                    if kind_of(e) == Some(kind) && e.delivery() == delivery => {}
                _ => failures.push(format!("{row}: expected {expect:?}, got {got:?}")),
            }
        }
        // A token revoked between two calls (the sandbox forgets its tokens): one refresh.
        rows += 1;
        let client = env.client();
        do_read(&env, &client, Read::Ping, &import_id, "warm")
            .await
            .expect("first call");
        let before = client.tokens().token_requests();
        revoke_tokens(&env).await;
        // The reset forgot the imports too; a new one to read.
        import_id = setup_again(&env).await;
        let got = do_read(&env, &client, op, &import_id, &format!("{op:?} revoked")).await;
        if got.is_err() || client.tokens().token_requests() != before + 1 {
            failures.push(format!(
                "{op:?} with a revoked token: expected one refresh and success, got {got:?} after {} token requests",
                client.tokens().token_requests() - before
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The sandbox's reset revokes every token it issued (and forgets imports).
async fn revoke_tokens(env: &Env) {
    env.admin(reqwest::Method::POST, "reset").await;
}

async fn setup_again(env: &Env) -> hws_client::wire::ImportId {
    env.client()
        .submit(valid_package(&format!("again-{}", now_unix())))
        .await
        .expect("submission")
        .import_id
}

/// `POST /request` rows: (fault, journal state expected, error delivery or None when it succeeds,
/// how many times the sandbox received the package).
#[tokio::test(flavor = "multi_thread")]
async fn submissions_under_every_fault_are_journaled_as_what_is_known() {
    use SubmissionState::{Sent, Unknown};
    let rows: &[(&str, SubmissionState, Option<Delivery>, usize)] = &[
        // Reset after the head was read: the client cannot tell it from a reset after the server
        // acted, so the journal says unknown; the server did nothing.
        (
            "submit=reset-before",
            Unknown,
            Some(Delivery::MaybeReceived),
            0,
        ),
        // The server stored it and the answer was lost: unknown, and never resent.
        (
            "submit=reset-after",
            Unknown,
            Some(Delivery::MaybeReceived),
            1,
        ),
        ("submit=500", Unknown, Some(Delivery::MaybeReceived), 0),
        ("submit=502:1", Unknown, Some(Delivery::MaybeReceived), 0),
        ("submit=503:1", Unknown, Some(Delivery::MaybeReceived), 0),
        // 429 means "not processed": a POST is never repeated automatically, so the journal
        // records the refusal (failed, not received: the package may be submitted again).
        (
            "submit=429:1#1",
            SubmissionState::Failed,
            Some(Delivery::Answered),
            0,
        ),
        // The answer broken off half way: the server has it, the client does not know.
        ("submit=truncate", Unknown, Some(Delivery::MaybeReceived), 1),
        ("submit=slow:2000", Sent, None, 1),
        // The token endpoint failing once: the token is fetched again before anything is sent.
        ("token=reset-before#1", Sent, None, 1),
        ("token=500#1", Sent, None, 1),
        ("token=503:1#1", Sent, None, 1),
        ("token=429:1#1", Sent, None, 1),
        // The token endpoint down: nothing sent, the package may be sent again.
        (
            "token=down",
            SubmissionState::Failed,
            Some(Delivery::NotSent),
            0,
        ),
    ];
    let env = start();
    let journal = Journal::open(&env.dir.path().join("journal.sqlite")).expect("journal");
    let mut failures = Vec::new();
    for (i, (spec, state, delivery, received)) in rows.iter().enumerate() {
        let package = valid_package(&format!("row-{i}"));
        let sha = hague_journal::Sha256Hex::digest(&package);
        let client = env.client();
        env.set_faults(spec);
        let got = submit_journaled(&client, &journal, package, &meta(), false).await;
        env.set_faults("");
        let (got_state, got_delivery, import) = match &got {
            Ok(s) => (s.submission.state, None, s.submission.import_id.clone()),
            Err(SubmitError::Hws { error, submission }) => (
                submission.state,
                Some(error.delivery()),
                submission.import_id.clone(),
            ),
            Err(other) => {
                failures.push(format!("{spec}: {other:?}"));
                continue;
            }
        };
        let n = env.received(sha.as_str()).await;
        if got_state != *state || got_delivery != *delivery || n != *received {
            failures.push(format!(
                "{spec}: expected {state:?}/{delivery:?}/received {received}, got {got_state:?}/{got_delivery:?}/received {n}: {got:?}"
            ));
        }
        if *state == Sent && import.is_none() {
            failures.push(format!("{spec}: sent without an import id"));
        }
    }
    // A token revoked between two submissions: refreshed once, the second sent once.
    let client = env.client();
    submit_journaled(
        &client,
        &journal,
        valid_package("before-revoke"),
        &meta(),
        false,
    )
    .await
    .expect("first");
    let before = client.tokens().token_requests();
    revoke_tokens(&env).await;
    let package = valid_package("after-revoke");
    let sha = hague_journal::Sha256Hex::digest(&package);
    match submit_journaled(&client, &journal, package, &meta(), false).await {
        Ok(s) if s.submission.state == Sent => {}
        other => failures.push(format!("revoked token: {other:?}")),
    }
    if client.tokens().token_requests() != before + 1 || env.received(sha.as_str()).await != 1 {
        failures.push("revoked token: expected one refresh and one receipt".into());
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len() + 1,
        failures.join("\n")
    );
}

/// SplitMix64: the soak's own seeded generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The randomized soak, checked like Jepsen: submissions (some of one package twice, two writers
/// on one journal at once) and bulletin downloads under 10-20 % injected faults, then the
/// histories: the sandbox accepted no package twice; every journal submission has an import id, a
/// recorded failure or an explicit unknown; no partial file at a final path; every download equals
/// the server's bytes. `IPGATE_SOAK_SEED`, `IPGATE_SOAK_SUBMISSIONS`, `IPGATE_SOAK_DOWNLOADS` size it
/// (`tools/soak.sh` runs the long version); the seed is printed on failure.
#[tokio::test(flavor = "multi_thread")]
async fn randomized_soak_files_nothing_twice_and_loses_nothing() {
    let seed = env_or("IPGATE_SOAK_SEED", 0x5eed_0014);
    let submissions = env_or("IPGATE_SOAK_SUBMISSIONS", 60);
    let downloads = env_or("IPGATE_SOAK_DOWNLOADS", 10);
    let env = start_seeded(seed);
    let faults = "submit=reset-after@0.07;submit=reset-before@0.04;submit=500@0.03;submit=429:0@0.03;\
                  import-status=503:0@0.1;token=500@0.05;bulletin=truncate@0.15;bulletin=reset-before@0.05";
    env.set_faults(faults);
    let ctx = format!(
        "seed {seed:#x} ({submissions} submissions, {downloads} downloads, faults {faults})"
    );
    let journal_path = env.dir.path().join("soak.sqlite");
    let mut rng = Rng(seed);
    // A pool smaller than the submissions: some packages are submitted twice or more.
    let pool = (submissions * 3 / 4).max(1);
    let plan: Vec<u64> = (0..submissions).map(|_| rng.below(pool)).collect();
    // Two writers, each its own client and journal handle on one file, interleaved.
    let env = Arc::new(env);
    let mut writers = Vec::new();
    for w in 0..2usize {
        let env = env.clone();
        let part: Vec<u64> = plan.iter().skip(w).step_by(2).copied().collect();
        let journal_path = journal_path.clone();
        writers.push(tokio::spawn(async move {
            let journal = Journal::open(&journal_path).expect("journal");
            let client = env.client();
            let mut outcomes = (0u32, 0u32, 0u32, 0u32); // sent, unknown, failed, refused
            for p in part {
                let package = valid_package(&format!("soak-{seed}-{p}"));
                match submit_journaled(&client, &journal, package, &meta(), false).await {
                    Ok(_) => outcomes.0 += 1,
                    Err(SubmitError::Hws { submission, .. }) => match submission.state {
                        SubmissionState::Unknown => outcomes.1 += 1,
                        _ => outcomes.2 += 1,
                    },
                    Err(SubmitError::Journal(_)) => outcomes.3 += 1,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            outcomes
        }));
    }
    let mut totals = (0, 0, 0, 0);
    for w in writers {
        let o = w.await.expect("writer");
        totals = (
            totals.0 + o.0,
            totals.1 + o.1,
            totals.2 + o.2,
            totals.3 + o.3,
        );
    }
    // Downloads: weeks of 2024, each tried until it succeeds (at most 5 times, resuming).
    let out = env.dir.path().join("soak-out");
    std::fs::create_dir_all(&out).expect("out");
    let client = env.client();
    let mut got = Vec::new();
    for i in 0..downloads {
        let week: WeekId = format!("2024{:02}", 1 + rng.below(50))
            .parse()
            .expect("week");
        let dest = out.join(format!("{i}-{}.zip", week));
        let mut ok = None;
        for _ in 0..5 {
            match client.bulletin(week, &dest).await {
                Ok(d) => {
                    ok = Some(d);
                    break;
                }
                Err(_) => assert!(
                    !dest.exists(),
                    "{ctx}: a partial file at {}",
                    dest.display()
                ),
            }
        }
        got.push((week, dest, ok));
    }
    let log = env.sandbox.requests();
    let total_requests = log.len();
    let injected = log
        .iter()
        .filter(|r| r.status.is_none_or(|s| s == 429 || s >= 500))
        .count();
    env.set_faults("");

    // History checks.
    let received = env.admin(reqwest::Method::GET, "received").await;
    let received = received["received"].as_array().expect("list").clone();
    let mut seen = std::collections::HashMap::new();
    for r in &received {
        *seen
            .entry(r["sha256"].as_str().expect("sha").to_owned())
            .or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "{ctx}: filed twice: {twice:?}");
    let journal = Journal::open(&journal_path).expect("journal");
    let history = journal.history(None).expect("history");
    for s in &history {
        let accounted = match s.state {
            SubmissionState::Sent => s.import_id.is_some(),
            SubmissionState::Failed => s.failure.is_some(),
            SubmissionState::Unknown => s.unknown_detail.is_some(),
            SubmissionState::Sending => false,
        };
        assert!(accounted, "{ctx}: unaccounted submission {s:?}");
        if s.state == SubmissionState::Sent {
            assert!(
                seen.contains_key(s.package_sha256.as_str()),
                "{ctx}: journal says sent, the server has no {s:?}"
            );
        }
    }
    // Every package the server has is in the journal as sent or unknown (never failed).
    for sha in seen.keys() {
        let subs: Vec<_> = history
            .iter()
            .filter(|s| s.package_sha256.as_str() == sha)
            .collect();
        assert!(
            subs.iter()
                .any(|s| matches!(s.state, SubmissionState::Sent | SubmissionState::Unknown)),
            "{ctx}: the server has {sha}, the journal says {subs:?}"
        );
    }
    for (week, dest, ok) in &got {
        let Some(d) = ok else {
            assert!(!dest.exists(), "{ctx}: partial file {}", dest.display());
            continue;
        };
        let bytes = std::fs::read(dest).expect("read");
        assert_eq!(d.sha256, hague_journal::Sha256Hex::digest(&bytes), "{ctx}");
        let fresh = out.join(format!("fresh-{}.zip", week));
        let f = client
            .bulletin(*week, &fresh)
            .await
            .expect("fault-free download");
        assert_eq!(
            d.sha256, f.sha256,
            "{ctx}: {week:?} differs from the server's"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".zip"))
        .filter(|n| {
            // Part files may stay only for downloads that never completed.
            !got.iter().any(|(_, d, ok)| {
                ok.is_none() && n.starts_with(&*d.file_name().unwrap_or_default().to_string_lossy())
            })
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "{ctx}: temporary files left: {leftovers:?}"
    );
    eprintln!(
        "soak {ctx}: sent {}, unknown {}, failed {}, refused by the journal {}; {} received, 0 twice; {} downloads ({} completed); {injected} of {total_requests} requests answered by a fault (resets, 429, 5xx; truncations not counted)",
        totals.0,
        totals.1,
        totals.2,
        totals.3,
        received.len(),
        got.len(),
        got.iter().filter(|g| g.2.is_some()).count()
    );
}

/// Servers that lie (issue 14, hostile inputs): a status document that is not XML, a publication
/// longer or shorter than its announced `Content-Length` or not a ZIP at all, a redirect to another
/// host. Each row: the
/// typed error, the delivery, nothing at a final path, and for `POST /request` the journal state and
/// how often the package arrived.
#[tokio::test(flavor = "multi_thread")]
async fn lying_answers_end_in_typed_errors_and_leave_nothing_behind() {
    use SubmissionState::Unknown;
    let env = start();
    let journal = Journal::open(&env.dir.path().join("lying.sqlite")).expect("journal");
    let import_id = env
        .client()
        .submit(valid_package("lying-setup"))
        .await
        .expect("setup submission")
        .import_id;
    let mut failures = Vec::new();
    let bad_response = |e: &HwsError| matches!(e, HwsError::BadResponse { status: 200, .. });
    let not_a_zip = |e: &HwsError| matches!(e, HwsError::NotAZip { .. });
    let redirected = |e: &HwsError| matches!(e, HwsError::UnexpectedStatus { status: 302, .. });
    // Reads: (fault, read, what the error must be).
    type Check = fn(&HwsError) -> bool;
    let reads: [(&str, Read, Check); 10] = [
        ("ping=not-xml", Read::Ping, bad_response),
        ("import-status=not-xml", Read::ImportStatus, bad_response),
        // Shorter than announced, every time: the download gives up, nothing at the target.
        ("bulletin=truncate", Read::Bulletin, |e| {
            matches!(e, HwsError::Download { .. })
        }),
        ("confidential=truncate:100", Read::Confidential, |e| {
            matches!(e, HwsError::Download { .. })
        }),
        // Longer than announced: the client gets the announced bytes, a ZIP cut short whose
        // length matches; HTTP cannot tell, the archive's missing central directory does.
        ("bulletin=overlong", Read::Bulletin, not_a_zip),
        ("confidential=overlong:64", Read::Confidential, not_a_zip),
        ("bulletin=overlong:22", Read::Bulletin, not_a_zip),
        // An HTML page sent as the ZIP.
        ("bulletin=not-xml", Read::Bulletin, not_a_zip),
        // A redirect is never followed, so the bearer token never reaches the other host.
        ("ping=redirect", Read::Ping, redirected),
        ("bulletin=redirect", Read::Bulletin, redirected),
    ];
    for (spec, op, check) in reads {
        let client = env.client();
        env.set_faults(spec);
        let got = do_read(&env, &client, op, &import_id, spec).await;
        env.set_faults("");
        match &got {
            Err(e) if check(e) => {}
            _ => failures.push(format!("{spec}: got {got:?}")),
        }
    }
    // `POST /request`: (fault, journal state, delivery, received).
    let submits: [(&str, SubmissionState, Delivery, usize); 2] = [
        // The package arrived and the answer is unreadable: unknown, never resent.
        ("submit=not-xml", Unknown, Delivery::MaybeReceived, 1),
        // A 302 to elsewhere: not followed (the package never goes to another host); an answer
        // that is not a success: failed, received 0 times, may be sent again.
        (
            "submit=redirect",
            SubmissionState::Failed,
            Delivery::Answered,
            0,
        ),
    ];
    for (i, (spec, state, delivery, received)) in submits.into_iter().enumerate() {
        let package = valid_package(&format!("lying-{i}"));
        let sha = hague_journal::Sha256Hex::digest(&package);
        let client = env.client();
        env.set_faults(spec);
        let got = submit_journaled(&client, &journal, package, &meta(), false).await;
        env.set_faults("");
        let n = env.received(sha.as_str()).await;
        match &got {
            Err(SubmitError::Hws { error, submission })
                if submission.state == state && error.delivery() == delivery && n == received => {}
            _ => failures.push(format!(
                "{spec}: expected {state:?}/{delivery:?}/received {received}, got received {n}: {got:?}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
