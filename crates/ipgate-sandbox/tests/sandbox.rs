//! Black-box tests of the sandbox over real HTTP on 127.0.0.1: every route, every error status,
//! persistence across a restart, TLS; every HWS document it sends is checked against
//! `xsd/ipgate-hws-v1.xsd`.

mod support;

use std::process::Command;

use hws_client::wire::{
    ErrorDocument, HelloMessage, ImportState, ImportStatus, ServiceRequestStatus,
    ServiceRequestStatusCategory,
};
use reqwest::Method;
use support::{Env, SCOPE, T0, assert_schema_valid, grant_form, refusal, sign_assertion};

/// Reads an HWS document body, checks its schema validity and returns it.
async fn xml_body(r: reqwest::Response) -> String {
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("application/xml"), "content type {ct}");
    let body = r.text().await.expect("body");
    assert_schema_valid(&body);
    body
}

/// An import status answer (`POST /request`, `GET /request/import/{id}`), schema-checked.
async fn import_status(r: reqwest::Response) -> ImportStatus {
    ImportStatus::from_xml(xml_body(r).await.as_bytes()).expect("import status")
}

/// A service request status answer (`GET /request/{srn}`), schema-checked.
async fn request_status(r: reqwest::Response) -> ServiceRequestStatus {
    ServiceRequestStatus::from_xml(xml_body(r).await.as_bytes()).expect("service request status")
}

/// The JSON document at `url` (no authentication).
async fn get_json(env: &Env, url: &str) -> serde_json::Value {
    let r = env.http.get(url).send().await.expect("answer");
    r.json().await.expect("json")
}

/// The import `id`'s status now (`GET /request/import/{id}`), schema-checked.
async fn import_of(env: &Env, token: &str, id: &impl std::fmt::Display) -> ImportStatus {
    import_status(env.get(&format!("/request/import/{id}"), token).await).await
}

/// A 401 for a bearer token refused with `error` (`invalid_token`: unknown or expired;
/// `insufficient_scope`): the error in the challenge, and an error document.
async fn bearer_refused(r: reqwest::Response, error: &str) {
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .expect("s")
        .to_owned();
    assert!(challenge.contains(error), "{challenge}");
    error_doc(r, 401).await;
}

async fn error_doc(r: reqwest::Response, status: u16) -> ErrorDocument {
    assert_eq!(r.status().as_u16(), status);
    let body = xml_body(r).await;
    ErrorDocument::from_xml(body.as_bytes()).expect("error document")
}

