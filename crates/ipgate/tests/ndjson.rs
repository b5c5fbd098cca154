//! `--output ndjson` streams: each record is a line on stdout the moment it is known (a reader sees
//! it while the command still runs), the summary comes last; `--output json` stays one document.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use common::hws::{ServeOptions, Served, arg, package};

/// Every line of `stdout` parsed as JSON.
fn lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect()
}

/// The lines of `list`.
fn records<'a>(lines: &'a [serde_json::Value], list: &str) -> Vec<&'a serde_json::Value> {
    lines.iter().filter(|l| l["record"] == list).collect()
}

/// The ISO week `weeks_ago` weeks before this one, `yyyyww`.
fn week_ago(weeks_ago: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::weeks(weeks_ago);
    let (y, w, _) = d.to_iso_week_date();
    format!("{y:04}{w:02}")
}

#[test]
fn bulletin_sync_writes_each_week_while_the_others_still_download() {
    // Two weeks at once; the first bulletin request HWS sees is held for 30 s, the other is not.
    let s = Served::start(ServeOptions {
        serve_args: &["--faults", "bulletin=latency:30000#1"],
        ..ServeOptions::default()
    });
    let (a, b) = (week_ago(2), week_ago(1));
    let out = s.out();
    let mut child = s
        .ipgate()
        .args(["--output", "ndjson", "hague", "bulletin", "sync"])
        .args(["--from", &a, "--to", &b, "--concurrency", "2", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ipgate");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read the first line");
    // The held week cannot have finished: the line came while the run was still going.
    let running = child.try_wait().expect("try_wait").is_none();
    child.kill().expect("stop the run");
    let _ = child.wait();
    let first: serde_json::Value = serde_json::from_str(&first).expect("a JSON line");
    assert_eq!(first["record"], "downloaded", "{first}");
    let done = first["week"].as_str().expect("week").to_string();
    assert!(done == a || done == b, "{first}");
    assert!(
        Path::new(first["path"].as_str().expect("path")).is_file(),
        "{first}"
    );
    assert!(
        running,
        "the first week's line came only when the run ended"
    );

    // Again without the fault: the finished week is `skipped` (written before any download),
    // the other is `downloaded`, then the summary without the streamed lists.
    s.admin(&["faults", "none"]);
    let o = s
        .ipgate()
        .args(["--output", "ndjson", "hague", "bulletin", "sync"])
        .args(["--from", &a, "--to", &b, "--out"])
        .arg(&out)
        .output()
        .expect("run ipgate");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let l = lines(&o.stdout);
    assert_eq!(l.len(), 3, "{l:#?}");
    assert_eq!(l[0]["record"], "skipped", "{l:#?}");
    assert_eq!(l[0]["week"], done.as_str());
    assert_eq!(l[1]["record"], "downloaded", "{l:#?}");
    let summary = &l[2];
    assert_eq!(summary["record"], "summary", "{l:#?}");
    assert_eq!(summary["from"], a.as_str());
    for streamed in ["skipped", "downloaded", "missing", "failed"] {
        assert!(summary.get(streamed).is_none(), "{summary}");
    }

    // --output json: one document with every list.
    let v = s.json(
        &[
            "hague",
            "bulletin",
            "sync",
            "--from",
            &a,
            "--to",
            &b,
            "--out",
            arg(&out),
        ],
        0,
    );
    assert_eq!(v["skipped"].as_array().map(Vec::len), Some(2), "{v:#}");
    assert_eq!(v["downloaded"], serde_json::json!([]), "{v:#}");
    assert_eq!(v["missing"], serde_json::json!([]), "{v:#}");
}

#[test]
fn history_and_track_write_a_line_per_row_then_the_summary() {
    let s = Served::start(ServeOptions::default());
    for reference in ["NDJSON-1", "NDJSON-2"] {
        let pkg = package(&s, reference);
        let o = s
            .ipgate()
            .args(["hague", "submit", arg(&pkg)])
            .output()
            .expect("submit");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let run = |args: &[&str]| {
        let o = s
            .ipgate()
            .args(["--output", "ndjson"])
            .args(args)
            .output()
            .expect("run ipgate");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        lines(&o.stdout)
    };

    let h = run(&["hague", "history", "--events"]);
    let subs = records(&h, "submissions");
    assert_eq!(subs.len(), 2, "{h:#?}");
    assert!(
        subs.iter()
            .all(|r| r["events"].as_array().is_some_and(|e| !e.is_empty()))
    );
    let last = h.last().expect("a summary");
    assert_eq!(last["record"], "summary", "{h:#?}");
    assert!(
        last["journal"].is_string() && last.get("submissions").is_none(),
        "{last}"
    );

    let t = run(&["hague", "track"]);
    let open = records(&t, "open");
    assert_eq!(open.len(), 2, "{t:#?}");
    assert!(open.iter().all(|r| r["state"] == "sent"), "{t:#?}");
    assert_eq!(t.last().expect("summary")["record"], "summary");

    // JSON: still one document.
    let v = s.json(&["hague", "history"], 0);
    assert_eq!(v["submissions"].as_array().map(Vec::len), Some(2), "{v:#}");
    let v = s.json(&["hague", "track"], 0);
    assert_eq!(v["open"].as_array().map(Vec::len), Some(2), "{v:#}");
}

/// A bulletin package from tools/gen-bulletin.py with `registrations` registrations; `spoil`
/// rewrites its XML before it is zipped.
fn bulletin(dir: &Path, name: &str, registrations: u32, spoil: fn(String) -> String) -> String {
    let xml = dir.join("bulletin.xml");
    let zip = dir.join(format!("{name}.zip"));
    let images = dir.join(format!("{name}-files"));
    let st = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/gen-bulletin.py"))
        .args(["--registrations", &registrations.to_string(), "--out"])
        .arg(&xml)
        .arg("--images")
        .arg(&images)
        .stdout(Stdio::null())
        .status()
        .expect("run tools/gen-bulletin.py");
    assert!(st.success());
    let text = std::fs::read_to_string(&xml).expect("read the bulletin");
    std::fs::write(images.join("bulletin.xml"), spoil(text)).expect("write the XML");
    let st = Command::new("zip")
        .current_dir(&images)
        .args(["-qr"])
        .arg(&zip)
        .arg(".")
        .status()
        .expect("run zip");
    assert!(st.success());
    zip.display().to_string()
}

#[test]
fn package_inspect_writes_each_bulletin_record_as_the_reader_yields_it() {
    let t = tempfile::tempdir().expect("tempdir");
    let good = bulletin(t.path(), "good", 12, |x| x);
    let o = common::ipgate()
        .args(["--output", "ndjson", "package", "inspect", &good])
        .output()
        .expect("run ipgate");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let l = lines(&o.stdout);
    let recs = records(&l, "ib_records");
    // 12 registrations and one each of renewal, refusal, grant, in document order.
    assert_eq!(recs.len(), 15, "{l:#?}");
    assert_eq!(recs[0]["kind"], "HagueRegistration");
    assert_eq!(recs[0]["irn"], "DM/201000");
    assert!(
        recs.windows(2)
            .all(|w| w[0]["line"].as_u64() < w[1]["line"].as_u64())
    );
    let summary = l.last().expect("summary");
    assert_eq!(summary["record"], "summary");
    assert_eq!(summary["records"]["by_kind"]["HagueRegistration"], 12);

    // The last record is refused by the ST.96 model: the run fails there, and every record
    // before it is already out (written as read, not at the end).
    let bad = bulletin(t.path(), "bad", 12, |x| {
        let at = x
            .rfind("<com:DocumentFormatCategory>PDF<")
            .expect("the grant's document");
        let mut x = x;
        x.replace_range(at..at + 31, "<com:DocumentFormatCategory>PDQ");
        x
    });
    let o = common::ipgate()
        .args(["--output", "ndjson", "package", "inspect", &bad])
        .output()
        .expect("run ipgate");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("XSD001"), "{err}");
    let l = lines(&o.stdout);
    assert_eq!(records(&l, "ib_records").len(), 14, "{l:#?}");
    assert!(records(&l, "summary").is_empty(), "{l:#?}");

    // JSON: one document, the records counted, not listed.
    let o = common::ipgate()
        .args(["--output", "json", "package", "inspect", &good])
        .output()
        .expect("run ipgate");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(v["records"]["by_kind"]["HagueRenewal"], 1, "{v:#}");
    assert!(v.get("ib_records").is_none());
}
