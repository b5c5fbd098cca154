//! tools/install-schemas.py: installs WIPO's files from a folder or a zip, only when every file
//! matches the manifest, and never leaves a half-filled destination.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn shared_v6() -> PathBuf {
    std::env::var_os("IPGATE_ST96_SOURCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/st96/V6_0"))
}

fn install(version: &str, source: &Path, dest: &Path) -> Output {
    Command::new("python3")
        .arg(root().join("tools/install-schemas.py"))
        .arg(version)
        .arg(source)
        .env("IPGATE_SCHEMA_DEST", dest)
        .output()
        .expect("run python3 tools/install-schemas.py")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read source") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

#[test]
fn installs_from_a_directory_and_then_leaves_a_verified_install_alone() {
    let dest = tempfile::tempdir().expect("tempdir");
    let out = install("V6_0", &shared_v6(), dest.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = dest.path().join("V6_0/HagueOfficeToIBTransaction_V6_0.xsd");
    assert!(installed.exists());
    let again = install("V6_0", &shared_v6(), dest.path());
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already installed"));
}

#[test]
fn installs_from_a_wipo_style_zip_with_nested_folders() {
    let work = tempfile::tempdir().expect("tempdir");
    let nested = work.path().join("ST96_V6_0/Schemas/Flattened");
    copy_dir(&shared_v6(), &nested);
    let zip = work.path().join("wipo.zip");
    let status = Command::new("python3")
        .args([
            "-c",
            "import shutil,sys; shutil.make_archive(sys.argv[1][:-4], 'zip', sys.argv[2])",
        ])
        .arg(&zip)
        .arg(work.path().join("ST96_V6_0"))
        .status()
        .expect("make zip");
    assert!(status.success());
    let dest = work.path().join("dest");
    let out = install("V6_0", &zip, &dest);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dest.join("V6_0/Design_V6_0.xsd").exists());
}

#[test]
fn a_modified_or_missing_file_is_refused_and_nothing_is_installed() {
    let work = tempfile::tempdir().expect("tempdir");
    let source = work.path().join("src");
    copy_dir(&shared_v6(), &source);
    let tampered = source.join("Common_V6_0.xsd");
    let mut text = std::fs::read_to_string(&tampered).expect("read");
    text.push_str("<!-- changed -->");
    std::fs::write(&tampered, text).expect("write");
    std::fs::remove_file(source.join("Design_V6_0.xsd")).expect("remove");

    let dest = work.path().join("dest");
    let out = install("V6_0", &source, &dest);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("differs: Common_V6_0.xsd"), "{stderr}");
    assert!(stderr.contains("missing: Design_V6_0.xsd"), "{stderr}");
    assert!(
        !dest.join("V6_0").exists(),
        "a failed install left files behind"
    );
}

#[test]
fn a_version_without_a_manifest_says_how_to_add_one() {
    let dest = tempfile::tempdir().expect("tempdir");
    let out = install("V9_9", &shared_v6(), dest.path());
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--write-manifest"), "{stderr}");
}
