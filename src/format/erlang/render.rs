//! Rendering an Erlang term file: each site's placeholders are resolved and
//! written for the literal they stand in; every other byte is copied as it was.
//! When term text was inserted the result is parsed again, and a file that no
//! longer parses is an error at the placeholder that broke it.

use std::ops::Range;

use super::escape::{decode, decode_utf8, escape_bytes, escape_chars};
use super::lexer::{Kind, Lexer};
use super::parse::{Context, Site, check_output, check_term_run, foreign_markup, parse_template};
use crate::diag::Problem;
use crate::format::{Listing, Rendering, TopString, over_limit};
use crate::placeholder::{Part, Placeholder, Template, has_placeholder, scan, scan_into};
use crate::resolve::{Piece, Resolved, Resolver};
use crate::types::{Checked, Type};

/// Renders an Erlang term file.
pub fn render(src: &[u8], resolver: &Resolver<'_>) -> Result<Rendering, Vec<Problem>> {
    let mut renderer = Renderer {
        src,
        resolver,
        // Room for values longer than their placeholders, so that the
        // output seldom moves as it grows; pages never written cost nothing.
        out: Vec::with_capacity(src.len() * 2),
        cursor: 0,
        problems: Vec::new(),
        placed: Vec::new(),
        tops: Vec::new(),
        placeholders: 0,
        full: false,
        parts: Vec::new(),
    };
    // Sites are rendered as the parser finds them, straight into the
    // output, so nothing but the output grows with the file.
    if let Err(syntax) = parse_template(src, &mut |site| renderer.site(site)) {
        let markup = foreign_markup(src, syntax.at);
        renderer.problems.push(syntax);
        renderer.problems.extend(markup);
    }
    renderer.finish()
}

/// Every placeholder of a term file, and the strings of its top-level list
/// whose text holds none.
pub fn list(src: &[u8]) -> Result<Listing, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut found = Vec::new();
    let mut top_strings = Vec::new();
    let parsed = parse_template(src, &mut |site| {
        if let Site::TopString { span } = &site {
            let inside = &src[span.start + 1..span.end - 1];
            if !has_placeholder(inside) {
                top_strings.push(TopString {
                    at: span.start,
                    name: String::from_utf8_lossy(&decode_utf8(inside)).into_owned(),
                    from_values: false,
                    assumed: false,
                    rendered: None,
                });
            }
            return;
        }
        let Some((text, origin)) = site_text(src, &site) else {
            return;
        };
        let context_type = match site {
            Site::Bare { .. } => Type::Term,
            _ => Type::String,
        };
        let mut local = Vec::new();
        let template = scan(text, matches!(site, Site::Text { .. }), &mut local);
        crate::format::collect(&template, context_type, &|at| origin.locate(at), &mut found);
        origin.relocate(local, &mut problems);
    });
    if let Err(syntax) = parsed {
        let markup = foreign_markup(src, syntax.at);
        problems.push(syntax);
        problems.extend(markup);
    }
    if problems.is_empty() {
        Ok(Listing { found, top_strings })
    } else {
        Err(problems)
    }
}

/// The state of one render: the output so far, and what was learnt on the way.
struct Renderer<'s, 'r, 'e> {
    src: &'s [u8],
    resolver: &'r Resolver<'e>,
    out: Vec<u8>,
    /// The template before this offset is in `out`.
    cursor: usize,
    problems: Vec<Problem>,
    /// Where term text was inserted, to blame a break on.
    placed: Vec<Placed>,
    /// Top-level strings, in order.
    tops: Vec<Top>,
    /// How many placeholders the sites held.
    placeholders: usize,
    /// The output passed [`crate::format::MAX_OUTPUT`]: no more sites are
    /// rendered.
    full: bool,
    /// The list of parts lent to each site whose text is the template's.
    parts: Vec<Part<'s>>,
}

/// A string of the top-level list, as the renderer finds it.
struct Top {
    /// Its span in the template.
    span: Range<usize>,
    /// Where it starts in the output.
    out_at: usize,
    /// A value written into it is the stand-in of an assumed variable.
    assumed: bool,
}

