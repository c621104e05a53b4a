//! Finding the release (README, Releases): from the command as the shell runs it,
//! and failing closed wherever a release is there but cannot be told.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A copy of the example release in a new temporary directory, at `ex`.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let ex = dir.path().join("ex");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(project().join("fixtures/example"))
        .arg(&ex)
        .status()
        .unwrap();
    assert!(copied.success());
    (dir, ex)
}

/// A second version beside 0.1.0, and no start_erl.data to say which.
fn make_ambiguous(ex: &Path) {
    let second = ex.join("releases/0.2.0");
    std::fs::create_dir(&second).unwrap();
    for name in ["sys.config.src", "vm.args.src"] {
        std::fs::copy(ex.join("releases/0.1.0").join(name), second.join(name)).unwrap();
    }
    std::fs::remove_file(ex.join("releases/start_erl.data")).unwrap();
}

/// Runs launch with `args` in `cwd`, with `env`, and expects exit 78 with
/// `message`, and the command not run (it would leave `mark`).
fn fails_closed(cwd: &Path, args: &[&str], env: &[(&str, &Path)], message: &str, mark: &Path) {
    let mut cmd = launch();
    cmd.args(args).current_dir(cwd).env("DB_PASSWORD", "x");
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = run(&mut cmd);
    assert_eq!(code(&out), 78, "{args:?} in {} with {env:?}", cwd.display());
    assert!(stderr(&out).contains(message), "{}", stderr(&out));
    assert!(!mark.exists(), "the command ran: {args:?}");
}

#[test]
fn a_guessed_root_that_holds_a_release_that_cannot_be_told_fails_closed() {
    let (dir, ex) = example_copy();
    make_ambiguous(&ex);
    let mark = dir.path().join("started");
    let touch = format!("touch '{}'", mark.display());
    let run_it = ["--", "sh", "-c", &touch];
    let ambiguous = "cannot tell which release to render";
    // From the current directory, in every mode.
    for args in [
        &run_it[..],
        &["check"],
        &["render", "--stdout"],
        &["vars"],
        &["--exec", "--", "sh", "-c", &touch],
    ] {
        fails_closed(&ex, args, &[], ambiguous, &mark);
    }
    // From $RELEASE_ROOT, and from an env file's RELEASE_ROOT.
    let elsewhere = dir.path();
    fails_closed(
        elsewhere,
        &run_it,
        &[("RELEASE_ROOT", &ex)],
        ambiguous,
        &mark,
    );
    fails_closed(
        elsewhere,
        &["check"],
        &[("RELEASE_ROOT", &ex)],
        ambiguous,
        &mark,
    );
    let env_file = dir.path().join("root.env");
    std::fs::write(&env_file, format!("RELEASE_ROOT={}\n", ex.display())).unwrap();
    fails_closed(
        elsewhere,
        &run_it,
        &[("LAUNCH_ENV_FILES", &env_file)],
        ambiguous,
        &mark,
    );

    // A start_erl.data that names a version that is not there.
    std::fs::write(ex.join("releases/start_erl.data"), "13.1.5 0.3.0\n").unwrap();
    let missing = "names a release version that has no directory";
    fails_closed(&ex, &run_it, &[], missing, &mark);
    fails_closed(&ex, &["check"], &[], missing, &mark);
    fails_closed(elsewhere, &run_it, &[("RELEASE_ROOT", &ex)], missing, &mark);

    // A version that holds neither template.
    std::fs::write(ex.join("releases/start_erl.data"), "13.1.5 0.2.0\n").unwrap();
    for name in ["sys.config.src", "vm.args.src"] {
        std::fs::remove_file(ex.join("releases/0.2.0").join(name)).unwrap();
    }
    let empty = "releases/0.2.0 holds no sys.config(.src) or vm.args(.src)";
    fails_closed(&ex, &run_it, &[], empty, &mark);
    fails_closed(
        elsewhere,
        &["check"],
        &[("RELEASE_ROOT", &ex)],
        empty,
        &mark,
    );
}

/// Runs `launch -- sh -c 'touch MARK'` in `cwd`, with `RELEASE_ROOT` when
/// given, and expects no release: nothing rendered and the command run.
fn no_release(cwd: &Path, release_root: Option<&Path>, mark: &Path, what: &str) {
    let touch = format!("touch '{}'", mark.display());
    let mut cmd = launch();
    cmd.args(["--", "sh", "-c", &touch]).current_dir(cwd);
    if let Some(root) = release_root {
        cmd.env("RELEASE_ROOT", root);
    }
    let out = run(&mut cmd);
    assert_eq!(code(&out), 0, "{what}: {}", stderr(&out));
    assert!(stderr(&out).contains("no templates"), "{}", stderr(&out));
    assert!(
        std::fs::remove_file(mark).is_ok(),
        "{what}: the command ran"
    );
}

