//! The out dir: where it may be, and writing rendered files into it.
//!
//! The directory is opened once, and every file is written through that
//! descriptor: a temporary file created beside its target, given its mode and
//! owner through its own descriptor and fsynced, and once all are, each
//! renamed into place. So a failure never leaves a half-written file, one
//! file that cannot be written leaves the others as they were, and a path that another process
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

/// Why an out dir could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// It is in the release, or a template's directory (see [`Outside`]).
    #[error("{0}")]
    Refused(String),
    /// It could not be reached or made.
    #[error(transparent)]
    Write(#[from] WriteError),
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
    ///
    /// The directory, and every directory the walk creates something in,
    /// must be `outside` the release.
    pub fn at(
        path: &Path,
        owner: Option<(Uid, Gid)>,
        for_child: bool,
        outside: &Outside,
    ) -> Result<OutDir, OpenError> {
        let path = std::path::absolute(path).map_err(WriteError::at(path))?;
        let guard = Guard::for_launch(owner);
        let walked = walk(&path, true, guard, outside).map_err(|e| e.at(&path))?;
        outside
            .check_out(&walked.fd, &walked.path)
            .map_err(OpenError::Refused)?;
        if let (Some(guard), true) = (guard, for_child) {
            guard
                .out_dir(&walked.path, &walked.stat)
                .map_err(WriteError::at(&path))?;
        }
        Ok(OutDir::new(
            walked.path,
            walked.fd,
            owner,
            walked.created,
            None,
        )?)
    }

    /// A new private directory (mode 0700) under `parent`, removed when the
    /// returned value is dropped; with `owner`, given to that user. `parent`
    /// must be `outside` the release.
    pub fn private(
        parent: &Path,
        owner: Option<(Uid, Gid)>,
        outside: &Outside,
    ) -> Result<OutDir, OpenError> {
        let parent = std::path::absolute(parent).map_err(WriteError::at(parent))?;
        let guard = Guard::for_launch(owner);
        let in_parent = |source| WriteError {
            path: format!(
                "a private directory in {} (set TMPDIR, or LAUNCH_OUT_DIR, to another directory)",
                parent.display()
            ),
            source,
        };
        let walked = walk(&parent, false, guard, outside).map_err(|e| match e {
            Stop::Io(e) => OpenError::Write(in_parent(e)),
            Stop::Refused(message) => OpenError::Refused(message),
        })?;
        outside
            .check_into(&walked.fd, &walked.path)
            .map_err(OpenError::Refused)?;
        if let Some(guard) = guard {
            guard
                .make(&walked.path, &walked.stat, OsStr::new("launch.*"))
                .map_err(in_parent)?;
        }
        let dir = tempfile::Builder::new()
            .prefix("launch.")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir_in(&walked.path)
            .map_err(in_parent)?;
        let path = dir.path().to_path_buf();
        let name = path.file_name().expect("a temporary name");
        let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW;
        let fd = openat(&walked.fd, name, flags, Mode::empty())
            .map_err(|e| WriteError::at(&path)(e.into()))?;
        Ok(OutDir::new(path, fd, owner, true, Some(dir))?)
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

    /// The directory's absolute path, as the walk resolved it: what the
    /// release is told (a path through `/proc/self` or a descriptor would
    /// mean another directory in the child).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every file (a plain name and its bytes) and returns their
    /// paths; all or, as far as launch can tell, none. Every file is first
    /// written to a temporary one and synced, and every name checked (a
    /// directory there cannot be replaced), before the first is renamed into
    /// place; a failure until then removes the temporaries and changes
    /// nothing. The error says which file failed.
    pub fn write_all(&self, files: &[(&str, &[u8])]) -> Result<Vec<PathBuf>, (usize, io::Error)> {
        // The temporaries not renamed yet, by file.
        let mut temporaries = Vec::with_capacity(files.len());
        let written = self.write_each(files, &mut temporaries);
        for temporary in temporaries.iter().flatten() {
            let _ = unlinkat(&self.dir, temporary.as_str(), UnlinkatFlags::NoRemoveDir);
        }
        written?;
        // Make the renames themselves durable.
        let _ = fsync(&self.dir);
        Ok(files.iter().map(|(name, _)| self.path.join(name)).collect())
    }

    /// The steps of [`OutDir::write_all`], leaving in `temporaries` those
    /// that are still there.
    fn write_each(
        &self,
        files: &[(&str, &[u8])],
        temporaries: &mut Vec<Option<String>>,
    ) -> Result<(), (usize, io::Error)> {
        for (i, (name, bytes)) in files.iter().enumerate() {
            check_name(name).map_err(|e| (i, e))?;
            let (temporary, fd) = self.create_temporary(name).map_err(|e| (i, e))?;
            temporaries.push(Some(temporary));
            self.fill(fd, bytes).map_err(|e| (i, e))?;
        }
        for (i, (name, _)) in files.iter().enumerate() {
            match fstatat(&self.dir, *name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                Ok(stat) if stat.st_mode & SFlag::S_IFMT.bits() == SFlag::S_IFDIR.bits() => {
                    return Err((i, Errno::EISDIR.into()));
                }
                Ok(_) | Err(Errno::ENOENT) => {}
                Err(e) => return Err((i, e.into())),
            }
        }
        for (i, (name, _)) in files.iter().enumerate() {
            let temporary = temporaries[i].as_deref().expect("made above");
            renameat(&self.dir, temporary, &self.dir, *name).map_err(|e| (i, e.into()))?;
            temporaries[i] = None;
        }
        Ok(())
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
/// 0700. A directory missing a name must be `outside` the release: it is
/// checked before anything is made in it.
fn walk(
    path: &Path,
    create: bool,
    guard: Option<Guard>,
    outside: &Outside,
) -> Result<Walked, Stop> {
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
            Err(Errno::ENOENT) => {
                outside.check_into(dir, path).map_err(Stop::Refused)?;
                if !create {
                    return Err(Errno::ENOENT.into());
                }
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
            ))
            .into());
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

/// Why [`walk`] stopped.
#[derive(Debug)]
enum Stop {
    Io(io::Error),
    /// The out dir would be in the release (see [`Outside`]).
    Refused(String),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        Stop::Io(e)
    }
}

impl From<Errno> for Stop {
    fn from(e: Errno) -> Stop {
        Stop::Io(e.into())
    }
}

impl Stop {
    /// The error for the out dir at `path`.
    fn at(self, path: &Path) -> OpenError {
        match self {
            Stop::Io(e) => OpenError::Write(WriteError::at(path)(e)),
            Stop::Refused(message) => OpenError::Refused(message),
        }
    }
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

/// A directory's identity: the same directory by any path, bind mounts
/// included.
type Id = (u64, u64);

fn id(stat: &FileStat) -> Id {
    // The field types differ between targets.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    (u64::from(stat.st_dev), stat.st_ino as u64)
}

/// What an out dir must not be: in the release (the root, or a directory
/// with the root, `releases/`, a version directory or a template's
/// directory in the release among its `..` ancestors), or a template's
/// directory; launch never writes into the release, and never beside (or
/// over) a template. Directories are told apart by identity (device and
/// inode), not by path, so no symlink, bind mount or `/proc` path leads
/// around it.
#[derive(Debug, Default)]
pub struct Outside {
    /// The release's root as given, for messages.
    root: Option<PathBuf>,
    /// The release's directories.
    release: Vec<Id>,
    /// Each template's directory, with the template for messages.
    templates: Vec<(Id, PathBuf)>,
}

impl Outside {
    /// The directories of the release at `root` (if any) and of the
    /// `templates`. One that cannot be opened is left out: nothing can be
    /// written there either.
    pub fn new<'a>(root: Option<&Path>, templates: impl IntoIterator<Item = &'a Path>) -> Outside {
        let stat = |path: &Path| {
            let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
            let fd = open(path, flags, Mode::empty()).ok()?;
            fstat(&fd).ok().map(|stat| (fd, id(&stat)))
        };
        let mut release = Vec::new();
        if let Some(root) = root {
            let releases = root.join("releases");
            let versions = fs::read_dir(&releases).into_iter().flatten().flatten();
            let dirs = [root.to_path_buf(), releases]
                .into_iter()
                .chain(versions.map(|entry| entry.path()));
            release.extend(dirs.filter_map(|dir| stat(&dir)).map(|(_, id)| id));
        }
        let mut dirs = Vec::new();
        for template in templates {
            let dir = template.parent().unwrap_or(Path::new("."));
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            let Some((fd, dir_id)) = stat(dir) else {
                continue;
            };
            let in_release = release
                .first()
                .is_some_and(|root| ancestors(&fd).is_ok_and(|ids| ids.contains(root)));
            if in_release {
                release.push(dir_id);
            }
            dirs.push((dir_id, template.to_path_buf()));
        }
        Outside {
            root: root.map(Path::to_path_buf),
            release,
            templates: dirs,
        }
    }

    /// Refuses to make something in `dir` (at `path`) when it is in the
    /// release.
    fn check_into(&self, dir: &OwnedFd, path: &Path) -> Result<(), String> {
        let (Some(root), false) = (&self.root, self.release.is_empty()) else {
            return Ok(());
        };
        let ids =
            ancestors(dir).map_err(|e| format!("cannot look above {}: {e}", path.display()))?;
        if ids.iter().any(|id| self.release.contains(id)) {
            return Err(format!(
                "the out dir {} is in the release at {}, which launch never writes; \
                 give --out-dir (or TMPDIR) a directory outside it",
                path.display(),
                root.display()
            ));
        }
        Ok(())
    }

    /// Refuses `dir` (at `path`) as the out dir when it is in the release or
    /// a template's directory.
    fn check_out(&self, dir: &OwnedFd, path: &Path) -> Result<(), String> {
        self.check_into(dir, path)?;
        let dir_id = id(&fstat(dir).map_err(|e| format!("{}: {e}", path.display()))?);
        if let Some((_, template)) = self.templates.iter().find(|(id, _)| *id == dir_id) {
            return Err(format!(
                "the out dir {} is the directory of the template {}, which launch never writes; \
                 give --out-dir a directory of its own",
                path.display(),
                template.display()
            ));
        }
        Ok(())
    }
}

/// The identities of `dir` and of each directory above it (`..`, as the
/// kernel goes up, across mounts), up to `/`.
fn ancestors(dir: &OwnedFd) -> io::Result<Vec<Id>> {
    let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let mut ids = vec![id(&fstat(dir)?)];
    let mut up = openat(dir, "..", flags, Mode::empty())?;
    loop {
        let up_id = id(&fstat(&up)?);
        // `/` is its own parent; the bound only guards against a loop.
        if ids.last() == Some(&up_id) || ids.len() > 4096 {
            return Ok(ids);
        }
        ids.push(up_id);
        up = openat(&up, "..", flags, Mode::empty())?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn files_are_private_and_replace_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::at(&dir.path().join("new"), None, true, &Outside::default()).unwrap();
        assert_eq!(fs::metadata(out.path()).unwrap().mode() & 0o777, 0o700);
        let path = out.write_all(&[("sys.config", b"[].")]).unwrap().remove(0);
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        out.write_all(&[("sys.config", b"[a].")]).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"[a].");
        assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
    }

    #[test]
    fn only_plain_names_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::at(dir.path(), None, true, &Outside::default()).unwrap();
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(out.write_all(&[(bad, b"x")]).is_err(), "{bad:?}");
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_private_directory_is_removed_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::private(dir.path(), None, &Outside::default()).unwrap();
        let path = out.path().to_path_buf();
        out.write_all(&[("vm.args", b"-x")]).unwrap();
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
            let walked = walk(&dir.path().join(given), true, None, &Outside::default()).unwrap();
            assert_eq!(walked.stat.st_ino, inode(&want), "{given}");
            assert_eq!(walked.path, fs::canonicalize(&want).unwrap(), "{given}");
        }
        assert!(walk(&dir.path().join("loop"), true, None, &Outside::default()).is_err());
        assert!(
            walk(
                &dir.path().join("missing"),
                false,
                None,
                &Outside::default()
            )
            .is_err()
        );
    }

    #[test]
    fn the_release_and_template_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        fs::create_dir_all(root.join("releases/1")).unwrap();
        fs::create_dir_all(dir.path().join("etc/sub")).unwrap();
        let template = root.join("releases/1/sys.config");
        let elsewhere = dir.path().join("etc/app.config.src");
        let outside = Outside::new(Some(&root), [template.as_path(), elsewhere.as_path()]);
        let refused = |path: &Path| {
            matches!(
                OutDir::at(path, None, false, &outside),
                Err(OpenError::Refused(_))
            )
        };
        std::os::unix::fs::symlink(root.join("releases"), dir.path().join("link")).unwrap();
        for inside in [
            root.clone(),
            root.join("releases/1"),
            root.join("tmp/new"),
            dir.path().join("app/../app/x"),
            dir.path().join("link/1"),
            dir.path().join("etc"),
        ] {
            assert!(refused(&inside), "{inside:?}");
        }
        assert!(!root.join("tmp").exists(), "made in the release");
        assert!(
            !refused(&dir.path().join("etc/sub")),
            "below a template's directory"
        );
        assert!(!refused(&dir.path().join("out")));
        let private = OutDir::private(&root, None, &outside);
        assert!(matches!(private, Err(OpenError::Refused(_))));
        // A private directory is a directory of its own, also in a template's.
        assert!(OutDir::private(&dir.path().join("etc"), None, &outside).is_ok());
    }

    #[test]
    fn writing_is_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::at(dir.path(), None, false, &Outside::default()).unwrap();
        fs::write(dir.path().join("a"), "old").unwrap();
        fs::create_dir(dir.path().join("b")).unwrap();
        let (i, _) = out.write_all(&[("a", b"new"), ("b", b"new")]).unwrap_err();
        assert_eq!(i, 1);
        assert_eq!(fs::read(dir.path().join("a")).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            2,
            "a temporary was left"
        );
    }
}
