//! Measures the sandbox over loopback (the numbers of docs/sandbox.md):
//!
//! * `ping [CLIENTS] [SECONDS]`: authenticated `GET /pingMe` requests per second with CLIENTS
//!   concurrent clients (default 200, each its own connection), counting every error;
//! * `bulletin [MB]`: time and peak RSS (`VmHWM`, this process: server and client) to stream a
//!   bulletin of MB megabytes (default 500) to a client that counts and discards the bytes.
//!
//! `cargo run --release -p ipgate-sandbox --example bench -- ping 200 10`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ipgate_sandbox::{ClientRegistration, Sandbox, SandboxConfig};
use wipo_oidc::{AssertionSigner, SigningKey};

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn token(sb: &Sandbox, http: &reqwest::Client) -> String {
    let key = Arc::new(SigningKey::generate().expect("key"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let cert = wipo_oidc::cert::self_signed_certificate(&key, "bench", now - 60, 1).expect("cert");
    sb.register_client(&ClientRegistration::new("bench", cert.pem))
        .expect("register");
    let a = AssertionSigner::new(key, "bench", sb.urls().token_endpoint.clone())
        .expect("signer")
        .sign()
        .expect("sign");
    let v: serde_json::Value = http
        .post(&sb.urls().token_endpoint)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", wipo_oidc::CLIENT_ASSERTION_TYPE),
            ("client_assertion", a.as_str()),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    v["access_token"].as_str().expect("access_token").to_owned()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    match args.first().map(String::as_str) {
        Some("bulletin") => {
            let mb: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(500);
            let sb = Sandbox::start(
                SandboxConfig::new(dir.path()).with_publication_size(Some(mb * 1_000_000)),
            )
            .expect("start");
            let http = reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client");
            let token = token(&sb, &http).await;
            let before = vm_hwm_kib();
            let t = Instant::now();
            let mut r = http
                .get(format!("{}/publication/bulletin/202540", sb.urls().hws))
                .bearer_auth(&token)
                .send()
                .await
                .expect("bulletin");
            let first = t.elapsed();
            assert_eq!(r.status(), 200);
            let mut n = 0u64;
            while let Some(c) = r.chunk().await.expect("chunk") {
                n += c.len() as u64;
            }
            let total = t.elapsed();
            println!(
                "bulletin: {n} bytes in {:.2} s ({:.0} MB/s; headers after {:.2} s, the layout pass); peak RSS {} MiB (before the request {} MiB)",
                total.as_secs_f64(),
                n as f64 / 1e6 / total.as_secs_f64(),
                first.as_secs_f64(),
                vm_hwm_kib() / 1024,
                before / 1024
            );
        }
        _ => {
            let clients: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(200);
            let secs: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10);
            let sb = Sandbox::start(SandboxConfig::new(dir.path())).expect("start");
            let http = reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client");
            let token = Arc::new(token(&sb, &http).await);
            let url = Arc::new(format!("{}/pingMe?name=bench", sb.urls().hws));
            let ok = Arc::new(AtomicU64::new(0));
            let errors = Arc::new(AtomicU64::new(0));
            // one client, hence one kept-alive connection, per task
            let https: Vec<reqwest::Client> = (0..clients)
                .map(|_| {
                    reqwest::Client::builder()
                        .no_proxy()
                        .pool_max_idle_per_host(1)
                        .build()
                        .expect("client")
                })
                .collect();
            let t = Instant::now();
            let deadline = t + Duration::from_secs(secs);
            let mut tasks = Vec::new();
            for http in https {
                let (token, url, ok, errors) =
                    (token.clone(), url.clone(), ok.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < deadline {
                        let fine = match http
                            .get(url.as_str())
                            .bearer_auth(token.as_str())
                            .send()
                            .await
                        {
                            Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        if fine {
                            ok.fetch_add(1, Ordering::Relaxed);
                        } else {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }));
            }
            for task in tasks {
                task.await.expect("task");
            }
            let el = t.elapsed().as_secs_f64();
            let ok = ok.load(Ordering::Relaxed);
            println!(
                "pingMe: {clients} concurrent clients, {ok} answers in {el:.1} s = {:.0} requests/s, {} errors",
                ok as f64 / el,
                errors.load(Ordering::Relaxed)
            );
        }
    }
}
