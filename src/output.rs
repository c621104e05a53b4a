//! The out dir: where it may be, and writing rendered files into it.
//!
//! The directory is opened once, and every file is written through that
//! descriptor: a temporary file created beside its target, given its mode and
//! owner through its own descriptor, fsynced and renamed into place. So a
//! failure never leaves a half-written file, and a path that another process
//! changes meanwhile (a symlink swapped in) can never make launch write,
//! chmod or chown anything but its own new file. Launch changes the owner of
//! a directory only when it created it. Files are mode 0600.

use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open, openat, renameat};
use nix::sys::stat::{Mode, fchmod};
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, fsync, unlinkat};

use crate::resolve::Env;

/// A directory rendered files are written to.
#[derive(Debug)]
pub struct OutDir {
    /// Its absolute path, as the release is told it.
    path: PathBuf,
    /// The directory itself, opened once.
    dir: OwnedFd,
    /// Whom the files are given to (`--user`).
    owner: Option<(Uid, Gid)>,
    /// A private directory, removed when this is dropped.
    private: Option<tempfile::TempDir>,
}

/// A file or directory that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file (or directory) launch tried to write.
    pub path: String,
    /// Why it failed.
    #[source]
    pub source: io::Error,
}

impl WriteError {
    fn at(path: &Path) -> impl FnOnce(io::Error) -> WriteError + '_ {
        move |source| WriteError {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Where the main job's private directory goes: `$TMPDIR`, or `/tmp` when
/// it is unset or empty (an empty one must not mean the current directory,
/// which may be the release).
pub fn temp_dir(env: &Env) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    match env.get("TMPDIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(std::ffi::OsStr::from_bytes(dir)),
        _ => PathBuf::from("/tmp"),
    }
}

impl OutDir {
    /// Uses the directory `path`, creating it (mode 0700, and its parents as
    /// `mkdir -p` would) when it does not exist. With `owner`, a directory
    /// launch created is given to that user; one that was there is left as
    /// it is.
    pub fn at(path: &Path, owner: Option<(Uid, Gid)>) -> Result<OutDir, WriteError> {
        let path = std::path::absolute(path).map_err(WriteError::at(path))?;
        let (dir, created) = match open_dir(&path) {
            Ok(dir) => (dir, false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let created = create(&path).map_err(WriteError::at(&path))?;
                (open_dir(&path).map_err(WriteError::at(&path))?, created)
            }
            Err(e) => return Err(WriteError::at(&path)(e)),
        };
        OutDir::new(path, dir, owner, created, None)
    }

    /// A new private directory (mode 0700) under `parent`, removed when the
    /// returned value is dropped; with `owner`, given to that user.
    pub fn private(parent: &Path, owner: Option<(Uid, Gid)>) -> Result<OutDir, WriteError> {
        let parent = std::path::absolute(parent).map_err(WriteError::at(parent))?;
        let dir = tempfile::Builder::new()
            .prefix("launch.")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(&parent)
            .map_err(|source| WriteError {
                path: format!(
                    "a private directory in {} (set TMPDIR, or LAUNCH_OUT_DIR, to a writable directory)",
                    parent.display()
                ),
                source,
            })?;
        let path = dir.path().to_path_buf();
        let fd = open_dir(&path).map_err(WriteError::at(&path))?;
        OutDir::new(path, fd, owner, true, Some(dir))
    }

    /// The out dir opened as `dir`; one that launch `created` is given to
    /// `owner`.
    fn new(
        path: PathBuf,
        dir: OwnedFd,
        owner: Option<(Uid, Gid)>,
        created: bool,
        private: Option<tempfile::TempDir>,
    ) -> Result<OutDir, WriteError> {
        if created && let Some((uid, gid)) = owner {
            fchown(&dir, Some(uid), Some(gid)).map_err(|e| WriteError::at(&path)(e.into()))?;
        }
        Ok(OutDir {
            path,
            dir,
            owner,
            private,
        })
    }

