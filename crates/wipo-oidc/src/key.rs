//! P-256 (ES256) keys: loading private keys from PEM files, public keys from SPKI, certificates and JWKs,
//! fingerprints and RFC 7638 thumbprints.
//!
//! Parsing uses RustCrypto's encoding crates (`sec1`, `pkcs8`, `spki`, `pem-rfc7468`); every signature is
//! made and checked by `ring`. Encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`) is decrypted with the
//! PBES2 code of the `pkcs8` crate's `encryption` feature (PBKDF2 or scrypt, AES-CBC): that is the only
//! place this crate runs crypto that is not `ring`.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use spki::ObjectIdentifier;
use spki::der::{Decode, Encode};
use zeroize::Zeroizing;

/// `id-ecPublicKey` (RFC 5480).
pub(crate) const OID_EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `prime256v1` / `secp256r1` / NIST P-256.
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");

/// Length of an uncompressed SEC1 P-256 point: `0x04 || x || y`.
const POINT_LEN: usize = 65;

/// A name people recognise for an algorithm or curve OID found in a key.
fn describe_oid(oid: &ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.10045.3.1.7" => "EC P-256 (prime256v1)",
        "1.3.132.0.34" => "EC P-384 (secp384r1)",
        "1.3.132.0.35" => "EC P-521 (secp521r1)",
        "1.3.132.0.10" => "EC secp256k1",
        "1.3.36.3.3.2.8.1.1.7" => "EC brainpoolP256r1",
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.2.840.10040.4.1" => "DSA",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        other => return format!("an unknown algorithm or curve (OID {other})"),
    };
    name.to_string()
}

/// Why a key, certificate or JWK could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file or string is not PEM.
    #[error("{source_name} is not a PEM file ({detail}); expected a `-----BEGIN ...-----` block")]
    NotPem {
        /// File name or other description of the input.
        source_name: String,
        /// What the PEM decoder said.
        detail: String,
    },
    /// The PEM block is of another kind than expected.
    #[error("{source_name} holds a `{found}` PEM block; expected {expected}")]
    UnexpectedPemLabel {
        /// File name or other description of the input.
        source_name: String,
        /// The label found after `BEGIN`.
        found: String,
        /// The labels that would have been accepted.
        expected: &'static str,
    },
    /// The key is not an EC P-256 key.
    #[error(
        "{source_name} holds a key of type {found}; WIPO's ES256 login needs an EC P-256 (prime256v1) key"
    )]
    UnsupportedKey {
        /// File name or other description of the input.
        source_name: String,
        /// The key type or curve found.
        found: String,
    },
    /// The DER inside the PEM does not parse.
    #[error("{source_name}: malformed {what}: {detail}")]
    Malformed {
        /// File name or other description of the input.
        source_name: String,
        /// The structure that failed to parse.
        what: &'static str,
        /// The decoder's message.
        detail: String,
    },
    /// The private key lacks its public half (optional in SEC1, needed here).
    #[error("{source_name}: the private key does not contain its public key")]
    MissingPublicKey {
        /// File name or other description of the input.
        source_name: String,
    },
    /// An encrypted key and no passphrase.
    #[error("{source_name} is an encrypted private key and no passphrase was given")]
    PassphraseRequired {
        /// File name or other description of the input.
        source_name: String,
    },
    /// More than one private key in one file: which one is meant is unclear.
    #[error("{source_name} holds {count} private keys; expected exactly one")]
    SeveralKeys {
        /// File name or other description of the input.
        source_name: String,
        /// How many private key blocks were found.
        count: usize,
    },
    /// Decryption failed.
    #[error(
        "{source_name}: cannot decrypt the private key: wrong passphrase or unsupported encryption ({detail})"
    )]
    Decrypt {
        /// File name or other description of the input.
        source_name: String,
        /// What the decoder said (never includes key material).
        detail: String,
    },
    /// `ring` refused the key (for example a public key that does not match the private key).
    #[error("{source_name}: the key is not a valid P-256 key pair ({reason})")]
    Rejected {
        /// File name or other description of the input.
        source_name: String,
        /// ring's reason.
        reason: String,
    },
    /// Reading the file failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file may be read by other users.
    #[error("{} is accessible by group or others (mode {mode:04o}); a private key must be readable by its owner only", path.display())]
    InsecurePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file belongs to another user (who could change it or its mode at will).
    #[error("{} is owned by user id {owner}, not by you (user id {user}); a private key must belong to the user that reads it", path.display())]
    ForeignOwner {
        /// The key file.
        path: PathBuf,
        /// The file's owner.
        owner: u32,
        /// Our effective user id.
        user: u32,
    },
    /// A public key (point, SPKI or JWK) is not usable.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(String),
    /// Signing failed inside ring (should not happen with a valid key).
    #[error("signing failed")]
    Signing,
    /// Certificate generation failed.
    #[error("cannot build the certificate: {0}")]
    Certificate(String),
}

