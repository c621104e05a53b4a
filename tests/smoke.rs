//! The smoke suite: what must work in any binary of launch, whatever it was
//! built for. It runs with the native build in `cargo test`, and in .ci/run
//! against the arm64 build under qemu (`LAUNCH_BIN` names the binary,
//! `LAUNCH_RUNNER` the emulator; see tests/common).

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

fn example() -> std::path::PathBuf {
    project().join("fixtures/example")
}

#[test]
fn the_example_release_renders() {
    let out = run(launch()
        .args(["render", "--stdout", "--root"])
        .arg(example())
        .env("DB_PASSWORD", "s3cr\"et")
        .env("PORT", "8080"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("{http_port, 8080}"), "{text}");
    assert!(text.contains(r#"s3cr\"et"#), "{text}");
}

#[test]
fn check_reports_a_missing_variable_with_78() {
    let out = run(launch().arg("--root").arg(example()).arg("check"));
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains("DB_PASSWORD is not set"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn vars_json_lists_the_placeholders() {
    let out = run(launch()
        .arg("--root")
        .arg(example())
        .args(["vars", "--json"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = vars
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert!(
        names.contains(&"PORT") && names.contains(&"DB_PASSWORD"),
        "{names:?}"
    );
}

/// Runs `cmd` and returns its exit code, failing the test when it has not
/// exited within 20 s (a hang).
fn exit_code(cmd: &mut std::process::Command) -> i32 {
    let child = cmd.stdout(Stdio::null()).spawn().unwrap();
    exit_code_of(child, &format!("{cmd:?}"))
}

/// Waits for launch and returns its exit code, failing the test when it has
/// not exited within 20 s (a hang in `what`).
fn exit_code_of(mut child: std::process::Child, what: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().expect("launch exited");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("launch hangs: {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True when `code` says launch's child was ended by real-time signal
/// `signo`. Under an emulator the number may differ: qemu-user keeps the
/// first host real-time signals for itself and shifts the guest's, so there
/// only "a real-time signal" can be checked.
fn ended_by_real_time_signal(code: i32, signo: i32) -> bool {
    let emulated = std::env::var_os("LAUNCH_RUNNER").is_some_and(|r| !r.is_empty());
    if emulated {
        (128 + 34..=128 + 64).contains(&code)
    } else {
        code == 128 + signo
    }
}

#[test]
fn exit_codes_are_passed_on() {
    for (script, want) in [("exit 0", 0), ("exit 3", 3), ("kill -TERM $$", 143)] {
        let got = exit_code(launch().args(["-q", "--", "sh", "-c", script]));
        assert_eq!(got, want, "{script}");
    }
    let got = exit_code(launch().args(["-q", "--", "sh", "-c", "kill -40 $$"]));
    assert!(ended_by_real_time_signal(got, 40), "exit {got}");
    let out = run(launch().args(["-q", "--", "/nonexistent/app"]));
    assert_eq!(code(&out), 127);
    let out = run(launch().args(["--no-such-flag"]));
    assert_eq!(code(&out), 64);
}

/// Starts `launch -- sh` whose child says when its trap is set, sends
/// `signal` to launch, and returns launch's exit code.
fn forwarded(signal: &str) -> i32 {
    let mut child = launch()
        .args([
            "-q",
            "--",
            "sh",
            "-c",
            "echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut ready = [0u8; 6];
    std::io::Read::read_exact(&mut stdout, &mut ready).unwrap();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    exit_code_of(child, &format!("passing {signal} on"))
}

#[test]
fn a_forwarded_stop_signal_ends_the_child_and_launch_says_so() {
    assert_eq!(forwarded("TERM"), 143);
}

#[test]
fn a_real_time_signal_is_passed_on() {
    // docker stop with STOPSIGNAL SIGRTMIN+3 (34 + 3 on Linux).
    let got = forwarded("37");
    assert!(ended_by_real_time_signal(got, 37), "exit {got}");
}
