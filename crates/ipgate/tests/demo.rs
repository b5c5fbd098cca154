//! `ipgate demo` and the embedded sandbox default: an empty HOME, no configuration, no schemas.

mod common;

use std::path::Path;
use std::process::Command;

fn in_home(home: &Path) -> Command {
    let mut cmd = common::ipgate();
    cmd.env("HOME", home)
        .env_remove("IPGATE_DATA_DIR")
        .env_remove("IPGATE_CACHE_DIR")
        .env_remove("IPGATE_SCHEMAS")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CACHE_HOME")
        .env_remove("IPGATE_ISSUER")
        .env_remove("IPGATE_TOKEN_ENDPOINT")
        .env_remove("IPGATE_CLIENT_ID")
        .env_remove("IPGATE_KEY_FILE")
        .env_remove("IPGATE_HWS_BASE_URL");
    cmd
}

fn json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("run ipgate");
    assert!(
        out.status.success(),
        "{:?}:\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SANDBOX"),
        "every sandbox run says so on stderr: {stderr}"
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn the_demo_runs_without_schemas_and_says_which_checks_it_could_not_run() {
    let home = tempfile::tempdir().expect("tempdir");
    let first = json(in_home(home.path()).args(["--output", "json", "demo"]));
    assert_eq!(first["sandbox"], true, "{first}");
    let steps = first["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 12, "{first}");
    assert!(steps.iter().all(|s| s["millis"].is_u64()), "{first}");
    assert!(
        steps[1]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("made")),
        "first use makes the key: {first}"
    );
    let not_run = first["checks_not_run"].as_array().expect("checks_not_run");
    assert!(
        not_run
            .iter()
            .any(|c| c.as_str().is_some_and(|c| c.contains("schemas install"))),
        "{first}"
    );

    // Again in the same HOME: the key is reused, the package is new (its own office reference),
    // and the sandbox's journal holds both submissions.
    let second = json(in_home(home.path()).args(["--output", "json", "demo"]));
    assert!(
        second["steps"][1]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("already there")),
        "{second}"
    );
    let history = json(in_home(home.path()).args(["--output", "json", "hague", "history"]));
    assert_eq!(history["sandbox"], true, "{history}");
    let subs = history["submissions"].as_array().expect("submissions");
    assert_eq!(subs.len(), 2, "{history}");
    assert!(
        subs.iter().all(|s| s["server_status"] == "Registered"),
        "{history}"
    );
}

#[test]
fn with_no_configuration_hague_commands_use_the_embedded_sandbox() {
    let home = tempfile::tempdir().expect("tempdir");
    let ping = json(in_home(home.path()).args(["--output", "json", "hague", "ping"]));
    assert_eq!(ping["sandbox"], true, "{ping}");
    assert_eq!(ping["message"], "Hello ipgate", "{ping}");
    let key = home
        .path()
        .join(".local/share/ipgate/sandbox/client/hague4offices_private.pem");
    assert!(key.is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Human output too.
    let out = in_home(home.path())
        .args(["hague", "track"])
        .output()
        .expect("run");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SANDBOX"));
}

#[test]
fn a_configured_profile_never_falls_back_to_the_sandbox() {
    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config.toml");
    // WIPO settings but no HWS base URL: a configuration error, not the sandbox.
    std::fs::write(
        &config,
        "[profiles.default.wipo]\nissuer = \"https://127.0.0.1:9/am/oauth2\"\nclient_id = \"x\"\nkey_file = \"k.pem\"\n",
    )
    .expect("write config");
    let out = in_home(home.path())
        .env("IPGATE_CONFIG", &config)
        .args(["hague", "ping"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("no HWS base URL"), "{stderr}");
    assert!(!stderr.contains("SANDBOX"), "{stderr}");
    assert!(
        !home.path().join(".local/share/ipgate/sandbox").exists(),
        "no sandbox was started"
    );
}
