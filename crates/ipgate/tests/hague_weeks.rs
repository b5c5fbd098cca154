//! Invalid week ids are refused before anything happens: a clear error naming the problem, exit 2,
//! no sandbox started, no journal, no download directory, no file written.

mod common;

use std::path::Path;

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.display().to_string());
            if p.is_dir() {
                out.extend(files_under(&p));
            }
        }
    }
    out
}

#[test]
fn invalid_week_ids_give_a_clear_error_and_write_nothing() {
    let home = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, &str)] = &[
        ("202699", "week 99 does not exist"),
        ("2025-01", "'-'"),
        ("../x", "'.'"),
        ("000000", "year 0"),
        ("", "empty"),
        ("202600", "week 00"),
        ("202553", "2025 has 52 weeks"),
        ("209901", "in the future"),
    ];
    let out_dir = home.path().join("downloads");
    for (week, expected) in cases {
        for args in [
            vec!["hague", "bulletin", week, "--out"],
            vec!["hague", "confidential-copy", week, "--out"],
            vec!["hague", "bulletin", "sync", "--from", week, "--out"],
        ] {
            let out = common::ipgate()
                .env("HOME", home.path())
                .env("IPGATE_DATA_DIR", home.path().join("data"))
                .env("IPGATE_CACHE_DIR", home.path().join("cache"))
                .env_remove("XDG_CONFIG_HOME")
                .env_remove("XDG_DATA_HOME")
                .args(&args)
                .arg(&out_dir)
                .output()
                .expect("run ipgate");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(expected),
                "{args:?}: expected {expected:?} in:\n{stderr}"
            );
            assert!(stderr.contains("hint: "), "{args:?}: {stderr}");
            assert!(out.stdout.is_empty(), "{args:?}");
        }
    }
    assert!(
        files_under(home.path()).is_empty(),
        "nothing may be written: {:?}",
        files_under(home.path())
    );
}

#[test]
fn a_range_backwards_is_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = common::ipgate()
        .env("HOME", home.path())
        .env("IPGATE_DATA_DIR", home.path().join("data"))
        .args([
            "hague", "bulletin", "sync", "--from", "202610", "--to", "202601",
        ])
        .output()
        .expect("run ipgate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--from 202610 is after --to 202601"),
        "{stderr}"
    );
    assert!(files_under(home.path()).is_empty());
}
