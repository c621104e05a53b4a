//! launch as a container's init, driven from outside: as a plain process and
//! as a real PID 1 in a new PID namespace (`unshare --pid --fork
//! --mount-proc`, as root). The scenarios are those tini's and dumb-init's
//! own suites check: signals forwarded (and rewritten), exit codes passed on,
//! orphans reaped, process groups, the child's signal state, signals at
//! start, TTYs; and launch's own: grace period, stop delay, pre-stop, --wait.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::launch_bin;

/// Where launch runs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum As {
    /// A plain process (it becomes a child subreaper).
    Plain,
    /// PID 1 of a new PID namespace.
    Pid1,
}

fn can_be_pid1() -> bool {
    let ok = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped as PID 1: cannot make a PID namespace here (needs root and unshare)");
    }
    ok
}

/// The ways launch can run here.
fn modes() -> Vec<As> {
    if can_be_pid1() {
        vec![As::Plain, As::Pid1]
    } else {
        vec![As::Plain]
    }
}

/// `launch ARGS` as `mode`, with an empty environment but PATH.
fn launch_as(mode: As, args: &[&str]) -> Command {
    let mut cmd = match mode {
        As::Plain => Command::new(launch_bin()),
        As::Pid1 => {
            let mut c = Command::new("unshare");
            c.args(["--pid", "--fork", "--mount-proc"])
                .arg(launch_bin());
            c
        }
    };
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(args);
    cmd
}

/// The host PID of launch: the process itself, or unshare's child.
fn launch_pid(child: &Child, mode: As) -> i32 {
    let pid = child.id() as i32;
    if mode == As::Plain {
        return pid;
    }
    let children = format!("/proc/{pid}/task/{pid}/children");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&children).unwrap_or_default();
        if let Some(first) = text.split_whitespace().next() {
            return first.parse().unwrap();
        }
        assert!(Instant::now() < deadline, "unshare started no child");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill(pid: i32, signo: i32) {
    let status = Command::new("kill")
        .arg(format!("-{signo}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signo} {pid}");
}

/// Waits until `check` holds, at most `limit`.
fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to exit, at most `limit` (a hang fails the test).
fn finish(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("launch did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A bash child that records every signal it gets but SIGCONT, one number a
/// line, until the file `STOP` exists. bash loses a trapped signal that a
/// trapped SIGCONT follows at once, and launch sends SIGCONT after each stop
/// signal.
const RECORDER: &str = r#"
for n in $(seq 1 64); do
  case $n in 9|17|18|19|32|33) ;; *) trap "echo $n >> '$OUT'" $n ;; esac
done
echo ready > "$OUT.ready"
while [ ! -e "$OUT.stop" ]; do sleep 0.05 & wait $!; done
exit 0
"#;

/// Signals launch forwards: all but KILL and STOP (which cannot be caught),
/// CHLD, TTIN and TTOU, the synchronous faults (left to end launch itself,
/// as in tini) and 32/33 (reserved by the C library).
fn forwarded_signals() -> Vec<i32> {
    (1..=64)
        .filter(|n| ![4, 5, 6, 7, 8, 9, 11, 17, 19, 21, 22, 31, 32, 33].contains(n))
        .collect()
}

/// The signals [`RECORDER`] records.
fn recorded() -> Vec<i32> {
    forwarded_signals()
        .into_iter()
        .filter(|&n| n != 18)
        .collect()
}

fn recorder(mode: As, dir: &Path, extra: &[&str]) -> (Child, PathBuf) {
    let out = dir.join("signals");
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["--", "bash", "-c", RECORDER]);
    let child = launch_as(mode, &args)
        .env("OUT", &out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = PathBuf::from(format!("{}.ready", out.display()));
    eventually(Duration::from_secs(10), "the recorder", || ready.exists());
    (child, out)
}

fn stop_recorder(mut child: Child, out: &Path) -> std::process::ExitStatus {
    std::fs::write(format!("{}.stop", out.display()), "").unwrap();
    finish(&mut child, Duration::from_secs(10))
}

#[test]
fn every_catchable_signal_reaches_the_child() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let (child, out) = recorder(mode, dir.path(), &[]);
        let pid = launch_pid(&child, mode);
        for signo in recorded() {
            kill(pid, signo);
            eventually(
                Duration::from_secs(5),
                &format!("signal {signo} ({mode:?})"),
                || read(&out).lines().any(|l| l == signo.to_string()),
            );
        }
        let status = stop_recorder(child, &out);
        assert_eq!(status.code(), Some(0), "{mode:?}");
        let got: Vec<i32> = read(&out).lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(got, recorded(), "{mode:?}: each exactly once, in order");
        // SIGCONT, which the recorder leaves alone.
        let dir = tempfile::tempdir().unwrap();
        let got = dir.path().join("got");
        let mut child = launch_as(
            mode,
            &[
                "--",
                "bash",
                "-c",
                "trap 'echo 18 > \"$GOT\"; exit 0' CONT; touch \"$GOT.ready\"; while :; do sleep 0.05 & wait $!; done",
            ],
        )
        .env("GOT", &got)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let ready = PathBuf::from(format!("{}.ready", got.display()));
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        kill(launch_pid(&child, mode), 18);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{mode:?}");
        assert_eq!(read(&got), "18\n", "{mode:?}");
    }
}

#[test]
fn rewritten_signals_arrive_as_others_and_dropped_ones_not_at_all() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let (child, out) = recorder(
            mode,
            dir.path(),
            &[
                "--rewrite",
                "USR1:USR2",
                "--rewrite",
                "SIGHUP:0",
                "--rewrite",
                "40:WINCH",
            ],
        );
        let pid = launch_pid(&child, mode);
        // One at a time, each after the last arrived, so bash takes them in order.
        for (send, expect) in [
            (1, None),
            (10, Some("12")),
            (40, Some("28")),
            (15, Some("15")),
        ] {
            kill(pid, send);
            if let Some(expect) = expect {
                eventually(Duration::from_secs(5), expect, || {
                    read(&out).lines().any(|l| l == expect)
                });
            }
        }
        stop_recorder(child, &out);
        assert_eq!(read(&out), "12\n28\n15\n", "{mode:?}");
    }
}

#[test]
fn exit_codes_pass_through_and_signals_give_128_plus_n() {
    for mode in modes() {
        // Every code, in one run of launch each: 256 quick children.
        let codes: Vec<i32> = if mode == As::Plain {
            (0..=255).collect()
        } else {
            vec![0, 1, 2, 64, 78, 126, 127, 128, 143, 255]
        };
        for code in codes {
            let out = launch_as(mode, &["--", "sh", "-c", &format!("exit {code}")])
                .stderr(Stdio::null())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(code), "{mode:?}");
        }
        for (signal, signo) in [
            ("TERM", 15),
            ("USR1", 10),
            ("USR2", 12),
            ("HUP", 1),
            ("QUIT", 3),
            ("KILL", 9),
        ] {
            let out = launch_as(mode, &["--", "sh", "-c", &format!("kill -{signal} $$")])
                .stderr(Stdio::null())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(128 + signo), "{mode:?} {signal}");
        }
    }
}

/// Leaves 100 orphans, then counts the zombies whose parent is launch.
const ORPHANS: &str = r#"
for i in $(seq 1 100); do (sleep 0.2 &) ; done
sleep 1
zombies=0
for stat in /proc/[0-9]*/stat; do
  set -- $(cat "$stat" 2>/dev/null)
  [ "$3" = Z ] && [ "$4" = "$PPID" ] && zombies=$((zombies + 1))
done
echo "zombies=$zombies"
"#;

