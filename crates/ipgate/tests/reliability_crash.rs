//! Crash safety (issue 14): the CLI killed with SIGKILL in the middle of `ipgate hague submit`
//! before the POST left, and in the middle of a bulletin download; the next run reconciles, files
//! nothing twice, resumes the download and leaves no stale temporary file. (Killed after the POST
//! left and before the answer: `hague.rs`, `a_submission_killed_while_sending_is_never_resent`.)

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::hws::{
    ServeOptions, Served, arg, kill_submit_while_sending, package, received, this_week,
};

/// The sandbox's request log for `route`, as JSON records.
fn requests(s: &Served, route: &str) -> Vec<serde_json::Value> {
    let v = s.json(
        &[
            "sandbox",
            "admin",
            "--url",
            &s.base(),
            "requests",
            "--route",
            route,
        ],
        0,
    );
    v["requests"]
        .as_array()
        .or_else(|| v.as_array())
        .cloned()
        .unwrap_or_default()
}

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
