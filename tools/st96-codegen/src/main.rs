//! `st96-codegen`: generates the `st96` crate's models from WIPO's ST.96 flattened schemas.
//!
//! Usage (from the workspace root, after `python3 tools/install-schemas.py V6_0 <dir-or-zip>`):
//!
//! ```text
//! cargo run -p st96-codegen -- --version V6_0
//! ```
//!
//! It reads `xsd/wipo/<VERSION>/`, builds a patched in-memory copy of the schemas (see
//! [`schema_set`]), runs xsd-parser 1.5.2 with the configuration in [`config`], post-processes
//! the output (see [`postprocess`]) and writes rustfmt'ed files under
//! `crates/st96/src/generated/<module>/` (`V6_0` → `v6`).

mod config;
mod fast;
mod gate;
mod postprocess;
mod schema_set;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// One cargo feature of `st96`: the document roots it makes available.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// Cargo feature and module name.
    pub name: &'static str,
    /// Document roots (Design namespace root elements) and the per-root schema file stem.
    pub roots: &'static [&'static str],
}

/// Module (below `generated/<v>/`) that holds the one generated tree.
pub const MODEL_MODULE: &str = "model";

/// The features this generator knows.
pub const FEATURES: &[Feature] = &[
    Feature {
        name: "hague",
        roots: &["HagueOfficeToIBTransaction", "HagueIBToOfficeTransaction"],
    },
    Feature {
        name: "design",
        roots: &["DesignApplication", "DesignTransaction"],
    },
];

struct Args {
    version: String,
    xsd_dir: Option<PathBuf>,
    out_dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        version: "V6_0".into(),
        xsd_dir: None,
        out_dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = |name: &str| {
            it.next()
                .with_context(|| format!("{name} needs a value; see --help"))
        };
        match a.as_str() {
            "--version" => args.version = val("--version")?,
            "--xsd-dir" => args.xsd_dir = Some(val("--xsd-dir")?.into()),
            "--out-dir" => args.out_dir = Some(val("--out-dir")?.into()),
            "-h" | "--help" => {
                println!(
                    "st96-codegen [--version V6_0] [--xsd-dir xsd/wipo/V6_0] \
                     [--out-dir crates/st96/src/generated/v6]\n\
                     Regenerates the st96 models. Install the schemas first with\n\
                     python3 tools/install-schemas.py VERSION DIR-OR-ZIP"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}; run with --help"),
        }
    }
    Ok(args)
}

/// `V6_0` → `v6`, `V7_0` → `v7`, `V3_2T1` → `v3_2t1`.
pub fn module_name(version: &str) -> Result<String> {
    let v = version
        .strip_prefix('V')
        .with_context(|| format!("version {version:?} must look like V6_0"))?;
    let lower = v.to_ascii_lowercase();
    let m = lower.strip_suffix("_0").unwrap_or(&lower);
    if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("version {version:?} must look like V6_0");
    }
    Ok(format!("v{m}"))
}

/// The workspace root: the current directory (run the generator from the workspace root).
fn workspace_root() -> Result<PathBuf> {
    let cwd = std::env::current_dir()?;
    if !cwd.join("crates/st96").is_dir() {
        bail!(
            "run st96-codegen from the workspace root (the folder holding crates/st96); \
             current directory is {}",
            cwd.display()
        );
    }
    Ok(cwd)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let root = workspace_root()?;
    let module = module_name(&args.version)?;
    let xsd_dir = args
        .xsd_dir
        .unwrap_or_else(|| root.join("xsd/wipo").join(&args.version));
    if !xsd_dir
        .join(format!("Common_{}.xsd", args.version))
        .is_file()
    {
        bail!(
            "{} does not hold Common_{}.xsd; install the schemas first: \
             python3 tools/install-schemas.py {} <WIPO zip or folder>",
            xsd_dir.display(),
            args.version,
            args.version
        );
    }
    let out_dir = args
        .out_dir
        .unwrap_or_else(|| root.join("crates/st96/src/generated").join(&module));
    std::fs::create_dir_all(&out_dir)?;
    // Every root at once, so that the Common and shared Design types exist once; the feature
    // gates then compile each type only for the features whose roots reach it.
    let roots: Vec<&str> = FEATURES
        .iter()
        .flat_map(|f| f.roots.iter().copied())
        .collect();
    let tmp = std::env::temp_dir().join(format!(
        "st96-codegen-{}-{}",
        args.version,
        std::process::id()
    ));
    let set = schema_set::prepare(&xsd_dir, &args.version, &roots, &tmp)?;
    let cfg = config::build(&set, &roots)?;
    let modules = xsd_parser::generate_modules(cfg).context("xsd-parser failed")?;
    let dir = out_dir.join(MODEL_MODULE);
    for stale in FEATURES
        .iter()
        .map(|f| out_dir.join(f.name))
        .chain([dir.clone()])
    {
        if stale.exists() {
            std::fs::remove_dir_all(&stale)?;
        }
    }
    std::fs::create_dir_all(&dir)?;
    postprocess::write(
        &modules,
        &dir,
        &args.version,
        &set.element_names,
        &set.elements,
    )?;
    let _ = std::fs::remove_dir_all(&tmp);
    rustfmt_tree(&dir)?;
    gate::gate_features(&dir, FEATURES)?;
    eprintln!("generated {} into {}", args.version, dir.display());
    rustfmt_files(&[out_dir.join("mod.rs")])
}

fn rustfmt_tree(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    collect_rs(dir, &mut files)?;
    files.sort();
    rustfmt_files(&files)
}

fn rustfmt_files(files: &[PathBuf]) -> Result<()> {
    let status = Command::new("rustfmt")
        .arg("--edition")
        .arg("2024")
        .args(files)
        .status()
        .context("running rustfmt (install it with `rustup component add rustfmt`)")?;
    if !status.success() {
        bail!("rustfmt failed on the generated code");
    }
    Ok(())
}

pub(crate) fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            collect_rs(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    Ok(())
}
