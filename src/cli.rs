//! The command line: flags, their environment variables and the subcommands,
//! defined with clap. Definitions and parsing only; `main` decides what they
//! mean.
//!
//! Three rules clap does not know are kept here, in [`Cli::parse_args`]: an
//! empty variable counts as unset; the supervision options and their
//! variables belong to the main job (given to `render`, `check` or `vars`,
//! the option is an error and its variable is not read); and a flag on the
//! command line wins over a variable. A fourth keeps a template option on
//! one side of a subcommand's name.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{
    ArgAction, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueHint,
};

use crate::diag::Log;
use crate::resolve::Env;
use crate::supervise::hook::PreStop;
use crate::supervise::signals::{parse_duration, parse_rewrite};
use crate::supervise::wait::Target;
use crate::types::Type;

/// `launch --version`: the version, the target and the commit it was built
/// from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LAUNCH_TARGET"),
    ", ",
    env!("LAUNCH_COMMIT"),
    ")"
);

/// The usage lines of `launch --help`, and the man page's synopsis.
pub const USAGE: &str = "launch [OPTIONS] [--] COMMAND [ARGS...]\n       \
                     launch render [OPTIONS] (--out-dir DIR | --stdout)\n       \
                     launch check [OPTIONS] [--assume-set NAME]...\n       \
                     launch vars [OPTIONS] [--format FORMAT]";

/// Renders an Erlang/Elixir release's configuration from the environment,
/// then runs the release as a well-behaved PID 1
#[derive(Debug, Parser)]
#[command(
    name = "launch",
    version = VERSION,
    disable_help_subcommand = true,
    override_usage = USAGE,
    after_help = "COMMAND may follow `--`, or stand alone when its first word is not a subcommand's name.\n\
                  A flag on the command line wins over its variable; an empty variable counts as unset."
)]
pub struct Cli {
    /// Where the templates are and where rendered files go.
    #[command(flatten)]
    pub templates: TemplateArgs,

    /// How COMMAND is supervised (the main job only).
    #[command(flatten)]
    pub supervise: SuperviseArgs,

    /// render, check or vars; or the command to run (the main job).
    #[command(subcommand)]
    pub mode: Option<Mode>,
}

/// Template options, accepted by every mode, before or after a subcommand's name.
#[derive(Debug, Clone, Default, Args)]
pub struct TemplateArgs {
    /// Release root [default: from COMMAND, $RELEASE_ROOT or the current directory]
    #[arg(long, env = "LAUNCH_ROOT", value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,

    /// The sys.config template; overrides discovery
    #[arg(long, env = "LAUNCH_SYS_CONFIG", value_name = "FILE", global = true)]
    pub sys_config: Option<PathBuf>,

    /// The vm.args template; overrides discovery
    #[arg(long, env = "LAUNCH_VM_ARGS", value_name = "FILE", global = true)]
    pub vm_args: Option<PathBuf>,

    /// Any other template, written to OUT/<name without .src> (repeatable; `:` separates several)
    #[arg(
        long = "file",
        env = "LAUNCH_FILES",
        value_name = "FILE",
        value_delimiter = ':',
        global = true
    )]
    pub files: Vec<PathBuf>,

    /// Variables in Docker's --env-file syntax, over the environment; a later file wins (repeatable; `:` separates several)
    #[arg(
        long = "env-file",
        env = "LAUNCH_ENV_FILES",
        value_name = "FILE",
        value_delimiter = ':',
        global = true
    )]
    pub env_files: Vec<PathBuf>,

    /// Where rendered files go [default for the main job: a private directory under $TMPDIR]
    #[arg(long, env = "LAUNCH_OUT_DIR", value_name = "DIR", global = true)]
    pub out_dir: Option<PathBuf>,

    /// Give placeholder NAME a type where its template names none (repeatable; `,` separates several)
    #[arg(
        long = "type",
        env = "LAUNCH_TYPES",
        value_name = "NAME=TYPE",
        value_delimiter = ',',
        value_parser = parse_type_arg,
        global = true
    )]
    pub types: Vec<(String, Type)>,

    /// Print nothing but problems (--log quiet)
    #[arg(short, long, global = true, overrides_with = "quiet")]
    pub quiet: bool,

    /// Say what launch does (--log verbose)
    #[arg(short, long, global = true, overrides_with = "verbose")]
    pub verbose: bool,

    /// How much to say: quiet, normal or verbose; -q and -v win over it
    #[arg(
        long,
        env = "LAUNCH_LOG",
        value_name = "LEVEL",
        value_enum,
        hide_possible_values = true,
        global = true
    )]
    pub log: Option<LogLevel>,
}

