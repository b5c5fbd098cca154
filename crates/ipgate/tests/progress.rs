//! Progress bars: drawn on stderr when it is a terminal (driven here under util-linux `script`,
//! which gives the command a pty), never into a pipe, never with `--quiet` or JSON output.

mod common;

use std::path::Path;
use std::process::Command;

use common::hws::{ServeOptions, Served, this_week};

/// What indicatif draws for a download: the byte rate (`... MiB/s`), never in ipgate's own output.
const BAR_MARK: &str = "B/s";

/// Runs `ipgate ARGS` with `s`'s profile under `script`, which gives it a terminal; returns the
/// transcript (stdout and stderr as the terminal saw them).
fn on_a_terminal(s: &Served, args: &[&str]) -> String {
    let bin = env!("CARGO_BIN_EXE_ipgate");
    let line = std::iter::once(bin)
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let template = s.ipgate();
    let mut cmd = Command::new("script");
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .args(["-qfec", &line, "/dev/null"])
        .output()
        .expect("run script (util-linux)");
    let transcript = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{line}: {transcript}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    transcript
}

fn out_dir(s: &Served, name: &str) -> String {
    let p = s.dir.path().join(name);
    p.display().to_string()
}

#[test]
fn a_download_draws_a_bar_on_a_terminal_only() {
    // A bulletin of 8 MB, so the download takes several redraws.
    let s = Served::start(ServeOptions {
        serve_args: &["--publication-size", "8000000"],
        ..ServeOptions::default()
    });
    let week = this_week();
    s.admin(&["publish", &week]);

    let tty = on_a_terminal(
        &s,
        &["hague", "bulletin", &week, "--out", &out_dir(&s, "a")],
    );
    assert!(
        tty.contains(BAR_MARK),
        "no progress bar on the terminal:\n{tty}"
    );
    assert!(tty.contains(&format!("bulletin {week}")), "{tty}");
    assert!(
        Path::new(&out_dir(&s, "a"))
            .join(format!("bulletin-{week}.zip"))
            .is_file()
    );

    // bulletin sync: a bar counting the weeks.
    let sync = on_a_terminal(
        &s,
        &[
            "hague",
            "bulletin",
            "sync",
            "--from",
            &week,
            "--out",
            &out_dir(&s, "e"),
        ],
    );
    assert!(
        sync.contains("bulletin sync [") && sync.contains("weeks"),
        "{sync}"
    );

    // --quiet and JSON: no bar even on a terminal.
    let quiet = on_a_terminal(
        &s,
        &[
            "--quiet",
            "hague",
            "bulletin",
            &week,
            "--out",
            &out_dir(&s, "b"),
        ],
    );
    assert!(!quiet.contains(BAR_MARK), "{quiet}");
    let json = on_a_terminal(
        &s,
        &[
            "--output",
            "json",
            "hague",
            "bulletin",
            &week,
            "--out",
            &out_dir(&s, "c"),
        ],
    );
    assert!(!json.contains(BAR_MARK), "{json}");

    // A pipe: stderr carries no bar and no control characters.
    let out = s
        .ipgate()
        .args(["hague", "bulletin", &week, "--out", &out_dir(&s, "d")])
        .output()
        .expect("run ipgate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(BAR_MARK) && !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
}

/// stderr of a run into a pipe carries no bar and no control characters.
fn assert_no_bar(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains(BAR_MARK) && !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
}

#[test]
fn an_upload_and_its_validation_draw_bars_on_a_terminal_only() {
    let s = Served::start(ServeOptions::default());
    let pkg = common::hws::package(&s, "TTY-UPLOAD-1");
    let pkg = pkg.to_str().expect("utf-8 path");

    // The check before the upload, then the upload itself.
    let tty = on_a_terminal(&s, &["hague", "submit", pkg]);
    assert!(
        tty.contains(&format!("validate {pkg}")),
        "no validation bar:\n{tty}"
    );
    assert!(
        tty.contains(&format!("upload {pkg}")) && tty.contains(BAR_MARK),
        "no upload bar:\n{tty}"
    );
    assert!(tty.contains("sent "), "{tty}");
    // The streamed body still announced its length, and all of it arrived.
    let size = std::fs::metadata(pkg).expect("package").len();
    let posts = common::hws::requests(&s, "submit");
    assert_eq!(posts.len(), 1, "{posts:#?}");
    assert_eq!(
        posts[0]["headers"]["content-length"],
        size.to_string(),
        "{posts:#?}"
    );
    let received = common::hws::received(&s);
    assert_eq!(received.len(), 1, "{received:#?}");
    assert_eq!(received[0]["size"], size, "{received:#?}");

    // `package validate` names the entry being read.
    let tty = on_a_terminal(&s, &["package", "validate", pkg]);
    assert!(
        tty.contains("validate refusal_total.xml") && tty.contains(BAR_MARK),
        "{tty}"
    );

    // Into a pipe: none of it.
    let again = common::hws::package(&s, "TTY-UPLOAD-2");
    assert_no_bar(
        &s.ipgate()
            .args(["hague", "submit"])
            .arg(&again)
            .output()
            .expect("run ipgate"),
    );
    assert_no_bar(
        &s.ipgate()
            .args(["package", "validate", pkg])
            .output()
            .expect("run ipgate"),
    );
}

#[test]
fn st96_check_of_a_bulletin_draws_a_bar_on_a_terminal_only() {
    let s = Served::start(ServeOptions::default());
    let xml = s.dir.path().join("bulletin.xml");
    let st = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/gen-bulletin.py"))
        .args(["--registrations", "200", "--out"])
        .arg(&xml)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run tools/gen-bulletin.py");
    assert!(st.success());
    let xml = xml.to_str().expect("utf-8 path");
    let tty = on_a_terminal(&s, &["st96", "check", "--no-xsd", xml]);
    assert!(
        tty.contains(&format!("check {xml}")) && tty.contains(BAR_MARK),
        "{tty}"
    );
    assert!(tty.contains("records streamed"), "{tty}");
    let json = on_a_terminal(&s, &["--output", "json", "st96", "check", "--no-xsd", xml]);
    assert!(!json.contains(BAR_MARK), "{json}");
    assert_no_bar(
        &s.ipgate()
            .args(["st96", "check", "--no-xsd", xml])
            .output()
            .expect("run ipgate"),
    );
}