/// Where a substitution of term text landed in the output, to blame a break on it.
struct Placed {
    /// Offset in the output.
    out_at: usize,
    /// File offset and name of the first placeholder behind it.
    blame: (usize, String),
}

/// A site's replacement: the span of the source it replaces, and whether it
/// inserted Erlang term text as written (which alone can change the file's
/// structure; every other replacement is one complete literal or escaped text
/// inside one).
struct Replaced {
    span: Range<usize>,
    term_text: bool,
}

/// A site's replacement as the renderer keeps it.
struct Written {
    replaced: Replaced,
    /// The file offset of the site's first placeholder.
    first: usize,
    /// For term text: the file offset and name of the placeholder to blame
    /// should the file break.
    blame: Option<(usize, String)>,
}

impl Renderer<'_, '_, '_> {
    /// Renders one site: the template up to it is copied, then its
    /// replacement written. A site with a problem goes on as template text,
    /// though the output will not be used.
    fn site(&mut self, site: Site) {
        if self.full {
            return;
        }
        let from = match &site {
            Site::TopString { span } => {
                // Its output position: the bytes up to it are copied unchanged.
                let out_at = self.out.len() + (span.start - self.cursor);
                self.tops.push(Top {
                    span: span.clone(),
                    out_at,
                    assumed: false,
                });
                return;
            }
            // A text site whose placeholder replaces the whole literal takes
            // the literal's opening back off the output.
            Site::Text { content, .. } => content.start,
            Site::Bare { span } | Site::Bytes { span, .. } | Site::Codes { span, .. } => span.start,
            Site::Escape { span } => span.start,
        };
        self.out.extend_from_slice(&self.src[self.cursor..from]);
        let mark = self.out.len();
        match self.replace(&site) {
            Some(Written {
                replaced,
                first,
                blame,
            }) => {
                self.full = over_limit(self.out.len(), first, &mut self.problems);
                if let (true, Some(blame)) = (replaced.term_text, blame) {
                    self.placed.push(Placed {
                        out_at: mark - (from - replaced.span.start),
                        blame,
                    });
                }
                self.cursor = replaced.span.end;
            }
            None => {
                self.out.truncate(mark);
                self.cursor = from;
            }
        }
    }

    /// Writes the replacement of `site` onto the output; returns what it
    /// replaced, the file offset of its first placeholder and, for term
    /// text, whom to blame should the file break.
    fn replace(&mut self, site: &Site) -> Option<Written> {
        let src = self.src;
        match site {
            Site::Escape { span } => {
                self.out.extend_from_slice(b"${");
                let replaced = Replaced {
                    span: span.clone(),
                    term_text: false,
                };
                Some(Written {
                    replaced,
                    first: span.start,
                    blame: None,
                })
            }
            Site::Text { content: span, .. } | Site::Bare { span } => {
                // The text is the template's own: one list of parts is lent
                // from each such site to the next.
                let lent = std::mem::take(&mut self.parts);
                let mut local = Vec::new();
                let escapes = matches!(site, Site::Text { .. });
                let template = scan_into(&src[span.clone()], escapes, &mut local, lent);
                let written = self.render_scanned(site, &template, Origin::At(span.start), local);
                self.parts = template.parts;
                written
            }
            Site::Bytes {
                bytes: text,
                origins,
                ..
            }
            | Site::Codes { text, origins, .. } => {
                let mut local = Vec::new();
                let template = scan(text, false, &mut local);
                self.render_scanned(site, &template, Origin::Table(origins), local)
            }
            Site::TopString { .. } => None,
        }
    }

    /// Writes the replacement of `site`, whose text was scanned into
    /// `template`; `local` holds the problems found so far, at offsets of
    /// that text.
    fn render_scanned(
        &mut self,
        site: &Site,
        template: &Template<'_>,
        origin: Origin<'_>,
        mut local: Vec<Problem>,
    ) -> Option<Written> {
        self.placeholders += template.count();
        let result = match site {
            Site::Text {
                content,
                context,
                whole,
            } => self.render_text(template, *context, whole.as_ref(), content, &mut local),
            Site::Bare { span } => template.sole_placeholder().and_then(|p| {
                let r = self
                    .resolver
                    .resolve(p, Type::Term, &identity, &mut local)?;
                let logical = r.logical(&identity);
                let term_text = term_text(&r, &logical, p, &mut local, &mut self.out)?;
                Some(Replaced {
                    span: span.clone(),
                    term_text,
                })
            }),
            Site::Bytes { span, .. } => self.render_decoded(template, false, span, &mut local),
            Site::Codes { span, .. } => self.render_decoded(template, true, span, &mut local),
            Site::Escape { .. } | Site::TopString { .. } => None,
        };
        let first = first_placeholder(template);
        let at = first.map_or(0, |p| origin.locate(p.start));
        let blame = first
            .filter(|_| result.as_ref().is_some_and(|r| r.term_text))
            .map(|p| (at, p.name.to_owned()));
        origin.relocate(local, &mut self.problems);
        result.map(|replaced| Written {
            replaced,
            first: at,
            blame,
        })
    }

    /// Renders the inside of a literal, or the term that replaces the whole
    /// literal when a typed placeholder fills it.
    fn render_text(
        &mut self,
        template: &Template<'_>,
        context: Context,
        whole: Option<&Range<usize>>,
        content: &Range<usize>,
        problems: &mut Vec<Problem>,
    ) -> Option<Replaced> {
        let (resolver, out) = (self.resolver, &mut self.out);
        let decode_text: &dyn Fn(&[u8]) -> Vec<u8> = match context {
            Context::Binary => &decode_bytes,
            _ => &decode_utf8,
        };
        if let (Some(whole), Some(p)) = (whole, template.sole_placeholder())
            && resolver
                .declared_type(p)
                .is_some_and(|ty| converts(ty, context))
        {
            let r = resolver.resolve(p, Type::String, decode_text, problems)?;
            let at = out.len();
            let term_text = term_text(&r, &r.logical(decode_text), p, problems, out)?;
            // The term replaces the literal's opening too, which came before it.
            out.drain(at - (content.start - whole.start)..at);
            return Some(Replaced {
                span: whole.clone(),
                term_text,
            });
        }
        let start = out.len();
        let mut ok = true;
        for part in &template.parts {
            match part {
                Part::Text(t) => out.extend_from_slice(t),
                Part::Placeholder(p) => {
                    let Some(r) = resolver.resolve(p, Type::String, decode_text, problems) else {
                        ok = false;
                        continue;
                    };
                    // A top-level string's text site comes right after it.
                    if r.assumed
                        && let Some(top) = self.tops.last_mut()
                        && top.span.start + 1 == content.start
                    {
                        top.assumed = true;
                    }
                    if let Checked::Canonical(c) = &r.checked {
                        out.extend_from_slice(c.as_bytes());
                        continue;
                    }
                    for piece in r.pieces.as_slice() {
                        match piece {
                            Piece::Template(t) => out.extend_from_slice(t),
                            Piece::Value(v) => {
                                ok &= write_value(v, context, p, out, problems);
                            }
                        }
                    }
                    if over_limit(out.len(), p.start, problems) {
                        self.full = true;
                        return None;
                    }
                }
            }
        }
        if ok && context == Context::Atom {
            let chars = decode(&out[start..]).len();
            if chars > crate::types::MAX_ATOM_CHARS
                && let Some(p) = first_placeholder(template)
            {
                problems.push(Problem::new(
                    p.start,
                    format!(
                        "the atom holds {chars} characters after substituting {}; at most {} are allowed",
                        p.name,
                        crate::types::MAX_ATOM_CHARS
                    ),
                ));
                ok = false;
            }
        }
        ok.then(|| Replaced {
            span: content.clone(),
            term_text: false,
        })
    }

    /// A binary written as bytes, or an integer list: decoded text re-emitted as a
    /// binary (`<<"...">>`) or a charlist (`"..."`) literal.
    fn render_decoded(
        &mut self,
        template: &Template<'_>,
        chars: bool,
        span: &Range<usize>,
        problems: &mut Vec<Problem>,
    ) -> Option<Replaced> {
        let (resolver, out) = (self.resolver, &mut self.out);
        let context = if chars {
            Context::Charlist
        } else {
            Context::Binary
        };
        if let Some(p) = template.sole_placeholder()
            && resolver
                .declared_type(p)
                .is_some_and(|ty| converts(ty, context))
        {
            let r = resolver.resolve(p, Type::String, &identity, problems)?;
            let term_text = term_text(&r, &r.logical(&identity), p, problems, out)?;
            return Some(Replaced {
                span: span.clone(),
                term_text,
            });
        }
        let mut value = Vec::new();
        let mut ok = true;
        for part in &template.parts {
            match part {
                Part::Text(t) => value.extend_from_slice(t),
                Part::Placeholder(p) => {
                    match resolver.resolve(p, Type::String, &identity, problems) {
                        Some(r) => match r.checked {
                            Checked::Canonical(c) => value.extend_from_slice(c.as_bytes()),
                            Checked::AsIs => value.extend(r.logical(&identity)),
                        },
                        None => ok = false,
                    }
                    if over_limit(out.len() + value.len(), p.start, problems) {
                        self.full = true;
                        return None;
                    }
                }
            }
        }
        if !ok {
            return None;
        }
        if chars {
            let Ok(text) = std::str::from_utf8(&value) else {
                problems.push(not_utf8(first_placeholder(template)?, context));
                return None;
            };
            if unspellable(text) {
                // A list of integers is how mix wrote it, and erl reads any.
                let codes: Vec<String> = text.chars().map(|c| (c as u32).to_string()).collect();
                out.push(b'[');
                out.extend_from_slice(codes.join(",").as_bytes());
                out.push(b']');
            } else {
                out.push(b'"');
                escape_chars(text, b'"', out);
                out.push(b'"');
            }
        } else {
            out.extend_from_slice(b"<<\"");
            escape_bytes(&value, b'"', out);
            out.extend_from_slice(b"\">>");
        }
        Some(Replaced {
            span: span.clone(),
            term_text: false,
        })
    }

    /// The rendered file, once every site is written; or every problem.
    fn finish(mut self) -> Result<Rendering, Vec<Problem>> {
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        self.out.extend_from_slice(&self.src[self.cursor..]);
        // Escaped text inside a literal, and a literal or number in place of
        // a literal, cannot change the structure of the file; term text can.
        // Only then is the whole output parsed again, and a break is blamed
        // on the last term text before it.
        if !self.placed.is_empty()
            && let Err(p) = check_output(&self.out)
        {
            let (at, name) = self
                .placed
                .iter()
                .rev()
                .find(|pl| pl.out_at <= p.at)
                .or(self.placed.first())
                .map(|pl| pl.blame.clone())
                .unwrap_or_default();
            return Err(vec![Problem::new(
                at,
                format!(
                    "the file no longer parses after substituting {name}: {}",
                    p.message
                ),
            )]);
        }
        // A typed placeholder may have made the string another term (a
        // number, an atom), which names no file.
        let top_strings = self
            .tops
            .iter()
            .filter_map(|top| {
                let (span, out_at) = (&top.span, top.out_at);
                let t = Lexer::new(&self.out[out_at..], false).next_token();
                if t.kind != Kind::String {
                    return None;
                }
                let rendered = out_at + t.start..out_at + t.end;
                let inside = &self.out[rendered.start + 1..rendered.end - 1];
                Some(TopString {
                    at: span.start,
                    name: String::from_utf8_lossy(&decode_utf8(inside)).into_owned(),
                    from_values: has_placeholder(&self.src[span.start + 1..span.end - 1]),
                    assumed: top.assumed,
                    rendered: Some(rendered),
                })
            })
            .collect();
        Ok(Rendering {
            bytes: self.out,
            top_strings,
            placeholders: self.placeholders,
        })
    }
}

