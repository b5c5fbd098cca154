//! `ipgate st96`: inspect and check WIPO ST.96 XML documents.
//!
//! Each subcommand has its own `XxxArgs` struct and `run_xxx` function below; [`run`] dispatches.

use std::fs::File;
use std::io::{BufReader, Write};

use hague_package::{Finding, Severity, XsdStatus};
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
    /// com:st96Version), and WIPO's official schema when it is needed: for a V6_0 document the
    /// model accepts, its verdict is proven equal to the schema's and the schema does not run
    /// (--always-xsd runs it); otherwise both verdicts are reported. Bulletins and office copies
    /// are read record by record (flat memory). Exit 0: valid; 1: invalid (the message names
    /// the problem, its element path and line/column); 3: cannot read FILE; 4: WIPO's schema's
    /// verdict not known with --require-schema.
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

// ---- check ----------------------------------------------------------------------------------------

/// Arguments of `ipgate st96 check`.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The XML file to check.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Folder holding WIPO's schema files (`<VERSION>/<Root>_<VERSION>.xsd`). Repeatable.
    /// Default: $IPGATE_SCHEMAS, else the schemas installed by `ipgate schemas install`.
    #[arg(long, value_name = "DIR")]
    schemas: Vec<PathBuf>,
    /// Do not run WIPO's schema (only ipgate's built-in checks). Wins over --always-xsd.
    #[arg(long, conflicts_with = "require_schema")]
    no_xsd: bool,
    /// Fail (exit 4) when WIPO's schema's verdict is not known (the schema was not installed
    /// and st96's typed model could not stand for it), instead of a verdict by ipgate's
    /// built-in checks alone.
    #[arg(long)]
    require_schema: bool,
    #[command(flatten)]
    xsd: crate::cmd::package::AlwaysXsd,
    /// The progress bar of the passes that stream the file (a terminal only).
    #[arg(skip)]
    bar: Option<crate::progress::Bar>,
}

/// JSON output of `ipgate st96 check`.
#[derive(Debug, Serialize)]
struct CheckReport {
    file: String,
    /// Both verdicts agree the document is valid.
    valid: bool,
    /// The result line: never a bare "valid" when WIPO's schema did not run.
    verdict: String,
    kind: Option<&'static str>,
    st96_version: Option<String>,
    model_version: &'static str,
    /// Records read (bulletins and office copies, read record by record).
    #[serde(skip_serializing_if = "Option::is_none")]
    records: Option<u64>,
    /// The typed read stopped after `records` records: the document uses `xs:ID` attributes,
    /// an IPOASIS table or MathML, which WIPO's schema judges (`hague_package::verdict`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    typed_read_stopped: bool,
    warnings: Vec<String>,
    /// ipgate's built-in checks (the typed ST.96 model): the first problem, if any.
    error: Option<CheckProblem>,
    /// WIPO's schema: which one ran and what it found.
    schema: SchemaVerdict,
}

#[derive(Debug, Serialize)]
struct CheckProblem {
    message: String,
    path: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
}

#[derive(Debug, Serialize)]
struct SchemaVerdict {
    /// `validated`, `validated_nearest`, `schema_unavailable`, `skipped` or `not_run`.
    #[serde(flatten)]
    status: XsdStatus,
    /// `true`/`false` when it ran, `null` when it did not.
    valid: Option<bool>,
    findings: Vec<Finding>,
}

/// What the typed model says: the kind and declared version, records read, or the error.
struct Outcome {
    kind: Option<&'static str>,
    st96_version: Option<String>,
    records: Option<u64>,
    /// The read stopped early for the schema (`TypedRead::stopped`).
    stopped: bool,
    warnings: Vec<String>,
    error: Option<st96::Error>,
}

impl Outcome {
    fn failed(kind: Option<&'static str>, e: st96::Error) -> Self {
        Self {
            kind,
            st96_version: None,
            records: None,
            stopped: false,
            warnings: Vec::new(),
            error: Some(e),
        }
    }
}

