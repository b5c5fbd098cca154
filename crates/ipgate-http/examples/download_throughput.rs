//! What hashing, writing, fsync and rename cost a download: the same entity served from memory on
//! 127.0.0.1 is read (a) by a plain `reqwest` chunk loop that keeps nothing and (b) by
//! `ipgate_http::download` into a file. Prints MB/s of each and the ratio (b)/(a) of their times.
//!
//! `cargo run --release -p ipgate-http --example download_throughput [MiB]` (default 256).

use std::time::Instant;

use ipgate_http::{ClientOptions, DownloadOptions, download};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(256);
    let body: std::sync::Arc<Vec<u8>> = std::sync::Arc::new(
        (0..mib * 1024 * 1024)
            .map(|i| (i * 31 % 251) as u8)
            .collect(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let served = body.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let body = served.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let h = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"b\"\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(h.as_bytes()).await;
                let _ = s.write_all(&body).await;
                let _ = s.shutdown().await;
            });
        }
    });
    let client = ClientOptions::new("bench").builder()?.no_proxy().build()?;
    let url = format!("http://{addr}/b");
    let dir = tempfile::tempdir()?;
    let mb = body.len() as f64 / 1e6;
    let mut plain_best = f64::MAX;
    let mut dl_best = f64::MAX;
    for round in 0..3 {
        let t = Instant::now();
        let mut resp = client.get(&url).send().await?;
        let mut n = 0usize;
        while let Some(c) = resp.chunk().await? {
            n += c.len();
        }
        assert_eq!(n, body.len());
        plain_best = plain_best.min(t.elapsed().as_secs_f64());

        let dest = dir.path().join(format!("b{round}.bin"));
        let t = Instant::now();
        let done = download(&client, &dest, &DownloadOptions::default(), |_| {
            client.get(&url)
        })
        .await?;
        dl_best = dl_best.min(t.elapsed().as_secs_f64());
        assert_eq!(done.size as usize, body.len());
        std::fs::remove_file(&dest)?;
    }
    println!(
        "{mib} MiB: plain read {:.0} MB/s, download (SHA-256, write, fsync, rename) {:.0} MB/s, time ratio {:.2}",
        mb / plain_best,
        mb / dl_best,
        dl_best / plain_best
    );
    Ok(())
}
