//! The sandbox's persistent state: one SQLite database in the state directory (WAL, so a crash
//! never leaves a half-written record, and a `register-client` run by another process while the
//! server runs is seen by the server's next token request).
//!
//! Tables: registered clients and Innography consumers, issued tokens (by SHA-256, never the
//! token itself), imports (with the package's SHA-256 and the validation outcome), service
//! requests, published weeks, and counters. Received packages are kept as files next to it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use hws_client::wire::RejectionReason;

/// The database file name inside the state directory.
pub const DB_FILE: &str = "sandbox.sqlite3";

/// Why the state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The state directory could not be created.
    #[error("cannot create the state directory {}: {source}", path.display())]
    Dir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: ipgate_base::fs::AtomicWriteError,
    },
    /// SQLite failed.
    #[error("the sandbox state database {} failed: {source}; if it is damaged, remove the state directory or run `ipgate sandbox admin reset`", path.display())]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A stored value could not be decoded.
    #[error("the sandbox state database {} holds a damaged {what}; remove the state directory to start afresh", path.display())]
    Damaged {
        /// The database.
        path: PathBuf,
        /// What.
        what: &'static str,
    },
    /// A file of the state directory could not be written or read.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A client registered for WIPO's login (what WIPO does with the form and certificate of the
/// HWS document's Appendix A and B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientRecord {
    /// The client ID.
    pub client_id: String,
    /// The X.509 certificate (PEM) holding its ES256 public key.
    pub cert_pem: String,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Addresses it may call the token endpoint from ("the request must come from the
    /// whitelisted IP", HWS document).
    pub allowed_ips: Vec<String>,
    /// May download confidential copies (examining offices only).
    pub examining_office: bool,
    /// The office's WIPO ST.3 code: the receiving office of its confidential copies.
    pub office_code: String,
}

/// A received package and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportRecord {
    /// Sequence number (1, 2, ...).
    pub seq: i64,
    /// Its import ID.
    pub import_id: String,
    /// The client that sent it.
    pub client_id: String,
    /// SHA-256 of the package, hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// When it was received (milliseconds since the epoch, sandbox clock).
    pub received_ms: i64,
    /// Whether `hague-package` found no error.
    pub valid: bool,
    /// The errors, rule by rule (empty when valid).
    pub reasons: Vec<StoredReason>,
    /// The earlier import with the same SHA-256, if any.
    pub duplicate_of: Option<String>,
    /// The service request made of it (valid packages only; revealed once imported).
    pub srn: Option<String>,
}

/// A rejection reason as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredReason {
    /// Rule id.
    pub rule: String,
    /// Message.
    pub message: String,
    /// Location.
    pub location: Option<String>,
}

impl From<&StoredReason> for RejectionReason {
    fn from(r: &StoredReason) -> Self {
        RejectionReason {
            rule: r.rule.clone(),
            message: r.message.clone(),
            location: r.location.clone(),
        }
    }
}

/// A service request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SrRecord {
    /// Its SRN.
    pub srn: String,
    /// The import it came from.
    pub import_id: String,
    /// The Request ID (`com:RecordIdentifier`).
    pub record_id: String,
    /// The IRN it gets when registered.
    pub irn: String,
    /// A status forced through the admin API, and when.
    pub forced: Option<(String, i64)>,
}

