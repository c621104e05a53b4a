//! The out dir: where it may be, and writing rendered files into it.
//!
//! The directory is opened once, and every file is written through that
//! descriptor: a temporary file created beside its target, given its mode and
//! owner through its own descriptor, fsynced and renamed into place. So a
//! failure never leaves a half-written file, and a path that another process
//! changes meanwhile (a symlink swapped in) can never make launch write,
//! chmod or chown anything but its own new file. Launch changes the owner of
//! a directory only when it created it. Files are mode 0600.
//!
//! The directory is found from `/` one name at a time, each opened without
//! following a symlink in its place. When launch runs as root, every
//! directory and symlink on the way must be one only root can change, and the
//! out dir one no user but root (and `--user`) can write into: otherwise
//! another user could send launch's writes elsewhere, or replace the files
//! after they are written.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, open, openat, readlinkat, renameat};
use nix::sys::stat::{FileStat, Mode, SFlag, fchmod, fstat, fstatat, mkdirat};
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
    ///
    /// When launch runs as root, the path must lead only through directories
    /// and symlinks that only root can change. When the files are `for_child`
    /// (the command launch starts reads them), the out dir must also be
    /// root's (or the user's) and writable by no one else (a sticky one,
    /// with `owner`, is the user's to share); files that `render` leaves for
    /// later are read when launch can no longer guard them.
    pub fn at(
        path: &Path,
        owner: Option<(Uid, Gid)>,
        for_child: bool,
    ) -> Result<OutDir, WriteError> {
        let path = std::path::absolute(path).map_err(WriteError::at(path))?;
        let guard = Guard::for_launch(owner);
        let walked = walk(&path, true, guard).map_err(WriteError::at(&path))?;
        if let (Some(guard), true) = (guard, for_child) {
            guard
                .out_dir(&walked.path, &walked.stat)
                .map_err(WriteError::at(&path))?;
        }
        OutDir::new(path, walked.fd, owner, walked.created, None)
    }

    /// A new private directory (mode 0700) under `parent`, removed when the
    /// returned value is dropped; with `owner`, given to that user.
    pub fn private(parent: &Path, owner: Option<(Uid, Gid)>) -> Result<OutDir, WriteError> {
        let parent = std::path::absolute(parent).map_err(WriteError::at(parent))?;
        let guard = Guard::for_launch(owner);
        let in_parent = |source| WriteError {
            path: format!(
                "a private directory in {} (set TMPDIR, or LAUNCH_OUT_DIR, to another directory)",
                parent.display()
            ),
            source,
        };
        let walked = walk(&parent, false, guard).map_err(in_parent)?;
        if let Some(guard) = guard {
            guard
                .make(&walked.path, &walked.stat, OsStr::new("launch.*"))
                .map_err(in_parent)?;
        }
        let dir = tempfile::Builder::new()
            .prefix("launch.")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(&parent)
            .map_err(in_parent)?;
        let path = dir.path().to_path_buf();
        let name = path.file_name().expect("a temporary name");
        let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW;
        let fd = openat(&walked.fd, name, flags, Mode::empty())
            .map_err(|e| WriteError::at(&path)(e.into()))?;
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
        check_name(name).map_err(WriteError::at(&target))?;
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

/// Refuses `name` unless it is a plain file name, one that can be written
/// into the out dir.
pub fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a plain file name",
        ));
    }
    Ok(())
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if let Some(dir) = self.private.take() {
            // Removing does not follow a symlink put in the directory's place.
            let _ = dir.close();
        }
    }
}

/// What may be on the out dir's path when launch runs as root: directories,
/// and symlinks, that only root can change, then an out dir no other user
/// can write into (see [`OutDir::at`]).
#[derive(Clone, Copy, Debug)]
struct Guard {
    /// The user the release runs as (`--user`): it may own the out dir.
    user: Option<Uid>,
}

