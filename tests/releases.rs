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
    build_fixture(fixture, build, &src);
    host_epmd();
    Release {
        root: src.join(rel),
        _dir: dir,
    }
}

/// Starts the host's epmd once, before any release node does. The nodes
/// register with the first epmd that listens; when that one was started by
/// the node that runs as PID 1 of a PID namespace, it dies with that
/// namespace and takes every other node's registration with it.
fn host_epmd() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let Some(epmd) = beam_tool("epmd") else {
            return;
        };
        assert!(
            Command::new(&epmd)
                .arg("-daemon")
                .status()
                .unwrap()
                .success()
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !Command::new(&epmd)
            .arg("-names")
            .output()
            .unwrap()
            .status
            .success()
        {
            assert!(std::time::Instant::now() < deadline, "epmd did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    });
}

fn rebar3_release() -> Option<Release> {
    let rebar3 = beam_tool("rebar3")?;
    beam_tool("erl")?;
    let mut cmd = Command::new(rebar3);
    cmd.arg("release");
    Some(build("rebar3_app", &mut cmd, "_build/default/rel/reporter"))
}

/// The same app, configured the old way: relx copies `config/old.sys.config`
/// and `vm.args` with quoted placeholders for RELX_REPLACE_OS_VARS.
fn old_style_release() -> Option<Release> {
    let rebar3 = beam_tool("rebar3")?;
    beam_tool("erl")?;
    let script = "sed -i -e 's|{sys_config_src, \"config/sys.config.src\"}|{sys_config, \"config/old.sys.config\"}|' \
                  -e 's|{vm_args_src, |{vm_args, |' rebar.config && exec \"$REBAR3\" release";
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script]).env("REBAR3", rebar3);
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
    let lines = erl_lines(
        Command::new(&erl).arg("-args_file").arg(&args_file),
        "[io:format(\"~w~n\", [init:get_argument(K)]) || K <- [setcookie, motd, path_arg]], halt().",
    );
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
    // launch is PID 1 of a new PID namespace too, as in a container.
    let script = format!(
        "mount --bind '{root}' '{root}' && mount -o remount,bind,ro '{root}' && \
         ! touch '{root}/probe' 2>/dev/null && \
         exec unshare --pid --fork --mount-proc \"$LAUNCH\" -- '{root}/bin/reporter' foreground"
    );
    let out = run(rebar3_env(
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .env("LAUNCH", launch_bin())
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

/// Images put the start script on PATH (`PATH=/app/bin:$PATH`, `CMD
/// ["app", "foreground"]`) or symlink it into /usr/local/bin: launch finds
/// the release behind the command as the shell and relx's script do, so
/// the script never renders sys.config.src into the release itself.
#[test]
fn a_rebar3_release_started_through_path_or_a_symlink_is_rendered_by_launch() {
    let Some(release) = rebar3_release() else {
        return;
    };
    let before = listing(&release.root);
    let elsewhere = tempfile::tempdir().unwrap();
    let bin = elsewhere.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(release.root.join("bin/reporter"), bin.join("reporter")).unwrap();
    let path = std::env::var("PATH").unwrap();
    for (how, program, path) in [
        ("symlink", bin.join("reporter"), path.clone()),
        (
            "PATH",
            PathBuf::from("reporter"),
            format!("{}:{path}", release.root.join("bin").display()),
        ),
    ] {
        let report_file = elsewhere.path().join(format!("report-{how}"));
        let out = run(rebar3_env(
            launch()
                .arg("--")
                .arg(&program)
                .arg("foreground")
                .current_dir(elsewhere.path())
                .env("PATH", path)
                .env("HOME", std::env::var_os("HOME").unwrap_or_default())
                .env("REPORT_FILE", &report_file)
                .env("REPORT_AND_STOP", "1")
                .env(
                    "NODE_NAME",
                    format!("reporter_found_{}", std::process::id()),
                ),
        ));
        assert_eq!(
            listing(&release.root),
            before,
            "{how}: the release directory was written"
        );
        assert_eq!(code(&out), 0, "{how}");
        let report = std::fs::read_to_string(&report_file).unwrap();
        assert_eq!(
            report.lines().next().unwrap(),
            format!("{}.", rebar3_reported_env()),
            "{how}"
        );
    }
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
    // Mode 0755, not a tmpfs's 1777: as root, launch writes only to an out
    // dir no other user can write into.
    let script = format!(
        "mount -t tmpfs -o size=32k,mode=0755 tmpfs '{target}' && \
         echo '[{{previous, render}}].' > '{target}/sys.config' && \
         (cat /dev/zero > '{target}/filler' 2>/dev/null; true) && \
         \"$LAUNCH\" render --sys-config '{}' --out-dir '{target}'; code=$?; \
         cat '{target}/sys.config'; ls -a '{target}'; exit $code",
        sys.display()
    );
    let out = run(Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .env("LAUNCH", launch_bin()));
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

/// A free TCP port on the loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// The time of the first `what` line of the marks file.
fn mark(marks: &str, what: &str) -> Option<u128> {
    marks
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{what} ")))
        .map(|t| t.parse().unwrap())
}

#[test]
fn a_release_stops_gracefully_keeps_serving_through_the_delay_and_runs_pre_stop_first() {
    let Some(release) = rebar3_release() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("marks");
    let port = free_port();
    let reporter = release.root.join("bin/reporter");
    let pre_stop = format!(
        "'{}' rpc reporter_app mark '[pre_stop]'",
        reporter.display()
    );
    let log = dir.path().join("log");
    let out = std::fs::File::create(&log).unwrap();
    let mut child = rebar3_env(
        launch()
            .args([
                "--verbose",
                "--stop-delay",
                "1s",
                "--pre-stop",
                &pre_stop,
                "--",
            ])
            .arg(&reporter)
            .arg("foreground")
            .env("SERVE", "1")
            .env("MARK_FILE", &marks)
            .env("NODE_NAME", format!("graceful_{}", std::process::id()))
            .env("HOME", std::env::var_os("HOME").unwrap_or_default()),
    )
    .env("PORT", port.to_string())
    .stdout(out.try_clone().unwrap())
    .stderr(out)
    .spawn()
    .unwrap();
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while mark(
        &std::fs::read_to_string(&marks).unwrap_or_default(),
        "serving",
    )
    .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "the release never served:\n{}",
            said()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sent = millis();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // During the stop delay the app still answers.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut answer = String::new();
    std::io::Read::read_to_string(
        &mut std::net::TcpStream::connect(("127.0.0.1", port)).unwrap(),
        &mut answer,
    )
    .unwrap();
    assert_eq!(answer, "ok\n");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "launch did not stop the release:\n{}",
            said()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let done = millis();
    assert_eq!(status.code(), Some(0), "init:stop through SIGTERM, exit 0");
    let text = std::fs::read_to_string(&marks).unwrap();
    let pre_stop = mark(&text, "pre_stop")
        .unwrap_or_else(|| panic!("the pre-stop hook did not reach the node:\n{}", said()));
    let stopped = mark(&text, "stopped").unwrap_or_else(|| panic!("no stop/1:\n{}", said()));
    assert!(pre_stop >= sent + 1000, "the delay came first: {text}");
    assert!(
        stopped >= pre_stop,
        "the hook came before the signal: {text}"
    );
    eprintln!(
        "graceful stop: delay 1000 ms, hook done after {} ms, stop/1 after {} ms, exit after {} ms",
        pre_stop - sent,
        stopped - sent,
        done - sent
    );
}

#[test]
fn sigkill_of_the_beam_gives_137() {
    let Some(release) = rebar3_release() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let marks = dir.path().join("marks");
    let mut child = rebar3_env(
        launch()
            .arg("--")
            .arg(release.root.join("bin/reporter"))
            .arg("foreground")
            .env("SERVE", "1")
            .env("MARK_FILE", &marks)
            .env("NODE_NAME", format!("killed_{}", std::process::id())),
    )
    .env("PORT", free_port().to_string())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&marks)
        .unwrap_or_default()
        .contains("serving")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the release never served"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The start script execs the emulator: launch's child is the BEAM.
    let pid = child.id();
    let beam = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
    let beam = beam.split_whitespace().next().unwrap();
    let comm = std::fs::read_to_string(format!("/proc/{beam}/comm")).unwrap();
    assert!(comm.starts_with("beam"), "{comm}");
    assert!(
        Command::new("kill")
            .args(["-KILL", beam])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(137));
}

#[test]
fn an_old_style_release_is_not_expanded_twice_with_relx_replace_os_vars_set() {
    let Some(release) = old_style_release() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report");
    let reporter = release.root.join("bin/reporter");
    let run_with = |cmd: &mut Command| {
        let out = rebar3_env(cmd)
            .env("GREETING", "${SECRET}")
            .env("SECRET", "leaked")
            .env("RELX_REPLACE_OS_VARS", "true")
            .env("REPORT_FILE", &report)
            .env("REPORT_AND_STOP", "1")
            .env("NODE_NAME", format!("old_{}", std::process::id()))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&report).unwrap();
        text.lines().next().unwrap().to_owned()
    };
    let ours = run_with(launch().arg("--").arg(&reporter).arg("foreground"));
    assert!(
        ours.contains(&format!("{{greeting,{}}}", charlist("${SECRET}"))),
        "launch keeps the value as it is: {ours}"
    );
    assert!(
        ours.contains(&format!("{{secret,{}}}", binary(b"leaked"))),
        "{ours}"
    );
    // The start script alone expands the value a second time.
    let theirs = run_with(Command::new(&reporter).arg("foreground"));
    assert!(
        theirs.contains(&format!("{{greeting,{}}}", charlist("leaked"))),
        "relx leaks SECRET into GREETING: {theirs}"
    );
}

/// `launch -- bin/app eval EXPR`, a one-shot command such as a migration:
/// mix's `eval` starts a new VM without starting the application, with the
/// sys.config and vm.args the start script is pointed at
/// (`RELEASE_SYS_CONFIG`, `RELEASE_VM_ARGS`), so it sees the rendered ones:
/// the port placeholder comes back as an integer.
#[test]
fn a_mix_release_eval_sees_the_rendered_config_with_real_types() {
    let Some(release) = mix_release() else {
        return;
    };
    let before = listing(&release.root);
    // As a migration module loads its application before it reads its
    // configuration (the application is not started by eval).
    let expr = ":ok = Application.load(:reporter)
        :io.format(\"~w~n~w~n\", [Application.get_env(:reporter, :port), :init.get_argument(:motd)])";
    let out = run(launch()
        .arg("--")
        .arg(release.root.join("bin/reporter"))
        .args(["eval", expr])
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("PORT", "4321")
        .env("DB_USER", "u")
        .env("DB_PASSWORD", "p")
        .env("MOTD", MOTD));
    assert_eq!(code(&out), 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("4321\n{{ok,[[{}]]}}\n", charlist(MOTD))
    );
    assert_eq!(
        listing(&release.root),
        before,
        "the release directory was written"
    );
}

/// mix's start script boots `$RELEASE_VSN` when it is set, so launch
/// renders that version's sys.config: a copy of 0.1.0 as 0.2.0 whose mode
/// default is `v2`.
#[test]
fn a_mix_release_renders_the_version_release_vsn_boots() {
    let Some(release) = mix_release() else {
        return;
    };
    let releases = release.root.join("releases");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(releases.join("0.1.0"))
        .arg(releases.join("0.2.0"))
        .status()
        .unwrap();
    assert!(copied.success());
    let sys = releases.join("0.2.0/sys.config");
    let text = std::fs::read_to_string(&sys).unwrap();
    assert!(text.contains("'${MODE:-normal}'"), "{text}");
    std::fs::write(&sys, text.replace("'${MODE:-normal}'", "'${MODE:-v2}'")).unwrap();
    let expr = ":ok = Application.load(:reporter)
        :io.format(\"~w~n\", [Application.get_env(:reporter, :mode)])";
    for (vsn, mode) in [("", "normal\n"), ("0.2.0", "v2\n")] {
        let out = run(launch()
            .arg("--")
            .arg(release.root.join("bin/reporter"))
            .args(["eval", expr])
            .env("HOME", std::env::var_os("HOME").unwrap_or_default())
            .env("RELEASE_VSN", vsn)
            .env("PORT", "4321")
            .env("DB_USER", "u")
            .env("DB_PASSWORD", "p")
            .env("MOTD", MOTD));
        assert_eq!(code(&out), 0, "RELEASE_VSN={vsn}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            mode,
            "RELEASE_VSN={vsn}"
        );
    }
}

/// relx's `eval` (rebar3 3.19) runs the expression on the running node, not
/// in a new VM: its script reads the node's name and cookie from the vm.args
/// it is pointed at (`VMARGS_PATH`), so under launch it finds the node
/// through the rendered one. A one-shot command in a VM of its own, as a
/// migration in an init container runs, is relx's `console_clean` with
/// `-noshell -eval`; it reads the rendered sys.config (`RELX_CONFIG_PATH`).
#[test]
fn a_rebar3_release_eval_and_a_one_shot_command_see_the_rendered_config() {
    let Some(release) = rebar3_release() else {
        return;
    };
    let reporter = release.root.join("bin/reporter");
    let node = format!("eval_{}", std::process::id());
    let env = |cmd: &mut Command| {
        rebar3_env(cmd)
            .env("NODE_NAME", &node)
            .env("HOME", std::env::var_os("HOME").unwrap_or_default());
    };

    // One-shot, with no node running: relx's eval has none to talk to.
    let mut cmd = launch();
    cmd.arg("--").arg(&reporter).args([
        "console_clean",
        "-noshell",
        "-eval",
        "ok = application:load(reporter), \
         io:format(\"port ~w~n\", [application:get_env(reporter, port)]), halt().",
    ]);
    env(&mut cmd);
    let out = run(&mut cmd);
    assert_eq!(code(&out), 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l == "port {ok,4321}"),
        "the one-shot VM read the rendered sys.config: {stdout}"
    );

    // eval on the running node, the node started under launch too.
    let mut cmd = launch();
    cmd.arg("--").arg(&reporter).arg("foreground");
    env(&mut cmd);
    let mut node_run = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let eval = || {
        let mut cmd = launch();
        cmd.arg("--")
            .arg(&reporter)
            .args(["eval", "application:get_env(reporter, port)."]);
        env(&mut cmd);
        cmd.output().unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let answer = loop {
        let out = eval();
        if out.status.success() {
            break String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "eval never reached the node: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let status = Command::new("kill")
        .args(["-TERM", &node_run.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(node_run.wait().unwrap().code(), Some(0));
    assert_eq!(answer.trim(), "{ok, 4321}");
}
