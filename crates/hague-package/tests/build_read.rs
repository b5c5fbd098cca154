//! Building packages (deterministic, validated first, atomic) and reading IB-to-office packages
//! (streamed records, images by IRN folder, safe extraction).
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use hague_package::{
    BuildOptions, IbPackage, Limits, Options, PackageError, RuleId, build, extract,
    read_central_directory,
};

fn input(dir: &Path) -> PathBuf {
    let xml = sample("indirect_application_minimal.xml", false);
    for (name, data) in files_for(&xml) {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    let x = dir.join("app.xml");
    std::fs::write(&x, xml).unwrap();
    x
}

fn opts() -> BuildOptions {
    BuildOptions::default()
}

#[test]
fn same_inputs_same_sha256_whatever_the_timestamps() {
    let t = tempfile::tempdir().unwrap();
    let x = input(&t.path().join("in"));
    let a = build(&x, &t.path().join("a.zip"), &opts()).unwrap();
    assert!(a.written, "{:#?}", a.report.findings);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let pdf_path = t.path().join("in/docs/dm1.pdf");
    std::fs::write(&pdf_path, std::fs::read(&pdf_path).unwrap()).unwrap();
    let b = build(&x, &t.path().join("b.zip"), &opts()).unwrap();
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.sha256.as_ref().unwrap().len(), 64);
    // The reported SHA-256 is the file's.
    let bytes = std::fs::read(t.path().join("a.zip")).unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(a.sha256.as_deref(), Some(hex.as_str()));
    // Built from the directory: the same entries.
    let c = build(&t.path().join("in"), &t.path().join("c.zip"), &opts()).unwrap();
    assert_eq!(c.sha256, a.sha256);
    // Sorted names, fixed methods, no stray files beside the output.
    let mut f = std::fs::File::open(t.path().join("a.zip")).unwrap();
    let (entries, _) = read_central_directory(&mut f, 100).unwrap();
    let names: Vec<String> = entries.iter().map(|e| e.name_lossy()).collect();
    assert_eq!(names, ["app.xml", "designs/1.1.jpg", "docs/dm1.pdf"]);
    assert_eq!(
        entries.iter().map(|e| e.method).collect::<Vec<_>>(),
        [8, 0, 8]
    );
    let left: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 4, "{left:?}");
}

#[test]
fn invalid_inputs_are_not_written_unless_allowed() {
    let t = tempfile::tempdir().unwrap();
    let x = input(&t.path().join("in"));
    std::fs::remove_file(t.path().join("in/docs/dm1.pdf")).unwrap();
    let out = t.path().join("p.zip");
    let o = build(&x, &out, &opts()).unwrap();
    assert!(!o.written && !out.exists());
    assert!(o.report.has(RuleId::MissingFile));
    let o = build(
        &x,
        &out,
        &BuildOptions {
            allow_invalid: true,
            ..opts()
        },
    )
    .unwrap();
    assert!(o.written && out.exists());
    // The written package fails validation the same way.
    let r = hague_package::validate_package(&out, &Options::default()).unwrap();
    assert!(r.has(RuleId::MissingFile));
}

#[cfg(unix)]
#[test]
fn symlinks_in_the_input_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("in");
    input(&dir);
    std::os::unix::fs::symlink("/etc/passwd", dir.join("docs/extra.pdf")).unwrap();
    let e = build(&dir, &t.path().join("p.zip"), &opts()).unwrap_err();
    assert!(
        matches!(e, PackageError::Input(ref m) if m.contains("symbolic link")),
        "{e}"
    );
}

#[test]
fn bulletin_records_stream_and_images_are_found_by_irn() {
    let t = tempfile::tempdir().unwrap();
    let zip = bulletin(t.path(), 20);
    let mut pkg = IbPackage::open(&zip, &Limits::default()).unwrap();
    assert_eq!(pkg.xml_name(), "bulletin.xml");
    let mut regs = Vec::new();
    let header = pkg
        .records(|r| {
            if r.kind == "HagueRegistration" {
                regs.push(r);
            }
            true
        })
        .unwrap();
    assert!(header.bulletin_number.is_some());
    assert_eq!(regs.len(), 20);
    for r in &regs {
        let irn = r.irn.as_deref().unwrap();
        let images = pkg.images_for(irn);
        assert!(!images.is_empty(), "{irn}");
        // Every file the record references is in its IRN folder.
        for f in &r.files {
            assert!(images.contains(f), "{f} not in {images:?}");
        }
    }
    // Stopping early is honoured.
    let mut seen = 0;
    pkg.records(|_| {
        seen += 1;
        false
    })
    .unwrap();
    assert_eq!(seen, 1);
    let first = pkg.images_for(regs[0].irn.as_deref().unwrap())[0].clone();
    let mut head = [0u8; 3];
    std::io::Read::read_exact(&mut pkg.open_file(&first).unwrap(), &mut head).unwrap();
    assert_eq!(head, [0xFF, 0xD8, 0xFF]);
}

