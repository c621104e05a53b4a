//! The shape of a config file: exactly one term ending in `.`, and the places
//! in it where placeholders may stand.
//!
//! The parser checks what `file:consult` would accept for a sys.config and, on
//! the way, records [`Site`]s: literals that hold `${`, byte lists and integer
//! lists that spell a placeholder (as `mix release` writes strings), and bare
//! placeholders. It builds no tree; the renderer only needs the sites, in
//! source order, and copies everything else verbatim.

use std::ops::Range;

use super::lexer::{Kind, Lexer, Punct, Token};
use crate::diag::Problem;
use crate::placeholder::has_placeholder;

/// The kind of text literal a placeholder stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `"..."`: a list of characters.
    Charlist,
    /// `'...'`: an atom.
    Atom,
    /// `<<"...">>`: bytes.
    Binary,
    /// `<<"..."/utf8>>` (or utf16, utf32): characters encoded by the segment type.
    BinaryUtf,
}

/// A place where something is substituted.
#[derive(Debug, Clone, PartialEq)]
pub enum Site {
    /// Source text of a literal holding `${`.
    Text {
        /// The literal's inside, between its quotes.
        content: Range<usize>,
        /// What kind of literal it is.
        context: Context,
        /// When the literal is all there is of its term (a lone string, a
        /// binary of one string segment, a quoted atom): that term's span,
        /// which a typed placeholder filling the literal replaces.
        whole: Option<Range<usize>>,
    },
    /// A binary written as bytes, `<<36,123,...>>`, that spells a placeholder.
    Bytes {
        /// The span of the whole binary.
        span: Range<usize>,
        /// The bytes it holds.
        bytes: Vec<u8>,
        /// The source offset each byte was written at.
        origins: Vec<usize>,
    },
    /// A list of integers, `[36,123,...]`, that spells a placeholder.
    Codes {
        /// The span of the whole list.
        span: Range<usize>,
        /// The characters it holds, as UTF-8.
        text: Vec<u8>,
        /// The source offset of each byte of `text`.
        origins: Vec<usize>,
    },
    /// A placeholder where a term stands.
    Bare {
        /// The placeholder's span.
        span: Range<usize>,
    },
    /// `$${` where a term stands: the text `${`.
    Escape {
        /// Its span.
        span: Range<usize>,
    },
    /// A string standing alone in the top-level list: in a sys.config, the
    /// name of another config file to include. Comes before the string's own
    /// text site, if it has one.
    TopString {
        /// The span of the string literal, quotes included.
        span: Range<usize>,
    },
}

/// Parses a whole template and returns its sites.
/// Parses a whole template, handing each site to `sink` as soon as it is
/// complete, in source order; nothing is kept, so memory does not grow with
/// the number of placeholders. On an error, the sites before it were handed out.
pub fn parse_template(src: &[u8], sink: &mut dyn FnMut(Site)) -> Result<(), Problem> {
    let mut p = Parser::new(src, Mode::Template, sink);
    p.file()
}

/// Checks that rendered output is still one term ending in `.`. The error
/// never describes the text it found, which may be a value.
pub fn check_output(src: &[u8]) -> Result<(), Problem> {
    let mut ignore = |_| {};
    let mut p = Parser::new(src, Mode::Output, &mut ignore);
    p.file()
}

/// Checks that `src` is Erlang term text whose brackets balance: one term, or
/// several separated by commas, with no comment and nothing else. The message
/// never describes the text.
pub fn check_term_run(src: &[u8]) -> Result<(), String> {
    let fail = |e: Problem| e.message;
    let mut ignore = |_| {};
    let mut p = Parser::new(src, Mode::Output, &mut ignore);
    if has_comment(src) {
        return Err("it holds a `%` comment, which would hide the text after it".into());
    }
    loop {
        if p.term().is_none() {
            return Err(p.failure.take().map_or_else(String::new, fail));
        }
        match p.tok.kind {
            Kind::Punct(Punct::Comma) => p.advance(),
            Kind::End => return Ok(()),
            _ => return Err(fail(p.error("`,` or the end after a term"))),
        };
    }
}