/// The words of `--log` and `LAUNCH_LOG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogLevel {
    /// Problems only.
    Quiet,
    /// Problems and one line of outcome.
    Normal,
    /// What launch does, step by step.
    Verbose,
}

impl TemplateArgs {
    /// How much launch says: `-q` or `-v`, else `--log`, else normal.
    pub fn log(&self) -> Log {
        match (self.quiet, self.verbose, self.log) {
            (true, _, _) | (false, false, Some(LogLevel::Quiet)) => Log::Quiet,
            (_, true, _) | (false, false, Some(LogLevel::Verbose)) => Log::Verbose,
            _ => Log::Normal,
        }
    }
}

/// Supervision options of the main job.
#[derive(Debug, Clone, Args)]
pub struct SuperviseArgs {
    /// Do not supervise: render, then replace launch with COMMAND (the out dir is kept)
    #[arg(
        long,
        env = "LAUNCH_EXEC",
        action = ArgAction::SetTrue,
        value_parser = BoolishValueParser::new()
    )]
    pub exec: bool,

    /// Forward signals to the child's whole process group
    #[arg(long, env = "LAUNCH_GROUP", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub group: bool,

    /// Forward signal FROM as TO; TO 0 drops it (repeatable; `,` separates several)
    #[arg(
        long,
        env = "LAUNCH_REWRITE",
        value_name = "FROM:TO",
        value_delimiter = ',',
        value_parser = parse_rewrite
    )]
    pub rewrite: Vec<(i32, i32)>,

    /// SIGKILL the child and all it started (as PID 1: every process) this long after a stop signal was forwarded
    #[arg(long, env = "LAUNCH_GRACE_PERIOD", value_name = "DUR", value_parser = parse_duration)]
    pub grace_period: Option<Duration>,

    /// On a stop signal, wait this long before forwarding it (a load balancer drains)
    #[arg(long, env = "LAUNCH_STOP_DELAY", value_name = "DUR", value_parser = parse_duration)]
    pub stop_delay: Option<Duration>,

    /// On a stop signal, run `sh -c CMD`, or a JSON array `["PROGRAM", "ARG"]` without a shell, and wait for it before forwarding (after the delay)
    #[arg(long, env = "LAUNCH_PRE_STOP", value_name = "CMD", value_parser = PreStop::parse)]
    pub pre_stop: Option<PreStop>,

    /// Before starting, wait until tcp://HOST:PORT or unix:///PATH accepts, or file:///PATH exists (repeatable; `,` separates several)
    #[arg(
        long,
        env = "LAUNCH_WAIT",
        value_name = "URL",
        value_delimiter = ',',
        value_parser = Target::parse
    )]
    pub wait: Vec<Target>,

    /// Give up waiting after this long
    #[arg(
        long,
        env = "LAUNCH_WAIT_TIMEOUT",
        value_name = "DUR",
        default_value = "60s",
        value_parser = parse_duration
    )]
    pub wait_timeout: Duration,

    /// Run the child as this user (name or id), and group
    #[arg(long, env = "LAUNCH_USER", value_name = "USER[:GROUP]", value_hint = ValueHint::Username)]
    pub user: Option<String>,
}

