//! Which templates a run renders, and rendering them all: every problem of
//! every file is collected and printed before anything is written.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::cli::TemplateArgs;
use crate::diag::{Problem, print_problems, say};
use crate::format::{Format, Found};
use crate::input::{MAX_TEMPLATE, read_file};
use crate::release;
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
}

impl TemplateFile {
    /// The path as messages show it (without a leading `./`).
    pub fn display(&self) -> String {
        let shown = self.path.display().to_string();
        match shown.strip_prefix("./") {
            Some(rest) => rest.to_owned(),
            None => shown,
        }
    }
}

/// Why a run over the templates stopped; the details were already printed.
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

/// The templates named on the command line or found in the release, in the
/// order sys.config, vm.args, other files.
pub fn select(args: &TemplateArgs, command: &[OsString]) -> Vec<(PathBuf, Role)> {
    let mut chosen = Vec::new();
    // The release is looked for once, and only when a template is missing.
    let mut release: Option<Option<(PathBuf, String)>> = None;
    let mut discovered = |name: &str| -> Option<PathBuf> {
        let found = release.get_or_insert_with(|| {
            let root = release::root(args.root.as_deref(), command)?;
            let version = release::version(&root)?;
            Some((root, version))
        });
        let (root, version) = found.as_ref()?;
        release::template(root, version, name)
    };
    if let Some(p) = args.sys_config.clone().or_else(|| discovered("sys.config")) {
        chosen.push((p, Role::SysConfig));
    }
    if let Some(p) = args.vm_args.clone().or_else(|| discovered("vm.args")) {
        chosen.push((p, Role::VmArgs));
    }
    chosen.extend(args.files.iter().map(|p| (p.clone(), Role::Other)));
    chosen
}

/// Reads the templates. A file that cannot be read is a problem like any other.
pub fn load(chosen: Vec<(PathBuf, Role)>) -> Result<Vec<TemplateFile>, TemplateError> {
    let mut files = Vec::with_capacity(chosen.len());
    let mut unreadable = 0;
    let mut by_out_name: HashMap<String, PathBuf> = HashMap::new();
    for (path, role) in chosen {
        let (format, out_name) = match role {
            Role::SysConfig => (Format::Erlang, "sys.config".to_owned()),
            Role::VmArgs => (Format::Args, "vm.args".to_owned()),
            Role::Other | Role::Include => (Format::of(&path), out_name(&path)),
        };
        if let Some(earlier) = by_out_name.insert(out_name.clone(), path.clone()) {
            return Err(TemplateError::Usage(format!(
                "{} and {} would both be written to {out_name}",
                earlier.display(),
                path.display()
            )));
        }
        match read_file(&path, MAX_TEMPLATE) {
            Ok(src) => files.push(TemplateFile {
                path,
                role,
                format,
                out_name,
                src,
            }),
            Err(e) => {
                say(format_args!(
                    "{}: cannot read the template: {e}",
                    path.display()
                ));
                unreadable += 1;
            }
        }
    }
    if unreadable > 0 {
        return Err(TemplateError::Problems {
            problems: unreadable,
            files: unreadable,
        });
    }
    Ok(files)
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

/// A rendered file, ready to be written.
#[derive(Debug)]
pub struct Rendered {
    /// The template it came from.
    pub file: TemplateFile,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// In a sys.config: the spans of include names whose files were rendered
    /// too, with the name of the rendered copy in the out dir.
    pub includes: Vec<(std::ops::Range<usize>, String)>,
}

impl Rendered {
    /// The bytes to write into `out_dir`: include names point at the rendered
    /// copies there.
    pub fn bytes_for(&self, out_dir: &Path) -> std::borrow::Cow<'_, [u8]> {
        if self.includes.is_empty() {
            return std::borrow::Cow::Borrowed(&self.bytes);
        }
        let mut out = Vec::with_capacity(self.bytes.len() + 64 * self.includes.len());
        let mut cursor = 0;
        for (span, name) in &self.includes {
            out.extend_from_slice(&self.bytes[cursor..span.start]);
            let path = out_dir.join(name);
            out.push(b'"');
            crate::format::erlang::escape::escape_chars(&path.to_string_lossy(), b'"', &mut out);
            out.push(b'"');
            cursor = span.end;
        }
        out.extend_from_slice(&self.bytes[cursor..]);
        std::borrow::Cow::Owned(out)
    }
}

