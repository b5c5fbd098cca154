//! FAPI `private_key_jwt` client assertions (RFC 7523 §2.2, OpenID Connect Core §9): an ES256 JWT
//! that proves to the token endpoint who the client is.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};
use crate::key::{KeyError, SigningKey};

/// The `client_assertion_type` form value for JWT client authentication (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Default assertion lifetime, seconds.
pub const DEFAULT_LIFETIME_SECS: u64 = 60;
/// Longest assertion lifetime this crate signs, seconds.
pub const MAX_LIFETIME_SECS: u64 = 300;

/// Which audience (`aud`) the assertion names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Audience {
    /// The token endpoint exactly as published (WIPO's includes `:443`). The default.
    #[default]
    TokenEndpoint,
    /// The issuer identifier.
    Issuer,
    /// A literal string.
    Literal(String),
}

impl FromStr for Audience {
    type Err = AssertionError;

    /// `token-endpoint`, `issuer`, or any other non-empty string taken literally.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" => Err(AssertionError::EmptyAudience),
            "token-endpoint" => Ok(Self::TokenEndpoint),
            "issuer" => Ok(Self::Issuer),
            other => Ok(Self::Literal(other.to_string())),
        }
    }
}

impl Audience {
    /// The `aud` string for a given issuer and token endpoint.
    pub fn resolve(
        &self,
        issuer: Option<&str>,
        token_endpoint: &str,
    ) -> Result<String, AssertionError> {
        match self {
            Self::TokenEndpoint => Ok(token_endpoint.to_string()),
            Self::Issuer => issuer
                .map(str::to_string)
                .ok_or(AssertionError::IssuerAudienceWithoutIssuer),
            Self::Literal(s) => Ok(s.clone()),
        }
    }
}

/// Why an assertion could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// No client id.
    #[error(
        "the client id is empty; it is the id WIPO assigned to the office (iss and sub of the assertion)"
    )]
    EmptyClientId,
    /// No audience.
    #[error("the assertion audience is empty; use the token endpoint (default), `issuer` or a URL")]
    EmptyAudience,
    /// Audience `issuer` but no issuer configured.
    #[error(
        "audience `issuer` was chosen but no issuer is configured; configure the issuer or use the token endpoint"
    )]
    IssuerAudienceWithoutIssuer,
    /// Lifetime out of range.
    #[error("assertion lifetime {0} s is out of range; choose 1 to {MAX_LIFETIME_SECS} s")]
    Lifetime(u64),
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Not a JWT (when decoding).
    #[error("not a compact JWT: {0}")]
    Malformed(String),
}

/// The JOSE header this crate writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// Always `ES256`.
    pub alg: String,
    /// `JWT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// Key id, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// The claims of a client assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer: the client id.
    pub iss: String,
    /// Subject: the client id.
    pub sub: String,
    /// Audience: one string (the token endpoint by default).
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Unique id (UUIDv4), so the server can reject replays.
    pub jti: String,
}

/// Signs client assertions for one client and audience.
///
/// ```
/// use std::sync::Arc;
/// use wipo_oidc::{AssertionSigner, ManualClock, SigningKey};
/// let key = Arc::new(SigningKey::generate().unwrap());
/// let signer = AssertionSigner::new(key, "das-api-auth", "https://logindev.wipo.int:443/am/oauth2/access_token")
///     .unwrap()
///     .with_clock(Arc::new(ManualClock::at_unix(1_700_000_000)));
/// let jwt = signer.sign().unwrap();
/// let (_, claims) = wipo_oidc::assertion::decode_unverified(&jwt).unwrap();
/// assert_eq!(claims.exp, 1_700_000_060);
/// ```
pub struct AssertionSigner {
    key: Arc<SigningKey>,
    client_id: String,
    audience: String,
    kid: Option<String>,
    lifetime: u64,
    clock: Arc<dyn Clock>,
    header_b64: String,
}

impl fmt::Debug for AssertionSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertionSigner")
            .field("client_id", &self.client_id)
            .field("audience", &self.audience)
            .field("kid", &self.kid)
            .field("lifetime", &self.lifetime)
            .field("key", &self.key)
            .finish()
    }
}

