//! Real configuration files from public projects (the corpus folder, see
//! [`corpus`]): those without placeholders come out byte-identical; templates
//! render to what a real `erl` reads the same as the relx start script's
//! substitution of the same simple values; files that are not valid configs
//! are reported clearly.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    SysConfig,
    VmArgs,
    File,
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    /// No placeholders (or only in comments): byte for byte the same.
    Identical,
    /// A template: rendered with simple values, the same as relx would make it.
    LikeRelx,
    /// Not a valid file of its kind: reported at LINE:COL with this message.
    Invalid(&'static str, &'static str),
}

use Kind::*;
use Outcome::*;

const EXPECTED: &[(&str, Kind, Outcome)] = &[
    (
        "other/FarmBot__farmbot_os__rel__vm.args.eex",
        VmArgs,
        Identical,
    ),
    (
        "other/Logflare__logflare__rel__env.sh.eex",
        File,
        Invalid("19:44", "unexpected text after ${LOGFLARE_METADATA_CLUSTER"),
    ),
    (
        "other/basho__riak__rel__files__advanced.config",
        SysConfig,
        Identical,
    ),
    (
        "other/basho__riak__rel__files__app.config",
        SysConfig,
        Invalid(
            "170:15",
            "expected `,` or `}` in a tuple, found atom `i_backpressure`",
        ),
    ),
    (
        "other/esl__MongooseIM__big_tests__test.config",
        SysConfig,
        Invalid("10:1", "a config file is exactly one term ending in `.`"),
    ),
    (
        "other/esl__MongooseIM__rel__files__app.config",
        SysConfig,
        Invalid("93:31", "expected `,`, `|` or `]` in a list, found `{`"),
    ),
    (
        "other/esl__MongooseIM__rel__files__vm.args",
        VmArgs,
        Identical,
    ),
    (
        "other/rabbitmq__rabbitmq-server__deps__rabbit__docs__advanced.config.example",
        SysConfig,
        Identical,
    ),
    (
        "other/rabbitmq__rabbitmq-server__deps__rabbit__docs__rabbitmq.config.example",
        SysConfig,
        Identical,
    ),
    (
        "other/rabbitmq__rabbitmq-server__deps__rabbitmq_auth_backend_oauth2__demo__symmetric_keys__rabbitmq.config",
        SysConfig,
        Identical,
    ),
    (
        "other/rabbitmq__rabbitmq-server__deps__rabbitmq_prelaunch__test__rabbit_prelaunch_file_SUITE_data__advanced.config",
        SysConfig,
        Invalid("18:39", "expected `,` or `}` in a tuple, found `:`"),
    ),
    (
        "other/vernemq__vernemq__apps__vmq_generic_msg_store__priv__rocksdb_example_advanced.config",
        SysConfig,
        Identical,
    ),
    (
        "other/vernemq__vernemq__vars__dev_vars.config.src",
        SysConfig,
        Invalid("6:1", "a config file is exactly one term ending in `.`"),
    ),
    (
        "other/zotonic__zotonic__apps__zotonic_launcher__priv__config__zotonic.config.in",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/2600hz__kazoo__rel__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/apache__couchdb__rel__files__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/barrel-db__barrel_docdb__config__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/emqx__emqx-rel__rel__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/erlang__erlang-org__rel__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/helium__helium-packet-router__config__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/iRaffnix__erlkoenig_nft__config__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/lasp-lang__lasp__config__sys.config",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/seanchatmangpt__erlmcp__config__sys.config.prod",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig/zotonic__zotonic__apps__zotonic_launcher__priv__config__erlang.config.in",
        SysConfig,
        Identical,
    ),
    (
        "sysconfig_src/TI-Tokyo__riak_cs_control__config__sys.config.src",
        SysConfig,
        LikeRelx,
    ),
    (
        "sysconfig_src/barrel-db__barrel_docdb__config__sys.config.src",
        SysConfig,
        LikeRelx,
    ),
    (
        "sysconfig_src/electric-sql__vaxine__config__sys.config.src",
        SysConfig,
        LikeRelx,
    ),
    (
        "sysconfig_src/emqx__emqttb__config__sys.config.src",
        SysConfig,
        Invalid("1:1", "the file holds no term"),
    ),
    (
        "sysconfig_src/helium__helium-packet-router__config__sys.config.src",
        SysConfig,
        LikeRelx,
    ),
    (
        "sysconfig_src/heyoka__faxe__config__sys.config.src",
        SysConfig,
        LikeRelx,
    ),
    (
        "sysconfig_src/liaoxifeng__mahjong__config__sys.config.src",
        SysConfig,
        LikeRelx,
    ),
    ("vmargs/2600hz__kazoo__rel__vm.args", VmArgs, Identical),
    (
        "vmargs/apache__couchdb__rel__overlay__etc__vm.args",
        VmArgs,
        Identical,
    ),
    ("vmargs/basho__riak__rel__files__vm.args", VmArgs, Identical),
    (
        "vmargs/helium__helium-packet-router__config__vm.args",
        VmArgs,
        Identical,
    ),
    ("vmargs/joaohf__eclero__config__vm.args", VmArgs, Identical),
    ("vmargs/lasp-lang__lasp__config__vm.args", VmArgs, LikeRelx),
    (
        "vmargs/seanchatmangpt__erlmcp__config__prod-vm.args",
        VmArgs,
        LikeRelx,
    ),
    (
        "vmargs_src/ArweaveTeam__arweave__config__vm.args.src",
        VmArgs,
        LikeRelx,
    ),
    (
        "vmargs_src/Taure__stargate__config__vm.args.src",
        VmArgs,
        Identical,
    ),
    (
        "vmargs_src/barrel-db__barrel_docdb__config__vm.args.src",
        VmArgs,
        LikeRelx,
    ),
    (
        "vmargs_src/ferd__ReVault__config__vm.args.src",
        VmArgs,
        LikeRelx,
    ),
    (
        "vmargs_src/iRaffnix__erlkoenig_nft__config__vm.args.src",
        VmArgs,
        LikeRelx,
    ),
    (
        "vmargs_src/jdek__shurbej__config__vm.args.src",
        VmArgs,
        LikeRelx,
    ),
    (
        "vmargs_src/liaoxifeng__mahjong__config__vm.args.src",
        VmArgs,
        LikeRelx,
    ),
];