/// Where a site's text came from, to turn its offsets into file offsets.
enum Origin<'a> {
    /// The text is the source from this offset on.
    At(usize),
    /// The text was decoded; each byte's source offset.
    Table(&'a [usize]),
}

impl Origin<'_> {
    fn locate(&self, local: usize) -> usize {
        match self {
            Origin::At(base) => base + local,
            Origin::Table(t) => t.get(local).or(t.last()).copied().unwrap_or(0),
        }
    }

    fn relocate(&self, problems: Vec<Problem>, into: &mut Vec<Problem>) {
        into.extend(problems.into_iter().map(|mut p| {
            p.at = self.locate(p.at);
            p
        }));
    }
}

/// The text of a site in which placeholders are looked for, and where it came from.
fn site_text<'a>(src: &'a [u8], site: &'a Site) -> Option<(&'a [u8], Origin<'a>)> {
    match site {
        Site::Text { content, .. } => Some((&src[content.clone()], Origin::At(content.start))),
        Site::Bare { span } => Some((&src[span.clone()], Origin::At(span.start))),
        Site::Bytes { bytes, origins, .. } => Some((bytes, Origin::Table(origins))),
        Site::Codes { text, origins, .. } => Some((text, Origin::Table(origins))),
        Site::Escape { .. } | Site::TopString { .. } => None,
    }
}

