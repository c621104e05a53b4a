//! Which templates a run reads, and the one walk over them: it renders them
//! (the main job, `render`, `check`) or lists their placeholders (`vars`).
//!
//! The walk reads each file once, through [`input::read_file`], and parses it
//! once. The config files a sys.config includes are found by the same walk,
//! from the strings of its top-level list, and walked in turn. An include
//! whose name is built from placeholders is known only once rendered: `check`
//! renders, so it sees one when the variables of its name have values, but
//! `vars` (and any check that counts a variable as set without a value)
//! skips it. Every problem of every file is printed before the walk returns;
//! the caller prints the summary. Nothing is written here.
//!
//! [`input::read_file`]: crate::input::read_file

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::diag::{Locator, Position, Problem, print_problems, say};
use crate::format::erlang::escape::escape_chars;
use crate::format::{Format, Found, Listing, Rendering, TopString};
use crate::input::{MAX_TEMPLATE, read_file};
use crate::placeholder::has_placeholder;
use crate::resolve::Resolver;

/// What a template is to the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The release's sys.config.
    SysConfig,
    /// The release's vm.args.
    VmArgs,
    /// Any other file given with `--file`.
    Other,
    /// A config file a sys.config includes, rendered because it is a template.
    Include,
}

/// A template read into memory.
#[derive(Debug)]
pub struct TemplateFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// What it is to the release.
    pub role: Role,
    /// How it is read.
    pub format: Format,
    /// The name of the rendered file in the out dir.
    pub out_name: String,
    /// Its bytes.
    pub src: Vec<u8>,
    /// For an include whose name is built from placeholders, where the
    /// sys.config names it (`FILE:LINE:COL`): messages show that instead of
    /// a path made of values.
    pub named_at: Option<String>,
}

impl TemplateFile {
    /// The file as messages show it: its path (without a leading `./`), or
    /// where a sys.config names it when the name was built from values.
    pub fn display(&self) -> String {
        match &self.named_at {
            Some(at) => format!("<the include named at {at}>"),
            None => shown(&self.path),
        }
    }

    /// Where its rendered copy in `out_dir` went, as messages show it: the
    /// out dir alone when the copy's name was built from values.
    pub fn written_to(&self, out_dir: &Path) -> String {
        match self.named_at {
            Some(_) => format!("a file in {}", out_dir.display()),
            None => out_dir.join(&self.out_name).display().to_string(),
        }
    }
}

fn shown(path: &Path) -> String {
    let shown = path.display().to_string();
    match shown.strip_prefix("./") {
        Some(rest) => rest.to_owned(),
        None => shown,
    }
}

/// Why a walk over the templates stopped; the details were already printed.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The command line named templates that cannot be used together.
    #[error("{0}")]
    Usage(String),
    /// Templates or values are wrong; every problem was printed.
    #[error("{problems} problem{s} in {files} file{fs}; nothing was written",
        s = plural(*problems), fs = plural(*files))]
    Problems {
        /// How many problems.
        problems: usize,
        /// In how many files.
        files: usize,
    },
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A rendered template, ready to be written.
#[derive(Debug)]
pub struct Rendered {
    /// The template it came from. Together, the rendered files name every
    /// template the walk read, the included ones too.
    pub file: TemplateFile,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// In a sys.config: the spans of include names whose files were rendered
    /// too, with the name of the rendered copy in the out dir. Two names of
    /// one file point at one copy.
    pub includes: Vec<(Range<usize>, String)>,
    /// How many placeholders the template holds, those in defaults included.
    pub placeholders: usize,
}

impl Rendered {
    /// The bytes to write into `out_dir`: include names point at the rendered
    /// copies there, by absolute path when `out_dir` is. erl reads a file
    /// name in a sys.config as characters, and in a UTF-8 locale encodes
    /// them as UTF-8, so a directory whose path is not UTF-8 cannot be named
    /// there: it is refused, but only when there are include names to write.
    pub fn bytes_for(&self, out_dir: &Path) -> std::io::Result<Cow<'_, [u8]>> {
        if self.includes.is_empty() {
            return Ok(Cow::Borrowed(&self.bytes));
        }
        if out_dir.to_str().is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the out dir {} is not UTF-8, so the sys.config cannot name the included \
                     files rendered into it (erl would look for another name in a UTF-8 locale); \
                     choose a directory whose path is UTF-8",
                    out_dir.display()
                ),
            ));
        }
        let mut out = Vec::with_capacity(self.bytes.len() + 64 * self.includes.len());
        let mut cursor = 0;
        for (span, name) in &self.includes {
            out.extend_from_slice(&self.bytes[cursor..span.start]);
            out.push(b'"');
            // Both parts are UTF-8: nothing is lost.
            escape_chars(&out_dir.join(name).to_string_lossy(), b'"', &mut out);
            out.push(b'"');
            cursor = span.end;
        }
        out.extend_from_slice(&self.bytes[cursor..]);
        Ok(Cow::Owned(out))
    }
}