#[test]
fn a_hundred_orphans_are_all_reaped() {
    for mode in modes() {
        let out = launch_as(mode, &["-v", "--", "bash", "-c", ORPHANS])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{mode:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "zombies=0",
            "{mode:?}"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.matches("reaped orphan").count(), 100, "{mode:?}: {err}");
    }
}

#[test]
fn group_forwarding_reaches_a_grandchild_the_child_shields() {
    for mode in modes() {
        for (group, expect) in [(true, "HUP\n"), (false, "")] {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("grandchild");
            // The child catches HUP and does nothing with it (a handler, not
            // SIG_IGN, which the grandchild would inherit). HUP, not a stop
            // signal: those reach every process whatever --group says.
            let script = r#"
trap 'true' HUP TERM
bash -c 'trap "echo HUP >> \"$OUT\"; exit 0" HUP; echo ready > "$OUT.ready"; while :; do sleep 0.05 & wait $!; done' &
pid=$!
while kill -0 $pid 2>/dev/null; do sleep 0.05; done
exit 0
"#;
            let mut args = vec!["--grace-period", "1s"];
            if group {
                args.push("--group");
            }
            args.extend(["--", "bash", "-c", script]);
            let mut child = launch_as(mode, &args)
                .env("OUT", &out)
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let ready = PathBuf::from(format!("{}.ready", out.display()));
            eventually(Duration::from_secs(5), "the grandchild", || ready.exists());
            let pid = launch_pid(&child, mode);
            kill(pid, 1);
            if group {
                eventually(Duration::from_secs(5), "HUP", || !read(&out).is_empty());
            } else {
                std::thread::sleep(Duration::from_millis(300));
                kill(pid, 15);
            }
            let status = finish(&mut child, Duration::from_secs(10));
            assert_eq!(read(&out), expect, "{mode:?} group={group}");
            assert_eq!(status.code(), Some(0), "{mode:?} group={group}");
        }
    }
}

#[test]
fn a_signal_before_the_child_exists_is_delivered_once_it_does() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let gate = dir.path().join("gate");
        // While launch waits for the gate, the child does not exist yet.
        let url = format!("file://{}", gate.display());
        let mut child = launch_as(mode, &["--wait", &url, "--", "sh", "-c", "sleep 5"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = launch_pid(&child, mode);
        std::thread::sleep(Duration::from_millis(200));
        kill(pid, 10);
        std::fs::write(&gate, "").unwrap();
        let started = Instant::now();
        let status = finish(&mut child, Duration::from_secs(4));
        assert_eq!(
            status.code(),
            Some(128 + 10),
            "{mode:?}: USR1 ended the child"
        );
        assert!(started.elapsed() < Duration::from_secs(4));
    }
}

#[test]
fn a_signal_at_the_moment_of_start_is_not_lost() {
    for _ in 0..20 {
        let mut child = launch_as(As::Plain, &["--", "sh", "-c", "sleep 5"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        kill(child.id() as i32, 15);
        let status = finish(&mut child, Duration::from_secs(4));
        // Forwarded to the child (143 by exit code), or, if it came before
        // launch's first instruction, the default action — never lost.
        assert!(
            status.code() == Some(143)
                || std::os::unix::process::ExitStatusExt::signal(&status) == Some(15),
            "{status:?}"
        );
    }
}

fn now_ns() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[test]
fn stop_delay_then_pre_stop_then_the_signal_in_that_order() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let marks = dir.path().join("marks");
        let script = r#"trap 'echo "term $(date +%s%N)" >> "$MARKS"; exit 0' TERM
echo ready > "$MARKS.ready"
while :; do sleep 0.05 & wait $!; done"#;
        let hook = r#"echo "hook $(date +%s%N)" >> "$MARKS"; sleep 0.2; echo "hook-done $(date +%s%N)" >> "$MARKS""#;
        let mut child = launch_as(
            mode,
            &[
                "--stop-delay",
                "400ms",
                "--pre-stop",
                hook,
                "--",
                "bash",
                "-c",
                script,
            ],
        )
        .env("MARKS", &marks)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let ready = PathBuf::from(format!("{}.ready", marks.display()));
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        let sent = now_ns();
        kill(launch_pid(&child, mode), 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{mode:?}");
        let text = read(&marks);
        let at = |what: &str| -> u128 {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{what} ")))
                .unwrap_or_else(|| panic!("no {what} in {text}"))
                .parse()
                .unwrap()
        };
        let (hook_start, hook_done, term) = (at("hook"), at("hook-done"), at("term"));
        assert!(
            hook_start >= sent + 400_000_000,
            "{mode:?}: the delay comes first"
        );
        assert!(term >= hook_done, "{mode:?}: the signal waits for the hook");
        assert!(term - sent < 3_000_000_000, "{mode:?}: within a bound");
    }
}

#[test]
fn the_grace_period_kills_a_child_that_ignores_the_stop_signal() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let mut child = launch_as(
            mode,
            &[
                "--grace-period",
                "300ms",
                "--",
                "bash",
                "-c",
                "trap '' TERM; touch \"$READY\"; sleep 30",
            ],
        )
        .env("READY", &ready)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        let sent = Instant::now();
        kill(launch_pid(&child, mode), 15);
        let status = finish(&mut child, Duration::from_secs(5));
        let took = sent.elapsed();
        assert_eq!(status.code(), Some(137), "{mode:?}");
        assert!(took >= Duration::from_millis(300), "{mode:?}: {took:?}");
    }
}

#[test]
fn leftovers_of_the_childs_group_are_stopped_when_it_exits() {
    for mode in modes() {
        let out = launch_as(
            mode,
            &[
                "-v",
                "--grace-period",
                "300ms",
                "--",
                "bash",
                "-c",
                "(trap '' TERM; sleep 30) & sleep 0.1; exit 3",
            ],
        )
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(3), "{mode:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        // The subshell runs `sleep` in its place.
        assert!(err.contains("sent SIGTERM to 1 process: "), "{err}");
        assert!(
            err.contains("still running after the grace period (300ms); killing 1 process: "),
            "{err}"
        );
        assert!(err.contains(" (sleep)"), "{err}");
    }
}

#[test]
fn exec_keeps_the_pid() {
    let child = launch_as(As::Plain, &["--exec", "--", "sh", "-c", "echo $$"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), pid.to_string());
}

