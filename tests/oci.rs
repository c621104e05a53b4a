//! launch under a real OCI runtime, as Docker and Kubernetes run it: Debian's
//! `runc` starts the static launch as PID 1 of a container with a read-only
//! root, a tmpfs on `/tmp` and the release bound read-only at `/app`, and
//! the tests check what a user of such an image checks — the release answers
//! with values from the container's environment, `docker stop` (`runc kill
//! TERM`) ends it gracefully with 0, the stop delay keeps it answering, a
//! missing variable stops it from starting, orphans do not pile up as
//! zombies, a user that is not root works, and so does a scratch image.
//!
//! The app is queried from the host by entering only the container's
//! network namespace; what it saw is written to a volume (`/report`).
//! Everything needs root and runc; without them the tests say they were
//! skipped (with `LAUNCH_REQUIRE_BEAM=1` they fail instead).

mod common;
#[path = "common/oci.rs"]
mod oci;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{binary, charlist};
use oci::{Bundle, Container, Image, eventually, rebar3_release, static_launch};

/// The port the app serves on, in its own network namespace.
const PORT: u16 = 4321;
/// A string with quotes, a backslash, UTF-8 and a placeholder of its own.
const GREETING: &str = "hi \"there\" \\ é ${NOT_EXPANDED}";
const SECRET: &str = "s3cr$${x}t 'q'";

/// The rebar3 release's environment in the container.
fn release_env() -> Vec<(&'static str, String)> {
    vec![
        ("GREETING", GREETING.to_owned()),
        ("SECRET", SECRET.to_owned()),
        ("COOKIE", "monster".to_owned()),
        ("MOTD", "hello".to_owned()),
        ("QUOTED", "a \"b\" c".to_owned()),
        ("PORT", PORT.to_string()),
        ("SERVE", "1".to_owned()),
        ("REPORT_FILE", "/report/report".to_owned()),
        ("MARK_FILE", "/report/marks".to_owned()),
    ]
}

/// The application's environment as the rebar3 release reports it.
fn reported_env() -> String {
    format!(
        "[{{greeting,{}}},{{mode,normal}},{{pool_size,10}},{{port,{PORT}}},{{secret,{}}}].",
        charlist(GREETING),
        binary(SECRET.as_bytes()),
    )
}

/// A Debian image with the rebar3 release at `/app` and the static launch at
/// `/launch`, whose process is `init... /app/bin/reporter foreground`, run
/// as root (HOME as Docker sets it). Returns the host side of `/report`.
fn release_bundle(release: &Path, init: &[&str]) -> (Bundle, PathBuf) {
    let mut bundle = Bundle::new(Image::Debian);
    bundle
        .bind(static_launch(), "/launch", false)
        .bind(release, "/app", false)
        .env("HOME", "/root");
    for (name, value) in release_env() {
        bundle.env(name, &value);
    }
    let report = bundle.volume("/report");
    let mut args = init.to_vec();
    args.extend(["/app/bin/reporter", "foreground"]);
    bundle.args(&args);
    (bundle, report)
}

