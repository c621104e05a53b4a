//! Values for placeholders: the environment, `NAME_FILE`, defaults and types.
//!
//! The resolver turns one placeholder into pieces — template text (from a
//! default) and values (from the environment or a file) — and checks the
//! result against the placeholder's type. It does not know how a piece is
//! written into a file: each format escapes values for its own contexts, and
//! hands the resolver a `decode` function that turns template text written in
//! that context back into the bytes it stands for.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};
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
///
/// The variables of `--env-file` files are laid over the process's
/// ([`Env::with_files`]): they go first in the block, the last setting of a
/// name first, so that the rule of the index (of several with one name, the
/// first) makes a name the files set have the value they set last, for
/// every placeholder and for the child. The files are named for this run
/// and describe the deployment; the process's environment (a CI runner's,
/// say) is ambient, and a file asks for one of its values with a `NAME`
/// line of its own.
///
/// A raw environment may set one name twice. launch reads the first, as
/// `getenv` does (and clap, for its own `LAUNCH_*` settings); erl, the
/// shells and the standard library's `Command` take the last. So the child
/// is given the one launch read, alone ([`Env::repeated`]).
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
    /// How many bytes at the start of the block hold the env files'
    /// variables.
    from_files: usize,
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
    pub fn from_pairs<N: Into<Vec<u8>>, V: Into<Vec<u8>>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        Env::from_block(block_of(
            pairs
                .into_iter()
                .map(|(name, value)| (name.into(), value.into())),
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
        let mut env = Env {
            block,
            index,
            files: HashMap::new(),
            from_files: 0,
        };
        // Of several `NAME_FILE` with one name (an env file's over the
        // process's), the one `get` finds decides.
        let files = env
            .index
            .iter()
            .map(|e| &env.block[e.name.clone()])
            .filter(|name| name.ends_with(b"_FILE"))
            .filter_map(|name| std::str::from_utf8(name).ok())
            .filter(|name| env.get(name).is_some_and(|value| !value.is_empty()))
            .map(|name| (name.to_owned(), OnceCell::new()))
            .collect();
        env.files = files;
        env
    }

    /// This environment with `variables` (from [`crate::env_file`], in the
    /// order they were set) laid over it: of several settings of one name
    /// the last wins, and any of them wins over the process's value. Only
    /// when env files are given is the block copied.
    pub fn with_files(self, variables: Vec<(String, Vec<u8>)>) -> Self {
        let pairs = variables.into_iter().rev();
        let mut block = block_of(pairs.map(|(name, value)| (name.into_bytes(), value)));
        let from_files = block.len();
        block.extend_from_slice(&self.block);
        Env {
            from_files,
            ..Env::from_block(block)
        }
    }

    /// The variables the env files set, each once, with the value it has,
    /// in the order they were first set: what the child's environment gets
    /// on top of launch's own.
    pub fn from_files(&self) -> Vec<(&str, &[u8])> {
        let entries: Vec<&[u8]> = self.block[..self.from_files]
            .split(|&b| b == 0)
            .filter(|entry| !entry.is_empty())
            .collect();
        let mut seen = HashSet::new();
        // The files' entries are in the block last setting first.
        entries
            .into_iter()
            .rev()
            .filter_map(|entry| {
                let eq = entry.iter().position(|&b| b == b'=')?;
                let name = std::str::from_utf8(&entry[..eq]).ok()?;
                let value = self.get(name)?;
                seen.insert(name).then_some((name, value))
            })
            .collect()
    }

    /// The variables the process's environment sets more than once (those
    /// with UTF-8 names, which are the ones launch reads), each once, with
    /// the value launch reads.
    pub fn repeated(&self) -> Vec<(&str, &[u8])> {
        let from_process = |e: &Entry| e.name.start >= self.from_files;
        let name = |e: &Entry| &self.block[e.name.clone()];
        let mut repeated = Vec::new();
        // Entries of one name are next to each other among those of its
        // hash, in the order of the block.
        for run in self.index.chunk_by(|a, b| a.hash == b.hash) {
            if run.len() < 2 {
                continue;
            }
            for (i, entry) in run.iter().enumerate() {
                let same = |other: &Entry| from_process(other) && name(other) == name(entry);
                if !from_process(entry)
                    || run[..i].iter().any(same)
                    || !run[i + 1..].iter().any(same)
                {
                    continue;
                }
                if let Ok(name) = std::str::from_utf8(name(entry))
                    && let Some(value) = self.get(name)
                {
                    repeated.push((name, value));
                }
            }
        }
        repeated
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
    /// True when the value is the stand-in of a variable `check` assumes
    /// set (`--assume-set`), or was built from one: its real value is not
    /// known here.
    pub assumed: bool,
}

impl Resolved<'_> {
    /// The stand-in for a value of type `ty` that is not known because a
    /// variable is assumed set (`check --assume-set`). `check` still renders
    /// every template, so the stand-in must pass wherever a value of its
    /// type may stand, and add nothing that could make a problem the real
    /// value would not:
    ///
    /// - text (`string`, `binary`, `charlist`) and `atom`: the empty text,
    ///   which every literal, argument and text file takes, and which adds
    ///   nothing to an atom's 255 characters or a file's size;
    /// - `int`, `port`, `float`, `bool`: the simplest valid value of the
    ///   type (`0`, `0`, `0.0`, `false`), so its type is not checked against
    ///   a value that was never given;
    /// - `term` (a bare placeholder): `0`, a term that stands wherever a
    ///   term can, a binary's segment included.
    ///
    /// Where the real value's text would decide something else, the formats
    /// ask [`Resolved::assumed`]: an argument file counts an assumed value
    /// as having begun its argument (as a real one would), and an include
    /// name built from one is skipped, as `vars` skips names built from
    /// placeholders.
    fn assumed(ty: Type) -> Self {
        let (text, checked): (&'static str, Checked) = match ty {
            Type::String | Type::Binary | Type::Charlist | Type::Atom => ("", Checked::AsIs),
            Type::Term => ("0", Checked::AsIs),
            Type::Int | Type::Port => ("0", Checked::Canonical("0".into())),
            Type::Float => ("0.0", Checked::Canonical("0.0".into())),
            Type::Bool => ("false", Checked::Canonical("false".into())),
        };
        Resolved {
            pieces: Pieces::One(Piece::Value(Cow::Borrowed(text.as_bytes()))),
            ty,
            checked,
            assumed: true,
        }
    }

    /// The bytes the value stands for, template text decoded with `decode`.
    pub fn logical(&self, decode: &dyn Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
        logical(self.pieces.as_slice(), decode)
    }
}

