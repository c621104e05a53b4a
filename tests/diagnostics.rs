//! Bad input gets a clear error and loses nothing: every problem at once, with
//! FILE:LINE:COL, exit 78, nothing written, templates untouched, and never a
//! value in a message.

mod common;

use std::path::Path;

use common::*;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn missing_variable_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "sys.config",
        "[{app, [\n  {port, 1},\n  {user, \"é${DB_USER}\"}]}].\n",
    );
    let out = run(launch().args(["check", "--sys-config"]).arg(&src));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "launch: {}:3:12: DB_USER is not set",
            src.display()
        )),
        "{err}"
    );
    assert!(
        err.lines().last().unwrap().contains("1 problem in 1 file"),
        "{err}"
    );
}

#[test]
fn every_problem_in_every_file_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<String> = (0..40)
        .map(|i| format!("{{k{i}, \"${{MISSING_{i}}}\"}}"))
        .collect();
    let sys = write(
        dir.path(),
        "sys.config",
        &format!("[{}].", entries.join(",\n")),
    );
    let args = write(
        dir.path(),
        "vm.args",
        "-name ${NODE}\n-setcookie ${COOKIE:?set a cookie}\n",
    );
    let text = write(dir.path(), "app.env", "A=${A:int}\nB=${B}\n");
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&sys)
        .arg("--vm-args")
        .arg(&args)
        .arg("--file")
        .arg(&text)
        .env("A", "x"));
    assert_eq!(code(&out), 78);
    assert!(
        out.stdout.is_empty(),
        "nothing is printed when anything is wrong"
    );
    let err = stderr(&out);
    for i in 0..40 {
        assert!(
            err.contains(&format!(":{}:", i + 1)),
            "line {} missing",
            i + 1
        );
    }
    assert!(
        err.contains("vm.args:2:12: COOKIE is not set: set a cookie"),
        "{err}"
    );
    assert!(err.contains("app.env:1:3: A is not an integer"), "{err}");
    assert!(err.contains("app.env:2:3: B is not set"), "{err}");
    assert!(
        err.contains("44 problems in 3 files; nothing was written"),
        "{err}"
    );
}

#[test]
fn nothing_is_written_and_nothing_is_lost_when_anything_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let template = "[{a, \"${A}\"}, {b, \"${B}\"}].";
    let sys = write(dir.path(), "sys.config.src", template);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::write(out_dir.join("sys.config"), "[{previous, render}].").unwrap();
    let out = run(launch()
        .args(["render", "--sys-config"])
        .arg(&sys)
        .arg("--out-dir")
        .arg(&out_dir)
        .env("A", "set"));
    assert_eq!(code(&out), 78);
    assert_eq!(
        std::fs::read_to_string(out_dir.join("sys.config")).unwrap(),
        "[{previous, render}]."
    );
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 1);
    assert_eq!(std::fs::read_to_string(&sys).unwrap(), template);
}

#[test]
fn values_are_never_expanded_twice() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{a, \"${A}\"}, {b, <<\"${B}\">>}, {c, \"${C:-${A}}\"}, {d, ${D:-{1,2,3}}}].",
    );
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&sys)
        .env("A", "${A}")
        .env("B", "${SECRET} $${A}")
        .env("SECRET", "leaked"));
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        r#"[{a, "\x{24}{A}"}, {b, <<"\x{24}{SECRET} $\x{24}{A}">>}, {c, "\x{24}{A}"}, {d, {1,2,3}}]."#
    );
}

