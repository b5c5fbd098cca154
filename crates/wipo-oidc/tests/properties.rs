//! Property tests (proptest) of the client assertion verifier (issue 14; fuzzed too, in
//! `fuzz-parsers/`): whatever text arrives as a `client_assertion`, `verify` and `decode_unverified`
//! never panic, and a signed assertion changed in any one character is refused (the only accepted
//! text is the one that was signed). Modest case counts: the suite stays fast.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use wipo_oidc::cert::self_signed_certificate;
use wipo_oidc::{AssertionSigner, ClientRegistry, ReplayCache, SigningKey, VerifyPolicy, verify};

const NOW: u64 = 1_750_000_000;
const TE: &str = "https://logindev.wipo.int/am/oauth2/access_token";
const CLIENT: &str = "office-1";

/// One key, its registered certificate and one assertion it signed, made once.
struct Fixture {
    registry: ClientRegistry,
    policy: VerifyPolicy,
    signed: String,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = Arc::new(SigningKey::generate().expect("key"));
        let cert = self_signed_certificate(&key, "test office", NOW - 86_400, 365).expect("cert");
        let mut registry = ClientRegistry::new();
        registry
            .register_certificate_pem(CLIENT, &cert.pem, None)
            .expect("register");
        let signed = AssertionSigner::new(key, CLIENT, TE)
            .expect("signer")
            .sign_claims_at(NOW, "3f0c6c1e-0000-4000-8000-000000000001")
            .expect("sign");
        Fixture {
            registry,
            policy: VerifyPolicy::new(TE),
            signed,
        }
    })
}

/// Text shaped like a JWT (three base64url parts) or anything at all.
fn assertion_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_=+/.-]{0,300}",
        "eyJ[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,120}\\.[A-Za-z0-9_-]{0,90}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_is_refused_without_a_panic(text in assertion_text()) {
        let f = fixture();
        let _ = wipo_oidc::assertion::decode_unverified(&text);
        prop_assert!(verify(&text, &f.registry, &f.policy, &ReplayCache::new(4), NOW).is_err());
    }

    #[test]
    fn a_signed_assertion_changed_anywhere_is_refused(
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=".to_vec(),
        ),
    ) {
        let f = fixture();
        let mut b = f.signed.clone().into_bytes();
        let i = at.index(b.len());
        b[i] = replacement;
        let changed = String::from_utf8(b).expect("ascii");
        let got = verify(&changed, &f.registry, &f.policy, &ReplayCache::new(4), NOW);
        if changed == f.signed {
            prop_assert!(got.is_ok(), "the signed assertion: {:?}", got.err());
        } else {
            prop_assert!(got.is_err(), "byte {} changed to {:?} was accepted", i, replacement as char);
        }
    }
}
