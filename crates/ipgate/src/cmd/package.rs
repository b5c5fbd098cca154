//! `ipgate package`: build, validate, inspect and extract Hague packages (ZIP). The work is done by
//! the `hague-package` crate; this module parses arguments, maps errors to exit codes and prints.

use std::path::{Path, PathBuf};

use hague_package::{
    BuildOptions, FileKind, ImageLimits, Limits, Options, PackageError, Report, SchemaMode,
    Schemas, TypedModelStatus, XsdStatus,
};
use serde::Serialize;

use crate::Context;
use crate::exit::{CliError, CliResult, ExitCode};
use crate::output::{OutputFormat, print_json};

/// Arguments of `ipgate package`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Build a deterministic package from an XML file (referenced files resolved relative to it) or
    /// a directory. Validates first; exit 1 and nothing written if invalid (unless --allow-invalid).
    Build(BuildArgs),
    /// Validate a package: archive safety, XSD (WIPO's official schema) and the Hague rules
    /// (docs/package-rules.md). An IB-to-office package (bulletin, confidential copy) is
    /// recognised and checked by its own rules. Exit 0 valid, 1 invalid, 3 unreadable, 4 WIPO's
    /// schema not run with --require-schema.
    Validate(ValidateArgs),
    /// Show what a package is: transaction, IRN, office reference, version, files with kinds and sizes.
    Inspect(InspectArgs),
    /// Extract a package (e.g. a bulletin) safely into a new directory, with a SHA256SUMS list.
    Extract(ExtractArgs),
}

/// Checks and limits shared by the subcommands.
#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Directory holding WIPO schema files (searched for <Root>_<version>.xsd, e.g. a folder with
    /// V7_0/ and V4_0/ inside). Repeatable. Default: $IPGATE_SCHEMAS, else the schemas installed
    /// by `ipgate schemas install` in the data directory.
    #[arg(long, value_name = "DIR")]
    schemas: Vec<PathBuf>,
    /// Skip XSD validation (the built-in checks still run). Wins over --always-xsd.
    #[arg(long, conflicts_with = "require_schema")]
    no_xsd: bool,
    /// Fail (exit 4) when WIPO's schema's verdict is not known (the schema was not installed
    /// and st96's typed model could not stand for it), instead of a verdict by ipgate's
    /// built-in checks alone.
    #[arg(long)]
    require_schema: bool,
    #[command(flatten)]
    xsd: AlwaysXsd,
    /// Largest design view in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = ImageLimits::default().max_bytes)]
    max_image_bytes: u64,
    /// Largest design view width or height in pixels.
    #[arg(long, value_name = "PX", default_value_t = ImageLimits::default().max_pixels)]
    max_image_px: u32,
    /// Formats accepted for design views (comma-separated: jpeg, png, tiff, gif).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_values_t = default_image_formats()
    )]
    image_formats: Vec<String>,
    /// Most entries in an archive.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    max_entries: u64,
    /// Most bytes an archive may expand to.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_total_bytes)]
    max_total_bytes: u64,
    /// Highest compression ratio of an entry (ZIP bomb guard).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    max_ratio: u64,
    /// Deepest XML nesting.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_xml_depth)]
    max_depth: usize,
}

/// `--always-xsd`, defined once for every command that validates a document or a package
/// (`package validate`/`build`, `hague submit`, `st96 check`): the schema mode of
/// `hague_package::verdict`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AlwaysXsd {
    /// Run WIPO's schema even when st96's typed V6_0 model accepts the document. By default it
    /// does not then: the model's verdict is proven equal to the V6_0 schema's (docs/cli.md,
    /// "Which verdict"), and the schema runs only when the model refuses the document, or for
    /// a version whose own schema is installed. Default from $IPGATE_ALWAYS_XSD (true/false).
    #[arg(long, env = "IPGATE_ALWAYS_XSD")]
    always_xsd: bool,
}

impl AlwaysXsd {
    /// The library's schema mode.
    pub(crate) fn mode(&self) -> SchemaMode {
        if self.always_xsd {
            SchemaMode::Always
        } else {
            SchemaMode::WhenNeeded
        }
    }
}

