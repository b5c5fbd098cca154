//! `wipo_oidc::verify`: forged and broken assertions are refused, each with its own error.

mod common;

use std::collections::HashSet;
use std::mem::discriminant;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use wipo_oidc::cert::{self_signed_certificate, wipo_common_name};
use wipo_oidc::{
    AssertionSigner, ClientRegistry, ManualClock, ReplayCache, SigningKey, Verifier, VerifyError,
    VerifyPolicy, verify,
};

const NOW: u64 = 1_750_000_000;
const TE: &str = "https://logindev.wipo.int:443/am/oauth2/access_token";
const CLIENT: &str = "das-api-auth";

struct Fixture {
    key: SigningKey,
    other_key: SigningKey,
    registry: ClientRegistry,
    policy: VerifyPolicy,
}

fn fixture() -> Fixture {
    let key = SigningKey::generate().expect("key");
    let other_key = SigningKey::generate().expect("key");
    let cert =
        self_signed_certificate(&key, &wipo_common_name("DAS"), NOW - 86_400, 365).expect("cert");
    let mut registry = ClientRegistry::new();
    registry
        .register_certificate_pem(CLIENT, &cert.pem, None)
        .expect("register certificate");
    Fixture {
        key,
        other_key,
        registry,
        policy: VerifyPolicy::new(TE),
    }
}

fn b64(v: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(v)
}

fn good_claims() -> Value {
    json!({"iss": CLIENT, "sub": CLIENT, "aud": TE, "exp": NOW + 60, "iat": NOW, "jti": uuid::Uuid::new_v4().to_string()})
}

/// header.claims signed ES256 (raw r||s) by `key`.
fn forge(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = key.sign(input.as_bytes()).expect("sign");
    format!("{input}.{}", b64(&sig))
}

fn es256() -> Value {
    json!({"alg": "ES256", "typ": "JWT"})
}

fn check(f: &Fixture, jwt: &str) -> Result<wipo_oidc::VerifiedAssertion, VerifyError> {
    verify(jwt, &f.registry, &f.policy, &ReplayCache::new(100), NOW)
}

#[test]
fn a_proper_assertion_is_accepted() {
    let f = fixture();
    let v = check(&f, &forge(&f.key, &es256(), &good_claims())).expect("valid");
    assert_eq!(v.client_id, CLIENT);
    // aud as an array containing the endpoint is fine (RFC 7519 §4.1.3), as is no typ.
    let mut c = good_claims();
    c["aud"] = json!([TE, "https://other"]);
    check(&f, &forge(&f.key, &json!({"alg": "ES256"}), &c)).expect("array aud");
    // Made by the crate's signer, too.
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let signer = AssertionSigner::new(Arc::new(f.key), CLIENT, TE)
        .expect("signer")
        .with_clock(clock);
    let jwt = signer.sign().expect("sign");
    verify(&jwt, &f.registry, &f.policy, &ReplayCache::new(10), NOW).expect("signer output");
}

