//! The shape of a config file: exactly one term ending in `.`, and the places
//! in it where placeholders may stand.
//!
//! The parser checks what `file:consult` would accept for a sys.config and, on
//! the way, hands [`Site`]s to a sink as each is complete, in source order:
//! literals that hold `${`, byte lists and integer lists that spell a
//! placeholder (as `mix release` writes strings), bare placeholders, and the
//! strings of the top-level list. It builds no tree; the renderer only needs
//! the sites, and copies everything else verbatim.

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

/// Parses a whole template, handing each site to `sink` as soon as it is
/// complete, in source order; nothing is kept, so memory does not grow with
/// the number of placeholders. On an error, the sites before it were handed out.
pub fn parse_template(src: &[u8], sink: &mut dyn FnMut(Site)) -> Result<(), Problem> {
    Parser::new(src, Mode::Template, sink).file()
}

/// Checks that rendered output is still one term ending in `.`. The error
/// never describes the text it found, which may be a value.
pub fn check_output(src: &[u8]) -> Result<(), Problem> {
    Parser::new(src, Mode::Output, &mut |_| {}).file()
}

/// Checks that `src` is Erlang term text whose brackets balance: one term, or
/// several separated by commas, with no comment and nothing else. The message
/// never describes the text.
pub fn check_term_run(src: &[u8]) -> Result<(), String> {
    if has_comment(src) {
        return Err("it holds a `%` comment, which would hide the text after it".into());
    }
    let mut ignore = |_| {};
    let mut p = Parser::new(src, Mode::Output, &mut ignore);
    loop {
        p.term().map_err(|e| e.message)?;
        match p.tok.kind {
            Kind::Punct(Punct::Comma) => p.advance(),
            Kind::End => return Ok(()),
            _ => return Err(p.error("`,` or the end after a term").message),
        }
    }
}

/// When a template does not parse, the markup of another template tool
/// outside strings and comments, up to the offset of the syntax error:
/// `{{name}}` (mustache, as rebar overlays write) or `@NAME@` (autoconf).
/// Such a file was written for that tool, and the problem says so.
pub fn foreign_markup(src: &[u8], until: usize) -> Option<Problem> {
    let mut lx = Lexer::new(src, true);
    loop {
        let t = lx.next_token();
        if t.start > until || matches!(t.kind, Kind::End | Kind::Error) {
            return None;
        }
        if let Some(len) = markup_len(&src[t.start..]) {
            let markup = String::from_utf8_lossy(&src[t.start..t.start + len]);
            return Some(Problem::new(
                t.start,
                format!(
                    "`{markup}` looks like the markup of another template tool; \
                     launch fills ${{NAME}} placeholders only"
                ),
            ));
        }
    }
}