impl KeyError {
    /// How to fix the problem, when there is a known fix.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::InsecurePermissions { path, .. } => Some(format!(
                "run `chmod 600 {}` (or allow insecure key permissions explicitly, not recommended)",
                path.display()
            )),
            Self::ForeignOwner { path, .. } => Some(format!(
                "copy the key to a file of your own and run `chmod 600` on it (e.g. `install -m 600 {} ~/key.pem`)",
                path.display()
            )),
            Self::UnsupportedKey { found, .. }
                if found.contains("without a named curve") || found.contains("explicit") =>
            {
                Some(format!(
                    "if it is a P-256 key, rewrite it with the named curve: {REWRITE_KEY}"
                ))
            }
            Self::UnsupportedKey { .. } => Some(
                "generate a P-256 key: `ipgate keys generate` or `openssl ecparam -genkey -name prime256v1 -noout -out key.pem`"
                    .to_string(),
            ),
            Self::MissingPublicKey { .. } => Some(format!(
                "rewrite the key with its public part: {REWRITE_KEY}"
            )),
            Self::Malformed { what, .. } if what.contains("private key") => Some(format!(
                "if `openssl ec -in KEY.pem -noout -text` reads the key, it uses a form this tool does not (explicit curve parameters, compressed point); rewrite it in the standard form: {REWRITE_KEY}"
            )),
            Self::Rejected { reason, .. } if reason.contains("compressed") => Some(format!(
                "rewrite the key with an uncompressed public point: {REWRITE_KEY}"
            )),
            Self::PassphraseRequired { .. } => Some(
                "supply the passphrase the key was encrypted with (ipgate reads it from IPGATE_KEY_PASSPHRASE)"
                    .to_string(),
            ),
            Self::Decrypt { .. } => Some(
                "check the passphrase (ipgate reads it from IPGATE_KEY_PASSPHRASE); if it is right, re-encrypt the key with a standard cipher: `openssl pkcs8 -topk8 -v2 aes-256-cbc -in KEY.pem -out NEW.pem`"
                    .to_string(),
            ),
            Self::SeveralKeys { .. } => Some(
                "keep one private key per file (the one whose certificate WIPO registered)"
                    .to_string(),
            ),
            Self::UnexpectedPemLabel { expected, .. } if expected.contains("PRIVATE KEY") && !expected.contains("CERTIFICATE") => Some(
                "point to the private key file (`BEGIN EC PRIVATE KEY` or `BEGIN PRIVATE KEY`), not the certificate or public key"
                    .to_string(),
            ),
            Self::UnexpectedPemLabel { expected, .. } => Some(format!(
                "give a PEM file holding {expected}; `ipgate keys inspect FILE` shows what a file holds"
            )),
            Self::NotPem { .. } => Some(
                "give a PEM file (text with a `-----BEGIN ...-----` line); a DER key converts with `openssl ec -inform DER -in KEY.der -out KEY.pem`"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

/// The openssl command that rewrites a P-256 key in the form this crate reads (named curve,
/// uncompressed public point included).
const REWRITE_KEY: &str = "`openssl ec -in KEY.pem -param_enc named_curve -conv_form uncompressed -out NEW.pem` (then chmod 600 NEW.pem)";

/// One decoded PEM block: its label and its DER (zeroized on drop: it may be a private key).
pub(crate) type PemBlock = (String, Zeroizing<Vec<u8>>);

/// Labels of PEM blocks that hold a private key (of any type; unsupported ones are refused later
/// with a message naming the type).
const PRIVATE_KEY_LABELS: [&str; 6] = [
    "EC PRIVATE KEY",
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "RSA PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
];

fn is_private_key_label(label: &str) -> bool {
    PRIVATE_KEY_LABELS.contains(&label)
}

/// Decodes every PEM block in `text` into (label, DER), in file order.
///
/// Text outside the blocks is ignored, as RFC 7468 §2 allows: this accepts what
/// `openssl ecparam -genkey` writes without `-noout` (an `EC PARAMETERS` block before the key), the
/// `Bag Attributes` lines of `openssl pkcs12 -nodes`, and a key and a certificate in one file.
pub(crate) fn decode_pem_blocks(text: &[u8], source_name: &str) -> Result<Vec<PemBlock>, KeyError> {
    let mut blocks = Vec::new();
    let mut pos = 0;
    // (label, offset of the BEGIN line) of the block being read.
    let mut open: Option<(String, usize)> = None;
    while pos < text.len() {
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| pos + i + 1);
        let line = text[pos..end].trim_ascii();
        let boundary = |kind: &[u8]| -> Option<String> {
            line.strip_prefix(kind)
                .and_then(|rest| rest.strip_suffix(b"-----"))
                .map(|label| String::from_utf8_lossy(label).into_owned())
        };
        match &open {
            None => {
                if let Some(label) = boundary(b"-----BEGIN ") {
                    open = Some((label, pos));
                }
            }
            Some((label, start)) => {
                if boundary(b"-----END ").is_some_and(|l| l == *label) {
                    let (found, der) =
                        pem_rfc7468::decode_vec(&text[*start..end]).map_err(|e| {
                            KeyError::NotPem {
                                source_name: source_name.to_string(),
                                detail: format!("the `{label}` block is damaged: {e}"),
                            }
                        })?;
                    blocks.push((found.to_string(), Zeroizing::new(der)));
                    open = None;
                }
            }
        }
        pos = end;
    }
    if let Some((label, _)) = open {
        return Err(KeyError::NotPem {
            source_name: source_name.to_string(),
            detail: format!("the `{label}` block has no `-----END {label}-----` line"),
        });
    }
    if blocks.is_empty() {
        return Err(KeyError::NotPem {
            source_name: source_name.to_string(),
            detail: "no `-----BEGIN ...-----` line found".into(),
        });
    }
    Ok(blocks)
}

