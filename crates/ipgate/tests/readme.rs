//! The README's two commands stay exact: they are the ones named in the README, CI runs the test
//! command, and the main job runs to the end with this binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// The commands of the fenced block that follows the `readme-commands` marker.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("read README.md");
    let after_marker = readme
        .split("<!-- readme-commands")
        .nth(1)
        .expect("README.md has the readme-commands marker");
    let block = after_marker
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a ```sh block follows the marker");
    block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn readme_names_exactly_the_main_job_and_the_test_command() {
    assert_eq!(readme_commands(), ["tools/demo.sh", "tools/test.sh"]);
    for script in ["tools/demo.sh", "tools/test.sh"] {
        assert!(root().join(script).is_file(), "{script} is missing");
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect("read .ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == "tools/test.sh"),
        ".ci/run does not run tools/test.sh"
    );
    let test_sh = std::fs::read_to_string(root().join("tools/test.sh")).expect("read");
    assert!(test_sh.contains("cargo test --workspace"), "{test_sh}");
}

#[test]
fn the_main_job_runs_to_the_end() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = Command::new("bash")
        .arg(root().join("tools/demo.sh"))
        .env("IPGATE_BIN", env!("CARGO_BIN_EXE_ipgate"))
        .env("DEMO_DIR", work.path())
        .output()
        .expect("run tools/demo.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tools/demo.sh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("All steps passed"), "{stdout}");
    // The Innography documentation's example signature, reproduced.
    assert!(
        stdout.contains("signature=\"2zS0VJJ6YipaXDU3IcerHJZdpP8=\""),
        "{stdout}"
    );
    assert!(work.path().join("refusal.zip").is_file());
}
