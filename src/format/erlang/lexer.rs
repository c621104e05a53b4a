//! Tokens of the Erlang term syntax that config files use.
//!
//! The lexer hands out kinds and byte spans, never copies: the renderer keeps
//! every byte it does not substitute, so spans into the source are all it
//! needs. Whitespace and comments are skipped here; the spans between tokens
//! are copied verbatim by whoever writes the output.

use crate::placeholder;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An unquoted atom, or a reserved word.
    Atom,
    /// A `'quoted atom'`.
    QuotedAtom,
    /// A `"string"`.
    String,
    /// A character literal such as `$a`.
    Char,
    /// An integer literal.
    Integer,
    /// A float literal.
    Float,
    /// A variable name (never valid in a term, but seen in broken files).
    Variable,
    /// A bare `${...}` placeholder.
    Placeholder,
    /// `$${` in a bare position: the literal text `${`.
    EscapedDollar,
    /// Punctuation.
    Punct(Punct),
    /// The `.` that ends a term.
    Dot,
    /// End of input.
    End,
    /// Text no token starts with; [`Lexer::error`] says why. Every token after
    /// it is this one again.
    Error,
}

/// Punctuation that can appear in a term, and `Other` for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `<<`
    LtLt,
    /// `>>`
    GtGt,
    /// `,`
    Comma,
    /// `|`
    Bar,
    /// `#`
    Hash,
    /// `=>`
    Arrow,
    /// `:`
    Colon,
    /// `/`
    Slash,
    /// `-`
    Minus,
    /// `+`
    Plus,
    /// Any other operator.
    Other,
}

/// A token: its kind and byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Offset of its first byte.
    pub start: usize,
    /// Offset just past its last byte.
    pub end: usize,
}

/// A lexical error: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    /// Byte offset.
    pub at: usize,
    /// Message (names the construct, never quotes the input).
    pub message: &'static str,
}

/// Reads tokens one at a time.
pub struct Lexer<'s> {
    src: &'s [u8],
    pos: usize,
    placeholders: bool,
    /// Why the lexer gives [`Kind::Error`] tokens.
    error: Option<LexError>,
}

impl<'s> Lexer<'s> {
    /// A lexer over `src`. With `placeholders`, a bare `${NAME...}` is one
    /// [`Kind::Placeholder`] token; without (for rendered output), it is Erlang.
    pub fn new(src: &'s [u8], placeholders: bool) -> Self {
        let error = src.starts_with(b"\xEF\xBB\xBF").then_some(LexError {
            at: 0,
            message: "the file starts with a byte-order mark, which erl cannot read; save it without one",
        });
        Lexer {
            src,
            pos: 0,
            placeholders,
            error,
        }
    }

    /// Why the lexer gave a [`Kind::Error`] token.
    pub fn error(&self) -> Option<&LexError> {
        self.error.as_ref()
    }

    /// The next token, skipping whitespace and comments; a [`Kind::Error`]
    /// token where the text is not Erlang, and from there on. The parser
    /// reports an error token where it stands, so the lexer itself never
    /// fails.
    pub fn next_token(&mut self) -> Token {
        if let Some(e) = &self.error {
            return Token {
                kind: Kind::Error,
                start: e.at,
                end: e.at,
            };
        }
        match self.lex() {
            Ok(token) => token,
            Err(e) => {
                let at = e.at;
                self.error = Some(e);
                Token {
                    kind: Kind::Error,
                    start: at,
                    end: at,
                }
            }
        }
    }

