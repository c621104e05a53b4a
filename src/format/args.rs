//! Argument files (vm.args), read the way `erl -args_file` reads them.
//!
//! erl splits the file at whitespace; `#` outside quotes starts a comment that
//! runs to the end of the line; a backslash takes the next byte literally;
//! `"..."` and `'...'` quote a region in which nothing is special but the
//! closing quote. A value is escaped so that it stays exactly one piece of one
//! argument wherever its placeholder stands, and a value that would begin an
//! argument with `-` or `+` is refused: erl reads that argument as a flag
//! even when it is quoted (`-myflag "-extra"` leaves `-myflag` without a value
//! and starts the plain arguments).

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
    Placeholder(Slot<'a>),
}

/// A placeholder and where it stands.
struct Slot<'a> {
    p: Placeholder<'a>,
    quoting: Quoting,
    /// Where the argument it stands in begins: placeholders of one argument
    /// share it.
    argument: usize,
    /// Nothing but quotes and placeholders stands before it in its
    /// argument: its value may begin the argument.
    leading: bool,
}

/// Whitespace that separates arguments, as erl's `isspace`.
fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0x0B
}

/// Splits an argument file into text and placeholders, skipping comments.
fn scan<'a>(src: &'a [u8], problems: &mut Vec<Problem>) -> Vec<Chunk<'a>> {
    let mut parts = Vec::new();
    let mut quoting = Quoting::Bare;
    let mut text_start = 0;
    let mut argument = 0;
    let mut leading = true;
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
            (Quoting::Bare, b) if is_space(b) => {
                i += 1;
                argument = i;
                leading = true;
            }
            (Quoting::Bare, b'\\') => {
                i += 2;
                leading = false;
            }
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
                leading = false;
            }
            (_, b'$') if src[i..].starts_with(b"${") => match parse_at(src, i, 0, false) {
                Ok(p) => {
                    parts.push(Chunk::Text(&src[text_start..i]));
                    i = p.end;
                    text_start = i;
                    parts.push(Chunk::Placeholder(Slot {
                        p,
                        quoting,
                        argument,
                        leading,
                    }));
                }
                Err(Malformed {
                    problem,
                    swallows_rest,
                }) => {
                    problems.push(problem);
                    i = if swallows_rest { src.len() } else { i + 2 };
                }
            },
            _ => {
                i += 1;
                leading = false;
            }
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
    // The argument of the last placeholder that stood at the start of one,
    // and whether its value or those before it wrote anything there.
    let mut before: Option<(usize, bool)> = None;
    for part in &parts {
        match part {
            Chunk::Text(t) => out.extend_from_slice(t),
            Chunk::Placeholder(slot) => {
                placeholders += slot.p.count();
                let written = matches!(before, Some((a, true)) if a == slot.argument);
                let begins = slot.leading && !written;
                let wrote = write_placeholder(slot, begins, resolver, &mut out, &mut problems);
                if slot.leading {
                    before = Some((slot.argument, written || wrote));
                }
                if over_limit(out.len(), slot.p.start, &mut problems) {
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

/// Writes the value of a placeholder, escaped for where it stands, or
/// reports why it cannot be written. When it `begins` an argument, a value
/// that would start it with `-` or `+` is refused: erl reads such an
/// argument as a flag, quoted or not. Returns whether anything of the
/// argument was written (quotes do not count), or a problem reported.
fn write_placeholder(
    slot: &Slot<'_>,
    begins: bool,
    resolver: &Resolver<'_>,
    out: &mut Vec<u8>,
    problems: &mut Vec<Problem>,
) -> bool {
    let p = &slot.p;
    let identity = |b: &[u8]| b.to_vec();
    let Some(r) = resolver.resolve(p, Type::String, &identity, problems) else {
        return true;
    };
    let flag_like = |v: &[u8]| matches!(v.first(), Some(b'-' | b'+'));
    let starts_flag = match &r.checked {
        Checked::Canonical(c) => flag_like(c.as_bytes()),
        // The first piece that writes anything decides: a default is the
        // template's own text, as if it were written in its place.
        Checked::AsIs => r
            .pieces
            .as_slice()
            .iter()
            .find(|piece| match piece {
                Piece::Template(t) => !t.is_empty(),
                Piece::Value(v) => !v.is_empty(),
            })
            .is_some_and(|piece| matches!(piece, Piece::Value(v) if flag_like(v))),
    };
    if begins && starts_flag {
        problems.push(Problem::new(
            p.start,
            format!(
                "{} would begin an argument with `-` or `+`, which erl reads as a flag, \
                 quoted or not",
                p.name
            ),
        ));
        return true;
    }
    if let Checked::Canonical(c) = &r.checked {
        out.extend_from_slice(c.as_bytes());
        return true;
    }
    let value = r.logical(&identity);
    if r.ty == Type::Term
        && let Err(why) = crate::format::erlang::parse::check_term_run(&value)
    {
        problems.push(Problem::new(
            p.start,
            format!("{} is not Erlang term text: {why}", p.name),
        ));
        return true;
    }
    if value.iter().any(|&b| b < b' ' || b == 0x7F) {
        problems.push(Problem::new(
            p.start,
            format!(
                "{} holds a line break or another control character, which an argument file cannot carry",
                p.name
            ),
        ));
        return true;
    }
    for piece in r.pieces.as_slice() {
        match piece {
            Piece::Template(t) => out.extend_from_slice(t),
            Piece::Value(v) => escape(v, slot.quoting, out),
        }
    }
    // An assumed value stands for one that is there: what follows it in
    // the argument does not begin the argument.
    !value.is_empty() || r.assumed
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
        if let Chunk::Placeholder(Slot { p, .. }) = part {
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
    fn an_assumed_value_begins_its_argument_as_a_real_one_would() {
        let env = Env::from_pairs([("V".to_string(), b"-x".to_vec())]);
        let types = HashMap::new();
        let assumed = ["A".to_string()];
        let r = Resolver::new(&env, &types).assuming(&assumed);
        let out = render(b"-a ${A}${V}\n-b ${A:port} ${A:term}\n", &r).unwrap();
        // What `check` renders is never written: the empty stand-in is only
        // counted as the text the real value has.
        assert_eq!(String::from_utf8(out.bytes).unwrap(), "-a \"\"-x\n-b 0 0\n");
        let problems = render(b"-a ${V}\n", &r).unwrap_err();
        assert!(problems[0].message.contains("begin an argument"));
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
