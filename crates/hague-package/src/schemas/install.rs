//! [`install`]: WIPO's files from a folder or a zip (nested folders and zips searched), every file
//! checked against the compiled-in manifest, written to a temporary folder and renamed into place.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use ipgate_base::fs::{AtomicDir, AtomicWriteError};
use serde::Serialize;

use super::{Manifest, manifests, sha256, verified};

/// Largest single file read from a source (WIPO's largest schema file is about 1 MB).
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest nested zip read into memory.
const MAX_NESTED_ZIP_BYTES: u64 = 512 << 20;
/// Deepest folder (or zip-in-zip) nesting searched in a source.
const MAX_SOURCE_DEPTH: u32 = 8;

/// Why an install failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// A file or folder could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The version folder could not be staged or renamed into place.
    #[error("cannot install into {}: {source}", path.display())]
    Atomic {
        /// The version folder.
        path: PathBuf,
        /// What failed.
        #[source]
        source: AtomicWriteError,
    },
    /// The source is neither a folder nor a zip file.
    #[error("{} is neither a folder nor a zip file; pass the folder holding WIPO's *.xsd files or WIPO's schema zip", path.display())]
    NotASource {
        /// The source given.
        path: PathBuf,
    },
    /// A zip (the source or one inside it) cannot be read.
    #[error("{name} is not a readable zip file: {message}; download WIPO's zip again")]
    Zip {
        /// The zip (path, or `outer.zip!inner.zip`).
        name: String,
        /// What the zip reader said.
        message: String,
    },
    /// No file of any version this binary knows was found in the source.
    #[error("{} holds no ST.96 schema file of a version this ipgate knows ({}); pass WIPO's official schema folder or zip for one of them", path.display(), known.join(", "))]
    NoKnownVersion {
        /// The source given.
        path: PathBuf,
        /// Versions with a compiled-in manifest.
        known: Vec<String>,
    },
    /// Some files of a version are missing from the source or differ from the manifest.
    #[error("{} schema file(s) do not match the {version} manifest:\n  {}\nnothing was installed; use WIPO's official, unmodified package for this version", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Mismatch {
        /// The version.
        version: String,
        /// Every missing or differing file.
        problems: Vec<FileProblem>,
    },
}

/// A file of a manifest that the source does not provide as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum FileProblem {
    /// No file of that name in the source.
    Missing {
        /// The file name.
        name: String,
    },
    /// A file of that name exists, but its SHA-256 is not the manifest's.
    Differs {
        /// The file name.
        name: String,
        /// SHA-256 of the file found.
        actual: String,
        /// SHA-256 the manifest lists.
        expected: String,
    },
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::Missing { name } => write!(f, "missing: {name}"),
            FileProblem::Differs {
                name,
                actual,
                expected,
            } => write!(
                f,
                "differs: {name} (sha256 {actual}, manifest says {expected})"
            ),
        }
    }
}

/// One version handled by [`install`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledVersion {
    /// The version, e.g. `V6_0`.
    pub version: String,
    /// Where its files are now.
    pub dir: PathBuf,
    /// Number of files (every file of the manifest).
    pub files: usize,
    /// `true` when a complete, verified install was already there (nothing was rewritten).
    pub already_installed: bool,
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallReport {
    /// The source read.
    pub source: PathBuf,
    /// The versions installed (or found already installed), in version order.
    pub versions: Vec<InstalledVersion>,
}

/// Candidate contents of each wanted file name found in a source (several when WIPO's zip holds
/// the same name twice, e.g. flattened and not).
type Found = HashMap<String, Vec<Vec<u8>>>;

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> InstallError {
    let path = path.to_path_buf();
    move |source| InstallError::Io {
        action,
        path,
        source,
    }
}

fn is_zip_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case("zip"))
}

fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