#[test]
fn a_nested_default_reports_the_variable_that_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "sys.config", "[{a, \"${A:-${B}}\"}].");
    let out = run(launch().args(["check", "--sys-config"]).arg(&sys));
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains("sys.config:1:12: B is not set"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_templates_are_reported_not_crashed_on() {
    let dir = tempfile::tempdir().unwrap();
    for (text, want) in [
        ("[{a, \"${A\"}].", "1:7: placeholder ${A is not closed"),
        ("[{a, \"${1}\"}].", "1:7: expected a variable name after ${"),
        ("[{a, \"${A:nope}\"}].", "1:11: unknown type `nope`"),
        ("[{a, \"${A:+x}\"}].", "1:10: unexpected text after ${A"),
        ("[{a, \"open}].", "1:6: string is not closed"),
        ("[{a, 1}]", "1:9: expected `.` after the term"),
        ("[{a, 1},].", "1:9: expected a term, found `]`"),
        ("{a}.\n{b}.", "2:1: a config file is exactly one term"),
        ("[{port, @PORT@}].", "1:9: expected a term, found `@`"),
        ("", "1:1: the file holds no term"),
        ("[<<\"x\">>, <<1:${S}>>].", ""),
    ] {
        let sys = write(dir.path(), "sys.config", text);
        let out = run(launch()
            .args(["check", "--sys-config"])
            .arg(&sys)
            .env("S", "{a}"));
        assert_eq!(code(&out), 78, "{text}");
        let err = stderr(&out);
        assert!(err.contains(want), "{text}: {err}");
        assert!(!err.contains("panicked"), "{text}: {err}");
    }
}

/// The failures a value can cause, each with the secret in the value.
#[test]
fn a_secret_value_never_appears_in_stderr() {
    const SECRET: &str = "Sup3rS3cr3t-xyzzy";
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("sys.config", "[{a, ${V:int}}].", SECRET.into()),
        ("sys.config", "[{a, \"${V:port}\"}].", SECRET.into()),
        ("sys.config", "[{a, <<\"${V:float}\">>}].", SECRET.into()),
        ("sys.config", "[{a, '${V:bool}'}].", SECRET.into()),
        (
            "sys.config",
            "[{a, ${V}}].",
            format!("{SECRET}}}, {{x").into(),
        ),
        ("sys.config", "[{a, ${V}}].", format!("{SECRET} % c").into()),
        ("sys.config", "[{a, ${V}}].", format!("'{SECRET}").into()),
        (
            "sys.config",
            "[{a, \"${V}\"}].",
            [SECRET.as_bytes(), b"\xff"].concat(),
        ),
        ("sys.config", "[{a, '${V}'}].", SECRET.repeat(20).into()),
        ("sys.config", "[{a, ${V:atom}}].", SECRET.repeat(20).into()),
        (
            "sys.config",
            "[<<1:${V}>>].",
            format!("{{{SECRET}}}").into(),
        ),
        (
            "sys.config",
            "[{a, ${V:term}}].",
            format!("{SECRET} {SECRET}").into(),
        ),
        ("vm.args", "-setcookie ${V}", format!("{SECRET}\nx").into()),
        ("vm.args", "-setcookie ${V:int}", SECRET.into()),
        ("app.env", "X=${V:port}", SECRET.into()),
    ];
    for (name, template, value) in cases {
        let path = write(dir.path(), name, template);
        let flag = match name {
            "sys.config" => "--sys-config",
            "vm.args" => "--vm-args",
            _ => "--file",
        };
        let mut cmd = launch();
        cmd.args(["render", "--stdout", flag]).arg(&path);
        env_bytes(&mut cmd, "V", &value);
        let out = run(&mut cmd);
        assert_eq!(code(&out), 78, "{template} should fail");
        let err = stderr(&out);
        for window in SECRET.as_bytes().windows(5) {
            let part = std::str::from_utf8(window).unwrap();
            assert!(!err.contains(part), "{template}: `{part}` leaked in: {err}");
        }
    }
}

#[test]
fn a_typed_value_that_is_wrong_names_the_variable_and_the_type() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{p, \"${PORT:port}\"}, {n, ${N:int}}, {e, ${E:int}}].",
    );
    let out = run(launch()
        .args(["check", "--sys-config"])
        .arg(&sys)
        .env("PORT", "80000")
        .env("N", "12a")
        .env("E", ""));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(
        err.contains("PORT is not a port (an integer from 0 to 65535)"),
        "{err}"
    );
    assert!(err.contains("N is not an integer"), "{err}");
    assert!(
        err.contains("E is empty, but type int needs a value"),
        "{err}"
    );
}

#[test]
fn an_unwritable_out_dir_exits_73() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "sys.config", "[].");
    let blocker = write(dir.path(), "file", "");
    let out = run(launch()
        .args(["render", "--sys-config"])
        .arg(&sys)
        .arg("--out-dir")
        .arg(blocker.join("sub")));
    assert_eq!(code(&out), 73);
    assert!(stderr(&out).contains("cannot write"), "{}", stderr(&out));
}

#[test]
fn an_unreadable_template_is_a_problem() {
    let out = run(launch().args(["check", "--sys-config", "/nonexistent/sys.config"]));
    assert_eq!(code(&out), 78);
    assert!(stderr(&out).contains("/nonexistent/sys.config: cannot read the template"));
}

#[test]
fn u_fffe_and_u_ffff_are_refused_where_erl_cannot_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{a, \"${V}\"}, {b, '${V}'}, {c, <<\"${V}\"/utf8>>}, {d, ${V:charlist}}, {e, <<\"${V}\">>}, {f, [36,123,86,125]}].",
    );
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&sys)
        .env("V", "x\u{FFFE}"));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert_eq!(err.matches("holds U+FFFE or U+FFFF").count(), 4, "{err}");
    // A plain binary takes the bytes, and a list of integers stays one.
    let sys = write(
        dir.path(),
        "sys.config",
        "[{e, <<\"${V}\">>}, {f, [36,123,86,125]}].",
    );
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&sys)
        .env("V", "x\u{FFFF}"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        r#"[{e, <<"x\x{EF}\x{BF}\x{BF}">>}, {f, [120,65535]}]."#
    );
}

#[test]
fn a_dot_followed_by_more_text_is_reported_for_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "sys.config", "[{a,\"x\"}].junk");
    let out = run(launch().args(["check", "--sys-config"]).arg(&sys));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(
        err.contains(
            "sys.config:1:10: the `.` that ends the term must be followed by white space, \
             a comment or the end of the file"
        ),
        "{err}"
    );
    assert!(!err.contains("found `.`"), "{err}");
}

