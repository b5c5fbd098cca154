//! Crash safety (issue 14): the CLI killed with SIGKILL in the middle of `ipgate hague submit`
//! before the POST left, and in the middle of a bulletin download; the next run reconciles, files
//! nothing twice, resumes the download and leaves no stale temporary file; and after the answer
//! arrived, before the journal recorded it (the test holds the journal's SQLite write lock, a real
//! lock and no hook in the CLI). The sandbox killed with SIGKILL keeps its state. (Killed after the
//! POST left and before the answer: `hague.rs`, `a_submission_killed_while_sending_is_never_resent`.)

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::hws::{
    ServeOptions, Served, arg, kill_submit_while_sending, package, received, requests,
    spawn_submit_until_sending, this_week,
};

#[test]
fn a_submission_killed_before_the_post_left_is_on_file_and_nothing_was_filed() {
    // The token endpoint holds every request for a minute: the journal says `sending`, the
    // package has not left.
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "token=latency:60000"],
        examining_office: false,
        tls: false,
    });
    let pkg = package(&s, "CRASH-BEFORE-POST");
    kill_submit_while_sending(&s, &pkg, Duration::from_secs(50));
    s.admin(&["faults", "none"]);
    // Nothing reached POST /request.
    assert!(requests(&s, "submit").is_empty(), "a POST was made");
    assert!(received(&s).is_empty());
    // The journal still says what it knows (sending, by a process now dead): the package is
    // refused rather than risked twice (exit 13), and `track` names what to do.
    let (code, stderr) = s.fails(&["hague", "submit", arg(&pkg)]);
    assert_eq!(code, Some(13), "{stderr}");
    let tracked = s.json(&["hague", "track"], 0);
    assert_eq!(tracked["open"][0]["state"], "sending", "{tracked}");
    assert!(received(&s).is_empty(), "nothing was filed");
    // Once the operator has checked (here: the sandbox received nothing), --force sends it once.
    let sent = s.json(&["hague", "submit", arg(&pkg), "--force"], 0);
    assert!(sent["import_id"].as_str().is_some(), "{sent}");
    assert_eq!(received(&s).len(), 1, "filed exactly once");
}

#[test]
fn a_download_killed_half_way_resumes_and_leaves_no_temporary_file() {
    // Bulletins trickle at 1 kB/s: the CLI is killed while the part file is open. (ipgate-http
    // buffers up to 1 MiB before writing, so what the part file holds at the kill may be less than
    // what arrived; the resume takes over whatever it holds.)
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "bulletin=slow:1000"],
        examining_office: false,
        tls: false,
    });
    let week = this_week();
    s.admin(&["publish", &week]);
    let out = s.out();
    std::fs::create_dir_all(&out).expect("out");
    let zip = out.join(format!("bulletin-{week}.zip"));
    let part = out.join(format!("bulletin-{week}.zip.part"));
    let mut child = s
        .ipgate()
        .args(["hague", "bulletin", &week, "--out", arg(&out)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn bulletin");
    let deadline = Instant::now() + Duration::from_secs(50);
    while !part.exists() {
        assert!(
            Instant::now() < deadline,
            "no part file grew: {:?}",
            std::fs::read_dir(&out).map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the download ended before it was killed"
    );
    child.kill().expect("SIGKILL the CLI");
    let _ = child.wait();
    assert!(!zip.exists(), "no partial file at the final path");
    let kept = std::fs::metadata(&part).map_or(0, |m| m.len());

    s.admin(&["faults", "none"]);
    let second = s.json(&["hague", "bulletin", &week, "--out", arg(&out)], 0);
    let resumed = second["resumed_from"].as_u64().expect("resumed_from");
    assert!(resumed <= kept, "{second} (kept {kept})");
    assert!(zip.exists(), "{second}");
    // Byte for byte what a fresh download gets, and no temporary file left behind.
    let fresh_dir = s.dir.path().join("fresh");
    let fresh = s.json(&["hague", "bulletin", &week, "--out", arg(&fresh_dir)], 0);
    assert_eq!(second["sha256"], fresh["sha256"]);
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".part") || n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "stale temporary files: {leftovers:?}");
}