impl Guard {
    /// The guard when launch runs as root; none otherwise (launch can then
    /// write only where its own user can).
    fn for_launch(owner: Option<(Uid, Gid)>) -> Option<Guard> {
        Uid::effective().is_root().then_some(Guard {
            user: owner.map(|(uid, _)| uid),
        })
    }

    /// Refuses `entry` (what `name` is in the directory `dir` at `path`)
    /// when a user other than root could replace it: `dir` is not root's,
    /// or others can write into it and (unless it is sticky and `entry` is
    /// root's, or the out dir the user's) swap what `name` is. `last` says
    /// `name` is the out dir itself.
    fn entry(
        &self,
        path: &Path,
        dir: &FileStat,
        name: &OsStr,
        entry: &FileStat,
        last: bool,
    ) -> io::Result<()> {
        let owner_ok = entry.st_uid == 0
            || (last
                && !is_symlink(entry)
                && self.user.is_some_and(|u| u.as_raw() == entry.st_uid));
        let protected = dir.st_uid == 0
            && (dir.st_mode & 0o022 == 0 || (dir.st_mode & 0o1000 != 0 && owner_ok));
        if protected {
            return Ok(());
        }
        let at = path.join(name);
        if dir.st_uid == 0 && dir.st_mode & 0o1000 != 0 {
            return Err(refused(format!(
                "{} belongs to uid {}, who can replace it (with a symlink, say); give an out \
                 dir whose path leads only through directories and symlinks of root's",
                at.display(),
                entry.st_uid
            )));
        }
        Err(refused(format!(
            "{} can be changed by a user other than root (owner uid {}, mode {:o}), who could \
             replace {} (with a symlink, say); give an out dir whose path leads only through \
             directories that only root can write into (chmod go-w, or +t for one all users \
             share, like /tmp)",
            path.display(),
            dir.st_uid,
            dir.st_mode & 0o7777,
            at.display()
        )))
    }

    /// Refuses to make the directory `name` in `dir` (at `path`) when a user
    /// other than root could replace it once it is there.
    fn make(&self, path: &Path, dir: &FileStat, name: &OsStr) -> io::Result<()> {
        // What `name` will be: a directory, root's (launch's).
        let mut made = *dir;
        made.st_uid = 0;
        self.entry(path, dir, name, &made, false)
    }

    /// Refuses an out dir that a user other than root and `--user` can write
    /// into, or that such a user owns.
    fn out_dir(&self, path: &Path, dir: &FileStat) -> io::Result<()> {
        let user_owns = self.user.is_some_and(|u| u.as_raw() == dir.st_uid);
        let owner_ok = dir.st_uid == 0 || user_owns;
        let shared = dir.st_mode & 0o022 != 0;
        // A sticky directory keeps other users from replacing the user's
        // files; without --user, a shared directory is never an out dir.
        let sticky_for_user = self.user.is_some() && dir.st_mode & 0o1000 != 0;
        if owner_ok && (!shared || sticky_for_user) {
            return Ok(());
        }
        Err(refused(format!(
            "{} can be written by a user other than root{} (owner uid {}, mode {:o}), who could \
             replace the rendered files before the release reads them; make it writable only \
             by its owner (chmod go-w), give a directory of its own (without --out-dir the main \
             job makes a private one), or run launch as the user that runs the release",
            path.display(),
            if self.user.is_some() {
                " and --user"
            } else {
                ""
            },
            dir.st_uid,
            dir.st_mode & 0o7777,
        )))
    }
}

/// An out dir refused by [`Guard`].
fn refused(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, message)
}

fn is_symlink(stat: &FileStat) -> bool {
    stat.st_mode & SFlag::S_IFMT.bits() == SFlag::S_IFLNK.bits()
}