/// Decodes the first PEM block in `text` into (label, DER); text around it is ignored.
pub(crate) fn decode_pem(
    text: &[u8],
    source_name: &str,
) -> Result<(String, Zeroizing<Vec<u8>>), KeyError> {
    decode_pem_blocks(text, source_name)?
        .into_iter()
        .next()
        .ok_or_else(|| KeyError::NotPem {
            source_name: source_name.to_string(),
            detail: "no `-----BEGIN ...-----` line found".into(),
        })
}

/// The labels of `blocks`, for error messages: `PUBLIC KEY`, `CERTIFICATE`.
fn labels(blocks: &[PemBlock]) -> String {
    blocks
        .iter()
        .map(|(l, _)| l.as_str())
        .collect::<Vec<_>>()
        .join("`, `")
}

/// An uncompressed P-256 public key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EcPublicKey {
    point: [u8; POINT_LEN],
}

impl fmt::Debug for EcPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcPublicKey")
            .field("jwk_thumbprint", &self.jwk_thumbprint())
            .finish()
    }
}

impl EcPublicKey {
    /// From an uncompressed SEC1 point (`0x04 || x || y`, 65 bytes).
    pub fn from_sec1_point(bytes: &[u8]) -> Result<Self, KeyError> {
        match bytes.first() {
            Some(0x04) if bytes.len() == POINT_LEN => {}
            Some(0x02 | 0x03) => {
                return Err(KeyError::InvalidPublicKey(
                    "compressed EC points are not supported; use the uncompressed form".into(),
                ));
            }
            _ => {
                return Err(KeyError::InvalidPublicKey(format!(
                    "expected a 65-byte uncompressed P-256 point, found {} bytes",
                    bytes.len()
                )));
            }
        }
        let mut point = [0u8; POINT_LEN];
        point.copy_from_slice(bytes);
        Ok(Self { point })
    }

    /// From the affine coordinates, 32 bytes each.
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Result<Self, KeyError> {
        if x.len() != 32 || y.len() != 32 {
            return Err(KeyError::InvalidPublicKey(format!(
                "P-256 coordinates are 32 bytes each, found {} and {}",
                x.len(),
                y.len()
            )));
        }
        let mut point = [0u8; POINT_LEN];
        point[0] = 0x04;
        point[1..33].copy_from_slice(x);
        point[33..].copy_from_slice(y);
        Ok(Self { point })
    }