fn first_placeholder<'a, 't>(t: &'a Template<'t>) -> Option<&'a Placeholder<'t>> {
    t.parts.iter().find_map(|p| match p {
        Part::Placeholder(p) => Some(p),
        Part::Text(_) => None,
    })
}

fn identity(b: &[u8]) -> Vec<u8> {
    b.to_vec()
}

/// Template text inside a binary without a UTF type stands for bytes.
fn decode_bytes(b: &[u8]) -> Vec<u8> {
    decode(b)
        .into_iter()
        .flat_map(|c| match char::from_u32(c) {
            Some(ch) if c > 255 => ch.to_string().into_bytes(),
            _ => vec![c as u8],
        })
        .collect()
}

/// True when a typed placeholder filling a whole literal of this context
/// replaces the literal with a term of another kind.
fn converts(ty: Type, context: Context) -> bool {
    match ty {
        Type::String => false,
        Type::Binary => !matches!(context, Context::Binary | Context::BinaryUtf),
        Type::Charlist => context != Context::Charlist,
        Type::Atom => context != Context::Atom,
        Type::Int | Type::Port | Type::Float | Type::Bool | Type::Term => true,
    }
}

/// Writes a value escaped for the literal it stands in.
fn write_value(
    value: &[u8],
    context: Context,
    p: &Placeholder<'_>,
    out: &mut Vec<u8>,
    problems: &mut Vec<Problem>,
) -> bool {
    let quote = match context {
        Context::Binary => {
            escape_bytes(value, b'"', out);
            return true;
        }
        Context::Atom => b'\'',
        Context::Charlist | Context::BinaryUtf => b'"',
    };
    // Most values are ASCII: their bytes are their characters.
    if value.is_ascii() {
        escape_bytes(value, quote, out);
        return true;
    }
    match std::str::from_utf8(value) {
        Ok(text) if unspellable(text) => {
            problems.push(not_spellable(p));
            false
        }
        Ok(text) => {
            escape_chars(text, quote, out);
            true
        }
        Err(_) => {
            problems.push(not_utf8(p, context));
            false
        }
    }
}

