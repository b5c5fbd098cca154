//! The one way files are written and secret files are checked.
//!
//! Writes are atomic: bytes go to a temporary file in the target's own directory (same file system,
//! so the final rename is atomic), which is flushed, fsynced and renamed over the target, and then the
//! directory is fsynced so the rename itself survives a crash. A reader therefore sees the old file or
//! the complete new one, never a partial file at the final path (POSIX `rename(2)`).

use std::fs::{File, OpenOptions};
use std::io::{self, Seek as _, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Who may read a written file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileMode {
    /// Readable by everyone the umask allows (0644 under the usual umask 022): packages, downloads,
    /// certificates, public keys.
    #[default]
    Public,
    /// Owner only (0600): private keys, token caches, anything [`check_secret_file`] would accept.
    Private,
}

impl FileMode {
    /// The mode bits passed to `open(2)` (the umask still applies to [`FileMode::Public`]).
    pub fn open_mode(self) -> u32 {
        match self {
            FileMode::Public => 0o666,
            FileMode::Private => 0o600,
        }
    }
}

/// Why an atomic write failed. Every variant names the path it was about.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// The temporary file could not be created next to the target.
    #[error("cannot create a temporary file in {dir} (for {path}): {source}")]
    CreateTemp {
        /// Directory the temporary file was to be created in.
        dir: PathBuf,
        /// The final path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Writing, flushing or fsyncing the temporary file failed.
    #[error("cannot write {temp} (temporary file for {path}): {source}")]
    Write {
        /// The temporary file.
        temp: PathBuf,
        /// The final path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Renaming the temporary file over the target failed.
    #[error("cannot rename {temp} to {path}: {source}")]
    Rename {
        /// The temporary file.
        temp: PathBuf,
        /// The final path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The file is in place but its directory could not be fsynced: the rename may not survive a crash.
    #[error("wrote {path} but cannot sync its directory {dir}: {source}")]
    SyncDir {
        /// The directory.
        dir: PathBuf,
        /// The final path.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// [`AtomicFile::commit_new`] found a file at the final path and left it alone.
    #[error("{path} already exists; not replacing it")]
    AlreadyExists {
        /// The final path.
        path: PathBuf,
    },
    /// A directory could not be created.
    #[error("cannot create directory {dir}: {source}")]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Writes `bytes` to `path` atomically (see the module documentation), replacing any file there.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: FileMode) -> Result<(), AtomicWriteError> {
    let mut file = AtomicFile::create(path, mode)?;
    file.write_all(bytes).map_err(|e| file.write_error(e))?;
    file.commit()
}

enum Temp {
    /// A randomly named temporary file, removed when dropped uncommitted.
    Random(tempfile::NamedTempFile),
    /// A named partial file that outlives the process (a resumable download), kept when dropped.
    Part { file: File, path: PathBuf },
}

/// A file being written that appears at its final path only on [`AtomicFile::commit`].
///
/// [`AtomicFile::create`] makes a randomly named temporary file in the target's directory that is
/// removed when dropped without commit. [`AtomicFile::resumable`] instead opens a named partial file
/// (for example `bulletin.zip.part`) that is kept when dropped, so a later process can continue it.
pub struct AtomicFile {
    temp: Temp,
    final_path: PathBuf,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("temp", &self.temp_path())
            .field("final_path", &self.final_path)
            .finish()
    }
}

/// The directory a file at `path` lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes the temporary `.NAME.XXXXXX.tmp` beside `final_path` with `make` (a file or a directory;
/// `mode` is its Unix permission bits before the umask), so the later rename stays in one directory.
fn temp_beside<T>(
    final_path: &Path,
    mode: u32,
    make: impl FnOnce(&tempfile::Builder<'_, '_>, &Path) -> io::Result<T>,
) -> Result<T, AtomicWriteError> {
    let dir = parent_dir(final_path);
    let name = final_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    make(&builder, &dir).map_err(|source| AtomicWriteError::CreateTemp {
        dir,
        path: final_path.to_path_buf(),
        source,
    })
}

impl AtomicFile {
    /// Starts writing `final_path`: a temporary file `.NAME.XXXXXX.tmp` in the same directory.
    pub fn create(final_path: &Path, mode: FileMode) -> Result<Self, AtomicWriteError> {
        let temp = temp_beside(final_path, mode.open_mode(), |b, dir| b.tempfile_in(dir))?;
        Ok(Self {
            temp: Temp::Random(temp),
            final_path: final_path.to_path_buf(),
        })
    }

    /// Opens (or creates) the partial file `part_path` for `final_path`, positioned at its end, and
    /// returns it with the number of bytes already there. `part_path` must be in the same directory
    /// as `final_path`. Unlike [`AtomicFile::create`], the partial file stays on disk when this value
    /// is dropped without commit; [`AtomicFile::discard`] removes it.
    pub fn resumable(
        part_path: &Path,
        final_path: &Path,
        mode: FileMode,
    ) -> Result<(Self, u64), AtomicWriteError> {
        let create_err = |source| AtomicWriteError::CreateTemp {
            dir: parent_dir(part_path),
            path: final_path.to_path_buf(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(mode.open_mode());
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(part_path).map_err(create_err)?;
        let len = file.seek(SeekFrom::End(0)).map_err(create_err)?;
        Ok((
            Self {
                temp: Temp::Part {
                    file,
                    path: part_path.to_path_buf(),
                },
                final_path: final_path.to_path_buf(),
            },
            len,
        ))
    }

    /// The temporary (or partial) file's path.
    pub fn temp_path(&self) -> &Path {
        match &self.temp {
            Temp::Random(t) => t.path(),
            Temp::Part { path, .. } => path,
        }
    }

    /// The path the file gets on commit.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// Empties the temporary file and writes from its start again (a download that must restart).
    pub fn truncate(&mut self) -> Result<(), AtomicWriteError> {
        let file = self.file_mut();
        let r = file.set_len(0).and_then(|()| file.seek(SeekFrom::Start(0)));
        r.map(drop).map_err(|e| self.write_error(e))
    }

    /// Bytes written so far (the temporary file's length).
    pub fn len(&self) -> Result<u64, AtomicWriteError> {
        self.file()
            .metadata()
            .map(|m| m.len())
            .map_err(|e| self.write_error(e))
    }

    /// True when nothing has been written yet.
    pub fn is_empty(&self) -> Result<bool, AtomicWriteError> {
        self.len().map(|l| l == 0)
    }

    /// The open temporary file, e.g. to `try_clone` it into an async writer (the clone shares the
    /// write position). Flush such a writer before [`AtomicFile::commit`].
    pub fn as_file(&self) -> &File {
        self.file()
    }

    fn file(&self) -> &File {
        match &self.temp {
            Temp::Random(t) => t.as_file(),
            Temp::Part { file, .. } => file,
        }
    }

    fn file_mut(&mut self) -> &mut File {
        match &mut self.temp {
            Temp::Random(t) => t.as_file_mut(),
            Temp::Part { file, .. } => file,
        }
    }

    /// An [`AtomicWriteError::Write`] about this file, for errors of the caller's writes.
    pub fn write_error(&self, source: io::Error) -> AtomicWriteError {
        AtomicWriteError::Write {
            temp: self.temp_path().to_path_buf(),
            path: self.final_path.clone(),
            source,
        }
    }

    /// Flushes and fsyncs the temporary file (before it is renamed into place).
    fn sync(&mut self) -> Result<(), AtomicWriteError> {
        let synced = {
            let file = self.file_mut();
            file.flush().and_then(|()| file.sync_all())
        };
        synced.map_err(|e| self.write_error(e))
    }

    /// Flushes and fsyncs the temporary file, renames it to the final path (replacing any file
    /// there) and fsyncs the directory.
    pub fn commit(mut self) -> Result<(), AtomicWriteError> {
        self.sync()?;
        let final_path = self.final_path;
        match self.temp {
            Temp::Random(temp) => {
                temp.persist(&final_path)
                    .map_err(|e| AtomicWriteError::Rename {
                        temp: e.file.path().to_path_buf(),
                        path: final_path.clone(),
                        source: e.error,
                    })?;
            }
            Temp::Part { file, path } => {
                drop(file);
                std::fs::rename(&path, &final_path).map_err(|source| AtomicWriteError::Rename {
                    temp: path,
                    path: final_path.clone(),
                    source,
                })?;
            }
        }
        sync_dir(&final_path)
    }

    /// Like [`AtomicFile::commit`], but never replaces an existing file at the final path, not even
    /// one that appeared after an earlier check ([`AtomicWriteError::AlreadyExists`]; the temporary
    /// file is removed). Uses `tempfile`'s `persist_noclobber` (a hard link, or `renameat2` with
    /// `RENAME_NOREPLACE`).
    pub fn commit_new(mut self) -> Result<(), AtomicWriteError> {
        self.sync()?;
        let final_path = self.final_path;
        match self.temp {
            Temp::Random(temp) => {
                temp.persist_noclobber(&final_path)
                    .map_err(|e| no_replace_error(e.error, e.file.path(), &final_path))?;
            }
            Temp::Part { file, path } => {
                drop(file);
                std::fs::hard_link(&path, &final_path)
                    .map_err(|source| no_replace_error(source, &path, &final_path))?;
                std::fs::remove_file(&path).map_err(|source| AtomicWriteError::Write {
                    temp: path,
                    path: final_path.clone(),
                    source,
                })?;
            }
        }
        sync_dir(&final_path)
    }

    /// Removes the temporary (or partial) file without touching the final path.
    pub fn discard(self) -> Result<(), AtomicWriteError> {
        match self.temp {
            Temp::Random(temp) => {
                let path = temp.path().to_path_buf();
                temp.close().map_err(|source| AtomicWriteError::Write {
                    temp: path,
                    path: self.final_path,
                    source,
                })
            }
            Temp::Part { file, path } => {
                drop(file);
                match std::fs::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                    Err(source) => Err(AtomicWriteError::Write {
                        temp: path,
                        path: self.final_path,
                        source,
                    }),
                }
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file_mut().write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file_mut().write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file_mut().flush()
    }
}

/// A directory being filled that appears at its final path only on [`AtomicDir::commit`] (an
/// extracted archive): made under a temporary name beside the target, renamed into place, never
/// replacing anything there; removed with its content when dropped without commit.
pub struct AtomicDir {
    temp: Option<tempfile::TempDir>,
    final_path: PathBuf,
}

impl std::fmt::Debug for AtomicDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicDir")
            .field("temp", &self.path())
            .field("final_path", &self.final_path)
            .finish()
    }
}

impl AtomicDir {
    /// Makes the temporary directory `.NAME.XXXXXX.tmp` beside `final_path` (mode 0777 minus the
    /// umask, as `mkdir` would).
    pub fn create(final_path: &Path) -> Result<Self, AtomicWriteError> {
        let temp = temp_beside(final_path, 0o777, |b, dir| b.tempdir_in(dir))?;
        Ok(Self {
            temp: Some(temp),
            final_path: final_path.to_path_buf(),
        })
    }

    /// The temporary directory to fill.
    pub fn path(&self) -> &Path {
        self.temp
            .as_ref()
            .map_or(self.final_path.as_path(), |t| t.path())
    }

    /// Renames the directory to its final path ([`AtomicWriteError::AlreadyExists`] when anything
    /// is there, even an empty directory that appeared meanwhile) and fsyncs the parent.
    pub fn commit(mut self) -> Result<(), AtomicWriteError> {
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        rename_no_replace(temp.path(), &self.final_path)
            .map_err(|source| no_replace_error(source, temp.path(), &self.final_path))?;
        // The directory now lives at the final path: nothing for TempDir to remove.
        let _ = temp.keep();
        sync_dir(&self.final_path)
    }
}

/// The error of moving `temp` to `path` without replacing anything there (a no-replace rename or a
/// hard link): [`AtomicWriteError::AlreadyExists`] when something was there, else
/// [`AtomicWriteError::Rename`].
fn no_replace_error(source: io::Error, temp: &Path, path: &Path) -> AtomicWriteError {
    if source.kind() == io::ErrorKind::AlreadyExists {
        AtomicWriteError::AlreadyExists {
            path: path.to_path_buf(),
        }
    } else {
        AtomicWriteError::Rename {
            temp: temp.to_path_buf(),
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `rename(2)` that fails with `AlreadyExists` instead of replacing (Linux: `renameat2` with
/// `RENAME_NOREPLACE`; elsewhere a check first, which leaves a small race).
fn rename_no_replace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(io::Error::from)
    }
    #[cfg(not(target_os = "linux"))]
    {
        if std::fs::symlink_metadata(to).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        std::fs::rename(from, to)
    }
}

/// Fsyncs the directory holding `path`, so a rename into it is durable. No-op off Unix (Windows
/// cannot open a directory as a file).
fn sync_dir(path: &Path) -> Result<(), AtomicWriteError> {
    #[cfg(unix)]
    {
        let dir = parent_dir(path);
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| AtomicWriteError::SyncDir {
                dir,
                path: path.to_path_buf(),
                source,
            })?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates `dir` and its missing parents; on Unix the directories created here get mode 0700 (owner
/// only), for directories that hold secrets (token caches) or per-user state. Existing directories
/// are left as they are.
pub fn create_private_dir_all(dir: &Path) -> Result<(), AtomicWriteError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|source| AtomicWriteError::CreateDir {
            dir: dir.to_path_buf(),
            source,
        })
}

/// Why a secret file was refused. Each variant names the path and, where there is one, the fix.
#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    /// The file's metadata could not be read (missing, no permission on a parent directory, ...).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The secret file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The path is a directory or a special file.
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// Group or others have some access to the file.
    #[error(
        "{path} holds a secret but group or others may access it (mode {mode:04o}); fix: chmod 600 {path}"
    )]
    GroupOrOtherAccess {
        /// The secret file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file belongs to another user, who can change it (or its mode) at will.
    #[error(
        "{path} holds a secret but is owned by user id {owner}, not by you (user id {user}); fix: chown it to yourself and chmod 600 {path}"
    )]
    OwnedByOtherUser {
        /// The secret file.
        path: PathBuf,
        /// The file's owner.
        owner: u32,
        /// The effective user id of this process.
        user: u32,
    },
}

impl SecretFileError {
    /// The secret file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            SecretFileError::Io { path, .. }
            | SecretFileError::NotAFile { path }
            | SecretFileError::GroupOrOtherAccess { path, .. }
            | SecretFileError::OwnedByOtherUser { path, .. } => path,
        }
    }

    /// True for the refusals a user may knowingly override (loose permissions), false when the file
    /// cannot be checked at all.
    pub fn is_permission_refusal(&self) -> bool {
        matches!(
            self,
            SecretFileError::GroupOrOtherAccess { .. } | SecretFileError::OwnedByOtherUser { .. }
        )
    }
}