#[test]
fn a_guessed_root_that_holds_no_release_is_no_release() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("started");
    // No releases/, an empty releases/, releases/ with a file only.
    let releases = dir.path().join("releases");
    for step in 0..3 {
        match step {
            1 => std::fs::create_dir(&releases).unwrap(),
            2 => std::fs::write(releases.join("NOTES.md"), "# 1.0").unwrap(),
            _ => {}
        }
        no_release(dir.path(), None, &mark, &format!("step {step}"));
        no_release(
            Path::new("/"),
            Some(dir.path()),
            &mark,
            &format!("step {step}"),
        );
    }
}

#[test]
fn a_releases_directory_that_is_not_erlang_is_no_release() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("started");
    // A Capistrano deploy: one directory per deploy, two of them.
    let cap = dir.path().join("cap");
    for deploy in ["20240101", "20240202"] {
        let app = cap.join("releases").join(deploy);
        std::fs::create_dir_all(app.join("config")).unwrap();
        std::fs::write(app.join("Gemfile"), "source 'https://rubygems.org'\n").unwrap();
    }
    std::os::unix::fs::symlink(cap.join("releases/20240202"), cap.join("current")).unwrap();
    // A project's release notes.
    let gh = dir.path().join("gh");
    std::fs::create_dir_all(gh.join("releases/v1")).unwrap();
    std::fs::write(gh.join("releases/v1/NOTES.md"), "# v1\n").unwrap();
    for root in [&cap, &gh] {
        no_release(root, None, &mark, &root.display().to_string());
        no_release(
            Path::new("/"),
            Some(root),
            &mark,
            &root.display().to_string(),
        );
    }
    let out = run(launch().args(["--", "echo", "hi"]).current_dir(&gh));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    // Named, such a root is still no release and an error.
    let out = run(launch().arg("--root").arg(&cap).args(["--", "true"]));
    assert_eq!(code(&out), 78, "{}", stderr(&out));
}