    /// From a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki =
            spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|e| KeyError::Malformed {
                source_name: "public key".into(),
                what: "SubjectPublicKeyInfo",
                detail: e.to_string(),
            })?;
        Self::from_spki_parts(
            &spki.algorithm.oid,
            spki.algorithm.parameters_oid().ok(),
            spki.subject_public_key.raw_bytes(),
            "public key",
        )
    }

    pub(crate) fn from_spki_parts(
        alg: &ObjectIdentifier,
        curve: Option<ObjectIdentifier>,
        point: &[u8],
        source_name: &str,
    ) -> Result<Self, KeyError> {
        if *alg != OID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: describe_oid(alg),
            });
        }
        match curve {
            Some(c) if c == OID_P256 => Self::from_sec1_point(point),
            Some(c) => Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: describe_oid(&c),
            }),
            None => Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: "EC with explicit or missing curve parameters".into(),
            }),
        }
    }

    /// From a `BEGIN PUBLIC KEY` PEM (what `openssl ec -pubout` writes).
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = decode_pem(pem.as_bytes(), "public key")?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::UnexpectedPemLabel {
                source_name: "public key".into(),
                found: label,
                expected: "`PUBLIC KEY`",
            });
        }
        Self::from_spki_der(&der)
    }

    /// From a public JWK (`kty` `EC`, `crv` `P-256`). A JWK carrying the private `d` is refused
    /// by [`EcPublicKey::from_jwk_json`]; [`Jwk`] itself has no field for it.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, KeyError> {
        if jwk.kty != "EC" {
            return Err(KeyError::UnsupportedKey {
                source_name: "JWK".into(),
                found: format!("kty {:?}", jwk.kty),
            });
        }
        if jwk.crv.as_deref() != Some("P-256") {
            return Err(KeyError::UnsupportedKey {
                source_name: "JWK".into(),
                found: format!("EC curve {:?}", jwk.crv.as_deref().unwrap_or("(none)")),
            });
        }
        if let Some(u) = &jwk.key_use
            && u != "sig"
        {
            return Err(KeyError::InvalidPublicKey(format!(
                "JWK use {u:?} is not `sig`; a signature key is needed"
            )));
        }
        if let Some(alg) = &jwk.alg
            && alg != "ES256"
        {
            return Err(KeyError::InvalidPublicKey(format!(
                "JWK says alg {alg:?}; expected ES256"
            )));
        }
        let decode = |name: &str, v: &Option<String>| -> Result<Vec<u8>, KeyError> {
            let v = v
                .as_deref()
                .ok_or_else(|| KeyError::InvalidPublicKey(format!("JWK has no `{name}`")))?;
            URL_SAFE_NO_PAD.decode(v).map_err(|e| {
                KeyError::InvalidPublicKey(format!("JWK `{name}` is not base64url: {e}"))
            })
        };
        Self::from_coordinates(&decode("x", &jwk.x)?, &decode("y", &jwk.y)?)
    }

    /// From JWK JSON text; refuses a private JWK (one with `d`).
    pub fn from_jwk_json(json: &str) -> Result<(Self, Jwk), KeyError> {
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| KeyError::InvalidPublicKey(format!("JWK is not JSON: {e}")))?;
        if value.get("d").is_some() {
            return Err(KeyError::InvalidPublicKey(
                "the JWK contains the private key (`d`); give the public JWK only".into(),
            ));
        }
        let jwk: Jwk = serde_json::from_value(value)
            .map_err(|e| KeyError::InvalidPublicKey(format!("not a JWK: {e}")))?;
        Ok((Self::from_jwk(&jwk)?, jwk))
    }

    /// The uncompressed SEC1 point, as ring wants it.
    pub fn sec1_point(&self) -> &[u8] {
        &self.point
    }

    /// The public JWK (`kty`, `crv`, `x`, `y`).
    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some(URL_SAFE_NO_PAD.encode(&self.point[1..33])),
            y: Some(URL_SAFE_NO_PAD.encode(&self.point[33..])),
            kid: None,
            key_use: None,
            alg: None,
        }
    }

    /// RFC 7638 JWK thumbprint: base64url(SHA-256 of `{"crv","kty","x","y"}` in that order, no spaces).
    pub fn jwk_thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(&self.point[1..33]),
            URL_SAFE_NO_PAD.encode(&self.point[33..])
        );
        URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ))
    }

    /// DER `SubjectPublicKeyInfo`.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, KeyError> {
        let params = spki::der::asn1::AnyRef::from(&OID_P256);
        let info = spki::SubjectPublicKeyInfoRef {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: OID_EC_PUBLIC_KEY,
                parameters: Some(params),
            },
            subject_public_key: spki::der::asn1::BitStringRef::from_bytes(&self.point)
                .map_err(|e| KeyError::InvalidPublicKey(e.to_string()))?,
        };
        info.to_der()
            .map_err(|e| KeyError::InvalidPublicKey(e.to_string()))
    }

    /// `BEGIN PUBLIC KEY` PEM, as `openssl ec -pubout` writes it.
    pub fn to_spki_pem(&self) -> Result<String, KeyError> {
        let der = self.to_spki_der()?;
        pem_rfc7468::encode_string("PUBLIC KEY", pem_rfc7468::LineEnding::LF, &der)
            .map_err(|e| KeyError::InvalidPublicKey(e.to_string()))
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo, as colon-separated upper-case hex.
    pub fn spki_sha256_fingerprint(&self) -> Result<String, KeyError> {
        Ok(colon_hex(
            ring::digest::digest(&ring::digest::SHA256, &self.to_spki_der()?).as_ref(),
        ))
    }
}

/// Bytes as `AB:CD:...`, the way `openssl x509 -fingerprint` prints them.
pub fn colon_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// A public JSON Web Key (RFC 7517), EC only fields. Never holds private material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type; `EC` for the keys this crate accepts.
    pub kty: String,
    /// Curve; `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// x coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// y coordinate, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Intended use (`sig`).
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// Algorithm (`ES256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// Where a private key came from, as reported by [`SigningKey::load`] and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyFormat {
    /// `BEGIN EC PRIVATE KEY` (RFC 5915), what `openssl ecparam -genkey` writes.
    Sec1,
    /// `BEGIN PRIVATE KEY` (PKCS#8).
    Pkcs8,
    /// `BEGIN ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2).
    EncryptedPkcs8,
    /// Generated in memory.
    Generated,
}

/// Options for [`SigningKey::load`].
#[derive(Default)]
pub struct LoadOptions {
    /// Passphrase for an encrypted PKCS#8 key.
    pub passphrase: Option<Zeroizing<String>>,
    /// Accept a key file readable by group or others (like ssh, refused by default).
    pub allow_insecure_permissions: bool,
}

impl fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadOptions")
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "allow_insecure_permissions",
                &self.allow_insecure_permissions,
            )
            .finish()
    }
}

