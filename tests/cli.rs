//! The command line, as the README describes it and a user drives it.

mod common;

use common::*;

fn example() -> std::path::PathBuf {
    project().join("fixtures/example")
}

#[test]
fn bad_command_lines_exit_64() {
    for args in [
        vec!["render"],
        vec!["--no-such-flag", "render"],
        vec![],
        vec!["check", "--type", "PORT"],
        vec!["render", "--stdout", "--out-dir", "/tmp/x"],
        // A misspelt option is not taken for COMMAND.
        vec!["--stop-dely", "1s", "--", "true"],
        vec!["--no-such-flag", "true"],
        // clap would drop the files before the subcommand's name.
        vec!["--file", "a", "render", "--stdout", "--file", "b"],
    ] {
        let out = run(launch().args(&args));
        assert_eq!(code(&out), 64, "{args:?}");
    }
    // Once COMMAND has begun, what looks like an option is its own.
    for args in [
        &["sh", "-c", "echo \"$@\"", "sh", "-q", "--stop-dely"][..],
        &["--", "sh", "-c", "echo \"$@\"", "sh", "-q", "--stop-dely"][..],
    ] {
        let out = run(launch().arg("-q").args(args));
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "-q --stop-dely\n");
    }
    let out = run(launch().arg("--help"));
    assert_eq!(code(&out), 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("--sys-config"));
}

#[test]
fn render_to_stdout_shows_each_file_under_a_header() {
    let out = run(launch()
        .args(["render", "--stdout", "--root"])
        .arg(example())
        .env("DB_PASSWORD", "pw"));
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("==> "), "{text}");
    assert!(text.contains("sys.config.src <==\n"), "{text}");
    assert!(text.contains("\n\n==> "), "{text}");
    assert!(text.contains("{http_port, 4000}"), "{text}");
    assert!(text.contains("-setcookie example_cookie"), "{text}");
}

#[test]
fn render_writes_each_template_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let extra = dir.path().join("extra.config.src");
    std::fs::write(&extra, "[{x, \"${DB_PASSWORD}\"}].").unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "password=${DB_PASSWORD}\n").unwrap();
    let out_dir = dir.path().join("out");
    let out = run(launch()
        .args(["render", "--root"])
        .arg(example())
        .env("LAUNCH_OUT_DIR", &out_dir)
        .env(
            "LAUNCH_FILES",
            format!("{}:{}", extra.display(), notes.display()),
        )
        .env("DB_PASSWORD", "p w\"x"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        file_names(&out_dir),
        ["extra.config", "notes.txt", "sys.config", "vm.args"]
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("extra.config")).unwrap(),
        "[{x, \"p w\\\"x\"}]."
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("notes.txt")).unwrap(),
        "password=p w\"x\n"
    );
}

