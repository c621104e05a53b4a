//! Helpers shared by the integration tests: running the launch binary with a
//! controlled environment, and asking a real `erl` what launch wrote.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The launch binary under test: `$LAUNCH_BIN` when set (a binary built for
/// another target), else the one cargo built.
pub fn launch_bin() -> PathBuf {
    std::env::var_os("LAUNCH_BIN")
        .filter(|b| !b.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_BIN_EXE_launch")),
            PathBuf::from,
        )
}

/// The launch binary under test, run through `$LAUNCH_RUNNER` when set
/// (`qemu-aarch64-static` for an arm64 binary), with an empty environment
/// but for PATH.
pub fn launch() -> Command {
    let mut cmd = match std::env::var_os("LAUNCH_RUNNER").filter(|r| !r.is_empty()) {
        Some(runner) => {
            let mut cmd = Command::new(runner);
            cmd.arg(launch_bin());
            cmd
        }
        None => Command::new(launch_bin()),
    };
    cmd.env_clear();
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// Runs `cmd` and returns its output, with stderr echoed for failing tests.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("launch runs");
    if !out.stderr.is_empty() {
        eprintln!("stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

/// Sets an environment variable from raw bytes.
pub fn env_bytes(cmd: &mut Command, name: &str, value: &[u8]) {
    cmd.env(name, OsStr::from_bytes(value));
}

/// What the process wrote to stderr, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The exit code, or a panic when a signal ended the process.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// The root of the project (for fixtures).
pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// True when tests that need Erlang (or data CI has) must fail rather than skip.
pub fn beam_required() -> bool {
    std::env::var("LAUNCH_REQUIRE_BEAM").as_deref() == Ok("1")
}

/// The path of a tool of the BEAM world (`erl`, `rebar3`, `elixir`), or
/// `None` after saying why the test is skipped. With `LAUNCH_REQUIRE_BEAM=1`
/// a missing tool fails the test instead.
pub fn beam_tool(name: &str) -> Option<PathBuf> {
    require_tool(name, "apt-get install erlang-nox rebar3 elixir")
}

/// The path of a tool a test drives (`runc`), found on PATH, or `None`
/// after saying why the test is skipped and how to `install` it. With
/// `LAUNCH_REQUIRE_BEAM=1` (CI, which installs them) a missing tool fails
/// the test instead.
pub fn require_tool(name: &str, install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip(&format!("`{name}` is not installed ({install})"));
    }
    found
}

/// Says why a test is skipped; with `LAUNCH_REQUIRE_BEAM=1` fails it instead.
pub fn skip(reason: &str) {
    assert!(!beam_required(), "LAUNCH_REQUIRE_BEAM=1 but {reason}");
    eprintln!("skipped: {reason}");
}

/// Erlang code that prints a term in a form easy to build in Rust: `~w`
/// (lists of integers, binaries as bytes) with atoms turned into
/// `{atom,[Chars]}` so that quoting rules play no part.
const NORMALISE: &str = r#"
Norm = fun N(A) when is_atom(A) -> {atom, atom_to_list(A)};
           N(L) when is_list(L) -> norm_list(N, L);
           N(T) when is_tuple(T) -> list_to_tuple([N(X) || X <- tuple_to_list(T)]);
           N(M) when is_map(M) -> maps:from_list([{N(K), N(V)} || {K, V} <- maps:to_list(M)]);
           N(X) -> X
       end,
"#;

/// Reads each file with `file:consult` in one `erl` call. For a file holding
/// `[{Key, Value}, ...].` (one term, a list of pairs) the result maps each key
/// to `~w` of its normalised value; otherwise there is one entry, `error`,
/// with what consult said, or `terms` with the whole result.
pub fn consult_all(erl: &Path, files: &[PathBuf]) -> Vec<Vec<(String, String)>> {
    let script = format!(
        r#"
{NORMALISE}
Show = fun(File) ->
    io:format("file~n"),
    case file:consult(File) of
        {{ok, [Pairs]}} when is_list(Pairs) ->
            lists:foreach(fun({{K, V}}) when is_atom(K) -> io:format("~s ~w~n", [K, Norm(V)]);
                             (Other) -> io:format("entry ~w~n", [Norm(Other)]) end, Pairs);
        {{ok, Terms}} -> io:format("terms ~w~n", [Norm(Terms)]);
        {{error, Why}} -> io:format("error ~w~n", [Why])
    end
end,
lists:foreach(Show, init:get_plain_arguments()),
halt().
"#
    )
    .replace("norm_list(N, L)", "[N(X) || X <- L]");
    let text = erl_output(
        Command::new(erl)
            .args(["-noshell", "-eval", &script, "-extra"])
            .args(files),
    );
    let mut result: Vec<Vec<(String, String)>> = Vec::new();
    for line in text.lines() {
        if line == "file" {
            result.push(Vec::new());
        } else if let Some((k, v)) = line.split_once(' ') {
            result
                .last_mut()
                .expect("a file line first")
                .push((k.to_owned(), v.to_owned()));
        }
    }
    assert_eq!(result.len(), files.len(), "erl printed: {text}");
    result
}

/// Runs `erl ARGS -noshell -eval EXPR` (EXPR ends in `halt().`) and returns
/// the lines it printed; a failure of erl fails the test.
pub fn erl_lines(cmd: &mut Command, expr: &str) -> Vec<String> {
    erl_output(cmd.args(["-noshell", "-eval", expr]))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What an erl command printed; a failure of erl fails the test.
fn erl_output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("erl runs");
    assert!(
        out.status.success(),
        "erl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("erl prints ASCII")
}

/// `~w` of a charlist.
pub fn charlist(text: &str) -> String {
    let codes: Vec<String> = text.chars().map(|c| (c as u32).to_string()).collect();
    format!("[{}]", codes.join(","))
}

/// `~w` of a binary.
pub fn binary(bytes: &[u8]) -> String {
    let codes: Vec<String> = bytes.iter().map(|b| b.to_string()).collect();
    format!("<<{}>>", codes.join(","))
}

/// `~w` of a normalised atom.
pub fn atom(text: &str) -> String {
    format!("{{atom,{}}}", charlist(text))
}

/// The names of the files in `dir`, sorted.
pub fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// Copies the fixture project `fixture` to `src` (which must not exist) and
/// builds it there with `build`, failing the test with the build's output.
pub fn build_fixture(fixture: &str, build: &mut Command, src: &Path) {
    let copied = Command::new("cp")
        .arg("-r")
        .arg(project().join("fixtures").join(fixture))
        .arg(src)
        .status()
        .unwrap();
    assert!(copied.success());
    let out = build.current_dir(src).output().unwrap();
    assert!(
        out.status.success(),
        "building {fixture} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
