//! The database layout and its migrations.
//!
//! `schema_version` holds one row with the layout's version. A newer ipgate adds a migration from
//! each older version; an older ipgate refuses a newer file ([`JournalError::NewerSchema`]) rather
//! than misread it.

use std::path::Path;

use rusqlite::Transaction;

use crate::error::JournalError;
use crate::journal::sql_error;

/// The layout version this build writes.
pub const SCHEMA_VERSION: i64 = 1;

const V1: &str = "
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);

CREATE TABLE submissions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    package_sha256      TEXT    NOT NULL CHECK (length(package_sha256) = 64),
    package_size        INTEGER NOT NULL,
    transaction_type    TEXT,
    office_reference    TEXT,
    irn                 TEXT,
    package_path        TEXT,
    state               TEXT    NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'unknown')),
    failure_kind        TEXT,
    failure_detail      TEXT,
    failure_http_status INTEGER,
    unknown_detail      TEXT,
    import_id           TEXT,
    srn                 TEXT,
    server_status       TEXT,
    server_final        INTEGER NOT NULL DEFAULT 0,
    forced              INTEGER NOT NULL DEFAULT 0,
    pid                 INTEGER NOT NULL,
    created_at_ms       INTEGER NOT NULL,
    updated_at_ms       INTEGER NOT NULL
);
CREATE INDEX submissions_by_sha256 ON submissions (package_sha256);
CREATE INDEX submissions_by_import_id ON submissions (import_id);
CREATE INDEX submissions_by_srn ON submissions (srn);
-- Belt and braces under the check begin_submission makes inside its write transaction: at most one
-- submission of a package that was not forced and may have been filed.
CREATE UNIQUE INDEX submissions_one_unforced ON submissions (package_sha256)
    WHERE forced = 0 AND state <> 'failed';

CREATE TABLE submission_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id INTEGER NOT NULL REFERENCES submissions (id),
    at_ms         INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    server_status TEXT,
    detail        TEXT    NOT NULL
);
CREATE INDEX events_by_submission ON submission_events (submission_id, id);

CREATE TABLE publications (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    week             TEXT    NOT NULL CHECK (length(week) = 6),
    kind             TEXT    NOT NULL CHECK (kind IN ('bulletin', 'confidential_copy')),
    sha256           TEXT    NOT NULL CHECK (length(sha256) = 64),
    size             INTEGER NOT NULL,
    path             TEXT    NOT NULL,
    downloaded_at_ms INTEGER NOT NULL,
    UNIQUE (week, kind, path)
);
CREATE INDEX publications_by_week ON publications (kind, week);
";

/// Creates the layout in an empty database, or checks (and would migrate) an existing one.
pub(crate) fn migrate(tx: &Transaction<'_>, path: &Path) -> Result<(), JournalError> {
    let err = |action| move |e| sql_error(path, action, e);
    let has_version: bool = tx
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(err("read its layout"))?
        > 0;
    if !has_version {
        let other_tables: i64 = tx
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
                [],
                |r| r.get(0),
            )
            .map_err(err("read its layout"))?;
        if other_tables > 0 {
            return Err(JournalError::NotAJournal {
                path: path.to_path_buf(),
            });
        }
        tx.execute_batch(V1).map_err(err("create its tables"))?;
        tracing::debug!(path = %path.display(), "journal created");
        return Ok(());
    }
    let found: i64 = tx
        .query_row("SELECT max(version) FROM schema_version", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .map_err(err("read its schema version"))?
        .unwrap_or(0);
    if found > SCHEMA_VERSION {
        return Err(JournalError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < 1 {
        return Err(JournalError::BadValue {
            path: path.to_path_buf(),
            column: "schema_version.version",
            value: found.to_string(),
        });
    }
    // Migrations from older versions go here (found == 1 is current).
    Ok(())
}
