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
