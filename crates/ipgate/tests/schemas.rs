//! `ipgate schemas install|list` end to end, and every command finding the installed schemas
//! without `--schemas`: the real binary, a data directory of its own per test (IPGATE_DATA_DIR),
//! WIPO's V6_0 files from ../shared (a folder, a zip with nested folders, a zip inside a zip).
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// WIPO's V6_0 files as shipped (`IPGATE_ST96_SOURCE`, default ../shared/st96/V6_0).
fn wipo_v6() -> PathBuf {
    std::env::var_os("IPGATE_ST96_SOURCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/st96/V6_0"))
}

/// `ipgate` with its own data directory and no IPGATE_SCHEMAS.
fn ipgate(data: &Path, args: &[&str]) -> Output {
    common::ipgate()
        .env_remove("IPGATE_SCHEMAS")
        .env("IPGATE_DATA_DIR", data)
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `ipgate package build XML -o ZIP FLAG` with the data directory `data`.
fn build(data: &Path, xml: &Path, zip: &Path, flag: &str) -> Output {
    ipgate(data, &["package", "build", s(xml), "-o", s(zip), flag])
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// `ipgate --output json ARGS` with the data directory `data`, expected to exit 0: its JSON.
fn json_ok(data: &Path, args: &[&str]) -> serde_json::Value {
    let out = ipgate(data, &[&["--output", "json"][..], args].concat());
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    json(&out)
}

/// A data directory with WIPO's V6_0 schemas installed by `ipgate schemas install`.
fn installed() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let out = ipgate(data.path(), &["schemas", "install", s(&wipo_v6())]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    data
}

fn zip_dir(zip: &Path, entries: &[(String, Vec<u8>)]) {
    let f = std::fs::File::create(zip).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, data) in entries {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

fn wipo_files(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(wipo_v6())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                format!("{prefix}{}", e.file_name().to_str().unwrap()),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn installs_from_a_folder_lists_by_version_and_root_and_leaves_a_verified_install_alone() {
    let data = tempfile::tempdir().unwrap();
    let out = ipgate(data.path(), &["schemas", "install", s(&wipo_v6())]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("installed 70 V6_0 schema files"),
        "{}",
        text(&out)
    );
    let dir = data.path().join("schemas/V6_0");
    assert!(dir.join("HagueOfficeToIBTransaction_V6_0.xsd").is_file());

    let again = ipgate(data.path(), &["schemas", "install", s(&wipo_v6())]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        text(&again).contains("already installed"),
        "{}",
        text(&again)
    );

    let out = ipgate(data.path(), &["schemas", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out);
    assert!(t.contains("V6_0  verified"), "{t}");
    assert!(
        t.contains("HagueIBToOfficeTransaction, HagueOfficeToIBTransaction"),
        "{t}"
    );

    let v = json(&ipgate(
        data.path(),
        &["--output", "json", "schemas", "list"],
    ));
    assert_eq!(v["origin"], "data_dir");
    assert_eq!(v["installed"][0]["version"], "V6_0");
    assert_eq!(v["installed"][0]["verified"], true);
    let roots: Vec<&str> = v["installed"][0]["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(roots.contains(&"DesignApplication"), "{roots:?}");
    assert!(!roots.contains(&"Common"), "{roots:?}");

    // A file changed after the install shows in the list.
    std::fs::write(dir.join("Common_V6_0.xsd"), "<changed/>").unwrap();
    let t = text(&ipgate(data.path(), &["schemas", "list"]));
    assert!(t.contains("MODIFIED OR INCOMPLETE"), "{t}");
    // Installing again replaces it whole.
    let out = ipgate(data.path(), &["schemas", "install", s(&wipo_v6())]);
    assert!(text(&out).contains("installed 70 V6_0"), "{}", text(&out));
    let t = text(&ipgate(data.path(), &["schemas", "list"]));
    assert!(t.contains("V6_0  verified"), "{t}");
    let left: Vec<_> = std::fs::read_dir(data.path().join("schemas"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["V6_0"], "temporary folders left behind");
}

#[test]
fn installs_from_wipo_style_zips_with_nested_folders_and_a_zip_inside_a_zip() {
    let work = tempfile::tempdir().unwrap();
    let nested = work.path().join("ST96_V6_0.zip");
    zip_dir(&nested, &wipo_files("ST96_V6_0/Schemas/Flattened/"));
    let outer = work.path().join("wipo-download.zip");
    zip_dir(
        &outer,
        &[
            ("README.txt".to_owned(), b"read me".to_vec()),
            (
                "bundle/ST96_V6_0.zip".to_owned(),
                std::fs::read(&nested).unwrap(),
            ),
        ],
    );
    for source in [&nested, &outer] {
        let data = tempfile::tempdir().unwrap();
        let out = ipgate(data.path(), &["schemas", "install", s(source)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(data.path().join("schemas/V6_0/Design_V6_0.xsd").is_file());
    }
}

#[test]
fn a_modified_or_missing_file_is_refused_and_nothing_is_installed() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for (name, data) in wipo_files("") {
        std::fs::write(src.join(name), data).unwrap();
    }
    let mut common = std::fs::read_to_string(src.join("Common_V6_0.xsd")).unwrap();
    common.push_str("<!-- changed -->");
    std::fs::write(src.join("Common_V6_0.xsd"), common).unwrap();
    std::fs::remove_file(src.join("Design_V6_0.xsd")).unwrap();

    let data = work.path().join("data");
    let out = ipgate(&data, &["schemas", "install", s(&src)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("differs: Common_V6_0.xsd"), "{t}");
    assert!(t.contains("missing: Design_V6_0.xsd"), "{t}");
    assert!(t.contains("hint:"), "{t}");
    let schemas = data.join("schemas");
    let left: Vec<_> = std::fs::read_dir(&schemas)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "a refused install left {left:?}");
}

#[test]
fn a_source_without_any_known_version_is_refused() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("Other_V9_9.xsd"), "<x/>").unwrap();
    let out = ipgate(work.path(), &["schemas", "install", s(work.path())]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("V6_0"), "{}", text(&out));
    let not_zip = work.path().join("notes.txt");
    std::fs::write(&not_zip, "hello").unwrap();
    let out = ipgate(work.path(), &["schemas", "install", s(&not_zip)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("neither a folder nor a zip"),
        "{}",
        text(&out)
    );
}

fn sample(name: &str) -> PathBuf {
    common::samples().join("hague").join(name)
}

#[test]
fn st96_check_finds_the_installed_schema_and_reports_both_verdicts() {
    let data = installed();
    // A V7_0 document, only V6_0 installed: st96's V6_0 model accepts it, and its verdict is
    // proven equal to the V6_0 schema's (relaxed): the schema does not run. With a warning
    // naming both versions.
    let v = json_ok(
        data.path(),
        &["st96", "check", s(&sample("refusal_total.xml"))],
    );
    assert_eq!(v["valid"], true);
    assert_eq!(v["schema"]["status"], "model_proven", "{v}");
    assert_eq!(v["schema"]["model_version"], "V6_0");
    assert_eq!(v["schema"]["declared"], "V7_0");
    assert_eq!(v["schema"]["valid"], true);
    // --always-xsd: validated against V6_0, relaxed.
    let v = json_ok(
        data.path(),
        &[
            "st96",
            "check",
            "--always-xsd",
            s(&sample("refusal_total.xml")),
        ],
    );
    assert_eq!(v["valid"], true);
    assert_eq!(v["schema"]["status"], "validated_nearest");
    assert_eq!(v["schema"]["schema_version"], "V6_0");
    assert_eq!(v["schema"]["declared"], "V7_0");
    assert_eq!(v["schema"]["valid"], true);
    let note = v["schema"]["findings"][0]["message"].as_str().unwrap();
    assert!(note.contains("V7_0") && note.contains("V6_0"), "{note}");
    assert!(
        v["verdict"]
            .as_str()
            .unwrap()
            .contains("WIPO's V6_0 schema"),
        "{v}"
    );

    // The same document declaring V6_0: the exact schema.
    let work = tempfile::tempdir().unwrap();
    let v6 = work.path().join("v6.xml");
    std::fs::write(
        &v6,
        std::fs::read_to_string(sample("refusal_total.xml"))
            .unwrap()
            .replace("com:st96Version=\"V7_0\"", "com:st96Version=\"V6_0\""),
    )
    .unwrap();
    let out = ipgate(data.path(), &["st96", "check", s(&v6)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("valid by st96's V6_0 model, proven equal to WIPO's V6_0 schema's verdict"),
        "{t}"
    );
    assert!(t.contains("WIPO's schema: not needed"), "{t}");
    let out = ipgate(data.path(), &["st96", "check", "--always-xsd", s(&v6)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("valid (WIPO's schema and ipgate's built-in checks)"),
        "{t}"
    );
    assert!(t.contains("WIPO's schema: valid"), "{t}");
}

#[test]
fn st96_check_reports_a_schema_error_even_where_the_built_in_checks_pass() {
    let data = installed();
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("attr.xml");
    // An undeclared attribute on an ST.96 element (issue 11): the schema refuses it.
    std::fs::write(
        &bad,
        std::fs::read_to_string(sample("refusal_total.xml"))
            .unwrap()
            .replacen(
                "<com:DocumentFormatCategory>",
                "<com:DocumentFormatCategory undeclared=\"x\">",
                1,
            ),
    )
    .unwrap();
    let out = ipgate(data.path(), &["--output", "json", "st96", "check", s(&bad)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["valid"], false);
    assert_eq!(v["schema"]["valid"], false);
    assert_eq!(v["verdict"], "INVALID");
    let f = &v["schema"]["findings"];
    assert!(
        f.as_array().unwrap().iter().any(|f| f["rule"] == "XSD001"
            && f["message"].as_str().unwrap().contains("undeclared")),
        "{f}"
    );
}

#[test]
fn without_an_installed_schema_the_verdict_never_says_a_bare_valid() {
    let empty = tempfile::tempdir().unwrap();
    let file = sample("refusal_total.xml");
    let out = ipgate(empty.path(), &["st96", "check", s(&file)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("valid by ipgate's built-in checks; WIPO's schema was not run (`ipgate schemas install DIR|ZIP`)"),
        "{t}"
    );
    let v = json(&ipgate(
        empty.path(),
        &["--output", "json", "st96", "check", s(&file)],
    ));
    assert_eq!(v["valid"], true);
    assert_eq!(v["schema"]["status"], "schema_unavailable");
    assert!(v["schema"]["valid"].is_null());
    assert_eq!(
        v["verdict"],
        "valid by ipgate's built-in checks; WIPO's schema was not run (`ipgate schemas install DIR|ZIP`)"
    );
    let out = ipgate(
        empty.path(),
        &["st96", "check", "--require-schema", s(&file)],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("hint: install WIPO's schemas"),
        "{}",
        text(&out)
    );

    // --schemas and IPGATE_SCHEMAS win over the (empty) data directory.
    let data = installed();
    let out = ipgate(
        empty.path(),
        &[
            "st96",
            "check",
            "--require-schema",
            "--schemas",
            s(&data.path().join("schemas")),
            s(&file),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = common::ipgate()
        .env("IPGATE_DATA_DIR", empty.path())
        .env("IPGATE_SCHEMAS", data.path().join("schemas"))
        .args(["st96", "check", "--require-schema", s(&file)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// The refusal sample as a package input folder (XML + its PDF), declaring `version`.
fn refusal_input(dir: &Path, version: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let xml = std::fs::read_to_string(sample("refusal_total.xml"))
        .unwrap()
        .replace(
            "com:st96Version=\"V7_0\"",
            &format!("com:st96Version=\"{version}\""),
        );
    for part in xml.split("<com:FileName>").skip(1) {
        let name = part.split("</com:FileName>").next().unwrap();
        std::fs::write(
            dir.join(name),
            b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        )
        .unwrap();
    }
    let x = dir.join("refusal_total.xml");
    std::fs::write(&x, xml).unwrap();
    x
}

#[test]
fn package_build_and_validate_find_the_installed_schemas_and_say_when_they_did_not_run() {
    let data = installed();
    let work = tempfile::tempdir().unwrap();
    let xml = refusal_input(&work.path().join("in"), "V7_0");
    let zip = work.path().join("refusal.zip");
    let out = build(data.path(), &xml, &zip, "--require-schema");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&ipgate(
        data.path(),
        &["--output", "json", "package", "validate", s(&zip)],
    ));
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["xsd"]["status"], "model_proven");
    assert_eq!(v["xsd"]["declared"], "V7_0");
    let always = json(&ipgate(
        data.path(),
        &[
            "--output",
            "json",
            "package",
            "validate",
            "--always-xsd",
            s(&zip),
        ],
    ));
    assert_eq!(always["valid"], true, "{always}");
    assert_eq!(always["xsd"]["status"], "validated_nearest");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "XSD005"),
        "{v}"
    );
    assert!(
        v["verdict"]
            .as_str()
            .unwrap()
            .contains("WIPO's V6_0 schema"),
        "{v}"
    );

    // No schema installed: never a bare "valid"; --require-schema exits 4 and builds nothing.
    let empty = tempfile::tempdir().unwrap();
    let out = ipgate(empty.path(), &["package", "validate", s(&zip)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(": valid by ipgate's built-in checks; WIPO's schema was not run (`ipgate schemas install DIR|ZIP`)"),
        "{}",
        text(&out)
    );
    let out = ipgate(
        empty.path(),
        &["package", "validate", "--require-schema", s(&zip)],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let other = work.path().join("other.zip");
    let out = build(empty.path(), &xml, &other, "--require-schema");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(!other.exists());
}

#[test]
fn package_validate_refuses_a_version_hague_does_not_accept() {
    let data = installed();
    let work = tempfile::tempdir().unwrap();
    let xml = refusal_input(&work.path().join("in"), "V6_0");
    let zip = work.path().join("v6.zip");
    let out = build(data.path(), &xml, &zip, "--allow-invalid");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = ipgate(
        data.path(),
        &["--output", "json", "package", "validate", s(&zip)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v = json(&out);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PKG005")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("V7_0"), "{f}");
    // The V6_0 schema itself accepts it (here by st96's V6_0 model, proven equal to it): only
    // Hague's version rule refuses it.
    assert_eq!(v["xsd"]["status"], "model_proven");
    assert_eq!(v["xsd"]["declared"], "V6_0");
    // st96 check is not a Hague check: it reads the same XML as valid.
    let out = ipgate(data.path(), &["st96", "check", s(&xml)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn package_validate_checks_a_bulletin_by_its_own_rules_and_st96_check_streams_it() {
    let data = installed();
    let work = tempfile::tempdir().unwrap();
    let xml = work.path().join("bulletin.xml");
    let zip = work.path().join("bulletin.zip");
    let made = std::process::Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", "8", "--out", s(&xml), "--zip", s(&zip)])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = ipgate(
        data.path(),
        &["--output", "json", "package", "validate", s(&zip)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["root"], "HagueIBToOfficeTransaction");
    assert_eq!(v["xsd"]["status"], "model_proven");
    assert_eq!(v["typed_model"]["status"], "valid");

    let v = json(&ipgate(
        data.path(),
        &["--output", "json", "st96", "check", s(&xml)],
    ));
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["kind"], "HagueIBToOfficeTransaction");
    assert!(v["records"].as_u64().unwrap() >= 8, "{v}");
    assert_eq!(v["schema"]["status"], "model_proven");
    for args in [
        &["package", "validate", "--always-xsd", s(&zip)][..],
        &["st96", "check", "--always-xsd", s(&xml)],
    ] {
        let v = json(&ipgate(
            data.path(),
            &[&["--output", "json"][..], args].concat(),
        ));
        let status = if args[0] == "package" {
            &v["xsd"]
        } else {
            &v["schema"]
        };
        assert_eq!(status["status"], "validated", "{v}");
    }
}

/// The verdict policy through the CLI: a valid V6_0 bulletin is judged by st96's model alone,
/// even with no schema installed at all (its verdict is proven equal to the V6_0 schema's, so
/// the verdict is complete and --require-schema is satisfied); an invalid one gets the schema's
/// findings; a document declaring a version whose own schema is installed is judged by it.
#[test]
fn the_typed_verdict_stands_for_the_schema_only_where_it_is_proven() {
    let data = installed();
    let empty = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let xml = work.path().join("bulletin.xml");
    let zip = work.path().join("bulletin.zip");
    let made = std::process::Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", "3", "--out", s(&xml), "--zip", s(&zip)])
        .output()
        .unwrap();
    assert!(made.status.success());

    // No schema installed: complete all the same.
    let v = json_ok(
        empty.path(),
        &["st96", "check", "--require-schema", s(&xml)],
    );
    assert_eq!(v["schema"]["status"], "model_proven");
    assert!(v["schema"]["schema"].is_null(), "{v}");
    assert_eq!(v["schema"]["valid"], true);
    // A schema file that does not compile: never compiled for a valid V6_0 bulletin, neither by
    // st96 check nor by package validate (the bulletin zipped); --always-xsd reaches it (exit 4,
    // a configuration error naming the schema).
    let broken = work.path().join("broken");
    std::fs::create_dir_all(broken.join("V6_0")).unwrap();
    std::fs::write(
        broken.join("V6_0/HagueIBToOfficeTransaction_V6_0.xsd"),
        "<not a schema",
    )
    .unwrap();
    for args in [
        &["st96", "check", s(&xml)][..],
        &["package", "validate", s(&zip)],
    ] {
        let out = ipgate(
            empty.path(),
            &[&["--output", "json"][..], args, &["--schemas", s(&broken)]].concat(),
        );
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        let v = json(&out);
        let status = if args[0] == "package" {
            &v["xsd"]
        } else {
            &v["schema"]
        };
        assert_eq!(status["status"], "model_proven", "{v}");
        assert!(
            status["schema"]
                .as_str()
                .unwrap()
                .ends_with("HagueIBToOfficeTransaction_V6_0.xsd"),
            "{v}"
        );
        let out = ipgate(
            empty.path(),
            &[args, &["--schemas", s(&broken), "--always-xsd"]].concat(),
        );
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", text(&out));
        assert!(
            text(&out).contains("cannot compile the schema"),
            "{}",
            text(&out)
        );
    }

    // --always-xsd with no schema: the schema cannot run, and --require-schema says so.
    let out = ipgate(
        empty.path(),
        &["st96", "check", "--require-schema", "--always-xsd", s(&xml)],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));

    // Invalid: the schema runs and reports its findings (code, line).
    let bad = work.path().join("bad.xml");
    let text_xml = std::fs::read_to_string(&xml).unwrap();
    let broken = text_xml.replacen(
        "</com:InternationalRegistrationNumber>",
        "</com:InternationalRegistrationNumber><com:Unknown/>",
        1,
    );
    assert_ne!(broken, text_xml);
    std::fs::write(&bad, broken).unwrap();
    let out = ipgate(data.path(), &["--output", "json", "st96", "check", s(&bad)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v = json(&out);
    assert_eq!(v["schema"]["status"], "validated", "{v}");
    assert_eq!(v["schema"]["valid"], false);
    let f = &v["schema"]["findings"][0];
    assert_eq!(f["rule"], "XSD001", "{v}");
    assert!(f["location"]["line"].as_u64().unwrap() > 0, "{v}");
    assert!(f["message"].as_str().unwrap().contains("cvc-"), "{v}");

    // A V7_0 bulletin with a "V7_0" schema installed (here V6_0's files under a V7_0 root
    // file, whose fixed com:st96Version is V6_0): that schema judges it, not the V6_0 model.
    let schemas = work.path().join("schemas");
    let v7 = schemas.join("V7_0");
    std::fs::create_dir_all(&v7).unwrap();
    for e in std::fs::read_dir(data.path().join("schemas/V6_0")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), v7.join(e.file_name())).unwrap();
    }
    std::fs::copy(
        v7.join("HagueIBToOfficeTransaction_V6_0.xsd"),
        v7.join("HagueIBToOfficeTransaction_V7_0.xsd"),
    )
    .unwrap();
    let x7 = work.path().join("v7.xml");
    std::fs::write(
        &x7,
        text_xml.replace("com:st96Version=\"V6_0\"", "com:st96Version=\"V7_0\""),
    )
    .unwrap();
    let out = ipgate(
        empty.path(),
        &[
            "--output",
            "json",
            "st96",
            "check",
            "--schemas",
            s(&schemas),
            s(&x7),
        ],
    );
    let v = json(&out);
    assert_eq!(v["schema"]["status"], "validated", "{v}");
    assert!(
        v["schema"]["schema"]
            .as_str()
            .unwrap()
            .ends_with("HagueIBToOfficeTransaction_V7_0.xsd"),
        "{v}"
    );
    // That schema fixes com:st96Version to V6_0: it refuses the document, the model does not.
    assert_eq!(v["schema"]["valid"], false, "{v}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// A bulletin with `xs:ID` attributes (the schema-rich records of st96's test data): the typed
/// verdict would not stand, so `st96 check` stops the typed read at the first record after one
/// and WIPO's schema judges the document; with `--no-xsd` the typed read is the only verdict
/// and reads every record.
#[test]
fn st96_check_leaves_a_document_with_id_attributes_to_the_schema() {
    let data = installed();
    let rich = repo().join("crates/st96/tests/data/rich-mixed-bulletin.xml");
    let v = json_ok(data.path(), &["st96", "check", s(&rich)]);
    assert_eq!(v["schema"]["status"], "validated", "{v}");
    assert_eq!(v["schema"]["valid"], true, "{v}");
    assert_eq!(v["typed_read_stopped"], true, "{v}");
    let stopped_at = v["records"].as_u64().unwrap();

    let v = json_ok(data.path(), &["st96", "check", "--no-xsd", s(&rich)]);
    assert!(v.get("typed_read_stopped").is_none(), "{v}");
    assert!(v["records"].as_u64().unwrap() > stopped_at, "{v}");

    let out = ipgate(data.path(), &["st96", "check", s(&rich)]);
    assert!(
        text(&out).contains("which WIPO's schema judges"),
        "{}",
        text(&out)
    );
}