/// The corpus folder: `$LAUNCH_CORPUS`, else `../shared/corpus` beside the
/// project. When it is missing the tests say so and skip, except under
/// `LAUNCH_REQUIRE_BEAM=1` (CI), where they fail: they must never pass
/// silently without their data.
fn corpus() -> Option<PathBuf> {
    let dir = match std::env::var_os("LAUNCH_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => project().join("../shared/corpus"),
    };
    if dir.join("PROVENANCE.tsv").is_file() {
        return Some(dir);
    }
    let reason = format!(
        "no corpus at {} (set LAUNCH_CORPUS to the folder that holds PROVENANCE.tsv)",
        dir.display()
    );
    assert!(!beam_required(), "LAUNCH_REQUIRE_BEAM=1, but {reason}");
    eprintln!("skipped: {reason}");
    None
}

fn flag(kind: Kind) -> &'static str {
    match kind {
        SysConfig => "--sys-config",
        VmArgs => "--vm-args",
        File => "--file",
    }
}

/// `launch render --stdout` of one file with `env`.
fn render(path: &Path, kind: Kind, env: &BTreeMap<String, String>) -> std::process::Output {
    let mut cmd = launch();
    cmd.args(["render", "--stdout", flag(kind)]).arg(path);
    cmd.envs(env);
    cmd.output().unwrap()
}

/// The names of the placeholders, and whether each has a default, from `launch vars --json`.
fn variables(path: &Path, kind: Kind) -> Vec<(String, bool)> {
    let out = run(launch().args(["vars", "--json", flag(kind)]).arg(path));
    assert_eq!(code(&out), 0, "{}", path.display());
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    vars.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                !v["default"].is_null(),
            )
        })
        .collect()
}

