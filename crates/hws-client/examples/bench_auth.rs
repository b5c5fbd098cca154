//! The auth row of `tools/bench.sh`: 1000 concurrent HWS calls (`GET /pingMe`) through one
//! [`HwsClient`] against the sandbox (`ipgate-sandbox`, in this process, on 127.0.0.1) must make
//! exactly one token request; then the cost of `TokenSource::token()` with the token cached.
//!
//! `cargo run --release -p hws-client --example bench_auth -- [CALLS]` (default 1000)
//!
//! Prints `calls=N ok=N token_requests=T wall_secs=S cached_token_ns=X` on stdout. No number is
//! asserted here: the script compares them with the targets (T = 1, X ≤ 2000).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hws_client::{HwsClient, HwsConfig};
use ipgate_sandbox::{ClientRegistration, DEFAULT_HWS_SCOPE, Sandbox, SandboxConfig};
use wipo_oidc::{Endpoint, SigningKey, TokenSource, TokenSourceConfig};

const CLIENT: &str = "bench-office";

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn run(calls: usize) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("ipgate-bench-auth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sandbox = Sandbox::start(SandboxConfig::new(&dir).with_seed(1))
        .map_err(|e| format!("sandbox: {e}"))?;
    let key = Arc::new(SigningKey::generate().map_err(|e| format!("key: {e}"))?);
    let cert = wipo_oidc::cert::self_signed_certificate(&key, "bench office", now_unix() - 60, 30)
        .map_err(|e| format!("certificate: {e}"))?;
    sandbox
        .register_client(&ClientRegistration::new(CLIENT, cert.pem))
        .map_err(|e| format!("register: {e}"))?;

    let mut http = ipgate_http::ClientOptions::new("ipgate-bench");
    http.extra_ca_file = sandbox.ca_file().map(Path::to_path_buf);
    let http = http.build().map_err(|e| format!("http client: {e}"))?;
    let tokens = TokenSource::new(
        http,
        TokenSourceConfig::new(
            Endpoint::Discover {
                issuer: sandbox.urls().issuer.clone(),
            },
            CLIENT,
        )
        .with_scope(DEFAULT_HWS_SCOPE),
        key,
    )
    .map_err(|e| format!("token source: {e}"))?;
    let client = HwsClient::new(HwsConfig::new(sandbox.urls().hws.clone()), tokens)
        .map_err(|e| format!("hws client: {e}"))?;

    // All calls start together, with no token cached yet.
    let start = Instant::now();
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.ping(None).await })
        })
        .collect();
    let mut ok = 0usize;
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok(_)) => ok += 1,
            Ok(Err(e)) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
            Err(e) => {
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let wall = start.elapsed().as_secs_f64();
    if let Some(e) = &first_error {
        eprintln!("bench_auth: {} calls failed, the first: {e}", calls - ok);
    }
    let token_requests = client.tokens().token_requests();

    // The cached token: the median of batches, the machine being noisy.
    let tokens = client.tokens();
    let mut per_call = Vec::new();
    for _ in 0..31 {
        let n = 20_000u32;
        let t = Instant::now();
        for _ in 0..n {
            let tok = tokens.token().await.map_err(|e| format!("token: {e}"))?;
            std::hint::black_box(&tok);
        }
        per_call.push(t.elapsed().as_nanos() as f64 / f64::from(n));
    }
    per_call.sort_by(f64::total_cmp);
    let cached_ns = per_call[per_call.len() / 2];
    drop(client);
    tokio::task::spawn_blocking(move || sandbox.stop())
        .await
        .map_err(|e| format!("sandbox stop: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(format!(
        "calls={calls} ok={ok} token_requests={token_requests} wall_secs={wall:.6} cached_token_ns={cached_ns:.1}"
    ))
}

fn main() -> ExitCode {
    let calls = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: bench_auth [CALLS]");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_auth: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(300), run(calls))
            .await
            .map_err(|_| "gave up after 300 s".to_owned())?
    }) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_auth: {e}");
            ExitCode::FAILURE
        }
    }
}
