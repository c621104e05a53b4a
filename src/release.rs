//! Finding a release: its root, its version and its templates.
//!
//! Layouts differ between rebar3/relx, mix release and Distillery, but all of
//! them keep `releases/start_erl.data` (ERTS version, release version) and
//! `releases/VSN/sys.config` and `vm.args`, with `.src` templates beside them
//! in relx. Nothing here reads a template or writes anything.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cli::TemplateArgs;
use crate::resolve::Env;
use crate::templates::Role;

/// The templates of a run and the release they came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The release root, when there is one: where the release runs, so
    /// relative include names of a sys.config resolve against it.
    pub root: Option<PathBuf>,
    /// The templates, in the order sys.config, vm.args, other files.
    pub templates: Vec<(PathBuf, Role)>,
}

/// How the release root was found, which says how sure launch may be that a
/// release is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// `--root` or `LAUNCH_ROOT`: the user named it.
    Named,
    /// COMMAND runs `<root>/bin/<name>` and `<root>/releases` exists: a
    /// release's start script.
    StartScript,
    /// `$RELEASE_ROOT`, or the current directory holding `releases/`: a
    /// release only when it holds one (see [`holds_release`]).
    Guessed,
}

/// The templates named on the command line, and the release's own for
/// those not named: `--sys-config`, `--vm-args`, `--file`; discovery under
/// the release root fills in sys.config and vm.args.
///
/// Discovery fails closed: a version that cannot be told, or a release
/// with neither template, is an error, not a release started with nothing
/// rendered; so is a root without a release when the user named it or
/// COMMAND is a release's start script. Only a guessed root that shows no
/// sign of an Erlang release means there is none, and finding nothing is
/// no error.
pub fn select(args: &TemplateArgs, command: &[OsString], env: &Env) -> Result<Selection, String> {
    let found = root(args.root.as_deref(), command, env);
    let mut selection = Selection {
        root: found.as_ref().map(|(root, _)| root.clone()),
        templates: Vec::new(),
    };
    let wanted = [
        (args.sys_config.clone(), "sys.config", Role::SysConfig),
        (args.vm_args.clone(), "vm.args", Role::VmArgs),
    ];
    let discover = wanted.iter().any(|(given, ..)| given.is_none());
    let version = match (&found, discover) {
        (Some((root, Found::Guessed)), true) if !holds_release(root) => None,
        (Some((root, _)), true) => Some((root.as_path(), version(root, env)?)),
        _ => None,
    };
    let mut discovered = 0;
    for (given, name, role) in wanted {
        let path = match given {
            Some(path) => Some(path),
            None => version.as_ref().and_then(|(root, vsn)| {
                let found = template(root, vsn, name);
                discovered += usize::from(found.is_some());
                found
            }),
        };
        if let Some(path) = path {
            selection.templates.push((path, role));
        }
    }
    if let Some((root, vsn)) = &version
        && discovered == 0
        && args.sys_config.is_none()
        && args.vm_args.is_none()
    {
        return Err(format!(
            "no release at {}: releases/{vsn} holds no sys.config(.src) or vm.args(.src)",
            root.display()
        ));
    }
    selection
        .templates
        .extend(args.files.iter().map(|p| (p.clone(), Role::Other)));
    Ok(selection)
}

/// The release root and how it was found: `--root`; else the root of the
/// start script COMMAND runs ([`script_root`]); else `$RELEASE_ROOT`; else
/// the current directory when it holds `releases/`.
fn root(explicit: Option<&Path>, command: &[OsString], env: &Env) -> Option<(PathBuf, Found)> {
    if let Some(root) = explicit {
        return Some((root.to_path_buf(), Found::Named));
    }
    if let Some(root) = command
        .first()
        .and_then(|program| script_root(program, env))
    {
        return Some((root, Found::StartScript));
    }
    if let Some(root) = env.get("RELEASE_ROOT").filter(|r| !r.is_empty()) {
        return Some((PathBuf::from(OsStr::from_bytes(root)), Found::Guessed));
    }
    Path::new("releases")
        .is_dir()
        .then(|| (PathBuf::from("."), Found::Guessed))
}

/// `<root>` when the program COMMAND runs is a release's start script,
/// `<root>/bin/<name>` with `<root>/releases` beside it. The program is
/// found as the shell finds it: a name without `/` in the child's `PATH`,
/// a path from the current directory. A symlink to the script (in
/// `/usr/local/bin`, say) leads to the release, as the start scripts
/// themselves follow it; the path as given counts too, for a script that
/// is a symlink into its own release.
fn script_root(program: &OsStr, env: &Env) -> Option<PathBuf> {
    let path = if program.as_bytes().contains(&b'/') {
        PathBuf::from(program)
    } else {
        in_path(program, env.get("PATH")?)?
    };
    let real = std::fs::canonicalize(&path).ok();
    let given = std::path::absolute(&path).ok();
    real.into_iter().chain(given).find_map(|script| {
        let bin = script.parent()?;
        let root = bin.parent()?;
        (bin.file_name()? == "bin" && root.join("releases").is_dir() && !otp_installation(root))
            .then(|| root.to_path_buf())
    })
}

