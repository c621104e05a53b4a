//! Config files a sys.config includes (top-level strings naming other config
//! files): those that are templates are rendered too, and the rendered
//! sys.config points at the rendered copies; relx never renders them.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A release root whose sys.config includes `extra` (a template, by its
/// `.src`), `plain.config` (no placeholders) and `absent.config` (not there).
fn release(dir: &Path) {
    let vsn = dir.join("releases/0.1.0");
    std::fs::create_dir_all(&vsn).unwrap();
    std::fs::write(dir.join("releases/start_erl.data"), "13.1.5 0.1.0\n").unwrap();
    std::fs::write(
        vsn.join("sys.config.src"),
        "[\"extra\", \"plain.config\", \"absent.config\",\n {kernel, [{a, \"${A}\"}]}].\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("extra.config.src"),
        "%% an included template\n[{stdlib, [{b, <<\"${B}\">>}, {port, \"${PORT:port}\"}]}].\n",
    )
    .unwrap();
    std::fs::write(dir.join("plain.config"), "[{kernel, [{c, 3}]}].\n").unwrap();
}

#[test]
fn an_included_template_is_rendered_and_erl_boots_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let out_dir = dir.path().join("out");
    let out = run(launch()
        .args(["render", "--root"])
        .arg(&root)
        .arg("--out-dir")
        .arg(&out_dir)
        .env("A", "a \"quoted\" value")
        .env("B", "b\\x")
        .env("PORT", "8080"));
    assert_eq!(code(&out), 0);
    let sys = std::fs::read_to_string(out_dir.join("sys.config")).unwrap();
    let extra = out_dir.join("extra.config");
    assert!(
        sys.starts_with(&format!("[\"{}\", \"plain.config\"", extra.display())),
        "{sys}"
    );
    assert_eq!(
        std::fs::read_to_string(&extra).unwrap(),
        "%% an included template\n[{stdlib, [{b, <<\"b\\\\x\">>}, {port, 8080}]}].\n"
    );
    assert!(
        !root.join("extra.config").exists(),
        "nothing is written beside the template"
    );

    // erl boots with the rendered sys.config, from the release root as a
    // start script would, and sees every included file.
    let Some(erl) = beam_tool("erl") else { return };
    std::fs::remove_file(root.join("releases/0.1.0/sys.config.src")).unwrap();
    std::fs::write(root.join("absent.config"), "[].").unwrap();
    let lines = erl_lines(
        Command::new(erl)
            .current_dir(&root)
            .arg("-config")
            .arg(out_dir.join("sys")),
        "[io:format(\"~w~n\", [application:get_env(A, K)]) || {A, K} <- [{kernel, a}, {stdlib, b}, {stdlib, port}, {kernel, c}]], halt().",
    );
    assert_eq!(
        lines,
        [
            format!("{{ok,{}}}", charlist("a \"quoted\" value")),
            format!("{{ok,{}}}", binary(b"b\\x")),
            "{ok,8080}".to_owned(),
            "{ok,3}".to_owned(),
        ]
    );
}

#[test]
fn problems_in_an_included_template_are_reported_in_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let out = run(launch()
        .args(["check", "--root"])
        .arg(&root)
        .env("A", "a")
        .env("PORT", "not a port"));
    assert_eq!(code(&out), 78);
    let err = String::from_utf8_lossy(&out.stderr);
    let extra = root.join("extra.config.src");
    assert!(
        err.contains(&format!("{}:2:19: B is not set", extra.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}:2:37: PORT is not a port", extra.display())),
        "{err}"
    );
    assert!(err.contains("2 problems in 1 file"), "{err}");
}

#[test]
fn included_files_print_after_the_sys_config_with_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let out = run(launch()
        .args(["render", "--stdout", "--root"])
        .arg(&root)
        .env("A", "a")
        .env("B", "b")
        .env("PORT", "1"));
    assert_eq!(code(&out), 0);
    let text = String::from_utf8(out.stdout).unwrap();
    let extra = root.join("extra.config.src");
    assert!(
        text.contains(&format!(
            "\n==> {} <==\n%% an included template\n",
            extra.display()
        )),
        "{text}"
    );
    // Without an out dir there is no rendered copy to point at.
    assert!(text.contains("[\"extra\", \"plain.config\""), "{text}");
}

