//! The layering rule of docs/architecture.md: a crate depends only on crates of lower layers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The layer of every crate under crates/, as docs/architecture.md states it.
fn layers() -> BTreeMap<&'static str, u8> {
    BTreeMap::from([
        ("ipgate-base", 0),
        ("st96", 1),
        ("wipo-oidc", 1),
        ("innography-hmac", 1),
        ("ipgate-http", 1),
        ("hague-package", 2),
        ("hague-journal", 2),
        ("hws-client", 3),
        ("innography-client", 3),
        ("ipgate-sandbox", 4),
        ("ipgate", 5),
    ])
}

fn dependency_names(manifest: &toml::Table) -> Vec<String> {
    let mut names = Vec::new();
    for section in ["dependencies", "build-dependencies"] {
        if let Some(deps) = manifest.get(section).and_then(|d| d.as_table()) {
            names.extend(deps.keys().cloned());
        }
    }
    names
}

#[test]
fn every_crate_has_a_layer_and_depends_only_on_lower_layers() {
    let layers = layers();
    let crates_dir = workspace_root().join("crates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates_dir).expect("read crates/") {
        let dir = entry.expect("dir entry").path();
        let manifest_path = dir.join("Cargo.toml");
        if !manifest_path.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest_path).expect("read manifest");
        let manifest: toml::Table = toml::from_str(&text).expect("parse manifest");
        let name = manifest["package"]["name"]
            .as_str()
            .expect("package name")
            .to_string();
        let Some(&layer) = layers.get(name.as_str()) else {
            panic!("crate {name} has no layer: add it to docs/architecture.md and to this test");
        };
        for dep in dependency_names(&manifest) {
            if let Some(&dep_layer) = layers.get(dep.as_str()) {
                assert!(
                    dep_layer < layer,
                    "{name} (layer {layer}) depends on {dep} (layer {dep_layer}): a crate may only depend on lower layers"
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} crates found under crates/");
}

#[test]
fn no_crate_but_the_generator_depends_on_xsd_parser() {
    let root = workspace_root();
    for dir in ["crates", "tools"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("read dir") {
            let path = entry.expect("dir entry").path().join("Cargo.toml");
            if !path.exists() {
                continue;
            }
            let manifest: toml::Table =
                toml::from_str(&std::fs::read_to_string(&path).expect("read")).expect("parse");
            let name = manifest["package"]["name"].as_str().expect("name");
            let deps = dependency_names(&manifest);
            if name != "st96-codegen" {
                assert!(
                    !deps.iter().any(|d| d == "xsd-parser"),
                    "{name} depends on xsd-parser; only tools/st96-codegen may"
                );
            }
        }
    }
}

/// st96's generated types nest deeply: a crate that uses them fails release builds with E0275
/// unless its root raises the recursion limit (debug builds and `cargo check` do not show it).
#[test]
fn every_crate_using_st96_raises_the_recursion_limit() {
    let crates_dir = workspace_root().join("crates");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&crates_dir).expect("read crates/") {
        let dir = entry.expect("dir entry").path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = toml::from_str(&text).expect("parse manifest");
        if !dependency_names(&manifest).iter().any(|d| d == "st96") {
            continue;
        }
        for root in ["src/lib.rs", "src/main.rs"] {
            let Ok(source) = std::fs::read_to_string(dir.join(root)) else {
                continue;
            };
            let limit = recursion_limit(&source);
            assert!(
                limit.is_some_and(|l| l >= 512),
                "{}/{root} uses st96 but lacks #![recursion_limit = \"512\"] or higher (found {limit:?}; release builds fail with E0275)",
                dir.display()
            );
            checked.push(format!("{}/{root}", dir.display()));
        }
    }
    // At least the CLI and hague-package use st96: finding no crate root to read means this test
    // looked in the wrong place, not that all is well.
    assert!(
        checked.len() >= 2,
        "expected at least two crate roots using st96 under {}, checked {checked:?}",
        crates_dir.display()
    );
}

/// The value of `#![recursion_limit = "N"]` in a crate root.
fn recursion_limit(source: &str) -> Option<u32> {
    let rest = source.split("#![recursion_limit = \"").nth(1)?;
    rest.split('"').next()?.parse().ok()
}

#[test]
fn recursion_limit_is_read_from_the_attribute() {
    assert_eq!(
        recursion_limit("//! x\n#![recursion_limit = \"1024\"]\n"),
        Some(1024)
    );
    assert_eq!(recursion_limit("fn main() {}"), None);
}
