//! [`TokenCache`]: access tokens kept on disk between processes, so a short-lived command (each
//! `ipgate` run) does not ask WIPO for a new token every time.
//!
//! One JSON file per [`CacheKey`] (issuer, client id, scope), mode 0600 in a 0700 directory,
//! written atomically ([`ipgate_base::fs`]). A file that is damaged, belongs to someone else or is
//! readable by others is ignored with a warning (and replaced by the next token); the token value
//! never reaches a log, an error message or `Debug` output.

use std::path::{Path, PathBuf};

use ipgate_base::fs::{AtomicWriteError, FileMode, SecretFileError};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::client::AccessToken;
use crate::source::CacheKey;

/// Why a token could not be written to the cache.
#[derive(Debug, thiserror::Error)]
pub enum TokenCacheError {
    /// Creating the directory or writing the file failed.
    #[error("cannot write the token cache: {0}")]
    Write(#[from] AtomicWriteError),
    /// The token could not be serialised (no token content in this message).
    #[error("cannot serialise the token for the cache file {}", path.display())]
    Serialize {
        /// The cache file.
        path: PathBuf,
    },
}

/// The token cache file's content.
#[derive(Serialize, Deserialize)]
struct CachedToken {
    issuer: String,
    client_id: String,
    scope: String,
    access_token: String,
    token_type: String,
    granted_scope: Option<String>,
    obtained_at: u64,
    expires_at: u64,
}

impl Drop for CachedToken {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.access_token.zeroize();
    }
}

/// A directory of cached access tokens, one file per [`CacheKey`]. Give it to a
/// [`TokenSource`](crate::TokenSource) with
/// [`TokenSourceConfig::with_disk_cache`](crate::TokenSourceConfig::with_disk_cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCache {
    dir: PathBuf,
}

impl TokenCache {
    /// Name of the cache's directory under the user's cache directory.
    pub const DIR_NAME: &'static str = "wipo-tokens";

    /// A cache in `dir` (created with mode 0700 on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The user's token cache: `<cache dir>/wipo-tokens`, with the cache directory from
    /// [`ipgate_base::dirs::cache_dir`] (`$IPGATE_CACHE_DIR`, `$XDG_CACHE_HOME/ipgate`,
    /// `~/.cache/ipgate`).
    pub fn user_default() -> Result<Self, ipgate_base::dirs::DirsError> {
        Ok(Self::new(
            ipgate_base::dirs::cache_dir()?.join(Self::DIR_NAME),
        ))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding the token for `key`.
    pub fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.file_stem()))
    }

    /// The token cached for `key`, if there is a usable one (expiry is not checked here). Missing
    /// files give `None` silently; damaged or insecure ones give `None` with a warning.
    pub fn load(&self, key: &CacheKey) -> Option<AccessToken> {
        let path = self.path(key);
        match ipgate_base::fs::check_secret_file(&path) {
            Ok(()) => {}
            Err(SecretFileError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return None;
            }
            Err(e) => {
                tracing::warn!(error = %e, "ignoring the token cache file");
                return None;
            }
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => Zeroizing::new(t),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read the token cache file; ignoring it");
                return None;
            }
        };
        let c: CachedToken = match serde_json::from_str(&text) {
            Ok(c) => c,
            Err(e) => {
                // Position only: serde's message may quote a value, and this file holds a token.
                tracing::warn!(
                    path = %path.display(),
                    line = e.line(),
                    column = e.column(),
                    "ignoring a damaged token cache file (it is replaced by the next token)"
                );
                return None;
            }
        };
        if c.issuer != key.issuer || c.client_id != key.client_id || c.scope != key.scope {
            return None;
        }
        Some(AccessToken::new(
            c.access_token.clone(),
            c.token_type.clone(),
            c.granted_scope.clone(),
            c.obtained_at,
            c.expires_at,
        ))
    }

    /// Writes `token` as the cached token for `key` (0600, atomically).
    pub fn store(&self, key: &CacheKey, token: &AccessToken) -> Result<(), TokenCacheError> {
        ipgate_base::fs::create_private_dir_all(&self.dir)?;
        let path = self.path(key);
        let c = CachedToken {
            issuer: key.issuer.clone(),
            client_id: key.client_id.clone(),
            scope: key.scope.clone(),
            access_token: token.secret().to_string(),
            token_type: token.token_type().to_string(),
            granted_scope: token.scope().map(str::to_string),
            obtained_at: token.obtained_at(),
            expires_at: token.expires_at(),
        };
        let json = Zeroizing::new(
            serde_json::to_vec(&c)
                .map_err(|_| TokenCacheError::Serialize { path: path.clone() })?,
        );
        ipgate_base::fs::write_atomic(&path, &json, FileMode::Private)?;
        Ok(())
    }

    /// Removes the cached token for `key` if it is `token` (the API refused it). Errors are
    /// logged: a stale file is replaced by the next token anyway.
    pub fn forget(&self, key: &CacheKey, token: &AccessToken) {
        if self.load(key).is_some_and(|t| t.same_secret(token)) {
            let path = self.path(key);
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove a refused token from the cache");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn key() -> CacheKey {
        CacheKey {
            issuer: "https://login.example/am/oauth2".into(),
            client_id: "das".into(),
            scope: "das-api/das-access".into(),
        }
    }

    #[test]
    fn round_trip_private_file_keyed_by_issuer_client_scope() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path().join("tokens"));
        let token = AccessToken::new("s3cr3t-value", "Bearer", Some("x".into()), 100, 3700);
        cache.store(&key(), &token).expect("store");
        let path = cache.path(&key());
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(cache.dir())
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        let back = cache.load(&key()).expect("cached");
        assert!(back.same_secret(&token));
        assert_eq!((back.obtained_at(), back.expires_at()), (100, 3700));
        assert_eq!(back.scope(), Some("x"));
        // Another scope is another key (another file), so nothing is found for it.
        let mut other = key();
        other.scope = "other".into();
        assert!(cache.load(&other).is_none());
        // The cache's Debug shows the directory only.
        assert!(!format!("{cache:?}").contains("s3cr3t"));
        cache.forget(&key(), &AccessToken::new("different", "Bearer", None, 1, 2));
        assert!(path.exists(), "a different token is not forgotten");
        cache.forget(&key(), &token);
        assert!(!path.exists());
    }

    #[test]
    fn damaged_insecure_or_mismatched_files_are_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = TokenCache::new(dir.path());
        let path = cache.path(&key());
        std::fs::write(&path, "{ not json").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(cache.load(&key()).is_none());
        let token = AccessToken::new("tok", "Bearer", None, 1, 2);
        cache
            .store(&key(), &token)
            .expect("store replaces the damaged file");
        assert!(cache.load(&key()).is_some());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(cache.load(&key()).is_none(), "readable by others");
        // A file whose content names another key (copied by hand) is not used.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let mut other = key();
        other.client_id = "someone-else".into();
        std::fs::copy(&path, cache.path(&other)).expect("copy");
        assert!(cache.load(&other).is_none());
    }
}