#[test]
fn ctrl_c_on_a_terminal_reaches_the_child() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: `script` (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let inner = format!(
        "{} -- bash -c 'trap \"echo got-INT; exit 5\" INT; touch {}; sleep 30'",
        launch_bin().display(),
        ready.display()
    );
    let mut session = Command::new("script")
        .args(["-qfec", &inner, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    eventually(Duration::from_secs(5), "the child on the terminal", || {
        ready.exists()
    });
    session.stdin.as_mut().unwrap().write_all(b"\x03").unwrap();
    let start = Instant::now();
    let out = session.wait_with_output().unwrap();
    assert!(start.elapsed() < Duration::from_secs(10));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("got-INT"), "{text}");
    assert_eq!(out.status.code(), Some(5), "{text}");
}

#[test]
fn wait_for_a_listener_that_appears_late_and_time_out_on_one_that_never_does() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("tcp://127.0.0.1:{port}");
    let mut child = launch_as(As::Plain, &["--wait", &url, "--", "sh", "-c", "exit 4"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "still waiting");
    let _listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let status = finish(&mut child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(4));

    let dir = tempfile::tempdir().unwrap();
    let sock = format!("unix://{}", dir.path().join("never.sock").display());
    let started = Instant::now();
    let out = launch_as(
        As::Plain,
        &["--wait", &sock, "--wait-timeout", "300ms", "--", "true"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(69));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gave up waiting for unix://"));
}

#[test]
fn the_child_runs_as_the_user_given_and_can_read_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("sys.config");
    std::fs::write(&sys, "[{a, \"${A}\"}].").unwrap();
    let out = launch_as(
        As::Plain,
        &[
            "--sys-config",
            sys.to_str().unwrap(),
            "--user",
            "nobody",
            "--",
            "sh",
            "-c",
            "id -u; stat -c %U \"$RELX_CONFIG_PATH\"; cat \"$RELX_CONFIG_PATH\"",
        ],
    )
    .env("A", "x")
    .stderr(Stdio::null())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "65534\nnobody\n[{a, \"x\"}]."
    );
    let out = launch_as(As::Plain, &["--user", "no-such-user", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn a_script_without_a_shebang_runs_with_sh_as_execvp_would() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script");
    std::fs::write(&script, "echo from sh \"$1\"\nexit 6\n").unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let out = launch_as(As::Plain, &["--", script.to_str().unwrap(), "arg"])
        .stderr(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "from sh arg\n");
}

#[test]
fn launch_ignores_sigttin_and_sigttou() {
    let mut child = launch_as(As::Plain, &["--", "sh", "-c", "sleep 0.5; exit 9"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let pid = child.id() as i32;
    kill(pid, 21);
    kill(pid, 22);
    std::thread::sleep(Duration::from_millis(50));
    let stat = read(Path::new(&format!("/proc/{pid}/stat")));
    let state = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert_ne!(state, "T", "launch was stopped");
    let status = finish(&mut child, Duration::from_secs(5));
    assert_eq!(status.code(), Some(9));
}

#[test]
fn a_child_killed_by_a_real_time_signal_gives_128_plus_n() {
    for mode in modes() {
        for signo in [34, 40, 64, 15] {
            let mut child = launch_as(
                mode,
                &["-q", "--", "sh", "-c", &format!("kill -{signo} $$")],
            )
            .spawn()
            .unwrap();
            let status = finish(&mut child, Duration::from_secs(10));
            assert_eq!(status.code(), Some(128 + signo), "{mode:?} signal {signo}");
        }
    }
}

#[test]
fn a_real_time_stop_signal_forwarded_to_the_child_ends_it() {
    // docker stop with `STOPSIGNAL SIGRTMIN+3`, as systemd images have it.
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let mut child = launch_as(mode, &["--", "sh", "-c", "touch \"$READY\"; exec sleep 30"])
            .env("READY", &ready)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        std::thread::sleep(Duration::from_millis(100));
        kill(launch_pid(&child, mode), 37);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(128 + 37), "{mode:?}");
    }
}

/// launch's standard error, line by line as it is written, so that a test
/// can wait for a step of `-v` before acting.
struct StderrLines(std::sync::mpsc::Receiver<String>);

impl StderrLines {
    /// Takes `child`'s piped stderr.
    fn of(child: &mut Child) -> Self {
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        StderrLines(rx)
    }

    /// Waits for a line holding `needle`, at most `limit`.
    fn wait_for(&self, needle: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.0.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return,
                Ok(_) => {}
                Err(_) => panic!("launch never said `{needle}`"),
            }
        }
    }
}

#[test]
fn a_duration_too_long_to_represent_is_a_usage_error_naming_the_flag() {
    for (flag, value) in [
        ("--stop-delay", "307445734561825861m"),
        ("--grace-period", "18446744073709551616s"),
        ("--wait-timeout", "99999999999999999999999ms"),
    ] {
        let out = launch_as(As::Plain, &[flag, value, "--", "true"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{flag} {value}: {err}");
        assert!(err.contains(flag), "{flag}: {err}");
    }
}

#[test]
fn huge_durations_mean_never_and_do_not_abort_launch() {
    const FOREVER: &str = "18446744073709551615s";
    for mode in modes() {
        // A stop delay that never ends: a second stop signal cuts it short.
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--stop-delay",
                FOREVER,
                "--",
                "sh",
                "-c",
                "exec sleep 30",
            ],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let lines = StderrLines::of(&mut child);
        lines.wait_for("started", Duration::from_secs(5));
        let pid = launch_pid(&child, mode);
        kill(pid, 15);
        lines.wait_for("before stopping", Duration::from_secs(5));
        kill(pid, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(143), "{mode:?}: stop delay");

        // A grace period that never ends: the child stops by itself.
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--grace-period",
                FOREVER,
                "--",
                "sh",
                "-c",
                "exec sleep 30",
            ],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let lines = StderrLines::of(&mut child);
        lines.wait_for("started", Duration::from_secs(5));
        kill(launch_pid(&child, mode), 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(143), "{mode:?}: grace period");

        // A wait that never times out: a stop signal ends it.
        let mut child = launch_as(
            mode,
            &[
                "--wait",
                "file:///nonexistent",
                "--wait-timeout",
                FOREVER,
                "--",
                "true",
            ],
        )
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        kill(launch_pid(&child, mode), 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(143), "{mode:?}: wait timeout");
    }
}

/// Sets every signal's disposition to the default, then ignores those of
/// the first argument and blocks those of the second (comma-separated
/// numbers), with raw system calls so that the C library cannot refuse its
/// own; prints its SigBlk and SigIgn; then runs the rest of the command
/// line in its place.
const SIGNAL_STATE: &str = r#"
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
rt_sigaction, rt_sigprocmask = {"x86_64": (13, 14), "aarch64": (134, 135)}[os.uname().machine]
ignore = {int(s) for s in sys.argv[1].split(",") if s}
block = {int(s) for s in sys.argv[2].split(",") if s}
for sig in range(1, 65):
    if sig not in (9, 19):
        action = (ctypes.c_ulong * 4)(1 if sig in ignore else 0, 0, 0, 0)
        if libc.syscall(rt_sigaction, sig, action, None, 8) != 0:
            raise OSError(ctypes.get_errno(), "rt_sigaction %d" % sig)
mask = ctypes.c_ulong(sum(1 << (s - 1) for s in block))
if libc.syscall(rt_sigprocmask, 2, ctypes.byref(mask), None, 8) != 0:
    raise OSError(ctypes.get_errno(), "rt_sigprocmask")
with open("/proc/self/status") as f:
    sys.stdout.write("".join(l for l in f if l.startswith(("SigBlk", "SigIgn"))))
sys.stdout.flush()
os.execvp(sys.argv[3], sys.argv[3:])
"#;

#[test]
fn the_child_starts_with_exactly_the_mask_and_dispositions_launch_started_with() {
    if Command::new("python3").arg("--version").output().is_err()
        || !["x86_64", "aarch64"].contains(&std::env::consts::ARCH)
    {
        eprintln!("skipped: needs python3 on x86_64 or aarch64");
        return;
    }
    const PIPE: u64 = 1 << 12;
    for mode in modes() {
        for (ignore, block) in [
            ("", ""),
            ("1,12,21,33,40", "10,22,35,64"),
            ("2,3,15,22,32,64", "1,2,15,21,34"),
            // SIGPIPE: the Rust runtime ignores it before launch's first
            // line, so what it was is lost; the child gets the default.
            ("13", ""),
        ] {
            let launch = launch_as(
                mode,
                &[
                    "-q",
                    "--",
                    "grep",
                    "-E",
                    "^Sig(Blk|Ign)",
                    "/proc/self/status",
                ],
            );
            let out = Command::new("python3")
                .args(["-c", SIGNAL_STATE, ignore, block])
                .arg(launch.get_program())
                .args(launch.get_args())
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let field = |n: usize| -> u64 {
                let line = text.lines().nth(n).unwrap_or_else(|| panic!("{text}"));
                u64::from_str_radix(line.split('\t').nth(1).unwrap(), 16).unwrap()
            };
            let (parent_blk, parent_ign, child_blk, child_ign) =
                (field(0), field(1), field(2), field(3));
            let case = format!("{mode:?} ignore={ignore} block={block}: {text}");
            assert_eq!(child_blk, parent_blk, "{case}");
            assert_eq!(child_ign, parent_ign & !PIPE, "{case}");
        }
    }
}

