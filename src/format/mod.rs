//! The formats a template can have, chosen by its name: Erlang term files
//! (`*.config`, `*.config.src`), argument files (`vm.args`, `vm.args.src`,
//! `*.args`) and plain text (anything else). Each renders a template with a
//! resolver and lists its placeholders; none of them reads or writes files.

pub mod args;
pub mod erlang;
pub mod text;

use std::ops::Range;
use std::path::Path;

use crate::diag::Problem;
use crate::placeholder::{Fallback, Part, Template};
use crate::resolve::Resolver;
use crate::types::Type;

/// The most a rendered file may hold. Real ones hold kilobytes; the limit
/// is there so that a template that repeats a large value stops with a
/// problem, not when memory runs out.
pub const MAX_OUTPUT: usize = 64 << 20;

/// True when an output of `len` bytes has grown past [`MAX_OUTPUT`], and
/// then the problem is reported at `at`, the placeholder that was written
/// last: rendering that file stops there.
pub fn over_limit(len: usize, at: usize, problems: &mut Vec<Problem>) -> bool {
    let over = len > MAX_OUTPUT;
    if over {
        problems.push(Problem::new(
            at,
            format!(
                "the rendered file would be larger than {}",
                crate::input::size(MAX_OUTPUT as u64)
            ),
        ));
    }
    over
}

/// How a template is read and how values are written into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `*.config`, `*.config.src`: Erlang terms.
    Erlang,
    /// `vm.args`, `vm.args.src`, `*.args`: arguments as `erl -args_file` reads them.
    Args,
    /// Anything else: plain text.
    Text,
}

impl Format {
    /// The format a file's name implies.
    pub fn of(path: &Path) -> Format {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let name = name.strip_suffix(".src").unwrap_or(&name);
        if name.ends_with(".config") {
            Format::Erlang
        } else if name == "vm.args" || name.ends_with(".args") {
            Format::Args
        } else {
            Format::Text
        }
    }

    /// Renders `src`: every problem found, or the rendered bytes.
    pub fn render(self, src: &[u8], resolver: &Resolver<'_>) -> Result<Rendering, Vec<Problem>> {
        match self {
            Format::Erlang => erlang::render(src, resolver),
            Format::Args => args::render(src, resolver),
            Format::Text => text::render(src, resolver),
        }
    }

    /// Lists the placeholders of `src` without resolving them.
    pub fn list(self, src: &[u8]) -> Result<Listing, Vec<Problem>> {
        match self {
            Format::Erlang => erlang::list(src),
            Format::Args => args::list(src),
            Format::Text => text::list(src),
        }
    }
}

/// A rendered template.
#[derive(Debug)]
pub struct Rendering {
    /// The rendered bytes.
    pub bytes: Vec<u8>,
    /// In an Erlang term file, the strings of its top-level list.
    pub top_strings: Vec<TopString>,
    /// How many placeholders the template holds, those in defaults included.
    pub placeholders: usize,
}

/// A template's placeholders, found without values.
#[derive(Debug)]
pub struct Listing {
    /// Every placeholder, nested ones included, in order of position.
    pub found: Vec<Found>,
    /// In an Erlang term file, the strings of its top-level list whose text
    /// holds no placeholder: a name built from placeholders is known only
    /// when rendering.
    pub top_strings: Vec<TopString>,
}

/// A string standing alone in the top-level list of an Erlang term file: in
/// a sys.config, the name of another config file to include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopString {
    /// Where the literal starts in the template.
    pub at: usize,
    /// The name it stands for.
    pub name: String,
    /// True when the name was built from placeholders, and so from values
    /// that messages must not show.
    pub from_values: bool,
    /// True when the name was built from a variable `check` assumes set:
    /// the real name is not known.
    pub assumed: bool,
    /// Its span, quotes included, in the rendered bytes; `None` in a listing.
    pub rendered: Option<Range<usize>>,
}

/// A placeholder as `vars` reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The variable.
    pub name: String,
    /// The type written in the template, if any.
    pub ty: Option<Type>,
    /// The type an untyped placeholder has where it stands (`term` when bare in
    /// an Erlang file, else `string`).
    pub context_type: Type,
    /// The default text as written, if any.
    pub default: Option<String>,
    /// True when no default applies.
    pub required: bool,
    /// True when an empty value counts as unset (`:-`, `:?`).
    pub empty_is_unset: bool,
    /// Byte offset of the `$` in the template file.
    pub at: usize,
}

/// Adds every placeholder of `template` to `out`, nested ones after the
/// placeholder whose default holds them. `locate` maps offsets to the file.
pub fn collect(
    template: &Template<'_>,
    context_type: Type,
    locate: &dyn Fn(usize) -> usize,
    out: &mut Vec<Found>,
) {
    for part in &template.parts {
        let Part::Placeholder(p) = part else { continue };
        out.push(Found {
            name: p.name.to_owned(),
            ty: p.ty,
            context_type,
            default: p
                .default_raw()
                .map(|d| String::from_utf8_lossy(d).into_owned()),
            required: !matches!(p.fallback, Some(Fallback::Default { .. })),
            empty_is_unset: matches!(
                p.fallback,
                Some(
                    Fallback::Default {
                        when_empty: true,
                        ..
                    } | Fallback::Error {
                        when_empty: true,
                        ..
                    }
                )
            ),
            at: locate(p.start),
        });
        if let Some(Fallback::Default { text, .. }) = &p.fallback {
            collect(text, Type::String, locate, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_name() {
        for (name, f) in [
            ("sys.config", Format::Erlang),
            ("sys.config.src", Format::Erlang),
            ("releases/1/extra.config", Format::Erlang),
            ("vm.args", Format::Args),
            ("vm.args.src", Format::Args),
            ("prod.args", Format::Args),
            ("app.env", Format::Text),
            ("zotonic.config.in", Format::Text),
        ] {
            assert_eq!(Format::of(Path::new(name)), f, "{name}");
        }
    }
}
