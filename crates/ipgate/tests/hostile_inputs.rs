//! Hostile inputs not covered elsewhere (issue 14; the full list and where each is tested:
//! docs/reliability.md): truncated PEM keys, BOM and encoding variants, bytes that are not the
//! declared encoding, NUL bytes, an empty file, binary junk. Each: the expected exit code, a
//! message on stderr, no panic, nothing on stdout, no file written next to the input.

mod common;

use std::path::Path;

fn sample() -> String {
    std::fs::read_to_string(common::samples().join("hague/refusal_total.xml")).expect("sample")
}

fn key_pem(dir: &Path) -> String {
    let out = common::ipgate()
        .env("HOME", dir)
        .args(["keys", "generate", "--client-name", "H", "--out"])
        .arg(dir.join("keys"))
        .output()
        .expect("keys generate");
    assert!(out.status.success(), "{out:?}");
    std::fs::read_to_string(dir.join("keys/hague4offices_private.pem")).expect("pem")
}

fn check(name: &str, args: &[&str], input: &[u8], file: &str, code: i32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(file);
    std::fs::write(&path, input).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let before: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let out = common::ipgate()
        .env("HOME", dir.path())
        .args(args)
        .arg(&path)
        .output()
        .expect("run ipgate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
    assert!(!stderr.trim().is_empty(), "{name}: no message");
    let after: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(before, after, "{name}: files appeared");
}

#[test]
fn truncated_and_mangled_pem_keys_are_refused() {
    let home = tempfile::tempdir().expect("tempdir");
    let pem = key_pem(home.path());
    let half = &pem[..pem.len() / 2];
    let no_end = pem.replace("-----END", "-----XXX");
    let header_only = pem.lines().next().expect("line").to_owned() + "\n";
    let bad_base64 = pem.replacen('A', "!", 3);
    for (name, body) in [
        ("truncated half way", half.to_owned()),
        ("no END line", no_end),
        ("header only", header_only),
        ("base64 broken", bad_base64),
        ("empty file", String::new()),
    ] {
        check(name, &["keys", "inspect"], body.as_bytes(), "key.pem", 4);
    }
}

#[test]
fn encodings_and_junk_given_as_st96_documents() {
    let xml = sample();
    let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
    utf8_bom.extend_from_slice(xml.as_bytes());
    let mut utf16 = vec![0xFF, 0xFE];
    for u in xml.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    // Latin-1 é (0xE9) in a document declared UTF-8.
    let latin1 = xml
        .replacen("OFFICE-REF-0001", "OFFICE-R\u{0}", 0)
        .into_bytes();
    let mut latin1 = latin1;
    if let Some(p) = latin1.windows(15).position(|w| w == b"OFFICE-REF-0001") {
        latin1[p + 8] = 0xE9;
    }
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, bytes, code) in [
        ("UTF-8 with BOM is read", utf8_bom, 0),
        ("UTF-16LE with BOM", utf16, 1),
        ("Latin-1 byte in UTF-8", latin1, 1),
        ("empty file", Vec::new(), 1),
        ("binary junk", junk, 1),
    ] {
        if code == 0 {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("doc.xml");
            std::fs::write(&path, &bytes).expect("write");
            let out = common::st96("check", &path, false);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
            assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {out:?}");
            continue;
        }
        check(name, &["st96", "check"], &bytes, "doc.xml", code);
    }
}

/// XML 1.0 forbids U+0000 anywhere (production [2] Char): the input guards refuse it.
#[test]
fn a_nul_character_is_not_well_formed() {
    let mut nul = sample().into_bytes();
    let p = nul
        .windows(15)
        .position(|w| w == b"OFFICE-REF-0001")
        .expect("reference in the sample");
    nul[p + 8] = 0;
    check("NUL byte", &["st96", "check"], &nul, "doc.xml", 1);
}
