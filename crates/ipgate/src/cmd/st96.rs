//! `ipgate st96`: inspect and check WIPO ST.96 XML documents.
//!
//! Each subcommand has its own `XxxArgs` struct and `run_xxx` function below; [`run`] dispatches.

use std::fs::File;
use std::io::BufReader;
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
}

/// Runs `ipgate st96`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        Command::Inspect(a) => run_inspect(a, ctx),
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

    fn print_human(&self) {
        let none = "(none)";
        println!("file:            {}", self.file);
        println!("root:            {}", self.qualified_root);
        println!("kind:            {}", self.kind);
        println!("namespace:       {}", self.namespace);
        println!(
            "st96Version:     {} (read with the {} model)",
            self.st96_version.unwrap_or("(missing)"),
            self.model_version
        );
        println!("ipoVersion:      {}", self.ipo_version.unwrap_or(none));
        println!("schemaLocation:  {}", self.schema_location.unwrap_or(none));
        println!(
            "encoding:        {}{}",
            self.encoding.unwrap_or("(not declared: UTF-8)"),
            if self.bom {
                ", with byte order mark"
            } else {
                ""
            }
        );
        for ns in &self.namespaces {
            match ns.prefix {
                Some(p) => println!("xmlns:{p:<10}{}", ns.uri),
                None => println!("xmlns:           {}", ns.uri),
            }
        }
        println!(
            "root at:         line {}, column {}",
            self.line, self.column
        );
        for w in &self.warnings {
            println!("warning:         {w}");
        }
    }
}

fn run_inspect(args: InspectArgs, ctx: &Context) -> CliResult {
    let file = File::open(&args.file).map_err(|e| CliError::io("open", &args.file, &e))?;
    let detected = detect_reader(BufReader::new(file), &Limits::default())
        .map_err(|e| detect_error(&args.file, e))?;
    let report = InspectReport::new(&args.file, &detected);
    match ctx.output {
        OutputFormat::Json => print_json(&report),
        OutputFormat::Human => {
            report.print_human();
            Ok(())
        }
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
