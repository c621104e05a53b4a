//! The `${...}` grammar: finding placeholders in a run of text.
//!
//! This room knows the syntax only. It never looks at the environment (that is
//! `resolve`) and never decides how a value is written into a file (that is each
//! format's renderer). Every position it hands out is a byte offset into the
//! buffer it was given; callers map those to file positions.

use crate::diag::Problem;
use crate::types::Type;

/// How deeply defaults may nest placeholders (`${A:-${B:-${C}}}`) before the
/// template is refused; deep enough for any real file, shallow enough that
/// hostile input cannot exhaust the stack.
const MAX_NESTING: usize = 32;

/// A run of template text: literal bytes and placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Template<'a> {
    /// The pieces, in the order they appear.
    pub parts: Vec<Part<'a>>,
}

/// One piece of a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum Part<'a> {
    /// Bytes copied as they are (a `$${` escape becomes the text `${`).
    Text(&'a [u8]),
    /// A placeholder to be replaced by a value.
    Placeholder(Placeholder<'a>),
}

/// One `${NAME[:TYPE][OP TEXT]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder<'a> {
    /// The variable's name.
    pub name: &'a str,
    /// The type written in the template, if any.
    pub ty: Option<Type>,
    /// What applies when the variable is unset (or empty).
    pub fallback: Option<Fallback<'a>>,
    /// Offset of the `$`.
    pub start: usize,
    /// Offset just past the closing `}`.
    pub end: usize,
}

/// The part after the operator: `:-TEXT`, `-TEXT`, `:?MESSAGE` or `?MESSAGE`.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback<'a> {
    /// Use this text instead (it may hold placeholders of its own).
    Default {
        /// `:-` (also when empty) rather than `-` (only when unset).
        when_empty: bool,
        /// The text, already split into parts.
        text: Template<'a>,
        /// The text exactly as written, for `vars`.
        raw: &'a [u8],
    },
    /// Fail with this message.
    Error {
        /// `:?` (also when empty) rather than `?` (only when unset).
        when_empty: bool,
        /// The message, as written in the template.
        message: &'a [u8],
    },
}

impl<'a> Template<'a> {
    /// The placeholder when the template is exactly one placeholder and nothing else.
    pub fn sole_placeholder(&self) -> Option<&Placeholder<'a>> {
        match self.parts.as_slice() {
            [Part::Placeholder(p)] => Some(p),
            _ => None,
        }
    }

    /// How many placeholders the text holds, those in defaults included.
    pub fn count(&self) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Placeholder(p) => p.count(),
                Part::Text(_) => 0,
            })
            .sum()
    }
}

impl Placeholder<'_> {
    /// One, and the placeholders of its default.
    pub fn count(&self) -> usize {
        match &self.fallback {
            Some(Fallback::Default { text, .. }) => 1 + text.count(),
            _ => 1,
        }
    }

    /// The default text as written, when there is one.
    pub fn default_raw(&self) -> Option<&[u8]> {
        match &self.fallback {
            Some(Fallback::Default { raw, .. }) => Some(raw),
            _ => None,
        }
    }
}

/// Splits `buf` into text and placeholders. Every `${` starts a placeholder; a
/// malformed one is reported (with a hint about `$${`) and kept as text so that
/// scanning goes on and later problems are found too. With `escapes` (the
/// inside of an Erlang string or atom), a backslash takes the next byte with
/// it, so `\${` is not a placeholder and a value never lands after a lone `\`.
pub fn scan<'a>(buf: &'a [u8], escapes: bool, problems: &mut Vec<Problem>) -> Template<'a> {
    scan_into(buf, escapes, problems, Vec::new())
}

