//! launch: renders an Erlang/Elixir release's configuration from the
//! environment, then runs the release. This file reads the command line,
//! picks the mode and maps every outcome to an exit code.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use launch::cli::{Cli, Mode, SuperviseArgs, TemplateArgs, VarsFormat};
use launch::diag::{Log, say};
use launch::env_file::{self, EnvFileError};
use launch::output::{self, OpenError, OutDir, Outside, WriteError};
use launch::release;
use launch::resolve::{Env, Resolver};
use launch::supervise;
use launch::templates::{self, Role, TemplateError};
use launch::types::Type;
use launch::vars;

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// Exit codes of launch itself.
mod code {
    pub const USAGE: u8 = 64;
    pub const OS_ERROR: u8 = 71;
    pub const CANT_CREATE: u8 = 73;
    pub const IO_ERROR: u8 = 74;
    pub const CONFIG: u8 = 78;
}

/// Why launch stopped before doing its job.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    EnvFiles(#[from] EnvFileError),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    #[error("{0}")]
    Release(String),
}

impl From<OpenError> for Failure {
    fn from(e: OpenError) -> Failure {
        match e {
            OpenError::Refused(message) => Failure::Usage(message),
            OpenError::Write(e) => Failure::Write(e),
        }
    }
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Templates(TemplateError::Usage(_)) => code::USAGE,
            Failure::EnvFiles(_)
            | Failure::Templates(TemplateError::Problems { .. })
            | Failure::Release(_) => code::CONFIG,
            Failure::Write(_) => code::CANT_CREATE,
            Failure::Stdout(_) => code::IO_ERROR,
        }
    }
}

fn main() -> ExitCode {
    // Signals are taken before anything else, so that none is lost while the
    // command line is read and the templates rendered: in the main job each
    // is forwarded once the child exists; the other modes give them back.
    let signals = supervise::take_signals();
    let env = Env::from_process();
    let cli = match Cli::parse_args(std::env::args_os(), &env) {
        Ok(cli) => cli,
        Err(e) => return usage_exit(&e),
    };
    let log = cli.templates.log();
    let signals = match signals {
        Ok(signals) => signals,
        Err(e) => {
            say(format_args!("cannot take over signals: {e}"));
            return ExitCode::from(code::OS_ERROR);
        }
    };
    let result = match &cli.mode {
        Some(Mode::Run(command)) => main_job(&cli, command, signals, env, log),
        mode => {
            signals.release();
            other_mode(&cli.templates, mode.as_ref(), env, log)
        }
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            say(&failure);
            ExitCode::from(failure.code())
        }
    }
}

/// The environment with the variables of the env files laid over it; the
/// environment as it is when there are none, which costs nothing. Each mode
/// reads them once its command line is known to be usable: a usage error
/// (64) comes before a problem in a file (78).
fn with_env_files(env: Env, paths: &[PathBuf]) -> Result<Env, Failure> {
    if paths.is_empty() {
        return Ok(env);
    }
    let variables = env_file::read_all(paths, &env)?;
    Ok(env.with_files(variables))
}

/// Help and version go to standard output with exit 0; a bad command line
/// to standard error with exit 64, prefixed like every message of launch.
fn usage_exit(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return match e.print() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say(Failure::Stdout(e));
                ExitCode::from(code::IO_ERROR)
            }
        };
    }
    let text = e.render().to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let _ = write!(std::io::stderr(), "launch: {text}");
    ExitCode::from(code::USAGE)
}