/// An ES256 private key, ready to sign. Debug output shows the public thumbprint only.
pub struct SigningKey {
    pair: EcdsaKeyPair,
    scalar: Zeroizing<[u8; 32]>,
    public: EcPublicKey,
    format: KeyFormat,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("format", &self.format)
            .field("jwk_thumbprint", &self.public.jwk_thumbprint())
            .field("private", &"<redacted>")
            .finish()
    }
}

impl SigningKey {
    /// A fresh random P-256 key (ring's `SystemRandom`).
    pub fn generate() -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).map_err(|_| {
                KeyError::Rejected {
                    source_name: "generated key".into(),
                    reason: "ring could not generate a key".into(),
                }
            })?;
        let mut key = Self::from_pkcs8_der(doc.as_ref(), "generated key")?;
        key.format = KeyFormat::Generated;
        Ok(key)
    }

    /// Loads a key file, refusing one that group or others may read (unless allowed in `options`).
    ///
    /// A file that holds no private key at all (say the certificate, mode 0644) is reported as
    /// such, not as a permission problem.
    pub fn load(path: &Path, options: &LoadOptions) -> Result<Self, KeyError> {
        let text = Zeroizing::new(std::fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?);
        let source_name = path.display().to_string();
        let blocks = decode_pem_blocks(&text, &source_name)?;
        if !blocks.iter().any(|(l, _)| is_private_key_label(l)) {
            return Err(KeyError::UnexpectedPemLabel {
                source_name,
                found: labels(&blocks),
                expected: "`EC PRIVATE KEY`, `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`",
            });
        }
        drop(blocks);
        check_key_permissions(path, options.allow_insecure_permissions)?;
        Self::from_pem_named(
            &text,
            options.passphrase.as_ref().map(|p| p.as_bytes()),
            &source_name,
        )
    }

    /// Parses a PEM private key: SEC1 (`EC PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`) or encrypted PKCS#8
    /// (`ENCRYPTED PRIVATE KEY`, needs `passphrase`).
    ///
    /// ```
    /// let key = wipo_oidc::SigningKey::generate().unwrap();
    /// let pem = key.to_sec1_pem().unwrap();
    /// let again = wipo_oidc::SigningKey::from_pem(&pem, None).unwrap();
    /// assert_eq!(key.public_key(), again.public_key());
    /// ```
    pub fn from_pem(pem: &str, passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        Self::from_pem_named(pem.as_bytes(), passphrase, "private key")
    }

    fn from_pem_named(
        pem: &[u8],
        passphrase: Option<&[u8]>,
        source_name: &str,
    ) -> Result<Self, KeyError> {
        let blocks = decode_pem_blocks(pem, source_name)?;
        let mut keys = blocks.iter().filter(|(l, _)| is_private_key_label(l));
        let (label, der) = match (keys.next(), keys.next()) {
            (Some(one), None) => one,
            (Some(_), Some(_)) => {
                return Err(KeyError::SeveralKeys {
                    source_name: source_name.to_string(),
                    count: blocks
                        .iter()
                        .filter(|(l, _)| is_private_key_label(l))
                        .count(),
                });
            }
            (None, _) => {
                return Err(KeyError::UnexpectedPemLabel {
                    source_name: source_name.to_string(),
                    found: labels(&blocks),
                    expected: "`EC PRIVATE KEY`, `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`",
                });
            }
        };
        match label.as_str() {
            "EC PRIVATE KEY" => Self::from_sec1_der(der, source_name),
            "PRIVATE KEY" => Self::from_pkcs8_der(der, source_name),
            "ENCRYPTED PRIVATE KEY" => {
                let passphrase = passphrase.ok_or_else(|| KeyError::PassphraseRequired {
                    source_name: source_name.to_string(),
                })?;
                let info =
                    pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|e| {
                        KeyError::Malformed {
                            source_name: source_name.to_string(),
                            what: "encrypted PKCS#8",
                            detail: e.to_string(),
                        }
                    })?;
                let plain = info.decrypt(passphrase).map_err(|e| KeyError::Decrypt {
                    source_name: source_name.to_string(),
                    detail: e.to_string(),
                })?;
                let mut key = Self::from_pkcs8_der(plain.as_bytes(), source_name)?;
                key.format = KeyFormat::EncryptedPkcs8;
                Ok(key)
            }
            "RSA PRIVATE KEY" => Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: "RSA".into(),
            }),
            "DSA PRIVATE KEY" => Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: "DSA".into(),
            }),
            "OPENSSH PRIVATE KEY" => Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: "an OpenSSH private key (convert it to PEM with `ssh-keygen -p -m PEM`)"
                    .into(),
            }),
            _ => Err(KeyError::UnexpectedPemLabel {
                source_name: source_name.to_string(),
                found: label.clone(),
                expected: "`EC PRIVATE KEY`, `PRIVATE KEY` or `ENCRYPTED PRIVATE KEY`",
            }),
        }
    }

    /// From DER SEC1 `ECPrivateKey` (RFC 5915).
    pub fn from_sec1_der(der: &[u8], source_name: &str) -> Result<Self, KeyError> {
        let ec = sec1::EcPrivateKey::try_from(der).map_err(|e| KeyError::Malformed {
            source_name: source_name.to_string(),
            what: "SEC1 EC private key",
            detail: e.to_string(),
        })?;
        require_p256(ec.parameters.and_then(|p| p.named_curve()), source_name)?;
        Self::from_ec_private_key(&ec, KeyFormat::Sec1, source_name)
    }

    /// From DER PKCS#8 `PrivateKeyInfo` (v1 or v2).
    pub fn from_pkcs8_der(der: &[u8], source_name: &str) -> Result<Self, KeyError> {
        let info = pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| KeyError::Malformed {
            source_name: source_name.to_string(),
            what: "PKCS#8 private key",
            detail: e.to_string(),
        })?;
        if info.algorithm.oid != OID_EC_PUBLIC_KEY {
            return Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: describe_oid(&info.algorithm.oid),
            });
        }
        let outer_curve = info.algorithm.parameters_oid().ok();
        let ec =
            sec1::EcPrivateKey::try_from(info.private_key).map_err(|e| KeyError::Malformed {
                source_name: source_name.to_string(),
                what: "EC private key inside PKCS#8",
                detail: e.to_string(),
            })?;
        let inner_curve = ec.parameters.and_then(|p| p.named_curve());
        require_p256(outer_curve.or(inner_curve), source_name)?;
        if let Some(inner) = inner_curve
            && inner != OID_P256
        {
            return Err(KeyError::UnsupportedKey {
                source_name: source_name.to_string(),
                found: describe_oid(&inner),
            });
        }
        let public = ec.public_key.or(info.public_key).map(<[u8]>::to_vec);
        let ec = sec1::EcPrivateKey {
            public_key: public.as_deref(),
            ..ec
        };
        Self::from_ec_private_key(&ec, KeyFormat::Pkcs8, source_name)
    }

    fn from_ec_private_key(
        ec: &sec1::EcPrivateKey<'_>,
        format: KeyFormat,
        source_name: &str,
    ) -> Result<Self, KeyError> {
        if ec.private_key.len() > 32 || ec.private_key.is_empty() {
            return Err(KeyError::Malformed {
                source_name: source_name.to_string(),
                what: "EC private key",
                detail: format!(
                    "a P-256 private scalar is 32 bytes, found {}",
                    ec.private_key.len()
                ),
            });
        }
        let mut scalar = Zeroizing::new([0u8; 32]);
        scalar[32 - ec.private_key.len()..].copy_from_slice(ec.private_key);
        let point = ec.public_key.ok_or_else(|| KeyError::MissingPublicKey {
            source_name: source_name.to_string(),
        })?;
        let public = EcPublicKey::from_sec1_point(point).map_err(|e| KeyError::Rejected {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar.as_slice(),
            public.sec1_point(),
            &rng,
        )
        .map_err(|e| KeyError::Rejected {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
        debug_assert_eq!(pair.public_key().as_ref(), public.sec1_point());
        Ok(Self {
            pair,
            scalar,
            public,
            format,
        })
    }

    /// The public half.
    pub fn public_key(&self) -> &EcPublicKey {
        &self.public
    }

    /// The format the key was read from.
    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// ES256 signature of `message`: raw `r || s`, 64 bytes (JWS form, never DER).
    pub fn sign(&self, message: &[u8]) -> Result<[u8; 64], KeyError> {
        let rng = SystemRandom::new();
        let sig = self
            .pair
            .sign(&rng, message)
            .map_err(|_| KeyError::Signing)?;
        let mut out = [0u8; 64];
        if sig.as_ref().len() != 64 {
            return Err(KeyError::Signing);
        }
        out.copy_from_slice(sig.as_ref());
        Ok(out)
    }

    fn ec_private_key_der(&self, with_params: bool) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let ec = sec1::EcPrivateKey {
            private_key: self.scalar.as_slice(),
            parameters: with_params.then_some(sec1::EcParameters::NamedCurve(OID_P256)),
            public_key: Some(self.public.sec1_point()),
        };
        ec.to_der()
            .map(Zeroizing::new)
            .map_err(|e| KeyError::Certificate(format!("cannot encode the private key: {e}")))
    }

    /// SEC1 PEM (`BEGIN EC PRIVATE KEY`), byte-compatible with `openssl ecparam -genkey -noout`.
    pub fn to_sec1_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let der = self.ec_private_key_der(true)?;
        pem_rfc7468::encode_string("EC PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
            .map(Zeroizing::new)
            .map_err(|e| KeyError::Certificate(e.to_string()))
    }

    /// PKCS#8 v1 DER, for libraries that want it (ring, rcgen).
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let inner = self.ec_private_key_der(false)?;
        let params = spki::der::asn1::AnyRef::from(&OID_P256);
        let info = pkcs8::PrivateKeyInfo {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: OID_EC_PUBLIC_KEY,
                parameters: Some(params),
            },
            private_key: &inner,
            public_key: None,
        };
        info.to_der()
            .map(Zeroizing::new)
            .map_err(|e| KeyError::Certificate(format!("cannot encode the private key: {e}")))
    }
}

