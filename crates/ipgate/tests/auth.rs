//! `ipgate auth` end to end: the real binary against an OpenID provider on 127.0.0.1 that checks
//! assertions with `wipo_oidc::Verifier` (the provider is shared with wipo-oidc's own tests).

#[path = "../../wipo-oidc/tests/common/provider.rs"]
#[allow(dead_code)]
mod provider;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use provider::Provider;
use wipo_oidc::{ClientRegistry, SystemClock};

const CLIENT: &str = "hague-office-7";
const SCOPE: &str = "hague-api/office-exchange";

struct Env {
    tmp: tempfile::TempDir,
    provider: Provider,
    key_file: PathBuf,
}

impl Env {
    fn dir(&self) -> &Path {
        self.tmp.path()
    }

    fn cache_dir(&self) -> PathBuf {
        self.dir().join("cache")
    }

    /// Base environment: everything from env vars, nothing inherited (no proxies, no real HOME).
    fn base_env(&self) -> Vec<(String, String)> {
        vec![
            ("HOME".into(), self.dir().display().to_string()),
            (
                "IPGATE_CONFIG".into(),
                self.dir().join("config.toml").display().to_string(),
            ),
            (
                "IPGATE_CACHE_DIR".into(),
                self.cache_dir().display().to_string(),
            ),
            ("IPGATE_ISSUER".into(), self.provider.issuer().to_string()),
            ("IPGATE_CLIENT_ID".into(), CLIENT.into()),
            (
                "IPGATE_KEY_FILE".into(),
                self.key_file.display().to_string(),
            ),
            ("IPGATE_SCOPE".into(), SCOPE.into()),
        ]
    }

    async fn run(&self, args: &[&str], extra: &[(&str, &str)], remove: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ipgate"));
        cmd.args(args).current_dir(self.dir()).env_clear();
        for (k, v) in self.base_env() {
            if !remove.contains(&k.as_str()) {
                cmd.env(k, v);
            }
        }
        cmd.envs(extra.iter().copied());
        tokio::task::spawn_blocking(move || cmd.output().expect("run ipgate"))
            .await
            .expect("join")
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn chmod(path: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).expect("chmod");
}

/// Keys made by the exact Appendix A commands; the certificate is registered with the provider.
async fn setup() -> Env {
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
    std::fs::write(
        d.join("openssl.cnf"),
        "[ req ]\nprompt = no\ndistinguished_name = req_distinguished_name\n[ req_distinguished_name ]\nCN = Office private_key_jwt authentication\n",
    )
    .expect("write");
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-config",
            "./openssl.cnf",
            "-key",
            "hague4offices_private.pem",
            "-out",
            "es256_cert.pem",
        ],
    );
    chmod(&d.join("hague4offices_private.pem"), 0o600);
    let mut registry = ClientRegistry::new();
    registry
        .register_certificate_pem(
            CLIENT,
            &std::fs::read_to_string(d.join("es256_cert.pem")).expect("read"),
            None,
        )
        .expect("register");
    let provider = Provider::start(registry, &[SCOPE], Arc::new(SystemClock)).await;
    Env {
        key_file: d.join("hague4offices_private.pem"),
        tmp,
        provider,
    }
}

fn out(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn issued_tokens(env: &Env) -> Vec<String> {
    env.provider
        .state
        .issued
        .lock()
        .expect("lock")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn token_is_fetched_cached_in_a_0600_file_and_hidden_unless_asked() {
    let env = setup().await;
    let o = env.run(&["auth", "token"], &[], &[]).await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stdout.contains(SCOPE) && stdout.contains("expires"),
        "{stdout}"
    );
    assert!(stdout.contains("new"), "{stdout}");
    let issued = issued_tokens(&env);
    assert_eq!(issued.len(), 1);
    assert!(
        !stdout.contains(&issued[0]) && !stderr.contains(&issued[0]),
        "token printed without --show-token"
    );
    assert_eq!(env.provider.token_requests(), 1);

    // The cache file: one, mode 0600, in a 0700 directory.
    let dir = env.cache_dir().join("wipo-tokens");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("cache dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&files[0])
            .expect("meta")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&dir).expect("meta").permissions().mode() & 0o777,
        0o700
    );

    // Second run: served from the cache, no token request; --show-token prints it.
    let o = env
        .run(
            &["--output", "json", "auth", "token", "--show-token"],
            &[],
            &[],
        )
        .await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["source"], "cache");
    assert_eq!(v["access_token"], issued[0].as_str());
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], SCOPE);
    assert!(v["expires_in"].as_u64().expect("n") > 3500);
    assert_eq!(env.provider.token_requests(), 1);

    // --refresh ignores the cache; --no-cache neither reads nor writes it.
    let o = env
        .run(
            &["--output", "json", "auth", "token", "--refresh"],
            &[],
            &[],
        )
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    assert_eq!(env.provider.token_requests(), 2);
    let v: serde_json::Value = serde_json::from_str(&out(&o).0).expect("json");
    assert_eq!(v["source"], env.provider.token_endpoint());
    assert!(v.get("access_token").is_none());
    let o = env.run(&["auth", "token", "--no-cache"], &[], &[]).await;
    assert!(o.status.success());
    assert_eq!(env.provider.token_requests(), 3);
    let o = env.run(&["auth", "token"], &[], &[]).await;
    assert!(o.status.success());
    assert_eq!(
        env.provider.token_requests(),
        3,
        "the --refresh token is the cached one"
    );

    // A different scope is not served from that cache entry: the request reaches the provider.
    let o = env
        .run(&["auth", "token", "--scope", "other"], &[], &[])
        .await;
    assert_eq!(o.status.code(), Some(5), "{}", out(&o).1);
    assert!(out(&o).1.contains("invalid_scope"));
}

