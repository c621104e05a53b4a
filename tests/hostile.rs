//! Hostile input: huge templates, many placeholders, long lines, deep
//! nesting, NUL bytes, invalid UTF-8, CRLF, a BOM, unterminated constructs,
//! huge values, a huge environment, FIFOs and devices where files belong.
//! Each gives a clear error or an exact result, within a generous bound, and
//! the template is unchanged after.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// Renders `template` (as a sys.config) with `vars`; checks the template is
/// unchanged and the run took less than a bound that only a hang exceeds.
fn render(dir: &Path, template: &[u8], vars: &[(&str, &[u8])]) -> Output {
    let src = dir.join("sys.config.src");
    std::fs::write(&src, template).unwrap();
    let mut cmd = launch();
    cmd.args(["render", "--stdout", "--sys-config"]).arg(&src);
    for (k, v) in vars {
        env_bytes(&mut cmd, k, v);
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        std::fs::read(&src).unwrap() == template,
        "the template was modified"
    );
    out
}

#[test]
fn a_15_mb_template_with_300000_placeholders_renders_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: usize| {
        format!(
            "  {{k{i}, \"padding padding padding padding padding padding ${{V}}\", <<\"${{W}}\">>}},\n"
        )
    };
    let mut template = String::from("[\n");
    let mut expected = String::from("[\n");
    let mut i = 0;
    // Just under the limit of 16 MiB.
    while template.len() < 15_000_000 {
        template.push_str(&line(i));
        expected.push_str(&line(i).replace("${V}", "v\\\"").replace("${W}", "\\x{FF}"));
        i += 1;
    }
    template.push_str("  last\n].\n");
    expected.push_str("  last\n].\n");
    assert!(i * 2 > 300_000);
    let out = render(
        dir.path(),
        template.as_bytes(),
        &[("V", b"v\""), ("W", b"\xff")],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(out.stdout == expected.as_bytes());
}

#[test]
fn a_line_of_10_mb_with_a_placeholder_in_the_middle() {
    let dir = tempfile::tempdir().unwrap();
    let half = "x".repeat(5_000_000);
    let template = format!("[{{a, \"{half}${{V}}{half}\"}}].");
    let out = render(dir.path(), template.as_bytes(), &[("V", b"-")]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout == format!("[{{a, \"{half}-{half}\"}}].").into_bytes());
}

#[test]
fn nesting_10000_deep_renders_exactly_and_erl_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 10_000;
    let template = format!(
        "[{{a, {}\"${{V}}\"{}}}].",
        "[{".repeat(depth),
        "}]".repeat(depth)
    );
    let out = render(dir.path(), template.as_bytes(), &[("V", b"deep")]);
    assert_eq!(code(&out), 0);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        template.replace("${V}", "deep")
    );
}

