//! A real `erl` reads what launch writes: every context and type the README lists,
//! checked with `file:consult` against the term each case must become.

mod common;

use common::*;

/// One case: the key, the template of its value, and the `~w` it must read as.
struct Case {
    key: &'static str,
    template: String,
    expected: String,
}

fn case(key: &'static str, template: impl Into<String>, expected: impl Into<String>) -> Case {
    Case {
        key,
        template: template.into(),
        expected: expected.into(),
    }
}

/// `<<36,123,...>>` / `[36,123,...]` spelling of a placeholder, as `mix release` writes it.
fn spelled(text: &str) -> String {
    text.bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

const QUOTY: &str = r#"it's "quoted" \ back ${NOT} $${NOR} }{"#;
const UNICODE: &str = "é ü 中文 😀";
const RAW: &[u8] = b"\xff\xfe\x01x";
const CONTROL: &str = "a\nb\tc\u{1}\u{7f}d";

fn cases(secret_file: &str) -> (Vec<Case>, Vec<(&'static str, Vec<u8>)>) {
    let env: Vec<(&str, Vec<u8>)> = vec![
        ("QUOTY", QUOTY.into()),
        ("UNICODE", UNICODE.into()),
        ("RAW", RAW.into()),
        ("CONTROL", CONTROL.into()),
        ("HOST", b"db.local".to_vec()),
        ("NODE", b"app@host-1".to_vec()),
        ("TERM", b"{a, [1, 2], \"s\"}".to_vec()),
        ("PORT", b"4000".to_vec()),
        ("NEG", b"-12".to_vec()),
        ("FLOAT", b"3".to_vec()),
        ("SCI", b"1.5e3".to_vec()),
        ("YES", b"Yes".to_vec()),
        ("OFF", b"off".to_vec()),
        ("EMPTY", Vec::new()),
        ("SELF", b"${SELF}".to_vec()),
        ("SECRET_FILE", secret_file.into()),
        ("LONG", "é".repeat(255).into()),
    ];
    let q = QUOTY;
    let cases = vec![
        // Contexts.
        case("charlist", r#""${QUOTY}""#, charlist(q)),
        case(
            "charlist_inside",
            r#""db://${HOST}/x""#,
            charlist("db://db.local/x"),
        ),
        case("charlist_unicode", r#""${UNICODE}""#, charlist(UNICODE)),
        case("charlist_control", r#""${CONTROL}""#, charlist(CONTROL)),
        case("binary", r#"<<"${QUOTY}">>"#, binary(q.as_bytes())),
        case(
            "binary_unicode",
            r#"<<"${UNICODE}">>"#,
            binary(UNICODE.as_bytes()),
        ),
        case(
            "binary_utf8",
            r#"<<"${UNICODE}"/utf8>>"#,
            binary(UNICODE.as_bytes()),
        ),
        case("binary_raw", r#"<<"${RAW}">>"#, binary(RAW)),
        case(
            "binary_segments",
            r#"<<"<${HOST}>", 0, "é"/utf8>>"#,
            binary(&[b"<db.local>".as_slice(), &[0], "é".as_bytes()].concat()),
        ),
        case(
            "byte_list",
            format!("<<{}>>", spelled("${QUOTY}")),
            binary(q.as_bytes()),
        ),
        case(
            "byte_list_mixed",
            format!("<<{}>>", spelled("héllo ${UNICODE}!")),
            binary(format!("héllo {UNICODE}!").as_bytes()),
        ),
        case(
            "byte_list_raw",
            format!("<<{}>>", spelled("${RAW}")),
            binary(RAW),
        ),
        case(
            "int_list",
            format!("[{}]", spelled("${UNICODE}")),
            charlist(UNICODE),
        ),
        case("atom", "'${NODE}'", atom("app@host-1")),
        case("atom_quoty", "'${QUOTY}'", atom(q)),
        case(
            "atom_unicode",
            "'x${UNICODE}'",
            atom(&format!("x{UNICODE}")),
        ),
        case("atom_longest", "'${LONG}'", atom(&"é".repeat(255))),
        case(
            "bare_term",
            "${TERM}",
            format!("{{{},[1,2],{}}}", atom("a"), charlist("s")),
        ),
        case("bare_default_run", "{${IP:-127,0,0,1}}", "{127,0,0,1}"),
        case("bare_default_braces", "${A:-{1,2,3}}", "{1,2,3}"),
        case("adjacent", r#""a" "${HOST}""#, charlist("adb.local")),
        case(
            "map",
            r#"#{host => "${HOST}"}"#,
            format!("#{{{} => {}}}", atom("host"), charlist("db.local")),
        ),
        case("comment_ignored", "%% ${NOT_SET} in a comment\n 1", "1"),
        // Types.
        case("port_charlist", r#""${PORT:port}""#, "4000"),
        case("port_binary", r#"<<"${PORT:port}">>"#, "4000"),
        case("port_bare", "${PORT:port}", "4000"),
        case(
            "port_byte_list",
            format!("<<{}>>", spelled("${PORT:port}")),
            "4000",
        ),
        case(
            "int_int_list",
            format!("[{}]", spelled("${NEG:int}")),
            "-12",
        ),
        case("int_atom", "'${NEG:integer}'", "-12"),
        case("int_utf8", r#"<<"${NEG:int}"/utf8>>"#, "-12"),
        case("float_int", r#""${FLOAT:float}""#, "3.0"),
        case("float_sci", "${SCI:float}", "1.5e3"),
        case("bool_yes", r#""${YES:bool}""#, atom("true")),
        case("bool_off", "${OFF:boolean}", atom("false")),
        case("atom_type", r#""${QUOTY:atom}""#, atom(q)),
        case("binary_type", r#""${QUOTY:binary}""#, binary(q.as_bytes())),
        case("charlist_type", r#"<<"${QUOTY:charlist}">>"#, charlist(q)),
        case("string_type_bare", "${QUOTY:string}", charlist(q)),
        case("binary_type_bare", "${RAW:binary}", binary(RAW)),
        case(
            "term_type",
            r#""${TERM:term}""#,
            format!("{{{},[1,2],{}}}", atom("a"), charlist("s")),
        ),
        case(
            "typed_inside",
            r#""port=${PORT:port};on=${YES:bool}""#,
            charlist("port=4000;on=true"),
        ),
        case("typed_default", r#""${MISSING:port:-8080}""#, "8080"),
        // Defaults, escapes and values never expanded twice.
        case(
            "default",
            r#""${MISSING:-fall back}""#,
            charlist("fall back"),
        ),
        case("default_empty", r#""${EMPTY:-d}""#, charlist("d")),
        case("empty_kept", r#""${EMPTY-d}""#, charlist("")),
        case("empty_binary", r#"<<"${EMPTY}">>"#, binary(b"")),
        case(
            "default_escaped",
            r#""${MISSING:-a\"b\x{E9}}""#,
            charlist("a\"bé"),
        ),
        case(
            "default_nested",
            r#""${MISSING:-<${HOST}>}""#,
            charlist("<db.local>"),
        ),
        case(
            "default_nested_value",
            r#""${MISSING:-${QUOTY}}""#,
            charlist(q),
        ),
        case(
            "literal",
            r#""$${HOST} and $HOST""#,
            charlist("${HOST} and $HOST"),
        ),
        case("self_reference", r#""${SELF}""#, charlist("${SELF}")),
        case("unset_question", r#""${EMPTY?never}""#, charlist("")),
        case("name_file", r#"<<"${SECRET}">>"#, binary(b"from a file\n")),
    ];
    (cases, env)
}

#[test]
fn every_context_and_type_reads_back_exactly_in_erl() {
    let Some(erl) = beam_tool("erl") else { return };
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "from a file\n\n").unwrap();
    let (cases, env) = cases(secret.to_str().unwrap());

    let body: Vec<String> = cases
        .iter()
        .map(|c| format!("  {{{}, {}}}", c.key, c.template))
        .collect();
    let template = format!(
        "%% header comment ${{NOT_A_VAR}}\n[\n{}\n].\n",
        body.join(",\n")
    );
    let src = dir.path().join("sys.config.src");
    std::fs::write(&src, &template).unwrap();
    let out_dir = dir.path().join("out");

    let mut cmd = launch();
    cmd.args(["render", "--sys-config"])
        .arg(&src)
        .arg("--out-dir")
        .arg(&out_dir);
    for (k, v) in &env {
        env_bytes(&mut cmd, k, v);
    }
    let out = run(&mut cmd);
    assert_eq!(code(&out), 0);
    assert_eq!(std::fs::read_to_string(&src).unwrap(), template);

    let read = &consult_all(&erl, &[out_dir.join("sys.config")])[0];
    assert_eq!(read.len(), cases.len(), "erl read: {read:?}");
    for (c, (key, value)) in cases.iter().zip(read) {
        assert_eq!(key, c.key);
        assert_eq!(value, &c.expected, "case {}: {}", c.key, c.template);
    }
}

#[test]
fn files_without_placeholders_come_out_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sys.config");
    let text = "%% coding: utf-8\r\n[{a, \"é $ $$ ${\"}, % ${X}\n {b, <<\"\\x{41}\">>}].\n";
    std::fs::write(&src, text).unwrap();
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&src));
    assert_eq!(code(&out), 78, "a lone ${{ in a string is refused");

    let text =
        "%% coding: utf-8\r\n[{a, \"é $ $$ $${\"}, % ${X}\n {b, <<\"\\x{41}\">>, $$}]. % end";
    std::fs::write(&src, text).unwrap();
    let out = run(launch()
        .args(["render", "--stdout", "--sys-config"])
        .arg(&src));
    assert_eq!(code(&out), 0);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        text.replace("$${", "${")
    );
}