/// What launch is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Mode {
    /// Render only, for a Kubernetes init container or a build step
    #[command(override_usage = "launch render [OPTIONS] (--out-dir DIR | --stdout)")]
    Render {
        /// Print the rendered files instead of writing them
        #[arg(long)]
        stdout: bool,
    },
    /// Resolve every placeholder against the environment; write nothing
    Check {
        /// Count NAME as set, for a secret CI cannot see; its type is not checked (repeatable; `,` separates several)
        #[arg(
            long = "assume-set",
            env = "LAUNCH_ASSUME_SET",
            value_name = "NAME",
            value_delimiter = ',',
            value_hint = ValueHint::Other,
            value_parser = parse_variable_name
        )]
        assume_set: Vec<String>,
    },
    /// List the placeholders found in the templates
    Vars {
        /// Print a JSON array (--format json)
        #[arg(long, conflicts_with = "format")]
        json: bool,

        /// table, json, env (a commented .env.example) or markdown [default: table]
        #[arg(long, value_name = "FORMAT", value_enum, hide_possible_values = true)]
        format: Option<VarsFormat>,
    },
    /// The main job: render, then run this command supervised.
    #[command(external_subcommand)]
    Run(Vec<OsString>),
}

/// How `vars` prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VarsFormat {
    /// Aligned columns, for a terminal.
    Table,
    /// A JSON array, for programs.
    Json,
    /// A commented `.env.example`, in the syntax `--env-file` reads.
    Env,
    /// A Markdown table, for a runbook or a README.
    Markdown,
}

impl VarsFormat {
    /// The format `vars` prints in: `--format`, else `--json`, else a table.
    pub fn chosen(json: bool, format: Option<VarsFormat>) -> VarsFormat {
        match (json, format) {
            (_, Some(format)) => format,
            (true, None) => VarsFormat::Json,
            (false, None) => VarsFormat::Table,
        }
    }
}

impl Cli {
    /// Parses `args` (the program name first). clap reads the options'
    /// variables from this process's environment; `env` is its snapshot.
    pub fn parse_args(
        args: impl IntoIterator<Item = OsString>,
        env: &Env,
    ) -> Result<Cli, clap::Error> {
        let mut args: Vec<OsString> = args.into_iter().collect();
        // clap takes only a UTF-8 name for COMMAND; the kernel takes any.
        // A name after `--` that is not UTF-8 stands aside while clap reads
        // the rest.
        let command_at = args.iter().skip(1).position(|a| a == "--").map(|i| i + 2);
        let odd_name = match command_at {
            Some(i) if args.get(i).is_some_and(|a| a.to_str().is_none()) => {
                Some(std::mem::replace(&mut args[i], "COMMAND".into()))
            }
            _ => None,
        };
        // The supervision variables belong to the main job: `render` in an
        // init container must not fail on a LAUNCH_STOP_DELAY meant for the
        // release's container, whose value it never uses. So a command line
        // that fails is read again without them, and stands when it is not
        // the main job.
        let parsed = command(env, true)
            .try_get_matches_from(&args)
            .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
        let (matches, cli) = match parsed {
            Ok(parsed) => parsed,
            Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
                return Err(e);
            }
            Err(first) => {
                let again = command(env, false)
                    .try_get_matches_from(&args)
                    .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (m, cli)));
                match again {
                    Ok((m, cli)) if cli.command_to_run().is_none() => (m, cli),
                    _ => return Err(from_variable(first, &args, env)),
                }
            }
        };
        let mut cli = cli;
        if let (Some(name), Some(Mode::Run(command))) = (odd_name, &mut cli.mode) {
            command[0] = name;
        }
        if cli.command_to_run().is_some() {
            exec_alone(&cli.supervise, &matches)?;
        }
        let a = &cli.templates;
        if a.quiet && a.verbose {
            return Err(usage_error(
                "the argument '--quiet' cannot be used with '--verbose'".to_owned(),
            ));
        }
        if let Some(name) = a.types.iter().enumerate().find_map(|(i, (n, t))| {
            a.types[..i]
                .iter()
                .any(|(m, u)| m == n && u != t)
                .then_some(n)
        }) {
            return Err(usage_error(format!(
                "'--type' gives {name} a type twice; give each variable one type"
            )));
        }
        if cli.command_to_run().is_none() {
            given_on_one_side(&matches, &args)?;
        }
        if !matches!(cli.mode, Some(Mode::Run(_)) | None)
            && let Some(id) = supervision_ids().find(|id| given(&matches, id))
        {
            return Err(usage_error(format!(
                "'--{}' is an option of the main job (launch [OPTIONS] -- COMMAND), not of a subcommand",
                id.replace('_', "-")
            )));
        }
        if let Some(Mode::Render { stdout: true }) = cli.mode
            && matches
                .subcommand_matches("render")
                .is_some_and(|m| given(m, "out_dir"))
        {
            return Err(usage_error(
                "the argument '--stdout' cannot be used with '--out-dir <DIR>'".to_owned(),
            ));
        }
        Ok(cli)
    }

    /// The command the main job runs, when that is the job.
    pub fn command_to_run(&self) -> Option<&[OsString]> {
        match &self.mode {
            Some(Mode::Run(command)) => Some(command),
            _ => None,
        }
    }
}

