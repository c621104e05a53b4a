//! Problems a user must fix, and how they are printed.
//!
//! A [`Problem`] is a byte offset and a message. Messages are built from the
//! template (names, types, the template's own text) and never from a variable's
//! value, so that printing them cannot leak a secret. Offsets become
//! `FILE:LINE:COL` only when printed, with columns counted in characters.

use std::fmt;
use std::io::Write;

/// Something wrong in a template or a value, at a byte offset of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Byte offset into the template the problem belongs to.
    pub at: usize,
    /// What is wrong; never holds a variable's value.
    pub message: String,
}

impl Problem {
    /// A problem at `at`.
    pub fn new(at: usize, message: impl Into<String>) -> Self {
        Problem {
            at,
            message: message.into(),
        }
    }
}

/// Line starts of a file, to turn offsets into lines and columns.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `src`.
    pub fn new(src: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(
            src.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// The 1-based line and character column of byte offset `at` in `src`.
    pub fn locate(&self, src: &[u8], at: usize) -> Position {
        let at = at.min(src.len());
        let line = self.starts.partition_point(|&s| s <= at) - 1;
        let start = self.starts[line];
        // Count characters, not bytes: every byte that does not continue a
        // UTF-8 sequence starts a character (invalid bytes count one each).
        let column = src[start..at]
            .iter()
            .filter(|&&b| (b & 0xC0) != 0x80)
            .count();
        Position {
            line: line + 1,
            column: column + 1,
        }
    }
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Prints `problems` of one file as `launch: FILE:LINE:COL: MESSAGE`, in order of position.
pub fn print_problems(file: &str, src: &[u8], problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.at);
    let index = LineIndex::new(src);
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    for p in problems.iter() {
        let _ = writeln!(
            out,
            "launch: {file}:{}: {}",
            index.locate(src, p.at),
            p.message
        );
    }
}

/// Prints a message of launch's own, prefixed like every other line it writes.
pub fn say(message: impl fmt::Display) {
    let _ = writeln!(std::io::stderr(), "launch: {message}");
}

/// How much launch says on standard error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Log {
    /// Problems only.
    Quiet,
    /// Problems and one line of outcome.
    #[default]
    Normal,
    /// What launch does, step by step.
    Verbose,
}

impl Log {
    /// Says `message` unless quiet: an outcome.
    pub fn outcome(self, message: impl fmt::Display) {
        if self >= Log::Normal {
            say(message);
        }
    }

    /// Says `message` when verbose: a step.
    pub fn step(self, message: impl fmt::Display) {
        if self >= Log::Verbose {
            say(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = "ab\n\u{e9}\u{e9}X".as_bytes();
        let index = LineIndex::new(src);
        let at = src.iter().position(|&b| b == b'X').unwrap();
        assert_eq!(index.locate(src, at), Position { line: 2, column: 3 });
        assert_eq!(index.locate(src, 0), Position { line: 1, column: 1 });
    }

    #[test]
    fn offset_at_end_of_file_is_located() {
        let src = b"a\n";
        let index = LineIndex::new(src);
        assert_eq!(index.locate(src, 2), Position { line: 2, column: 1 });
    }
}
