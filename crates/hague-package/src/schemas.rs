//! WIPO's official ST.96 schema files, installed by the user and found by every validation.
//!
//! Operators have a binary, not a checkout: [`install`] copies WIPO's files from a folder or from
//! WIPO's zip (nested folders and nested zips included) into `<dir>/<VERSION>/`, checking every
//! file against the SHA-256 manifest compiled into this crate ([`MANIFESTS`], the committed
//! `xsd/manifest-<VERSION>.sha256`) and refusing anything that differs. [`list`] shows what a
//! folder holds, by version and root; [`search_path`] is the one lookup order every command uses
//! (`--schemas DIR`, then `IPGATE_SCHEMAS`, then the user's data directory); [`resolve`] picks the
//! schema for a document's root and declared version, or the nearest installed version when that
//! one is not installed (validated with its fixed `com:st96Version` relaxed, see
//! [`crate::validate_xml`]).
//!
//! WIPO publishes the schemas at <https://www.wipo.int/standards/en/st96/> (one zip per version).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::io::{BufRead, Read, Seek};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::build::hex;
use crate::report::{Finding, INSTALL_HINT, Location, XsdStatus};
use crate::rules::RuleId;

/// The manifests compiled into the binary: `(version, sha256sum-format text)`. To support another
/// version, commit its `xsd/manifest-<VERSION>.sha256` (one `SHA-256  file name` line per WIPO
/// file, e.g. written with `sha256sum *.xsd Readme.txt`) and add a line here.
pub const MANIFESTS: &[(&str, &str)] =
    &[("V6_0", include_str!("../../../xsd/manifest-V6_0.sha256"))];

/// Environment variable naming a schema folder (used when `--schemas` is not given).
pub const SCHEMAS_ENV: &str = "IPGATE_SCHEMAS";

/// Largest single file read from a source (WIPO's largest schema file is about 1 MB).
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest nested zip read into memory.
const MAX_NESTED_ZIP_BYTES: u64 = 512 << 20;
/// Deepest folder (or zip-in-zip) nesting searched in a source.
const MAX_SOURCE_DEPTH: u32 = 8;

/// One version's manifest: each WIPO file name with its SHA-256 (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `V6_0`, `V7_0`, ...
    pub version: &'static str,
    /// File name → SHA-256 hex.
    pub files: BTreeMap<&'static str, &'static str>,
}

/// The manifests compiled into the binary, parsed.
pub fn manifests() -> Vec<Manifest> {
    MANIFESTS
        .iter()
        .map(|(version, text)| Manifest {
            version,
            files: text
                .lines()
                .filter_map(|l| {
                    let (digest, name) = l.trim().split_once(char::is_whitespace)?;
                    Some((name.trim().trim_start_matches('*'), digest))
                })
                .collect(),
        })
        .collect()
}

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