/// The state.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    dir: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clients (
  client_id TEXT PRIMARY KEY, cert_pem TEXT NOT NULL, scopes TEXT NOT NULL,
  allowed_ips TEXT NOT NULL, examining_office INTEGER NOT NULL, office_code TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS consumers (username TEXT PRIMARY KEY, secret BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
  token_sha256 TEXT PRIMARY KEY, client_id TEXT NOT NULL, scope TEXT NOT NULL,
  expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS imports (
  seq INTEGER PRIMARY KEY, import_id TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
  sha256 TEXT NOT NULL, size INTEGER NOT NULL, received_ms INTEGER NOT NULL,
  valid INTEGER NOT NULL, reasons TEXT NOT NULL, duplicate_of TEXT, srn TEXT);
CREATE INDEX IF NOT EXISTS imports_sha ON imports(sha256);
CREATE TABLE IF NOT EXISTS service_requests (
  srn TEXT PRIMARY KEY, import_id TEXT NOT NULL, record_id TEXT NOT NULL, irn TEXT NOT NULL,
  forced_status TEXT, forced_ms INTEGER);
CREATE TABLE IF NOT EXISTS published_weeks (week TEXT PRIMARY KEY, published_ms INTEGER NOT NULL);
";

fn join(v: &[String]) -> String {
    v.join(" ")
}

fn split(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

impl Store {
    /// Opens (creating) the state in `dir`.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        ipgate_base::fs::create_private_dir_all(dir).map_err(|source| StoreError::Dir {
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        restrict(&path);
        Ok(Store {
            path,
            dir: dir.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut c = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut c).map_err(|e| self.sql(e))
    }

    /// Registers (or replaces) a client.
    pub fn put_client(&self, c: &ClientRecord) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO clients VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    c.client_id,
                    c.cert_pem,
                    join(&c.scopes),
                    join(&c.allowed_ips),
                    c.examining_office,
                    c.office_code
                ],
            )
            .map(|_| ())
        })
    }

    /// One client.
    pub fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StoreError> {
        self.with(|db| {
            db.query_row(
                "SELECT client_id, cert_pem, scopes, allowed_ips, examining_office, office_code FROM clients WHERE client_id = ?1",
                params![client_id],
                row_client,
            )
            .optional()
        })
    }

    /// Every client.
    pub fn clients(&self) -> Result<Vec<ClientRecord>, StoreError> {
        self.with(|db| {
            let mut st = db.prepare(
                "SELECT client_id, cert_pem, scopes, allowed_ips, examining_office, office_code FROM clients ORDER BY client_id",
            )?;
            st.query_map([], row_client)?.collect()
        })
    }

    /// Registers (or replaces) an Innography consumer.
    pub fn put_consumer(&self, username: &str, secret: &[u8]) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO consumers VALUES (?1, ?2)",
                params![username, secret],
            )
            .map(|_| ())
        })
    }

    /// A consumer's secret.
    pub fn consumer_secret(&self, username: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.with(|db| {
            db.query_row(
                "SELECT secret FROM consumers WHERE username = ?1",
                params![username],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Every consumer's name.
    pub fn consumers(&self) -> Result<Vec<String>, StoreError> {
        self.with(|db| {
            let mut st = db.prepare("SELECT username FROM consumers ORDER BY username")?;
            st.query_map([], |r| r.get(0))?.collect()
        })
    }

    /// Records an issued token (by its SHA-256).
    pub fn put_token(
        &self,
        sha: &str,
        client_id: &str,
        scope: &str,
        expires_at: u64,
    ) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?1, ?2, ?3, ?4)",
                params![sha, client_id, scope, expires_at as i64],
            )
            .map(|_| ())
        })
    }

    /// Tokens not yet expired at `now`: `(sha, client, scope, expires_at)`.
    pub fn live_tokens(&self, now: u64) -> Result<Vec<(String, String, String, u64)>, StoreError> {
        self.with(|db| {
            db.execute(
                "DELETE FROM tokens WHERE expires_at <= ?1",
                params![now as i64],
            )?;
            let mut st =
                db.prepare("SELECT token_sha256, client_id, scope, expires_at FROM tokens")?;
            st.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? as u64))
            })?
            .collect()
        })
    }

    /// Revokes every token (admin reset).
    pub fn revoke_tokens(&self) -> Result<(), StoreError> {
        self.with(|db| db.execute("DELETE FROM tokens", []).map(|_| ()))
    }

    /// The next value of a named counter (1, 2, ...), atomically.
    pub fn next(&self, counter: &str) -> Result<i64, StoreError> {
        self.with(|db| {
            let tx = db.transaction()?;
            let cur: Option<String> = tx
                .query_row(
                    "SELECT value FROM meta WHERE key = ?1",
                    params![counter],
                    |r| r.get(0),
                )
                .optional()?;
            let next = cur.and_then(|v| v.parse::<i64>().ok()).unwrap_or(0) + 1;
            tx.execute(
                "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
                params![counter, next.to_string()],
            )?;
            tx.commit()?;
            Ok(next)
        })
    }

    /// Records an import and, for a valid package, its service request, in one transaction, and
    /// sets `i.duplicate_of` to the first earlier import with the same SHA-256 (decided inside that
    /// transaction: two identical packages arriving at once are never both first).
    pub fn put_import(
        &self,
        i: &mut ImportRecord,
        sr: Option<&SrRecord>,
    ) -> Result<(), StoreError> {
        let reasons = serde_json::to_string(&i.reasons).unwrap_or_else(|_| "[]".into());
        let duplicate_of = self.with(|db| {
            // The duplicate check and the insert are one transaction (and one lock), so two
            // packages with the same hash arriving at once are never both "first".
            let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let duplicate_of: Option<String> = tx
                .query_row(
                    "SELECT import_id FROM imports WHERE sha256 = ?1 ORDER BY seq LIMIT 1",
                    params![i.sha256],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "INSERT INTO imports VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    i.seq,
                    i.import_id,
                    i.client_id,
                    i.sha256,
                    i.size,
                    i.received_ms,
                    i.valid,
                    reasons,
                    duplicate_of,
                    i.srn
                ],
            )?;
            if let Some(sr) = sr {
                tx.execute(
                    "INSERT INTO service_requests VALUES (?1, ?2, ?3, ?4, NULL, NULL)",
                    params![sr.srn, sr.import_id, sr.record_id, sr.irn],
                )?;
            }
            tx.commit()?;
            Ok(duplicate_of)
        })?;
        i.duplicate_of = duplicate_of;
        Ok(())
    }

    /// One import.
    pub fn import(&self, import_id: &str) -> Result<Option<ImportRecord>, StoreError> {
        let raw = self.with(|db| {
            db.query_row(
                &format!("{IMPORT_SELECT} WHERE import_id = ?1"),
                params![import_id],
                row_import,
            )
            .optional()
        })?;
        raw.map(|r| self.decode_import(r)).transpose()
    }

    /// Every import, oldest first.
    pub fn imports(&self) -> Result<Vec<ImportRecord>, StoreError> {
        let raw = self.with(|db| {
            let mut st = db.prepare(&format!("{IMPORT_SELECT} ORDER BY seq"))?;
            st.query_map([], row_import)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        raw.into_iter().map(|r| self.decode_import(r)).collect()
    }

    fn decode_import(
        &self,
        (mut rec, reasons): (ImportRecord, String),
    ) -> Result<ImportRecord, StoreError> {
        rec.reasons = serde_json::from_str(&reasons).map_err(|_| StoreError::Damaged {
            path: self.path.clone(),
            what: "rejection reason list",
        })?;
        Ok(rec)
    }

    /// One service request.
    pub fn service_request(&self, srn: &str) -> Result<Option<SrRecord>, StoreError> {
        self.with(|db| {
            db.query_row(&format!("{SR_SELECT} WHERE srn = ?1"), params![srn], row_sr)
                .optional()
        })
    }

    /// Every service request.
    pub fn service_requests(&self) -> Result<Vec<SrRecord>, StoreError> {
        self.with(|db| {
            let mut st = db.prepare(&format!("{SR_SELECT} ORDER BY srn"))?;
            st.query_map([], row_sr)?.collect()
        })
    }

    /// Forces a service request's status; false when there is no such SRN.
    pub fn force_status(&self, srn: &str, status: &str, at_ms: i64) -> Result<bool, StoreError> {
        self.with(|db| {
            db.execute(
                "UPDATE service_requests SET forced_status = ?2, forced_ms = ?3 WHERE srn = ?1",
                params![srn, status, at_ms],
            )
            .map(|n| n > 0)
        })
    }

    /// Marks a week published now.
    pub fn publish(&self, week: &str, at_ms: i64) -> Result<(), StoreError> {
        self.with(|db| {
            db.execute(
                "INSERT OR IGNORE INTO published_weeks VALUES (?1, ?2)",
                params![week, at_ms],
            )
            .map(|_| ())
        })
    }

    /// When a week was published through the admin API (ms), if it was.
    pub fn published_at(&self, week: &str) -> Result<Option<i64>, StoreError> {
        self.with(|db| {
            db.query_row(
                "SELECT published_ms FROM published_weeks WHERE week = ?1",
                params![week],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Forgets everything received (imports, service requests, tokens, published weeks, counters,
    /// stored packages); with `registrations`, the clients and consumers too.
    pub fn reset(&self, registrations: bool) -> Result<(), StoreError> {
        self.with(|db| {
            let tx = db.transaction()?;
            tx.execute_batch(
                "DELETE FROM imports; DELETE FROM service_requests; DELETE FROM tokens; DELETE FROM published_weeks; DELETE FROM meta;",
            )?;
            if registrations {
                tx.execute_batch("DELETE FROM clients; DELETE FROM consumers;")?;
            }
            tx.commit()
        })?;
        let pkgs = self.packages_dir();
        if pkgs.exists() {
            std::fs::remove_dir_all(&pkgs).map_err(|source| StoreError::Io {
                action: "remove",
                path: pkgs.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Where received packages are kept (`<import id>.zip`).
    pub fn packages_dir(&self) -> PathBuf {
        self.dir.join("packages")
    }
}

const IMPORT_SELECT: &str = "SELECT seq, import_id, client_id, sha256, size, received_ms, valid, reasons, duplicate_of, srn FROM imports";
const SR_SELECT: &str =
    "SELECT srn, import_id, record_id, irn, forced_status, forced_ms FROM service_requests";

fn row_client(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClientRecord> {
    Ok(ClientRecord {
        client_id: r.get(0)?,
        cert_pem: r.get(1)?,
        scopes: split(&r.get::<_, String>(2)?),
        allowed_ips: split(&r.get::<_, String>(3)?),
        examining_office: r.get(4)?,
        office_code: r.get(5)?,
    })
}

fn row_import(r: &rusqlite::Row<'_>) -> rusqlite::Result<(ImportRecord, String)> {
    Ok((
        ImportRecord {
            seq: r.get(0)?,
            import_id: r.get(1)?,
            client_id: r.get(2)?,
            sha256: r.get(3)?,
            size: r.get(4)?,
            received_ms: r.get(5)?,
            valid: r.get(6)?,
            reasons: Vec::new(),
            duplicate_of: r.get(8)?,
            srn: r.get(9)?,
        },
        r.get(7)?,
    ))
}

fn row_sr(r: &rusqlite::Row<'_>) -> rusqlite::Result<SrRecord> {
    let status: Option<String> = r.get(4)?;
    let at: Option<i64> = r.get(5)?;
    Ok(SrRecord {
        srn: r.get(0)?,
        import_id: r.get(1)?,
        record_id: r.get(2)?,
        irn: r.get(3)?,
        forced: status.zip(at),
    })
}

/// The database holds consumer secrets: owner-only, like the directory.
#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(path = %path.display(), error = %e, "cannot make the sandbox database owner-only");
    }
}

#[cfg(not(unix))]
fn restrict(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eight identical packages stored at once, each through its own store on the same state
    /// (as two sandbox processes would): exactly one is first, the others name an earlier one.
    #[test]
    fn identical_packages_at_once_have_exactly_one_first() {
        let dir = tempfile::tempdir().expect("temp dir");
        let results: Vec<ImportRecord> = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=8)
                .map(|seq| {
                    let dir = dir.path();
                    s.spawn(move || {
                        let store = Store::open(dir).expect("open the state");
                        let mut rec = ImportRecord {
                            seq,
                            import_id: format!("IMP-{seq}"),
                            client_id: "c".into(),
                            sha256: "ab".repeat(32),
                            size: 1,
                            received_ms: 1_000,
                            valid: false,
                            reasons: Vec::new(),
                            duplicate_of: None,
                            srn: None,
                        };
                        store.put_import(&mut rec, None).expect("stored");
                        rec
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("no panic"))
                .collect()
        });
        let firsts: Vec<_> = results
            .iter()
            .filter(|r| r.duplicate_of.is_none())
            .collect();
        assert_eq!(firsts.len(), 1, "{results:#?}");
        let first = &firsts[0].import_id;
        let stored = Store::open(dir.path())
            .expect("open")
            .imports()
            .expect("imports");
        assert_eq!(stored.len(), 8);
        for r in &stored {
            match &r.duplicate_of {
                None => assert_eq!(&r.import_id, first),
                Some(earlier) => assert!(
                    stored
                        .iter()
                        .any(|o| &o.import_id == earlier && o.import_id != r.import_id),
                    "{} names {earlier}",
                    r.import_id
                ),
            }
        }
    }
}