/// Refuses `--exec` with an option that needs launch to stay, which it
/// would drop without a word. What counts is the value: `LAUNCH_EXEC=0`,
/// `LAUNCH_GROUP=off` or a stop delay of 0s turn an option off, and an off
/// option is no conflict. The main job's only: the other modes read none
/// of these variables.
fn exec_alone(s: &SuperviseArgs, matches: &ArgMatches) -> Result<(), clap::Error> {
    if !s.exec {
        return Ok(());
    }
    let needs_launch = [
        ("group", s.group),
        ("rewrite", !s.rewrite.is_empty()),
        ("grace_period", s.grace_period.is_some()),
        ("stop_delay", s.stop_delay.is_some_and(|d| !d.is_zero())),
        ("pre_stop", s.pre_stop.is_some()),
    ];
    let Some((id, _)) = needs_launch.into_iter().find(|(_, on)| *on) else {
        return Ok(());
    };
    let command = Cli::command();
    let named = |id: &str| {
        let flag = format!("--{}", id.replace('_', "-"));
        let variable = variables(&command)
            .find(|(a, _)| a.get_id() == id)
            .map(|(_, v)| v);
        match (matches.value_source(id), variable) {
            (Some(ValueSource::EnvVariable), Some(v)) => format!("'{flag}' (from {v})"),
            _ => format!("'{flag}'"),
        }
    };
    Err(usage_error(format!(
        "{} cannot be used with {}: it needs launch to stay, and --exec replaces launch",
        named("exec"),
        named(id)
    )))
}

/// Adds to an error the variables its options were taken from, when they
/// did not come from the command line: clap's message names only flags.
fn from_variable(mut e: clap::Error, args: &[OsString], env: &Env) -> clap::Error {
    use clap::error::{ContextKind, ContextValue};
    let command = Cli::command();
    let variables = || variables(&command);
    if e.kind() == ErrorKind::InvalidUtf8 {
        // clap says only that some argument is not UTF-8.
        let tips: Vec<_> = variables()
            .filter(|(_, v)| {
                env.get(v)
                    .is_some_and(|value| str::from_utf8(value).is_err())
            })
            .map(|(_, v)| format!("{v} is not UTF-8").into())
            .collect();
        if !tips.is_empty() {
            e.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
        }
        return e;
    }
    let mut flags = Vec::new();
    for kind in [ContextKind::InvalidArg, ContextKind::PriorArg] {
        match e.get(kind) {
            Some(ContextValue::String(flag)) => flags.push(flag.clone()),
            Some(ContextValue::Strings(more)) => flags.extend(more.iter().cloned()),
            _ => {}
        }
    }
    let mut tips = Vec::new();
    for flag in flags {
        let long = flag.split(' ').next().unwrap_or_default();
        let on_line = args.iter().any(|a| {
            a.to_str()
                .is_some_and(|a| a == long || a.starts_with(&format!("{long}=")))
        });
        let variable = variables()
            .find(|(a, _)| a.get_long().is_some_and(|l| long == format!("--{l}")))
            .map(|(_, v)| v);
        if let (false, Some(variable)) = (on_line, variable) {
            tips.push(format!("{long} was taken from {variable}").into());
        }
    }
    if !tips.is_empty() {
        e.insert(ContextKind::Suggested, ContextValue::StyledStrs(tips));
    }
    e
}

