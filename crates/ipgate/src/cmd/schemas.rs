//! `ipgate schemas`: install WIPO's official ST.96 schema files and show what is installed. The work
//! is done by `hague_package::schemas`; this module parses arguments, maps errors and prints.

use std::path::PathBuf;

use hague_package::schemas::{self, InstallError, Listed, SearchPath};
use serde::Serialize;

use crate::Context;
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// Arguments of `ipgate schemas`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Install WIPO's official schema files from a folder or WIPO's zip (nested folders and zips
    /// are searched), checking every file against the SHA-256 manifest built into ipgate; anything
    /// that differs is refused and nothing is installed. Default destination: the data directory
    /// (`$IPGATE_DATA_DIR/schemas`, else `$XDG_DATA_HOME/ipgate/schemas`, else
    /// `~/.local/share/ipgate/schemas`), where every command finds them. Exit 0 installed (or
    /// already installed), 1 a file is missing or differs, 3 I/O error, 4 no data directory.
    Install(InstallArgs),
    /// Show the installed schemas by version and root, in the folders validation searches
    /// (`--schemas DIR`, else `$IPGATE_SCHEMAS`, else the data directory).
    List(ListArgs),
}

#[derive(Debug, clap::Args)]
struct InstallArgs {
    /// WIPO's schema folder or zip (e.g. the ST.96 V6_0 package from
    /// https://www.wipo.int/standards/en/st96/).
    #[arg(value_name = "DIR|ZIP")]
    source: PathBuf,
    /// Install into this folder instead of the data directory (files go to DIR/<VERSION>/).
    #[arg(long, value_name = "DIR")]
    into: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    /// List this folder instead of the default search path. Repeatable.
    #[arg(long, value_name = "DIR")]
    schemas: Vec<PathBuf>,
}

/// Runs `ipgate schemas`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        Command::Install(a) => run_install(a, ctx),
        Command::List(a) => run_list(a, ctx),
    }
}

fn run_install(a: InstallArgs, ctx: &Context) -> CliResult {
    let into = match a.into {
        Some(d) => d,
        None => schemas::default_install_dir().map_err(|e| {
            CliError::config(e.to_string())
                .with_hint("or pass --into DIR and point IPGATE_SCHEMAS at it")
        })?,
    };
    let report = schemas::install(&a.source, &into).map_err(install_error)?;
    match ctx.output {
        OutputFormat::Json => print_json(&report),
        OutputFormat::Human => {
            for v in &report.versions {
                if v.already_installed {
                    crate::outln!(
                        "{} schema files already installed and verified in {}",
                        v.version,
                        v.dir.display()
                    );
                } else {
                    crate::outln!(
                        "installed {} {} schema files into {}",
                        v.files,
                        v.version,
                        v.dir.display()
                    );
                }
            }
            Ok(())
        }
    }
}

fn install_error(e: InstallError) -> CliError {
    match e {
        InstallError::Io { .. } | InstallError::Atomic { .. } => {
            CliError::new(ExitCode::Io, e.to_string())
                .with_hint("check that the source is readable and the destination writable")
        }
        InstallError::NoKnownVersion { .. } | InstallError::NotASource { .. } => {
            CliError::new(ExitCode::Invalid, e.to_string()).with_hint(
                "download the ST.96 schema package from https://www.wipo.int/standards/en/st96/ and pass its zip or unpacked folder",
            )
        }
        InstallError::Mismatch { .. } => CliError::new(ExitCode::Invalid, e.to_string())
            .with_hint("use WIPO's official, unmodified package for this version"),
        other => CliError::new(ExitCode::Invalid, other.to_string()),
    }
}

/// JSON output of `ipgate schemas list`.
#[derive(Debug, Serialize)]
struct ListJson {
    #[serde(flatten)]
    search: SearchPath,
    installed: Vec<Listed>,
}

fn run_list(a: ListArgs, ctx: &Context) -> CliResult {
    let search = schemas::default_search_path(&a.schemas);
    let installed: Vec<Listed> = search.dirs.iter().flat_map(|d| schemas::list(d)).collect();
    match ctx.output {
        OutputFormat::Json => print_json(&ListJson { search, installed }),
        OutputFormat::Human => {
            let origin = match search.origin {
                schemas::Origin::Explicit => "--schemas",
                schemas::Origin::Environment => "$IPGATE_SCHEMAS",
                schemas::Origin::DataDir => "data directory",
            };
            if search.dirs.is_empty() {
                crate::outln!(
                    "no schema folder: the data directory is unknown (set IPGATE_DATA_DIR or HOME)"
                );
            }
            for d in &search.dirs {
                crate::outln!("searched ({origin}): {}", d.display());
            }
            if installed.is_empty() {
                crate::outln!(
                    "no schemas installed; install WIPO's with `{}`",
                    hague_package::INSTALL_HINT
                );
            }
            for l in &installed {
                crate::outln!(
                    "{}  {}  {} roots  {}",
                    l.version,
                    match l.verified {
                        Some(true) => "verified",
                        Some(false) => "MODIFIED OR INCOMPLETE",
                        None => "no manifest in this ipgate",
                    },
                    l.roots.len(),
                    l.dir.display()
                );
                crate::outln!("      {}", l.roots.join(", "));
            }
            Ok(())
        }
    }
}