/// A directory anyone may write to, for a child run as another user.
fn shared_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut perms = std::fs::metadata(dir.path()).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o777);
    std::fs::set_permissions(dir.path(), perms).unwrap();
    dir
}

#[test]
fn the_pre_stop_hook_runs_as_the_childs_user_and_group() {
    for user in ["nobody", "65534:1"] {
        let dir = shared_dir();
        let ready = dir.path().join("ready");
        let script = r#"trap 'exit 0' TERM
echo "child $(id -u) $(id -g) $(id -G)"
touch "$READY"
while :; do sleep 0.05 & wait $!; done"#;
        let mut child = launch_as(
            As::Plain,
            &[
                "--user",
                user,
                "--pre-stop",
                r#"echo "hook $(id -u) $(id -g) $(id -G)""#,
                "--",
                "bash",
                "-c",
                script,
            ],
        )
        .env("READY", &ready)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        kill(child.id() as i32, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{user}");
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        let group = if user == "nobody" { "65534" } else { "1" };
        assert_eq!(
            out,
            format!("child 65534 {group} {group}\nhook 65534 {group} {group}\n"),
            "{user}"
        );
    }
}

#[test]
fn a_stop_signal_while_waiting_ends_launch_and_others_wait_for_the_child() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let gate = dir.path().join("gate");
        let url = format!("file://{}", gate.display());
        // What launch says on -v, and how it ended, after `signo` came
        // while it waited for the gate (opened after `open_gate`).
        let run = |signo: i32, timeout: &str, open_gate: bool| {
            let mut child = launch_as(
                mode,
                &[
                    "-v",
                    "--wait",
                    &url,
                    "--wait-timeout",
                    timeout,
                    "--",
                    "sleep",
                    "5",
                ],
            )
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
            std::thread::sleep(Duration::from_millis(300));
            kill(launch_pid(&child, mode), signo);
            if open_gate {
                std::thread::sleep(Duration::from_millis(200));
                std::fs::write(&gate, "").unwrap();
            }
            let status = finish(&mut child, Duration::from_secs(5));
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            (status.code(), err)
        };
        let (code, err) = run(15, "60s", false);
        assert_eq!(code, Some(143), "{mode:?}: {err}");
        assert!(!err.contains("started sleep"), "{mode:?}: started: {err}");
        // SIGHUP is not a stop signal: the child gets it once it exists.
        let (code, err) = run(1, "60s", true);
        assert_eq!(code, Some(128 + 1), "{mode:?}: {err}");
        assert!(
            err.contains("started sleep"),
            "{mode:?}: not started: {err}"
        );
        std::fs::remove_file(&gate).unwrap();
    }
}

#[test]
fn a_stop_signal_while_the_templates_are_read_ends_launch_before_the_child_starts() {
    // A template large enough that rendering it takes a while (launch
    // refuses a FIFO, so none can hold it): 300,000 placeholders, 6 MB.
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("sys.config");
    let mut text = String::from("[");
    for i in 0..300_000 {
        text.push_str(&format!("{{k{i}, \"${{V}}\"}},\n"));
    }
    text.push_str("{last, 1}].\n");
    std::fs::write(&template, text).unwrap();
    for mode in modes() {
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--sys-config",
                template.to_str().unwrap(),
                "--",
                "sleep",
                "5",
            ],
        )
        .env("V", "value")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let pid = launch_pid(&child, mode);
        // Once launch has taken its signals (SIGTERM is blocked, to be read
        // from its signalfd), it is rendering.
        eventually(Duration::from_secs(5), "launch to take its signals", || {
            blocked(pid) & (1 << (15 - 1)) != 0
        });
        kill(pid, 15);
        let status = finish(&mut child, Duration::from_secs(60));
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(143), "{mode:?}: {err}");
        assert!(
            !err.contains("started sleep"),
            "{mode:?}: the child was started: {err}"
        );
    }
}

/// The signals process `pid` blocks (`SigBlk` in its status), 0 when gone.
fn blocked(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigBlk:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0)
}

#[test]
fn a_stop_signal_rewritten_to_nothing_starts_no_stop() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let hooked = dir.path().join("hooked");
        let mut child = launch_as(
            mode,
            &[
                "--rewrite",
                "TERM:0",
                "--grace-period",
                "300ms",
                "--pre-stop",
                "touch \"$HOOKED\"",
                "--",
                "sh",
                "-c",
                "touch \"$READY\"; sleep 2; exit 5",
            ],
        )
        .env("READY", &ready)
        .env("HOOKED", &hooked)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let status = stop_once_ready(&mut child, mode, &ready, "the child");
        assert_eq!(status.code(), Some(5), "{mode:?}: the child was stopped");
        assert!(!hooked.exists(), "{mode:?}: the hook ran");
    }
}

/// Once `ready` exists (`what` is up), sends SIGTERM to launch and waits,
/// at most 10 s, for it to exit.
fn stop_once_ready(child: &mut Child, mode: As, ready: &Path, what: &str) -> ExitStatus {
    eventually(Duration::from_secs(5), what, || ready.exists());
    kill(launch_pid(child, mode), 15);
    finish(child, Duration::from_secs(10))
}

/// Runs `command` under launch with a 60 s stop delay and `GOT` set to
/// `got`; once the child has written `$GOT.ready`, sends SIGTERM and waits
/// until launch says the delay has begun. Returns launch, its PID, and the
/// lines of its stderr (which must be read as long as it runs).
fn in_the_stop_delay(mode: As, got: &Path, command: &[&str]) -> (Child, i32, StderrLines) {
    let mut args = vec!["-v", "--stop-delay", "60s", "--"];
    args.extend(command);
    let mut child = launch_as(mode, &args)
        .env("GOT", got)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = StderrLines::of(&mut child);
    let ready = PathBuf::from(format!("{}.ready", got.display()));
    eventually(Duration::from_secs(5), "the child", || ready.exists());
    let pid = launch_pid(&child, mode);
    kill(pid, 15);
    lines.wait_for("before stopping", Duration::from_secs(5));
    (child, pid, lines)
}

#[test]
fn another_stop_signal_during_the_delay_forwards_both() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let got = dir.path().join("got");
        // perl, as bash may pass over a SIGINT while it waits.
        let script = r#"
my $n = 0;
sub note { open my $f, ">>", $ENV{GOT}; print $f "$_[0]\n"; close $f; exit 0 if ++$n == 2 }
$SIG{TERM} = sub { note("TERM") };
$SIG{INT} = sub { note("INT") };
open my $f, ">", "$ENV{GOT}.ready"; close $f;
sleep 1 while 1;
"#;
        let (mut child, pid, _lines) = in_the_stop_delay(mode, &got, &["perl", "-e", script]);
        // SIGINT cuts the delay short: the SIGTERM the delay was for is
        // forwarded, then the SIGINT. (Pending together, the kernel hands
        // the child SIGINT first.)
        kill(pid, 2);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{mode:?}");
        let mut got: Vec<String> = read(&got).lines().map(str::to_owned).collect();
        got.sort();
        assert_eq!(got, ["INT", "TERM"], "{mode:?}");
    }
}

#[test]
fn a_stop_signal_after_the_stop_was_forwarded_is_forwarded_at_once() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let got = dir.path().join("got");
        // The child counts SIGTERMs and exits at the second.
        let script = r#"n=0
