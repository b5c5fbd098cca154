//! Keys, certificates and signatures checked against the real `openssl` binary.

mod common;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{appendix_a, openssl, openssl_status, openssl_verifies, set_mode};
use wipo_oidc::cert::{parse_certificate_pem, self_signed_certificate, wipo_common_name};
use wipo_oidc::{
    AssertionSigner, EcPublicKey, KeyError, KeyFormat, LoadOptions, ManualClock, SigningKey,
};
use zeroize::Zeroizing;

fn load(path: &std::path::Path) -> Result<SigningKey, KeyError> {
    SigningKey::load(path, &LoadOptions::default())
}

#[test]
fn appendix_a_key_loads_and_matches_its_public_key_and_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = appendix_a(dir.path(), "DAS");
    let key = load(&a.private_key).expect("load SEC1 key from openssl");
    assert_eq!(key.format(), KeyFormat::Sec1);
    let public = EcPublicKey::from_spki_pem(&std::fs::read_to_string(&a.public_key).expect("read"))
        .expect("public key");
    assert_eq!(key.public_key(), &public);
    // The PEM we would write for the public key is byte-identical to openssl's.
    assert_eq!(
        public.to_spki_pem().expect("pem"),
        std::fs::read_to_string(&a.public_key).expect("read")
    );
    let cert = parse_certificate_pem(&std::fs::read_to_string(&a.certificate).expect("read"))
        .expect("certificate");
    assert_eq!(&cert.public_key, key.public_key());
    assert_eq!(cert.subject, "CN=DAS private_key_jwt authentication");
    let fp = String::from_utf8(openssl(
        dir.path(),
        &[
            "x509",
            "-in",
            "es256_cert.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    ))
    .expect("utf8");
    assert!(
        fp.trim().ends_with(&cert.sha256_fingerprint),
        "{fp} vs {}",
        cert.sha256_fingerprint
    );
}

#[test]
fn assertion_signature_verifies_with_openssl_dgst() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = appendix_a(dir.path(), "DAS");
    let key = Arc::new(load(&a.private_key).expect("key"));
    let signer = AssertionSigner::new(
        key,
        "das-api-auth",
        "https://logindev.wipo.int:443/am/oauth2/access_token",
    )
    .expect("signer")
    .with_clock(Arc::new(ManualClock::at_unix(1_700_000_000)));
    let jwt = signer.sign().expect("sign");
    let (input, sig_b64) = jwt.rsplit_once('.').expect("three parts");
    let sig = URL_SAFE_NO_PAD.decode(sig_b64).expect("base64url");
    assert_eq!(sig.len(), 64);
    assert!(openssl_verifies(
        dir.path(),
        &a.public_key,
        input.as_bytes(),
        &sig
    ));
    // A changed byte fails: the check can fail.
    let mut bad = input.as_bytes().to_vec();
    bad[5] ^= 1;
    assert!(!openssl_verifies(dir.path(), &a.public_key, &bad, &sig));
}

#[test]
fn generated_certificate_is_read_by_openssl_and_matches_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SigningKey::generate().expect("generate");
    let not_before = 1_767_225_600; // 2026-01-01T00:00:00Z
    let cert = self_signed_certificate(&key, &wipo_common_name("Hague Office"), not_before, 730)
        .expect("certificate");
    std::fs::write(dir.path().join("cert.pem"), &cert.pem).expect("write");
    let key_pem = key.to_sec1_pem().expect("sec1");
    std::fs::write(dir.path().join("key.pem"), key_pem.as_bytes()).expect("write");

    let text = String::from_utf8(openssl(
        dir.path(),
        &["x509", "-in", "cert.pem", "-noout", "-text"],
    ))
    .expect("utf8");
    assert!(
        text.contains("Subject: CN = Hague Office private_key_jwt authentication"),
        "{text}"
    );
    assert!(
        text.contains("Issuer: CN = Hague Office private_key_jwt authentication"),
        "{text}"
    );
    assert!(text.contains("ecdsa-with-SHA256"), "{text}");
    assert!(
        text.contains("prime256v1") || text.contains("P-256"),
        "{text}"
    );
    assert!(
        text.contains("Not Before: Jan  1 00:00:00 2026 GMT"),
        "{text}"
    );
    assert!(
        text.contains("Not After : Jan  1 00:00:00 2028 GMT"),
        "{text}"
    );

    // Self-signature verifies.
    let (ok, out) = openssl_status(
        dir.path(),
        &[
            "verify",
            "-CAfile",
            "cert.pem",
            "-no_check_time",
            "cert.pem",
        ],
    );
    assert!(ok, "{out}");
    // The certificate's key is the private key's public key.
    let from_cert = openssl(
        dir.path(),
        &["x509", "-in", "cert.pem", "-noout", "-pubkey"],
    );
    let from_key = openssl(dir.path(), &["ec", "-in", "key.pem", "-pubout"]);
    assert_eq!(from_cert, from_key);
    assert_eq!(
        String::from_utf8(from_key).expect("utf8"),
        key.public_key().to_spki_pem().expect("pem")
    );
    // Fingerprint as openssl prints it.
    let fp = String::from_utf8(openssl(
        dir.path(),
        &[
            "x509",
            "-in",
            "cert.pem",
            "-noout",
            "-fingerprint",
            "-sha256",
        ],
    ))
    .expect("utf8");
    assert_eq!(
        fp.trim(),
        format!("sha256 Fingerprint={}", cert.sha256_fingerprint)
    );
    // The SEC1 PEM we write is one openssl reads as a P-256 key.
    let (ok, out) = openssl_status(dir.path(), &["ec", "-in", "key.pem", "-check", "-noout"]);
    assert!(ok && out.contains("EC Key valid"), "{out}");
}

