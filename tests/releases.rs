//! Real releases, built here with Debian's rebar3 and elixir from fixtures/,
//! rendered and run by launch: erl reads what launch wrote, the release sees
//! exact values, and the release directory is never written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A release built in a temporary directory.
struct Release {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// Copies `fixture` to a temporary directory and builds it with `build`.
fn build(fixture: &str, build: &mut Command, rel: &str) -> Release {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let status = Command::new("cp")
        .arg("-r")
        .arg(project().join("fixtures").join(fixture))
        .arg(&src)
        .status()
        .unwrap();
    assert!(status.success());
    let out = build.current_dir(&src).output().unwrap();
    assert!(
        out.status.success(),
        "building {fixture} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Release {
        root: src.join(rel),
        _dir: dir,
    }
}

fn rebar3_release() -> Option<Release> {
    let rebar3 = beam_tool("rebar3")?;
    beam_tool("erl")?;
    let mut cmd = Command::new(rebar3);
    cmd.arg("release");
    Some(build("rebar3_app", &mut cmd, "_build/default/rel/reporter"))
}

fn mix_release() -> Option<Release> {
    let mix = beam_tool("mix")?;
    beam_tool("erl")?;
    let mut cmd = Command::new(mix);
    cmd.args(["release", "--overwrite"]).env("MIX_ENV", "prod");
    Some(build("mix_app", &mut cmd, "_build/prod/rel/reporter"))
}

/// True when this process may make mount namespaces (root, unshare present).
fn can_unshare() -> bool {
    let ok = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot make a mount namespace here (needs root and unshare)");
    }
    ok
}

/// Every file under `dir` with its length, to see that nothing was written.
fn listing(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                all.push((entry.path(), meta.len()));
            }
        }
    }
    all.sort();
    all
}

const GREETING: &str = "hi \"there\" \\ é 😀 ${NOT_EXPANDED}";
const MOTD: &str = "hello # world \"q\" 'single' \\back";
const QUOTED: &str = "a \"b\" c # d";

/// The environment of the rebar3 release's templates.
fn rebar3_env(cmd: &mut Command) -> &mut Command {
    cmd.env("GREETING", GREETING)
        .env("SECRET", "s3cr$${x}t")
        .env("COOKIE", "monster")
        .env("MOTD", MOTD)
        .env("QUOTED", QUOTED)
        .env("PORT", "4321")
}

/// The application's environment as the release reports it (sorted, `~w`).
fn rebar3_reported_env() -> String {
    format!(
        "[{{greeting,{}}},{{mode,normal}},{{pool_size,10}},{{port,4321}},{{secret,{}}}]",
        charlist(GREETING),
        binary(b"s3cr$${x}t"),
    )
}