/// Waits until the app marked that it serves, or fails with the
/// container's output when it exited first or took too long.
fn wait_until_serving(container: &mut Container, report: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !read(&report.join("marks")).contains("serving") {
        if let Some(status) = container.try_wait() {
            panic!(
                "the release exited with {status} before it served:\n{}",
                container.output()
            );
        }
        assert!(
            Instant::now() < deadline,
            "the release never served:\n{}",
            container.output()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The time of the first `what` line of the marks file.
fn mark(marks: &str, what: &str) -> Option<u128> {
    marks
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{what} ")))
        .map(|t| t.parse().unwrap())
}

fn millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// The BEAM of the container (the start script execs it).
fn beam(container: &mut Container) -> oci::Process {
    container
        .processes()
        .into_iter()
        .find(|p| p.comm.starts_with("beam"))
        .unwrap_or_else(|| panic!("no BEAM in the container:\n{}", container.output()))
}

/// A variable of a process's environment, read from the host.
fn environ(pid: i32, name: &str) -> Option<String> {
    let all = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    all.split(|&b| b == 0).find_map(|var| {
        let var = String::from_utf8_lossy(var);
        var.strip_prefix(&format!("{name}=")).map(str::to_owned)
    })
}

/// The real user ID of a process, from its status.
fn uid_of(pid: i32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Renders the release's templates on the host, as a Kubernetes init
/// container would (`launch render --root /app --out-dir /config`), for a
/// release started without launch in front of it.
fn render_beforehand(release: &Path, out_dir: &Path) {
    let mut cmd = common::launch();
    cmd.args(["render", "-q", "--root"])
        .arg(release)
        .arg("--out-dir")
        .arg(out_dir);
    for (name, value) in release_env() {
        cmd.env(name, value);
    }
    let out = common::run(&mut cmd);
    assert_eq!(common::code(&out), 0);
}

/// The rebar3 release with no init in front of it: its configuration
/// rendered beforehand and bound at `/conf`, `process.args` the start
/// script itself, or `init` followed by it.
fn release_bundle_without_launch(release: &Path, init: &[&str]) -> (Bundle, PathBuf) {
    let (mut bundle, report) = release_bundle(release, init);
    let conf = bundle.host_dir("conf");
    render_beforehand(release, &conf);
    bundle
        .bind(&conf, "/conf", false)
        .env("RELX_CONFIG_PATH", "/conf/sys.config")
        .env("VMARGS_PATH", "/conf/vm.args");
    (bundle, report)
}

#[test]
fn the_release_answers_with_values_from_the_containers_environment() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (bundle, report) = release_bundle(release, &["/launch", "--"]);
    let mut container = bundle.run("answers");
    wait_until_serving(&mut container, &report);
    // It listens on PORT: the placeholder became an integer the app used.
    assert_eq!(container.ask(PORT).as_deref(), Some("ok\n"));
    let text = read(&report.join("report"));
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(reported_env().as_str()));
    let arg = |v: &str| format!("{{ok,[[{}]]}}", charlist(v));
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "[{{motd,{}}},{{path_arg,{}}}].",
                arg("hello"),
                arg("a \"b\" c")
            )
            .as_str()
        )
    );
    container.kill("TERM");
    assert_eq!(container.wait(Duration::from_secs(60)), 0);
}

#[test]
fn a_mix_release_answers_with_values_from_the_containers_environment() {
    let Some(release) = oci::mix_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let mut bundle = Bundle::new(Image::Debian);
    bundle
        .bind(static_launch(), "/launch", false)
        .bind(release, "/app", false)
        .env("HOME", "/root")
        .env("PORT", &PORT.to_string())
        .env("DB_USER", "o'neil \"admin\"")
        .env("DB_PASSWORD", "p\\a$${ss} ü")
        .env("MOTD", "hello")
        .env("RELEASE_DISTRIBUTION", "none")
        .env("SERVE", "1")
        .env("REPORT_FILE", "/report/report")
        .args(&["/launch", "--", "/app/bin/reporter", "start"]);
    let report = bundle.volume("/report");
    let mut container = bundle.run("mix");
    let deadline = Instant::now() + Duration::from_secs(60);
    while container.ask(PORT).as_deref() != Some("ok\n") {
        if let Some(status) = container.try_wait() {
            panic!("the release exited with {status}:\n{}", container.output());
        }
        assert!(
            Instant::now() < deadline,
            "the release never answered:\n{}",
            container.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let env = format!(
        "[{{hostname,{}}},{{mode,normal}},{{password,{}}},{{pool_size,10}},{{port,{PORT}}},{{username,{}}}].",
        charlist("localhost"),
        binary("p\\a$${ss} ü".as_bytes()),
        binary(b"o'neil \"admin\""),
    );
    assert_eq!(
        read(&report.join("report")).lines().next(),
        Some(env.as_str())
    );
    container.kill("TERM");
    assert_eq!(container.wait(Duration::from_secs(60)), 0);
}

#[test]
fn runc_kill_term_stops_the_release_gracefully_with_exit_0() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (bundle, report) = release_bundle(release, &["/launch", "--"]);
    let mut container = bundle.run("term");
    wait_until_serving(&mut container, &report);
    container.kill("TERM");
    let status = container.wait(Duration::from_secs(60));
    assert_eq!(status, 0, "{}", container.output());
    assert!(
        mark(&read(&report.join("marks")), "stopped").is_some(),
        "the application's stop/1 ran (init:stop, not a kill)"
    );
}

#[test]
fn the_stop_delay_keeps_the_release_answering_after_term() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (mut bundle, report) = release_bundle(release, &["/launch", "--"]);
    bundle.env("LAUNCH_STOP_DELAY", "2s");
    let mut container = bundle.run("delay");
    wait_until_serving(&mut container, &report);
    let sent = Instant::now();
    container.kill("TERM");
    // Twice during the delay, as a load balancer's last requests would; the
    // second a second before the delay ends, a margin for a busy machine.
    let mut answered = 0;
    for at in [300, 1000] {
        std::thread::sleep(Duration::from_millis(at).saturating_sub(sent.elapsed()));
        assert_eq!(
            container.ask(PORT).as_deref(),
            Some("ok\n"),
            "the release stopped answering during the delay:\n{}",
            container.output()
        );
        answered = millis();
    }
    assert_eq!(container.wait(Duration::from_secs(60)), 0);
    let stopped = mark(&read(&report.join("marks")), "stopped").expect("stop/1 ran");
    assert!(stopped >= answered, "stopped only after the delay");
}

