//! Files of variables given with `--env-file`, in Docker's `--env-file`
//! syntax: read, checked line by line, and turned into the variables they
//! set. Layering them over the process's environment belongs to
//! [`Env`](crate::resolve::Env); what a variable is used for, to the rest.
//!
//! The syntax is Docker's, as its documentation and its parser have it
//! (docker/cli, `pkg/kvfile`), so that a file `launch check` accepts in CI is
//! one `docker run --env-file` accepts at deploy time:
//!
//! - a line is `NAME=VALUE`: the value is everything after the first `=`,
//!   quotes, spaces and `#` included; nothing is trimmed, unquoted or
//!   expanded;
//! - `NAME` alone takes the value from launch's own environment, and sets
//!   nothing when it is not there;
//! - blank lines and lines whose first character is `#` are skipped;
//!   whitespace before the name is ignored;
//! - a line ends at `\n`, and one `\r` before it is dropped (CRLF files);
//!   a UTF-8 byte order mark at the start is dropped;
//! - a file must be UTF-8, and each line shorter than 64 KiB (what Docker's
//!   line reader holds);
//! - an empty name or a name holding whitespace is malformed.
//!
//! launch adds one rule Docker's documentation implies: a NUL byte, which no
//! environment variable can hold, makes a line malformed.
//!
//! Where Docker stops at the first bad line, launch reports every malformed
//! line of every file at once, as `FILE:LINE`, and never what the line
//! holds: it may be a secret.

use std::path::{Path, PathBuf};

use crate::diag::{Problem, print_line_problems, say};
use crate::input::{MAX_ENV_FILE, read_file};
use crate::resolve::Env;

/// The longest line Docker's reader takes (`bufio.MaxScanTokenSize`, the
/// line ending included).
pub const MAX_LINE: usize = 64 << 10;

/// A variable an env file sets: its name and value.
pub type Variable = (String, Vec<u8>);

/// Why the env files could not be used; every problem was printed.
#[derive(Debug, thiserror::Error)]
#[error("{problems} problem{s} in {files} env file{fs}; nothing was written",
    s = if *problems == 1 { "" } else { "s" },
    fs = if *files == 1 { "" } else { "s" })]
pub struct EnvFileError {
    /// How many problems.
    pub problems: usize,
    /// In how many files.
    pub files: usize,
}

/// Reads the env files `paths` in order: the variables they set, a later
/// setting of a name after an earlier one (in one file or a later file), so
/// that the last one wins when they are layered. `NAME` alone takes its
/// value from `process`. Every problem of every file is printed before this
/// returns.
pub fn read_all(paths: &[PathBuf], process: &Env) -> Result<Vec<Variable>, EnvFileError> {
    let mut variables = Vec::new();
    let (mut problems, mut files) = (0, 0);
    for path in paths {
        let shown = shown(path);
        let src = match read_file(path, MAX_ENV_FILE) {
            Ok(src) => src,
            Err(e) => {
                say(format_args!("{shown}: cannot read the env file: {e}"));
                problems += 1;
                files += 1;
                continue;
            }
        };
        match parse(&src, process) {
            Ok(set) => variables.extend(set),
            Err(mut list) => {
                problems += list.len();
                files += 1;
                print_line_problems(&shown, &src, &mut list);
            }
        }
    }
    if problems == 0 {
        Ok(variables)
    } else {
        Err(EnvFileError { problems, files })
    }
}

fn shown(path: &Path) -> String {
    let shown = path.display().to_string();
    match shown.strip_prefix("./") {
        Some(rest) => rest.to_owned(),
        None => shown,
    }
}