/// True when `root` is an Erlang/OTP installation (`/usr/lib/erlang`), not
/// a release: it has `releases/` and `start_erl.data` like a release, but
/// only an installation has a `releases/VSN/OTP_VERSION`. Its programs
/// (`erl`, `erlc`, `escript`) are no release's start script.
fn otp_installation(root: &Path) -> bool {
    std::fs::read_dir(root.join("releases")).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().join("OTP_VERSION").is_file())
    })
}

/// The first `DIR/name` that is an executable file, for the directories of
/// `path` (`:`-separated, an empty one the current directory), as execvp
/// looks.
fn in_path(name: &OsStr, path: &[u8]) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path.split(|&b| b == b':')
        .map(|dir| match dir {
            b"" => Path::new(".").join(name),
            dir => Path::new(OsStr::from_bytes(dir)).join(name),
        })
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// True when a guessed root holds an Erlang release, even one that cannot
/// be told apart or read: `releases/` with `start_erl.data`, `RELEASES` or
/// `COOKIE` (mix) in it, or a directory in it that holds `start.boot`, a
/// `.rel`, or a sys.config or vm.args (`.src` too), or that cannot be
/// listed. Anything else named `releases/` (a Capistrano deploy, a
/// project's release notes) and an Erlang/OTP installation hold none.
fn holds_release(root: &Path) -> bool {
    let releases = root.join("releases");
    if !releases.is_dir() || otp_installation(root) {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(&releases) else {
        return true;
    };
    let erlang_file = |name: &OsStr| {
        let name = name.as_bytes();
        name.ends_with(b".rel")
            || [
                &b"start.boot"[..],
                b"sys.config",
                b"sys.config.src",
                b"vm.args",
                b"vm.args.src",
            ]
            .contains(&name)
    };
    ["start_erl.data", "RELEASES", "COOKIE"]
        .iter()
        .any(|name| releases.join(name).exists())
        || entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .any(|e| match std::fs::read_dir(e.path()) {
                Ok(files) => files
                    .filter_map(Result::ok)
                    .any(|f| erlang_file(&f.file_name())),
                Err(_) => true,
            })
}

/// The release version: in a mix release (one with `releases/COOKIE`) a
/// non-empty `RELEASE_VSN`, which its start script boots; else the second
/// field of `releases/start_erl.data`; else the only directory under
/// `releases/`. The error says what was looked for.
fn version(root: &Path, env: &Env) -> Result<String, String> {
    let releases = root.join("releases");
    let entries = std::fs::read_dir(&releases).map_err(|e| {
        format!(
            "no release at {}: cannot read {} ({e})",
            root.display(),
            releases.display()
        )
    })?;
    // A version names one directory in releases/, not a path elsewhere.
    let held =
        |vsn: &str| !vsn.contains('/') && vsn != "." && vsn != ".." && releases.join(vsn).is_dir();
    if let Some(vsn) = env.get("RELEASE_VSN").filter(|v| !v.is_empty())
        && releases.join("COOKIE").is_file()
    {
        let vsn = String::from_utf8_lossy(vsn);
        return if held(&vsn) {
            Ok(vsn.into_owned())
        } else {
            Err(format!(
                "RELEASE_VSN names release version {vsn}, which has no directory in {}",
                releases.display()
            ))
        };
    }
    let data = releases.join("start_erl.data");
    match std::fs::read_to_string(&data) {
        Ok(text) => {
            return match text.split_whitespace().nth(1) {
                Some(vsn) if held(vsn) => Ok(vsn.to_owned()),
                Some(_) => Err(format!(
                    "{} names a release version that has no directory in {}",
                    data.display(),
                    releases.display()
                )),
                None => Err(format!(
                    "{} should hold two words (ERTS version, release version)",
                    data.display()
                )),
            };
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(format!("cannot read {}: {e}", data.display()));
        }
        Err(_) => {}
    }
    let mut dirs: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    match dirs.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(format!(
            "no release at {}: {} holds no version directory",
            root.display(),
            releases.display()
        )),
        several => Err(format!(
            "cannot tell which release to render: {} holds {} and no start_erl.data says which",
            releases.display(),
            several.join(", ")
        )),
    }
}