fn read_capped(mut r: impl Read, cap: u64, name: &str) -> Result<Vec<u8>, InstallError> {
    let mut buf = Vec::new();
    (&mut r)
        .take(cap + 1)
        .read_to_end(&mut buf)
        .map_err(io_err("read", Path::new(name)))?;
    if buf.len() as u64 > cap {
        return Err(InstallError::Io {
            action: "read",
            path: PathBuf::from(name),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("larger than {cap} bytes; this is not a WIPO schema file"),
            ),
        });
    }
    Ok(buf)
}

fn collect_zip<R: Read + Seek>(
    reader: R,
    label: &str,
    wanted: &BTreeSet<&str>,
    depth: u32,
    found: &mut Found,
) -> Result<(), InstallError> {
    let zerr = |e: zip::result::ZipError| InstallError::Zip {
        name: label.to_owned(),
        message: e.to_string(),
    };
    let mut archive = zip::ZipArchive::new(reader).map_err(zerr)?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zerr)?;
        if entry.is_dir() {
            continue;
        }
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let base = base_name(&name).to_owned();
        if wanted.contains(base.as_str()) {
            let data = read_capped(&mut entry, MAX_FILE_BYTES, &format!("{label}!{name}"))?;
            found.entry(base).or_default().push(data);
        } else if is_zip_name(&base) && depth > 0 {
            let inner_label = format!("{label}!{name}");
            let data = read_capped(&mut entry, MAX_NESTED_ZIP_BYTES, &inner_label)?;
            drop(entry);
            collect_zip(
                std::io::Cursor::new(data),
                &inner_label,
                wanted,
                depth - 1,
                found,
            )?;
        }
    }
    Ok(())
}

fn collect_dir(
    dir: &Path,
    wanted: &BTreeSet<&str>,
    depth: u32,
    found: &mut Found,
) -> Result<(), InstallError> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io_err("list", dir))?
        .collect::<Result<_, _>>()
        .map_err(io_err("list", dir))?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        let name = e.file_name().to_string_lossy().into_owned();
        if kind.is_dir() {
            if depth > 0 {
                collect_dir(&path, wanted, depth - 1, found)?;
            }
        } else if wanted.contains(name.as_str()) {
            let f = fs::File::open(&path).map_err(io_err("open", &path))?;
            let data = read_capped(f, MAX_FILE_BYTES, &path.display().to_string())?;
            found.entry(name).or_default().push(data);
        } else if is_zip_name(&name) && depth > 0 {
            let f = fs::File::open(&path).map_err(io_err("open", &path))?;
            collect_zip(
                std::io::BufReader::new(f),
                &path.display().to_string(),
                wanted,
                depth - 1,
                found,
            )?;
        }
    }
    Ok(())
}