trap 'n=$((n+1)); echo $n >> "$GOT"; [ $n -ge 2 ] && exit 0' TERM
echo ready > "$GOT.ready"
while :; do sleep 0.05 & wait $!; done"#;
        let (mut child, pid, _lines) = in_the_stop_delay(mode, &got, &["bash", "-c", script]);
        // The second cuts the delay short...
        kill(pid, 15);
        eventually(Duration::from_secs(5), "the first SIGTERM", || {
            read(&got) == "1\n"
        });
        // ...and the third is forwarded at once, without a new delay.
        kill(pid, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{mode:?}");
    }
}

#[test]
fn a_pre_stop_hook_still_running_when_the_child_exits_is_stopped_too() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let hook_pid = dir.path().join("hook");
    // The child exits 7 as soon as the hook has started; the hook would
    // sleep a minute, and says goodbye on SIGTERM.
    let script = r#"trap '' TERM
touch "$READY"
while [ ! -s "$HOOK" ]; do sleep 0.05; done
exit 7"#;
    let mut child = launch_as(
        As::Plain,
        &[
            "--pre-stop",
            r#"trap 'echo bye > "$HOOK.bye"; exit 0' TERM; echo $$ > "$HOOK.tmp"; mv "$HOOK.tmp" "$HOOK"; sleep 60 & wait $!"#,
            "--",
            "bash",
            "-c",
            script,
        ],
    )
    .env("READY", &ready)
    .env("HOOK", &hook_pid)
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    eventually(Duration::from_secs(5), "the child", || ready.exists());
    kill(child.id() as i32, 15);
    let status = finish(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(7));
    let hook = read(&hook_pid).trim().to_owned();
    let stat = read(Path::new(&format!("/proc/{hook}/stat")));
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    assert!(
        matches!(state, None | Some("Z")),
        "the hook {hook} is still running: {stat}"
    );
    let bye = PathBuf::from(format!("{}.bye", hook_pid.display()));
    assert_eq!(read(&bye), "bye\n", "SIGTERM first, not SIGKILL");
}

#[test]
fn a_pre_stop_hook_is_bounded_by_30_seconds_without_a_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let mut child = launch_as(
        As::Plain,
        &[
            "--pre-stop",
            "sleep 300",
            "--",
            "sh",
            "-c",
            "touch \"$READY\"; exec sleep 300",
        ],
    )
    .env("READY", &ready)
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    eventually(Duration::from_secs(5), "the child", || ready.exists());
    kill(child.id() as i32, 15);
    let status = finish(&mut child, Duration::from_secs(45));
    assert_eq!(status.code(), Some(143));
}

#[test]
fn a_second_stop_signal_while_leftovers_are_stopped_kills_them_at_once() {
    for mode in modes() {
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--grace-period",
                "60s",
                "--",
                "bash",
                "-c",
                "(trap '' TERM; sleep 60) & sleep 0.1; exit 3",
            ],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let lines = StderrLines::of(&mut child);
        lines.wait_for("sent SIGTERM", Duration::from_secs(5));
        kill(launch_pid(&child, mode), 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(3), "{mode:?}");
    }
}

#[test]
fn an_exec_form_pre_stop_runs_its_program_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    // A shell would expand $HOME and take the quotes away.
    let hook = r#"  ["printf", "%s|", "a b", "$HOME", "'q'"]"#;
    let mut child = launch_as(
        As::Plain,
        &[
            "--pre-stop",
            hook,
            "--",
            "bash",
            "-c",
            "trap 'exit 0' TERM; touch \"$READY\"; while :; do sleep 0.05 & wait $!; done",
        ],
    )
    .env("READY", &ready)
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    eventually(Duration::from_secs(5), "the child", || ready.exists());
    kill(child.id() as i32, 15);
    let status = finish(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out, "a b|$HOME|'q'|");
}

#[test]
fn a_pre_stop_starting_with_a_bracket_must_be_an_array_of_strings() {
    let dir = tempfile::tempdir().unwrap();
    let ran = dir.path().join("ran");
    for bad in [
        "[]",
        "[\"\"]",
        "[1]",
        "[\"a\", 2]",
        "[\"a\"",
        " [bin/app, rpc]",
    ] {
        for from_variable in [false, true] {
            let mut args = vec![];
            if !from_variable {
                args.extend(["--pre-stop", bad]);
            }
            args.extend(["--", "touch", ran.to_str().unwrap()]);
            let mut cmd = launch_as(As::Plain, &args);
            if from_variable {
                cmd.env("LAUNCH_PRE_STOP", bad);
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(64), "{bad}: {err}");
            assert!(err.contains("--pre-stop"), "{bad}: {err}");
            assert!(err.contains("JSON array of strings"), "{bad}: {err}");
            if from_variable {
                assert!(err.contains("LAUNCH_PRE_STOP"), "{bad}: {err}");
            }
            assert!(!ran.exists(), "{bad}: the command ran");
        }
    }
}

#[test]
fn a_pre_stop_hook_that_cannot_start_is_named_and_the_stop_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let mut child = launch_as(
        As::Plain,
        &[
            "--pre-stop",
            r#"["/nonexistent/drain", "now"]"#,
            "--",
            "sh",
            "-c",
            "touch \"$READY\"; exec sleep 30",
        ],
    )
    .env("READY", &ready)
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    eventually(Duration::from_secs(5), "the child", || ready.exists());
    kill(child.id() as i32, 15);
    let status = finish(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(143), "TERM still reached the child");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("cannot start the pre-stop hook: /nonexistent/drain: No such file"),
        "{err}"
    );
}

/// A daemon: started by the child with `setsid`, so in a session and
/// process group of its own, out of reach of the child's group. It writes
/// its PID to `$OUT.pid`, then `bye` to `$OUT` on SIGTERM, or ignores
/// SIGTERM when `IGNORE` is set (as its children do then).
const DAEMON: &str = r#"
if [ -n "$IGNORE" ]; then trap '' TERM; else trap 'echo bye > "$OUT"; exit 0' TERM; fi
echo $$ > "$OUT.pid.tmp"; mv "$OUT.pid.tmp" "$OUT.pid"
while :; do sleep 0.05 & wait $!; done
"#;

/// The child's script: starts [`DAEMON`], waits until it is up, then runs
/// `then`.
fn with_daemon(then: &str) -> String {
    format!(
        "setsid bash -c '{}' </dev/null >/dev/null 2>&1 &\nwhile [ ! -e \"$OUT.pid\" ]; do sleep 0.02; done\n{then}",
        DAEMON.replace('\'', "'\\''")
    )
}

