//! A sandbox on 127.0.0.1 with a stopped clock, registered clients, and the requests tests make:
//! client assertions signed by `wipo-oidc`, Innography requests signed by `innography-hmac`, real
//! Hague packages, and the check of every HWS response document against `xsd/ipgate-hws-v1.xsd`
//! with `hague-package`'s validator.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ipgate_base::clock::{Clock, ManualClock};
use ipgate_sandbox::{ClientRegistration, Sandbox, SandboxConfig};
use reqwest::RequestBuilder;
use wipo_oidc::{AssertionSigner, SigningKey};

/// Wednesday 2 December 2026, 10:00 UTC (ISO week 2026-W49; its issue is out on Friday 4th).
pub const T0: u64 = 1_796_205_600;
pub const SCOPE: &str = ipgate_sandbox::DEFAULT_HWS_SCOPE;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// WIPO's schemas (tools/install-schemas.py puts them there; tools/test.sh does it).
pub fn wipo_schemas() -> PathBuf {
    let d = repo().join("xsd/wipo");
    assert!(
        d.join("V6_0/Common_V6_0.xsd").is_file(),
        "WIPO schemas missing: run `python3 tools/install-schemas.py V6_0 ../shared/st96/V6_0`"
    );
    d
}

pub struct Env {
    pub sb: Option<Sandbox>,
    pub dir: tempfile::TempDir,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub key: Arc<SigningKey>,
    pub cert_pem: String,
}

pub fn config(dir: &Path, clock: &ManualClock) -> SandboxConfig {
    SandboxConfig::new(dir.join("state"))
        .with_seed(42)
        .with_clock(Arc::new(clock.clone()))
        .with_schema_dirs(vec![wipo_schemas()])
}

impl Env {
    pub fn start() -> Env {
        Env::start_with(|c| c)
    }

    pub fn start_with(f: impl FnOnce(SandboxConfig) -> SandboxConfig) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::at_unix(T0);
        let sb = Sandbox::start(f(config(dir.path(), &clock))).expect("sandbox starts");
        let key = Arc::new(SigningKey::generate().expect("key"));
        let cert = wipo_oidc::cert::self_signed_certificate(
            &key,
            "office private_key_jwt authentication",
            T0 - 86_400,
            365,
        )
        .expect("certificate");
        sb.register_client(&ClientRegistration::new("office-1", cert.pem.clone()))
            .expect("register");
        let mut exam = ClientRegistration::new("exam-1", cert.pem.clone());
        exam.examining_office = true;
        exam.office_code = "JP".into();
        sb.register_client(&exam).expect("register examining");
        Env {
            sb: Some(sb),
            dir,
            clock,
            http: http(),
            key,
            cert_pem: cert.pem,
        }
    }

    pub fn sb(&self) -> &Sandbox {
        self.sb.as_ref().expect("running")
    }

    pub fn restart(&mut self, f: impl FnOnce(SandboxConfig) -> SandboxConfig) {
        if let Some(sb) = self.sb.take() {
            sb.stop();
        }
        let cfg = f(config(self.dir.path(), &self.clock));
        self.sb = Some(Sandbox::start(cfg).expect("sandbox restarts"));
    }

    pub fn hws(&self, path: &str) -> String {
        format!("{}{path}", self.sb().urls().hws)
    }

    pub fn base(&self, path: &str) -> String {
        format!("{}{path}", self.sb().urls().base)
    }

    /// A client assertion for `client`, signed with the registered key for the token endpoint,
    /// at the sandbox's time.
    pub fn assertion(&self, client: &str) -> String {
        sign_assertion(
            self.key.clone(),
            client,
            &self.sb().urls().token_endpoint,
            self.clock.clone(),
        )
    }

    pub async fn token_response(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(&self.sb().urls().token_endpoint)
            .form(form)
            .send()
            .await
            .expect("token endpoint answers")
    }

    pub async fn token_for(&self, client: &str) -> String {
        let a = self.assertion(client);
        let r = self.token_response(&grant_form(&a, Some(SCOPE))).await;
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.expect("json");
        v["access_token"].as_str().expect("token").to_owned()
    }

    pub async fn token(&self) -> String {
        self.token_for("office-1").await
    }

    /// A request to the HWS path `path` with the bearer `token`, to add to before sending.
    pub fn hws_request(&self, method: reqwest::Method, path: &str, token: &str) -> RequestBuilder {
        self.http.request(method, self.hws(path)).bearer_auth(token)
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.hws_request(reqwest::Method::GET, path, token)
            .send()
            .await
            .expect("answer")
    }

    /// `POST /request` of the package `zip`, not sent yet.
    pub fn submit_request(&self, token: &str, zip: Vec<u8>) -> RequestBuilder {
        self.hws_request(reqwest::Method::POST, "/request", token)
            .header("content-type", "application/zip")
            .body(zip)
    }

    pub async fn submit(&self, token: &str, zip: Vec<u8>) -> reqwest::Response {
        self.submit_request(token, zip)
            .send()
            .await
            .expect("answer")
    }

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .http
            .request(method, self.base(&format!("/_sandbox/admin{path}")));
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = req.send().await.expect("admin answers");
        let status = r.status().as_u16();
        (status, r.json().await.expect("admin json"))
    }

    pub fn advance(&self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
    }

    pub fn now(&self) -> std::time::SystemTime {
        self.clock.now()
    }
}

