//! `ipgate sandbox ...` end to end: the real binary serves, registers, answers its admin commands and
//! stops on SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn ipgate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipgate"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("IPGATE_DATA_DIR", dir.join("data"))
        .output()
        .expect("run ipgate")
}

/// `ipgate sandbox register-client --state STATE --cert es256_cert.pem --client-id ID EXTRA...`
/// run in `dir`.
fn register_client(dir: &Path, state: &str, client_id: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "sandbox",
        "register-client",
        "--state",
        state,
        "--cert",
        "es256_cert.pem",
        "--client-id",
        client_id,
    ];
    args.extend_from_slice(extra);
    ipgate(dir, &args)
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn serve_register_admin_and_stop() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let state = d.join("state");
    let state_s = state.to_str().expect("utf8");
    // a certificate as an office makes it
    let key = wipo_oidc::SigningKey::generate().expect("key");
    let cert = wipo_oidc::cert::self_signed_certificate(
        &key,
        "Office private_key_jwt authentication",
        1_700_000_000,
        3650,
    )
    .expect("cert");
    std::fs::write(d.join("es256_cert.pem"), &cert.pem).expect("write");
    let o = register_client(
        d,
        state_s,
        "office-9",
        &["--examining-office", "--office", "JP"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("registered client office-9"));
    let o = register_client(d, state_s, "x", &["--office", "japan"]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    // consumer: a generated secret is printed once; a readable secret file is refused
    let o = ipgate(
        d,
        &[
            "--output",
            "json",
            "sandbox",
            "register-innography-consumer",
            "--state",
            state_s,
            "--username",
            "obiwan",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).expect("json");
    assert_eq!(v["secret"].as_str().map(str::len), Some(32));
    std::fs::write(d.join("secret.txt"), "0123456789abcdef0123").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(d.join("secret.txt"), std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let o = ipgate(
            d,
            &[
                "sandbox",
                "register-innography-consumer",
                "--state",
                state_s,
                "--username",
                "u",
                "--secret-file",
                "secret.txt",
            ],
        );
        assert_eq!(o.status.code(), Some(4), "{:?}", text(&o));
        assert!(text(&o).1.contains("hint: chmod 600"));
    }
    // a bad fault spec is a usage error
    let o = ipgate(
        d,
        &[
            "sandbox", "serve", "--state", state_s, "--faults", "ping=404",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("unknown fault"));

    // serve: URLs first, one per line
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipgate"))
        .args(["sandbox", "serve", "--state", state_s, "--seed", "9"])
        .current_dir(d)
        .env_clear()
        .env("HOME", d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut got = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        let done = line.starts_with("admin:");
        got.push(line);
        if done {
            break;
        }
    }
    assert!(
        got[0].starts_with("issuer: http://127.0.0.1:") && got[0].ends_with("/am/oauth2"),
        "{got:?}"
    );
    assert!(
        got[1].starts_with("hws: ") && got[1].ends_with("/webservices/api/v1"),
        "{got:?}"
    );
    assert!(
        got[2].starts_with("innography: ") && got[2].ends_with("/innography"),
        "{got:?}"
    );
    assert_eq!(got[3], "seed: 9");
    let base = got[4]
        .trim_start_matches("admin: ")
        .trim_end_matches("/_sandbox/admin")
        .to_owned();

    let admin = |args: &[&str]| {
        let mut all = vec![
            "--output",
            "json",
            "sandbox",
            "admin",
            "--url",
            base.as_str(),
        ];
        all.extend_from_slice(args);
        ipgate(d, &all)
    };
    let o = admin(&["health"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).expect("json");
    assert_eq!(v["seed"], 9);
    let o = admin(&["clients"]);
    let v: serde_json::Value = serde_json::from_str(&text(&o).0).expect("json");
    assert_eq!(v["clients"][0]["client_id"], "office-9");
    assert_eq!(v["clients"][0]["office_code"], "JP");
    assert!(admin(&["faults", "ping=503:2@0.5"]).status.success());
    let v: serde_json::Value = serde_json::from_str(&text(&admin(&["faults"])).0).expect("json");
    assert_eq!(v["faults"], "ping=503:2@0.5");
    assert_eq!(admin(&["faults", "ping=418"]).status.code(), Some(2));
    assert_eq!(admin(&["publish", "2026-01"]).status.code(), Some(2));
    assert_eq!(
        admin(&["force", "SR404", "Abandoned"]).status.code(),
        Some(9)
    );
    assert!(admin(&["publish", "202401"]).status.success());
    let v: serde_json::Value = serde_json::from_str(&text(&admin(&["received"])).0).expect("json");
    assert_eq!(v["received"], serde_json::json!([]));
    assert!(admin(&["reset"]).status.success());
    // a sandbox that is not there: a network error with a hint
    let o = ipgate(
        d,
        &["sandbox", "admin", "--url", "http://127.0.0.1:9", "health"],
    );
    assert_eq!(o.status.code(), Some(6));
    assert!(text(&o).1.contains("hint:"));

    // SIGTERM: a clean stop
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("read");
    assert!(err.contains("sandbox: stopping"), "{err}");
}