/// Every option of launch and of its subcommands that has a variable, with
/// the variable's name.
fn variables(command: &clap::Command) -> impl Iterator<Item = (&clap::Arg, &str)> {
    command
        .get_arguments()
        .chain(
            command
                .get_subcommands()
                .flat_map(clap::Command::get_arguments),
        )
        .filter_map(|a| Some((a, a.get_env()?.to_str()?)))
}

/// A usage error in clap's shape, for the rules clap does not check itself.
pub fn usage_error(message: String) -> clap::Error {
    Cli::command().error(ErrorKind::ArgumentConflict, message)
}

/// The command line's model. Variables that are set but empty count as
/// unset; the supervision options read theirs only with `supervision_env`.
/// Help shows each variable's name, never its value. The rules hold for the
/// options of the subcommands too (`check --assume-set`).
fn command(env: &Env, supervision_env: bool) -> clap::Command {
    let supervision: Vec<&str> = supervision_ids().collect();
    let rules = |arg: clap::Arg| {
        let empty = arg
            .get_env()
            .and_then(|name| env.get(name.to_str()?))
            .is_some_and(<[u8]>::is_empty);
        let main_only = supervision.contains(&arg.get_id().as_str());
        if empty || (main_only && !supervision_env) {
            arg.env(None::<&str>)
        } else {
            arg.hide_env_values(true)
        }
    };
    Cli::command()
        .mut_args(rules)
        .mut_subcommands(|sub| sub.mut_args(rules))
}

/// The ids of the supervision options.
fn supervision_ids() -> impl Iterator<Item = &'static str> {
    [
        "exec",
        "group",
        "rewrite",
        "grace_period",
        "stop_delay",
        "pre_stop",
        "wait",
        "wait_timeout",
        "user",
    ]
    .into_iter()
}

/// Refuses a template option that takes a value given both before and
/// after a subcommand's name (`launch --env-file a.env check --env-file
/// b.env`, `launch --out-dir a render --out-dir b`): clap keeps the values
/// of one side only, and the others would be dropped without a word. Each
/// occurrence on the command line is its own word, as `--NAME` or
/// `--NAME=VALUE` (clap takes no word that looks like a flag as a value),
/// so counting the words says how many were given.
fn given_on_one_side(matches: &ArgMatches, args: &[OsString]) -> Result<(), clap::Error> {
    let Some((subcommand, kept)) = matches.subcommand() else {
        return Ok(());
    };
    let command = Cli::command();
    let with_values = command.get_arguments().filter(|a| {
        a.is_global_set() && matches!(a.get_action(), ArgAction::Append | ArgAction::Set)
    });
    for arg in with_values {
        let (Some(long), id) = (arg.get_long(), arg.get_id().as_str()) else {
            continue;
        };
        let with_value = format!("--{long}=");
        let words = args
            .iter()
            .skip(1)
            .filter_map(|a| a.to_str())
            .filter(|a| a.strip_prefix("--") == Some(long) || a.starts_with(&with_value))
            .count();
        let occurrences = match kept.value_source(id) {
            Some(ValueSource::CommandLine) => {
                kept.get_raw_occurrences(id).map_or(0, Iterator::count)
            }
            _ => 0,
        };
        if words > occurrences {
            return Err(usage_error(format!(
                "'--{long}' was given both before and after '{subcommand}'; give every '--{long}' on one side"
            )));
        }
    }
    Ok(())
}

