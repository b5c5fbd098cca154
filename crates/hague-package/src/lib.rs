//! Build, validate and safely read WIPO Hague packages (ZIP files).
//!
//! * **Office → IB** packages (what an office sends through Hague Web Services): one ST.96 XML
//!   (`dgn:HagueOfficeToIBTransaction` with one transaction) plus the PDFs and JPEGs it references.
//!   [`validate_package`] checks the archive's safety, judges the XML by WIPO's official schema
//!   (with `xsd-schema`, streaming, or — where its verdict is proven equal and it accepts the
//!   XML — by st96's typed V6_0 model alone: the policy of [`verdict`]), and applies the Hague
//!   rules ([`RuleId`], documented in `docs/package-rules.md`). [`build`] writes a
//!   deterministic package after validating it.
//! * **IB → office** packages (bulletins, confidential copies): one XML plus image folders named by
//!   international registration number. [`validate_package`] recognises them by their root and
//!   checks them by their own rules while streaming (`IB001`, `IB002`, every referenced file
//!   present, the schema); [`IbPackage`] streams the XML's records and finds the images of an IRN
//!   without loading the archive or the XML whole; [`extract`] writes everything safely with a
//!   SHA-256 list.
//! * **WIPO's schemas**: [`schemas`] installs them (checked against manifests compiled into the
//!   binary), lists them and finds the one for a document, the same way for every command:
//!   `--schemas DIR`, else `$IPGATE_SCHEMAS`, else the user's data directory.
//!
//! Every archive is checked first, in both directions: zip-slip names, absolute paths, backslashes,
//! drive letters, symlinks, duplicate and case-colliding names, encryption, non-UTF-8 names, and
//! limits on entries, total size and compression ratio ([`Limits`]). XML with a DOCTYPE or entity
//! declarations is refused.
//!
//! ```no_run
//! use hague_package::{schemas, validate_package, Options, Schemas};
//! let dirs = schemas::default_search_path(&[]).dirs;
//! let opts = Options { schemas: Schemas::Dirs(dirs), ..Options::default() };
//! let report = validate_package("refusal.zip".as_ref(), &opts)?;
//! println!("valid: {}", report.is_valid());
//! # Ok::<(), hague_package::PackageError>(())
//! ```
// st96's generated types are deeply nested: proving auto traits (`Unpin`, `Send`) for the typed
// records this crate handles needs more than the default 128 steps (E0275 otherwise).
#![recursion_limit = "512"]

mod build;
mod dates;
mod ib;
mod ibcheck;
mod ibread;
mod inspect;
mod lines;
pub mod pdf;
mod report;
mod rules;
mod safety;
pub mod schemas;
mod sniff;
mod st3;
mod stream_extract;
mod structure;
mod validate;
pub mod verdict;
mod xmlread;
mod xsd;

use std::path::{Path, PathBuf};

pub use build::{BuildOptions, BuildOutcome, BuiltEntry, build};
pub use dates::is_real_date;
pub use ib::{ExtractOutcome, IbPackage, extract};
pub use ibread::{IbHeader, Record};
pub use inspect::{InspectedFile, Inspection, RecordSummary, inspect, inspect_with_records};
pub use report::{Finding, INSTALL_HINT, Location, Report, Severity, TypedModelStatus, XsdStatus};
pub use rules::RuleId;
pub use safety::{
    CentralDirError, Limits, RawEntry, check_entries, check_name, read_central_directory,
};
pub use sniff::{Dimensions, FileKind, HeaderError, jpeg_dimensions, png_dimensions};
pub use st3::is_st3_code;
pub use stream_extract::{Finished, StreamExtract};
pub use validate::{
    ACCEPTED_VERSIONS, ImageLimits, KNOWN_KINDS, Options, ReadProgress, Schemas,
    hague_version_problem, validate_package,
};
pub use verdict::SchemaMode;
pub use xsd::{
    SchemaError, XsdOutcome, find_schema, is_version_token, preload as preload_schema,
    validate_xml, validate_xml_with,
};

/// Errors that stop an operation (as opposed to [`Finding`]s, which describe a package).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The archive cannot be read as a ZIP file.
    #[error("{} is not a readable ZIP archive: {message}; check that the download completed, or rebuild it", path.display())]
    Corrupt {
        /// The archive.
        path: PathBuf,
        /// What the ZIP reader said.
        message: String,
    },
    /// The archive failed the safety checks; nothing was extracted or read.
    #[error("{} was refused: {}", path.display(), first_message(.findings))]
    Unsafe {
        /// The archive.
        path: PathBuf,
        /// Every safety finding.
        findings: Vec<Finding>,
    },
    /// The schema could not be compiled.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The input is not what the operation needs.
    #[error("{0}")]
    Input(String),
}

fn first_message(f: &[Finding]) -> String {
    match f {
        [] => "no details".to_owned(),
        [one] => one.to_string(),
        [one, rest @ ..] => format!("{one} (and {} more)", rest.len()),
    }
}

impl PackageError {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn io_entry(name: &str, source: std::io::Error) -> Self {
        Self::Io {
            action: "read package entry",
            path: PathBuf::from(name),
            source,
        }
    }
}
