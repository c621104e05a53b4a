//! Project tasks, run with `cargo xtask TASK` (an alias in `.cargo/config.toml`).
//!
//! `cargo xtask assets [DIR]` writes launch's shell completions (bash, zsh,
//! fish) and its man pages into DIR (default `target/assets`), generated from
//! the same clap model the binary parses its command line with, so they can
//! never disagree with `launch --help`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

use launch::cli::Cli;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("assets") => {
            let dir = args.get(1).map_or_else(default_dir, PathBuf::from);
            assets(&dir).map(|written| {
                for path in written {
                    println!("{}", path.display());
                }
            })
        }
        _ => {
            eprintln!("usage: cargo xtask assets [DIR]   (default DIR: target/assets)");
            return ExitCode::from(64);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/assets")
}

/// The shells completions are written for, and each file's conventional name.
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "launch.bash"),
    (Shell::Zsh, "_launch"),
    (Shell::Fish, "launch.fish"),
];

/// Writes the completions under `DIR/completions/` and the man pages
/// (`launch.1` and one per subcommand) under `DIR/man/man1/`; returns the
/// files written.
fn assets(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let completions = dir.join("completions");
    std::fs::create_dir_all(&completions)?;
    for (shell, name) in SHELLS {
        let mut text = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "launch", &mut text);
        let path = completions.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    let man = dir.join("man/man1");
    std::fs::create_dir_all(&man)?;
    clap_mangen::generate_to(Cli::command(), &man)?;
    for entry in std::fs::read_dir(&man)? {
        written.push(entry?.path());
    }
    written.sort();
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every long flag of launch and of each subcommand.
    fn every_flag() -> Vec<String> {
        let command = Cli::command();
        std::iter::once(&command)
            .chain(command.get_subcommands())
            .flat_map(|c| c.get_arguments().filter_map(|a| a.get_long()))
            .map(|long| format!("--{long}"))
            .collect()
    }

    #[test]
    fn completions_and_man_pages_mention_every_flag() {
        let dir = tempfile::tempdir().unwrap();
        let written = assets(dir.path()).unwrap();
        let read = |path: &Path| std::fs::read_to_string(path).unwrap();
        let flags = every_flag();
        assert!(flags.len() >= 20, "{flags:?}");
        for (_, name) in SHELLS {
            let text = read(&dir.path().join("completions").join(name));
            for flag in &flags {
                // fish writes `--root` as `-l root`.
                let fish = format!("-l {}", &flag[2..]);
                assert!(
                    text.contains(flag.as_str()) || text.contains(&fish),
                    "{name} lacks {flag}"
                );
            }
            for sub in ["render", "check", "vars"] {
                assert!(text.contains(sub), "{name} lacks {sub}");
            }
        }
        let pages: String = written
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "1"))
            .map(|p| read(p))
            .collect();
        for flag in &flags {
            // roff writes each dash of a flag escaped.
            let escaped = flag.replace('-', "\\-");
            assert!(pages.contains(&escaped), "the man pages lack {flag}");
        }
        for variable in ["LAUNCH_ROOT", "LAUNCH_STOP_DELAY", "LAUNCH_LOG"] {
            assert!(pages.contains(variable), "the man pages lack {variable}");
        }
        for page in [
            "launch.1",
            "launch-render.1",
            "launch-check.1",
            "launch-vars.1",
        ] {
            assert!(dir.path().join("man/man1").join(page).is_file(), "{page}");
        }
    }
}