#[test]
fn flag_variables_take_the_values_images_set() {
    // The README writes LAUNCH_EXEC=1; images also write true, yes or on, and
    // an empty variable is one that is not set.
    for (var, value) in [
        ("LAUNCH_GROUP", "1"),
        ("LAUNCH_GROUP", "true"),
        ("LAUNCH_EXEC", "yes"),
        ("LAUNCH_GROUP", "0"),
        ("LAUNCH_ROOT", ""),
    ] {
        let out = run(launch().args(["-q", "--", "true"]).env(var, value));
        assert_eq!(code(&out), 0, "{var}={value}: {}", stderr(&out));
    }
    for (var, value) in [("LAUNCH_GROUP", "maybe"), ("LAUNCH_LOG", "loud")] {
        let out = run(launch().args(["-q", "--", "true"]).env(var, value));
        assert_eq!(code(&out), 64, "{var}={value}");
        assert!(stderr(&out).contains(var), "{}", stderr(&out));
    }
    let out = run(launch().args(["--", "true"]).env("LAUNCH_LOG", "quiet"));
    assert_eq!(code(&out), 0);
    // The supervision variables are the main job's: render ignores them.
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(example().join("releases/0.1.0/sys.config.src"))
        .env("LAUNCH_STOP_DELAY", "soon")
        .env("DB_PASSWORD", "x"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn types_can_be_given_on_the_command_line_or_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let sys = dir.path().join("sys.config");
    std::fs::write(&sys, "[{port, \"${PORT}\"}, {debug, \"${DEBUG}\"}].").unwrap();
    let out = run(launch()
        .args(["render", "--stdout", "--type", "PORT=port"])
        .env("LAUNCH_SYS_CONFIG", &sys)
        .env("LAUNCH_TYPES", "DEBUG=bool")
        .env("PORT", "4000")
        .env("DEBUG", "on"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // The flag replaces the environment's list, as every flag does.
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[{port, 4000}, {debug, \"on\"}]."
    );
    let out = run(launch()
        .args(["render", "--stdout"])
        .env("LAUNCH_SYS_CONFIG", &sys)
        .env("LAUNCH_TYPES", "DEBUG=bool,PORT=port")
        .env("PORT", "4000")
        .env("DEBUG", "on"));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[{port, 4000}, {debug, true}]."
    );
}

#[test]
fn vars_json_lists_each_placeholder_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node");
    std::fs::write(&node, "app@host\n").unwrap();
    let out = run(launch()
        .args(["vars", "--json", "--root"])
        .arg(example())
        .env("DB_PASSWORD", "x")
        .env("NODE_NAME_FILE", &node));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vars = vars.as_array().unwrap();
    let names: Vec<&str> = vars.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "PORT",
            "POOL_SIZE",
            "DEBUG",
            "DB_USER",
            "DB_PASSWORD",
            "DB_HOST",
            "DB_PORT",
            "DB_NAME",
            "SECRET_KEY_BASE",
            "ROLE",
            "LOG_LEVEL",
            "NODE_NAME",
            "RELEASE_COOKIE",
            "MOTD"
        ]
    );
    let sys = "fixtures/example/releases/0.1.0/sys.config.src";
    assert_eq!(
        vars[0],
        serde_json::json!({"name": "PORT", "type": "port", "default": "4000",
            "required": false, "set": false,
            "locations": [format!("{}/{sys}:6:18", project().display())]})
    );
    assert_eq!(vars[4]["required"], true);
    assert_eq!(vars[4]["set"], true);
    assert_eq!(vars[4]["default"], serde_json::Value::Null);
    assert_eq!(vars[4]["type"], "string");
    assert_eq!(vars[10]["type"], "term", "a bare placeholder is a term");
    assert_eq!(vars[11]["set"], true, "NODE_NAME_FILE provides NODE_NAME");
}

#[test]
fn check_says_what_it_resolved_and_quiet_says_nothing() {
    let out = run(launch()
        .args(["check", "--root"])
        .arg(example())
        .env("DB_PASSWORD", "x"));
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains("ok: 14 placeholders in 2 files resolved"),
        "{}",
        stderr(&out)
    );
    let out = run(launch()
        .args(["check", "-q", "--root"])
        .arg(example())
        .env("DB_PASSWORD", "x"));
    assert_eq!(code(&out), 0);
    assert!(out.stderr.is_empty());
    let out = run(launch()
        .args(["check", "--root"])
        .arg(example())
        .env("LAUNCH_LOG", "quiet"));
    assert_eq!(code(&out), 78, "quiet still prints problems");
    assert!(stderr(&out).contains("DB_PASSWORD is not set"));
}

#[test]
fn no_templates_is_said_once_and_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(launch().args(["check"]).current_dir(dir.path()));
    assert_eq!(code(&out), 0);
    assert_eq!(stderr(&out).matches("no templates").count(), 1);
}

