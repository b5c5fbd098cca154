//! `ipgate innography` end to end: the real binary against `ipgate-sandbox`'s Innography emulation
//! on 127.0.0.1 (HMAC checked with `innography_hmac`'s verifier, versions with its selector).

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use innography_hmac::ApiVersion;
use ipgate_sandbox::{InnographyVersions, Sandbox, SandboxConfig};

use common::INNOGRAPHY_SECRET as SECRET;
const DATE: &str = "Thu, 12 Jan 2017 16:17:39 GMT";

/// The Innography server: `ipgate-sandbox` on 127.0.0.1 offering 0.6 and 0.7 for every API (patch
/// 17), with the consumer obiwan; its own Cases limit is off (the tests check the client's).
struct Server {
    sandbox: Sandbox,
    base: String,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Arrival times (sandbox clock, ms) of the requests whose path below the base is `path`.
    fn arrivals(&self, path: &str) -> Vec<Duration> {
        let want = format!("/innography{path}");
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.target.split('?').next() == Some(want.as_str()))
            .map(|r| Duration::from_millis(r.at_ms.max(0) as u64))
            .collect()
    }

    /// Bodies of the requests to `path`.
    fn bodies(&self, path: &str) -> Vec<Vec<u8>> {
        let want = format!("/innography{path}");
        self.sandbox
            .requests()
            .into_iter()
            .filter(|r| r.target.split('?').next() == Some(want.as_str()))
            .map(|r| r.body.unwrap_or_default())
            .collect()
    }
}

async fn server() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = SandboxConfig::new(dir.path().join("state"));
    let both = vec![ApiVersion::new(0, 6), ApiVersion::new(0, 7)];
    config.innography_versions = InnographyVersions {
        apis: [
            "cases",
            "data-validation",
            "portfolioiq",
            "private-pair",
            "veritas",
            "ids",
            "etl",
        ]
        .iter()
        .map(|s| ((*s).to_owned(), both.clone()))
        .collect(),
        patch: 17,
    };
    config.cases_interval = Duration::ZERO;
    let sandbox = common::innography_sandbox(config).await;
    Server {
        base: sandbox.urls().innography.clone(),
        sandbox,
        _dir: dir,
    }
}

/// The binary with a clean environment: no real config, cache or proxies.
fn ipgate(home: &Path) -> Command {
    let mut cmd = common::ipgate_isolated(home);
    cmd.args(["innography"]);
    cmd
}

fn with_creds(mut cmd: Command) -> Command {
    cmd.env("INNOGRAPHY_USERNAME", "obiwan")
        .env("INNOGRAPHY_SECRET", SECRET);
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("run ipgate"))
        .await
        .expect("join")
}

