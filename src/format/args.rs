//! Argument files (vm.args), read the way `erl -args_file` reads them.
//!
//! erl splits the file at whitespace; `#` outside quotes starts a comment that
//! runs to the end of the line; a backslash takes the next byte literally;
//! `"..."` and `'...'` quote a region in which nothing is special but the
//! closing quote. A value is escaped so that it stays exactly one piece of one
//! argument wherever its placeholder stands.

use crate::diag::Problem;
use crate::format::{Listing, Rendering, over_limit};
use crate::placeholder::{Malformed, Placeholder, Template, parse_at};
use crate::resolve::{Piece, Resolver};
use crate::types::{Checked, Type};

/// Where in an argument a placeholder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// Outside quotes.
    Bare,
    /// Inside `"..."`.
    Double,
    /// Inside `'...'`.
    Single,
}

/// A part of an argument file: text copied as it is, or a placeholder.
enum Chunk<'a> {
    Text(&'a [u8]),
    Placeholder(Placeholder<'a>, Quoting),
}

/// Splits an argument file into text and placeholders, skipping comments.
fn scan<'a>(src: &'a [u8], problems: &mut Vec<Problem>) -> Vec<Chunk<'a>> {
    let mut parts = Vec::new();
    let mut quoting = Quoting::Bare;
    let mut text_start = 0;
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        match (quoting, b) {
            (Quoting::Bare, b'#') => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            (Quoting::Bare, b'\\') => i += 2,
            (Quoting::Bare, b'"') => {
                quoting = Quoting::Double;
                i += 1;
            }
            (Quoting::Bare, b'\'') => {
                quoting = Quoting::Single;
                i += 1;
            }
            (Quoting::Double, b'"') | (Quoting::Single, b'\'') => {
                quoting = Quoting::Bare;
                i += 1;
            }
            (_, b'$') if src[i..].starts_with(b"$${") => {
                parts.push(Chunk::Text(&src[text_start..i]));
                parts.push(Chunk::Text(&src[i + 1..i + 3]));
                i += 3;
                text_start = i;
            }
            (_, b'$') if src[i..].starts_with(b"${") => match parse_at(src, i, 0, false) {
                Ok(p) => {
                    parts.push(Chunk::Text(&src[text_start..i]));
                    i = p.end;
                    text_start = i;
                    parts.push(Chunk::Placeholder(p, quoting));
                }
                Err(Malformed {
                    problem,
                    swallows_rest,
                }) => {
                    problems.push(problem);
                    i = if swallows_rest { src.len() } else { i + 2 };
                }
            },
            _ => i += 1,
        }
    }
    parts.push(Chunk::Text(&src[text_start.min(src.len())..]));
    parts
}