#[test]
fn a_rebar3_release_renders_to_what_erl_reads() {
    let Some(release) = rebar3_release() else {
        return;
    };
    let erl = beam_tool("erl").unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = run(rebar3_env(
        launch()
            .args(["render", "--root"])
            .arg(&release.root)
            .arg("--out-dir")
            .arg(out_dir.path()),
    ));
    assert_eq!(code(&out), 0);
    let read = consult_all(&erl, &[out_dir.path().join("sys.config")]).remove(0);
    let expected = format!(
        "[{{{},4321}},{{{},{}}},{{{},{}}},{{{},10}},{{{},{}}}]",
        atom("port"),
        atom("greeting"),
        charlist(GREETING),
        atom("secret"),
        binary(b"s3cr$${x}t"),
        atom("pool_size"),
        atom("mode"),
        atom("normal"),
    );
    assert_eq!(read, vec![("reporter".into(), expected)]);

    // erl itself reads the rendered vm.args; -sname is dropped so that no
    // distribution starts.
    let args = std::fs::read_to_string(out_dir.path().join("vm.args")).unwrap();
    let args: String = args
        .lines()
        .filter(|l| !l.starts_with("-sname"))
        .map(|l| format!("{l}\n"))
        .collect();
    let args_file = out_dir.path().join("test.args");
    std::fs::write(&args_file, args).unwrap();
    let shown = Command::new(&erl)
        .arg("-args_file")
        .arg(&args_file)
        .args([
            "-noshell",
            "-eval",
            "[io:format(\"~w~n\", [init:get_argument(K)]) || K <- [setcookie, motd, path_arg]], halt().",
        ])
        .output()
        .unwrap();
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let lines: Vec<String> = String::from_utf8(shown.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let arg = |v: &str| format!("{{ok,[[{}]]}}", charlist(v));
    assert_eq!(lines, [arg("monster"), arg(MOTD), arg(QUOTED)]);
}

#[test]
fn a_rebar3_release_runs_under_launch_from_a_read_only_directory() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !can_unshare() {
        return;
    }
    let before = listing(&release.root);
    let report = tempfile::tempdir().unwrap();
    let report_file = report.path().join("report");
    let root = release.root.display().to_string();
    // The release directory becomes a read-only bind mount in a private mount
    // namespace: the nearest thing to `docker run --read-only` here.
    let script = format!(
        "mount --bind '{root}' '{root}' && mount -o remount,bind,ro '{root}' && \
         ! touch '{root}/probe' 2>/dev/null && \
         exec \"$LAUNCH\" -- '{root}/bin/reporter' foreground"
    );
    let out = run(rebar3_env(
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .env("LAUNCH", env!("CARGO_BIN_EXE_launch"))
            .env("REPORT_FILE", &report_file)
            .env("REPORT_AND_STOP", "1")
            .env("NODE_NAME", format!("reporter_ro_{}", std::process::id()))
            .env("RELX_REPLACE_OS_VARS", "true"),
    ));
    assert_eq!(code(&out), 0);
    let report = std::fs::read_to_string(&report_file).unwrap();
    let mut lines = report.lines();
    assert_eq!(lines.next().unwrap(), format!("{}.", rebar3_reported_env()));
    let arg = |v: &str| format!("{{ok,[[{}]]}}", charlist(v));
    assert_eq!(
        lines.next().unwrap(),
        format!("[{{motd,{}}},{{path_arg,{}}}].", arg(MOTD), arg(QUOTED))
    );
    assert_eq!(
        listing(&release.root),
        before,
        "the release directory was written"
    );
}

#[test]
fn a_mix_release_runs_under_launch_with_real_types() {
    let Some(release) = mix_release() else {
        return;
    };
    let report = tempfile::tempdir().unwrap();
    let report_file = report.path().join("report");
    let before = listing(&release.root);
    let out = run(launch()
        .arg("--")
        .arg(release.root.join("bin/reporter"))
        .arg("start")
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("REPORT_FILE", &report_file)
        .env("REPORT_AND_STOP", "1")
        .env("RELEASE_DISTRIBUTION", "none")
        .env("PORT", "4000")
        .env("DB_USER", "o'neil \"admin\"")
        .env("DB_PASSWORD", "p\\a$${ss} ü")
        .env("MOTD", MOTD));
    assert_eq!(code(&out), 0);
    let report = std::fs::read_to_string(&report_file).unwrap();
    let mut lines = report.lines();
    let env = format!(
        "[{{hostname,{}}},{{mode,normal}},{{password,{}}},{{pool_size,10}},{{port,4000}},{{username,{}}}].",
        charlist("localhost"),
        binary("p\\a$${ss} ü".as_bytes()),
        binary(b"o'neil \"admin\""),
    );
    assert_eq!(lines.next().unwrap(), env);
    assert_eq!(
        lines.next().unwrap(),
        format!("[{{motd,{{ok,[[{}]]}}}}].", charlist(MOTD))
    );
    assert_eq!(
        listing(&release.root),
        before,
        "the release directory was written"
    );
}

#[test]
fn a_full_out_dir_exits_73_and_keeps_the_file_that_was_there() {
    if !can_unshare() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("sys.config");
    let big = format!("[{{a, \"{}\"}}].", "x".repeat(64 * 1024));
    std::fs::write(&sys, big).unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let target = full.display().to_string();
    let script = format!(
        "mount -t tmpfs -o size=32k tmpfs '{target}' && \
         echo '[{{previous, render}}].' > '{target}/sys.config' && \
         (cat /dev/zero > '{target}/filler' 2>/dev/null; true) && \
         \"$LAUNCH\" render --sys-config '{}' --out-dir '{target}'; code=$?; \
         cat '{target}/sys.config'; ls -a '{target}'; exit $code",
        sys.display()
    );
    let out = run(Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .env("LAUNCH", env!("CARGO_BIN_EXE_launch")));
    assert_eq!(code(&out), 73);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("launch: cannot write {target}/sys.config")),
        "{err}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("[{previous, render}]."));
    let names: Vec<&str> = lines.collect();
    assert_eq!(
        names,
        [".", "..", "filler", "sys.config"],
        "no temporary file is left"
    );
}
