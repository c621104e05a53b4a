//! launch: renders an Erlang/Elixir release's configuration from the
//! environment, then runs the release. This file parses the command line,
//! picks the mode and maps every outcome to an exit code (SPEC §6).

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use launch::cli::{self, Cli, Mode, Stop, TemplateArgs};
use launch::diag::{Log, say};
use launch::output::{OutDir, WriteError};
use launch::release;
use launch::resolve::{Env, Resolver};
use launch::supervise;
use launch::templates::{self, Role, TemplateError};
use launch::types::Type;

/// Exit codes of launch itself.
mod code {
    pub const USAGE: u8 = 64;
    pub const CANT_CREATE: u8 = 73;
    pub const CONFIG: u8 = 78;
    pub const OS_ERROR: u8 = 71;
}

fn log_level(args: &TemplateArgs) -> Log {
    if args.quiet {
        return Log::Quiet;
    }
    if args.verbose {
        return Log::Verbose;
    }
    Log::Normal
}

/// Why launch stopped before doing its job.
#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Templates(#[from] TemplateError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Templates(TemplateError::Usage(_)) => code::USAGE,
            Failure::Templates(TemplateError::Problems { .. }) => code::CONFIG,
            Failure::Write(_) => code::CANT_CREATE,
        }
    }
}