#[test]
fn each_sign_of_an_erlang_release_makes_a_guessed_root_fail_closed() {
    // Two versions and no start_erl.data: the release cannot be told,
    // whichever file shows it is one. With only releases/RELEASES or
    // releases/COOKIE there is no version directory at all.
    for file in [
        "0.1.0/start.boot",
        "0.1.0/app.rel",
        "0.1.0/sys.config",
        "0.1.0/vm.args.src",
        "0.1.0/vm.args",
        "RELEASES",
        "COOKIE",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("started");
        let releases = dir.path().join("releases");
        std::fs::create_dir_all(releases.join("0.1.0")).unwrap();
        std::fs::create_dir_all(releases.join("0.2.0")).unwrap();
        std::fs::write(releases.join(file), "[].").unwrap();
        let touch = format!("touch '{}'", mark.display());
        let message = "cannot tell which release";
        fails_closed(dir.path(), &["--", "sh", "-c", &touch], &[], message, &mark);
        fails_closed(
            Path::new("/"),
            &["check"],
            &[("RELEASE_ROOT", dir.path())],
            message,
            &mark,
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("started");
    std::fs::create_dir(dir.path().join("releases")).unwrap();
    std::fs::write(dir.path().join("releases/RELEASES"), "[].").unwrap();
    fails_closed(
        dir.path(),
        &["--", "true"],
        &[],
        "holds no version directory",
        &mark,
    );
}

/// What the example's start script prints when launch rendered its
/// sys.config: the rendered file, with the port's default.
fn rendered(out: &std::process::Output) -> bool {
    let text = String::from_utf8_lossy(&out.stdout);
    code(out) == 0 && text.contains("-config /") && text.contains("{http_port, 4000}")
}

#[test]
fn a_start_script_is_found_as_the_shell_finds_it() {
    let (dir, ex) = example_copy();
    let path = std::env::var("PATH").unwrap();
    // A symlink to the script elsewhere, as a Dockerfile makes in
    // /usr/local/bin, by its path and by PATH.
    let fake_bin = dir.path().join("usr/local/bin");
    std::fs::create_dir_all(&fake_bin).unwrap();
    std::os::unix::fs::symlink(ex.join("bin/example"), fake_bin.join("example")).unwrap();
    let fake_path = format!("{}:{path}", fake_bin.display());
    let bin_path = format!("{}:{path}", ex.join("bin").display());
    let cases: [(&str, Vec<PathBuf>, &Path, &str); 5] = [
        ("symlink", vec![fake_bin.join("example")], dir.path(), &path),
        (
            "symlink in PATH",
            vec!["example".into()],
            dir.path(),
            &fake_path,
        ),
        (
            "PATH=/app/bin:$PATH",
            vec!["example".into()],
            dir.path(),
            &bin_path,
        ),
        (
            "relative, in bin",
            vec!["./example".into()],
            &ex.join("bin"),
            &path,
        ),
        (
            "relative, up",
            vec!["../../../ex/bin/example".into()],
            &fake_bin,
            &path,
        ),
    ];
    for (how, command, cwd, path) in cases {
        let out = run(launch()
            .arg("--")
            .args(&command)
            .arg("foreground")
            .current_dir(cwd)
            .env("PATH", path)
            .env("DB_PASSWORD", "x"));
        assert!(
            rendered(&out),
            "{how}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // The PATH the child gets is the one searched: an env file's.
    let env_file = dir.path().join("path.env");
    std::fs::write(&env_file, format!("PATH={bin_path}\n")).unwrap();
    let out = run(launch()
        .arg("--env-file")
        .arg(&env_file)
        .args(["--", "example", "foreground"])
        .current_dir(dir.path())
        .env("DB_PASSWORD", "x"));
    assert!(rendered(&out), "{}", String::from_utf8_lossy(&out.stdout));

    // Reached through the symlink or PATH, a release that cannot be told
    // fails closed as when named.
    make_ambiguous(&ex);
    for (command, path) in [
        (fake_bin.join("example"), path.as_str()),
        (PathBuf::from("example"), bin_path.as_str()),
    ] {
        let out = run(launch()
            .arg("--")
            .arg(&command)
            .arg("foreground")
            .current_dir(dir.path())
            .env("PATH", path)
            .env("DB_PASSWORD", "x"));
        assert_eq!(code(&out), 78, "{command:?}");
        assert!(stderr(&out).contains("cannot tell which release"));
        assert!(out.stdout.is_empty(), "the start script ran");
    }
}

#[test]
fn a_program_in_path_that_is_no_start_script_finds_no_release() {
    // `sh` is found in PATH (as /usr/bin/sh or /bin/sh, no release beside
    // it): nothing to render, and the command runs.
    let dir = tempfile::tempdir().unwrap();
    let out = run(launch()
        .args(["--", "sh", "-c", "echo ran"])
        .current_dir(dir.path()));
    assert_eq!(code(&out), 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ran\n");
}

#[test]
fn an_erlang_installation_is_no_release() {
    // erl in PATH is a symlink into the installation (/usr/bin/erl ->
    // /usr/lib/erlang/bin/erl), which has releases/ and start_erl.data but
    // is no release: its programs run with nothing rendered.
    let Some(erl) = beam_tool("erl") else {
        return;
    };
    let real = std::fs::canonicalize(&erl).unwrap();
    let otp = real.parent().unwrap().parent().unwrap();
    assert!(otp.join("releases").is_dir(), "{}", otp.display());
    let bin = real.parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // erl by PATH, by its symlink and by its real path halts with 0; erlc
    // and escript exit as they do on their own (1 and 127 here), not 78.
    let erl_args = ["-noshell", "-eval", "halt()."];
    let commands: [(PathBuf, &[&str], Option<i32>); 5] = [
        ("erl".into(), &erl_args, Some(0)),
        (erl.clone(), &erl_args, Some(0)),
        (real.clone(), &erl_args, Some(0)),
        (bin.join("erlc"), &["-help"], None),
        (bin.join("escript"), &["/dev/null"], None),
    ];
    for (program, args, exit) in commands {
        let out = run(launch()
            .arg("--")
            .arg(&program)
            .args(args)
            .current_dir(dir.path()));
        assert_ne!(code(&out), 78, "{program:?}");
        assert!(stderr(&out).contains("no templates"), "{program:?}");
        if let Some(exit) = exit {
            assert_eq!(code(&out), exit, "{program:?}");
        }
    }
    // Guessed from the current directory or $RELEASE_ROOT, it is none either.
    let mark = dir.path().join("started");
    no_release(otp, None, &mark, "cwd");
    no_release(dir.path(), Some(otp), &mark, "RELEASE_ROOT");
    // Named, it is a root without a release's templates: an error.
    let out = run(launch().arg("--root").arg(otp).args(["--", "true"]));
    assert_eq!(code(&out), 78, "{}", stderr(&out));
}

/// A mix-like copy of the example: mix writes `releases/COOKIE`, and a
/// second version 0.2.0 whose port default is 4002.
fn mix_like_copy() -> (tempfile::TempDir, PathBuf) {
    let (dir, ex) = example_copy();
    std::fs::write(ex.join("releases/COOKIE"), "secret").unwrap();
    let second = ex.join("releases/0.2.0");
    std::fs::create_dir(&second).unwrap();
    let first = ex.join("releases/0.1.0");
    std::fs::copy(first.join("vm.args.src"), second.join("vm.args.src")).unwrap();
    let sys = std::fs::read_to_string(first.join("sys.config.src")).unwrap();
    std::fs::write(
        second.join("sys.config.src"),
        sys.replace("${PORT:port:-4000}", "${PORT:port:-4002}"),
    )
    .unwrap();
    (dir, ex)
}

/// The http_port of the sys.config the example's start script was handed.
fn rendered_port(out: &std::process::Output) -> Option<&'static str> {
    let text = String::from_utf8_lossy(&out.stdout);
    ["4000", "4002"]
        .into_iter()
        .find(|port| code(out) == 0 && text.contains(&format!("{{http_port, {port}}}")))
}

#[test]
fn a_mix_release_renders_the_version_release_vsn_names() {
    let (dir, ex) = mix_like_copy();
    let script = ex.join("bin/example");
    let start = |env: &[(&str, &str)]| {
        let mut cmd = launch();
        cmd.arg("--")
            .arg(&script)
            .arg("start")
            .env("DB_PASSWORD", "x");
        for (name, value) in env {
            cmd.env(name, value);
        }
        run(&mut cmd)
    };
    assert_eq!(rendered_port(&start(&[])), Some("4000"), "start_erl.data");
    assert_eq!(rendered_port(&start(&[("RELEASE_VSN", "")])), Some("4000"));
    assert_eq!(
        rendered_port(&start(&[("RELEASE_VSN", "0.2.0")])),
        Some("4002")
    );
    let env_file = dir.path().join("vsn.env");
    std::fs::write(&env_file, "RELEASE_VSN=0.2.0\n").unwrap();
    let out = run(launch()
        .arg("--env-file")
        .arg(&env_file)
        .arg("--")
        .arg(&script)
        .env("DB_PASSWORD", "x"));
    assert_eq!(rendered_port(&out), Some("4002"), "from an env file");
    // A guessed root too: `render --stdout` from the release's directory.
    let out = run(launch()
        .args(["render", "--stdout"])
        .current_dir(&ex)
        .env("RELEASE_VSN", "0.2.0")
        .env("DB_PASSWORD", "x"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("{http_port, 4002}"));

    // A version releases/ does not hold stops launch, saying who named it.
    let mark = dir.path().join("started");
    let touch = format!("touch '{}'", mark.display());
    for vsn in ["0.3.0", "..", "0.1.0/../0.2.0"] {
        let mut cmd = launch();
        cmd.args(["--", "sh", "-c", &touch])
            .current_dir(&ex)
            .env("RELEASE_VSN", vsn);
        let out = run(&mut cmd);
        assert_eq!(code(&out), 78, "{vsn}");
        assert!(
            stderr(&out).contains("RELEASE_VSN names"),
            "{}",
            stderr(&out)
        );
        assert!(!mark.exists(), "the command ran");
        let out = run(launch()
            .arg("--")
            .arg(&script)
            .env("RELEASE_VSN", vsn)
            .env("DB_PASSWORD", "x"));
        assert_eq!(code(&out), 78, "{vsn}");
        assert!(out.stdout.is_empty(), "the start script ran");
    }

    // relx writes no COOKIE, and its start script boots its own version.
    std::fs::remove_file(ex.join("releases/COOKIE")).unwrap();
    assert_eq!(
        rendered_port(&start(&[("RELEASE_VSN", "0.2.0")])),
        Some("4000")
    );
    assert_eq!(code(&start(&[("RELEASE_VSN", "0.3.0")])), 0);
}
