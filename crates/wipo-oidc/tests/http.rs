//! Discovery, token requests and the token source over real HTTP on 127.0.0.1, against a provider
//! that checks assertions with `wipo_oidc::Verifier`.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use common::provider::Provider;
use wipo_oidc::cert::{self_signed_certificate, wipo_common_name};
use wipo_oidc::{
    AccessToken, Audience, ClientError, ClientRegistry, Clock, Endpoint, ErrorKind, ManualClock,
    SigningKey, SystemClock, TokenSource, TokenSourceConfig, discover, discovery_url,
    request_token,
};

const CLIENT: &str = "hague-office-1";
const SCOPE: &str = "hague-api/office-exchange";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

struct Setup {
    provider: Provider,
    key: Arc<SigningKey>,
    clock: Arc<ManualClock>,
}

async fn setup() -> Setup {
    let key = SigningKey::generate().expect("key");
    let clock = Arc::new(ManualClock::at_unix(SystemClock.now_unix()));
    let cert = self_signed_certificate(&key, &wipo_common_name("Office"), clock.now_unix(), 30)
        .expect("cert");
    let mut registry = ClientRegistry::new();
    registry
        .register_certificate_pem(CLIENT, &cert.pem, None)
        .expect("register");
    let provider = Provider::start(registry, &[SCOPE], clock.clone()).await;
    Setup {
        provider,
        key: Arc::new(key),
        clock,
    }
}

fn source(s: &Setup, endpoint: Endpoint) -> TokenSource {
    let mut config = TokenSourceConfig::new(endpoint, CLIENT).with_scope(SCOPE);
    config.refresh_jitter_secs = 0;
    TokenSource::with_clock(http(), config, s.key.clone(), s.clock.clone()).expect("source")
}

fn discovering(s: &Setup) -> TokenSource {
    source(
        s,
        Endpoint::Discover {
            issuer: s.provider.issuer().to_string(),
        },
    )
}

#[test]
fn discovery_url_appends_instead_of_joining() {
    assert_eq!(
        discovery_url("https://logindev.wipo.int/am/oauth2"),
        "https://logindev.wipo.int/am/oauth2/.well-known/openid-configuration"
    );
    assert_eq!(
        discovery_url("https://logindev.wipo.int/am/oauth2/"),
        "https://logindev.wipo.int/am/oauth2/.well-known/openid-configuration"
    );
    assert_eq!(
        discovery_url("https://www5.wipo.int"),
        "https://www5.wipo.int/.well-known/openid-configuration"
    );
}

#[tokio::test]
async fn discovery_checks_the_issuer_byte_for_byte() {
    let s = setup().await;
    let meta = discover(&http(), s.provider.issuer())
        .await
        .expect("discover");
    assert_eq!(meta.issuer, s.provider.issuer());
    assert_eq!(meta.token_endpoint, s.provider.token_endpoint());

    // A trailing slash is a different issuer: the document says otherwise, so it is refused.
    let with_slash = format!("{}/", s.provider.issuer());
    let err = discover(&http(), &with_slash).await.expect_err("mismatch");
    assert!(matches!(err, ClientError::IssuerMismatch { .. }), "{err}");
    assert!(err.hint().expect("hint").contains(s.provider.issuer()));

    *s.provider.state.issuer_override.lock().expect("lock") =
        Some("https://evil.example/am/oauth2".into());
    let err = discover(&http(), s.provider.issuer())
        .await
        .expect_err("mismatch");
    assert!(
        matches!(err, ClientError::IssuerMismatch { found, .. } if found == "https://evil.example/am/oauth2")
    );

    // Discovery at a path that does not exist.
    let err = discover(&http(), &format!("{}/nope", s.provider.base))
        .await
        .expect_err("404");
    assert!(
        matches!(err, ClientError::HttpStatus { status: 404, .. }),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Remote);
}