#[tokio::test(flavor = "multi_thread")]
async fn assertion_command_prints_a_verifiable_assertion() {
    let env = setup().await;
    let o = env
        .run(
            &["--output", "json", "auth", "assertion", "--decode"],
            &[("IPGATE_KEY_ID", "k-2026")],
            &[],
        )
        .await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["header"]["alg"], "ES256");
    assert_eq!(v["header"]["typ"], "JWT");
    assert_eq!(v["header"]["kid"], "k-2026");
    assert_eq!(v["claims"]["iss"], CLIENT);
    assert_eq!(v["claims"]["sub"], CLIENT);
    assert_eq!(v["claims"]["aud"], env.provider.token_endpoint());
    let exp = v["claims"]["exp"].as_u64().expect("exp");
    let iat = v["claims"]["iat"].as_u64().expect("iat");
    assert_eq!(exp - iat, 60);
    let jwt = v["assertion"].as_str().expect("assertion");
    env.provider
        .state
        .verifier
        .verify(jwt)
        .expect("provider accepts it");

    // Human form: the JWT alone on the first line; --decode adds header and claims.
    let o = env
        .run(
            &[
                "auth",
                "assertion",
                "--audience",
                "issuer",
                "--assertion-lifetime",
                "120",
            ],
            &[],
            &[],
        )
        .await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 1);
    let (_, claims) = wipo_oidc::assertion::decode_unverified(stdout.trim()).expect("jwt");
    assert_eq!(claims.aud, env.provider.issuer());
    assert_eq!(claims.exp - claims.iat, 120);
    let o = env
        .run(
            &["auth", "assertion", "--assertion-lifetime", "301"],
            &[],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_precedence_is_profile_then_env_then_flags() {
    let env = setup().await;
    std::fs::write(
        env.dir().join("config.toml"),
        format!(
            "[profiles.default.wipo]\nissuer = \"{}\"\nclient_id = \"from-profile\"\nkey_file = \"{}\"\nscope = \"{SCOPE}\"\n",
            env.provider.issuer(),
            env.key_file.display()
        ),
    )
    .expect("write config");
    let only_profile = [
        "IPGATE_ISSUER",
        "IPGATE_CLIENT_ID",
        "IPGATE_KEY_FILE",
        "IPGATE_SCOPE",
    ];
    // Profile alone: its client id is not registered -> invalid_client (exit 5) with the hint.
    let o = env
        .run(&["auth", "token", "--no-cache"], &[], &only_profile)
        .await;
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("invalid_client") && stderr.contains("hint:") && stderr.contains("clock"),
        "{stderr}"
    );
    // Env overrides the profile.
    let o = env
        .run(
            &["auth", "token", "--no-cache"],
            &[("IPGATE_CLIENT_ID", CLIENT)],
            &only_profile,
        )
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    // A flag overrides env.
    let o = env
        .run(
            &[
                "auth",
                "assertion",
                "--decode",
                "--output",
                "json",
                "--client-id",
                "from-flag",
            ],
            &[("IPGATE_CLIENT_ID", CLIENT)],
            &only_profile,
        )
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    let v: serde_json::Value = serde_json::from_str(&out(&o).0).expect("json");
    assert_eq!(v["claims"]["iss"], "from-flag");
    // A direct token endpoint skips discovery.
    let before = env.provider.state.discovery_requests.load(Ordering::SeqCst);
    let o = env
        .run(
            &[
                "auth",
                "token",
                "--no-cache",
                "--token-endpoint",
                env.provider.token_endpoint(),
            ],
            &[],
            &[],
        )
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    assert_eq!(
        env.provider.state.discovery_requests.load(Ordering::SeqCst),
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_map_to_exit_codes_with_hints() {
    let env = setup().await;
    // Not on the allow-list: 403 -> auth (5).
    env.provider.state.forbid.store(true, Ordering::SeqCst);
    let o = env.run(&["auth", "token", "--no-cache"], &[], &[]).await;
    assert_eq!(o.status.code(), Some(5), "{}", out(&o).1);
    assert!(out(&o).1.contains("allow-list"), "{}", out(&o).1);
    env.provider.state.forbid.store(false, Ordering::SeqCst);

    // Issuer mismatch in discovery -> config (4).
    let o = env
        .run(
            &[
                "auth",
                "token",
                "--no-cache",
                "--issuer",
                &format!("{}/", env.provider.issuer()),
            ],
            &[],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(4), "{}", out(&o).1);
    assert!(out(&o).1.contains("byte for byte"), "{}", out(&o).1);

    // Discovery document missing -> remote (7).
    let o = env
        .run(
            &[
                "auth",
                "discover",
                "--issuer",
                &format!("{}/nothing", env.provider.base),
            ],
            &[],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(7), "{}", out(&o).1);

    // Nobody listening -> network (6).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let o = env
        .run(
            &[
                "auth",
                "token",
                "--no-cache",
                "--issuer",
                &format!("http://127.0.0.1:{port}/am/oauth2"),
            ],
            &[],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(6), "{}", out(&o).1);

    // Group-readable key -> config (4) with the exact chmod.
    chmod(&env.key_file, 0o644);
    let o = env.run(&["auth", "token", "--no-cache"], &[], &[]).await;
    assert_eq!(o.status.code(), Some(4));
    assert!(
        out(&o)
            .1
            .contains(&format!("chmod 600 {}", env.key_file.display())),
        "{}",
        out(&o).1
    );
    let o = env
        .run(
            &[
                "auth",
                "token",
                "--no-cache",
                "--allow-insecure-key-permissions",
            ],
            &[],
            &[],
        )
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    chmod(&env.key_file, 0o600);

    // Missing settings -> config (4) naming where to set them.
    let o = env
        .run(&["auth", "token"], &[], &["IPGATE_CLIENT_ID"])
        .await;
    assert_eq!(o.status.code(), Some(4));
    assert!(out(&o).1.contains("IPGATE_CLIENT_ID"), "{}", out(&o).1);
    let o = env.run(&["auth", "token"], &[], &["IPGATE_ISSUER"]).await;
    assert_eq!(o.status.code(), Some(4));
    // Plain http to a non-loopback host is refused before any request.
    let o = env
        .run(
            &[
                "auth",
                "token",
                "--issuer",
                "http://login.example/am/oauth2",
            ],
            &[],
            &[],
        )
        .await;
    assert_eq!(o.status.code(), Some(4), "{}", out(&o).1);
    // Secrets are not flags.
    let o = env
        .run(&["auth", "token", "--passphrase", "x"], &[], &[])
        .await;
    assert_eq!(o.status.code(), Some(2));

    // discover prints the token endpoint.
    let o = env.run(&["auth", "discover"], &[], &[]).await;
    assert!(o.status.success(), "{}", out(&o).1);
    assert!(out(&o).0.contains(env.provider.token_endpoint()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_or_exposed_cache_file_is_ignored_and_replaced() {
    let env = setup().await;
    let o = env.run(&["auth", "token"], &[], &[]).await;
    assert!(o.status.success(), "{}", out(&o).1);
    let dir = env.cache_dir().join("wipo-tokens");
    let file = std::fs::read_dir(&dir)
        .expect("cache dir")
        .next()
        .expect("one file")
        .expect("entry")
        .path();
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;

    // Readable by others: not trusted, a new token is fetched and the file rewritten 0600.
    chmod(&file, 0o644);
    let o = env
        .run(&["--output", "json", "auth", "token"], &[], &[])
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    let v: serde_json::Value = serde_json::from_str(&out(&o).0).expect("json");
    assert_ne!(v["source"], "cache");
    assert_eq!(env.provider.token_requests(), 2);
    assert_eq!(mode(&file), 0o600);

    // Damaged: ignored (no crash), replaced by a good one; the warning does not quote the file
    // (here the token landed in a number field, which serde would quote).
    let text = std::fs::read_to_string(&file).expect("read");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    let token = v["access_token"].as_str().expect("token").to_string();
    let damaged = text.replacen(
        "\"expires_at\":",
        &format!("\"expires_at\":\"{token}\",\"x\":"),
        1,
    );
    assert_ne!(damaged, text);
    std::fs::write(&file, damaged).expect("write");
    let o = env
        .run(&["--output", "json", "auth", "token"], &[], &[])
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    assert!(
        out(&o).1.contains("damaged token cache file"),
        "{}",
        out(&o).1
    );
    assert!(!out(&o).1.contains(&token), "{}", out(&o).1);
    assert_eq!(env.provider.token_requests(), 3);
    std::fs::write(&file, b"{\"issuer\": [").expect("write");
    let o = env
        .run(&["--output", "json", "auth", "token"], &[], &[])
        .await;
    assert!(o.status.success(), "{}", out(&o).1);
    assert_eq!(env.provider.token_requests(), 4);
    let o = env
        .run(&["--output", "json", "auth", "token"], &[], &[])
        .await;
    let v: serde_json::Value = serde_json::from_str(&out(&o).0).expect("json");
    assert_eq!(v["source"], "cache");
    assert_eq!(env.provider.token_requests(), 4);
    // No temporary files left next to it.
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn trace_logging_shows_neither_the_token_nor_the_assertion_nor_the_passphrase() {
    let env = setup().await;
    // An encrypted copy of the key, passphrase from the environment.
    openssl(
        env.dir(),
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:pass-phrase-42",
            "-in",
            "hague4offices_private.pem",
            "-out",
            "enc.pem",
        ],
    );
    chmod(&env.dir().join("enc.pem"), 0o600);
    let o = env
        .run(
            &["-vvv", "auth", "token", "--no-cache"],
            &[
                ("IPGATE_KEY_FILE", "enc.pem"),
                ("IPGATE_KEY_PASSPHRASE", "pass-phrase-42"),
                ("RUST_LOG", "trace"),
            ],
            &[],
        )
        .await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(
        stderr.contains("token request"),
        "trace logs are on: {stderr}"
    );
    let issued = issued_tokens(&env);
    assert_eq!(issued.len(), 1);
    let form = env
        .provider
        .state
        .last_form
        .lock()
        .expect("lock")
        .clone()
        .expect("form");
    let assertion = &form["client_assertion"];
    let signature = assertion.rsplit('.').next().expect("signature");
    for (what, secret) in [
        ("token", issued[0].as_str()),
        ("assertion signature", signature),
        ("passphrase", "pass-phrase-42"),
    ] {
        assert!(
            !stderr.contains(secret) && !stdout.contains(secret),
            "{what} in the output"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_settings_are_config_errors_with_hints() {
    let env = setup().await;
    for (extra, needle) in [
        (
            ("IPGATE_ASSERTION_LIFETIME", "soon"),
            "IPGATE_ASSERTION_LIFETIME",
        ),
        (("IPGATE_ASSERTION_LIFETIME", "600"), "300"),
    ] {
        let o = env.run(&["auth", "assertion"], &[extra], &[]).await;
        let (_, stderr) = out(&o);
        assert_eq!(o.status.code(), Some(4), "{extra:?}: {stderr}");
        assert!(
            stderr.contains(needle) && stderr.contains("hint:"),
            "{extra:?}: {stderr}"
        );
    }
    // An empty audience in the profile is refused with a hint too.
    std::fs::write(
        env.dir().join("config.toml"),
        "[profiles.default.wipo]\naudience = \"\"\n",
    )
    .expect("write");
    let o = env.run(&["auth", "assertion"], &[], &[]).await;
    let (_, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("audience") && stderr.contains("hint:"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_cache_directory_the_token_is_fetched_uncached_with_a_warning() {
    let env = setup().await;
    let o = env
        .run(
            &["auth", "token"],
            &[],
            &["HOME", "IPGATE_CACHE_DIR", "XDG_CACHE_HOME"],
        )
        .await;
    let (stdout, stderr) = out(&o);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("expires"), "{stdout}");
    assert!(
        stderr.contains("not cached") && stderr.contains("IPGATE_CACHE_DIR"),
        "{stderr}"
    );
    assert_eq!(env.provider.token_requests(), 1);
    assert!(!env.cache_dir().exists());
}