/// What relx's start script makes of a template: `${NAME}` (and
/// `${NAME:-default}`) replaced by the text of the value, everywhere,
/// comments included, with no escaping.
fn relx_substitute(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('}').expect("closed placeholder");
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match (env.get(name), default) {
            (Some(v), _) if !v.is_empty() => out.push_str(v),
            (_, Some(d)) => out.push_str(d),
            (v, None) => out.push_str(v.map_or("", String::as_str)),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Arguments as `erl -args_file` splits them (erts erlexec): whitespace
/// separates, `#` outside quotes comments to the end of the line, a backslash
/// takes the next byte, and quotes group without escapes.
fn erl_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                current.get_or_insert_default().push(c);
            }
            continue;
        }
        match c {
            '#' => {
                args.extend(current.take());
                while chars.peek().is_some_and(|&n| n != '\n') {
                    chars.next();
                }
            }
            ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' => args.extend(current.take()),
            '"' | '\'' => {
                current.get_or_insert_default();
                quote = Some(c);
            }
            '\\' => {
                let s = current.get_or_insert_default();
                s.extend(chars.next());
            }
            c => current.get_or_insert_default().push(c),
        }
    }
    args.extend(current);
    args
}

#[test]
fn the_corpus_table_names_every_file() {
    let Some(corpus) = corpus() else { return };
    let provenance = std::fs::read_to_string(corpus.join("PROVENANCE.tsv")).unwrap();
    let listed: Vec<&str> = provenance
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    let expected: Vec<&str> = EXPECTED.iter().map(|(f, _, _)| *f).collect();
    assert_eq!(listed, expected);
}

#[test]
fn every_corpus_file_renders_as_its_readme_says() {
    let Some(corpus) = corpus() else { return };
    let erl = beam_tool("erl");
    let dir = tempfile::tempdir().unwrap();
    // Pairs of files erl must read the same: (launch's, relx's).
    let mut pairs: Vec<(PathBuf, PathBuf, &str)> = Vec::new();
    for &(name, kind, outcome) in EXPECTED {
        let path = corpus.join(name);
        let original = std::fs::read(&path).unwrap();
        match outcome {
            Identical => {
                let out = render(&path, kind, &BTreeMap::new());
                assert_eq!(
                    code(&out),
                    0,
                    "{name}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(out.stdout == original, "{name} changed");
            }
            Invalid(at, says) => {
                let out = render(&path, kind, &BTreeMap::new());
                assert_eq!(code(&out), 78, "{name}");
                let err = String::from_utf8_lossy(&out.stderr);
                let want = format!("launch: {}:{at}: {says}", path.display());
                assert!(err.contains(&want), "{name}: want {want}\n got {err}");
                assert!(!err.contains("panicked"));
            }
            LikeRelx => {
                let vars = variables(&path, kind);
                assert!(!vars.is_empty(), "{name} has placeholders");
                let text = String::from_utf8(original.clone()).unwrap();
                // Once with every variable set, once with only those that have no default.
                for (round, only_required) in [(0, false), (1, true)] {
                    let env: BTreeMap<String, String> = vars
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, has_default))| !(only_required && *has_default))
                        .map(|(i, (n, _))| (n.clone(), format!("v{i}")))
                        .collect();
                    let out = render(&path, kind, &env);
                    assert_eq!(
                        code(&out),
                        0,
                        "{name}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let relx = relx_substitute(&text, &env);
                    let ours = String::from_utf8(out.stdout).unwrap();
                    if kind == VmArgs {
                        assert_eq!(erl_args(&ours), erl_args(&relx), "{name}");
                    } else {
                        let base = dir.path().join(format!("{}.{round}", pairs.len()));
                        let (a, b) = (base.with_extension("launch"), base.with_extension("relx"));
                        std::fs::write(&a, ours).unwrap();
                        std::fs::write(&b, relx).unwrap();
                        pairs.push((a, b, name));
                    }
                }
            }
        }
        assert_eq!(
            std::fs::read(&path).unwrap(),
            original,
            "{name} was modified"
        );
    }
    let Some(erl) = erl else { return };
    let files: Vec<PathBuf> = pairs
        .iter()
        .flat_map(|(a, b, _)| [a.clone(), b.clone()])
        .collect();
    let read = consult_all(&erl, &files);
    for (i, (_, _, name)) in pairs.iter().enumerate() {
        let (ours, relx) = (&read[2 * i], &read[2 * i + 1]);
        assert!(
            !ours.iter().any(|(k, _)| k == "error"),
            "{name}: erl could not read launch's output: {ours:?}"
        );
        assert_eq!(ours, relx, "{name}");
    }
}

#[test]
fn the_args_splitter_follows_erl() {
    assert_eq!(
        erl_args("-a b\\ c # x\n-d '\"e f\"' g\"h i\"#\n"),
        ["-a", "b c", "-d", "\"e f\"", "gh i"]
    );
}
