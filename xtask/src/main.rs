//! Project tasks, run with `cargo xtask TASK` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask assets [DIR]` writes launch's shell completions (bash, zsh,
//!   fish) and its man pages into DIR (default `target/assets`), generated
//!   from the same clap model the binary parses its command line with, so
//!   they can never disagree with `launch --help`.
//! - `cargo xtask dist` builds the release files into `target/dist`: for
//!   x86_64 and aarch64, a static musl binary in
//!   `launch-VERSION-TARGET.tar.gz` with the README, the licenses, the
//!   changelog, the completions and the man pages; and `SHA256SUMS`. It
//!   needs the two rustup targets and Debian's tar, gzip and coreutils; the
//!   arm64 binary is linked with rust-lld, so no C cross compiler is needed.
//!   The archives are reproducible: the same commit gives the same bytes.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::CommandFactory;
use clap_complete::Shell;

use launch::cli::Cli;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result: Result<Vec<PathBuf>, Box<dyn std::error::Error>> =
        match args.first().map(String::as_str) {
            Some("assets") => {
                let dir = args
                    .get(1)
                    .map_or_else(|| target_dir().join("assets"), PathBuf::from);
                assets(&dir).map_err(Into::into)
            }
            Some("dist") if args.len() == 1 => dist(),
            _ => {
                eprintln!("usage: cargo xtask assets [DIR]   (default DIR: target/assets)");
                eprintln!("       cargo xtask dist           (into target/dist)");
                return ExitCode::from(64);
            }
        };
    match result {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The project's checkout.
fn project() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the project")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    project().join("target")
}

/// The targets release files are built for.
const TARGETS: [&str; 2] = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"];

/// The files besides the binary in every archive.
const DOCUMENTS: [&str; 4] = ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"];

/// Builds the archives and their checksums into `target/dist`; returns what
/// was written.
fn dist() -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let project = project();
    let version = launch_version();
    let dist = target_dir().join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    let epoch = run(Command::new("git")
        .args(["log", "-1", "--format=%ct"])
        .current_dir(&project))?;
    let assets_dir = dist.join("assets");
    assets(&assets_dir)?;
    let mut archives = Vec::new();
    for target in TARGETS {
        let binary = build(target, epoch.trim())?;
        let name = format!("launch-{version}-{target}");
        let stage = dist.join(&name);
        std::fs::create_dir_all(&stage)?;
        std::fs::copy(&binary, stage.join("launch"))?;
        for doc in DOCUMENTS {
            std::fs::copy(project.join(doc), stage.join(doc))?;
        }
        copy_tree(&assets_dir, &stage)?;
        let archive = format!("{name}.tar.gz");
        // Same inputs, same bytes: sorted names, one time stamp, no owners,
        // no gzip time stamp.
        run(Command::new("sh")
            .arg("-c")
            .arg(format!(
                "tar --sort=name --mtime=@{epoch} --owner=0 --group=0 --numeric-owner \
                 --format=gnu -cf - {name} | gzip -n -9 > {archive}",
                epoch = epoch.trim()
            ))
            .current_dir(&dist))?;
        std::fs::remove_dir_all(&stage)?;
        archives.push(archive);
    }
    std::fs::remove_dir_all(&assets_dir)?;
    let sums = run(Command::new("sha256sum").args(&archives).current_dir(&dist))?;
    std::fs::write(dist.join("SHA256SUMS"), sums)?;
    let mut written: Vec<PathBuf> = archives.iter().map(|a| dist.join(a)).collect();
    written.push(dist.join("SHA256SUMS"));
    Ok(written)
}

/// launch's version, as `launch --version` says it.
fn launch_version() -> String {
    let command = Cli::command();
    let version = command.get_version().unwrap_or_default();
    version.split(' ').next().unwrap_or_default().to_owned()
}

/// Builds the static binary for `target` in a directory of its own, with
/// the checkout's and cargo's paths left out of it; returns its path.
fn build(target: &str, epoch: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let project = project();
    let dir = target_dir().join("dist-build");
    let cargo_home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap_or_default()));
    let remap = format!(
        "--remap-path-prefix={}=launch --remap-path-prefix={cargo_home}=cargo",
        project.display()
    );
    run(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--quiet",
                "--release",
                "--locked",
                "-p",
                "beam-launch",
            ])
            .args(["--target", target, "--target-dir"])
            .arg(&dir)
            .env("RUSTFLAGS", remap)
            .env("SOURCE_DATE_EPOCH", epoch)
            .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER", "rust-lld")
            .current_dir(&project),
    )?;
    Ok(dir.join(target).join("release/launch"))
}

/// Copies the tree under `from` into `to`.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&dest)?;
            copy_tree(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), dest)?;
        }
    }
    Ok(())
}

