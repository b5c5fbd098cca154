//! `ipgate hague` end to end: the real binary against a spawned `ipgate sandbox serve`, over
//! HTTP on 127.0.0.1, every command, the duplicate refusal and the crash left `sending`.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::hws::{
    ServeOptions, Served, arg, kill_submit_while_sending, package, received, this_week,
};

/// The length of a JSON array (`None` when `v` is not one).
fn len(v: &serde_json::Value) -> Option<usize> {
    v.as_array().map(Vec::len)
}

#[test]
fn every_command_against_a_spawned_sandbox() {
    let s = Served::start(ServeOptions {
        serve_args: &["--speed", "50"],
        examining_office: true,
        tls: false,
    });

    let ping = s.json(&["hague", "ping", "--name", "e2e"], 0);
    assert_eq!(ping["sandbox"], false, "{ping}");
    assert_eq!(ping["message"], "Hello e2e", "{ping}");

    let pkg = package(&s, "E2E-ALL-1");
    let sub = s.json(&["hague", "submit", arg(&pkg), "--wait"], 0);
    assert_eq!(sub["sandbox"], false, "{sub}");
    let import_id = sub["import_id"].as_str().expect("import id").to_string();
    let srn = sub["srn"].as_str().expect("srn").to_string();
    assert_eq!(sub["status"], "Registered", "{sub}");
    assert_eq!(sub["final"], true, "{sub}");

    let imp = s.json(&["hague", "import-status", &import_id], 0);
    assert_eq!(imp["status"], "Imported", "{imp}");
    assert_eq!(imp["srn"], srn.as_str(), "{imp}");

    let st = s.json(&["hague", "status", &srn], 0);
    assert_eq!(st["status"], "Registered", "{st}");
    assert_eq!(st["srn"], srn.as_str(), "{st}");
    assert!(
        st["irn"].as_str().is_some_and(|i| i.starts_with("DM/")),
        "{st}"
    );

    // Unknown ids: 404 from HWS, exit 9, with the server's words and a hint.
    for args in [
        ["hague", "status", "SRN0000000"],
        ["hague", "import-status", "nope"],
    ] {
        let (code, stderr) = s.fails(&args);
        assert_eq!(code, Some(9), "{args:?}: {stderr}");
        assert!(
            stderr.contains("HTTP 404") && stderr.contains("hint: "),
            "{stderr}"
        );
    }
    // An id that cannot be one is refused before any request (exit 2).
    let (code, stderr) = s.fails(&["hague", "status", "../etc"]);
    assert_eq!(code, Some(2), "{stderr}");

    let tracked = s.json(&["hague", "track"], 0);
    assert_eq!(len(&tracked["open"]), Some(0), "{tracked}");

    // This week's issue appears on Friday at 11:00 UTC; publish it now, as the tests run any day.
    let week = this_week();
    s.admin(&["publish", &week]);
    let out = s.out();
    let b = s.json(
        &["hague", "bulletin", &week, "--out", arg(&out), "--extract"],
        0,
    );
    let zip = out.join(format!("bulletin-{week}.zip"));
    assert_eq!(b["path"], arg(&zip), "{b}");
    assert!(zip.is_file());
    let extracted = out.join(format!("bulletin-{week}"));
    assert!(extracted.join("SHA256SUMS").is_file(), "{b}");
    // The registration of this test is in this week's bulletin.
    let xml = std::fs::read_dir(&extracted)
        .expect("read extracted")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "xml"))
        .expect("one XML in the bulletin");
    let check = common::st96("check", &xml, false);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let cc = s.json(
        &["hague", "confidential-copy", &week, "--out", arg(&out)],
        0,
    );
    assert!(
        out.join(format!("confidential-{week}.zip")).is_file(),
        "{cc}"
    );

    // sync: three weeks, the current one already downloaded.
    let (y, w, _) = time::OffsetDateTime::now_utc().date().to_iso_week_date();
    let from = time::Date::from_iso_week_date(y, w, time::Weekday::Monday).expect("monday")
        - time::Duration::weeks(2);
    let (fy, fw, _) = from.to_iso_week_date();
    let from = format!("{fy:04}{fw:02}");
    let sync = s.json(
        &[
            "hague",
            "bulletin",
            "sync",
            "--from",
            &from,
            "--out",
            arg(&out),
        ],
        0,
    );
    assert_eq!(len(&sync["downloaded"]), Some(2), "{sync}");
    assert_eq!(len(&sync["skipped"]), Some(1), "{sync}");
    let again = s.json(
        &[
            "hague",
            "bulletin",
            "sync",
            "--from",
            &from,
            "--out",
            arg(&out),
        ],
        0,
    );
    assert_eq!(len(&again["downloaded"]), Some(0), "{again}");

    let history = s.json(&["hague", "history", "--events"], 0);
    let subs = history["submissions"].as_array().expect("submissions");
    assert_eq!(subs.len(), 1, "{history}");
    assert_eq!(subs[0]["import_id"], import_id.as_str());
    assert_eq!(subs[0]["office_reference"], "E2E-ALL-1");
    assert_eq!(len(&history["publications"]), Some(4), "{history}");

    // Human output names the essentials too.
    let out = s.ipgate().args(["hague", "history"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&import_id) && text.contains("Registered"),
        "{text}"
    );
}