/// Renders an argument file.
pub fn render(src: &[u8], resolver: &Resolver<'_>) -> Result<Rendering, Vec<Problem>> {
    let mut problems = Vec::new();
    let parts = scan(src, &mut problems);
    let mut out = Vec::with_capacity(src.len());
    let mut placeholders = 0;
    for part in &parts {
        match part {
            Chunk::Text(t) => out.extend_from_slice(t),
            Chunk::Placeholder(p, quoting) => {
                placeholders += p.count();
                write_placeholder(p, *quoting, resolver, &mut out, &mut problems);
                if over_limit(&out, p.start, &mut problems) {
                    break;
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(Rendering {
            bytes: out,
            top_strings: Vec::new(),
            placeholders,
        })
    } else {
        Err(problems)
    }
}

/// Writes the value of `p`, escaped for where it stands; or reports why it
/// cannot be written.
fn write_placeholder(
    p: &Placeholder<'_>,
    quoting: Quoting,
    resolver: &Resolver<'_>,
    out: &mut Vec<u8>,
    problems: &mut Vec<Problem>,
) {
    let identity = |b: &[u8]| b.to_vec();
    let Some(r) = resolver.resolve(p, Type::String, &identity, problems) else {
        return;
    };
    if let Checked::Canonical(c) = &r.checked {
        out.extend_from_slice(c.as_bytes());
        return;
    }
    let value = r.logical(&identity);
    if r.ty == Type::Term
        && let Err(why) = crate::format::erlang::parse::check_term_run(&value)
    {
        problems.push(Problem::new(
            p.start,
            format!("{} is not Erlang term text: {why}", p.name),
        ));
        return;
    }
    if value.iter().any(|&b| b < b' ' || b == 0x7F) {
        problems.push(Problem::new(
            p.start,
            format!(
                "{} holds a line break or another control character, which an argument file cannot carry",
                p.name
            ),
        ));
        return;
    }
    for piece in r.pieces.as_slice() {
        match piece {
            Piece::Template(t) => out.extend_from_slice(t),
            Piece::Value(v) => escape(v, quoting, out),
        }
    }
}

/// Writes `value` so that erl reads it back exactly, as part of one argument.
fn escape(value: &[u8], quoting: Quoting, out: &mut Vec<u8>) {
    match quoting {
        Quoting::Bare if value.is_empty() => out.extend_from_slice(b"\"\""),
        Quoting::Bare => {
            for &b in value {
                if matches!(b, b' ' | b'#' | b'\\' | b'"' | b'\'') {
                    out.push(b'\\');
                }
                out.push(b);
            }
        }
        // Nothing escapes inside quotes: close the region, write the quote
        // with a backslash, and open the region again.
        Quoting::Double => {
            for &b in value {
                if b == b'"' {
                    out.extend_from_slice(b"\"\\\"\"");
                } else {
                    out.push(b);
                }
            }
        }
        Quoting::Single => {
            for &b in value {
                if b == b'\'' {
                    out.extend_from_slice(b"'\\''");
                } else {
                    out.push(b);
                }
            }
        }
    }
}

/// Every placeholder of an argument file.
pub fn list(src: &[u8]) -> Result<Listing, Vec<Problem>> {
    let mut problems = Vec::new();
    let parts = scan(src, &mut problems);
    let mut found = Vec::new();
    for part in parts {
        if let Chunk::Placeholder(p, _) = part {
            let template = Template {
                parts: vec![crate::placeholder::Part::Placeholder(p)],
            };
            crate::format::collect(&template, Type::String, &|at| at, &mut found);
        }
    }
    if problems.is_empty() {
        Ok(Listing {
            found,
            top_strings: Vec::new(),
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Env;
    use std::collections::HashMap;

    fn render_with(src: &str, value: &[u8]) -> Result<String, Vec<Problem>> {
        let env = Env::from_pairs([("V".to_string(), value.to_vec())]);
        let types = HashMap::new();
        let r = Resolver::new(&env, &types);
        render(src.as_bytes(), &r).map(|r| String::from_utf8(r.bytes).unwrap())
    }

    #[test]
    fn bare_values_stay_one_argument() {
        assert_eq!(
            render_with("-x ${V}\n", b"a b#c\\d\"e'f").unwrap(),
            "-x a\\ b\\#c\\\\d\\\"e\\'f\n"
        );
        assert_eq!(render_with("-x ${V}\n", b"").unwrap(), "-x \"\"\n");
    }

    #[test]
    fn quoted_regions_are_closed_around_their_own_quote() {
        assert_eq!(
            render_with("-c \"${V}\"", b"a\"b c").unwrap(),
            "-c \"a\"\\\"\"b c\""
        );
        assert_eq!(
            render_with("-d '\"${V}\"'", b"it's").unwrap(),
            "-d '\"it'\\''s\"'"
        );
    }

    #[test]
    fn comments_are_left_alone() {
        assert_eq!(
            render_with("## ${UNSET}\n-a 1 # ${UNSET}\n", b"").unwrap(),
            "## ${UNSET}\n-a 1 # ${UNSET}\n"
        );
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(render_with("-x ${V}", b"a\nb").is_err());
        assert!(render_with("-x \"${V}\"", b"a\tb").is_err());
    }
}
