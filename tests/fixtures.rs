//! The fixtures a user's release would hold: the sys.config a real
//! `mix release` writes (header comments, strings as byte lists, charlists as
//! integer lists) and a relx-style `sys.config.src`, rendered and read by erl.

mod common;

use common::*;

#[test]
fn a_mix_release_sys_config_renders_with_real_types_and_exact_strings() {
    let Some(erl) = beam_tool("erl") else { return };
    let src = project().join("fixtures/mix/sys.config");
    let original = std::fs::read(&src).unwrap();
    assert!(original.starts_with(b"%% coding: utf-8\n%% RUNTIME_CONFIG=false\n"));
    let dir = tempfile::tempdir().unwrap();
    let out = run(launch()
        .args(["render", "--sys-config"])
        .arg(&src)
        .arg("--out-dir")
        .arg(dir.path())
        .env("DB_USER", "o'neil \"admin\"")
        .env("DB_PASSWORD", "p\\a$${ss}w0rd ü")
        .env("PORT", "4000")
        .env("NAME", "wörld")
        .env("MODE", "prod"));
    assert_eq!(code(&out), 0);
    assert_eq!(std::fs::read(&src).unwrap(), original);
    let rendered = std::fs::read_to_string(dir.path().join("sys.config")).unwrap();
    assert!(rendered.starts_with("%% coding: utf-8\n%% RUNTIME_CONFIG=false\n"));

    let read = consult_all(&erl, &[dir.path().join("sys.config")]).remove(0);
    let repo = format!(
        "[{{{},{}}},{{{},{}}},{{{},{}}},{{{},4000}},{{{},10}}]",
        atom("username"),
        binary("o'neil \"admin\"".as_bytes()),
        atom("password"),
        binary("p\\a$${ss}w0rd ü".as_bytes()),
        atom("hostname"),
        charlist("localhost"),
        atom("port"),
        atom("pool_size"),
    );
    assert_eq!(
        read,
        vec![(
            "demo".to_owned(),
            format!(
                "[{{{},{repo}}},{{{},{}}},{{{},{}}}]",
                atom("Elixir.Demo.Repo"),
                atom("greeting"),
                binary("héllo wörld".as_bytes()),
                atom("mode"),
                atom("prod"),
            )
        )]
    );
}

#[test]
fn the_relx_style_example_renders_to_what_erl_expects() {
    let Some(erl) = beam_tool("erl") else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = run(launch()
        .args(["render", "--root"])
        .arg(project().join("fixtures/example"))
        .arg("--out-dir")
        .arg(dir.path())
        .env("DB_PASSWORD", "s3cr\"et\\")
        .env("PORT", "8080")
        .env("DEBUG", "yes")
        .env("LOG_LEVEL", "debug"));
    assert_eq!(code(&out), 0);
    let read = consult_all(&erl, &[dir.path().join("sys.config")]).remove(0);
    let database = format!(
        "[{{{},{}}},{{{},{}}},{{{},{}}}]",
        atom("username"),
        binary(b"app"),
        atom("password"),
        binary(b"s3cr\"et\\"),
        atom("url"),
        charlist("postgres://localhost:5432/app"),
    );
    let example = format!(
        "[{{{},8080}},{{{},10}},{{{},{}}},{{{},{database}}},{{{},{}}},{{{},{}}}]",
        atom("http_port"),
        atom("pool_size"),
        atom("debug"),
        atom("true"),
        atom("database"),
        atom("secret_key_base"),
        binary(b"change-me"),
        atom("node_role"),
        atom("web"),
    );
    assert_eq!(read[0], ("example".to_owned(), example));
    assert_eq!(
        read[1],
        (
            "kernel".to_owned(),
            format!("[{{{},{}}}]", atom("logger_level"), atom("debug"))
        )
    );
}

/// The README's quick start: the main job on the example release, whose
/// stand-in start script prints what erl would be started with.
#[test]
fn the_quick_start_runs_the_example_release_under_launch() {
    let out = run(launch()
        .arg("--")
        .arg(project().join("fixtures/example/bin/example"))
        .arg("foreground")
        .env("DB_PASSWORD", "s3cr\"et\\")
        .env("PORT", "8080"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        code(&out),
        0,
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("bin/example foreground: erl would start with\n"),
        "{stdout}"
    );
    assert!(stdout.contains("{http_port, 8080},"), "{stdout}");
    assert!(
        stdout.contains(r#"{password, <<"s3cr\"et\\">>},"#),
        "{stdout}"
    );
    // The private out dir the script was pointed at is gone with launch.
    let config = stdout
        .lines()
        .find_map(|l| l.strip_prefix("  -config "))
        .unwrap();
    let dir = std::path::Path::new(config).parent().unwrap();
    assert!(!dir.starts_with(project().join("fixtures/example")));
    assert!(!dir.exists(), "{} was left behind", dir.display());

    // A missing variable stops launch before the release starts.
    let out = run(launch()
        .arg("--")
        .arg(project().join("fixtures/example/bin/example"))
        .arg("foreground")
        .env_remove("DB_PASSWORD"));
    assert_eq!(code(&out), 78);
    assert!(out.stdout.is_empty(), "the release did not start");
}
