//! The Innography fault matrix through the CLI (issue 14; the library's rows are in
//! `crates/innography-client/tests/fault_matrix.rs`): `ipgate innography request` against the
//! sandbox with a fault injected, each row with its exit code (docs/cli.md) and how many attempts
//! reached the sandbox.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use ipgate_sandbox::{FaultSpec, SandboxConfig};

use common::INNOGRAPHY_SECRET as SECRET;
const CASES: &str = "/cases/documents?ipId=US-1234567-B2";
const ACCOUNT: &str = "/private-pair/account";

/// The binary with a clean environment (no real config, cache or proxies) and the credentials.
fn ipgate(home: &Path, base: &str) -> Command {
    let mut cmd = common::ipgate_isolated(home);
    cmd.env("INNOGRAPHY_BASE_URL", base)
        .env("INNOGRAPHY_USERNAME", "obiwan")
        .env("INNOGRAPHY_SECRET", SECRET)
        .args(["innography", "request"]);
    cmd
}

/// (method, path, fault, exit code, attempts that reached the sandbox, text stderr must hold).
/// The CLI's retry policy is the default: 4 attempts, `Retry-After` up to 120 s.
const ROWS: &[(&str, &str, &str, i32, usize, &str)] = &[
    // An idempotent GET recovers from a body broken off once, and from a 503 with Retry-After.
    ("GET", CASES, "cases=truncate#1", 0, 2, ""),
    ("GET", CASES, "cases=503:1#1", 0, 2, ""),
    // Persistent: the typed error after 4 attempts, with its exit code.
    ("GET", CASES, "cases=500", 12, 4, "the server answered 500"),
    (
        "GET",
        CASES,
        "cases=reset-before",
        6,
        4,
        "INNOGRAPHY_BASE_URL",
    ),
    // A Retry-After longer than the client waits: given up at once, exit 11, the time named.
    (
        "GET",
        ACCOUNT,
        "account=429:300",
        11,
        1,
        "retry after 300 s",
    ),
    // A POST that may have reached the server is never sent again.
    (
        "POST",
        ACCOUNT,
        "account=503:1#1",
        12,
        1,
        "the server answered 503",
    ),
    ("POST", ACCOUNT, "account=reset-after#1", 6, 1, ""),
    (
        "POST",
        ACCOUNT,
        "account=truncate#1",
        6,
        1,
        "not repeated automatically",
    ),
    // A 429 on a POST: not processed, so sent again after Retry-After.
    ("POST", ACCOUNT, "account=429:1#1", 0, 2, ""),
];

#[tokio::test(flavor = "multi_thread")]
async fn innography_requests_under_faults_exit_with_their_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = SandboxConfig::new(dir.path().join("state")).with_seed(14);
    config.cases_interval = std::time::Duration::ZERO;
    let sandbox = common::innography_sandbox(config).await;
    let base = sandbox.urls().innography.clone();
    let mut failures = Vec::new();
    for (method, path, fault, code, attempts, text) in ROWS {
        let home = tempfile::tempdir().expect("home");
        let before = sandbox.requests().last().map_or(0, |r| r.seq);
        sandbox.set_faults(fault.parse::<FaultSpec>().expect("fault spec"));
        let mut cmd = ipgate(home.path(), &base);
        cmd.args([method, path, "--api-version", "0.6"]);
        if *method == "POST" {
            cmd.args(["--data", r#"{"data":"sample"}"#]);
        }
        let o: Output = tokio::task::spawn_blocking(move || cmd.output().expect("run ipgate"))
            .await
            .expect("join");
        sandbox.set_faults(FaultSpec::default());
        let stdout = String::from_utf8_lossy(&o.stdout);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let n = sandbox.requests().iter().filter(|r| r.seq > before).count();
        let body_ok = *code != 0 || stdout.contains("success");
        if o.status.code() != Some(*code) || n != *attempts || !stderr.contains(text) || !body_ok {
            failures.push(format!(
                "{method} {path} with {fault}: expected exit {code} after {attempts} attempt(s), got {:?} after {n}; stdout {stdout}; stderr {stderr}",
                o.status.code()
            ));
        }
        if stderr.contains(SECRET) || stdout.contains(SECRET) {
            failures.push(format!("{fault}: the secret was printed"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}