#[test]
fn jwk_thumbprint_matches_one_computed_from_openssl_coordinates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = appendix_a(dir.path(), "DAS");
    let key = load(&a.private_key).expect("key");
    // The last 65 bytes of the DER SPKI are the uncompressed point.
    let der = openssl(
        dir.path(),
        &[
            "ec",
            "-in",
            "hague4offices_private.pem",
            "-pubout",
            "-outform",
            "DER",
        ],
    );
    let point = &der[der.len() - 65..];
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(&point[1..33]),
        URL_SAFE_NO_PAD.encode(&point[33..])
    );
    std::fs::write(dir.path().join("canonical.json"), &canonical).expect("write");
    let digest = openssl(
        dir.path(),
        &["dgst", "-sha256", "-binary", "canonical.json"],
    );
    assert_eq!(
        key.public_key().jwk_thumbprint(),
        URL_SAFE_NO_PAD.encode(digest)
    );
}

#[test]
fn pkcs8_and_encrypted_pkcs8_keys_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = appendix_a(dir.path(), "DAS");
    let sec1 = load(&a.private_key).expect("key");
    openssl(
        dir.path(),
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "hague4offices_private.pem",
            "-out",
            "p8.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-v2prf",
            "hmacWithSHA256",
            "-passout",
            "pass:correct horse",
            "-in",
            "hague4offices_private.pem",
            "-out",
            "enc.pem",
        ],
    );
    openssl(
        dir.path(),
        &[
            "pkcs8",
            "-topk8",
            "-scrypt",
            "-passout",
            "pass:correct horse",
            "-in",
            "hague4offices_private.pem",
            "-out",
            "enc-scrypt.pem",
        ],
    );
    for f in ["p8.pem", "enc.pem", "enc-scrypt.pem"] {
        set_mode(&dir.path().join(f), 0o600);
    }
    let p8 = load(&dir.path().join("p8.pem")).expect("pkcs8");
    assert_eq!(p8.format(), KeyFormat::Pkcs8);
    assert_eq!(p8.public_key(), sec1.public_key());

    let with_pass = |p: &str| LoadOptions {
        passphrase: Some(Zeroizing::new(p.to_string())),
        allow_insecure_permissions: false,
    };
    for f in ["enc.pem", "enc-scrypt.pem"] {
        let path = dir.path().join(f);
        let enc = SigningKey::load(&path, &with_pass("correct horse")).expect("encrypted pkcs8");
        assert_eq!(enc.format(), KeyFormat::EncryptedPkcs8);
        assert_eq!(enc.public_key(), sec1.public_key());
        let err = SigningKey::load(&path, &with_pass("wrong")).expect_err("wrong passphrase");
        assert!(matches!(err, KeyError::Decrypt { .. }), "{err}");
        let err = load(&path).expect_err("no passphrase");
        assert!(matches!(err, KeyError::PassphraseRequired { .. }), "{err}");
        assert!(err.hint().expect("hint").contains("IPGATE_KEY_PASSPHRASE"));
    }
}

