//! Reading the files launch is given: templates, the config files a
//! sys.config includes, `NAME_FILE` secrets and `--env-file` files. All of them are read here,
//! the same way: only a regular file, never more than a limit, and without
//! blocking on a FIFO or a device that never ends.
//!
//! What a file is for, and how a failure is reported, belongs to the caller:
//! the error says what is wrong with the file, never what it holds.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The most a template (a sys.config, vm.args, an included config file or any
/// other file) may hold: real ones hold kilobytes.
pub const MAX_TEMPLATE: u64 = 16 << 20;

/// The most a `NAME_FILE` secret may hold: what Kubernetes allows a secret.
pub const MAX_SECRET: u64 = 1 << 20;

/// The most an `--env-file` may hold. Its variables are handed to the
/// child, and Linux starts a process with at most a few MiB of arguments
/// and environment together; a real env file holds kilobytes.
pub const MAX_ENV_FILE: u64 = 1 << 20;

/// The most launch's own environment may hold (`/proc/self/environ`): more
/// than the kernel lets a process start with.
pub const MAX_ENVIRONMENT: u64 = 16 << 20;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// It is a directory, a FIFO, a socket or a device.
    #[error("it is not a regular file (a directory, a FIFO, a socket or a device)")]
    NotRegular,
    /// It holds more than the limit, given in bytes.
    #[error("it is larger than {}", size(*.0))]
    TooLarge(u64),
}

/// `limit` in the largest unit that divides it: `16 MiB`, `1 MiB`, `512 bytes`.
pub fn size(limit: u64) -> String {
    match limit {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// Reads the regular file at `path`, of at most `limit` bytes. The file is
/// opened without blocking (a FIFO with no writer would hold launch forever)
/// and checked on its open descriptor, so that what is checked is what is
/// read; a file that grows past the limit while it is read is refused too.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = File::options()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge(limit));
    }
    // The size said is a hint: /proc files say 0, and a file may grow.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    let read_at_most = limit.checked_add(1).ok_or(ReadError::TooLarge(limit))?;
    file.take(read_at_most).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_file(&path, 5).unwrap(), b"12345");
        assert!(matches!(read_file(&path, 4), Err(ReadError::TooLarge(4))));
    }

    #[test]
    fn what_is_not_a_regular_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        for path in [fifo.as_path(), dir.path(), Path::new("/dev/zero")] {
            assert!(
                matches!(read_file(path, MAX_SECRET), Err(ReadError::NotRegular)),
                "{}",
                path.display()
            );
        }
        assert!(matches!(
            read_file(&dir.path().join("absent"), 1),
            Err(ReadError::Io(_))
        ));
    }

    #[test]
    fn a_file_that_says_it_is_empty_is_still_capped() {
        // /proc files say their size is 0.
        let read = read_file(Path::new("/proc/self/status"), MAX_SECRET).unwrap();
        assert!(!read.is_empty());
        assert!(matches!(
            read_file(Path::new("/proc/self/status"), 8),
            Err(ReadError::TooLarge(8))
        ));
    }

    #[test]
    fn sizes_are_said_in_their_unit() {
        assert_eq!(size(MAX_TEMPLATE), "16 MiB");
        assert_eq!(size(MAX_SECRET), "1 MiB");
        assert_eq!(size(64 << 10), "64 KiB");
        assert_eq!(size(100), "100 bytes");
    }
}
