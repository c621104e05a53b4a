//! Checking a deployment before it ships: `--env-file` (Docker's syntax,
//! layered over the process environment), `check --assume-set`, and
//! `vars --format`, as a user drives them. No value from an env file may
//! appear in anything launch prints.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// The example release, as a path relative to the project, so that the
/// locations `vars` prints do not depend on where the project is.
const EXAMPLE: &str = "fixtures/example";
const MIX: &str = "fixtures/mix/sys.config";

/// launch run from the project's directory.
fn in_project() -> Command {
    let mut cmd = launch();
    cmd.current_dir(project());
    cmd
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Renders `template` (a sys.config) to stdout with `args` added.
fn render(dir: &Path, template: &str, args: &mut Command) -> Output {
    let sys = write(dir, "sys.config", template);
    run(args.args(["render", "--stdout", "--sys-config"]).arg(sys))
}

fn vars(args: &[&str], format: &str) -> Output {
    run(in_project()
        .arg("vars")
        .args(args)
        .args(["--format", format]))
}

// --- vars --format -------------------------------------------------------

#[test]
fn vars_in_every_format_describes_the_example_release() {
    let args = ["--root", EXAMPLE];
    let table = vars(&args, "table");
    assert_eq!(code(&table), 0, "{}", stderr(&table));
    let table = stdout(&table);
    assert!(table.starts_with("NAME "), "{table}");
    assert!(
        table.lines().any(|l| l
            .split_whitespace()
            .eq(["DB_PASSWORD", "string", "yes", "no", "-"])),
        "{table}"
    );

    let json = vars(&args, "json");
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 14);
    assert_eq!(json[0]["name"], "PORT");
    let legacy = run(in_project().args(["vars", "--json", "--root", EXAMPLE]));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&legacy.stdout).unwrap(),
        json,
        "--json is --format json"
    );

    let env = stdout(&vars(&args, "env"));
    let sys = "fixtures/example/releases/0.1.0/sys.config.src";
    assert!(
        env.contains(&format!(
            "\n# PORT (port), optional\n# used at {sys}:6:18\n# PORT=4000\n"
        )),
        "{env}"
    );
    assert!(
        env.contains(&format!(
            "\n# DB_PASSWORD (string), required\n# used at {sys}:12:21\nDB_PASSWORD\n"
        )),
        "{env}"
    );
    assert!(
        env.contains("\n# MOTD=\"hello world\"\n"),
        "as written: {env}"
    );
    // Every line is a comment, blank, or a required variable's name.
    let names: Vec<&str> = env
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(names, ["DB_PASSWORD"]);

    let md = stdout(&vars(&args, "markdown"));
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines.len(), 2 + 14, "{md}");
    assert_eq!(
        lines[0],
        "| Variable | Type | Required | Default | Used at |"
    );
    assert_eq!(lines[1], "|---|---|---|---|---|");
    assert_eq!(
        lines[2],
        format!("| `PORT` | port | no | `4000` | `{sys}:6:18` |")
    );
    assert_eq!(
        lines[6],
        format!("| `DB_PASSWORD` | string | yes |  | `{sys}:12:21` |")
    );
    assert!(
        lines[15].starts_with("| `MOTD` | string | no | `\"hello world\"` |"),
        "{md}"
    );
}

#[test]
fn vars_in_every_format_describes_the_mix_sys_config() {
    let args = ["--sys-config", MIX];
    let required = ["DB_USER", "DB_PASSWORD", "PORT", "NAME", "MODE"];
    let json = vars(&args, "json");
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let listed: Vec<(&str, &str, bool)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["type"].as_str().unwrap(),
                v["required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("DB_USER", "string", true),
            ("DB_PASSWORD", "string", true),
            ("DB_HOST", "string", false),
            ("PORT", "port", true),
            ("POOL_SIZE", "int", false),
            ("NAME", "string", true),
            ("MODE", "atom", true),
        ]
    );
    let env = stdout(&vars(&args, "env"));
    let names: Vec<&str> = env
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(names, required);
    assert!(env.contains("\n# DB_HOST=localhost\n"), "{env}");
    assert!(
        env.contains(
            "# POOL_SIZE (int), optional\n# used at fixtures/mix/sys.config:3:287\n# POOL_SIZE=10\n"
        ),
        "{env}"
    );
    let md = stdout(&vars(&args, "markdown"));
    assert!(
        md.contains("| `PORT` | port | yes |  | `fixtures/mix/sys.config:3:229` |"),
        "{md}"
    );
    let table = stdout(&vars(&args, "table"));
    assert_eq!(table.lines().count(), 1 + 7, "{table}");
}

