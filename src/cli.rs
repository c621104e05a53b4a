//! The command line of SPEC §1: flags, their environment variables, and the
//! subcommands. Definitions only; `main` decides what they mean.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::types::Type;

/// Renders an Erlang/Elixir release's configuration from the environment,
/// then runs the release as a well-behaved PID 1.
#[derive(Debug, Parser)]
#[command(
    name = "launch",
    version,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    override_usage = "launch [OPTIONS] [--] COMMAND [ARGS...]\n       \
                      launch render [OPTIONS] (--out-dir DIR | --stdout)\n       \
                      launch check [OPTIONS]\n       \
                      launch vars [OPTIONS] [--json]"
)]
pub struct Cli {
    /// Where the templates are and where rendered files go.
    #[command(flatten)]
    pub templates: TemplateArgs,

    /// How COMMAND is supervised (the main job only).
    #[command(flatten)]
    pub supervise: SuperviseArgs,

    /// render, check or vars; without one, COMMAND is run.
    #[command(subcommand)]
    pub mode: Option<Mode>,

    /// The command to run once the templates are rendered (the main job).
    #[arg(value_name = "COMMAND", trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// Template options, accepted by every mode.
#[derive(Debug, Clone, Args)]
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

    /// Any other template, written to OUT/<name without .src> (repeatable; env: `:`-separated)
    #[arg(
        long = "file",
        env = "LAUNCH_FILES",
        value_name = "FILE",
        value_delimiter = ':',
        global = true
    )]
    pub files: Vec<PathBuf>,

    /// Where rendered files go [default for the main job: a private temporary directory]
    #[arg(long, env = "LAUNCH_OUT_DIR", value_name = "DIR", global = true)]
    pub out_dir: Option<PathBuf>,

    /// Give placeholder NAME a type where its template names none (repeatable; env: `,`-separated)
    #[arg(
        long = "type",
        env = "LAUNCH_TYPES",
        value_name = "NAME=TYPE",
        value_delimiter = ',',
        value_parser = parse_type_arg,
        global = true
    )]
    pub types: Vec<(String, Type)>,

    /// Print nothing but problems (env: LAUNCH_LOG=quiet)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say what launch does (env: LAUNCH_LOG=verbose)
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

/// Supervision options of the main job (SPEC §5).
#[derive(Debug, Clone, Args)]
pub struct SuperviseArgs {
    /// Do not supervise: render, then replace launch with COMMAND (the out dir is kept)
    #[arg(long, env = "LAUNCH_EXEC")]
    pub exec: bool,

    /// Forward signals to the child's whole process group
    #[arg(long, env = "LAUNCH_GROUP")]
    pub group: bool,

    /// Forward signal FROM as TO; TO 0 drops it (repeatable; env: `,`-separated)
    #[arg(
        long,
        env = "LAUNCH_REWRITE",
        value_name = "FROM:TO",
        value_delimiter = ',',
        value_parser = crate::supervise::signals::parse_rewrite
    )]
    pub rewrite: Vec<(i32, i32)>,

    /// SIGKILL the child's process group this long after a stop signal was forwarded
    #[arg(long, env = "LAUNCH_GRACE_PERIOD", value_name = "DUR", value_parser = crate::supervise::signals::parse_duration)]
    pub grace_period: Option<Duration>,

    /// On a stop signal, wait this long before forwarding it (a load balancer drains)
    #[arg(long, env = "LAUNCH_STOP_DELAY", value_name = "DUR", value_parser = crate::supervise::signals::parse_duration)]
    pub stop_delay: Option<Duration>,

    /// On a stop signal, run `sh -c CMD` and wait for it before forwarding (after the delay)
    #[arg(long, env = "LAUNCH_PRE_STOP", value_name = "CMD")]
    pub pre_stop: Option<String>,

    /// Before starting, wait until tcp://HOST:PORT or unix:///PATH accepts, or file:///PATH exists (repeatable; env: `,`-separated)
    #[arg(
        long,
        env = "LAUNCH_WAIT",
        value_name = "URL",
        value_delimiter = ',',
        value_parser = crate::supervise::wait::Target::parse
    )]
    pub wait: Vec<crate::supervise::wait::Target>,

    /// Give up waiting after this long
    #[arg(long, env = "LAUNCH_WAIT_TIMEOUT", value_name = "DUR", default_value = "60s", value_parser = crate::supervise::signals::parse_duration)]
    pub wait_timeout: Duration,

    /// Run the child as this user (name or id), and group
    #[arg(long, env = "LAUNCH_USER", value_name = "USER[:GROUP]")]
    pub user: Option<String>,
}