#[test]
fn other_curves_and_key_types_are_refused_naming_what_was_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "secp384r1",
            "-noout",
            "-out",
            "p384.pem",
        ],
    );
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "secp256k1",
            "-noout",
            "-out",
            "k256.pem",
        ],
    );
    openssl(
        d,
        &["genpkey", "-algorithm", "ed25519", "-out", "ed25519.pem"],
    );
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "rsa.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "p384.pem",
            "-out",
            "p384-p8.pem",
        ],
    );
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-out",
            "rsa-trad.pem",
        ],
    );
    let cases = [
        ("p384.pem", "P-384"),
        ("p384-p8.pem", "P-384"),
        ("k256.pem", "secp256k1"),
        ("ed25519.pem", "Ed25519"),
        ("rsa.pem", "RSA"),
        ("rsa-trad.pem", "RSA"),
    ];
    for (file, found_name) in cases {
        let path = d.join(file);
        set_mode(&path, 0o600);
        match load(&path) {
            Err(KeyError::UnsupportedKey { found, .. }) => {
                assert!(found.contains(found_name), "{file}: {found}")
            }
            other => panic!("{file}: expected UnsupportedKey, got {other:?}"),
        }
    }
    // A certificate given where a key is expected.
    let a = appendix_a(d, "X");
    set_mode(&a.certificate, 0o600);
    assert!(matches!(
        load(&a.certificate),
        Err(KeyError::UnexpectedPemLabel { found, .. }) if found == "CERTIFICATE"
    ));
    // A SEC1 key without its public part.
    openssl(
        d,
        &[
            "ec",
            "-in",
            "hague4offices_private.pem",
            "-no_public",
            "-out",
            "nopub.pem",
        ],
    );
    set_mode(&d.join("nopub.pem"), 0o600);
    assert!(matches!(
        load(&d.join("nopub.pem")),
        Err(KeyError::MissingPublicKey { .. })
    ));
}

#[test]
fn key_files_readable_by_others_are_refused_with_the_chmod_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = appendix_a(dir.path(), "DAS");
    for mode in [0o644, 0o640, 0o604, 0o660] {
        set_mode(&a.private_key, mode);
        let err = load(&a.private_key).expect_err("insecure");
        assert!(
            matches!(err, KeyError::InsecurePermissions { mode: m, .. } if m == mode),
            "{err}"
        );
        let hint = err.hint().expect("hint");
        assert!(
            hint.contains(&format!("chmod 600 {}", a.private_key.display())),
            "{hint}"
        );
    }
    let opts = LoadOptions {
        passphrase: None,
        allow_insecure_permissions: true,
    };
    SigningKey::load(&a.private_key, &opts).expect("explicit opt-out");
    set_mode(&a.private_key, 0o400);
    load(&a.private_key).expect("0400 is fine");
    set_mode(&a.private_key, 0o600);
    load(&a.private_key).expect("0600 is fine");
}

#[test]
fn pem_files_with_several_blocks_or_surrounding_text_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let a = appendix_a(d, "DAS");
    let key = load(&a.private_key).expect("appendix A key");

    // `openssl ecparam -genkey` WITHOUT -noout: an EC PARAMETERS block precedes the key.
    openssl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-out",
            "with-params.pem",
        ],
    );
    set_mode(&d.join("with-params.pem"), 0o600);
    let text = std::fs::read_to_string(d.join("with-params.pem")).expect("read");
    assert!(text.starts_with("-----BEGIN EC PARAMETERS-----"), "{text}");
    let with_params = load(&d.join("with-params.pem")).expect("key after EC PARAMETERS");
    assert_eq!(with_params.format(), KeyFormat::Sec1);

    // Key and certificate in one file, with explanatory text around (RFC 7468 §2), as
    // `openssl pkcs12 -nodes` writes it.
    let key_pem = std::fs::read_to_string(&a.private_key).expect("read");
    let cert_pem = std::fs::read_to_string(&a.certificate).expect("read");
    let bundle = format!(
        "Bag Attributes\n    localKeyID: 01 02\n{cert_pem}Key Attributes: <No Attributes>\n{key_pem}"
    );
    std::fs::write(d.join("bundle.pem"), &bundle).expect("write");
    set_mode(&d.join("bundle.pem"), 0o600);
    assert_eq!(
        load(&d.join("bundle.pem")).expect("bundle").public_key(),
        key.public_key()
    );
    match wipo_oidc::load_pem_file(&d.join("bundle.pem"), &LoadOptions::default())
        .expect("inspect bundle")
    {
        wipo_oidc::PemObject::PrivateKey(k) => assert_eq!(k.public_key(), key.public_key()),
        other => panic!("the private key should win: {other:?}"),
    }
    // The certificate alone after text is still a certificate.
    std::fs::write(
        d.join("cert-bag.pem"),
        format!("subject=CN=DAS\n{cert_pem}"),
    )
    .expect("write");
    assert!(matches!(
        wipo_oidc::load_pem_file(&d.join("cert-bag.pem"), &LoadOptions::default()),
        Ok(wipo_oidc::PemObject::Certificate(_))
    ));

    // Two private keys: ambiguous, refused.
    std::fs::write(d.join("two.pem"), format!("{key_pem}{text}")).expect("write");
    set_mode(&d.join("two.pem"), 0o600);
    let err = load(&d.join("two.pem")).expect_err("two keys");
    assert!(
        matches!(err, KeyError::SeveralKeys { count: 2, .. }),
        "{err}"
    );
    assert!(err.hint().is_some());

    // A certificate where a private key is expected names what was found.
    let err = load(&a.certificate).expect_err("certificate is not a key");
    assert!(
        matches!(&err, KeyError::UnexpectedPemLabel { found, .. } if found == "CERTIFICATE"),
        "{err}"
    );
    assert!(err.hint().expect("hint").contains("private key file"));

    // A block without its END line, and no PEM at all.
    let cut = &key_pem[..key_pem.find("-----END").expect("END")];
    std::fs::write(d.join("cut.pem"), cut).expect("write");
    set_mode(&d.join("cut.pem"), 0o600);
    let err = load(&d.join("cut.pem")).expect_err("cut");
    assert!(
        matches!(&err, KeyError::NotPem { detail, .. } if detail.contains("-----END EC PRIVATE KEY-----")),
        "{err}"
    );
    std::fs::write(d.join("der.key"), [0x30u8, 0x77, 0x02, 0x01, 0x01]).expect("write");
    set_mode(&d.join("der.key"), 0o600);
    let err = load(&d.join("der.key")).expect_err("DER");
    assert!(matches!(err, KeyError::NotPem { .. }), "{err}");
    assert!(err.hint().expect("hint").contains("-inform DER"));
    // A damaged body is reported for the block it is in.
    let damaged = key_pem.replacen('M', "!", 1);
    std::fs::write(d.join("damaged.pem"), damaged).expect("write");
    set_mode(&d.join("damaged.pem"), 0o600);
    let err = load(&d.join("damaged.pem")).expect_err("damaged");
    assert!(
        matches!(&err, KeyError::NotPem { detail, .. } if detail.contains("EC PRIVATE KEY")),
        "{err}"
    );
}