#[test]
fn the_same_package_is_refused_with_the_earlier_import_id_unless_forced() {
    let s = Served::start(ServeOptions {
        serve_args: &["--speed", "50"],
        examining_office: false,
        tls: false,
    });
    let pkg = package(&s, "E2E-DUP-1");
    let first = s.json(&["hague", "submit", arg(&pkg)], 0);
    let import_id = first["import_id"].as_str().expect("import id");

    let out = s
        .ipgate()
        .args(["hague", "submit", arg(&pkg)])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(13), "{stderr}");
    assert!(stderr.contains(import_id), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");

    // Two processes sending one new package at the same moment: exactly one sends it.
    let twin = package(&s, "E2E-DUP-2");
    let children: Vec<_> = (0..2)
        .map(|_| {
            s.ipgate()
                .args(["hague", "submit", arg(&twin)])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn submit")
        })
        .collect();
    let mut codes: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait").status.code())
        .collect();
    codes.sort();
    assert_eq!(codes, [Some(0), Some(13)]);

    let forced = s.json(&["hague", "submit", arg(&pkg), "--force"], 0);
    assert_ne!(forced["import_id"], first["import_id"], "{forced}");
    let history = s.json(&["hague", "history"], 0);
    assert_eq!(len(&history["submissions"]), Some(3));
    let received = received(&s);
    assert_eq!(
        received.len(),
        3,
        "the package, its twin once, and the forced resend: {received:?}"
    );
}