/// [`scan`] into `parts`, emptied first: a caller that scans many texts lends
/// one list to all of them.
pub fn scan_into<'a>(
    buf: &'a [u8],
    escapes: bool,
    problems: &mut Vec<Problem>,
    mut parts: Vec<Part<'a>>,
) -> Template<'a> {
    parts.clear();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(found) = find_special(&buf[i..], escapes) {
        let at = i + found;
        if buf[at] == b'\\' {
            i = (at + 2).min(buf.len());
        } else if buf[at..].starts_with(b"$${") {
            push_text(&mut parts, &buf[text_start..at]);
            push_text(&mut parts, &buf[at + 1..at + 3]);
            i = at + 3;
            text_start = i;
        } else if buf[at..].starts_with(b"${") {
            match parse_at(buf, at, 0, escapes) {
                Ok(p) => {
                    push_text(&mut parts, &buf[text_start..at]);
                    i = p.end;
                    text_start = i;
                    parts.push(Part::Placeholder(p));
                }
                Err(Malformed {
                    problem,
                    swallows_rest,
                }) => {
                    problems.push(problem);
                    // An unclosed or too deeply nested placeholder swallows the rest
                    // of the buffer; anything else is skipped past its `${` only.
                    i = if swallows_rest { buf.len() } else { at + 2 };
                }
            }
        } else {
            i = at + 1;
        }
    }
    push_text(&mut parts, &buf[text_start.min(buf.len())..]);
    Template { parts }
}

/// True when `buf` holds something [`scan`] would act on: a `${` (which also
/// covers the `$${` escape). Lets renderers skip plain literals cheaply.
pub fn has_placeholder(buf: &[u8]) -> bool {
    buf.windows(2).any(|w| w == b"${")
}

/// True when a placeholder may start here in a position where `${` could also
/// mean something else (a bare Erlang term, where `${` alone is a character
/// literal): only `${` followed by a name.
pub fn starts_named(buf: &[u8], at: usize) -> bool {
    buf[at..].starts_with(b"${") && buf.get(at + 2).is_some_and(|&b| is_name_start(b))
}

/// The offset of the first byte `scan` acts on: a `$`, and with `escapes` a
/// backslash.
fn find_special(buf: &[u8], escapes: bool) -> Option<usize> {
    buf.iter()
        .position(|&b| b == b'$' || (escapes && b == b'\\'))
}

fn push_text<'a>(parts: &mut Vec<Part<'a>>, text: &'a [u8]) {
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Bytes that continue a variable name: `[A-Za-z0-9_]`.
fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

const LITERAL_HINT: &str = "(write $${ for a literal ${)";

/// Why a placeholder could not be read.
#[derive(Debug)]
pub struct Malformed {
    /// What to tell the user.
    pub problem: Problem,
    /// True when the placeholder never closes, so nothing after it can be trusted.
    pub swallows_rest: bool,
}

impl From<Problem> for Malformed {
    fn from(problem: Problem) -> Self {
        Malformed {
            problem,
            swallows_rest: false,
        }
    }
}

/// Parses the placeholder whose `${` is at `at`; `escapes` as for [`scan`].
/// `depth` counts the placeholders whose defaults hold this one.
pub fn parse_at(
    buf: &[u8],
    at: usize,
    depth: usize,
    escapes: bool,
) -> Result<Placeholder<'_>, Malformed> {
    if depth > MAX_NESTING {
        return Err(Malformed {
            problem: Problem::new(
                at,
                format!("placeholders are nested more than {MAX_NESTING} deep"),
            ),
            swallows_rest: true,
        });
    }
    let (name, ty, i) = name_and_type(buf, at)?;
    let placeholder = |fallback, end| Placeholder {
        name,
        ty,
        fallback,
        start: at,
        end,
    };
    let (when_empty, default) = match (buf.get(i), buf.get(i + 1)) {
        (Some(b'}'), _) => return Ok(placeholder(None, i + 1)),
        (Some(b':'), Some(b'-')) => (true, true),
        (Some(b':'), Some(b'?')) => (true, false),
        (Some(b'-'), _) => (false, true),
        (Some(b'?'), _) => (false, false),
        (None, _) => return Err(unterminated(at, name)),
        _ => {
            return Err(Problem::new(
                i,
                format!(
                    "unexpected text after ${{{name}: expected `}}`, `:TYPE`, `:-`, `-`, `:?` or `?`"
                ),
            )
            .into());
        }
    };
    let text_start = i + if when_empty { 2 } else { 1 };
    if !default {
        let end = balanced_end(buf, text_start, escapes).ok_or_else(|| unterminated(at, name))?;
        let message = &buf[text_start..end];
        return Ok(placeholder(
            Some(Fallback::Error {
                when_empty,
                message,
            }),
            end + 1,
        ));
    }
    let (text, end) =
        default_text(buf, text_start, depth, escapes)?.ok_or_else(|| unterminated(at, name))?;
    let raw = &buf[text_start..end];
    Ok(placeholder(
        Some(Fallback::Default {
            when_empty,
            text,
            raw,
        }),
        end + 1,
    ))
}

