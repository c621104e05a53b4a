//! Random values — quotes, backslashes, braces, `${`, `$${`, line breaks,
//! control characters, 2/3/4-byte UTF-8, raw bytes, the empty string — in every
//! context of an Erlang term file come back exactly through `file:consult`.

mod common;

use common::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// A piece of a value, biased toward what breaks naive substitution.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"", "'", "\\", "}", "{", "${", "$${", "$", "\n", "\r\n", "\u{7f}", "%", ".", ",",
            "]", ">>", "\\x{41}", "~p",
        ])
        .prop_map(str::to_owned),
        (1u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string()),
        prop::char::range(' ', '~').prop_map(|c| c.to_string()),
        prop::char::range('\u{80}', '\u{7ff}').prop_map(|c| c.to_string()),
        // U+FFFE and U+FFFF have no spelling in Erlang strings and atoms: see
        // tests/diagnostics.rs.
        prop::char::range('\u{800}', '\u{fffd}').prop_map(|c| c.to_string()),
        prop::char::range('\u{10000}', '\u{10ffff}').prop_map(|c| c.to_string()),
    ]
}

fn text_value() -> impl Strategy<Value = String> {
    vec(piece(), 0..10).prop_map(|pieces| pieces.concat())
}

/// Raw bytes, not necessarily UTF-8 (never NUL, which no environment can hold).
fn byte_value() -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 0..16)
}

fn spelled(text: &str) -> String {
    text.bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn check_batch(
    erl: &std::path::Path,
    texts: &[String],
    bytes: &[Vec<u8>],
) -> Result<(), TestCaseError> {
    let mut entries = Vec::new();
    let mut expected = Vec::new();
    let mut cmd = launch();
    for (i, v) in texts.iter().enumerate() {
        let name = format!("T{i}");
        env_bytes(&mut cmd, &name, v.as_bytes());
        let ph = format!("${{{name}}}");
        for (key, template, want) in [
            ("c", format!("\"{ph}\""), charlist(v)),
            ("m", format!("\"<{ph}>\""), charlist(&format!("<{v}>"))),
            ("b", format!("<<\"{ph}\">>"), binary(v.as_bytes())),
            ("u", format!("<<\"{ph}\"/utf8>>"), binary(v.as_bytes())),
            ("a", format!("'{ph}'"), atom(v)),
            ("bl", format!("<<{}>>", spelled(&ph)), binary(v.as_bytes())),
            ("il", format!("[{}]", spelled(&ph)), charlist(v)),
            ("d", format!("\"${{UNSET_{i}:-{ph}}}\""), charlist(v)),
        ] {
            entries.push(format!("{{{key}{i}, {template}}}"));
            expected.push((format!("{key}{i}"), want));
        }
    }
    for (i, v) in bytes.iter().enumerate() {
        let name = format!("R{i}");
        env_bytes(&mut cmd, &name, v);
        let ph = format!("${{{name}}}");
        for (key, template) in [
            ("rb", format!("<<\"{ph}\">>")),
            ("rbl", format!("<<{}>>", spelled(&ph))),
        ] {
            entries.push(format!("{{{key}{i}, {template}}}"));
            expected.push((format!("{key}{i}"), binary(v)));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sys.config");
    std::fs::write(&src, format!("[{}].\n", entries.join(",\n"))).unwrap();
    let out = cmd
        .args(["render", "--sys-config"])
        .arg(&src)
        .arg("--out-dir")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    prop_assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = consult_all(erl, &[dir.path().join("out/sys.config")]).remove(0);
    prop_assert_eq!(read, expected);
    Ok(())
}

#[test]
fn random_values_round_trip_through_file_consult_in_every_context() {
    let Some(erl) = beam_tool("erl") else { return };
    // Each case is one batch of up to 80 values and one erl call; more cases
    // for a longer hunt: LAUNCH_PROPTEST_CASES=500 cargo test --test roundtrip_property
    let cases = std::env::var("LAUNCH_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strategy = (vec(text_value(), 1..60), vec(byte_value(), 1..20));
    runner
        .run(&strategy, |(texts, bytes)| {
            check_batch(&erl, &texts, &bytes)
        })
        .unwrap();
}
