//! `ipgate st96 inspect` end to end: the real binary on the shared ST.96 samples and on refused
//! inputs, in human and JSON output, with the documented exit codes.

mod common;

use common::samples;
use std::path::Path;
use std::process::Output;

fn inspect_json(file: &Path) -> serde_json::Value {
    let out = inspect(file, true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("inspect --output json prints JSON")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn hague_samples_are_office_to_ib_transactions_declaring_v7() {
    let dir = samples().join("hague");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("../shared/st96/samples/hague exists") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.ends_with(".xml") || name.starts_with("payment_") {
            continue;
        }
        let v = inspect_json(&path);
        assert_eq!(v["kind"], "HagueOfficeToIBTransaction", "{name}");
        assert_eq!(v["qualified_root"], "dgn:HagueOfficeToIBTransaction");
        assert_eq!(v["prefix"], "dgn");
        assert_eq!(
            v["namespace"],
            "http://www.wipo.int/standards/XMLSchema/ST96/Design"
        );
        assert_eq!(v["st96_version"], "V7_0");
        assert_eq!(v["model_version"], "V6_0");
        assert!(
            v["schema_location"]
                .as_str()
                .is_some_and(|s| s.ends_with("HagueOfficeToIBTransaction_V7_0.xsd")),
            "{name}: {v}"
        );
        assert_eq!(
            v["warnings"],
            serde_json::json!(["declares V7_0; parsed with the V6_0 model"])
        );
        seen += 1;
    }
    assert!(
        seen >= 9,
        "only {seen} Hague samples found in {}",
        dir.display()
    );
}

#[test]
fn annex_vii_samples_have_their_kinds_and_no_warnings() {
    let dir = samples().join("annex-vii");
    for (file, kind, root) in [
        (
            "DesignApplication_Example.xml",
            "DesignApplication",
            "dgn:DesignApplication",
        ),
        (
            "TrademarkApplication_Example.xml",
            "TrademarkApplication",
            "tmk:TrademarkApplication",
        ),
        (
            "PatentPublication_Example.xml",
            "PatentPublication",
            "pat:PatentPublication",
        ),
        (
            "GIApplication_Example.xml",
            "GiApplication",
            "gin:GIApplication",
        ),
    ] {
        let v = inspect_json(&dir.join(file));
        assert_eq!(v["kind"], kind, "{file}");
        assert_eq!(v["qualified_root"], root, "{file}");
        assert_eq!(v["st96_version"], "V6_0", "{file}");
        assert_eq!(v["warnings"], serde_json::json!([]), "{file}");
    }
}

#[test]
fn human_output_names_root_kind_version_and_warning() {
    let out = inspect(&samples().join("hague/refusal_total.xml"), false);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "root:            dgn:HagueOfficeToIBTransaction",
        "kind:            HagueOfficeToIBTransaction",
        "st96Version:     V7_0 (read with the V6_0 model)",
        "xmlns:com",
        "warning:         declares V7_0; parsed with the V6_0 model",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn fragment_in_common_namespace_is_other_without_version() {
    let v = inspect_json(&samples().join("hague/payment_made_to_office_v4_fragment.xml"));
    assert_eq!(v["kind"], "Other");
    assert_eq!(v["qualified_root"], "com:PaymentBag");
    assert_eq!(v["st96_version"], serde_json::Value::Null);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap_or("")
            .contains("com:st96Version")
    );
}

#[test]
fn bom_and_missing_version_on_a_generated_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bom.xml");
    let mut bytes =
        b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n".to_vec();
    bytes.extend_from_slice(
        b"<HagueIBToOfficeTransaction xmlns=\"http://www.wipo.int/standards/XMLSchema/ST96/Design\"></HagueIBToOfficeTransaction>",
    );
    std::fs::write(&path, bytes).expect("write");
    let v = inspect_json(&path);
    assert_eq!(v["kind"], "HagueIBToOfficeTransaction");
    assert_eq!(v["prefix"], serde_json::Value::Null);
    assert_eq!(v["bom"], true);
    assert_eq!(v["line"], 3);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap_or("")
            .contains("declares no com:st96Version")
    );
}

#[test]
fn doctype_is_refused_with_exit_1_and_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("evil.xml");
    std::fs::write(
        &path,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n<x>&e;</x>",
    )
    .expect("write");
    for json in [false, true] {
        let out = inspect(&path, json);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("line 2, column 1"), "{err}");
        assert!(err.contains("entity declaration `e` refused"), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn non_st96_xml_is_exit_1_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("page.xml");
    std::fs::write(
        &path,
        "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>",
    )
    .expect("write");
    let out = inspect(&path, false);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("not an ST.96 document"), "{err}");
    assert!(err.contains("hint:"), "{err}");

    std::fs::write(&path, "not xml at all").expect("write");
    let out = inspect(&path, false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

#[test]
fn missing_file_is_exit_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = inspect(&dir.path().join("nope.xml"), false);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("nope.xml"), "{}", stderr(&out));
}

#[test]
fn directory_instead_of_file_is_exit_3() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = inspect(dir.path(), false);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

fn inspect(file: &Path, json: bool) -> Output {
    common::st96("inspect", file, json)
}
