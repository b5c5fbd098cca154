//! A summary of any package: what it is, what it carries.

use std::collections::{BTreeMap, HashMap};
use std::io::BufReader;
use std::path::Path;

use serde::Serialize;

use crate::PackageError;
use crate::ib::IbPackage;
use crate::ibread::{IbHeader, Record};
use crate::safety::Limits;
use crate::sniff::FileKind;
use crate::validate::{Source, ZipSource, referenced, scan_archive};
use crate::xmlread;

/// One file of a package.
#[derive(Debug, Clone, Serialize)]
pub struct InspectedFile {
    /// Entry name.
    pub name: String,
    /// Decompressed size in bytes.
    pub size: u64,
    /// Compressed size in bytes.
    pub compressed_size: u64,
    /// Kind from the magic number.
    pub kind: FileKind,
    /// `xml`, `document`, `view`, `thumbnail`, `image-folder` or `unreferenced`.
    pub role: String,
    /// `com:DocumentKindCategory` of a supporting document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_kind: Option<String>,
}

/// Records of an IB-to-office package.
#[derive(Debug, Clone, Serialize)]
pub struct RecordSummary {
    /// Header of the XML.
    pub header: IbHeader,
    /// Records by kind.
    pub by_kind: BTreeMap<String, u64>,
    /// Image folders (one per IRN).
    pub folders: u64,
}

/// What a package is.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The package.
    pub package: String,
    /// Root element of the XML.
    pub root: Option<String>,
    /// Declared `com:st96Version`.
    pub version: Option<String>,
    /// Main tag of the transaction (office-to-IB), e.g. `HagueRefusalRequest`.
    pub transaction: Option<String>,
    /// International registration number.
    pub irn: Option<String>,
    /// Office reference.
    pub office_reference: Option<String>,
    /// Every file.
    pub files: Vec<InspectedFile>,
    /// For IB-to-office packages.
    pub records: Option<RecordSummary>,
}

/// Inspects the package at `path` (refusing unsafe archives).
pub fn inspect(path: &Path, limits: &Limits) -> Result<Inspection, PackageError> {
    inspect_with_records(path, limits, |_| true)
}

/// [`inspect`], also handing each record of an IB-to-office package (bulletin, confidential
/// copies) to `on_record` the moment `st96`'s streaming reader yields it, before the next one is
/// read: what a caller streams record by record (`ipgate --output ndjson package inspect`).
/// Return `false` to read no further (the summary then counts the records read so far). Office
/// packages have no records.
pub fn inspect_with_records(
    path: &Path,
    limits: &Limits,
    mut on_record: impl FnMut(&Record) -> bool,
) -> Result<Inspection, PackageError> {
    let (entries, findings) = scan_archive(path, limits)?;
    if !findings.is_empty() {
        return Err(PackageError::Unsafe {
            path: path.to_path_buf(),
            findings,
        });
    }
    let compressed: HashMap<String, u64> = entries
        .iter()
        .map(|e| (e.name_lossy(), e.compressed_size))
        .collect();
    let mut src = ZipSource::open_path(path, &entries, limits)?;
    let files = src.files();
    let xml = files.iter().map(|(n, _)| n.clone()).find(|n| {
        n.rsplit_once('.')
            .is_some_and(|(_, e)| e.eq_ignore_ascii_case("xml"))
    });
    let mut out = Inspection {
        package: path.display().to_string(),
        root: None,
        version: None,
        transaction: None,
        irn: None,
        office_reference: None,
        files: Vec::new(),
        records: None,
    };
    let mut roles: HashMap<String, (String, Option<String>)> = HashMap::new();
    let mut is_ib = false;
    if let Some(x) = &xml {
        roles.insert(x.clone(), ("xml".into(), None));
        let r = src.open(x).map_err(|e| PackageError::io_entry(x, e))?;
        if let Ok(info) = xmlread::detect_root(BufReader::new(r), limits.max_xml_depth) {
            out.root = Some(info.local.clone());
            out.version = info.version.clone();
            is_ib = info.local == "HagueIBToOfficeTransaction";
        }
        if !is_ib {
            let r = src.open(x).map_err(|e| PackageError::io_entry(x, e))?;
            if let Ok(doc) = xmlread::scan_office(BufReader::new(r), limits.max_xml_depth) {
                if let Some(tx) = doc.transactions.first() {
                    out.transaction = Some(tx.tag.clone());
                    out.irn = tx.irn.clone();
                    out.office_reference = tx.office_ref.clone();
                    for d in &tx.documents {
                        if let Some(f) = &d.file_name {
                            roles.insert(
                                f.value.clone(),
                                ("document".into(), d.kind.as_ref().map(|k| k.value.clone())),
                            );
                        }
                    }
                }
                for (name, role, _) in referenced(&doc) {
                    roles.entry(name).or_insert((role.to_owned(), None));
                }
            }
        }
    }
    for (name, size) in &files {
        let kind = {
            let mut head = [0u8; 16];
            let mut n = 0;
            if let Ok(mut r) = src.open(name) {
                while n < head.len() {
                    match std::io::Read::read(&mut r, &mut head[n..]) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => n += k,
                    }
                }
            }
            FileKind::sniff(&head[..n])
        };
        let (role, document_kind) = roles.get(name).cloned().unwrap_or_else(|| {
            if is_ib && name.contains('/') {
                ("image-folder".into(), None)
            } else {
                ("unreferenced".into(), None)
            }
        });
        out.files.push(InspectedFile {
            name: name.clone(),
            size: *size,
            compressed_size: compressed.get(name).copied().unwrap_or(0),
            kind,
            role,
            document_kind,
        });
    }
    if is_ib {
        let mut pkg = IbPackage::open(path, limits)?;
        let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
        let header = pkg.records(|r| {
            let more = on_record(&r);
            *by_kind.entry(r.kind).or_default() += 1;
            more
        })?;
        out.irn = None;
        out.records = Some(RecordSummary {
            header,
            by_kind,
            folders: pkg.folders().len() as u64,
        });
    }
    Ok(out)
}
