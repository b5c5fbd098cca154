//! Secrets hygiene (issue 14): the whole `ipgate demo` at `-vvv` with `RUST_LOG=trace` prints and
//! logs no private key (PEM body or raw scalar), no HMAC secret, no client assertion and no access
//! token; the journal holds none of them; key and secret files are 0600.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

fn in_home(home: &Path) -> Command {
    let mut cmd = common::ipgate();
    for (k, _) in std::env::vars() {
        if k.starts_with("IPGATE_") || k.starts_with("XDG_") || k.starts_with("INNOGRAPHY_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home).env("RUST_LOG", "trace");
    cmd
}

/// The raw private scalar of an EC key, from `openssl pkey -text`.
fn private_scalar(pem: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["pkey", "-noout", "-text", "-in"])
        .arg(pem)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut hex = String::new();
    let mut in_priv = false;
    for line in text.lines() {
        if line.starts_with("priv:") {
            in_priv = true;
            continue;
        }
        if in_priv {
            if !line.starts_with(' ') {
                break;
            }
            hex.extend(line.chars().filter(char::is_ascii_hexdigit));
        }
    }
    let mut bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    while bytes.len() > 32 && bytes[0] == 0 {
        bytes.remove(0);
    }
    assert_eq!(bytes.len(), 32, "a P-256 scalar: {text}");
    bytes
}

fn b64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            s.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            s.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    s
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn sha256_hex(s: &[u8]) -> String {
    hague_journal::Sha256Hex::digest(s)
        .as_str()
        .to_ascii_lowercase()
}

#[test]
fn the_demo_at_trace_level_leaks_no_secret() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut captured = Vec::new();
    for args in [
        &["-vvv", "demo"][..],
        &["-vvv", "--output", "json", "demo"][..],
        &["-vvv", "hague", "history"][..],
    ] {
        let out = in_home(home.path())
            .args(args)
            .output()
            .expect("run ipgate");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        captured.extend_from_slice(&out.stdout);
        captured.extend_from_slice(&out.stderr);
    }
    let text = String::from_utf8_lossy(&captured).into_owned();
    assert!(
        text.contains("TRACE"),
        "trace logging was on (else the test proves little)"
    );
    let state = home.path().join(".local/share/ipgate/sandbox");
    let journal = std::fs::read(state.join("journal.sqlite")).expect("journal");
    let journal_text = String::from_utf8_lossy(&journal).into_owned();
    let haystacks = [("output", &text), ("journal", &journal_text)];

    let mut secrets: Vec<(&str, String)> = Vec::new();
    // The private key: every line of the PEM body, and the raw scalar in hex and base64.
    let key = state.join("client/hague4offices_private.pem");
    let pem = std::fs::read_to_string(&key).expect("private key");
    for line in pem
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
    {
        secrets.push(("PEM body line", line.to_owned()));
    }
    let d = private_scalar(&key);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    secrets.push(("scalar hex", hex.clone()));
    secrets.push(("scalar HEX", hex.to_ascii_uppercase()));
    secrets.push((
        "scalar hex with colons",
        d.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"),
    ));
    secrets.push(("scalar base64url (JWK d)", b64(&d, URL, false)));
    secrets.push(("scalar base64", b64(&d, STD, true)));
    // The Innography HMAC secret.
    let hmac = std::fs::read_to_string(state.join("client/innography.secret")).expect("secret");
    secrets.push(("HMAC secret", hmac.trim().to_owned()));
    for (what, secret) in &secrets {
        for (where_, hay) in &haystacks {
            assert!(
                !hay.contains(secret.as_str()),
                "{what} appears in the {where_}"
            );
        }
    }
    // Client assertions (and any JWT): a JSON header in base64url starts `eyJ`.
    for (where_, hay) in &haystacks {
        assert!(!hay.contains("eyJ"), "a JWT appears in the {where_}");
    }
    // Access tokens: the sandbox keeps their SHA-256 only; no word of the output hashes to one.
    let db = rusqlite::Connection::open(state.join("sandbox.sqlite3")).expect("sandbox db");
    let mut stmt = db
        .prepare("SELECT token_sha256 FROM tokens")
        .expect("tokens");
    let issued: HashSet<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .map(|r| r.expect("row").to_ascii_lowercase())
        .collect();
    assert!(!issued.is_empty(), "the demo obtained tokens");
    for (where_, hay) in &haystacks {
        let words = hay.split(|c: char| {
            !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/' | '='))
        });
        for w in words.filter(|w| w.len() >= 16) {
            assert!(
                !issued.contains(&sha256_hex(w.as_bytes())),
                "an access token appears in the {where_}"
            );
        }
    }
    // Key and secret files are the user's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [
            "client/hague4offices_private.pem",
            "client/innography.secret",
        ] {
            let mode = std::fs::metadata(state.join(f))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{f} is mode {mode:o}");
        }
    }
}