#[test]
fn the_command_runs_with_the_release_pointed_at_the_rendered_files() {
    let out = run(launch()
        .args(["--root"])
        .arg(example())
        .args([
            "--",
            "sh",
            "-c",
            "grep http_port \"$RELX_CONFIG_PATH\"; cat \"$RELEASE_SYS_CONFIG.config\" >/dev/null && \
             test \"$RELEASE_VM_ARGS\" = \"$VMARGS_PATH\" && \
             test \"$SYS_CONFIG_PATH\" = \"$RELX_CONFIG_PATH\" && \
             stat -c %a \"$RELEASE_TMP\" \"$VMARGS_PATH\" \"$RELX_CONFIG_PATH\" && \
             echo \"replace=${RELX_REPLACE_OS_VARS-unset} tmp=$(dirname $VMARGS_PATH)=$RELEASE_TMP\"; exit 3",
        ])
        .env("DB_PASSWORD", "x")
        .env("RELX_REPLACE_OS_VARS", "true"));
    assert_eq!(code(&out), 3);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("{http_port, 4000}"), "{text}");
    assert!(
        text.contains("\n700\n600\n600\n"),
        "private dir and files: {text}"
    );
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("replace=unset tmp="), "{last}");
    let (a, b) = last["replace=unset tmp=".len()..].split_once('=').unwrap();
    assert_eq!(a, b);
    assert!(
        !std::path::Path::new(a).exists(),
        "the private out dir is removed"
    );
}

#[test]
fn a_command_that_cannot_run_exits_126_or_127() {
    let out = run(launch().args(["--", "/nonexistent/bin/app"]));
    assert_eq!(code(&out), 127);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("not-executable");
    std::fs::write(&plain, "#!/bin/sh\nexit 0\n").unwrap();
    let out = run(launch().arg("--").arg(&plain));
    assert_eq!(code(&out), 126);
    let out = run(launch().arg("--").arg(dir.path()));
    assert_eq!(code(&out), 126, "a directory");
}

