//! End-to-end tests of `ipgate package`: the real binary on real ZIP files made from the shared
//! samples, which declare V7_0 (what Hague asks for) and are validated against the installed V6_0
//! schemas with com:st96Version relaxed.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn schemas() -> PathBuf {
    let d = repo().join("xsd/wipo");
    assert!(
        d.join("V6_0").is_dir(),
        "run tools/install-schemas.py V6_0 ../shared/st96/V6_0 first"
    );
    d
}

fn sample(name: &str) -> String {
    let dir = std::env::var_os("IPGATE_ST96_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/st96/samples"));
    std::fs::read_to_string(dir.join("hague").join(name)).unwrap()
}

/// A small valid one-page PDF.
fn pdf() -> Vec<u8> {
    hague_package::pdf::one_page("ipgate test document")
}

fn jpeg() -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF,
        0xC0, 0, 11, 8, 2, 0x58, 3, 0x20, 1, 1, 0x11, 0, 0xFF, 0xD9,
    ]
}

/// Writes `xml` and the files it references into `dir`.
fn input_dir(dir: &Path, xml_name: &str, xml: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for part in xml.split("<com:FileName>").skip(1) {
        let name = part.split("</com:FileName>").next().unwrap();
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            p,
            if name.ends_with(".pdf") {
                pdf()
            } else {
                jpeg()
            },
        )
        .unwrap();
    }
    let x = dir.join(xml_name);
    std::fs::write(&x, xml).unwrap();
    x
}

fn ipgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipgate"))
        .args(args)
        .env_remove("IPGATE_SCHEMAS")
        .output()
        .unwrap()
}