/// Whatever a PEM file holds, as far as this crate understands it.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum PemObject {
    /// A P-256 private key (permissions were checked).
    PrivateKey(SigningKey),
    /// A P-256 public key (`BEGIN PUBLIC KEY`).
    PublicKey(EcPublicKey),
    /// An X.509 certificate with a P-256 key.
    Certificate(crate::cert::CertificateInfo),
}

/// Reads a PEM file holding a private key, a public key or a certificate. Private key files are
/// subject to [`check_key_permissions`]; the others are public and are not.
pub fn load_pem_file(path: &Path, options: &LoadOptions) -> Result<PemObject, KeyError> {
    let text = Zeroizing::new(std::fs::read(path).map_err(|source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    })?);
    let source_name = path.display().to_string();
    let blocks = decode_pem_blocks(&text, &source_name)?;
    // A private key wins (a file may hold a key and its certificate); then a public key; then the
    // first certificate (of a chain).
    if blocks.iter().any(|(l, _)| is_private_key_label(l)) {
        check_key_permissions(path, options.allow_insecure_permissions)?;
        return SigningKey::from_pem_named(
            &text,
            options.passphrase.as_ref().map(|p| p.as_bytes()),
            &source_name,
        )
        .map(PemObject::PrivateKey);
    }
    if let Some((_, der)) = blocks.iter().find(|(l, _)| l == "PUBLIC KEY") {
        return EcPublicKey::from_spki_der(der).map(PemObject::PublicKey);
    }
    if let Some((_, der)) = blocks.iter().find(|(l, _)| l == "CERTIFICATE") {
        return crate::cert::parse_certificate_der(der).map(PemObject::Certificate);
    }
    Err(KeyError::UnexpectedPemLabel {
        source_name,
        found: labels(&blocks),
        expected: "a private key, `PUBLIC KEY` or `CERTIFICATE`",
    })
}