/// Opens the directory at the absolute `path` from `/`, one name at a time,
/// as the kernel would resolve it, but never following a symlink (or
/// passing through a directory) that the `guard` refuses. With `create`,
/// missing directories are made as `mkdir -p` would, the last with mode
/// 0700.
fn walk(path: &Path, create: bool, guard: Option<Guard>) -> io::Result<Walked> {
    let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let root = open("/", flags, Mode::empty())?;
    let root_stat = fstat(&root)?;
    // The directories from `/` to where the walk is, and their paths.
    let mut dirs = vec![(root, root_stat, PathBuf::from("/"))];
    let mut names: VecDeque<OsString> = names_of(path);
    let mut links = 0;
    let mut created = false;
    while let Some(name) = names.pop_front() {
        if name == ".." {
            if dirs.len() > 1 {
                dirs.pop();
            }
            continue;
        }
        let last = names.is_empty();
        let (dir, dir_stat, dir_path) = dirs.last().expect("/ stays");
        let entry = match fstatat(dir, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(entry) => entry,
            Err(Errno::ENOENT) if create => {
                if let Some(guard) = guard {
                    guard.make(dir_path, dir_stat, &name)?;
                }
                let mode = if last { 0o700 } else { 0o755 };
                match mkdirat(dir, name.as_os_str(), Mode::from_bits_truncate(mode)) {
                    Ok(()) => created = last,
                    Err(Errno::EEXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                // Looked at again: another process may have been faster.
                names.push_front(name);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(guard) = guard {
            guard.entry(dir_path, dir_stat, &name, &entry, last)?;
        }
        if is_symlink(&entry) {
            links += 1;
            if links > 40 {
                return Err(Errno::ELOOP.into());
            }
            let target = PathBuf::from(readlinkat(dir, name.as_os_str())?);
            if target.is_absolute() {
                dirs.truncate(1);
            }
            for part in names_of(&target).into_iter().rev() {
                names.push_front(part);
            }
            continue;
        }
        let fd = openat(
            dir,
            name.as_os_str(),
            flags | OFlag::O_NOFOLLOW,
            Mode::empty(),
        )?;
        let stat = fstat(&fd)?;
        if (stat.st_dev, stat.st_ino) != (entry.st_dev, entry.st_ino) {
            return Err(refused(format!(
                "{} was replaced while launch opened it",
                dir_path.join(&name).display()
            )));
        }
        let next = dir_path.join(&name);
        dirs.push((fd, stat, next));
    }
    let (fd, stat, path) = dirs.pop().expect("/ stays");
    Ok(Walked {
        fd,
        stat,
        path,
        created,
    })
}

/// A directory [`walk`] opened.
struct Walked {
    fd: OwnedFd,
    stat: FileStat,
    /// Its path with every symlink resolved, for messages.
    path: PathBuf,
    /// Whether launch made it.
    created: bool,
}

/// The names in `path`, `..` included, without `/` and `.`.
fn names_of(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
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
        let out = OutDir::at(&dir.path().join("new"), None, true).unwrap();
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
        let out = OutDir::at(dir.path(), None, true).unwrap();
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
    fn the_walk_resolves_symlinks_and_dot_dot_as_the_kernel_does() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("a/b");
        fs::create_dir_all(&real).unwrap();
        std::os::unix::fs::symlink("a/b", dir.path().join("rel")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("rel"), dir.path().join("abs")).unwrap();
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        let inode = |path: &Path| fs::metadata(path).unwrap().ino();
        for (given, want) in [
            ("abs", real.clone()),
            ("abs/..", dir.path().join("a")),
            ("rel/../b/./../../abs", real.clone()),
            ("abs/new/../made", real.join("made")),
        ] {
            let walked = walk(&dir.path().join(given), true, None).unwrap();
            assert_eq!(walked.stat.st_ino, inode(&want), "{given}");
            assert_eq!(walked.path, fs::canonicalize(&want).unwrap(), "{given}");
        }
        assert!(walk(&dir.path().join("loop"), true, None).is_err());
        assert!(walk(&dir.path().join("missing"), false, None).is_err());
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
