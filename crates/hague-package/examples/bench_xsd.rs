//! One side of the XSD rows of `tools/bench.sh`: validates one XML file against one root schema,
//! either with `xsd-schema` alone or through our wrapper, and prints the times, so that the script
//! can measure the wrapper's overhead on the same file in the same run (target: ≤ 10 %).
//!
//! `cargo run --release -p hague-package --example bench_xsd -- MODE SCHEMA.xsd FILE.xml`
//!
//! | MODE      | what it does                                                                     |
//! |-----------|----------------------------------------------------------------------------------|
//! | `crate`   | `xsd-schema` alone: compile, then `drive_quick_xml` with a counting sink, with    |
//! |           | the validator flags and depth limit `hague_package` uses                          |
//! | `wrapper` | `hague_package::validate_xml` (line/column tracking, element-type stack, findings)|
//!
//! Prints `compile_secs=C validate_secs=V errors=N`: schema compilation and validation timed
//! apart, so the per-byte cost can be compared without the compile.

use std::cell::Cell;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use xsd_schema::SchemaSetBuilder;
use xsd_schema::validation::{
    SchemaValidator, ValidationError, ValidationFlags, ValidationSink, ValidationWarning,
    drive_quick_xml,
};
use xsd_schema::xml::ParseLimits;

/// Same buffer as the wrapper's callers use (`hague_package` reads entries through 256 KiB).
const BUF: usize = 256 * 1024;
/// Same depth limit as `ipgate`'s default.
const MAX_DEPTH: usize = 256;

/// Counts the errors (shared with the caller: the runtime owns its sink).
#[derive(Debug, Default)]
struct Count(Rc<Cell<u64>>);

impl ValidationSink for Count {
    fn on_error(&mut self, _error: ValidationError) {
        self.0.set(self.0.get() + 1);
    }
    fn on_warning(&mut self, _warning: ValidationWarning) {}
}

fn crate_alone(schema: &Path, xml: &Path) -> Result<(f64, f64, u64), String> {
    let t = Instant::now();
    let location = schema
        .canonicalize()
        .map_err(|e| format!("{}: {e}", schema.display()))?
        .to_string_lossy()
        .into_owned();
    let set = SchemaSetBuilder::new()
        .add("", &location)
        .map_err(|e| e.to_string())?
        .compile()
        .map_err(|e| e.to_string())?
        .into_schema_set();
    // The flags hague_package uses: no typed values built for the PSVI.
    let flags = ValidationFlags::default() & !ValidationFlags::BUILD_PSVI_TYPED_VALUES;
    let validator = SchemaValidator::new(&set, flags);
    let compile = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let file = File::open(xml).map_err(|e| format!("{}: {e}", xml.display()))?;
    let count = Rc::new(Cell::new(0u64));
    let mut runtime = validator.start_run(Count(count.clone()));
    runtime.set_parse_limits(
        ParseLimits::none()
            .with_max_depth(MAX_DEPTH)
            .with_max_name_bytes(4096),
    );
    let result = drive_quick_xml(BufReader::with_capacity(BUF, file), &mut runtime, &set);
    let validate = t.elapsed().as_secs_f64();
    drop(runtime);
    let mut errors = count.get();
    if let Err(e) = result {
        eprintln!("bench_xsd crate: {e}");
        errors += 1;
    }
    Ok((compile, validate, errors))
}

fn wrapper(schema: &Path, xml: &Path) -> Result<(f64, f64, u64), String> {
    let t = Instant::now();
    hague_package::preload_schema(schema).map_err(|e| e.to_string())?;
    let compile = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let file = File::open(xml).map_err(|e| format!("{}: {e}", xml.display()))?;
    let name = xml
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let out = hague_package::validate_xml(
        schema,
        BufReader::with_capacity(BUF, file),
        &name,
        MAX_DEPTH,
        100,
    )
    .map_err(|e| e.to_string())?;
    let validate = t.elapsed().as_secs_f64();
    for f in out.findings.iter().take(3) {
        eprintln!("bench_xsd wrapper: {f}");
    }
    Ok((compile, validate, out.findings.len() as u64 + out.dropped))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, schema, xml] = args.as_slice() else {
        eprintln!("usage: bench_xsd crate|wrapper SCHEMA.xsd FILE.xml");
        return ExitCode::from(2);
    };
    let (schema, xml) = (Path::new(schema), Path::new(xml));
    let result = match mode.as_str() {
        "crate" => crate_alone(schema, xml),
        "wrapper" => wrapper(schema, xml),
        other => Err(format!("unknown mode {other}; use crate or wrapper")),
    };
    match result {
        Ok((compile, validate, errors)) => {
            println!("compile_secs={compile:.6} validate_secs={validate:.6} errors={errors}");
            if errors == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("bench_xsd {mode}: {e}");
            ExitCode::from(3)
        }
    }
}