/// Processes on this machine started with `OUT=out` in their environment:
/// what a test started, whatever namespace it runs in.
fn started_with(out: &Path) -> Vec<i32> {
    let marker = format!("OUT={}", out.display());
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap() {
        let Ok(pid) = entry.unwrap().file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if environ.split(|&b| b == 0).any(|v| v == marker.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

/// Kills, when dropped, what a test started and left running (what launch
/// did not stop before this change), so that a failing test leaves nothing.
struct KillLeft(PathBuf);

impl Drop for KillLeft {
    fn drop(&mut self) {
        for _ in 0..100 {
            let left = started_with(&self.0);
            if left.is_empty() {
                return;
            }
            for pid in left {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .stderr(Stdio::null())
                    .status();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// What launch wrote to stderr, once it has exited.
fn stderr_of(child: &mut Child) -> String {
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    err
}

#[test]
fn a_setsid_daemon_gets_sigterm_when_the_child_exits() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        let mut child = launch_as(mode, &["-v", "--", "bash", "-c", &with_daemon("exit 3")])
            .env("OUT", &out)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = finish(&mut child, Duration::from_secs(10));
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(3), "{mode:?}: {err}");
        assert_eq!(read(&out), "bye\n", "{mode:?}: the daemon's goodbye: {err}");
        let daemon = read(&PathBuf::from(format!("{}.pid", out.display())));
        assert!(
            err.contains(&format!("{} (bash)", daemon.trim())) && err.contains("sent SIGTERM"),
            "{mode:?}: -v names the daemon: {err}"
        );
        assert_eq!(started_with(&out), [], "{mode:?}: left running");
    }
}

#[test]
fn a_setsid_daemon_gets_sigterm_when_the_stop_signal_is_forwarded() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        // The child stops only once the daemon has said goodbye: the daemon
        // must have had SIGTERM while the child still ran.
        let script = format!(
            "trap 'while [ ! -s \"$OUT\" ]; do sleep 0.02; done; exit 0' TERM\n{}",
            with_daemon("while :; do sleep 0.05 & wait $!; done")
        );
        let mut child = launch_as(mode, &["--", "bash", "-c", &script])
            .env("OUT", &out)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid_file = PathBuf::from(format!("{}.pid", out.display()));
        let status = stop_once_ready(&mut child, mode, &pid_file, "the daemon");
        assert_eq!(status.code(), Some(0), "{mode:?}");
        assert_eq!(read(&out), "bye\n", "{mode:?}");
    }
}

#[test]
fn what_the_child_starts_on_the_stop_signal_is_not_sent_sigterm() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("helpers");
        let _left = KillLeft(out.clone());
        // The child's trap starts helpers (as a trap runs `bin/app stop`)
        // and waits for them; each says whether it had SIGTERM. 100
        // daemons make the SIGTERMs to the others take a while.
        let script = r#"
for i in $(seq 100); do setsid sleep 60 & done
helper='trap "echo term >> \"$OUT\"; exit 0" TERM; sleep 0.3; echo done >> "$OUT"'
trap 'for i in 1 2 3 4 5 6 7 8; do bash -c "$helper" & done; wait; exit 0' TERM
echo up > "$OUT.ready"
while :; do sleep 0.05 & wait $!; done"#;
        let mut child = launch_as(mode, &["--", "bash", "-c", script])
            .env("OUT", &out)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let ready = PathBuf::from(format!("{}.ready", out.display()));
        let status = stop_once_ready(&mut child, mode, &ready, "the child");
        assert_eq!(status.code(), Some(0), "{mode:?}");
        assert_eq!(read(&out), "done\n".repeat(8), "{mode:?}");
    }
}

#[test]
fn with_group_a_child_that_moved_to_another_group_still_gets_the_signal() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        // The child starts a process in a group of its own, then joins that
        // group: the group it started in is empty.
        let script = r#"
$SIG{TERM} = sub { exit 7 };
my $b = fork;
if (!$b) { setpgrp(0, 0); exec "sleep", "30" }
select(undef, undef, undef, 0.1);
setpgrp(0, $b) or die "setpgrp: $!";
open my $f, ">", $ENV{READY}; close $f;
sleep 1 while 1;
"#;
        let mut child = launch_as(
            mode,
            &[
                "--group",
                "--grace-period",
                "5s",
                "--",
                "perl",
                "-e",
                script,
            ],
        )
        .env("READY", &ready)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let status = stop_once_ready(&mut child, mode, &ready, "the child");
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(7), "{mode:?}: {err}");
    }
}

#[test]
fn a_process_that_appears_while_leftovers_are_stopped_gets_sigterm_too() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("copy");
        let _left = KillLeft(out.clone());
        // A leftover that answers SIGTERM by starting a copy of itself and
        // exiting: the copy was not there when launch sent SIGTERM. It
        // starts with SIGTERM blocked, so that none is lost before its
        // handler is set.
        let leftover = r#"
use POSIX;
$SIG{TERM} = sub {
    sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM));
    exec "perl", "-e", $ENV{COPY} unless fork;
    exit 0;
};
open my $f, ">", "$ENV{OUT}.up"; close $f;
sleep 1 while 1;
"#;
        let copy = r#"
use POSIX;
$SIG{TERM} = sub { open my $f, ">>", $ENV{OUT}; print $f "bye\n"; close $f; exit 0 };
sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGTERM));
sleep 1 while 1;
"#;
        let script =
            "perl -e \"$LEFTOVER\" &\nwhile [ ! -e \"$OUT.up\" ]; do sleep 0.02; done\nexit 3";
        let mut child = launch_as(mode, &["-v", "--", "bash", "-c", script])
            .env("OUT", &out)
            .env("LEFTOVER", leftover)
            .env("COPY", copy)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = finish(&mut child, Duration::from_secs(10));
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(3), "{mode:?}: {err}");
        assert_eq!(read(&out), "bye\n", "{mode:?}: {err}");
        assert!(!err.contains("killing"), "{mode:?}: {err}");
    }
}

#[test]
fn with_group_a_child_in_launchs_own_group_gets_the_signal_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("outer");
    let _left = KillLeft(out.clone());
    // The child joins launch's group, which the shell running launch
    // leads: that shell must not have the child's SIGTERM.
    let child = r#"
$SIG{TERM} = sub { exit 7 };
setpgrp(0, getpgrp(getppid())) or die "setpgrp: $!";
open my $f, ">", "$ENV{OUT}.ready"; close $f;
sleep 1 while 1;
"#;
    let outer = r#"
trap 'echo outer >> "$OUT"' TERM
"$LAUNCH" --group --grace-period 5s -- perl -e "$CHILD" &
l=$!
echo $l > "$OUT.pid"
while :; do wait $l; c=$?; kill -0 $l 2>/dev/null || break; done
echo $c > "$OUT.code"
"#;
    let mut shell = Command::new("setsid")
        .args(["bash", "-c", outer])
        .env("LAUNCH", launch_bin())
        .env("OUT", &out)
        .env("CHILD", child)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ready = PathBuf::from(format!("{}.ready", out.display()));
    eventually(Duration::from_secs(5), "the child", || ready.exists());
    let launch: i32 = read(&PathBuf::from(format!("{}.pid", out.display())))
        .trim()
        .parse()
        .unwrap();
    kill(launch, 15);
    finish(&mut shell, Duration::from_secs(10));
    assert_eq!(
        read(&PathBuf::from(format!("{}.code", out.display()))),
        "7\n"
    );
    assert_eq!(read(&out), "", "launch's own group had the signal");
}

#[test]
fn with_group_the_childs_group_has_the_stop_signal_once() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("member");
        let _left = KillLeft(out.clone());
        // A member of the child's group notes each SIGTERM and exits half
        // a second after the first, well after the child.
        let member = r#"
my $n = 0;
$SIG{TERM} = sub { $n++; open my $f, ">>", $ENV{OUT}; print $f "TERM\n"; close $f };
open my $f, ">", "$ENV{OUT}.ready"; close $f;
sleep 1 until $n;
select(undef, undef, undef, 0.5);
exit 0;
"#;
        let script = "perl -e \"$MEMBER\" & trap 'exit 5' TERM; while :; do sleep 0.1; done";
        let mut child = launch_as(
            mode,
            &[
                "--group",
                "--grace-period",
                "5s",
                "--",
                "bash",
                "-c",
                script,
            ],
        )
        .env("OUT", &out)
        .env("MEMBER", member)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let ready = PathBuf::from(format!("{}.ready", out.display()));
        let status = stop_once_ready(&mut child, mode, &ready, "the member");
        assert_eq!(status.code(), Some(5), "{mode:?}");
        assert_eq!(read(&out), "TERM\n", "{mode:?}");
    }
}

#[test]
fn after_the_grace_periods_sigkill_nothing_gets_sigterm() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let script = "trap '' TERM; for i in $(seq 20); do sleep 30 & done; touch \"$READY\"; wait";
        let mut child = launch_as(
            mode,
            &["-v", "--grace-period", "300ms", "--", "bash", "-c", script],
        )
        .env("READY", &ready)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let status = stop_once_ready(&mut child, mode, &ready, "the child");
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(137), "{mode:?}: {err}");
        let (_, after) = err
            .split_once("killing")
            .unwrap_or_else(|| panic!("{mode:?}: nothing killed: {err}"));
        assert!(!after.contains("SIGTERM"), "{mode:?}: {err}");
        assert!(!after.contains("killing"), "{mode:?}: {err}");
    }
}