#[test]
fn a_missing_variable_exits_78_and_the_release_never_starts() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (mut bundle, report) = release_bundle(release, &["/launch", "--"]);
    bundle.unset("GREETING");
    let mut container = bundle.run("missing");
    assert_eq!(container.wait(Duration::from_secs(60)), 78);
    let err = container.stderr();
    assert!(
        err.contains("releases/0.1.0/sys.config.src") && err.contains("GREETING is not set"),
        "{err}"
    );
    assert!(
        !report.join("marks").exists() && !report.join("report").exists(),
        "the release started"
    );
}

/// Makes five orphans in the running release: `os:cmd` starts `sh`, which
/// starts `sleep` in the background and exits, so each `sleep` is
/// reparented to PID 1. Asked through `runc exec ... bin/reporter eval`, as
/// `docker exec` would; relx renders its vm.args for that into `/tmp`.
fn make_orphans(container: &Container) {
    let out = container
        .exec(
            &[("RELX_OUT_FILE_PATH", "/tmp")],
            &[
                "/app/bin/reporter",
                "eval",
                "[os:cmd(\"sleep 2 &\") || _ <- lists:seq(1, 5)], ok.",
            ],
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "eval failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The zombies of the container.
fn zombies(container: &mut Container) -> Vec<oci::Process> {
    let mut all = container.processes();
    all.retain(|p| p.state == 'Z');
    all
}

/// Whether a `sleep` of [`make_orphans`] is still there, running or not.
fn any_sleep(container: &mut Container) -> bool {
    container.processes().iter().any(|p| p.comm == "sleep")
}

/// Two kinds of orphans: at boot the release starts `epmd -daemon`, which
/// double-forks, and the intermediate processes exit once reparented to
/// PID 1; later `os:cmd` leaves background processes that exit too.
#[test]
fn orphans_are_reaped_under_launch_and_stay_zombies_without_an_init() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (bundle, report) = release_bundle(release, &["/launch", "--"]);
    let mut container = bundle.run("reaped");
    wait_until_serving(&mut container, &report);
    make_orphans(&container);
    eventually(Duration::from_secs(30), "the orphans to be reaped", || {
        !any_sleep(&mut container)
    });
    assert_eq!(zombies(&mut container), [], "zombies under launch");
    container.kill("TERM");
    assert_eq!(container.wait(Duration::from_secs(60)), 0);

    // The control: the same release as PID 1 itself (its configuration
    // rendered by an init container). The BEAM ignores SIGCHLD, so the
    // kernel takes the orphans that exit once it runs; but what exited
    // before — epmd's intermediate processes, while erlexec was PID 1 —
    // stays a zombie for good.
    let (bundle, report) = release_bundle_without_launch(release, &[]);
    let mut control = bundle.run("zombies");
    wait_until_serving(&mut control, &report);
    let init = control.pid();
    assert_eq!(
        read(Path::new(&format!("/proc/{init}/comm"))),
        "beam.smp\n",
        "the BEAM is PID 1"
    );
    make_orphans(&control);
    eventually(Duration::from_secs(30), "the orphans to exit", || {
        !any_sleep(&mut control) || control.try_wait().is_some()
    });
    let left = zombies(&mut control);
    assert!(
        !left.is_empty() && left.iter().all(|p| p.comm == "epmd"),
        "without an init epmd's orphans stay zombies: {left:?}"
    );
    control.kill("TERM");
    assert_eq!(control.wait(Duration::from_secs(60)), 0);
}

#[test]
fn term_reaches_a_process_started_by_runc_exec_and_its_orphans_are_reaped() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (bundle, report) = release_bundle(release, &["/launch", "--"]);
    let mut container = bundle.run("exec");
    wait_until_serving(&mut container, &report);
    // A process `docker exec` started, with an orphan of its own (the
    // background sleep outlives the shell that started it).
    let script = "sleep 1000 & \
                  trap 'echo bye > /report/bye; exit 0' TERM; \
                  echo started > /report/started; \
                  while :; do sleep 0.1; done";
    let mut exec = container.exec(&[], &["sh", "-c", script]).spawn().unwrap();
    eventually(Duration::from_secs(30), "the exec'd process", || {
        report.join("started").exists()
    });
    container.kill("TERM");
    let status = container.wait(Duration::from_secs(60));
    assert_eq!(status, 0, "{}", container.output());
    assert_eq!(
        read(&report.join("bye")),
        "bye\n",
        "the exec'd process got TERM before the container ended:\n{}",
        container.output()
    );
    let exec_status = exec.wait().unwrap();
    assert_eq!(
        exec_status.code(),
        Some(0),
        "it ended by its trap, not SIGKILL"
    );
}

