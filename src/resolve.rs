//! Values for placeholders: the environment, `NAME_FILE`, defaults and types.
//!
//! The resolver turns one placeholder into pieces — template text (from a
//! default) and values (from the environment or a file) — and checks the
//! result against the placeholder's type. It does not know how a piece is
//! written into a file: each format escapes values for its own contexts, and
//! hands the resolver a `decode` function that turns template text written in
//! that context back into the bytes it stands for.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::hash::Hasher;
use std::ops::Range;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use crate::diag::Problem;
use crate::input::{self, MAX_ENVIRONMENT, MAX_SECRET};
use crate::placeholder::{Fallback, Part, Placeholder, Template};
use crate::types::{Checked, Type};

/// The most a placeholder's value may hold once its default's own
/// placeholders are filled in: eight of the largest secrets. Only a default
/// can make a value this long, by repeating others; it is refused before
/// the value is built.
pub const MAX_VALUE: usize = 8 << 20;

/// A snapshot of the environment, taken once so lookups are cheap and stable:
/// the block of `NAME=VALUE` entries as launch received them, and an index
/// of it sorted by a hash of each name. One block rather than a map of owned
/// strings: with a Kubernetes pod's hundreds of service variables, an
/// allocation for each name and value (and freeing them at exit) was a
/// tenth of launch's start (`bench/supervise.sh`).
#[derive(Debug, Default, Clone)]
pub struct Env {
    block: Vec<u8>,
    /// Every variable, by the hash of its name, then by its place in the
    /// block: of several with one name the first comes first, and it is
    /// the one `getenv` finds.
    index: Vec<Entry>,
    /// For each `NAME_FILE` variable that is set and not empty, what its
    /// file holds, read the first time a placeholder needs it.
    files: HashMap<String, OnceCell<Result<Vec<u8>, String>>>,
}

/// Where a variable's name and value are in the block.
#[derive(Debug, Clone)]
struct Entry {
    hash: u64,
    name: Range<usize>,
    value: Range<usize>,
}

/// The hash of a variable's name, for the index (SipHash with fixed keys:
/// names are not chosen by an attacker, and a collision costs a comparison).
fn name_hash(name: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(name);
    hasher.finish()
}

impl Env {
    /// The environment of this process: `/proc/self/environ`, which holds it
    /// as the kernel handed it over, in one read; without /proc, the copy
    /// the standard library keeps.
    pub fn from_process() -> Self {
        let environ = input::read_file(Path::new("/proc/self/environ"), MAX_ENVIRONMENT);
        Env::from_block(environ.unwrap_or_else(|_| {
            let vars = std::env::vars_os();
            block_of(vars.map(|(name, value)| (name.into_vec(), value.into_vec())))
        }))
    }

    /// An environment holding these variables; of several with one name,
    /// the first.
    pub fn from_pairs<N: Into<Vec<u8>>>(pairs: impl IntoIterator<Item = (N, Vec<u8>)>) -> Self {
        Env::from_block(block_of(
            pairs.into_iter().map(|(name, value)| (name.into(), value)),
        ))
    }

