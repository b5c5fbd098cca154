//! Server side: checks a client assertion against registered client keys (certificates or JWKs),
//! the way an authorization server such as WIPO's does. Used by the sandbox and by tests.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::Value;

use crate::cert::{CertificateInfo, parse_certificate_pem};
use crate::clock::Clock;
use crate::key::{EcPublicKey, Jwk, KeyError};

/// A public key registered for a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredKey {
    /// The key.
    pub public_key: EcPublicKey,
    /// Its key id, if the client names keys in the JWT header.
    pub kid: Option<String>,
}

/// Registered clients and their public keys.
///
/// ```
/// use wipo_oidc::{ClientRegistry, SigningKey};
/// let key = SigningKey::generate().unwrap();
/// let mut registry = ClientRegistry::new();
/// registry.register_key("das-api-auth", key.public_key().clone(), None);
/// assert!(registry.contains("das-api-auth"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientRegistry {
    clients: HashMap<String, Vec<RegisteredKey>>,
}

impl ClientRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` (with optional `kid`) to `client_id`'s keys.
    pub fn register_key(&mut self, client_id: &str, key: EcPublicKey, kid: Option<String>) {
        let keys = self.clients.entry(client_id.to_string()).or_default();
        let entry = RegisteredKey {
            public_key: key,
            kid,
        };
        if !keys.contains(&entry) {
            keys.push(entry);
        }
    }

    /// Registers the key in an X.509 certificate PEM (the `es256_cert.pem` an office sends WIPO).
    /// `kid` is the key id the client puts in its JWT header, if it uses one.
    pub fn register_certificate_pem(
        &mut self,
        client_id: &str,
        pem: &str,
        kid: Option<String>,
    ) -> Result<CertificateInfo, KeyError> {
        let info = parse_certificate_pem(pem)?;
        self.register_key(client_id, info.public_key.clone(), kid);
        Ok(info)
    }

    /// Registers a public JWK (its `kid`, if any, is kept).
    pub fn register_jwk(&mut self, client_id: &str, jwk: &Jwk) -> Result<(), KeyError> {
        let key = EcPublicKey::from_jwk(jwk)?;
        self.register_key(client_id, key, jwk.kid.clone());
        Ok(())
    }

    /// Registers a public JWK given as JSON text; a private JWK (with `d`) is refused.
    pub fn register_jwk_json(&mut self, client_id: &str, json: &str) -> Result<(), KeyError> {
        let (key, jwk) = EcPublicKey::from_jwk_json(json)?;
        self.register_key(client_id, key, jwk.kid);
        Ok(())
    }

    /// Removes a client; true if it was there.
    pub fn remove_client(&mut self, client_id: &str) -> bool {
        self.clients.remove(client_id).is_some()
    }

    /// Whether `client_id` is registered.
    pub fn contains(&self, client_id: &str) -> bool {
        self.clients.contains_key(client_id)
    }

    /// The keys of `client_id` (empty if unknown).
    pub fn keys(&self, client_id: &str) -> &[RegisteredKey] {
        self.clients
            .get(client_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// What [`verify`] accepts.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// Accepted `aud` values; normally just the token endpoint as published.
    pub audiences: Vec<String>,
    /// Longest accepted `exp - now`, seconds (default 300).
    pub max_lifetime_secs: u64,
    /// Clock skew tolerated on `exp`, `iat` and `nbf`, seconds (default 30).
    pub leeway_secs: u64,
    /// Require a `jti` (default true: replays are detected by it).
    pub require_jti: bool,
    /// Longest accepted assertion, bytes (default 8192).
    pub max_len: usize,
}

impl VerifyPolicy {
    /// The default policy for a token endpoint.
    pub fn new(token_endpoint: impl Into<String>) -> Self {
        Self {
            audiences: vec![token_endpoint.into()],
            max_lifetime_secs: 300,
            leeway_secs: 30,
            require_jti: true,
            max_len: 8192,
        }
    }

    /// Also accept `aud` (e.g. the issuer).
    pub fn with_audience(mut self, aud: impl Into<String>) -> Self {
        self.audiences.push(aud.into());
        self
    }
}

/// Remembers `jti`s until their assertion expires, to refuse replays. Bounded: when full of unexpired
/// entries it refuses new assertions ([`VerifyError::ReplayCacheFull`]) rather than forget one.
pub struct ReplayCache {
    capacity: usize,
    inner: Mutex<ReplayInner>,
}

#[derive(Default)]
struct ReplayInner {
    seen: HashSet<(String, String)>,
    by_expiry: BinaryHeap<Reverse<(u64, String, String)>>,
}

impl fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl ReplayCache {
    /// A cache holding at most `capacity` live `jti`s.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(ReplayInner::default()),
        }
    }

    /// Number of remembered `jti`s.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|g| g.seen.len()).unwrap_or(0)
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records (client, jti) valid until `forget_after`; error if already seen or full.
    fn check_and_insert(
        &self,
        client_id: &str,
        jti: &str,
        forget_after: u64,
        now: u64,
    ) -> Result<(), VerifyError> {
        let mut g = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while let Some(Reverse((t, _, _))) = g.by_expiry.peek() {
            if *t >= now {
                break;
            }
            if let Some(Reverse((_, c, j))) = g.by_expiry.pop() {
                g.seen.remove(&(c, j));
            }
        }
        let key = (client_id.to_string(), jti.to_string());
        if g.seen.contains(&key) {
            return Err(VerifyError::Replay {
                jti: jti.to_string(),
            });
        }
        if g.seen.len() >= self.capacity {
            return Err(VerifyError::ReplayCacheFull {
                capacity: self.capacity,
            });
        }
        g.by_expiry
            .push(Reverse((forget_after, key.0.clone(), key.1.clone())));
        g.seen.insert(key);
        Ok(())
    }
}

/// A checked assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The authenticated client (`iss` = `sub`).
    pub client_id: String,
    /// The `jti`, if present.
    pub jti: Option<String>,
    /// `exp`.
    pub exp: u64,
    /// `iat`, if present.
    pub iat: Option<u64>,
    /// Header `kid`, if present.
    pub kid: Option<String>,
}

/// Why an assertion was refused. Each variant is a distinct reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Longer than the policy allows.
    #[error("assertion is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not `header.payload.signature`.
    #[error("assertion is not a compact JWS: expected three dot-separated parts")]
    Malformed,
    /// A part is not base64url without padding.
    #[error("assertion {part} is not base64url (RFC 7515 without padding)")]
    Base64 {
        /// `header`, `claims` or `signature`.
        part: &'static str,
    },
    /// A part is not a JSON object.
    #[error("assertion {part} is not a JSON object: {detail}")]
    Json {
        /// `header` or `claims`.
        part: &'static str,
        /// The parser's message.
        detail: String,
    },
    /// `alg` is not `ES256` (`none`, `HS256`, `RS256`, ... are refused).
    #[error("assertion algorithm {found:?} is not accepted; only ES256 is")]
    Algorithm {
        /// The `alg` found.
        found: String,
    },
    /// The header has `crit`, which this verifier does not understand.
    #[error("assertion header has critical extensions {0:?}, which are not supported")]
    Critical(String),
    /// `typ` present and not `JWT`.
    #[error("assertion typ {found:?} is not JWT")]
    Type {
        /// The `typ` found.
        found: String,
    },
    /// A required claim is missing.
    #[error("assertion has no `{claim}` claim")]
    MissingClaim {
        /// The claim.
        claim: &'static str,
    },
    /// A claim has the wrong type.
    #[error("assertion claim `{claim}` is invalid: {reason}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// `iss` and `sub` differ.
    #[error("assertion iss {iss:?} differs from sub {sub:?}; both must be the client id")]
    IssuerSubjectMismatch {
        /// `iss`.
        iss: String,
        /// `sub`.
        sub: String,
    },
    /// No such client.
    #[error("client {client_id:?} is not registered")]
    UnknownClient {
        /// The claimed client id.
        client_id: String,
    },
    /// The header names a key the client does not have.
    #[error("client has no key with kid {kid:?}")]
    UnknownKeyId {
        /// The `kid`.
        kid: String,
    },
    /// The signature is not 64 bytes (e.g. a DER signature).
    #[error("ES256 signature must be 64 bytes (raw r||s), found {len}; DER signatures are not JWS")]
    SignatureLength {
        /// Decoded length.
        len: usize,
    },
    /// No registered key verifies the signature.
    #[error("assertion signature does not verify with any key registered for the client")]
    BadSignature,
    /// `aud` is not an accepted audience.
    #[error("assertion audience {found} is not this token endpoint ({expected})")]
    Audience {
        /// The `aud` found.
        found: String,
        /// The accepted values.
        expected: String,
    },
    /// `exp` has passed.
    #[error("assertion expired at {exp}, now is {now}")]
    Expired {
        /// `exp`.
        exp: u64,
        /// Server time.
        now: u64,
    },
    /// `exp` too far in the future.
    #[error("assertion expires at {exp}, more than {max} s after now ({now})")]
    LifetimeTooLong {
        /// `exp`.
        exp: u64,
        /// Server time.
        now: u64,
        /// Allowed lifetime.
        max: u64,
    },
    /// `iat` in the future.
    #[error("assertion issued at {iat}, in the future (now {now})")]
    IssuedInFuture {
        /// `iat`.
        iat: u64,
        /// Server time.
        now: u64,
    },
    /// `nbf` in the future.
    #[error("assertion not valid before {nbf} (now {now})")]
    NotYetValid {
        /// `nbf`.
        nbf: u64,
        /// Server time.
        now: u64,
    },
    /// The `jti` was used before.
    #[error("assertion jti {jti:?} was already used (replay)")]
    Replay {
        /// The `jti`.
        jti: String,
    },
    /// The replay cache is full of live entries.
    #[error("too many assertions in flight ({capacity}); try again shortly")]
    ReplayCacheFull {
        /// Capacity.
        capacity: usize,
    },
}

impl VerifyError {
    /// The OAuth 2.0 `error` code a token endpoint should answer with (RFC 6749 §5.2).
    pub fn oauth_error(&self) -> &'static str {
        match self {
            Self::ReplayCacheFull { .. } => "temporarily_unavailable",
            _ => "invalid_client",
        }
    }
}

fn b64(part: &'static str, s: &str) -> Result<Vec<u8>, VerifyError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| VerifyError::Base64 { part })
}

fn json_object(
    part: &'static str,
    bytes: &[u8],
) -> Result<serde_json::Map<String, Value>, VerifyError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(VerifyError::Json {
            part,
            detail: "not an object".into(),
        }),
        Err(e) => Err(VerifyError::Json {
            part,
            detail: e.to_string(),
        }),
    }
}

fn string_claim<'a>(
    claims: &'a serde_json::Map<String, Value>,
    claim: &'static str,
) -> Result<Option<&'a str>, VerifyError> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(VerifyError::InvalidClaim {
            claim,
            reason: "not a string",
        }),
    }
}

fn time_claim(
    claims: &serde_json::Map<String, Value>,
    claim: &'static str,
) -> Result<Option<u64>, VerifyError> {
    match claims.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(v) = n.as_u64() {
                Ok(Some(v))
            } else {
                match n.as_f64() {
                    Some(f) if (0.0..1e15).contains(&f) => Ok(Some(f.floor() as u64)),
                    _ => Err(VerifyError::InvalidClaim {
                        claim,
                        reason: "not a non-negative NumericDate",
                    }),
                }
            }
        }
        Some(_) => Err(VerifyError::InvalidClaim {
            claim,
            reason: "not a number (NumericDate)",
        }),
    }
}

/// Checks a client assertion at time `now` (Unix seconds).
///
/// Order: shape, header (`alg` ES256 only, no `crit`, `typ` JWT if present), claims present,
/// `iss` = `sub` = a registered client, signature (raw r‖s, by the key named by `kid` or any of the
/// client's keys), `aud`, `exp` (future, at most `max_lifetime_secs` ahead), `iat`/`nbf` (not in the
/// future beyond the leeway), and finally `jti` unseen (then remembered until `exp`).
pub fn verify(
    assertion: &str,
    registry: &ClientRegistry,
    policy: &VerifyPolicy,
    replay: &ReplayCache,
    now: u64,
) -> Result<VerifiedAssertion, VerifyError> {
    if assertion.len() > policy.max_len {
        return Err(VerifyError::TooLarge {
            len: assertion.len(),
            max: policy.max_len,
        });
    }
    let mut parts = assertion.split('.');
    let (Some(h64), Some(c64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    let header = json_object("header", &b64("header", h64)?)?;
    let alg = match header.get("alg") {
        Some(Value::String(a)) => a.clone(),
        Some(other) => other.to_string(),
        None => "(missing)".to_string(),
    };
    if alg != "ES256" {
        return Err(VerifyError::Algorithm { found: alg });
    }
    if let Some(crit) = header.get("crit") {
        return Err(VerifyError::Critical(crit.to_string()));
    }
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") => {}
        Some(other) => {
            return Err(VerifyError::Type {
                found: other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_string),
            });
        }
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => {
            return Err(VerifyError::Json {
                part: "header",
                detail: "kid is not a string".into(),
            });
        }
    };

    let claims = json_object("claims", &b64("claims", c64)?)?;
    let iss = string_claim(&claims, "iss")?.ok_or(VerifyError::MissingClaim { claim: "iss" })?;
    let sub = string_claim(&claims, "sub")?.ok_or(VerifyError::MissingClaim { claim: "sub" })?;
    let aud = claims
        .get("aud")
        .ok_or(VerifyError::MissingClaim { claim: "aud" })?;
    let exp = time_claim(&claims, "exp")?.ok_or(VerifyError::MissingClaim { claim: "exp" })?;
    let iat = time_claim(&claims, "iat")?;
    let nbf = time_claim(&claims, "nbf")?;
    let jti = string_claim(&claims, "jti")?;
    if policy.require_jti && jti.is_none() {
        return Err(VerifyError::MissingClaim { claim: "jti" });
    }
    if iss != sub {
        return Err(VerifyError::IssuerSubjectMismatch {
            iss: iss.to_string(),
            sub: sub.to_string(),
        });
    }
    if !registry.contains(iss) {
        return Err(VerifyError::UnknownClient {
            client_id: iss.to_string(),
        });
    }

    let sig = b64("signature", s64)?;
    if sig.len() != 64 {
        return Err(VerifyError::SignatureLength { len: sig.len() });
    }
    let keys = registry.keys(iss);
    let candidates: Vec<&RegisteredKey> = match &kid {
        Some(k) if keys.iter().any(|r| r.kid.is_some()) => {
            let matching: Vec<_> = keys
                .iter()
                .filter(|r| r.kid.as_deref() == Some(k))
                .collect();
            if matching.is_empty() {
                return Err(VerifyError::UnknownKeyId { kid: k.clone() });
            }
            matching
        }
        _ => keys.iter().collect(),
    };
    let signing_input = &assertion.as_bytes()[..h64.len() + 1 + c64.len()];
    let verified = candidates.iter().any(|r| {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, r.public_key.sec1_point())
            .verify(signing_input, &sig)
            .is_ok()
    });
    if !verified {
        return Err(VerifyError::BadSignature);
    }

    let aud_ok = match aud {
        Value::String(a) => policy.audiences.iter().any(|x| x == a),
        Value::Array(items) => items.iter().any(|i| {
            i.as_str()
                .is_some_and(|a| policy.audiences.iter().any(|x| x == a))
        }),
        _ => {
            return Err(VerifyError::InvalidClaim {
                claim: "aud",
                reason: "neither a string nor an array of strings",
            });
        }
    };
    if !aud_ok {
        return Err(VerifyError::Audience {
            found: aud.to_string(),
            expected: policy.audiences.join(", "),
        });
    }
    if exp.saturating_add(policy.leeway_secs) <= now {
        return Err(VerifyError::Expired { exp, now });
    }
    if exp > now.saturating_add(policy.max_lifetime_secs + policy.leeway_secs) {
        return Err(VerifyError::LifetimeTooLong {
            exp,
            now,
            max: policy.max_lifetime_secs,
        });
    }
    if let Some(iat) = iat
        && iat > now.saturating_add(policy.leeway_secs)
    {
        return Err(VerifyError::IssuedInFuture { iat, now });
    }
    if let Some(nbf) = nbf
        && nbf > now.saturating_add(policy.leeway_secs)
    {
        return Err(VerifyError::NotYetValid { nbf, now });
    }
    if let Some(jti) = jti {
        replay.check_and_insert(iss, jti, exp.saturating_add(policy.leeway_secs), now)?;
    }
    Ok(VerifiedAssertion {
        client_id: iss.to_string(),
        jti: jti.map(str::to_string),
        exp,
        iat,
        kid,
    })
}

/// [`verify`] bundled with its registry, policy, replay cache and clock: what a token endpoint holds.
///
/// ```
/// use std::sync::Arc;
/// use wipo_oidc::{AssertionSigner, ClientRegistry, ManualClock, SigningKey, Verifier, VerifyPolicy};
/// let clock = Arc::new(ManualClock::at_unix(1_700_000_000));
/// let key = Arc::new(SigningKey::generate().unwrap());
/// let mut registry = ClientRegistry::new();
/// registry.register_key("client-1", key.public_key().clone(), None);
/// let te = "https://login.example/oauth2/access_token";
/// let verifier = Verifier::new(registry, VerifyPolicy::new(te), clock.clone());
/// let signer = AssertionSigner::new(key, "client-1", te).unwrap().with_clock(clock);
/// let jwt = signer.sign().unwrap();
/// assert_eq!(verifier.verify(&jwt).unwrap().client_id, "client-1");
/// assert!(verifier.verify(&jwt).is_err()); // replay
/// ```
pub struct Verifier {
    registry: RwLock<ClientRegistry>,
    policy: VerifyPolicy,
    replay: ReplayCache,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", &self.policy)
            .field("replay", &self.replay)
            .finish()
    }
}