/// erl refuses a reserved word where an atom stands (`{a, end}`), so a term
/// value that is one is refused too, without quoting the value.
#[test]
fn a_reserved_word_as_a_term_value_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "sys.config", "[{a, ${V}}, {b, ${W:term}}].");
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&sys)
        .env("V", "end")
        .env("W", "{ok, receive}"));
    assert_eq!(code(&out), 78, "{}", String::from_utf8_lossy(&out.stdout));
    let err = stderr(&out);
    assert_eq!(err.matches("is not Erlang term text").count(), 2, "{err}");
    assert!(!err.contains("end") && !err.contains("receive"), "{err}");
}

/// A careless operator sets `DB_PASSWORD_FILE` to the password itself.
#[test]
fn the_path_in_a_name_file_variable_never_appears_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(dir.path(), "sys.config", "[{a, <<\"${DB_PASSWORD}\">>}].");
    let out = run(launch()
        .args(["check", "--sys-config"])
        .arg(&sys)
        .env("DB_PASSWORD_FILE", "hunter2"));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(
        err.contains(
            "DB_PASSWORD is not set, and DB_PASSWORD_FILE names a file that cannot be read"
        ),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn an_empty_name_file_variable_counts_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{a, \"${A:-d}\"}, {b, \"${B}\"}].",
    );
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&sys)
        .env("A_FILE", "")
        .env("B_FILE", ""));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(err.contains("sys.config:1:23: B is not set\n"), "{err}");
    assert!(err.contains("1 problem in 1 file"), "{err}");
    let out = run(launch()
        .args(["vars", "--json", "--sys-config"])
        .arg(&sys)
        .env("B_FILE", ""));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(vars[1]["set"], false);
}

#[test]
fn an_unreadable_template_does_not_hide_the_problems_of_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let args = write(dir.path(), "vm.args", "-name ${NODE}\n");
    let text = write(dir.path(), "app.env", "A=${A}\n");
    let out = run(launch()
        .args([
            "check",
            "--sys-config",
            "/nonexistent/sys.config",
            "--vm-args",
        ])
        .arg(&args)
        .arg("--file")
        .arg(&text));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(
        err.contains("launch: /nonexistent/sys.config: cannot read the template"),
        "{err}"
    );
    assert!(err.contains("vm.args:1:7: NODE is not set"), "{err}");
    assert!(err.contains("app.env:1:3: A is not set"), "{err}");
    assert!(err.contains("3 problems in 3 files"), "{err}");
}

/// A path holding a newline or an escape sequence is shown escaped: every
/// message stays one line, and nothing reaches the terminal as a control.
#[test]
fn control_characters_in_paths_are_escaped_and_each_message_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("a\nlaunch forged\x1b[31m");
    std::fs::create_dir(&odd).unwrap();
    let first = write(&odd, "t.txt", "x\n");
    let second = write(dir.path(), "t.txt", "y\n");
    let out = run(launch()
        .args(["render", "--stdout", "--file"])
        .arg(&first)
        .arg("--file")
        .arg(&second));
    assert_eq!(code(&out), 64);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("a\\nlaunch forged\\u{1b}[31m/t.txt and "),
        "{err}"
    );
    let out = run(launch().args(["check", "--sys-config"]).arg(write(
        &odd,
        "sys.config",
        "[{a, \"${UNSET}\"}].\n",
    )));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(!err.contains('\x1b'), "{err}");
    assert!(err.lines().all(|l| l.starts_with("launch: ")), "{err}");
}

/// A default that does not fit its type is the template's problem: it is
/// named as the default, and found whether or not the variable is set, so
/// `check` catches it in any environment.
#[test]
fn a_default_that_does_not_fit_its_type_is_reported_whatever_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let sys = write(
        dir.path(),
        "sys.config",
        "[{a, \"${A:port:-99999}\"}, {b, ${B:int:-x}}, {c, \"${C:port:-80}\"}].\n",
    );
    let want = format!(
        "launch: {0}:1:7: the default of A is not a port (an integer from 0 to 65535)\n\
         launch: {0}:1:31: the default of B is not an integer\n",
        sys.display()
    );
    for env in [&[][..], &[("A", "1"), ("B", "2"), ("C", "3")][..]] {
        let out = run(launch()
            .args(["check", "--sys-config"])
            .arg(&sys)
            .envs(env.iter().copied()));
        assert_eq!(code(&out), 78, "{env:?}");
        assert!(stderr(&out).starts_with(&want), "{env:?}: {}", stderr(&out));
    }
    let out = run(launch()
        .args([
            "check",
            "--assume-set",
            "A",
            "--assume-set",
            "B",
            "--sys-config",
        ])
        .arg(&sys));
    assert_eq!(code(&out), 78);
    assert!(stderr(&out).starts_with(&want), "{}", stderr(&out));
    // A default with a placeholder of its own is checked when it is used,
    // and named as the default, not as its variable, which is unset.
    let nested = write(
        dir.path(),
        "nested.config",
        "[{m, \"${M:port:-${MM}}\"}].\n",
    );
    let out = run(launch()
        .args(["check", "--sys-config"])
        .arg(&nested)
        .env("MM", ""));
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains(":1:7: the default of M is empty, but type port needs a value"),
        "{}",
        stderr(&out)
    );
}