/// Installs WIPO's official schema files from `source` (a folder, or WIPO's zip; nested folders
/// and nested zips are searched) into `into/<VERSION>/`, for every version with a compiled-in
/// manifest whose files the source holds.
///
/// Every file of the manifest must be found with exactly the manifest's SHA-256, or nothing of
/// that version is installed ([`InstallError::Mismatch`] lists each problem). Files the manifest
/// does not list are ignored. The files are written to a temporary folder inside `into` and
/// renamed into place, so an interrupted install never leaves a half-filled version folder; a
/// complete, verified install is left untouched.
pub fn install(source: &Path, into: &Path) -> Result<InstallReport, InstallError> {
    let meta = fs::metadata(source).map_err(io_err("read", source))?;
    let manifests = manifests();
    let wanted: BTreeSet<&str> = manifests
        .iter()
        .flat_map(|m| m.files.keys().copied())
        .collect();
    let mut found = Found::new();
    if meta.is_dir() {
        collect_dir(source, &wanted, MAX_SOURCE_DEPTH, &mut found)?;
    } else {
        let f = fs::File::open(source).map_err(io_err("open", source))?;
        let mut r = std::io::BufReader::new(f);
        let mut magic = [0u8; 4];
        let is_zip = r.read_exact(&mut magic).is_ok() && magic == *b"PK\x03\x04";
        if !is_zip {
            return Err(InstallError::NotASource {
                path: source.to_path_buf(),
            });
        }
        r.rewind().map_err(io_err("read", source))?;
        collect_zip(
            r,
            &source.display().to_string(),
            &wanted,
            MAX_SOURCE_DEPTH,
            &mut found,
        )?;
    }
    // A version is present when a file carrying its token (`_V6_0`) was found; shared files such
    // as FlattenedMathML3.xsd say nothing about the version.
    let present: Vec<&Manifest> = manifests
        .iter()
        .filter(|m| {
            let token = format!("_{}", m.version);
            m.files
                .keys()
                .any(|n| n.contains(&token) && found.contains_key(*n))
        })
        .collect();
    if present.is_empty() {
        return Err(InstallError::NoKnownVersion {
            path: source.to_path_buf(),
            known: manifests.iter().map(|m| m.version.to_owned()).collect(),
        });
    }
    let mut versions = Vec::new();
    for m in present {
        let mut problems = Vec::new();
        let mut chosen: Vec<(&str, &[u8])> = Vec::new();
        for (name, digest) in &m.files {
            match found.get(*name) {
                None => problems.push(FileProblem::Missing {
                    name: (*name).to_owned(),
                }),
                Some(cands) => match cands.iter().find(|c| sha256(c) == *digest) {
                    Some(c) => chosen.push((name, c)),
                    None => problems.push(FileProblem::Differs {
                        name: (*name).to_owned(),
                        actual: cands.first().map(|c| sha256(c)).unwrap_or_default(),
                        expected: (*digest).to_owned(),
                    }),
                },
            }
        }
        if !problems.is_empty() {
            return Err(InstallError::Mismatch {
                version: m.version.to_owned(),
                problems,
            });
        }
        versions.push(write_version(into, m, &chosen)?);
    }
    Ok(InstallReport {
        source: source.to_path_buf(),
        versions,
    })
}

fn write_version(
    into: &Path,
    m: &Manifest,
    files: &[(&str, &[u8])],
) -> Result<InstalledVersion, InstallError> {
    let dest = into.join(m.version);
    if verified(&dest, m) {
        return Ok(InstalledVersion {
            version: m.version.to_owned(),
            dir: dest,
            files: files.len(),
            already_installed: true,
        });
    }
    fs::create_dir_all(into).map_err(io_err("create", into))?;
    // Filled under a temporary name beside `dest`, removed if anything fails before the rename.
    let staging = AtomicDir::create(&dest).map_err(|source| InstallError::Atomic {
        path: dest.clone(),
        source,
    })?;
    for (name, data) in files {
        let p = staging.path().join(name);
        let mut f = fs::File::create(&p).map_err(io_err("create", &p))?;
        std::io::Write::write_all(&mut f, data).map_err(io_err("write", &p))?;
        f.sync_all().map_err(io_err("sync", &p))?;
    }
    // An incomplete or modified install is replaced whole: moved aside, then put back if the
    // new one cannot take its place.
    let old = fs::symlink_metadata(&dest)
        .is_ok()
        .then(|| into.join(format!(".{}.old-{}", m.version, std::process::id())));
    if let Some(old) = &old {
        let _ = fs::remove_dir_all(old);
        fs::rename(&dest, old).map_err(io_err("move aside", &dest))?;
    }
    if let Err(source) = staging.commit() {
        if let Some(old) = &old {
            let _ = fs::rename(old, &dest);
        }
        return Err(InstallError::Atomic { path: dest, source });
    }
    if let Some(old) = &old {
        let _ = fs::remove_dir_all(old);
    }
    tracing::info!(version = m.version, dir = %dest.display(), "installed schema files");
    Ok(InstalledVersion {
        version: m.version.to_owned(),
        dir: dest,
        files: files.len(),
        already_installed: false,
    })
}
