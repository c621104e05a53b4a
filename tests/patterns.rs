//! The shapes real release configurations use (seen in the corpus of public
//! projects), written out in `fixtures/patterns`: a release whose sys.config
//! includes another template, uses defaults holding commas, `fun M:F/A`,
//! character literals and numbers with `_`, and whose vm.args puts
//! placeholders inside quoted regions. Rendered, then read by a real erl.
//! Files written for other template tools are reported as such.

mod common;

use std::process::Command;

use common::*;

#[test]
fn the_pattern_release_renders_and_erl_reads_what_the_environment_said() {
    let dir = tempfile::tempdir().unwrap();
    let root = project().join("fixtures/patterns");
    let out_dir = dir.path().join("out");
    let out = run(launch()
        .args(["render", "--root"])
        .arg(&root)
        .arg("--out-dir")
        .arg(&out_dir)
        .env("COOKIE", "c\"o o'kie")
        .env("MNESIA_DIR", "/var/lib/app's \"mnesia\"")
        .env("MOTD", "hello world # not a comment")
        .env("DATA_DIR", "/data/é")
        .env("PORT", "8080"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        file_names(&out_dir),
        ["extra.config", "sys.config", "vm.args"]
    );

    let Some(erl) = beam_tool("erl") else { return };
    let lines = erl_lines(
        Command::new(erl)
            .current_dir(&root)
            .env("ERL_CRASH_DUMP_SECONDS", "0")
            .args(["-pa", "lib/patterns-0.1.0/ebin", "-config"])
            .arg(out_dir.join("sys"))
            .arg("-args_file")
            .arg(out_dir.join("vm.args")),
        r#"[ok = application:load(A) || A <- [patterns, patterns_extra]],
           Get = fun(A, K) -> {ok, V} = application:get_env(A, K), V end,
           {ok, #{filters := Filters, level := Level}} = logger:get_handler_config(default),
           io:format("~w~n~w~n~w~n~w~n~w~n~w~n~w~n", [
             Get(patterns, listen_ip), Get(patterns, peers), Get(patterns, port),
             Get(patterns, timeout_ms), {Get(patterns, separator), Get(patterns, tab)},
             Get(patterns, price), Get(patterns, greeting)]),
           io:format("~w~n~w~n", [[F || {_, {F, _}} <- Filters], Level]),
           io:format("~w~n~w~n", [Get(patterns_extra, data_dir), Get(patterns_extra, workers)]),
           io:format("~w~n~w~n~w~n", [init:get_argument(setcookie), init:get_argument(mnesia),
             init:get_argument(pattern_args)]),
           halt()."#,
    );
    assert_eq!(
        lines,
        [
            "{127,0,0,1}".to_owned(),
            "[a@host1,b@host2]".to_owned(),
            "8080".to_owned(),
            "300000".to_owned(),
            "{32,9}".to_owned(),
            charlist("$5"),
            binary(b"hello"),
            "[fun logger_filters:progress/2,fun logger_filters:domain/2]".to_owned(),
            "notice".to_owned(),
            charlist("/data/é"),
            "4".to_owned(),
            format!("{{ok,[[{}]]}}", charlist("c\"o o'kie")),
            format!(
                "{{ok,[[{},{}]]}}",
                charlist("dir"),
                charlist("\"/var/lib/app's \"mnesia\"\"")
            ),
            format!(
                "{{ok,[[{},{}],[{},{}]]}}",
                charlist("host"),
                charlist("app@localhost"),
                charlist("motd"),
                charlist("hello world # not a comment")
            ),
        ]
    );
}

#[test]
fn other_tools_markup_is_reported_as_such() {
    for (name, at, markup) in [
        ("mustache.config", "4:2", "{{mnesia_dir_toggle}}"),
        ("autoconf.config", "2:16", "@APP_PORT@"),
    ] {
        let path = project().join("fixtures/patterns/markup").join(name);
        let out = run(launch().args(["check", "--sys-config"]).arg(&path));
        assert_eq!(code(&out), 78, "{name}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "{name}:{at}: `{markup}` looks like the markup of another template tool; \
                 launch fills ${{NAME}} placeholders only"
            )),
            "{name}: {err}"
        );
    }
}