#[test]
fn vars_env_and_markdown_depend_on_the_templates_alone() {
    for format in ["env", "markdown"] {
        let plain = vars(&["--root", EXAMPLE], format);
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "x.env", "PORT=1\nDB_PASSWORD=x\n");
        let with_env = run(in_project()
            .args(["vars", "--root", EXAMPLE, "--format", format, "--env-file"])
            .arg(&file)
            .env("DB_USER", "someone"));
        assert_eq!(code(&with_env), 0, "{}", stderr(&with_env));
        assert_eq!(stdout(&plain), stdout(&with_env), "{format}");
    }
}

#[test]
fn vars_env_output_round_trips_through_env_file() {
    let dir = tempfile::tempdir().unwrap();
    for (template, required) in [
        (&["--root", EXAMPLE][..], &["DB_PASSWORD"][..]),
        (
            &["--sys-config", MIX],
            &["DB_USER", "DB_PASSWORD", "PORT", "NAME", "MODE"],
        ),
    ] {
        let example = vars(template, "env");
        let file = write(dir.path(), ".env.example", &example.stdout);

        // Used as it is: it parses, and check names every required
        // variable, and nothing else.
        let check = run(in_project()
            .arg("check")
            .args(template)
            .arg("--env-file")
            .arg(&file));
        assert_eq!(code(&check), 78, "{}", stderr(&check));
        let text = stderr(&check);
        for name in required {
            assert!(text.contains(&format!(": {name} is not set")), "{text}");
        }
        assert!(
            text.contains(&format!("{} problem", required.len())),
            "only the required ones: {text}"
        );

        // Given by the environment (a NAME line takes it from there) ...
        let mut from_process = in_project();
        from_process
            .arg("check")
            .args(template)
            .arg("--env-file")
            .arg(&file);
        for (name, value) in required.iter().zip(["x", "x", "4000", "x", "x"]) {
            from_process.env(name, value);
        }
        let out = run(&mut from_process);
        assert_eq!(code(&out), 0, "{}", stderr(&out));

        // ... or filled in in the file, as NAME=VALUE.
        let mut filled = String::from_utf8(example.stdout.clone()).unwrap();
        for (name, value) in required.iter().zip(["x", "x", "4000", "x", "x"]) {
            filled = filled.replace(&format!("\n{name}\n"), &format!("\n{name}={value}\n"));
        }
        let filled = write(dir.path(), "filled.env", filled);
        let out = run(in_project()
            .arg("check")
            .args(template)
            .arg("--env-file")
            .arg(&filled));
        assert_eq!(code(&out), 0, "{}", stderr(&out));

        // And listing again with it changes nothing.
        let again = run(in_project()
            .arg("vars")
            .args(template)
            .args(["--format", "env", "--env-file"])
            .arg(&filled));
        assert_eq!(again.stdout, example.stdout);
    }
}

// --- precedence ------------------------------------------------------------

#[test]
fn env_file_values_win_over_the_process_environment() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "deploy.env", "A=from the file\n");
    let out = render(
        dir.path(),
        "[{a, \"${A}\"}, {b, \"${B}\"}].",
        launch()
            .arg("--env-file")
            .arg(&file)
            .env("A", "from the process")
            .env("B", "only in the process"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "[{a, \"from the file\"}, {b, \"only in the process\"}]."
    );
}