/// The length of `{{name}}` or `@NAME@` at the start of `text`.
fn markup_len(text: &[u8]) -> Option<usize> {
    let name_len = |from: usize| {
        text[from..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count()
    };
    if text.starts_with(b"{{") {
        let blank = |from: usize| text[from..].iter().take_while(|&&b| b == b' ').count();
        let start = 2 + blank(2);
        let end = start + name_len(start);
        let end = end + blank(end);
        return (end > start && text[end..].starts_with(b"}}")).then_some(end + 2);
    }
    if text.starts_with(b"@") {
        let end = 1 + name_len(1);
        return (end > 1 && text.get(end) == Some(&b'@')).then_some(end + 1);
    }
    None
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
#[derive(Clone, Copy)]
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
    List(List),
}

/// A list being read.
struct List {
    /// Where its `[` is.
    open: usize,
    /// The characters so far, with the offset each came from, while every
    /// element is a plain integer.
    codes: Option<(String, Vec<usize>)>,
    /// After `|`: only the tail and `]` may follow.
    tail: bool,
    /// Where the current element starts.
    at: usize,
}

/// What follows an element of a container.
enum Step {
    /// Another element.
    Element,
    /// The container closed; its closing token ends here.
    Close(usize),
}

/// One segment of a binary, as the binary needs to know it.
struct Segment {
    /// Where it starts.
    start: usize,
    /// Its value when it is a plain byte: an integer 0..=255 with no size or type.
    byte: Option<u8>,
    /// It is one string literal (not several joined).
    lone_string: bool,
    /// It has no size and no type but a UTF one.
    plain: bool,
    /// Its type is utf8, utf16 or utf32.
    utf: bool,
}

struct Parser<'s, 'k> {
    src: &'s [u8],
    lx: Lexer<'s>,
    tok: Token,
    mode: Mode,
    /// Sites found but not yet complete (a string that may be followed by
    /// another, a binary not yet closed).
    pending: Vec<Site>,
    sink: &'k mut dyn FnMut(Site),
}

/// Words the Erlang parser reserves; an atom spelled so must be quoted.
fn is_reserved(word: &[u8]) -> bool {
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
            pending: Vec::new(),
            sink,
        }
    }

    /// Moves to the next token. A lexical error is a [`Kind::Error`] token,
    /// which no rule accepts: [`Parser::error`] reports it where it stands.
    fn advance(&mut self) {
        self.tok = self.lx.next_token();
    }

    /// The current token, moving past it.
    fn take(&mut self) -> Token {
        let t = self.tok;
        self.advance();
        t
    }

    fn text(&self, t: Token) -> &'s [u8] {
        &self.src[t.start..t.end]
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

    fn expect(&mut self, kind: Kind, expected: &str) -> Result<Token, Problem> {
        if self.tok.kind == kind {
            Ok(self.take())
        } else {
            Err(self.error(expected))
        }
    }

    fn file(&mut self) -> Result<(), Problem> {
        if self.tok.kind == Kind::End {
            return Err(Problem::new(
                0,
                "the file holds no term; a config file is one term ending in `.`",
            ));
        }
        self.term()?;
        match self.tok.kind {
            Kind::Dot => self.advance(),
            // A `.` right before more text is an operator, not the end.
            Kind::Punct(Punct::Other) if self.text(self.tok) == b"." => {
                return Err(Problem::new(
                    self.tok.start,
                    "the `.` that ends the term must be followed by white space, \
                     a comment or the end of the file",
                ));
            }
            _ => return Err(self.error("`.` after the term")),
        }
        match self.tok.kind {
            Kind::End => Ok(()),
            Kind::Error => Err(self.error("the end of the file")),
            _ => Err(Problem::new(
                self.tok.start,
                "a config file is exactly one term ending in `.`, but more follows",
            )),
        }
    }

    /// One term. Containers are tracked on an explicit stack rather than by
    /// recursion, so nesting is bounded by memory, not by the thread's stack.
    fn term(&mut self) -> Result<Shape, Problem> {
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            let Some(mut shape) = self.start_term(&mut stack)? else {
                // A container opened: its first element comes next.
                continue;
            };
            // The end of a term: carry on in the container around it, closing
            // as many containers as end here.
            loop {
                let Some(frame) = stack.last_mut() else {
                    return Ok(shape);
                };
                match self.after_element(frame, shape)? {
                    Step::Element => break,
                    Step::Close(end) => {
                        if let Some(Frame::List(list)) = stack.pop() {
                            self.codes_site(list.open..end, list.codes);
                        }
                        shape = Shape::Other;
                    }
                }
            }
        }
    }

    /// Reads the start of a term: a whole term when it is simple or an empty
    /// container, else opens the container on `stack` and returns `None`.
    fn start_term(&mut self, stack: &mut Vec<Frame>) -> Result<Option<Shape>, Problem> {
        let (opened, close) = match self.tok.kind {
            Kind::Punct(Punct::LBrace) => {
                self.advance();
                (Frame::Tuple, Punct::RBrace)
            }
            Kind::Punct(Punct::LBracket) => {
                let open = self.take().start;
                let list = List {
                    open,
                    codes: Some((String::new(), Vec::new())),
                    tail: false,
                    at: self.tok.start,
                };
                (Frame::List(list), Punct::RBracket)
            }
            Kind::Punct(Punct::Hash) => {
                self.advance();
                self.expect(Kind::Punct(Punct::LBrace), "`{` after `#` (a map)")?;
                (Frame::Map { value: false }, Punct::RBrace)
            }
            _ => {
                let in_top_list = matches!(stack.as_slice(), [Frame::List(_)]);
                let shape = self.simple_term(in_top_list)?;
                self.hand_out();
                return Ok(Some(shape));
            }
        };
        if self.tok.kind == Kind::Punct(close) {
            self.advance();
            return Ok(Some(Shape::Other));
        }
        stack.push(opened);
        Ok(None)
    }

    /// After an element of `frame`, whose shape is `shape`: a separator, or
    /// the container's end.
    fn after_element(&mut self, frame: &mut Frame, shape: Shape) -> Result<Step, Problem> {
        let kind = self.tok.kind;
        match frame {
            Frame::Tuple => match kind {
                Kind::Punct(Punct::Comma) => {
                    self.advance();
                    Ok(Step::Element)
                }
                Kind::Punct(Punct::RBrace) => Ok(Step::Close(self.take().end)),
                _ => Err(self.error("`,` or `}` in a tuple")),
            },
            Frame::Map { value } => match (kind, *value) {
                (Kind::Punct(Punct::Arrow), false) | (Kind::Punct(Punct::Comma), true) => {
                    *value = !*value;
                    self.advance();
                    Ok(Step::Element)
                }
                (_, false) => Err(self.error("`=>` in a map")),
                (Kind::Punct(Punct::RBrace), true) => Ok(Step::Close(self.take().end)),
                (_, true) => Err(self.error("`,` or `}` in a map")),
            },
            Frame::List(list) => {
                list.codes = match (list.codes.take(), shape, list.tail) {
                    (Some((mut text, mut origins)), Shape::Small(n), false) => char::from_u32(n)
                        .map(|c| {
                            text.push(c);
                            origins.resize(text.len(), list.at);
                            (text, origins)
                        }),
                    _ => None,
                };
                match (kind, list.tail) {
                    (Kind::Punct(Punct::Comma), false) => {
                        self.advance();
                        list.at = self.tok.start;
                        Ok(Step::Element)
                    }
                    (Kind::Punct(Punct::Bar), false) => {
                        self.advance();
                        list.tail = true;
                        list.codes = None;
                        Ok(Step::Element)
                    }
                    (Kind::Punct(Punct::RBracket), _) => Ok(Step::Close(self.take().end)),
                    (_, false) => Err(self.error("`,`, `|` or `]` in a list")),
                    (_, true) => Err(self.error("`]` after the tail of a list")),
                }
            }
        }
    }

    /// Hands the complete sites to the sink.
    fn hand_out(&mut self) {
        for site in self.pending.drain(..) {
            (self.sink)(site);
        }
    }

    /// Records an integer list that spells a placeholder.
    fn codes_site(&mut self, span: Range<usize>, codes: Option<(String, Vec<usize>)>) {
        if let Some((text, origins)) = codes
            && self.mode == Mode::Template
            && has_placeholder(text.as_bytes())
        {
            self.pending.push(Site::Codes {
                span,
                text: text.into_bytes(),
                origins,
            });
            self.hand_out();
        }
    }

    /// A term that is not a tuple, list or map. A lone string in the
    /// top-level list is also recorded as a [`Site::TopString`].
    fn simple_term(&mut self, in_top_list: bool) -> Result<Shape, Problem> {
        let t = self.tok;
        let span = t.start..t.end;
        match t.kind {
            Kind::Atom if self.text(t) == b"fun" => {
                self.advance();
                self.external_fun()?;
            }
            Kind::Atom if is_reserved(self.text(t)) => return Err(self.reserved(t)),
            Kind::Atom | Kind::Char | Kind::Float => self.advance(),
            Kind::Integer => {
                self.advance();
                return Ok(small(self.text(t)).map_or(Shape::Other, Shape::Small));
            }
            Kind::QuotedAtom => {
                self.advance();
                self.text_site(t, Context::Atom, Some(span));
            }
            Kind::String => {
                let first_site = self.pending.len();
                let lone = self.strings(Context::Charlist) == 1;
                if in_top_list && lone && self.mode == Mode::Template {
                    self.pending.insert(first_site, Site::TopString { span });
                }
            }
            Kind::Placeholder => {
                self.advance();
                self.pending.push(Site::Bare { span });
            }
            Kind::EscapedDollar => {
                self.advance();
                self.pending.push(Site::Escape { span });
            }
            Kind::Punct(Punct::Minus | Punct::Plus) => {
                self.advance();
                if !matches!(self.tok.kind, Kind::Integer | Kind::Float) {
                    return Err(self.error("a number after the sign"));
                }
                self.advance();
            }
            Kind::Punct(Punct::LtLt) => self.binary()?,
            Kind::Variable if self.mode == Mode::Template => {
                return Err(Problem::new(
                    t.start,
                    format!(
                        "{} cannot stand in a config term (variables are not allowed; \
                         a placeholder is written ${{NAME}})",
                        self.describe(t)
                    ),
                ));
            }
            _ => return Err(self.error("a term")),
        }
        Ok(Shape::Other)
    }

    /// A reserved word where an atom stands, which erl refuses unquoted. In
    /// rendered output the word may come from a value, so it is not named.
    fn reserved(&self, t: Token) -> Problem {
        let message = match self.mode {
            Mode::Template => format!(
                "`{}` is a reserved word; quote it to use it as an atom",
                String::from_utf8_lossy(self.text(t))
            ),
            Mode::Output => "a reserved word stands where an atom would need quotes".into(),
        };
        Problem::new(t.start, message)
    }

    /// Adjacent string literals, which Erlang joins into one; each holding
    /// `${` becomes a site, and a lone charlist literal is the whole of its
    /// term. Returns how many literals there were.
    fn strings(&mut self, context: Context) -> usize {
        let first_site = self.pending.len();
        let mut count = 0;
        let mut first = 0..0;
        while self.tok.kind == Kind::String {
            let t = self.take();
            if count == 0 {
                first = t.start..t.end;
            }
            self.text_site(t, context, None);
            count += 1;
        }
        if count == 1
            && context == Context::Charlist
            && let Some(Site::Text { whole, .. }) = self.pending.get_mut(first_site)
        {
            *whole = Some(first);
        }
        count
    }

    /// Records the inside of the string or quoted atom `t` when it holds `${`.
    fn text_site(&mut self, t: Token, context: Context, whole: Option<Range<usize>>) {
        let content = t.start + 1..t.end - 1;
        if self.mode == Mode::Template && has_placeholder(&self.src[content.clone()]) {
            self.pending.push(Site::Text {
                content,
                context,
                whole,
            });
        }
    }

    /// `fun M:F/A`, after the `fun`.
    fn external_fun(&mut self) -> Result<(), Problem> {
        self.fun_name("a module name")?;
        self.expect(Kind::Punct(Punct::Colon), "`:` in `fun M:F/A`")?;
        self.fun_name("a function name")?;
        self.expect(Kind::Punct(Punct::Slash), "`/` in `fun M:F/A`")?;
        self.expect(Kind::Integer, "an arity in `fun M:F/A`")?;
        Ok(())
    }

    /// The module or function name of `fun M:F/A`: an atom, maybe quoted.
    fn fun_name(&mut self, expected: &str) -> Result<(), Problem> {
        let t = self.tok;
        match t.kind {
            Kind::Atom => self.advance(),
            Kind::QuotedAtom => {
                self.advance();
                self.text_site(t, Context::Atom, None);
            }
            _ => return Err(self.error(expected)),
        }
        Ok(())
    }

    /// `<<...>>`: segments separated by commas. A binary of one lone string
    /// segment is the whole of its term; one whose segments are all plain
    /// bytes may spell a placeholder (a [`Site::Bytes`]).
    fn binary(&mut self) -> Result<(), Problem> {
        let open = self.take().start;
        if self.tok.kind == Kind::Punct(Punct::GtGt) {
            self.advance();
            return Ok(());
        }
        let mut bytes: Option<(Vec<u8>, Vec<usize>)> = Some((Vec::new(), Vec::new()));
        let mut count = 0;
        // The text site of a lone string that is the only segment.
        let mut sole_string = None;
        loop {
            count += 1;
            let first_site = self.pending.len();
            let segment = self.segment()?;
            if segment.utf {
                for site in &mut self.pending[first_site..] {
                    if let Site::Text { context, .. } = site {
                        *context = Context::BinaryUtf;
                    }
                }
            }
            if count == 1 && segment.lone_string && segment.plain {
                sole_string = Some(first_site);
            }
            bytes = match (bytes, segment.byte) {
                (Some((mut b, mut o)), Some(n)) => {
                    b.push(n);
                    o.push(segment.start);
                    Some((b, o))
                }
                _ => None,
            };
            match self.tok.kind {
                Kind::Punct(Punct::Comma) => self.advance(),
                Kind::Punct(Punct::GtGt) => break,
                _ => return Err(self.error("`,` or `>>` in a binary")),
            }
        }
        let span = open..self.take().end;
        if count == 1
            && let Some(first) = sole_string
            && let Some(Site::Text { whole, .. }) = self.pending.get_mut(first)
        {
            *whole = Some(span.clone());
        }
        if let Some((bytes, origins)) = bytes
            && self.mode == Mode::Template
            && has_placeholder(&bytes)
        {
            self.pending.push(Site::Bytes {
                span,
                bytes,
                origins,
            });
        }
        Ok(())
    }

    /// One segment of a binary: a string or a number, then an optional
    /// `:Size` and `/Type` (types joined by `-`, each with an optional `:Unit`).
    fn segment(&mut self) -> Result<Segment, Problem> {
        let t = self.tok;
        let mut value = None;
        let mut lone_string = false;
        match t.kind {
            Kind::String => lone_string = self.strings(Context::Binary) == 1,
            Kind::Integer => {
                self.advance();
                value = small(self.text(t)).and_then(|n| u8::try_from(n).ok());
            }
            Kind::Char | Kind::Float | Kind::Placeholder | Kind::Punct(Punct::Minus) => {
                self.simple_term(false)?;
            }
            _ => return Err(self.error("a string or a number in a binary")),
        }
        let mut plain = true;
        if self.tok.kind == Kind::Punct(Punct::Colon) {
            self.advance();
            plain = false;
            match self.tok.kind {
                Kind::Integer => self.advance(),
                Kind::Placeholder => {
                    self.simple_term(false)?;
                }
                _ => return Err(self.error("a size after `:` in a binary")),
            }
        }
        let mut utf = false;
        if self.tok.kind == Kind::Punct(Punct::Slash) {
            self.advance();
            loop {
                let ty = self.expect(Kind::Atom, "a type after `/` in a binary")?;
                if matches!(self.text(ty), b"utf8" | b"utf16" | b"utf32") {
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
        Ok(Segment {
            start: t.start,
            byte: value.filter(|_| plain && !utf),
            lone_string,
            plain,
            utf,
        })
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
