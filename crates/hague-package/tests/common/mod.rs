//! Test helpers: real ZIP files (well-formed ones with the `zip` crate, hostile ones written byte by
//! byte), small valid PDF and JPEG files, and the shared ST.96 samples.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// WIPO's schemas, installed by tools/install-schemas.py (tools/test.sh does it).
pub fn schemas() -> PathBuf {
    let d = repo().join("xsd/wipo");
    assert!(
        d.join("V6_0/HagueOfficeToIBTransaction_V6_0.xsd").is_file(),
        "WIPO schemas missing: run `python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0` (or tools/test.sh)"
    );
    d
}

/// The shared Hague samples (`IPGATE_ST96_SAMPLES` or ../shared/st96/samples).
pub fn samples() -> PathBuf {
    let d = std::env::var_os("IPGATE_ST96_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/st96/samples"))
        .join("hague");
    assert!(
        d.is_dir(),
        "samples missing at {}: set IPGATE_ST96_SAMPLES",
        d.display()
    );
    d
}

/// The office-to-IB samples (full documents, not fragments).
pub const SAMPLES: &[&str] = &[
    "cancellation_non_payment.xml",
    "grant_after_refusal.xml",
    "grant_no_prior_refusal.xml",
    "indirect_application_minimal.xml",
    "refusal_partial.xml",
    "refusal_total.xml",
    "refusal_withdrawal.xml",
    "second_part_fee_payable.xml",
];

/// A sample's text, with `com:st96Version` switched to V6_0 when `v6`.
pub fn sample(name: &str, v6: bool) -> String {
    let s = std::fs::read_to_string(samples().join(name)).unwrap();
    if v6 {
        s.replace("com:st96Version=\"V7_0\"", "com:st96Version=\"V6_0\"")
    } else {
        s
    }
}

/// The files a sample references, with small valid contents.
pub fn files_for(xml: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for part in xml.split("<com:FileName>").skip(1) {
        let name = part.split("</com:FileName>").next().unwrap().to_owned();
        let data = if name.ends_with(".pdf") {
            pdf()
        } else {
            jpeg(800, 600)
        };
        out.push((name, data));
    }
    out
}

/// A small valid one-page PDF.
pub fn pdf() -> Vec<u8> {
    hague_package::pdf::one_page("ipgate test document")
}

/// A JPEG header with a JFIF segment and a baseline frame header of `w`x`h`, then EOI.
pub fn jpeg(w: u16, h: u16) -> Vec<u8> {
    let mut j = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0,
    ];
    j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8]);
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[1, 1, 0x11, 0]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

/// A PNG signature and IHDR.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut p = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    p.extend_from_slice(&w.to_be_bytes());
    p.extend_from_slice(&h.to_be_bytes());
    p.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    p
}

/// Writes a ZIP with the `zip` crate (deflated).
pub fn zip_of(path: &Path, entries: &[(String, Vec<u8>)]) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, data) in entries {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

/// A package made of `xml` (as `name`) and the files it references.
pub fn package(dir: &Path, name: &str, xml: &str) -> PathBuf {
    let mut entries = vec![(name.to_owned(), xml.as_bytes().to_vec())];
    entries.extend(files_for(xml));
    let p = dir.join(format!("{}.zip", name.trim_end_matches(".xml")));
    zip_of(&p, &entries);
    p
}

/// One entry of a hand-written ZIP.
#[derive(Clone)]
pub struct Raw {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub flags: u16,
    pub method: u16,
    pub made_by: u16,
    pub ext_attrs: u32,
    /// Declared sizes (default: the data length).
    pub declared_size: Option<u32>,
}

impl Raw {
    pub fn new(name: &[u8], data: &[u8]) -> Self {
        Self {
            name: name.to_vec(),
            data: data.to_vec(),
            flags: 0,
            method: 0,
            made_by: 0x031E,
            ext_attrs: 0o100644 << 16,
            declared_size: None,
        }
    }
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Writes a ZIP byte by byte (stored data), so any name, flag or attribute can be set.
pub fn raw_zip(path: &Path, entries: &[Raw]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let off = out.len() as u32;
        let crc = crc32(&e.data);
        let size = e.declared_size.unwrap_or(e.data.len() as u32);
        let csize = e.data.len() as u32;
        out.extend_from_slice(&[0x50, 0x4b, 0x03, 0x04, 20, 0]);
        out.extend_from_slice(&e.flags.to_le_bytes());
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0x21, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&csize.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&e.data);
        central.extend_from_slice(&[0x50, 0x4b, 0x01, 0x02]);
        central.extend_from_slice(&e.made_by.to_le_bytes());
        central.extend_from_slice(&[20, 0]);
        central.extend_from_slice(&e.flags.to_le_bytes());
        central.extend_from_slice(&e.method.to_le_bytes());
        central.extend_from_slice(&[0, 0, 0x21, 0]);
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&csize.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&e.ext_attrs.to_le_bytes());
        central.extend_from_slice(&off.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    let n = entries.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    std::fs::write(path, out).unwrap();
}

/// A bulletin of `n` registrations made by `tools/gen-bulletin.py`, zipped as `dir/b.zip`.
pub fn bulletin(dir: &Path, n: u32) -> PathBuf {
    let zip = dir.join("b.zip");
    let st = std::process::Command::new("python3")
        .arg(repo().join("tools/gen-bulletin.py"))
        .args(["--registrations", &n.to_string(), "--out"])
        .arg(dir.join("bulletin.xml"))
        .arg("--zip")
        .arg(&zip)
        .status()
        .unwrap();
    assert!(st.success());
    zip
}