#[tokio::test]
async fn plain_http_is_refused_except_to_loopback() {
    let err = discover(&http(), "http://login.example/am/oauth2")
        .await
        .expect_err("http");
    assert!(matches!(err, ClientError::InvalidUrl { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = discover(&http(), "ftp://login.example/x")
        .await
        .expect_err("ftp");
    assert!(matches!(err, ClientError::InvalidUrl { .. }));
}

#[tokio::test]
async fn token_request_sends_the_documented_form_and_parses_the_token() {
    let s = setup().await;
    let ts = discovering(&s);
    let token = ts.token().await.expect("token");
    assert!(token.secret().starts_with("at-hague-office-1-"));
    assert_eq!(token.token_type(), "Bearer");
    assert_eq!(token.scope(), Some(SCOPE));
    assert_eq!(token.expires_at(), s.clock.now_unix() + 3599);
    let form = s
        .provider
        .state
        .last_form
        .lock()
        .expect("lock")
        .clone()
        .expect("form");
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], SCOPE);
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let (header, claims) =
        wipo_oidc::assertion::decode_unverified(&form["client_assertion"]).expect("jwt");
    assert_eq!(header.alg, "ES256");
    assert_eq!(claims.aud, s.provider.token_endpoint());
    assert_eq!(claims.iss, CLIENT);
    assert!(
        !format!("{token:?}").contains(token.secret()),
        "Debug leaks the token"
    );
    // The API accepts it.
    let resp = ts
        .send(|| http().get(format!("{}/api/ping", s.provider.base)))
        .await
        .expect("ping");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn oauth_errors_are_typed_with_hints() {
    let s = setup().await;
    // Unknown client id -> invalid_client.
    let config = TokenSourceConfig::new(
        Endpoint::Direct {
            token_endpoint: s.provider.token_endpoint().to_string(),
            issuer: None,
        },
        "not-registered",
    );
    let ts = TokenSource::with_clock(http(), config, s.key.clone(), s.clock.clone()).expect("ts");
    let err = ts.token().await.expect_err("invalid_client");
    assert!(
        matches!(&err, ClientError::OAuth { status: 401, error, .. } if error == "invalid_client"),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Auth);
    let hint = err.hint().expect("hint");
    assert!(
        hint.contains("client id") && hint.contains("certificate") && hint.contains("clock"),
        "{hint}"
    );

    // The machine's clock is 10 minutes behind the server: the assertion is already expired.
    let slow = Arc::new(ManualClock::at_unix(s.clock.now_unix() - 600));
    let ts = TokenSource::with_clock(
        http(),
        TokenSourceConfig::new(
            Endpoint::Discover {
                issuer: s.provider.issuer().into(),
            },
            CLIENT,
        )
        .with_scope(SCOPE),
        s.key.clone(),
        slow,
    )
    .expect("ts");
    let err = ts.token().await.expect_err("expired assertion");
    assert!(
        matches!(&err, ClientError::OAuth { error, description: Some(d), .. } if error == "invalid_client" && d.contains("expired")),
        "{err}"
    );

    // Wrong audience setting: the issuer instead of the token endpoint.
    let mut config = TokenSourceConfig::new(
        Endpoint::Discover {
            issuer: s.provider.issuer().into(),
        },
        CLIENT,
    )
    .with_scope(SCOPE);
    config.audience = Audience::Issuer;
    let ts = TokenSource::with_clock(http(), config, s.key.clone(), s.clock.clone()).expect("ts");
    let err = ts.token().await.expect_err("audience");
    assert!(
        matches!(&err, ClientError::OAuth { description: Some(d), .. } if d.contains("audience")),
        "{err}"
    );

    // Scope not granted.
    let ts = source(
        &s,
        Endpoint::Discover {
            issuer: s.provider.issuer().into(),
        },
    );
    let config = TokenSourceConfig {
        scope: Some("other/scope".into()),
        ..ts.config().clone()
    };
    let ts = TokenSource::with_clock(http(), config, s.key.clone(), s.clock.clone()).expect("ts");
    let err = ts.token().await.expect_err("scope");
    assert!(
        matches!(&err, ClientError::OAuth { status: 400, error, .. } if error == "invalid_scope"),
        "{err}"
    );

    // 403 with an HTML page: the address is not on the allow-list.
    s.provider.state.forbid.store(true, Ordering::SeqCst);
    let err = discovering(&s).token().await.expect_err("403");
    assert!(matches!(err, ClientError::Forbidden { .. }), "{err}");
    assert!(err.hint().expect("hint").contains("allow-list"));
    assert_eq!(err.kind(), ErrorKind::Auth);
}

#[tokio::test]
async fn network_failure_is_a_network_error() {
    // Bind then drop a listener: nothing listens on that port now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let err = request_token(
        &http(),
        &format!("http://127.0.0.1:{port}/token"),
        None,
        "x.y.z",
        0,
    )
    .await
    .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
}

#[tokio::test]
async fn concurrent_callers_cause_exactly_one_token_request() {
    let s = setup().await;
    s.provider.state.token_delay_ms.store(200, Ordering::SeqCst);
    let ts = discovering(&s);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let ts = ts.clone();
        tasks.push(tokio::spawn(async move { ts.token().await }));
    }
    let mut tokens: Vec<AccessToken> = Vec::new();
    for t in tasks {
        tokens.push(t.await.expect("join").expect("token"));
    }
    assert_eq!(s.provider.token_requests(), 1);
    assert_eq!(
        s.provider.state.discovery_requests.load(Ordering::SeqCst),
        1
    );
    assert!(tokens.windows(2).all(|w| w[0].secret() == w[1].secret()));
    assert_eq!(ts.token_requests(), 1);
}

