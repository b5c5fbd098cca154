//! `ipgate doctor` end to end: the real binary against a spawned `ipgate sandbox serve` (a real
//! profile) and against the embedded sandbox (no profile).

mod common;

use std::os::unix::fs::PermissionsExt;

use common::hws::{ServeOptions, Served};

/// The checks of a JSON report by name: (status, detail).
fn statuses(v: &serde_json::Value) -> std::collections::BTreeMap<String, String> {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().expect("name").to_string(),
                c["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_working_profile_passes_every_check_and_a_broken_one_fails_with_the_fix() {
    let s = Served::start(ServeOptions::default());
    let v = s.json(&["doctor"], 0);
    let st = statuses(&v);
    assert_eq!(v["ok"], true, "{v:#}");
    for name in [
        "config",
        "key",
        "certificate",
        "clock",
        "discovery",
        "token",
        "pingMe",
        "journal",
    ] {
        assert_eq!(
            st.get(name).map(String::as_str),
            Some("pass"),
            "{name}: {v:#}"
        );
    }
    // Plain HTTP on 127.0.0.1 is reachable but warned about (WIPO is HTTPS).
    assert_eq!(st["reach issuer"], "warn", "{v:#}");
    assert_eq!(st["reach hws"], "warn", "{v:#}");

    assert_eq!(st["innography"], "skip", "{v:#}");

    // Innography credentials: a consumer the sandbox knows passes, a wrong secret fails.
    let secret = s.dir.path().join("innography.secret");
    std::fs::write(&secret, "doctor-secret-0123456789\n").expect("write secret");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = s
        .ipgate()
        .args(["sandbox", "register-innography-consumer", "--state"])
        .arg(s.state())
        .args(["--username", "doctor", "--secret-file"])
        .arg(&secret)
        .output()
        .expect("register consumer");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let innography = |secret_value: Option<&str>| {
        let mut cmd = s.ipgate();
        cmd.env("INNOGRAPHY_BASE_URL", &s.innography)
            .env("INNOGRAPHY_USERNAME", "doctor")
            .env("INNOGRAPHY_SECRET_FILE", &secret);
        if let Some(v) = secret_value {
            cmd.env("INNOGRAPHY_SECRET", v);
        }
        let out = cmd
            .args(["--output", "json", "doctor"])
            .output()
            .expect("run ipgate doctor");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        (out.status.code(), statuses(&v)["innography"].clone(), v)
    };
    let (code, status, v) = innography(None);
    assert_eq!((code, status.as_str()), (Some(0), "pass"), "{v:#}");
    let (code, status, v) = innography(Some("a-wrong-secret-0123456789"));
    assert_eq!((code, status.as_str()), (Some(1), "fail"), "{v:#}");
    assert!(!v.to_string().contains("a-wrong-secret"), "{v:#}");

    // A key others can read fails, names the chmod, and the exit code says so.
    let key = s.dir.path().join("keys/hague4offices_private.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = s
        .ipgate()
        .args(["doctor"])
        .output()
        .expect("run ipgate doctor");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("[FAIL] key") && stdout.contains("chmod 600"),
        "{stdout}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    // A certificate of another key fails.
    let other = s.dir.path().join("other-keys");
    let o = s
        .ipgate()
        .args(["keys", "generate", "--client-name", "OTHER", "--out"])
        .arg(&other)
        .output()
        .expect("keygen");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let cert = s.dir.path().join("keys/es256_cert.pem");
    let mine = std::fs::read(&cert).expect("read cert");
    std::fs::copy(other.join("es256_cert.pem"), &cert).expect("swap cert");
    let v = s.json(&["doctor"], 1);
    assert_eq!(statuses(&v)["certificate"], "fail", "{v:#}");
    assert_eq!(v["ok"], false);
    std::fs::write(&cert, mine).expect("restore cert");

    // A submission left `sending` (a crash between the journal write and the POST's answer) is a
    // warning that names how to resolve it; nothing fails.
    let journal = hague_journal::Journal::open(&s.journal()).expect("open journal");
    let ticket = journal
        .begin_submission(
            &hague_journal::Sha256Hex::digest(b"a package"),
            9,
            &hague_journal::SubmissionMeta::default(),
            false,
        )
        .expect("begin");
    drop((ticket, journal));
    let v = s.json(&["doctor"], 0);
    assert_eq!(statuses(&v)["journal"], "warn", "{v:#}");
    assert!(v.to_string().contains("hague resolve"), "{v:#}");

    // An issuer nobody listens on: reachability fails (environment over the file), exit 1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let out = s
        .ipgate()
        .env(
            "IPGATE_ISSUER",
            format!("http://127.0.0.1:{port}/am/oauth2"),
        )
        .args(["--output", "json", "doctor"])
        .output()
        .expect("run ipgate doctor");
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let st = statuses(&v);
    assert_eq!(st["reach issuer"], "fail", "{v:#}");
    assert_eq!(st["pingMe"], "fail", "{v:#}");
    assert_eq!(st["reach hws"], "warn", "{v:#}");

    // IPGATE_HWS_BASE_URL overrides the file's base_url, for doctor and for `hague` alike.
    let dead = format!("http://127.0.0.1:{port}/webservices/api/v1");
    let out = s
        .ipgate()
        .env("IPGATE_HWS_BASE_URL", &dead)
        .args(["--output", "json", "doctor"])
        .output()
        .expect("run ipgate doctor");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(statuses(&v)["reach hws"], "fail", "{v:#}");
    let out = s
        .ipgate()
        .env("IPGATE_HWS_BASE_URL", &dead)
        .args(["hague", "ping"])
        .output()
        .expect("run ipgate hague ping");
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ipgate` with `home` as HOME and its data and cache directories, and no profile settings from
/// the environment.
fn without_profile(home: &std::path::Path) -> std::process::Command {
    let mut cmd = common::ipgate();
    cmd.env("HOME", home)
        .env("IPGATE_DATA_DIR", home.join("data"))
        .env("IPGATE_CACHE_DIR", home.join("cache"))
        .env_remove("IPGATE_ISSUER")
        .env_remove("IPGATE_HWS_BASE_URL")
        .env_remove("IPGATE_CLIENT_ID")
        .env_remove("IPGATE_KEY_FILE")
        .env_remove("IPGATE_TOKEN_ENDPOINT");
    cmd
}

#[test]
fn without_a_profile_doctor_checks_the_embedded_sandbox_and_warns_it_is_one() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = without_profile(home.path())
        .env_remove("IPGATE_SCHEMAS")
        .args(["--output", "json", "doctor"])
        .output()
        .expect("run ipgate doctor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let st = statuses(&v);
    assert_eq!(st["config"], "warn", "{v:#}");
    assert_eq!(st["pingMe"], "pass", "{v:#}");
    assert_eq!(st["journal"], "pass", "{v:#}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("SANDBOX"));
}

#[test]
fn ndjson_prints_each_check_on_a_line_then_the_summary_and_json_stays_one_document() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = |format: &str| {
        let out = without_profile(home.path())
            .args(["--output", format, "doctor"])
            .output()
            .expect("run ipgate doctor");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let ndjson = run("ndjson");
    let lines: Vec<serde_json::Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (summary, records) = lines.split_last().expect("lines");
    assert!(records.len() >= 3, "{ndjson}");
    assert!(
        records
            .iter()
            .all(|r| r["record"] == "checks" && r["status"].is_string()),
        "{ndjson}"
    );
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["ok"], true);
    let json = run("json");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("one document");
    assert_eq!(doc["checks"].as_array().map(Vec::len), Some(records.len()));
}

#[test]
fn a_server_clock_30_s_off_warns_and_4_min_off_fails() {
    // `sandbox serve --date-offset`: every answer's Date is that far off (only the header, so the
    // login itself still works and the clock check is the one that speaks).
    let doctor = |offset: &str, code: i32| {
        let s = Served::start(ServeOptions {
            serve_args: &["--date-offset", offset],
            ..ServeOptions::default()
        });
        let v = s.json(&["doctor"], code);
        let clock = v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["name"] == "clock")
            .expect("a clock check")
            .clone();
        (statuses(&v), clock, v)
    };
    // A minute ahead: a warning naming the skew and NTP; nothing fails, exit 0.
    let (st, clock, v) = doctor("60", 0);
    assert_eq!(st["clock"], "warn", "{v:#}");
    assert_eq!(st["token"], "pass", "{v:#}");
    assert_eq!(v["ok"], true, "{v:#}");
    let detail = clock["detail"].as_str().expect("detail");
    assert!(
        ["59 s", "60 s", "61 s"]
            .iter()
            .any(|d| detail.starts_with(d)),
        "{clock}"
    );
    assert!(
        clock["fix"].as_str().expect("fix").contains("NTP"),
        "{clock}"
    );
    // Five minutes behind: past WIPO's longest assertion lifetime, a failure, exit 1.
    let (st, clock, v) = doctor("-300", 1);
    assert_eq!(st["clock"], "fail", "{v:#}");
    assert_eq!(v["ok"], false, "{v:#}");
    assert!(
        clock["fix"]
            .as_str()
            .expect("fix")
            .contains("refuses assertions"),
        "{clock}"
    );
}