    /// Indexes `NAME=VALUE` entries, each ending in a NUL. As in `getenv`, a
    /// name may begin with `=` (it cannot be empty), and an entry without
    /// `=` is no variable.
    fn from_block(block: Vec<u8>) -> Self {
        let mut index = Vec::new();
        let mut start = 0;
        for entry in block.split(|&b| b == 0) {
            let at = start;
            start += entry.len() + 1;
            if let Some(eq) = entry.iter().skip(1).position(|&b| b == b'=') {
                let name = at..at + 1 + eq;
                index.push(Entry {
                    hash: name_hash(&block[name.clone()]),
                    value: name.end + 1..at + entry.len(),
                    name,
                });
            }
        }
        index.sort_unstable_by_key(|e| (e.hash, e.name.start));
        let files = index
            .iter()
            .map(|e| (&block[e.name.clone()], &block[e.value.clone()]))
            .filter(|(name, value)| name.ends_with(b"_FILE") && !value.is_empty())
            .filter_map(|(name, _)| std::str::from_utf8(name).ok())
            .map(|name| (name.to_owned(), OnceCell::new()))
            .collect();
        Env {
            block,
            index,
            files,
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        let name = name.as_bytes();
        let hash = name_hash(name);
        let first = self.index.partition_point(|e| e.hash < hash);
        self.index[first..]
            .iter()
            .take_while(|e| e.hash == hash)
            .find(|e| &self.block[e.name.clone()] == name)
            .map(|e| &self.block[e.value.clone()])
    }

    /// True when `name` is set, or `name_FILE` is set and not empty.
    pub fn provides(&self, name: &str) -> bool {
        self.get(name).is_some() || self.files.contains_key(&file_variable(name))
    }

    /// The value of `name`, or else what the file `name_FILE` names holds,
    /// with one trailing newline removed. `Ok(None)` when neither is set; an
    /// empty `name_FILE` counts as unset. The error names the variables and
    /// says what is wrong with the file, never its path, which may be the
    /// secret itself put in the wrong variable.
    pub fn value(&self, name: &str) -> Result<Option<&[u8]>, String> {
        if let Some(v) = self.get(name) {
            return Ok(Some(v));
        }
        let file_var = file_variable(name);
        let (Some(cell), Some(path)) = (self.files.get(&file_var), self.get(&file_var)) else {
            return Ok(None);
        };
        let content = cell.get_or_init(|| {
            let path = Path::new(OsStr::from_bytes(path));
            match input::read_file(path, MAX_SECRET) {
                Ok(mut content) => {
                    if content.last() == Some(&b'\n') {
                        content.pop();
                    }
                    Ok(content)
                }
                Err(e) => Err(format!(
                    "{name} is not set, and {file_var} names a file that cannot be read: {e}"
                )),
            }
        });
        match content {
            Ok(v) => Ok(Some(v)),
            Err(message) => Err(message.clone()),
        }
    }
}

/// `NAME=VALUE` entries, each ending in a NUL, as the kernel hands them over.
fn block_of(pairs: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Vec<u8> {
    let mut block = Vec::new();
    for (name, value) in pairs {
        block.extend_from_slice(&name);
        block.push(b'=');
        block.extend_from_slice(&value);
        block.push(0);
    }
    block
}

fn file_variable(name: &str) -> String {
    format!("{name}_FILE")
}

/// A piece of a resolved value.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece<'t> {
    /// Template text (from a default), written in the syntax of where it stands.
    Template(&'t [u8]),
    /// A value from outside the template; the format escapes it.
    Value(Cow<'t, [u8]>),
}

/// The pieces of a value: one (a value from the environment, the common case,
/// kept without allocating) or several (a default with placeholders of its own).
#[derive(Debug, Clone, PartialEq)]
pub enum Pieces<'t> {
    /// A single piece.
    One(Piece<'t>),
    /// Any number of pieces.
    Many(Vec<Piece<'t>>),
}

impl<'t> Pieces<'t> {
    /// The pieces in order.
    pub fn as_slice(&self) -> &[Piece<'t>] {
        match self {
            Pieces::One(p) => std::slice::from_ref(p),
            Pieces::Many(v) => v,
        }
    }

    fn into_vec(self) -> Vec<Piece<'t>> {
        match self {
            Pieces::One(p) => vec![p],
            Pieces::Many(v) => v,
        }
    }
}

/// A placeholder's value, checked against its type.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<'t> {
    /// The value, in pieces.
    pub pieces: Pieces<'t>,
    /// The type that applied.
    pub ty: Type,
    /// What the type check made of it.
    pub checked: Checked,
}

impl Resolved<'_> {
    /// The bytes the value stands for, template text decoded with `decode`.
    pub fn logical(&self, decode: &dyn Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        logical(self.pieces.as_slice(), decode)
    }
}

fn logical(pieces: &[Piece<'_>], decode: &dyn Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Template(t) => out.extend(decode(t)),
            Piece::Value(v) => out.extend_from_slice(v),
        }
    }
    out
}

/// Looks values up in an environment, with the types given on the command line.
pub struct Resolver<'e> {
    env: &'e Env,
    types: &'e HashMap<String, Type>,
}

impl<'e> Resolver<'e> {
    /// A resolver over `env`, with `types` given on the command line for
    /// placeholders whose template names no type.
    pub fn new(env: &'e Env, types: &'e HashMap<String, Type>) -> Self {
        Resolver { env, types }
    }