fn sha256(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
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

/// `true` when `dir` holds every file of `m` with the manifest's SHA-256.
fn verified(dir: &Path, m: &Manifest) -> bool {
    m.files
        .iter()
        .all(|(name, digest)| fs::read(dir.join(name)).is_ok_and(|data| sha256(&data) == *digest))
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
    let tmp = into.join(format!(".{}.partial-{}", m.version, std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let result = (|| {
        fs::create_dir(&tmp).map_err(io_err("create", &tmp))?;
        for (name, data) in files {
            let p = tmp.join(name);
            let mut f = fs::File::create(&p).map_err(io_err("create", &p))?;
            std::io::Write::write_all(&mut f, data).map_err(io_err("write", &p))?;
            f.sync_all().map_err(io_err("sync", &p))?;
        }
        if fs::symlink_metadata(&dest).is_ok() {
            let old = into.join(format!(".{}.old-{}", m.version, std::process::id()));
            fs::rename(&dest, &old).map_err(io_err("move aside", &dest))?;
            if let Err(e) = fs::rename(&tmp, &dest) {
                let _ = fs::rename(&old, &dest);
                return Err(io_err("rename into place", &dest)(e));
            }
            let _ = fs::remove_dir_all(&old);
        } else {
            fs::rename(&tmp, &dest).map_err(io_err("rename into place", &dest))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result?;
    tracing::info!(version = m.version, dir = %dest.display(), "installed schema files");
    Ok(InstalledVersion {
        version: m.version.to_owned(),
        dir: dest,
        files: files.len(),
        already_installed: false,
    })
}

/// One installed version found by [`list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// The version, e.g. `V6_0`.
    pub version: String,
    /// Its folder.
    pub dir: PathBuf,
    /// Document roots it has a schema file for (`HagueOfficeToIBTransaction`, ...): files
    /// `<Root>_<VERSION>.xsd` declaring a global element of that name.
    pub roots: Vec<String>,
    /// `Some(true)` when every file matches the compiled-in manifest, `Some(false)` when one is
    /// missing or differs, `None` when this binary has no manifest for the version.
    pub verified: Option<bool>,
}

/// The versions installed in `dir` (folders `dir/<VERSION>/`), in version order.
pub fn list(dir: &Path) -> Vec<Listed> {
    let manifests = manifests();
    let mut out: Vec<Listed> = installed_versions(dir)
        .into_iter()
        .map(|(version, vdir)| {
            let roots = roots_in(&vdir, &version);
            let verified = manifests
                .iter()
                .find(|m| m.version == version)
                .map(|m| verified(&vdir, m));
            Listed {
                version,
                dir: vdir,
                roots,
                verified,
            }
        })
        .collect();
    out.sort_by_key(|l| version_key(&l.version));
    out
}

/// `(version, folder)` for each `dir/<VERSION>/` folder.
fn installed_versions(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            (crate::xsd::is_version_token(&name) && version_key(&name).is_some())
                .then(|| (name, e.path()))
        })
        .collect()
}

fn roots_in(vdir: &Path, version: &str) -> Vec<String> {
    let suffix = format!("_{version}.xsd");
    let Ok(rd) = fs::read_dir(vdir) else {
        return Vec::new();
    };
    let mut roots: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let root = name.strip_suffix(&suffix)?.to_owned();
            let text = fs::read_to_string(e.path()).ok()?;
            text.contains(&format!("<xsd:element name=\"{root}\""))
                .then_some(root)
        })
        .collect();
    roots.sort();
    roots
}

/// `V7_0` → (7, 0, 0), `V3_2T1` → (3, 2, 1); `None` for anything else.
pub fn version_key(version: &str) -> Option<(u32, u32, u32)> {
    let rest = version.strip_prefix('V')?;
    let (major, rest) = rest.split_once('_')?;
    let (minor, t) = match rest.split_once('T') {
        Some((m, t)) => (m, t.parse().ok()?),
        None => (rest, 0),
    };
    Some((major.parse().ok()?, minor.parse().ok()?, t))
}

fn version_distance(a: (u32, u32, u32), b: (u32, u32, u32)) -> u64 {
    let flat =
        |(x, y, z): (u32, u32, u32)| u64::from(x) * 10_000 + u64::from(y) * 100 + u64::from(z);
    flat(a).abs_diff(flat(b))
}

/// Where the schema folders of a [`SearchPath`] come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Given by the caller (`--schemas DIR`).
    Explicit,
    /// From the `IPGATE_SCHEMAS` environment variable.
    Environment,
    /// The user's data directory, where `ipgate schemas install` puts them.
    DataDir,
}

/// The schema folders a validation searches, in order, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPath {
    /// The folders (each holding `<VERSION>/` folders or schema files).
    pub dirs: Vec<PathBuf>,
    /// Where they come from.
    pub origin: Origin,
}

/// The folders every command searches for schemas: `explicit` (`--schemas DIR`, repeatable) when
/// given, else `$IPGATE_SCHEMAS`, else `data_dir/schemas` (what [`install`] fills by default).
/// The first source given wins alone, so what the user names is exactly what is used.
pub fn search_path(explicit: &[PathBuf], data_dir: Option<&Path>) -> SearchPath {
    if !explicit.is_empty() {
        return SearchPath {
            dirs: explicit.to_vec(),
            origin: Origin::Explicit,
        };
    }
    if let Some(v) = std::env::var_os(SCHEMAS_ENV).filter(|v| !v.is_empty()) {
        return SearchPath {
            dirs: vec![PathBuf::from(v)],
            origin: Origin::Environment,
        };
    }
    SearchPath {
        dirs: data_dir.map(|d| d.join("schemas")).into_iter().collect(),
        origin: Origin::DataDir,
    }
}

