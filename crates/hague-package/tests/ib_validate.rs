//! `validate_package` on IB-to-office packages (a bulletin made by tools/gen-bulletin.py, with its
//! IRN-named image folders): recognised by its root and checked by its own rules, streaming.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::*;
use hague_package::{
    Options, Report, RuleId, SchemaMode, Schemas, Severity, TypedModelStatus, XsdStatus,
    validate_package,
};

/// A generated bulletin package (XML + image folders), and its entries.
fn bulletin(dir: &Path) -> (PathBuf, Vec<(String, Vec<u8>)>) {
    let xml = dir.join("bulletin.xml");
    let zip = dir.join("bulletin.zip");
    let out = std::process::Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", "12", "--out"])
        .arg(&xml)
        .arg("--zip")
        .arg(&zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut e = archive.by_index(i).unwrap();
        if e.is_dir() {
            continue;
        }
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        entries.push((String::from_utf8_lossy(e.name_raw()).into_owned(), data));
    }
    (zip, entries)
}

fn opts() -> Options {
    Options {
        schemas: Schemas::Dirs(vec![schemas()]),
        ..Options::default()
    }
}

fn findings(r: &Report, rule: RuleId) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.to_string())
        .collect()
}

#[test]
fn a_generated_bulletin_is_valid_by_its_own_rules() {
    let t = tempfile::tempdir().unwrap();
    let (zip, _) = bulletin(t.path());
    // By default st96's streaming reader's verdict stands for the V6_0 schema's; with
    // SchemaMode::Always the schema runs too.
    for mode in [SchemaMode::WhenNeeded, SchemaMode::Always] {
        let o = Options {
            schema_mode: mode,
            ..opts()
        };
        let r = validate_package(&zip, &o).unwrap();
        assert!(r.is_valid(), "{:#?}", r.findings);
        assert_eq!(r.root.as_deref(), Some("HagueIBToOfficeTransaction"));
        match mode {
            SchemaMode::WhenNeeded => assert!(
                matches!(&r.xsd, XsdStatus::ModelProven { declared, schema: Some(_), .. } if declared == "V6_0"),
                "{:?}",
                r.xsd
            ),
            SchemaMode::Always => {
                assert!(matches!(r.xsd, XsdStatus::Validated { .. }), "{:?}", r.xsd)
            }
        }
        assert_eq!(r.typed_model, TypedModelStatus::Valid);
        // The office-to-IB rules do not apply: a V6_0 bulletin is not refused for its version.
        assert!(!r.has(RuleId::Version));
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
    }
}

#[test]
fn a_missing_image_a_stray_folder_and_a_file_outside_its_irn_folder_are_found() {
    let t = tempfile::tempdir().unwrap();
    let (_, entries) = bulletin(t.path());
    let jpgs: Vec<String> = entries
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| n.ends_with(".jpg"))
        .collect();
    let folder = |n: &str| n.split('/').next().unwrap().to_owned();
    let first = jpgs[0].clone();
    let other = jpgs
        .iter()
        .find(|n| folder(n) != folder(&first))
        .unwrap()
        .clone();

    // One referenced view removed, one folder no IRN names.
    let mut changed: Vec<(String, Vec<u8>)> = entries
        .iter()
        .filter(|(n, _)| *n != first)
        .cloned()
        .collect();
    changed.push(("XX999999/stray.jpg".into(), jpeg(10, 10)));
    let p = t.path().join("changed.zip");
    zip_of(&p, &changed);
    let r = validate_package(&p, &opts()).unwrap();
    assert!(!r.is_valid());
    let missing = findings(&r, RuleId::MissingFile);
    assert!(
        missing.len() == 1 && missing[0].contains(&first),
        "{missing:#?}"
    );
    let folders = findings(&r, RuleId::IbFolder);
    assert!(
        folders.len() == 1 && folders[0].contains("XX999999/"),
        "{folders:#?}"
    );
    assert!(findings(&r, RuleId::UnreferencedFile)[0].contains("stray.jpg"));

    // A record pointing into another registration's folder: a warning, and the file it no
    // longer references is unreferenced.
    let moved: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| {
            if n.ends_with(".xml") {
                let xml = String::from_utf8(d.clone()).unwrap().replacen(
                    &format!(">{first}<"),
                    &format!(">{other}<"),
                    1,
                );
                (n.clone(), xml.into_bytes())
            } else {
                (n.clone(), d.clone())
            }
        })
        .collect();
    zip_of(&p, &moved);
    let r = validate_package(&p, &opts()).unwrap();
    let outside = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::IbFileOutsideFolder)
        .unwrap_or_else(|| panic!("{:#?}", r.findings));
    assert_eq!(outside.severity, Severity::Warning);
    assert!(outside.location.line.is_some());
    assert!(findings(&r, RuleId::UnreferencedFile)[0].contains(&first));
    assert!(r.is_valid(), "{:#?}", r.findings);
}

#[test]
fn a_record_the_schema_refuses_is_an_error_found_while_streaming() {
    let t = tempfile::tempdir().unwrap();
    let (_, entries) = bulletin(t.path());
    let broken: Vec<(String, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| {
            if n.ends_with(".xml") {
                let xml = String::from_utf8(d.clone()).unwrap().replacen(
                    "<dgn:HagueRegistration>",
                    "<dgn:HagueRegistration><dgn:Bogus/>",
                    1,
                );
                (n.clone(), xml.into_bytes())
            } else {
                (n.clone(), d.clone())
            }
        })
        .collect();
    let p = t.path().join("broken.zip");
    zip_of(&p, &broken);
    let r = validate_package(&p, &opts()).unwrap();
    assert!(r.has(RuleId::SchemaInvalid), "{:#?}", r.findings);
    assert!(matches!(r.typed_model, TypedModelStatus::Invalid { .. }));
    // Without a schema, the streaming reader's refusal is the error.
    let none = Options {
        schemas: Schemas::Dirs(vec![t.path().join("none")]),
        ..Options::default()
    };
    let r = validate_package(&p, &none).unwrap();
    let typed = r
        .findings
        .iter()
        .find(|f| f.rule == RuleId::TypedModel)
        .unwrap();
    assert_eq!(typed.severity, Severity::Error);
    assert!(typed.location.line.is_some());
    assert!(r.has(RuleId::SchemaUnavailable));
}
