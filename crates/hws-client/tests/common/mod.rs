//! What the hws-client tests against the sandbox share: the sample package and journal metadata.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use hague_journal::SubmissionMeta;

pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

pub fn samples() -> PathBuf {
    std::env::var_os("IPGATE_ST96_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/st96/samples")
        })
        .join("hague")
}

/// A small valid one-page PDF.
pub fn pdf() -> Vec<u8> {
    hague_package::pdf::one_page("ipgate test document")
}

pub fn zip_of(files: &[(&str, Vec<u8>)]) -> Bytes {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        w.write_all(data).expect("write");
    }
    Bytes::from(w.finish().expect("zip").into_inner())
}

/// The refusal sample with its PDF: a package the sandbox imports and registers. `reference`
/// makes the bytes (and so the SHA-256) differ between packages.
pub fn valid_package(reference: &str) -> Bytes {
    let xml = std::fs::read_to_string(samples().join("refusal_total.xml"))
        .expect("sample refusal_total.xml (set IPGATE_ST96_SAMPLES)");
    let xml = xml.replacen("<!--", &format!("<!-- {reference} "), 1);
    zip_of(&[("refusal.xml", xml.into_bytes()), ("refusal.pdf", pdf())])
}

pub fn meta() -> SubmissionMeta {
    SubmissionMeta {
        transaction_type: Some("HagueRefusalRequest".into()),
        office_reference: Some("REF-1".into()),
        irn: None,
        package_path: None,
    }
}
