//! `ipgate completions SHELL` and `ipgate man` run as the binary and print what each shell and
//! `man` read.

mod common;

use common::ipgate;

#[test]
fn completions_generate_for_every_shell() {
    // Each script names the deepest commands: it is generated from the whole clap tree.
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef ipgate"),
        ("fish", "complete -c ipgate"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = ipgate()
            .args(["completions", shell])
            .output()
            .expect("run ipgate");
        assert!(
            out.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8(out.stdout).expect("utf-8");
        assert!(script.contains(marker), "{shell} script lacks {marker:?}");
        for word in ["hague", "bulletin", "sync", "completions"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let out = ipgate()
        .args(["completions", "tcsh"])
        .output()
        .expect("run ipgate");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_prints_a_roff_page_naming_nested_commands() {
    let out = ipgate().arg("man").output().expect("run ipgate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        page.contains(".TH ipgate 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    for path in ["ipgate hague bulletin sync", "ipgate keys", "ipgate man"] {
        assert!(
            page.contains(&format!("\\fB{path}\\fR")),
            "page lacks {path}"
        );
    }
}