#[test]
fn a_wrong_passphrase_gets_another_hint_than_a_missing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = appendix_a(dir.path(), "DAS");
    openssl(
        dir.path(),
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:right",
            "-in",
            a.private_key.to_str().expect("utf8"),
            "-out",
            "enc.pem",
        ],
    );
    let path = dir.path().join("enc.pem");
    set_mode(&path, 0o600);
    let missing = load(&path).expect_err("no passphrase");
    let wrong = SigningKey::load(
        &path,
        &LoadOptions {
            passphrase: Some(Zeroizing::new("wrong".into())),
            allow_insecure_permissions: false,
        },
    )
    .expect_err("wrong passphrase");
    let (hm, hw) = (missing.hint().expect("hint"), wrong.hint().expect("hint"));
    assert_ne!(hm, hw);
    assert!(hw.contains("check the passphrase"), "{hw}");
    assert!(!format!("{wrong}{hw}").contains("wrong\""), "{wrong}");
}

#[test]
fn keys_in_odd_forms_get_a_hint_whose_openssl_command_fixes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let a = appendix_a(d, "DAS");
    let good = load(&a.private_key).expect("key");
    let key = a.private_key.to_str().expect("utf8");
    for (name, extra) in [
        ("explicit.pem", vec!["-param_enc", "explicit"]),
        ("compressed.pem", vec!["-conv_form", "compressed"]),
        ("nopub.pem", vec!["-no_public"]),
        (
            "explicit-p8.pem",
            vec!["-param_enc", "explicit", "-outform", "PEM"],
        ),
    ] {
        let mut args = vec!["ec", "-in", key, "-out", name];
        args.extend(extra);
        openssl(d, &args);
        if name.ends_with("-p8.pem") {
            // The same explicit-parameter key as PKCS#8.
            openssl(
                d,
                &["pkcs8", "-topk8", "-nocrypt", "-in", name, "-out", "p8.tmp"],
            );
            std::fs::rename(d.join("p8.tmp"), d.join(name)).expect("rename");
        }
        set_mode(&d.join(name), 0o600);
        let err = load(&d.join(name)).expect_err(name);
        let hint = err
            .hint()
            .unwrap_or_else(|| panic!("{name}: no hint for {err}"));
        // Run the command the hint gives, with the file names filled in.
        let cmd = hint
            .split('`')
            .find(|part| part.starts_with("openssl ec ") && part.contains("-out NEW.pem"))
            .unwrap_or_else(|| panic!("{name}: no openssl command in {hint}"));
        let fixed = format!("fixed-{name}");
        let cmd = cmd.replace("KEY.pem", name).replace("NEW.pem", &fixed);
        let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        openssl(d, &args);
        set_mode(&d.join(&fixed), 0o600);
        let again = load(&d.join(&fixed)).unwrap_or_else(|e| panic!("{name} after the fix: {e}"));
        assert_eq!(again.public_key(), good.public_key(), "{name}");
    }
}