    /// One token from the current position. The match is the one table of
    /// what each first byte starts.
    fn lex(&mut self) -> Result<Token, LexError> {
        self.skip_blanks_and_comments();
        let start = self.pos;
        let Some(&b) = self.src.get(start) else {
            return Ok(Token {
                kind: Kind::End,
                start,
                end: start,
            });
        };
        let next = self.src.get(start + 1).copied();
        let kind = match b {
            b'a'..=b'z' => self.name(Kind::Atom),
            b'A'..=b'Z' | b'_' => self.name(Kind::Variable),
            b'0'..=b'9' => self.number()?,
            b'"' => self.quoted(b'"', Kind::String, "string is not closed")?,
            b'\'' => self.quoted(b'\'', Kind::QuotedAtom, "quoted atom is not closed")?,
            b'$' => self.dollar()?,
            b'.' => self.dot(),
            b'{' => self.punct(Punct::LBrace, 1),
            b'}' => self.punct(Punct::RBrace, 1),
            b'[' => self.punct(Punct::LBracket, 1),
            b']' => self.punct(Punct::RBracket, 1),
            b',' => self.punct(Punct::Comma, 1),
            b'(' => self.punct(Punct::LParen, 1),
            b')' => self.punct(Punct::RParen, 1),
            b'<' if next == Some(b'<') => self.punct(Punct::LtLt, 2),
            b'>' if next == Some(b'>') => self.punct(Punct::GtGt, 2),
            b'=' if next == Some(b'>') => self.punct(Punct::Arrow, 2),
            b'|' => self.punct(Punct::Bar, 1),
            b'#' => self.punct(Punct::Hash, 1),
            b':' => self.punct(Punct::Colon, 1),
            b'/' => self.punct(Punct::Slash, 1),
            b'-' => self.punct(Punct::Minus, 1),
            b'+' => self.punct(Punct::Plus, 1),
            0xC3 => match self.latin1_letter(start) {
                Some(true) => self.name(Kind::Variable),
                Some(false) => self.name(Kind::Atom),
                None => return Err(unexpected(start)),
            },
            b if b.is_ascii_punctuation() => self.punct(Punct::Other, 1),
            _ => return Err(unexpected(start)),
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    fn skip_blanks_and_comments(&mut self) {
        while let Some(&b) = self.src.get(self.pos) {
            if is_blank(b) {
                self.pos += 1;
            } else if b == b'%' {
                self.pos = find(self.src, self.pos, |c| c == b'\n');
            } else {
                return;
            }
        }
    }

    /// A `.` ends the term when white space, a comment or the end of the file
    /// follows it; otherwise it is an operator.
    fn dot(&mut self) -> Kind {
        self.pos += 1;
        match self.src.get(self.pos) {
            None | Some(b'%') => Kind::Dot,
            Some(&c) if is_blank(c) => Kind::Dot,
            _ => Kind::Punct(Punct::Other),
        }
    }

    /// Latin-1 letters written in UTF-8 (`C3 80`..`C3 BF`) after the `C3` at
    /// `at`: `Some(true)` for upper case, `Some(false)` for lower case, `None`
    /// for `×`, `÷` or other bytes.
    fn latin1_letter(&self, at: usize) -> Option<bool> {
        match self.src.get(at + 1)? {
            0x97 | 0xB7 => None,
            0x80..=0x9E => Some(true),
            0x9F..=0xBF => Some(false),
            _ => None,
        }
    }

    fn name(&mut self, kind: Kind) -> Kind {
        self.pos = name_end(self.src, self.pos);
        kind
    }

    fn digits(&mut self, radix: u32) -> usize {
        let from = self.pos;
        while let Some(&c) = self.src.get(self.pos) {
            let digit = (c as char).is_digit(radix);
            let separator = c == b'_'
                && self.pos > from
                && self
                    .src
                    .get(self.pos + 1)
                    .is_some_and(|&n| (n as char).is_digit(radix));
            if digit || separator {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.pos - from
    }

    fn number(&mut self) -> Result<Kind, LexError> {
        let start = self.pos;
        self.digits(10);
        if self.src.get(self.pos) == Some(&b'#') {
            let base_text = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
            let radix: u32 = base_text.replace('_', "").parse().unwrap_or(0);
            if !(2..=36).contains(&radix) {
                return Err(LexError {
                    at: start,
                    message: "a number base must be from 2 to 36",
                });
            }
            self.pos += 1;
            if self.digits(radix) == 0 {
                return Err(LexError {
                    at: start,
                    message: "expected digits after the number base",
                });
            }
            return Ok(Kind::Integer);
        }
        let is_float = self.src.get(self.pos) == Some(&b'.')
            && self.src.get(self.pos + 1).is_some_and(u8::is_ascii_digit);
        if !is_float {
            return Ok(Kind::Integer);
        }
        self.pos += 1;
        self.digits(10);
        if matches!(self.src.get(self.pos), Some(b'e' | b'E')) {
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.src.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits(10) == 0 {
                self.pos = mark;
            }
        }
        Ok(Kind::Float)
    }

    fn quoted(&mut self, quote: u8, kind: Kind, unclosed: &'static str) -> Result<Kind, LexError> {
        let start = self.pos;
        let mut i = start + 1;
        loop {
            i = find(self.src, i, |b| b == quote || b == b'\\');
            match self.src.get(i) {
                None => {
                    return Err(LexError {
                        at: start,
                        message: unclosed,
                    });
                }
                Some(b'\\') => i += 2,
                Some(_) => {
                    self.pos = i + 1;
                    return Ok(kind);
                }
            }
        }
    }

    fn dollar(&mut self) -> Result<Kind, LexError> {
        let start = self.pos;
        if self.placeholders {
            if self.src[start..].starts_with(b"$${") {
                self.pos += 3;
                return Ok(Kind::EscapedDollar);
            }
            if placeholder::starts_named(self.src, start) {
                return match placeholder::parse_at(self.src, start, 0, false) {
                    Ok(p) => {
                        self.pos = p.end;
                        Ok(Kind::Placeholder)
                    }
                    // The placeholder's own problem is reported by the renderer,
                    // which scans it again; here it only has to be skipped.
                    Err(m) if m.swallows_rest => Err(LexError {
                        at: start,
                        message: "placeholder is not closed: expected `}`",
                    }),
                    Err(_) => Err(LexError {
                        at: start,
                        message: "malformed placeholder",
                    }),
                };
            }
        }
        // A character literal: `$c`, `$\n`, `$\x{1F600}`, `$\101`, `$\^A`.
        self.pos += 1;
        match self.src.get(self.pos) {
            None => Err(LexError {
                at: start,
                message: "character literal is not complete",
            }),
            Some(b'\\') => {
                self.pos += 1;
                self.escape_tail(start)?;
                Ok(Kind::Char)
            }
            Some(_) => {
                self.pos += utf8_len(self.src, self.pos);
                Ok(Kind::Char)
            }
        }
    }

    /// Skips what follows a backslash in a character literal.
    fn escape_tail(&mut self, start: usize) -> Result<(), LexError> {
        let incomplete = LexError {
            at: start,
            message: "character literal is not complete",
        };
        match self.src.get(self.pos) {
            None => return Err(incomplete),
            Some(b'x') if self.src.get(self.pos + 1) == Some(&b'{') => {
                self.pos = find(self.src, self.pos, |c| c == b'}');
                if self.pos == self.src.len() {
                    return Err(incomplete);
                }
                self.pos += 1;
            }
            Some(b'x') => {
                self.pos += 1;
                let mut n = 0;
                while n < 2 && self.src.get(self.pos).is_some_and(u8::is_ascii_hexdigit) {
                    self.pos += 1;
                    n += 1;
                }
            }
            Some(b'0'..=b'7') => {
                let mut n = 0;
                while n < 3 && matches!(self.src.get(self.pos), Some(b'0'..=b'7')) {
                    self.pos += 1;
                    n += 1;
                }
            }
            Some(b'^') => {
                self.pos += 1;
                if self.src.get(self.pos).is_none() {
                    return Err(incomplete);
                }
                self.pos += 1;
            }
            Some(_) => self.pos += utf8_len(self.src, self.pos),
        }
        Ok(())
    }

    /// Punctuation of `len` bytes.
    fn punct(&mut self, p: Punct, len: usize) -> Kind {
        self.pos += len;
        Kind::Punct(p)
    }
}

/// A byte no token starts with.
fn unexpected(at: usize) -> LexError {
    LexError {
        at,
        message: "unexpected character",
    }
}

/// The offset of the first byte from `from` on for which `stop` holds, or
/// the length of `src` (also when `from` is past it).
fn find(src: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    let from = from.min(src.len());
    src[from..]
        .iter()
        .position(|&b| stop(b))
        .map_or(src.len(), |k| from + k)
}

/// Where a name that continues at `i` ends: ASCII letters, digits, `_` and
/// `@`, and Latin-1 letters written in UTF-8.
fn name_end(src: &[u8], mut i: usize) -> usize {
    loop {
        match src.get(i) {
            Some(&c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'@' => i += 1,
            Some(0xC3)
                if matches!(
                    src.get(i + 1),
                    Some(0x80..=0x96 | 0x98..=0xB6 | 0xB8..=0xBF)
                ) =>
            {
                i += 2
            }
            _ => return i,
        }
    }
}

/// Whitespace as the Erlang scanner sees it: every control character and space.
fn is_blank(b: u8) -> bool {
    b <= b' '
}

/// Length of the UTF-8 sequence starting at `at` (1 for a stray byte).
fn utf8_len(src: &[u8], at: usize) -> usize {
    let len = match src[at] {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    };
    len.min(src.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Kind> {
        let mut lx = Lexer::new(src.as_bytes(), true);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token();
            assert_ne!(t.kind, Kind::Error, "{:?}", lx.error());
            if t.kind == Kind::End {
                return out;
            }
            out.push(t.kind);
        }
    }

    #[test]
    fn numbers_of_every_shape() {
        use Kind::*;
        assert_eq!(
            kinds("1 1_000 16#FF 2#1010 1.5 1.5e-3 2.0E10"),
            vec![Integer, Integer, Integer, Integer, Float, Float, Float]
        );
        assert_eq!(kinds("1."), vec![Integer, Dot]);
    }

    #[test]
    fn two_byte_punctuation_and_plain_integers() {
        use super::Punct::*;
        use Kind::*;
        assert_eq!(
            kinds("<<1,22>> #{a=>333} <= >= == 4.5 6_7 8#17"),
            vec![
                Punct(LtLt),
                Integer,
                Punct(Comma),
                Integer,
                Punct(GtGt),
                Punct(Hash),
                Punct(LBrace),
                Atom,
                Punct(Arrow),
                Integer,
                Punct(RBrace),
                Punct(Other),
                Punct(Other),
                Punct(Other),
                Punct(Other),
                Punct(Other),
                Punct(Other),
                Float,
                Integer,
                Integer
            ]
        );
    }

    #[test]
    fn characters_strings_and_atoms() {
        use Kind::*;
        assert_eq!(
            kinds(r#"$a $\n $\x{1F600} $\101 $\^A $" "a\"b" 'q\'a' ab@c"#),
            vec![Char, Char, Char, Char, Char, Char, String, QuotedAtom, Atom]
        );
    }

    #[test]
    fn bare_placeholders_are_single_tokens_only_when_named() {
        use Kind::*;
        assert_eq!(kinds("${A:-{1,2}}"), vec![Placeholder]);
        assert_eq!(kinds("${"), vec![Char]);
        assert_eq!(kinds("$${"), vec![EscapedDollar]);
        let mut lx = Lexer::new(b"${A}", false);
        assert_eq!(lx.next_token().kind, Char);
    }

    #[test]
    fn comments_are_skipped_and_dot_ends_a_term() {
        use Kind::*;
        assert_eq!(
            kinds("[a, % ${X} ignored\n b]. % end"),
            vec![
                Punct(super::Punct::LBracket),
                Atom,
                Punct(super::Punct::Comma),
                Atom,
                Punct(super::Punct::RBracket),
                Dot
            ]
        );
    }

    #[test]
    fn unclosed_strings_are_errors_at_their_start() {
        let mut lx = Lexer::new(b"[\"abc", true);
        lx.next_token();
        let t = lx.next_token();
        assert_eq!((t.kind, t.start), (Kind::Error, 1));
        assert_eq!(lx.error().map(|e| e.at), Some(1));
        assert_eq!(
            lx.next_token().kind,
            Kind::Error,
            "every token after an error is one"
        );
    }
}
