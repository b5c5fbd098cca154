//! `ipgate auth` end to end: the real binary against WIPO's login as `ipgate-sandbox` emulates it
//! on 127.0.0.1 (assertions checked with `wipo_oidc::verify`); the sandbox's request log counts
//! what reached it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ipgate_sandbox::{ClientRegistration, Sandbox, SandboxConfig};

const CLIENT: &str = "hague-office-7";
const SCOPE: &str = "hague-api/office-exchange";

/// The sandbox as the tests see the provider.
struct Provider {
    sandbox: Sandbox,
    base: String,
    cert_pem: String,
}

impl Provider {
    fn issuer(&self) -> &str {
        &self.sandbox.urls().issuer
    }

    fn token_endpoint(&self) -> &str {
        &self.sandbox.urls().token_endpoint
    }

    fn count(&self, route: &str) -> usize {
        self.sandbox
            .requests()
            .iter()
            .filter(|r| r.route == route)
            .count()
    }

    fn token_requests(&self) -> usize {
        self.count("token")
    }

    fn discovery_requests(&self) -> usize {
        self.count("discovery")
    }

    /// Registers the client (again) with `ip` as its only allowed address.
    fn allow_only(&self, ip: &str) {
        let mut reg = ClientRegistration::new(CLIENT, self.cert_pem.clone());
        reg.scopes = vec![SCOPE.into()];
        reg.allowed_ips = vec![ip.parse().expect("ip")];
        self.sandbox.register_client(&reg).expect("register");
    }

    /// Whether the token endpoint accepts `assertion`.
    async fn accepts(&self, assertion: &str) -> bool {
        reqwest_free_post(self.token_endpoint(), assertion).await
    }
}

/// POSTs a token request with `assertion` from a blocking thread with `std` only (the CLI's tests
/// do not depend on an HTTP client), returning whether it got 200.
async fn reqwest_free_post(url: &str, assertion: &str) -> bool {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("path");
    let body = format!(
        "grant_type=client_credentials&scope={}&client_assertion_type={}&client_assertion={assertion}",
        SCOPE.replace('/', "%2F"),
        wipo_oidc::CLIENT_ASSERTION_TYPE.replace(':', "%3A"),
    );
    let req = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let host = host.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(host).expect("connect");
        s.write_all(req.as_bytes()).expect("write");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("read");
        answer.starts_with("HTTP/1.1 200")
    })
    .await
    .expect("join")
}

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
    let cert_pem = std::fs::read_to_string(d.join("es256_cert.pem")).expect("read");
    let config = SandboxConfig::new(d.join("sandbox-state"));
    let sandbox = tokio::task::spawn_blocking(move || Sandbox::start(config))
        .await
        .expect("join")
        .expect("sandbox starts");
    let provider = Provider {
        base: sandbox.urls().base.clone(),
        sandbox,
        cert_pem,
    };
    provider.allow_only("127.0.0.1");
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
    let (first_stdout, first_stderr) = (stdout, stderr);
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
    let token = v["access_token"].as_str().expect("token");
    assert!(token.len() >= 32);
    assert!(
        !first_stdout.contains(token) && !first_stderr.contains(token),
        "token printed without --show-token"
    );
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
    assert!(
        env.provider.accepts(jwt).await,
        "the token endpoint accepts it"
    );

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
    let before = env.provider.discovery_requests();
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
    assert_eq!(env.provider.discovery_requests(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_map_to_exit_codes_with_hints() {
    let env = setup().await;
    // Not on the allow-list: 403 -> auth (5).
    env.provider.allow_only("192.0.2.7");
    let o = env.run(&["auth", "token", "--no-cache"], &[], &[]).await;
    assert_eq!(o.status.code(), Some(5), "{}", out(&o).1);
    assert!(out(&o).1.contains("allow-list"), "{}", out(&o).1);
    env.provider.allow_only("127.0.0.1");

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
    // --show-token puts the token on stdout, where it is asked for; the logs on stderr never have it.
    let o = env
        .run(
            &[
                "-vvv",
                "--output",
                "json",
                "auth",
                "token",
                "--no-cache",
                "--show-token",
            ],
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
    assert_eq!(env.provider.token_requests(), 1);
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let token = v["access_token"].as_str().expect("token");
    assert!(!stderr.contains(token), "token in the logs");
    // No JWT at all in the logs: every JWT starts with the base64url of `{"` (the assertion's
    // header, hence its signature, would be there).
    assert!(!stderr.contains("eyJ"), "a JWT in the logs");
    assert!(
        !stderr.contains("pass-phrase-42") && !stdout.contains("pass-phrase-42"),
        "passphrase in the output"
    );
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