/// The first of `NAME.src`, `NAME` that exists in the release's version directory.
fn template(root: &Path, version: &str, name: &str) -> Option<PathBuf> {
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
        assert_eq!(version(dir.path(), &Env::default()).as_deref(), Ok("0.1.0"));
        std::fs::create_dir_all(releases.join("0.2.0")).unwrap();
        let ambiguous = version(dir.path(), &Env::default()).unwrap_err();
        assert!(ambiguous.contains("0.1.0, 0.2.0"), "{ambiguous}");
        std::fs::write(releases.join("start_erl.data"), "13.1.5 0.2.0\n").unwrap();
        assert_eq!(version(dir.path(), &Env::default()).as_deref(), Ok("0.2.0"));
        std::fs::write(releases.join("start_erl.data"), "13.1.5 0.3.0\n").unwrap();
        assert!(
            version(dir.path(), &Env::default()).is_err(),
            "a version without a directory"
        );
        std::fs::write(releases.join("start_erl.data"), "13.1.5\n").unwrap();
        assert!(version(dir.path(), &Env::default()).is_err(), "one word");
        assert!(version(&dir.path().join("nowhere"), &Env::default()).is_err());
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
        assert_eq!(
            root(None, &cmd, &env),
            Some((dir.path().to_path_buf(), Found::StartScript))
        );
        assert_eq!(
            root(Some(Path::new("/x")), &cmd, &env),
            Some((PathBuf::from("/x"), Found::Named))
        );
    }

    #[test]
    fn the_child_gets_the_env_files_variables_then_launchs_own() {
        let env =
            Env::from_pairs([("RELX_REPLACE_OS_VARS".to_string(), b"".to_vec())]).with_files(vec![
                ("A".into(), b"from a file".to_vec()),
                ("RELEASE_TMP".into(), b"/mine".to_vec()),
                ("RELX_CONFIG_PATH".into(), b"/elsewhere".to_vec()),
                ("REPLACE_OS_VARS".into(), b"true".to_vec()),
            ]);
        let sys = Path::new("/out/sys.config");
        let changes = child_env(Some(sys), None, Some(Path::new("/out")), &env);
        let set = |k: &'static str, v: &str| EnvChange::Set(k.into(), v.into());
        assert_eq!(
            changes,
            [
                set("A", "from a file"),
                set("RELEASE_TMP", "/mine"),
                set("RELX_CONFIG_PATH", "/elsewhere"),
                set("REPLACE_OS_VARS", "true"),
                // launch's own come after, so they win.
                set("RELX_CONFIG_PATH", "/out/sys.config"),
                set("SYS_CONFIG_PATH", "/out/sys.config"),
                set("RELEASE_SYS_CONFIG", "/out/sys"),
                EnvChange::Remove("RELX_REPLACE_OS_VARS"),
                EnvChange::Remove("REPLACE_OS_VARS"),
            ]
        );
    }

    #[test]
    fn a_named_root_without_a_release_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let args = TemplateArgs {
            root: Some(dir.path().to_path_buf()),
            ..TemplateArgs::default()
        };
        let env = Env::default();
        assert!(select(&args, &[], &env).is_err(), "no releases/");
        std::fs::create_dir_all(dir.path().join("releases/1")).unwrap();
        let empty = select(&args, &[], &env).unwrap_err();
        assert!(empty.contains("holds no sys.config"), "{empty}");
        std::fs::write(dir.path().join("releases/1/vm.args"), "-x").unwrap();
        let found = select(&args, &[], &env).unwrap();
        assert_eq!(found.templates.len(), 1);
        // Guessed from $RELEASE_ROOT: nothing found is no error.
        let guessed = Env::from_pairs([(
            "RELEASE_ROOT".to_string(),
            dir.path().join("x").into_os_string().into_encoded_bytes(),
        )]);
        let nothing = select(&TemplateArgs::default(), &[], &guessed).unwrap();
        assert!(nothing.templates.is_empty());
    }
}

/// A change to the child's environment, applied in order over launch's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// Set a variable.
    Set(Cow<'static, str>, OsString),
    /// Remove a variable.
    Remove(&'static str),
}

/// The child's environment, as changes to launch's own: first each
/// variable launch's environment sets more than once, set once to the
/// value launch read (erl and the shells would take another); then the
/// variables of the env files (the release sees what it was rendered
/// from); then the variables that point every release flavour at the
/// rendered files. relx/rebar3, mix release and Distillery each read their
/// own variables, and each is set only for a file that was rendered. The
/// variables that make a start script substitute a second time are removed,
/// also when an env file set them.
pub fn child_env(
    sys_config: Option<&Path>,
    vm_args: Option<&Path>,
    out_dir: Option<&Path>,
    env: &Env,
) -> Vec<EnvChange> {
    let mut changes: Vec<EnvChange> = env
        .repeated()
        .into_iter()
        .chain(env.from_files())
        .map(|(name, value)| {
            EnvChange::Set(name.to_owned().into(), OsStr::from_bytes(value).into())
        })
        .collect();
    let mut set = |name: &'static str, value: OsString| {
        changes.push(EnvChange::Set(Cow::Borrowed(name), value));
    };
    if let Some(path) = sys_config {
        set("RELX_CONFIG_PATH", path.into());
        set("SYS_CONFIG_PATH", path.into());
        // mix release appends `.config` itself.
        set("RELEASE_SYS_CONFIG", path.with_extension("").into());
    }
    if let Some(path) = vm_args {
        set("VMARGS_PATH", path.into());
        set("RELEASE_VM_ARGS", path.into());
    }
    if let Some(out_dir) = out_dir
        && env.get("RELEASE_TMP").is_none_or(<[u8]>::is_empty)
    {
        set("RELEASE_TMP", out_dir.into());
    }
    for name in ["RELX_REPLACE_OS_VARS", "REPLACE_OS_VARS"] {
        if env.get(name).is_some() {
            changes.push(EnvChange::Remove(name));
        }
    }
    changes
}
