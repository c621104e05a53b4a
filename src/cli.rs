//! The command line of SPEC §1 and §5: flags, their environment variables,
//! and the subcommands. Definitions and parsing only; `main` decides what
//! they mean.
//!
//! Every option is one row of [`OPTIONS`], from which both the parser and
//! `--help` work. The parser is written out here rather than built with an
//! argument-parsing library: launch starts before every release, and
//! building such a library's model of the command line took a third of the
//! time of a small render (a few hundred allocations, and the pages musl's
//! allocator maps and unmaps for them).

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::supervise::signals::{parse_duration, parse_rewrite};
use crate::supervise::wait::Target;
use crate::types::Type;

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct Cli {
    /// Where the templates are and where rendered files go.
    pub templates: TemplateArgs,
    /// How COMMAND is supervised (the main job only).
    pub supervise: SuperviseArgs,
    /// render, check or vars; without one, COMMAND is run.
    pub mode: Option<Mode>,
    /// The command to run once the templates are rendered (the main job).
    pub command: Vec<OsString>,
}

/// Template options, accepted by every mode.
#[derive(Debug, Clone, Default)]
pub struct TemplateArgs {
    /// `--root`: the release root.
    pub root: Option<PathBuf>,
    /// `--sys-config`: the sys.config template.
    pub sys_config: Option<PathBuf>,
    /// `--vm-args`: the vm.args template.
    pub vm_args: Option<PathBuf>,
    /// `--file`: any other templates.
    pub files: Vec<PathBuf>,
    /// `--out-dir`: where rendered files go.
    pub out_dir: Option<PathBuf>,
    /// `--type NAME=TYPE`: types for placeholders whose template names none.
    pub types: Vec<(String, Type)>,
    /// `-q` or `LAUNCH_LOG=quiet`: print nothing but problems.
    pub quiet: bool,
    /// `-v` or `LAUNCH_LOG=verbose`: say what launch does.
    pub verbose: bool,
}

/// Supervision options of the main job (SPEC §5).
#[derive(Debug, Clone)]
pub struct SuperviseArgs {
    /// `--exec`: render, then replace launch with COMMAND.
    pub exec: bool,
    /// `--group`: forward signals to the child's process group.
    pub group: bool,
    /// `--rewrite FROM:TO`: signals forwarded as others, or dropped (TO 0).
    pub rewrite: Vec<(i32, i32)>,
    /// `--grace-period`: SIGKILL the group this long after a stop signal.
    pub grace_period: Option<Duration>,
    /// `--stop-delay`: wait this long before forwarding a stop signal.
    pub stop_delay: Option<Duration>,
    /// `--pre-stop CMD`: run before forwarding a stop signal.
    pub pre_stop: Option<String>,
    /// `--wait URL`: what must be up before COMMAND starts.
    pub wait: Vec<Target>,
    /// `--wait-timeout`: how long to wait for it.
    pub wait_timeout: Duration,
    /// `--user USER[:GROUP]`: whom the child runs as.
    pub user: Option<String>,
}

impl Default for SuperviseArgs {
    fn default() -> Self {
        SuperviseArgs {
            exec: false,
            group: false,
            rewrite: Vec::new(),
            grace_period: None,
            stop_delay: None,
            pre_stop: None,
            wait: Vec::new(),
            wait_timeout: Duration::from_secs(60),
            user: None,
        }
    }
}

/// The modes other than the main job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Render only, for a Kubernetes init container or a build step.
    Render {
        /// Print the rendered files instead of writing them.
        stdout: bool,
    },
    /// Resolve every placeholder against the environment; write nothing.
    Check,
    /// List the placeholders found in the templates.
    Vars {
        /// Print a JSON array.
        json: bool,
    },
}

/// Why the command line leaves nothing to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// `--help`: the text for standard output.
    Help(String),
    /// `--version`: the text for standard output.
    Version(String),
    /// A bad command line: the whole message for standard error.
    Usage(String),
}

/// What an option is, for the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Id {
    Root,
    SysConfig,
    VmArgs,
    File,
    OutDir,
    Type,
    Quiet,
    Verbose,
    Exec,
    Group,
    Rewrite,
    GracePeriod,
    StopDelay,
    PreStop,
    Wait,
    WaitTimeout,
    User,
    Stdout,
    Json,
    Help,
    Version,
}