#[tokio::test]
async fn discovery_and_jwks() {
    let env = Env::start();
    let u = env.sb().urls().clone();
    assert!(u.issuer.ends_with("/am/oauth2"));
    assert!(u.hws.ends_with("/webservices/api/v1"));
    let v = get_json(
        &env,
        &format!("{}/.well-known/openid-configuration", u.issuer),
    )
    .await;
    assert_eq!(v["token_endpoint"], u.token_endpoint.as_str());
    assert_eq!(
        v["token_endpoint_auth_methods_supported"],
        serde_json::json!(["private_key_jwt"])
    );
    assert_eq!(
        v["token_endpoint_auth_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    let jwks = get_json(&env, v["jwks_uri"].as_str().expect("uri")).await;
    assert_eq!(jwks["keys"], serde_json::json!([]));
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc6749() {
    let env = Env::start();
    let err = |r: reqwest::Response| async move {
        let s = r.status().as_u16();
        let v: serde_json::Value = r.json().await.expect("json");
        (s, v["error"].as_str().expect("error").to_owned())
    };
    // not a form
    let r = env
        .http
        .post(&env.sb().urls().token_endpoint)
        .body("{}")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("a");
    assert_eq!(err(r).await, (400, "invalid_request".into()));
    // no grant type
    assert_eq!(
        err(env.token_response(&[("scope", SCOPE)]).await).await,
        (400, "invalid_request".into())
    );
    // other grant type
    assert_eq!(
        err(env.token_response(&[("grant_type", "password")]).await).await,
        (400, "unsupported_grant_type".into())
    );
    // no client authentication
    let r = env
        .token_response(&[("grant_type", "client_credentials")])
        .await;
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .map(|v| v.as_bytes().starts_with(b"Bearer")),
        Some(true)
    );
    assert_eq!(err(r).await, (401, "invalid_client".into()));
    // wrong assertion type
    let a = env.assertion("office-1");
    assert_eq!(
        err(env
            .token_response(&[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "x"),
                ("client_assertion", &a)
            ])
            .await)
        .await,
        (400, "invalid_request".into())
    );
    // repeated parameter
    assert_eq!(
        err(env
            .token_response(&[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials")
            ])
            .await)
        .await,
        (400, "invalid_request".into())
    );
    let envr = &env;
    let ok = |a: String| async move { envr.token_response(&grant_form(&a, Some(SCOPE))).await };
    // unknown client
    assert_eq!(
        err(ok(env.assertion("nobody")).await).await,
        (401, "invalid_client".into())
    );
    // replay
    let a = env.assertion("office-1");
    assert_eq!(ok(a.clone()).await.status(), 200);
    assert_eq!(err(ok(a).await).await, (400, "invalid_grant".into()));
    // expired: signed an hour ago
    let old = ipgate_base::clock::ManualClock::at_unix(T0 - 3600);
    let a = sign_assertion(
        env.key.clone(),
        "office-1",
        &env.sb().urls().token_endpoint,
        old,
    );
    assert_eq!(err(ok(a).await).await, (400, "invalid_grant".into()));
    // wrong audience
    let a = sign_assertion(
        env.key.clone(),
        "office-1",
        &env.sb().urls().issuer,
        env.clock.clone(),
    );
    assert_eq!(err(ok(a).await).await, (401, "invalid_client".into()));
    // another key
    let other = std::sync::Arc::new(wipo_oidc::SigningKey::generate().expect("k"));
    let a = sign_assertion(
        other,
        "office-1",
        &env.sb().urls().token_endpoint,
        env.clock.clone(),
    );
    assert_eq!(err(ok(a).await).await, (401, "invalid_client".into()));
    // scope not registered
    let a = env.assertion("office-1");
    let r = env
        .token_response(&grant_form(&a, Some("das-api/das-access")))
        .await;
    assert_eq!(err(r).await, (400, "invalid_scope".into()));
    // caller outside the registered addresses
    let mut reg = ipgate_sandbox::ClientRegistration::new("far-away", env.cert_pem.clone());
    reg.allowed_ips = vec!["192.0.2.7".parse().expect("ip")];
    env.sb().register_client(&reg).expect("register");
    let r = ok(env.assertion("far-away")).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("s")
            .starts_with("text/html")
    );
    assert!(r.text().await.expect("body").contains("allow-list"));
}

