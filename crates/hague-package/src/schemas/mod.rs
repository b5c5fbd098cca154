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

use std::collections::BTreeMap;
use std::fs;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::build::hex;
use crate::report::{Finding, INSTALL_HINT, Location, XsdStatus};
use crate::rules::RuleId;

mod install;

pub use install::{FileProblem, InstallError, InstallReport, InstalledVersion, install};

/// The manifests compiled into the binary: `(version, sha256sum-format text)`. To support another
/// version, commit its `xsd/manifest-<VERSION>.sha256` (one `SHA-256  file name` line per WIPO
/// file, e.g. written with `sha256sum *.xsd Readme.txt`) and add a line here.
pub const MANIFESTS: &[(&str, &str)] =
    &[("V6_0", include_str!("../../../../xsd/manifest-V6_0.sha256"))];

/// Environment variable naming a schema folder (used when `--schemas` is not given).
pub const SCHEMAS_ENV: &str = "IPGATE_SCHEMAS";

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

fn sha256(data: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, data).as_ref())
}

/// `true` when `dir` holds every file of `m` with the manifest's SHA-256.
pub(super) fn verified(dir: &Path, m: &Manifest) -> bool {
    m.files
        .iter()
        .all(|(name, digest)| fs::read(dir.join(name)).is_ok_and(|data| sha256(&data) == *digest))
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
    // (distance, newest first) of the best candidate so far, its version and file.
    type Rank = (u64, std::cmp::Reverse<(u32, u32, u32)>);
    let mut best: Option<(Rank, String, PathBuf)> = None;
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
/// [`resolve`] picks in `dirs`, streaming from the reader `open` returns. The one place WIPO's
/// schema runs; the commands (`package validate`/`build` for both directions, `hague submit`,
/// `st96 check`) reach it through the verdict policy, [`crate::verdict::Plan`], which decides
/// whether it needs to run at all.
pub fn validate_document<R: BufRead>(
    dirs: &[PathBuf],
    root: &str,
    declared: Option<&str>,
    open: impl FnOnce() -> std::io::Result<R>,
    file: &str,
    max_depth: usize,
    max_findings: usize,
) -> Result<SchemaRun, crate::PackageError> {
    validate_resolved(
        resolve(dirs, root, declared),
        root,
        declared,
        open,
        file,
        max_depth,
        max_findings,
    )
}

/// The note (`XSD005`) that a document declaring `declared` is judged by WIPO's
/// `schema_version` schema with its fixed `com:st96Version` relaxed.
pub(crate) fn nearest_note(declared: &str, schema_version: &str, file: &str) -> Finding {
    Finding::new(
        RuleId::SchemaNearest,
        format!(
            "the document declares {}, whose schema is not installed; validated against WIPO's {schema_version} schema with its fixed com:st96Version relaxed, so differences between {} and {schema_version} may go unnoticed. Install WIPO's {} schemas (`{INSTALL_HINT}`)",
            if declared.is_empty() {
                "no com:st96Version"
            } else {
                declared
            },
            if declared.is_empty() {
                "the intended version"
            } else {
                declared
            },
            if declared.is_empty() {
                "matching"
            } else {
                declared
            },
        ),
        Location::file(file),
    )
}

/// [`validate_document`] with the schema [`resolve`] already picked.
pub(crate) fn validate_resolved<R: BufRead>(
    resolved: Resolved,
    root: &str,
    declared: Option<&str>,
    open: impl FnOnce() -> std::io::Result<R>,
    file: &str,
    max_depth: usize,
    max_findings: usize,
) -> Result<SchemaRun, crate::PackageError> {
    let (schema, status, mut findings) = match resolved {
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
            let note = nearest_note(&declared, &schema_version, file);
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