/// The formats `hague_package::ImageLimits::default()` accepts, as `--image-formats` names.
fn default_image_formats() -> Vec<String> {
    ImageLimits::default()
        .formats
        .iter()
        .map(|k| k.as_str().to_ascii_lowercase())
        .collect()
}

impl CheckArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_entries: self.max_entries,
            max_total_bytes: self.max_total_bytes,
            max_ratio: self.max_ratio,
            max_xml_depth: self.max_depth,
            ..Limits::default()
        }
    }

    fn options(&self) -> CliResult<Options> {
        let mut formats = Vec::new();
        for f in &self.image_formats {
            match FileKind::from_category(f) {
                Some(k) => formats.push(k),
                None => {
                    return Err(CliError::new(
                        ExitCode::Usage,
                        format!("unknown image format {f:?}"),
                    )
                    .with_hint("use jpeg, png, tiff or gif"));
                }
            }
        }
        let schemas = if self.no_xsd {
            Schemas::Off
        } else {
            Schemas::Dirs(hague_package::schemas::default_search_path(&self.schemas).dirs)
        };
        Ok(Options {
            limits: self.limits(),
            images: ImageLimits {
                formats,
                max_bytes: self.max_image_bytes,
                max_pixels: self.max_image_px,
            },
            schemas,
            schema_mode: self.xsd.mode(),
            verify_integrity: true,
            progress: None,
        })
    }
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The transaction XML, or a directory holding it and its files.
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// The package to write.
    #[arg(short, long, value_name = "ZIP")]
    out: PathBuf,
    /// Write the package even if validation finds errors.
    #[arg(long)]
    allow_invalid: bool,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, clap::Args)]
struct ValidateArgs {
    /// The package (ZIP).
    #[arg(value_name = "ZIP")]
    package: PathBuf,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, clap::Args)]
struct InspectArgs {
    /// The package (ZIP).
    #[arg(value_name = "ZIP")]
    package: PathBuf,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Debug, clap::Args)]
struct ExtractArgs {
    /// The package (ZIP), e.g. a bulletin or a confidential copy.
    #[arg(value_name = "ZIP")]
    package: PathBuf,
    /// A new directory to create.
    #[arg(value_name = "DIR")]
    target: PathBuf,
    #[command(flatten)]
    check: CheckArgs,
}

/// Runs `ipgate package`.
pub async fn run(args: Args, ctx: &Context) -> CliResult {
    match args.command {
        Command::Build(a) => run_build(a, ctx),
        Command::Validate(a) => run_validate(a, ctx),
        Command::Inspect(a) => run_inspect(a, ctx),
        Command::Extract(a) => run_extract(a, ctx),
    }
}

pub(crate) fn map_err(e: PackageError) -> CliError {
    match e {
        PackageError::Io {
            action,
            path,
            source,
        } => CliError::new(
            ExitCode::Io,
            format!("cannot {action} {}: {source}", path.display()),
        )
        .with_hint("check that the path exists and is readable/writable"),
        PackageError::Unsafe { path, findings } => {
            let mut msg = format!("{} was refused:", path.display());
            for f in &findings {
                msg.push_str(&format!("\n  {f}"));
            }
            CliError::new(ExitCode::Invalid, msg)
                .with_hint("the archive is unsafe; ask the sender for a clean package")
        }
        PackageError::Schema(s) => CliError::new(ExitCode::Config, s.to_string())
            .with_hint("pass --schemas DIR with WIPO's schema files, or --no-xsd"),
        other => CliError::new(ExitCode::Invalid, other.to_string()),
    }
}

/// What WIPO's schema step did, in words: the one description of `XsdStatus` that `package`,
/// `hague submit` and `demo` print.
pub(crate) fn xsd_text(x: &XsdStatus) -> String {
    match x {
        XsdStatus::Validated { schema } => format!("validated against {schema}"),
        XsdStatus::ValidatedNearest {
            schema,
            schema_version,
            declared,
        } => format!(
            "no {declared} schema installed; validated against {schema} ({schema_version}, com:st96Version relaxed)"
        ),
        XsdStatus::SchemaUnavailable { version, .. } => format!(
            "no schema for version {version:?} installed; built-in checks only (`{}`)",
            hague_package::INSTALL_HINT
        ),
        XsdStatus::ModelProven {
            model_version,
            schema,
            declared,
        } => format!(
            "not needed: st96's {model_version} model accepts it, and its verdict is proven equal to WIPO's {model_version} schema's{}{} (--always-xsd runs the schema too)",
            schema
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default(),
            if declared == model_version {
                String::new()
            } else {
                format!(", com:st96Version relaxed for the declared {declared}")
            }
        ),
        XsdStatus::Skipped => "skipped (--no-xsd); built-in checks only".into(),
        XsdStatus::NotRun => "not run".into(),
    }
}