/// The name after the `${` at `at`, and the type after it if one is
/// written; with the offset just past them.
fn name_and_type(buf: &[u8], at: usize) -> Result<(&str, Option<Type>, usize), Malformed> {
    let name_start = at + 2;
    if !buf.get(name_start).is_some_and(|&b| is_name_start(b)) {
        return Err(Problem::new(
            at,
            format!("expected a variable name after ${{ {LITERAL_HINT}"),
        )
        .into());
    }
    let mut i = name_start;
    while buf.get(i).is_some_and(|&b| is_name_char(b)) {
        i += 1;
    }
    // The name is ASCII by construction.
    let name = std::str::from_utf8(&buf[name_start..i]).unwrap_or_default();
    if buf.get(i) != Some(&b':') || !buf.get(i + 1).is_some_and(|b| b.is_ascii_alphabetic()) {
        return Ok((name, None, i));
    }
    let word_start = i + 1;
    i = word_start;
    while buf.get(i).is_some_and(|b| b.is_ascii_alphanumeric()) {
        i += 1;
    }
    let word = std::str::from_utf8(&buf[word_start..i]).unwrap_or_default();
    match Type::from_word(word) {
        Some(ty) => Ok((name, Some(ty), i)),
        None => Err(Problem::new(
            word_start,
            format!(
                "unknown type `{word}` for {name}; expected one of {}",
                Type::WORDS
            ),
        )
        .into()),
    }
}

/// A default's text from `from` on, with balanced braces, `$${` escapes and
/// placeholders of its own, and the offset of the `}` that closes it;
/// `None` when nothing closes it.
fn default_text(
    buf: &[u8],
    from: usize,
    depth: usize,
    escapes: bool,
) -> Result<Option<(Template<'_>, usize)>, Malformed> {
    let mut parts = Vec::new();
    let mut piece_start = from;
    let mut open = 0usize;
    let mut i = from;
    loop {
        match buf.get(i) {
            None => return Ok(None),
            Some(b'\\') if escapes => i += 2,
            Some(b'$') if buf[i..].starts_with(b"$${") => {
                push_text(&mut parts, &buf[piece_start..i]);
                push_text(&mut parts, &buf[i + 1..i + 3]);
                i += 3;
                piece_start = i;
            }
            Some(b'$') if buf[i..].starts_with(b"${") => {
                let inner = parse_at(buf, i, depth + 1, escapes)?;
                push_text(&mut parts, &buf[piece_start..i]);
                i = inner.end;
                piece_start = i;
                parts.push(Part::Placeholder(inner));
            }
            Some(b'{') => {
                open += 1;
                i += 1;
            }
            Some(b'}') if open > 0 => {
                open -= 1;
                i += 1;
            }
            Some(b'}') => break,
            Some(_) => i += 1,
        }
    }
    push_text(&mut parts, &buf[piece_start..i]);
    Ok(Some((Template { parts }, i)))
}

