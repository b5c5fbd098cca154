//! `ipgate st96`: inspect and check WIPO ST.96 XML documents.
//!
//! Each subcommand has its own `XxxArgs` struct and `run_xxx` function below; [`run`] dispatches.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use st96::detect::{DetectError, Detected, Limits, detect_reader};

use crate::Context;
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// Arguments of `ipgate st96`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

/// The `ipgate st96` subcommands.
#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Show a document's root element, namespace, kind and declared ST.96 version, reading only
    /// up to the root start tag (fast on files of any size). Exit 0: an ST.96 document; 1: not an
    /// ST.96 document or refused input (DOCTYPE, entities, malformed prolog); 3: cannot read FILE.
    Inspect(InspectArgs),
    /// Fully parse a document with the generated ST.96 models and run the extra checks
    /// (root, required and repeated elements, enumerations, patterns, dates, fixed
    /// com:st96Version). Exit 0: valid; 1: invalid (the message names the problem, its element
    /// path and line/column); 3: cannot read FILE.
    Check(CheckArgs),
}

/// Runs `ipgate st96`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        Command::Inspect(a) => run_inspect(a, ctx),
        Command::Check(a) => run_check(a, ctx),
    }
}

// ---- inspect ------------------------------------------------------------------------------------

/// Arguments of `ipgate st96 inspect`.
#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// The XML file to inspect.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// JSON output of `ipgate st96 inspect`.
#[derive(Debug, Serialize)]
struct InspectReport<'a> {
    file: String,
    root: &'a str,
    qualified_root: String,
    prefix: Option<&'a str>,
    namespace: &'a str,
    kind: &'static str,
    st96_version: Option<&'a str>,
    ipo_version: Option<&'a str>,
    model_version: &'static str,
    schema_location: Option<&'a str>,
    encoding: Option<&'a str>,
    bom: bool,
    namespaces: Vec<NamespaceDecl<'a>>,
    line: u64,
    column: u64,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct NamespaceDecl<'a> {
    prefix: Option<&'a str>,
    uri: &'a str,
}

impl<'a> InspectReport<'a> {
    fn new(file: &Path, d: &'a Detected) -> Self {
        Self {
            file: file.display().to_string(),
            root: &d.root,
            qualified_root: d.qualified_root(),
            prefix: d.prefix.as_deref(),
            namespace: &d.namespace,
            kind: d.kind.name(),
            st96_version: d.st96_version.as_deref(),
            ipo_version: d.ipo_version.as_deref(),
            model_version: d.model_version,
            schema_location: d.schema_location.as_deref(),
            encoding: d.encoding.as_deref(),
            bom: d.bom,
            namespaces: d
                .namespaces
                .iter()
                .map(|(prefix, uri)| NamespaceDecl {
                    prefix: prefix.as_deref(),
                    uri,
                })
                .collect(),
            line: d.location.line,
            column: d.location.column,
            warnings: d.warnings.iter().map(ToString::to_string).collect(),
        }
    }

    /// Writes the human-readable report. A closed pipe (`| head`) is not an error.
    fn write_human(&self, out: &mut impl Write) -> std::io::Result<()> {
        let none = "(none)";
        writeln!(out, "file:            {}", self.file)?;
        writeln!(out, "root:            {}", self.qualified_root)?;
        writeln!(out, "kind:            {}", self.kind)?;
        writeln!(out, "namespace:       {}", self.namespace)?;
        writeln!(
            out,
            "st96Version:     {} (read with the {} model)",
            self.st96_version.unwrap_or("(missing)"),
            self.model_version
        )?;
        writeln!(out, "ipoVersion:      {}", self.ipo_version.unwrap_or(none))?;
        writeln!(
            out,
            "schemaLocation:  {}",
            self.schema_location.unwrap_or(none)
        )?;
        writeln!(
            out,
            "encoding:        {}{}",
            self.encoding.unwrap_or("(not declared: UTF-8)"),
            if self.bom {
                ", with byte order mark"
            } else {
                ""
            }
        )?;
        for ns in &self.namespaces {
            match ns.prefix {
                Some(p) => writeln!(out, "xmlns:{p:<10}{}", ns.uri)?,
                None => writeln!(out, "xmlns:           {}", ns.uri)?,
            }
        }
        writeln!(
            out,
            "root at:         line {}, column {}",
            self.line, self.column
        )?;
        for w in &self.warnings {
            writeln!(out, "warning:         {w}")?;
        }
        out.flush()
    }
}

fn run_inspect(args: InspectArgs, ctx: &Context) -> CliResult {
    let file = File::open(&args.file).map_err(|e| CliError::io("open", &args.file, &e))?;
    let detected = detect_reader(BufReader::new(file), &Limits::default())
        .map_err(|e| detect_error(&args.file, e))?;
    let report = InspectReport::new(&args.file, &detected);
    match ctx.output {
        OutputFormat::Json => print_json(&report),
        OutputFormat::Human => match report.write_human(&mut std::io::stdout().lock()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(CliError::new(
                ExitCode::Io,
                format!("cannot write to standard output: {e}"),
            )),
        },
    }
}