#[test]
fn a_later_env_file_wins_over_an_earlier_one_and_a_later_line_over_an_earlier() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(
        dir.path(),
        "base.env",
        "A=base\nB=base\nC=first\nC=second\n",
    );
    let staging = write(dir.path(), "staging.env", "B=staging\n");
    let template = "[{a, \"${A}\"}, {b, \"${B}\"}, {c, \"${C}\"}].";
    let want = "[{a, \"base\"}, {b, \"staging\"}, {c, \"second\"}].";
    let out = render(
        dir.path(),
        template,
        launch()
            .arg("--env-file")
            .arg(&base)
            .arg("--env-file")
            .arg(&staging),
    );
    assert_eq!(stdout(&out), want);
    // LAUNCH_ENV_FILES, `:`-separated, in the same order.
    let out = render(
        dir.path(),
        template,
        launch().env(
            "LAUNCH_ENV_FILES",
            format!("{}:{}", base.display(), staging.display()),
        ),
    );
    assert_eq!(stdout(&out), want);
}

#[test]
fn a_name_alone_takes_the_process_value_and_sets_nothing_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.env", "A=base\nB=base\n");
    let names = write(dir.path(), "names.env", "A\nB\nC\n");
    let out = render(
        dir.path(),
        "[{a, \"${A}\"}, {b, \"${B}\"}, {c, \"${C:-unset}\"}].",
        launch()
            .arg("--env-file")
            .arg(&base)
            .arg("--env-file")
            .arg(&names)
            .env("A", "from the process"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A: the later file asks for the process's value; B: the process has
    // none, so the later line sets nothing and the earlier file's stands;
    // C: set nowhere.
    assert_eq!(
        stdout(&out),
        "[{a, \"from the process\"}, {b, \"base\"}, {c, \"unset\"}]."
    );
}

#[test]
fn an_env_file_value_is_taken_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "x.env",
        "\u{feff}  QUOTED=\"a b\" \r\nHASH=x # y\nEQ==a=b\nEMPTY=\n\tINDENTED=1\n# C=1\n",
    );
    let out = render(
        dir.path(),
        "[{q, <<\"${QUOTED}\">>}, {h, \"${HASH}\"}, {e, \"${EQ}\"}, {m, \"${EMPTY}\"}, {i, ${INDENTED:int}}, {c, \"${C:-none}\"}].",
        launch().arg("--env-file").arg(&file),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        r#"[{q, <<"\"a b\" ">>}, {h, "x # y"}, {e, "=a=b"}, {m, ""}, {i, 1}, {c, "none"}]."#
    );
}

// --- malformed and hostile files --------------------------------------------

/// Values that must never be printed: in malformed lines and good ones.
const SECRETS: [&str; 4] = ["hunter2", "s3cr3t-token", "pa55word", "topsecret"];

#[test]
fn every_malformed_line_of_every_env_file_is_reported_at_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(
        dir.path(),
        "first.env",
        "GOOD=hunter2\n=s3cr3t-token\nexport TOKEN=pa55word\n",
    );
    let second = write(
        dir.path(),
        "second.env",
        "OK=1\n\nmy password topsecret\nX=a\0b\n",
    );
    let out_dir = dir.path().join("out");
    let out = run(in_project()
        .args(["render", "--root", EXAMPLE, "--out-dir"])
        .arg(&out_dir)
        .arg("--env-file")
        .arg(&first)
        .arg("--env-file")
        .arg(&second));
    assert_eq!(code(&out), 78);
    let text = stderr(&out);
    let (f, s) = (first.display(), second.display());
    let want = [
        format!("launch: {f}:2: no variable name before `=`"),
        format!(
            "launch: {f}:3: the variable name holds whitespace; Docker's env files have no `export`"
        ),
        format!("launch: {s}:3: the variable name holds whitespace"),
        format!("launch: {s}:4: the line holds a NUL byte"),
        "launch: 4 problems in 2 env files; nothing was written".to_owned(),
    ];
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), want.len(), "{text}");
    for (line, want) in lines.iter().zip(&want) {
        assert!(
            line.starts_with(want.as_str()),
            "{line:?} should start with {want:?}"
        );
    }
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(!out_dir.exists(), "nothing was written");
    // The same stops the main job before COMMAND starts.
    let out = run(launch()
        .arg("--env-file")
        .arg(&second)
        .args(["--", "sh", "-c", "echo started"]));
    assert_eq!(code(&out), 78);
    assert_eq!(stdout(&out), "");
    // A usage error is said first.
    let out = run(launch()
        .args(["render", "--root", EXAMPLE, "--env-file"])
        .arg(&second));
    assert_eq!(code(&out), 64, "render without --out-dir or --stdout");
}