/// The one permission check for files holding secrets (private keys, HMAC secrets, token caches):
/// like ssh with private keys, a file that group or others may access is refused, and so is a file
/// owned by another user. Symbolic links are followed (the target is checked). On non-Unix systems
/// only the file's existence is checked.
pub fn check_secret_file(path: &Path) -> Result<(), SecretFileError> {
    let meta = std::fs::metadata(path).map_err(|source| SecretFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    check_secret_metadata(path, &meta)
}

/// [`check_secret_file`] on metadata the caller already has, typically from the open file
/// (`File::metadata`), so the file checked is the file read: no window to swap it in between.
pub fn check_secret_metadata(path: &Path, meta: &std::fs::Metadata) -> Result<(), SecretFileError> {
    if !meta.is_file() {
        return Err(SecretFileError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        judge_secret_file(
            path,
            meta.mode() & 0o7777,
            meta.uid(),
            rustix::process::geteuid().as_raw(),
        )?;
    }
    Ok(())
}

/// The rules of [`check_secret_file`] on a file's mode and owner, given the process's user id.
#[cfg(unix)]
fn judge_secret_file(path: &Path, mode: u32, owner: u32, user: u32) -> Result<(), SecretFileError> {
    if mode & 0o077 != 0 {
        return Err(SecretFileError::GroupOrOtherAccess {
            path: path.to_path_buf(),
            mode,
        });
    }
    if owner != user {
        return Err(SecretFileError::OwnedByOtherUser {
            path: path.to_path_buf(),
            owner,
            user,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.bin");
        write_atomic(&path, b"first", FileMode::Public).expect("write");
        write_atomic(&path, b"second", FileMode::Public).expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        assert_eq!(entries(dir.path()), vec!["out.bin".to_string()]);
    }

    #[test]
    fn modes_private_and_public() {
        let dir = tempfile::tempdir().expect("tempdir");
        let private = dir.path().join("key.pem");
        write_atomic(&private, b"secret", FileMode::Private).expect("write");
        assert_eq!(mode_of(&private), 0o600);
        check_secret_file(&private).expect("0600 file of ours is accepted");
        let public = dir.path().join("cert.pem");
        write_atomic(&public, b"cert", FileMode::Public).expect("write");
        // 0666 minus the umask: group/other never writable under the usual umasks, owner rw always.
        let m = mode_of(&public);
        assert_eq!(m & 0o600, 0o600, "{m:o}");
        assert_eq!(m & 0o111, 0, "{m:o}");
    }

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("never.txt");
        {
            let mut f = AtomicFile::create(&path, FileMode::Public).expect("create");
            f.write_all(b"partial").expect("write");
            assert!(f.temp_path().exists());
            assert!(!path.exists());
        }
        assert!(entries(dir.path()).is_empty());
        // An existing file survives a failed (uncommitted) rewrite untouched.
        write_atomic(&path, b"old", FileMode::Public).expect("write");
        let mut f = AtomicFile::create(&path, FileMode::Public).expect("create");
        f.write_all(b"new but abandoned").expect("write");
        f.discard().expect("discard");
        assert_eq!(std::fs::read(&path).expect("read"), b"old");
        assert_eq!(entries(dir.path()), vec!["never.txt".to_string()]);
    }

    #[test]
    fn resumable_part_survives_drop_and_continues() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("b.zip");
        let part = dir.path().join("b.zip.part");
        {
            let (mut f, len) = AtomicFile::resumable(&part, &path, FileMode::Public).expect("open");
            assert_eq!(len, 0);
            f.write_all(b"hello ").expect("write");
        }
        assert!(part.exists());
        let (mut f, len) = AtomicFile::resumable(&part, &path, FileMode::Public).expect("reopen");
        assert_eq!(len, 6);
        f.write_all(b"world").expect("write");
        assert_eq!(f.len().expect("len"), 11);
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&path).expect("read"), b"hello world");
        assert!(!part.exists());

        let (mut f, _) = AtomicFile::resumable(&part, &path, FileMode::Public).expect("open");
        f.write_all(b"stale").expect("write");
        f.truncate().expect("truncate");
        assert!(f.is_empty().expect("len"));
        f.write_all(b"fresh").expect("write");
        f.commit().expect("commit");
        assert_eq!(std::fs::read(&path).expect("read"), b"fresh");

        let (f, _) = AtomicFile::resumable(&part, &path, FileMode::Public).expect("open");
        f.discard().expect("discard");
        assert!(!part.exists());
    }

    #[test]
    fn commit_new_never_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cert.pem");
        let mut f = AtomicFile::create(&path, FileMode::Public).expect("create");
        f.write_all(b"one").expect("write");
        f.commit_new().expect("first commit");
        let mut f = AtomicFile::create(&path, FileMode::Public).expect("create");
        f.write_all(b"two").expect("write");
        let err = f.commit_new().expect_err("exists");
        assert!(
            matches!(err, AtomicWriteError::AlreadyExists { .. }),
            "{err:?}"
        );
        assert_eq!(std::fs::read(&path).expect("read"), b"one");
        assert_eq!(entries(dir.path()), vec!["cert.pem".to_string()]);
    }

    #[test]
    fn atomic_dir_appears_whole_never_replaces_and_vanishes_uncommitted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("extracted");
        {
            let d = AtomicDir::create(&target).expect("create");
            std::fs::write(d.path().join("a.xml"), b"x").expect("write");
            assert!(!target.exists());
        }
        assert!(entries(dir.path()).is_empty(), "dropped: removed");
        let d = AtomicDir::create(&target).expect("create");
        std::fs::write(d.path().join("a.xml"), b"x").expect("write");
        assert_eq!(mode_of(d.path()) & 0o700, 0o700);
        d.commit().expect("commit");
        assert_eq!(std::fs::read(target.join("a.xml")).expect("read"), b"x");
        // An existing (even empty) directory is never replaced.
        let other = dir.path().join("empty");
        std::fs::create_dir(&other).expect("mkdir");
        let d = AtomicDir::create(&other).expect("create");
        std::fs::write(d.path().join("b.xml"), b"y").expect("write");
        let err = d.commit().expect_err("exists");
        assert!(
            matches!(err, AtomicWriteError::AlreadyExists { .. }),
            "{err:?}"
        );
        assert_eq!(entries(&other).len(), 0);
        assert_eq!(
            entries(dir.path()),
            vec!["empty".to_string(), "extracted".to_string()]
        );
    }

    #[test]
    fn write_into_missing_directory_names_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("missing").join("x");
        let err = write_atomic(&path, b"x", FileMode::Public).expect_err("no directory");
        assert!(
            matches!(err, AtomicWriteError::CreateTemp { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn rename_over_a_directory_fails_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("occupied");
        std::fs::create_dir(&path).expect("mkdir");
        std::fs::write(path.join("inside"), b"x").expect("write");
        let err = write_atomic(&path, b"x", FileMode::Public).expect_err("target is a directory");
        assert!(matches!(err, AtomicWriteError::Rename { .. }), "{err:?}");
        assert_eq!(entries(dir.path()), vec!["occupied".to_string()]);
    }

    #[test]
    fn secret_file_group_readable_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret");
        std::fs::write(&path, b"s").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let err = check_secret_file(&path).expect_err("group readable");
        assert!(
            matches!(err, SecretFileError::GroupOrOtherAccess { mode: 0o640, .. }),
            "{err:?}"
        );
        assert!(err.is_permission_refusal());
        assert!(
            err.to_string()
                .contains(&format!("chmod 600 {}", path.display())),
            "{err}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).expect("chmod");
        assert!(check_secret_file(&path).is_err());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        check_secret_file(&path).expect("0400 is fine");
    }

    #[test]
    fn secret_file_missing_or_directory_or_foreign() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = check_secret_file(&dir.path().join("nope")).expect_err("missing");
        assert!(matches!(err, SecretFileError::Io { .. }) && !err.is_permission_refusal());
        let err = check_secret_file(dir.path()).expect_err("directory");
        assert!(matches!(err, SecretFileError::NotAFile { .. }), "{err:?}");
        let path = Path::new("/srv/k.pem");
        let err = judge_secret_file(path, 0o600, 0, 1000).expect_err("foreign owner");
        assert!(
            matches!(
                err,
                SecretFileError::OwnedByOtherUser {
                    owner: 0,
                    user: 1000,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("chmod 600 /srv/k.pem"), "{err}");
        judge_secret_file(path, 0o600, 1000, 1000).expect("own file");
    }

    #[test]
    fn private_dir_is_0700() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a").join("b");
        create_private_dir_all(&nested).expect("mkdir");
        assert_eq!(mode_of(&nested), 0o700);
        create_private_dir_all(&nested).expect("existing is fine");
    }
}