/// The variables `src` sets, in order; or a problem at the start of every
/// malformed line. `NAME` alone takes its value from `process`.
pub fn parse(src: &[u8], process: &Env) -> Result<Vec<Variable>, Vec<Problem>> {
    let mut variables = Vec::new();
    let mut problems = Vec::new();
    for (start, raw) in lines(src) {
        match line(raw, start == 0) {
            Ok(Line::Skip) => {}
            Ok(Line::Set(name, value)) => variables.push((name.to_owned(), value.to_vec())),
            Ok(Line::FromProcess(name)) => {
                if let Some(value) = process.get(name) {
                    variables.push((name.to_owned(), value.to_vec()));
                }
            }
            Err(message) => problems.push(Problem::new(start, message)),
        }
    }
    if problems.is_empty() {
        Ok(variables)
    } else {
        Err(problems)
    }
}

/// Each line of `src` with its offset, as Go's line scanner splits them: at
/// `\n`, none after a final `\n`. The `\r` of a CRLF ending is still there.
fn lines(src: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= src.len() {
            return None;
        }
        let end = src[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(src.len(), |i| start + i);
        let at = start;
        start = end + 1;
        Some((at, &src[at..end]))
    })
}

/// What one line says.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    /// A blank line or a comment.
    Skip,
    /// `NAME=VALUE`.
    Set(&'a str, &'a [u8]),
    /// `NAME` alone: the value of NAME in the process's environment, if any.
    FromProcess(&'a str),
}