#[tokio::test]
async fn tokens_are_cached_until_the_refresh_margin_then_refreshed() {
    let s = setup().await;
    s.provider.state.expires_in.store(600, Ordering::SeqCst);
    let ts = discovering(&s);
    let first = ts.token().await.expect("token");
    // 600 s token, 60 s margin, no jitter: reused until 540 s.
    s.clock.advance(std::time::Duration::from_secs(539));
    assert_eq!(ts.token().await.expect("token").secret(), first.secret());
    assert_eq!(s.provider.token_requests(), 1);
    s.clock.advance(std::time::Duration::from_secs(1));
    let second = ts.token().await.expect("token");
    assert_ne!(second.secret(), first.secret());
    assert_eq!(s.provider.token_requests(), 2);

    // Short-lived token: the margin is capped at half the lifetime.
    s.provider.state.expires_in.store(40, Ordering::SeqCst);
    s.clock.advance(std::time::Duration::from_secs(600));
    let short = ts.token().await.expect("token");
    s.clock.advance(std::time::Duration::from_secs(19));
    assert_eq!(ts.token().await.expect("token").secret(), short.secret());
    s.clock.advance(std::time::Duration::from_secs(1));
    assert_ne!(ts.token().await.expect("token").secret(), short.secret());
    assert_eq!(s.provider.token_requests(), 4);
}

