//! `ipgate st96 check` end to end: the real binary on the shared samples and on invalid and
//! unreadable files, human and JSON output, exit codes 0 / 1 / 3.

mod common;

use common::samples;
use std::path::{Path, PathBuf};
use std::process::Output;

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ipgate-st96-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write temp file");
    p
}

#[test]
fn valid_samples_exit_0() {
    for name in [
        "hague/refusal_total.xml",
        "hague/indirect_application_minimal.xml",
        "annex-vii/DesignApplication_Example.xml",
    ] {
        let out = check(&samples().join(name), false);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("valid"), "{name}: {stdout}");
    }
}

#[test]
fn v7_sample_is_valid_with_a_warning_in_json() {
    let out = check(&samples().join("hague/refusal_partial.xml"), true);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["valid"], true);
    assert_eq!(v["kind"], "HagueOfficeToIBTransaction");
    assert_eq!(v["st96_version"], "V7_0");
    assert_eq!(v["model_version"], "V6_0");
    assert!(
        v["warnings"][0]
            .as_str()
            .expect("a warning")
            .contains("V7_0")
    );
    assert!(v["error"].is_null());
}

#[test]
fn invalid_document_exits_1_naming_the_problem() {
    let xml = std::fs::read_to_string(samples().join("hague/refusal_partial.xml"))
        .expect("sample")
        .replace(
            "<com:DocumentFormatCategory>PDF<",
            "<com:DocumentFormatCategory>NOPE<",
        );
    let file = temp_file("bad-enum.xml", &xml);
    let out = check(&file, false);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("NOPE") && stderr.contains("line "),
        "{stderr}"
    );

    let out = check(&file, true);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["valid"], false);
    assert!(
        v["error"]["message"]
            .as_str()
            .expect("message")
            .contains("NOPE")
    );
    assert!(v["error"]["line"].as_u64().expect("line") > 1);
    assert!(
        v["error"]["path"]
            .as_str()
            .expect("path")
            .starts_with("dgn:HagueOfficeToIBTransaction/")
    );
}

#[test]
fn doctype_is_refused_with_exit_1() {
    let file = temp_file(
        "doctype.xml",
        "<!DOCTYPE x [<!ENTITY a \"b\">]><dgn:HagueOfficeToIBTransaction xmlns:dgn=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\"/>",
    );
    let out = check(&file, false);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DOCTYPE"));
}

#[test]
fn unsupported_kind_exits_1_with_a_hint() {
    let out = check(
        &samples().join("annex-vii/TrademarkApplication_Example.xml"),
        false,
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("TrademarkApplication") && stderr.contains("inspect"),
        "{stderr}"
    );
}

#[test]
fn unreadable_file_exits_3() {
    let out = check(Path::new("/nonexistent/st96.xml"), false);
    assert_eq!(out.status.code(), Some(3));
}

fn check(file: &Path, json: bool) -> Output {
    common::st96("check", file, json)
}