fn encode_header(kid: Option<&str>) -> String {
    let header = Header {
        alg: "ES256".into(),
        typ: Some("JWT".into()),
        kid: kid.map(str::to_string),
    };
    // Serialising this struct of strings cannot fail.
    let json = serde_json::to_vec(&header).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

impl AssertionSigner {
    /// A signer for `client_id` (the `iss` and `sub`) and `audience` (the `aud`), lifetime 60 s,
    /// system clock, no `kid`.
    pub fn new(
        key: Arc<SigningKey>,
        client_id: impl Into<String>,
        audience: impl Into<String>,
    ) -> Result<Self, AssertionError> {
        let client_id = client_id.into();
        let audience = audience.into();
        if client_id.is_empty() {
            return Err(AssertionError::EmptyClientId);
        }
        if audience.is_empty() {
            return Err(AssertionError::EmptyAudience);
        }
        Ok(Self {
            key,
            client_id,
            audience,
            kid: None,
            lifetime: DEFAULT_LIFETIME_SECS,
            clock: Arc::new(SystemClock),
            header_b64: encode_header(None),
        })
    }

    /// Puts `kid` in the header.
    pub fn with_kid(mut self, kid: Option<String>) -> Self {
        self.header_b64 = encode_header(kid.as_deref());
        self.kid = kid;
        self
    }

    /// Sets the lifetime (`exp - iat`), 1 to 300 seconds.
    pub fn with_lifetime(mut self, secs: u64) -> Result<Self, AssertionError> {
        if secs == 0 || secs > MAX_LIFETIME_SECS {
            return Err(AssertionError::Lifetime(secs));
        }
        self.lifetime = secs;
        Ok(self)
    }

    /// Uses `clock` for `iat`/`exp`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client id (`iss`/`sub`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The `aud` value.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A fresh assertion: `iat` = now, `exp` = now + lifetime, `jti` a new UUIDv4.
    pub fn sign(&self) -> Result<String, AssertionError> {
        let now = self.clock.now_unix();
        let jti = uuid::Uuid::new_v4();
        let mut buf = uuid::Uuid::encode_buffer();
        self.sign_claims_at(now, jti.hyphenated().encode_lower(&mut buf))
    }

    /// An assertion with the given `iat` and `jti` (for tests and reproducible examples).
    pub fn sign_claims_at(&self, now: u64, jti: &str) -> Result<String, AssertionError> {
        let claims = Claims {
            iss: self.client_id.clone(),
            sub: self.client_id.clone(),
            aud: self.audience.clone(),
            exp: now.saturating_add(self.lifetime),
            iat: now,
            jti: jti.to_string(),
        };
        let claims_json =
            serde_json::to_vec(&claims).map_err(|e| AssertionError::Malformed(e.to_string()))?;
        let mut jwt =
            String::with_capacity(self.header_b64.len() + claims_json.len() * 4 / 3 + 2 + 88);
        jwt.push_str(&self.header_b64);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims_json, &mut jwt);
        let sig = self.key.sign(jwt.as_bytes())?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut jwt);
        Ok(jwt)
    }
}