/// `render`, `check` and `vars`.
fn other_mode(
    args: &TemplateArgs,
    mode: Option<&Mode>,
    env: Env,
    log: Log,
) -> Result<ExitCode, Failure> {
    let Some(mode) = mode else {
        return Err(Failure::Usage(
            "nothing to do: give a COMMAND to run, or one of render, check, vars (see --help)"
                .into(),
        ));
    };
    if let Mode::Render { stdout: false } = mode
        && args.out_dir.is_none()
    {
        return Err(Failure::Usage(
            "render needs --out-dir DIR (or LAUNCH_OUT_DIR) or --stdout".into(),
        ));
    }
    let env = &with_env_files(env, &args.env_files)?;
    let types = types(args);
    let assumed: &[String] = match mode {
        Mode::Check { assume_set } => assume_set,
        _ => &[],
    };
    let resolver = Resolver::new(env, &types).assuming(assumed);
    let release::Selection {
        templates: chosen,
        root,
    } = select(args, &[], env, log)?;
    let base = include_base(root.as_deref());
    match mode {
        Mode::Render { stdout: true } => {
            let rendered = templates::render(chosen, &base, &resolver)?;
            print_rendered(&rendered).map_err(Failure::Stdout)?;
        }
        Mode::Render { stdout: false } => {
            let rendered = templates::render(chosen, &base, &resolver)?;
            let dir = args.out_dir.as_deref().unwrap_or(Path::new("."));
            check_out_dir(dir, &rendered, None)?;
            let out = OutDir::at(dir, None, false, &outside(root.as_deref(), &rendered))?;
            write_all(&out, &rendered, log, Log::Normal)?;
        }
        Mode::Check { .. } => {
            let rendered = templates::render(chosen, &base, &resolver)?;
            let count: usize = rendered.iter().map(|r| r.placeholders).sum();
            let file_count = rendered.len();
            let (needed, unneeded) = resolver.assumed_needed(assumed);
            for name in unneeded {
                log.outcome(format_args!(
                    "{name} was assumed set (--assume-set), but no placeholder needed it"
                ));
            }
            let assumed = match needed.len() {
                0 => String::new(),
                1 => "; 1 variable assumed set".to_owned(),
                n => format!("; {n} variables assumed set"),
            };
            log.outcome(format_args!(
                "ok: {count} placeholder{} in {file_count} file{} resolved{assumed}",
                if count == 1 { "" } else { "s" },
                if file_count == 1 { "" } else { "s" }
            ));
        }
        Mode::Vars { json, format } => {
            let listed = templates::list(chosen, &base)?;
            let vars = vars::aggregate(&listed, env, &types);
            let format = VarsFormat::chosen(*json, *format);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            vars::print(&vars, format, &mut out)
                .and_then(|()| out.flush())
                .map_err(Failure::Stdout)?;
        }
        Mode::Run(_) => unreachable!("the main job is not another mode"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The types given with `--type`.
fn types(args: &TemplateArgs) -> HashMap<String, Type> {
    args.types.iter().cloned().collect()
}

/// The templates to walk (saying once when there are none), with the
/// release root they came from, if any.
fn select(
    args: &TemplateArgs,
    command: &[OsString],
    env: &Env,
    log: Log,
) -> Result<release::Selection, Failure> {
    let selection = release::select(args, command, env).map_err(Failure::Release)?;
    if selection.templates.is_empty() {
        log.outcome(
            "no templates: no --sys-config, --vm-args or --file, and no release found to take them from",
        );
    }
    Ok(selection)
}

/// The directory relative include names of a sys.config resolve against:
/// where the release runs, its root; else the current directory.
fn include_base(root: Option<&Path>) -> PathBuf {
    root.map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// What the out dir must not be: the release, or a template's directory
/// (launch never writes into the release, and never over a template).
fn outside(root: Option<&Path>, rendered: &[templates::Rendered]) -> Outside {
    Outside::new(root, rendered.iter().map(|r| r.file.path.as_path()))
}

/// Refuses, before anything is written, a rendered file name that cannot be
/// written, and for a release (`for_release`: what named the directory) an
/// out dir it cannot use (see [`check_release_path`]).
fn check_out_dir(
    dir: &Path,
    rendered: &[templates::Rendered],
    for_release: Option<&str>,
) -> Result<(), Failure> {
    for r in rendered {
        output::check_name(&r.file.out_name).map_err(|source| WriteError {
            path: format!("{} (for {})", r.file.written_to(dir), r.file.display()),
            source,
        })?;
    }
    match (for_release, std::path::absolute(dir)) {
        (Some(named_by), Ok(dir)) => check_release_path(&dir, rendered, named_by),
        _ => Ok(()),
    }
}

/// Refuses the out dir `dir` (an absolute path, named by `named_by`) when
/// the release could not open its files there: the path of a sys.config or
/// vm.args that is not UTF-8 (erl cannot read one at another), or a rendered
/// file's path of PATH_MAX bytes or more. Checked on the path as given
/// before anything is made, and on the path the walk resolved before
/// anything is written.
fn check_release_path(
    dir: &Path,
    rendered: &[templates::Rendered],
    named_by: &str,
) -> Result<(), Failure> {
    // PATH_MAX on Linux, the terminating NUL included.
    const PATH_MAX: usize = 4096;
    let for_erl = rendered
        .iter()
        .any(|r| matches!(r.file.role, Role::SysConfig | Role::VmArgs));
    if for_erl && dir.to_str().is_none() {
        return Err(Failure::Usage(format!(
            "the out dir {} (from {named_by}) is not UTF-8, and erl cannot read a sys.config \
             or vm.args there; set {named_by} to a directory whose path is UTF-8",
            dir.display()
        )));
    }
    if let Some(r) = rendered
        .iter()
        .find(|r| dir.join(&r.file.out_name).as_os_str().len() >= PATH_MAX - 1)
    {
        return Err(Failure::Usage(format!(
            "the out dir {} (from {named_by}) is too long: the release could not open its {} \
             there (a path of {PATH_MAX} bytes or more); set {named_by} to a shorter path",
            dir.display(),
            r.file.out_name
        )));
    }
    Ok(())
}

/// Writes rendered files to stdout; with more than one, each after a
/// `==> NAME <==` header line, as `head` and `tail` do.
fn print_rendered(rendered: &[templates::Rendered]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, r) in rendered.iter().enumerate() {
        if rendered.len() > 1 {
            let gap = if i == 0 { "" } else { "\n" };
            writeln!(out, "{gap}==> {} <==", r.file.display())?;
        }
        out.write_all(&r.bytes)?;
    }
    out.flush()
}

/// Writes every rendered file into `out`, all or none, saying so at
/// `say_at`; returns where the release's sys.config and vm.args went.
fn write_all(
    out: &OutDir,
    rendered: &[templates::Rendered],
    log: Log,
    say_at: Log,
) -> Result<Vec<(Role, PathBuf)>, WriteError> {
    // Every file is made, then written: all of them or none. Include names
    // are written as absolute paths: the release may run anywhere.
    let all = rendered
        .iter()
        .map(|r| {
            let bytes = r.bytes_for(out.path()).map_err(|source| WriteError {
                path: r.file.written_to(out.path()),
                source,
            })?;
            Ok((r, bytes))
        })
        .collect::<Result<Vec<_>, WriteError>>()?;
    let files: Vec<(&str, &[u8])> = all
        .iter()
        .map(|(r, bytes)| (r.file.out_name.as_str(), bytes.as_ref()))
        .collect();
    let paths = out.write_all(&files).map_err(|(i, source)| WriteError {
        path: all[i].0.file.written_to(out.path()),
        source,
    })?;
    if log >= say_at {
        for (r, _) in &all {
            let shown = r.file.written_to(out.path());
            say(format_args!("rendered {} to {shown}", r.file.display()));
        }
    }
    Ok(all.iter().map(|(r, _)| r.file.role).zip(paths).collect())
}

/// The supervision options from the command line; a user is looked up now.
fn supervise_options(a: &SuperviseArgs, log: Log) -> Result<supervise::Options, Failure> {
    let user = match &a.user {
        Some(spec) => Some(supervise::parse_user(spec).map_err(Failure::Usage)?),
        None => None,
    };
    // A hook that could never start is found now, not when the container stops.
    if let (Some(hook), false) = (&a.pre_stop, a.exec) {
        hook.check().map_err(Failure::Usage)?;
    }
    Ok(supervise::Options {
        group: a.group,
        rewrites: supervise::signals::Rewrites::new(&a.rewrite).map_err(Failure::Usage)?,
        grace_period: a.grace_period,
        stop_delay: a.stop_delay,
        pre_stop: a.pre_stop.clone(),
        wait: a.wait.clone(),
        wait_timeout: a.wait_timeout,
        user,
        log,
    })
}

/// The main job: render, write the files where the release reads them,
/// point the release at them, run COMMAND.
fn main_job(
    cli: &Cli,
    command: &[OsString],
    signals: supervise::Signals,
    env: Env,
    log: Log,
) -> Result<ExitCode, Failure> {
    let args = &cli.templates;
    let opts = supervise_options(&cli.supervise, log)?;
    let env = &with_env_files(env, &args.env_files)?;
    let types = types(args);
    let resolver = Resolver::new(env, &types);
    let release::Selection {
        templates: chosen,
        root,
    } = select(args, command, env, log)?;
    let rendered = if chosen.is_empty() {
        Vec::new()
    } else {
        templates::render(chosen, &include_base(root.as_deref()), &resolver)?
    };
    let run = |env_changes: &[release::EnvChange]| {
        if cli.supervise.exec {
            supervise::exec(signals, command, env_changes, &opts)
        } else {
            supervise::run(signals, command, env_changes, &opts)
        }
    };
    if rendered.is_empty() && args.out_dir.is_none() {
        // Nothing to write: no directory, and the release is left as it is.
        return Ok(run(&release::child_env(None, None, None, env)));
    }
    // The given directory, or a private one removed when launch exits (also
    // when COMMAND cannot be started, even with --exec).
    let out = match &args.out_dir {
        Some(dir) => dir.clone(),
        None => output::temp_dir(env),
    };
    let named_by = match &args.out_dir {
        Some(_) => "--out-dir (LAUNCH_OUT_DIR)",
        None => "TMPDIR",
    };
    check_out_dir(&out, &rendered, Some(named_by))?;
    let owner = opts.user.as_ref().map(supervise::User::ids);
    let outside = outside(root.as_deref(), &rendered);
    let out = match &args.out_dir {
        Some(_) => OutDir::at(&out, owner, true, &outside)?,
        None => OutDir::private(&out, owner, &outside)?,
    };
    check_release_path(out.path(), &rendered, named_by)?;
    let written = write_all(&out, &rendered, log, Log::Verbose)?;
    // The templates are not needed any more: free them before the child runs.
    drop(rendered);
    let find = |role| {
        written
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, p)| p.as_path())
    };
    let changes = release::child_env(
        find(Role::SysConfig),
        find(Role::VmArgs),
        Some(out.path()),
        env,
    );
    let code = run(&changes);
    drop(out);
    Ok(code)
}
