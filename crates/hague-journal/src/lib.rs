//! The submission journal: a write-ahead record (SQLite, WAL) of every HWS submission and every
//! downloaded publication, so that a filing is never sent twice and nothing received is lost.
