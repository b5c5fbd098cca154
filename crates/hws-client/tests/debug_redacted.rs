//! `Debug` of every secret-holding type of the HWS side is redacted (issue 14): the signing key,
//! the key-loading options, the assertion signer, a token, the token source holding one and the
//! HWS client holding that, after a real token was obtained from the sandbox.

use std::sync::Arc;
use std::time::SystemTime;

use hws_client::{HwsClient, HwsConfig};
use ipgate_sandbox::{ClientRegistration, DEFAULT_HWS_SCOPE, Sandbox, SandboxConfig};
use wipo_oidc::{
    AssertionSigner, Endpoint, LoadOptions, SigningKey, TokenSource, TokenSourceConfig,
};
use zeroize::Zeroizing;

/// Everything of `pem` that identifies the private key: the base64 body lines.
fn pem_body_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        .map(str::to_owned)
        .collect()
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "{what} Debug shows a secret: {text}"
        );
    }
    assert!(!text.contains("eyJ"), "{what} Debug shows a JWT: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_of_every_secret_holding_type_is_redacted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sandbox = Sandbox::start(SandboxConfig::new(dir.path().join("sandbox"))).expect("sandbox");
    let key = Arc::new(SigningKey::generate().expect("key"));
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let cert = wipo_oidc::cert::self_signed_certificate(&key, "debug", now - 60, 30).expect("cert");
    sandbox
        .register_client(&ClientRegistration::new("office-1", cert.pem))
        .expect("register");
    let pem = key.to_sec1_pem().expect("pem");
    let pkcs8 = key.to_pkcs8_der().expect("der");
    let mut secrets = pem_body_lines(&pem);
    // The PKCS#8 DER's tail holds the scalar and public point; any 16-byte window in hex would do
    // to recognise it, the whole in hex is checked.
    secrets.push(pkcs8.iter().map(|b| format!("{b:02x}")).collect());

    assert_clean("SigningKey", &format!("{key:?}"), &secrets);
    let opts = LoadOptions {
        passphrase: Some(Zeroizing::new("correct horse battery staple".into())),
        allow_insecure_permissions: false,
    };
    let text = format!("{opts:?}");
    assert!(
        !text.contains("horse"),
        "LoadOptions Debug shows the passphrase: {text}"
    );

    let signer =
        AssertionSigner::new(key.clone(), "office-1", "http://127.0.0.1/token").expect("signer");
    let assertion = signer.sign().expect("assertion");
    let mut with_assertion = secrets.clone();
    with_assertion.push(assertion.clone());
    assert_clean("AssertionSigner", &format!("{signer:?}"), &with_assertion);

    let http = ipgate_http::ClientOptions::new("debug")
        .build()
        .expect("http");
    let tokens = TokenSource::new(
        http,
        TokenSourceConfig::new(
            Endpoint::Discover {
                issuer: sandbox.urls().issuer.clone(),
            },
            "office-1",
        )
        .with_scope(DEFAULT_HWS_SCOPE),
        key.clone(),
    )
    .expect("token source");
    let client =
        HwsClient::new(HwsConfig::new(sandbox.urls().hws.clone()), tokens.clone()).expect("client");
    client.ping(None).await.expect("ping (a token is now held)");
    let token = tokens.token().await.expect("token");
    let mut all = with_assertion;
    all.push(token.secret().to_owned());
    assert_clean("AccessToken", &format!("{token:?}"), &all);
    assert_clean("TokenSource", &format!("{tokens:?}"), &all);
    assert_clean("HwsClient", &format!("{client:?}"), &all);
}