fn main() -> ExitCode {
    // Signals are taken before anything else, so that none is lost while the
    // command line is read and the templates rendered: in the main job each
    // is forwarded once the child exists; the other modes give them back.
    let signals = supervise::take_signals();
    let mut cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(Stop::Help(text) | Stop::Version(text)) => {
            let _ = std::io::stdout().write_all(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(Stop::Usage(message)) => {
            let _ = std::io::stderr().write_all(message.as_bytes());
            return ExitCode::from(code::USAGE);
        }
    };
    let log = log_level(&cli.templates);
    let signals = match signals {
        Ok(signals) => signals,
        Err(e) => {
            say(format_args!("cannot take over signals: {e}"));
            return ExitCode::from(code::OS_ERROR);
        }
    };
    let job = match cli.mode.take() {
        None if !cli.command.is_empty() => Job::Run(signals),
        mode => {
            signals.release();
            Job::Other(mode)
        }
    };
    match run(cli, job, log) {
        Ok(code) => code,
        Err(failure) => {
            say(&failure);
            ExitCode::from(failure.code())
        }
    }
}

/// What launch was asked to do.
enum Job {
    /// The main job: render, then run COMMAND, forwarding the signals taken
    /// at start.
    Run(supervise::Signals),
    /// `render`, `check` or `vars`; `None` when neither a mode nor a COMMAND
    /// was given.
    Other(Option<Mode>),
}

fn run(cli: Cli, job: Job, log: Log) -> Result<ExitCode, Failure> {
    let env = Env::from_process();
    let types: HashMap<String, Type> = cli.templates.types.iter().cloned().collect();
    let resolver = Resolver::new(&env, &types);
    let args = &cli.templates;
    let mode = match job {
        Job::Other(Some(mode)) => mode,
        Job::Other(None) => {
            return Err(Failure::Usage(
                "nothing to do: give a COMMAND to run, or one of render, check, vars (see --help)"
                    .into(),
            ));
        }
        Job::Run(signals) => {
            let opts = supervise_options(&cli.supervise, log)?;
            let chosen = select(args, &cli.command, log);
            let rendered = if chosen.is_empty() {
                Vec::new()
            } else {
                let base = include_base(args, &cli.command);
                templates::render(chosen, &base, &resolver)?
            };
            let job = MainJob {
                command: &cli.command,
                exec: cli.supervise.exec,
                signals,
                opts,
            };
            return main_job(args, job, rendered, log);
        }
    };
    if let Mode::Render { stdout: false } = mode
        && args.out_dir.is_none()
    {
        return Err(Failure::Usage(
            "render needs --out-dir DIR (or LAUNCH_OUT_DIR) or --stdout".into(),
        ));
    }
    let chosen = select(args, &[], log);
    let base = include_base(args, &[]);
    match mode {
        Mode::Render { stdout } => {
            let rendered = templates::render(chosen, &base, &resolver)?;
            if stdout {
                print_rendered(&rendered);
            } else if let Some(dir) = &args.out_dir {
                write_all(&OutDir::at(dir)?, &rendered, log >= Log::Normal)?;
            }
        }
        Mode::Check => {
            let rendered = templates::render(chosen, &base, &resolver)?;
            let count: usize = rendered.iter().map(|r| r.placeholders).sum();
            let file_count = rendered.len();
            if log >= Log::Normal {
                say(format_args!(
                    "ok: {count} placeholder{} in {file_count} file{} resolved",
                    if count == 1 { "" } else { "s" },
                    if file_count == 1 { "" } else { "s" }
                ));
            }
        }
        Mode::Vars { json } => {
            let listed = templates::list(chosen, &base)?;
            let vars = aggregate(&listed, &env, &types);
            print_vars(&vars, json);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The templates to walk, saying once when there are none.
fn select(
    args: &TemplateArgs,
    command: &[std::ffi::OsString],
    log: Log,
) -> Vec<(std::path::PathBuf, Role)> {
    let chosen = templates::select(args, command);
    if chosen.is_empty() && log >= Log::Normal {
        say(
            "no templates: no --sys-config, --vm-args or --file, and no release found to take them from",
        );
    }
    chosen
}

/// The directory relative include names of a sys.config resolve against:
/// where the release runs, its root; else the current directory.
fn include_base(args: &TemplateArgs, command: &[std::ffi::OsString]) -> std::path::PathBuf {
    release::root(args.root.as_deref(), command).unwrap_or_else(|| ".".into())
}

/// Writes rendered files to stdout; with more than one, each after a
/// `==> NAME <==` header line, as `head` and `tail` do.
fn print_rendered(rendered: &[templates::Rendered]) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, r) in rendered.iter().enumerate() {
        if rendered.len() > 1 {
            let gap = if i == 0 { "" } else { "\n" };
            let _ = writeln!(out, "{gap}==> {} <==", r.file.display());
        }
        let _ = out.write_all(&r.bytes);
    }
    let _ = out.flush();
}

/// Writes every rendered file into `out`, each atomically; returns where the
/// release's sys.config and vm.args went.
fn write_all(
    out: &OutDir,
    rendered: &[templates::Rendered],
    say_each: bool,
) -> Result<Vec<(Role, std::path::PathBuf)>, WriteError> {
    // Include names are written as absolute paths: the release may run
    // anywhere.
    let dir = std::path::absolute(out.path()).unwrap_or_else(|_| out.path().to_path_buf());
    let mut written = Vec::with_capacity(rendered.len());
    for r in rendered {
        let bytes = r.bytes_for(&dir).map_err(|source| WriteError {
            path: dir.join(&r.file.out_name).display().to_string(),
            source,
        })?;
        let path = out.write(&r.file.out_name, &bytes)?;
        if say_each {
            say(format_args!(
                "rendered {} to {}",
                r.file.display(),
                path.display()
            ));
        }
        written.push((r.file.role, path));
    }
    Ok(written)
}

/// One variable as `vars` reports it; its fields are what `vars --json` promises.
#[derive(Debug, serde::Serialize)]
struct Var {
    name: String,
    #[serde(rename = "type")]
    ty: &'static str,
    default: Option<String>,
    required: bool,
    set: bool,
    locations: Vec<String>,
}

/// One entry per variable, in order of first appearance.
fn aggregate(listed: &[templates::Listed], env: &Env, types: &HashMap<String, Type>) -> Vec<Var> {
    let mut vars: Vec<Var> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut explicit_type: Vec<bool> = Vec::new();
    let found = listed.iter().flat_map(|l| {
        l.placeholders
            .iter()
            .map(|(f, at)| (format!("{}:{at}", l.file.display()), f.clone()))
    });
    for (location, f) in found {
        let declared = f.ty.or_else(|| types.get(&f.name).copied());
        let i = *index.entry(f.name.clone()).or_insert_with(|| {
            vars.push(Var {
                name: f.name.clone(),
                ty: declared.unwrap_or(f.context_type).name(),
                default: None,
                required: false,
                set: env.provides(&f.name),
                locations: Vec::new(),
            });
            explicit_type.push(declared.is_some());
            vars.len() - 1
        });
        let var = &mut vars[i];
        if !explicit_type[i]
            && let Some(ty) = declared
        {
            var.ty = ty.name();
            explicit_type[i] = true;
        }
        if var.default.is_none() {
            var.default = f.default;
        }
        var.required |= f.required;
        var.locations.push(location);
    }
    vars
}

fn print_vars(vars: &[Var], json: bool) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        let _ = serde_json::to_writer_pretty(&mut out, vars);
        let _ = writeln!(out);
        return;
    }
    let width = vars.iter().map(|v| v.name.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(
        out,
        "{:width$}  {:8}  {:8}  {:3}  DEFAULT",
        "NAME", "TYPE", "REQUIRED", "SET"
    );
    for v in vars {
        let _ = writeln!(
            out,
            "{:width$}  {:8}  {:8}  {:3}  {}",
            v.name,
            v.ty,
            if v.required { "yes" } else { "no" },
            if v.set { "yes" } else { "no" },
            v.default.as_deref().unwrap_or("-")
        );
    }
}

/// What the main job runs, and how.
struct MainJob<'a> {
    command: &'a [std::ffi::OsString],
    exec: bool,
    signals: supervise::Signals,
    opts: supervise::Options,
}