/// A template's placeholders, for `vars`.
#[derive(Debug)]
pub struct Listed {
    /// The template.
    pub file: TemplateFile,
    /// Every placeholder, nested ones included, in order of position, each
    /// with its line and column.
    pub placeholders: Vec<(Found, Position)>,
}

/// Renders the templates `chosen` (from [`crate::release::select`]) and the config files a
/// sys.config among them includes that are templates (a relative name is
/// found from `base`, where the release runs). Every problem of every file is
/// printed, then the outcome returned; nothing is written.
pub fn render(
    chosen: Vec<(PathBuf, Role)>,
    base: &Path,
    resolver: &Resolver<'_>,
) -> Result<Vec<Rendered>, TemplateError> {
    let walked = walk(chosen, base, |file| file.format.render(&file.src, resolver))?;
    Ok(walked
        .into_iter()
        .map(|w| Rendered {
            file: w.file,
            bytes: w.outcome.bytes,
            includes: w.includes,
            placeholders: w.outcome.placeholders,
        })
        .collect())
}

/// Lists the placeholders of the templates `chosen` and of the included
/// config files that are templates, as [`render`] would find them, except
/// an include whose name is built from placeholders. Every problem (a
/// malformed placeholder, a file that does not parse) is printed.
pub fn list(chosen: Vec<(PathBuf, Role)>, base: &Path) -> Result<Vec<Listed>, TemplateError> {
    let walked = walk(chosen, base, |file| file.format.list(&file.src))?;
    Ok(walked
        .into_iter()
        .map(|w| {
            let mut locator = Locator::new(&w.file.src);
            let placeholders = w
                .outcome
                .found
                .into_iter()
                .map(|f| {
                    let at = locator.locate(f.at);
                    (f, at)
                })
                .collect();
            Listed {
                file: w.file,
                placeholders,
            }
        })
        .collect())
}

/// One template the walk went through without a problem.
struct Walked<T> {
    file: TemplateFile,
    /// What the walk's job made of it: a [`Rendering`] or a [`Listing`].
    outcome: T,
    /// In a sys.config: the spans of include names in the rendered bytes,
    /// with the out names of the rendered copies.
    includes: Vec<(Range<usize>, String)>,
}

/// What the walk's job makes of a template, as far as the walk needs it.
trait Outcome {
    /// The strings of an Erlang term file's top-level list.
    fn top_strings(&self) -> &[TopString];
}

impl Outcome for Rendering {
    fn top_strings(&self) -> &[TopString] {
        &self.top_strings
    }
}

impl Outcome for Listing {
    fn top_strings(&self) -> &[TopString] {
        &self.top_strings
    }
}

/// A template waiting its turn in the walk, read or not.
struct Pending {
    path: PathBuf,
    role: Role,
    format: Format,
    out_name: String,
    src: Result<Vec<u8>, String>,
    named_at: Option<String>,
}

/// What stands for an out name, for a message about two files wanting it.
enum Owner {
    /// A template named on the command line or found in the release.
    Template(PathBuf),
    /// An included config file, by the name the sys.config gives it.
    Include { name: String, from_values: bool },
}

impl Owner {
    fn describe(&self) -> String {
        match self {
            Owner::Template(path) => format!("the template {}", shown(path)),
            Owner::Include {
                from_values: true, ..
            } => "an include whose name is built from placeholders".into(),
            Owner::Include { name, .. } => format!("`{name}`"),
        }
    }
}

/// A template that could not be walked, with what was wrong.
enum Failure {
    Unreadable(PathBuf, String),
    Problems(TemplateFile, Vec<Problem>),
}