#[test]
fn forged_and_broken_assertions_are_refused_with_distinct_errors() {
    let f = fixture();
    let good = forge(&f.key, &es256(), &good_claims());
    let (good_input, good_sig) = good.rsplit_once('.').expect("parts");
    let mut seen = HashSet::new();
    let mut expect = |name: &str, jwt: &str, ok: fn(&VerifyError) -> bool| {
        let err = check(&f, jwt).expect_err(name);
        assert!(ok(&err), "{name}: unexpected error {err:?}");
        assert!(!err.to_string().is_empty());
        seen.insert(discriminant(&err));
    };

    expect("oversized", &"a".repeat(9000), |e| {
        matches!(e, VerifyError::TooLarge { .. })
    });
    expect("two parts", good_input, |e| {
        matches!(e, VerifyError::Malformed)
    });
    expect("four parts", &format!("{good}.x"), |e| {
        matches!(e, VerifyError::Malformed)
    });
    expect(
        "header not base64url",
        &format!("eyJ+.{}", &good[good.find('.').expect("dot") + 1..]),
        |e| matches!(e, VerifyError::Base64 { part: "header" }),
    );
    expect(
        "header not json",
        &format!("{}.e30.{good_sig}", b64(b"not json")),
        |e| matches!(e, VerifyError::Json { part: "header", .. }),
    );
    expect(
        "alg none",
        &format!(
            "{}.{}.",
            b64(br#"{"alg":"none"}"#),
            b64(good_claims().to_string().as_bytes())
        ),
        |e| matches!(e, VerifyError::Algorithm { found } if found == "none"),
    );
    // HS256 keyed with the public key: the classic algorithm-confusion forgery.
    let hs_input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(good_claims().to_string().as_bytes())
    );
    let mac_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, f.key.public_key().sec1_point());
    let hs = format!(
        "{hs_input}.{}",
        b64(ring::hmac::sign(&mac_key, hs_input.as_bytes()).as_ref())
    );
    expect(
        "alg HS256",
        &hs,
        |e| matches!(e, VerifyError::Algorithm { found } if found == "HS256"),
    );
    expect(
        "alg RS256",
        &forge(&f.key, &json!({"alg": "RS256"}), &good_claims()),
        |e| matches!(e, VerifyError::Algorithm { found } if found == "RS256"),
    );
    expect(
        "crit",
        &forge(
            &f.key,
            &json!({"alg": "ES256", "crit": ["exp"]}),
            &good_claims(),
        ),
        |e| matches!(e, VerifyError::Critical(_)),
    );
    expect(
        "typ",
        &forge(
            &f.key,
            &json!({"alg": "ES256", "typ": "at+jwt"}),
            &good_claims(),
        ),
        |e| matches!(e, VerifyError::Type { .. }),
    );
    let mut c = good_claims();
    c.as_object_mut().expect("obj").remove("jti");
    expect("no jti", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::MissingClaim { claim: "jti" })
    });
    let mut c = good_claims();
    c.as_object_mut().expect("obj").remove("exp");
    expect("no exp", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::MissingClaim { claim: "exp" })
    });
    let mut c = good_claims();
    c["exp"] = json!("soon");
    expect("exp a string", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::InvalidClaim { claim: "exp", .. })
    });
    let mut c = good_claims();
    c["sub"] = json!("someone-else");
    expect("iss != sub", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::IssuerSubjectMismatch { .. })
    });
    let mut c = good_claims();
    c["iss"] = json!("intruder");
    c["sub"] = json!("intruder");
    expect("unknown client", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::UnknownClient { .. })
    });
    let der_sig = common::raw_to_der(&URL_SAFE_NO_PAD.decode(good_sig).expect("b64"));
    expect(
        "DER signature",
        &format!("{good_input}.{}", b64(&der_sig)),
        |e| matches!(e, VerifyError::SignatureLength { len } if *len > 64),
    );
    expect(
        "signed by another key",
        &forge(&f.other_key, &es256(), &good_claims()),
        |e| matches!(e, VerifyError::BadSignature),
    );
    // The attacker's own key embedded in the header (`jwk`, `x5c`) is never trusted.
    let attacker_jwk = serde_json::to_value(f.other_key.public_key().to_jwk()).expect("jwk");
    expect(
        "signed by a key embedded in the header",
        &forge(
            &f.other_key,
            &json!({"alg": "ES256", "typ": "JWT", "jwk": attacker_jwk, "x5c": ["MIIB"]}),
            &good_claims(),
        ),
        |e| matches!(e, VerifyError::BadSignature),
    );
    // Claims changed after signing.
    let mut c = good_claims();
    c["exp"] = json!(NOW + 59);
    let tampered = format!(
        "{}.{}.{good_sig}",
        &good_input[..good_input.find('.').expect("dot")],
        b64(c.to_string().as_bytes())
    );
    expect("tampered claims", &tampered, |e| {
        matches!(e, VerifyError::BadSignature)
    });
    let mut c = good_claims();
    c["aud"] = json!("https://logindev.wipo.int/am/oauth2/access_token");
    expect("aud without :443", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::Audience { .. })
    });
    let mut c = good_claims();
    c["exp"] = json!(NOW - 31);
    expect("expired", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::Expired { .. })
    });
    let mut c = good_claims();
    c["exp"] = json!(NOW + 3600);
    expect("lives too long", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::LifetimeTooLong { .. })
    });
    let mut c = good_claims();
    c["iat"] = json!(NOW + 120);
    expect("iat in future", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::IssuedInFuture { .. })
    });
    let mut c = good_claims();
    c["nbf"] = json!(NOW + 120);
    expect("nbf in future", &forge(&f.key, &es256(), &c), |e| {
        matches!(e, VerifyError::NotYetValid { .. })
    });

    // kid naming a key the client does not have.
    let mut with_kid = f.registry.clone();
    with_kid.register_key(CLIENT, f.other_key.public_key().clone(), Some("k2".into()));
    let err = verify(
        &forge(
            &f.key,
            &json!({"alg": "ES256", "kid": "k9"}),
            &good_claims(),
        ),
        &with_kid,
        &f.policy,
        &ReplayCache::new(10),
        NOW,
    )
    .expect_err("unknown kid");
    assert!(matches!(err, VerifyError::UnknownKeyId { .. }), "{err:?}");
    seen.insert(discriminant(&err));

    // Replay of a used jti, and a full replay cache.
    let replay = ReplayCache::new(1);
    let once = forge(&f.key, &es256(), &good_claims());
    verify(&once, &f.registry, &f.policy, &replay, NOW).expect("first use");
    let err = verify(&once, &f.registry, &f.policy, &replay, NOW).expect_err("replay");
    assert!(matches!(err, VerifyError::Replay { .. }), "{err:?}");
    seen.insert(discriminant(&err));
    let err = verify(
        &forge(&f.key, &es256(), &good_claims()),
        &f.registry,
        &f.policy,
        &replay,
        NOW,
    )
    .expect_err("full");
    assert!(
        matches!(err, VerifyError::ReplayCacheFull { .. }),
        "{err:?}"
    );
    assert_eq!(err.oauth_error(), "temporarily_unavailable");
    seen.insert(discriminant(&err));

    assert!(seen.len() >= 12, "only {} distinct errors", seen.len());
    assert_eq!(seen.len(), 21, "distinct VerifyError variants exercised");
}