impl Verifier {
    /// Default replay-cache capacity.
    pub const DEFAULT_REPLAY_CAPACITY: usize = 100_000;

    /// A verifier with a replay cache of [`Self::DEFAULT_REPLAY_CAPACITY`] entries.
    pub fn new(registry: ClientRegistry, policy: VerifyPolicy, clock: Arc<dyn Clock>) -> Self {
        Self::with_replay_capacity(registry, policy, clock, Self::DEFAULT_REPLAY_CAPACITY)
    }

    /// A verifier with a replay cache of `capacity` entries.
    pub fn with_replay_capacity(
        registry: ClientRegistry,
        policy: VerifyPolicy,
        clock: Arc<dyn Clock>,
        capacity: usize,
    ) -> Self {
        Self {
            registry: RwLock::new(registry),
            policy,
            replay: ReplayCache::new(capacity),
            clock,
        }
    }

    /// Checks `assertion` now.
    pub fn verify(&self, assertion: &str) -> Result<VerifiedAssertion, VerifyError> {
        let registry = self
            .registry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        verify(
            assertion,
            &registry,
            &self.policy,
            &self.replay,
            self.clock.now_unix(),
        )
    }

    /// Changes the registry (register or remove clients) while serving.
    pub fn update_registry<R>(&self, f: impl FnOnce(&mut ClientRegistry) -> R) -> R {
        let mut registry = self
            .registry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut registry)
    }

    /// The policy.
    pub fn policy(&self) -> &VerifyPolicy {
        &self.policy
    }
}