#[tokio::test]
async fn disk_cache_shares_tokens_between_sources_and_forgets_refused_ones() {
    let s = setup().await;
    s.provider.state.expires_in.store(600, Ordering::SeqCst);
    let dir = tempfile::tempdir().expect("tempdir");
    let with_cache = || {
        let mut config = TokenSourceConfig::new(
            Endpoint::Discover {
                issuer: s.provider.issuer().to_string(),
            },
            CLIENT,
        )
        .with_scope(SCOPE)
        .with_disk_cache(wipo_oidc::TokenCache::new(dir.path().join("tokens")));
        config.refresh_jitter_secs = 0;
        TokenSource::with_clock(http(), config, s.key.clone(), s.clock.clone()).expect("source")
    };
    let first_process = with_cache();
    let first = first_process.token().await.expect("token");
    assert_eq!(s.provider.token_requests(), 1);
    // A later process (a new source) takes the token from disk: no token request, no discovery.
    let discoveries = s.provider.state.discovery_requests.load(Ordering::SeqCst);
    let second_process = with_cache();
    let again = second_process.token().await.expect("token");
    assert!(again.same_secret(&first));
    assert_eq!(second_process.token_requests(), 0);
    assert_eq!(s.provider.token_requests(), 1);
    assert_eq!(
        s.provider.state.discovery_requests.load(Ordering::SeqCst),
        discoveries
    );
    // The API refused it (401): it is dropped from disk too, so the next process asks anew.
    second_process.invalidate(&again);
    let third_process = with_cache();
    let fresh = third_process.token().await.expect("token");
    assert!(!fresh.same_secret(&first));
    assert_eq!(s.provider.token_requests(), 2);
    // renew() ignores the caches and replaces the cached token.
    let renewed = third_process.renew().await.expect("renew");
    assert!(!renewed.same_secret(&fresh));
    assert!(
        with_cache()
            .token()
            .await
            .expect("token")
            .same_secret(&renewed)
    );
    assert_eq!(s.provider.token_requests(), 3);
    // Past the refresh margin the disk token is not used.
    s.clock.advance(std::time::Duration::from_secs(541));
    let later = with_cache().token().await.expect("token");
    assert!(!later.same_secret(&renewed));
    assert_eq!(s.provider.token_requests(), 4);
}

#[tokio::test]
async fn jitter_stays_within_its_bounds() {
    let s = setup().await;
    s.provider.state.expires_in.store(3600, Ordering::SeqCst);
    let mut config = TokenSourceConfig::new(
        Endpoint::Discover {
            issuer: s.provider.issuer().into(),
        },
        CLIENT,
    )
    .with_scope(SCOPE);
    config.refresh_margin_secs = 60;
    config.refresh_jitter_secs = 30;
    let ts = TokenSource::with_clock(http(), config, s.key.clone(), s.clock.clone()).expect("ts");
    let first = ts.token().await.expect("token");
    s.clock.advance(std::time::Duration::from_secs(3600 - 91));
    assert_eq!(
        ts.token().await.expect("token").secret(),
        first.secret(),
        "refreshed before margin+jitter"
    );
    s.clock.advance(std::time::Duration::from_secs(31));
    assert_ne!(
        ts.token().await.expect("token").secret(),
        first.secret(),
        "not refreshed after margin"
    );
}

#[tokio::test]
async fn a_401_invalidates_the_token_and_the_request_is_retried_once() {
    let s = setup().await;
    let ts = discovering(&s);
    let url = format!("{}/api/ping", s.provider.base);
    let first = ts.token().await.expect("token");
    s.provider.revoke_all();
    let resp = ts.send(|| http().get(&url)).await.expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(s.provider.token_requests(), 2);
    assert_eq!(s.provider.state.api_requests.load(Ordering::SeqCst), 2);
    assert_ne!(ts.cached().expect("cached").secret(), first.secret());

    // invalidate() of an older token does not drop the current one.
    let current = ts.cached().expect("cached");
    ts.invalidate(&first);
    assert_eq!(ts.token().await.expect("token").secret(), current.secret());
    assert_eq!(s.provider.token_requests(), 2);
}

#[tokio::test]
async fn direct_token_endpoint_skips_discovery_and_seeded_tokens_are_used() {
    let s = setup().await;
    let ts = source(
        &s,
        Endpoint::Direct {
            token_endpoint: s.provider.token_endpoint().to_string(),
            issuer: Some(s.provider.issuer().to_string()),
        },
    );
    assert_eq!(ts.cache_key().issuer, s.provider.issuer());
    assert_eq!(ts.cache_key().scope, SCOPE);
    let now = s.clock.now_unix();
    ts.seed(AccessToken::new(
        "seeded",
        "Bearer",
        Some(SCOPE.into()),
        now,
        now + 3600,
    ));
    assert_eq!(ts.token().await.expect("token").secret(), "seeded");
    assert_eq!(s.provider.token_requests(), 0);
    // A seeded token that is due for refresh is ignored.
    let ts2 = source(
        &s,
        Endpoint::Direct {
            token_endpoint: s.provider.token_endpoint().into(),
            issuer: None,
        },
    );
    ts2.seed(AccessToken::new(
        "stale",
        "Bearer",
        None,
        now - 3600,
        now + 10,
    ));
    assert_ne!(ts2.token().await.expect("token").secret(), "stale");
    assert_eq!(
        s.provider.state.discovery_requests.load(Ordering::SeqCst),
        0
    );
    assert_eq!(s.provider.token_requests(), 1);
}