fn typed_line(t: &TypedModelStatus) -> String {
    match t {
        TypedModelStatus::Valid => "typed model (st96 V6_0): read the XML".into(),
        TypedModelStatus::Invalid { .. } => "typed model (st96 V6_0): refuses the XML".into(),
        TypedModelStatus::NotRun => "typed model (st96 V6_0): not run".into(),
    }
}

pub(crate) fn print_report(r: &Report) {
    for f in &r.findings {
        crate::outln!("{f}");
    }
    if r.truncated > 0 {
        crate::outln!("... {} more findings not shown", r.truncated);
    }
    crate::outln!("{}", format!("XSD: {}", xsd_text(&r.xsd)));
    crate::outln!("{}", typed_line(&r.typed_model));
    crate::outln!(
        "{}: {} — {} error(s), {} warning(s)",
        r.package,
        r.xsd.verdict(r.is_valid()),
        r.errors(),
        r.warnings()
    );
}

/// `--require-schema`: an error when WIPO's schema did not run.
fn require_schema(r: &Report, required: bool) -> CliResult {
    if !required || r.xsd.ran() {
        return Ok(());
    }
    Err(CliError::new(
        ExitCode::Config,
        format!(
            "WIPO's schema was not run on {} (--require-schema): XSD: {}",
            r.package,
            xsd_text(&r.xsd)
        ),
    )
    .with_hint(format!(
        "install WIPO's schemas with `{}`, or pass --schemas DIR",
        hague_package::INSTALL_HINT
    )))
}

#[derive(Serialize)]
struct ValidateJson<'a> {
    valid: bool,
    verdict: String,
    errors: usize,
    warnings: usize,
    #[serde(flatten)]
    report: &'a Report,
}

fn run_validate(a: ValidateArgs, ctx: &Context) -> CliResult {
    let mut opts = a.check.options()?;
    let report = validate_with_bar(&a.package, &mut opts, ctx.output)?;
    emit_report(&report, ctx)?;
    require_schema(&report, a.check.require_schema)?;
    if report.is_valid() {
        Ok(())
    } else {
        Err(CliError::new(
            ExitCode::Invalid,
            format!(
                "{} is not a valid Hague package ({} errors)",
                a.package.display(),
                report.errors()
            ),
        )
        .with_hint("fix the errors listed above; rule ids are explained in docs/package-rules.md"))
    }
}

/// Validates `package`, with a bar on a terminal naming each entry as it is read (a bulletin's
/// XML can take a while: WIPO's schema, the typed model, the integrity check each read it).
pub(crate) fn validate_with_bar(
    package: &Path,
    opts: &mut Options,
    output: OutputFormat,
) -> CliResult<Report> {
    let bar = crate::progress::enabled(output)
        .then(|| crate::progress::Bar::bytes(format!("validate {}", package.display())));
    opts.progress = bar.as_ref().map(|b| b.read_progress("validate"));
    let report = hague_package::validate_package(package, opts).map_err(map_err);
    if let Some(bar) = &bar {
        bar.finish();
    }
    report
}

fn emit_report(report: &Report, ctx: &Context) -> CliResult {
    match ctx.output {
        OutputFormat::Human => {
            print_report(report);
            Ok(())
        }
        OutputFormat::Json => print_json(&ValidateJson {
            valid: report.is_valid(),
            verdict: report.xsd.verdict(report.is_valid()),
            errors: report.errors(),
            warnings: report.warnings(),
            report,
        }),
    }
}

