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