#[test]
fn a_daemon_that_ignores_sigterm_is_killed_when_the_grace_period_ends() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        let started = Instant::now();
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--grace-period",
                "300ms",
                "--",
                "bash",
                "-c",
                &with_daemon("exit 3"),
            ],
        )
        .env("OUT", &out)
        .env("IGNORE", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let status = finish(&mut child, Duration::from_secs(10));
        let took = started.elapsed();
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(3), "{mode:?}: {err}");
        assert!(took >= Duration::from_millis(300), "{mode:?}: {took:?}");
        let daemon = read(&PathBuf::from(format!("{}.pid", out.display())));
        let killed = err
            .lines()
            .find(|l| l.contains("killing"))
            .unwrap_or_else(|| panic!("{mode:?}: nothing killed: {err}"));
        assert!(
            killed.contains(&format!("{} (bash)", daemon.trim())),
            "{mode:?}: {err}"
        );
        assert_eq!(started_with(&out), [], "{mode:?}: left running");
    }
}

#[test]
fn without_a_grace_period_what_ignores_sigterm_gets_five_seconds() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        let started = Instant::now();
        let mut child = launch_as(mode, &["--", "bash", "-c", &with_daemon("exit 4")])
            .env("OUT", &out)
            .env("IGNORE", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = finish(&mut child, Duration::from_secs(20));
        let took = started.elapsed();
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(4), "{mode:?}: {err}");
        assert!(
            took >= Duration::from_secs(5) && took < Duration::from_secs(15),
            "{mode:?}: {took:?}"
        );
        assert!(
            err.contains("killing"),
            "{mode:?}: said at the normal level: {err}"
        );
        assert_eq!(started_with(&out), [], "{mode:?}: left running");
    }
}

#[test]
fn a_second_stop_signal_kills_what_ignored_the_first_at_once() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        let script = format!(
            "trap 'exit 0' TERM\n{}",
            with_daemon("while :; do sleep 0.05 & wait $!; done")
        );
        let mut child = launch_as(
            mode,
            &["-v", "--grace-period", "60s", "--", "bash", "-c", &script],
        )
        .env("OUT", &out)
        .env("IGNORE", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let lines = StderrLines::of(&mut child);
        let pid_file = PathBuf::from(format!("{}.pid", out.display()));
        eventually(Duration::from_secs(5), "the daemon", || pid_file.exists());
        let pid = launch_pid(&child, mode);
        kill(pid, 15);
        lines.wait_for("child exited", Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            child.try_wait().unwrap().is_none(),
            "{mode:?}: launch waits"
        );
        let sent = Instant::now();
        kill(pid, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{mode:?}");
        assert!(sent.elapsed() < Duration::from_secs(5), "{mode:?}");
        assert_eq!(started_with(&out), [], "{mode:?}: left running");
    }
}

#[test]
fn a_process_forking_while_it_is_stopped_is_killed_with_all_it_started() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        // Forks as fast as it can, each child ignoring SIGTERM too; bounded,
        // so that a launch that lets it escape does not leave a fork bomb.
        let forker = r#"trap '' TERM
echo $$ > "$OUT.pid"
for i in $(seq 1 3000); do (sleep 30) & done
wait"#;
        let script = format!(
            "setsid bash -c '{forker}' </dev/null >/dev/null 2>&1 &\nwhile [ ! -e \"$OUT.pid\" ]; do sleep 0.02; done\nsleep 0.2\nexit 6"
        );
        let mut child = launch_as(
            mode,
            &["--grace-period", "300ms", "--", "bash", "-c", &script],
        )
        .env("OUT", &out)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let status = finish(&mut child, Duration::from_secs(20));
        assert_eq!(status.code(), Some(6), "{mode:?}");
        assert_eq!(started_with(&out), [], "{mode:?}: left running");
    }
}

#[test]
fn a_closed_standard_error_does_not_reach_the_child_nor_hang_launch() {
    // launch's own writes to a closed pipe raise SIGPIPE in launch; that is
    // no signal for the child, and logging it must not loop.
    for mode in modes() {
        for flag in ["--group", "-v"] {
            // `--group` says nothing but problems and outcomes.
            let dir = tempfile::tempdir().unwrap();
            let ran = dir.path().join("ran");
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let mut child = launch_as(
                mode,
                &[
                    flag,
                    "--",
                    "sh",
                    "-c",
                    "sleep 0.3; echo ran > \"$RAN\"; exit 3",
                ],
            )
            .env("RAN", &ran)
            .stderr(writer)
            .spawn()
            .unwrap();
            let status = finish(&mut child, Duration::from_secs(10));
            let case = format!("{mode:?} {flag}");
            assert_eq!(status.code(), Some(3), "{case}");
            assert_eq!(read(&ran), "ran\n", "{case}");
        }
        // SIGPIPE sent to launch from outside is still forwarded.
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--",
                "sh",
                "-c",
                "trap 'exit 7' PIPE; touch \"$READY\"; while :; do sleep 0.05; done",
            ],
        )
        .env("READY", &ready)
        .stderr(writer)
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        kill(launch_pid(&child, mode), 13);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(7), "{mode:?}: external SIGPIPE");
    }
}

#[test]
fn the_first_segv_or_bus_sent_to_launch_ends_it() {
    use std::os::unix::process::ExitStatusExt;
    // As a plain process: PID 1 of a namespace takes from outside only the
    // signals it catches, and launch catches no fault.
    for signo in [7, 11] {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let mut child = launch_as(
            As::Plain,
            &["--", "sh", "-c", "touch \"$READY\"; exec sleep 5"],
        )
        .env("READY", &ready)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        let pid = child.id() as i32;
        let children = read(Path::new(&format!("/proc/{pid}/task/{pid}/children")));
        kill(pid, signo);
        let status = finish(&mut child, Duration::from_secs(10));
        for orphan in children.split_whitespace() {
            let _ = Command::new("kill").args(["-KILL", orphan]).status();
        }
        assert_eq!(status.signal(), Some(signo), "signal {signo}: {status:?}");
    }
}

#[test]
fn a_rewrite_of_a_signal_never_forwarded_or_of_one_given_twice_is_a_usage_error() {
    for (args, env) in [
        (&["--rewrite", "KILL:TERM"][..], None),
        (&["--rewrite", "SIGSTOP:TERM"][..], None),
        (&[][..], Some("CHLD:TERM")),
        (&["--rewrite", "TERM:QUIT", "--rewrite", "15:INT"][..], None),
        (&[][..], Some("USR1:0,SIGUSR1:USR2")),
    ] {
        let mut cmd = launch_as(As::Plain, args);
        cmd.args(["--", "true"]);
        if let Some(value) = env {
            cmd.env("LAUNCH_REWRITE", value);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{args:?} {env:?}: {err}");
        assert!(err.contains("--rewrite"), "{args:?} {env:?}: {err}");
    }
}

#[test]
fn a_signal_rewritten_to_term_stops_as_term_would() {
    // docker stop with `STOPSIGNAL SIGRTMIN+3`, given to the child as TERM:
    // the delay, the hook, then TERM, and the grace period for a child that
    // does not stop.
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let got = dir.path().join("got");
        let ready = dir.path().join("ready");
        let mut child = launch_as(
            mode,
            &[
                "-v",
                "--rewrite",
                "RTMIN+3:TERM",
                "--stop-delay",
                "100ms",
                "--pre-stop",
                "echo hook >> \"$GOT\"",
                "--grace-period",
                "500ms",
                "--",
                "bash",
                "-c",
                "trap 'echo term >> \"$GOT\"' TERM; touch \"$READY\"; while :; do sleep 0.05 & wait $!; done",
            ],
        )
        .env("GOT", &got)
        .env("READY", &ready)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        kill(launch_pid(&child, mode), 37);
        let status = finish(&mut child, Duration::from_secs(10));
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(128 + 9), "{mode:?}: {err}");
        assert_eq!(read(&got), "hook\nterm\n", "{mode:?}: {err}");
        assert!(
            err.contains("SIGRTMIN+3: waiting 100ms before stopping"),
            "{mode:?}: {err}"
        );
    }
}

