//! WIPO's OAuth2 login for machine-to-machine APIs (Hague Web Services, DAS): ES256 keys, FAPI 1.0
//! `private_key_jwt` client assertions, OpenID discovery, a caching token source, and the server
//! side check of assertions.
//!
//! * [`SigningKey`] loads the P-256 private key an office made with WIPO's Appendix A commands
//!   (SEC1 `EC PRIVATE KEY`), or PKCS#8 / encrypted PKCS#8, refusing files others can read.
//! * [`cert::self_signed_certificate`] makes the X.509 certificate an office sends to WIPO;
//!   [`appendix_a`] writes Appendix A's three files in one step and reports what a PEM file holds.
//! * [`AssertionSigner`] signs the client assertion: header `{"alg":"ES256","typ":"JWT"}`, claims
//!   `iss` = `sub` = client id, `aud` = token endpoint, `exp`, `iat`, `jti`; raw r‖s signature.
//! * With the default `client` feature: [`discover`], [`request_token`], [`TokenSource`] and its
//!   on-disk [`TokenCache`] (0600 files shared by later processes).
//! * [`verify`] / [`Verifier`] check assertions against a [`ClientRegistry`] (for emulators and tests).
//!
//! All time comes from a [`Clock`]. `ring` does every signature; RustCrypto crates only parse and
//! write encodings (plus PBES2 decryption of encrypted PKCS#8 keys).
//!
//! ```no_run
//! # #[cfg(feature = "client")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use wipo_oidc::{Endpoint, LoadOptions, SigningKey, TokenSource, TokenSourceConfig};
//!
//! let key = SigningKey::load("hague4offices_private.pem".as_ref(), &LoadOptions::default())?;
//! let config = TokenSourceConfig::new(
//!     Endpoint::Discover { issuer: "https://logindev.wipo.int/am/oauth2".into() },
//!     "das-api-auth",
//! )
//! .with_scope("das-api/das-access");
//! let tokens = TokenSource::new(reqwest::Client::new(), config, Arc::new(key))?;
//! let token = tokens.token().await?;
//! println!("token valid until {}", token.expires_at());
//! # Ok(()) }
//! ```

pub mod appendix_a;
pub mod assertion;
pub mod cert;
mod clock;
pub mod key;
pub mod verifier;

#[cfg(feature = "client")]
mod cache;
#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod source;

pub use assertion::{AssertionError, AssertionSigner, Audience, CLIENT_ASSERTION_TYPE};
pub use clock::{Clock, ManualClock, SystemClock};
pub use key::{
    EcPublicKey, Jwk, KeyError, KeyFormat, LoadOptions, PemObject, SigningKey, load_pem_file,
};
pub use verifier::{
    ClientRegistry, RegisteredKey, ReplayCache, VerifiedAssertion, Verifier, VerifyError,
    VerifyPolicy, verify,
};

#[cfg(feature = "client")]
pub use cache::{TokenCache, TokenCacheError};
#[cfg(feature = "client")]
pub use client::{
    AccessToken, ClientError, DEFAULT_TOKEN_LIFETIME_SECS, ErrorKind, MAX_RESPONSE_BYTES,
    ProviderMetadata, check_url, discover, discovery_url, http_client, http_client_builder,
    request_token,
};
#[cfg(feature = "client")]
pub use source::{CacheKey, Endpoint, TokenSource, TokenSourceConfig};

/// The README's examples, compiled and run as doctests (they use the default `client` feature).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "client"))]
pub struct ReadmeDoctests;
