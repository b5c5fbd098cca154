//! Helpers shared by the CLI's end-to-end tests.
#![allow(dead_code)]

pub mod hws;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The secret of the Innography consumer `obiwan` that [`innography_sandbox`] registers.
pub const INNOGRAPHY_SECRET: &str = "74f43da743aa47c3a90a9c5ef493bc8d";

/// Starts the sandbox `config` describes (off the async runtime: it blocks while it binds and
/// opens its state) with the Innography consumer `obiwan` ([`INNOGRAPHY_SECRET`]) registered.
pub async fn innography_sandbox(config: ipgate_sandbox::SandboxConfig) -> ipgate_sandbox::Sandbox {
    let sandbox = tokio::task::spawn_blocking(move || ipgate_sandbox::Sandbox::start(config))
        .await
        .expect("join")
        .expect("sandbox starts");
    sandbox
        .register_innography_consumer("obiwan", Some(INNOGRAPHY_SECRET))
        .expect("consumer");
    sandbox
}

/// The real `ipgate` binary, with the profile and config environment cleared.
pub fn ipgate() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipgate"));
    cmd.env_remove("IPGATE_PROFILE")
        .env_remove("IPGATE_CONFIG")
        .env_remove("IPGATE_ALWAYS_XSD");
    cmd
}

/// The real `ipgate` binary with `home` as its home and a clean environment: no profile, config,
/// Innography credentials, XDG folders, proxies or log filter of the machine running the tests.
pub fn ipgate_isolated(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipgate"));
    for (k, _) in std::env::vars() {
        if k.starts_with("INNOGRAPHY_")
            || k.starts_with("IPGATE_")
            || k.to_ascii_lowercase().ends_with("_proxy")
            || k.starts_with("XDG_")
            || k == "RUST_LOG"
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .env("IPGATE_CACHE_DIR", home.join("cache"))
        .env("NO_PROXY", "127.0.0.1");
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