/// Where an option may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every mode (the template options, `--help`).
    All,
    /// The main job only (the supervision options, `--version`).
    Main,
    /// `render` only.
    Render,
    /// `vars` only.
    Vars,
}

/// One option: the parser and `--help` both read this.
struct Opt {
    id: Id,
    long: &'static str,
    short: Option<u8>,
    /// The name of its value; `None` for a flag.
    value: Option<&'static str>,
    /// Its environment variable, which the flag overrides.
    env: Option<&'static str>,
    /// For an option that may be repeated: what separates the items of its
    /// environment variable.
    list: Option<u8>,
    scope: Scope,
    help: &'static str,
}

const fn opt(id: Id, long: &'static str, scope: Scope, help: &'static str) -> Opt {
    Opt {
        id,
        long,
        short: None,
        value: None,
        env: None,
        list: None,
        scope,
        help,
    }
}

impl Opt {
    const fn short(mut self, c: u8) -> Self {
        self.short = Some(c);
        self
    }
    const fn value(mut self, name: &'static str) -> Self {
        self.value = Some(name);
        self
    }
    const fn env(mut self, name: &'static str) -> Self {
        self.env = Some(name);
        self
    }
    const fn list(mut self, separator: u8) -> Self {
        self.list = Some(separator);
        self
    }
}

/// Every option, in the order `--help` lists them.
const OPTIONS: &[Opt] = &[
    opt(Id::Root, "root", Scope::All, "Release root [default: from COMMAND, $RELEASE_ROOT or the current directory]")
        .value("DIR")
        .env("LAUNCH_ROOT"),
    opt(Id::SysConfig, "sys-config", Scope::All, "The sys.config template; overrides discovery")
        .value("FILE")
        .env("LAUNCH_SYS_CONFIG"),
    opt(Id::VmArgs, "vm-args", Scope::All, "The vm.args template; overrides discovery")
        .value("FILE")
        .env("LAUNCH_VM_ARGS"),
    opt(Id::File, "file", Scope::All, "Any other template, written to OUT/<name without .src> (repeatable; env: `:`-separated)")
        .value("FILE")
        .env("LAUNCH_FILES")
        .list(b':'),
    opt(Id::OutDir, "out-dir", Scope::All, "Where rendered files go [default for the main job: a private temporary directory]")
        .value("DIR")
        .env("LAUNCH_OUT_DIR"),
    opt(Id::Type, "type", Scope::All, "Give placeholder NAME a type where its template names none (repeatable; env: `,`-separated)")
        .value("NAME=TYPE")
        .env("LAUNCH_TYPES")
        .list(b','),
    opt(Id::Stdout, "stdout", Scope::Render, "Print the rendered files instead of writing them"),
    opt(Id::Json, "json", Scope::Vars, "Print a JSON array"),
    opt(Id::Quiet, "quiet", Scope::All, "Print nothing but problems (env: LAUNCH_LOG=quiet)").short(b'q'),
    opt(Id::Verbose, "verbose", Scope::All, "Say what launch does (env: LAUNCH_LOG=verbose)").short(b'v'),
    opt(Id::Exec, "exec", Scope::Main, "Do not supervise: render, then replace launch with COMMAND (the out dir is kept)")
        .env("LAUNCH_EXEC"),
    opt(Id::Group, "group", Scope::Main, "Forward signals to the child's whole process group")
        .env("LAUNCH_GROUP"),
    opt(Id::Rewrite, "rewrite", Scope::Main, "Forward signal FROM as TO; TO 0 drops it (repeatable; env: `,`-separated)")
        .value("FROM:TO")
        .env("LAUNCH_REWRITE")
        .list(b','),
    opt(Id::GracePeriod, "grace-period", Scope::Main, "SIGKILL the child's process group this long after a stop signal was forwarded")
        .value("DUR")
        .env("LAUNCH_GRACE_PERIOD"),
    opt(Id::StopDelay, "stop-delay", Scope::Main, "On a stop signal, wait this long before forwarding it (a load balancer drains)")
        .value("DUR")
        .env("LAUNCH_STOP_DELAY"),
    opt(Id::PreStop, "pre-stop", Scope::Main, "On a stop signal, run `sh -c CMD` and wait for it before forwarding (after the delay)")
        .value("CMD")
        .env("LAUNCH_PRE_STOP"),
    opt(Id::Wait, "wait", Scope::Main, "Before starting, wait until tcp://HOST:PORT or unix:///PATH accepts, or file:///PATH exists (repeatable; env: `,`-separated)")
        .value("URL")
        .env("LAUNCH_WAIT")
        .list(b','),
    opt(Id::WaitTimeout, "wait-timeout", Scope::Main, "Give up waiting after this long [default: 60s]")
        .value("DUR")
        .env("LAUNCH_WAIT_TIMEOUT"),
    opt(Id::User, "user", Scope::Main, "Run the child as this user (name or id), and group")
        .value("USER[:GROUP]")
        .env("LAUNCH_USER"),
    opt(Id::Help, "help", Scope::All, "Print help").short(b'h'),
    opt(Id::Version, "version", Scope::Main, "Print version").short(b'V'),
];