/// True when `text` holds U+FFFE or U+FFFF, which erl_scan refuses in a
/// string or atom, escaped or not (they can only be written as integers).
fn unspellable(text: &str) -> bool {
    !text.is_ascii() && text.contains(['\u{FFFE}', '\u{FFFF}'])
}

fn not_spellable(p: &Placeholder<'_>) -> Problem {
    Problem::new(
        p.start,
        format!(
            "{} holds U+FFFE or U+FFFF, which erl cannot read in a string or atom (a binary without /utf8 takes any bytes)",
            p.name
        ),
    )
}

fn not_utf8(p: &Placeholder<'_>, context: Context) -> Problem {
    let needs = match context {
        Context::Atom => "an atom",
        Context::BinaryUtf => "a /utf8 binary",
        Context::Charlist | Context::Binary => "a charlist",
    };
    Problem::new(
        p.start,
        format!(
            "{} is not valid UTF-8, which {needs} needs (a plain binary takes any bytes)",
            p.name
        ),
    )
}

/// Writes the Erlang term a typed value becomes when it stands alone; returns
/// whether it was term text written as it is.
fn term_text(
    r: &Resolved<'_>,
    logical: &[u8],
    p: &Placeholder<'_>,
    problems: &mut Vec<Problem>,
    out: &mut Vec<u8>,
) -> Option<bool> {
    if let Checked::Canonical(c) = &r.checked {
        out.extend_from_slice(c.as_bytes());
        return Some(false);
    }
    let mut quoted = |quote: u8, context: Context, out: &mut Vec<u8>| {
        let Ok(text) = std::str::from_utf8(logical) else {
            problems.push(not_utf8(p, context));
            return None;
        };
        if unspellable(text) {
            problems.push(not_spellable(p));
            return None;
        }
        out.push(quote);
        escape_chars(text, quote, out);
        out.push(quote);
        Some(false)
    };
    match r.ty {
        Type::Atom => quoted(b'\'', Context::Atom, out),
        Type::String | Type::Charlist => quoted(b'"', Context::Charlist, out),
        Type::Binary => {
            out.extend_from_slice(b"<<\"");
            escape_bytes(logical, b'"', out);
            out.extend_from_slice(b"\">>");
            Some(false)
        }
        Type::Term | Type::Int | Type::Port | Type::Float | Type::Bool => {
            match check_term_run(logical) {
                Ok(()) => {
                    out.extend_from_slice(logical);
                    Some(true)
                }
                Err(why) => {
                    problems.push(Problem::new(
                        p.start,
                        format!("{} is not Erlang term text: {why}", p.name),
                    ));
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::Env;
    use std::collections::HashMap;

    fn render_with(src: &str, vars: &[(&str, &[u8])]) -> Result<String, Vec<String>> {
        let env = Env::from_pairs(vars.iter().map(|(k, v)| (k.to_string(), v.to_vec())));
        let types = HashMap::new();
        let resolver = Resolver::new(&env, &types);
        render(src.as_bytes(), &resolver)
            .map(|r| String::from_utf8(r.bytes).unwrap())
            .map_err(|ps| ps.into_iter().map(|p| p.message).collect())
    }

    #[test]
    fn assumed_variables_render_in_every_place_without_a_problem() {
        // A holds what no place takes: an assumed variable is not read.
        let env = Env::from_pairs([("A".to_string(), b"1}, {x, \x00\n".to_vec())]);
        let types = HashMap::new();
        let assumed = ["A".to_string(), "DIR".to_string()];
        let resolver = Resolver::new(&env, &types).assuming(&assumed);
        let atom = "x".repeat(crate::types::MAX_ATOM_CHARS);
        let src = format!(
            "[\"${{DIR}}/extra.config\", \"plain.config\",\n\
             {{a, \"${{A}}\"}}, {{b, <<\"${{A}}\">>}}, {{c, <<\"${{A}}\"/utf8>>}}, {{d, '${{A}}'}},\n\
             {{e, ${{A}}}}, {{f, [${{A}}]}}, {{g, <<1:${{A}}>>}}, {{h, #{{${{A}} => ${{A}}}}}},\n\
             {{i, \"${{A:port}}\"}}, {{j, <<\"${{A:int}}\">>}}, {{k, '${{A:float}}'}}, {{l, \"${{A:bool}}\"}},\n\
             {{m, \"${{A:atom}}\"}}, {{n, \"${{A:term}}\"}}, {{o, '${{A:binary}}'}}, {{p, <<\"${{A:charlist}}\">>}},\n\
             {{q, <<36,123,65,125>>}}, {{r, [36,123,65,58,112,111,114,116,125]}},\n\
             {{s, \"x${{A:port}}y\"}}, {{t, \"${{UNSET:port:-${{A}}}}\"}}, {{u, '{atom}${{A}}'}}]."
        );
        let rendered = match render(src.as_bytes(), &resolver) {
            Ok(rendered) => rendered,
            Err(problems) => panic!("{problems:?}"),
        };
        let out = String::from_utf8(rendered.bytes).unwrap();
        assert!(out.contains("{e, 0}, {f, [0]}, {g, <<1:0>>}"), "{out}");
        assert!(
            out.contains("{i, 0}, {j, 0}, {k, 0.0}, {l, false}"),
            "{out}"
        );
        assert!(
            out.contains("{t, 0}"),
            "built from A, the default is assumed too: {out}"
        );
        let tops: Vec<(bool, bool)> = rendered
            .top_strings
            .iter()
            .map(|t| (t.from_values, t.assumed))
            .collect();
        assert_eq!(tops, [(true, true), (false, false)]);
        let (needed, unneeded) = resolver.assumed_needed(&assumed);
        assert_eq!((needed, unneeded), (vec!["A", "DIR"], vec![]));
    }

    #[test]
    fn untouched_bytes_are_kept() {
        let src = "%% header ${X}\n[{a,  \"x${V}y\" }, %% ${Y}\n {b, <<\"${V}\"/utf8>>}].\n";
        let out = render_with(src, &[("V", b"v")]).unwrap();
        assert_eq!(
            out,
            "%% header ${X}\n[{a,  \"xvy\" }, %% ${Y}\n {b, <<\"v\"/utf8>>}].\n"
        );
    }

    #[test]
    fn typed_whole_literals_become_terms() {
        let src =
            r#"[{port, "${PORT:port}"}, {b, <<"${D:bool}">>}, {n, '${N:int}'}, {f, ${F:float}}]."#;
        let out = render_with(
            src,
            &[("PORT", b"4000"), ("D", b"yes"), ("N", b"-3"), ("F", b"3")],
        )
        .unwrap();
        assert_eq!(out, "[{port, 4000}, {b, true}, {n, -3}, {f, 3.0}].");
    }

    #[test]
    fn mix_release_byte_lists_are_rendered_as_text() {
        let src = "[{a, <<36,123,85,125>>}, {b, [36,123,85,125]}, {c, <<36,123,80,58,112,111,114,116,125>>}].";
        let out = render_with(src, &[("U", "é\"".as_bytes()), ("P", b"80")]).unwrap();
        assert_eq!(
            out,
            r#"[{a, <<"\x{C3}\x{A9}\"">>}, {b, "\x{E9}\""}, {c, 80}]."#
        );
    }

    #[test]
    fn bare_values_may_not_break_the_structure() {
        let errs = render_with("[{a, ${A}}].", &[("A", b"1}, {injected, 2")]).unwrap_err();
        assert!(errs[0].contains("A is not Erlang term text"), "{errs:?}");
        let out = render_with("[{ip, {${IP:-127,0,0,1}}}].", &[]).unwrap();
        assert_eq!(out, "[{ip, {127,0,0,1}}].");
    }

    #[test]
    fn a_value_that_breaks_the_file_is_blamed() {
        let errs = render_with("[<<1:${A}>>].", &[("A", b"{a}")]).unwrap_err();
        assert!(errs[0].contains("after substituting A"), "{errs:?}");
    }

    #[test]
    fn non_utf8_values_fit_binaries_only() {
        let out = render_with("[<<\"${A}\">>].", &[("A", b"\xff")]).unwrap();
        assert_eq!(out, r#"[<<"\x{FF}">>]."#);
        let errs = render_with("[\"${A}\", '${A}'].", &[("A", b"\xff")]).unwrap_err();
        assert_eq!(errs.len(), 2);
    }

    /// A top-level string a typed placeholder turns into a number or an
    /// atom is no longer a file name to include.
    #[test]
    fn a_top_level_string_that_becomes_another_term_is_no_include() {
        let env = Env::from_pairs([("N".to_string(), b"5".to_vec())]);
        let types = HashMap::new();
        let resolver = Resolver::new(&env, &types);
        let src = br#"["${N:int}", "${N:atom}", "x${N}", {kernel, []}]."#;
        let rendered = render(src, &resolver).unwrap();
        assert_eq!(rendered.bytes, br#"[5, '5', "x5", {kernel, []}]."#);
        let names: Vec<&str> = rendered
            .top_strings
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(names, ["x5"]);
    }

    #[test]
    fn all_problems_are_reported_at_once() {
        let errs = render_with(
            "[{a, \"${A}\"}, {b, ${B:int}}, {c, <<\"${C:port}\">>}].",
            &[("B", b"x"), ("C", b"70000")],
        )
        .unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
    }
}