/// Refuses a key file that group or others may access, or that another user owns, like ssh
/// (the one check, [`ipgate_base::fs::check_secret_file`]). With `allow_insecure` those two
/// refusals become a warning. No-op on non-Unix systems.
pub fn check_key_permissions(path: &Path, allow_insecure: bool) -> Result<(), KeyError> {
    use ipgate_base::fs::SecretFileError;
    let refusal = match ipgate_base::fs::check_secret_file(path) {
        Ok(()) => return Ok(()),
        Err(SecretFileError::Io { path, source }) => return Err(KeyError::Io { path, source }),
        Err(SecretFileError::NotAFile { path }) => {
            return Err(KeyError::Io {
                path,
                source: std::io::Error::other("not a regular file"),
            });
        }
        Err(SecretFileError::GroupOrOtherAccess { path, mode }) => {
            KeyError::InsecurePermissions { path, mode }
        }
        Err(SecretFileError::OwnedByOtherUser { path, owner, user }) => {
            KeyError::ForeignOwner { path, owner, user }
        }
    };
    if allow_insecure {
        tracing::warn!(path = %path.display(), problem = %refusal, "insecure key file allowed by configuration");
        Ok(())
    } else {
        Err(refusal)
    }
}

/// Accepts only P-256 (`prime256v1`); any other named curve, or none, is refused naming what was found.
fn require_p256(curve: Option<ObjectIdentifier>, source_name: &str) -> Result<(), KeyError> {
    match curve {
        Some(c) if c == OID_P256 => Ok(()),
        Some(c) => Err(KeyError::UnsupportedKey {
            source_name: source_name.to_string(),
            found: describe_oid(&c),
        }),
        None => Err(KeyError::UnsupportedKey {
            source_name: source_name.to_string(),
            found: "EC key without a named curve".into(),
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // RFC 7515 Appendix A.3 key.
    const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    const A3_D: &str = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
    const A3_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n-----END PUBLIC KEY-----\n";

    pub(crate) fn a3_public() -> EcPublicKey {
        EcPublicKey::from_jwk(&Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some(A3_X.into()),
            y: Some(A3_Y.into()),
            kid: None,
            key_use: None,
            alg: None,
        })
        .expect("A.3 JWK")
    }

    pub(crate) fn a3_signing_key() -> SigningKey {
        let d = URL_SAFE_NO_PAD.decode(A3_D).expect("d");
        let public = a3_public();
        let ec = sec1::EcPrivateKey {
            private_key: &d,
            parameters: Some(sec1::EcParameters::NamedCurve(OID_P256)),
            public_key: Some(public.sec1_point()),
        };
        let der = ec.to_der().expect("der");
        SigningKey::from_sec1_der(&der, "A.3").expect("A.3 key")
    }

    #[test]
    fn spki_encoding_matches_rfc7515_a3_pem() {
        let public = a3_public();
        assert_eq!(public.to_spki_pem().expect("pem"), A3_SPKI_PEM);
        assert_eq!(
            EcPublicKey::from_spki_pem(A3_SPKI_PEM).expect("parse"),
            public
        );
    }

    #[test]
    fn a3_private_key_roundtrips_through_sec1_and_pkcs8() {
        let key = a3_signing_key();
        assert_eq!(key.public_key(), &a3_public());
        let sec1 = key.to_sec1_pem().expect("sec1");
        assert!(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        let again = SigningKey::from_pem(&sec1, None).expect("reload");
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.format(), KeyFormat::Sec1);
        let pkcs8 = key.to_pkcs8_der().expect("pkcs8");
        let again = SigningKey::from_pkcs8_der(&pkcs8, "x").expect("reload pkcs8");
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(again.format(), KeyFormat::Pkcs8);
    }

    #[test]
    fn a_public_key_that_does_not_match_the_private_key_is_rejected() {
        let d = URL_SAFE_NO_PAD.decode(A3_D).expect("d");
        let other = SigningKey::generate().expect("key");
        let ec = sec1::EcPrivateKey {
            private_key: &d,
            parameters: Some(sec1::EcParameters::NamedCurve(OID_P256)),
            public_key: Some(other.public_key().sec1_point()),
        };
        let der = ec.to_der().expect("der");
        assert!(matches!(
            SigningKey::from_sec1_der(&der, "mixed"),
            Err(KeyError::Rejected { .. })
        ));
    }

    #[test]
    fn debug_output_redacts_private_material() {
        let key = a3_signing_key();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("<redacted>"), "{dbg}");
        let d_hex: String = URL_SAFE_NO_PAD
            .decode(A3_D)
            .expect("d")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!dbg.contains(A3_D) && !dbg.to_lowercase().contains(&d_hex[..16]));
        let opts = LoadOptions {
            passphrase: Some(Zeroizing::new("hunter2".into())),
            allow_insecure_permissions: false,
        };
        assert!(!format!("{opts:?}").contains("hunter2"));
    }

    #[test]
    fn jwk_thumbprint_is_rfc7638_canonical_sha256() {
        let public = a3_public();
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{A3_X}","y":"{A3_Y}"}}"#);
        let expected = URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA256,
            canonical.as_bytes(),
        ));
        assert_eq!(public.jwk_thumbprint(), expected);
        assert_eq!(public.jwk_thumbprint().len(), 43);
    }

    #[test]
    fn rejects_bad_public_keys_and_private_jwks() {
        assert!(matches!(
            EcPublicKey::from_sec1_point(&[0x02; 33]),
            Err(KeyError::InvalidPublicKey(m)) if m.contains("compressed")
        ));
        assert!(EcPublicKey::from_sec1_point(&[0x04; 64]).is_err());
        let private =
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{A3_X}","y":"{A3_Y}","d":"{A3_D}"}}"#);
        assert!(matches!(
            EcPublicKey::from_jwk_json(&private),
            Err(KeyError::InvalidPublicKey(m)) if m.contains("`d`")
        ));
        let p384 = format!(r#"{{"kty":"EC","crv":"P-384","x":"{A3_X}","y":"{A3_Y}"}}"#);
        assert!(matches!(
            EcPublicKey::from_jwk_json(&p384),
            Err(KeyError::UnsupportedKey { found, .. }) if found.contains("P-384")
        ));
        let enc = format!(r#"{{"kty":"EC","crv":"P-256","x":"{A3_X}","y":"{A3_Y}","use":"enc"}}"#);
        assert!(matches!(
            EcPublicKey::from_jwk_json(&enc),
            Err(KeyError::InvalidPublicKey(m)) if m.contains("sig")
        ));
        let ok = format!(
            r#"{{"kty":"EC","crv":"P-256","x":"{A3_X}","y":"{A3_Y}","use":"sig","alg":"ES256","kid":"a3"}}"#
        );
        let (key, jwk) = EcPublicKey::from_jwk_json(&ok).expect("public JWK");
        assert_eq!(key, a3_public());
        assert_eq!(jwk.kid.as_deref(), Some("a3"));
        let rsa = r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#;
        assert!(matches!(
            EcPublicKey::from_jwk_json(rsa),
            Err(KeyError::UnsupportedKey { found, .. }) if found.contains("RSA")
        ));
    }

    #[test]
    fn pem_errors_name_what_was_found() {
        let err = SigningKey::from_pem("hello", None).expect_err("not pem");
        assert!(matches!(err, KeyError::NotPem { .. }));
        let err = SigningKey::from_pem(A3_SPKI_PEM, None).expect_err("public key");
        assert!(
            matches!(&err, KeyError::UnexpectedPemLabel { found, .. } if found == "PUBLIC KEY"),
            "{err}"
        );
        assert!(err.hint().is_some());
    }

    #[test]
    fn colon_hex_formats_like_openssl() {
        assert_eq!(colon_hex(&[0xab, 0x01, 0xff]), "AB:01:FF");
        assert_eq!(colon_hex(&[]), "");
    }
}