/// Runs `cmd`, failing with what it said; returns its standard output.
fn run(cmd: &mut Command) -> Result<String, Box<dyn std::error::Error>> {
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
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
        if shell == Shell::Bash {
            text = bash_with_command(&text);
        }
        let path = completions.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    let man = dir.join("man/man1");
    std::fs::create_dir_all(&man)?;
    clap_mangen::generate_to(Cli::command(), &man)?;
    std::fs::write(man.join("launch.1"), main_page()?)?;
    for entry in std::fs::read_dir(&man)? {
        written.push(entry?.path());
    }
    written.sort();
    Ok(written)
}

/// The bash completion clap writes, which knows launch's own words only,
/// with a wrapper that completes COMMAND after `--` as bash-completion
/// completes the command of `sudo` or `env` (`_command_offset`), or as a
/// command name and then file names where bash-completion is not loaded.
fn bash_with_command(generated: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(generated)
        .replacen("_launch() {", "_launch_options() {", 1)
        .replace("complete -F _launch ", "complete -F _launch_with_command ");
    let wrapper = r#"
_launch_with_command() {
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            if declare -F _command_offset >/dev/null; then
                _command_offset $((i + 1))
            elif ((COMP_CWORD == i + 1)); then
                COMPREPLY=($(compgen -c -- "${COMP_WORDS[COMP_CWORD]}" | sort -u))
            else
                COMPREPLY=($(compgen -f -- "${COMP_WORDS[COMP_CWORD]}"))
            fi
            return 0
        fi
    done
    _launch_options "$@"
}
"#;
    // The wrapper comes before the `complete` line that names it.
    let at = text.find("\nif [[ ").map_or(text.len(), |at| at + 1);
    format!("{}{wrapper}\n{}", &text[..at], &text[at..]).into_bytes()
}

/// `launch.1`: clap's page, with a synopsis that shows COMMAND and the
/// subcommands as `launch --help` does, which clap's own synopsis cannot.
fn main_page() -> std::io::Result<Vec<u8>> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = Vec::new();
    page.render_title(&mut out)?;
    page.render_name_section(&mut out)?;
    out.extend_from_slice(b".SH SYNOPSIS\n");
    for (i, line) in launch::cli::USAGE.lines().enumerate() {
        if i > 0 {
            out.extend_from_slice(b".br\n");
        }
        let line = line.trim().replace('\\', "\\\\").replace('-', "\\-");
        let (name, rest) = line.split_once(' ').unwrap_or((&line, ""));
        out.extend_from_slice(format!("\\fB{name}\\fR {rest}\n").as_bytes());
    }
    page.render_description_section(&mut out)?;
    page.render_options_section(&mut out)?;
    page.render_subcommands_section(&mut out)?;
    page.render_extra_section(&mut out)?;
    page.render_version_section(&mut out)?;
    Ok(out)
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

    /// What bash offers for the words `line` (the last one being
    /// completed), with the completion as shipped and no bash-completion.
    fn bash_offers(script: &Path, line: &[&str]) -> Vec<String> {
        let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
        let cword = line.len() - 1;
        let prev = if cword > 0 { line[cword - 1] } else { "" };
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; \
             _launch_with_command launch '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display(),
            words.join(" "),
            line[cword]
        );
        let out = Command::new("bash")
            .args(["--norc", "-c", &program])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn bash_completes_launchs_options_and_then_the_command() {
        let dir = tempfile::tempdir().unwrap();
        assets(dir.path()).unwrap();
        let script = dir.path().join("completions/launch.bash");
        assert_eq!(
            bash_offers(&script, &["launch", "--stop-de"]),
            ["--stop-delay"]
        );
        assert!(bash_offers(&script, &["launch", "ren"]).contains(&"render".to_owned()));
        let commands = bash_offers(&script, &["launch", "-q", "--", "tru"]);
        assert_eq!(
            commands.iter().filter(|c| *c == "true").count(),
            1,
            "{commands:?}"
        );
        std::fs::write(dir.path().join("app.file"), "").unwrap();
        let typed = format!("{}/app.f", dir.path().display());
        let files = bash_offers(&script, &["launch", "--", "cat", &typed]);
        assert_eq!(files, [format!("{}/app.file", dir.path().display())]);
    }

    #[test]
    fn the_main_page_shows_command_in_its_synopsis() {
        let dir = tempfile::tempdir().unwrap();
        assets(dir.path()).unwrap();
        let page = std::fs::read_to_string(dir.path().join("man/man1/launch.1")).unwrap();
        let synopsis =
            &page[page.find(".SH SYNOPSIS").unwrap()..page.find(".SH DESCRIPTION").unwrap()];
        assert!(
            synopsis.contains("[\\-\\-] COMMAND [ARGS...]"),
            "{synopsis}"
        );
        assert!(synopsis.contains("render [OPTIONS]"), "{synopsis}");
        assert!(page.contains(".SH OPTIONS"), "{page}");
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