/// The supervision options from the command line; a user is looked up now.
fn supervise_options(a: &cli::SuperviseArgs, log: Log) -> Result<supervise::Options, Failure> {
    let user = match &a.user {
        Some(spec) => Some(supervise::parse_user(spec).map_err(Failure::Usage)?),
        None => None,
    };
    Ok(supervise::Options {
        group: a.group,
        rewrites: supervise::signals::Rewrites::new(&a.rewrite),
        grace_period: a.grace_period,
        stop_delay: a.stop_delay,
        pre_stop: a.pre_stop.clone(),
        wait: a.wait.clone(),
        wait_timeout: a.wait_timeout,
        user,
        log,
    })
}

/// Writes the rendered files into the out dir, points the release at them,
/// runs COMMAND.
fn main_job(
    args: &TemplateArgs,
    job: MainJob<'_>,
    rendered: Vec<templates::Rendered>,
    log: Log,
) -> Result<ExitCode, Failure> {
    if rendered.is_empty() && args.out_dir.is_none() {
        // Nothing to write: no directory, and the release is left as it is.
        let env = release::child_env(None, None, None);
        return Ok(run_command(job, &env));
    }
    // A private directory removed when launch exits, unless one was given.
    let private = match &args.out_dir {
        Some(_) => None,
        None => Some(
            tempfile::Builder::new()
                .prefix("launch.")
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .tempdir()
                .map_err(|source| WriteError {
                    path: std::env::temp_dir().display().to_string(),
                    source,
                })?,
        ),
    };
    let dir = match (&args.out_dir, &private) {
        (Some(dir), _) => dir.clone(),
        (None, Some(tmp)) => tmp.path().to_path_buf(),
        (None, None) => unreachable!("a private directory is made when none is given"),
    };
    let out = OutDir::at(&dir)?;
    let written = write_all(&out, &rendered, log >= Log::Verbose)?;
    // The templates are not needed any more: free them before the child runs.
    drop(rendered);
    if let Some((uid, gid)) = job.opts.user {
        // The rendered files belong to the user the release runs as.
        for path in std::iter::once(out.path()).chain(written.iter().map(|(_, p)| p.as_path())) {
            std::os::unix::fs::chown(path, Some(uid.as_raw()), Some(gid.as_raw())).map_err(
                |source| WriteError {
                    path: path.display().to_string(),
                    source,
                },
            )?;
        }
    }
    let find = |role| {
        written
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, p)| p.as_path())
    };
    let env = release::child_env(find(Role::SysConfig), find(Role::VmArgs), Some(out.path()));
    // With --exec the process is replaced and nothing would remove the
    // directory: keep it.
    let private = if job.exec {
        private.map(tempfile::TempDir::keep);
        None
    } else {
        private
    };
    let code = run_command(job, &env);
    drop(private);
    Ok(code)
}

/// Runs the command supervised, or in launch's place with `--exec`.
fn run_command(job: MainJob<'_>, env: &[release::EnvChange]) -> ExitCode {
    if job.exec {
        supervise::exec(job.signals, job.command, env, &job.opts)
    } else {
        supervise::run(job.signals, job.command, env, &job.opts)
    }
}
