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

/// Turns byte offsets of one file into lines and columns.
///
/// Offsets asked for in increasing order (as sorted problems and listed
/// placeholders come) are found by counting on from the last one, so the file
/// is read once however many positions are asked for, even when it is all
/// one line (how `mix release` writes a sys.config). An offset before the last
/// one is counted from the start of its line.
pub struct Locator<'s> {
    src: &'s [u8],
    line_starts: Vec<usize>,
    /// The last offset asked for, and its position.
    last: Option<(usize, Position)>,
}

impl<'s> Locator<'s> {
    /// A locator over `src`.
    pub fn new(src: &'s [u8]) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            src.iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Locator {
            src,
            line_starts,
            last: None,
        }
    }

    /// The 1-based line and character column of byte offset `at`.
    pub fn locate(&mut self, at: usize) -> Position {
        let at = at.min(self.src.len());
        let line = self.line_starts.partition_point(|&s| s <= at);
        let (from, column) = match self.last {
            Some((last_at, p)) if last_at <= at && p.line == line => (last_at, p.column),
            _ => (self.line_starts[line - 1], 1),
        };
        // Count characters, not bytes: every byte that does not continue a
        // UTF-8 sequence starts a character (invalid bytes count one each).
        let column = column
            + self.src[from..at]
                .iter()
                .filter(|&&b| (b & 0xC0) != 0x80)
                .count();
        let position = Position { line, column };
        self.last = Some((at, position));
        position
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
    let mut locator = Locator::new(src);
    for p in problems.iter() {
        say(format_args!(
            "{file}:{}: {}",
            locator.locate(p.at),
            p.message
        ));
    }
}

/// Prints `problems` of one file as `launch: FILE:LINE: MESSAGE`, in order
/// of position: for files read line by line, where a column says nothing.
pub fn print_line_problems(file: &str, src: &[u8], problems: &mut [Problem]) {
    problems.sort_by_key(|p| p.at);
    let mut locator = Locator::new(src);
    for p in problems.iter() {
        let line = locator.locate(p.at).line;
        say(format_args!("{file}:{line}: {}", p.message));
    }
}

/// Prints a message of launch's own, prefixed like every other line it
/// writes, in one write: a line never mixes with what the child writes to
/// the same stream. A control character in it (a newline in a path) is
/// escaped, so one message stays one line. A failed write is ignored:
/// there is nowhere else to say it.
pub fn say(message: impl fmt::Display) {
    let line = format!("launch: {}\n", visible(&message.to_string()));
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// `text` with each control character written as an escape (`\n`, `\t`,
/// `\u{1b}`), so that it stays on its line and sends the terminal nothing:
/// a path or a default may hold a line break, which would end a message, a
/// comment of an env file or a row of a table. What is shown is for reading,
/// not for copying byte for byte.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
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
        let at = src.iter().position(|&b| b == b'X').unwrap();
        assert_eq!(
            Locator::new(src).locate(at),
            Position { line: 2, column: 3 }
        );
        assert_eq!(Locator::new(src).locate(0), Position { line: 1, column: 1 });
    }

    #[test]
    fn offset_at_end_of_file_is_located() {
        let src = b"a\n";
        assert_eq!(Locator::new(src).locate(2), Position { line: 2, column: 1 });
    }

    #[test]
    fn offsets_in_any_order_are_located_alike() {
        let src = "a\u{e9}b\ncd\u{e9}\u{e9}e\nf".as_bytes();
        let fresh: Vec<Position> = (0..=src.len())
            .map(|at| Locator::new(src).locate(at))
            .collect();
        let mut locator = Locator::new(src);
        for at in (0..=src.len())
            .chain((0..=src.len()).rev())
            .chain([3, 9, 1, 12])
        {
            assert_eq!(locator.locate(at), fresh[at], "offset {at}");
        }
    }
}