/// Reads the document's head (root, namespace, declared version) with `detect`: what both
/// verdicts need before they start. `Err(outcome)` when the head itself is refused (the typed
/// verdict; the schema does not run then).
fn detect_file(path: &Path) -> Result<Result<Detected, Outcome>, CliError> {
    let head = File::open(path).map_err(|e| CliError::io("open", path, &e))?;
    match detect_reader(BufReader::new(head), &Limits::default()) {
        Ok(found) => Ok(Ok(found)),
        Err(DetectError::Io(e)) => Err(CliError::io("read", path, &e)),
        Err(e) => Ok(Err(Outcome::failed(None, st96::Error::Detect(e)))),
    }
}

/// The verdict when WIPO's schema does not run.
fn schema_not_run(args: &CheckArgs) -> SchemaVerdict {
    SchemaVerdict {
        status: if args.no_xsd {
            XsdStatus::Skipped
        } else {
            XsdStatus::NotRun
        },
        valid: None,
        findings: Vec::new(),
    }
}

/// Both verdicts, by the one policy of `hague_package::verdict`: for a document st96's model
/// was generated for, the typed read first and WIPO's schema only when it refuses the document
/// (or with --always-xsd); for others both, at the same time on two threads.
fn check_both(args: &CheckArgs) -> Result<(Outcome, SchemaVerdict), CliError> {
    use hague_package::verdict::{Plan, check_document};
    let found = match detect_file(&args.file)? {
        Ok(found) => found,
        Err(outcome) => return Ok((outcome, schema_not_run(args))),
    };
    if !st96::by_kind::kinds_with_model().contains(&found.kind) {
        let models: Vec<String> = st96::by_kind::kinds_with_model()
            .iter()
            .map(|k| format!("dgn:{}", k.name()))
            .collect();
        return Err(CliError::new(
            ExitCode::Invalid,
            format!(
                "{} is a {} document ({}); `st96 check` has models for {}",
                found.qualified_root(),
                found.kind.name(),
                found.namespace,
                models.join(", ")
            ),
        )
        .with_hint("use `ipgate st96 inspect FILE` to see what the document is"));
    }
    let schemas = if args.no_xsd {
        hague_package::Schemas::Off
    } else {
        hague_package::Schemas::Dirs(
            hague_package::schemas::default_search_path(&args.schemas).dirs,
        )
    };
    let plan = Plan::new(
        &schemas,
        args.xsd.mode(),
        &found.root,
        found.st96_version.as_deref(),
    );
    // The bar counts every byte each pass reads (the typed read, and the schema when it runs):
    // its length grows by the file's size as each pass opens the file.
    let size = std::fs::metadata(&args.file).map_or(0, |m| m.len());
    let passes = std::sync::atomic::AtomicU64::new(0);
    let open = || {
        if let Some(bar) = &args.bar {
            let n = passes.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            bar.set_length(size * n);
        }
        File::open(&args.file).map(|f| {
            BufReader::with_capacity(256 * 1024, crate::progress::counted(args.bar.as_ref(), f))
        })
    };
    let limits = hague_package::Limits::default();
    let verdict = check_document(
        &plan,
        &found,
        &open,
        &args.file.display().to_string(),
        limits.max_xml_depth,
        limits.max_findings,
    )
    .map_err(|e| match e {
        hague_package::PackageError::Schema(s) => CliError::new(ExitCode::Config, s.to_string())
            .with_hint(format!(
                "reinstall WIPO's schemas with `{}`, or pass --no-xsd",
                hague_package::INSTALL_HINT
            )),
        hague_package::PackageError::Io { source, .. } => CliError::io("read", &args.file, &source),
        other => CliError::new(ExitCode::Io, other.to_string()),
    })?;
    let outcome = match verdict.typed {
        Some(t) => Outcome {
            kind: Some(t.kind),
            st96_version: t.declared_version,
            records: t.records,
            stopped: t.stopped,
            warnings: t.warnings,
            error: t.error,
        },
        None => {
            return Err(CliError::new(
                ExitCode::Internal,
                format!("no st96 model read {}", args.file.display()),
            ));
        }
    };
    let run = verdict.schema;
    let valid = run
        .status
        .ran()
        .then(|| !run.findings.iter().any(|f| f.severity == Severity::Error));
    Ok((
        outcome,
        SchemaVerdict {
            status: run.status,
            valid,
            findings: run.findings,
        },
    ))
}