/// The walk's state: who takes each out name, the include files already
/// found, and the templates still to walk.
struct Walk<'b> {
    base: &'b Path,
    out_names: HashMap<String, Owner>,
    /// Include files by their canonical path: the out name of the rendered
    /// copy, or `None` for a file that is not a template.
    includes: HashMap<PathBuf, Option<String>>,
    queue: VecDeque<Pending>,
}

/// Walks every template, and every include that is a template, doing `job`
/// with each; the rendered include names of each sys.config come along.
fn walk<T: Outcome>(
    chosen: Vec<(PathBuf, Role)>,
    base: &Path,
    mut job: impl FnMut(&TemplateFile) -> Result<T, Vec<Problem>>,
) -> Result<Vec<Walked<T>>, TemplateError> {
    let mut walk = Walk::new(chosen, base)?;
    let mut walked = Vec::new();
    let mut failures = Vec::new();
    while let Some(pending) = walk.queue.pop_front() {
        let src = match pending.src {
            Ok(src) => src,
            Err(reason) => {
                failures.push(Failure::Unreadable(pending.path, reason));
                continue;
            }
        };
        let file = TemplateFile {
            path: pending.path,
            role: pending.role,
            format: pending.format,
            out_name: pending.out_name,
            src,
            named_at: pending.named_at,
        };
        let outcome = match job(&file) {
            Ok(outcome) => outcome,
            Err(problems) => {
                failures.push(Failure::Problems(file, problems));
                continue;
            }
        };
        let includes = match file.role {
            Role::SysConfig => walk.includes_of(&file, &outcome),
            _ => Ok(Vec::new()),
        };
        match includes {
            Ok(includes) => walked.push(Walked {
                file,
                outcome,
                includes,
            }),
            Err(problems) => failures.push(Failure::Problems(file, problems)),
        }
    }
    report(failures)?;
    Ok(walked)
}

impl<'b> Walk<'b> {
    /// The walk of the templates `chosen`, each read and queued in turn. Two
    /// of them that would be written to one name are a usage error: the
    /// command line (or the release) named both.
    fn new(chosen: Vec<(PathBuf, Role)>, base: &'b Path) -> Result<Self, TemplateError> {
        let mut walk = Walk {
            base,
            out_names: HashMap::new(),
            includes: HashMap::new(),
            queue: VecDeque::new(),
        };
        for (path, role) in chosen {
            let (format, out_name) = match role {
                Role::SysConfig => (Format::Erlang, "sys.config".to_owned()),
                Role::VmArgs => (Format::Args, "vm.args".to_owned()),
                Role::Other | Role::Include => (Format::of(&path), out_name(&path)),
            };
            if let Some(Owner::Template(earlier)) = walk.out_names.get(&out_name) {
                return Err(TemplateError::Usage(format!(
                    "{} and {} would both be written to {out_name}",
                    earlier.display(),
                    path.display()
                )));
            }
            walk.out_names
                .insert(out_name.clone(), Owner::Template(path.clone()));
            if role == Role::Other {
                // A file given with --file that a sys.config also includes
                // is the same template: the sys.config points at its copy.
                walk.includes
                    .insert(identity(&path), Some(out_name.clone()));
            }
            let src = read_file(&path, MAX_TEMPLATE).map_err(|e| e.to_string());
            walk.queue.push_back(Pending {
                path,
                role,
                format,
                out_name,
                src,
                named_at: None,
            });
        }
        Ok(walk)
    }

    /// The include names of a sys.config whose files are templates, with the
    /// out names of their rendered copies (empty when listing: nothing is
    /// written); or a problem at every name that cannot be used.
    fn includes_of(
        &mut self,
        sys_config: &TemplateFile,
        outcome: &impl Outcome,
    ) -> Result<Vec<(Range<usize>, String)>, Vec<Problem>> {
        let mut includes = Vec::new();
        let mut problems = Vec::new();
        // Made only for a name built from values: it reads the whole file.
        let mut locator = None;
        for top in outcome.top_strings() {
            let named_at = top.from_values.then(|| {
                let at = locator
                    .get_or_insert_with(|| Locator::new(&sys_config.src))
                    .locate(top.at);
                format!("{}:{at}", sys_config.display())
            });
            match self.include(top, named_at) {
                Ok(Some(out_name)) => {
                    if let Some(span) = &top.rendered {
                        includes.push((span.clone(), out_name));
                    }
                }
                Ok(None) => {}
                Err(message) => problems.push(Problem::new(top.at, message)),
            }
        }
        if problems.is_empty() {
            Ok(includes)
        } else {
            Err(problems)
        }
    }