/// What a placeholder's text stands for before its type is checked.
enum Value<'t> {
    /// Pieces of template text and values.
    Known(Pieces<'t>),
    /// A variable assumed set, or text built from one.
    Assumed,
}

/// What is wrong with the default of `p` as a value of type `ty`, when
/// the default is plain text: a template problem, reported whether or not
/// the variable is set, so that `check` finds it in any environment. A
/// default with placeholders of its own is checked when it is used.
fn literal_default_problem(
    p: &Placeholder<'_>,
    ty: Type,
    decode: &dyn Fn(&[u8]) -> Vec<u8>,
) -> Option<String> {
    let Some(Fallback::Default { text, .. }) = &p.fallback else {
        return None;
    };
    if ty.is_text() {
        return None;
    }
    let mut pieces = Vec::with_capacity(text.parts.len());
    for part in &text.parts {
        match part {
            Part::Text(t) => pieces.push(Piece::Template(t)),
            Part::Placeholder(_) => return None,
        }
    }
    ty.check(
        &format!("the default of {}", p.name),
        &logical(&pieces, decode),
    )
    .err()
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

/// Looks values up in an environment, with the types given on the command
/// line, and the variables `check` assumes set.
pub struct Resolver<'e> {
    env: &'e Env,
    types: &'e HashMap<String, Type>,
    /// The variables assumed set (`check --assume-set`), each with whether a
    /// placeholder needed its value.
    assumed: HashMap<&'e str, Cell<bool>>,
}

impl<'e> Resolver<'e> {
    /// A resolver over `env`, with `types` given on the command line for
    /// placeholders whose template names no type.
    pub fn new(env: &'e Env, types: &'e HashMap<String, Type>) -> Self {
        Resolver {
            env,
            types,
            assumed: HashMap::new(),
        }
    }