#[test]
fn vars_and_check_see_the_placeholders_of_included_templates() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let out = run(launch()
        .args(["vars", "--json", "--root"])
        .arg(&root)
        .env("B", "b"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let extra = root.join("extra.config.src");
    let sys = root.join("releases/0.1.0/sys.config.src");
    assert_eq!(
        vars,
        serde_json::json!([
            {"name": "A", "type": "string", "default": null, "required": true,
             "set": false, "locations": [format!("{}:2:17", sys.display())]},
            {"name": "B", "type": "string", "default": null, "required": true,
             "set": true, "locations": [format!("{}:2:19", extra.display())]},
            {"name": "PORT", "type": "port", "default": null, "required": true,
             "set": false, "locations": [format!("{}:2:37", extra.display())]},
        ])
    );

    let out = run(launch()
        .args(["check", "--root"])
        .arg(&root)
        .env("A", "a")
        .env("B", "b")
        .env("PORT", "4000"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ok: 3 placeholders in 2 files resolved"),
        "{}",
        stderr(&out)
    );
}

/// The template paths each mode went through: `vars` by its locations,
/// `render` by what it says it rendered, `check` by the count it gives.
fn files_seen(root: &Path, out_dir: &Path) -> (Vec<String>, Vec<String>, String) {
    let vars = run(launch().args(["vars", "--json", "--root"]).arg(root));
    assert_eq!(code(&vars), 0, "vars: {}", stderr(&vars));
    let vars: serde_json::Value = serde_json::from_slice(&vars.stdout).unwrap();
    let mut from_vars: Vec<String> = vars
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|v| v["locations"].as_array().unwrap().clone())
        .map(|l| l.as_str().unwrap().split(':').next().unwrap().to_owned())
        .collect();
    from_vars.sort();
    from_vars.dedup();
    let render = run(launch()
        .args(["render", "--root"])
        .arg(root)
        .arg("--out-dir")
        .arg(out_dir)
        .env("A", "a")
        .env("B", "b")
        .env("PORT", "1"));
    assert_eq!(code(&render), 0, "render: {}", stderr(&render));
    let mut from_render: Vec<String> = stderr(&render)
        .lines()
        .filter_map(|l| l.strip_prefix("launch: rendered "))
        .map(|l| l.split(" to ").next().unwrap().to_owned())
        .collect();
    from_render.sort();
    let check = run(launch()
        .args(["check", "--root"])
        .arg(root)
        .env("A", "a")
        .env("B", "b")
        .env("PORT", "1"));
    assert_eq!(code(&check), 0, "check: {}", stderr(&check));
    (from_vars, from_render, stderr(&check))
}

#[test]
fn vars_check_and_render_agree_on_the_files_when_an_include_is_named_twice() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    // The same template twice, by two names OTP accepts for it.
    std::fs::write(
        root.join("releases/0.1.0/sys.config.src"),
        "[\"extra\", \"extra.config\",\n {kernel, [{a, \"${A}\"}]}].\n",
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let (vars, render, check) = files_seen(&root, &out_dir);
    let sys = root
        .join("releases/0.1.0/sys.config.src")
        .display()
        .to_string();
    let extra = root.join("extra.config.src").display().to_string();
    let mut expected = vec![sys, extra];
    expected.sort();
    assert_eq!(vars, expected);
    assert_eq!(render, expected);
    assert!(
        check.contains("ok: 3 placeholders in 2 files resolved"),
        "{check}"
    );
    // Both names point at the one rendered copy.
    let extra_out = out_dir.join("extra.config").display().to_string();
    let sys = std::fs::read_to_string(out_dir.join("sys.config")).unwrap();
    assert!(
        sys.starts_with(&format!("[\"{extra_out}\", \"{extra_out}\",")),
        "{sys}"
    );
    assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 2);
}

#[test]
fn two_includes_written_to_one_name_are_a_problem_at_the_include() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    std::fs::create_dir_all(root.join("b")).unwrap();
    std::fs::write(root.join("b/extra.config.src"), "[{b, [{x, \"${B}\"}]}].").unwrap();
    let sys = root.join("releases/0.1.0/sys.config.src");
    std::fs::write(&sys, "[\"extra\",\n \"b/extra\"].\n").unwrap();
    for mode in [&["check"][..], &["render", "--stdout"], &["vars"]] {
        let out = run(launch()
            .args(mode)
            .arg("--root")
            .arg(&root)
            .env("B", "b")
            .env("PORT", "1"));
        let mode = mode[0];
        assert_eq!(code(&out), 78, "{mode}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "{}:2:2: `b/extra` would be written to extra.config in the out dir, \
                 as `extra` is",
                sys.display()
            )),
            "{mode}: {err}"
        );
    }
}