fn run_build(a: BuildArgs, ctx: &Context) -> CliResult {
    let opts = BuildOptions {
        validation: a.check.options()?,
        allow_invalid: a.allow_invalid,
        require_schema: a.check.require_schema,
    };
    let out = hague_package::build(&a.input, &a.out, &opts).map_err(map_err)?;
    match ctx.output {
        OutputFormat::Json => print_json(&out)?,
        OutputFormat::Human => {
            print_report(&out.report);
            if out.written {
                for e in &out.entries {
                    crate::outln!(
                        "  {:>10}  {}  {}",
                        e.size,
                        if e.stored { "stored  " } else { "deflated" },
                        e.name
                    );
                }
                crate::outln!(
                    "wrote {} ({} entries) sha256 {}",
                    out.output.display(),
                    out.entries.len(),
                    out.sha256.as_deref().unwrap_or("")
                );
            }
        }
    }
    if out.written {
        Ok(())
    } else {
        if out.report.is_valid() || a.allow_invalid {
            require_schema(&out.report, a.check.require_schema)?;
        }
        Err(CliError::new(
            ExitCode::Invalid,
            format!(
                "not written: {} has {} error(s)",
                a.input.display(),
                out.report.errors()
            ),
        )
        .with_hint("fix the errors, or pass --allow-invalid to write the package anyway"))
    }
}

fn run_inspect(a: InspectArgs, ctx: &Context) -> CliResult {
    // With --output ndjson each record of a bulletin is a line the moment st96's streaming
    // reader yields it; JSON and text only count them.
    let mut failed = None;
    let ins = hague_package::inspect_with_records(&a.package, &a.check.limits(), |r| {
        match crate::output::stream_record("ib_records", r) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    })
    .map_err(map_err)?;
    if let Some(e) = failed {
        return Err(e);
    }
    match ctx.output {
        OutputFormat::Json => print_json(&ins),
        OutputFormat::Human => {
            crate::outln!("package:      {}", ins.package);
            crate::outln!("root:         {}", ins.root.as_deref().unwrap_or("-"));
            crate::outln!("version:      {}", ins.version.as_deref().unwrap_or("-"));
            if let Some(t) = &ins.transaction {
                crate::outln!("transaction:  {t}");
                crate::outln!("IRN:          {}", ins.irn.as_deref().unwrap_or("-"));
                crate::outln!(
                    "office ref:   {}",
                    ins.office_reference.as_deref().unwrap_or("-")
                );
            }
            if let Some(r) = &ins.records {
                if let Some(b) = &r.header.bulletin_number {
                    crate::outln!("bulletin:     {b}");
                }
                if let Some(o) = &r.header.receiving_office {
                    crate::outln!("for office:   {o}");
                }
                if let Some(d) = &r.header.date {
                    crate::outln!("date:         {d}");
                }
                crate::outln!("records:");
                for (k, n) in &r.by_kind {
                    crate::outln!("  {n:>8}  {k}");
                }
                crate::outln!("IRN folders:  {}", r.folders);
            }
            crate::outln!("files:");
            let shown = if ins.records.is_some() {
                20
            } else {
                usize::MAX
            };
            for f in ins.files.iter().take(shown) {
                crate::outln!(
                    "  {:>10}  {:<5} {:<12} {}{}",
                    f.size,
                    f.kind.as_str(),
                    f.role,
                    f.name,
                    f.document_kind
                        .as_deref()
                        .map(|k| format!("  [{k}]"))
                        .unwrap_or_default()
                );
            }
            if ins.files.len() > shown {
                crate::outln!("  ... {} more files", ins.files.len() - shown);
            }
            Ok(())
        }
    }
}

fn run_extract(a: ExtractArgs, ctx: &Context) -> CliResult {
    if Path::new(&a.target).exists() {
        return Err(CliError::new(
            ExitCode::Usage,
            format!("{} already exists", a.target.display()),
        )
        .with_hint("extract into a directory that does not exist yet"));
    }
    let out = hague_package::extract(&a.package, &a.target, &a.check.limits()).map_err(map_err)?;
    match ctx.output {
        OutputFormat::Json => print_json(&out),
        OutputFormat::Human => {
            crate::outln!(
                "extracted {} files ({} bytes) to {}; SHA-256 list in {}",
                out.files,
                out.bytes,
                out.target.display(),
                out.sums_file.display()
            );
            for (k, n) in &out.records {
                crate::outln!("  {n:>8}  {k}");
            }
            Ok(())
        }
    }
}