/// Where [`install`] puts schemas by default: `<data dir>/schemas` (`$IPGATE_DATA_DIR`, else
/// `$XDG_DATA_HOME/ipgate`, else `~/.local/share/ipgate`; see [`ipgate_base::dirs::data_dir`]).
pub fn default_install_dir() -> Result<PathBuf, ipgate_base::dirs::DirsError> {
    ipgate_base::dirs::data_dir().map(|d| d.join("schemas"))
}

/// [`search_path`] with the user's data directory: what every command uses.
pub fn default_search_path(explicit: &[PathBuf]) -> SearchPath {
    let data = ipgate_base::dirs::data_dir().ok();
    search_path(explicit, data.as_deref())
}

/// The schema [`resolve`] chose for a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The schema of the document's own version.
    Exact {
        /// The root schema file.
        schema: PathBuf,
    },
    /// The declared version is not installed: the nearest installed version, to be compiled
    /// with its fixed `com:st96Version` relaxed.
    Nearest {
        /// The root schema file.
        schema: PathBuf,
        /// Its version.
        schema_version: String,
        /// The version the document declares (empty when it declares none).
        declared: String,
    },
    /// No schema for this root in any folder.
    Missing {
        /// Where we looked.
        searched: Vec<String>,
    },
}

/// Picks the schema for a document with root `root` declaring `declared`: `<root>_<declared>.xsd`
/// in the folders (see [`crate::find_schema`]), else the same root in the installed version
/// nearest to the declared one (the newest on a tie, or when the declared version is missing or
/// not a version).
pub fn resolve(dirs: &[PathBuf], root: &str, declared: Option<&str>) -> Resolved {
    let declared_s = declared.unwrap_or_default();
    let mut searched = Vec::new();
    if let Some(v) = declared.filter(|v| crate::xsd::is_version_token(v)) {
        match crate::xsd::find_schema(dirs, root, v) {
            Ok(schema) => return Resolved::Exact { schema },
            Err(s) => searched = s,
        }
    }
    let want = version_key(declared_s);
    let mut best: Option<((u64, std::cmp::Reverse<(u32, u32, u32)>), String, PathBuf)> = None;
    for dir in dirs {
        for (version, vdir) in installed_versions(dir) {
            let Some(key) = version_key(&version) else {
                continue;
            };
            let file = vdir.join(format!("{root}_{version}.xsd"));
            if !file.is_file() {
                continue;
            }
            let dist = want.map_or(0, |w| version_distance(w, key));
            let rank = (dist, std::cmp::Reverse(key));
            if best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
                best = Some((rank, version, file));
            }
        }
    }
    match best {
        Some((_, schema_version, schema)) => Resolved::Nearest {
            schema,
            schema_version,
            declared: declared_s.to_owned(),
        },
        None => {
            if searched.is_empty() {
                searched = dirs.iter().map(|d| d.display().to_string()).collect();
            }
            Resolved::Missing { searched }
        }
    }
}

/// What running WIPO's schema over one XML document said.
#[derive(Debug, Clone)]
pub struct SchemaRun {
    /// Which schema ran, if any.
    pub status: XsdStatus,
    /// Schema errors (`XSD001`), well-formedness and guard findings, and the notes on the choice
    /// of schema (`XSD003` none installed, `XSD005` nearest version used).
    pub findings: Vec<Finding>,
    /// Findings dropped past the cap.
    pub dropped: u64,
}