/// Renders every template, and the config files a sys.config includes that
/// are templates themselves (relative names resolve against `base`, where the
/// release runs). All problems of all files are printed, then the outcome
/// returned. Nothing is written here.
pub fn render_all(
    files: Vec<TemplateFile>,
    base: &Path,
    resolver: &Resolver<'_>,
) -> Result<Vec<Rendered>, TemplateError> {
    let mut taken: HashMap<String, PathBuf> = files
        .iter()
        .map(|f| (f.out_name.clone(), f.path.clone()))
        .collect();
    let mut rendered = Vec::with_capacity(files.len());
    let mut failures = Vec::new();
    let mut queue: std::collections::VecDeque<TemplateFile> = files.into();
    while let Some(file) = queue.pop_front() {
        let result = if file.role == Role::SysConfig {
            crate::format::erlang::render_with_top_strings(&file.src, resolver)
        } else {
            file.format
                .render(&file.src, resolver)
                .map(|b| (b, Vec::new()))
        };
        let (bytes, tops) = match result {
            Ok(done) => done,
            Err(problems) => {
                failures.push((file, problems));
                continue;
            }
        };
        let mut includes = Vec::new();
        let mut problems = Vec::new();
        for top in tops {
            match include(&top.text, base) {
                Ok(None) => {}
                Ok(Some(template)) => {
                    if let Some(earlier) =
                        taken.insert(template.out_name.clone(), template.path.clone())
                    {
                        return Err(TemplateError::Usage(format!(
                            "{} and {} would both be written to {}",
                            earlier.display(),
                            template.path.display(),
                            template.out_name
                        )));
                    }
                    includes.push((top.rendered, template.out_name.clone()));
                    queue.push_back(template);
                }
                Err(message) => problems.push(Problem::new(top.template_at, message)),
            }
        }
        if problems.is_empty() {
            rendered.push(Rendered {
                file,
                bytes,
                includes,
            });
        } else {
            failures.push((file, problems));
        }
    }
    report(failures)?;
    Ok(rendered)
}

/// The template behind an include name of a sys.config, when it is one:
/// `NAME.src` beside the file, or the file itself when it holds `${`. OTP
/// also accepts the name without `.config`. A file that is not a template,
/// or is not there (it may be mounted only where the release runs), is left
/// to the release.
fn include(name: &str, base: &Path) -> Result<Option<TemplateFile>, String> {
    let given = Path::new(name);
    let path = if given.is_absolute() {
        given.to_path_buf()
    } else {
        base.join(given)
    };
    let mut candidates = vec![path.clone()];
    if path.extension().is_none_or(|e| e != "config") {
        candidates.push(PathBuf::from(format!("{}.config", path.display())));
    }
    for candidate in &candidates {
        let src_path = PathBuf::from(format!("{}.src", candidate.display()));
        let (template_path, is_src) = if src_path.is_file() {
            (src_path, true)
        } else if candidate.is_file() {
            (candidate.clone(), false)
        } else {
            continue;
        };
        let src = read_file(&template_path, MAX_TEMPLATE)
            .map_err(|e| format!("cannot read included {}: {e}", template_path.display()))?;
        if !is_src && !crate::placeholder::has_placeholder(&src) {
            return Ok(None);
        }
        return Ok(Some(TemplateFile {
            out_name: out_name(candidate),
            path: template_path,
            role: Role::Include,
            format: Format::Erlang,
            src,
        }));
    }
    Ok(None)
}

/// Every template with its placeholders: the given ones, then the config
/// files their sys.config includes that are templates, found as
/// [`render_all`] finds them (an include whose name is built from
/// placeholders is known only once rendered).
pub fn placeholders(
    files: Vec<TemplateFile>,
    base: &Path,
) -> Result<Vec<(TemplateFile, Vec<Found>)>, TemplateError> {
    let mut seen: std::collections::HashSet<PathBuf> =
        files.iter().map(|f| f.path.clone()).collect();
    let mut queue: std::collections::VecDeque<TemplateFile> = files.into();
    let mut all = Vec::new();
    let mut failures = Vec::new();
    while let Some(file) = queue.pop_front() {
        let found = match file.format.placeholders(&file.src) {
            Ok(found) => found,
            Err(problems) => {
                failures.push((file, problems));
                continue;
            }
        };
        let mut problems = Vec::new();
        if file.role == Role::SysConfig {
            for (at, name) in crate::format::erlang::top_strings(&file.src) {
                match include(&name, base) {
                    Ok(Some(template)) if seen.insert(template.path.clone()) => {
                        queue.push_back(template);
                    }
                    Ok(_) => {}
                    Err(message) => problems.push(Problem::new(at, message)),
                }
            }
        }
        if problems.is_empty() {
            all.push((file, found));
        } else {
            failures.push((file, problems));
        }
    }
    report(failures)?;
    Ok(all)
}

fn report(failures: Vec<(TemplateFile, Vec<Problem>)>) -> Result<(), TemplateError> {
    if failures.is_empty() {
        return Ok(());
    }
    let files = failures.len();
    let mut problems = 0;
    for (file, mut list) in failures {
        problems += list.len();
        print_problems(&file.display(), &file.src, &mut list);
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
