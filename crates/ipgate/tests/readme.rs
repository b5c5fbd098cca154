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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "tools/demo.sh failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("All steps passed"), "{stdout}");
    // Every step ran, in order, with its time.
    for n in 1..=12 {
        assert!(
            stdout.contains(&format!("[{n:>2}/12]")),
            "step {n} missing:\n{stdout}"
        );
    }
    // The schemas were installed, so no check was skipped.
    assert!(!stdout.contains("not run:"), "{stdout}");
    // SANDBOX is said, on stderr, before anything is sent.
    assert!(stderr.contains("SANDBOX"), "{stderr}");
    // Everything was made under the empty HOME: the key (0600), the journal, the bulletin.
    let data = work.path().join("home/.local/share/ipgate/sandbox");
    let key = data.join("client/hague4offices_private.pem");
    assert!(key.is_file(), "{}", key.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the sandbox client key is private");
    }
    assert!(data.join("journal.sqlite").is_file());
    assert!(work.path().join("demo/refusal.zip").is_file());
    let bulletins: Vec<_> = std::fs::read_dir(work.path().join("demo"))
        .expect("demo dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("bulletin-"))
        .collect();
    assert_eq!(
        bulletins.len(),
        2,
        "the bulletin ZIP and its extracted folder"
    );
}
