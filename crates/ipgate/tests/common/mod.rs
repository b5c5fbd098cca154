//! Helpers shared by the CLI's end-to-end tests.
#![allow(dead_code)]

pub mod hws;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The real `ipgate` binary, with the profile and config environment cleared.
pub fn ipgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipgate"));
    cmd.env_remove("IPGATE_PROFILE").env_remove("IPGATE_CONFIG");
    cmd
}

/// `../shared/st96/samples` next to the checkout (see the README).
pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/st96/samples")
}

/// `ipgate [--output json] st96 <command> <file>`.
pub fn st96(command: &str, file: &Path, json: bool) -> Output {
    let mut cmd = ipgate();
    if json {
        cmd.args(["--output", "json"]);
    }
    cmd.args(["st96", command])
        .arg(file)
        .output()
        .expect("run ipgate")
}