/// Include names built from values are paths a secret may be part of.
#[test]
fn an_include_name_built_from_values_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let secret = "s3cr3tdir";
    std::fs::create_dir_all(root.join(secret)).unwrap();
    std::fs::write(root.join(secret).join("extra.config.src"), "[].").unwrap();
    std::fs::write(root.join(secret).join("big.config.src"), "").unwrap();
    std::fs::File::options()
        .write(true)
        .open(root.join(secret).join("big.config.src"))
        .unwrap()
        .set_len((16 << 20) + 1)
        .unwrap();
    let sys = root.join("releases/0.1.0/sys.config.src");
    std::fs::write(&sys, "[\"extra\", \"${D}/extra\", \"${D}/big\"].\n").unwrap();
    let out = run(launch()
        .args(["render", "--stdout", "--root"])
        .arg(&root)
        .env("D", secret)
        .env("B", "b")
        .env("PORT", "1"));
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(!err.contains(secret), "{err}");
    let sys = sys.display();
    assert!(
        err.contains(&format!(
            "{sys}:1:11: this include, whose name is built from placeholders, would be \
             written to the out dir under the same name as `extra`"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{sys}:1:25: the file this include names, built from placeholders, cannot be \
             read: it is larger than 16 MiB"
        )),
        "{err}"
    );
}

/// Neither the problems inside an include named by values nor the note
/// that it was rendered show its path: they name where the sys.config names
/// it instead.
#[test]
fn the_file_an_include_built_from_values_names_never_shows_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let secret = "s3cr3tdir";
    std::fs::create_dir_all(root.join(secret)).unwrap();
    std::fs::write(
        root.join(secret).join("extra.config"),
        "[{x, [{y, \"${P:port}\"}]}].\n",
    )
    .unwrap();
    let sys = root.join("releases/0.1.0/sys.config.src");
    std::fs::write(&sys, "[\n  \"${D}/extra.config\", {app, []}].\n").unwrap();
    let with = |p: &str, args: &[&str]| {
        run(launch()
            .args(args)
            .arg("--root")
            .arg(&root)
            .env("D", secret)
            .env("P", p))
    };
    let sys = sys.display();
    let out = with("99999", &["check"]);
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    assert!(!err.contains(secret), "{err}");
    assert!(
        err.contains(&format!(
            "<the include named at {sys}:2:3>:1:12: P is not a port"
        )),
        "{err}"
    );

    let out_dir = dir.path().join("out");
    let mut args = vec!["render", "-v", "--out-dir"];
    args.push(out_dir.to_str().unwrap());
    let out = with("1", &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(!err.contains(secret), "{err}");
    assert!(
        err.contains(&format!(
            "rendered <the include named at {sys}:2:3> to a file in {}",
            out_dir.display()
        )),
        "{err}"
    );
    assert!(out_dir.join("extra.config").exists());
}

/// erl reads a file name in a sys.config as characters, which a UTF-8
/// locale encodes as UTF-8: a directory whose name is not UTF-8 cannot be
/// named there, so an out dir like that is refused when include names must
/// point into it, and only then.
#[test]
fn an_out_dir_that_is_not_utf8_is_refused_only_when_includes_point_into_it() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    release(&root);
    let out_dir = dir.path().join(std::ffi::OsStr::from_bytes(b"out\xff"));
    let render = |root: &Path| {
        run(launch()
            .args(["render", "--root"])
            .arg(root)
            .arg("--out-dir")
            .arg(&out_dir)
            .env("A", "a")
            .env("B", "b")
            .env("PORT", "1"))
    };
    let out = render(&root);
    assert_eq!(code(&out), 73);
    assert!(
        stderr(&out).contains("is not UTF-8, so the sys.config cannot name the included files"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.join("sys.config").exists());
    // Without include names to write, any directory will do.
    std::fs::write(
        root.join("releases/0.1.0/sys.config.src"),
        "[{kernel, [{a, \"${A}\"}]}].\n",
    )
    .unwrap();
    let out = render(&root);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out_dir.join("sys.config").exists());
}