#[test]
fn an_invalid_package_is_refused_before_anything_is_sent() {
    let s = Served::start(ServeOptions::default());
    let bad = s.dir.path().join("bad.zip");
    std::fs::write(&bad, b"PK\x05\x06not really a zip").expect("write");
    let out = s
        .ipgate()
        .args(["hague", "submit", arg(&bad)])
        .output()
        .expect("run");
    assert!(
        matches!(out.status.code(), Some(1) | Some(3)),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let history = s.json(&["hague", "history"], 0);
    assert_eq!(len(&history["submissions"]), Some(0), "{history}");
}

#[test]
fn a_submission_killed_while_sending_is_never_resent() {
    // The sandbox holds every POST /request for a minute before answering: the CLI has written
    // `sending` in the journal and is waiting for the answer when it is killed.
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "submit=latency:60000"],
        examining_office: false,
        tls: false,
    });
    let pkg = package(&s, "E2E-CRASH-1");
    kill_submit_while_sending(&s, &pkg, Duration::from_secs(60));

    let tracked = s.json(&["hague", "track"], 0);
    let open = tracked["open"].as_array().expect("open");
    assert_eq!(open.len(), 1, "{tracked}");
    assert_eq!(open[0]["state"], "sending", "{tracked}");
    let action = open[0]["action"].as_str().expect("action");
    assert!(action.contains("never resends"), "{action}");
    assert!(action.contains("--force"), "{action}");

    let out = s
        .ipgate()
        .args(["hague", "submit", arg(&pkg)])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(13), "{stderr}");
    assert!(stderr.contains("sending"), "{stderr}");

    let history = s.json(&["hague", "history"], 0);
    assert_eq!(len(&history["submissions"]), Some(1), "{history}");
    assert_eq!(history["submissions"][0]["state"], "sending");
    let id = history["submissions"][0]["id"]
        .as_i64()
        .expect("id")
        .to_string();

    // The operator asks WIPO (here: the sandbox's list of received packages: the POST was still
    // held when the CLI died, so nothing was filed) and records the answer; the package may then
    // be sent again without --force, and is sent once.
    let received = received(&s);
    assert!(received.is_empty(), "{received:?}");
    let (code, stderr) = s.fails(&["hague", "resolve", &id]);
    assert_eq!(code, Some(2), "an outcome is required: {stderr}");
    let resolved = s.json(
        &[
            "hague",
            "resolve",
            &id,
            "--not-received",
            "sandbox admin: nothing received",
        ],
        0,
    );
    assert_eq!(resolved["state"], "failed", "{resolved}");
    let (code, stderr) = s.fails(&["hague", "resolve", &id, "--received", "IMP-1"]);
    assert_ne!(code, Some(0), "resolved already: {stderr}");
    s.admin(&["faults", "none"]);
    let sent = s.json(&["hague", "submit", arg(&pkg)], 0);
    assert!(sent["import_id"].is_string(), "{sent}");
    let tracked = s.json(&["hague", "track"], 0);
    assert_eq!(len(&tracked["open"]), Some(1), "{tracked}");
    assert!(tracked["open"][0]["action"].is_null(), "{tracked}");
}

#[test]
fn an_interrupted_download_resumes_where_it_stopped() {
    // The sandbox sends half of every bulletin, then closes: the first download fails and leaves
    // its partial file (never at the final name).
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "bulletin=truncate"],
        examining_office: false,
        tls: false,
    });
    // This week's issue appears on Friday at 11:00 UTC; publish it now, as the tests run any day.
    let week = this_week();
    s.admin(&["publish", &week]);
    let out = s.out();
    let zip = out.join(format!("bulletin-{week}.zip"));
    let first = s
        .ipgate()
        .args(["hague", "bulletin", &week, "--out", arg(&out)])
        .output()
        .expect("run");
    assert_eq!(
        first.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(!zip.exists(), "no partial file at the final path");
    let partial: u64 = std::fs::read_dir(&out)
        .expect("out dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .map(|e| e.metadata().expect("meta").len())
        .sum();
    assert!(partial > 0, "a partial download is kept to resume");

    s.admin(&["faults", "none"]);
    let second = s.json(&["hague", "bulletin", &week, "--out", arg(&out)], 0);
    assert_eq!(second["resumed_from"].as_u64(), Some(partial), "{second}");

    // The resumed file is the whole bulletin: byte for byte what a fresh download gets.
    let fresh_dir = s.dir.path().join("fresh");
    let fresh = s.json(&["hague", "bulletin", &week, "--out", arg(&fresh_dir)], 0);
    assert_eq!(fresh["resumed_from"].as_u64(), Some(0), "{fresh}");
    assert_eq!(second["sha256"], fresh["sha256"]);
    assert_eq!(
        std::fs::read(&zip).expect("resumed"),
        std::fs::read(fresh_dir.join(format!("bulletin-{week}.zip"))).expect("fresh")
    );
}

#[test]
fn server_answers_map_to_distinct_exit_codes() {
    // pingMe fails with 500, every service-request status is rate-limited, and this client is not
    // an examining office.
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "ping=500;request-status=429:1"],
        examining_office: false,
        tls: false,
    });
    let (code, stderr) = s.fails(&["hague", "ping"]);
    assert_eq!(code, Some(12), "server failure: {stderr}");
    assert!(
        stderr.contains("HTTP 500") && stderr.contains("hint: "),
        "{stderr}"
    );

    let (code, stderr) = s.fails(&["hague", "status", "SR00000001"]);
    assert_eq!(code, Some(11), "rate-limited: {stderr}");
    assert!(stderr.contains("429"), "{stderr}");

    // A registration takes this sandbox about 8 s (speed 1): a 1 s wait gives up, exit 14, and
    // the submission stays on file as sent, for `track`.
    let pkg = package(&s, "E2E-WAIT-1");
    let (code, stderr) = s.fails(&[
        "hague",
        "submit",
        arg(&pkg),
        "--wait",
        "--wait-timeout",
        "1",
    ]);
    assert_eq!(code, Some(14), "still pending: {stderr}");
    let history = s.json(&["hague", "history"], 0);
    assert_eq!(history["submissions"][0]["state"], "sent", "{history}");

    // This week's issue appears on Friday at 11:00 UTC; publish it now, as the tests run any day.
    let week = this_week();
    s.admin(&["publish", &week]);
    let out = s.out();
    let (code, stderr) = s.fails(&["hague", "confidential-copy", &week, "--out", arg(&out)]);
    assert_eq!(code, Some(5), "not an examining office: {stderr}");
    assert!(stderr.contains("examining offices"), "{stderr}");
    assert!(
        !out.join(format!("confidential-{week}.zip")).exists(),
        "nothing written"
    );
}