/// The modes other than the main job.
#[derive(Debug, Clone, Subcommand)]
pub enum Mode {
    /// Render only, for a Kubernetes init container or a build step
    Render {
        /// Print the rendered files instead of writing them
        #[arg(long, conflicts_with = "out_dir")]
        stdout: bool,
    },
    /// Resolve every placeholder against the environment; write nothing
    Check,
    /// List the placeholders found in the templates
    Vars {
        /// Print a JSON array
        #[arg(long)]
        json: bool,
    },
}

impl Cli {
    /// Parses `args` (the program name first). A subcommand name after global
    /// options (`launch --root /app render`) is a subcommand, not a COMMAND:
    /// clap alone would take it for COMMAND, so it is moved to the front.
    pub fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
        let mut args: Vec<OsString> = args.into_iter().collect();
        let mut command = Cli::command();
        if let Some(i) = first_word(&command, &args)
            && i > 1
            && command.get_subcommands().any(|s| args[i] == s.get_name())
        {
            let word = args.remove(i);
            args.insert(1, word);
        }
        let mut matches = command.try_get_matches_from_mut(args)?;
        // `from_arg_matches` would copy every match first.
        let cli = Cli::from_arg_matches_mut(&mut matches);
        // Both are kept until launch exits rather than freed here: they are a
        // few hundred small allocations, and musl's allocator gives their
        // memory back to the kernel a page at a time as they are freed
        // (measured: a dozen munmap calls, 0.05 ms of every start).
        std::mem::forget(matches);
        std::mem::forget(command);
        cli
    }
}

/// The index of the first argument that is neither an option nor an option's value.
fn first_word(command: &clap::Command, args: &[OsString]) -> Option<usize> {
    let takes_value = |flag: &str| {
        command.get_arguments().any(|a| {
            a.get_action().takes_values()
                && (flag
                    .strip_prefix("--")
                    .is_some_and(|l| a.get_long() == Some(l))
                    || (flag.len() == 2
                        && flag.starts_with('-')
                        && a.get_short() == flag.chars().nth(1)))
        })
    };
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--" {
            return None;
        }
        if !arg.starts_with('-') || arg == "-" {
            return Some(i);
        }
        i += if !arg.contains('=') && takes_value(&arg) {
            2
        } else {
            1
        };
    }
    None
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

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_command_may_stand_alone_or_follow_double_dash() {
        let cli = Cli::try_parse_from(["launch", "bin/app", "start"]).unwrap();
        assert!(cli.mode.is_none());
        assert_eq!(cli.command, ["bin/app", "start"]);
        let cli =
            Cli::parse_args(["launch", "--root", "/r", "--", "bin/app", "-x"].map(Into::into))
                .unwrap();
        assert_eq!(cli.command, ["bin/app", "-x"]);
        let cli = Cli::parse_args(["launch", "-v", "--", "render"].map(Into::into)).unwrap();
        assert!(cli.mode.is_none());
        assert_eq!(cli.command, ["render"]);
    }

    #[test]
    fn subcommands_take_template_options_on_either_side() {
        let cli = Cli::parse_args(
            [
                "launch", "--root", "/r", "--type", "A=int", "render", "--stdout",
            ]
            .map(Into::into),
        )
        .unwrap();
        assert!(matches!(cli.mode, Some(Mode::Render { stdout: true })));
        let cli = Cli::try_parse_from(["launch", "vars", "--json", "--type", "PORT=port"]).unwrap();
        assert_eq!(cli.templates.types, vec![("PORT".to_string(), Type::Port)]);
    }

    #[test]
    fn supervision_options_belong_to_the_main_job() {
        let cli = Cli::parse_args(
            [
                "launch",
                "--grace-period",
                "5s",
                "--rewrite",
                "TERM:QUIT",
                "--",
                "app",
            ]
            .map(Into::into),
        )
        .unwrap();
        assert_eq!(cli.supervise.grace_period, Some(Duration::from_secs(5)));
        assert_eq!(cli.supervise.rewrite, vec![(15, 3)]);
        assert!(
            Cli::parse_args(["launch", "--group", "render", "--stdout"].map(Into::into)).is_err()
        );
    }

    #[test]
    fn bad_types_are_refused() {
        assert!(Cli::try_parse_from(["launch", "check", "--type", "PORT=nope"]).is_err());
        assert!(Cli::try_parse_from(["launch", "check", "--type", "1X=int"]).is_err());
    }
}