#[test]
fn each_release_layout_is_discovered() {
    // relx/rebar3: templates beside the release's files; mix release and
    // Distillery: sys.config and vm.args only (mix also writes env.sh).
    for (layout, files, want) in [
        (
            "relx",
            vec!["sys.config.src", "sys.config", "vm.args.src", "vm.args"],
            ["sys.config.src", "vm.args.src"],
        ),
        (
            "mix",
            vec!["sys.config", "vm.args", "env.sh", "remote.vm.args"],
            ["sys.config", "vm.args"],
        ),
        (
            "distillery",
            vec!["sys.config", "vm.args"],
            ["sys.config", "vm.args"],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let vsn = dir.path().join("releases/1.2.3");
        std::fs::create_dir_all(&vsn).unwrap();
        std::fs::create_dir_all(dir.path().join("releases/1.2.2")).unwrap();
        std::fs::write(dir.path().join("releases/start_erl.data"), "13.1.5 1.2.3\n").unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        for f in files {
            let body = if f.ends_with(".config") || f.ends_with(".src") && f.starts_with("sys") {
                "[]."
            } else {
                "-x 1\n"
            };
            std::fs::write(vsn.join(f), body).unwrap();
        }
        // The root comes from the command's path, from RELEASE_ROOT, and from --root.
        for how in ["command", "RELEASE_ROOT", "--root"] {
            let mut cmd = launch();
            match how {
                "command" => cmd
                    .arg("--")
                    .arg(dir.path().join("bin/app"))
                    .env("LAUNCH_LOG", "verbose"),
                "RELEASE_ROOT" => cmd
                    .args(["render", "--stdout"])
                    .env("RELEASE_ROOT", dir.path()),
                _ => cmd.args(["render", "--stdout", "--root"]).arg(dir.path()),
            };
            let out = run(&mut cmd);
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            for name in want {
                let path = vsn.join(name);
                assert!(
                    said.contains(&path.display().to_string()),
                    "{layout} by {how}: {name} not used: {said}"
                );
            }
        }
    }
}

#[test]
fn a_named_root_or_a_start_script_without_a_release_fails_closed() {
    let dir = tempfile::tempdir().unwrap();
    let started = dir.path().join("started");
    // A release whose start script leaves a mark, with two versions and no
    // start_erl.data to say which.
    let app = dir.path().join("app");
    std::fs::create_dir_all(app.join("bin")).unwrap();
    for vsn in ["0.1.0", "0.2.0"] {
        let vsn = app.join("releases").join(vsn);
        std::fs::create_dir_all(&vsn).unwrap();
        std::fs::write(vsn.join("sys.config"), "[].").unwrap();
    }
    let script = app.join("bin/app");
    std::fs::write(&script, format!("#!/bin/sh\ntouch {}\n", started.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let typo = dir.path().join("ap");
    for (root, command) in [
        (Some(typo.as_path()), vec!["true".into()]),
        (Some(app.as_path()), vec!["true".into()]),
        (None, vec![script.clone()]),
    ] {
        let mut cmd = launch();
        if let Some(root) = root {
            cmd.arg("--root").arg(root);
        }
        let out = run(cmd.arg("--").args(&command));
        assert_eq!(code(&out), 78, "{root:?} {command:?}");
        assert!(!started.exists(), "the release started");
    }
    let out = run(launch().arg("--root").arg(&typo).arg("check"));
    assert_eq!(code(&out), 78);
    assert!(stderr(&out).contains(&typo.display().to_string()));
    let out = run(launch()
        .arg("--root")
        .arg(&app)
        .args(["render", "--stdout"]));
    assert!(stderr(&out).contains("0.1.0, 0.2.0"), "{}", stderr(&out));
    // A start_erl.data that names a version settles it.
    std::fs::write(app.join("releases/start_erl.data"), "13.0 0.2.0\n").unwrap();
    let out = run(launch().arg("--").arg(&script));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(started.exists());
    // A guessed root ($RELEASE_ROOT) that holds nothing is not an error.
    let out = run(launch().args(["--", "true"]).env("RELEASE_ROOT", &typo));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// What clap alone would let through: options that --exec cannot honour,
/// -q with -v across a subcommand's name, a variable typed twice, a value
/// option on both sides of a subcommand's name. Each is refused, naming
/// the variable an option came from.
#[test]
fn options_that_would_be_dropped_or_contradict_each_other_are_refused() {
    let sys = example().join("releases/0.1.0/sys.config.src");
    let sys = sys.to_str().unwrap();
    for (args, env) in [
        (&["--exec", "--stop-delay", "1s", "--", "true"][..], None),
        (&["--exec", "--pre-stop", "true", "--", "true"], None),
        (
            &["--exec", "--", "true"],
            Some(("LAUNCH_GRACE_PERIOD", "1s")),
        ),
        (&["--group", "--", "true"], Some(("LAUNCH_EXEC", "1"))),
        (&["-q", "check", "-v", "--sys-config", sys], None),
        (
            &[
                "--type",
                "A=int",
                "--type",
                "A=port",
                "check",
                "--sys-config",
                sys,
            ],
            None,
        ),
        (
            &[
                "--out-dir",
                "/tmp/a",
                "render",
                "--out-dir",
                "/tmp/b",
                "--sys-config",
                sys,
            ],
            None,
        ),
        (
            &[
                "--log",
                "quiet",
                "check",
                "--log",
                "verbose",
                "--sys-config",
                sys,
            ],
            None,
        ),
    ] {
        let out = run(launch().args(args).envs(env).env("DB_PASSWORD", "x"));
        assert_eq!(code(&out), 64, "{args:?} {env:?}: {}", stderr(&out));
        if let Some((var, _)) = env {
            assert!(
                stderr(&out).contains(&format!("from {var}")),
                "{}",
                stderr(&out)
            );
        }
    }
    // Saying it twice is saying it once.
    let out = run(launch().args(["-vv", "-qq", "--", "true"]));
    assert_eq!(code(&out), 64, "-v with -q");
    let out = run(launch().args(["-qq", "--type", "A=int", "--type", "A=int", "--", "true"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // An option turned off by its variable is no conflict.
    for env in [
        [("LAUNCH_EXEC", "0"), ("LAUNCH_STOP_DELAY", "1s")],
        [("LAUNCH_EXEC", "1"), ("LAUNCH_GROUP", "off")],
        [("LAUNCH_EXEC", "1"), ("LAUNCH_STOP_DELAY", "0s")],
    ] {
        let out = run(launch().args(["-q", "--", "true"]).envs(env));
        assert_eq!(code(&out), 0, "{env:?}: {}", stderr(&out));
    }
    // The other modes read none of the main job's variables.
    let out = run(launch()
        .args(["check", "-q", "--sys-config", sys])
        .envs([("LAUNCH_EXEC", "1"), ("LAUNCH_GROUP", "1")])
        .env("DB_PASSWORD", "x"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

/// The kernel runs any file name; clap reads only UTF-8. A COMMAND whose
/// name is not UTF-8 still runs after `--`, and a variable that is not
/// UTF-8 where text is needed is named.
#[test]
fn arguments_that_are_not_utf8_run_or_are_named() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join(OsStr::from_bytes(b"run\xff"));
    std::fs::write(&script, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = run(launch().args(["-q", "--"]).arg(&script));
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let mut cmd = launch();
    cmd.args(["-q", "--", "true"]);
    env_bytes(&mut cmd, "LAUNCH_EXEC", b"\xff");
    let out = run(&mut cmd);
    assert_eq!(code(&out), 64);
    assert!(
        stderr(&out).contains("LAUNCH_EXEC is not UTF-8"),
        "{}",
        stderr(&out)
    );
}

/// Help and the version are output too: lost, they are not a success.
#[test]
fn help_and_version_that_cannot_be_written_exit_74() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    for arg in ["--help", "--version", "-h", "-V"] {
        let out = launch()
            .arg(arg)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        assert_eq!(code(&out), 74, "{arg}: {}", stderr(&out));
        assert!(stderr(&out).contains("standard output"), "{}", stderr(&out));
    }
}

/// A program that runs `PROGRAM ARG...` with exactly the environment entries
/// given before `--`, duplicates included (no tool at hand can make them:
/// `env`, the shells and the standard library keep one of each name).
const DUPENV_C: &str = r#"
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int i = 1;
    while (i < argc && strcmp(argv[i], "--") != 0) i++;
    if (i + 1 >= argc) return 2;
    argv[i] = 0;
    execve(argv[i + 1], argv + i + 1, argv + 1);
    return 127;
}
"#;

#[test]
fn a_variable_set_twice_reaches_erl_as_launch_rendered_it() {
    let (Some(cc), Some(erl)) = (require_tool("cc", "apt-get install gcc"), beam_tool("erl"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dupenv = dir.path().join("dupenv");
    std::fs::write(dir.path().join("dupenv.c"), DUPENV_C).unwrap();
    let built = std::process::Command::new(cc)
        .arg("-o")
        .arg(&dupenv)
        .arg(dir.path().join("dupenv.c"))
        .status()
        .unwrap();
    assert!(built.success());
    let template = dir.path().join("sys.config");
    std::fs::write(&template, "[{kernel, [{dup, \"${DUP}\"}]}].\n").unwrap();
    let show =
        "io:format(\"~p ~p~n\", [application:get_env(kernel, dup), os:getenv(\"DUP\")]), halt().";
    let in_erl = format!(
        "exec '{}' -noshell ${{RELX_CONFIG_PATH:+-config \"$RELX_CONFIG_PATH\"}} -eval '{show}'",
        erl.display()
    );
    let launched = |args: &[&str]| {
        let mut cmd = std::process::Command::new(&dupenv);
        cmd.arg(format!("PATH={}", std::env::var("PATH").unwrap()))
            .arg(format!("HOME={}", dir.path().display()))
            // With --exec the private dir stays: it goes with the test's.
            .arg(format!("TMPDIR={}", dir.path().display()))
            .args(["DUP=first", "DUP=second", "--"])
            .arg(launch_bin())
            .args(args)
            .current_dir(dir.path());
        let out = run(&mut cmd);
        assert_eq!(code(&out), 0, "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let sys_config = template.to_str().unwrap();
    let rendered = launched(&["render", "--stdout", "--sys-config", sys_config]);
    assert!(rendered.contains("\"first\""), "{rendered}");
    // With the release pointed at a rendered file, under supervision and
    // with --exec, and with nothing rendered (no change to the child's
    // environment but this one).
    for args in [
        &["--sys-config", sys_config, "--", "sh", "-c", &in_erl][..],
        &[
            "--exec",
            "--sys-config",
            sys_config,
            "--",
            "sh",
            "-c",
            &in_erl,
        ],
        &["--", "sh", "-c", &in_erl],
    ] {
        let seen = launched(args);
        let config = if args.contains(&"--sys-config") {
            "{ok,\"first\"}"
        } else {
            "undefined"
        };
        assert_eq!(seen, format!("{config} \"first\"\n"), "{args:?}");
    }
}
