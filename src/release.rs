//! Finding a release: its root, its version and its templates.
//!
//! Layouts differ between rebar3/relx, mix release and Distillery, but all of
//! them keep `releases/start_erl.data` (ERTS version, release version) and
//! `releases/VSN/sys.config` and `vm.args`, with `.src` templates beside them
//! in relx. Nothing here reads a template or writes anything.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::resolve::Env;

/// The release root: `--root`; else `<dir>` when COMMAND is `<dir>/bin/<name>`
/// and `<dir>/releases` exists; else `$RELEASE_ROOT`; else the current
/// directory when it holds `releases/`.
pub fn root(explicit: Option<&Path>, command: &[OsString], env: &Env) -> Option<PathBuf> {
    if let Some(root) = explicit {
        return Some(root.to_path_buf());
    }
    if let Some(program) = command.first() {
        let program = Path::new(program);
        if let Some(bin) = program.parent()
            && bin.file_name().is_some_and(|n| n == "bin")
        {
            let dir = bin.parent().unwrap_or(Path::new(""));
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            if dir.join("releases").is_dir() {
                return Some(dir.to_path_buf());
            }
        }
    }
    if let Some(root) = env.get("RELEASE_ROOT").filter(|r| !r.is_empty()) {
        return Some(PathBuf::from(OsStr::from_bytes(root)));
    }
    Path::new("releases").is_dir().then(|| PathBuf::from("."))
}

/// The release version: the second field of `releases/start_erl.data`, else
/// the only directory under `releases/`.
pub fn version(root: &Path) -> Option<String> {
    let releases = root.join("releases");
    if let Ok(data) = std::fs::read_to_string(releases.join("start_erl.data"))
        && let Some(vsn) = data.split_whitespace().nth(1)
    {
        return Some(vsn.to_owned());
    }
    let mut dirs = std::fs::read_dir(&releases)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()));
    let only = dirs.next()?;
    if dirs.next().is_some() {
        return None;
    }
    only.file_name().into_string().ok()
}

/// The first of `NAME.src`, `NAME` that exists in the release's version directory.
pub fn template(root: &Path, version: &str, name: &str) -> Option<PathBuf> {
    let dir = root.join("releases").join(version);
    [format!("{name}.src"), name.to_owned()]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_comes_from_start_erl_data_then_the_only_directory() {
        let dir = tempfile::tempdir().unwrap();
        let releases = dir.path().join("releases");
        std::fs::create_dir_all(releases.join("0.1.0")).unwrap();
        assert_eq!(version(dir.path()).as_deref(), Some("0.1.0"));
        std::fs::create_dir_all(releases.join("0.2.0")).unwrap();
        assert_eq!(version(dir.path()), None);
        std::fs::write(releases.join("start_erl.data"), "13.1.5 0.2.0\n").unwrap();
        assert_eq!(version(dir.path()).as_deref(), Some("0.2.0"));
    }

    #[test]
    fn src_templates_come_first() {
        let dir = tempfile::tempdir().unwrap();
        let vsn = dir.path().join("releases/1");
        std::fs::create_dir_all(&vsn).unwrap();
        std::fs::write(vsn.join("sys.config"), "[].").unwrap();
        assert_eq!(
            template(dir.path(), "1", "sys.config"),
            Some(vsn.join("sys.config"))
        );
        std::fs::write(vsn.join("sys.config.src"), "[].").unwrap();
        assert_eq!(
            template(dir.path(), "1", "sys.config"),
            Some(vsn.join("sys.config.src"))
        );
    }

    #[test]
    fn root_is_found_from_the_command() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("releases")).unwrap();
        let cmd = [dir.path().join("bin/app").into_os_string()];
        let env = Env::default();
        assert_eq!(root(None, &cmd, &env), Some(dir.path().to_path_buf()));
        assert_eq!(
            root(Some(Path::new("/x")), &cmd, &env),
            Some(PathBuf::from("/x"))
        );
    }
}

/// A change to the child's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// Set a variable.
    Set(&'static str, std::ffi::OsString),
    /// Remove a variable.
    Remove(&'static str),
}

/// The environment that points every release flavour at the rendered files
/// relx/rebar3, mix release and Distillery each read their own
/// variables, and each is set only for a file that was rendered. The
/// variables that make a start script substitute a second time are removed.
pub fn child_env(
    sys_config: Option<&Path>,
    vm_args: Option<&Path>,
    out_dir: Option<&Path>,
    env: &Env,
) -> Vec<EnvChange> {
    let mut changes = Vec::new();
    if let Some(path) = sys_config {
        changes.push(EnvChange::Set("RELX_CONFIG_PATH", path.into()));
        changes.push(EnvChange::Set("SYS_CONFIG_PATH", path.into()));
        // mix release appends `.config` itself.
        changes.push(EnvChange::Set(
            "RELEASE_SYS_CONFIG",
            path.with_extension("").into(),
        ));
    }
    if let Some(path) = vm_args {
        changes.push(EnvChange::Set("VMARGS_PATH", path.into()));
        changes.push(EnvChange::Set("RELEASE_VM_ARGS", path.into()));
    }
    for name in ["RELX_REPLACE_OS_VARS", "REPLACE_OS_VARS"] {
        if env.get(name).is_some() {
            changes.push(EnvChange::Remove(name));
        }
    }
    if let Some(out_dir) = out_dir
        && env.get("RELEASE_TMP").is_none_or(<[u8]>::is_empty)
    {
        changes.push(EnvChange::Set("RELEASE_TMP", out_dir.into()));
    }
    changes
}