#[test]
fn a_daemon_gets_sigterm_where_seccomp_forbids_pidfds() {
    if !oci::can_run_containers() {
        return;
    }
    // EPERM (1) as Docker before 20.10 answered calls its profile did not
    // know; ENOSYS (38) as later ones do.
    for (calls, errno) in [
        (&["pidfd_send_signal"][..], 1),
        (&["pidfd_open", "pidfd_send_signal"][..], 1),
        (&["pidfd_open", "pidfd_send_signal"][..], 38),
    ] {
        let mut bundle = Bundle::new(Image::Debian);
        let daemon = "trap 'echo bye > /report/bye; exit 0' TERM; touch /report/up; \
                      while :; do sleep 0.05 & wait $!; done";
        let child = format!(
            "setsid sh -c \"{daemon}\" </dev/null >/dev/null 2>&1 & \
             while [ ! -e /report/up ]; do sleep 0.02; done; exit 3"
        );
        bundle
            .bind(static_launch(), "/launch", false)
            .seccomp_errno(calls, errno)
            .args(&["/launch", "-v", "--", "sh", "-c", &child]);
        let report = bundle.volume("/report");
        let mut container = bundle.run("seccomp");
        let status = container.wait(Duration::from_secs(60));
        assert_eq!(status, 3, "{calls:?} {errno}: {}", container.output());
        assert_eq!(
            read(&report.join("bye")),
            "bye\n",
            "{calls:?} {errno}: the daemon's goodbye:\n{}",
            container.output()
        );
    }
}

