//! Where rendered files go, driven from outside as a careless operator and a
//! hostile process in the same container would: the release directory and
//! the templates are never written, files are given to `--user` through their
//! own descriptor (never by a path another process can change), paths given
//! to the child are absolute, and a failed write to stdout is an error.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn example() -> PathBuf {
    project().join("fixtures/example")
}

/// launch on the example release with `--out-dir OUT_DIR` and then `args`
/// (`render`, or `-- COMMAND`), its one required variable set.
fn main_job_into(out_dir: &Path, args: &[&str]) -> Output {
    run(launch()
        .arg("--root")
        .arg(example())
        .arg("--out-dir")
        .arg(out_dir)
        .args(args)
        .env("DB_PASSWORD", "pw"))
}

/// A copy of the example release in a new directory, so a test may try to
/// write into it and see whether anything changed.
fn release_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    let status = Command::new("cp")
        .arg("-a")
        .arg(example())
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    (dir, root)
}

/// Every file under `dir` with its bytes, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap_or_default();
                all.push((path, bytes));
            }
        }
    }
    all.sort();
    all
}

#[test]
fn an_out_dir_in_the_release_or_beside_a_template_is_refused() {
    let (_dir, root) = release_copy();
    let before = snapshot(&root);
    let version = root.join("releases/0.1.0");
    let plain = tempfile::tempdir().unwrap();
    let sys_config = plain.path().join("sys.config");
    std::fs::write(&sys_config, "[{a, \"${DB_PASSWORD}\"}].\n").unwrap();
    for (args, out_dir) in [
        (vec!["render"], version.clone()),
        (vec!["render"], root.clone()),
        (vec!["render"], root.join("tmp/new")),
        (vec!["--", "true"], version.clone()),
    ] {
        let out = run(launch()
            .arg("--root")
            .arg(&root)
            .arg("--out-dir")
            .arg(&out_dir)
            .args(&args)
            .env("DB_PASSWORD", "pw"));
        assert_eq!(code(&out), 64, "{args:?} {out_dir:?}");
        assert!(stderr(&out).contains("never writes"), "{}", stderr(&out));
    }
    // A plain sys.config (no .src) and an out dir that is its directory: the
    // template would be replaced by what it rendered to.
    let out = run(launch()
        .arg("--sys-config")
        .arg(&sys_config)
        .arg("--out-dir")
        .arg(plain.path())
        .arg("render")
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 64);
    assert!(stderr(&out).contains(&sys_config.display().to_string()));
    assert_eq!(
        std::fs::read_to_string(&sys_config).unwrap(),
        "[{a, \"${DB_PASSWORD}\"}].\n"
    );
    // $TMPDIR in the release is refused too, and nothing was created there.
    let out = run(launch()
        .arg("--root")
        .arg(&root)
        .args(["--", "true"])
        .env("TMPDIR", root.join("tmp"))
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert_eq!(snapshot(&root), before, "the release was written");
}

#[test]
fn paths_given_to_the_child_are_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(launch()
        .current_dir(dir.path())
        .arg("--root")
        .arg(example())
        .args(["--out-dir", "rel_out", "--", "sh", "-c"])
        .arg("echo $RELX_CONFIG_PATH; echo $VMARGS_PATH; echo $RELEASE_TMP")
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let want = std::fs::canonicalize(dir.path()).unwrap().join("rel_out");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            want.join("sys.config").to_str().unwrap(),
            want.join("vm.args").to_str().unwrap(),
            want.to_str().unwrap()
        ]
    );
}

#[test]
fn an_empty_tmpdir_means_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(launch()
        .current_dir(dir.path())
        .arg("--root")
        .arg(example())
        .args(["--", "sh", "-c", "echo $RELEASE_TMP"])
        .env("TMPDIR", "")
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("/tmp/launch."), "{text}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_command_that_cannot_start_leaves_no_private_directory() {
    let tmp = tempfile::tempdir().unwrap();
    for exec in [false, true] {
        let mut cmd = launch();
        cmd.arg("--root").arg(example());
        if exec {
            cmd.arg("--exec");
        }
        let out = run(cmd
            .args(["--", "/nonexistent/bin/app"])
            .env("TMPDIR", tmp.path())
            .env("DB_PASSWORD", "secret"));
        assert_eq!(code(&out), 127, "exec {exec}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "exec {exec}: {left:?} left in $TMPDIR");
    }
}

#[test]
fn a_failed_write_to_stdout_exits_74() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for args in [
        &["render", "--stdout"][..],
        &["vars"][..],
        &["vars", "--json"][..],
    ] {
        let out = launch()
            .arg("--root")
            .arg(example())
            .args(args)
            .env("DB_PASSWORD", "pw")
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(code(&out), 74, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("standard output"), "{}", stderr(&out));
    }
}