    /// This resolver, counting the variables `names` as set without reading
    /// them: each resolves to a stand-in of its placeholder's type (see
    /// [`Resolved::assumed`]), whatever the environment holds.
    pub fn assuming(mut self, names: &'e [String]) -> Self {
        self.assumed = names
            .iter()
            .map(|n| (n.as_str(), Cell::new(false)))
            .collect();
        self
    }

    /// The assumed variables a placeholder needed, and those none needed,
    /// each in the order given.
    pub fn assumed_needed<'n>(&self, names: &'n [String]) -> (Vec<&'n str>, Vec<&'n str>) {
        names
            .iter()
            .map(String::as_str)
            .partition(|n| self.assumed.get(n).is_some_and(Cell::get))
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
        if let Some(message) = literal_default_problem(p, ty, decode) {
            problems.push(Problem::new(p.start, message));
            return None;
        }
        let pieces = match self.value(p, decode, problems)? {
            Value::Known(pieces) => pieces,
            Value::Assumed => return Some(Resolved::assumed(ty)),
        };
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
            // Only a default gives several pieces: say it is the default's
            // fault, not the variable's, which may be unset.
            let whose = match &pieces {
                Pieces::One(_) => Cow::Borrowed(p.name),
                Pieces::Many(_) => Cow::Owned(format!("the default of {}", p.name)),
            };
            ty.check(&whose, &logical(pieces.as_slice(), decode))
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
            assumed: false,
        })
    }

    /// The value of `p` from the environment, or else from its fallback: a
    /// default's text with its own placeholders resolved, or the problem the
    /// template asks for. A variable assumed set is not looked up.
    fn value<'t>(
        &self,
        p: &Placeholder<'t>,
        decode: &dyn Fn(&[u8]) -> Vec<u8>,
        problems: &mut Vec<Problem>,
    ) -> Option<Value<'t>>
    where
        'e: 't,
    {
        if let Some(needed) = self.assumed.get(p.name) {
            needed.set(true);
            return Some(Value::Assumed);
        }
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
                return Some(Value::Known(Pieces::One(Piece::Value(Cow::Borrowed(v)))));
            }
            Some(_) => "is empty",
            None => "is not set",
        };
        let message = match &p.fallback {
            Some(Fallback::Default { text, .. }) => {
                return self.resolve_text(text, decode, problems);
            }
            Some(Fallback::Error { message, .. }) if !message.is_empty() => {
                format!("{} {what}: {}", p.name, String::from_utf8_lossy(message))
            }
            _ => format!("{} {what}", p.name),
        };
        problems.push(Problem::new(p.start, message));
        None
    }

    /// Resolves every placeholder of a default's text, reporting all
    /// problems. Text built from an assumed variable is assumed too: its
    /// placeholder's type is not checked against a stand-in.
    fn resolve_text<'t>(
        &self,
        text: &Template<'t>,
        decode: &dyn Fn(&[u8]) -> Vec<u8>,
        problems: &mut Vec<Problem>,
    ) -> Option<Value<'t>>
    where
        'e: 't,
    {
        let mut pieces = Vec::new();
        let mut ok = true;
        let mut assumed = false;
        for part in &text.parts {
            match part {
                Part::Text(t) => pieces.push(Piece::Template(t)),
                Part::Placeholder(inner) => {
                    match self.resolve(inner, Type::String, decode, problems) {
                        Some(r) if r.assumed => assumed = true,
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
        match (ok, assumed) {
            (false, _) => None,
            (true, true) => Some(Value::Assumed),
            (true, false) => Some(Value::Known(Pieces::Many(pieces))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::placeholder::scan;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
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

    #[test]
    fn a_name_the_process_sets_twice_is_repeated_with_the_value_read() {
        let process = Env::from_block(b"A=1\0B=x\0A=2\0C=y\0A=3\0C=z\0D=w\0".to_vec());
        let mut repeated = process.repeated();
        repeated.sort_unstable();
        assert_eq!(repeated, [("A", &b"1"[..]), ("C", &b"y"[..])]);
        // A file's setting is not a repetition, and its value is the one read.
        let layered = process.with_files(vec![
            ("B".into(), b"file".to_vec()),
            ("C".into(), b"file".to_vec()),
        ]);
        let mut repeated = layered.repeated();
        repeated.sort_unstable();
        assert_eq!(repeated, [("A", &b"1"[..]), ("C", &b"file"[..])]);
    }

    #[test]
    fn env_files_win_over_the_process_and_a_later_setting_wins() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "from file\n").unwrap();
        let process = env(&[("A", "process"), ("B", "process"), ("S_FILE", "/nowhere")]);
        let layered = process.with_files(vec![
            ("A".into(), b"first".to_vec()),
            ("C".into(), b"".to_vec()),
            ("A".into(), b"second".to_vec()),
            (
                "P_FILE".into(),
                secret.to_str().unwrap().as_bytes().to_vec(),
            ),
            ("S_FILE".into(), b"".to_vec()),
        ]);
        assert_eq!(layered.get("A"), Some(&b"second"[..]));
        assert_eq!(layered.get("B"), Some(&b"process"[..]));
        assert_eq!(layered.get("C"), Some(&b""[..]));
        // NAME_FILE variables from a file work as from the process.
        assert_eq!(layered.value("P"), Ok(Some(&b"from file"[..])));
        assert!(
            layered.value("S") == Ok(None),
            "an empty S_FILE from a file unsets it"
        );
        let from_files = layered.from_files();
        assert_eq!(
            from_files,
            [
                ("A", &b"second"[..]),
                ("C", b""),
                ("P_FILE", secret.to_str().unwrap().as_bytes()),
                ("S_FILE", b"")
            ]
        );
        assert!(env(&[("A", "1")]).from_files().is_empty());
    }

    /// Resolves `src`'s sole placeholder with `names` assumed set: whether
    /// the value is assumed, its type, its check and its bytes.
    fn assuming(
        src: &str,
        env: &Env,
        names: &[&str],
    ) -> Result<(bool, Type, Checked, Vec<u8>), Vec<Problem>> {
        let types = HashMap::new();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let resolver = Resolver::new(env, &types).assuming(&names);
        let mut problems = Vec::new();
        let t = scan(src.as_bytes(), false, &mut problems);
        let p = t.sole_placeholder().unwrap();
        let identity = |b: &[u8]| b.to_vec();
        match resolver.resolve(p, Type::String, &identity, &mut problems) {
            Some(r) => Ok((r.assumed, r.ty, r.checked.clone(), r.logical(&identity))),
            None => Err(problems),
        }
    }

    #[test]
    fn an_assumed_variable_is_never_read_and_stands_in_as_its_type() {
        // Set to what no type takes, unset, or with an unreadable NAME_FILE:
        // none of it is looked at.
        for e in [
            env(&[("X", "\u{0}nope")]),
            env(&[]),
            env(&[("X_FILE", "/nonexistent")]),
        ] {
            for word in Type::WORDS.split(", ") {
                let ty = Type::from_word(word).unwrap();
                let (assumed, got, checked, text) =
                    assuming(&format!("${{X:{word}}}"), &e, &["X"]).unwrap();
                assert!(assumed, "{word}");
                assert_eq!(got, ty);
                // The stand-in of a type that checks values passes its check.
                if !ty.is_text() && ty != Type::Atom {
                    assert_eq!(ty.check("X", &text), Ok(checked), "{word}");
                }
            }
            assert!(assuming("${X:?required}", &e, &["X"]).unwrap().0);
        }
    }

    #[test]
    fn a_value_built_from_an_assumed_variable_is_assumed_too() {
        let e = env(&[("SET", "v")]);
        let (assumed, _, checked, _) = assuming("${P:port:-${BASE}}", &e, &["BASE"]).unwrap();
        assert!(assumed);
        assert_eq!(checked, Checked::Canonical("0".into()));
        // A default that is not used does not make its placeholder assumed.
        let (assumed, _, _, text) = assuming("${SET:-${BASE}}", &e, &["BASE"]).unwrap();
        assert!(!assumed);
        assert_eq!(text, b"v");
        // Other problems of the default are still reported.
        assert_eq!(
            assuming("${P:-${BASE}${NOPE}}", &e, &["BASE"])
                .unwrap_err()
                .len(),
            1
        );
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