fn run_check(mut args: CheckArgs, ctx: &Context) -> CliResult {
    args.bar = crate::progress::enabled(ctx.output)
        .then(|| crate::progress::Bar::bytes(format!("check {}", args.file.display())));
    let checked = check_both(&args);
    if let Some(bar) = &args.bar {
        bar.finish();
    }
    let (outcome, schema) = checked?;
    let typed_valid = outcome.error.is_none();
    let valid = typed_valid && schema.valid != Some(false);
    let report = CheckReport {
        file: args.file.display().to_string(),
        valid,
        verdict: schema.status.verdict(valid),
        kind: outcome.kind,
        st96_version: outcome.st96_version.clone(),
        model_version: st96::detect::MODEL_VERSION,
        records: outcome.records,
        typed_read_stopped: outcome.stopped,
        warnings: outcome.warnings.clone(),
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
        schema,
    };
    match ctx.output {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Human => {
            for w in &report.warnings {
                crate::outln!("warning: {}: {w}", report.file);
            }
            for f in &report.schema.findings {
                crate::outln!("{f}");
            }
            crate::outln!(
                "{}: {}: {} — ipgate's built-in checks ({} model{}): {}; WIPO's schema: {}",
                report.file,
                report.kind.unwrap_or("document"),
                report.verdict,
                report.model_version,
                match report.records {
                    Some(n) if report.typed_read_stopped => format!(
                        ", stopped after {n} record{}: the document uses xs:ID attributes, an \
                         IPOASIS table or MathML, which WIPO's schema judges",
                        if n == 1 { "" } else { "s" }
                    ),
                    Some(n) => format!(", {n} records streamed"),
                    None => String::new(),
                },
                match (typed_valid, report.typed_read_stopped) {
                    (true, true) => "valid so far",
                    (true, false) => "valid",
                    (false, _) => "INVALID",
                },
                match (&report.schema.status, report.schema.valid) {
                    (XsdStatus::ModelProven { .. }, _) =>
                        "not needed (the model's verdict is proven equal to it; --always-xsd runs it)",
                    (_, Some(true)) => "valid",
                    (_, Some(false)) => "INVALID",
                    (_, None) => "not run",
                }
            );
        }
    }
    if args.require_schema && report.schema.valid.is_none() && typed_valid {
        return Err(CliError::new(
            ExitCode::Config,
            format!(
                "{}: WIPO's schema was not run (--require-schema)",
                args.file.display()
            ),
        )
        .with_hint(format!(
            "install WIPO's schemas with `{}`, or pass --schemas DIR",
            hague_package::INSTALL_HINT
        )));
    }
    match outcome.error {
        None if report.schema.valid == Some(false) => {
            let first = report
                .schema
                .findings
                .iter()
                .find(|f| f.severity == Severity::Error)
                .map(ToString::to_string)
                .unwrap_or_default();
            Err(CliError::new(
                ExitCode::Invalid,
                format!(
                    "{}: invalid against WIPO's schema: {first}",
                    args.file.display()
                ),
            )
            .with_hint(
                "ipgate's built-in checks did not catch this; the findings above name each problem",
            ))
        }
        None => Ok(()),
        Some(st96::Error::Io(e)) => Err(CliError::io("read", &args.file, &e)),
        Some(e) => Err(CliError::new(
            ExitCode::Invalid,
            format!("{}: invalid: {e}", args.file.display()),
        )),
    }
}