/// Reads one line (without its `\n`), the first of its file when `first`.
/// The error is a message that says what is wrong and never shows the line.
fn line(raw: &[u8], first: bool) -> Result<Line<'_>, String> {
    // Docker's reader refuses a line that fills its buffer before the `\n`.
    if raw.len() >= MAX_LINE {
        return Err(format!(
            "the line is longer than Docker reads (at most {} bytes)",
            MAX_LINE - 1
        ));
    }
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let Ok(text) = std::str::from_utf8(raw) else {
        return Err("the line is not valid UTF-8, which Docker's env files must be".into());
    };
    let text = if first {
        text.strip_prefix('\u{FEFF}').unwrap_or(text)
    } else {
        text
    };
    let text = text.trim_start_matches(char::is_whitespace);
    if text.is_empty() || text.starts_with('#') {
        return Ok(Line::Skip);
    }
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (text, None),
    };
    if name.is_empty() {
        return Err(
            "no variable name before `=` (a line is NAME=VALUE, NAME, or a # comment)".into(),
        );
    }
    if name.contains(char::is_whitespace) {
        let hint = if name.starts_with("export")
            && name["export".len()..].starts_with(char::is_whitespace)
        {
            "; Docker's env files have no `export`"
        } else {
            " (a line is NAME=VALUE, NAME, or a # comment; the value is everything after the first `=`)"
        };
        return Err(format!("the variable name holds whitespace{hint}"));
    }
    if text.contains('\0') {
        return Err("the line holds a NUL byte, which no environment variable can hold".into());
    }
    Ok(match value {
        Some(value) => Line::Set(name, value.as_bytes()),
        None => Line::FromProcess(name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    fn set(src: &str) -> Vec<(String, String)> {
        parse(src.as_bytes(), &env(&[("FROM_PROCESS", "p v")]))
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
            .collect()
    }

    fn lines_of_problems(src: &[u8]) -> Vec<usize> {
        let problems = parse(src, &Env::default()).unwrap_err();
        let mut locator = crate::diag::Locator::new(src);
        problems.iter().map(|p| locator.locate(p.at).line).collect()
    }

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn a_value_is_everything_after_the_first_equals_sign_as_written() {
        assert_eq!(
            set("A=1\nB= spaced \" 'q' # not a comment \nC=x=y\nD=\n"),
            [
                pair("A", "1"),
                pair("B", " spaced \" 'q' # not a comment "),
                pair("C", "x=y"),
                pair("D", "")
            ]
        );
    }

    #[test]
    fn comments_blank_lines_and_leading_whitespace_are_skipped() {
        assert_eq!(
            set("# c\n\n   \n\t # indented comment\n  \tA=1\n#B=2\nC=3 # kept"),
            [pair("A", "1"), pair("C", "3 # kept")]
        );
    }

    #[test]
    fn a_name_alone_takes_the_process_value_or_sets_nothing() {
        assert_eq!(
            set("FROM_PROCESS\nNOT_IN_PROCESS\n"),
            [pair("FROM_PROCESS", "p v")]
        );
    }

    #[test]
    fn crlf_endings_and_a_byte_order_mark_are_dropped() {
        assert_eq!(
            set("\u{FEFF}A=1\r\nB=2\r\n\r\nC=3\r"),
            [pair("A", "1"), pair("B", "2"), pair("C", "3")]
        );
        // Only one `\r`, and only at the end of a line, as Go's scanner has it.
        assert_eq!(
            set("A=1\r\r\nB=x\ry"),
            [pair("A", "1\r"), pair("B", "x\ry")]
        );
    }

    #[test]
    fn names_docker_accepts_are_kept_as_they_are() {
        assert_eq!(
            set("my-name=1\nmy.name=2\nA=1\nA=2\n"),
            [
                pair("my-name", "1"),
                pair("my.name", "2"),
                pair("A", "1"),
                pair("A", "2")
            ]
        );
    }

    #[test]
    fn every_malformed_line_is_reported_at_its_line() {
        let src = b"=s3cret1\nOK=1\nexport A=s3cret2\nAB CD=s3cret3\nNAME \n \t=s3cret4\nX=s3c\0ret5\nY=\xffs3cret6\n";
        assert_eq!(lines_of_problems(src), [1, 3, 4, 5, 6, 7, 8]);
        let problems = parse(src, &Env::default()).unwrap_err();
        assert!(problems[1].message.contains("no `export`"), "{problems:?}");
        for p in &problems {
            for secret in ["s3c", "AB", "CD"] {
                assert!(!p.message.contains(secret), "{p:?}");
            }
        }
    }

    #[test]
    fn a_line_docker_could_not_read_is_malformed() {
        let fits = format!("A={}\n", "x".repeat(MAX_LINE - 3));
        assert_eq!(set(&fits)[0].1.len(), MAX_LINE - 3);
        let long = format!("B=1\nA={}\n", "x".repeat(MAX_LINE - 2));
        assert_eq!(lines_of_problems(long.as_bytes()), [2]);
    }

    proptest::proptest! {
        #[test]
        fn what_a_line_sets_is_read_back_exactly(
            name in "[A-Za-z_][A-Za-z0-9_.-]{0,12}",
            value in "[^\n\r\u{0}]{0,40}",
            indent in "[ \t]{0,3}",
        ) {
            let src = format!("{indent}{name}={value}\r\n");
            let set = parse(src.as_bytes(), &Env::default()).unwrap();
            proptest::prop_assert_eq!(set, vec![(name, value.into_bytes())]);
        }

        #[test]
        fn any_bytes_are_read_or_refused_without_a_panic(
            src in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
        ) {
            if let Err(problems) = parse(&src, &Env::default()) {
                proptest::prop_assert!(problems.iter().all(|p| p.at <= src.len()));
            }
        }
    }

    #[test]
    fn unreadable_files_and_bad_lines_of_every_file_are_counted() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.env");
        std::fs::write(&good, "A=1\nB=2\n").unwrap();
        let bad = dir.path().join("bad.env");
        std::fs::write(&bad, "=1\n=2\n").unwrap();
        let later = dir.path().join("later.env");
        std::fs::write(&later, "A=3\n").unwrap();
        let read = read_all(&[good.clone(), later], &Env::default()).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(read[2], ("A".to_owned(), b"3".to_vec()), "the later last");
        let err = read_all(
            &[
                good,
                bad,
                dir.path().to_path_buf(),
                dir.path().join("absent"),
            ],
            &Env::default(),
        )
        .unwrap_err();
        assert_eq!((err.problems, err.files), (4, 3));
        assert_eq!(
            err.to_string(),
            "4 problems in 3 env files; nothing was written"
        );
    }
}