#[test]
fn over_https_the_profile_trusts_the_ca_file_it_names() {
    let s = Served::start(ServeOptions {
        serve_args: &["--speed", "50"],
        examining_office: false,
        tls: true,
    });
    assert!(s.hws.starts_with("https://"), "{}", s.hws);
    // Login and HWS over TLS, trusting the sandbox's CA (ca_file in [profiles.NAME.hws]).
    let ping = s.json(&["hague", "ping"], 0);
    assert_eq!(ping["message"], "Hello ipgate", "{ping}");
    let pkg = package(&s, "E2E-TLS-1");
    let sub = s.json(&["hague", "submit", arg(&pkg)], 0);
    assert!(sub["import_id"].is_string(), "{sub}");

    // Without the CA file, the certificate is refused: never an unverified connection.
    let config = std::fs::read_to_string(s.config()).expect("config");
    let without: String = config
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(s.config(), without).expect("write config");
    let (code, stderr) = s.fails(&["hague", "ping", "--name", "untrusted"]);
    assert_eq!(code, Some(6), "a TLS failure is a network error: {stderr}");
}

#[test]
fn the_hws_base_url_comes_from_the_flag_then_the_environment_then_the_file() {
    let s = Served::start(ServeOptions::default());
    // Nothing listens on port 1 of 127.0.0.1: a base URL there fails with a network error.
    let nowhere = "http://127.0.0.1:1/webservices/api/v1";
    let ping = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = s.ipgate();
        if let Some(url) = env {
            cmd.env("IPGATE_HWS_BASE_URL", url);
        }
        cmd.args(["hague", "ping"]);
        if let Some(url) = flag {
            cmd.args(["--hws-base-url", url]);
        }
        let o = cmd.output().expect("run ipgate");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // The file's base URL works; the environment's wins over it; the flag wins over both.
    assert_eq!(ping(None, None).0, Some(0));
    let (code, stderr) = ping(Some(nowhere), None);
    assert_eq!(code, Some(6), "{stderr}");
    assert_eq!(ping(Some(nowhere), Some(&s.hws)).0, Some(0));
    let (code, stderr) = ping(None, Some(nowhere));
    assert_eq!(code, Some(6), "{stderr}");
    // An empty variable counts as unset.
    assert_eq!(ping(Some(""), None).0, Some(0));

    // `config show` names where the value came from; `--help` names the variables.
    let v = {
        let o = s
            .ipgate()
            .env("IPGATE_HWS_BASE_URL", nowhere)
            .args(["--output", "json", "config", "show"])
            .output()
            .expect("run ipgate");
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")
    };
    let row = v["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|r| r["key"] == "hws.base_url")
        .expect("hws.base_url")
        .clone();
    assert_eq!(row["value"], nowhere, "{row}");
    assert_eq!(row["source"], "environment", "{row}");
    let help = s.ipgate().args(["hague", "--help"]).output().expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for var in ["IPGATE_HWS_BASE_URL", "IPGATE_HWS_CA_FILE", "IPGATE_CONFIG"] {
        assert!(help.contains(&format!("[env: {var}")), "{var}: {help}");
    }
}
