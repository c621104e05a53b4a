//! Writing rendered files: each through a temporary file in the same
//! directory, fsynced and renamed into place, so a failure never leaves a
//! half-written file and never touches a file already there. Files are 0600.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A directory rendered files are written to.
#[derive(Debug)]
pub struct OutDir {
    path: PathBuf,
}

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct WriteError {
    /// The file (or directory) launch tried to write.
    pub path: String,
    /// Why it failed.
    #[source]
    pub source: io::Error,
}

impl OutDir {
    /// Uses `path`, creating it (mode 0700) when it does not exist.
    pub fn at(path: &Path) -> Result<OutDir, WriteError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|source| WriteError {
                path: path.display().to_string(),
                source,
            })?;
        Ok(OutDir {
            path: path.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` atomically and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, WriteError> {
        let target = self.path.join(name);
        let fail = |source| WriteError {
            path: target.display().to_string(),
            source,
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .tempfile_in(&self.path)
            .map_err(fail)?;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
        tmp.write_all(bytes).map_err(fail)?;
        tmp.as_file().sync_all().map_err(fail)?;
        tmp.persist(&target).map_err(|e| fail(e.error))?;
        // Make the rename itself durable.
        if let Ok(dir) = fs::File::open(&self.path) {
            let _ = dir.sync_all();
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn files_are_private_and_replace_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::at(&dir.path().join("new")).unwrap();
        assert_eq!(fs::metadata(out.path()).unwrap().mode() & 0o777, 0o700);
        let path = out.write("sys.config", b"[].").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        out.write("sys.config", b"[a].").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"[a].");
        assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
    }
}