#[test]
fn nul_bytes_crlf_and_invalid_utf8_in_templates_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let template = b"%% \xff\xfe comment\r\n[{a, \"x\0y ${V}\"},\0\r\n {b, <<\"\xe9\">>}].\r\n";
    let out = render(dir.path(), template, &[("V", b"v")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        out.stdout,
        b"%% \xff\xfe comment\r\n[{a, \"x\0y v\"},\0\r\n {b, <<\"\xe9\">>}].\r\n"
    );
    // Positions still count lines by \n and characters, not bytes.
    let out = render(dir.path(), b"%% \xe9\r\n\r\n[{a, \"${MISSING}\"}].", &[]);
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains("sys.config.src:3:7: MISSING is not set"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_utf8_values_fit_binaries_and_are_refused_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = render(dir.path(), b"[<<\"${V}\">>].", &[("V", b"\xc3\x28\xff")]);
    assert_eq!(code(&out), 0);
    assert_eq!(out.stdout, br#"[<<"\x{C3}(\x{FF}">>]."#);
    let out = render(
        dir.path(),
        b"[\"${V}\", '${V}', <<\"${V}\"/utf8>>].",
        &[("V", b"\xc3\x28")],
    );
    assert_eq!(code(&out), 78);
    assert_eq!(
        stderr(&out).matches("is not valid UTF-8").count(),
        3,
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_byte_order_mark_is_reported_as_erl_would_refuse_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = render(dir.path(), b"\xef\xbb\xbf[{a, 1}].", &[]);
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains(":1:1: the file starts with a byte-order mark"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unterminated_strings_binaries_atoms_and_placeholders_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    for (template, want) in [
        (&b"[{a, \"abc}].\n"[..], "1:6: string is not closed"),
        (b"[{a, 'abc}].", "1:6: quoted atom is not closed"),
        (
            b"[{a, <<\"abc\">}].",
            "1:13: expected `,` or `>>` in a binary",
        ),
        (b"[{a, <<1,2}].", "1:11: expected `,` or `>>` in a binary"),
        (b"[{a, \"${V\"}].", "1:7: placeholder ${V is not closed"),
        (b"[{a, ${V:-x].", "1:6: placeholder is not closed"),
        (b"[{a, ${V:-{x}].", "1:6: placeholder is not closed"),
        (
            b"[{a, ${V}].",
            "1:10: expected `,` or `}` in a tuple, found `]`",
        ),
        (b"[{a, 1}", "1:8: expected `,`, `|` or `]` in a list"),
    ] {
        let out = render(dir.path(), template, &[("V", b"v")]);
        assert_eq!(code(&out), 78, "{}", String::from_utf8_lossy(template));
        assert!(
            stderr(&out).contains(want),
            "{}: {}",
            String::from_utf8_lossy(template),
            stderr(&out)
        );
    }
}

/// One environment string holds at most 128 KiB on Linux, so a value of 1 MB
/// comes from a file (`NAME_FILE`).
#[test]
fn a_value_of_1_mb_comes_back_exactly() {
    let Some(erl) = beam_tool("erl") else { return };
    let dir = tempfile::tempdir().unwrap();
    let value: Vec<u8> = (0..1_000_000u32)
        .map(|i| b"ab\"\\${}\n\xc3\xa9"[(i % 10) as usize])
        .collect();
    let src = dir.path().join("sys.config");
    std::fs::write(&src, "[{b, <<\"${V}\">>}].").unwrap();
    let out_dir = dir.path().join("out");
    let value_file = dir.path().join("value");
    std::fs::write(&value_file, [&value[..], b"\n"].concat()).unwrap();
    let mut cmd = launch();
    cmd.args(["render", "--sys-config"])
        .arg(&src)
        .arg("--out-dir")
        .arg(&out_dir);
    cmd.env("V_FILE", &value_file);
    assert_eq!(code(&run(&mut cmd)), 0);
    let read = consult_all(&erl, &[out_dir.join("sys.config")]).remove(0);
    assert_eq!(read, vec![("b".to_owned(), binary(&value))]);
}

#[test]
fn ten_thousand_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sys.config");
    std::fs::write(&src, "[{a, \"${V9999}\"}, {b, \"${V0}\"}].").unwrap();
    let mut cmd = Command::new(launch_bin());
    cmd.env_clear();
    for i in 0..10_000 {
        cmd.env(format!("V{i}"), format!("value {i}"));
    }
    let out = cmd
        .args(["render", "--stdout", "--sys-config"])
        .arg(&src)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[{a, \"value 9999\"}, {b, \"value 0\"}]."
    );
}

/// How mix writes a sys.config: all on one line. Turning 100,000 offsets on
/// that line into columns must not count from the line's start each time.
#[test]
fn check_and_vars_locate_100000_placeholders_on_one_line_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<String> = (0..100_000)
        .map(|i| format!("{{k{i},<<\"${{V{i}}}\">>}}"))
        .collect();
    let text = format!("[{}].", entries.join(","));
    let src = dir.path().join("sys.config");
    std::fs::write(&src, &text).unwrap();
    // The last placeholder, its column counted from 1 (the line is ASCII).
    let last = format!("sys.config:1:{}", text.find("${V99999}").unwrap() + 1);
    for (mode, expected) in [(&["check"][..], 78), (&["vars", "--json"][..], 0)] {
        let started = Instant::now();
        let out = launch()
            .args(mode)
            .arg("--sys-config")
            .arg(&src)
            .output()
            .unwrap();
        let took = started.elapsed();
        let mode = mode[0];
        assert_eq!(code(&out), expected, "{mode}");
        let said = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(
            String::from_utf8_lossy(&said).contains(&last),
            "{mode}: {last}"
        );
        assert!(took < Duration::from_secs(20), "{mode} took {took:?}");
    }
}

/// Runs `cmd`, killing it when it runs longer than a bound only a hang
/// exceeds; `None` then.
fn run_bounded(cmd: &mut Command) -> Option<Output> {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(child.wait_with_output().unwrap())
}

#[test]
fn a_fifo_or_a_device_as_name_file_or_template_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let src = dir.path().join("sys.config");
    std::fs::write(&src, "[{a, <<\"${S}\">>}].").unwrap();
    for secret in [fifo.as_path(), Path::new("/dev/zero"), dir.path()] {
        let out = run_bounded(
            launch()
                .args(["check", "--sys-config"])
                .arg(&src)
                .env("S_FILE", secret),
        )
        .unwrap_or_else(|| panic!("S_FILE={} hangs", secret.display()));
        assert_eq!(code(&out), 78, "S_FILE={}", secret.display());
        assert!(
            stderr(&out).contains(
                "sys.config:1:9: S is not set, and S_FILE names a file that cannot be read: \
                 it is not a regular file"
            ),
            "{}",
            stderr(&out)
        );
    }
    let out = run_bounded(launch().args(["check", "--sys-config"]).arg(&fifo))
        .expect("a FIFO as the template hangs");
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains(&format!(
            "{}: cannot read the template: it is not a regular file",
            fifo.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_name_file_over_1_mib_is_refused_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sys.config");
    std::fs::write(&src, "[{a, <<\"${S}\">>}].").unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, vec![b'x'; (1 << 20) + 1]).unwrap();
    let out = run(launch()
        .args(["check", "--sys-config"])
        .arg(&src)
        .env("S_FILE", &secret));
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains(
            "S is not set, and S_FILE names a file that cannot be read: it is larger than 1 MiB"
        ),
        "{}",
        stderr(&out)
    );
    // Exactly 1 MiB is a value.
    std::fs::write(&secret, vec![b'x'; 1 << 20]).unwrap();
    let out = run(launch()
        .args(["check", "--sys-config"])
        .arg(&src)
        .env("S_FILE", &secret));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn a_template_over_16_mib_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sys.config");
    let file = std::fs::File::create(&src).unwrap();
    file.set_len((16 << 20) + 1).unwrap();
    let out = run(launch().args(["check", "--sys-config"]).arg(&src));
    assert_eq!(code(&out), 78);
    assert!(
        stderr(&out).contains("sys.config: cannot read the template: it is larger than 16 MiB"),
        "{}",
        stderr(&out)
    );
}

/// 700 placeholders of a value of 100 KB would make a file of 70 MB.
#[test]
fn an_output_over_64_mib_stops_at_the_placeholder_that_crossed_it() {
    let dir = tempfile::tempdir().unwrap();
    let value = "v".repeat(100_000);
    for (name, template) in [
        (
            "sys.config",
            format!("[{}<<>>].", "<<\"${V}\">>,\n".repeat(700)),
        ),
        ("vm.args", "-x ${V}\n".repeat(700)),
        ("app.env", "${V}\n".repeat(700)),
    ] {
        let src = dir.path().join(name);
        std::fs::write(&src, &template).unwrap();
        let out = run(launch()
            .args(["render", "--file"])
            .arg(&src)
            .arg("--out-dir")
            .arg(dir.path().join("out"))
            .env("V", &value));
        assert_eq!(code(&out), 78, "{name}");
        // 64 MiB is 671.09 values of 100 KB: the 672nd crosses it.
        let at = if name == "app.env" { "672:1" } else { "672:4" };
        assert!(
            stderr(&out).contains(&format!(
                "{name}:{at}: the rendered file would be larger than 64 MiB"
            )),
            "{name}: {}",
            stderr(&out)
        );
        assert!(!dir.path().join("out").join(name).exists());
    }
}

/// How mix writes strings, repeating a secret of 1 MiB: each binary would
/// be built whole before it is written, so the limit is checked as it grows,
/// and the first binary to pass it ends the file's rendering.
#[test]
fn binaries_written_as_bytes_stop_at_the_limit_while_they_are_built() {
    let dir = tempfile::tempdir().unwrap();
    let spelled = "36,123,86,125,".repeat(70);
    let binary = format!("<<{}32>>", spelled);
    let src = dir.path().join("sys.config");
    std::fs::write(&src, format!("[{}].", vec![binary; 50].join(",\n"))).unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, vec![b'x'; 1 << 20]).unwrap();
    let out = run_bounded(
        launch()
            .args(["check", "--sys-config"])
            .arg(&src)
            .env("V_FILE", &secret),
    )
    .expect("stops in time");
    assert_eq!(code(&out), 78);
    let err = stderr(&out);
    // After the `[` before it, the 64th value of 1 MiB crosses 64 MiB; each
    // is spelled in 14 bytes, the first at column 4.
    assert!(
        err.contains(&format!(
            "sys.config:1:{}: the rendered file would be larger than 64 MiB",
            4 + 63 * 14
        )),
        "{err}"
    );
    assert_eq!(err.matches("larger than 64 MiB").count(), 1, "{err}");
}