#[test]
fn extract_writes_sha256_list_and_refuses_hostile_xml_without_leftovers() {
    let t = tempfile::tempdir().unwrap();
    let zip = bulletin(t.path(), 5);
    let target = t.path().join("out");
    let o = extract(&zip, &target, &Limits::default()).unwrap();
    assert_eq!(o.records.get("HagueRegistration"), Some(&5));
    let sums = std::fs::read_to_string(target.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count() as u64, o.files);
    // Existing target refused.
    assert!(matches!(
        extract(&zip, &target, &Limits::default()),
        Err(PackageError::Input(_))
    ));
    // A bulletin whose XML has a DOCTYPE is refused and nothing is left behind.
    let evil = t.path().join("evil.zip");
    let xml = std::fs::read_to_string(t.path().join("bulletin.xml")).unwrap();
    let xml = xml.replacen(
        "<dgn:HagueIBToOfficeTransaction",
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<dgn:HagueIBToOfficeTransaction",
        1,
    );
    zip_of(&evil, &[("bulletin.xml".into(), xml.into_bytes())]);
    let target2 = t.path().join("out2");
    let e = extract(&evil, &target2, &Limits::default()).unwrap_err();
    assert!(
        matches!(e, PackageError::Unsafe { ref findings, .. } if findings[0].rule == RuleId::Doctype),
        "{e}"
    );
    let names: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with(".out2") || n == "out2"),
        "{names:?}"
    );
}

/// A confidential-copy package: the hand-made office bag of the st96 tests (valid against WIPO's
/// schema, see `xsd_typed_agreement`) with every file it references.
fn office_bag_package(dir: &Path, xml: &str) -> PathBuf {
    let zip = dir.join("copies.zip");
    let mut entries = vec![("copies.xml".to_owned(), xml.as_bytes().to_vec())];
    entries.extend(files_for(xml));
    zip_of(&zip, &entries);
    zip
}

fn office_bag_xml() -> String {
    std::fs::read_to_string(repo().join("crates/st96/tests/data/ib_office_bag.xml")).unwrap()
}

#[test]
fn confidential_copies_stream_as_typed_records() {
    let t = tempfile::tempdir().unwrap();
    let xml = office_bag_xml();
    let zip = office_bag_package(t.path(), &xml);
    let mut pkg = IbPackage::open(&zip, &Limits::default()).unwrap();
    let mut recs = Vec::new();
    let header = pkg
        .records(|r| {
            recs.push(r);
            true
        })
        .unwrap();
    assert_eq!(header.content.as_deref(), Some("HagueIBToOfficeBag"));
    assert_eq!(header.receiving_office.as_deref(), Some("EM"));
    assert_eq!(header.date.as_deref(), Some("2026-11-20"));
    assert_eq!(header.bulletin_number, None);
    let kinds: Vec<_> = recs
        .iter()
        .map(|r| (r.kind.as_str(), r.bag.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("HagueRegistration", "HagueRegistrationBag"),
            ("HagueSecondPartFeeNotPaid", "HagueSecondPartFeeNotPaidBag"),
            (
                "HagueAcknowledgementReceipt",
                "HagueAcknowledgementReceiptBag"
            ),
            (
                "HagueIrregularityNotification",
                "HagueIrregularityNotificationBag"
            ),
        ]
    );
    // The confidential copy's views are in its IRN folder.
    let reg = &recs[0];
    assert_eq!(reg.irn.as_deref(), Some("DM/201000"));
    assert!(reg.record_id.is_some());
    assert!(!reg.files.is_empty());
    let images = pkg.images_for("DM/201000");
    for f in &reg.files {
        assert!(images.contains(f), "{f} not in {images:?}");
    }
    assert!(matches!(
        recs[0].typed.as_deref(),
        Some(st96::stream::IbToOfficeRecord::OfficeCopy(
            st96::stream::OfficeCopyRecord::Registration(_)
        ))
    ));
    assert_eq!(recs[2].irn, None, "the receipt names no IRN");
    assert_eq!(recs[2].record_id.as_deref(), Some("970000102"));
    assert_eq!(recs[3].irn.as_deref(), Some("DM/201000"));
    assert_eq!(recs[3].files, ["irregularity-970000103.pdf"]);
    // Lines point at the records' start tags.
    for r in &recs {
        let line = xml.lines().nth(r.line as usize - 1).unwrap();
        assert!(
            line.contains(&format!("<dgn:{}>", r.kind)),
            "{}: {line}",
            r.line
        );
    }
    // Extraction counts the records by kind.
    let o = extract(&zip, &t.path().join("out"), &Limits::default()).unwrap();
    assert_eq!(o.records.len(), 4);
    assert_eq!(o.records.get("HagueAcknowledgementReceipt"), Some(&1));
    assert_eq!(o.header.content.as_deref(), Some("HagueIBToOfficeBag"));
}

#[test]
fn a_record_the_model_refuses_stops_reading_with_its_line() {
    let t = tempfile::tempdir().unwrap();
    let xml = office_bag_xml();
    let at = xml.find("Grant protection").unwrap();
    let line = xml[..at].matches('\n').count() as u64 + 1;
    let bad = xml.replacen("Grant protection", "Grant protektion", 1);
    let zip = office_bag_package(t.path(), &bad);
    let mut pkg = IbPackage::open(&zip, &Limits::default()).unwrap();
    let mut seen = 0;
    let e = pkg
        .records(|_| {
            seen += 1;
            true
        })
        .unwrap_err();
    assert_eq!(seen, 2, "the records before the bad one were delivered");
    let PackageError::Unsafe { findings, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(findings[0].rule, RuleId::SchemaInvalid, "{e}");
    assert_eq!(findings[0].location.line, Some(line), "{e}");
    assert_eq!(findings[0].location.file.as_deref(), Some("copies.xml"));
    assert!(
        findings[0]
            .location
            .path
            .as_deref()
            .unwrap()
            .ends_with("dgn:HagueAcknowledgementReceipt"),
        "{e}"
    );
    // Extraction refuses it and leaves nothing behind.
    let target = t.path().join("out");
    assert!(extract(&zip, &target, &Limits::default()).is_err());
    assert!(!target.exists());
}
