//! Shared test helpers: the `openssl` binary and an OpenID provider on 127.0.0.1 built on
//! `wipo_oidc::Verifier`.
#![allow(dead_code)]

pub mod provider;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `openssl` with `args` in `dir`; panics with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `openssl` and returns whether it succeeded, plus stdout+stderr.
pub fn openssl_status(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The files of WIPO's Appendix A.
pub struct AppendixA {
    pub private_key: PathBuf,
    pub public_key: PathBuf,
    pub certificate: PathBuf,
}

/// Runs the exact commands of Appendix A ("Generate artifacts for WIPO OIDC enrolment") in `dir`.
pub fn appendix_a(dir: &Path, client_name: &str) -> AppendixA {
    let private = "hague4offices_private.pem";
    let public = "hague4offices_public.pem";
    let cert = "es256_cert.pem";
    openssl(
        dir,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            private,
        ],
    );
    openssl(dir, &["ec", "-in", private, "-pubout", "-out", public]);
    let conf = format!(
        "[ req ]\nprompt = no\ndistinguished_name = req_distinguished_name\n[ req_distinguished_name ]\nCN = {client_name} private_key_jwt authentication\n"
    );
    std::fs::write(dir.join("openssl.cnf"), conf).expect("write openssl.cnf");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-config",
            "./openssl.cnf",
            "-key",
            private,
            "-out",
            cert,
        ],
    );
    set_mode(&dir.join(private), 0o600);
    AppendixA {
        private_key: dir.join(private),
        public_key: dir.join(public),
        certificate: dir.join(cert),
    }
}

/// chmod.
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = bytes.iter().copied().skip_while(|&x| x == 0).collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    let mut out = vec![0x02, b.len() as u8];
    out.extend(b);
    out
}

/// Converts a JWS ES256 signature (raw r||s) to the DER `ECDSA-Sig-Value` openssl expects.
pub fn raw_to_der(sig: &[u8]) -> Vec<u8> {
    assert_eq!(sig.len(), 64, "raw ES256 signature is 64 bytes");
    let mut body = der_integer(&sig[..32]);
    body.extend(der_integer(&sig[32..]));
    let mut out = vec![0x30, body.len() as u8];
    out.extend(body);
    out
}

/// Verifies `sig` (raw r||s) over `data` with `openssl dgst -sha256 -verify PUBKEY`.
pub fn openssl_verifies(dir: &Path, public_key_pem: &Path, data: &[u8], raw_sig: &[u8]) -> bool {
    let data_path = dir.join("signed-data.bin");
    let sig_path = dir.join("signature.der");
    std::fs::write(&data_path, data).expect("write data");
    std::fs::write(&sig_path, raw_to_der(raw_sig)).expect("write sig");
    let (ok, text) = openssl_status(
        dir,
        &[
            "dgst",
            "-sha256",
            "-verify",
            public_key_pem.to_str().expect("utf8 path"),
            "-signature",
            sig_path.to_str().expect("utf8 path"),
            data_path.to_str().expect("utf8 path"),
        ],
    );
    ok && text.contains("Verified OK")
}
