//! Servers that lie (issue 14, hostile inputs), through the CLI: a status document that is not
//! XML, a publication shorter than its announced `Content-Length`, a redirect to another host.
//! Each: the exit code, nothing at the final path, and what the journal and `track` say.
//! (The same faults through the library: `hws-client/tests/fault_matrix.rs`
//! `lying_answers_end_in_typed_errors_and_leave_nothing_behind`.)

mod common;

use common::hws::{ServeOptions, Served, arg, package, received, this_week};

/// Exit codes (docs/cli.md).
const NETWORK: i32 = 6;
const REMOTE: i32 = 7;
const ALREADY_SUBMITTED: i32 = 13;

#[test]
fn lying_answers_give_their_exit_code_and_leave_nothing_behind() {
    let s = Served::start(ServeOptions::default());

    // POST /request answered with an HTML page: WIPO has the package, its import id is lost.
    let pkg = package(&s, "LYING-NOT-XML");
    s.admin(&["faults", "submit=not-xml"]);
    let (code, stderr) = s.fails(&["hague", "submit", arg(&pkg)]);
    s.admin(&["faults", "none"]);
    assert_eq!(code, Some(REMOTE), "{stderr}");
    assert_eq!(received(&s).len(), 1);
    let history = s.json(&["hague", "history"], 0);
    assert_eq!(history["submissions"][0]["state"], "unknown", "{history}");
    let tracked = s.json(&["hague", "track"], 0);
    assert!(
        tracked["open"][0]["action"]
            .as_str()
            .is_some_and(|a| a.contains("answer was lost")),
        "{tracked}"
    );
    let (code, stderr) = s.fails(&["hague", "submit", arg(&pkg)]);
    assert_eq!(code, Some(ALREADY_SUBMITTED), "{stderr}");
    assert_eq!(received(&s).len(), 1, "never sent twice");

    // A status document that is not XML.
    let import_id = received(&s)[0]["import_id"]
        .as_str()
        .expect("import id")
        .to_owned();
    s.admin(&["faults", "import-status=not-xml"]);
    let (code, stderr) = s.fails(&["hague", "import-status", &import_id]);
    s.admin(&["faults", "none"]);
    assert_eq!(code, Some(REMOTE), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Publications: shorter than announced every time, and a redirect to another host.
    bulletins_fail_and_leave_nothing(
        &s,
        &[
            ("bulletin=truncate", NETWORK),
            ("bulletin=truncate:0", NETWORK),
            ("bulletin=redirect", REMOTE),
        ],
    );
}

/// A publication whose bytes are not the whole ZIP although HTTP says they are: longer than its
/// announced `Content-Length` (the client gets a prefix that looks complete), or an HTML page sent
/// as `application/zip`: hws-client checks the archive's central directory and does not keep it
/// (exit 7, as for any answer that is not what HWS sends).
#[test]
fn a_publication_that_is_not_a_complete_zip_is_not_kept() {
    let s = Served::start(ServeOptions::default());
    bulletins_fail_and_leave_nothing(
        &s,
        &[
            ("bulletin=overlong", REMOTE),
            ("bulletin=overlong:22", REMOTE),
            ("bulletin=not-xml", REMOTE),
        ],
    );
}

/// This week's bulletin downloaded under each fault: the exit code, no file at the final path,
/// nothing in the journal.
fn bulletins_fail_and_leave_nothing(s: &Served, rows: &[(&str, i32)]) {
    let week = this_week();
    s.admin(&["publish", &week]);
    for &(spec, expected) in rows {
        let out = s.out().join(spec.replace(['=', ':'], "_"));
        s.admin(&["faults", spec]);
        let (code, stderr) = s.fails(&["hague", "bulletin", &week, "--out", arg(&out)]);
        s.admin(&["faults", "none"]);
        assert_eq!(code, Some(expected), "{spec}: {stderr}");
        let zip = out.join(format!("bulletin-{week}.zip"));
        assert!(!zip.exists(), "{spec}: a file at the final path");
        let history = s.json(&["hague", "history"], 0);
        assert!(
            history["publications"]
                .as_array()
                .is_none_or(|p| p.is_empty()),
            "{spec}: a download on record: {history}"
        );
    }
}
