//! `ipgate config init` and `ipgate config show` as the binary runs them.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use common::ipgate;

/// ipgate with HOME in `home` and none of the caller's settings.
fn isolated(home: &Path) -> Command {
    let mut cmd = ipgate();
    for (name, _) in std::env::vars() {
        if name.starts_with("IPGATE_")
            || name.starts_with("INNOGRAPHY_")
            || name.starts_with("XDG_")
        {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home);
    cmd
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn init_writes_a_private_template_once_and_force_replaces_it() {
    let home = tempfile::tempdir().expect("tempdir");
    let path = home.path().join(".config/ipgate/config.toml");
    let o = isolated(home.path())
        .args(["config", "init"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o).1);
    let mode = std::fs::metadata(&path)
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let template = std::fs::read_to_string(&path).expect("read");
    for table in [
        "[profiles.default.wipo]",
        "[profiles.default.hws]",
        "[profiles.default.innography]",
    ] {
        assert!(template.contains(table), "template lacks {table}");
    }

    // Never replaced without --force; the file is left exactly as it was.
    std::fs::write(&path, "# mine\n").expect("edit");
    let o = isolated(home.path())
        .args(["config", "init"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(4), "{}", text(&o).1);
    assert!(text(&o).1.contains("--force"), "{}", text(&o).1);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "# mine\n");

    let o = isolated(home.path())
        .args(["config", "init", "--force", "--profile", "acc"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o).1);
    let template = std::fs::read_to_string(&path).expect("read");
    assert!(template.contains("[profiles.acc.wipo]"), "{template}");
    assert_eq!(
        std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn every_setting_in_the_template_is_one_ipgate_reads() {
    // Uncomment every setting: the config file refuses unknown keys, so a typo fails here.
    let home = tempfile::tempdir().expect("tempdir");
    let path = home.path().join("config.toml");
    let o = isolated(home.path())
        .arg("--config")
        .arg(&path)
        .args(["--profile", "prod", "config", "init"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o).1);
    let template = std::fs::read_to_string(&path).expect("read");
    let mut uncommented = 0;
    let filled: String = template
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest
                    .split_once(" = ")
                    .is_some_and(|(k, _)| !k.contains(' ')) =>
            {
                uncommented += 1;
                format!("{rest}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect();
    assert!(
        uncommented >= 20,
        "only {uncommented} settings in the template"
    );
    std::fs::write(&path, filled).expect("write");
    let o = isolated(home.path())
        .arg("--config")
        .arg(&path)
        .args(["--profile", "prod", "--output", "json", "config", "show"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o).1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["sandbox"], false);
    let settings = v["settings"].as_array().expect("settings");
    let find = |key: &str| {
        settings
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {settings:?}"))
            .clone()
    };
    assert_eq!(find("hws.base_url")["source"], "file");
    assert_eq!(find("innography.api_versions.cases")["value"], "0.6");
    // Relative paths are taken from the config file's directory.
    assert_eq!(
        find("wipo.key_file")["value"],
        home.path()
            .join("hague4offices_private.pem")
            .display()
            .to_string()
    );
}

#[test]
fn show_names_the_source_of_each_value_and_never_a_secret() {
    let home = tempfile::tempdir().expect("tempdir");
    let path = home.path().join("config.toml");
    std::fs::write(
        &path,
        "[profiles.default.wipo]\nclient_id = \"from-file\"\nissuer = \"https://file.example\"\n[profiles.default.innography]\nusername = \"obiwan\"\n",
    )
    .expect("write");
    let run = |output: &str| {
        isolated(home.path())
            .env("IPGATE_CONFIG", &path)
            .env("IPGATE_ISSUER", "https://env.example")
            .env("INNOGRAPHY_SECRET", "very-secret-hmac-key")
            .env("IPGATE_KEY_PASSPHRASE", "pass-phrase-42")
            .args(["--output", output, "config", "show"])
            .output()
            .expect("run")
    };
    let o = run("json");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    for secret in ["very-secret-hmac-key", "pass-phrase-42"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{secret} shown"
        );
    }
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let source = |key: &str| {
        v["settings"]
            .as_array()
            .expect("settings")
            .iter()
            .find(|s| s["key"] == key)
            .map(|s| (s["value"].clone(), s["source"].clone()))
            .unwrap_or_else(|| panic!("no {key}"))
    };
    assert_eq!(
        source("wipo.issuer"),
        ("https://env.example".into(), "environment".into())
    );
    assert_eq!(
        source("wipo.client_id"),
        ("from-file".into(), "file".into())
    );
    assert_eq!(
        source("wipo.assertion_lifetime_secs"),
        ("60".into(), "default".into())
    );
    assert_eq!(source("config_file").1, "environment");
    assert_eq!(source("innography.secret").1, "environment");
    assert_eq!(source("wipo.scope").1, "unset");

    let o = run("human");
    let (stdout, stderr) = text(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(!stdout.contains("very-secret-hmac-key") && !stdout.contains("pass-phrase-42"));
    assert!(stdout.contains("environment IPGATE_ISSUER"), "{stdout}");
    assert!(stdout.contains("mode: real"), "{stdout}");
}

#[test]
fn ipgate_config_names_a_file_that_may_be_missing_and_the_flag_wins() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = home.path().join("env.toml");
    let flag = home.path().join("flag.toml");
    std::fs::write(
        &flag,
        "[profiles.default.hws]\nbase_url = \"https://from-flag.example\"\n",
    )
    .expect("write");
    let show = |args: &[&str]| {
        let o = isolated(home.path())
            .env("IPGATE_CONFIG", &file)
            .args(["--output", "json"])
            .args(args)
            .args(["config", "show"])
            .output()
            .expect("run ipgate");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")
    };
    // Named by IPGATE_CONFIG and missing: an empty default profile, the source the environment.
    let v = show(&[]);
    assert_eq!(v["config_file"], file.display().to_string(), "{v:#}");
    assert_eq!(v["config_file_exists"], false);
    assert_eq!(v["settings"][0]["source"], "environment", "{v:#}");
    assert_eq!(v["sandbox"], true);
    // --config wins over IPGATE_CONFIG.
    let v = show(&["--config", flag.to_str().expect("utf-8")]);
    assert_eq!(v["config_file"], flag.display().to_string(), "{v:#}");
    assert_eq!(v["settings"][0]["source"], "flag", "{v:#}");
    assert_eq!(v["sandbox"], false);
}
