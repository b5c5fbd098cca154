//! The one loopback test server of ipgate-http's tests: a small scripted HTTP/1.1 server on
//! 127.0.0.1:0, plain or TLS. Each test gives it a handler that turns a request into a [`Reply`];
//! the server records every request it received ([`Seen`]: method, path, headers, body, arrival
//! time) so tests can assert on what the client sent. Written by hand rather than with axum so a
//! test can cut a connection after an exact number of bytes or announce a length it never sends.

// Each test binary (download, http, cross_process) uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body as announced by Content-Length.
    pub body: Vec<u8>,
    /// 1 for the first request to this path, 2 for the second, ...
    pub nth_on_path: usize,
    /// When the request head had fully arrived.
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// What the server answers. `Content-Length` (the whole body's length) and `Connection: close`
/// are always sent; the connection is closed after each answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status line after the version, e.g. "206 Partial Content".
    pub status: &'static str,
    pub headers: Vec<(String, String)>,
    /// The body announced (Content-Length is its length)...
    pub body: Vec<u8>,
    /// ...of which only this many bytes are sent before the connection is closed.
    pub cut_after: Option<usize>,
}

impl Reply {
    pub fn new(status: &'static str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            cut_after: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends only the first `after` bytes of the body, then closes the connection.
    pub fn cut(mut self, after: usize) -> Self {
        self.cut_after = Some(after);
        self
    }
}

/// Turns the request (and its 0-based index among all requests the server got) into a reply.
pub type Handler = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

/// A running loopback server; it lives until the test process ends.
pub struct Server {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT` (or `https://`).
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// A plain HTTP server.
    pub fn start(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Self {
        Self::spawn("http", None, Arc::new(handler))
    }

    /// The same server behind TLS with the given configuration.
    pub fn start_tls(
        config: Arc<rustls::ServerConfig>,
        handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::spawn("https", Some(config), Arc::new(handler))
    }

    fn spawn(scheme: &str, tls: Option<Arc<rustls::ServerConfig>>, handler: Arc<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(tcp) = stream else { continue };
                let (handler, log, tls) = (handler.clone(), log.clone(), tls.clone());
                std::thread::spawn(move || match tls {
                    None => serve_one(tcp, &*handler, &log),
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(config) else {
                            return;
                        };
                        serve_one(rustls::StreamOwned::new(conn, tcp), &*handler, &log);
                    }
                });
            }
        });
        Self {
            addr,
            base: format!("{scheme}://{addr}"),
            seen,
        }
    }

    /// `base` followed by `path` (which starts with '/').
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request received so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many requests were made to `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }

    /// When each request to `path` arrived, in arrival order.
    pub fn arrivals(&self, path: &str) -> Vec<Instant> {
        self.seen()
            .iter()
            .filter(|s| s.path == path)
            .map(|s| s.at)
            .collect()
    }
}

/// An address on 127.0.0.1 where nothing listens (bound, then released), for refused connections.
pub fn closed_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    listener.local_addr().expect("addr")
}

/// A connection the server can read a request from, answer, and then close cleanly.
trait Conn: Read + Write {
    fn finish(&mut self);
}

impl Conn for TcpStream {
    fn finish(&mut self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn finish(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Write);
    }
}

/// Reads one request (head and Content-Length body), records it, writes the handler's reply.
fn serve_one(mut s: impl Conn, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let at = Instant::now();
    let text = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_string();
    let path = request_line.next().unwrap_or("").to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    // Read the whole body so closing the socket never resets the connection under the client.
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let (req, index) = {
        let mut g = log.lock().unwrap_or_else(|e| e.into_inner());
        let nth_on_path = 1 + g.iter().filter(|r| r.path == path).count();
        let req = Seen {
            method,
            path,
            headers,
            body,
            nth_on_path,
            at,
        };
        g.push(req.clone());
        (req, g.len() - 1)
    };
    let reply = handler(&req, index);
    let mut out = format!(
        "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let n = reply
        .cut_after
        .unwrap_or(reply.body.len())
        .min(reply.body.len());
    let _ = s.write_all(out.as_bytes());
    let _ = s.write_all(&reply.body[..n]);
    let _ = s.flush();
    s.finish();
}
