//! vm.args as a real `erl -args_file` reads it: values stay one argument,
//! and a value never becomes a flag. erl reads any argument that starts with
//! `-` or `+` as a flag, quoted or not (`-myflag "-extra"` gives `-myflag` no
//! value and starts the plain arguments), so a value that would begin an
//! argument with one is refused, with the reason and without the value.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Renders `template` as vm.args with `vars`.
fn render(dir: &Path, template: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let src = dir.join("vm.args.src");
    std::fs::write(&src, template).unwrap();
    let mut cmd = launch();
    cmd.args(["render", "--vm-args"])
        .arg(&src)
        .arg("--out-dir")
        .arg(dir.join("out"));
    cmd.envs(vars.iter().copied());
    run(&mut cmd)
}

#[test]
fn a_value_that_would_begin_an_argument_with_a_dash_or_plus_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (template, vars, at) in [
        ("-myflag \"${V}\"\n", &[("V", "-extra")][..], "1:10"),
        ("-myflag '${V}'\n", &[("V", "-extra")], "1:10"),
        ("-myflag ${V}\n", &[("V", "+K")], "1:9"),
        ("-myflag x\n${V} true\n", &[("V", "+K")], "2:1"),
        // An empty value before it leaves the argument empty: quotes do
        // not count.
        ("-myflag ${A}${B}\n", &[("A", ""), ("B", "-extra")], "1:13"),
        ("-myflag \"${A}\"${B}\n", &[("A", ""), ("B", "+K")], "1:15"),
        ("-p ${N:int}\n", &[("N", "-5")], "1:4"),
    ] {
        let out = render(dir.path(), template, vars);
        assert_eq!(code(&out), 78, "{template:?}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "vm.args.src:{at}: {} would begin an argument with `-` or `+`, which erl reads as a flag",
                if template.contains("${B}") {
                    "B"
                } else if template.contains("${N") {
                    "N"
                } else {
                    "V"
                }
            )),
            "{template:?}: {err}"
        );
        for (_, value) in vars {
            if !value.is_empty() {
                assert!(!err.contains(value), "{template:?}: {err}");
            }
        }
    }
}

#[test]
fn a_value_inside_an_argument_may_start_with_a_dash_and_erl_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let template =
        "-host app@${HOST}\n-myflag a${V} \"b${V}\" ${A}x${V}\n-other x${DEF:--d} \"${W}\"\n";
    let out = render(
        dir.path(),
        template,
        &[("HOST", "-h"), ("V", "-v"), ("A", ""), ("W", "w-")],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let Some(erl) = beam_tool("erl") else { return };
    let lines = erl_lines(
        Command::new(erl)
            .arg("-args_file")
            .arg(dir.path().join("out/vm.args")),
        "[io:format(\"~p~n\", [init:get_argument(F)]) || F <- [host, myflag, other]], halt().",
    );
    assert_eq!(
        lines,
        [
            r#"{ok,[["app@-h"]]}"#,
            r#"{ok,[["a-v","b-v","x-v"]]}"#,
            r#"{ok,[["x-d","w-"]]}"#
        ]
        .map(str::to_owned)
    );
}