/// True when `src` holds a `%` outside strings and quoted atoms.
fn has_comment(src: &[u8]) -> bool {
    let mut lx = Lexer::new(src, false);
    let mut from = 0;
    loop {
        let t = lx.next_token();
        if src[from..t.start].contains(&b'%') {
            return true;
        }
        if matches!(t.kind, Kind::End | Kind::Error) {
            return false;
        }
        from = t.end;
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Placeholders are tokens, sites are recorded, errors may quote the source.
    Template,
    /// Placeholders are plain Erlang, nothing is recorded, errors quote nothing.
    Output,
}

/// What a term turned out to be, for the lists and binaries around it.
enum Shape {
    /// A plain decimal integer (a candidate character or byte).
    Small(u32),
    /// Anything else.
    Other,
}

/// A container being read.
enum Frame {
    Tuple,
    /// `value`: the key was read, a value comes next.
    Map {
        value: bool,
    },
    /// `codes`: the characters so far while every element is a plain integer;
    /// `at`: where the current element starts; `tail`: after `|`.
    List {
        open: usize,
        codes: Option<(String, Vec<usize>)>,
        tail: bool,
        at: usize,
    },
}

struct Parser<'s, 'k> {
    src: &'s [u8],
    lx: Lexer<'s>,
    tok: Token,
    mode: Mode,
    /// Sites found but not yet complete (a string that may be followed by
    /// another, a binary not yet closed).
    sites: Vec<Site>,
    sink: &'k mut dyn FnMut(Site),
    /// Whether the last run of adjacent strings was a single literal.
    lone_string: bool,
    /// The first problem found. The rules return `None` once there is one,
    /// which keeps their results small enough to come back in registers.
    failure: Option<Problem>,
}

const fn letters(set: &[u8]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < set.len() {
        mask |= 1 << (set[i] - b'a');
        i += 1;
    }
    mask
}

/// Words the Erlang parser reserves; an atom spelled so must be quoted.
fn is_reserved(word: &[u8]) -> bool {
    // Most atoms start with a letter no reserved word starts with.
    const FIRST: u32 = letters(b"abcdefilnortwx");
    let first = word.first().map_or(0, |&b| b.wrapping_sub(b'a'));
    if first >= 26 || FIRST & (1 << first) == 0 {
        return false;
    }
    matches!(
        word,
        b"after"
            | b"and"
            | b"andalso"
            | b"band"
            | b"begin"
            | b"bnot"
            | b"bor"
            | b"bsl"
            | b"bsr"
            | b"bxor"
            | b"case"
            | b"catch"
            | b"cond"
            | b"div"
            | b"end"
            | b"fun"
            | b"if"
            | b"let"
            | b"not"
            | b"of"
            | b"or"
            | b"orelse"
            | b"receive"
            | b"rem"
            | b"try"
            | b"when"
            | b"xor"
    )
}

impl<'s, 'k> Parser<'s, 'k> {
    fn new(src: &'s [u8], mode: Mode, sink: &'k mut dyn FnMut(Site)) -> Self {
        let mut lx = Lexer::new(src, mode == Mode::Template);
        let tok = lx.next_token();
        Parser {
            src,
            lx,
            tok,
            mode,
            sites: Vec::new(),
            sink,
            lone_string: false,
            failure: None,
        }
    }

    /// Moves to the next token. A lexical error is a [`Kind::Error`] token,
    /// which no rule accepts: [`Parser::error`] reports it where it stands.
    /// Not inlined: the lexer is inlined here, once, rather than at each of
    /// the parser's calls (which made `term` 40 KB of code).
    #[inline(never)]
    fn advance(&mut self) {
        self.tok = self.lx.next_token();
    }

    /// The current token's span and whether it holds `${`, moving past it.
    /// Read field by field, as the lexer stored them: copying the whole
    /// token just after it was stored costs a failed store-to-load forward.
    #[inline(always)]
    fn take_text(&mut self) -> (Range<usize>, bool) {
        let taken = (self.tok.start..self.tok.end, self.tok.marked);
        self.advance();
        taken
    }

    /// The current token, moving past it.
    #[inline(always)]
    fn take(&mut self) -> Token {
        let t = self.tok;
        self.advance();
        t
    }

    fn text(&self, t: Token) -> &'s [u8] {
        &self.src[t.start..t.end]
    }

    /// Records `problem` (unless one came first) and gives up.
    #[cold]
    fn fail<T>(&mut self, problem: Problem) -> Option<T> {
        self.failure.get_or_insert(problem);
        None
    }

    /// The problem at the current token, which is not what was `expected`; or
    /// the lexer's, if the text there is no token.
    fn error(&self, expected: &str) -> Problem {
        if let Some(e) = self.lx.error().filter(|_| self.tok.kind == Kind::Error) {
            return Problem::new(e.at, e.message);
        }
        let found = match self.mode {
            Mode::Output => String::new(),
            Mode::Template => format!(", found {}", self.describe(self.tok)),
        };
        Problem::new(self.tok.start, format!("expected {expected}{found}"))
    }

    fn describe(&self, t: Token) -> String {
        match t.kind {
            Kind::End => "the end of the file".into(),
            Kind::Dot => "`.`".into(),
            Kind::Punct(_) => format!("`{}`", String::from_utf8_lossy(self.text(t))),
            Kind::Atom | Kind::Variable if t.end - t.start <= 40 => {
                let what = if t.kind == Kind::Atom {
                    "atom"
                } else {
                    "variable"
                };
                format!("{what} `{}`", String::from_utf8_lossy(self.text(t)))
            }
            Kind::Atom => "an atom".into(),
            Kind::Variable => "a variable".into(),
            Kind::QuotedAtom => "a quoted atom".into(),
            Kind::String => "a string".into(),
            Kind::Char => "a character".into(),
            Kind::Integer | Kind::Float => "a number".into(),
            Kind::Placeholder | Kind::EscapedDollar => "a placeholder".into(),
            Kind::Error => "text that is not Erlang".into(),
        }
    }

    fn expect(&mut self, kind: Kind, expected: &str) -> Option<Token> {
        if self.tok.kind == kind {
            Some(self.take())
        } else {
            self.fail(self.error(expected))
        }
    }

    fn file(&mut self) -> Result<(), Problem> {
        if self.tok.kind == Kind::End {
            return Err(Problem::new(
                0,
                "the file holds no term; a config file is one term ending in `.`",
            ));
        }
        if self.term().is_none() {
            return Err(self.failure.take().unwrap_or_else(|| self.error("a term")));
        }
        if self.tok.kind != Kind::Dot {
            return Err(self.error("`.` after the term"));
        }
        self.advance();
        if self.tok.kind == Kind::Error {
            return Err(self.error("the end of the file"));
        }
        if self.tok.kind != Kind::End {
            return Err(Problem::new(
                self.tok.start,
                "a config file is exactly one term ending in `.`, but more follows",
            ));
        }
        Ok(())
    }

    /// One term. Containers are tracked on an explicit stack rather than by
    /// recursion, so nesting is bounded by memory, not by the thread's stack.
    fn term(&mut self) -> Option<Shape> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            // The start of a term: open a container, or read a whole simple term.
            let mut shape = match self.tok.kind {
                Kind::Punct(Punct::LBrace) => {
                    self.advance();
                    if self.tok.kind != Kind::Punct(Punct::RBrace) {
                        stack.push(Frame::Tuple);
                        continue;
                    }
                    self.advance();
                    Shape::Other
                }
                Kind::Punct(Punct::LBracket) => {
                    let open = self.take();
                    if self.tok.kind != Kind::Punct(Punct::RBracket) {
                        stack.push(Frame::List {
                            open: open.start,
                            codes: Some((String::new(), Vec::new())),
                            tail: false,
                            at: self.tok.start,
                        });
                        continue;
                    }
                    self.advance();
                    Shape::Other
                }
                Kind::Punct(Punct::Hash) => {
                    self.advance();
                    self.expect(Kind::Punct(Punct::LBrace), "`{` after `#` (a map)")?;
                    if self.tok.kind != Kind::Punct(Punct::RBrace) {
                        stack.push(Frame::Map { value: false });
                        continue;
                    }
                    self.advance();
                    Shape::Other
                }
                _ => {
                    // Field by field, as in `take_text`.
                    let (kind, start, end) = (self.tok.kind, self.tok.start, self.tok.end);
                    let top_list = stack.len() == 1 && matches!(stack[0], Frame::List { .. });
                    let shape = self.simple_term()?;
                    if top_list && kind == Kind::String && self.lone_string {
                        self.sites.insert(0, Site::TopString { span: start..end });
                    }
                    self.flush();
                    shape
                }
            };
            // The end of a term: carry on in the container around it, closing
            // as many containers as end here.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return Some(shape);
                };
                match frame {
                    Frame::Tuple => match self.tok.kind {
                        Kind::Punct(Punct::Comma) => {
                            self.advance();
                            break;
                        }
                        Kind::Punct(Punct::RBrace) => {
                            self.advance();
                            stack.pop();
                        }
                        _ => return self.fail(self.error("`,` or `}` in a tuple")),
                    },
                    Frame::Map { value } => match (self.tok.kind, *value) {
                        (Kind::Punct(Punct::Arrow), false) => {
                            *value = true;
                            self.advance();
                            break;
                        }
                        (_, false) => return self.fail(self.error("`=>` in a map")),
                        (Kind::Punct(Punct::Comma), true) => {
                            *value = false;
                            self.advance();
                            break;
                        }
                        (Kind::Punct(Punct::RBrace), true) => {
                            self.advance();
                            stack.pop();
                        }
                        _ => return self.fail(self.error("`,` or `}` in a map")),
                    },
                    Frame::List {
                        open,
                        codes,
                        tail,
                        at,
                    } => {
                        // Characters seen so far, while every element is a plain integer.
                        let element = std::mem::take(codes);
                        *codes = match (element, &shape, *tail) {
                            (Some((mut text, mut origins)), Shape::Small(n), false) => {
                                char::from_u32(*n).map(|c| {
                                    text.push(c);
                                    origins.resize(text.len(), *at);
                                    (text, origins)
                                })
                            }
                            _ => None,
                        };
                        match (self.tok.kind, *tail) {
                            (Kind::Punct(Punct::Comma), false) => {
                                self.advance();
                                *at = self.tok.start;
                                break;
                            }
                            (Kind::Punct(Punct::Bar), false) => {
                                self.advance();
                                *tail = true;
                                *codes = None;
                                break;
                            }
                            (Kind::Punct(Punct::RBracket), _) => {
                                let open = *open;
                                let codes = std::mem::take(codes);
                                let close = self.take();
                                stack.pop();
                                self.codes_site(open..close.end, codes);
                            }
                            (_, false) => {
                                return self.fail(self.error("`,`, `|` or `]` in a list"));
                            }
                            (_, true) => {
                                return self.fail(self.error("`]` after the tail of a list"));
                            }
                        }
                    }
                }
                shape = Shape::Other;
            }
        }
    }

    /// Hands the complete sites to the sink. Called after every simple term,
    /// and most have none.
    #[inline(always)]
    fn flush(&mut self) {
        if !self.sites.is_empty() {
            self.hand_out();
        }
    }

    fn hand_out(&mut self) {
        if self.mode == Mode::Output {
            self.sites.clear();
            return;
        }
        for site in self.sites.drain(..) {
            (self.sink)(site);
        }
    }

    /// Records an integer list that spells a placeholder.
    fn codes_site(&mut self, span: Range<usize>, codes: Option<(String, Vec<usize>)>) {
        if let Some((text, origins)) = codes
            && self.mode == Mode::Template
            && has_placeholder(text.as_bytes())
        {
            self.sites.push(Site::Codes {
                span,
                text: text.into_bytes(),
                origins,
            });
            self.flush();
        }
    }

    /// A term that is not a tuple, list or map.
    fn simple_term(&mut self) -> Option<Shape> {
        // Field by field, as in `take_text`.
        let (start, end) = (self.tok.start, self.tok.end);
        match self.tok.kind {
            Kind::Atom => {
                let word = &self.src[start..end];
                if word == b"fun" {
                    self.advance();
                    return self.external_fun();
                }
                if self.mode == Mode::Template && is_reserved(word) {
                    return self.fail(Problem::new(
                        start,
                        format!(
                            "`{}` is a reserved word; quote it to use it as an atom",
                            String::from_utf8_lossy(word)
                        ),
                    ));
                }
                self.advance();
                Some(Shape::Other)
            }
            Kind::QuotedAtom => {
                let marked = self.tok.marked;
                self.advance();
                self.text_site(start..end, marked, Context::Atom, Some(start..end));
                Some(Shape::Other)
            }
            Kind::String => {
                self.strings(Context::Charlist)?;
                Some(Shape::Other)
            }
            Kind::Integer => {
                self.advance();
                Some(small(&self.src[start..end]).map_or(Shape::Other, Shape::Small))
            }
            Kind::Char | Kind::Float => {
                self.advance();
                Some(Shape::Other)
            }
            Kind::Placeholder => {
                self.advance();
                self.sites.push(Site::Bare { span: start..end });
                Some(Shape::Other)
            }
            Kind::EscapedDollar => {
                self.advance();
                self.sites.push(Site::Escape { span: start..end });
                Some(Shape::Other)
            }
            Kind::Punct(Punct::Minus | Punct::Plus) => {
                self.advance();
                match self.tok.kind {
                    Kind::Integer | Kind::Float => {
                        self.advance();
                        Some(Shape::Other)
                    }
                    _ => self.fail(self.error("a number after the sign")),
                }
            }
            Kind::Punct(Punct::LtLt) => {
                self.binary()?;
                Some(Shape::Other)
            }
            Kind::Variable if self.mode == Mode::Template => self.fail(Problem::new(
                start,
                format!(
                    "{} cannot stand in a config term (variables are not allowed; \
                     a placeholder is written ${{NAME}})",
                    self.describe(self.tok)
                ),
            )),
            _ => self.fail(self.error("a term")),
        }
    }

    /// Adjacent string literals, which Erlang joins into one; each holding
    /// `${` becomes a site. A lone literal is `whole` unless `in_binary`.
    /// Returns how many literals there were.
    fn strings(&mut self, context: Context) -> Option<usize> {
        let (span, marked) = self.take_text();
        let first_site = self.sites.len();
        let whole = (context == Context::Charlist).then_some(span.clone());
        self.text_site(span, marked, context, whole);
        let mut count = 1;
        while self.tok.kind == Kind::String {
            let (span, marked) = self.take_text();
            self.text_site(span, marked, context, None);
            count += 1;
        }
        if count > 1
            && let Some(Site::Text { whole, .. }) = self.sites.get_mut(first_site)
        {
            *whole = None;
        }
        self.lone_string = count == 1;
        Some(count)
    }

    fn text_site(
        &mut self,
        span: Range<usize>,
        marked: bool,
        context: Context,
        whole: Option<Range<usize>>,
    ) {
        if self.mode == Mode::Output {
            return;
        }
        let content = span.start + 1..span.end - 1;
        if marked {
            self.sites.push(Site::Text {
                content,
                context,
                whole,
            });
        }
    }

    /// `fun M:F/A`, after the `fun`.
    fn external_fun(&mut self) -> Option<Shape> {
        for (i, expected) in ["a module name", "a function name"].into_iter().enumerate() {
            let t = self.tok;
            match t.kind {
                Kind::Atom => {
                    self.advance();
                }
                Kind::QuotedAtom => {
                    self.advance();
                    self.text_site(t.start..t.end, t.marked, Context::Atom, None);
                }
                _ => return self.fail(self.error(expected)),
            }
            if i == 0 {
                self.expect(Kind::Punct(Punct::Colon), "`:` in `fun M:F/A`")?;
            }
        }
        self.expect(Kind::Punct(Punct::Slash), "`/` in `fun M:F/A`")?;
        self.expect(Kind::Integer, "an arity in `fun M:F/A`")?;
        Some(Shape::Other)
    }

    /// `<<...>>`: segments of strings or numbers, with optional `:Size` and `/Type`.
    fn binary(&mut self) -> Option<()> {
        let open = self.take();
        if self.tok.kind == Kind::Punct(Punct::GtGt) {
            self.advance();
            return Some(());
        }
        // Bytes seen so far, while every segment is a plain byte.
        let mut bytes: Option<(Vec<u8>, Vec<usize>)> = Some((Vec::new(), Vec::new()));
        let mut segments = 0;
        // The first text site of a lone string segment that could make the binary whole.
        let mut sole_string;
        loop {
            segments += 1;
            let first_site = self.sites.len();
            let t = self.tok;
            let mut value = None;
            let mut lone_string = false;
            match t.kind {
                Kind::String => {
                    lone_string = self.strings(Context::Binary)? == 1;
                }
                Kind::Integer => {
                    self.advance();
                    value = small(self.text(t)).filter(|&n| n <= 255);
                }
                Kind::Char | Kind::Float | Kind::Placeholder | Kind::Punct(Punct::Minus) => {
                    self.term()?;
                }
                _ => return self.fail(self.error("a string or a number in a binary")),
            }
            let mut plain = true;
            let mut utf = false;
            if self.tok.kind == Kind::Punct(Punct::Colon) {
                self.advance();
                plain = false;
                match self.tok.kind {
                    Kind::Integer => {
                        self.advance();
                    }
                    Kind::Placeholder => {
                        self.term()?;
                    }
                    _ => return self.fail(self.error("a size after `:` in a binary")),
                }
            }
            if self.tok.kind == Kind::Punct(Punct::Slash) {
                self.advance();
                loop {
                    let ty = self.expect(Kind::Atom, "a type after `/` in a binary")?;
                    let word = self.text(ty);
                    if matches!(word, b"utf8" | b"utf16" | b"utf32") {
                        utf = true;
                    } else {
                        plain = false;
                    }
                    if self.tok.kind == Kind::Punct(Punct::Colon) {
                        self.advance();
                        self.expect(Kind::Integer, "a unit after `:`")?;
                        plain = false;
                    }
                    if self.tok.kind != Kind::Punct(Punct::Minus) {
                        break;
                    }
                    self.advance();
                }
            }
            if utf {
                for site in &mut self.sites[first_site..] {
                    if let Site::Text { context, .. } = site {
                        *context = Context::BinaryUtf;
                    }
                }
            }
            sole_string = (lone_string && plain && segments == 1).then_some(first_site);
            bytes = match (bytes, value) {
                (Some((mut b, mut o)), Some(n)) if plain && !utf => {
                    b.push(n as u8);
                    o.push(t.start);
                    Some((b, o))
                }
                _ => None,
            };
            match self.tok.kind {
                Kind::Punct(Punct::Comma) => {
                    self.advance();
                }
                Kind::Punct(Punct::GtGt) => break,
                _ => return self.fail(self.error("`,` or `>>` in a binary")),
            }
        }
        let close = self.take();
        let span = open.start..close.end;
        if segments == 1
            && let Some(first) = sole_string
            && let Some(Site::Text { whole, .. }) = self.sites.get_mut(first)
        {
            *whole = Some(span.clone());
        }
        if let Some((bytes, origins)) = bytes
            && self.mode == Mode::Template
            && has_placeholder(&bytes)
        {
            self.sites.push(Site::Bytes {
                span,
                bytes,
                origins,
            });
        }
        Some(())
    }
}