fn out(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test]
async fn dry_run_reproduces_the_documents_examples() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.args([
        "request",
        "POST",
        "/private-pair/account",
        "--api-version",
        "0.6",
        "--dry-run",
        "--date",
        DATE,
    ]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "POST /private-pair/account HTTP/1.1\nHost: api.innography.com\nAccept: application/vnd.innography+json; version=0.6\nContent-Type: application/json\nDate: Thu, 12 Jan 2017 16:17:39 GMT\nContent-MD5: 11FxOYiYfpMxmANj4kGJzg==\nAuthorization: hmac username=\"obiwan\", algorithm=\"hmac-sha1\", headers=\"Date Content-MD5\", signature=\"33K74OzzqvrSXsQ5RWw91EH4rJs=\"\nUser-Agent: ipgate/{}\n\n",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(!stderr.contains(SECRET) && !stdout.contains(SECRET));

    let body = home.path().join("body.json");
    std::fs::write(&body, br#"{"data":"sample"}"#).expect("write");
    for data in [
        format!("@{}", body.display()),
        r#"{"data":"sample"}"#.to_string(),
    ] {
        let mut cmd = with_creds(ipgate(home.path()));
        cmd.args([
            "request",
            "POST",
            "/private-pair/account",
            "--api-version",
            "0.6",
            "--dry-run",
            "--date",
            DATE,
            "--data",
            &data,
        ]);
        let o = run(cmd).await;
        let (stdout, stderr) = out(&o);
        assert!(o.status.success(), "{stderr}");
        assert!(
            stdout.contains("\nContent-MD5: kumW7r4Mo58KzBliGOerdA==\n"),
            "{stdout}"
        );
        assert!(
            stdout.contains(r#"signature="2zS0VJJ6YipaXDU3IcerHJZdpP8=""#),
            "{stdout}"
        );
        assert!(
            stdout.ends_with("\nContent-Length: 17\n\n{\"data\":\"sample\"}\n"),
            "{stdout}"
        );
    }

    // JSON output of the dry run; no pinned version: a warning.
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.args([
        "--output",
        "json",
        "request",
        "POST",
        "/private-pair/account",
        "--dry-run",
        "--date",
        DATE,
    ]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let auth = v["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h["name"] == "Authorization")
        .and_then(|h| h["value"].as_str())
        .expect("authorization")
        .to_string();
    assert!(
        auth.ends_with(r#"signature="33K74OzzqvrSXsQ5RWw91EH4rJs=""#),
        "{auth}"
    );
    assert!(
        stderr.contains("no version pinned for the private-pair API"),
        "{stderr}"
    );
}

#[tokio::test]
async fn secret_file_permissions_are_checked_like_ssh() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().expect("tempdir");
    let secret = home.path().join("innography.secret");
    std::fs::write(&secret, format!("{SECRET}\n")).expect("write");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let args = ["request", "GET", "/cases/x", "--dry-run", "--date", DATE];
    let mut cmd = ipgate(home.path());
    cmd.env("INNOGRAPHY_USERNAME", "obiwan")
        .env("INNOGRAPHY_SECRET_FILE", &secret)
        .args(args);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("group or others may access it (mode 0644)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("chmod 600 {}", secret.display())),
        "{stderr}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));

    // A secret file that cannot be read (a directory: unreadable even for root): exit 3, a hint.
    let dir_secret = home.path().join("secret-dir");
    std::fs::create_dir(&dir_secret).expect("mkdir");
    std::fs::set_permissions(&dir_secret, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let mut cmd = ipgate(home.path());
    cmd.env("INNOGRAPHY_USERNAME", "obiwan")
        .env("INNOGRAPHY_SECRET_FILE", &dir_secret)
        .args(args);
    let o = run(cmd).await;
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot read the secret file"), "{stderr}");
    assert!(stderr.contains("hint: make "), "{stderr}");

    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // From the profile this time.
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[profiles.default.innography]\nusername = \"obiwan\"\nsecret_file = \"{}\"\n[profiles.default.innography.api_versions]\ncases = \"0.6\"\n",
            secret.display()
        ),
    )
    .expect("config");
    let mut cmd = ipgate(home.path());
    cmd.env("IPGATE_CONFIG", &config).args([
        "request",
        "GET",
        "/cases/x",
        "--dry-run",
        "--date",
        DATE,
    ]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains("Accept: application/vnd.innography+json; version=0.6\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(r#"signature="33K74OzzqvrSXsQ5RWw91EH4rJs=""#),
        "{stdout}"
    );
    assert!(!stderr.contains("no version pinned"), "{stderr}");

    // --api names the API when the path does not start with it: its pin applies.
    let mut cmd = ipgate(home.path());
    cmd.env("IPGATE_CONFIG", &config).args([
        "request",
        "GET",
        "/v1/documents",
        "--api",
        "cases",
        "--dry-run",
        "--date",
        DATE,
    ]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("GET /v1/documents HTTP/1.1\n")
            && stdout.contains("Accept: application/vnd.innography+json; version=0.6\n"),
        "{stdout}"
    );
    assert!(!stderr.contains("no version pinned"), "{stderr}");
}

#[tokio::test]
async fn bad_input_gets_the_right_exit_codes() {
    let home = tempfile::tempdir().expect("tempdir");
    let cases: [(&[&str], bool, i32, &str); 6] = [
        (
            &["request", "GET", "/cases/x", "--dry-run"],
            false,
            4,
            "no Innography username",
        ),
        (
            &[
                "request",
                "GET",
                "/cases/x",
                "--dry-run",
                "--date",
                "12 Jan 2017",
            ],
            true,
            2,
            "not an IMF-fixdate",
        ),
        (
            &["request", "GET", "/unknown/x", "--dry-run"],
            true,
            2,
            "--api NAME",
        ),
        (
            &[
                "request",
                "POST",
                "/cases/x",
                "--dry-run",
                "--data",
                "{nope",
            ],
            true,
            2,
            "not JSON",
        ),
        (
            &[
                "request",
                "GET",
                "/cases/x",
                "--dry-run",
                "--api-version",
                "0.6;q=2",
            ],
            true,
            2,
            "outside 0.0-1.0",
        ),
        (
            &["versions", "--api", "patents"],
            true,
            2,
            "unknown Innography API",
        ),
    ];
    for (args, creds, code, text) in cases {
        let mut cmd = ipgate(home.path());
        if creds {
            cmd = with_creds(cmd);
        }
        cmd.args(args);
        let o = run(cmd).await;
        let (_, stderr) = out(&o);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(text), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn requests_reach_the_server_signed_and_versioned() {
    let srv = server().await;
    let base = srv.base.clone();
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", &base).args([
        "--output",
        "json",
        "request",
        "POST",
        "/private-pair/account",
        "--api-version",
        "0.9,0.6;q=0.5",
        "--data",
        r#"{"q":"widget"}"#,
    ]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["version"], "0.6");
    assert_eq!(v["body"]["result"]["username"], "obiwan");
    assert_eq!(
        srv.bodies("/private-pair/account"),
        vec![br#"{"q":"widget"}"#.to_vec()]
    );

    // Body from stdin, with trace logging on: the secret never reaches the logs.
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", &base)
        .env("RUST_LOG", "trace")
        .args([
            "-vvv",
            "--output",
            "json",
            "request",
            "POST",
            "/private-pair/account",
            "--api-version",
            "0.7",
            "--data",
            "@-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let o = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = cmd.spawn().expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(br#"[1, 2, 3]"#)
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    })
    .await
    .expect("join");
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["version"], "0.7");
    assert_eq!(
        srv.bodies("/private-pair/account")[1],
        br#"[1, 2, 3]"#.to_vec()
    );
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "logging is on: {stderr}"
    );
    assert!(!stderr.contains(SECRET), "secret in the logs");

    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", &base).args([
        "--output",
        "json",
        "request",
        "GET",
        "/private-pair/account",
        "--api-version",
        "0.7",
    ]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(
        (
            v["status"].as_u64(),
            v["version"].as_str(),
            v["patch"].as_u64()
        ),
        (Some(200), Some("0.7"), Some(17))
    );
    assert_eq!(v["body"]["result"]["username"], "obiwan");

    let dest = home.path().join("out.json");
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", &base)
        .args([
            "request",
            "GET",
            "/cases/documents?ipId=US-1234567-B2",
            "--api-version",
            "0.6",
            "--out",
        ])
        .arg(&dest);
    let o = run(cmd).await;
    assert!(o.status.success(), "{}", out(&o).1);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&dest).expect("file")).expect("json");
    assert_eq!(saved["result"]["ip_id"], "US-1234567-B2");
}

#[tokio::test]
async fn versions_and_server_refusals() {
    let srv = server().await;
    let base = srv.base.clone();
    let home = tempfile::tempdir().expect("tempdir");
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", &base)
        .args(["versions", "--api", "veritas"]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(stdout, "veritas: 0.6, 0.7\n");

    // 300: typed, not retried, exit 7 with the offered versions; --out leaves no file.
    let dest = home.path().join("never.json");
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", &base)
        .args(["request", "GET", "/ids/x", "--api-version", "0.9", "--out"])
        .arg(&dest);
    let o = run(cmd).await;
    assert!(!dest.exists(), "a file was written for a 300");
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("offers 0.6, 0.7"), "{stderr}");
    assert!(stderr.contains("--api-version 0.6,0.7"), "{stderr}");
    assert_eq!(srv.arrivals("/ids/x").len(), 1);

    // Wrong secret: exit 5, the server's reason, and the secret never printed.
    let mut cmd = ipgate(home.path());
    cmd.env("INNOGRAPHY_BASE_URL", &base)
        .env("INNOGRAPHY_USERNAME", "obiwan")
        .env("INNOGRAPHY_SECRET", "not-the-right-one")
        .args(["request", "GET", "/ids/x", "--api-version", "0.6"]);
    let o = run(cmd).await;
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("signature does not match"), "{stderr}");
    assert!(!stderr.contains("not-the-right-one") && !stdout.contains("not-the-right-one"));

    // Nothing listening: a network error, exit 6.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut cmd = with_creds(ipgate(home.path()));
    cmd.env("INNOGRAPHY_BASE_URL", format!("http://127.0.0.1:{port}"))
        .args(["request", "POST", "/ids/x", "--api-version", "0.6"]);
    let o = run(cmd).await;
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot connect to http://127.0.0.1:{port}/ids/x")),
        "{stderr}"
    );
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(
        stderr.contains(&format!("the base URL is http://127.0.0.1:{port}"))
            && stderr.contains("INNOGRAPHY_BASE_URL"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_share_the_cases_rate_limit() {
    let srv = server().await;
    let base = srv.base.clone();
    let home = tempfile::tempdir().expect("tempdir");
    let spawn = || {
        let mut cmd = with_creds(ipgate(home.path()));
        cmd.env("INNOGRAPHY_BASE_URL", &base)
            .env("RUST_LOG", "ipgate_http=debug")
            .args([
                "request",
                "GET",
                "/cases/documents?ipId=US-1",
                "--api-version",
                "0.6",
            ]);
        tokio::task::spawn_blocking(move || cmd.output().expect("run"))
    };
    let children = [spawn(), spawn(), spawn()];
    // What the limiter guarantees is the spacing of the slots it hands out (logged by each
    // process); arrival gaps at the server also carry each request's own scheduling and connect
    // latency, so they are only checked not to precede their slots.
    let mut slots: Vec<u64> = Vec::new();
    for c in children {
        let o = c.await.expect("join");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stderr}");
        let found: Vec<u64> = stderr
            .lines()
            .filter(|l| l.contains("rate limit: slot reserved"))
            .filter_map(|l| l.split("slot_unix_ms=").nth(1))
            .filter_map(|v| v.split_whitespace().next()?.parse().ok())
            .collect();
        assert_eq!(found.len(), 1, "one slot per process: {stderr}");
        slots.extend(found);
    }
    slots.sort();
    let slot_gaps: Vec<u64> = slots.windows(2).map(|w| w[1] - w[0]).collect();
    for g in &slot_gaps {
        assert!(*g >= 1000, "slots closer than 1 s: {slot_gaps:?} ms");
    }
    let mut times = srv.arrivals("/cases/documents");
    times.sort();
    assert_eq!(times.len(), 3);
    // The i-th arrival is no earlier than the i-th slot (each request waits for its own slot).
    for (t, s) in times.iter().zip(&slots) {
        assert!(
            t.as_millis() >= u128::from(*s),
            "a request reached the server before its slot: arrivals {times:?}, slots {slots:?}"
        );
    }
    assert!(home.path().join("cache/innography-ratelimit").is_dir());
}

#[tokio::test]
async fn bad_profile_settings_are_config_errors() {
    let home = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[profiles.default.innography.rate_limits]\ncases = 0.0\n",
            "not a positive number",
        ),
        (
            "[profiles.default.innography.api_versions]\npatents = \"0.6\"\n",
            "unknown Innography API `patents`",
        ),
        (
            "[profiles.default.innography.api_versions]\ncases = \"0.6.1\"\n",
            "innography api_versions.cases",
        ),
        (
            "[profiles.default.innography]\nalgorithm = \"hmac-md5\"\n",
            "hmac-md5` is not supported",
        ),
    ];
    for (toml, text) in cases {
        let config = home.path().join("config.toml");
        std::fs::write(&config, toml).expect("config");
        let mut cmd = with_creds(ipgate(home.path()));
        cmd.env("IPGATE_CONFIG", &config).args([
            "request",
            "GET",
            "/cases/x",
            "--dry-run",
            "--date",
            DATE,
        ]);
        let o = run(cmd).await;
        let (stdout, stderr) = out(&o);
        assert_eq!(o.status.code(), Some(4), "{toml}: {stderr}");
        assert!(stderr.contains(text), "{toml}: {stderr}");
        assert!(stdout.is_empty(), "{toml}: printed {stdout}");
    }
}