/// Maps a detection error to the CLI's exit codes: 3 for I/O, 1 for everything about the content.
fn detect_error(path: &Path, err: DetectError) -> CliError {
    match err {
        DetectError::Io(e) => CliError::io("read", path, &e),
        DetectError::NotSt96 { .. } => {
            CliError::new(ExitCode::Invalid, format!("{}: {err}", path.display())).with_hint(
                "`ipgate st96` reads WIPO ST.96 XML only; check that this is the file you meant",
            )
        }
        other => CliError::new(ExitCode::Invalid, format!("{}: {other}", path.display())),
    }
}

// ---- check --------------------------------------------------------------------------------------

/// Arguments of `ipgate st96 check`.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The XML file to check.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// JSON output of `ipgate st96 check`.
#[derive(Debug, Serialize)]
struct CheckReport {
    file: String,
    valid: bool,
    kind: Option<&'static str>,
    st96_version: Option<String>,
    model_version: &'static str,
    warnings: Vec<String>,
    error: Option<CheckProblem>,
}

#[derive(Debug, Serialize)]
struct CheckProblem {
    message: String,
    path: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
}

/// What a full parse says: the kind and declared version, or the error.
struct Outcome {
    kind: Option<&'static str>,
    st96_version: Option<String>,
    warnings: Vec<String>,
    error: Option<st96::Error>,
}

fn parse_as<T: st96::Root>(bytes: &[u8], kind: &'static str) -> Outcome {
    match T::from_xml(bytes) {
        Ok(doc) => Outcome {
            kind: Some(kind),
            st96_version: doc.declared_version.clone(),
            warnings: doc.warnings.iter().map(ToString::to_string).collect(),
            error: None,
        },
        Err(e) => Outcome {
            kind: Some(kind),
            st96_version: None,
            warnings: Vec::new(),
            error: Some(e),
        },
    }
}

/// Parses `bytes` with the model of the document kind `detect` reports.
fn check_bytes(bytes: &[u8]) -> Result<Outcome, CliError> {
    use st96::detect::DocumentKind;
    let found = match st96::detect::detect(bytes) {
        Ok(found) => found,
        Err(e) => {
            return Ok(Outcome {
                kind: None,
                st96_version: None,
                warnings: Vec::new(),
                error: Some(st96::Error::Detect(e)),
            });
        }
    };
    let mut outcome = match found.kind {
        DocumentKind::HagueOfficeToIBTransaction => {
            parse_as::<st96::v6::hague::dgn::HagueOfficeToIbTransaction>(bytes, found.kind.name())
        }
        DocumentKind::HagueIBToOfficeTransaction => {
            parse_as::<st96::v6::hague::dgn::HagueIbToOfficeTransaction>(bytes, found.kind.name())
        }
        DocumentKind::DesignApplication => {
            parse_as::<st96::v6::design::dgn::DesignApplication>(bytes, found.kind.name())
        }
        DocumentKind::DesignTransaction => {
            parse_as::<st96::v6::design::dgn::DesignTransaction>(bytes, found.kind.name())
        }
        other => {
            return Err(CliError::new(
                ExitCode::Invalid,
                format!(
                    "{} is a {} document ({}); `st96 check` has models for \
                     dgn:HagueOfficeToIBTransaction, dgn:HagueIBToOfficeTransaction, \
                     dgn:DesignApplication and dgn:DesignTransaction",
                    found.qualified_root(),
                    other.name(),
                    found.namespace
                ),
            )
            .with_hint("use `ipgate st96 inspect FILE` to see what the document is"));
        }
    };
    if outcome.st96_version.is_none() {
        outcome.st96_version = found.st96_version;
    }
    Ok(outcome)
}

fn run_check(args: CheckArgs, ctx: &Context) -> CliResult {
    let bytes = std::fs::read(&args.file).map_err(|e| CliError::io("read", &args.file, &e))?;
    let outcome = check_bytes(&bytes)?;
    let report = CheckReport {
        file: args.file.display().to_string(),
        valid: outcome.error.is_none(),
        kind: outcome.kind,
        st96_version: outcome.st96_version,
        model_version: st96::detect::MODEL_VERSION,
        warnings: outcome.warnings,
        error: outcome.error.as_ref().map(|e| {
            let loc = e.location();
            CheckProblem {
                message: e.to_string(),
                path: match e {
                    st96::Error::Invalid { path, .. } => Some(path.clone()),
                    _ => None,
                },
                line: loc.map(|l| l.line),
                column: loc.map(|l| l.column),
            }
        }),
    };
    match ctx.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Human => {
            let mut out = std::io::stdout().lock();
            let written = (|| -> std::io::Result<()> {
                for w in &report.warnings {
                    writeln!(out, "warning: {}: {w}", report.file)?;
                }
                if report.valid {
                    writeln!(
                        out,
                        "{}: valid {} (read with the {} model)",
                        report.file,
                        report.kind.unwrap_or("document"),
                        report.model_version
                    )?;
                }
                out.flush()
            })();
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    return Err(CliError::new(
                        ExitCode::Io,
                        format!("cannot write to standard output: {e}"),
                    ));
                }
            }
        }
    }
    match outcome.error {
        None => Ok(()),
        Some(st96::Error::Io(e)) => Err(CliError::io("read", &args.file, &e)),
        Some(e) => Err(CliError::new(
            ExitCode::Invalid,
            format!("{}: invalid: {e}", args.file.display()),
        )),
    }
}
