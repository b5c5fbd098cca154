//! WIPO-side client assertion verification (what the sandbox's login runs on every token request):
//! any text, no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wipo_oidc::{ClientRegistry, ReplayCache, VerifyPolicy};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let registry = ClientRegistry::new();
        let policy = VerifyPolicy::new("https://logindev.wipo.int/am/oauth2/access_token");
        let replay = ReplayCache::new(16);
        let _ = wipo_oidc::verify(s, &registry, &policy, &replay, 1_700_000_000);
        let _ = wipo_oidc::assertion::decode_unverified(s);
    }
});