    /// The directory's absolute path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` (a plain file name) atomically and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, WriteError> {
        let target = self.path.join(name);
        if name.is_empty() || name == "." || name == ".." || name.contains('/') {
            return Err(WriteError::at(&target)(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a plain file name",
            )));
        }
        let (temporary, fd) = self
            .create_temporary(name)
            .map_err(WriteError::at(&target))?;
        let written = self.fill(fd, bytes).and_then(|()| {
            renameat(&self.dir, temporary.as_str(), &self.dir, name).map_err(io::Error::from)
        });
        if let Err(e) = written {
            let _ = unlinkat(&self.dir, temporary.as_str(), UnlinkatFlags::NoRemoveDir);
            return Err(WriteError::at(&target)(e));
        }
        // Make the rename itself durable.
        let _ = fsync(&self.dir);
        Ok(target)
    }

    /// A new file `.NAME.XXXXXX` in the directory, created exclusively (never
    /// one that was there, never through a symlink).
    fn create_temporary(&self, name: &str) -> io::Result<(String, OwnedFd)> {
        let random = std::collections::hash_map::RandomState::new();
        for attempt in 0u32.. {
            let mut hasher = random.build_hasher();
            hasher.write_u32(attempt);
            let temporary = format!(".{name}.{:012x}", hasher.finish() & 0xffff_ffff_ffff);
            match openat(
                &self.dir,
                temporary.as_str(),
                OFlag::O_CREAT
                    | OFlag::O_EXCL
                    | OFlag::O_WRONLY
                    | OFlag::O_NOFOLLOW
                    | OFlag::O_CLOEXEC,
                Mode::from_bits_truncate(0o600),
            ) {
                Ok(fd) => return Ok((temporary, fd)),
                Err(Errno::EEXIST) if attempt < 100 => continue,
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the loop returns")
    }

    /// Writes `bytes` into the new file, sets its mode and owner through its
    /// descriptor, and syncs it.
    fn fill(&self, fd: OwnedFd, bytes: &[u8]) -> io::Result<()> {
        let mut file = fs::File::from(fd);
        file.write_all(bytes)?;
        fchmod(&file, Mode::from_bits_truncate(0o600))?;
        if let Some((uid, gid)) = self.owner {
            fchown(&file, Some(uid), Some(gid))?;
        }
        file.sync_all()
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if let Some(dir) = self.private.take() {
            // Removing does not follow a symlink put in the directory's place.
            let _ = dir.close();
        }
    }
}

/// Opens the directory `path` (following a symlink the operator put there).
fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    Ok(open(path, flags, Mode::empty())?)
}

/// Creates `path` as `mkdir -p` would, the last directory with mode 0700;
/// true when launch created that last directory.
fn create(path: &Path) -> io::Result<bool> {
    match fs::DirBuilder::new().mode(0o700).create(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::DirBuilder::new().mode(0o700).create(path)?;
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

/// Refuses an out dir that is, or resolves to, the release root or a
/// directory in it, or the directory of a template: launch never writes into
/// the release, and never beside (or over) a template. Paths are compared
/// after resolving symlinks; a part that does not exist yet is taken as
/// written.
pub fn check_outside<'a>(
    out: &Path,
    root: Option<&Path>,
    templates: impl IntoIterator<Item = &'a Path>,
) -> Result<(), String> {
    let resolved = resolve(out);
    if let Some(root) = root {
        let release = resolve(root);
        if resolved.starts_with(&release) {
            return Err(format!(
                "the out dir {} is in the release at {}, which launch never writes; \
                 give --out-dir (or TMPDIR) a directory outside it",
                out.display(),
                root.display()
            ));
        }
    }
    for template in templates {
        let dir = resolve(template.parent().unwrap_or(Path::new(".")));
        if resolved == dir {
            return Err(format!(
                "the out dir {} is the directory of the template {}, which launch never writes; \
                 give --out-dir a directory of its own",
                out.display(),
                template.display()
            ));
        }
    }
    Ok(())
}

/// `path` made absolute with symlinks resolved as far as it exists; the rest
/// as written (`..` taking back the part before it).
fn resolve(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            let mut resolved = real;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        resolved.pop();
                    }
                    Component::Normal(name) => resolved.push(name),
                    _ => {}
                }
            }
            return resolved;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn files_are_private_and_replace_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::at(&dir.path().join("new"), None).unwrap();
        assert_eq!(fs::metadata(out.path()).unwrap().mode() & 0o777, 0o700);
        let path = out.write("sys.config", b"[].").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        out.write("sys.config", b"[a].").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"[a].");
        assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_plain_names_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::at(dir.path(), None).unwrap();
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(out.write(bad, b"x").is_err(), "{bad:?}");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_private_directory_is_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::private(dir.path(), None).unwrap();
        let path = out.path().to_path_buf();
        out.write("vm.args", b"-x").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o700);
        drop(out);
        assert!(!path.exists());
    }

    #[test]
    fn the_release_and_template_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        fs::create_dir_all(root.join("releases/1")).unwrap();
        let template = root.join("releases/1/sys.config");
        let elsewhere = dir.path().join("etc/app.config.src");
        for inside in [
            root.clone(),
            root.join("releases/1"),
            root.join("tmp/new"),
            dir.path().join("app/../app/x"),
        ] {
            assert!(
                check_outside(&inside, Some(&root), []).is_err(),
                "{inside:?}"
            );
        }
        std::os::unix::fs::symlink(root.join("releases"), dir.path().join("link")).unwrap();
        assert!(check_outside(&dir.path().join("link/1"), Some(&root), []).is_err());
        assert!(
            check_outside(&dir.path().join("etc"), None, [elsewhere.as_path()]).is_err(),
            "beside a template"
        );
        let out = dir.path().join("out");
        assert!(
            check_outside(&out, Some(&root), [template.as_path(), elsewhere.as_path()]).is_ok()
        );
    }
}