/// Validates one XML document (root `root`, declaring `declared`) against the schema
/// [`resolve`] picks in `dirs`, streaming from the reader `open` returns. The one place every
/// command runs WIPO's schema: `package validate`/`build` for both directions, and `st96 check`.
pub fn validate_document<R: BufRead>(
    dirs: &[PathBuf],
    root: &str,
    declared: Option<&str>,
    open: impl FnOnce() -> std::io::Result<R>,
    file: &str,
    max_depth: usize,
    max_findings: usize,
) -> Result<SchemaRun, crate::PackageError> {
    let (schema, status, mut findings) = match resolve(dirs, root, declared) {
        Resolved::Exact { schema } => {
            let status = XsdStatus::Validated {
                schema: schema.display().to_string(),
            };
            (schema, status, Vec::new())
        }
        Resolved::Nearest {
            schema,
            schema_version,
            declared,
        } => {
            let note = Finding::new(
                RuleId::SchemaNearest,
                format!(
                    "the document declares {}, whose schema is not installed; validated against WIPO's {schema_version} schema with its fixed com:st96Version relaxed, so differences between {} and {schema_version} may go unnoticed. Install WIPO's {} schemas (`{INSTALL_HINT}`)",
                    if declared.is_empty() {
                        "no com:st96Version"
                    } else {
                        &declared
                    },
                    if declared.is_empty() {
                        "the intended version"
                    } else {
                        &declared
                    },
                    if declared.is_empty() {
                        "matching"
                    } else {
                        &declared
                    },
                ),
                Location::file(file),
            );
            let status = XsdStatus::ValidatedNearest {
                schema: schema.display().to_string(),
                schema_version,
                declared,
            };
            (schema, status, vec![note])
        }
        Resolved::Missing { searched } => {
            let version = declared.unwrap_or_default().to_owned();
            let note = Finding::new(
                RuleId::SchemaUnavailable,
                format!(
                    "no schema for {root} is installed (searched: {}); only ipgate's built-in checks ran. Install WIPO's schemas with `{INSTALL_HINT}`, or pass --schemas DIR",
                    if searched.is_empty() {
                        "-".to_owned()
                    } else {
                        searched.join(", ")
                    }
                ),
                Location::file(file),
            );
            return Ok(SchemaRun {
                status: XsdStatus::SchemaUnavailable { version, searched },
                findings: vec![note],
                dropped: 0,
            });
        }
    };
    let relaxed = matches!(status, XsdStatus::ValidatedNearest { .. });
    let reader = open().map_err(|e| crate::PackageError::io_entry(file, e))?;
    let out =
        crate::xsd::validate_xml_with(&schema, relaxed, reader, file, max_depth, max_findings)?;
    findings.extend(out.findings);
    Ok(SchemaRun {
        status,
        findings,
        dropped: out.dropped,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_and_distance() {
        assert_eq!(version_key("V7_0"), Some((7, 0, 0)));
        assert_eq!(version_key("V3_2T1"), Some((3, 2, 1)));
        assert_eq!(version_key("7_0"), None);
        assert_eq!(version_key("VX_0"), None);
        let d = |a, b| version_distance(version_key(a).unwrap(), version_key(b).unwrap());
        assert!(d("V7_0", "V6_0") < d("V7_0", "V4_0"));
        assert!(d("V3_2T1", "V4_0") < d("V3_2T1", "V6_0"));
    }

    #[test]
    fn the_v6_manifest_is_compiled_in() {
        let m = manifests();
        let v6 = m.iter().find(|m| m.version == "V6_0").unwrap();
        assert_eq!(v6.files.len(), 70);
        assert_eq!(v6.files.get("Common_V6_0.xsd").map(|d| d.len()), Some(64));
    }

    #[test]
    fn nearest_version_prefers_the_closest_then_the_newest() {
        let d = tempfile::tempdir().unwrap();
        for v in ["V4_0", "V6_0"] {
            fs::create_dir_all(d.path().join(v)).unwrap();
            fs::write(d.path().join(v).join(format!("Root_{v}.xsd")), "x").unwrap();
        }
        let dirs = [d.path().to_path_buf()];
        match resolve(&dirs, "Root", Some("V7_0")) {
            Resolved::Nearest { schema_version, .. } => assert_eq!(schema_version, "V6_0"),
            other => panic!("{other:?}"),
        }
        match resolve(&dirs, "Root", Some("V3_2T1")) {
            Resolved::Nearest { schema_version, .. } => assert_eq!(schema_version, "V4_0"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            resolve(&dirs, "Root", Some("V6_0")),
            Resolved::Exact { .. }
        ));
        assert!(matches!(
            resolve(&dirs, "Other", Some("V6_0")),
            Resolved::Missing { .. }
        ));
    }
}
