//! A spawned `ipgate sandbox serve` and a profile that points `ipgate hague` at it: what the
//! end-to-end tests of `ipgate hague` drive.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The client id the tests register.
pub const CLIENT_ID: &str = "e2e-office";

/// A running sandbox server (killed on drop) and an isolated home for the CLI.
pub struct Served {
    child: Child,
    /// The issuer URL the server printed.
    pub issuer: String,
    /// The HWS base URL the server printed.
    pub hws: String,
    /// The Innography base URL the server printed.
    pub innography: String,
    /// Everything of this test: state, keys, config, data, downloads.
    pub dir: tempfile::TempDir,
}

/// How to start the server.
#[derive(Default)]
pub struct ServeOptions<'a> {
    /// Extra arguments of `ipgate sandbox serve` (e.g. faults).
    pub serve_args: &'a [&'a str],
    /// Register the client as an examining office (confidential copies).
    pub examining_office: bool,
    /// Serve HTTPS (`--tls`); the profile trusts the printed CA file.
    pub tls: bool,
}

fn run_ok(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Served {
    /// Keys made by `ipgate keys generate`, the client registered by `ipgate sandbox
    /// register-client`, then `ipgate sandbox serve` on a free port of 127.0.0.1.
    pub fn start(opts: ServeOptions<'_>) -> Served {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("state");
        let keys = dir.path().join("keys");
        let base = |cmd: &mut Command| {
            cmd.env("HOME", dir.path().join("home"))
                .env("IPGATE_DATA_DIR", dir.path().join("data"))
                .env("IPGATE_CACHE_DIR", dir.path().join("cache"));
        };
        let mut keygen = super::ipgate();
        base(&mut keygen);
        keygen
            .args(["keys", "generate", "--client-name", "E2E", "--out"])
            .arg(&keys);
        run_ok(&mut keygen, "ipgate keys generate");

        let mut reg = super::ipgate();
        base(&mut reg);
        reg.args(["sandbox", "register-client", "--state"])
            .arg(&state)
            .arg("--cert")
            .arg(keys.join("es256_cert.pem"))
            .args([
                "--client-id",
                CLIENT_ID,
                "--scope",
                SCOPE,
                "--allow-ip",
                "127.0.0.1",
            ]);
        if opts.examining_office {
            reg.arg("--examining-office");
        }
        run_ok(&mut reg, "ipgate sandbox register-client");

        let (child, urls) = spawn_serve(dir.path(), "127.0.0.1:0", opts.serve_args, opts.tls);
        let ServeUrls {
            issuer,
            hws,
            innography,
            ca_file,
        } = urls;
        let served = Served {
            child,
            issuer,
            hws,
            innography,
            dir,
        };
        served.write_config(&keys, ca_file.as_deref());
        served
    }

    fn write_config(&self, keys: &Path, ca_file: Option<&Path>) {
        let mut config = format!(
            "[profiles.default.wipo]\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\nkey_file = \"{}\"\nscope = \"{SCOPE}\"\n\n\
             [profiles.default.hws]\nbase_url = \"{}\"\njournal = \"{}\"\nwait_timeout_secs = 120\n",
            self.issuer,
            keys.join("hague4offices_private.pem").display(),
            self.hws,
            self.journal().display(),
        );
        if let Some(ca) = ca_file {
            config.push_str(&format!("ca_file = \"{}\"\n", ca.display()));
        }
        std::fs::write(self.config(), config).expect("write config");
    }

    /// `http://127.0.0.1:PORT`: where the admin API is.
    pub fn base(&self) -> String {
        self.hws
            .split("/webservices")
            .next()
            .unwrap_or(&self.hws)
            .to_string()
    }

    /// `ipgate sandbox admin --url BASE ARGS`, which must succeed.
    pub fn admin(&self, args: &[&str]) {
        let mut cmd = self.ipgate();
        cmd.args(["sandbox", "admin", "--url", &self.base()])
            .args(args);
        run_ok(&mut cmd, "ipgate sandbox admin");
    }

    /// The profile file the CLI is given.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    /// The journal of this profile.
    pub fn journal(&self) -> PathBuf {
        self.dir.path().join("journal.sqlite")
    }

    /// The state directory of the server.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// A directory for downloads.
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    /// `ipgate` with this test's profile, home and directories.
    pub fn ipgate(&self) -> Command {
        let mut cmd = super::ipgate();
        cmd.env("IPGATE_CONFIG", self.config())
            .env("HOME", self.dir.path().join("home"))
            .env("IPGATE_DATA_DIR", self.dir.path().join("data"))
            .env("IPGATE_CACHE_DIR", self.dir.path().join("cache"));
        cmd
    }

    /// `ipgate --output json ARGS`, parsed; panics unless it exits with `code`.
    pub fn json(&self, args: &[&str], code: i32) -> serde_json::Value {
        let out = self
            .ipgate()
            .args(["--output", "json"])
            .args(args)
            .output()
            .expect("run ipgate");
        assert_eq!(
            out.status.code(),
            Some(code),
            "ipgate {args:?}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "ipgate {args:?} printed no JSON ({e}):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

impl Served {
    /// Runs `ipgate ARGS`; returns its exit code and stderr.
    pub fn fails(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = self.ipgate().args(args).output().expect("run ipgate");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Served {
    /// Kills the server with SIGKILL (no shutdown, nothing flushed) and starts it again on the
    /// same address and state directory, without faults; the URLs must not change.
    pub fn kill9_and_restart(&mut self) {
        self.child.kill().expect("SIGKILL the sandbox");
        let _ = self.child.wait();
        let addr = self
            .base()
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_string();
        let (child, urls) = spawn_serve(self.dir.path(), &addr, &[], false);
        self.child = child;
        assert_eq!(
            (&urls.issuer, &urls.hws, &urls.innography),
            (&self.issuer, &self.hws, &self.innography),
            "the restarted sandbox serves the same URLs"
        );
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scope the sandbox's HWS routes require by default.
pub const SCOPE: &str = "hague-api/hws-access";

/// The current ISO week, `yyyyww`, as the CLI computes it (UTC).
pub fn this_week() -> String {
    let (y, w, _) = time::OffsetDateTime::now_utc().date().to_iso_week_date();
    format!("{y:04}{w:02}")
}

/// `p` as a command-line argument.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A valid refusal package with office reference `reference`, built by `ipgate package build`.
pub fn package(s: &Served, reference: &str) -> PathBuf {
    let src = std::fs::read_to_string(super::samples().join("hague/refusal_total.xml"))
        .expect("read the refusal sample");
    let xml = src.replace("OFFICE-REF-0001", reference);
    let dir = s.dir.path().join(format!("pkg-{reference}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("refusal_total.xml"), xml).expect("write xml");
    std::fs::write(
        dir.join("refusal.pdf"),
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .expect("write pdf");
    let zip = s.dir.path().join(format!("{reference}.zip"));
    let out = s
        .ipgate()
        .args(["package", "build"])
        .arg(dir.join("refusal_total.xml"))
        .arg("--out")
        .arg(&zip)
        .output()
        .expect("run ipgate package build");
    assert!(
        out.status.success(),
        "package build: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    zip
}

/// The packages the sandbox has received (`sandbox admin received`).
pub fn received(s: &Served) -> Vec<serde_json::Value> {
    let v = s.json(&["sandbox", "admin", "--url", &s.base(), "received"], 0);
    v["received"]
        .as_array()
        .or_else(|| v.as_array())
        .cloned()
        .unwrap_or_default()
}

/// Starts `ipgate hague submit PKG`, waits (at most `within`) until the journal says `sending`,
/// then kills the CLI with SIGKILL: a crash in the middle of a submission.
pub fn kill_submit_while_sending(s: &Served, pkg: &Path, within: std::time::Duration) {
    let mut child = spawn_submit_until_sending(s, pkg, within);
    child.kill().expect("SIGKILL the CLI");
    let _ = child.wait();
}

/// Starts `ipgate hague submit PKG` and returns once the journal says `sending` (at most
/// `within`): the CLI is then about to send, or sending. The caller waits for the child.
#[allow(
    clippy::zombie_processes,
    reason = "the child is returned; the caller kills and waits for it"
)]
pub fn spawn_submit_until_sending(s: &Served, pkg: &Path, within: std::time::Duration) -> Child {
    let mut child = s
        .ipgate()
        .args(["hague", "submit", arg(pkg)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn submit");
    let deadline = std::time::Instant::now() + within;
    loop {
        let h = s.json(&["hague", "history"], 0);
        if h["submissions"][0]["state"] == "sending" {
            return child;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("never saw `sending`: {h}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The sandbox's request log for `route`, as JSON records.
pub fn requests(s: &Served, route: &str) -> Vec<serde_json::Value> {
    let v = s.json(
        &[
            "sandbox",
            "admin",
            "--url",
            &s.base(),
            "requests",
            "--route",
            route,
        ],
        0,
    );
    v["requests"]
        .as_array()
        .or_else(|| v.as_array())
        .cloned()
        .unwrap_or_default()
}

/// What `ipgate sandbox serve` printed.
struct ServeUrls {
    issuer: String,
    hws: String,
    innography: String,
    ca_file: Option<PathBuf>,
}

/// Spawns `ipgate sandbox serve --addr ADDR --state DIR/state ARGS` and reads the URLs it prints.
fn spawn_serve(dir: &Path, addr: &str, serve_args: &[&str], tls: bool) -> (Child, ServeUrls) {
    let mut serve = super::ipgate();
    serve
        .env("HOME", dir.join("home"))
        .env("IPGATE_DATA_DIR", dir.join("data"))
        .env("IPGATE_CACHE_DIR", dir.join("cache"));
    serve
        .args(["sandbox", "serve", "--addr", addr, "--state"])
        .arg(dir.join("state"))
        .args(serve_args)
        .args(if tls { &["--tls"][..] } else { &[][..] })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = serve.spawn().expect("spawn ipgate sandbox serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (mut issuer, mut hws, mut innography) = (None, None, None);
    while issuer.is_none() || hws.is_none() || innography.is_none() {
        let line = lines
            .next()
            .expect("ipgate sandbox serve printed its URLs")
            .expect("read the server's output");
        let Some(url) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        else {
            continue;
        };
        let url = url.trim_end_matches('/').to_string();
        if url.contains("/webservices/") {
            hws = Some(url);
        } else if url.contains("/innography") {
            innography = Some(url);
        } else if url.ends_with("/oauth2") {
            issuer = Some(url);
        }
    }
    let mut ca_file = None;
    if tls {
        for line in lines.by_ref() {
            let line = line.expect("read the server's output");
            if let Some(path) = line.strip_prefix("ca-file:") {
                ca_file = Some(PathBuf::from(path.trim()));
                break;
            }
        }
        assert!(ca_file.is_some(), "serve --tls printed its CA file");
    }
    // Keep draining the server's stdout so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let urls = ServeUrls {
        issuer: issuer.expect("issuer"),
        hws: hws.expect("hws"),
        innography: innography.expect("innography"),
        ca_file,
    };
    (child, urls)
}