const ABOUT: &str = "Renders an Erlang/Elixir release's configuration from the environment, \
                     then runs the release as a well-behaved PID 1";

const USAGE: &str = "launch [OPTIONS] [--] COMMAND [ARGS...]\n       \
                     launch render [OPTIONS] (--out-dir DIR | --stdout)\n       \
                     launch check [OPTIONS]\n       \
                     launch vars [OPTIONS] [--json]";

/// The subcommands: name, the scope of their own options, and what they do.
const MODES: &[(&str, Scope, &str)] = &[
    (
        "render",
        Scope::Render,
        "Render only, for a Kubernetes init container or a build step",
    ),
    (
        "check",
        Scope::All,
        "Resolve every placeholder against the environment; write nothing",
    ),
    (
        "vars",
        Scope::Vars,
        "List the placeholders found in the templates",
    ),
];

impl Cli {
    /// Parses `args` (the program name first), with the environment of this
    /// process for the options' variables.
    pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Cli, Stop> {
        Cli::parse_with(args, |name| std::env::var_os(name))
    }

    /// Parses `args` (the program name first), reading the options'
    /// variables through `env`.
    ///
    /// Options may come in any order before COMMAND or around a subcommand's
    /// name; COMMAND begins at the first word that is neither an option, an
    /// option's value nor a subcommand's name (or after `--`), and every word
    /// from there on is its own. A variable applies where its option was not
    /// given; an empty one counts as unset. The supervision options and their
    /// variables belong to the main job: given with a subcommand, the option
    /// is an error, and its variable is not read.
    pub fn parse_with(
        args: impl IntoIterator<Item = OsString>,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Cli, Stop> {
        let mut args = args.into_iter().skip(1);
        let mut given: Vec<(&'static Opt, Option<OsString>)> = Vec::new();
        let mut mode: Option<usize> = None;
        let mut command = Vec::new();
        while let Some(arg) = args.next() {
            let bytes = arg.as_bytes();
            if bytes == b"--" {
                command.extend(args.by_ref());
                if let (Some(m), Some(first)) = (mode, command.first()) {
                    return Err(usage(
                        format!("unexpected argument '{}' found", first.to_string_lossy()),
                        mode_usage(Some(m)),
                    ));
                }
                break;
            }
            if let Some(long) = bytes.strip_prefix(b"--") {
                let (name, inline) = match long.iter().position(|&b| b == b'=') {
                    Some(k) => (
                        &long[..k],
                        Some(OsStr::from_bytes(&long[k + 1..]).to_owned()),
                    ),
                    None => (long, None),
                };
                let Some(o) = OPTIONS.iter().find(|o| o.long.as_bytes() == name) else {
                    return Err(unknown(&arg, mode));
                };
                let value = match (o.value, inline) {
                    (Some(_), Some(v)) => Some(v),
                    (Some(_), None) => Some(args.next().ok_or_else(|| needs_value(o, mode))?),
                    (None, Some(_)) => {
                        return Err(usage(
                            format!("'--{}' takes no value", o.long),
                            mode_usage(mode),
                        ));
                    }
                    (None, None) => None,
                };
                at_once(o, mode)?;
                given.push((o, value));
            } else if bytes.len() > 1 && bytes[0] == b'-' {
                // Short flags, which may be bunched: -qv.
                for &c in &bytes[1..] {
                    let Some(o) = OPTIONS.iter().find(|o| o.short == Some(c)) else {
                        return Err(unknown(&arg, mode));
                    };
                    at_once(o, mode)?;
                    given.push((o, None));
                }
            } else if mode.is_none()
                && let Some(m) = MODES.iter().position(|(name, ..)| name.as_bytes() == bytes)
            {
                mode = Some(m);
            } else if mode.is_none() {
                command.push(arg);
                command.extend(args.by_ref());
            } else {
                return Err(usage(
                    format!("unexpected argument '{}' found", arg.to_string_lossy()),
                    mode_usage(mode),
                ));
            }
        }
        let mut cli = Cli {
            templates: TemplateArgs::default(),
            supervise: SuperviseArgs::default(),
            mode: None,
            command,
        };
        let mode_scope = mode.map_or(Scope::Main, |m| MODES[m].1);
        for (i, (o, value)) in given.iter().enumerate() {
            if o.scope != Scope::All && o.scope != mode_scope {
                return Err(usage(out_of_scope(o), mode_usage(mode)));
            }
            if o.list.is_none() && given[..i].iter().any(|(p, _)| p.id == o.id) {
                return Err(usage(
                    format!(
                        "the argument '{}' cannot be used multiple times",
                        display(o)
                    ),
                    mode_usage(mode),
                ));
            }
            cli.set(o, value.as_deref()).map_err(|why| {
                let value = value.as_deref().unwrap_or_default().to_string_lossy();
                usage(
                    format!("invalid value '{value}' for '{}': {why}", display(o)),
                    mode_usage(mode),
                )
            })?;
        }
        let on_line = |id: Id| given.iter().any(|(o, _)| o.id == id);
        if on_line(Id::Quiet) && on_line(Id::Verbose) {
            return Err(usage(
                "the argument '--quiet' cannot be used with '--verbose'".into(),
                mode_usage(mode),
            ));
        }
        if on_line(Id::Stdout) && on_line(Id::OutDir) {
            return Err(usage(
                "the argument '--stdout' cannot be used with '--out-dir <DIR>'".into(),
                mode_usage(mode),
            ));
        }
        for o in OPTIONS {
            let Some(var) = o.env else { continue };
            if on_line(o.id) || (o.scope != Scope::All && o.scope != mode_scope) {
                continue;
            }
            let Some(value) = env(var).filter(|v| !v.is_empty()) else {
                continue;
            };
            let bad = |why: String| usage(format!("{var}: {why}"), mode_usage(mode));
            match o.list {
                Some(separator) => {
                    let items = value.as_bytes().split(|&b| b == separator);
                    for item in items.filter(|item| !item.is_empty()) {
                        cli.set(o, Some(OsStr::from_bytes(item))).map_err(bad)?;
                    }
                }
                None if o.value.is_none() => {
                    let text = value.to_string_lossy();
                    let on = yes_or_no(&text).ok_or_else(|| {
                        bad(format!(
                            "`{text}` is neither 1 nor 0 (nor true/false, yes/no, on/off)"
                        ))
                    })?;
                    if on {
                        cli.set(o, None).map_err(bad)?;
                    }
                }
                None => cli.set(o, Some(&value)).map_err(bad)?,
            }
        }
        // `-q` and `-v` share one variable.
        if !on_line(Id::Quiet) && !on_line(Id::Verbose) {
            match env("LAUNCH_LOG").as_deref().and_then(OsStr::to_str) {
                Some("quiet") => cli.templates.quiet = true,
                Some("verbose") => cli.templates.verbose = true,
                _ => {}
            }
        }
        cli.mode = mode.map(|m| match MODES[m].0 {
            "render" => Mode::Render {
                stdout: on_line(Id::Stdout),
            },
            "vars" => Mode::Vars {
                json: on_line(Id::Json),
            },
            _ => Mode::Check,
        });
        Ok(cli)
    }

    /// Applies one option: its value, or `None` for a flag that is on. A
    /// path may be any bytes; every other value is text.
    fn set(&mut self, o: &Opt, value: Option<&OsStr>) -> Result<(), String> {
        let path = || PathBuf::from(value.unwrap_or_default());
        let text = || {
            value
                .unwrap_or_default()
                .to_str()
                .ok_or_else(|| "not UTF-8".to_owned())
        };
        let t = &mut self.templates;
        let s = &mut self.supervise;
        match o.id {
            Id::Root => t.root = Some(path()),
            Id::SysConfig => t.sys_config = Some(path()),
            Id::VmArgs => t.vm_args = Some(path()),
            Id::File => t.files.push(path()),
            Id::OutDir => t.out_dir = Some(path()),
            Id::Type => t.types.push(parse_type_arg(text()?)?),
            Id::Quiet => t.quiet = true,
            Id::Verbose => t.verbose = true,
            Id::Exec => s.exec = true,
            Id::Group => s.group = true,
            Id::Rewrite => s.rewrite.push(parse_rewrite(text()?)?),
            Id::GracePeriod => s.grace_period = Some(parse_duration(text()?)?),
            Id::StopDelay => s.stop_delay = Some(parse_duration(text()?)?),
            Id::PreStop => s.pre_stop = Some(text()?.to_owned()),
            Id::Wait => s.wait.push(Target::parse(text()?)?),
            Id::WaitTimeout => s.wait_timeout = parse_duration(text()?)?,
            Id::User => s.user = Some(text()?.to_owned()),
            Id::Stdout | Id::Json | Id::Help | Id::Version => {}
        }
        Ok(())
    }
}

/// `--help` and `--version` answer as soon as they are read.
fn at_once(o: &Opt, mode: Option<usize>) -> Result<(), Stop> {
    match o.id {
        Id::Help => Err(Stop::Help(help(mode))),
        Id::Version if mode.is_none() => Err(Stop::Version(format!(
            "launch {}\n",
            env!("CARGO_PKG_VERSION")
        ))),
        _ => Ok(()),
    }
}

/// A flag's variable: on or off, as container images usually write it.
fn yes_or_no(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn display(o: &Opt) -> String {
    match o.value {
        Some(v) => format!("--{} <{v}>", o.long),
        None => format!("--{}", o.long),
    }
}

fn mode_usage(mode: Option<usize>) -> String {
    match mode {
        None => USAGE.to_owned(),
        Some(m) => format!("launch {} [OPTIONS]", MODES[m].0),
    }
}

fn usage(message: String, usage: String) -> Stop {
    Stop::Usage(format!(
        "launch: {message}\n\nUsage: {usage}\n\nFor more information, try '--help'.\n"
    ))
}

fn unknown(arg: &OsStr, mode: Option<usize>) -> Stop {
    usage(
        format!("unexpected argument '{}' found", arg.to_string_lossy()),
        mode_usage(mode),
    )
}

fn needs_value(o: &Opt, mode: Option<usize>) -> Stop {
    usage(
        format!(
            "a value is required for '{}' but none was supplied",
            display(o)
        ),
        mode_usage(mode),
    )
}

fn out_of_scope(o: &Opt) -> String {
    match o.scope {
        Scope::Main => format!(
            "'{}' is an option of the main job (launch [OPTIONS] -- COMMAND), not of a subcommand",
            display(o)
        ),
        Scope::Render => format!("'{}' is an option of render", display(o)),
        Scope::Vars => format!("'{}' is an option of vars", display(o)),
        Scope::All => unreachable!("an option of every mode is never out of scope"),
    }
}

/// The help of the main job, or of a subcommand.
fn help(mode: Option<usize>) -> String {
    let scope = mode.map_or(Scope::Main, |m| MODES[m].1);
    let shown: Vec<&Opt> = OPTIONS
        .iter()
        .filter(|o| o.scope == Scope::All || o.scope == scope)
        .filter(|o| mode.is_none() || o.id != Id::Version)
        .collect();
    let left = |o: &Opt| {
        let short = o
            .short
            .map_or("    ".to_owned(), |c| format!("-{}, ", char::from(c)));
        match o.value {
            Some(v) => format!("{short}--{} <{v}>", o.long),
            None => format!("{short}--{}", o.long),
        }
    };
    let width = shown.iter().map(|o| left(o).len()).max().unwrap_or(0);
    let mut out = String::new();
    match mode {
        None => {
            let _ = writeln!(out, "{ABOUT}\n\nUsage: {USAGE}\n\nCommands:");
            for (name, _, about) in MODES {
                let _ = writeln!(out, "  {name:<6}  {about}");
            }
            let _ = writeln!(
                out,
                "\nArguments:\n  [COMMAND]...  The command to run once the templates are rendered (the main job)"
            );
        }
        Some(m) => {
            let (name, _, about) = MODES[m];
            let _ = writeln!(out, "{about}\n\nUsage: launch {name} [OPTIONS]");
        }
    }
    let _ = writeln!(out, "\nOptions:");
    for o in shown {
        let env = o.env.map_or(String::new(), |e| format!(" [env: {e}]"));
        let _ = writeln!(out, "  {:<width$}  {}{env}", left(o), o.help);
    }
    out
}

fn parse_type_arg(s: &str) -> Result<(String, Type), String> {
    let (name, word) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=TYPE, got `{s}`"))?;
    let valid_name = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid_name {
        return Err(format!("`{name}` is not a variable name"));
    }
    let ty = Type::from_word(word)
        .ok_or_else(|| format!("unknown type `{word}`; expected one of {}", Type::WORDS))?;
    Ok((name.to_owned(), ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, Stop> {
        parse_env(args, &[])
    }

    fn parse_env(args: &[&str], vars: &[(&str, &str)]) -> Result<Cli, Stop> {
        let args = std::iter::once("launch")
            .chain(args.iter().copied())
            .map(OsString::from);
        Cli::parse_with(args, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(Stop::Usage(message)) => message,
            other => panic!("{args:?} should be a usage error: {other:?}"),
        }
    }

    #[test]
    fn the_table_is_consistent() {
        for (i, o) in OPTIONS.iter().enumerate() {
            assert!(
                OPTIONS[..i]
                    .iter()
                    .all(|p| p.long != o.long && p.id != o.id)
            );
            assert!(o.short.is_none() || OPTIONS[..i].iter().all(|p| p.short != o.short));
            assert!(
                o.list.is_none() || o.value.is_some(),
                "{}: a list takes values",
                o.long
            );
        }
    }

    #[test]
    fn a_command_may_stand_alone_or_follow_double_dash() {
        let cli = parse(&["bin/app", "start"]).unwrap();
        assert!(cli.mode.is_none());
        assert_eq!(cli.command, ["bin/app", "start"]);
        let cli = parse(&["--root", "/r", "--", "bin/app", "-x"]).unwrap();
        assert_eq!(cli.command, ["bin/app", "-x"]);
        let cli = parse(&["-v", "--", "render"]).unwrap();
        assert!(cli.mode.is_none());
        assert_eq!(cli.command, ["render"]);
        let cli = parse(&["-q", "sh", "-c", "x", "--help"]).unwrap();
        assert_eq!(cli.command, ["sh", "-c", "x", "--help"]);
        assert!(cli.templates.quiet);
    }

    #[test]
    fn subcommands_take_template_options_on_either_side() {
        let cli = parse(&["--root", "/r", "--type", "A=int", "render", "--stdout"]).unwrap();
        assert_eq!(cli.mode, Some(Mode::Render { stdout: true }));
        assert_eq!(cli.templates.root, Some(PathBuf::from("/r")));
        let cli = parse(&["vars", "--json", "--type=PORT=port"]).unwrap();
        assert_eq!(cli.mode, Some(Mode::Vars { json: true }));
        assert_eq!(cli.templates.types, vec![("PORT".to_string(), Type::Port)]);
        assert_eq!(
            parse(&["check", "-hq"]).unwrap_err(),
            Stop::Help(help(Some(1)))
        );
    }

    #[test]
    fn supervision_options_belong_to_the_main_job() {
        let cli = parse(&[
            "--grace-period",
            "5s",
            "--rewrite",
            "TERM:QUIT",
            "--",
            "app",
        ])
        .unwrap();
        assert_eq!(cli.supervise.grace_period, Some(Duration::from_secs(5)));
        assert_eq!(cli.supervise.rewrite, vec![(15, 3)]);
        assert!(error(&["--group", "render", "--stdout"]).contains("option of the main job"));
        assert!(error(&["render", "--json"]).contains("option of vars"));
        assert!(error(&["--stdout", "--", "app"]).contains("option of render"));
        // Their variables are the main job's too.
        let cli = parse_env(&["render", "--stdout"], &[("LAUNCH_STOP_DELAY", "bogus")]).unwrap();
        assert_eq!(cli.supervise.stop_delay, None);
    }

    #[test]
    fn variables_apply_where_the_option_was_not_given() {
        let vars = [
            ("LAUNCH_ROOT", "/env"),
            ("LAUNCH_FILES", "a.config::b.args"),
            ("LAUNCH_TYPES", "A=int,B=bool"),
            ("LAUNCH_EXEC", "1"),
            ("LAUNCH_GROUP", "0"),
            ("LAUNCH_WAIT_TIMEOUT", "5s"),
            ("LAUNCH_OUT_DIR", ""),
        ];
        let cli = parse_env(&["--type", "C=port", "--", "app"], &vars).unwrap();
        assert_eq!(cli.templates.root, Some(PathBuf::from("/env")));
        assert_eq!(
            cli.templates.files,
            [PathBuf::from("a.config"), PathBuf::from("b.args")]
        );
        assert_eq!(cli.templates.types, vec![("C".to_string(), Type::Port)]);
        assert!(cli.supervise.exec && !cli.supervise.group);
        assert_eq!(cli.supervise.wait_timeout, Duration::from_secs(5));
        assert_eq!(cli.templates.out_dir, None, "an empty variable is unset");
        let quiet = parse_env(&["--", "app"], &[("LAUNCH_LOG", "quiet")]).unwrap();
        assert!(quiet.templates.quiet && !quiet.templates.verbose);
        let verbose = parse_env(&["-q", "--", "app"], &[("LAUNCH_LOG", "verbose")]).unwrap();
        assert!(
            verbose.templates.quiet && !verbose.templates.verbose,
            "the flag wins"
        );
        let cli = parse_env(&["--root", "/flag", "--", "app"], &vars).unwrap();
        assert_eq!(cli.templates.root, Some(PathBuf::from("/flag")));
        for on in ["1", "true", "YES", "on"] {
            let cli = parse_env(&["--", "app"], &[("LAUNCH_GROUP", on)]).unwrap();
            assert!(cli.supervise.group, "{on}");
        }
        let Err(Stop::Usage(m)) = parse_env(&["--", "app"], &[("LAUNCH_GROUP", "maybe")]) else {
            panic!("LAUNCH_GROUP=maybe is refused");
        };
        assert!(m.contains("LAUNCH_GROUP"), "{m}");
    }

    #[test]
    fn paths_may_be_any_bytes() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(b"/r\xff".to_vec());
        let args = [
            OsString::from("launch"),
            "--root".into(),
            odd.clone(),
            "render".into(),
        ];
        let cli = Cli::parse_with(args, |name| {
            (name == "LAUNCH_FILES").then(|| OsString::from_vec(b"a\xfe:b".to_vec()))
        })
        .unwrap();
        assert_eq!(cli.templates.root, Some(PathBuf::from(odd)));
        assert_eq!(
            cli.templates.files[0],
            PathBuf::from(OsString::from_vec(b"a\xfe".to_vec()))
        );
        let args = [
            OsString::from("launch"),
            "--pre-stop".into(),
            OsString::from_vec(vec![0xff]),
            "--".into(),
            "app".into(),
        ];
        assert!(
            matches!(Cli::parse_with(args, |_| None), Err(Stop::Usage(m)) if m.contains("not UTF-8"))
        );
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        assert!(error(&["--no-such-flag", "render"]).contains("'--no-such-flag'"));
        assert!(error(&["-x", "--", "app"]).contains("'-x'"));
        assert!(
            error(&["check", "--type"]).contains("a value is required for '--type <NAME=TYPE>'")
        );
        assert!(error(&["--root", "a", "--root", "b", "--", "app"]).contains("multiple times"));
        assert!(error(&["-q", "-v", "--", "app"]).contains("cannot be used with"));
        assert!(error(&["render", "--stdout", "--out-dir", "/x"]).contains("cannot be used with"));
        assert!(error(&["render", "extra"]).contains("'extra'"));
        assert!(error(&["render", "--", "app"]).contains("'app'"));
        assert!(error(&["--group=yes", "--", "app"]).contains("takes no value"));
        assert!(error(&["check", "--type", "PORT=nope"]).contains("unknown type"));
        assert!(error(&["check", "--type", "1X=int"]).contains("not a variable name"));
        assert!(error(&["--stop-delay", "5", "--", "app"]).contains("needs a unit"));
    }

    #[test]
    fn help_lists_every_option_of_its_mode() {
        let main = help(None);
        for o in OPTIONS
            .iter()
            .filter(|o| o.scope == Scope::All || o.scope == Scope::Main)
        {
            assert!(main.contains(&format!("--{}", o.long)), "{}", o.long);
        }
        let (_, options) = main.split_once("\nOptions:").unwrap();
        assert!(!options.contains("--stdout"));
        let render = help(Some(0));
        assert!(render.contains("--stdout") && render.contains("--sys-config"));
        assert!(!render.contains("--group") && !render.contains("--version"));
        assert!(matches!(parse(&["--version"]), Err(Stop::Version(v)) if v.starts_with("launch ")));
    }
}