#[tokio::test]
async fn a_failed_refresh_falls_back_to_the_still_valid_token() {
    let s = setup().await;
    s.provider.state.expires_in.store(600, Ordering::SeqCst);
    let ts = discovering(&s);
    let first = ts.token().await.expect("token");
    s.clock.advance(std::time::Duration::from_secs(560));
    s.provider.state.forbid.store(true, Ordering::SeqCst);
    assert_eq!(ts.token().await.expect("fallback").secret(), first.secret());
    s.clock.advance(std::time::Duration::from_secs(40));
    assert!(
        ts.token().await.is_err(),
        "expired token must not be returned"
    );
}

#[tokio::test]
async fn the_audience_is_the_token_endpoint_exactly_as_published() {
    // No request is made: the endpoint is configured directly and only the assertion is built.
    let key = Arc::new(SigningKey::generate().expect("key"));
    let te = "https://logindev.wipo.int:443/am/oauth2/access_token";
    let config = TokenSourceConfig::new(
        Endpoint::Direct {
            token_endpoint: te.into(),
            issuer: None,
        },
        "das-api-auth",
    );
    let ts = TokenSource::with_clock(http(), config, key, Arc::new(ManualClock::at_unix(1_000)))
        .expect("ts");
    let jwt = ts.assertion().await.expect("assertion");
    let (_, claims) = wipo_oidc::assertion::decode_unverified(&jwt).expect("jwt");
    assert_eq!(claims.aud, te, "the :443 must survive");
    assert_eq!((claims.iat, claims.exp), (1_000, 1_060));
}

#[tokio::test]
async fn redirects_are_not_followed_with_the_default_client() {
    let s = setup().await;
    let client = wipo_oidc::http_client_builder("test")
        .no_proxy()
        .build()
        .expect("client");
    let signer =
        wipo_oidc::AssertionSigner::new(s.key.clone(), CLIENT, s.provider.token_endpoint())
            .expect("signer")
            .with_clock(s.clock.clone());
    let moved = format!("{}/moved/access_token", s.provider.base);
    let err = request_token(
        &client,
        &moved,
        Some(SCOPE),
        &signer.sign().expect("sign"),
        0,
    )
    .await
    .expect_err("307");
    assert!(
        matches!(err, ClientError::HttpStatus { status: 307, .. }),
        "{err}"
    );
    assert_eq!(
        s.provider.token_requests(),
        0,
        "the assertion went nowhere else"
    );
    // The same client reaches the real endpoint.
    let token = request_token(
        &client,
        s.provider.token_endpoint(),
        Some(SCOPE),
        &signer.sign().expect("sign"),
        s.clock.now_unix(),
    )
    .await
    .expect("token");
    assert_eq!(token.scope(), Some(SCOPE));
}

#[tokio::test]
async fn a_second_401_is_returned_not_retried_again() {
    let s = setup().await;
    let ts = discovering(&s);
    let url = format!("{}/api/never", s.provider.base);
    let resp = ts.send(|| http().get(&url)).await.expect("send");
    assert_eq!(resp.status(), 401);
    assert_eq!(s.provider.state.api_requests.load(Ordering::SeqCst), 2);
    assert_eq!(s.provider.token_requests(), 2);
}

