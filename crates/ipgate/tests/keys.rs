//! `ipgate keys` end to end: the real binary, checked with the real `openssl`.

use std::path::Path;
use std::process::{Command, Output};

fn ipgate(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ipgate"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("IPGATE_CONFIG", dir.join("no-config.toml"))
        .envs(envs.iter().copied())
        .output()
        .expect("run ipgate")
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn chmod(path: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).expect("chmod");
}

#[test]
fn generate_writes_what_appendix_a_writes_and_openssl_agrees() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let out = ipgate(
        d,
        &[
            "--output",
            "json",
            "keys",
            "generate",
            "--client-name",
            "Hague Office",
            "--out",
            "enrol",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let dir = d.join("enrol");
    let private = dir.join("hague4offices_private.pem");
    assert_eq!(mode(&private), 0o600);
    assert!(
        std::fs::read_to_string(&private)
            .expect("read")
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );

    let text = openssl(&dir, &["x509", "-in", "es256_cert.pem", "-noout", "-text"]);
    assert!(
        text.contains("Subject: CN = Hague Office private_key_jwt authentication"),
        "{text}"
    );
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    // The certificate's key is the private key's public key, and the public key file holds it too.
    let cert_pub = openssl(
        &dir,
        &["x509", "-in", "es256_cert.pem", "-noout", "-pubkey"],
    );
    let key_pub = openssl(&dir, &["ec", "-in", "hague4offices_private.pem", "-pubout"]);
    assert_eq!(cert_pub, key_pub);
    assert_eq!(
        std::fs::read_to_string(dir.join("hague4offices_public.pem")).expect("read"),
        key_pub
    );
    // openssl checks the key (the point is on the curve, the private scalar matches it) and says
    // so on stderr; a failed check exits non-zero.
    let check = Command::new("openssl")
        .args(["ec", "-in", "hague4offices_private.pem", "-check", "-noout"])
        .current_dir(&dir)
        .output()
        .expect("run openssl");
    let said = String::from_utf8_lossy(&check.stderr);
    assert!(
        check.status.success() && said.contains("EC Key valid"),
        "openssl ec -check: {said}"
    );
    // The printed fingerprint is openssl's.
    let fp = openssl(
        &dir,
        &[
            "x509",
            "-in",
            "es256_cert.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    );
    assert_eq!(
        fp.trim(),
        format!(
            "sha256 Fingerprint={}",
            report["certificate_sha256_fingerprint"]
                .as_str()
                .expect("fp")
        )
    );
    assert_eq!(
        report["subject"],
        "CN=Hague Office private_key_jwt authentication"
    );
    let days = (report["not_after"].as_u64().expect("n")
        - report["not_before"].as_u64().expect("n"))
        / 86_400;
    assert_eq!(days, 730);

    // Human output names the files and both fingerprints.
    let out = ipgate(
        d,
        &[
            "keys",
            "generate",
            "--client-name",
            "X",
            "--out",
            "second",
            "--days",
            "30",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(
        s.contains("es256_cert.pem")
            && s.contains("SHA-256 fingerprint")
            && s.contains("JWK thumbprint"),
        "{s}"
    );
    assert!(!s.contains("BEGIN"), "no PEM on stdout: {s}");

    // inspect of the private key and of the certificate report the same thumbprint.
    let k = ipgate(
        d,
        &[
            "--output",
            "json",
            "keys",
            "inspect",
            "enrol/hague4offices_private.pem",
        ],
        &[],
    );
    let c = ipgate(
        d,
        &[
            "--output",
            "json",
            "keys",
            "inspect",
            "enrol/es256_cert.pem",
        ],
        &[],
    );
    assert!(
        k.status.success() && c.status.success(),
        "{} {}",
        stderr(&k),
        stderr(&c)
    );
    let k: serde_json::Value = serde_json::from_str(&stdout(&k)).expect("json");
    let c: serde_json::Value = serde_json::from_str(&stdout(&c)).expect("json");
    assert_eq!(k["public_key"]["jwk_thumbprint"], report["jwk_thumbprint"]);
    assert_eq!(c["public_key"]["jwk_thumbprint"], report["jwk_thumbprint"]);
    assert_eq!(c["self_signed"], true);
    assert_eq!(
        c["sha256_fingerprint"],
        report["certificate_sha256_fingerprint"]
    );
}

#[test]
fn generate_does_not_overwrite_without_force() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    assert!(
        ipgate(
            d,
            &["keys", "generate", "--client-name", "A", "--out", "k"],
            &[]
        )
        .status
        .success()
    );
    let before = std::fs::read(d.join("k/hague4offices_private.pem")).expect("read");
    let out = ipgate(
        d,
        &["keys", "generate", "--client-name", "A", "--out", "k"],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"));
    assert_eq!(
        std::fs::read(d.join("k/hague4offices_private.pem")).expect("read"),
        before
    );
    let out = ipgate(
        d,
        &[
            "keys",
            "generate",
            "--client-name",
            "A",
            "--out",
            "k",
            "--force",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(
        std::fs::read(d.join("k/hague4offices_private.pem")).expect("read"),
        before
    );
    assert_eq!(mode(&d.join("k/hague4offices_private.pem")), 0o600);
}

#[test]
fn inspect_reads_appendix_a_keys_and_never_prints_private_material() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            "hague4offices_private.pem",
        ],
    );
    openssl(
        d,
        &[
            "ec",
            "-in",
            "hague4offices_private.pem",
            "-pubout",
            "-out",
            "hague4offices_public.pem",
        ],
    );
    chmod(&d.join("hague4offices_private.pem"), 0o600);
    let key_text = std::fs::read_to_string(d.join("hague4offices_private.pem")).expect("read");
    let body_line = key_text.lines().nth(1).expect("pem body");

    for args in [
        vec!["keys", "inspect", "hague4offices_private.pem"],
        vec![
            "--output",
            "json",
            "keys",
            "inspect",
            "hague4offices_private.pem",
        ],
    ] {
        let out = ipgate(d, &args, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !all.contains(body_line) && !all.contains("PRIVATE KEY-----"),
            "{all}"
        );
        assert!(all.contains("P-256"), "{all}");
    }
    let k = ipgate(
        d,
        &[
            "--output",
            "json",
            "keys",
            "inspect",
            "hague4offices_private.pem",
        ],
        &[],
    );
    let p = ipgate(
        d,
        &[
            "--output",
            "json",
            "keys",
            "inspect",
            "hague4offices_public.pem",
        ],
        &[],
    );
    let k: serde_json::Value = serde_json::from_str(&stdout(&k)).expect("json");
    let p: serde_json::Value = serde_json::from_str(&stdout(&p)).expect("json");
    assert_eq!(k["type"], "private-key");
    assert_eq!(k["format"], "sec1");
    assert_eq!(p["type"], "public-key");
    assert_eq!(k["public_key"], p["public_key"]);
    assert!(k["public_key"]["jwk"].get("d").is_none());
}

#[test]
fn inspect_refuses_group_readable_keys_with_the_chmod_fix() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            "key.pem",
        ],
    );
    chmod(&d.join("key.pem"), 0o640);
    let out = ipgate(d, &["keys", "inspect", "key.pem"], &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("chmod 600 key.pem"),
        "{}",
        stderr(&out)
    );
    let out = ipgate(
        d,
        &[
            "keys",
            "inspect",
            "key.pem",
            "--allow-insecure-key-permissions",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn inspect_encrypted_and_unsupported_keys() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            "key.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-passout",
            "pass:s3cret",
            "-out",
            "enc.pem",
        ],
    );
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "rsa.pem",
        ],
    );
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "secp384r1",
            "-noout",
            "-out",
            "p384.pem",
        ],
    );
    for f in ["enc.pem", "rsa.pem", "p384.pem"] {
        chmod(&d.join(f), 0o600);
    }
    let out = ipgate(d, &["keys", "inspect", "enc.pem"], &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("IPGATE_KEY_PASSPHRASE"),
        "{}",
        stderr(&out)
    );
    let out = ipgate(
        d,
        &["keys", "inspect", "enc.pem"],
        &[("IPGATE_KEY_PASSPHRASE", "s3cret")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("encrypted PKCS#8"));
    assert!(!format!("{}{}", stdout(&out), stderr(&out)).contains("s3cret"));
    let out = ipgate(
        d,
        &["keys", "inspect", "enc.pem"],
        &[("IPGATE_KEY_PASSPHRASE", "wrong")],
    );
    assert_eq!(out.status.code(), Some(4));

    let out = ipgate(d, &["keys", "inspect", "rsa.pem"], &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("RSA") && stderr(&out).contains("P-256"),
        "{}",
        stderr(&out)
    );
    let out = ipgate(d, &["keys", "inspect", "p384.pem"], &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("P-384"), "{}", stderr(&out));
    let out = ipgate(d, &["keys", "inspect", "missing.pem"], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn generate_leaves_no_partial_set_and_no_temporary_files() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    // The certificate's final path is taken by a non-empty directory: it cannot be replaced even
    // with --force, after the private and public keys could have been put in place.
    std::fs::create_dir_all(d.join("k/es256_cert.pem/x")).expect("mkdir");
    let out = ipgate(
        d,
        &[
            "keys",
            "generate",
            "--client-name",
            "A",
            "--out",
            "k",
            "--force",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("es256_cert.pem"), "{}", stderr(&out));
    let left: Vec<String> = std::fs::read_dir(d.join("k"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["es256_cert.pem".to_string()], "{left:?}");

    // A successful run leaves exactly the three files.
    let out = ipgate(
        d,
        &["keys", "generate", "--client-name", "A", "--out", "fresh"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut names: Vec<String> = std::fs::read_dir(d.join("fresh"))
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "es256_cert.pem",
            "hague4offices_private.pem",
            "hague4offices_public.pem"
        ]
    );
}

#[test]
fn generate_checks_its_arguments_as_usage_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let long = "N".repeat(34);
    for (args, needle) in [
        (
            vec!["keys", "generate", "--client-name", " ", "--out", "k"],
            "must not be empty",
        ),
        (
            vec!["keys", "generate", "--client-name", &long, "--out", "k"],
            "at most 33",
        ),
        (
            vec![
                "keys",
                "generate",
                "--client-name",
                "A",
                "--out",
                "k",
                "--days",
                "0",
            ],
            "--days",
        ),
    ] {
        let out = ipgate(d, &args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!d.join("k").join("hague4offices_private.pem").exists());
    }
    // 33 characters is fine.
    let ok = "N".repeat(33);
    let out = ipgate(
        d,
        &["keys", "generate", "--client-name", &ok, "--out", "k"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn inspect_understands_what_openssl_writes_without_noout_and_names_a_certificate_given_as_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    // A common slip: Appendix A's command without -noout (an EC PARAMETERS block comes first).
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-out",
            "key.pem",
        ],
    );
    chmod(&d.join("key.pem"), 0o600);
    let out = ipgate(d, &["keys", "inspect", "key.pem"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("SEC1"), "{}", stdout(&out));

    // The certificate (mode 0644) given where the private key belongs: said so, no chmod advice.
    openssl(
        d,
        &[
            "req", "-x509", "-new", "-key", "key.pem", "-subj", "/CN=x", "-out", "cert.pem",
        ],
    );
    chmod(&d.join("cert.pem"), 0o644);
    let out = ipgate(
        d,
        &["auth", "assertion"],
        &[
            ("IPGATE_CLIENT_ID", "c"),
            ("IPGATE_KEY_FILE", "cert.pem"),
            (
                "IPGATE_TOKEN_ENDPOINT",
                "https://login.example:443/am/oauth2/access_token",
            ),
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("CERTIFICATE") && err.contains("private key file"),
        "{err}"
    );
    assert!(!err.contains("chmod"), "{err}");
}