/// The offset of the `}` that closes a run starting at `from`, counting braces.
fn balanced_end(buf: &[u8], from: usize, escapes: bool) -> Option<usize> {
    let mut open = 0usize;
    let mut i = from;
    while let Some(&b) = buf.get(i) {
        match b {
            b'\\' if escapes => i += 1,
            b'{' => open += 1,
            b'}' if open == 0 => return Some(i),
            b'}' => open -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

fn unterminated(at: usize, name: &str) -> Malformed {
    Malformed {
        problem: Problem::new(
            at,
            format!("placeholder ${{{name} is not closed: expected `}}`"),
        ),
        swallows_rest: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Placeholder<'_> {
        let mut problems = Vec::new();
        let t = scan(src.as_bytes(), false, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        t.sole_placeholder().cloned().expect("one placeholder")
    }

    #[test]
    fn plain_name_is_a_required_placeholder() {
        let p = one("${PORT}");
        assert_eq!(p.name, "PORT");
        assert_eq!(p.ty, None);
        assert_eq!(p.fallback, None);
        assert_eq!((p.start, p.end), (0, 7));
    }

    #[test]
    fn type_and_default_combine() {
        let p = one("${PORT:port:-4000}");
        assert_eq!(p.ty, Some(Type::Port));
        assert_eq!(p.default_raw(), Some(&b"4000"[..]));
    }

    #[test]
    fn default_may_hold_balanced_braces_and_placeholders() {
        let p = one("${HOSTS:-{a,{b}}}");
        assert_eq!(p.default_raw(), Some(&b"{a,{b}}"[..]));
        let p = one("${A:-x${B:-y}z}");
        let Some(Fallback::Default { text, .. }) = &p.fallback else {
            panic!()
        };
        assert_eq!(text.parts.len(), 3);
    }

    #[test]
    fn dollar_dollar_brace_is_a_literal() {
        let mut problems = Vec::new();
        let t = scan(b"a$${B}c", false, &mut problems);
        assert!(problems.is_empty());
        assert_eq!(
            t.parts,
            vec![Part::Text(b"a"), Part::Text(b"${"), Part::Text(b"B}c")]
        );
    }

    #[test]
    fn every_operator_is_recognised() {
        for (src, when, is_default) in [
            ("${X:-d}", true, true),
            ("${X-d}", false, true),
            ("${X:?m}", true, false),
            ("${X?m}", false, false),
        ] {
            match one(src).fallback.unwrap() {
                Fallback::Default { when_empty, .. } => {
                    assert!(is_default);
                    assert_eq!(when_empty, when)
                }
                Fallback::Error { when_empty, .. } => {
                    assert!(!is_default);
                    assert_eq!(when_empty, when)
                }
            }
        }
    }

    #[test]
    fn malformed_placeholders_are_all_reported_with_positions() {
        let mut problems = Vec::new();
        scan(b"${1} ${X:nope} ${Y:+a} ${Z", false, &mut problems);
        let at: Vec<usize> = problems.iter().map(|p| p.at).collect();
        assert_eq!(at, vec![0, 9, 18, 23]);
    }

    #[test]
    fn lone_dollars_are_text() {
        let mut problems = Vec::new();
        let t = scan(b"$D0 $ $$", false, &mut problems);
        assert!(problems.is_empty());
        assert_eq!(t.parts.len(), 1);
    }

    #[test]
    fn a_backslash_escapes_the_dollar_inside_erlang_literals() {
        let mut problems = Vec::new();
        let t = scan(br"a\${X} \\${Y} ${Z:-\}}", true, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<&str> = t
            .parts
            .iter()
            .filter_map(|p| match p {
                Part::Placeholder(p) => Some(p.name),
                Part::Text(_) => None,
            })
            .collect();
        assert_eq!(names, ["Y", "Z"]);
        let Part::Placeholder(z) = t.parts.last().unwrap() else {
            panic!()
        };
        assert_eq!(z.default_raw(), Some(&br"\}"[..]));
    }

    #[test]
    fn a_trailing_backslash_ends_the_scan() {
        // Found by fuzz/placeholder.
        let mut problems = Vec::new();
        let t = scan(
            b"$${\xe2\x84A:-x${BQ:?\x98\x82\x82\xdf$${C} -+}{${A\\",
            true,
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
        assert!(!t.parts.is_empty());
        scan(b"\\", true, &mut problems);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "${A:-".repeat(100) + &"}".repeat(100);
        let mut problems = Vec::new();
        scan(deep.as_bytes(), false, &mut problems);
        assert_eq!(problems.len(), 1);
    }
}