/// `ipgate --output json ARGS`, expected to exit 0: its JSON.
fn json_ok(args: &[&str]) -> serde_json::Value {
    let out = ipgate(&[&["--output", "json"][..], args].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn build_validate_inspect_every_sample() {
    let t = tempfile::tempdir().unwrap();
    let sch = schemas();
    for name in [
        "cancellation_non_payment.xml",
        "grant_after_refusal.xml",
        "grant_no_prior_refusal.xml",
        "indirect_application_minimal.xml",
        "refusal_partial.xml",
        "refusal_total.xml",
        "refusal_withdrawal.xml",
        "second_part_fee_payable.xml",
    ] {
        let stem = name.trim_end_matches(".xml");
        let xml = input_dir(&t.path().join(stem), name, &sample(name));
        let zip = t.path().join(format!("{stem}.zip"));
        let out = ipgate(&[
            "package",
            "build",
            s(&xml),
            "-o",
            s(&zip),
            "--schemas",
            s(&sch),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v = json_ok(&["package", "validate", s(&zip), "--schemas", s(&sch)]);
        assert_eq!(v["valid"], true);
        // The typed V6_0 model accepts it: its verdict stands for the V6_0 schema's (relaxed
        // for the declared V7_0), and the schema is not run.
        assert_eq!(v["xsd"]["status"], "model_proven", "{name}: {v}");
        assert_eq!(v["xsd"]["declared"], "V7_0");
        assert_eq!(v["typed_model"]["status"], "valid", "{name}");
        // --always-xsd runs it too.
        let v = json_ok(&[
            "package",
            "validate",
            s(&zip),
            "--schemas",
            s(&sch),
            "--always-xsd",
        ]);
        assert_eq!(v["xsd"]["status"], "validated_nearest", "{name}: {v}");
        assert_eq!(v["xsd"]["declared"], "V7_0");
        assert_eq!(v["typed_model"]["status"], "valid", "{name}");
        let v = json_ok(&["package", "inspect", s(&zip)]);
        assert!(
            v["transaction"].as_str().unwrap().starts_with("Hague"),
            "{v}"
        );
        assert_eq!(v["version"], "V7_0");
    }
}

#[test]
fn invalid_package_exits_1_with_rule_ids_in_json_and_human_output() {
    let t = tempfile::tempdir().unwrap();
    let xml = sample("refusal_total.xml").replace(">REFUSAL_DECISION<", ">DIVISION<");
    let x = input_dir(&t.path().join("in"), "refusal.xml", &xml);
    let zip = t.path().join("bad.zip");
    // build refuses to write an invalid package...
    let out = ipgate(&[
        "package",
        "build",
        s(&x),
        "-o",
        s(&zip),
        "--schemas",
        s(&schemas()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!zip.exists());
    assert!(String::from_utf8_lossy(&out.stdout).contains("PKG010"));
    // ...unless told to.
    let out = ipgate(&[
        "package",
        "build",
        s(&x),
        "-o",
        s(&zip),
        "--allow-invalid",
        "--no-xsd",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ipgate(&[
        "--output",
        "json",
        "package",
        "validate",
        s(&zip),
        "--schemas",
        s(&schemas()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let f = &v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PKG010")
        .unwrap()
        .clone();
    assert_eq!(f["severity"], "error");
    assert_eq!(f["location"]["file"], "refusal.xml");
    assert!(f["location"]["line"].as_u64().unwrap() > 10);
    let out = ipgate(&["package", "validate", s(&zip), "--no-xsd"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("error PKG010") && text.contains("INVALID"),
        "{text}"
    );
}

#[test]
fn build_is_deterministic() {
    let t = tempfile::tempdir().unwrap();
    let x = input_dir(
        &t.path().join("in"),
        "app.xml",
        &sample("indirect_application_minimal.xml"),
    );
    let a = t.path().join("a.zip");
    let b = t.path().join("b.zip");
    let out = ipgate(&[
        "--output",
        "json",
        "package",
        "build",
        s(&x),
        "-o",
        s(&a),
        "--no-xsd",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let va: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Touch the inputs: timestamps must not matter.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let jpg = t.path().join("in/designs/1.1.jpg");
    let data = std::fs::read(&jpg).unwrap();
    std::fs::write(&jpg, data).unwrap();
    let out = ipgate(&[
        "--output",
        "json",
        "package",
        "build",
        s(&x),
        "-o",
        s(&b),
        "--no-xsd",
    ]);
    let vb: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(va["sha256"], vb["sha256"]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let entries = va["entries"].as_array().unwrap();
    let names: Vec<&str> = entries
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app.xml", "designs/1.1.jpg", "docs/dm1.pdf"]);
    assert_eq!(entries[1]["stored"], true, "JPEG stored");
    assert_eq!(entries[0]["stored"], false, "XML deflated");
    assert_eq!(entries[2]["stored"], false, "PDF deflated");
}

#[test]
fn unsafe_archive_is_refused_by_every_command() {
    let t = tempfile::tempdir().unwrap();
    let zip = t.path().join("evil.zip");
    {
        let f = std::fs::File::create(&zip).unwrap();
        let mut z = zip::ZipWriter::new(f);
        z.start_file("refusal.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(sample("refusal_total.xml").as_bytes()).unwrap();
        z.start_file("../evil.pdf", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&pdf()).unwrap();
        z.finish().unwrap();
    }
    let out = ipgate(&["package", "validate", s(&zip), "--no-xsd"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ZIP001"));
    let out = ipgate(&["package", "inspect", s(&zip)]);
    assert_eq!(out.status.code(), Some(1));
    let target = t.path().join("out");
    let out = ipgate(&["package", "extract", s(&zip), s(&target)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ZIP001"));
    assert!(!target.exists());
    assert!(!t.path().join("evil.pdf").exists());
    assert_eq!(
        std::fs::read_dir(t.path()).unwrap().count(),
        1,
        "nothing written beside the archive"
    );
}

#[test]
fn extract_a_bulletin_with_sha256_list() {
    let t = tempfile::tempdir().unwrap();
    let xml = t.path().join("bulletin.xml");
    let zip = t.path().join("bulletin.zip");
    let st = Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", "12", "--out", s(&xml), "--zip", s(&zip)])
        .status()
        .unwrap();
    assert!(st.success());
    let out = ipgate(&["--output", "json", "package", "inspect", s(&zip)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["records"]["by_kind"]["HagueRegistration"], 12);
    assert!(v["records"]["folders"].as_u64().unwrap() >= 12);
    let target = t.path().join("week");
    let out = ipgate(&[
        "--output",
        "json",
        "package",
        "extract",
        s(&zip),
        s(&target),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sums = std::fs::read_to_string(target.join("SHA256SUMS")).unwrap();
    assert!(sums.lines().any(|l| l.ends_with("  bulletin.xml")));
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg("--quiet")
        .arg("SHA256SUMS")
        .current_dir(&target)
        .status()
        .unwrap();
    assert!(check.success());
    // The target must be new.
    let out = ipgate(&["package", "extract", s(&zip), s(&target)]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_and_io_errors_are_distinct() {
    let out = ipgate(&["package", "validate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = ipgate(&["package", "validate", "/nonexistent/x.zip"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn inspect_and_extract_confidential_copies() {
    let t = tempfile::tempdir().unwrap();
    let xml =
        std::fs::read_to_string(repo().join("crates/st96/tests/data/ib_office_bag.xml")).unwrap();
    let dir = t.path().join("in");
    input_dir(&dir, "copies.xml", &xml);
    let zip = t.path().join("copies.zip");
    let st = Command::new("zip")
        .current_dir(&dir)
        .args(["-qr", s(&zip), "."])
        .status()
        .unwrap();
    assert!(st.success());
    let out = ipgate(&["package", "inspect", s(&zip)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("for office:   EM"), "{text}");
    assert!(text.contains("HagueAcknowledgementReceipt"), "{text}");
    assert!(text.contains("HagueSecondPartFeeNotPaid"), "{text}");
    // Validated by the rules of an IB-to-office package, not refused as a wrong root.
    let out = ipgate(&[
        "--output",
        "json",
        "package",
        "validate",
        s(&zip),
        "--schemas",
        s(&schemas()),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{v}");
    assert_eq!(v["root"], "HagueIBToOfficeTransaction");
    assert_eq!(v["xsd"]["status"], "model_proven", "{v}");
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "PKG002"),
        "{v}"
    );
    let target = t.path().join("copies");
    let out = ipgate(&[
        "--output",
        "json",
        "package",
        "extract",
        s(&zip),
        s(&target),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["records"]["HagueRegistration"], 1);
    assert_eq!(v["header"]["content"], "HagueIBToOfficeBag");
    assert!(target.join("SHA256SUMS").is_file());
    // A record the ST.96 model refuses: exit 1 with the line.
    let bad = xml.replacen("Grant protection", "Grant protektion", 1);
    std::fs::write(dir.join("copies.xml"), bad).unwrap();
    let zip2 = t.path().join("bad.zip");
    let st = Command::new("zip")
        .current_dir(&dir)
        .args(["-qr", s(&zip2), "."])
        .status()
        .unwrap();
    assert!(st.success());
    let out = ipgate(&["package", "inspect", s(&zip2)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("XSD001") && err.contains("copies.xml:"),
        "{err}"
    );
    let out = ipgate(&["package", "validate", s(&zip2), "--schemas", s(&schemas())]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("XSD001") && text.contains("INVALID"),
        "{text}"
    );
}