#[tokio::test]
async fn token_answer_and_bearer_checks() {
    let env = Env::start_with(|c| c.with_token_lifetime(std::time::Duration::from_secs(120)));
    let a = env.assertion("office-1");
    let r = env.token_response(&grant_form(&a, None)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers().get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..])
    );
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 120);
    assert_eq!(v["scope"], SCOPE);
    let token = v["access_token"].as_str().expect("t").to_owned();

    // missing, malformed, unknown
    let r = env.http.get(env.hws("/pingMe")).send().await.expect("a");
    assert_eq!(
        r.headers().get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Bearer realm=\"hws\""[..])
    );
    error_doc(r, 401).await;
    let r = env
        .http
        .get(env.hws("/pingMe"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .expect("a");
    error_doc(r, 401).await;
    let r = env.get("/pingMe", "not-a-token").await;
    bearer_refused(r, "invalid_token").await;
    // valid
    let r = env.get("/pingMe?name=Office%20A", &token).await;
    assert_eq!(r.status(), 200);
    let hello = HelloMessage::from_xml(xml_body(r).await.as_bytes()).expect("hello");
    assert_eq!(hello.name.as_deref(), Some("Office A"));
    assert_eq!(hello.message, "Hello Office A");
    let r = env.get("/pingMe", &token).await;
    assert_eq!(
        HelloMessage::from_xml(xml_body(r).await.as_bytes())
            .expect("hello")
            .name,
        None
    );
    // expired
    env.advance(121);
    let r = env.get("/pingMe", &token).await;
    bearer_refused(r, "invalid_token").await;
    // issued for another scope
    let mut reg = ipgate_sandbox::ClientRegistration::new("das-only", env.cert_pem.clone());
    reg.scopes = vec!["das-api/das-access".into()];
    env.sb().register_client(&reg).expect("register");
    let a = env.assertion("das-only");
    let r = env.token_response(&grant_form(&a, None)).await;
    let t: serde_json::Value = r.json().await.expect("json");
    let r = env
        .get("/pingMe", t["access_token"].as_str().expect("t"))
        .await;
    bearer_refused(r, "insufficient_scope").await;
}

/// An assertion made without our signer: Appendix A's openssl commands make the key and the
/// certificate, PyJWT signs the assertion.
#[tokio::test]
async fn pyjwt_assertion_made_without_our_signer_is_accepted() {
    let env =
        Env::start_with(|c| c.with_clock(std::sync::Arc::new(ipgate_base::clock::SystemClock)));
    let d = env.dir.path();
    let key = d.join("hague4offices_private.pem");
    let cert = d.join("es256_cert.pem");
    let conf = d.join("openssl.cnf");
    std::fs::write(&conf, "[ req ]\nprompt = no\ndistinguished_name = dn\n[ dn ]\nCN = DAS private_key_jwt authentication\n").expect("conf");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "ecparam",
        "-genkey",
        "-name",
        "prime256v1",
        "-noout",
        "-out",
        key.to_str().expect("p"),
    ]);
    run(&[
        "req",
        "-x509",
        "-new",
        "-config",
        conf.to_str().expect("p"),
        "-key",
        key.to_str().expect("p"),
        "-out",
        cert.to_str().expect("p"),
    ]);
    env.sb()
        .register_client(&ipgate_sandbox::ClientRegistration::new(
            "pyjwt-client",
            std::fs::read_to_string(&cert).expect("cert"),
        ))
        .expect("register");
    // PyJWT (and cryptography) are installed here if missing: the test never skips.
    let has = Command::new("python3")
        .args(["-c", "import jwt, cryptography"])
        .status()
        .expect("python3 runs");
    if !has.success() {
        let st = Command::new("python3")
            .args(["-m", "pip", "install", "--quiet", "pyjwt", "cryptography"])
            .status()
            .expect("pip runs");
        assert!(st.success(), "pip install pyjwt cryptography failed");
    }
    let script = "import jwt, sys, time, uuid\nnow = int(time.time())\nprint(jwt.encode({'iss': sys.argv[2], 'sub': sys.argv[2], 'aud': sys.argv[3], 'exp': now + 60, 'iat': now, 'jti': str(uuid.uuid4())}, open(sys.argv[1]).read(), algorithm='ES256'))";
    let out = Command::new("python3")
        .args([
            "-c",
            script,
            key.to_str().expect("p"),
            "pyjwt-client",
            &env.sb().urls().token_endpoint,
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let assertion = String::from_utf8(out.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    let r = env
        .token_response(&grant_form(&assertion, Some(SCOPE)))
        .await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    let r = env
        .get("/pingMe?name=pyjwt", v["access_token"].as_str().expect("t"))
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_package_goes_from_pending_to_registered() {
    let env = Env::start();
    let token = env.token().await;
    let r = env.submit(&token, refusal(|x| x)).await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().expect("s").to_owned();
    let st = import_status(r).await;
    assert_eq!(st.state, ImportState::Pending);
    assert!(location.ends_with(&format!("/request/import/{}", st.import_id)));
    let path = format!("/request/import/{}", st.import_id);
    let again = import_status(env.get(&path, &token).await).await;
    assert_eq!(again.state, ImportState::Pending);
    env.advance(3); // import takes 2 s ± 25 %
    let st = import_status(env.get(&path, &token).await).await;
    let ImportState::Imported { srn } = st.state else {
        panic!("not imported: {st:?}")
    };
    let sr_path = format!("/request/{srn}");
    let sr = request_status(env.get(&sr_path, &token).await).await;
    assert_eq!(sr.status, ServiceRequestStatusCategory::Processing);
    assert_eq!(sr.irn, None);
    env.advance(8); // registration takes 6 s ± 25 %
    let sr = request_status(env.get(&sr_path, &token).await).await;
    assert_eq!(sr.status, ServiceRequestStatusCategory::Registered);
    assert_eq!(sr.irn.as_deref(), Some("DM/200001"));
    assert_eq!(
        sr.expected_publication_date
            .map(|d| d.to_string())
            .as_deref(),
        Some("2026-12-04")
    );
    assert_eq!(sr.srn, srn);
    // forced by the admin API
    let (s, _) = env
        .admin(
            Method::POST,
            &format!("/requests/{srn}/status"),
            Some(r#"{"status":"Pending Regularization"}"#.into()),
        )
        .await;
    assert_eq!(s, 200);
    let sr = request_status(env.get(&sr_path, &token).await).await;
    assert_eq!(
        sr.status,
        ServiceRequestStatusCategory::PendingRegularization
    );
    let (s, _) = env
        .admin(
            Method::POST,
            "/requests/SR404/status",
            Some(r#"{"status":"Abandoned"}"#.into()),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn an_invalid_package_is_rejected_rule_by_rule() {
    let env = Env::start();
    let token = env.token().await;
    // two XML files and a missing document
    let zip = support::zip_of(&[
        (
            "a.xml".into(),
            support::sample("refusal_total.xml").into_bytes(),
        ),
        ("b.xml".into(), b"<x/>".to_vec()),
    ]);
    let r = env.submit(&token, zip).await;
    assert_eq!(r.status(), 202);
    let st = import_status(r).await;
    env.advance(3);
    let st = import_of(&env, &token, &st.import_id).await;
    let ImportState::Rejected { reasons } = st.state else {
        panic!("not rejected: {st:?}")
    };
    assert!(!reasons.is_empty());
    assert!(
        reasons
            .iter()
            .all(|r| !r.rule.is_empty() && !r.message.is_empty()),
        "{reasons:?}"
    );
    // not a ZIP at all: accepted, then rejected
    let r = env.submit(&token, b"not a zip".to_vec()).await;
    let st = import_status(r).await;
    env.advance(3);
    let st = import_of(&env, &token, &st.import_id).await;
    assert!(matches!(st.state, ImportState::Rejected { .. }));
}

#[tokio::test]
async fn upload_errors_and_unknown_ids() {
    let env = Env::start_with(|mut c| {
        c.max_upload_bytes = 64 * 1024;
        c
    });
    let token = env.token().await;
    let r = env
        .hws_request(Method::POST, "/request", &token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("a");
    assert_eq!(error_doc(r, 415).await.code, "UnsupportedMediaType");
    let r = env.submit(&token, Vec::new()).await;
    assert_eq!(error_doc(r, 400).await.code, "InvalidUpload");
    let r = env.submit(&token, vec![0u8; 65 * 1024]).await;
    assert_eq!(error_doc(r, 413).await.code, "PayloadTooLarge");
    let d = error_doc(
        env.get("/request/import/IMP-999999-0000", &token).await,
        404,
    )
    .await;
    assert_eq!(d.code, "NotFound");
    assert!(d.message.contains("IMP-999999-0000"));
    assert_eq!(
        error_doc(env.get("/request/import/bad.id", &token).await, 400)
            .await
            .code,
        "BadRequest"
    );
    assert_eq!(
        error_doc(env.get("/request/SR99999999", &token).await, 404)
            .await
            .code,
        "NotFound"
    );
    assert_eq!(
        error_doc(env.get("/nothing/here", &token).await, 404)
            .await
            .code,
        "NotFound"
    );
    let r = env
        .hws_request(Method::DELETE, "/request", &token)
        .send()
        .await
        .expect("a");
    error_doc(r, 405).await;
    // multipart with one file is accepted; with two it is refused
    let pkg = refusal(|x| x);
    let boundary = "ipgateBoundary";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"p.zip\"\r\nContent-Type: application/zip\r\n\r\n").into_bytes();
    body.extend_from_slice(&pkg);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = env
        .hws_request(Method::POST, "/request", &token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 202);
    xml_body(r).await;
}

#[tokio::test]
async fn duplicates_are_recorded_and_listed() {
    let env = Env::start();
    let token = env.token().await;
    let pkg = refusal(|x| x);
    let a = import_status(env.submit(&token, pkg.clone()).await).await;
    let b = import_status(env.submit(&token, pkg).await).await;
    assert_ne!(a.import_id, b.import_id);
    let (s, v) = env.admin(Method::GET, "/received", None).await;
    assert_eq!(s, 200);
    let list = v["received"].as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["duplicate_of"], serde_json::Value::Null);
    assert_eq!(list[1]["duplicate_of"], a.import_id.as_str());
    assert_eq!(list[0]["sha256"], list[1]["sha256"]);
    assert_eq!(list[0]["client_id"], "office-1");
}

fn zip_names(bytes: &[u8]) -> Vec<String> {
    let z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    z.file_names()
        .map(|n| n.expect("entry name").into_owned())
        .collect()
}

#[tokio::test]
async fn publications_calendar_ranges_and_etags() {
    let env = Env::start();
    let token = env.token().await;
    // malformed ids
    for bad in ["202699", "2025-01", "..%2Fx", "000000", "202654", "202553"] {
        let d = error_doc(
            env.get(&format!("/publication/bulletin/{bad}"), &token)
                .await,
            400,
        )
        .await;
        assert_eq!(d.code, "BadRequest", "{bad}");
    }
    // future, current-not-yet-out, before the corpus
    for week in ["202650", "202649", "202352"] {
        error_doc(
            env.get(&format!("/publication/bulletin/{week}"), &token)
                .await,
            404,
        )
        .await;
    }
    // a past week: a ZIP, byte-identical twice, with an ETag; ranges resume
    let r = env.get("/publication/bulletin/202648", &token).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/zip");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    let etag = r.headers()["etag"].to_str().expect("s").to_owned();
    let full = r.bytes().await.expect("body");
    assert!(zip_names(&full).iter().any(|n| n.ends_with(".xml")));
    let r = env.get("/publication/bulletin/202648", &token).await;
    assert_eq!(r.headers()["etag"].to_str().expect("s"), etag);
    assert_eq!(r.bytes().await.expect("b"), full);
    let r = env
        .hws_request(Method::GET, "/publication/bulletin/202648", &token)
        .header("range", "bytes=100-")
        .header("if-range", &etag)
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.headers()["content-range"].to_str().expect("s"),
        format!("bytes 100-{}/{}", full.len() - 1, full.len())
    );
    assert_eq!(&r.bytes().await.expect("b")[..], &full[100..]);
    // If-Range with another tag: the whole body
    let r = env
        .hws_request(Method::GET, "/publication/bulletin/202648", &token)
        .header("range", "bytes=100-")
        .header("if-range", "\"other\"")
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 200);
    // unsatisfiable
    let r = env
        .hws_request(Method::GET, "/publication/bulletin/202648", &token)
        .header("range", format!("bytes={}-", full.len()))
        .send()
        .await
        .expect("a");
    assert_eq!(
        r.headers()["content-range"].to_str().expect("s"),
        format!("bytes */{}", full.len())
    );
    error_doc(r, 416).await;
    // If-None-Match
    let r = env
        .hws_request(Method::GET, "/publication/bulletin/202648", &token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 304);
    // confidential copies: examining offices only
    let d = error_doc(
        env.get("/publication/copy/confidential/202648", &token)
            .await,
        403,
    )
    .await;
    assert_eq!(d.code, "Forbidden");
    let exam = env.token_for("exam-1").await;
    let r = env
        .get("/publication/copy/confidential/202648", &exam)
        .await;
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["etag"].to_str().expect("s"), etag);
    assert!(
        zip_names(&r.bytes().await.expect("b"))
            .iter()
            .any(|n| n.ends_with(".xml"))
    );
    error_doc(
        env.get("/publication/copy/confidential/2026-1", &exam)
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn a_registration_appears_in_its_weeks_bulletin() {
    let env = Env::start();
    let token = env.token().await;
    let r = env.submit(&token, refusal(|x| x)).await;
    xml_body(r).await;
    env.advance(12);
    // Friday has not come: publish now through the admin API
    error_doc(env.get("/publication/bulletin/202649", &token).await, 404).await;
    let (s, _) = env.admin(Method::POST, "/publish/202649", None).await;
    assert_eq!(s, 200);
    let (s, _) = env.admin(Method::POST, "/publish/202650", None).await;
    assert_eq!(s, 400);
    let r = env.get("/publication/bulletin/202649", &token).await;
    assert_eq!(r.status(), 200);
    let names = zip_names(&r.bytes().await.expect("b"));
    assert!(
        names.iter().any(|n| n.starts_with("DM200001/")),
        "{names:?}"
    );
    // an examining office designated by the registration (JP) gets it in its confidential copy
    let exam = env.token_for("exam-1").await;
    let names = zip_names(
        &env.get("/publication/copy/confidential/202649", &exam)
            .await
            .bytes()
            .await
            .expect("b"),
    );
    assert!(
        names.iter().any(|n| n.starts_with("DM200001/")),
        "{names:?}"
    );
}

/// Innography routes the sandbox answers: the Private PAIR account and a Cases lookup.
const ACCOUNT: &str = "/private-pair/account";
const CASES: &str = "/cases/documents?ipId=US-1234567-B2";

#[tokio::test]
async fn innography_hmac_versions_and_cases_rate_limit() {
    let env = Env::start();
    let secret = env
        .sb()
        .register_innography_consumer("obiwan", None)
        .expect("register");
    assert_eq!(secret.expose().len(), 32);
    let creds =
        innography_hmac::Credentials::new("obiwan", innography_hmac::Secret::new(secret.expose()))
            .expect("creds");
    let signer = innography_hmac::Signer::new(&creds, innography_hmac::Algorithm::HmacSha1);
    let base = env.sb().urls().innography.clone();
    // A request to `path` carrying the signature headers `s`.
    let signed = |method: Method, path: &str, s: &innography_hmac::SignedHeaders| {
        env.http
            .request(method, format!("{base}{path}"))
            .header("date", &s.date)
            .header("content-md5", &s.content_md5)
            .header("authorization", &s.authorization)
    };
    let send = async |method: Method, path: &str, accept: Option<&str>, body: &[u8]| {
        let s = signer.sign(env.now(), body);
        let mut req = signed(method, path, &s)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        req.send().await.expect("answer")
    };
    // account, pinned version
    let r = send(
        Method::POST,
        ACCOUNT,
        Some("application/vnd.innography+json; version=0.5"),
        b"",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.innography+json; version=0.5; patch=17"
    );
    let a1: serde_json::Value = r.json().await.expect("json");
    assert_eq!(a1["result"]["username"], "obiwan");
    let a2: serde_json::Value = send(Method::POST, ACCOUNT, None, b"")
        .await
        .json()
        .await
        .expect("j");
    assert_eq!(a1, a2);
    // order and q-values
    let r = send(
        Method::GET,
        ACCOUNT,
        Some("application/vnd.innography+json; version=0.3; q=0.8, application/vnd.innography+json; version=0.9, application/vnd.innography+json; version=0.5; q=0.9, application/vnd.innography+json; version=0.6"),
        b"",
    )
    .await;
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.innography+json; version=0.6; patch=17"
    );
    // 300 Multiple Choices
    let r = send(
        Method::GET,
        ACCOUNT,
        Some("application/vnd.innography+json; version=9.9"),
        b"",
    )
    .await;
    assert_eq!(r.status(), 300);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["message"], "Multiple Choices");
    assert_eq!(
        v["result"][0],
        "Content-Type: application/vnd.innography+json;version=0.5"
    );
    // bad signature, stale date, body not matching Content-MD5
    let mut s = signer.sign(env.now(), b"");
    s.authorization = s.authorization.replace("signature=\"", "signature=\"AA");
    let r = signed(Method::GET, ACCOUNT, &s).send().await.expect("a");
    assert_eq!(r.status(), 401);
    let old = signer.sign(env.now() - std::time::Duration::from_secs(301), b"");
    let r = signed(Method::GET, ACCOUNT, &old).send().await.expect("a");
    assert_eq!(r.status(), 401);
    let s = signer.sign(env.now(), b"{}");
    let r = signed(Method::POST, ACCOUNT, &s)
        .body("{\"x\":1}")
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 401);
    // Cases: deterministic, 1 request/second per consumer
    let r = send(
        Method::GET,
        CASES,
        Some("application/vnd.innography+json; version=0.7"),
        b"",
    )
    .await;
    assert_eq!(r.status(), 200);
    let c1: serde_json::Value = r.json().await.expect("json");
    assert_eq!(c1["result"]["ip_id"], "US-1234567-B2");
    let r = send(Method::GET, CASES, None, b"").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    env.advance(1);
    let c2: serde_json::Value = send(Method::GET, CASES, None, b"")
        .await
        .json()
        .await
        .expect("j");
    assert_eq!(c1, c2);
    env.advance(1);
    let r = send(Method::GET, "/cases/documents", None, b"").await;
    assert_eq!(r.status(), 400);
    env.advance(1);
    assert_eq!(
        send(Method::GET, "/veritas/cases", None, b"")
            .await
            .status(),
        404
    );
    assert_eq!(send(Method::GET, "/nope/x", None, b"").await.status(), 404);
}

#[tokio::test]
async fn admin_api_health_reset_clients_faults() {
    let env = Env::start();
    let v = get_json(&env, &env.base("/_sandbox/health")).await;
    assert_eq!(v["status"], "ok");
    assert_eq!(v["seed"], 42);
    let token = env.token().await;
    xml_body(env.submit(&token, refusal(|x| x)).await).await;
    let (_, v) = env.admin(Method::GET, "/clients", None).await;
    assert_eq!(v["clients"].as_array().expect("a").len(), 2);
    assert!(v.to_string().find("BEGIN CERTIFICATE").is_none());
    let (s, v) = env
        .admin(Method::PUT, "/faults", Some("ping=500@0.5".into()))
        .await;
    assert_eq!((s, v["faults"].as_str()), (200, Some("ping=500@0.5")));
    let (s, _) = env
        .admin(Method::PUT, "/faults", Some("ping=404".into()))
        .await;
    assert_eq!(s, 400);
    let (_, v) = env.admin(Method::GET, "/faults", None).await;
    assert_eq!(v["faults"], "ping=500@0.5");
    env.admin(Method::PUT, "/faults", Some("none".into())).await;
    // the request log: what was asked, never the token
    let r = env
        .hws_request(Method::GET, "/pingMe?name=log", &token)
        .header("accept", "application/xml")
        .send()
        .await
        .expect("a");
    assert_eq!(r.status(), 200);
    let (_, v) = env.admin(Method::GET, "/requests?route=ping", None).await;
    let last = v["requests"]
        .as_array()
        .expect("a")
        .last()
        .expect("one")
        .clone();
    assert_eq!(last["target"], "/webservices/api/v1/pingMe?name=log");
    assert_eq!(last["status"], 200);
    assert_eq!(last["auth_scheme"], "Bearer");
    assert_eq!(last["headers"]["accept"], "application/xml");
    assert!(!v.to_string().contains(&token));
    let all = env.sb().requests();
    assert!(
        all.iter()
            .any(|r| r.route == "submit" && r.status == Some(202))
    );
    assert!(all.iter().any(|r| r.route == "token" && r.method == "POST"));
    // reset: received packages and tokens go, registrations stay
    let (s, _) = env.admin(Method::POST, "/reset", None).await;
    assert_eq!(s, 200);
    let (_, v) = env.admin(Method::GET, "/received", None).await;
    assert_eq!(v["received"].as_array().expect("a").len(), 0);
    error_doc(env.get("/pingMe", &token).await, 401).await;
    let token = env.token().await;
    assert_eq!(env.get("/pingMe", &token).await.status(), 200);
    env.admin(Method::POST, "/reset?registrations=true", None)
        .await;
    let (_, v) = env.admin(Method::GET, "/clients", None).await;
    assert_eq!(v["clients"].as_array().expect("a").len(), 0);
    let (s, _) = env.admin(Method::POST, "/publish/2026-49", None).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn state_survives_a_restart() {
    let mut env = Env::start();
    let token = env.token().await;
    let st = import_status(env.submit(&token, refusal(|x| x)).await).await;
    env.sb()
        .register_innography_consumer("yoda", Some("0123456789abcdef0123"))
        .expect("consumer");
    env.restart(|c| c);
    // the token, the import and the registrations are still there
    assert_eq!(env.get("/pingMe", &token).await.status(), 200);
    env.advance(3);
    let again = import_of(&env, &token, &st.import_id).await;
    assert!(matches!(again.state, ImportState::Imported { .. }));
    let (_, v) = env.admin(Method::GET, "/clients", None).await;
    assert_eq!(v["innography_consumers"], serde_json::json!(["yoda"]));
    // counters continue
    let next = import_status(env.submit(&token, refusal(|x| x)).await).await;
    assert!(
        next.import_id.as_str().starts_with("IMP-000002-"),
        "{}",
        next.import_id
    );
    // the state directory and database are owner-only
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let db = env.sb().state_dir().join(ipgate_sandbox::store::DB_FILE);
        assert_eq!(
            std::fs::metadata(db).expect("db").permissions().mode() & 0o077,
            0
        );
    }
}

#[tokio::test]
async fn registration_errors() {
    let env = Env::start();
    let bad = ipgate_sandbox::ClientRegistration::new(
        "c",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    assert!(matches!(
        env.sb().register_client(&bad),
        Err(ipgate_sandbox::RegisterError::Certificate(_))
    ));
    let mut r = ipgate_sandbox::ClientRegistration::new("a b", env.cert_pem.clone());
    assert!(matches!(
        env.sb().register_client(&r),
        Err(ipgate_sandbox::RegisterError::ClientId(_))
    ));
    r.client_id = "ok".into();
    r.scopes = vec!["two words".into()];
    assert!(matches!(
        env.sb().register_client(&r),
        Err(ipgate_sandbox::RegisterError::Scope(_))
    ));
    r.scopes = vec![SCOPE.into()];
    r.office_code = "usa".into();
    assert!(matches!(
        env.sb().register_client(&r),
        Err(ipgate_sandbox::RegisterError::OfficeCode(_))
    ));
    assert!(matches!(
        env.sb().register_innography_consumer("u", Some("short")),
        Err(ipgate_sandbox::RegisterError::Secret)
    ));
    assert!(matches!(
        env.sb().register_innography_consumer("a\"b", None),
        Err(ipgate_sandbox::RegisterError::Username(_))
    ));
    assert!(
        format!(
            "{:?}",
            env.sb()
                .register_innography_consumer("u", None)
                .expect("ok")
        )
        .contains("..")
    );
}

#[tokio::test]
async fn tls_with_the_generated_ca() {
    let env = Env::start_with(|c| c.with_tls(true));
    let ca = env.sb().ca_file().expect("CA file").to_owned();
    assert!(env.sb().urls().base.starts_with("https://127.0.0.1:"));
    let pem = std::fs::read(&ca).expect("ca");
    let client = reqwest::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .build()
        .expect("client");
    let r = client
        .get(env.base("/_sandbox/health"))
        .send()
        .await
        .expect("https works with the CA");
    assert_eq!(r.status(), 200);
    // without the CA: refused
    assert!(
        support::http()
            .get(env.base("/_sandbox/health"))
            .send()
            .await
            .is_err()
    );
}