/// Splits a compact JWT and decodes header and claims WITHOUT checking the signature (for
/// `ipgate auth assertion --decode` and debugging). Servers use [`crate::verify`].
pub fn decode_unverified(jwt: &str) -> Result<(Header, Claims), AssertionError> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(_s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AssertionError::Malformed(
            "expected three dot-separated parts".into(),
        ));
    };
    let dec = |p: &str| {
        URL_SAFE_NO_PAD
            .decode(p)
            .map_err(|e| AssertionError::Malformed(format!("bad base64url: {e}")))
    };
    let header: Header = serde_json::from_slice(&dec(h)?)
        .map_err(|e| AssertionError::Malformed(format!("bad header: {e}")))?;
    let claims: Claims = serde_json::from_slice(&dec(c)?)
        .map_err(|e| AssertionError::Malformed(format!("bad claims: {e}")))?;
    Ok((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;
    use crate::key::tests::{a3_public, a3_signing_key};
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    const A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

    fn verify_raw(jws: &str) -> bool {
        let (input, sig) = jws.rsplit_once('.').expect("dot");
        let sig = URL_SAFE_NO_PAD.decode(sig).expect("b64");
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, a3_public().sec1_point())
            .verify(input.as_bytes(), &sig)
            .is_ok()
    }

    #[test]
    fn rfc7515_a3_example_signature_verifies_as_raw_r_s() {
        assert!(verify_raw(A3_JWS));
        let tampered = A3_JWS.replace("eyJpc3MiOiJqb2Ui", "eyJpc3MiOiJqb2Ug");
        assert!(!verify_raw(&tampered));
    }

    #[test]
    fn our_signature_over_the_a3_input_verifies_with_the_a3_public_key() {
        let key = a3_signing_key();
        let (input, _) = A3_JWS.rsplit_once('.').expect("dot");
        let sig = key.sign(input.as_bytes()).expect("sign");
        assert_eq!(sig.len(), 64);
        assert!(verify_raw(&format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(sig)
        )));
    }

    #[test]
    fn header_and_claims_are_exact() {
        let clock = Arc::new(ManualClock::at_unix(1_700_000_000));
        let signer = AssertionSigner::new(
            Arc::new(a3_signing_key()),
            "das-api-auth",
            "https://logindev.wipo.int:443/am/oauth2/access_token",
        )
        .expect("signer")
        .with_clock(clock.clone());
        let jwt = signer.sign_claims_at(1_700_000_000, "jti-1").expect("sign");
        let mut parts = jwt.split('.');
        let h = URL_SAFE_NO_PAD
            .decode(parts.next().expect("h"))
            .expect("b64");
        let c = URL_SAFE_NO_PAD
            .decode(parts.next().expect("c"))
            .expect("b64");
        let s = URL_SAFE_NO_PAD
            .decode(parts.next().expect("s"))
            .expect("b64");
        assert_eq!(
            std::str::from_utf8(&h).expect("utf8"),
            r#"{"alg":"ES256","typ":"JWT"}"#
        );
        assert_eq!(
            std::str::from_utf8(&c).expect("utf8"),
            r#"{"iss":"das-api-auth","sub":"das-api-auth","aud":"https://logindev.wipo.int:443/am/oauth2/access_token","exp":1700000060,"iat":1700000000,"jti":"jti-1"}"#
        );
        assert_eq!(s.len(), 64, "raw r||s, never DER");
        assert!(verify_raw(&jwt));

        // sign() takes iat from the clock and a fresh UUIDv4 each time.
        clock.advance(std::time::Duration::from_secs(5));
        let signer = signer
            .with_kid(Some("k1".into()))
            .with_lifetime(300)
            .expect("300 ok");
        let (h1, c1) = decode_unverified(&signer.sign().expect("sign")).expect("decode");
        let (_, c2) = decode_unverified(&signer.sign().expect("sign")).expect("decode");
        assert_eq!(h1.kid.as_deref(), Some("k1"));
        assert_eq!((c1.iat, c1.exp), (1_700_000_005, 1_700_000_305));
        assert_ne!(c1.jti, c2.jti);
        let u = uuid::Uuid::parse_str(&c1.jti).expect("uuid");
        assert_eq!(u.get_version_num(), 4);
    }

    #[test]
    fn lifetime_is_capped_and_inputs_checked() {
        let key = Arc::new(a3_signing_key());
        let s = AssertionSigner::new(key.clone(), "c", "https://x/t").expect("signer");
        assert!(matches!(
            s.with_lifetime(301),
            Err(AssertionError::Lifetime(301))
        ));
        let s = AssertionSigner::new(key.clone(), "c", "https://x/t").expect("signer");
        assert!(matches!(
            s.with_lifetime(0),
            Err(AssertionError::Lifetime(0))
        ));
        assert!(matches!(
            AssertionSigner::new(key.clone(), "", "https://x/t"),
            Err(AssertionError::EmptyClientId)
        ));
        assert!(matches!(
            AssertionSigner::new(key, "c", ""),
            Err(AssertionError::EmptyAudience)
        ));
    }

    #[test]
    fn audience_setting_resolves() {
        let te = "https://h:443/am/oauth2/access_token";
        let iss = "https://h/am/oauth2";
        assert_eq!(
            "token-endpoint"
                .parse::<Audience>()
                .expect("a")
                .resolve(Some(iss), te)
                .expect("r"),
            te
        );
        assert_eq!(
            "issuer"
                .parse::<Audience>()
                .expect("a")
                .resolve(Some(iss), te)
                .expect("r"),
            iss
        );
        assert_eq!(
            "https://aud"
                .parse::<Audience>()
                .expect("a")
                .resolve(None, te)
                .expect("r"),
            "https://aud"
        );
        assert!(Audience::Issuer.resolve(None, te).is_err());
        assert!("".parse::<Audience>().is_err());
    }
}