#[tokio::test]
async fn a_discovered_token_endpoint_is_the_audience_exactly_as_published_not_normalised() {
    // A URL parser normalises `/./` away (as it drops `:443` from an https URL). The audience must
    // be the string the provider published, byte for byte, while the request goes to the URL.
    let s = setup().await;
    let published = format!("{}/am/oauth2/./access_token", s.provider.base);
    *s.provider
        .state
        .token_endpoint_override
        .lock()
        .expect("lock") = Some(published.clone());
    let ts = discovering(&s);
    assert_eq!(ts.token_endpoint().await.expect("discover"), published);
    // The provider's verifier only knows its canonical endpoint, so it refuses this audience;
    // what matters here is what was sent, and where.
    let err = ts
        .token()
        .await
        .expect_err("audience differs from the verifier's");
    assert!(
        matches!(&err, ClientError::OAuth { error, .. } if error == "invalid_client"),
        "{err}"
    );
    assert_eq!(
        s.provider.token_requests(),
        1,
        "the request reached the endpoint"
    );
    let form = s
        .provider
        .state
        .last_form
        .lock()
        .expect("lock")
        .clone()
        .expect("form");
    let (_, claims) =
        wipo_oidc::assertion::decode_unverified(&form["client_assertion"]).expect("jwt");
    assert_eq!(claims.aud, published);
    let last_error = s.provider.state.last_error.lock().expect("lock").clone();
    assert!(
        last_error
            .as_deref()
            .is_some_and(|e| e.contains("Audience")),
        "{last_error:?}"
    );
}

/// A raw HTTP/1.1 server on 127.0.0.1 answering every request with `head` and then `body_chunks`
/// chunks of `chunk` bytes (chunked transfer encoding, no Content-Length) or, when `length` is
/// set, a Content-Length header and that many bytes.
async fn raw_server(length: Option<usize>, body_chunks: usize, chunk: usize) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let data = vec![b' '; chunk];
                let head = match length {
                    Some(n) => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\n\r\n"
                    ),
                    None => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
                };
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for _ in 0..body_chunks {
                    let res = if length.is_some() {
                        sock.write_all(&data).await
                    } else {
                        let mut framed = format!("{chunk:x}\r\n").into_bytes();
                        framed.extend_from_slice(&data);
                        framed.extend_from_slice(b"\r\n");
                        sock.write_all(&framed).await
                    };
                    if res.is_err() {
                        return; // the client hung up, as it should
                    }
                }
                if length.is_none() {
                    let _ = sock.write_all(b"0\r\n\r\n").await;
                }
            });
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

#[tokio::test]
async fn oversized_responses_are_refused_not_buffered() {
    let chunk = 64 * 1024;
    let chunks = wipo_oidc::MAX_RESPONSE_BYTES / chunk + 2;
    // Chunked, no length announced: refused once the limit is crossed.
    let base = raw_server(None, chunks, chunk).await;
    let err = discover(&http(), &format!("{base}/am/oauth2"))
        .await
        .expect_err("too large");
    assert!(
        matches!(&err, ClientError::BadResponse { detail, .. } if detail.contains("larger than")),
        "{err}"
    );
    assert!(err.hint().is_some());
    // Announced length over the limit: refused before reading.
    let base = raw_server(Some(chunks * chunk), chunks, chunk).await;
    let err = request_token(&http(), &format!("{base}/t"), None, "a.b.c", 0)
        .await
        .expect_err("too large");
    assert!(
        matches!(&err, ClientError::BadResponse { detail, .. } if detail.contains("larger than")),
        "{err}"
    );
    // Under the limit it is read (and then found not to be a discovery document).
    let base = raw_server(None, 2, chunk).await;
    let err = discover(&http(), &format!("{base}/am/oauth2"))
        .await
        .expect_err("blank body");
    assert!(
        matches!(&err, ClientError::BadResponse { detail, .. } if detail.contains("not an OpenID")),
        "{err}"
    );
}