#[test]
fn replay_cache_forgets_expired_entries_and_stays_bounded() {
    let f = fixture();
    let replay = ReplayCache::new(2);
    for _ in 0..2 {
        verify(
            &forge(&f.key, &es256(), &good_claims()),
            &f.registry,
            &f.policy,
            &replay,
            NOW,
        )
        .expect("fits");
    }
    assert_eq!(replay.len(), 2);
    // After exp + leeway the entries are dropped and new assertions fit again.
    let later = NOW + 60 + 31;
    let mut c = good_claims();
    c["iat"] = json!(later);
    c["exp"] = json!(later + 60);
    verify(
        &forge(&f.key, &es256(), &c),
        &f.registry,
        &f.policy,
        &replay,
        later,
    )
    .expect("old entries expired");
    assert_eq!(replay.len(), 1);
}

#[test]
fn clients_register_from_certificate_pem_or_jwk_and_kid_selects_the_key() {
    let clock = Arc::new(ManualClock::at_unix(NOW));
    let k1 = SigningKey::generate().expect("key");
    let k2 = SigningKey::generate().expect("key");
    let mut jwk = k2.public_key().to_jwk();
    jwk.kid = Some("2026-01".into());
    let mut registry = ClientRegistry::new();
    registry.register_jwk("c2", &jwk).expect("jwk");
    registry
        .register_jwk_json(
            "c1",
            &serde_json::to_string(&k1.public_key().to_jwk()).expect("json"),
        )
        .expect("jwk json");
    assert!(
        registry
            .register_certificate_pem(
                "c3",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                None
            )
            .is_err()
    );
    let verifier = Verifier::new(registry, VerifyPolicy::new(TE), clock.clone());
    let s2 = AssertionSigner::new(Arc::new(k2), "c2", TE)
        .expect("signer")
        .with_kid(Some("2026-01".into()))
        .with_clock(clock.clone());
    assert_eq!(
        verifier
            .verify(&s2.sign().expect("sign"))
            .expect("c2")
            .kid
            .as_deref(),
        Some("2026-01")
    );
    let s1 = AssertionSigner::new(Arc::new(k1), "c1", TE)
        .expect("signer")
        .with_clock(clock.clone());
    verifier.verify(&s1.sign().expect("sign")).expect("c1");
    // Removing the client while serving.
    assert!(verifier.update_registry(|r| r.remove_client("c1")));
    assert!(matches!(
        verifier.verify(&s1.sign().expect("sign")),
        Err(VerifyError::UnknownClient { .. })
    ));
    // Time moves: an assertion from 10 minutes ago has expired.
    let old = s2.sign().expect("sign");
    clock.advance(std::time::Duration::from_secs(600));
    assert!(matches!(
        verifier.verify(&old),
        Err(VerifyError::Expired { .. })
    ));
}
