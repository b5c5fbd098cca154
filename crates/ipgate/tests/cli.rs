//! The CLI frame: version, help, usage errors and config errors have stable exit codes.

mod common;

use common::ipgate;

#[test]
fn version_prints_the_package_version() {
    let out = ipgate().arg("--version").output().expect("run ipgate");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        format!("ipgate {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_lists_every_command() {
    let out = ipgate().arg("--help").output().expect("run ipgate");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for command in ["st96", "keys", "auth", "innography", "package"] {
        assert!(
            stdout.contains(command),
            "--help lacks {command}:\n{stdout}"
        );
    }
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = ipgate().arg("frobnicate").output().expect("run ipgate");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn broken_config_file_is_a_config_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[profiles.default.wipo\nclient_id = 1\n").expect("write");
    let out = ipgate()
        .args(["--config"])
        .arg(&path)
        .args(["auth", "token"])
        .output()
        .expect("run ipgate");
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.toml"), "{stderr}");
}