    /// The out name of the rendered copy of the config file `top` names,
    /// when that file is a template, which is queued the first time it is
    /// named. An error is the message of a problem at the name; it shows
    /// neither the name nor the path when they were built from values.
    fn include(
        &mut self,
        top: &TopString,
        named_at: Option<String>,
    ) -> Result<Option<String>, String> {
        if top.assumed {
            return Ok(None);
        }
        let Some(found) = find_include(&top.name, self.base) else {
            return Ok(None);
        };
        let key = identity(&found.path);
        if let Some(known) = self.includes.get(&key) {
            return Ok(known.clone());
        }
        let src = read_file(&found.path, MAX_TEMPLATE).map_err(|e| {
            if top.from_values {
                format!("the file this include names, built from placeholders, cannot be read: {e}")
            } else {
                format!("cannot read the included {}: {e}", shown(&found.path))
            }
        })?;
        if !found.is_src && !has_placeholder(&src) {
            self.includes.insert(key, None);
            return Ok(None);
        }
        if let Some(owner) = self.out_names.get(&found.out_name) {
            return Err(if top.from_values {
                format!(
                    "this include, whose name is built from placeholders, would be written \
                     to the out dir under the same name as {}",
                    owner.describe()
                )
            } else {
                format!(
                    "`{}` would be written to {} in the out dir, as {} is",
                    top.name,
                    found.out_name,
                    owner.describe()
                )
            });
        }
        self.out_names.insert(
            found.out_name.clone(),
            Owner::Include {
                name: top.name.clone(),
                from_values: top.from_values,
            },
        );
        self.includes.insert(key, Some(found.out_name.clone()));
        self.queue.push_back(Pending {
            path: found.path,
            role: Role::Include,
            format: Format::Erlang,
            out_name: found.out_name.clone(),
            src: Ok(src),
            named_at,
        });
        Ok(Some(found.out_name))
    }
}

/// The file behind an include name, and the name of its rendered copy.
struct IncludeFile {
    path: PathBuf,
    /// It is the `.src` beside the name: a template whatever it holds.
    is_src: bool,
    out_name: String,
}

/// The file an include name of a sys.config stands for: `NAME.src` beside
/// the file, or the file itself (OTP also accepts the name without
/// `.config`). `None` when neither is a regular file: it may be mounted only
/// where the release runs, and is left to the release.
fn find_include(name: &str, base: &Path) -> Option<IncludeFile> {
    let path = base.join(name);
    let mut candidates = vec![path.clone()];
    if path.extension().is_none_or(|e| e != "config") {
        let mut with_config = path.into_os_string();
        with_config.push(".config");
        candidates.push(with_config.into());
    }
    candidates.into_iter().find_map(|candidate| {
        let mut src = candidate.clone().into_os_string();
        src.push(".src");
        let src = PathBuf::from(src);
        let (path, is_src) = if src.is_file() {
            (src, true)
        } else if candidate.is_file() {
            (candidate.clone(), false)
        } else {
            return None;
        };
        Some(IncludeFile {
            path,
            is_src,
            out_name: out_name(&candidate),
        })
    })
}

/// What makes two paths the same file to the walk: the path with symbolic
/// links and `..` resolved, when it can be.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The rendered file's name: the template's, without `.src`.
fn out_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".src") {
        Some(stem) if !stem.is_empty() => stem.to_owned(),
        _ => name,
    }
}

/// Prints every failure, in the order of the walk.
fn report(failures: Vec<Failure>) -> Result<(), TemplateError> {
    if failures.is_empty() {
        return Ok(());
    }
    let files = failures.len();
    let mut problems = 0;
    for failure in failures {
        match failure {
            Failure::Unreadable(path, reason) => {
                say(format_args!(
                    "{}: cannot read the template: {reason}",
                    shown(&path)
                ));
                problems += 1;
            }
            Failure::Problems(file, mut list) => {
                problems += list.len();
                print_problems(&file.display(), &file.src, &mut list);
            }
        }
    }
    Err(TemplateError::Problems { problems, files })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_names_drop_src() {
        assert_eq!(out_name(Path::new("a/extra.config.src")), "extra.config");
        assert_eq!(out_name(Path::new("app.env")), "app.env");
        assert_eq!(out_name(Path::new(".src")), ".src");
    }
}