#[test]
fn the_release_runs_as_a_user_that_is_not_root_rendering_into_tmp() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (mut bundle, report) = release_bundle(release, &["/launch", "--"]);
    // Docker's HOME for a user that /etc/passwd does not know.
    bundle.user(10001, 10001).env("HOME", "/");
    let mut container = bundle.run("nonroot");
    wait_until_serving(&mut container, &report);
    assert_eq!(container.ask(PORT).as_deref(), Some("ok\n"));
    assert_eq!(
        read(&report.join("report")).lines().next(),
        Some(reported_env().as_str())
    );
    let launch = container.pid();
    assert_eq!(uid_of(launch), 10001);
    let beam = beam(&mut container);
    assert_eq!(uid_of(beam.pid), 10001);
    let config = environ(beam.pid, "RELX_CONFIG_PATH").expect("RELX_CONFIG_PATH");
    assert!(config.starts_with("/tmp/"), "{config}");
    let rendered = container.root().join(config.trim_start_matches('/'));
    assert_eq!(std::fs::metadata(&rendered).unwrap().uid(), 10001);
    container.kill("TERM");
    assert_eq!(container.wait(Duration::from_secs(60)), 0);
}

#[test]
fn user_flag_runs_the_release_as_that_uid_and_gives_it_the_rendered_files() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    let (bundle, report) = release_bundle(release, &["/launch", "--user", "10001:10001", "--"]);
    let mut container = bundle.run("user");
    wait_until_serving(&mut container, &report);
    assert_eq!(container.ask(PORT).as_deref(), Some("ok\n"));
    let launch = container.pid();
    assert_eq!(uid_of(launch), 0, "launch itself stays root");
    let beam = beam(&mut container);
    assert_eq!(uid_of(beam.pid), 10001);
    assert_eq!(
        std::fs::metadata(report.join("report")).unwrap().uid(),
        10001,
        "the app writes as that user"
    );
    let config = environ(beam.pid, "RELX_CONFIG_PATH").expect("RELX_CONFIG_PATH");
    let rendered = container.root().join(config.trim_start_matches('/'));
    let dir = rendered.parent().unwrap().to_owned();
    for file in [rendered, dir.join("vm.args"), dir] {
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (10001, 10001),
            "{}",
            file.display()
        );
    }
    container.kill("TERM");
    assert_eq!(container.wait(Duration::from_secs(60)), 0);
}

#[test]
fn a_scratch_image_without_tmp_exits_73_saying_which_variables_choose_the_place() {
    if !oci::can_run_containers() {
        return;
    }
    let mut bundle = Bundle::new(Image::Scratch);
    bundle
        .bind(static_launch(), "/launch", false)
        .file("/conf/greeting.txt.src", "${GREETING}\n")
        .env("GREETING", "hello")
        .args(&[
            "/launch",
            "--file",
            "/conf/greeting.txt.src",
            "--",
            "/launch",
        ]);
    let mut container = bundle.run("notmp");
    assert_eq!(container.wait(Duration::from_secs(60)), 73);
    let err = container.stderr();
    assert!(
        err.contains("TMPDIR") && err.contains("LAUNCH_OUT_DIR"),
        "{err}"
    );
}

#[test]
fn a_scratch_image_without_etc_passwd_takes_a_numeric_user_and_refuses_a_name() {
    if !oci::can_run_containers() {
        return;
    }
    // The child is launch itself, rendering a file: it is written as the
    // user the child runs as.
    let mut bundle = Bundle::new(Image::Scratch);
    bundle
        .bind(static_launch(), "/launch", false)
        .tmp()
        .file("/conf/greeting.txt.src", "${GREETING}\n")
        .env("GREETING", "hello")
        .args(&[
            "/launch",
            "--user",
            "10001:10001",
            "--",
            "/launch",
            "render",
            "--file",
            "/conf/greeting.txt.src",
            "--out-dir",
            "/out",
        ]);
    let out = bundle.volume("/out");
    let mut container = bundle.run("numeric");
    assert_eq!(
        container.wait(Duration::from_secs(60)),
        0,
        "{}",
        container.output()
    );
    let written = out.join("greeting.txt");
    assert_eq!(read(&written), "hello\n");
    let meta = std::fs::metadata(&written).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (10001, 10001));

    let mut bundle = Bundle::new(Image::Scratch);
    bundle
        .bind(static_launch(), "/launch", false)
        .tmp()
        .args(&["/launch", "--user", "app", "--", "/launch"]);
    let mut container = bundle.run("named");
    assert_eq!(container.wait(Duration::from_secs(60)), 64);
    let err = container.stderr();
    assert!(err.contains("no user named `app`"), "{err}");
}

