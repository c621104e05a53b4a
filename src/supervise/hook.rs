//! What `--pre-stop` runs: a string for `/bin/sh -c`, or Docker's exec
//! form, a JSON array run directly (`["bin/app", "rpc", "App.drain()"]`),
//! for images that have no shell. Both are read and checked when launch
//! starts, so that a hook that could never run is a usage error then, not
//! a surprise when the container is stopped. Running it is `mod.rs`'s.

use std::ffi::OsString;
use std::path::Path;

/// The shell that runs a hook given as a string.
const SHELL: &str = "/bin/sh";

/// The command `--pre-stop` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreStop {
    /// Text for `/bin/sh -c`.
    Shell(String),
    /// A program and its arguments, run without a shell.
    Exec(Vec<String>),
}

impl PreStop {
    /// Reads `--pre-stop`: a value that starts with `[` (after white space)
    /// must be a JSON array of strings naming a program; anything else is
    /// text for the shell.
    pub fn parse(text: &str) -> Result<PreStop, String> {
        if text.trim().is_empty() {
            // As an empty variable is unset, an empty flag is a mistake.
            return Err("the command is empty; leave --pre-stop out for no hook".to_owned());
        }
        if !text.trim_start().starts_with('[') {
            return Ok(PreStop::Shell(text.to_owned()));
        }
        let exec_form = "a value starting with `[` is the exec form, a JSON array of strings \
                         such as [\"bin/app\", \"rpc\", \"App.drain()\"]";
        let argv: Vec<String> =
            serde_json::from_str(text).map_err(|e| format!("{exec_form}: {e}"))?;
        match argv.first() {
            None => Err(format!("{exec_form}, and it is empty")),
            Some(program) if program.is_empty() => Err(format!(
                "{exec_form}; its first string, the program, is empty"
            )),
            // A C string cannot hold NUL: exec would refuse it at stop time.
            _ if argv.iter().any(|a| a.contains('\0')) => {
                Err(format!("{exec_form}; a string holds a NUL character"))
            }
            _ => Ok(PreStop::Exec(argv)),
        }
    }

    /// Checks that the hook can be started: the string form needs
    /// `/bin/sh`, which distroless and scratch images do not have.
    pub fn check(&self) -> Result<(), String> {
        match self {
            PreStop::Shell(_) => shell_runs(Path::new(SHELL)),
            PreStop::Exec(_) => Ok(()),
        }
    }

    /// The command line that runs the hook.
    pub fn argv(&self) -> Vec<OsString> {
        match self {
            PreStop::Shell(text) => [SHELL, "-c", text].map(OsString::from).to_vec(),
            PreStop::Exec(argv) => argv.iter().map(OsString::from).collect(),
        }
    }
}

/// Whether `sh` is there to run a hook given as a string.
fn shell_runs(sh: &Path) -> Result<(), String> {
    use nix::unistd::{AccessFlags, access};
    access(sh, AccessFlags::X_OK).map_err(|e| {
        format!(
            "--pre-stop: a string is run with {}, which cannot be run here ({}); \
             give the hook as a JSON array to run it without a shell: \
             [\"PROGRAM\", \"ARGUMENT\", ...]",
            sh.display(),
            e.desc()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(argv: &[&str]) -> PreStop {
        PreStop::Exec(argv.iter().map(|a| (*a).to_owned()).collect())
    }

    #[test]
    fn a_string_is_for_the_shell_and_an_array_is_run_directly() {
        assert_eq!(
            PreStop::parse("bin/app rpc 'App.drain()'"),
            Ok(PreStop::Shell("bin/app rpc 'App.drain()'".into()))
        );
        assert_eq!(
            PreStop::parse(r#"["bin/app", "rpc", "App.drain()"]"#),
            Ok(exec(&["bin/app", "rpc", "App.drain()"]))
        );
        // White space before the bracket, and JSON escapes.
        assert_eq!(
            PreStop::parse(" \n\t[\"a b\", \"\\\"q\\\" \\u00e9\", \"$HOME\"] "),
            Ok(exec(&["a b", "\"q\" é", "$HOME"]))
        );
        // A bracket later on is the shell's business.
        assert_eq!(
            PreStop::parse("test -f x && [ -d y ]"),
            Ok(PreStop::Shell("test -f x && [ -d y ]".into()))
        );
        assert_eq!(
            exec(&["a", "b c"]).argv(),
            [OsString::from("a"), OsString::from("b c")]
        );
        assert_eq!(
            PreStop::Shell("echo hi".into()).argv(),
            ["/bin/sh", "-c", "echo hi"].map(OsString::from)
        );
    }

    #[test]
    fn an_array_that_names_no_program_is_refused() {
        for bad in [
            "[]",
            "  [ ]",
            "[\"\"]",
            "[1, 2]",
            "[\"a\", 1]",
            "[\"a\", null]",
            "[[\"a\"]]",
            "[\"a\"",
            "[\"a\",]",
            "[\"a\"] x",
            "[bin/app, rpc]",
            "[\"a\\u0000b\"]",
            "[\"a\", \"\\u0000\"]",
            "[",
        ] {
            let err = PreStop::parse(bad).expect_err(bad);
            assert!(err.contains("JSON array of strings"), "{bad}: {err}");
        }
    }

    #[test]
    fn an_empty_command_is_refused() {
        for bad in ["", " \t\n"] {
            let err = PreStop::parse(bad).expect_err(bad);
            assert!(err.contains("empty"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_string_without_a_shell_is_refused_naming_the_exec_form() {
        let err = shell_runs(Path::new("/nonexistent/sh")).unwrap_err();
        assert!(err.contains("/nonexistent/sh"), "{err}");
        assert!(err.contains("No such file or directory"), "{err}");
        assert!(err.contains("JSON array"), "{err}");
        assert_eq!(exec(&["/nonexistent"]).check(), Ok(()));
    }
}
