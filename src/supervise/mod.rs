//! Running COMMAND once the templates are rendered.
//!
//! For now the child is started plainly and waited for, with the environment
//! that points it at the rendered files; its exit status becomes launch's.

use std::ffi::OsString;
use std::io::ErrorKind;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitCode};

use crate::diag::say;
use crate::release::EnvChange;

/// COMMAND was found but cannot be run.
const NOT_EXECUTABLE: u8 = 126;
/// COMMAND was not found.
const NOT_FOUND: u8 = 127;

/// Runs `command` with `env` applied and returns its exit status as launch's:
/// its code, or 128+N when signal N ended it.
pub fn run(command: &[OsString], env: &[EnvChange], verbose: bool) -> ExitCode {
    let Some((program, args)) = command.split_first() else {
        return ExitCode::SUCCESS;
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    for change in env {
        match change {
            EnvChange::Set(k, v) => cmd.env(k, v),
            EnvChange::Remove(k) => cmd.env_remove(k),
        };
    }
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            let code = if e.kind() == ErrorKind::NotFound {
                NOT_FOUND
            } else {
                NOT_EXECUTABLE
            };
            say(format_args!("{}: {e}", program.to_string_lossy()));
            return ExitCode::from(code);
        }
    };
    if verbose {
        say(format_args!(
            "started {} as pid {}",
            program.to_string_lossy(),
            child.id()
        ));
    }
    match child.wait() {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => ExitCode::from(code as u8),
            (None, Some(signal)) => ExitCode::from((128 + signal) as u8),
            (None, None) => ExitCode::FAILURE,
        },
        Err(e) => {
            say(format_args!(
                "waiting for {}: {e}",
                program.to_string_lossy()
            ));
            ExitCode::FAILURE
        }
    }
}