/// True when `id` was given on the command line (not from its variable).
fn given(matches: &ArgMatches, id: &str) -> bool {
    matches.value_source(id) == Some(ValueSource::CommandLine)
}

/// True for a name a placeholder can have: `[A-Za-z_][A-Za-z0-9_]*`.
fn is_variable_name(name: &str) -> bool {
    name.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn parse_variable_name(s: &str) -> Result<String, String> {
    if is_variable_name(s) {
        Ok(s.to_owned())
    } else {
        Err(format!("`{s}` is not a variable name"))
    }
}

fn parse_type_arg(s: &str) -> Result<(String, Type), String> {
    let (name, word) = s
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=TYPE, got `{s}`"))?;
    if !is_variable_name(name) {
        return Err(format!("`{name}` is not a variable name"));
    }
    let ty = Type::from_word(word)
        .ok_or_else(|| format!("unknown type `{word}`; expected one of {}", Type::WORDS))?;
    Ok((name.to_owned(), ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        let args = std::iter::once("launch").chain(args.iter().copied());
        Cli::parse_args(args.map(OsString::from), &Env::default())
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(e) => e.render().to_string(),
            Ok(cli) => panic!("{args:?} should be a usage error: {cli:?}"),
        }
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
        let ids: Vec<String> = SuperviseArgs::augment_args(clap::Command::new("x"))
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        assert_eq!(ids, supervision_ids().collect::<Vec<_>>());
    }

    #[test]
    fn a_command_may_stand_alone_or_follow_double_dash() {
        let cli = parse(&["bin/app", "start"]).unwrap();
        assert_eq!(cli.command_to_run().unwrap(), ["bin/app", "start"]);
        let cli = parse(&["--root", "/r", "--", "bin/app", "-x"]).unwrap();
        assert_eq!(cli.command_to_run().unwrap(), ["bin/app", "-x"]);
        let cli = parse(&["-v", "--", "render"]).unwrap();
        assert_eq!(cli.command_to_run().unwrap(), ["render"]);
        let cli = parse(&["-q", "sh", "-c", "x", "--help"]).unwrap();
        assert_eq!(cli.command_to_run().unwrap(), ["sh", "-c", "x", "--help"]);
        assert!(cli.templates.quiet);
        assert!(parse(&[]).unwrap().mode.is_none());
    }

    #[test]
    fn subcommands_take_template_options_on_either_side() {
        let cli = parse(&["--root", "/r", "--type", "A=int", "render", "--stdout"]).unwrap();
        assert_eq!(cli.mode, Some(Mode::Render { stdout: true }));
        assert_eq!(cli.templates.root, Some(PathBuf::from("/r")));
        let cli = parse(&["vars", "--json", "--type=PORT=port"]).unwrap();
        assert_eq!(
            cli.mode,
            Some(Mode::Vars {
                json: true,
                format: None
            })
        );
        assert_eq!(cli.templates.types, vec![("PORT".to_string(), Type::Port)]);
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
        assert!(error(&["render", "--json"]).contains("'--json'"));
        assert!(error(&["--stdout", "--", "app"]).contains("'--stdout'"));
    }

    #[test]
    fn env_files_are_a_template_option_of_every_mode() {
        for args in [
            &["--env-file", "a.env", "--env-file", "b:c", "check"][..],
            &["check", "--env-file", "a.env", "--env-file=b:c"],
            &["--env-file", "a.env:b", "--env-file", "c", "--", "app"],
            &["vars", "--env-file", "a.env", "--env-file", "b:c"],
        ] {
            let cli = parse(args).unwrap();
            let files: Vec<&str> = cli
                .templates
                .env_files
                .iter()
                .map(|p| p.to_str().unwrap())
                .collect();
            assert_eq!(files, ["a.env", "b", "c"], "{args:?}");
        }
    }

    #[test]
    fn a_repeatable_option_on_both_sides_of_a_subcommand_is_refused() {
        // clap would keep those after the name only.
        for args in [
            &["--env-file", "a", "check", "--env-file", "b"][..],
            &["--file=a", "render", "--stdout", "--file", "b"],
            &["--type", "A=int", "vars", "--type=B=int"],
        ] {
            assert!(error(args).contains("both before and after"), "{args:?}");
        }
        let cli = parse(&["--env-file", "a", "--file", "f", "check", "--env-file", "b"]);
        assert!(cli.is_err(), "--env-file is on both sides");
        parse(&["--file", "f", "check", "--env-file", "b"]).unwrap();
        parse(&["--", "app", "--env-file", "x"]).unwrap();
    }

    #[test]
    fn assume_set_belongs_to_check() {
        let assumed = |args: &[&str]| match parse(args).unwrap().mode {
            Some(Mode::Check { assume_set }) => assume_set,
            mode => panic!("{mode:?}"),
        };
        assert_eq!(
            assumed(&["check", "--assume-set", "A", "--assume-set=B,C"]),
            ["A", "B", "C"]
        );
        assert!(assumed(&["check"]).is_empty());
        for args in [
            &["render", "--stdout", "--assume-set", "A"][..],
            &["vars", "--assume-set", "A"],
            &["--assume-set", "A", "check"],
            &["--assume-set", "A", "--", "app"],
        ] {
            assert!(error(args).contains("'--assume-set'"), "{args:?}");
        }
        assert!(error(&["check", "--assume-set", "A-B"]).contains("`A-B` is not a variable name"));
        assert!(error(&["check", "--assume-set", ""]).contains("not a variable name"));
    }

    #[test]
    fn vars_takes_a_format_or_json() {
        use VarsFormat::*;
        for (args, want) in [
            (&["vars"][..], Table),
            (&["vars", "--json"], Json),
            (&["vars", "--format", "env"], Env),
            (&["vars", "--format=markdown"], Markdown),
            (&["vars", "--format", "json"], Json),
        ] {
            let Some(Mode::Vars { json, format }) = parse(args).unwrap().mode else {
                panic!("{args:?}");
            };
            assert_eq!(VarsFormat::chosen(json, format), want, "{args:?}");
        }
        assert!(error(&["vars", "--json", "--format", "json"]).contains("cannot be used with"));
        assert!(error(&["vars", "--format", "yaml"]).contains("yaml"));
        assert!(error(&["check", "--format", "env"]).contains("'--format'"));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        assert!(error(&["--stop-dely", "1s", "--", "app"]).contains("--stop-delay"));
        assert!(error(&["--root", "--stdout", "render"]).contains("--stdout"));
        assert!(error(&["render", "--root", "--stdout"]).contains("--root <DIR>"));
        assert!(error(&["check", "--type"]).contains("--type <NAME=TYPE>"));
        assert!(error(&["--root", "a", "--root", "b", "--", "app"]).contains("multiple times"));
        assert!(error(&["-q", "-v", "--", "app"]).contains("cannot be used with"));
        assert!(error(&["render", "--stdout", "--out-dir", "/x"]).contains("cannot be used with"));
        assert!(error(&["render", "extra"]).contains("'extra'"));
        assert!(error(&["--group=yes", "--", "app"]).contains("--group"));
        assert!(error(&["check", "--type", "PORT=nope"]).contains("unknown type"));
        assert!(error(&["check", "--type", "1X=int"]).contains("not a variable name"));
        assert!(error(&["--stop-delay", "5", "--", "app"]).contains("needs a unit"));
        assert!(error(&["--log", "loud", "check"]).contains("loud"));
    }

    #[test]
    fn log_flags_win_over_the_level() {
        let cli = parse(&["--log", "verbose", "-q", "check"]).unwrap();
        assert_eq!(cli.templates.log(), Log::Quiet);
        let cli = parse(&["--log", "quiet", "check"]).unwrap();
        assert_eq!(cli.templates.log(), Log::Quiet);
        assert_eq!(parse(&["check"]).unwrap().templates.log(), Log::Normal);
        assert_eq!(
            parse(&["-v", "check"]).unwrap().templates.log(),
            Log::Verbose
        );
    }
}