/// The value of a plain decimal integer literal that could be a character.
fn small(text: &[u8]) -> Option<u32> {
    if text.len() > 7 {
        return None;
    }
    text.iter().try_fold(0u32, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(src: &str) -> Vec<Site> {
        let mut found = Vec::new();
        parse_template(src.as_bytes(), &mut |s| found.push(s)).unwrap();
        found
    }

    fn error(src: &str) -> String {
        parse_template(src.as_bytes(), &mut |_| {})
            .unwrap_err()
            .message
    }

    #[test]
    fn real_config_shapes_parse() {
        let src = r#"
%% comment ${NOT_A_PLACEHOLDER}
[{kernel, [{logger, [{handler, default, logger_std_h,
   #{filters => [{no_sasl, {fun logger_filters:domain/2, {stop, super, [otp, sasl]}}}],
     level => -1, ratio => 1.5e3, mask => 16#C00053, big => 300_000}}]}]},
 {app, [<<"bin">>, <<1,2,3>>, <<"x"/utf8, 0:8>>, $a, 'quoted', "a" "b", [a|b], {}]}].
"#;
        assert!(sites(src).is_empty());
    }

    #[test]
    fn sites_are_found_in_every_context() {
        let src = r#"[{a, "x${A}"}, {b, <<"${B}">>}, {c, '${C}'}, {d, ${D}},
 {e, <<36,123,69,125>>}, {f, [36,123,70,125]}, {g, <<"${G}"/utf8>>}, {h, "1" "${H}"}]."#;
        let found = sites(src);
        assert_eq!(found.len(), 8);
        assert!(matches!(
            &found[0],
            Site::Text {
                context: Context::Charlist,
                whole: Some(_),
                ..
            }
        ));
        assert!(matches!(
            &found[1],
            Site::Text {
                context: Context::Binary,
                whole: Some(_),
                ..
            }
        ));
        assert!(matches!(
            &found[2],
            Site::Text {
                context: Context::Atom,
                ..
            }
        ));
        assert!(matches!(&found[3], Site::Bare { .. }));
        assert!(matches!(&found[4], Site::Bytes { bytes, .. } if bytes == b"${E}"));
        assert!(matches!(&found[5], Site::Codes { text, .. } if text == b"${F}"));
        assert!(matches!(
            &found[6],
            Site::Text {
                context: Context::BinaryUtf,
                whole: Some(_),
                ..
            }
        ));
        assert!(matches!(&found[7], Site::Text { whole: None, .. }));
    }

    #[test]
    fn invalid_files_say_what_was_expected() {
        assert!(error("[a, b,].").contains("expected a term, found `]`"));
        assert!(error("{a}. {b}.").contains("exactly one term"));
        assert!(error("%% only a comment\n").contains("holds no term"));
        assert!(error("[{port, @PORT@}].").contains("found `@`"));
        assert!(error("[{a, X}].").contains("variables are not allowed"));
        assert!(error("[{a, end}].").contains("reserved word"));
        assert!(error("[a]").contains("`.` after the term"));
    }

    #[test]
    fn output_errors_describe_nothing_they_found() {
        let e = check_output(b"[{a, secret}  x].").unwrap_err();
        assert!(!e.message.contains("secret") && !e.message.contains("found"));
    }

    #[test]
    fn term_runs_must_balance() {
        assert!(check_term_run(b"1,2,{3}").is_ok());
        assert!(check_term_run(b"1}, {injected, 2").is_err());
        assert!(check_term_run(b"").is_err());
        assert!(check_term_run(b"1 % hidden").is_err());
        assert!(check_term_run(b"\"50%\"").is_ok());
    }

    #[test]
    fn deep_nesting_needs_no_stack() {
        let n = 100_000;
        let deep = "[{".repeat(n) + "${X}" + &"}]".repeat(n) + ".";
        assert_eq!(sites(&deep).len(), 1);
    }
}