#[test]
fn an_exec_form_pre_stop_runs_in_an_image_without_a_shell() {
    if !oci::can_run_containers() {
        return;
    }
    // No /bin/sh: a scratch image with launch alone. The app stands in as a
    // second launch waiting for a file that never comes (TERM ends it with
    // 143); the hook is a third, rendering a file as its mark.
    let mut bundle = Bundle::new(Image::Scratch);
    bundle
        .bind(static_launch(), "/launch", false)
        .file("/conf/hook.txt.src", "pre-stop ${WHO}\n")
        .env("WHO", "ran")
        .args(&[
            "/launch",
            "--pre-stop",
            r#"["/launch", "render", "--file", "/conf/hook.txt.src", "--out-dir", "/out"]"#,
            "--",
            "/launch",
            "--wait",
            "file:///never",
            "--wait-timeout",
            "10m",
            "--",
            "/never",
        ]);
    let out = bundle.volume("/out");
    // The hook runs as root, which writes only to an out dir no other user
    // can write into.
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut container = bundle.run("execform");
    eventually(Duration::from_secs(30), "the app", || {
        container
            .processes()
            .iter()
            .filter(|p| p.comm == "launch")
            .count()
            == 2
    });
    container.kill("TERM");
    let status = container.wait(Duration::from_secs(60));
    assert_eq!(
        read(&out.join("hook.txt")),
        "pre-stop ran\n",
        "the hook ran without a shell:\n{}",
        container.output()
    );
    assert_eq!(status, 143, "then TERM reached the app");
}

#[test]
fn a_string_pre_stop_in_an_image_without_a_shell_is_refused_at_start() {
    if !oci::can_run_containers() {
        return;
    }
    let mut bundle = Bundle::new(Image::Scratch);
    bundle.bind(static_launch(), "/launch", false).tmp().args(&[
        "/launch",
        "--pre-stop",
        "bin/app rpc 'App.drain()'",
        "--",
        "/launch",
        "--version",
    ]);
    let mut container = bundle.run("nosh");
    assert_eq!(container.wait(Duration::from_secs(60)), 64);
    let err = container.stderr();
    assert!(
        err.contains("/bin/sh") && err.contains("JSON array"),
        "{err}"
    );
    assert!(!container.output().contains("launch 0."), "the command ran");
}

/// Milliseconds from `runc kill ID TERM` to the container's exit.
fn term_to_exit(mut container: Container, report: &Path) -> u128 {
    wait_until_serving(&mut container, report);
    let sent = Instant::now();
    container.kill("TERM");
    let status = container.wait(Duration::from_secs(60));
    let took = sent.elapsed().as_millis();
    assert_eq!(status, 0, "{}", container.output());
    took
}

/// Prints, does not assert: how long `docker stop` takes with launch and
/// with Debian's `tini -s` as the init of the same image.
#[test]
fn term_to_exit_time_of_launch_and_tini() {
    let Some(release) = rebar3_release() else {
        return;
    };
    if !oci::can_run_containers() {
        return;
    }
    // Debian's tini is optional here: without it only launch is measured.
    let tini = Path::new("/usr/bin/tini");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (bundle, report) = release_bundle(release, &["/launch", "--"]);
        ours.push(term_to_exit(bundle.run("time-launch"), &report));
        if tini.is_file() {
            let (mut bundle, report) =
                release_bundle_without_launch(release, &["/tini", "-s", "--"]);
            bundle.bind(tini, "/tini", false);
            theirs.push(term_to_exit(bundle.run("time-tini"), &report));
        }
    }
    let median = |runs: &[u128]| {
        let mut sorted = runs.to_vec();
        sorted.sort();
        match sorted.get(sorted.len() / 2) {
            Some(ms) => format!("{ms} ms {runs:?}"),
            None => "not measured (no /usr/bin/tini)".to_owned(),
        }
    };
    eprintln!(
        "TERM to exit under runc, median of 3: launch {}, tini -s {}",
        median(&ours),
        median(&theirs),
    );
}