/// Runs `script` with `sh -c` as the user nobody.
fn as_nobody(script: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "sh",
        "-c",
        script,
    ]);
    cmd
}

fn have_setpriv_as_root() -> bool {
    let ok = nix::unistd::geteuid().is_root()
        && Command::new("setpriv")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: needs root and setpriv (util-linux)");
    }
    ok
}

#[test]
fn user_gets_the_files_never_a_shared_directory() {
    if !have_setpriv_as_root() {
        return;
    }
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let before = std::fs::metadata(shared.path()).unwrap();
    let out = main_job_into(shared.path(), &["--user", "nobody", "--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let after = std::fs::metadata(shared.path()).unwrap();
    assert_eq!(
        (after.uid(), after.mode()),
        (before.uid(), before.mode()),
        "a directory launch did not create keeps its owner and mode"
    );
    let file = std::fs::metadata(shared.path().join("sys.config")).unwrap();
    assert_eq!((file.uid(), file.mode() & 0o777), (65534, 0o600));
    // A directory launch creates is the user's.
    let made = shared.path().join("made");
    let out = main_job_into(&made, &["--user", "nobody", "--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&made).unwrap().uid(), 65534);
}

#[test]
fn a_symlink_swapped_in_by_the_user_never_hands_over_a_root_file() {
    if !have_setpriv_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("root-only");
    std::fs::write(&secret, "root's\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    // The user swaps a symlink to the root file in for each rendered file,
    // as fast as it can.
    let script = format!(
        "while :; do for f in sys.config vm.args; do ln -sf {s} {d}/l.$f; mv -f {d}/l.$f {d}/$f; done; done",
        s = secret.display(),
        d = shared.display()
    );
    let mut hostile = as_nobody(&script).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut runs = 0;
    while Instant::now() < deadline {
        // As a plain process and as PID 1 of a new PID namespace, in turn.
        let mut cmd = if runs % 2 == 0 {
            launch()
        } else {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork", "--mount-proc"])
                .arg(launch_bin());
            c
        };
        let out = cmd
            .arg("--root")
            .arg(example())
            .arg("--out-dir")
            .arg(&shared)
            .args(["-q", "--user", "nobody", "--", "true"])
            .env("DB_PASSWORD", "pw")
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "launch was killed");
        runs += 1;
    }
    let _ = hostile.kill();
    let _ = hostile.wait();
    let meta = std::fs::metadata(&secret).unwrap();
    assert_eq!(
        (meta.uid(), meta.mode() & 0o777),
        (0, 0o600),
        "after {runs} runs the root file was handed over"
    );
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "root's\n");
}

/// A directory of the user's on the way to the out dir: launch as root
/// would follow the user's symlink into a directory only root can write.
#[test]
fn a_directory_the_user_controls_on_the_out_dir_path_is_refused() {
    if !have_setpriv_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let own = dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    std::os::unix::fs::chown(&own, Some(65534), Some(65534)).unwrap();
    let targets = [dir.path().join("target"), dir.path().join("target2")];
    for target in &targets {
        std::fs::create_dir(target).unwrap();
        std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    for (link, target) in [("out", &targets[0]), ("sub", &targets[1])] {
        std::os::unix::fs::symlink(target, own.join(link)).unwrap();
        std::os::unix::fs::lchown(own.join(link), Some(65534), Some(65534)).unwrap();
    }
    for out_dir in [own.join("out"), own.join("sub/out"), own.join("real")] {
        let out = main_job_into(&out_dir, &["--user", "nobody", "--", "true"]);
        assert_eq!(code(&out), 73, "{out_dir:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(&own.display().to_string()),
            "{}",
            stderr(&out)
        );
    }
    for target in &targets {
        assert_eq!(std::fs::read_dir(target).unwrap().count(), 0, "{target:?}");
    }
    assert!(!own.join("real").exists());
    // The user's directory may be the out dir itself.
    let out = main_job_into(&own, &["--user", "nobody", "--", "true"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::metadata(own.join("sys.config")).unwrap().uid(),
        65534
    );
    // A symlink of root's, in a directory only root writes, is followed.
    let real = dir.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
    let out = run(launch()
        .arg("--root")
        .arg(example())
        .arg("--out-dir")
        .arg(dir.path().join("link/../link/out"))
        .args(["--user", "nobody", "--", "true"])
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let file = std::fs::metadata(real.join("out/sys.config")).unwrap();
    assert_eq!(file.uid(), 65534);
}

/// As root without --user, an out dir another user can write into would
/// let that user replace what the release reads; as another user (an
/// init container in Kubernetes, whose emptyDir is mode 0777) it is fine,
/// and so is `render`, whose files are read once launch is gone.
#[test]
fn as_root_an_out_dir_other_users_can_write_into_is_refused() {
    if !have_setpriv_as_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let make = |name: &str, mode: u32, owner: u32| {
        let path = dir.path().join(name);
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(&path, Some(owner), None).unwrap();
        path
    };
    let open = make("open", 0o777, 0);
    let group = make("group", 0o770, 0);
    let shared = make("shared", 0o1777, 0);
    let foreign = make("foreign", 0o700, 65534);
    let private = make("private", 0o755, 0);
    for out_dir in [
        open.clone(),
        open.join("new"),
        group.clone(),
        shared.clone(),
        foreign.clone(),
    ] {
        let out = main_job_into(&out_dir, &["--", "true"]);
        assert_eq!(code(&out), 73, "{out_dir:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("other than root"), "{}", stderr(&out));
    }
    // Nor is a private directory made in one of them.
    for tmpdir in [&open, &group, &foreign] {
        let out = run(launch()
            .arg("--root")
            .arg(example())
            .args(["--", "true"])
            .env("TMPDIR", tmpdir)
            .env("DB_PASSWORD", "pw"));
        assert_eq!(code(&out), 73, "{tmpdir:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("TMPDIR"), "{}", stderr(&out));
    }
    for refused in [&open, &group, &shared, &foreign] {
        assert_eq!(
            std::fs::read_dir(refused).unwrap().count(),
            0,
            "{refused:?}"
        );
    }
    for out_dir in [&group, &shared, &foreign] {
        let out = main_job_into(out_dir, &["render"]);
        assert_eq!(code(&out), 0, "{out_dir:?}: {}", stderr(&out));
        let sys = std::fs::metadata(out_dir.join("sys.config")).unwrap();
        assert_eq!((sys.uid(), sys.mode() & 0o777), (0, 0o600));
    }
    let out = main_job_into(&private, &["render"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Not as root: the user writes where it may.
    let out = run(Command::new("setpriv")
        .args(["--reuid=10001", "--regid=10001", "--clear-groups"])
        .arg(launch_bin())
        .arg("--root")
        .arg(example())
        .arg("--out-dir")
        .arg(&open)
        .arg("render")
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::metadata(open.join("sys.config")).unwrap().uid(),
        10001
    );
}

/// erl cannot read a sys.config (or vm.args) at a path that is not UTF-8:
/// the release would not boot, so launch refuses before writing anything.
#[test]
fn an_out_dir_for_a_release_that_is_not_utf8_is_refused_before_writing() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join(std::ffi::OsStr::from_bytes(b"t\xff"));
    std::fs::create_dir(&odd).unwrap();
    let out = run(launch()
        .arg("--root")
        .arg(example())
        .args(["--", "true"])
        .env("TMPDIR", &odd)
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert!(stderr(&out).contains("TMPDIR"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&odd).unwrap().count(), 0);
    let out = main_job_into(&odd.join("new"), &["--", "true"]);
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert!(stderr(&out).contains("--out-dir"), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&odd).unwrap().count(), 0);
}

#[test]
fn a_name_that_cannot_be_written_stops_launch_before_any_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("a.txt");
    std::fs::write(&first, "a=${A:-1}\n").unwrap();
    std::fs::create_dir(dir.path().join("odd")).unwrap();
    let odd = dir.path().join("odd/..src");
    std::fs::write(&odd, "b=${B:-2}\n").unwrap();
    let out_dir = dir.path().join("out");
    for args in [&["render"][..], &["--", "true"][..]] {
        let out = run(launch()
            .arg("--file")
            .arg(&first)
            .arg("--file")
            .arg(&odd)
            .arg("--out-dir")
            .arg(&out_dir)
            .args(args));
        assert_eq!(code(&out), 73, "{args:?}: {}", stderr(&out));
        assert!(!out_dir.exists(), "{args:?}: the out dir was made");
    }
}

/// Runs launch with `args` in a new mount namespace where `source` is bound
/// at `target`; `None` (after saying why the test is skipped) when no mount
/// namespace can be made here.
fn with_bind_mount(
    source: &Path,
    target: &Path,
    args: &[&std::ffi::OsStr],
) -> Option<std::process::Output> {
    let probe = Command::new("unshare")
        .args(["-m", "true"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        skip("`unshare -m` cannot make a mount namespace (needs root and util-linux)");
        return None;
    }
    let launch = launch();
    let mut cmd = Command::new("unshare");
    cmd.args(["-m", "sh", "-c"])
        .arg(r#"mount --make-rprivate / && mount --bind "$1" "$2" || exit 99; shift 2; exec "$@""#)
        .arg("sh")
        .arg(source)
        .arg(target)
        .arg(launch.get_program())
        .args(launch.get_args())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DB_PASSWORD", "pw");
    let out = run(&mut cmd);
    assert_ne!(code(&out), 99, "the bind mount failed: {}", stderr(&out));
    Some(out)
}

/// A bind mount shows the release's directory at another path: the out dir
/// is told apart by identity, not by path, so the templates (a mix
/// release's plain `releases/VSN/sys.config` among them) are never written.
#[test]
fn an_out_dir_reaching_the_release_through_a_bind_mount_is_refused() {
    for mix in [false, true] {
        let (dir, root) = release_copy();
        let version = root.join("releases/0.1.0");
        if mix {
            for name in ["sys.config", "vm.args"] {
                let src = version.join(format!("{name}.src"));
                std::fs::rename(&src, version.join(name)).unwrap();
            }
        }
        let before = snapshot(&root);
        let view = dir.path().join("view");
        std::fs::create_dir(&view).unwrap();
        for (source, out_dir) in [
            (version.clone(), view.clone()),
            (root.clone(), view.clone()),
            (root.clone(), view.join("new")),
            (root.join("releases"), view.join("0.1.0")),
        ] {
            for args in [&["render"][..], &["--", "true"][..]] {
                let mut all: Vec<&std::ffi::OsStr> = vec!["--root".as_ref(), root.as_os_str()];
                all.extend(["--out-dir".as_ref(), out_dir.as_os_str()]);
                all.extend(args.iter().map(std::ffi::OsStr::new));
                let Some(out) = with_bind_mount(&source, &view, &all) else {
                    return;
                };
                let what = format!("mix {mix}, {source:?} at {out_dir:?}, {args:?}");
                assert_eq!(code(&out), 64, "{what}: {}", stderr(&out));
                assert!(
                    stderr(&out).contains("never writes"),
                    "{what}: {}",
                    stderr(&out)
                );
                assert_eq!(snapshot(&root), before, "{what}: the release was written");
                assert!(!root.join("new").exists(), "{what}: made in the release");
            }
        }
        // A directory of its own beside the bind mount is fine.
        let own = dir.path().join("own");
        let args = [
            "--root".as_ref(),
            root.as_os_str(),
            "--out-dir".as_ref(),
            own.as_os_str(),
            "render".as_ref(),
        ];
        let out = with_bind_mount(&version, &view, &args).unwrap();
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(own.join("sys.config").exists());
    }
}

/// A path through `/proc/self` means another directory in the child (relx's
/// script changes to the release root): the child and the messages get the
/// directory launch resolved.
#[test]
fn the_child_is_told_the_resolved_out_dir() {
    let dir = tempfile::tempdir().unwrap();
    let want = std::fs::canonicalize(dir.path()).unwrap().join("priv");
    let out = run(launch()
        .current_dir(dir.path())
        .arg("--root")
        .arg(example())
        .args(["--out-dir", "/proc/self/cwd/priv", "--", "sh", "-c"])
        .arg("cd /; echo $RELX_CONFIG_PATH; echo $VMARGS_PATH; echo $RELEASE_TMP; cat $VMARGS_PATH >/dev/null")
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            want.join("sys.config").to_str().unwrap(),
            want.join("vm.args").to_str().unwrap(),
            want.to_str().unwrap()
        ]
    );
    let out = run(launch()
        .current_dir(dir.path())
        .arg("--root")
        .arg(example())
        .args(["--out-dir", "/proc/self/cwd/other", "render"])
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let other = want.with_file_name("other").join("sys.config");
    assert!(
        stderr(&out).contains(other.to_str().unwrap()),
        "{}",
        stderr(&out)
    );
}

/// One file that cannot be written (a directory where vm.args goes) leaves
/// every other as it was: all are written, or none.
#[test]
fn rendered_files_are_written_all_or_none() {
    for args in [&["render"][..], &["--", "true"][..]] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().join("out");
        std::fs::create_dir_all(out_dir.join("vm.args")).unwrap();
        std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(out_dir.join("sys.config"), "old").unwrap();
        let out = main_job_into(&out_dir, args);
        assert_eq!(code(&out), 73, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("vm.args"), "{}", stderr(&out));
        assert_eq!(
            std::fs::read_to_string(out_dir.join("sys.config")).unwrap(),
            "old"
        );
        assert_eq!(file_names(&out_dir), ["sys.config", "vm.args"], "{args:?}");
    }
}

/// Past the file size limit a write fails: launch says so and exits (73 for
/// a file, its temporary removed; 74 for standard output), never killed by
/// SIGXFSZ.
#[test]
fn a_write_past_the_file_size_limit_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.config");
    let entries: Vec<String> = (0..3000)
        .map(|i| format!("{{k{i}, <<\"${{V{i}:-value}}\">>}}"))
        .collect();
    std::fs::write(&big, format!("[{{app, [{}]}}].\n", entries.join(",\n"))).unwrap();
    assert!(std::fs::metadata(&big).unwrap().len() > 64 * 1024);
    let limited = |args: &[&str], stdout: Stdio| {
        let launch = launch();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", r#"ulimit -S -f 4 && exec "$@""#, "sh"])
            .arg(launch.get_program())
            .args(launch.get_args())
            .arg("--sys-config")
            .arg(&big)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(stdout);
        run(&mut cmd)
    };
    let out_dir = dir.path().join("out");
    let out = limited(
        &["--out-dir", out_dir.to_str().unwrap(), "render"],
        Stdio::null(),
    );
    assert_eq!(out.status.code(), Some(73), "{}", stderr(&out));
    assert!(stderr(&out).contains("too large"), "{}", stderr(&out));
    assert_eq!(
        file_names(&out_dir),
        Vec::<String>::new(),
        "a temporary was left"
    );
    for args in [&["render", "--stdout"][..], &["vars"][..]] {
        let file = std::fs::File::create(dir.path().join("stdout")).unwrap();
        let out = limited(args, file.into());
        assert_eq!(out.status.code(), Some(74), "{args:?}: {}", stderr(&out));
    }
}

/// The release cannot open a file whose path is PATH_MAX bytes or longer:
/// such an out dir is refused, as given (before anything is made) and as
/// resolved through symlinks.
#[test]
fn an_out_dir_too_long_for_the_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let name = "d".repeat(200);
    let long: PathBuf = std::iter::repeat_n(name.as_str(), 30).collect();
    let given = dir.path().join("a").join(&long);
    let out = main_job_into(&given, &["--", "true"]);
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert!(stderr(&out).contains("too long"), "{}", stderr(&out));
    assert!(!dir.path().join("a").exists(), "made before refusing");
    // Two short symlinks that lead 30 levels down, made one level at a time
    // through descriptors (no path to them is short enough).
    use nix::fcntl::{OFlag, open, openat};
    use nix::sys::stat::{Mode, mkdirat};
    let half: String = std::iter::repeat_n(format!("{name}/"), 15).collect();
    let flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY;
    let mut level = open(dir.path(), flags, Mode::empty()).unwrap();
    nix::unistd::symlinkat(half.as_str(), &level, "l1").unwrap();
    for i in 1..=30 {
        mkdirat(&level, name.as_str(), Mode::from_bits_truncate(0o755)).unwrap();
        level = openat(&level, name.as_str(), flags, Mode::empty()).unwrap();
        if i == 15 {
            nix::unistd::symlinkat(half.as_str(), &level, "l2").unwrap();
        }
    }
    let out = run(launch()
        .arg("--root")
        .arg(example())
        .arg("--out-dir")
        .arg(dir.path().join("l1/l2"))
        .args(["--", "true"])
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 64, "{}", stderr(&out));
    assert!(stderr(&out).contains("too long"), "{}", stderr(&out));
}