#[test]
fn a_submission_killed_after_the_answer_before_the_journal_update_is_never_filed_twice() {
    // The answer to POST /request comes after 2 s; meanwhile the test takes the journal's write
    // lock (`BEGIN EXCLUSIVE`, what another ipgate process would hold), so the CLI, answer in
    // hand, waits on its journal update (busy timeout 30 s) and is killed there.
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "submit=latency:2000"],
        examining_office: false,
        tls: false,
    });
    let pkg = package(&s, "CRASH-AFTER-ANSWER");
    let mut child = spawn_submit_until_sending(&s, &pkg, std::time::Duration::from_secs(50));
    let lock = rusqlite::Connection::open(s.journal()).expect("open the journal");
    lock.execute_batch("BEGIN EXCLUSIVE")
        .expect("take the journal's write lock");
    let deadline = Instant::now() + Duration::from_secs(50);
    while !requests(&s, "submit")
        .iter()
        .any(|r| r["status"].as_u64() == Some(202))
    {
        assert!(Instant::now() < deadline, "the sandbox never answered 202");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The answer is on its way over loopback; the CLI then blocks on the lock.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "the CLI ended although the journal was locked"
    );
    child.kill().expect("SIGKILL the CLI");
    let _ = child.wait();
    lock.execute_batch("ROLLBACK").expect("release the lock");
    drop(lock);

    // WIPO (the sandbox) has it once; the journal never heard the answer.
    let got = received(&s);
    assert_eq!(got.len(), 1, "{got:?}");
    let import_id = got[0]["import_id"].as_str().expect("import id").to_owned();
    let history = s.json(&["hague", "history"], 0);
    let sub = &history["submissions"][0];
    assert_eq!(sub["state"], "sending", "{history}");
    assert!(sub["import_id"].is_null(), "{history}");
    // Sending it again is refused (exit 13), nothing filed twice.
    let (code, stderr) = s.fails(&["hague", "submit", arg(&pkg)]);
    assert_eq!(code, Some(13), "{stderr}");
    assert_eq!(received(&s).len(), 1, "filed twice");
    // `track` says what is unknown and how to find out, naming the package's SHA-256.
    let tracked = s.json(&["hague", "track"], 0);
    let open = &tracked["open"][0];
    assert_eq!(open["state"], "sending", "{tracked}");
    let sha = got[0]["sha256"].as_str().expect("sha256");
    assert!(
        open["action"].as_str().is_some_and(|a| a.contains(sha)),
        "{tracked}"
    );
    // The operator found it at WIPO under this import id: resolved, and `track` follows it.
    let id = sub["id"]
        .as_u64()
        .or_else(|| sub["submission"].as_u64())
        .expect("submission number")
        .to_string();
    s.json(&["hague", "resolve", &id, "--received", &import_id], 0);
    let tracked = s.json(&["hague", "track"], 0);
    let open = &tracked["open"][0];
    assert_eq!(open["state"], "sent", "{tracked}");
    assert_eq!(open["import_id"], import_id.as_str(), "{tracked}");
    assert!(open["status"].is_string(), "track asked HWS: {tracked}");
    assert_eq!(received(&s).len(), 1, "filed twice");
}

#[test]
fn the_sandbox_killed_with_sigkill_restarts_with_its_state() {
    let mut s = Served::start(ServeOptions::default());
    let first = s.json(&["hague", "submit", arg(&package(&s, "SANDBOX-KILL-1"))], 0);
    let before = received(&s);
    let clients = s.json(&["sandbox", "admin", "--url", &s.base(), "clients"], 0);
    s.kill9_and_restart();
    let after = received(&s);
    let key = |v: &[serde_json::Value]| {
        v.iter()
            .map(|r| {
                (
                    r["import_id"].clone(),
                    r["sha256"].clone(),
                    r["size"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&after), key(&before), "the received packages survive");
    assert_eq!(
        s.json(&["sandbox", "admin", "--url", &s.base(), "clients"], 0),
        clients,
        "the registrations survive"
    );
    // The token the CLI cached before the kill is still honoured, the import still known, and a
    // new submission gets a new import id (the counters went on).
    let import_id = first["import_id"].as_str().expect("import id");
    s.json(&["hague", "import-status", import_id], 0);
    let second = s.json(&["hague", "submit", arg(&package(&s, "SANDBOX-KILL-2"))], 0);
    assert_ne!(second["import_id"], first["import_id"]);
    assert_eq!(received(&s).len(), 2);
}