    /// The type of `p`: its own, else one given on the command line.
    pub fn declared_type(&self, p: &Placeholder<'_>) -> Option<Type> {
        p.ty.or_else(|| self.types.get(p.name).copied())
    }

    /// Resolves `p`, which stands where an untyped placeholder has type
    /// `context_type`. Problems are reported at offsets of the buffer `p` was
    /// found in; `None` means at least one was reported.
    pub fn resolve<'t>(
        &self,
        p: &Placeholder<'t>,
        context_type: Type,
        decode: &dyn Fn(&[u8]) -> Vec<u8>,
        problems: &mut Vec<Problem>,
    ) -> Option<Resolved<'t>>
    where
        'e: 't,
    {
        let ty = self.declared_type(p).unwrap_or(context_type);
        let pieces = self.pieces(p, decode, problems)?;
        // Only a default can repeat a value; the sum of lengths can only
        // overflow when the value could not be held anyway.
        let len = pieces.as_slice().iter().try_fold(0usize, |len, piece| {
            len.checked_add(match piece {
                Piece::Template(t) => t.len(),
                Piece::Value(v) => v.len(),
            })
        });
        if len.is_none_or(|len| len > MAX_VALUE) {
            problems.push(Problem::new(
                p.start,
                format!(
                    "the value of {} would be longer than {}",
                    p.name,
                    input::size(MAX_VALUE as u64)
                ),
            ));
            return None;
        }
        // Text types take any value: skip building it.
        let checked = if ty.is_text() {
            Ok(Checked::AsIs)
        } else {
            ty.check(p.name, &logical(pieces.as_slice(), decode))
        };
        let checked = match checked {
            Ok(checked) => checked,
            Err(message) => {
                problems.push(Problem::new(p.start, message));
                return None;
            }
        };
        Some(Resolved {
            pieces,
            ty,
            checked,
        })
    }

    /// The value of `p` from the environment, or else from its fallback: a
    /// default's text with its own placeholders resolved, or the problem the
    /// template asks for.
    fn pieces<'t>(
        &self,
        p: &Placeholder<'t>,
        decode: &dyn Fn(&[u8]) -> Vec<u8>,
        problems: &mut Vec<Problem>,
    ) -> Option<Pieces<'t>>
    where
        'e: 't,
    {
        let value = match self.env.value(p.name) {
            Ok(v) => v,
            Err(message) => {
                problems.push(Problem::new(p.start, message));
                return None;
            }
        };
        let when_empty = match &p.fallback {
            Some(Fallback::Default { when_empty, .. } | Fallback::Error { when_empty, .. }) => {
                *when_empty
            }
            None => false,
        };
        let what = match value {
            Some(v) if !(v.is_empty() && when_empty) => {
                return Some(Pieces::One(Piece::Value(Cow::Borrowed(v))));
            }
            Some(_) => "is empty",
            None => "is not set",
        };
        let message = match &p.fallback {
            Some(Fallback::Default { text, .. }) => {
                return self.resolve_text(text, decode, problems).map(Pieces::Many);
            }
            Some(Fallback::Error { message, .. }) if !message.is_empty() => {
                format!("{} {what}: {}", p.name, String::from_utf8_lossy(message))
            }
            _ => format!("{} {what}", p.name),
        };
        problems.push(Problem::new(p.start, message));
        None
    }

    /// Resolves every placeholder of a default's text, reporting all problems.
    fn resolve_text<'t>(
        &self,
        text: &Template<'t>,
        decode: &dyn Fn(&[u8]) -> Vec<u8>,
        problems: &mut Vec<Problem>,
    ) -> Option<Vec<Piece<'t>>>
    where
        'e: 't,
    {
        let mut pieces = Vec::new();
        let mut ok = true;
        for part in &text.parts {
            match part {
                Part::Text(t) => pieces.push(Piece::Template(t)),
                Part::Placeholder(inner) => {
                    match self.resolve(inner, Type::String, decode, problems) {
                        Some(r) => match r.checked {
                            Checked::Canonical(c) => {
                                pieces.push(Piece::Value(Cow::Owned(c.into_bytes())))
                            }
                            Checked::AsIs => pieces.extend(r.pieces.into_vec()),
                        },
                        None => ok = false,
                    }
                }
            }
        }
        ok.then_some(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placeholder::scan;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())),
        )
    }

    #[test]
    fn the_snapshot_reads_the_environment_as_getenv_does() {
        let e = Env::from_block(b"A=1\0B=x=y\0A=2\0=C=3\0NOEQUALS\0E=\0".to_vec());
        assert_eq!(e.get("A"), Some(&b"1"[..]), "the first of two wins");
        assert_eq!(e.get("B"), Some(&b"x=y"[..]));
        assert_eq!(e.get("=C"), Some(&b"3"[..]));
        assert_eq!(e.get("E"), Some(&b""[..]));
        assert_eq!(e.get("NOEQUALS"), None);
        assert_eq!(e.get("Z"), None);
        // What the process snapshot holds is what getenv says.
        let process = Env::from_process();
        for (name, _) in std::env::vars_os() {
            let Some(name) = name.to_str() else { continue };
            let want = std::env::var_os(name);
            assert_eq!(process.get(name), want.as_deref().map(OsStrExt::as_bytes));
        }
    }

    fn run(src: &str, env: &Env) -> Result<Vec<u8>, Vec<Problem>> {
        let types = HashMap::new();
        let resolver = Resolver::new(env, &types);
        let mut problems = Vec::new();
        let t = scan(src.as_bytes(), false, &mut problems);
        let p = t.sole_placeholder().unwrap();
        let identity = |b: &[u8]| b.to_vec();
        match resolver.resolve(p, Type::String, &identity, &mut problems) {
            Some(r) => Ok(match r.checked {
                Checked::Canonical(c) => c.into_bytes(),
                Checked::AsIs => r.logical(&identity),
            }),
            None => Err(problems),
        }
    }

    #[test]
    fn operators_follow_the_shell() {
        let e = env(&[("SET", "v"), ("EMPTY", "")]);
        assert_eq!(run("${SET:-d}", &e).unwrap(), b"v");
        assert_eq!(run("${EMPTY:-d}", &e).unwrap(), b"d");
        assert_eq!(run("${EMPTY-d}", &e).unwrap(), b"");
        assert_eq!(run("${UNSET-d}", &e).unwrap(), b"d");
        assert_eq!(run("${EMPTY}", &e).unwrap(), b"");
        assert!(run("${EMPTY:?need it}", &e).is_err());
        assert_eq!(run("${EMPTY?need it}", &e).unwrap(), b"");
        let problems = run("${UNSET?need it}", &e).unwrap_err();
        assert_eq!(problems[0].message, "UNSET is not set: need it");
    }

    #[test]
    fn defaults_expand_their_own_placeholders_once() {
        let e = env(&[("B", "${SET}"), ("SET", "v")]);
        assert_eq!(run("${A:-x${B}y}", &e).unwrap(), b"x${SET}y");
        assert!(run("${A:-${C}}", &e).is_err());
    }

    #[test]
    fn nested_problems_are_all_reported() {
        let problems = run("${A:-${B}${C}}", &env(&[])).unwrap_err();
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn name_file_supplies_the_value_without_its_last_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret\n\n").unwrap();
        let e = env(&[("PASS_FILE", path.to_str().unwrap())]);
        assert_eq!(run("${PASS}", &e).unwrap(), b"s3cret\n");
        let e = env(&[("PASS_FILE", "/nonexistent/x")]);
        let problems = run("${PASS}", &e).unwrap_err();
        assert!(problems[0].message.contains("PASS_FILE"));
        let e = env(&[("PASS_FILE", "")]);
        assert_eq!(
            run("${PASS}", &e).unwrap_err()[0].message,
            "PASS is not set"
        );
    }

    #[test]
    fn a_default_that_repeats_a_value_past_the_limit_is_refused() {
        let big = "x".repeat(1 << 20);
        let e = env(&[("A", &big)]);
        let fits = format!("${{X:-{}}}", "${A}".repeat(8));
        assert_eq!(run(&fits, &e).unwrap().len(), MAX_VALUE);
        let over = format!("${{X:-{}}}", "${A}".repeat(9));
        let problems = run(&over, &e).unwrap_err();
        assert_eq!(
            problems[0].message,
            "the value of X would be longer than 8 MiB"
        );
    }

    #[test]
    fn a_typed_default_is_checked_too() {
        assert_eq!(run("${P:port:-4000}", &env(&[])).unwrap(), b"4000");
        assert!(run("${P:port:-nope}", &env(&[])).is_err());
    }
}
