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
mod postprocess;
mod schema_set;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// One generated feature: a set of document roots sharing one copy of the Common types.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// Cargo feature and module name.
    pub name: &'static str,
    /// Document roots (Design namespace root elements) and the per-root schema file stem.
    pub roots: &'static [&'static str],
}

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
    features: Vec<String>,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        version: "V6_0".into(),
        xsd_dir: None,
        out_dir: None,
        features: Vec::new(),
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
            "--feature" => args.features.push(val("--feature")?),
            "-h" | "--help" => {
                println!(
                    "st96-codegen [--version V6_0] [--xsd-dir xsd/wipo/V6_0] \
                     [--out-dir crates/st96/src/generated/v6] [--feature hague]...\n\
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
    let features: Vec<Feature> = if args.features.is_empty() {
        FEATURES.to_vec()
    } else {
        args.features
            .iter()
            .map(|f| {
                FEATURES
                    .iter()
                    .find(|x| x.name == f)
                    .copied()
                    .with_context(|| format!("unknown feature {f:?}"))
            })
            .collect::<Result<_>>()?
    };

    std::fs::create_dir_all(&out_dir)?;
    for feature in &features {
        let tmp = std::env::temp_dir().join(format!(
            "st96-codegen-{}-{}-{}",
            args.version,
            feature.name,
            std::process::id()
        ));
        let set = schema_set::prepare(&xsd_dir, &args.version, feature.roots, &tmp)?;
        let cfg = config::build(&set, feature.roots)?;
        let modules = xsd_parser::generate_modules(cfg)
            .with_context(|| format!("xsd-parser failed for feature {}", feature.name))?;
        let dir = out_dir.join(feature.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        postprocess::write(&modules, &dir, feature, &args.version, &set.element_names)?;
        let _ = std::fs::remove_dir_all(&tmp);
        rustfmt_tree(&dir)?;
        eprintln!("generated feature {} into {}", feature.name, dir.display());
    }
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