/// A client assertion for `client` signed with `key` for `audience` at `clock`'s time.
pub fn sign_assertion(
    key: Arc<SigningKey>,
    client: &str,
    audience: &str,
    clock: ManualClock,
) -> String {
    AssertionSigner::new(key, client, audience.to_owned())
        .expect("signer")
        .with_clock(Arc::new(clock))
        .sign()
        .expect("sign")
}

/// The form of a `client_credentials` grant authenticated with the client assertion `assertion`,
/// asking for `scope` (none: the client's registered scopes).
pub fn grant_form<'a>(assertion: &'a str, scope: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", wipo_oidc::CLIENT_ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    form.extend(scope.map(|s| ("scope", s)));
    form
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// Validates an HWS response document against our extension schema (which imports WIPO's ST.96
/// Common schema) with `hague-package`'s validator; panics with the findings.
pub fn assert_schema_valid(xml: &str) {
    let schema = repo().join("xsd").join(hws_client::wire::SCHEMA_FILE);
    wipo_schemas();
    let out = hague_package::validate_xml(&schema, xml.as_bytes(), "response.xml", 32, 20)
        .expect("schema compiles");
    assert!(
        out.findings.is_empty(),
        "response not valid against {}: {:#?}\n{xml}",
        schema.display(),
        out.findings
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
    );
}

/// The shared Hague samples.
pub fn sample(name: &str) -> String {
    let d = std::env::var_os("IPGATE_ST96_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/st96/samples"))
        .join("hague");
    std::fs::read_to_string(d.join(name)).expect("sample readable (set IPGATE_ST96_SAMPLES)")
}

/// A small valid one-page PDF.
pub fn pdf() -> Vec<u8> {
    hague_package::pdf::one_page("ipgate test document")
}

/// A ZIP of `entries`.
pub fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in entries {
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .expect("entry");
        z.write_all(data).expect("write");
    }
    z.finish().expect("finish").into_inner()
}

/// A valid total-refusal package (the shared sample), with `edit` applied to its XML.
pub fn refusal(edit: impl Fn(String) -> String) -> Vec<u8> {
    let xml = edit(sample("refusal_total.xml"));
    let mut entries = vec![("refusal.xml".to_owned(), xml.clone().into_bytes())];
    for part in xml.split("<com:FileName>").skip(1) {
        let name = part
            .split("</com:FileName>")
            .next()
            .expect("file name")
            .to_owned();
        entries.push((name, pdf()));
    }
    zip_of(&entries)
}