#[test]
fn a_stopped_child_is_continued_after_the_stop_signal() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let mut child = launch_as(
            mode,
            &[
                "--",
                "bash",
                "-c",
                "trap 'exit 4' TERM; touch \"$READY\"; while :; do sleep 0.05 & wait $!; done",
            ],
        )
        .env("READY", &ready)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        let pid = launch_pid(&child, mode);
        let bash = read(Path::new(&format!("/proc/{pid}/task/{pid}/children")));
        let bash: i32 = bash.split_whitespace().next().unwrap().parse().unwrap();
        kill(bash, 19);
        eventually(Duration::from_secs(5), "the child to stop", || {
            read(Path::new(&format!("/proc/{bash}/stat")))
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('T'))
        });
        kill(pid, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(4), "{mode:?}");
    }
}

#[test]
fn a_stopped_daemon_is_continued_after_its_sigterm() {
    for mode in modes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("daemon");
        let _left = KillLeft(out.clone());
        let script = with_daemon("kill -STOP $(cat \"$OUT.pid\"); exit 3");
        let mut child = launch_as(mode, &["--", "bash", "-c", &script])
            .env("OUT", &out)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = finish(&mut child, Duration::from_secs(10));
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(3), "{mode:?}: {err}");
        assert_eq!(read(&out), "bye\n", "{mode:?}: the daemon's goodbye: {err}");
    }
}

#[test]
fn a_pre_stop_hook_that_fails_is_reported_with_how_it_ended() {
    for (hook, said) in [
        (
            "exit 3",
            "the pre-stop hook failed with exit code 3; stopping anyway",
        ),
        (
            "kill -KILL $$",
            "the pre-stop hook was ended by SIGKILL; stopping anyway",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let ready = dir.path().join("ready");
        let mut child = launch_as(
            As::Plain,
            &[
                "--pre-stop",
                hook,
                "--",
                "sh",
                "-c",
                "touch \"$READY\"; exec sleep 30",
            ],
        )
        .env("READY", &ready)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        kill(child.id() as i32, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        let err = stderr_of(&mut child);
        assert_eq!(status.code(), Some(143), "{hook}: {err}");
        assert!(err.contains(said), "{hook}: {err}");
        assert!(!err.contains("is done"), "{hook}: {err}");
    }
}

/// A user in a group of its own and a supplementary one, made for the test
/// when missing: (name, supplementary group's id), or `None` after saying
/// why the test is skipped.
fn user_with_a_supplementary_group() -> Option<(&'static str, String)> {
    const USER: &str = "launch-test-user";
    const GROUP: &str = "launch-test-group";
    let ok = |args: &[&str]| {
        Command::new(args[0])
            .args(&args[1..])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let made = (ok(&["getent", "group", GROUP]) || ok(&["groupadd", GROUP]))
        && (ok(&["id", USER])
            || ok(&[
                "useradd",
                "-M",
                "-d",
                "/nonexistent/launch-test-home",
                "-G",
                GROUP,
                USER,
            ]));
    if !made {
        eprintln!("skipped: cannot add a test user and group (needs root, useradd, groupadd)");
        return None;
    }
    let out = Command::new("getent")
        .args(["group", GROUP])
        .output()
        .unwrap();
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    Some((USER, line.split(':').nth(2).unwrap().to_owned()))
}

#[test]
fn the_child_and_the_hook_get_the_users_groups_and_home() {
    let Some((user, extra)) = user_with_a_supplementary_group() else {
        return;
    };
    let id_g = |who: &str| {
        let out = Command::new("id").args(["-G", who]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let home = "/nonexistent/launch-test-home";
    let all = id_g(user);
    assert!(all.split(' ').any(|g| g == extra), "{all}");
    for (spec, groups, home) in [
        // The user alone: its supplementary groups too.
        (user.to_owned(), all, home),
        // A group given: that group alone, as docker run -u and runc have it.
        (format!("{user}:1"), "1".to_owned(), home),
        (format!("{user}:{extra}"), extra.clone(), home),
        // Not in passwd: group 0 alone, as docker run -u gives it, and
        // HOME as it was.
        ("54321".to_owned(), "0".to_owned(), "/inherited"),
    ] {
        let dir = shared_dir();
        let ready = dir.path().join("ready");
        let script = r#"trap 'exit 0' TERM
echo "child $(id -G) $HOME"
touch "$READY"
while :; do sleep 0.05 & wait $!; done"#;
        let mut child = launch_as(
            As::Plain,
            &[
                "--user",
                &spec,
                "--pre-stop",
                r#"echo "hook $(id -G) $HOME""#,
                "--",
                "bash",
                "-c",
                script,
            ],
        )
        .env("READY", &ready)
        .env("HOME", "/inherited")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        eventually(Duration::from_secs(5), "the child", || ready.exists());
        kill(child.id() as i32, 15);
        let status = finish(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(0), "{spec}");
        let mut out = String::new();
        std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
        assert_eq!(
            out,
            format!("child {groups} {home}\nhook {groups} {home}\n"),
            "{spec}"
        );
    }
}

#[test]
fn an_id_the_kernel_cannot_take_is_a_usage_error_naming_user() {
    for spec in ["4294967295", "0:4294967295"] {
        let out = launch_as(As::Plain, &["--user", spec, "--", "true"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{spec}: {err}");
        assert!(err.contains("--user: 4294967295"), "{spec}: {err}");
    }
}

/// launch run by `setpriv` as nobody, its group and its groups, with `args`;
/// `None` after saying why not.
fn launch_as_nobody(args: &[&str]) -> Option<std::process::Output> {
    let ok = Command::new("setpriv")
        .args([
            "--reuid",
            "nobody",
            "--regid",
            "nogroup",
            "--init-groups",
            "true",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: cannot run as nobody (needs root and setpriv)");
        return None;
    }
    let out = Command::new("setpriv")
        .args(["--reuid", "nobody", "--regid", "nogroup", "--init-groups"])
        .arg(launch_bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir("/")
        .output()
        .unwrap();
    Some(out)
}

#[test]
fn a_launch_not_root_runs_the_command_when_user_names_itself() {
    for exec in [&[][..], &["--exec"]] {
        for spec in ["nobody", "65534", "nobody:nogroup"] {
            let args = [
                exec,
                &["--user", spec, "--", "sh", "-c", "id -u; id -G; echo $HOME"],
            ]
            .concat();
            let Some(out) = launch_as_nobody(&args) else {
                return;
            };
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{spec} {exec:?}: {err}");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "65534\n65534\n/nonexistent\n",
                "{spec} {exec:?}"
            );
        }
    }
}

#[test]
fn a_launch_not_root_given_another_user_is_a_usage_error() {
    for spec in ["root", "0", "nobody:0", "54321"] {
        let Some(out) = launch_as_nobody(&["--user", spec, "--", "true"]) else {
            return;
        };
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{spec}: {err}");
        assert!(
            err.contains("launch runs as uid 65534 and cannot switch users")
                && err.contains("run it as root or drop --user"),
            "{spec}: {err}"
        );
    }
}