#[test]
fn env_files_that_are_no_env_files_are_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // Sparse: 100 MB said by its size, refused before it is read.
    let huge = dir.path().join("huge.env");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let non_utf8 = write(dir.path(), "latin1.env", b"OK=1\nNAME=caf\xe9\n");
    let long = write(
        dir.path(),
        "long.env",
        format!("A=1\nB={}\n", "x".repeat(64 << 10)),
    );
    let cases: [(&Path, &str); 7] = [
        (&fifo, "cannot read the env file: it is not a regular file"),
        (
            Path::new("/dev/zero"),
            "cannot read the env file: it is not a regular file",
        ),
        (
            dir.path(),
            "cannot read the env file: it is not a regular file",
        ),
        (
            &dir.path().join("absent"),
            "cannot read the env file: No such file",
        ),
        (&huge, "cannot read the env file: it is larger than 1 MiB"),
        (&non_utf8, ":2: the line is not valid UTF-8"),
        (&long, ":2: the line is longer than Docker reads"),
    ];
    for (path, want) in cases {
        let started = std::time::Instant::now();
        let out = run(in_project()
            .args(["check", "--root", EXAMPLE, "--env-file"])
            .arg(path));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(code(&out), 78, "{}", path.display());
        let text = stderr(&out);
        assert!(
            text.starts_with(&format!("launch: {}", path.display())) && text.contains(want),
            "{}: {text}",
            path.display()
        );
        assert!(!text.contains("caf"), "{text}");
    }
}

#[test]
fn names_docker_accepts_reach_the_child_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "odd.env",
        "my-name=1\r\nmy.name=2\r\nDUP=first\r\nDUP=second\r\nTRAILING=sp  \r\n",
    );
    let out = run(launch().arg("--env-file").arg(&file).args(["--", "env"]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let env = stdout(&out);
    for line in ["my-name=1", "my.name=2", "DUP=second", "TRAILING=sp  "] {
        assert!(env.lines().any(|l| l == line), "{line:?} in {env}");
    }
    assert!(!env.contains("DUP=first"), "{env}");
}

// --- no value is ever printed -------------------------------------------------

#[test]
fn no_env_file_value_appears_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "secrets.env",
        "DB_PASSWORD=hunter2\nSECRET_KEY_BASE=s3cr3t-token\nPORT=pa55word\nROLE=topsecret\n",
    );
    let ok_file = write(
        dir.path(),
        "ok.env",
        "DB_PASSWORD=hunter2\nSECRET_KEY_BASE=s3cr3t-token\nROLE=topsecret\n",
    );
    let out_dir = dir.path().join("out");
    let base = ["--root", EXAMPLE];
    let mut runs: Vec<(String, Output)> = Vec::new();
    let mut go = |label: &str, file: &Path, args: &[&str]| {
        let out = run(in_project()
            .args(args)
            .args(base)
            .arg("--env-file")
            .arg(file)
            .arg("-v"));
        runs.push((label.to_owned(), out));
    };
    // A value that fails its type (PORT), in check and render.
    go("check failing", &file, &["check"]);
    go("render failing", &file, &["render", "--stdout"]);
    go("check passing", &ok_file, &["check"]);
    go(
        "check assuming",
        &ok_file,
        &["check", "--assume-set", "DB_PASSWORD"],
    );
    for format in ["table", "json", "env", "markdown"] {
        go(
            &format!("vars {format}"),
            &file,
            &["vars", "--format", format],
        );
    }
    let mut writes = in_project();
    writes
        .args(["render", "--out-dir"])
        .arg(&out_dir)
        .args(base)
        .arg("--env-file")
        .arg(&ok_file)
        .arg("-v");
    runs.push(("render to a directory".into(), run(&mut writes)));
    assert_eq!(code(&runs[0].1), 78);
    assert!(stderr(&runs[0].1).contains("PORT is not a port"));
    assert_eq!(code(&runs[1].1), 78);
    for (label, out) in &runs[2..] {
        assert_eq!(code(out), 0, "{label}: {}", stderr(out));
    }
    for (label, out) in &runs {
        let printed = format!("{}{}", stdout(out), stderr(out));
        for secret in SECRETS {
            assert!(
                !printed.contains(secret),
                "{label} printed {secret}: {printed}"
            );
        }
    }
    // Only the rendered files hold them.
    let rendered = std::fs::read_to_string(out_dir.join("sys.config")).unwrap();
    for secret in ["hunter2", "s3cr3t-token", "topsecret"] {
        assert!(rendered.contains(secret), "{rendered}");
    }
}

// --- check --assume-set ---------------------------------------------------------

#[test]
fn assume_set_counts_a_typed_placeholder_and_a_secret_as_set() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{app, [{port, \"${PORT:port}\"}, {password, <<\"${DATABASE_PASSWORD}\">>}, {host, \"${HOST}\"}]}].",
    );
    let check = |assume: &[&str], env: &[(&str, &str)]| {
        let mut cmd = launch();
        cmd.args(["check", "--sys-config"])
            .arg(&sys)
            .env("HOST", "db");
        for name in assume {
            cmd.args(["--assume-set", name]);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let out = check(&[], &[]);
    assert_eq!(code(&out), 78);
    assert!(stderr(&out).contains("2 problems"), "{}", stderr(&out));

    let out = check(&["PORT", "DATABASE_PASSWORD"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "launch: ok: 3 placeholders in 1 file resolved; 2 variables assumed set\n"
    );
    // An assumed variable is not read: a value CI happens to hold is not
    // the deployment's, and its type is not checked.
    let out = check(&["PORT", "DATABASE_PASSWORD"], &[("PORT", "not a port")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A name no placeholder needed is said.
    let out = check(&["PORT", "DATABASE_PASSWORD", "OLD_NAME"], &[]);
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).starts_with(
            "launch: OLD_NAME was assumed set (--assume-set), but no placeholder needed it\n"
        ),
        "{}",
        stderr(&out)
    );
    // LAUNCH_ASSUME_SET, `,`-separated.
    let out = check(&[], &[("LAUNCH_ASSUME_SET", "PORT,DATABASE_PASSWORD")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Unassumed ones are still checked.
    let out = check(&["PORT"], &[]);
    assert_eq!(code(&out), 78);
    assert!(stderr(&out).contains("DATABASE_PASSWORD is not set"));
}

#[test]
fn assume_set_belongs_to_check_alone() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["render", "--stdout", "--assume-set", "A"][..],
        &["vars", "--assume-set", "A"],
        &["--assume-set", "A", "--", "true"],
        &["--assume-set", "A", "check"],
        &["check", "--assume-set", "not-a-name"],
    ] {
        let out = run(launch().args(args));
        assert_eq!(code(&out), 64, "{args:?}");
    }
    // Its variable is not read by the other modes, bad or not.
    let out = render(
        dir.path(),
        "[{a, \"${A}\"}].",
        launch().env("LAUNCH_ASSUME_SET", "A,not a name"),
    );
    assert_eq!(code(&out), 78, "A is still needed to render");
    assert!(stderr(&out).contains("A is not set"));
    let out = run(launch()
        .env("LAUNCH_ASSUME_SET", "not a name")
        .args(["check", "--sys-config"])
        .arg(dir.path().join("sys.config")));
    assert_eq!(code(&out), 64);
    assert!(
        stderr(&out).contains("--assume-set was taken from LAUNCH_ASSUME_SET"),
        "{}",
        stderr(&out)
    );
    // Empty, it is unset, as every variable of launch; help names it
    // without its value.
    let out = run(launch()
        .env("LAUNCH_ASSUME_SET", "")
        .env("A", "1")
        .args(["check", "--sys-config"])
        .arg(dir.path().join("sys.config")));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let help = run(launch()
        .env("LAUNCH_ASSUME_SET", "SHOWN_NOWHERE")
        .args(["check", "--help"]));
    assert!(
        stdout(&help).contains("[env: LAUNCH_ASSUME_SET]"),
        "{}",
        stdout(&help)
    );
    assert!(!stdout(&help).contains("SHOWN_NOWHERE"));
}

#[test]
fn assume_set_skips_an_include_named_from_an_assumed_variable() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[\"${CONFIG_DIR}/extra.config\", {app, [{port, ${PORT:port}}]}].",
    );
    let out = run(launch()
        .args(["check", "--assume-set", "CONFIG_DIR", "--sys-config"])
        .arg(&sys)
        .env("PORT", "4000"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(launch()
        .args(["check", "--sys-config"])
        .arg(&sys)
        .env("PORT", "4000"));
    assert_eq!(code(&out), 78, "without it, CONFIG_DIR is needed");
}

// --- rendering and the main job -------------------------------------------------

#[test]
fn render_with_env_files_writes_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "deploy.env",
        "DB_PASSWORD=s3cr\"et\\ with spaces\nPORT=8080\nNODE_NAME=app@10.0.0.1\n",
    );
    let out_dir = dir.path().join("out");
    let out = run(in_project()
        .args(["render", "--root", EXAMPLE, "--out-dir"])
        .arg(&out_dir)
        .arg("--env-file")
        .arg(&file));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sys = std::fs::read_to_string(out_dir.join("sys.config")).unwrap();
    assert!(sys.contains("{http_port, 8080}"), "{sys}");
    assert!(
        sys.contains(r#"{password, <<"s3cr\"et\\ with spaces">>}"#),
        "{sys}"
    );
    let vm_args = std::fs::read_to_string(out_dir.join("vm.args")).unwrap();
    assert!(vm_args.contains("-name app@10.0.0.1\n"), "{vm_args}");
    if let Some(erl) = beam_tool("erl") {
        let read = consult_all(&erl, &[out_dir.join("sys.config")]);
        let example = &read[0].iter().find(|(k, _)| k == "example").unwrap().1;
        assert!(
            example.contains(",8080}"),
            "erl reads an integer: {example}"
        );
    }
}

#[test]
fn the_main_job_child_sees_the_env_file_variables() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "deploy.env",
        "DB_PASSWORD=from the file\nEXTRA=only for the release\nRELX_CONFIG_PATH=/not/this\nRELX_REPLACE_OS_VARS=true\n",
    );
    let script = "printf '%s|%s|%s|%s\\n' \"$DB_PASSWORD\" \"$EXTRA\" \"${RELX_REPLACE_OS_VARS-removed}\" \"$(head -c 1 \"$RELX_CONFIG_PATH\")\"";
    for exec in [false, true] {
        let mut cmd = in_project();
        cmd.args(["--root", EXAMPLE]).arg("--env-file").arg(&file);
        if exec {
            cmd.arg("--exec");
        }
        // With --exec the private dir stays: it goes with the test's.
        let out = run(cmd
            .args(["--", "sh", "-c", script])
            .env("TMPDIR", dir.path())
            .env("DB_PASSWORD", "from the process"));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        // The rendered sys.config, not the file's RELX_CONFIG_PATH, and no
        // second substitution by the start script.
        assert_eq!(
            stdout(&out),
            "from the file|only for the release|removed|%\n",
            "exec: {exec}"
        );
    }
}

/// `set` says whether rendering would find a value: a `NAME_FILE` that
/// names a missing file or a FIFO gives none.
#[test]
fn vars_says_set_only_when_a_name_file_can_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "sys.config", "[{a, \"${S}\"}].\n");
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let secret = write(dir.path(), "secret", "s\n");
    for (file, set) in [
        (dir.path().join("absent"), false),
        (fifo, false),
        (secret, true),
    ] {
        let out = run(launch()
            .args(["vars", "--json", "--sys-config"])
            .arg(&sys)
            .env("S_FILE", &file));
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json[0]["set"], set, "{}", file.display());
    }
}

/// An empty value is set only where every placeholder takes it: not where
/// `:-` or `:?` counts it as unset, nor for a type that needs text to read.
#[test]
fn vars_says_an_empty_value_is_set_only_where_it_would_be_taken() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{q, \"${Q:?must set}\"}, {r, \"${R:-dflt}\"}, {s, \"${S:port}\"}, {t, \"${T}\"}, {u, \"${U}\"}].\n",
    );
    let out = run(launch()
        .args(["vars", "--json", "--sys-config"])
        .arg(&sys)
        .envs([("Q", ""), ("R", ""), ("S", ""), ("T", ""), ("U", "x")]));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let set: Vec<(&str, bool)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["name"].as_str().unwrap(), v["set"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        set,
        [
            ("Q", false),
            ("R", false),
            ("S", false),
            ("T", true),
            ("U", true)
        ]
    );
}
